#include "incident/roster.h"

#include <fmt/format.h>
#include <libical/ical.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>

#include "common/file.h"
#include "common/strings.h"
#include "common/yaml.h"

namespace secbudget::incident {

namespace {

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
std::int64_t Weekday(std::int64_t day) { return day + 3 - FloorDiv(day + 3, 7) * 7; }
// Monday-to-Sunday weeks, numbered.
std::int64_t WeekOf(std::int64_t day) { return FloorDiv(day + 3, 7); }

std::string DayText(std::int64_t day) { return FormatDate(day * kDay); }

// A local date written YYYY-MM-DD, as days since 1970-01-01.
std::optional<std::int64_t> ParseDay(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  auto t = ParseTime(text);
  if (!t.ok()) return std::nullopt;
  return FloorDiv(*t, kDay);
}

// The day before the same day of the month six months on (clamped to the
// end of that month): 2026-01-01 -> 2026-06-30, 2026-08-31 -> 2027-02-27.
std::int64_t DefaultTermEnd(std::int64_t start_day) {
  const std::time_t tt = static_cast<std::time_t>(start_day * kDay);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::int64_t year = tm.tm_year + 1900;
  int month = tm.tm_mon + 1 + 6;
  if (month > 12) {
    month -= 12;
    ++year;
  }
  const auto m = static_cast<unsigned>(month);
  const std::int64_t month_start = DaysFromCivil(year, m, 1);
  const std::int64_t next_month_start = m == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, m + 1, 1);
  const std::int64_t day_of_month = std::min<std::int64_t>(tm.tm_mday, next_month_start - month_start);
  return month_start + day_of_month - 1 - 1;
}

// "+09:00", "-05:30" or "Z".
std::optional<Duration> ParseOffset(std::string_view text) {
  if (text == "Z") return Duration{0};
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return std::nullopt;
  const auto digits = [&](std::size_t pos) -> int {
    if (text[pos] < '0' || text[pos] > '9' || text[pos + 1] < '0' || text[pos + 1] > '9') return -1;
    return (text[pos] - '0') * 10 + (text[pos + 1] - '0');
  };
  const int hours = digits(1), minutes = digits(4);
  if (hours < 0 || minutes < 0 || minutes >= 60 || hours * 60 + minutes > 14 * 60) return std::nullopt;
  const Duration d = hours * kHour + minutes * 60;
  return text[0] == '-' ? -d : d;
}

// "09:00" or "9:00".
std::optional<Duration> ParseClock(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) return std::nullopt;
  int hours = 0, minutes = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == colon) continue;
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    int& part = i < colon ? hours : minutes;
    part = part * 10 + (text[i] - '0');
  }
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * kHour + minutes * 60;
}

Status ErrorAt(const std::string& file, const YAML::Node& node, std::string message) {
  return Status::SchemaError(std::move(message)).At(NodeLocation(file, node));
}

// A node's date, or an error at the node.
Result<std::int64_t> ReadDay(const std::string& file, const YAML::Node& node, std::string_view what) {
  const auto day = ParseDay(YamlScalar(node));
  if (!day) {
    return ErrorAt(file, node, fmt::format("{}: \"{}\" is not a date (2026-03-20)", what, YamlScalar(node)));
  }
  return *day;
}

// ---------------------------------------------------------------------------
// Holiday calendars (libical).

struct IcalComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
struct IcalIteratorFree {
  void operator()(icalrecur_iterator* it) const { icalrecur_iterator_free(it); }
};

std::int64_t DayOf(const icaltimetype& t) {
  return DaysFromCivil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
}

// The first X-LIC-ERROR libical attached while parsing, anywhere below `c`.
std::optional<std::string> FirstParseError(icalcomponent* c) {
  if (icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p != nullptr) {
    const char* text = icalproperty_get_xlicerror(p);
    return std::string(text != nullptr ? text : "unreadable property");
  }
  for (icalcomponent* child = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); child != nullptr;
       child = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
    if (auto e = FirstParseError(child)) return e;
  }
  return std::nullopt;
}

