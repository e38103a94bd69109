// The alert preview: what restricts each facility before and after, with
// the other alerts in force, starting or ending meanwhile.
#include "lib/rules/alert_impact.h"

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cuofeng {
namespace {

const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

absl::Time Day(int d, int h = 0) {
  return absl::FromCivil(absl::CivilHour(2018, 12, d, h), kChina);
}

v1::Measure M(v1::Action a, double percent = 0) {
  v1::Measure m;
  m.set_action(a);
  m.set_percent(percent);
  return m;
}

// One kiln: season and yellow limit 50 %, orange and red stop.
std::vector<FiledList> Lists() {
  FiledList l;
  l.name = "districts/120119/lists/2018-2019-v1";
  l.in_force_from = absl::FromCivil(absl::CivilDay(2018, 10, 30), kChina);
  l.season_start = "2018-11-15";
  l.season_end = "2019-03-15";
  v1::Period p;
  p.set_start(l.season_start);
  p.set_end(l.season_end);
  l.staggered.push_back(p);
  v1::ListEntry e;
  e.set_name(l.name + "/entries/1");
  e.set_resource("districts/120119/enterprises/e1/lines/l1/processes/p1/equipment/kiln");
  e.set_resource_name("1号窑");
  e.set_enterprise("districts/120119/enterprises/e1");
  e.set_enterprise_name("蓟州水泥");
  e.set_effective_from(l.season_start);
  *e.mutable_season() = M(v1::LIMIT, 50);
  *e.mutable_yellow() = M(v1::LIMIT, 50);
  *e.mutable_orange() = M(v1::STOP);
  *e.mutable_red() = M(v1::STOP);
  l.entries[e.enterprise()].push_back(e);
  return {l};
}

AlertRevision Alert(const std::string& name, v1::AlertLevel level, absl::Time start,
                    absl::Time end) {
  AlertRevision a;
  a.name = name;
  a.revision = 1;
  a.level = level;
  a.start = a.effective = start;
  a.end = end;
  return a;
}

TEST(AlertImpactTest, AnOrangeAlertOverAYellowThatEndsMeanwhileAndARedInForce) {
  // In force: yellow 1–4 December, red 3 December (a day).
  const std::vector<AlertRevision> before = {Alert("alerts/1", v1::YELLOW, Day(1), Day(4)),
                                             Alert("alerts/2", v1::RED, Day(3), Day(4))};
  std::vector<AlertRevision> after = before;
  after.push_back(Alert("alerts/preview", v1::ORANGE, Day(2), Day(6)));
  auto impacts = AlertImpacts(Lists(), before, after, "120119", Day(2), Day(6));
  ASSERT_EQ(impacts.size(), 2u);
  // 2 December: the yellow's limit becomes the orange's stop.
  EXPECT_EQ(impacts[0].start_time().seconds(), absl::ToUnixSeconds(Day(2)));
  EXPECT_EQ(impacts[0].end_time().seconds(), absl::ToUnixSeconds(Day(3)));
  EXPECT_EQ(impacts[0].before().action(), v1::LIMIT);
  EXPECT_EQ(impacts[0].before().level(), v1::YELLOW);
  EXPECT_EQ(impacts[0].after().action(), v1::STOP);
  EXPECT_EQ(impacts[0].after().level(), v1::ORANGE);
  EXPECT_EQ(impacts[0].enterprise_name(), "蓟州水泥");
  EXPECT_EQ(impacts[0].resource_name(), "1号窑");
  // 3 December the red binds already: no change. 4–6 December the season's
  // limit becomes the orange's stop.
  EXPECT_EQ(impacts[1].start_time().seconds(), absl::ToUnixSeconds(Day(4)));
  EXPECT_EQ(impacts[1].end_time().seconds(), absl::ToUnixSeconds(Day(6)));
  EXPECT_EQ(impacts[1].before().level(), v1::ALERT_LEVEL_UNSPECIFIED);
  EXPECT_EQ(impacts[1].before().action(), v1::LIMIT);
  EXPECT_EQ(impacts[1].after().action(), v1::STOP);
}

TEST(AlertImpactTest, LiftingAnOrangeUnderARedChangesOnlyAfterTheRedEnds) {
  const AlertRevision orange = Alert("alerts/1", v1::ORANGE, Day(1), Day(8));
  const std::vector<AlertRevision> before = {orange, Alert("alerts/2", v1::RED, Day(1), Day(5))};
  std::vector<AlertRevision> after = before;
  AlertRevision lifted = orange;
  lifted.revision = 2;
  lifted.effective = Day(2);
  lifted.end = Day(2);
  lifted.lifted = true;
  after.push_back(lifted);
  auto impacts = AlertImpacts(Lists(), before, after, "120119", Day(2), Day(8));
  ASSERT_EQ(impacts.size(), 1u);
  EXPECT_EQ(impacts[0].start_time().seconds(), absl::ToUnixSeconds(Day(5)));
  EXPECT_EQ(impacts[0].end_time().seconds(), absl::ToUnixSeconds(Day(8)));
  EXPECT_EQ(impacts[0].before().action(), v1::STOP);
  EXPECT_EQ(impacts[0].after().action(), v1::LIMIT);
  EXPECT_EQ(impacts[0].after().percent(), 50);
}

TEST(AlertImpactTest, NothingChangesWithoutAListOrInAnotherDistrict) {
  const std::vector<AlertRevision> after = {Alert("alerts/9", v1::RED, Day(2), Day(3))};
  EXPECT_TRUE(AlertImpacts({}, {}, after, "120119", Day(2), Day(3)).empty());
  // Another district's alert changes nothing here.
  std::vector<AlertRevision> elsewhere = after;
  elsewhere[0].districts = {"120101"};
  EXPECT_TRUE(AlertImpacts(Lists(), {}, elsewhere, "120119", Day(2), Day(3)).empty());
  EXPECT_EQ(AlertImpacts(Lists(), {}, after, "120119", Day(2), Day(3)).size(), 1u);
}

}  // namespace
}  // namespace cuofeng
