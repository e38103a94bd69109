// The rules engine, scenario by scenario, at each rule's boundaries.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/rules/engine.h"
#include "lib/rules/measures.h"
#include "lib/rules/rule_set.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& rel) {
  const char* src = std::getenv("CUOFENG_SOURCE_DIR");
  std::ifstream in(std::string(src == nullptr ? "." : src) + "/" + rel);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

v1::RuleSet Jizhou() {
  static const v1::RuleSet rs = [] {
    auto parsed = ParseRuleSet(ReadFile("tools/rulesets/jizhou-2018.textproto"));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.value_or(v1::RuleSet());
  }();
  return rs;
}

v1::RuleSet National() {
  auto parsed = ParseRuleSet(ReadFile("tools/rulesets/national-2020-sample.textproto"));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.value_or(v1::RuleSet());
}

v1::Season Season2018() {
  v1::Season s;
  s.set_name("districts/120119/seasons/2018-2019");
  s.set_start("2018-11-15");
  s.set_end("2019-03-15");
  s.set_filing_deadline("2018-10-31");
  return s;
}

// Builds a district snapshot one enterprise at a time.
class District {
 public:
  District() {
    s_.district.set_name("districts/120119");
    for (auto [id, name] : {std::pair{"yuyang", "渔阳镇"}, std::pair{"bangjun", "邦均镇"}}) {
      v1::Township t;
      t.set_name(absl::StrCat("districts/120119/townships/", id));
      t.set_display_name(name);
      s_.townships.push_back(t);
    }
    Inventory(1000, 1000, 1000, 1000);
  }

  void Inventory(double pm, double so2, double nox, double voc) {
    s_.emission_totals.clear();
    const v1::Pollutant ps[] = {v1::PM, v1::SO2, v1::NOX, v1::VOCS};
    const double ts[] = {pm, so2, nox, voc};
    for (int i = 0; i < 4; ++i) {
      v1::EmissionTotal t;
      t.set_name(absl::StrCat("districts/120119/emissionTotals/2017-", i));
      t.set_year(2017);
      t.set_pollutant(ps[i]);
      t.set_tonnes(ts[i]);
      s_.emission_totals.push_back(t);
    }
  }

  v1::Enterprise& Enterprise(const std::string& id, v1::IndustryCategory industry,
                             const std::string& code) {
    v1::Enterprise e;
    e.set_name(absl::StrCat("districts/120119/enterprises/", id));
    e.set_display_name(absl::StrCat("企业", id));
    e.set_uscc("91350100M000100Y43");
    e.set_township("districts/120119/townships/bangjun");
    e.set_industry_code(code);
    e.set_industry_category(industry);
    e.set_permit_status(v1::PERMIT_VALID);
    e.set_permit_compliant(true);
    e.set_stably_meets_standards(true);
    e.set_performance_grade(v1::UNGRADED);
    e.set_approved_capacity_daily(100);
    s_.enterprises.push_back(e);
    return s_.enterprises.back();
  }

  // Adds equipment to line `line` (created as needed) of enterprise `id`.
  v1::Equipment& Equipment(const std::string& id, const std::string& q, v1::EquipmentType type,
                           const std::string& line = "l1", bool quick_stop = true) {
    const std::string e = absl::StrCat("districts/120119/enterprises/", id);
    const std::string l = absl::StrCat(e, "/lines/", line);
    const std::string p = absl::StrCat(l, "/processes/p1");
    if (std::none_of(s_.lines.begin(), s_.lines.end(), [&](auto& x) { return x.name() == l; })) {
      v1::ProductionLine pl;
      pl.set_name(l);
      s_.lines.push_back(pl);
      v1::Process pr;
      pr.set_name(p);
      pr.set_quick_safe_stop(quick_stop);
      s_.processes.push_back(pr);
    }
    v1::Equipment eq;
    eq.set_name(absl::StrCat(p, "/equipment/", q));
    eq.set_display_name(q);
    eq.set_type(type);
    eq.set_fuel(v1::COAL);
    eq.set_pm_annual(10);
    eq.set_so2_annual(10);
    eq.set_nox_annual(10);
    eq.set_voc_annual(10);
    eq.set_stack_height_m(30);
    eq.set_on_kiln_list(true);
    s_.equipment.push_back(eq);
    return s_.equipment.back();
  }