std::string EventName(icalcomponent* ev) {
  if (const char* s = icalcomponent_get_summary(ev); s != nullptr && *s != '\0') return fmt::format("\"{}\"", s);
  if (const char* u = icalcomponent_get_uid(ev); u != nullptr && *u != '\0') return fmt::format("UID {}", u);
  return "without SUMMARY or UID";
}

class HolidayCalendarReader {
 public:
  HolidayCalendarReader(std::string path, std::string named_at, std::int64_t first, std::int64_t last,
                        std::set<std::int64_t>* out)
      : path_(std::move(path)), named_at_(std::move(named_at)), first_(first), last_(last), out_(out) {}

  Status Read() {
    ReadLimits limits;
    limits.max_bytes = kMaxHolidayCalendarBytes;
    auto text = ReadFile(path_, limits);
    if (!text.ok())
      return std::move(text).take_status().Context(fmt::format("holiday calendar named at {}", named_at_));
    return Parse(*text);
  }

  Status Parse(const std::string& text) {
    if (text.size() > kMaxHolidayCalendarBytes) return Fail("larger than the limit for holiday calendars");
    const std::unique_ptr<icalcomponent, IcalComponentFree> root(icalparser_parse_string(text.c_str()));
    if (root == nullptr) return Fail("not an iCalendar file (expected BEGIN:VCALENDAR ... END:VCALENDAR)");
    if (auto e = FirstParseError(root.get())) return Fail(fmt::format("invalid iCalendar: {}", *e));
    std::vector<icalcomponent*> calendars;
    if (icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
      calendars.push_back(root.get());
    } else if (icalcomponent_isa(root.get()) == ICAL_XROOT_COMPONENT) {
      for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT); c != nullptr;
           c = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT)) {
        calendars.push_back(c);
      }
    }
    if (calendars.empty()) return Fail("not an iCalendar file (expected BEGIN:VCALENDAR)");
    for (icalcomponent* cal : calendars) {
      for (icalcomponent* ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev != nullptr;
           ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        SB_RETURN_IF_ERROR(AddEvent(ev));
      }
    }
    return Status::OK();
  }

 private:
  Status Fail(const std::string& message) const {
    return Status::SchemaError(fmt::format("holiday calendar (named at {}): {}", named_at_, message))
        .At(Location::File(path_));
  }

  Status AddEvent(icalcomponent* ev) {
    if (icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED) return Status::OK();
    const icaltimetype start = icalcomponent_get_dtstart(ev);
    if (icaltime_is_null_time(start)) return Fail(fmt::format("event {} has no DTSTART", EventName(ev)));
    if (start.is_date == 0) {
      return Fail(
          fmt::format("event {} starts at a time of day: a holiday is an all-day event "
                      "(DTSTART;VALUE=DATE:20260504)",
                      EventName(ev)));
    }
    std::int64_t length = 1;
    if (const icaltimetype end = icalcomponent_get_dtend(ev); !icaltime_is_null_time(end)) {
      length = DayOf(end) - DayOf(start);
    }
    if (length < 1 || length > kMaxHolidayEventDays) {
      return Fail(fmt::format("event {} lasts {} days (DTEND is exclusive; 1 to {} days)", EventName(ev), length,
                              kMaxHolidayEventDays));
    }
    std::set<std::int64_t> excluded;
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
      excluded.insert(DayOf(icalproperty_get_exdate(p)));
    }
    const auto add = [&](std::int64_t day) {
      if (excluded.count(day) != 0) return;
      for (std::int64_t d = std::max(day, first_); d < day + length && d <= last_; ++d) out_->insert(d);
    };
    add(DayOf(start));  // DTSTART is always the first occurrence (RFC 5545 3.8.5.3)
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
      const icaldatetimeperiodtype rdate = icalproperty_get_rdate(p);
      add(DayOf(icaltime_is_null_time(rdate.time) ? rdate.period.start : rdate.time));
    }
    for (icalproperty* p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p != nullptr;
         p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY)) {
      const std::unique_ptr<icalrecur_iterator, IcalIteratorFree> it(
          icalrecur_iterator_new(icalproperty_get_rrule(p), start));
      if (it == nullptr) return Fail(fmt::format("event {}: its RRULE cannot be expanded", EventName(ev)));
      for (int steps = 0;; ++steps) {
        const icaltimetype next = icalrecur_iterator_next(it.get());
        if (icaltime_is_null_time(next) || DayOf(next) > last_) break;
        if (steps >= kMaxRecurrenceSteps) {
          return Fail(
              fmt::format("event {}: its RRULE has more than {} occurrences before the roster's last term "
                          "ends",
                          EventName(ev), kMaxRecurrenceSteps));
        }
        add(DayOf(next));
      }
    }
    return Status::OK();
  }

  std::string path_;
  std::string named_at_;  // "roster.yaml:12"
  std::int64_t first_, last_;
  std::set<std::int64_t>* out_;
};

