// EM1 (T74) and EM2 (T75): the proof of the reduction targets and the
// escalation where the tables fall short; "stop x% counted by line"; the
// staggered periods (SP1 month adjustments); the explanation a bureau sends.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/rules/explain.h"
#include "tests/unit/rules_test_support.h"

namespace cuofeng {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing_support::District;
using testing_support::Entry;
using testing_support::Jizhou;
using testing_support::National;
using testing_support::Summaries;
using testing_support::Without;

// One pollutant's line of the proof: "YELLOW PM 1/10 t 10% of 10% met 0".
std::string ProofLine(const v1::LevelProof& level, const v1::PollutantCut& c) {
  return absl::StrCat(v1::AlertLevel_Name(level.level()), " ", v1::Pollutant_Name(c.pollutant()),
                      " ", c.cut_tonnes(), "/", c.inventory_tonnes(), " t ", c.cut_percent(),
                      "% of ", c.target_percent(), "% ",
                      c.met() ? "met" : absl::StrCat("short ", c.shortfall_tonnes()), " ",
                      level.escalated_entries());
}

std::vector<std::string> Proof(const GeneratedList& list, v1::Pollutant only) {
  std::vector<std::string> out;
  for (const auto& level : list.proof) {
    for (const auto& c : level.cuts()) {
      if (c.pollutant() == only) out.push_back(ProofLine(level, c));
    }
  }
  return out;
}

// A food plant's dryer with `tonnes` of each pollutant a year.
void Dryer(District& d, const std::string& id, double tonnes, bool quick_stop = true) {
  d.Enterprise(id, v1::FOOD, "C1439");
  auto& q = d.Equipment(id, "q1", v1::DRYER, "l1", quick_stop);
  q.set_pm_annual(tonnes);
  q.set_so2_annual(tonnes);
  q.set_nox_annual(tonnes);
  q.set_voc_annual(tonnes);
}

// The yellow measure of enterprise `id`'s dryer.
std::string YellowOf(const GeneratedList& list, const std::string& id) {
  const v1::ListEntry* e = Entry(list, id + "/lines/l1/processes/p1/equipment/q1");
  return e == nullptr ? "" : testing_support::Code(e->yellow());
}

// --- EM1 (T74): cuts of at least 10/20/30 % (VOCs 10/15/20 %) -------------------

TEST(ProofTest, EM1_T74_TargetsMeasuredInWholeKilograms) {
  {
    // The general table cuts exactly the targets: met, nothing escalated.
    District d;
    d.Inventory(10, 10, 10, 10);
    Dryer(d, "e1", 10);
    auto list = d.Generate(Jizhou());
    EXPECT_THAT(Proof(list, v1::PM),
                ElementsAre("YELLOW PM 1/10 t 10% of 10% met 0",
                            "ORANGE PM 2/10 t 20% of 20% met 0", "RED PM 3/10 t 30% of 30% met 0"));
    EXPECT_THAT(Proof(list, v1::VOCS), ElementsAre("YELLOW VOCS 1/10 t 10% of 10% met 0",
                                                   "ORANGE VOCS 2/10 t 20% of 15% met 0",
                                                   "RED VOCS 3/10 t 30% of 20% met 0"));
  }
  {
    // One kilogram more in the inventory: short at every level, nothing can stop.
    District d;
    d.Inventory(10.01, 10.01, 10.01, 10.01);
    Dryer(d, "e1", 10, /*quick_stop=*/false);
    auto list = d.Generate(Jizhou());
    EXPECT_THAT(Proof(list, v1::PM), ElementsAre("YELLOW PM 1/10.01 t 9.99% of 10% short 0.001 0",
                                                 "ORANGE PM 2/10.01 t 19.98% of 20% short 0.002 0",
                                                 "RED PM 3/10.01 t 29.97% of 30% short 0.003 0"));
    ASSERT_FALSE(list.proof.empty());
    EXPECT_THAT(list.proof[0].cuts(0).blocked_by(), ElementsAre("不能快速安全停产的工序：9吨"));
  }
  {
    // No inventory for a pollutant: the proof says so.
    District d;
    d.snapshot().emission_totals.clear();
    Dryer(d, "e1", 10);
    auto list = d.Generate(Jizhou());
    ASSERT_FALSE(list.proof.empty());
    EXPECT_FALSE(list.proof[0].cuts(0).met());
    EXPECT_THAT(list.proof[0].cuts(0).blocked_by(), ElementsAre("排放清单中没有颗粒物排放总量"));
  }
}

// --- EM2 (T75): escalation in the rule set's order ---------------------------------

TEST(ProofTest, EM2_T75_OvercapacityFirstUnsafeNever) {
  District d;
  d.Inventory(100, 100, 100, 100);
  Dryer(d, "a-other", 10);
  Dryer(d, "b-unsafe", 10, /*quick_stop=*/false);
  d.snapshot().enterprises.back().set_overcapacity(true);
  Dryer(d, "z-over", 10);
  d.snapshot().enterprises.back().set_overcapacity(true);
  auto list = d.Generate(Jizhou());
  // Yellow needs 10 t of each; the tables give 3 t; stopping z-over gives 9 t
  // more. Orange needs 20 t: a-other stops too. Red needs 30 t: b-unsafe
  // cannot stop quickly and safely, 7 t short.
  EXPECT_THAT(Summaries(list),
              ElementsAre("a-other@2018-11-15 RESTRICTED RUN LIMIT10+NR LIMIT20+NR LIMIT30+NR "
                          "[SP1,EM3] refused[]",
                          "q1@2018-11-15 RESTRICTED RUN LIMIT10+NR STOP+NR STOP+NR "
                          "[SP1,EM3,EM2] refused[] escalated",
                          "b-unsafe@2018-11-15 RESTRICTED RUN LIMIT10+NR LIMIT20+NR LIMIT30+NR "
                          "[SP1,EM3] refused[]",
                          "q1@2018-11-15 RESTRICTED RUN LIMIT10+NR LIMIT20+NR LIMIT30+NR "
                          "[SP1,EM3] refused[]",
                          "z-over@2018-11-15 RESTRICTED RUN LIMIT10+NR LIMIT20+NR LIMIT30+NR "
                          "[SP1,EM3] refused[]",
                          "q1@2018-11-15 RESTRICTED RUN STOP+NR STOP+NR STOP+NR "
                          "[SP1,EM3,EM2] refused[] escalated"));
  EXPECT_THAT(Proof(list, v1::PM), ElementsAre("YELLOW PM 12/100 t 12% of 10% met 1",
                                               "ORANGE PM 22/100 t 22% of 20% met 1",
                                               "RED PM 23/100 t 23% of 30% short 7 0"));
}

TEST(ProofTest, EM2_T75_WithinAStepByIntensityThenTheRuleSetsIndustryOrder) {
  auto build = [](District& d) {
    d.Inventory(100, 100, 100, 100);
    Dryer(d, "a-food", 10);
    Dryer(d, "b-furniture", 10);
    d.snapshot().enterprises.back().set_industry_category(v1::FURNITURE);
    d.snapshot().enterprises.back().set_industry_code("C2110");
  };
  {
    // The same intensity, no industry order: by name (a-food first).
    District d;
    build(d);
    auto list = d.Generate(Jizhou());
    EXPECT_EQ(YellowOf(list, "a-food"), "STOP+NR");
    EXPECT_EQ(YellowOf(list, "b-furniture"), "LIMIT10+NR");
  }
  {
    // The rule set puts furniture first: not the enum order, the document's.
    District d;
    build(d);
    v1::RuleSet rs = Jizhou();
    rs.add_escalation_industry_order(v1::FURNITURE);
    rs.add_escalation_industry_order(v1::FOOD);
    auto list = d.Generate(rs);
    EXPECT_EQ(YellowOf(list, "a-food"), "LIMIT10+NR");
    EXPECT_EQ(YellowOf(list, "b-furniture"), "STOP+NR");
  }
  {
    // Higher emission intensity (a smaller baseline output) first.
    District d;
    build(d);
    d.snapshot().enterprises[1].set_approved_capacity_daily(50);
    auto list = d.Generate(Jizhou());
    EXPECT_EQ(YellowOf(list, "a-food"), "LIMIT10+NR");
    EXPECT_EQ(YellowOf(list, "b-furniture"), "STOP+NR");
  }
}

TEST(ProofTest, EM2_ACappedPlantIsNeverReportedEscalated) {
  District d;
  d.Inventory(10, 10, 10, 10);
  auto& e = d.Enterprise("heat", v1::BUILDING_MATERIALS, "C3011");
  e.set_supplies_heating(true);
  e.set_livelihood_cap_percent(70);
  d.Equipment("heat", "q1", v1::KILN);
  auto list = d.Generate(Jizhou());
  EXPECT_THAT(Summaries(list),
              ElementsAre("heat@2018-11-15 GUARANTEED CAP70 CAP70+NR CAP70+NR CAP70+NR "
                          "[SP1,SP5,EM3] refused[]",
                          "q1@2018-11-15 GUARANTEED CAP70 CAP70+NR CAP70+NR CAP70+NR "
                          "[SP1,SP5,EM3] refused[]"));
  EXPECT_THAT(Proof(list, v1::PM),
              ElementsAre("YELLOW PM 3/10 t 30% of 10% met 0", "ORANGE PM 3/10 t 30% of 20% met 0",
                          "RED PM 3/10 t 30% of 30% met 0"));
  d.Inventory(100, 100, 100, 100);
  auto short_list = d.Generate(Jizhou());
  for (const auto& level : short_list.proof) EXPECT_EQ(level.escalated_entries(), 0);
  ASSERT_FALSE(short_list.proof.empty());
  EXPECT_THAT(short_list.proof[0].cuts(0).blocked_by(),
              ElementsAre("民生保障负荷下限（SP5）：1台设备共7吨"));
}

TEST(ProofTest, EM2_OneReasonPerEscalatedLevel) {
  District d;
  d.Inventory(100, 100, 100, 100);
  Dryer(d, "e1", 10);
  auto list = d.Generate(Jizhou());
  const v1::ListEntry* q = Entry(list, "e1/lines/l1/processes/p1/equipment/q1");
  ASSERT_NE(q, nullptr);
  int em2 = 0;
  for (const auto& r : q->reasons()) em2 += r.rule_id() == "EM2";
  EXPECT_EQ(em2, 1);  // four pollutants short at yellow: one reason
}

// --- "Stop x% counted by line" (2020 guide) -------------------------------------------

TEST(ProofTest, StopHalfCountedByLine) {
  District d;
  d.Inventory(10, 10, 10, 10);
  d.Enterprise("two", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_C);
  d.Equipment("two", "k1", v1::KILN, "l1");
  d.Equipment("two", "k2", v1::KILN, "l2").set_pm_annual(99);
  d.Enterprise("one", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_C);
  d.Equipment("one", "k1", v1::KILN, "l1");
  auto list = d.Generate(Without(National(), v1::ESCALATION));
  EXPECT_THAT(Summaries(list),
              ElementsAre("one@2018-11-15 RESTRICTED RUN LINES50+NR STOP+NR STOP+NR "
                          "[SP1,EM3] refused[]",
                          "k1@2018-11-15 RESTRICTED RUN LIMIT50+NR STOP+NR STOP+NR "
                          "[SP1,EM3,LINES] refused[]",
                          "two@2018-11-15 RESTRICTED RUN LINES50+NR STOP+NR STOP+NR "
                          "[SP1,EM3] refused[]",
                          "k1@2018-11-15 RESTRICTED RUN RUN+NR STOP+NR STOP+NR "
                          "[SP1,EM3,LINES] refused[]",
                          "l2@2018-11-15 RESTRICTED RUN STOP RUN RUN [LINES] refused[]",
                          "k2@2018-11-15 RESTRICTED RUN STOP+NR STOP+NR STOP+NR "
                          "[SP1,EM3,LINES] refused[]"));
}

// --- SP1 (T76): the staggered period month by month -----------------------------------

TEST(ProofTest, SP1_MonthAdjustmentsShortenAndExtendTheStaggeredPeriod) {
  v1::Season s = testing_support::Season2018();
  auto plain = StaggeredPeriods(s);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].start(), "2018-11-15");
  EXPECT_EQ(plain[0].end(), "2019-03-15");
  auto* off = s.add_adjustments();
  off->set_month("2019-01");
  off->set_staggered(false);
  auto* extend = s.add_adjustments();
  extend->set_month("2019-03");
  extend->set_staggered(true);
  auto adjusted = StaggeredPeriods(s);
  ASSERT_EQ(adjusted.size(), 2u);
  EXPECT_EQ(adjusted[0].start(), "2018-11-15");
  EXPECT_EQ(adjusted[0].end(), "2018-12-31");
  EXPECT_EQ(adjusted[1].start(), "2019-02-01");
  EXPECT_EQ(adjusted[1].end(), "2019-03-31");  // March extended to its end
}

