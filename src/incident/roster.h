// The on-call roster: who of the security committee is on duty when.
// Configured in one policy document of kind OnCallRoster per policy
// directory:
//
//   apiVersion: secbudget.dev/v1
//   kind: OnCallRoster
//   metadata: {name: security-committee}
//   spec:
//     leader: lee                  # optional; never on duty
//     utc_offset: "+09:00"         # the roster's local time; default +00:00
//     handoff: "09:00"             # local time duty changes hands; default 09:00
//     rotation: daily              # daily | weekly; default daily
//     members:                     # everyone the roster may name (the leader
//       - {name: alice, email: alice@example.com, phone: "+81 ..."}  # too,
//       - bob                      # for contact details); a bare name will do
//     terms:                       # committees, in order of start, not overlapping
//       - name: 2026-H1
//         start: 2026-01-01
//         end: 2026-06-30          # optional, inclusive; default half a year
//         members: [alice, bob, carol]
//     holidays: [2026-05-04]       # optional local dates
//     holiday_calendar: holidays.ics   # optional; relative to this file
//     overrides:                   # someone else takes one slot
//       - {date: 2026-03-20, member: dave, reason: "alice at a conference"}
//     swaps:                       # two slots exchange their holders
//       - {dates: [2026-03-06, 2026-03-13], reason: "..."}
//
// Days. Every date (term bounds, holidays, override and swap dates) is a
// local date in the fixed `utc_offset`; there are no daylight-saving rules.
// A working day is Monday to Friday and not a holiday.
//
// Slots. Duty advances only on working days. Daily: each working day covered
// by a term starts a slot at its handoff, held until the handoff of the next
// working day (Friday's holder keeps the weekend; a Monday holiday extends
// Friday's slot to Tuesday's handoff). Weekly: a slot starts at the handoff of
// the first working day (covered by a term) of a Monday-to-Sunday week and is
// held until the next week's slot starts. A moment before a day's handoff
// belongs to the slot before. A slot belongs to the term covering its first
// day, even when it runs past that term's end into the next term. Where no
// term covers the next working day, the slot ends at the handoff of the day
// after its term's last day: between terms that leave working days uncovered,
// and after the last term, nobody is on duty.
//
// Rotation. A fair queue simulated from the first slot: each slot goes to the
// term member at the front of the queue, who then goes to the back. When a
// slot's term differs from the previous slot's, the queue is brought to the
// new committee: members not in it leave (losing their place), members not
// yet queued join at the back in the order the term lists them. So a
// committee carried over keeps its order, newcomers serve after everyone
// queued, and a member returning after a term away joins as a newcomer.
// Overrides and swaps change who serves (`member`), never the queue: the
// member the queue chose (`assigned`) counts as having taken their turn.
//
// Overrides and swaps name a slot by a date: daily, the working day it
// starts; weekly, any day of its week. Each slot may be changed by at most
// one override or swap. An override must name someone other than the
// assigned member; a swap must join two slots with different holders.
//
// Validation (all errors carry file:line): unknown keys, duplicate member
// names, unknown member names in terms and overrides, the leader in a term or
// an override, a term ending before it starts, terms out of order or
// overlapping, a date that is not a working day (daily) or not in any term,
// a bad utc_offset (+HH:MM, at most 14:00) or handoff (HH:MM), a holiday
// calendar that cannot be read or parsed (the error names the .ics file).
//
// Holiday calendars (iCalendar, parsed with libical): every VEVENT is a
// holiday unless STATUS:CANCELLED. DTSTART must be a date (VALUE=DATE); the
// event covers the days up to DTEND (exclusive; default one day). RRULE,
// RDATE and EXDATE are expanded across the terms' span. Other components are
// ignored.
//
// Limits: the terms span at most kMaxRosterSpanDays; a holiday calendar is at
// most kMaxHolidayCalendarBytes, an event at most kMaxHolidayEventDays long,
// and a recurrence rule is followed for at most kMaxRecurrenceSteps
// occurrences.
//
// Thread-safety: a loaded Roster is immutable; its const methods may be
// called concurrently. ToICalendar and the loader call libical, whose error
// state is global: do not run them concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "triage/policy.h"

namespace secbudget::incident {

inline constexpr std::int64_t kMaxRosterSpanDays = 20 * 366;
inline constexpr std::size_t kMaxHolidayCalendarBytes = std::size_t{4} << 20;
inline constexpr std::int64_t kMaxHolidayEventDays = 366;
inline constexpr int kMaxRecurrenceSteps = 100000;

enum class Rotation : std::uint8_t { kDaily, kWeekly };

// How a slot's holder was chosen.
enum class SlotChange : std::uint8_t { kRotation, kOverride, kSwap };

struct Member {
  std::string name;
  std::string email;   // optional
  std::string phone;   // optional
  std::string origin;  // "file:line"
};

struct Term {
  std::string name;
  std::int64_t start_day = 0;        // local days since 1970-01-01
  std::int64_t end_day = 0;          // inclusive
  std::vector<std::string> members;  // rotation order for newcomers
  std::string origin;