// ---------------------------------------------------------------------------
// Reading the document.

class RosterReader {
 public:
  RosterReader(std::string file, Roster* roster) : file_(std::move(file)), r_(*roster) {}

  Status Read(const PolicyEnvelope& env, const YAML::Node& doc) {
    r_.name = env.name;
    r_.origin = NodeOrigin(file_, doc);
    MapReader spec(env.spec, file_, "OnCallRoster spec");
    r_.leader = spec.String("leader").value_or("");
    const YAML::Node offset = spec.Get("utc_offset");
    const YAML::Node handoff = spec.Get("handoff");
    const YAML::Node rotation = spec.Get("rotation");
    const YAML::Node members = spec.Require("members");
    const YAML::Node terms = spec.Require("terms");
    const YAML::Node holidays = spec.Get("holidays");
    const YAML::Node calendar = spec.Get("holiday_calendar");
    const YAML::Node overrides = spec.Get("overrides");
    const YAML::Node swaps = spec.Get("swaps");
    SB_RETURN_IF_ERROR(spec.Finish());

    if (offset.IsDefined()) {
      const auto v = ParseOffset(YamlScalar(offset));
      if (!v) {
        return ErrorAt(file_, offset,
                       fmt::format("utc_offset \"{}\" must be +HH:MM or -HH:MM, at most 14:00 (quote it: \"+09:00\")",
                                   YamlScalar(offset)));
      }
      r_.utc_offset = *v;
    }
    if (handoff.IsDefined()) {
      const auto v = ParseClock(YamlScalar(handoff));
      if (!v) {
        return ErrorAt(file_, handoff,
                       fmt::format("handoff \"{}\" must be a local time HH:MM (\"09:00\")", YamlScalar(handoff)));
      }
      r_.handoff = *v;
    }
    if (rotation.IsDefined()) {
      if (YamlScalar(rotation) == "daily") {
        r_.rotation = Rotation::kDaily;
      } else if (YamlScalar(rotation) == "weekly") {
        r_.rotation = Rotation::kWeekly;
      } else {
        return ErrorAt(file_, rotation, fmt::format("rotation \"{}\" must be daily or weekly", YamlScalar(rotation)));
      }
    }
    SB_RETURN_IF_ERROR(ReadMembers(members));
    SB_RETURN_IF_ERROR(ReadTerms(terms));
    SB_RETURN_IF_ERROR(ReadHolidays(holidays));
    if (calendar.IsDefined()) {
      const std::string name = YamlScalar(calendar);
      if (name.empty()) return ErrorAt(file_, calendar, "holiday_calendar must name an .ics file");
      std::filesystem::path path(name);
      if (path.is_relative()) path = std::filesystem::path(file_).parent_path() / path;
      r_.holiday_calendar = path.lexically_normal().string();
      // A week past the last term: enough to end the last slots.
      HolidayCalendarReader reader(r_.holiday_calendar, NodeOrigin(file_, calendar), r_.terms.front().start_day,
                                   r_.terms.back().end_day + 7, &r_.holidays);
      SB_RETURN_IF_ERROR(reader.Read());
    }
    BuildSlots();
    changed_by_.assign(r_.slots.size(), "");
    SB_RETURN_IF_ERROR(ReadOverrides(overrides));
    return ReadSwaps(swaps);
  }

