// The injected clock. Production code asks a Clock for "now"; tests and the
// `--now` option substitute a FixedClock. Thread-safe: both are immutable
// after construction (FixedClock::Set is for single-threaded tests).
#pragma once

#include "common/time.h"

namespace secbudget {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }
  void Set(TimePoint now) { now_ = now; }
  void Advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

}  // namespace secbudget