  v1::RetrofitTask& Task(const std::string& id, v1::RetrofitKind kind,
                         const std::string& deadline) {
    v1::RetrofitTask t;
    t.set_name(absl::StrCat("districts/120119/enterprises/", id, "/retrofitTasks/r",
                            s_.retrofit_tasks.size()));
    t.set_kind(kind);
    t.set_deadline(deadline);
    s_.retrofit_tasks.push_back(t);
    return s_.retrofit_tasks.back();
  }

  GeneratedList Generate(const v1::RuleSet& rs = Jizhou()) const {
    return GenerateList(rs, Season2018(), s_);
  }
  RegistrySnapshot& snapshot() { return s_; }

 private:
  RegistrySnapshot s_;
};

const v1::ListEntry* Find(const GeneratedList& l, const std::string& resource_suffix,
                          const std::string& from = "2018-11-15") {
  for (const auto& e : l.entries) {
    if (absl::EndsWith(e.resource(), resource_suffix) && e.effective_from() == from) return &e;
  }
  return nullptr;
}

std::vector<std::string> Rules(const v1::ListEntry& e) {
  std::vector<std::string> out;
  for (const auto& r : e.reasons()) out.push_back(r.rule_id());
  return out;
}

// --- Rule sets --------------------------------------------------------------

TEST(RuleSetTest, ShippedRuleSetsParseAndHashStably) {
  v1::RuleSet j = Jizhou();
  EXPECT_EQ(j.measure_tables_size(), 4);
  EXPECT_EQ(j.targets_size(), 12);
  EXPECT_EQ(RuleSetSha256(j), RuleSetSha256(Jizhou()));
  v1::RuleSet n = National();
  EXPECT_NE(RuleSetSha256(j), RuleSetSha256(n));
  int sample = 0;
  for (const auto& t : n.measure_tables()) sample += t.sample_values();
  EXPECT_EQ(sample, 8);  // brick, foundry, glass are marked as sample values
  // Comments and spacing do not change the hash.
  auto reformatted =
      ParseRuleSet("# a comment\n" + ReadFile("tools/rulesets/jizhou-2018.textproto"));
  ASSERT_TRUE(reformatted.ok());
  EXPECT_EQ(RuleSetSha256(*reformatted), RuleSetSha256(j));
}

TEST(RuleSetTest, PercentOutsideRangeNamesLineAndField) {
  std::string text = ReadFile("tools/rulesets/jizhou-2018.textproto");
  size_t at = text.find(
      "orange { action: STOP stop_non_road: true }\n  red    { action: STOP stop_non_road: true "
      "}\n}\n\n# T76 铸造");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 44, "orange { action: LIMIT percent: 120 }      ");
  auto parsed = ParseRuleSet(text);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  auto v = FieldViolations(parsed.status());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "measure_tables[0].orange.percent");
  const int line = 1 + std::count(text.begin(), text.begin() + at, '\n');
  EXPECT_THAT(v[0].description,
              HasSubstr(absl::StrCat("line ", line, ": percent 120 is outside 0-100")));
}

TEST(RuleSetTest, UnknownIndustryIsASyntaxErrorWithLine) {
  auto parsed = ParseRuleSet("display_name: \"x\"\nfocus_industries: [MINING]\n");
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldViolations(parsed.status())[0].description, HasSubstr("line 2"));
  EXPECT_THAT(FieldViolations(parsed.status())[0].description, HasSubstr("MINING"));
}

