// Obligations as a pure function of filed lists, seasons and alert revisions.
#include "lib/rules/obligations.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace cuofeng {
namespace {

const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

absl::Time At(int y, int m, int d, int h = 12) { return absl::FromCivil(absl::CivilHour(y, m, d, h), kChina); }

v1::Measure M(v1::Action a, double percent = 0) {
  v1::Measure m;
  m.set_action(a);
  m.set_percent(percent);
  return m;
}

FiledList List(const std::string& name, absl::Time filed, const std::string& start, const std::string& end,
               v1::Action season_action) {
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
  std::vector<FiledList> lists = {List("old", At(2018, 10, 30), "2018-11-15", "2019-03-15", v1::LIMIT),
                                  List("new", At(2019, 10, 30), "2019-11-15", "2020-03-15", v1::STOP)};
  EXPECT_EQ(ObligationsAt(lists, {}, "120119", kEnterprise, At(2018, 10, 29)).list(), "");  // not yet filed
  EXPECT_EQ(ObligationsAt(lists, {}, "120119", kEnterprise, At(2018, 12, 1)).list(), "old");
  EXPECT_EQ(ObligationsAt(lists, {}, "120119", kEnterprise, At(2019, 6, 1)).list(), "");  // between seasons
  auto winter = ObligationsAt(lists, {}, "120119", kEnterprise, At(2019, 12, 1));
  EXPECT_EQ(winter.list(), "new");
  EXPECT_EQ(winter.obligations(0).action(), v1::STOP);
  EXPECT_TRUE(winter.obligations(0).in_staggered_period());
}

TEST(ObligationsTest, TheHighestAlertInForceAndTheStricterMeasure) {
  std::vector<FiledList> lists = {List("l", At(2018, 10, 30), "2018-11-15", "2019-03-15", v1::LIMIT)};
  AlertRevision yellow{"alerts/1", 1, v1::YELLOW, At(2018, 12, 1, 0), At(2018, 12, 1, 0), At(2018, 12, 4, 0), false, {}};
  AlertRevision raised = yellow;
  raised.revision = 2;
  raised.level = v1::ORANGE;
  raised.effective = At(2018, 12, 2, 0);
  AlertRevision elsewhere{"alerts/2", 1, v1::RED, At(2018, 12, 1, 0), At(2018, 12, 1, 0), At(2018, 12, 9, 0), false,
                          {"120101"}};
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
  std::vector<FiledList> lists = {List("l", At(2018, 10, 30), "2018-11-15", "2019-03-15", v1::LIMIT)};
  AlertRevision orange{"alerts/1", 1, v1::ORANGE, At(2018, 12, 1, 0), At(2018, 12, 1, 0), At(2018, 12, 4, 0), false, {}};
  auto windows = ObligationWindows(lists, {orange}, "120119", At(2018, 11, 20, 0), At(2018, 12, 10, 0));
  ASSERT_EQ(windows.size(), 3u);  // limit, stop under orange, limit again
  EXPECT_EQ(windows[0].action(), v1::LIMIT);
  EXPECT_EQ(windows[1].action(), v1::STOP);
  EXPECT_EQ(windows[1].window_start().seconds(), absl::ToUnixSeconds(At(2018, 12, 1, 0)));
  EXPECT_EQ(windows[1].window_end().seconds(), absl::ToUnixSeconds(At(2018, 12, 4, 0)));
  EXPECT_EQ(windows[2].action(), v1::LIMIT);
}

}  // namespace
}  // namespace cuofeng