 private:
  Status CheckOnDutyName(const YAML::Node& node, const std::string& name, std::string_view where) const {
    if (!r_.leader.empty() && name == r_.leader) {
      return ErrorAt(file_, node,
                     fmt::format("{}: {} is the leader, who is never on duty (leave the leader out of terms and "
                                 "overrides)",
                                 where, name));
    }
    if (r_.FindMember(name) == nullptr) {
      return ErrorAt(file_, node, fmt::format("{}: unknown member \"{}\" (not listed in spec.members)", where, name));
    }
    return Status::OK();
  }

  Status ReadMembers(const YAML::Node& members) {
    if (!members.IsSequence() || members.size() == 0) {
      return ErrorAt(file_, members, "members must be a non-empty list of {name, email, phone}");
    }
    for (const YAML::Node& item : members) {
      Member m;
      m.origin = NodeOrigin(file_, item);
      // yaml-cpp's Node assignment writes into the node it refers to: keep
      // the name's node apart from `item` rather than reassigning.
      const YAML::Node name_node = item.IsMap() && item["name"].IsDefined() ? item["name"] : item;
      if (item.IsScalar()) {
        m.name = item.Scalar();
      } else {
        MapReader mr(item, file_, "member");
        m.name = mr.String("name", true).value_or("");
        m.email = mr.String("email").value_or("");
        m.phone = mr.String("phone").value_or("");
        SB_RETURN_IF_ERROR(mr.Finish());
      }
      if (Trim(m.name).empty()) return ErrorAt(file_, name_node, "a member needs a name");
      if (const Member* first = r_.FindMember(m.name); first != nullptr) {
        return ErrorAt(file_, name_node,
                       fmt::format("member \"{}\" is listed twice (first at {})", m.name, first->origin));
      }
      r_.members.push_back(std::move(m));
    }
    return Status::OK();
  }

  Status ReadTerms(const YAML::Node& terms) {
    if (!terms.IsSequence() || terms.size() == 0) {
      return ErrorAt(file_, terms, "terms must be a non-empty list of {name, start, end, members}");
    }
    for (const YAML::Node& item : terms) {
      MapReader tr(item, file_, "term");
      Term t;
      t.origin = NodeOrigin(file_, item);
      t.name = tr.String("name", true).value_or("");
      const YAML::Node start = tr.Require("start");
      const YAML::Node end = tr.Get("end");
      const YAML::Node list = tr.Require("members");
      SB_RETURN_IF_ERROR(tr.Finish());
      const std::string where = fmt::format("term {}", t.name);
      SB_ASSIGN_OR_RETURN(t.start_day, ReadDay(file_, start, where + " start"));
      if (end.IsDefined()) {
        SB_ASSIGN_OR_RETURN(t.end_day, ReadDay(file_, end, where + " end"));
        if (t.end_day < t.start_day) {
          return ErrorAt(
              file_, end,
              fmt::format("{} ends ({}) before it starts ({})", where, DayText(t.end_day), DayText(t.start_day)));
        }
      } else {
        t.end_day = DefaultTermEnd(t.start_day);
      }
      if (!list.IsSequence() || list.size() == 0) {
        return ErrorAt(file_, list, fmt::format("{}: members must be a non-empty list of member names", where));
      }
      for (const YAML::Node& m : list) {
        const std::string name = YamlScalar(m);
        SB_RETURN_IF_ERROR(CheckOnDutyName(m, name, where));
        if (std::find(t.members.begin(), t.members.end(), name) != t.members.end()) {
          return ErrorAt(file_, m, fmt::format("{}: member {} is listed twice", where, name));
        }
        t.members.push_back(name);
      }
      for (const Term& other : r_.terms) {
        if (other.name == t.name) {
          return ErrorAt(file_, item, fmt::format("a second term named {} (the first is at {})", t.name, other.origin));
        }
      }
      if (!r_.terms.empty()) {
        const Term& prev = r_.terms.back();
        if (t.start_day < prev.start_day) {
          return ErrorAt(
              file_, start,
              fmt::format("{} starts before term {} above it: list terms in order of start", where, prev.name));
        }
        if (t.start_day <= prev.end_day) {
          return ErrorAt(
              file_, start,
              fmt::format("{} ({}..{}) overlaps term {} ({}..{}, at {})", where, DayText(t.start_day),
                          DayText(t.end_day), prev.name, DayText(prev.start_day), DayText(prev.end_day), prev.origin));
        }
      }
      r_.terms.push_back(std::move(t));
      if (r_.terms.back().end_day - r_.terms.front().start_day + 1 > kMaxRosterSpanDays) {
        return Status::LimitExceeded(fmt::format("the terms span more than {} days", kMaxRosterSpanDays))
            .At(NodeLocation(file_, item));
      }
    }
    return Status::OK();
  }