TEST(RuleSetTest, LevelWithoutTargetsGradeMissingAndOverlaps) {
  std::string text = ReadFile("tools/rulesets/jizhou-2018.textproto");
  size_t at = text.find("targets { level: ORANGE pollutant: VOCS");
  text.erase(at, text.find('\n', at) - at);
  text +=
      "\nmeasure_tables { id: \"dup\" industry: FOUNDRY grade: UNGRADED season { action: RUN } "
      "yellow { action: RUN } orange { action: RUN } red { action: RUN } }\n"
      "measure_tables { id: \"nograde\" industry: STEEL season { action: RUN } yellow { action: "
      "RUN } "
      "orange { action: RUN } red { action: RUN } }\n";
  size_t season = text.find("season { start:");
  text.replace(season, text.find('\n', season) - season,
               "season { start: \"2019-03-15\" end: \"2018-11-15\" }");
  auto parsed = ParseRuleSet(text);
  ASSERT_FALSE(parsed.ok());
  std::vector<std::string> fields, text_of;
  for (const auto& v : FieldViolations(parsed.status())) {
    fields.push_back(v.field);
    text_of.push_back(v.description);
  }
  EXPECT_THAT(fields, Contains("targets"));
  EXPECT_THAT(text_of, Contains(HasSubstr("ORANGE has no target for VOCS")));
  EXPECT_THAT(fields, Contains("measure_tables[4]"));  // overlaps T76-foundry
  EXPECT_THAT(fields, Contains("measure_tables[5].grade"));
  EXPECT_THAT(fields, Contains("season.end"));
}

// --- SP4 benchmark exemption --------------------------------------------------

TEST(EngineTest, FoundryAtExactlyTwentyAndHundredIsExemptAbove) {
  for (auto [pm, so2, exempt] : {std::tuple{20.0, 100.0, true}, std::tuple{20.1, 100.0, false},
                                 std::tuple{20.0, 100.1, false}}) {
    District d;
    d.Enterprise("f1", v1::FOUNDRY, "C3391");
    auto& q = d.Equipment("f1", "melt", v1::INDUCTION_FURNACE);
    q.set_fuel(v1::ELECTRICITY);
    q.set_pm_concentration(pm);
    q.set_so2_concentration(so2);
    auto list = d.Generate();
    const v1::ListEntry* e = Find(list, "enterprises/f1");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->kind() == v1::EXEMPT, exempt) << pm << "/" << so2;
    if (exempt) {
      EXPECT_EQ(e->season().action(), v1::RUN);
      EXPECT_THAT(Rules(*e), Contains("SP4"));
      // The facts used, with their values.
      bool has_fact = false;
      for (const auto& r : e->reasons()) {
        for (const auto& f : r.facts())
          has_fact = has_fact || (f.field() == "pm_concentration" && f.value() == "20");
      }
      EXPECT_TRUE(has_fact);
    } else {
      EXPECT_EQ(e->season().action(), v1::LIMIT);
      EXPECT_EQ(e->season().percent(), 50);
    }
  }
}

TEST(EngineTest, ABenchmarkFoundryWithoutAPermitIsNotExempt) {
  District d;
  d.Enterprise("f1", v1::FOUNDRY, "C3391").set_permit_status(v1::PERMIT_NONE);
  auto& q = d.Equipment("f1", "melt", v1::INDUCTION_FURNACE);
  q.set_pm_concentration(10);
  q.set_so2_concentration(50);
  auto list = d.Generate();
  const v1::ListEntry* e = Find(list, "enterprises/f1");
  EXPECT_EQ(e->kind(), v1::RESTRICTED);
  EXPECT_EQ(e->season().action(), v1::RECTIFY);
  EXPECT_THAT(Rules(*e), Contains("SP4"));  // the clerk still sees both reasons
  EXPECT_THAT(Rules(*e), Contains("SP2"));
}

TEST(EngineTest, AHighStackInAnExemptPlantIsRestricted) {
  District d;
  d.Enterprise("b", v1::BUILDING_MATERIALS, "C3031");
  auto& kiln = d.Equipment("b", "kiln", v1::KILN);
  kiln.set_kiln_type(v1::ROASTING_KILN);
  kiln.set_fuel(v1::NATURAL_GAS);
  kiln.set_stack_height_m(50);  // no CEMS
  auto& dryer = d.Equipment("b", "dryer", v1::DRYER);
  dryer.set_fuel(v1::ELECTRICITY);
  auto list = d.Generate();
  EXPECT_EQ(Find(list, "enterprises/b")->kind(), v1::EXEMPT);
  EXPECT_EQ(Find(list, "equipment/kiln")->kind(), v1::RESTRICTED);
  EXPECT_EQ(Find(list, "equipment/kiln")->season().action(), v1::RECTIFY);
  EXPECT_EQ(Find(list, "equipment/dryer")->kind(), v1::EXEMPT);
}

