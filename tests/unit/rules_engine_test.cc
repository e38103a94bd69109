// The rules engine, one table-driven test per rule id of the seed. Each row
// is a small registry and every entry the list must give for it: kind,
// measures at each level (season, yellow, orange, red) with the non-road
// and transport rules, effective date, the rules that applied and the
// rules considered and refused. The rows run without escalation (EM2) so
// that each rule is seen alone; rules_proof_test.cc pins EM1 and EM2.
#include <random>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/rules_test_support.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_support::District;
using testing_support::Entry;
using testing_support::ExpectRows;
using testing_support::Jizhou;
using testing_support::National;
using testing_support::Row;
using testing_support::Without;

const v1::RuleSet& Rules() {
  static const v1::RuleSet* rs = new v1::RuleSet(Without(Jizhou(), v1::ESCALATION));
  return *rs;
}

// The reason (or refusal) of `rule` on `entry`, for its text and facts.
const v1::Reason* ReasonOf(const v1::ListEntry* entry, const std::string& rule,
                           bool refused = false) {
  if (entry == nullptr) return nullptr;
  for (const auto& r : refused ? entry->refused() : entry->reasons()) {
    if (r.rule_id() == rule) return &r;
  }
  ADD_FAILURE() << "no " << (refused ? "refusal" : "reason") << " " << rule << " on "
                << entry->resource();
  return nullptr;
}

std::string TextOf(const v1::Reason* r) { return r == nullptr ? "" : r->text(); }

// Measures of the four jizhou-2018 tables, with EM3's non-road stop.
const std::string kFoundry = "LIMIT50 LIMIT50+NR STOP+NR STOP+NR";
const std::string kBuilding = "STOP STOP+NR STOP+NR STOP+NR";
const std::string kChemicals = "LIMIT30 LIMIT30+NR LIMIT50+NR STOP+NR";
const std::string kGeneral = "RUN LIMIT10+NR LIMIT20+NR LIMIT30+NR";
const std::string kRectifyAll = "RECTIFY+NR RECTIFY+NR RECTIFY+NR RECTIFY+NR";
const std::string kExemptAll = "RUN RUN+NR RUN+NR RUN+NR";

// --- SP1 (T76): differentiated by industry ------------------------------------

