// Shared by the rules engine tests: the shipped rule sets, a small-district
// builder, and a one-line summary of an entry so a test states the exact
// entry it expects.
#ifndef CUOFENG_TESTS_UNIT_RULES_TEST_SUPPORT_H_
#define CUOFENG_TESTS_UNIT_RULES_TEST_SUPPORT_H_

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "lib/rules/engine.h"
#include "lib/rules/rule_set.h"

namespace cuofeng {
namespace testing_support {

inline std::string ReadSource(const std::string& rel) {
  const char* src = std::getenv("CUOFENG_SOURCE_DIR");
  std::ifstream in(std::string(src == nullptr ? "." : src) + "/" + rel);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline v1::RuleSet ParseShipped(const std::string& file) {
  auto parsed = ParseRuleSet(ReadSource("tools/rulesets/" + file));
  EXPECT_TRUE(parsed.ok()) << file << ": " << parsed.status();
  return parsed.value_or(v1::RuleSet());
}

// The shipped 2018 rules.
inline const v1::RuleSet& Jizhou() {
  static const v1::RuleSet* rs = new v1::RuleSet(ParseShipped("jizhou-2018.textproto"));
  return *rs;
}

inline const v1::RuleSet& National() {
  static const v1::RuleSet* rs = new v1::RuleSet(ParseShipped("national-2020-sample.textproto"));
  return *rs;
}

// Without a rule kind: a rule's rows are not disturbed by escalation.
inline v1::RuleSet Without(v1::RuleSet rs, v1::RuleKind kind) {
  auto* rules = rs.mutable_rules();
  rules->erase(std::remove_if(rules->begin(), rules->end(),
                              [&](const v1::RuleSpec& r) { return r.kind() == kind; }),
               rules->end());
  return rs;
}

inline v1::Season Season2018() {
  v1::Season s;
  s.set_name("districts/120119/seasons/2018-2019");
  s.set_start("2018-11-15");
  s.set_end("2019-03-15");
  s.set_filing_deadline("2018-10-31");
  return s;
}

constexpr char kDistrict[] = "districts/120119";

// District builds a small registry snapshot.
class District {
 public:
  District() {
    s_.district.set_name(kDistrict);
    Township("yuyang", "渔阳镇");
    Township("bangjun", "邦均镇");
    Inventory(1000, 1000, 1000, 1000);
  }

  v1::Township& Township(const std::string& id, const std::string& name) {
    v1::Township t;
    t.set_name(absl::StrCat(kDistrict, "/townships/", id));
    t.set_display_name(name);
    s_.townships.push_back(t);
    return s_.townships.back();
  }

  void Inventory(double pm, double so2, double nox, double voc) {
    s_.emission_totals.clear();
    const v1::Pollutant ps[] = {v1::PM, v1::SO2, v1::NOX, v1::VOCS};
    const double ts[] = {pm, so2, nox, voc};
    for (int i = 0; i < 4; ++i) {
      v1::EmissionTotal t;
      t.set_name(absl::StrCat(kDistrict, "/emissionTotals/2017-", i));
      t.set_year(2017);
      t.set_pollutant(ps[i]);
      t.set_tonnes(ts[i]);
      s_.emission_totals.push_back(t);
    }
  }

  // An enterprise that meets its standards and permit, in 邦均镇.
  v1::Enterprise& Enterprise(const std::string& id, v1::IndustryCategory industry,
                             const std::string& code) {
    v1::Enterprise e;
    e.set_name(absl::StrCat(kDistrict, "/enterprises/", id));
    e.set_display_name(absl::StrCat("企业", id));
    e.set_uscc("91350100M000100Y43");
    e.set_township(absl::StrCat(kDistrict, "/townships/bangjun"));
    e.set_industry_code(code);
    e.set_industry_category(industry);
    e.set_permit_status(v1::PERMIT_VALID);
    e.set_permit_compliant(true);
    e.set_stably_meets_standards(true);
    e.set_performance_grade(v1::UNGRADED);
    e.set_approved_capacity_daily(100);
    e.set_responsible_person("张三");
    e.set_contact_phone("022-29000000");
    s_.enterprises.push_back(e);
    return s_.enterprises.back();
  }

  // Equipment `q` on line `line` (created as needed) of enterprise `id`:
  // coal, 10 t/a of each pollutant, a 30 m stack, on the kiln list,
  // concentrations above the §26 benchmark.
  v1::Equipment& Equipment(const std::string& id, const std::string& q, v1::EquipmentType type,
                           const std::string& line = "l1", bool quick_stop = true) {
    const std::string e = absl::StrCat(kDistrict, "/enterprises/", id);
    const std::string l = absl::StrCat(e, "/lines/", line);
    const std::string p = absl::StrCat(l, "/processes/p1");
    if (std::none_of(s_.lines.begin(), s_.lines.end(), [&](auto& x) { return x.name() == l; })) {
      v1::ProductionLine pl;
      pl.set_name(l);
      pl.set_display_name(absl::StrCat(line, "生产线"));
      s_.lines.push_back(pl);
      v1::Process pr;
      pr.set_name(p);
      pr.set_display_name("熔炼工序");
      pr.set_quick_safe_stop(quick_stop);
      s_.processes.push_back(pr);
    }
    v1::Equipment eq;
    eq.set_name(absl::StrCat(p, "/equipment/", q));
    eq.set_display_name(absl::StrCat(q, "号设备"));
    eq.set_type(type);
    if (type == v1::KILN) eq.set_kiln_type(v1::ROASTING_KILN);
    eq.set_fuel(v1::COAL);
    eq.set_pm_annual(10);
    eq.set_so2_annual(10);
    eq.set_nox_annual(10);
    eq.set_voc_annual(10);
    eq.set_pm_concentration(30);
    eq.set_so2_concentration(150);
    eq.set_stack_height_m(30);
    eq.set_on_kiln_list(true);
    s_.equipment.push_back(eq);
    return s_.equipment.back();
  }

  v1::RetrofitTask& Task(const std::string& id, v1::RetrofitKind kind,
                         const std::string& deadline) {
    v1::RetrofitTask t;
    t.set_name(
        absl::StrCat(kDistrict, "/enterprises/", id, "/retrofitTasks/r", s_.retrofit_tasks.size()));
    t.set_kind(kind);
    t.set_deadline(deadline);
    s_.retrofit_tasks.push_back(t);
    return s_.retrofit_tasks.back();
  }

  GeneratedList Generate(const v1::RuleSet& rs, const std::string& as_of = "2018-10-25") const {
    return GenerateList(rs, Season2018(), s_, as_of);
  }
  RegistrySnapshot& snapshot() { return s_; }

 private:
  RegistrySnapshot s_;
};

// Code writes a measure compactly: RUN, VOL, LIMIT50, LINES50, CAP70,
// STOP, RECTIFY; "+NR" when non-road machinery stops, "+T79" heavy trucks
// except China V (EM4), "+NOC4" no China IV-or-older trucks, "+NOROAD";
// "+ALL" when it binds outside the staggered period too.
inline std::string Code(const v1::Measure& m) {
  std::string s;
  auto pct = [&] { return absl::StrCat(m.percent()); };
  switch (m.action()) {
    case v1::RUN:
      s = "RUN";
      break;
    case v1::VOLUNTARY:
      s = "VOL";
      break;
    case v1::LIMIT:
      s = "LIMIT" + pct();
      break;
    case v1::STOP_LINES:
      s = "LINES" + pct();
      break;
    case v1::CAP:
      s = "CAP" + pct();
      break;
    case v1::STOP:
      s = "STOP";
      break;
    case v1::RECTIFY:
      s = "RECTIFY";
      break;
    default:
      s = "?";
  }
  if (m.stop_non_road()) s += "+NR";
  switch (m.transport()) {
    case v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY:
      s += "+T79";
      break;
    case v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS:
      s += "+NOC4";
      break;
    case v1::NO_ROAD_TRANSPORT:
      s += "+NOROAD";
      break;
    default:
      break;
  }
  if (m.binds_outside_staggered_period()) s += "+ALL";
  return s;
}

// Summary is one entry on one line:
//   "q1@2018-11-15 RESTRICTED LIMIT50 LIMIT50+NR STOP+NR STOP+NR [SP1,EM3] refused[SP4]"
// with " escalated" appended when escalated.
inline std::string Summary(const v1::ListEntry& e) {
  std::vector<std::string> reasons, refused;
  for (const auto& r : e.reasons()) reasons.push_back(r.rule_id());
  for (const auto& r : e.refused()) refused.push_back(r.rule_id());
  std::string kind = v1::EntryKind_Name(e.kind());
  return absl::StrCat(e.resource().substr(e.resource().rfind('/') + 1), "@", e.effective_from(),
                      " ", kind, " ", Code(e.season()), " ", Code(e.yellow()), " ",
                      Code(e.orange()), " ", Code(e.red()), " [", absl::StrJoin(reasons, ","),
                      "] refused[", absl::StrJoin(refused, ","), "]",
                      e.escalated() ? " escalated" : "");
}

inline std::vector<std::string> Summaries(const GeneratedList& list) {
  std::vector<std::string> out;
  for (const auto& e : list.entries) out.push_back(Summary(e));
  return out;
}

// Row is one case of a rule: a small registry and every entry it must give.
struct Row {
  std::string name;
  std::function<void(District&)> registry;
  std::vector<std::string> want;
  std::string as_of = "2018-10-25";
};

// ExpectRows generates each row's registry with `rules` and compares every
// entry of the list with the row's.
inline void ExpectRows(const std::vector<Row>& rows, const v1::RuleSet& rules) {
  for (const Row& row : rows) {
    District d;
    row.registry(d);
    EXPECT_EQ(Summaries(d.Generate(rules, row.as_of)), row.want) << "row: " << row.name;
  }
}

// Entry finds the entry of the resource whose name ends with `suffix` from
// `from`; a test failure and nullptr if there is none.
inline const v1::ListEntry* Entry(const GeneratedList& list, const std::string& suffix,
                                  const std::string& from = "2018-11-15") {
  for (const auto& e : list.entries) {
    if (e.resource().size() >= suffix.size() &&
        e.resource().compare(e.resource().size() - suffix.size(), suffix.size(), suffix) == 0 &&
        e.effective_from() == from) {
      return &e;
    }
  }
  ADD_FAILURE() << "no entry for " << suffix << " from " << from;
  return nullptr;
}

}  // namespace testing_support
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_UNIT_RULES_TEST_SUPPORT_H_