TEST(EngineTest, ExemptionsWorkWithoutAnyMeasureTable) {
  v1::RuleSet bare = Jizhou();
  bare.clear_measure_tables();  // a bureau's own rule set may have none that match
  District d;
  d.Enterprise("a", v1::FOOD, "C1439").set_performance_grade(v1::GRADE_A);
  d.Equipment("a", "q", v1::DRYER);
  d.Enterprise("f", v1::FOUNDRY, "C3391");
  auto& melt = d.Equipment("f", "melt", v1::INDUCTION_FURNACE);
  melt.set_pm_concentration(10);
  melt.set_so2_concentration(50);
  auto list = d.Generate(bare);
  EXPECT_EQ(Find(list, "enterprises/a")->kind(), v1::EXEMPT);
  EXPECT_EQ(Find(list, "enterprises/f")->kind(), v1::EXEMPT);
}

TEST(EngineTest, CupolaNeedsCemsForTheExemption) {
  for (bool cems : {true, false}) {
    District d;
    d.Enterprise("f1", v1::FOUNDRY, "C3391");
    auto& q = d.Equipment("f1", "cupola", v1::CUPOLA);
    q.set_pm_concentration(15);
    q.set_so2_concentration(80);
    q.set_cems_installed(cems);
    q.set_cems_transmission_rate(95);
    EXPECT_EQ(Find(d.Generate(), "enterprises/f1")->kind() == v1::EXEMPT, cems);
  }
}

TEST(EngineTest, BrickKilnOnGasIsExemptOnCoalStops) {
  for (auto [fuel, exempt] : {std::pair{v1::NATURAL_GAS, true}, std::pair{v1::ELECTRICITY, true},
                              std::pair{v1::COAL, false}}) {
    District d;
    d.Enterprise("b1", v1::BUILDING_MATERIALS, "C3031");
    auto& q = d.Equipment("b1", "kiln", v1::KILN);
    q.set_kiln_type(v1::ROASTING_KILN);
    q.set_fuel(fuel);
    auto list = d.Generate();
    const v1::ListEntry* e = Find(list, "equipment/kiln");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->kind() == v1::EXEMPT, exempt);
    EXPECT_EQ(e->season().action(), exempt ? v1::RUN : v1::STOP);
  }
}

TEST(EngineTest, MissingConcentrationsAreDataMissingNotExempt) {
  District d;
  d.Enterprise("f1", v1::FOUNDRY, "C3391");
  auto& q = d.Equipment("f1", "melt", v1::INDUCTION_FURNACE);
  q.set_pm_concentration(10);  // SO2 never measured
  auto generated = d.Generate();
  const v1::ListEntry* e = Find(generated, "enterprises/f1");
  EXPECT_EQ(e->kind(), v1::DATA_MISSING);
  EXPECT_THAT(Rules(*e), Contains("DATA"));
}

// --- SP2, SP8: retrofit deadlines -------------------------------------------

TEST(EngineTest, RetrofitOverdueNotYetDueAndDueMidSeason) {
  District d;
  d.Enterprise("o", v1::FOUNDRY, "C3391");
  d.Equipment("o", "m", v1::INDUCTION_FURNACE);
  d.Task("o", v1::EMISSION_CONTROL, "2018-09-30");  // overdue before the season
  d.Enterprise("n", v1::FOUNDRY, "C3391");
  d.Equipment("n", "m", v1::INDUCTION_FURNACE);
  d.Task("n", v1::EMISSION_CONTROL, "2019-06-30");  // not yet due
  d.Enterprise("m", v1::FOUNDRY, "C3391");
  d.Equipment("m", "m", v1::INDUCTION_FURNACE);
  d.Task("m", v1::EMISSION_CONTROL, "2018-12-31");  // due mid-season
  d.Enterprise("done", v1::FOUNDRY, "C3391");
  d.Equipment("done", "m", v1::INDUCTION_FURNACE);
  d.Task("done", v1::EMISSION_CONTROL, "2018-09-30").set_completed_date("2018-09-20");
  auto list = d.Generate();
  EXPECT_EQ(Find(list, "enterprises/o/lines/l1/processes/p1/equipment/m")->season().action(),
            v1::RECTIFY);
  EXPECT_EQ(Find(list, "enterprises/n/lines/l1/processes/p1/equipment/m")->season().action(),
            v1::LIMIT);
  EXPECT_EQ(Find(list, "enterprises/done/lines/l1/processes/p1/equipment/m")->season().action(),
            v1::LIMIT);
  // Mid-season: the table's limit first, then 停产整治 from the day after the deadline.
  EXPECT_EQ(Find(list, "enterprises/m/lines/l1/processes/p1/equipment/m")->season().action(),
            v1::LIMIT);
  const v1::ListEntry* later =
      Find(list, "enterprises/m/lines/l1/processes/p1/equipment/m", "2019-01-01");
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->season().action(), v1::RECTIFY);
  EXPECT_THAT(Rules(*later), Contains("SP2"));
}