  bool Covers(std::int64_t local_day) const { return start_day <= local_day && local_day <= end_day; }
};

struct Override {
  std::int64_t day = 0;  // the date as written
  std::string member;
  std::string reason;
  std::string origin;
};

struct Swap {
  std::int64_t first_day = 0, second_day = 0;  // the dates as written
  std::string reason;
  std::string origin;
};

struct DutySlot {
  TimePoint start = 0, end = 0;  // [start, end), UTC
  std::int64_t day = 0;          // local day the slot starts
  std::string member;            // who serves
  std::string assigned;          // whom the rotation chose
  std::string term;
  SlotChange change = SlotChange::kRotation;
  // "rotation", "override: <reason>", "swap with <date>: <reason>" (": <reason>"
  // omitted when the policy gives none).
  std::string reason;
};

struct Roster {
  std::string name, leader;
  std::string origin;            // "file:line" of the document
  Duration utc_offset = 0;       // seconds east of UTC
  Duration handoff = 9 * kHour;  // seconds after local midnight
  Rotation rotation = Rotation::kDaily;
  std::vector<Member> members;
  std::vector<Term> terms;          // sorted by start, disjoint
  std::set<std::int64_t> holidays;  // local days, inline and from the calendar
  std::string holiday_calendar;     // resolved path, "" when none
  std::vector<Override> overrides;
  std::vector<Swap> swaps;
  // Every slot from the first term's start to the last term's end, in order
  // and disjoint; computed by the loader, so a Roster is a loaded value: do
  // not edit the fields above and expect the slots to follow.
  std::vector<DutySlot> slots;

  const Member* FindMember(std::string_view member_name) const;
  // The term covering a local day, or null.
  const Term* TermOn(std::int64_t local_day) const;

  // The local day a moment falls on (by the wall clock, not by handoff).
  std::int64_t LocalDay(TimePoint t) const;
  // UTC time of the handoff on a local day.
  TimePoint HandoffAt(std::int64_t local_day) const;
  bool IsWorkingDay(std::int64_t local_day) const;

  // The slot holding duty at `at`; nullopt outside every slot.
  std::optional<DutySlot> Who(TimePoint at) const;
  // The slots overlapping [from, to), in order.
  std::vector<DutySlot> Schedule(TimePoint from, TimePoint to) const;

  // One row per term and member: the term's members in listed order, then
  // anyone else who served in the term, by name. Counts cover the whole term
  // (the slots that belong to it). assigned: slots the rotation gave the
  // member; served: slots they held; overrides_taken: slots they held by an
  // override; given_away: their assigned slots taken by an override (a swap
  // is an exchange and counts in neither).
  struct FairnessRow {
    std::string term, member;
    int assigned = 0, served = 0, overrides_taken = 0, given_away = 0;
  };
  std::vector<FairnessRow> Fairness() const;
};

// An iCalendar (RFC 5545) with one VEVENT per slot that has a member: UID
// "<roster name>-<UTC start>@secbudget" (stable across runs), DTSTART and
// DTEND as UTC date-times, SUMMARY "On duty: <member>", DESCRIPTION the
// slot's reason, CONTACT the member's email and phone when known, TRANSP
// TRANSPARENT. DTSTAMP is `stamp`, or each slot's start when `stamp` is 0,
// so that the output is reproducible. Written by libical (escaping, CRLF
// line ends, folding at 75 octets).
std::string ToICalendar(const Roster& r, const std::vector<DutySlot>& slots, TimePoint stamp = 0);

// The policy-directory extension for OnCallRoster documents. Each document is
// validated as it is added; a second roster in the directory is an error.
class RosterLoader : public PolicyExtension {
 public:
  std::vector<std::string> Kinds() const override { return {"OnCallRoster"}; }
  Status AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) override;
  Status Finish(PolicySet& set) override;

  // The roster, if the directory has one.
  const std::optional<Roster>& roster() const { return roster_; }

 private:
  std::optional<Roster> roster_;
};

// Parses a YAML text holding one OnCallRoster document (for tests and
// tools). `file` names the text in errors and anchors holiday_calendar.
// The holidays (local days in [first_day, last_day]) of an iCalendar text,
// as a holiday_calendar file is read; errors name `name`.
Status ParseHolidayCalendar(const std::string& text, const std::string& name, std::int64_t first_day,
                            std::int64_t last_day, std::set<std::int64_t>* out);

Result<Roster> ParseRoster(const std::string& yaml_text, const std::string& file);

}  // namespace secbudget::incident