  Status ReadHolidays(const YAML::Node& holidays) {
    if (!holidays.IsDefined() || holidays.IsNull()) return Status::OK();
    if (!holidays.IsSequence()) return ErrorAt(file_, holidays, "holidays must be a list of dates (2026-05-04)");
    for (const YAML::Node& h : holidays) {
      SB_ASSIGN_OR_RETURN(const std::int64_t day, ReadDay(file_, h, "holiday"));
      r_.holidays.insert(day);
    }
    return Status::OK();
  }

  // Slot starts per the rotation, then ends, then the fair queue.
  void BuildSlots() {
    std::vector<std::int64_t> starts;
    std::int64_t last_week = 0;
    for (std::int64_t d = r_.terms.front().start_day; d <= r_.terms.back().end_day; ++d) {
      if (!r_.IsWorkingDay(d) || r_.TermOn(d) == nullptr) continue;
      if (r_.rotation == Rotation::kWeekly) {
        if (!starts.empty() && WeekOf(d) == last_week) continue;
        last_week = WeekOf(d);
      }
      starts.push_back(d);
    }
    std::vector<std::string> queue;  // front: waited longest
    const Term* current = nullptr;
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const std::int64_t day = starts[i];
      const Term* term = r_.TermOn(day);
      // Held until the next slot, unless a working day before it has no term.
      bool gap = i + 1 == starts.size();
      for (std::int64_t u = day + 1; !gap && u < starts[i + 1]; ++u) {
        gap = r_.IsWorkingDay(u) && r_.TermOn(u) == nullptr;
      }
      const std::int64_t end_day = gap ? term->end_day + 1 : starts[i + 1];
      if (term != current) {
        std::erase_if(queue, [&](const std::string& m) {
          return std::find(term->members.begin(), term->members.end(), m) == term->members.end();
        });
        for (const std::string& m : term->members) {
          if (std::find(queue.begin(), queue.end(), m) == queue.end()) queue.push_back(m);
        }
        current = term;
      }
      DutySlot slot;
      slot.start = r_.HandoffAt(day);
      slot.end = r_.HandoffAt(end_day);
      slot.day = day;
      slot.assigned = queue.front();
      slot.member = slot.assigned;
      slot.term = term->name;
      slot.reason = "rotation";
      std::rotate(queue.begin(), queue.begin() + 1, queue.end());
      r_.slots.push_back(std::move(slot));
    }
  }

  // The slot a date names, or an error at `node`.
  Result<std::size_t> SlotFor(const YAML::Node& node, std::int64_t day, std::string_view what) const {
    if (r_.TermOn(day) == nullptr) {
      return ErrorAt(file_, node, fmt::format("{}: {} is not in any term", what, DayText(day)));
    }
    const auto& slots = r_.slots;
    if (r_.rotation == Rotation::kDaily) {
      if (!r_.IsWorkingDay(day)) {
        return ErrorAt(file_, node,
                       fmt::format("{}: {} is not a working day ({}); name the working day whose duty changes", what,
                                   DayText(day), Weekday(day) >= 5 ? "a weekend" : "a holiday"));
      }
      const auto it = std::lower_bound(slots.begin(), slots.end(), day,
                                       [](const DutySlot& s, std::int64_t d) { return s.day < d; });
      if (it != slots.end() && it->day == day) return static_cast<std::size_t>(it - slots.begin());
    } else {
      const auto it = std::lower_bound(slots.begin(), slots.end(), WeekOf(day),
                                       [](const DutySlot& s, std::int64_t w) { return WeekOf(s.day) < w; });
      if (it != slots.end() && WeekOf(it->day) == WeekOf(day)) return static_cast<std::size_t>(it - slots.begin());
    }
    return ErrorAt(file_, node, fmt::format("{}: no duty slot starts in the week of {}", what, DayText(day)));
  }

  Status Claim(const YAML::Node& node, std::size_t slot, std::string_view what) {
    if (!changed_by_[slot].empty()) {
      return ErrorAt(file_, node,
                     fmt::format("{}: the slot of {} is already changed at {} (one override or swap per slot)", what,
                                 DayText(r_.slots[slot].day), changed_by_[slot]));
    }
    changed_by_[slot] = NodeOrigin(file_, node);
    return Status::OK();
  }

  Status ReadOverrides(const YAML::Node& overrides) {
    if (!overrides.IsDefined() || overrides.IsNull()) return Status::OK();
    if (!overrides.IsSequence()) return ErrorAt(file_, overrides, "overrides must be a list of {date, member, reason}");
    for (const YAML::Node& item : overrides) {
      MapReader orr(item, file_, "override");
      Override o;
      o.origin = NodeOrigin(file_, item);
      const YAML::Node date = orr.Require("date");
      const YAML::Node member = orr.Require("member");
      o.member = orr.String("member", true).value_or("");
      o.reason = orr.String("reason").value_or("");
      SB_RETURN_IF_ERROR(orr.Finish());
      SB_ASSIGN_OR_RETURN(o.day, ReadDay(file_, date, "override date"));
      const std::string what = fmt::format("override on {}", DayText(o.day));
      SB_RETURN_IF_ERROR(CheckOnDutyName(member, o.member, what));
      SB_ASSIGN_OR_RETURN(const std::size_t index, SlotFor(date, o.day, what));
      DutySlot& slot = r_.slots[index];
      if (slot.assigned == o.member) {
        return ErrorAt(file_, member, fmt::format("{}: {} is on duty then already", what, o.member));
      }
      SB_RETURN_IF_ERROR(Claim(item, index, what));
      slot.member = o.member;
      slot.change = SlotChange::kOverride;
      slot.reason = o.reason.empty() ? "override" : "override: " + o.reason;
      r_.overrides.push_back(std::move(o));
    }
    return Status::OK();
  }

  Status ReadSwaps(const YAML::Node& swaps) {
    if (!swaps.IsDefined() || swaps.IsNull()) return Status::OK();
    if (!swaps.IsSequence()) return ErrorAt(file_, swaps, "swaps must be a list of {dates: [date, date], reason}");
    for (const YAML::Node& item : swaps) {
      MapReader sr(item, file_, "swap");
      Swap s;
      s.origin = NodeOrigin(file_, item);
      const YAML::Node dates = sr.Require("dates");
      s.reason = sr.String("reason").value_or("");
      SB_RETURN_IF_ERROR(sr.Finish());
      if (!dates.IsSequence() || dates.size() != 2) {
        return ErrorAt(file_, dates, "swap dates must be a list of two dates, one per slot: [2026-03-06, 2026-03-13]");
      }
      SB_ASSIGN_OR_RETURN(s.first_day, ReadDay(file_, dates[0], "swap date"));
      SB_ASSIGN_OR_RETURN(s.second_day, ReadDay(file_, dates[1], "swap date"));
      const std::string what = fmt::format("swap of {} and {}", DayText(s.first_day), DayText(s.second_day));
      SB_ASSIGN_OR_RETURN(const std::size_t a, SlotFor(dates[0], s.first_day, what));
      SB_ASSIGN_OR_RETURN(const std::size_t b, SlotFor(dates[1], s.second_day, what));
      if (a == b) return ErrorAt(file_, dates, fmt::format("{}: both dates name the same slot", what));
      DutySlot& first = r_.slots[a];
      DutySlot& second = r_.slots[b];
      if (first.assigned == second.assigned) {
        return ErrorAt(file_, dates, fmt::format("{}: {} holds both slots already", what, first.assigned));
      }
      SB_RETURN_IF_ERROR(Claim(dates[0], a, what));
      SB_RETURN_IF_ERROR(Claim(dates[1], b, what));
      const std::string suffix = s.reason.empty() ? "" : ": " + s.reason;
      first.member = second.assigned;
      second.member = first.assigned;
      first.change = second.change = SlotChange::kSwap;
      first.reason = fmt::format("swap with {}{}", DayText(second.day), suffix);
      second.reason = fmt::format("swap with {}{}", DayText(first.day), suffix);
      r_.swaps.push_back(std::move(s));
    }
    return Status::OK();
  }

  std::string file_;
  Roster& r_;
  std::vector<std::string> changed_by_;  // per slot: origin of the override or swap
};