TEST(EngineTest, VocTreatmentUnfinishedByDecemberRectifiesFromJanuary) {
  District d;
  d.Enterprise("v", v1::FURNITURE, "C2110");
  d.Equipment("v", "coat", v1::COATING_LINE);
  d.Task("v", v1::VOC_TREATMENT, "2019-02-28");  // T60 caps it at 2018-12-31
  auto list = d.Generate();
  const v1::ListEntry* later = Find(list, "equipment/coat", "2019-01-01");
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->season().action(), v1::RECTIFY);
  EXPECT_THAT(Rules(*later), Contains("SP8"));
}

// --- SP3, SP5 ------------------------------------------------------------------

TEST(EngineTest, RestrictedClassStops) {
  District d;
  d.Enterprise("r", v1::BUILDING_MATERIALS, "C3012").set_restricted_class(true);
  d.Equipment("r", "kiln", v1::KILN).set_kiln_type(v1::ROASTING_KILN);
  auto generated = d.Generate();
  const v1::ListEntry* e = Find(generated, "enterprises/r");
  EXPECT_EQ(e->season().action(), v1::STOP);
  EXPECT_THAT(Rules(*e), Contains("SP3"));
}

TEST(EngineTest, HeatingSupplierIsKeptAtItsCapAtEveryLevel) {
  District d;
  auto& e = d.Enterprise("heat", v1::ENERGY_HEATING, "D4430");
  e.set_supplies_heating(true);
  e.set_livelihood_cap_percent(80);
  e.set_restricted_class(true);  // would stop; the livelihood cap wins
  d.Equipment("heat", "boiler", v1::BOILER).set_rated_capacity(58);
  d.Inventory(1, 1, 1, 1);  // tiny inventory: escalation would love to stop it
  auto list = d.Generate();
  const v1::ListEntry* q = Find(list, "equipment/boiler");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->kind(), v1::GUARANTEED);
  for (const v1::Measure* m : {&q->season(), &q->yellow(), &q->orange(), &q->red()}) {
    EXPECT_EQ(m->action(), v1::CAP);
    EXPECT_EQ(m->percent(), 80);
  }
}

// --- SP7, SP9, T19, SP10 --------------------------------------------------------

TEST(EngineTest, KilnFoundAfterNovemberFirstNotOnTheListStops) {
  for (auto [found, listed] : {std::pair{"2018-11-05", true}, std::pair{"2018-11-01", true},
                               std::pair{"2018-10-31", false}}) {
    District d;
    d.Enterprise("k", v1::OTHER_INDUSTRY, "C3089");
    auto& q = d.Equipment("k", "kiln", v1::KILN);
    q.set_kiln_type(v1::HEATING_FURNACE);
    q.set_on_kiln_list(false);
    q.set_kiln_found_date(found);
    auto list = d.Generate();
    const v1::ListEntry* e = Find(list, "equipment/kiln");
    ASSERT_NE(e, nullptr) << found;
    EXPECT_EQ(e->season().action() == v1::STOP, listed) << found;
  }
}