// --- The explanation a bureau can send the plant ----------------------------------------

TEST(ProofTest, ExplanationReadsAsAJustification) {
  District d;
  d.Enterprise("e1", v1::FOUNDRY, "C3391");
  auto& q = d.Equipment("e1", "q1", v1::CUPOLA);
  q.set_pm_concentration(12);
  q.set_so2_concentration(40);
  auto list = d.Generate(Jizhou());
  v1::ListVersion version;
  version.set_name("districts/120119/lists/2018-2019-v1");
  version.set_rule_set("ruleSets/jizhou-2018");
  version.set_rule_set_revision(1);
  version.set_state(v1::DRAFT);
  const v1::ListEntry* e = Entry(list, "enterprises/e1");
  ASSERT_NE(e, nullptr);
  const std::string text = ExplainEntry(*e, version);
  EXPECT_THAT(text, HasSubstr("企业e1"));
  EXPECT_THAT(text, HasSubstr("采暖季错峰生产：限产50%"));
  EXPECT_THAT(text, HasSubstr("[SP1, T76, T77, T74]"));
  EXPECT_THAT(
      text,
      HasSubstr("重污染天气预警期间，除涉及安全生产及应急抢险任务外，停止使用非道路移动机械"));
  EXPECT_THAT(text, HasSubstr("未予适用的规则"));
  EXPECT_THAT(text, HasSubstr("[SP4, T77, §26] 不适用环保标杆企业豁免"));
  EXPECT_THAT(text, HasSubstr("冲天炉，未安装烟气排放自动监控设施"));
  EXPECT_THAT(text, HasSubstr("是否安装在线监测 = 否"));
  EXPECT_THAT(text, Not(HasSubstr("because")));
}

}  // namespace
}  // namespace cuofeng