TEST(RulesTest, SP1_T76_TheIndustryTable) {
  ExpectRows({{"foundry: 限产50%, orange and red stop",
               [](District& d) {
                 d.Enterprise("e1", v1::FOUNDRY, "C3391");
                 d.Equipment("e1", "q1", v1::INDUCTION_FURNACE).set_fuel(v1::ELECTRICITY);
               },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"building materials (cement clinker, not a §26 product): stop all season",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3011");
                 d.Equipment("e1", "q1", v1::KILN);
               },
               {"e1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[]"}},
              {"chemicals",
               [](District& d) {
                 d.Enterprise("e1", v1::CHEMICALS, "C2614");
                 d.Equipment("e1", "q1", v1::REACTOR);
               },
               {"e1@2018-11-15 RESTRICTED " + kChemicals + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kChemicals + " [SP1,EM3] refused[]"}},
              {"any other emitter: the T74 emergency table only",
               [](District& d) {
                 d.Enterprise("e1", v1::FOOD, "C1439");
                 d.Equipment("e1", "q1", v1::DRYER);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]"}}},
             Rules());
}

// --- SP2 (T77): 停产整治 of the whole enterprise ------------------------------

TEST(RulesTest, SP2_T77_NotMeetingStandardsPermitOrRetrofit) {
  auto foundry = [](District& d) {
    d.Enterprise("e1", v1::FOUNDRY, "C3391");
    d.Equipment("e1", "q1", v1::INDUCTION_FURNACE).set_fuel(v1::ELECTRICITY);
    d.Equipment("e1", "q2", v1::CRUSHER).set_fuel(v1::ELECTRICITY);
  };
  auto enterprise = [](District& d) -> v1::Enterprise& { return d.snapshot().enterprises[0]; };
  ExpectRows({{"not stably meeting standards: the whole plant rectifies",
               [&](District& d) {
                 foundry(d);
                 enterprise(d).set_stably_meets_standards(false);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"one piece of equipment not meeting standards: the enterprise does not",
               [&](District& d) {
                 foundry(d);
                 d.snapshot().equipment[0].set_stably_meets_standards(false);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"no discharge permit",
               [&](District& d) {
                 foundry(d);
                 enterprise(d).set_permit_status(v1::PERMIT_NONE);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"expired permit",
               [&](District& d) {
                 foundry(d);
                 enterprise(d).set_permit_status(v1::PERMIT_EXPIRED);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"valid permit, requirements not met",
               [&](District& d) {
                 foundry(d);
                 enterprise(d).set_permit_compliant(false);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"permit not required (登记管理): the table only",
               [&](District& d) {
                 foundry(d);
                 enterprise(d).set_permit_status(v1::PERMIT_NOT_REQUIRED);
                 enterprise(d).clear_permit_compliant();
               },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"retrofit overdue before the season: the whole plant from the start",
               [&](District& d) {
                 foundry(d);
                 d.Task("e1", v1::EMISSION_CONTROL, "2018-09-30")
                     .set_equipment(d.snapshot().equipment[0].name());
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"retrofit due at the end of December: the whole plant from 2019-01-01",
               [&](District& d) {
                 foundry(d);
                 d.Task("e1", v1::EMISSION_CONTROL, "2018-12-31")
                     .set_equipment(d.snapshot().equipment[0].name());
               },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP4]",
                "e1@2019-01-01 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]",
                "q1@2019-01-01 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]",
                "q2@2019-01-01 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"retrofit finished on time: considered and refused",
               [&](District& d) {
                 foundry(d);
                 d.Task("e1", v1::EMISSION_CONTROL, "2018-09-30").set_completed_date("2018-09-20");
               },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP2,SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"a completion dated after the list is not yet a completion",
               [&](District& d) {
                 foundry(d);
                 d.Task("e1", v1::EMISSION_CONTROL, "2018-09-30").set_completed_date("2018-09-20");
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"},
               /*as_of=*/"2018-09-01"},
              {"retrofit due after the season: refused",
               [&](District& d) {
                 foundry(d);
                 d.Task("e1", v1::EMISSION_CONTROL, "2019-06-30");
               },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP2,SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}}},
             Rules());
}

TEST(RulesTest, SP2_RectificationPerEquipmentIsARuleSetChoice) {
  v1::RuleSet per_equipment = Rules();
  per_equipment.mutable_thresholds()->set_rectify_equipment_only(true);
  ExpectRows({{"rectify_equipment_only: only the task's equipment",
               [](District& d) {
                 d.Enterprise("e1", v1::FOOD, "C1439");
                 d.Equipment("e1", "q1", v1::DRYER);
                 d.Equipment("e1", "q2", v1::DRYER);
                 d.Task("e1", v1::EMISSION_CONTROL, "2018-09-30")
                     .set_equipment(d.snapshot().equipment[0].name());
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP2] refused[]",
                "q2@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]"}}},
             per_equipment);
}

TEST(RulesTest, SP2_ReasonsNameTheFailingFact) {
  District d;
  d.Enterprise("e1", v1::FOOD, "C1439");
  d.Equipment("e1", "q1", v1::DRYER);
  d.Task("e1", v1::EMISSION_CONTROL, "2018-09-30").set_completed_date("2018-12-01");
  auto list = d.Generate(Rules(), "2018-10-25");
  const v1::Reason* r = ReasonOf(Entry(list, "enterprises/e1"), "SP2");
  EXPECT_THAT(TextOf(r), HasSubstr("期限2018-09-30"));
  EXPECT_THAT(TextOf(r), HasSubstr("完成日期2018-12-01晚于清单生成日期2018-10-25"));
  EXPECT_THAT(TextOf(r), HasSubstr("全厂停产整治"));
}

// --- SP3 (T77): restricted class ------------------------------------------------

TEST(RulesTest, SP3_T77_RestrictedClass) {
  ExpectRows(
      {{"restricted class: this rule set stops",
        [](District& d) {
          d.Enterprise("e1", v1::FOOD, "C1439").set_restricted_class(true);
          d.Equipment("e1", "q1", v1::DRYER);
        },
        {"e1@2018-11-15 RESTRICTED STOP+NR STOP+NR STOP+NR STOP+NR [SP1,SP3,EM3] refused[]",
         "q1@2018-11-15 RESTRICTED STOP+NR STOP+NR STOP+NR STOP+NR [SP1,SP3,EM3] refused[]"}},
       {"restricted class voids a benchmark exemption",
        [](District& d) {
          d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3021").set_restricted_class(true);
          d.Equipment("e1", "q1", v1::MIXER).set_fuel(v1::ELECTRICITY);
        },
        {"e1@2018-11-15 RESTRICTED STOP+NR STOP+NR STOP+NR STOP+NR [SP1,SP3,EM3] refused[SP4]",
         "q1@2018-11-15 RESTRICTED STOP+NR STOP+NR STOP+NR STOP+NR [SP1,SP3,EM3] refused[SP4]"}}},
      Rules());
}

// --- SP4 (T77, §26): benchmark exemptions --------------------------------------

TEST(RulesTest, SP4_Section26_FoundryBenchmark) {
  auto melt = [](District& d, v1::EquipmentType type, double pm, double so2) -> v1::Equipment& {
    d.Enterprise("e1", v1::FOUNDRY, "C3391");
    auto& q = d.Equipment("e1", "q1", type);
    q.set_fuel(type == v1::CUPOLA ? v1::COAL : v1::ELECTRICITY);
    q.set_pm_concentration(pm);
    q.set_so2_concentration(so2);
    return q;
  };
  ExpectRows({{"PM 20 and SO2 100 exactly: exempt, the non-road stop stays (T48)",
               [&](District& d) { melt(d, v1::INDUCTION_FURNACE, 20, 100); },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}},
              {"PM 20.1: refused",
               [&](District& d) { melt(d, v1::INDUCTION_FURNACE, 20.1, 100); },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"SO2 100.1: refused",
               [&](District& d) { melt(d, v1::INDUCTION_FURNACE, 20, 100.1); },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"a cupola within the limits but without CEMS: refused",
               [&](District& d) { melt(d, v1::CUPOLA, 10, 50).set_cems_installed(false); },
               {"e1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"a cupola within the limits with CEMS: exempt",
               [&](District& d) {
                 auto& q = melt(d, v1::CUPOLA, 10, 50);
                 q.set_cems_installed(true);
                 q.set_cems_transmission_rate(95);
               },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}},
              {"concentrations missing: refused, data missing",
               [&](District& d) {
                 auto& q = melt(d, v1::INDUCTION_FURNACE, 10, 50);
                 q.clear_pm_concentration();
                 q.clear_so2_concentration();
               },
               {"e1@2018-11-15 DATA_MISSING " + kFoundry + " [SP1,EM3,DATA] refused[SP4]",
                "q1@2018-11-15 DATA_MISSING " + kFoundry + " [SP1,EM3,DATA] refused[]"}},
              {"'stably meets standards' not recorded: refused, data missing (as for bricks)",
               [&](District& d) {
                 melt(d, v1::INDUCTION_FURNACE, 10, 50);
                 d.snapshot().enterprises[0].clear_stably_meets_standards();
               },
               {"e1@2018-11-15 DATA_MISSING " + kFoundry + " [SP1,EM3,DATA] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kFoundry + " [SP1,EM3] refused[]"}},
              {"a benchmark foundry without a permit rectifies; the refusal says why",
               [&](District& d) {
                 melt(d, v1::INDUCTION_FURNACE, 10, 50);
                 d.snapshot().enterprises[0].set_permit_status(v1::PERMIT_NONE);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[SP4]"}},
              {"a high stack without CEMS in an exempt plant restricts that equipment",
               [&](District& d) { melt(d, v1::INDUCTION_FURNACE, 10, 50).set_stack_height_m(50); },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9,SP4] refused[]"}}},
             Rules());
}

TEST(RulesTest, SP4_Section26_CleanEnergyBrickTileCementProducts) {
  ExpectRows({{"brick kiln on natural gas: exempt",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031");
                 d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::NATURAL_GAS);
               },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}},
              {"brick kiln on coal: refused, stops all season",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031");
                 d.Equipment("e1", "q1", v1::KILN);
               },
               {"e1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[]"}},
              {"cement products on electricity with no kiln: exempt",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3021");
                 d.Equipment("e1", "q1", v1::MIXER).set_fuel(v1::ELECTRICITY);
                 d.Equipment("e1", "q2", v1::CRUSHER).clear_fuel();
               },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q2@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}},
              {"a dryer whose fuel is not recorded: refused, data missing",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3021");
                 d.Equipment("e1", "q1", v1::DRYER).clear_fuel();
               },
               {"e1@2018-11-15 DATA_MISSING " + kBuilding + " [SP1,EM3,DATA] refused[SP4]",
                "q1@2018-11-15 DATA_MISSING " + kBuilding + " [SP1,EM3,DATA] refused[]"}},
              {"'stably meets standards' not recorded: refused like the foundry",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031").clear_stably_meets_standards();
                 d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::ELECTRICITY);
               },
               {"e1@2018-11-15 DATA_MISSING " + kBuilding + " [SP1,EM3,DATA] refused[SP4]",
                "q1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[]"}},
              {"glass (C3041) is not a §26 product: not considered",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3041");
                 d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::NATURAL_GAS);
               },
               {"e1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kBuilding + " [SP1,EM3] refused[]"}}},
             Rules());
}

TEST(RulesTest, SP4_UnrecordedComplianceIsARuleSetChoiceForBoth) {
  v1::RuleSet lenient = Rules();
  lenient.mutable_thresholds()->set_benchmark_allows_unrecorded_compliance(true);
  ExpectRows({{"foundry",
               [](District& d) {
                 d.Enterprise("e1", v1::FOUNDRY, "C3391").clear_stably_meets_standards();
                 auto& q = d.Equipment("e1", "q1", v1::INDUCTION_FURNACE);
                 q.set_pm_concentration(10);
                 q.set_so2_concentration(10);
               },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}},
              {"brick",
               [](District& d) {
                 d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031").clear_stably_meets_standards();
                 d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::NATURAL_GAS);
               },
               {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
                "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}}},
             lenient);
}

TEST(RulesTest, SP4_ARefusalNamesTheFailingFact) {
  District d;
  d.Enterprise("e1", v1::FOUNDRY, "C3391");
  auto& q = d.Equipment("e1", "q1", v1::CUPOLA);
  q.set_pm_concentration(12);
  q.set_so2_concentration(40);
  q.set_cems_installed(false);
  auto list = d.Generate(Rules());
  const v1::Reason* r = ReasonOf(Entry(list, "enterprises/e1"), "SP4", /*refused=*/true);
  EXPECT_THAT(TextOf(r), HasSubstr("不适用环保标杆企业豁免"));
  EXPECT_THAT(TextOf(r), HasSubstr("q1号设备为冲天炉，未安装烟气排放自动监控设施"));
  ASSERT_NE(r, nullptr);
  bool cems_fact = false;
  for (const auto& f : r->facts()) cems_fact |= f.field() == "cems_installed" && f.value() == "否";
  EXPECT_TRUE(cems_fact);
}

// --- SP5 (§26): livelihood guarantee --------------------------------------------

TEST(RulesTest, SP5_Section26_Livelihood) {
  ExpectRows(
      {{"co-processing waste, cap 70%: capped at every level, non-road stop kept",
        [](District& d) {
          auto& e = d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3011");
          e.set_coprocesses_municipal_waste(true);
          e.set_livelihood_cap_percent(70);
          d.Equipment("e1", "q1", v1::KILN);
        },
        {"e1@2018-11-15 GUARANTEED CAP70 CAP70+NR CAP70+NR CAP70+NR [SP1,SP5,EM3] refused[]",
         "q1@2018-11-15 GUARANTEED CAP70 CAP70+NR CAP70+NR CAP70+NR [SP1,SP5,EM3] refused[]"}},
       {"heating without a recorded cap: full load until the bureau sets it",
        [](District& d) {
          d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3011").set_supplies_heating(true);
          d.Equipment("e1", "q1", v1::KILN);
        },
        {"e1@2018-11-15 GUARANTEED CAP100 CAP100+NR CAP100+NR CAP100+NR [SP1,SP5,EM3,DATA] "
         "refused[]",
         "q1@2018-11-15 GUARANTEED CAP100 CAP100+NR CAP100+NR CAP100+NR [SP1,SP5,EM3] "
         "refused[]"}},
       {"a cap above what the table cuts changes nothing",
        [](District& d) {
          auto& e = d.Enterprise("e1", v1::FOOD, "C1439");
          e.set_supplies_heating(true);
          e.set_livelihood_cap_percent(60);
          d.Equipment("e1", "q1", v1::BOILER).set_rated_capacity(40);
        },
        {"e1@2018-11-15 GUARANTEED " + kGeneral + " [SP1,SP5,EM3] refused[]",
         "q1@2018-11-15 GUARANTEED " + kGeneral + " [SP1,SP5,EM3] refused[T17]"}}},
      Rules());
}

// --- SP6 (T78): down to line, process and equipment, with safety measures ------

TEST(RulesTest, SP6_T78_ListDetailAndDataCompleteness) {
  District d;
  d.Enterprise("e1", v1::FOUNDRY, "C3391");
  auto& melt = d.Equipment("e1", "q1", v1::INDUCTION_FURNACE);
  melt.set_fuel(v1::ELECTRICITY);
  melt.clear_so2_concentration();
  melt.clear_so2_annual();  // an electric furnace: PM only
  melt.clear_nox_annual();
  d.Equipment("e1", "q2", v1::CRUSHER).set_fuel(v1::ELECTRICITY);
  auto list = d.Generate(Rules());
  const v1::ListEntry* q1 = Entry(list, "equipment/q1");
  ASSERT_NE(q1, nullptr);
  EXPECT_EQ(q1->line_name(), "l1生产线");
  EXPECT_EQ(q1->process_name(), "熔炼工序");
  EXPECT_THAT(q1->safety_measure(), HasSubstr("按操作规程降温停炉"));
  // An induction furnace emits PM only: its SO2 and NOx figures are not
  // asked for; its SO2 concentration is, for the §26 benchmark.
  EXPECT_EQ(q1->kind(), v1::DATA_MISSING);
  EXPECT_THAT(TextOf(ReasonOf(q1, "DATA")), HasSubstr("颗粒物、二氧化硫排放浓度"));
  EXPECT_THAT(TextOf(ReasonOf(q1, "DATA")), Not(HasSubstr("年排放量")));

  District boiler;
  boiler.Enterprise("e1", v1::FOOD, "C1439");
  auto& b = boiler.Equipment("e1", "q1", v1::BOILER);
  b.set_rated_capacity(40);
  b.clear_so2_annual();
  b.clear_nox_annual();
  auto partial = boiler.Generate(Rules());
  const v1::ListEntry* q = Entry(partial, "equipment/q1");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->kind(), v1::DATA_MISSING);
  const v1::Reason* data = ReasonOf(q, "DATA");
  EXPECT_EQ(data == nullptr ? "" : data->seed_clause(), "T78");
  EXPECT_THAT(TextOf(data), HasSubstr("二氧化硫年排放量；氮氧化物年排放量"));
  EXPECT_THAT(TextOf(data), HasSubstr("不计入减排量核算"));
  EXPECT_THAT(TextOf(ReasonOf(Entry(partial, "enterprises/e1"), "DATA")),
              HasSubstr("q1：二氧化硫年排放量"));
  // The proof counts the dryer's PM and says its SO2 is not counted.
  ASSERT_EQ(partial.proof.size(), 3u);
  ASSERT_EQ(partial.proof[0].cuts_size(), 4);
  EXPECT_EQ(partial.proof[0].cuts(0).cut_tonnes(), 1);  // PM: 10% of 10 t
  EXPECT_EQ(partial.proof[0].cuts(1).cut_tonnes(), 0);  // SO2: not recorded
  EXPECT_THAT(partial.proof[0].cuts(1).blocked_by(),
              ::testing::Contains("缺少二氧化硫年排放量：1台设备未计入"));
  // The crusher is limited with its plant: it gets the general safety measure.
  const v1::ListEntry* q2 = Entry(list, "equipment/q2");
  EXPECT_EQ(q2 == nullptr ? "" : q2->safety_measure(),
            "按安全规程停机，切断动力电源，保留消防和治污设施");
  const v1::ListEntry* e1 = Entry(list, "enterprises/e1");
  EXPECT_THAT(e1 == nullptr ? "" : e1->safety_measure(), HasSubstr("责任人 张三"));
}

// --- SP7 (T54): kilns found from 2018-11-01, not on the kiln list --------------

TEST(RulesTest, SP7_T54_UnlistedKiln) {
  auto kiln = [](District& d, const std::string& found) {
    d.Enterprise("e1", v1::FOOD, "C1439");
    auto& q = d.Equipment("e1", "q1", v1::KILN);
    q.set_on_kiln_list(false);
    q.set_kiln_found_date(found);
  };
  ExpectRows({{"found 2018-11-02, before the season: stops from the season start",
               [&](District& d) { kiln(d, "2018-11-02"); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED STOP STOP+NR STOP+NR STOP+NR [SP1,EM3,SP7] refused[]"},
               /*as_of=*/"2018-11-10"},
              {"found mid-season: stops from the day found",
               [&](District& d) { kiln(d, "2018-12-03"); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-12-03 RESTRICTED STOP STOP+NR STOP+NR STOP+NR [SP1,EM3,SP7] refused[]"},
               /*as_of=*/"2018-12-05"},
              {"found before the cutoff: the kiln list's own track, refused",
               [&](District& d) { kiln(d, "2018-10-31"); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[SP7]"},
               /*as_of=*/"2018-11-10"},
              {"no found date: refused, data missing",
               [&](District& d) { kiln(d, ""); },
               {"e1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[]",
                "q1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[SP7]"}},
              {"found after the list's date: not a fact yet, refused, data missing",
               [&](District& d) { kiln(d, "2018-11-05"); },
               {"e1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[]",
                "q1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[SP7]"},
               /*as_of=*/"2018-10-25"}},
             Rules());
}

// --- SP8 (T60): VOC treatment unfinished by the end of December 2018 ------------

TEST(RulesTest, SP8_T60_VocTreatment) {
  auto voc = [](District& d) {
    d.Enterprise("e1", v1::SURFACE_COATING, "C3360");
    d.Equipment("e1", "q1", v1::COATING_LINE).set_fuel(v1::NO_FUEL);
    d.Equipment("e1", "q2", v1::DRYER).set_fuel(v1::NATURAL_GAS);
  };
  ExpectRows({{"unfinished, task deadline later than T60's: the whole plant from 2019-01-01",
               [&](District& d) {
                 voc(d);
                 d.Task("e1", v1::VOC_TREATMENT, "2019-06-30");
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "e1@2019-01-01 RESTRICTED " + kRectifyAll + " [SP1,SP8,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2019-01-01 RESTRICTED " + kRectifyAll + " [SP1,SP8,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q2@2019-01-01 RESTRICTED " + kRectifyAll + " [SP1,SP8,EM3] refused[]"}},
              {"finished 2018-12-20, list generated after: refused",
               [&](District& d) {
                 voc(d);
                 d.Task("e1", v1::VOC_TREATMENT, "2018-12-31").set_completed_date("2018-12-20");
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[SP8]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q2@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]"},
               /*as_of=*/"2019-01-05"}},
             Rules());
}

// --- SP9 (T81, T83): stacks over 45 m --------------------------------------------

TEST(RulesTest, SP9_T81_T83_HighStacks) {
  auto stack = [](District& d, double height) -> v1::Equipment& {
    d.Enterprise("e1", v1::FOOD, "C1439");
    auto& q = d.Equipment("e1", "q1", v1::BOILER);
    q.set_rated_capacity(40);
    q.set_stack_height_m(height);
    return q;
  };
  ExpectRows({{"45 m exactly: not over 45",
               [&](District& d) { stack(d, 45); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[T17]"}},
              {"46 m without CEMS: rectify",
               [&](District& d) { stack(d, 46); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9] refused[T17]"}},
              {"46 m, CEMS at 90%: meets, refused",
               [&](District& d) {
                 auto& q = stack(d, 46);
                 q.set_cems_installed(true);
                 q.set_cems_transmission_rate(90);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[SP9,T17]"}},
              {"46 m, CEMS at 89.9%: rectify",
               [&](District& d) {
                 auto& q = stack(d, 46);
                 q.set_cems_installed(true);
                 q.set_cems_transmission_rate(89.9);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9] refused[T17]"}},
              {"46 m, CEMS without a recorded rate: cannot show 90%, rectify",
               [&](District& d) { stack(d, 46).set_cems_installed(true); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9] refused[T17]"}}},
             Rules());
}

// --- SP10 (T57, T58): kilns and crude technologies -------------------------------

TEST(RulesTest, SP10_T57_T58_KilnsAndCrudeControls) {
  ExpectRows({{"T57: a kiln not meeting standards; T77 puts the whole plant under rectification",
               [](District& d) {
                 d.Enterprise("e1", v1::FOOD, "C1439");
                 d.Equipment("e1", "q1", v1::KILN).set_stably_meets_standards(false);
                 d.Equipment("e1", "q2", v1::CRUSHER).set_fuel(v1::ELECTRICITY);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3,SP10] refused[]",
                "q2@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}},
              {"T58: a cyclone",
               [](District& d) {
                 d.Enterprise("e1", v1::FOOD, "C1439");
                 d.Equipment("e1", "q1", v1::DRYER).set_dust_control(v1::CYCLONE);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP10] refused[]"}},
              {"T58: simple alkali desulfurisation",
               [](District& d) {
                 d.Enterprise("e1", v1::FOOD, "C1439");
                 d.Equipment("e1", "q1", v1::DRYER).set_desulfurization(v1::SIMPLE_ALKALI);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP10] refused[]"}},
              {"a baghouse and limestone-gypsum: nothing",
               [](District& d) {
                 d.Enterprise("e1", v1::FOOD, "C1439");
                 auto& q = d.Equipment("e1", "q1", v1::DRYER);
                 q.set_dust_control(v1::BAGHOUSE);
                 q.set_desulfurization(v1::LIMESTONE_GYPSUM);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]"}}},
             Rules());
}

// T59 (VOC enforcement): a VOC source that cannot meet its standards is
// enforced through T77, the whole plant rectifies.
TEST(RulesTest, T59_VocSourceNotMeetingStandards) {
  ExpectRows({{"a coating line not meeting standards",
               [](District& d) {
                 d.Enterprise("e1", v1::SURFACE_COATING, "C3360");
                 d.Equipment("e1", "q1", v1::COATING_LINE).set_stably_meets_standards(false);
               },
               {"e1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,SP2,EM3] refused[]"}}},
             Rules());
}

// --- T17: coal boilers under 35 t/h ---------------------------------------------

TEST(RulesTest, T17_SmallCoalBoilers) {
  auto boiler = [](District& d) -> v1::Equipment& {
    d.Enterprise("e1", v1::FOOD, "C1439");
    return d.Equipment("e1", "q1", v1::BOILER);
  };
  ExpectRows({{"20 t/h coal: runs under its table until 2018-12-31, stops from 2019-01-01",
               [&](District& d) { boiler(d).set_rated_capacity(20); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2019-01-01 RESTRICTED STOP+ALL STOP+NR+ALL STOP+NR+ALL STOP+NR+ALL "
                "[SP1,EM3,T17] refused[]"}},
              {"34.9 t/h coal: the same",
               [&](District& d) { boiler(d).set_rated_capacity(34.9); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2019-01-01 RESTRICTED STOP+ALL STOP+NR+ALL STOP+NR+ALL STOP+NR+ALL "
                "[SP1,EM3,T17] refused[]"}},
              {"35 t/h coal: not under 35, refused",
               [&](District& d) { boiler(d).set_rated_capacity(35); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[T17]"}},
              {"coal, capacity not recorded: refused, data missing",
               [&](District& d) { boiler(d); },
               {"e1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[]",
                "q1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[T17]"}},
              {"20 t/h on gas: not considered",
               [&](District& d) {
                 auto& q = boiler(d);
                 q.set_rated_capacity(20);
                 q.set_fuel(v1::NATURAL_GAS);
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]"}}},
             Rules());
}

// --- T19: no biomass pellets in 渔阳镇 from 2018-11-01 ---------------------------

TEST(RulesTest, T19_BiomassBan) {
  auto biomass = [](District& d, const std::string& township) {
    d.Enterprise("e1", v1::FOOD, "C1439")
        .set_township(absl::StrCat(testing_support::kDistrict, "/townships/", township));
    auto& q = d.Equipment("e1", "q1", v1::BOILER);
    q.set_fuel(v1::BIOMASS);
    q.set_rated_capacity(10);
  };
  ExpectRows({{"in 渔阳镇: stops from the season start",
               [&](District& d) { biomass(d, "yuyang"); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED STOP+ALL STOP+NR+ALL STOP+NR+ALL STOP+NR+ALL "
                "[SP1,EM3,T19] refused[]"}},
              {"渔阳镇 registered under another id: matched by the registered name",
               [&](District& d) {
                 d.Township("yy-01", "渔阳镇");
                 d.snapshot().townships.erase(d.snapshot().townships.begin());
                 biomass(d, "yy-01");
               },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED STOP+ALL STOP+NR+ALL STOP+NR+ALL STOP+NR+ALL "
                "[SP1,EM3,T19] refused[]"}},
              {"in 邦均镇: refused",
               [&](District& d) { biomass(d, "bangjun"); },
               {"e1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[T19]"}},
              {"a township the registry does not have: refused, data missing",
               [&](District& d) { biomass(d, "nowhere"); },
               {"e1@2018-11-15 DATA_MISSING " + kGeneral + " [SP1,EM3,DATA] refused[]",
                "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[T19]"}}},
             Rules());
}

// --- EM3 (T48): non-road machinery stops during every alert ------------------------

TEST(RulesTest, EM3_T48_NonRoadMachineryEvenWhenExemptOrGuaranteed) {
  ExpectRows(
      {{"benchmark-exempt (see SP4): no production limit, non-road stop at every alert",
        [](District& d) {
          d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031");
          d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::ELECTRICITY);
        },
        {"e1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]",
         "q1@2018-11-15 EXEMPT " + kExemptAll + " [SP1,EM3,SP4] refused[]"}},
       {"livelihood at full load",
        [](District& d) {
          auto& e = d.Enterprise("e1", v1::FOOD, "C1439");
          e.set_supplies_heating(true);
          e.set_livelihood_cap_percent(100);
          d.Equipment("e1", "q1", v1::BOILER).set_rated_capacity(40);
        },
        {"e1@2018-11-15 GUARANTEED RUN CAP100+NR CAP100+NR CAP100+NR [SP1,SP5,EM3] refused[]",
         "q1@2018-11-15 GUARANTEED RUN CAP100+NR CAP100+NR CAP100+NR [SP1,SP5,EM3] "
         "refused[T17]"}}},
      Rules());
  // Grade A (national rules): voluntary measures, the non-road stop still binds.
  ExpectRows(
      {{"grade A cement clinker",
        [](District& d) {
          d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_A);
          d.Equipment("e1", "q1", v1::KILN);
        },
        {"e1@2018-11-15 EXEMPT VOL VOL+NR VOL+NR VOL+NR [SP1,EM3,GRADE] refused[]",
         "q1@2018-11-15 EXEMPT VOL VOL+NR VOL+NR VOL+NR [SP1,EM3,GRADE] refused[]"}}},
      Without(National(), v1::ESCALATION));
}

// --- EM4 (T79, T80): heavy trucks at orange and red --------------------------------

TEST(RulesTest, EM4_T79_T80_BulkTransport) {
  ExpectRows(
      {{"a bulk-transport plant outside the focus industries",
        [](District& d) {
          d.Enterprise("e1", v1::FOOD, "C1439").set_bulk_transport(true);
          d.Equipment("e1", "q1", v1::CRUSHER).set_fuel(v1::ELECTRICITY);
        },
        {"e1@2018-11-15 RESTRICTED RUN LIMIT10+NR LIMIT20+NR+T79 LIMIT30+NR+T79 [SP1,EM3,EM4] "
         "refused[]",
         "q1@2018-11-15 RESTRICTED RUN LIMIT10+NR LIMIT20+NR+T79 LIMIT30+NR+T79 [SP1,EM3,EM4] "
         "refused[]"}},
       {"an exempt bulk-transport plant keeps the truck rule",
        [](District& d) {
          d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031").set_bulk_transport(true);
          d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::NATURAL_GAS);
        },
        {"e1@2018-11-15 EXEMPT RUN RUN+NR RUN+NR+T79 RUN+NR+T79 [SP1,EM3,EM4,SP4] refused[]",
         "q1@2018-11-15 EXEMPT RUN RUN+NR RUN+NR+T79 RUN+NR+T79 [SP1,EM3,EM4,SP4] refused[]"}}},
      Rules());
  District d;
  d.Enterprise("e1", v1::FOOD, "C1439").set_bulk_transport(true);
  d.Equipment("e1", "q1", v1::DRYER);
  const GeneratedList list = d.Generate(Rules());
  const v1::Reason* r = ReasonOf(Entry(list, "enterprises/e1"), "EM4");
  EXPECT_THAT(TextOf(r), HasSubstr("国五及以上"));
  EXPECT_THAT(TextOf(r), HasSubstr("视频监控记录保存三个月以上"));  // T80
}

// --- The engine's own contract ------------------------------------------------------

TEST(RulesTest, RuleIdsAndClausesComeFromTheRuleSet) {
  v1::RuleSet renamed = Rules();
  for (auto& r : *renamed.mutable_rules()) {
    if (r.kind() == v1::BENCHMARK_CLEAN_ENERGY) {
      r.set_id("BENCH");
      r.set_seed_clause("§26 第二项");
    }
  }
  District d;
  d.Enterprise("e1", v1::BUILDING_MATERIALS, "C3031");
  d.Equipment("e1", "q1", v1::KILN).set_fuel(v1::ELECTRICITY);
  const GeneratedList list = d.Generate(renamed);
  const v1::Reason* r = ReasonOf(Entry(list, "enterprises/e1"), "BENCH");
  EXPECT_EQ(r == nullptr ? "" : r->seed_clause(), "§26 第二项");
}

TEST(RulesTest, SameInputSameBytesWhateverTheOrder) {
  District d;
  for (int i = 0; i < 30; ++i) {
    const std::string id = absl::StrCat("e", i);
    d.Enterprise(id,
                 i % 3 == 0   ? v1::FOUNDRY
                 : i % 3 == 1 ? v1::CHEMICALS
                              : v1::FOOD,
                 "C3391")
        .set_overcapacity(i % 5 == 0);
    for (int q = 0; q < 3; ++q) {
      d.Equipment(id, absl::StrCat("q", q), v1::DRYER, absl::StrCat("l", q % 2));
    }
  }
  d.Inventory(50, 50, 50, 50);
  auto first = d.Generate(Jizhou());
  std::mt19937 rng(7);
  auto& s = d.snapshot();
  std::shuffle(s.enterprises.begin(), s.enterprises.end(), rng);
  std::shuffle(s.equipment.begin(), s.equipment.end(), rng);
  std::shuffle(s.processes.begin(), s.processes.end(), rng);
  auto shuffled = d.Generate(Jizhou());
  EXPECT_EQ(first.content_sha256, shuffled.content_sha256);
  EXPECT_EQ(testing_support::Summaries(first), testing_support::Summaries(shuffled));
}

}  // namespace
}  // namespace cuofeng