TEST(EngineTest, StackOverFortyFiveMetresNeedsCemsAtNinetyPercent) {
  struct Case {
    double height;
    bool cems;
    double rate;
    bool stops;
  };
  for (Case c : {Case{45, false, 0, false}, Case{46, false, 0, true}, Case{46, true, 89, true},
                 Case{46, true, 90, false}}) {
    District d;
    d.Enterprise("s", v1::FOOD, "C1439");
    auto& q = d.Equipment("s", "boiler", v1::BOILER);
    q.set_fuel(v1::NATURAL_GAS);
    q.set_stack_height_m(c.height);
    q.set_cems_installed(c.cems);
    if (c.cems) q.set_cems_transmission_rate(c.rate);
    auto generated = d.Generate();
    const v1::ListEntry* e = Find(generated, "equipment/boiler");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->season().action() == v1::RECTIFY, c.stops) << c.height << " m, " << c.rate << "%";
  }
}

TEST(EngineTest, BiomassInYuyangStopsFromNovemberFirst) {
  for (auto [town, stops] : {std::pair{"yuyang", true}, std::pair{"bangjun", false}}) {
    District d;
    d.Enterprise("b", v1::FOOD, "C1439")
        .set_township(absl::StrCat("districts/120119/townships/", town));
    d.Equipment("b", "boiler", v1::BOILER).set_fuel(v1::BIOMASS);
    auto generated = d.Generate();
    const v1::ListEntry* e = Find(generated, "equipment/boiler");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->season().action() == v1::STOP, stops) << town;
    if (stops) EXPECT_THAT(Rules(*e), Contains("T19"));
  }
}

TEST(EngineTest, CrudeDustControlIsRectified) {
  District d;
  d.Enterprise("c", v1::FOOD, "C1439");
  d.Equipment("c", "dryer", v1::DRYER).set_dust_control(v1::CYCLONE);
  auto generated = d.Generate();
  const v1::ListEntry* e = Find(generated, "equipment/dryer");
  EXPECT_EQ(e->season().action(), v1::RECTIFY);
  EXPECT_THAT(Rules(*e), Contains("SP10"));
}

TEST(EngineTest, EquipmentWithoutEmissionDataIsListedButNotCounted) {
  District d;
  d.Enterprise("x", v1::CHEMICALS, "C2614");
  auto& q = d.Equipment("x", "reactor", v1::REACTOR);
  q.clear_pm_annual();
  q.clear_so2_annual();
  q.clear_nox_annual();
  q.clear_voc_annual();
  auto list = d.Generate();
  EXPECT_EQ(Find(list, "equipment/reactor")->kind(), v1::DATA_MISSING);
  for (const auto& proof : list.proof) {
    for (const auto& cut : proof.cuts()) EXPECT_EQ(cut.cut_tonnes(), 0);
  }
}

// --- Targets and escalation (EM1, EM2) ----------------------------------------

TEST(EngineTest, TargetsMetByTheTables) {
  District d;
  d.Inventory(100, 100, 100, 100);
  for (int i = 0; i < 4; ++i) {
    const std::string id = absl::StrCat("b", i);
    d.Enterprise(id, v1::BUILDING_MATERIALS, "C3031");
    d.Equipment(id, "kiln", v1::KILN).set_kiln_type(v1::ROASTING_KILN);
  }
  auto list = d.Generate();
  for (const auto& proof : list.proof) {
    EXPECT_EQ(proof.escalated_entries(), 0);
    for (const auto& cut : proof.cuts()) {
      EXPECT_TRUE(cut.met()) << v1::AlertLevel_Name(proof.level()) << " "
                             << v1::Pollutant_Name(cut.pollutant());
      EXPECT_DOUBLE_EQ(cut.cut_tonnes(), 40);  // four stopped kilns × 10 t
    }
  }
}

