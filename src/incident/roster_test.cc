// The on-call roster: handoffs across weekends and holidays, the fair queue
// across terms, overrides and swaps, the iCalendar export, and file:line
// errors.
#include "incident/roster.h"

#include <gtest/gtest.h>
#include <libical/ical.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <memory>

#include "test_util.h"

namespace secbudget::incident {
namespace {

using testing::TempDir;

// Two half-year terms in Tokyo time. Without holidays the rotation runs
// alice, bob, carol from Thursday 2026-01-01: 2026-03-06 bob, 2026-03-13
// alice, 2026-03-19 bob, 2026-03-20 carol, 2026-03-23 alice, 2026-06-30
// carol (the queue then holds alice, bob, carol).
constexpr const char* kRoster = R"(apiVersion: secbudget.dev/v1
kind: OnCallRoster
metadata: {name: security-committee}
spec:
  leader: lee
  utc_offset: "+09:00"
  handoff: "09:00"
  rotation: daily
  members:
    - {name: lee, email: lee@example.com}
    - {name: alice, email: alice@example.com, phone: "+81 3 0000 0001"}
    - {name: bob}
    - carol
    - dave
    - erin
  terms:
    - name: 2026-H1
      start: 2026-01-01
      members: [alice, bob, carol]
    - name: 2026-H2
      start: 2026-07-01
      members: [dave, carol, bob, erin]
)";

TimePoint At(std::string_view text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

std::int64_t Day(std::string_view date) { return At(date) / kDay; }

std::string WhoAt(const Roster& r, std::string_view time) {
  const auto slot = r.Who(At(time));
  return slot ? slot->member : "<nobody>";
}

// The 1-based line of the first line containing `needle`.
std::uint64_t LineOf(const std::string& text, std::string_view needle) {
  const std::size_t pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << needle;
  return 1 +
         static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const std::size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// Expects ParseRoster to fail at the line holding `needle` with a message
// containing `words`.
void ExpectErrorAt(const std::string& text, std::string_view needle, std::string_view words) {
  const auto r = ParseRoster(text, "policy/roster.yaml");
  ASSERT_FALSE(r.ok()) << "accepted; expected an error at " << needle;
  EXPECT_EQ(r.status().code(), StatusCode::kSchemaError) << r.status().ToString();
  EXPECT_EQ(r.status().location().file, "policy/roster.yaml");
  EXPECT_EQ(r.status().location().line, LineOf(text, needle)) << r.status().ToString();
  EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().ToString();
}

std::string FixturePath() { return testing::SourceDir() + "/tests/data/incident/holidays.ics"; }

struct IcalFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using IcalPtr = std::unique_ptr<icalcomponent, IcalFree>;

TEST(RosterDailyTest, FridayHoldsTheWeekendUntilMondayHandoff) {
  auto r = ParseRoster(kRoster, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(WhoAt(*r, "2026-01-01T09:00:00+09:00"), "alice");
  EXPECT_EQ(WhoAt(*r, "2026-01-02T09:00:00+09:00"), "bob");
  EXPECT_EQ(WhoAt(*r, "2026-01-05T09:00:00+09:00"), "carol");

  EXPECT_EQ(WhoAt(*r, "2026-03-20T08:59:59+09:00"), "bob");  // still Thursday's slot
  EXPECT_EQ(WhoAt(*r, "2026-03-20T09:00:00+09:00"), "carol");
  EXPECT_EQ(WhoAt(*r, "2026-03-21T12:00:00+09:00"), "carol");  // Saturday noon
  EXPECT_EQ(WhoAt(*r, "2026-03-22T23:00:00+09:00"), "carol");
  EXPECT_EQ(WhoAt(*r, "2026-03-23T08:59:00+09:00"), "carol");  // Monday before handoff
  EXPECT_EQ(WhoAt(*r, "2026-03-23T09:00:00+09:00"), "alice");

  const auto friday = r->Who(At("2026-03-21T12:00:00+09:00"));
  ASSERT_TRUE(friday);
  EXPECT_EQ(friday->start, At("2026-03-20T09:00:00+09:00"));
  EXPECT_EQ(friday->end, At("2026-03-23T09:00:00+09:00"));
  EXPECT_EQ(friday->day, Day("2026-03-20"));
  EXPECT_EQ(friday->assigned, "carol");
  EXPECT_EQ(friday->term, "2026-H1");
  EXPECT_EQ(friday->reason, "rotation");
  EXPECT_EQ(friday->change, SlotChange::kRotation);

  EXPECT_TRUE(r->IsWorkingDay(Day("2026-03-20")));
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-03-21")));
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-03-22")));
  EXPECT_EQ(r->LocalDay(At("2026-03-20T23:30:00Z")), Day("2026-03-21"));  // 08:30 Saturday in Tokyo
}

TEST(RosterDailyTest, ScheduleListsTheSlotsOverlappingARange) {
  auto r = ParseRoster(kRoster, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Saturday noon to Tuesday noon: Friday's, Monday's and Tuesday's slots.
  const auto slots = r->Schedule(At("2026-03-21T12:00:00+09:00"), At("2026-03-24T12:00:00+09:00"));
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[0].member, "carol");
  EXPECT_EQ(slots[1].member, "alice");
  EXPECT_EQ(slots[2].member, "bob");
  for (std::size_t i = 1; i < slots.size(); ++i) EXPECT_EQ(slots[i - 1].end, slots[i].start);
  // The range end is exclusive; an empty range has no slot.
  EXPECT_EQ(r->Schedule(At("2026-03-20T00:00:00Z"), At("2026-03-20T00:00:00Z")).size(), 0u);
  EXPECT_EQ(r->Schedule(At("2026-03-19T12:00:00Z"), At("2026-03-20T00:00:00Z")).size(), 1u);
  EXPECT_EQ(r->Schedule(At("2026-03-19T12:00:00Z"), At("2026-03-20T00:00:01Z")).size(), 2u);
}

TEST(RosterHolidayTest, InlineMondayHolidayExtendsFridayToTuesday) {
  auto r = ParseRoster(std::string(kRoster) + "  holidays: [2026-05-04]\n", "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-05-04")));
  const std::string friday = WhoAt(*r, "2026-05-01T09:00:00+09:00");
  EXPECT_EQ(friday, "carol");
  EXPECT_EQ(WhoAt(*r, "2026-05-04T12:00:00+09:00"), friday);
  EXPECT_EQ(WhoAt(*r, "2026-05-05T08:59:59+09:00"), friday);
  // Monday's turn is not lost: it moves to Tuesday.
  EXPECT_EQ(WhoAt(*r, "2026-05-05T09:00:00+09:00"), "alice");
  const auto slot = r->Who(At("2026-05-04T12:00:00+09:00"));
  ASSERT_TRUE(slot);
  EXPECT_EQ(slot->end, At("2026-05-05T09:00:00+09:00"));
}

TEST(RosterHolidayTest, CalendarRulesRepeatAcrossTwoYears) {
  const std::string text = std::string(kRoster) +
                           "    - {name: 2027-H1, start: 2027-01-01, members: [dave, carol, bob, erin]}\n"
                           "    - {name: 2027-H2, start: 2027-07-01, members: [dave, carol, bob, erin]}\n"
                           "  holiday_calendar: " +
                           FixturePath() + "\n";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->holiday_calendar, FixturePath());
  EXPECT_EQ(r->terms.back().end_day, Day("2027-12-31"));

  // Second Monday of January (RRULE FREQ=YEARLY;BYDAY=2MO), both years:
  // Friday's slot runs to Tuesday's handoff.
  for (const auto& [friday, monday, tuesday] : {std::array<const char*, 3>{"2026-01-09", "2026-01-12", "2026-01-13"},
                                                std::array<const char*, 3>{"2027-01-08", "2027-01-11", "2027-01-12"}}) {
    EXPECT_FALSE(r->IsWorkingDay(Day(monday))) << monday;
    const auto slot = r->Who(At(std::string(monday) + "T12:00:00+09:00"));
    ASSERT_TRUE(slot) << monday;
    EXPECT_EQ(slot->day, Day(friday)) << monday;
    EXPECT_EQ(slot->end, At(std::string(tuesday) + "T09:00:00+09:00")) << monday;
  }
  // New Year (two days, DTEND exclusive, yearly): the first slot is Monday
  // 2026-01-05.
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-01-01")));
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-01-02")));
  EXPECT_TRUE(r->IsWorkingDay(Day("2026-01-05")));
  EXPECT_FALSE(r->IsWorkingDay(Day("2027-01-01")));
  ASSERT_FALSE(r->slots.empty());
  EXPECT_EQ(r->slots.front().day, Day("2026-01-05"));
  EXPECT_EQ(WhoAt(*r, "2026-01-04T12:00:00+09:00"), "<nobody>");
  // Labour Day 2026 is a holiday; 2027's is excluded by EXDATE.
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-09-07")));
  EXPECT_TRUE(r->IsWorkingDay(Day("2027-09-06")));
  // The year-end closure (29 to 31 December) runs into the next term: Monday
  // 28 December's holder keeps duty until Monday 4 January.
  for (const char* d : {"2026-12-29", "2026-12-30", "2026-12-31"}) EXPECT_FALSE(r->IsWorkingDay(Day(d))) << d;
  const auto closure = r->Who(At("2026-12-31T12:00:00+09:00"));
  ASSERT_TRUE(closure);
  EXPECT_EQ(closure->day, Day("2026-12-28"));
  EXPECT_EQ(closure->term, "2026-H2");
  EXPECT_EQ(closure->end, At("2027-01-04T09:00:00+09:00"));
  // A cancelled event is no holiday.
  EXPECT_TRUE(r->IsWorkingDay(Day("2026-03-02")));
}

TEST(RosterHolidayTest, CalendarPathIsRelativeToTheRosterFile) {
  TempDir dir;
  dir.Write("policy/cal/extra.ics",
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:a\nDTSTAMP:20250101T000000Z\n"
            "DTSTART;VALUE=DATE:20260504\nSUMMARY:Greenery Day\nEND:VEVENT\nEND:VCALENDAR\n");
  const std::string text = std::string(kRoster) + "  holiday_calendar: cal/extra.ics\n";
  auto r = ParseRoster(text, dir.File("policy/roster.yaml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->IsWorkingDay(Day("2026-05-04")));
  EXPECT_TRUE(r->IsWorkingDay(Day("2026-05-05")));
}

TEST(RosterHolidayTest, BadCalendarIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string text = std::string(kRoster) + "  holiday_calendar: holidays.ics\n";
  const std::string roster_file = dir.File("roster.yaml");
  const std::string named_at = "roster.yaml:" + std::to_string(LineOf(text, "holiday_calendar"));
  const auto expect_error = [&](const std::string& ics, std::string_view words) {
    const std::string path = dir.Write("holidays.ics", ics);
    const auto r = ParseRoster(text, roster_file);
    ASSERT_FALSE(r.ok()) << ics;
    EXPECT_EQ(r.status().location().file, path) << r.status().ToString();
    EXPECT_NE(r.status().message().find(named_at), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().ToString();
  };
  expect_error("this is not a calendar\n", "not an iCalendar file");
  expect_error("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260504\n", "not an iCalendar file");  // truncated
  expect_error("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Meeting\nDTSTART:20260504T100000Z\nEND:VEVENT\nEND:VCALENDAR\n",
               "all-day");
  expect_error(
      "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260504\nRRULE:FREQ=SOMETIMES\nEND:VEVENT\nEND:VCALENDAR\n",
      "RRULE");
  expect_error("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:No start\nEND:VEVENT\nEND:VCALENDAR\n", "no DTSTART");

  std::filesystem::remove(dir.File("holidays.ics"));
  const auto missing = ParseRoster(text, roster_file);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_EQ(missing.status().location().file, dir.File("holidays.ics")) << missing.status().ToString();
}

TEST(RosterTermTest, HalfYearBoundaryHandsOverToTheNewCommittee) {
  auto r = ParseRoster(kRoster, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->terms.size(), 2u);
  EXPECT_EQ(r->terms[0].end_day, Day("2026-06-30"));  // default: half a year
  EXPECT_EQ(r->terms[1].end_day, Day("2026-12-31"));
  EXPECT_EQ(r->TermOn(Day("2026-06-30"))->name, "2026-H1");
  EXPECT_EQ(r->TermOn(Day("2026-07-01"))->name, "2026-H2");
  EXPECT_EQ(r->TermOn(Day("2027-01-01")), nullptr);

  const auto last_h1 = r->Who(At("2026-06-30T12:00:00+09:00"));
  ASSERT_TRUE(last_h1);
  EXPECT_EQ(last_h1->term, "2026-H1");
  EXPECT_EQ(last_h1->member, "carol");
  EXPECT_EQ(WhoAt(*r, "2026-07-01T08:59:59+09:00"), "carol");
  // Carried over: bob and carol keep their queue order (bob waited longer),
  // whatever order H2 lists them in; alice leaves; dave and erin join at the
  // back in listed order.
  const std::vector<std::string> expected = {"bob", "carol", "dave", "erin", "bob", "carol"};
  const auto h2 = r->Schedule(At("2026-07-01T09:00:00+09:00"), At("2026-07-09T09:00:00+09:00"));
  ASSERT_EQ(h2.size(), expected.size());
  for (std::size_t i = 0; i < h2.size(); ++i) {
    EXPECT_EQ(h2[i].member, expected[i]) << i;
    EXPECT_EQ(h2[i].term, "2026-H2");
  }
  for (const DutySlot& s : r->slots) {
    if (s.term == "2026-H2") {
      EXPECT_NE(s.member, "alice");
    } else {
      EXPECT_TRUE(s.member != "dave" && s.member != "erin");
    }
  }
  // After the last term nobody is on duty: Thursday 31 December's slot ends
  // at the next day's handoff.
  EXPECT_EQ(r->slots.back().day, Day("2026-12-31"));
  EXPECT_EQ(r->slots.back().end, At("2027-01-01T09:00:00+09:00"));
  EXPECT_EQ(WhoAt(*r, "2027-01-01T09:00:00+09:00"), "<nobody>");
  EXPECT_EQ(WhoAt(*r, "2025-12-31T12:00:00+09:00"), "<nobody>");
}

TEST(RosterTermTest, UncoveredWorkingDaysBetweenTermsHaveNoDuty) {
  const std::string text = Replace(kRoster, "start: 2026-07-01", "start: 2026-07-06");  // a Monday
  std::string with_end = Replace(text, "start: 2026-01-01\n", "start: 2026-01-01\n      end: 2026-07-01\n");
  auto r = ParseRoster(with_end, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // H1 ends Wednesday 1 July; Thursday and Friday are in no term.
  const auto last = r->Who(At("2026-07-01T12:00:00+09:00"));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->end, At("2026-07-02T09:00:00+09:00"));
  EXPECT_EQ(WhoAt(*r, "2026-07-03T12:00:00+09:00"), "<nobody>");
  EXPECT_EQ(WhoAt(*r, "2026-07-06T09:00:00+09:00"), "bob");
}

TEST(RosterLeaderTest, LeaderIsNeverOnDuty) {
  const std::string text = std::string(kRoster) +
                           "  overrides:\n    - {date: 2026-03-20, member: dave}\n"
                           "  swaps:\n    - {dates: [2026-03-06, 2026-03-13]}\n";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->leader, "lee");
  ASSERT_NE(r->FindMember("lee"), nullptr);  // listed for contact details only
  for (TimePoint t = At("2026-01-01T00:00:00Z"); t < At("2027-01-02T00:00:00Z"); t += 3 * kHour) {
    const auto slot = r->Who(t);
    if (slot) {
      EXPECT_NE(slot->member, "lee") << FormatTime(t);
    }
  }
  const auto year = r->Schedule(At("2026-01-01T00:00:00Z"), At("2027-01-02T00:00:00Z"));
  EXPECT_EQ(year.size(), r->slots.size());
  EXPECT_GT(year.size(), 250u);
  for (const DutySlot& s : year) {
    EXPECT_NE(s.member, "lee");
    EXPECT_NE(s.assigned, "lee");
  }
  for (const auto& row : r->Fairness()) EXPECT_NE(row.member, "lee");
}

TEST(RosterLeaderTest, LeaderInATermOrAnOverrideIsRejected) {
  ExpectErrorAt(Replace(kRoster, "members: [alice, bob, carol]", "members: [alice, lee, carol]"),
                "members: [alice, lee", "lee is the leader");
  ExpectErrorAt(std::string(kRoster) + "  overrides:\n    - {date: 2026-03-20, member: lee, reason: covering}\n",
                "member: lee", "lee is the leader");
}

TEST(RosterSwapTest, SwapExchangesBothSlotsAndKeepsTheRotation) {
  auto base = ParseRoster(kRoster, "roster.yaml");
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  const std::string text =
      std::string(kRoster) + "  swaps:\n    - {dates: [2026-03-06, 2026-03-13], reason: \"bob travels\"}\n";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  const auto first = r->Who(At("2026-03-07T12:00:00+09:00"));  // Saturday: still Friday 6 March's slot
  const auto second = r->Who(At("2026-03-13T12:00:00+09:00"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->assigned, "bob");
  EXPECT_EQ(first->member, "alice");
  EXPECT_EQ(second->assigned, "alice");
  EXPECT_EQ(second->member, "bob");
  EXPECT_EQ(first->change, SlotChange::kSwap);
  EXPECT_EQ(first->reason, "swap with 2026-03-13: bob travels");
  EXPECT_EQ(second->reason, "swap with 2026-03-06: bob travels");
  ASSERT_EQ(r->swaps.size(), 1u);
  EXPECT_EQ(r->swaps[0].origin, "roster.yaml:" + std::to_string(LineOf(text, "- {dates:")));

  // Every other slot, before and after, is the rotation's.
  ASSERT_EQ(r->slots.size(), base->slots.size());
  for (std::size_t i = 0; i < r->slots.size(); ++i) {
    EXPECT_EQ(r->slots[i].assigned, base->slots[i].assigned) << i;
    if (r->slots[i].day != Day("2026-03-06") && r->slots[i].day != Day("2026-03-13")) {
      EXPECT_EQ(r->slots[i].member, base->slots[i].member) << i;
    }
  }
  EXPECT_EQ(WhoAt(*r, "2026-03-16T09:00:00+09:00"), WhoAt(*base, "2026-03-16T09:00:00+09:00"));
}

TEST(RosterSwapTest, BadSwapsAreRejected) {
  ExpectErrorAt(std::string(kRoster) + "  swaps:\n    - {dates: [2026-03-07, 2026-03-13]}\n", "[2026-03-07",
                "not a working day");
  ExpectErrorAt(std::string(kRoster) + "  swaps:\n    - {dates: [2026-03-06]}\n", "[2026-03-06]", "two dates");
  ExpectErrorAt(std::string(kRoster) + "  swaps:\n    - {dates: [2026-03-06, 2026-03-06]}\n", "[2026-03-06",
                "same slot");
  // 2026-03-06 (bob) and 2026-03-11 (bob): nothing to exchange.
  ExpectErrorAt(std::string(kRoster) + "  swaps:\n    - {dates: [2026-03-06, 2026-03-11]}\n", "[2026-03-06",
                "holds both slots");
  ExpectErrorAt(std::string(kRoster) +
                    "  overrides:\n    - {date: 2026-03-13, member: dave}\n"
                    "  swaps:\n    - {dates: [2026-03-06, 2026-03-13]}\n",
                "[2026-03-06", "already changed");
}

TEST(RosterOverrideTest, OverrideTakesOneWorkingDay) {
  auto base = ParseRoster(kRoster, "roster.yaml");
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  const std::string text = std::string(kRoster) +
                           "  overrides:\n    - {date: 2026-03-20, member: dave, reason: \"carol at a conference\"}\n";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto slot = r->Who(At("2026-03-21T12:00:00+09:00"));
  ASSERT_TRUE(slot);
  EXPECT_EQ(slot->member, "dave");
  EXPECT_EQ(slot->assigned, "carol");
  EXPECT_EQ(slot->change, SlotChange::kOverride);
  EXPECT_EQ(slot->reason, "override: carol at a conference");
  EXPECT_EQ(slot->start, At("2026-03-20T09:00:00+09:00"));
  EXPECT_EQ(slot->end, At("2026-03-23T09:00:00+09:00"));
  // Only that slot changes; the queue goes on as if carol had served.
  EXPECT_EQ(WhoAt(*r, "2026-03-20T08:59:00+09:00"), "bob");
  EXPECT_EQ(WhoAt(*r, "2026-03-23T09:00:00+09:00"), "alice");
  for (std::size_t i = 0; i < r->slots.size(); ++i) {
    EXPECT_EQ(r->slots[i].assigned, base->slots[i].assigned) << i;
  }
}

TEST(RosterOverrideTest, OverrideDatesMustNameASlot) {
  ExpectErrorAt(std::string(kRoster) + "  overrides:\n    - {date: 2026-03-21, member: dave}\n", "date: 2026-03-21",
                "a weekend");
  ExpectErrorAt(
      std::string(kRoster) + "  holidays: [2026-05-04]\n  overrides:\n    - {date: 2026-05-04, member: dave}\n",
      "date: 2026-05-04", "a holiday");
  ExpectErrorAt(std::string(kRoster) + "  overrides:\n    - {date: 2027-03-01, member: dave}\n", "date: 2027-03-01",
                "not in any term");
  ExpectErrorAt(std::string(kRoster) + "  overrides:\n    - {date: 2026-03-20, member: carol}\n", "member: carol",
                "on duty then already");
  ExpectErrorAt(std::string(kRoster) + "  overrides:\n    - {date: 2026-03-20, member: zed}\n", "member: zed",
                "unknown member \"zed\"");
  ExpectErrorAt(std::string(kRoster) +
                    "  overrides:\n    - {date: 2026-03-20, member: dave}\n    - {date: 2026-03-20, member: erin}\n",
                "member: erin", "already changed");
}

TEST(RosterWeeklyTest, OneMemberPerWorkingWeek) {
  const std::string text = R"(apiVersion: secbudget.dev/v1
kind: OnCallRoster
metadata: {name: weekly}
spec:
  rotation: weekly
  members: [alice, bob, carol, dave]
  terms:
    - {name: H1, start: 2026-01-01, members: [alice, bob, carol]}
  holidays: [2026-05-04]
  overrides:
    - {date: 2026-05-07, member: dave, reason: cover}
)";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->utc_offset, 0);
  EXPECT_EQ(r->handoff, 9 * kHour);
  // Thursday 1 January starts the first week's slot; each Monday the next.
  EXPECT_EQ(WhoAt(*r, "2026-01-01T09:00:00Z"), "alice");
  EXPECT_EQ(WhoAt(*r, "2026-01-05T08:59:59Z"), "alice");
  EXPECT_EQ(WhoAt(*r, "2026-01-05T09:00:00Z"), "bob");
  EXPECT_EQ(WhoAt(*r, "2026-01-09T17:00:00Z"), "bob");
  EXPECT_EQ(WhoAt(*r, "2026-01-12T08:59:59Z"), "bob");
  EXPECT_EQ(WhoAt(*r, "2026-01-12T09:00:00Z"), "carol");
  const auto week = r->Who(At("2026-01-07T12:00:00Z"));
  ASSERT_TRUE(week);
  EXPECT_EQ(week->start, At("2026-01-05T09:00:00Z"));
  EXPECT_EQ(week->end, At("2026-01-12T09:00:00Z"));
  // 27 Monday-to-Sunday weeks touch the term; the last slot ends with it.
  EXPECT_EQ(r->slots.size(), 27u);
  EXPECT_EQ(r->slots.back().end, At("2026-07-01T09:00:00Z"));
  // A Monday holiday: the week starts on Tuesday, and the week before lasts
  // until then.
  const auto before = r->Who(At("2026-05-04T12:00:00Z"));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->day, Day("2026-04-27"));
  EXPECT_EQ(before->end, At("2026-05-05T09:00:00Z"));
  // The override names any day of the week: Thursday changes the whole week.
  const auto covered = r->Who(At("2026-05-05T09:00:00Z"));
  ASSERT_TRUE(covered);
  EXPECT_EQ(covered->day, Day("2026-05-05"));
  EXPECT_EQ(covered->member, "dave");
  EXPECT_EQ(covered->reason, "override: cover");
  EXPECT_EQ(covered->end, At("2026-05-11T09:00:00Z"));
  // In weekly rotation an override may name a weekend day of the week.
  EXPECT_TRUE(ParseRoster(Replace(text, "date: 2026-05-07", "date: 2026-05-09"), "roster.yaml").ok());
}

TEST(RosterTimeZoneTest, HandoffIsInTheRostersLocalTime) {
  const std::string text = R"(apiVersion: secbudget.dev/v1
kind: OnCallRoster
metadata: {name: nyc}
spec:
  utc_offset: "-05:00"
  handoff: "08:30"
  members: [alice, bob]
  terms:
    - {name: march, start: 2026-03-02, end: 2026-03-31, members: [alice, bob]}
)";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->utc_offset, -5 * kHour);
  EXPECT_EQ(r->HandoffAt(Day("2026-03-02")), At("2026-03-02T13:30:00Z"));
  EXPECT_EQ(WhoAt(*r, "2026-03-02T13:29:59Z"), "<nobody>");
  EXPECT_EQ(WhoAt(*r, "2026-03-02T13:30:00Z"), "alice");
  // 02:00 UTC on Tuesday is still Monday evening in New York.
  EXPECT_EQ(r->LocalDay(At("2026-03-03T02:00:00Z")), Day("2026-03-02"));
  EXPECT_EQ(WhoAt(*r, "2026-03-03T13:29:59Z"), "alice");
  EXPECT_EQ(WhoAt(*r, "2026-03-03T13:30:00Z"), "bob");
  // Friday 6 March's holder keeps the weekend, to Monday 08:30 local.
  EXPECT_EQ(WhoAt(*r, "2026-03-09T13:29:59Z"), "alice");
  // Tuesday 31 March's slot ends at Wednesday's handoff: the term is over.
  EXPECT_EQ(r->slots.back().end, At("2026-04-01T13:30:00Z"));
  EXPECT_EQ(WhoAt(*r, "2026-04-01T13:30:00Z"), "<nobody>");
}

TEST(RosterFairnessTest, CountsPerTermAreEqualWithinOne) {
  const std::string text = std::string(kRoster) +
                           "  holidays: [2026-05-04, 2026-05-05, 2026-05-06]\n"
                           "  overrides:\n    - {date: 2026-03-20, member: dave, reason: conference}\n"
                           "  swaps:\n    - {dates: [2026-03-06, 2026-03-13]}\n";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto rows = r->Fairness();
  std::map<std::string, std::map<std::string, Roster::FairnessRow>> by_term;
  std::vector<std::string> h1_order;
  for (const auto& row : rows) {
    by_term[row.term][row.member] = row;
    if (row.term == "2026-H1") h1_order.push_back(row.member);
  }
  // Listed members first, then others who served in the term.
  EXPECT_EQ(h1_order, (std::vector<std::string>{"alice", "bob", "carol", "dave"}));
  EXPECT_EQ(by_term["2026-H2"].size(), 4u);

  for (const auto& [term, members] : by_term) {
    std::size_t slots = 0;
    for (const DutySlot& s : r->slots) slots += s.term == term ? 1 : 0;
    int lo = 1 << 30, hi = 0, assigned = 0, served = 0;
    for (const auto& [name, row] : members) {
      assigned += row.assigned;
      served += row.served;
      if (name == "dave" && term == "2026-H1") continue;  // not in the committee
      lo = std::min(lo, row.assigned);
      hi = std::max(hi, row.assigned);
    }
    EXPECT_EQ(static_cast<std::size_t>(assigned), slots) << term;
    EXPECT_EQ(static_cast<std::size_t>(served), slots) << term;
    EXPECT_LE(hi - lo, 1) << term;
    EXPECT_GT(lo, 30) << term;
  }
  const auto& h1 = by_term["2026-H1"];
  EXPECT_EQ(h1.at("dave").assigned, 0);
  EXPECT_EQ(h1.at("dave").served, 1);
  EXPECT_EQ(h1.at("dave").overrides_taken, 1);
  EXPECT_EQ(h1.at("carol").given_away, 1);
  EXPECT_EQ(h1.at("carol").served, h1.at("carol").assigned - 1);
  // A swap is an exchange: alice and bob serve what they were assigned.
  EXPECT_EQ(h1.at("alice").served, h1.at("alice").assigned);
  EXPECT_EQ(h1.at("bob").served, h1.at("bob").assigned);
  EXPECT_EQ(h1.at("alice").given_away, 0);
}

TEST(RosterICalendarTest, ExportParsesBackWithLibical) {
  const std::string text =
      std::string(kRoster) +
      "  overrides:\n    - {date: 2026-03-20, member: dave, reason: \"carol, at a conference; back on Monday, "
      "with a reason long enough to need folding at seventy-five octets\"}\n";
  auto r = ParseRoster(text, "roster.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto slots = r->Schedule(At("2026-03-01T00:00:00+09:00"), At("2026-04-01T00:00:00+09:00"));
  ASSERT_EQ(slots.size(), 23u);  // Friday 27 February's slot, then 22 working days
  const std::string ics = ToICalendar(*r, slots);
  EXPECT_EQ(ics, ToICalendar(*r, slots));  // reproducible
  EXPECT_NE(ics.find("PRODID:-//secbudget//oncall//EN\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTART:20260320T000000Z\r\n"), std::string::npos);
  EXPECT_NE(ics.find("UID:security-committee-20260320T000000Z@secbudget\r\n"), std::string::npos);
  EXPECT_NE(ics.find("carol\\, at a conference\\; back"), std::string::npos);  // escaped
  std::size_t start = 0;
  while (start < ics.size()) {
    const std::size_t end = ics.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "every line ends with CRLF";
    EXPECT_LE(end - start, 75u) << ics.substr(start, end - start);
    start = end + 2;
  }

  const IcalPtr cal(icalparser_parse_string(ics.c_str()));
  ASSERT_NE(cal, nullptr);
  EXPECT_EQ(icalcomponent_count_errors(cal.get()), 0);
  std::vector<icalcomponent*> events;
  for (icalcomponent* ev = icalcomponent_get_first_component(cal.get(), ICAL_VEVENT_COMPONENT); ev != nullptr;
       ev = icalcomponent_get_next_component(cal.get(), ICAL_VEVENT_COMPONENT)) {
    events.push_back(ev);
  }
  ASSERT_EQ(events.size(), slots.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const icaltimetype dtstart = icalcomponent_get_dtstart(events[i]);
    EXPECT_TRUE(icaltime_is_utc(dtstart));
    EXPECT_EQ(static_cast<TimePoint>(icaltime_as_timet(dtstart)), slots[i].start) << i;
    EXPECT_EQ(static_cast<TimePoint>(icaltime_as_timet(icalcomponent_get_dtend(events[i]))), slots[i].end) << i;
    EXPECT_EQ(std::string(icalcomponent_get_summary(events[i])), "On duty: " + slots[i].member) << i;
    EXPECT_EQ(std::string(icalcomponent_get_description(events[i])), slots[i].reason) << i;
  }
  EXPECT_EQ(std::string(icalcomponent_get_summary(events[0])), "On duty: " + slots[0].member);
  EXPECT_EQ(slots[0].day, Day("2026-02-27"));
  const auto dave = std::find_if(slots.begin(), slots.end(), [](const DutySlot& s) { return s.member == "dave"; });
  ASSERT_NE(dave, slots.end());
  EXPECT_EQ(dave->reason,
            "override: carol, at a conference; back on Monday, with a reason long enough to need folding at "
            "seventy-five octets");
  // A fixed DTSTAMP when the caller gives one.
  EXPECT_NE(ToICalendar(*r, slots, At("2026-02-01T00:00:00Z")).find("DTSTAMP:20260201T000000Z"), std::string::npos);
}

TEST(RosterLintTest, UnknownMembersAndOverlappingTermsNameTheLine) {
  ExpectErrorAt(Replace(kRoster, "members: [alice, bob, carol]", "members: [alice, bob, zed]"),
                "members: [alice, bob, zed]", "unknown member \"zed\"");
  ExpectErrorAt(Replace(kRoster, "start: 2026-07-01", "start: 2026-06-15"), "start: 2026-06-15",
                "overlaps term 2026-H1");
}

TEST(RosterLintTest, OtherMistakesNameTheLine) {
  ExpectErrorAt(Replace(kRoster, "    - dave\n", "    - dave\n    - {name: bob, email: b@example.com}\n"),
                "{name: bob, email: b@", "listed twice");
  ExpectErrorAt(Replace(kRoster, "start: 2026-07-01\n", "start: 2026-07-01\n      end: 2026-06-30\n"),
                "end: 2026-06-30", "before it starts");
  ExpectErrorAt(Replace(kRoster, "utc_offset: \"+09:00\"", "utc_offset: \"+9\""), "utc_offset", "utc_offset");
  ExpectErrorAt(Replace(kRoster, "utc_offset: \"+09:00\"", "utc_offset: \"+15:00\""), "utc_offset", "at most 14:00");
  ExpectErrorAt(Replace(kRoster, "handoff: \"09:00\"", "handoff: \"25:00\""), "handoff", "HH:MM");
  ExpectErrorAt(Replace(kRoster, "rotation: daily", "rotation: hourly"), "rotation", "daily or weekly");
  ExpectErrorAt(Replace(kRoster, "start: 2026-07-01", "start: 2026-02-30"), "start: 2026-02-30", "not a date");
  ExpectErrorAt(Replace(kRoster, "[dave, carol, bob, erin]", "[dave, carol, dave]"), "[dave, carol, dave]",
                "listed twice");
  ExpectErrorAt(std::string(kRoster) + "    - {name: 2026-H1, start: 2027-01-01, members: [bob]}\n",
                "{name: 2026-H1, start: 2027", "a second term named 2026-H1");
  ExpectErrorAt(std::string(kRoster) + "  holidays: [2026-05-04, tomorrow]\n", "holidays:", "not a date");
  ExpectErrorAt(Replace(kRoster, "  rotation: daily\n", "  rotation: daily\n  handof: \"10:00\"\n"),
                "handof:", "unknown key \"handof\"");
  ExpectErrorAt(Replace(kRoster, "    - name: 2026-H2\n      start: 2026-07-01",
                        "    - name: 2026-H2\n      start: 2025-07-01\n      end: 2025-12-31"),
                "start: 2025-07-01", "in order of start");
}

TEST(RosterLoaderTest, OneRosterPerPolicyDirectory) {
  TempDir dir;
  dir.Write("policy/oncall/roster.yaml", kRoster);
  {
    RosterLoader loader;
    auto set = LoadPolicy(dir.File("policy"), nullptr, {&loader});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    ASSERT_TRUE(loader.roster().has_value());
    EXPECT_EQ(loader.roster()->name, "security-committee");
    EXPECT_EQ(loader.roster()->origin, dir.File("policy/oncall/roster.yaml") + ":1");
    EXPECT_EQ(WhoAt(*loader.roster(), "2026-03-21T12:00:00+09:00"), "carol");
  }
  const std::string second = dir.Write("policy/oncall/second.yaml", kRoster);
  RosterLoader loader;
  std::vector<Status> diagnostics;
  auto set = LoadPolicy(dir.File("policy"), &diagnostics, {&loader});
  ASSERT_FALSE(set.ok());
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].location().file, second);
  EXPECT_NE(diagnostics[0].message().find("a second OnCallRoster"), std::string::npos) << diagnostics[0].ToString();
}

}  // namespace
}  // namespace secbudget::incident