std::string KindOf(const YAML::Node& doc) {
  try {
    if (!doc.IsMap()) return "";
    const YAML::Node& cdoc = doc;
    const YAML::Node kind = cdoc["kind"];
    return kind.IsDefined() ? YamlScalar(kind) : "";
  } catch (const YAML::Exception&) {
    return "";
  }
}

icaltimetype IcalUtc(TimePoint t) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(t), 0, icaltimezone_get_utc_timezone());
}

// "20260320T000000Z".
std::string CompactUtc(TimePoint t) {
  std::string s = FormatTime(t);  // 2026-03-20T00:00:00Z
  std::erase(s, '-');
  std::erase(s, ':');
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------

const Member* Roster::FindMember(std::string_view member_name) const {
  for (const Member& m : members) {
    if (m.name == member_name) return &m;
  }
  return nullptr;
}

const Term* Roster::TermOn(std::int64_t local_day) const {
  const auto it = std::upper_bound(terms.begin(), terms.end(), local_day,
                                   [](std::int64_t d, const Term& t) { return d < t.start_day; });
  if (it == terms.begin()) return nullptr;
  const Term& t = *(it - 1);
  return t.Covers(local_day) ? &t : nullptr;
}

std::int64_t Roster::LocalDay(TimePoint t) const { return FloorDiv(t + utc_offset, kDay); }

TimePoint Roster::HandoffAt(std::int64_t local_day) const { return local_day * kDay + handoff - utc_offset; }

bool Roster::IsWorkingDay(std::int64_t local_day) const {
  return Weekday(local_day) < 5 && holidays.count(local_day) == 0;
}

std::optional<DutySlot> Roster::Who(TimePoint at) const {
  auto it =
      std::upper_bound(slots.begin(), slots.end(), at, [](TimePoint t, const DutySlot& s) { return t < s.start; });
  if (it == slots.begin()) return std::nullopt;
  --it;
  if (at >= it->end) return std::nullopt;
  return *it;
}

std::vector<DutySlot> Roster::Schedule(TimePoint from, TimePoint to) const {
  std::vector<DutySlot> out;
  auto it =
      std::upper_bound(slots.begin(), slots.end(), from, [](TimePoint t, const DutySlot& s) { return t < s.end; });
  for (; it != slots.end() && it->start < to; ++it) out.push_back(*it);
  return out;
}

std::vector<Roster::FairnessRow> Roster::Fairness() const {
  std::vector<FairnessRow> out;
  for (const Term& term : terms) {
    std::vector<FairnessRow> rows;
    std::map<std::string, FairnessRow> others;
    for (const std::string& m : term.members) rows.push_back(FairnessRow{term.name, m});
    const auto row = [&](const std::string& m) -> FairnessRow& {
      for (FairnessRow& r : rows) {
        if (r.member == m) return r;
      }
      return others.try_emplace(m, FairnessRow{term.name, m}).first->second;
    };
    for (const DutySlot& s : slots) {
      if (s.term != term.name) continue;
      ++row(s.assigned).assigned;
      ++row(s.member).served;
      if (s.change == SlotChange::kOverride) {
        ++row(s.member).overrides_taken;
        ++row(s.assigned).given_away;
      }
    }
    out.insert(out.end(), rows.begin(), rows.end());
    for (auto& entry : others) out.push_back(entry.second);
  }
  return out;
}

std::string ToICalendar(const Roster& r, const std::vector<DutySlot>& slots, TimePoint stamp) {
  const std::unique_ptr<icalcomponent, IcalComponentFree> cal(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  icalcomponent_add_property(cal.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal.get(), icalproperty_new_prodid("-//secbudget//oncall//EN"));
  icalcomponent_add_property(cal.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(cal.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
  if (!r.name.empty()) {
    icalproperty* title = icalproperty_new_x(fmt::format("On call: {}", r.name).c_str());
    icalproperty_set_x_name(title, "X-WR-CALNAME");
    icalcomponent_add_property(cal.get(), title);
  }
  for (const DutySlot& s : slots) {
    if (s.member.empty()) continue;
    icalcomponent* ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    const std::string uid = fmt::format("{}-{}@secbudget", r.name, CompactUtc(s.start));
    icalcomponent_add_property(ev, icalproperty_new_uid(uid.c_str()));
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(IcalUtc(stamp != 0 ? stamp : s.start)));
    icalcomponent_add_property(ev, icalproperty_new_dtstart(IcalUtc(s.start)));
    icalcomponent_add_property(ev, icalproperty_new_dtend(IcalUtc(s.end)));
    icalcomponent_add_property(ev, icalproperty_new_summary(fmt::format("On duty: {}", s.member).c_str()));
    icalcomponent_add_property(ev, icalproperty_new_description(s.reason.c_str()));
    if (const Member* m = r.FindMember(s.member); m != nullptr && (!m->email.empty() || !m->phone.empty())) {
      std::string contact = m->name;
      if (!m->email.empty()) contact += " <" + m->email + ">";
      if (!m->phone.empty()) contact += " " + m->phone;
      icalcomponent_add_property(ev, icalproperty_new_contact(contact.c_str()));
    }
    icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
    icalcomponent_add_component(cal.get(), ev);  // owned by cal from here
  }
  char* text = icalcomponent_as_ical_string_r(cal.get());
  std::string out = text != nullptr ? text : "";
  icalmemory_free_buffer(text);
  return out;
}

Status RosterLoader::AddDocument(const std::string& kind, const YAML::Node& doc, const std::string& file) {
  if (roster_) {
    return ErrorAt(
        file, doc,
        fmt::format("a second OnCallRoster (the first is at {}): keep one per policy directory", roster_->origin));
  }
  SB_ASSIGN_OR_RETURN(PolicyEnvelope env, ReadPolicyEnvelope(doc, file, kind));
  Roster roster;
  RosterReader reader(file, &roster);
  SB_RETURN_IF_ERROR(reader.Read(env, doc));
  roster_ = std::move(roster);
  return Status::OK();
}

// Every check needs only the one document, so AddDocument made them all.
Status RosterLoader::Finish(PolicySet& /*set*/) { return Status::OK(); }

Status ParseHolidayCalendar(const std::string& text, const std::string& name, std::int64_t first_day,
                            std::int64_t last_day, std::set<std::int64_t>* out) {
  return HolidayCalendarReader(name, name, first_day, last_day, out).Parse(text);
}

Result<Roster> ParseRoster(const std::string& yaml_text, const std::string& file) {
  SB_ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, ParseYamlDocuments(yaml_text, file));
  RosterLoader loader;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;
    if (const std::string kind = KindOf(doc); kind != "OnCallRoster") {
      return ErrorAt(file, doc, fmt::format("expected kind OnCallRoster, not \"{}\"", kind));
    }
    SB_RETURN_IF_ERROR(loader.AddDocument("OnCallRoster", doc, file));
  }
  PolicySet unused;
  SB_RETURN_IF_ERROR(loader.Finish(unused));
  if (!loader.roster()) return Status::SchemaError("no OnCallRoster document").WithFile(file);
  return *loader.roster();
}

}  // namespace secbudget::incident