TEST(EngineTest, EscalationStopsQuickSafeProcessesOvercapacityFirst) {
  District d;
  d.Inventory(100, 100, 100, 100);
  // Fallback table: limit 10% at yellow — 2 t of the 10 t the target needs.
  d.Enterprise("a-other", v1::FOOD, "C1439");
  d.Equipment("a-other", "q", v1::DRYER);
  d.Enterprise("z-over", v1::FOOD, "C1439").set_overcapacity(true);
  d.Equipment("z-over", "q", v1::DRYER);
  d.Enterprise("unsafe", v1::FOOD, "C1439").set_overcapacity(true);
  d.Equipment("unsafe", "q", v1::DRYER, "l1", /*quick_stop=*/false);
  auto list = d.Generate();
  const v1::LevelProof& yellow = list.proof[0];
  EXPECT_GT(yellow.escalated_entries(), 0);
  for (const auto& cut : yellow.cuts()) EXPECT_TRUE(cut.met());
  // The overcapacity plant stops first; the one that cannot stop safely never does.
  EXPECT_EQ(Find(list, "z-over/lines/l1/processes/p1/equipment/q")->yellow().action(), v1::STOP);
  EXPECT_TRUE(Find(list, "z-over/lines/l1/processes/p1/equipment/q")->escalated());
  EXPECT_NE(Find(list, "unsafe/lines/l1/processes/p1/equipment/q")->yellow().action(), v1::STOP);
  EXPECT_THAT(Rules(*Find(list, "z-over/lines/l1/processes/p1/equipment/q")), Contains("EM2"));
  // What yellow escalated stays stopped at orange and red.
  EXPECT_EQ(Find(list, "z-over/lines/l1/processes/p1/equipment/q")->red().action(), v1::STOP);
}

TEST(EngineTest, UnreachableTargetSaysByHowMuchAndWhatBlocksIt) {
  District d;
  d.Inventory(100, 100, 100, 100);
  auto& f = d.Enterprise("bench", v1::FOUNDRY, "C3391");
  (void)f;
  auto& q = d.Equipment("bench", "melt", v1::INDUCTION_FURNACE);
  q.set_pm_annual(50);
  q.set_pm_concentration(10);
  q.set_so2_concentration(50);
  auto& h = d.Enterprise("heat", v1::ENERGY_HEATING, "D4430");
  h.set_supplies_heating(true);
  h.set_livelihood_cap_percent(90);
  d.Equipment("heat", "boiler", v1::BOILER).set_rated_capacity(58);
  auto list = d.Generate();
  const v1::PollutantCut* red_pm = nullptr;
  for (const auto& c : list.proof[2].cuts()) {
    if (c.pollutant() == v1::PM) red_pm = &c;
  }
  ASSERT_NE(red_pm, nullptr);
  EXPECT_FALSE(red_pm->met());
  EXPECT_NEAR(red_pm->shortfall_tonnes(), 30 - red_pm->cut_tonnes(), 1e-6);
  EXPECT_THAT(red_pm->blocked_by(), Contains(HasSubstr("SP4")));
  EXPECT_THAT(red_pm->blocked_by(), Contains(HasSubstr("SP5")));
}

TEST(EngineTest, GradeAIsVoluntaryAndNeverEscalated) {
  District d;
  d.Inventory(10, 10, 10, 10);
  d.Enterprise("a", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_A);
  d.Equipment("a", "kiln", v1::KILN).set_kiln_type(v1::ROASTING_KILN);
  auto list = d.Generate(National());
  const v1::ListEntry* e = Find(list, "equipment/kiln", "2018-11-15");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind(), v1::EXEMPT);
  EXPECT_EQ(e->red().action(), v1::VOLUNTARY);
  EXPECT_FALSE(e->escalated());
}

TEST(EngineTest, CementClinkerTableOfTheNationalGuide) {
  District d;
  d.Enterprise("b", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_B);
  d.Equipment("b", "kiln", v1::KILN).set_kiln_type(v1::ROASTING_KILN);
  d.Enterprise("dd", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_D);
  d.Equipment("dd", "kiln", v1::KILN).set_kiln_type(v1::ROASTING_KILN);
  auto list = d.Generate(National());
  const v1::ListEntry* b = Find(list, "enterprises/b");
  EXPECT_EQ(b->yellow().transport(), v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS);
  EXPECT_EQ(b->orange().action(), v1::LIMIT);
  EXPECT_EQ(b->orange().percent(), 20);
  EXPECT_EQ(b->red().action(), v1::STOP);
  const v1::ListEntry* dd = Find(list, "enterprises/dd");
  EXPECT_EQ(dd->season().action(), v1::STOP);
  EXPECT_EQ(dd->yellow().transport(), v1::NO_ROAD_TRANSPORT);
}

