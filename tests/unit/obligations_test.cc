// Obligations as a pure function of filed lists, seasons and alert revisions.
#include "lib/rules/obligations.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cuofeng {
namespace {

const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

absl::Time At(int y, int m, int d, int h = 12) {
  return absl::FromCivil(absl::CivilHour(y, m, d, h), kChina);
}

v1::Measure M(v1::Action a, double percent = 0) {
  v1::Measure m;
  m.set_action(a);
  m.set_percent(percent);
  return m;
}

FiledList List(const std::string& name, absl::Time filed, const std::string& start,
               const std::string& end, v1::Action season_action) {
  FiledList l;
  l.name = name;
  l.in_force_from = filed;
  l.season_start = start;
  l.season_end = end;
  v1::Period p;
  p.set_start(start);
  p.set_end(end);
  l.staggered.push_back(p);
  v1::ListEntry e;
  e.set_name(name + "/entries/1");
  e.set_resource("districts/120119/enterprises/e1/lines/l1/processes/p1/equipment/q1");
  e.set_enterprise("districts/120119/enterprises/e1");
  e.set_effective_from(start);
  *e.mutable_season() = M(season_action, 50);
  *e.mutable_yellow() = M(v1::LIMIT, 50);
  *e.mutable_orange() = M(v1::STOP);
  *e.mutable_red() = M(v1::STOP);
  l.entries[e.enterprise()].push_back(e);
  return l;
}

const std::string kEnterprise = "districts/120119/enterprises/e1";

TEST(ObligationsTest, AListBindsOnlyInItsSeasonAndFromItsFiling) {
  std::vector<FiledList> lists = {
      List("old", At(2018, 10, 30), "2018-11-15", "2019-03-15", v1::LIMIT),
      List("new", At(2019, 10, 30), "2019-11-15", "2020-03-15", v1::STOP)};
  EXPECT_EQ(ObligationsAt(lists, {}, "120119", kEnterprise, At(2018, 10, 29)).list(),
            "");  // not yet filed
  EXPECT_EQ(ObligationsAt(lists, {}, "120119", kEnterprise, At(2018, 12, 1)).list(), "old");
  EXPECT_EQ(ObligationsAt(lists, {}, "120119", kEnterprise, At(2019, 6, 1)).list(),
            "");  // between seasons
  auto winter = ObligationsAt(lists, {}, "120119", kEnterprise, At(2019, 12, 1));
  EXPECT_EQ(winter.list(), "new");
  EXPECT_EQ(winter.obligations(0).action(), v1::STOP);
  EXPECT_TRUE(winter.obligations(0).in_staggered_period());
}

TEST(ObligationsTest, TheHighestAlertInForceAndTheStricterMeasure) {
  std::vector<FiledList> lists = {
      List("l", At(2018, 10, 30), "2018-11-15", "2019-03-15", v1::LIMIT)};
  AlertRevision yellow{
      "alerts/1",         1,     v1::YELLOW, At(2018, 12, 1, 0), At(2018, 12, 1, 0),
      At(2018, 12, 4, 0), false, {}};
  AlertRevision raised = yellow;
  raised.revision = 2;
  raised.level = v1::ORANGE;
  raised.effective = At(2018, 12, 2, 0);
  AlertRevision elsewhere{
      "alerts/2",         1,     v1::RED,   At(2018, 12, 1, 0), At(2018, 12, 1, 0),
      At(2018, 12, 9, 0), false, {"120101"}};
  std::vector<AlertRevision> alerts = {yellow, raised, elsewhere};
  auto day1 = ObligationsAt(lists, alerts, "120119", kEnterprise, At(2018, 12, 1));
  EXPECT_EQ(day1.level(), v1::YELLOW);
  EXPECT_EQ(day1.obligations(0).action(), v1::LIMIT);  // season limit 50 == yellow limit 50
  auto day2 = ObligationsAt(lists, alerts, "120119", kEnterprise, At(2018, 12, 2));
  EXPECT_EQ(day2.level(), v1::ORANGE);
  EXPECT_EQ(day2.obligations(0).action(), v1::STOP);
  EXPECT_EQ(day2.obligations(0).window_start().seconds(), absl::ToUnixSeconds(At(2018, 12, 2, 0)));
  EXPECT_EQ(day2.obligations(0).window_end().seconds(), absl::ToUnixSeconds(At(2018, 12, 4, 0)));
  EXPECT_EQ(ObligationsAt(lists, alerts, "120119", kEnterprise, At(2018, 12, 5)).level(),
            v1::ALERT_LEVEL_UNSPECIFIED);
}

TEST(ObligationsTest, WindowsMergeWhileNothingChanges) {
  std::vector<FiledList> lists = {
      List("l", At(2018, 10, 30), "2018-11-15", "2019-03-15", v1::LIMIT)};
  AlertRevision orange{
      "alerts/1",         1,     v1::ORANGE, At(2018, 12, 1, 0), At(2018, 12, 1, 0),
      At(2018, 12, 4, 0), false, {}};
  auto windows =
      ObligationWindows(lists, {orange}, "120119", At(2018, 11, 20, 0), At(2018, 12, 10, 0));
  ASSERT_EQ(windows.size(), 3u);  // limit, stop under orange, limit again
  EXPECT_EQ(windows[0].action(), v1::LIMIT);
  EXPECT_EQ(windows[1].action(), v1::STOP);
  EXPECT_EQ(windows[1].window_start().seconds(), absl::ToUnixSeconds(At(2018, 12, 1, 0)));
  EXPECT_EQ(windows[1].window_end().seconds(), absl::ToUnixSeconds(At(2018, 12, 4, 0)));
  EXPECT_EQ(windows[2].action(), v1::LIMIT);
}

// --- A hand-written schedule: the oracle does not share the code's windows ------

v1::ListEntry ScheduleEntry(const std::string& q, const std::string& from, v1::Measure season,
                            v1::Measure yellow, v1::Measure orange, v1::Measure red) {
  v1::ListEntry e;
  e.set_name(absl::StrCat("lists/v1/entries/", q, "@", from));
  e.set_resource(absl::StrCat(kEnterprise, "/lines/l1/processes/p1/equipment/", q));
  e.set_enterprise(kEnterprise);
  e.set_effective_from(from);
  *e.mutable_season() = season;
  *e.mutable_yellow() = yellow;
  *e.mutable_orange() = orange;
  *e.mutable_red() = red;
  return e;
}

v1::Measure NR(v1::Measure m) {
  m.set_stop_non_road(true);
  return m;
}

v1::Measure AllSeason(v1::Measure m) {
  m.set_binds_outside_staggered_period(true);
  return m;
}

// "q1 12-01 00:00 → 12-02 12:00 LIMIT50+NR ORANGE" in China time.
std::string Window(const v1::Obligation& o) {
  auto at = [](const google::protobuf::Timestamp& ts) {
    return absl::FormatTime("%m-%d %H:%M", absl::FromUnixSeconds(ts.seconds()), kChina);
  };
  std::string measure = v1::Action_Name(o.action());
  if (o.percent() > 0) absl::StrAppend(&measure, o.percent());
  if (o.stop_non_road()) absl::StrAppend(&measure, "+NR");
  return absl::StrCat(
      o.resource().substr(o.resource().rfind('/') + 1), " ", at(o.window_start()), " → ",
      at(o.window_end()), " ", measure, o.level() == v1::ALERT_LEVEL_UNSPECIFIED ? "" : " ",
      o.level() == v1::ALERT_LEVEL_UNSPECIFIED ? "" : v1::AlertLevel_Name(o.level()));
}

TEST(ObligationsTest, TheSeasonScheduleByHand) {
  // The list: staggered in Nov-Dec and Feb-Mar (January switched off, SP1).
  FiledList l;
  l.name = "lists/v1";
  l.in_force_from = At(2018, 10, 30);
  l.season_start = "2018-11-15";
  l.season_end = "2019-03-15";
  for (auto [start, end] : {std::pair{"2018-11-15", "2018-12-31"}, {"2019-02-01", "2019-03-15"}}) {
    v1::Period p;
    p.set_start(start);
    p.set_end(end);
    l.staggered.push_back(p);
  }
  auto& entries = l.entries[kEnterprise];
  // q1: a foundry furnace, limit 50% in the staggered period, stop at orange.
  entries.push_back(ScheduleEntry("q1", "2018-11-15", M(v1::LIMIT, 50), NR(M(v1::LIMIT, 50)),
                                  NR(M(v1::STOP)), NR(M(v1::STOP))));
  // q2: a small coal boiler, eliminated from 2019-01-01 (T17): binds all season.
  entries.push_back(ScheduleEntry("q2", "2018-11-15", M(v1::RUN), NR(M(v1::LIMIT, 10)),
                                  NR(M(v1::LIMIT, 20)), NR(M(v1::LIMIT, 30))));
  entries.push_back(ScheduleEntry("q2", "2019-01-01", AllSeason(M(v1::STOP)),
                                  AllSeason(NR(M(v1::STOP))), AllSeason(NR(M(v1::STOP))),
                                  AllSeason(NR(M(v1::STOP)))));
  // q3: VOC treatment overdue, 停产整治 from 2019-01-01 (T60).
  entries.push_back(ScheduleEntry("q3", "2018-11-15", M(v1::RUN), NR(M(v1::LIMIT, 10)),
                                  NR(M(v1::LIMIT, 20)), NR(M(v1::LIMIT, 30))));
  entries.push_back(ScheduleEntry("q3", "2019-01-01", NR(M(v1::RECTIFY)), NR(M(v1::RECTIFY)),
                                  NR(M(v1::RECTIFY)), NR(M(v1::RECTIFY))));
  // A yellow alert raised to orange at noon on its second day; an orange
  // alert in January, outside the staggered period.
  AlertRevision yellow{
      "alerts/1",         1,     v1::YELLOW, At(2018, 12, 1, 0), At(2018, 12, 1, 0),
      At(2018, 12, 4, 0), false, {}};
  AlertRevision raised = yellow;
  raised.revision = 2;
  raised.level = v1::ORANGE;
  raised.effective = At(2018, 12, 2, 12);
  AlertRevision january{
      "alerts/2",         1,     v1::ORANGE, At(2019, 1, 10, 0), At(2019, 1, 10, 0),
      At(2019, 1, 12, 0), false, {}};
  std::vector<std::string> got;
  for (const auto& o : ObligationWindows({l}, {yellow, raised, january}, "120119",
                                         At(2018, 11, 20, 0), At(2019, 2, 5, 0))) {
    got.push_back(Window(o));
  }
  EXPECT_THAT(
      got,
      ::testing::ElementsAre(
          "q1 11-20 00:00 → 12-01 00:00 LIMIT50", "q1 12-01 00:00 → 12-02 12:00 LIMIT50+NR YELLOW",
          "q1 12-02 12:00 → 12-04 00:00 STOP+NR ORANGE", "q1 12-04 00:00 → 01-01 00:00 LIMIT50",
          "q1 01-10 00:00 → 01-12 00:00 STOP+NR ORANGE", "q1 02-01 00:00 → 02-05 00:00 LIMIT50",
          "q2 12-01 00:00 → 12-02 12:00 LIMIT10+NR YELLOW",
          "q2 12-02 12:00 → 12-04 00:00 LIMIT20+NR ORANGE", "q2 01-01 00:00 → 01-10 00:00 STOP",
          "q2 01-10 00:00 → 01-12 00:00 STOP+NR ORANGE", "q2 01-12 00:00 → 02-05 00:00 STOP",
          "q3 12-01 00:00 → 12-02 12:00 LIMIT10+NR YELLOW",
          "q3 12-02 12:00 → 12-04 00:00 LIMIT20+NR ORANGE",
          "q3 01-01 00:00 → 01-10 00:00 RECTIFY+NR",
          "q3 01-10 00:00 → 01-12 00:00 RECTIFY+NR ORANGE",
          "q3 01-12 00:00 → 02-05 00:00 RECTIFY+NR"));
}

}  // namespace
}  // namespace cuofeng
