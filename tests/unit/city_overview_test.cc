// The city's overview: where a district's filing stands, and how the proof
// is summed up.
#include "lib/documents/city_overview.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;

v1::Filing Filing(v1::ListState state, bool late = false) {
  v1::Filing f;
  f.set_state(state);
  f.set_late(late);
  return f;
}

TEST(CityOverviewTest, StandingFromFilingsDraftAndDeadline) {
  const std::string deadline = "2018-10-31";
  // Filed wins over anything waiting; a superseded list was filed too.
  EXPECT_EQ(StandingOf({Filing(v1::SUBMITTED), Filing(v1::FILED)}, false, deadline, "2018-12-02"),
            FilingStanding::kFiled);
  EXPECT_EQ(StandingOf({Filing(v1::SUPERSEDED)}, false, deadline, "2018-12-02"),
            FilingStanding::kFiled);
  EXPECT_EQ(StandingOf({Filing(v1::SUBMITTED)}, false, deadline, "2018-12-02"),
            FilingStanding::kSubmitted);
  // Nothing submitted: in time on the deadline day, late the day after.
  EXPECT_EQ(StandingOf({}, true, deadline, "2018-10-31"), FilingStanding::kDraftOnly);
  EXPECT_EQ(StandingOf({}, false, deadline, "2018-10-30"), FilingStanding::kMissing);
  EXPECT_EQ(StandingOf({}, true, deadline, "2018-11-01"), FilingStanding::kMissingLate);
  EXPECT_EQ(StandingOf({}, false, "", "2019-01-01"), FilingStanding::kMissing);
  EXPECT_EQ(FilingStandingText(FilingStanding::kMissingLate), "逾期未报送");
}

TEST(CityOverviewTest, TargetsNameEachLevelAndPollutantShort) {
  v1::ListVersion list;
  bool met = true;
  EXPECT_EQ(TargetsText(list, &met), "—");  // no proof: nothing to say it is met
  EXPECT_FALSE(met);
  v1::LevelProof* orange = list.add_proof();
  orange->set_level(v1::ORANGE);
  v1::PollutantCut* pm = orange->add_cuts();
  pm->set_pollutant(v1::PM);
  pm->set_met(true);
  EXPECT_EQ(TargetsText(list, &met), "达标");
  EXPECT_TRUE(met);
  v1::PollutantCut* nox = orange->add_cuts();
  nox->set_pollutant(v1::NOX);
  nox->set_met(false);
  nox->set_shortfall_tonnes(1.24);
  const std::string text = TargetsText(list, &met);
  EXPECT_FALSE(met);
  EXPECT_THAT(text, HasSubstr("未达标"));
  EXPECT_THAT(text, HasSubstr("橙色预警氮氧化物差1.2吨"));
}

TEST(CityOverviewTest, DailyRowSaysWhatCouldBeVerified) {
  DistrictOverview d;
  d.display_name = "蓟州区";
  d.alert_level = "橙色预警";
  d.stop_windows = 6;
  d.limit_windows = 4;
  std::vector<std::string> row = DailyRow(d);
  ASSERT_EQ(row.size(), DailyHeader().size());
  EXPECT_EQ(row[7], "尚未核查");
  EXPECT_EQ(row[9], "—");
  d.verified = true;
  d.run = "districts/120119/verificationRuns/3";
  d.unverified_windows = 4;
  d.findings_by_type["未按要求停产"] = 2;
  row = DailyRow(d);
  EXPECT_EQ(row[7], "3");
  EXPECT_EQ(row[9], "60.0%");
  EXPECT_EQ(row[10], "未按要求停产 2");
  EXPECT_EQ(OverviewRow(d).size(), OverviewHeader().size());
}

}  // namespace
}  // namespace cuofeng