TEST(EngineTest, StopHalfCountedByLineStopsWholeLinesOrLowersASingleLine) {
  District d;
  d.Inventory(10, 10, 10, 10);  // small enough that no escalation hides the table
  d.Enterprise("two", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_C);
  d.Equipment("two", "k1", v1::KILN, "l1").set_kiln_type(v1::ROASTING_KILN);
  auto& big = d.Equipment("two", "k2", v1::KILN, "l2");
  big.set_kiln_type(v1::ROASTING_KILN);
  big.set_pm_annual(99);
  d.Enterprise("one", v1::BUILDING_MATERIALS, "C3011").set_performance_grade(v1::GRADE_C);
  d.Equipment("one", "k1", v1::KILN, "l1").set_kiln_type(v1::ROASTING_KILN);
  auto list = d.Generate(National());
  // Two lines, stop 50%: the larger emitter (l2) stops, l1 runs.
  EXPECT_EQ(Find(list, "two/lines/l2/processes/p1/equipment/k2")->yellow().action(), v1::STOP);
  EXPECT_EQ(Find(list, "two/lines/l1/processes/p1/equipment/k1")->yellow().action(), v1::RUN);
  ASSERT_NE(Find(list, "two/lines/l2"), nullptr);  // the line has its own entry
  // One line: lower the load by 50% instead.
  const v1::ListEntry* single = Find(list, "one/lines/l1/processes/p1/equipment/k1");
  EXPECT_EQ(single->yellow().action(), v1::LIMIT);
  EXPECT_EQ(single->yellow().percent(), 50);
}

TEST(EngineTest, BulkTransportGetsTheTruckRuleAtOrangeAndRed) {
  District d;
  d.Enterprise("t", v1::FOOD, "C1439").set_bulk_transport(true);
  d.Equipment("t", "q", v1::DRYER);
  auto generated = d.Generate();
  const v1::ListEntry* e = Find(generated, "enterprises/t");
  EXPECT_EQ(e->yellow().transport(), v1::NO_TRANSPORT_RULE);
  EXPECT_EQ(e->orange().transport(), v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY);
  EXPECT_EQ(e->red().transport(), v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY);
  EXPECT_TRUE(e->yellow().stop_non_road());
}

TEST(EngineTest, MonthAdjustmentsShortenAndExtendTheStaggeredPeriod) {
  v1::Season s = Season2018();
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

// --- Determinism ------------------------------------------------------------------

TEST(EngineTest, SameInputSameBytesWhateverTheOrder) {
  District d;
  for (int i = 0; i < 30; ++i) {
    const std::string id = absl::StrCat("e", i);
    d.Enterprise(id,
                 i % 3 == 0   ? v1::FOUNDRY
                 : i % 3 == 1 ? v1::CHEMICALS
                              : v1::FOOD,
                 "C3391")
        .set_overcapacity(i % 5 == 0);
    for (int q = 0; q < 3; ++q)
      d.Equipment(id, absl::StrCat("q", q), v1::DRYER, absl::StrCat("l", q % 2));
  }
  d.Inventory(50, 50, 50, 50);
  auto first = d.Generate();
  auto second = d.Generate();
  EXPECT_EQ(first.content_sha256, second.content_sha256);
  std::mt19937 rng(7);
  auto& s = d.snapshot();
  std::shuffle(s.enterprises.begin(), s.enterprises.end(), rng);
  std::shuffle(s.equipment.begin(), s.equipment.end(), rng);
  std::shuffle(s.processes.begin(), s.processes.end(), rng);
  auto shuffled = d.Generate();
  EXPECT_EQ(first.content_sha256, shuffled.content_sha256);
  ASSERT_EQ(first.entries.size(), shuffled.entries.size());
  for (size_t i = 0; i < first.entries.size(); ++i) {
    EXPECT_EQ(first.entries[i].SerializeAsString(), shuffled.entries[i].SerializeAsString());
  }
}

}  // namespace
}  // namespace cuofeng
