#include "lib/rules/engine.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "lib/hash/sha256.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

constexpr v1::AlertLevel kLevels[] = {v1::YELLOW, v1::ORANGE, v1::RED};
constexpr v1::Pollutant kPollutants[] = {v1::PM, v1::SO2, v1::NOX, v1::VOCS};

// Measures at the four levels: season, yellow, orange, red.
struct Levels {
  v1::Measure m[4];
  static Levels All(const v1::Measure& x) { return Levels{{x, x, x, x}}; }
  static Levels Alerts(const v1::Measure& x) { return Levels{{Run(), x, x, x}}; }
  static Levels Of(const v1::MeasureTable& t) {
    return Levels{{t.season(), t.yellow(), t.orange(), t.red()}};
  }
  Levels Stricter(const Levels& o) const {
    Levels out;
    for (int i = 0; i < 4; ++i) out.m[i] = cuofeng::Stricter(m[i], o.m[i]);
    return out;
  }
};

// One rule's contribution to a resource, from a date ("" = the season start).
struct Contribution {
  std::string from;
  Levels levels;
  v1::Reason reason;
};

std::string NextDay(const std::string& date) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(date, &d)) return date;
  return absl::FormatCivilTime(d + 1);
}

std::string Value(double v) { return absl::StrCat(v); }

v1::Fact MakeFact(const std::string& resource, const std::string& field, const std::string& value) {
  v1::Fact f;
  f.set_resource(resource);
  f.set_field(field);
  f.set_value(value.empty() ? "(missing)" : value);
  return f;
}

v1::Reason MakeReason(const std::string& rule, const std::string& clause, const std::string& text,
                      std::vector<v1::Fact> facts = {}) {
  v1::Reason r;
  r.set_rule_id(rule);
  r.set_seed_clause(clause);
  r.set_text(text);
  for (auto& f : facts) *r.add_facts() = std::move(f);
  return r;
}

double Annual(const v1::Equipment& q, v1::Pollutant p, bool* present) {
  switch (p) {
    case v1::PM:
      *present = q.has_pm_annual();
      return q.pm_annual();
    case v1::SO2:
      *present = q.has_so2_annual();
      return q.so2_annual();
    case v1::NOX:
      *present = q.has_nox_annual();
      return q.nox_annual();
    case v1::VOCS:
      *present = q.has_voc_annual();
      return q.voc_annual();
    default:
      *present = false;
      return 0;
  }
}

bool HasAnyAnnual(const v1::Equipment& q) {
  return q.has_pm_annual() || q.has_so2_annual() || q.has_nox_annual() || q.has_voc_annual();
}

bool IsMelting(const v1::Equipment& q) {
  return q.type() == v1::CUPOLA || q.type() == v1::INDUCTION_FURNACE ||
         q.kiln_type() == v1::SMELTING_FURNACE || q.kiln_type() == v1::MELTING_FURNACE;
}

bool IsKiln(const v1::Equipment& q) { return q.type() == v1::KILN || q.type() == v1::CUPOLA; }

// Whether the equipment is a source whose emissions the inventory counts:
// combustion (not on electricity), melting, coating, printing, reactors.
bool IsEmissionSource(const v1::Equipment& q) {
  switch (q.type()) {
    case v1::KILN:
    case v1::CUPOLA:
    case v1::INDUCTION_FURNACE:
    case v1::COATING_LINE:
    case v1::REACTOR:
    case v1::PRINTING_PRESS:
      return true;
    case v1::BOILER:
    case v1::DRYER:
      return q.fuel() != v1::ELECTRICITY && q.fuel() != v1::NO_FUEL;
    default:
      return false;
  }
}

bool IsFuelled(const v1::Equipment& q) {
  return q.type() == v1::KILN || q.type() == v1::BOILER || q.type() == v1::DRYER ||
         q.type() == v1::CUPOLA;
}

// The resource name of the enterprise above `name` (first four segments).
std::string EnterpriseOf(const std::string& name) {
  size_t pos = 0;
  for (int i = 0; i < 4 && pos != std::string::npos; ++i) pos = name.find('/', pos + 1);
  return pos == std::string::npos ? name : name.substr(0, pos);
}

// The parent of a resource name (drop "/collection/id").
std::string ParentOf(const std::string& name) {
  size_t slash = name.rfind('/');
  slash = slash == std::string::npos ? 0 : name.rfind('/', slash - 1);
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

// What keeps a stop or a limit safe for this kind of equipment (SP6, T78).
std::string SafetyText(const v1::Equipment& q) {
  switch (q.type()) {
    case v1::KILN:
    case v1::CUPOLA:
    case v1::INDUCTION_FURNACE:
      return "按操作规程降温停炉，防止炉体急冷损坏和煤气、熔融物泄漏；治污设施保持运行至停炉完成 "
             "(cool down per procedure; keep pollution control running until the furnace is out)";
    case v1::BOILER:
      return "逐步降负荷停炉，保证管网防冻和安全泄压 (reduce load step by step; protect the "
             "network "
             "from freezing; keep safety valves)";
    case v1::REACTOR:
    case v1::STORAGE_TANK:
      return "物料退净后停车，保持氮封、温度和压力监控 (empty before shutdown; keep nitrogen "
             "blanket, "
             "temperature and pressure monitoring)";
    default:
      return "按安全规程停机，切断动力电源，保留消防和治污设施 (stop per safety procedure; keep "
             "fire "
             "protection and pollution control)";
  }
}

// The display name of `name` in `index`, or its id when it has none.
template <typename T>
std::string DisplayName(const std::unordered_map<std::string, const T*>& index,
                        const std::string& name) {
  auto it = index.find(name);
  if (it != index.end() && !it->second->display_name().empty()) return it->second->display_name();
  return name.substr(name.rfind('/') + 1);
}

// Everything the engine knows about one enterprise while it works.
struct Plant {
  const v1::Enterprise* e = nullptr;
  std::vector<const v1::Equipment*> equipment;  // in name order
  std::vector<const v1::RetrofitTask*> tasks;
  std::vector<Contribution> enterprise_rules;
  std::map<const v1::Equipment*, std::vector<Contribution>> equipment_rules;
  v1::EntryKind kind = v1::RESTRICTED;
  bool listed = false;  // has an entry
  bool exempt = false;  // benchmark or grade A: never escalated
  bool voluntary = false;
  double cap = -1;                   // livelihood cap percent, -1 none
  int group = 2;                     // escalation group
  std::vector<std::string> missing;  // facts the bureau must complete
};

class Engine {
 public:
  Engine(const v1::RuleSet& rules, const v1::Season& season, const RegistrySnapshot& s)
      : rules_(rules), season_(season), s_(s) {}

  GeneratedList Generate();

 private:
  const v1::MeasureTable* FindTable(const v1::Enterprise& e) const;
  void Evaluate(Plant& p);
  void BuildEntries();
  void ResolveStopLines(size_t first_equipment_entry);
  void Prove();
  // The measure an equipment entry has at level i (0 season, 1-3 alerts).
  static const v1::Measure& At(const v1::ListEntry& e, int i) {
    return i == 0 ? e.season() : i == 1 ? e.yellow() : i == 2 ? e.orange() : e.red();
  }
  static v1::Measure* MutableAt(v1::ListEntry* e, int i) {
    return i == 0   ? e->mutable_season()
           : i == 1 ? e->mutable_yellow()
           : i == 2 ? e->mutable_orange()
                    : e->mutable_red();
  }
  double Target(v1::AlertLevel level, v1::Pollutant p, std::string* clause) const;

  const v1::RuleSet& rules_;
  const v1::Season& season_;
  const RegistrySnapshot& s_;
  std::vector<Plant> plants_;
  std::unordered_map<std::string, const v1::Process*> processes_;
  std::unordered_map<std::string, const v1::ProductionLine*> lines_;
  std::unordered_map<std::string, const v1::Township*> townships_;
  GeneratedList out_;
  // Entries of equipment in force at the season start, by equipment.
  std::map<const v1::Equipment*, size_t> start_entry_;
  std::unordered_map<const v1::Equipment*, Plant*> plant_of_;
  std::unordered_map<std::string, const v1::Equipment*> equipment_by_name_;
};

const v1::MeasureTable* Engine::FindTable(const v1::Enterprise& e) const {
  const v1::MeasureTable* best = nullptr;
  int best_score = -1;
  for (const v1::MeasureTable& t : rules_.measure_tables()) {
    int score = -1;
    bool grade_exact = t.grade() == e.performance_grade();
    bool grade_ok = grade_exact || t.grade() == v1::UNGRADED;
    if (!grade_ok) continue;
    if (t.fallback()) {
      score = 0;
    } else if (t.industry() == e.industry_category()) {
      if (t.industry_code_prefixes_size() == 0) {
        score = 10;
      } else {
        for (const std::string& prefix : t.industry_code_prefixes()) {
          if (absl::StartsWith(e.industry_code(), prefix)) {
            score = std::max<int>(score, 10 + static_cast<int>(prefix.size()));
          }
        }
      }
    }
    if (score < 0) continue;
    score = score * 2 + (grade_exact ? 1 : 0);
    if (score > best_score) {
      best_score = score;
      best = &t;
    }
  }
  return best;
}

void Engine::Evaluate(Plant& p) {
  const v1::Enterprise& e = *p.e;
  const v1::Thresholds& th = rules_.thresholds();
  const v1::RuleMeasures& rm = rules_.rule_measures();
  const std::string& en = e.name();
  const bool focus = std::find(rules_.focus_industries().begin(), rules_.focus_industries().end(),
                               e.industry_category()) != rules_.focus_industries().end();
  const std::string season_start = season_.start();
  const std::string season_end = season_.end();

  // SP1/EM2: the industry's measure table.
  const v1::MeasureTable* table = FindTable(e);
  Levels base = Levels::All(Run());
  if (table != nullptr) {
    base = Levels::Of(*table);
    p.enterprise_rules.push_back(
        {"", base,
         MakeReason(
             focus ? "SP1" : "EM2", table->seed_clause(),
             absl::StrCat("按行业差异化管控，适用措施表 ", table->id(),
                          table->sample_values() ? "（示例数值）" : "",
                          " (the industry's measure table",
                          table->sample_values() ? ", sample values" : "", ")"),
             {MakeFact(en, "industry_category", v1::IndustryCategory_Name(e.industry_category())),
              MakeFact(en, "industry_code", e.industry_code()),
              MakeFact(en, "performance_grade",
                       v1::PerformanceGrade_Name(e.performance_grade()))})});
    p.listed = focus || CutFraction(base.m[0]) > 0 || CutFraction(base.m[1]) > 0;
  }
  p.listed = p.listed || focus;
  // An exemption lifts the table's measures (the table stays as a reason).
  auto exempt = [&](const Levels& levels, v1::Reason reason) {
    p.exempt = true;
    p.kind = v1::EXEMPT;
    p.listed = true;
    if (table != nullptr) p.enterprise_rules.front().levels = levels;
    p.enterprise_rules.push_back({"", levels, std::move(reason)});
  };

  // Grade A and leading enterprises take voluntary measures only.
  if (e.performance_grade() == v1::GRADE_A || e.performance_grade() == v1::GRADE_LEADING) {
    p.voluntary = true;
    v1::Measure vol;
    vol.set_action(v1::VOLUNTARY);
    exempt(Levels::All(vol),
           MakeReason("GRADE", "2020 技术指南",
                      "绩效A级/引领性企业自主采取减排措施 (grade A: voluntary measures)",
                      {MakeFact(en, "performance_grade",
                                v1::PerformanceGrade_Name(e.performance_grade()))}));
  }

  // SP4 (T77, §26): benchmark exemption.
  if (e.industry_category() == v1::FOUNDRY) {
    std::vector<v1::Fact> facts;
    bool any = false, all_ok = true, missing = false;
    for (const v1::Equipment* q : p.equipment) {
      if (!IsMelting(*q)) continue;
      any = true;
      facts.push_back(MakeFact(q->name(), "pm_concentration",
                               q->has_pm_concentration() ? Value(q->pm_concentration()) : ""));
      facts.push_back(MakeFact(q->name(), "so2_concentration",
                               q->has_so2_concentration() ? Value(q->so2_concentration()) : ""));
      if (!q->has_pm_concentration() || !q->has_so2_concentration()) {
        missing = true;
        p.missing.push_back(
            absl::StrCat(q->name(), ": 颗粒物/二氧化硫浓度 (PM/SO2 concentration)"));
        continue;
      }
      bool ok = q->pm_concentration() <= th.benchmark_pm_mg_m3() &&
                q->so2_concentration() <= th.benchmark_so2_mg_m3();
      if (q->type() == v1::CUPOLA) {
        facts.push_back(
            MakeFact(q->name(), "cems_installed", q->cems_installed() ? "true" : "false"));
        ok = ok && q->cems_installed();
      }
      all_ok = all_ok && ok;
    }
    if (any && all_ok && !missing &&
        !(e.has_stably_meets_standards() && !e.stably_meets_standards())) {
      exempt(
          Levels::All(Run()),
          MakeReason(
              "SP4", "T77, §26",
              absl::StrCat(
                  "铸造熔炼设备颗粒物≤", th.benchmark_pm_mg_m3(), "、二氧化硫≤",
                  th.benchmark_so2_mg_m3(),
                  "mg/m³，冲天炉安装在线监测：环保标杆企业，不予限产 (foundry melting within the "
                  "benchmark limits: exempt)"),
              facts));
    }
  } else if (e.industry_category() == v1::BUILDING_MATERIALS &&
             (absl::StartsWith(e.industry_code(), "C303") ||
              absl::StartsWith(e.industry_code(), "C302"))) {
    std::vector<v1::Fact> facts;
    bool clean = true, any = false;
    for (const v1::Equipment* q : p.equipment) {
      if (!IsFuelled(*q)) continue;
      any = true;
      facts.push_back(MakeFact(q->name(), "fuel",
                               q->fuel() == v1::FUEL_UNSPECIFIED ? "" : v1::Fuel_Name(q->fuel())));
      if (q->fuel() == v1::FUEL_UNSPECIFIED)
        p.missing.push_back(absl::StrCat(q->name(), ": 燃料 (fuel)"));
      clean = clean && (q->fuel() == v1::NATURAL_GAS || q->fuel() == v1::ELECTRICITY);
    }
    facts.push_back(MakeFact(
        en, "stably_meets_standards",
        e.has_stably_meets_standards() ? (e.stably_meets_standards() ? "true" : "false") : ""));
    if (any && clean && e.has_stably_meets_standards() && e.stably_meets_standards()) {
      exempt(Levels::All(Run()),
             MakeReason("SP4", "T77, §26",
                        "砖瓦、水泥制品企业以天然气或电为燃料并稳定达标：环保标杆，不予限产 "
                        "(brick/cement-product "
                        "plant on gas or electricity meeting standards: exempt)",
                        facts));
    }
  }

  // SP3 (T77): restricted class.
  if (e.restricted_class()) {
    p.listed = true;
    p.enterprise_rules.push_back(
        {"", Levels::All(rm.restricted_class()),
         MakeReason("SP3", "T77",
                    "属《产业结构调整指导目录》限制类，提高限产比例或停产 (restricted class)",
                    {MakeFact(en, "restricted_class", "true")})});
  }

  // SP2 (T77): not meeting standards or the permit.
  if (e.has_stably_meets_standards() && !e.stably_meets_standards()) {
    p.listed = true;
    p.enterprise_rules.push_back(
        {"", Levels::All(rm.rectify()),
         MakeReason("SP2", "T77",
                    "不能稳定达标排放，全面错峰生产即停产整治 (not stably meeting standards)",
                    {MakeFact(en, "stably_meets_standards", "false")})});
  }
  const bool no_permit =
      e.permit_status() == v1::PERMIT_NONE || e.permit_status() == v1::PERMIT_EXPIRED;
  if (no_permit || (e.has_permit_compliant() && !e.permit_compliant())) {
    p.listed = true;
    p.enterprise_rules.push_back(
        {"", Levels::All(rm.rectify()),
         MakeReason(
             "SP2", "T77",
             "未达到排污许可管理要求，停产整治 (not meeting the discharge-permit requirements)",
             {MakeFact(en, "permit_status", v1::PermitStatus_Name(e.permit_status())),
              MakeFact(
                  en, "permit_compliant",
                  e.has_permit_compliant() ? (e.permit_compliant() ? "true" : "false") : "")})});
  }

  // SP2 (T77) and SP8 (T60): retrofit tasks not finished on time.
  for (const v1::RetrofitTask* t : p.tasks) {
    const bool voc = t->kind() == v1::VOC_TREATMENT;
    std::string deadline = t->deadline();
    if (voc && !th.voc_treatment_deadline().empty() && th.voc_treatment_deadline() < deadline) {
      deadline = th.voc_treatment_deadline();
    }
    const bool done_on_time = !t->completed_date().empty() && t->completed_date() <= deadline;
    if (done_on_time || deadline >= season_end) continue;
    std::string from = NextDay(deadline);
    if (from <= season_start) from = "";
    Contribution c{
        from, Levels::All(rm.rectify()),
        MakeReason(
            voc ? "SP8" : "SP2",
            voc ? "T60" : absl::StrCat("T77", t->seed_task().empty() ? "" : ", " + t->seed_task()),
            absl::StrCat(voc ? "VOCs治理未按期完成" : "治理改造任务未按期完成", "（期限 ", deadline,
                         "），停产整治 (retrofit not finished by its deadline)"),
            {MakeFact(t->name(), "deadline", t->deadline()),
             MakeFact(t->name(), "completed_date", t->completed_date())})};
    p.listed = true;
    const v1::Equipment* target = nullptr;
    for (const v1::Equipment* q : p.equipment) {
      if (q->name() == t->equipment()) target = q;
    }
    if (target != nullptr) {
      p.equipment_rules[target].push_back(std::move(c));
    } else {
      p.enterprise_rules.push_back(std::move(c));
    }
  }

  // EM4 (T79): bulk-transport enterprises under orange and red alerts.
  if (e.bulk_transport()) {
    v1::Measure t = Run();
    t.set_transport(v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY);
    Levels l = Levels::All(Run());
    l.m[2] = l.m[3] = t;
    p.enterprise_rules.push_back(
        {"", l,
         MakeReason(
             "EM4", "T79",
             "大宗物料运输企业橙色、红色预警期间重型载货车禁止进出（国五及以上保障类车辆除外）",
             {MakeFact(en, "bulk_transport", "true")})});
  }

  // Equipment rules.
  for (const v1::Equipment* q : p.equipment) {
    auto& rules = p.equipment_rules[q];
    const std::string& qn = q->name();
    // SP7 (T54): kilns found after the cutoff and not on the management list.
    if (IsKiln(*q) && !q->on_kiln_list()) {
      if (q->kiln_found_date().empty()) {
        p.missing.push_back(
            absl::StrCat(qn, ": 炉窑发现日期 (kiln found date; not on the kiln list)"));
      } else if (!th.kiln_list_cutoff_date().empty() &&
                 q->kiln_found_date() >= th.kiln_list_cutoff_date()) {
        rules.push_back(
            {q->kiln_found_date() <= season_start ? "" : q->kiln_found_date(),
             Levels::All(rm.unlisted_kiln()),
             MakeReason("SP7", "T54",
                        absl::StrCat(th.kiln_list_cutoff_date(),
                                     "起新发现未列入管理清单的工业炉窑，一律纳入错峰生产清单"),
                        {MakeFact(qn, "on_kiln_list", "false"),
                         MakeFact(qn, "kiln_found_date", q->kiln_found_date())})});
      }
    }
    // SP9 (T81, T83): high stacks need CEMS at ≥ 90 % transmission.
    if (q->has_stack_height_m() && q->stack_height_m() > th.high_stack_m()) {
      const bool ok = q->cems_installed() && q->has_cems_transmission_rate() &&
                      q->cems_transmission_rate() >= th.cems_min_transmission_percent();
      if (!ok) {
        rules.push_back(
            {"", Levels::All(rm.rectify()),
             MakeReason(
                 "SP9", "T81, T83",
                 absl::StrCat("排气筒高度超过", th.high_stack_m(),
                              "米未安装自动监控或数据传输有效率低于",
                              th.cems_min_transmission_percent(), "%，停产整治"),
                 {MakeFact(qn, "stack_height_m", Value(q->stack_height_m())),
                  MakeFact(qn, "cems_installed", q->cems_installed() ? "true" : "false"),
                  MakeFact(qn, "cems_transmission_rate",
                           q->has_cems_transmission_rate() ? Value(q->cems_transmission_rate())
                                                           : "")})});
      }
    }
    // SP10 (T57, T58): kilns not meeting standards; crude technologies.
    const bool crude_dust =
        std::find(th.eliminated_dust_controls().begin(), th.eliminated_dust_controls().end(),
                  q->dust_control()) != th.eliminated_dust_controls().end();
    const bool crude_so2 =
        std::find(th.eliminated_desulfurizations().begin(), th.eliminated_desulfurizations().end(),
                  q->desulfurization()) != th.eliminated_desulfurizations().end();
    if (crude_dust || crude_so2) {
      rules.push_back(
          {"", Levels::All(rm.rectify()),
           MakeReason(
               "SP10", "T57, T58",
               "使用应淘汰的简易除尘或脱硫工艺，停产整治 (crude control technology to eliminate)",
               {MakeFact(qn, "dust_control", v1::DustControl_Name(q->dust_control())),
                MakeFact(qn, "desulfurization", v1::Desulfurization_Name(q->desulfurization()))})});
    }
    if (q->has_stably_meets_standards() && !q->stably_meets_standards()) {
      rules.push_back({"", Levels::All(rm.rectify()),
                       MakeReason(IsKiln(*q) ? "SP10" : "SP2", IsKiln(*q) ? "T57" : "T77",
                                  "设备不能稳定达标排放，停产整治",
                                  {MakeFact(qn, "stably_meets_standards", "false")})});
    }
    // T19: no biomass fuel in the listed townships from the ban date.
    const std::string township = e.township().substr(e.township().rfind('/') + 1);
    if (q->fuel() == v1::BIOMASS && !th.biomass_ban_date().empty() &&
        std::find(th.biomass_ban_townships().begin(), th.biomass_ban_townships().end(), township) !=
            th.biomass_ban_townships().end()) {
      v1::Measure stop;
      stop.set_action(v1::STOP);
      rules.push_back(
          {th.biomass_ban_date() <= season_start ? "" : th.biomass_ban_date(), Levels::All(stop),
           MakeReason("T19", "T19", absl::StrCat(th.biomass_ban_date(), "起该镇禁止使用生物质燃料"),
                      {MakeFact(qn, "fuel", "BIOMASS"), MakeFact(en, "township", e.township())})});
    }
    // T17: coal boilers under 35 t/h are eliminated.
    if (q->type() == v1::BOILER && q->fuel() == v1::COAL && th.small_coal_boiler_t_h() > 0 &&
        q->has_rated_capacity() && q->rated_capacity() < th.small_coal_boiler_t_h()) {
      v1::Measure stop;
      stop.set_action(v1::STOP);
      rules.push_back({"", Levels::All(stop),
                       MakeReason("T17", "T17",
                                  absl::StrCat("35蒸吨/小时以下燃煤锅炉淘汰 (coal boiler under ",
                                               th.small_coal_boiler_t_h(), " t/h)"),
                                  {MakeFact(qn, "rated_capacity", Value(q->rated_capacity())),
                                   MakeFact(qn, "fuel", "COAL")})});
    }
    if (!rules.empty()) p.listed = true;
  }

  // SP5 (§26): livelihood duties keep what basic needs require.
  if (e.supplies_heating() || e.coprocesses_municipal_waste() || e.coprocesses_hazardous_waste()) {
    p.listed = true;
    p.kind = v1::GUARANTEED;
    if (e.has_livelihood_cap_percent()) {
      p.cap = e.livelihood_cap_percent();
    } else {
      p.cap = 100;
      p.missing.push_back(absl::StrCat(en, ": 民生保障负荷上限 (livelihood load cap)"));
    }
    p.enterprise_rules.push_back(
        {"", Levels::All(Run()),
         MakeReason(
             "SP5", "§26",
             absl::StrCat("承担", e.supplies_heating() ? "供暖" : "",
                          e.coprocesses_municipal_waste() ? "协同处置城市垃圾" : "",
                          e.coprocesses_hazardous_waste() ? "协同处置危险废物" : "",
                          "民生保障任务，以热定产，负荷不低于", p.cap, "% (livelihood guarantee)"),
             {MakeFact(en, "supplies_heating", e.supplies_heating() ? "true" : "false"),
              MakeFact(en, "livelihood_cap_percent",
                       e.has_livelihood_cap_percent() ? Value(e.livelihood_cap_percent()) : "")})});
  }
  // Missing emission data of listed equipment.
  if (p.listed) {
    for (const v1::Equipment* q : p.equipment) {
      if (!HasAnyAnnual(*q) && IsEmissionSource(*q)) {
        p.missing.push_back(absl::StrCat(q->name(), ": 年排放量 (annual emissions)"));
      }
    }
  }
  // An exemption does not survive a rule that stops the plant (SP2, SP3,
  // SP8): the seed lists those enterprises whatever their concentrations.
  if (p.exempt) {
    for (const Contribution& c : p.enterprise_rules) {
      const std::string& rule = c.reason.rule_id();
      if ((rule == "SP2" || rule == "SP3" || rule == "SP8") && CutFraction(c.levels.m[0]) > 0) {
        p.exempt = p.voluntary = false;
        p.kind = v1::RESTRICTED;
      }
    }
  }
  if (p.exempt) p.kind = v1::EXEMPT;
  if (p.kind == v1::RESTRICTED && !p.missing.empty()) p.kind = v1::DATA_MISSING;
  // EM4 (T79) binds every bulk-transport enterprise at orange and red, listed
  // for production or not: the gate check reads the rule from its entry.
  if (e.bulk_transport()) p.listed = true;
}

// Turns contributions into entries: one per resource and distinct date.
void Engine::BuildEntries() {
  std::vector<v1::ListEntry>& entries = out_.entries;
  for (Plant& p : plants_) {
    if (!p.listed) continue;
    const v1::Enterprise& e = *p.e;
    std::vector<std::string> dates = {""};
    for (const auto& c : p.enterprise_rules) dates.push_back(c.from);
    for (const auto& [q, rules] : p.equipment_rules) {
      for (const auto& c : rules) dates.push_back(c.from);
    }
    std::sort(dates.begin(), dates.end());
    dates.erase(std::unique(dates.begin(), dates.end()), dates.end());

    auto fill = [&](v1::ListEntry* entry, const std::vector<const Contribution*>& cs,
                    const std::string& date) {
      Levels l = Levels::All(Run());
      for (const Contribution* c : cs) {
        if (c->from <= date) {
          l = l.Stricter(c->levels);
          *entry->add_reasons() = c->reason;
        }
      }
      if (p.cap >= 0) {
        for (auto& m : l.m) ClampToCap(p.cap, &m);
      }
      *entry->mutable_season() = l.m[0];
      *entry->mutable_yellow() = l.m[1];
      *entry->mutable_orange() = l.m[2];
      *entry->mutable_red() = l.m[3];
      entry->set_effective_from(date.empty() ? season_.start() : date);
      entry->set_enterprise(e.name());
      entry->set_enterprise_name(e.display_name());
      entry->set_uscc(e.uscc());
      entry->set_industry(
          absl::StrCat(ChineseLabel(v1::IndustryCategory_Name(e.industry_category())), " (",
                       e.industry_code(), ")"));
      entry->set_responsible_person(e.responsible_person());
      entry->set_contact_phone(e.contact_phone());
    };
    std::vector<const Contribution*> ent;
    for (const auto& c : p.enterprise_rules) ent.push_back(&c);
    for (const std::string& date : dates) {
      v1::ListEntry entry;
      entry.set_resource(e.name());
      entry.set_resource_name(e.display_name());
      entry.set_kind(p.kind);
      fill(&entry, ent, date);
      if (date.empty() && !p.missing.empty()) {
        *entry.add_reasons() =
            MakeReason("DATA", "T78",
                       absl::StrCat("缺少以下数据，相关设备不计入减排量 (missing facts; not "
                                    "counted toward the targets): ",
                                    absl::StrJoin(p.missing, "; ")));
      }
      entry.set_safety_measure(
          absl::StrCat("一厂一策：责任人 ",
                       e.responsible_person().empty() ? "(missing)" : e.responsible_person(),
                       "，联系电话 ", e.contact_phone().empty() ? "(missing)" : e.contact_phone()));
      // An enterprise-level entry only for dates where enterprise rules change.
      bool enterprise_date = date.empty();
      for (const auto& c : p.enterprise_rules) enterprise_date = enterprise_date || c.from == date;
      if (enterprise_date) entries.push_back(std::move(entry));
    }
    const size_t first_equipment_entry = entries.size();
    for (const v1::Equipment* q : p.equipment) {
      std::vector<const Contribution*> cs = ent;
      for (const auto& c : p.equipment_rules[q]) cs.push_back(&c);
      const bool missing = !HasAnyAnnual(*q) && IsEmissionSource(*q);
      for (const std::string& date : dates) {
        bool relevant = date.empty();
        for (const Contribution* c : cs) relevant = relevant || c->from == date;
        if (!relevant) continue;
        v1::ListEntry entry;
        entry.set_resource(q->name());
        entry.set_resource_name(q->display_name());
        entry.set_process_name(DisplayName(processes_, ParentOf(q->name())));
        entry.set_line_name(DisplayName(lines_, ParentOf(ParentOf(q->name()))));
        // Data missing is said where it is missing: here only this
        // equipment's own gaps; the enterprise entry lists the plant's.
        // A rule on this equipment (a high stack, a crude technology)
        // restricts it even in an exempt plant.
        bool own_rule = false;
        for (const auto& c : p.equipment_rules[q])
          own_rule = own_rule || CutFraction(c.levels.m[0]) > 0;
        entry.set_kind(p.kind == v1::GUARANTEED            ? p.kind
                       : p.kind == v1::EXEMPT && !own_rule ? p.kind
                       : missing                           ? v1::DATA_MISSING
                                                           : v1::RESTRICTED);
        fill(&entry, cs, date);
        bool restricts = false;
        for (int i = 0; i < 4; ++i) restricts = restricts || CutFraction(At(entry, i)) > 0;
        entry.set_safety_measure(restricts ? SafetyText(*q) : "");
        if (missing) {
          *entry.add_reasons() = MakeReason(
              "DATA", "T78",
              "缺少年排放量数据，不计入减排量 (no annual emissions: not counted toward the "
              "targets)",
              {MakeFact(q->name(), "pm_annual", ""), MakeFact(q->name(), "so2_annual", ""),
               MakeFact(q->name(), "nox_annual", ""), MakeFact(q->name(), "voc_annual", "")});
        }
        entries.push_back(std::move(entry));
      }
    }
    ResolveStopLines(first_equipment_entry);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const v1::ListEntry& a, const v1::ListEntry& b) {
                     return std::tie(a.resource(), a.effective_from()) <
                            std::tie(b.resource(), b.effective_from());
                   });
}

// "Stop x% counted by production line": whole lines stop, the largest
// emitters first, until the share is reached; a single-line plant lowers its
// load by x% instead (2020 guide practice).
void Engine::ResolveStopLines(size_t first) {
  auto& entries = out_.entries;
  const size_t last = entries.size();
  std::map<std::string, std::vector<size_t>> by_date;
  for (size_t i = first; i < last; ++i) by_date[entries[i].effective_from()].push_back(i);
  const auto& by_name = equipment_by_name_;
  for (auto& [date, idxs] : by_date) {
    for (int level = 0; level < 4; ++level) {
      double percent = -1;
      for (size_t i : idxs) {
        if (At(entries[i], level).action() == v1::STOP_LINES)
          percent = At(entries[i], level).percent();
      }
      if (percent < 0) continue;
      std::map<std::string, double> line_emissions;
      for (size_t i : idxs) {
        const std::string line = ParentOf(ParentOf(entries[i].resource()));
        double& sum = line_emissions[line];
        auto it = by_name.find(entries[i].resource());
        if (it == by_name.end()) continue;
        for (v1::Pollutant pol : kPollutants) {
          bool present = false;
          sum += Annual(*it->second, pol, &present);
        }
      }
      std::vector<std::pair<double, std::string>> ranked;
      for (const auto& [line, sum] : line_emissions) ranked.emplace_back(-sum, line);
      std::sort(ranked.begin(), ranked.end());
      const size_t n = ranked.size();
      const size_t k = static_cast<size_t>(std::ceil(percent * n / 100.0 - 1e-9));
      std::map<std::string, bool> stops;
      for (size_t r = 0; r < n; ++r) stops[ranked[r].second] = r < k;
      const std::string level_name =
          level == 0 ? "采暖季" : v1::AlertLevel_Name(kLevels[level - 1]);
      for (size_t i : idxs) {
        v1::Measure* m = MutableAt(&entries[i], level);
        if (m->action() != v1::STOP_LINES) continue;
        const std::string line = ParentOf(ParentOf(entries[i].resource()));
        if (n <= 1) {
          m->set_action(v1::LIMIT);
          *entries[i].add_reasons() = MakeReason(
              "LINES", "2020 技术指南",
              absl::StrCat(level_name, "：单条生产线企业按", percent,
                           "%降低负荷，以用电量核查 (single line: lower the load instead)"));
        } else {
          m->set_action(stops[line] ? v1::STOP : v1::RUN);
          m->set_percent(0);
          *entries[i].add_reasons() =
              MakeReason("LINES", "2020 技术指南",
                         absl::StrCat(level_name, "：按生产线计停产", percent, "%，共", n, "条线停",
                                      k, "条（按排放量从大到小）；本线",
                                      stops[line] ? "停产" : "保持生产", " (stop counted by line)"),
                         {MakeFact(line, "stops", stops[line] ? "true" : "false")});
        }
      }
      // The chosen lines, as entries of their own.
      if (n > 1) {
        for (size_t r = 0; r < k; ++r) {
          v1::ListEntry line_entry;
          const v1::ListEntry& any = entries[idxs.front()];
          line_entry.set_resource(ranked[r].second);
          line_entry.set_resource_name(DisplayName(lines_, ranked[r].second));
          line_entry.set_line_name(line_entry.resource_name());
          line_entry.set_industry(any.industry());
          line_entry.set_responsible_person(any.responsible_person());
          line_entry.set_contact_phone(any.contact_phone());
          line_entry.set_kind(v1::RESTRICTED);
          line_entry.set_enterprise(any.enterprise());
          line_entry.set_enterprise_name(any.enterprise_name());
          line_entry.set_uscc(any.uscc());
          line_entry.set_effective_from(date);
          for (int l = 0; l < 4; ++l) *MutableAt(&line_entry, l) = Run();
          v1::Measure stop;
          stop.set_action(v1::STOP);
          *MutableAt(&line_entry, level) = stop;
          *line_entry.add_reasons() =
              MakeReason("LINES", "2020 技术指南",
                         absl::StrCat(level_name, "：按生产线计停产", percent, "%，本线排放量第",
                                      r + 1, "位，停产"));
          entries.push_back(std::move(line_entry));
        }
      }
    }
  }
}

double Engine::Target(v1::AlertLevel level, v1::Pollutant p, std::string* clause) const {
  for (const auto& t : rules_.targets()) {
    if (t.level() == level && t.pollutant() == p) {
      *clause = t.seed_clause();
      return t.percent();
    }
  }
  return 0;
}

// Cuts per level and pollutant; escalation where the tables fall short.
void Engine::Prove() {
  auto& entries = out_.entries;
  // Equipment entries in force at the season start.
  auto& by_name = equipment_by_name_;
  std::vector<std::pair<const v1::Equipment*, size_t>> units;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto it = by_name.find(entries[i].resource());
    if (it != by_name.end() && entries[i].effective_from() == season_.start()) {
      units.emplace_back(it->second, i);
    }
  }
  // Inventory: the latest year per pollutant.
  std::map<v1::Pollutant, std::pair<int, double>> inventory;
  for (const auto& t : s_.emission_totals) {
    auto& slot = inventory[t.pollutant()];
    if (t.year() > slot.first) slot = {t.year(), t.tonnes()};
  }
  // The stricter of the season and alert measure cuts the larger share.
  auto cut_of = [&](size_t entry, int level, v1::Pollutant p, const v1::Equipment& q) {
    bool present = false;
    double annual = Annual(q, p, &present);
    if (!present) return 0.0;
    return annual *
           std::max(CutFraction(At(entries[entry], 0)), CutFraction(At(entries[entry], level)));
  };

  for (int li = 0; li < 3; ++li) {
    const int level = li + 1;
    v1::LevelProof proof;
    proof.set_level(kLevels[li]);
    int escalated = 0;
    for (v1::Pollutant pol : kPollutants) {
      std::string clause;
      const double target = Target(kLevels[li], pol, &clause);
      const double total = inventory.count(pol) ? inventory[pol].second : 0;
      double cut = 0;
      for (const auto& [q, idx] : units) cut += cut_of(idx, level, pol, *q);
      // EM2 (T75): escalate while short, in the rule set's order.
      if (total > 0 && cut < total * target / 100.0 - 1e-9) {
        struct Candidate {
          int group;
          double intensity;
          double gain;
          std::string process;
          std::vector<size_t> entries;
          const Plant* plant;
        };
        std::map<std::string, Candidate> by_process;
        for (const auto& [q, idx] : units) {
          const Plant* plant = plant_of_[q];
          if (plant->exempt || plant->voluntary) continue;
          const std::string proc = ParentOf(q->name());
          auto pit = processes_.find(proc);
          if (pit == processes_.end() || !pit->second->quick_safe_stop()) continue;
          bool present = false;
          double annual = Annual(*q, pol, &present);
          if (!present) continue;
          v1::Measure stop;
          stop.set_action(v1::STOP);
          if (plant->cap >= 0) ClampToCap(plant->cap, &stop);
          double gain = annual * CutFraction(stop) - cut_of(idx, level, pol, *q);
          Candidate& c = by_process[proc];
          c.process = proc;
          c.plant = plant;
          c.entries.push_back(idx);
          c.gain += std::max(0.0, gain);
        }
        // Enterprise intensity: its emissions per unit of baseline output.
        std::map<const Plant*, double> intensity;
        for (const auto& [q, idx] : units) {
          bool present = false;
          intensity[plant_of_[q]] += Annual(*q, pol, &present);
        }
        std::vector<Candidate> order;
        for (auto& [name, c] : by_process) {
          if (c.gain <= 0) continue;
          const v1::Enterprise& e = *c.plant->e;
          double baseline = 0;
          for (double b : {e.approved_capacity_daily(), e.permitted_capacity_daily(),
                           e.last_year_output_daily()}) {
            if (b > 0 && (baseline == 0 || b < baseline)) baseline = b;
          }
          c.intensity = baseline > 0 ? intensity[c.plant] / baseline : intensity[c.plant];
          c.group = c.plant->group;
          order.push_back(c);
        }
        std::sort(order.begin(), order.end(), [](const Candidate& a, const Candidate& b) {
          if (a.group != b.group) return a.group < b.group;
          if (a.plant->e->industry_category() != b.plant->e->industry_category()) {
            return a.plant->e->industry_category() < b.plant->e->industry_category();
          }
          if (a.intensity != b.intensity) return a.intensity > b.intensity;
          if (a.plant != b.plant) return a.plant->e->name() < b.plant->e->name();
          if (a.gain != b.gain) return a.gain > b.gain;
          return a.process < b.process;
        });
        for (const Candidate& c : order) {
          if (cut >= total * target / 100.0 - 1e-9) break;
          for (size_t idx : c.entries) {
            const v1::Equipment& q = *by_name[entries[idx].resource()];
            const double before = cut_of(idx, level, pol, q);
            v1::Measure stop;
            stop.set_action(v1::STOP);
            if (c.plant->cap >= 0) ClampToCap(c.plant->cap, &stop);
            // This level and every higher one.
            for (int l = level; l <= 3; ++l) {
              v1::Measure* m = MutableAt(&entries[idx], l);
              *m = Stricter(*m, stop);
            }
            cut += cut_of(idx, level, pol, q) - before;
            entries[idx].set_escalated(true);
            *entries[idx].add_reasons() = MakeReason(
                "EM2", "T75",
                absl::StrCat(v1::AlertLevel_Name(kLevels[li]), "预警下", v1::Pollutant_Name(pol),
                             "减排未达目标，按产能过剩、高排放、绩效排序加严：该工序可快速安全停产 "
                             "(escalated: the process "
                             "can stop quickly and safely)"),
                {MakeFact(c.process, "quick_safe_stop", "true")});
            ++escalated;
          }
        }
      }
      v1::PollutantCut* pc = proof.add_cuts();
      pc->set_pollutant(pol);
      pc->set_inventory_tonnes(total);
      pc->set_cut_tonnes(std::round(cut * 1000) / 1000);
      pc->set_target_percent(target);
      pc->set_cut_percent(total > 0 ? std::round(cut / total * 100000) / 1000 : 0);
      pc->set_met(total > 0 && cut >= total * target / 100.0 - 1e-9);
      if (!pc->met()) {
        pc->set_shortfall_tonnes(
            total > 0 ? std::round((total * target / 100.0 - cut) * 1000) / 1000 : 0);
        if (total <= 0)
          pc->add_blocked_by(
              absl::StrCat("no emission-inventory total for ", v1::Pollutant_Name(pol)));
        double exempt = 0, capped = 0, unsafe = 0;
        int exempt_n = 0, capped_n = 0, missing_n = 0;
        for (const auto& [q, idx] : units) {
          bool present = false;
          double annual = Annual(*q, pol, &present);
          if (!present) {
            ++missing_n;
            continue;
          }
          const Plant* plant = plant_of_[q];
          double left = annual - cut_of(idx, level, pol, *q);
          if (plant->exempt || plant->voluntary) {
            exempt += left;
            ++exempt_n;
          } else if (plant->cap >= 0) {
            capped += left;
            ++capped_n;
          } else {
            auto pit = processes_.find(ParentOf(q->name()));
            if (pit == processes_.end() || !pit->second->quick_safe_stop()) unsafe += left;
          }
        }
        auto t = [](double v) { return absl::StrCat(std::round(v * 1000) / 1000, " t"); };
        if (exempt > 0)
          pc->add_blocked_by(absl::StrCat("环保标杆/绩效A级豁免 (SP4, exempt): ", t(exempt), " on ",
                                          exempt_n, " equipment"));
        if (capped > 0)
          pc->add_blocked_by(absl::StrCat("民生保障负荷下限 (SP5, livelihood caps): ", t(capped),
                                          " on ", capped_n, " equipment"));
        if (unsafe > 0)
          pc->add_blocked_by(absl::StrCat(
              "不能快速安全停产的工序 (processes that cannot stop quickly and safely): ",
              t(unsafe)));
        if (missing_n > 0)
          pc->add_blocked_by(
              absl::StrCat("缺少排放数据 (data missing): ", missing_n, " equipment not counted"));
      }
    }
    proof.set_escalated_entries(escalated);
    out_.proof.push_back(std::move(proof));
  }
}

GeneratedList Engine::Generate() {
  for (const auto& pr : s_.processes) processes_[pr.name()] = &pr;
  for (const auto& l : s_.lines) lines_[l.name()] = &l;
  for (const auto& t : s_.townships) townships_[t.name()] = &t;
  std::vector<const v1::Enterprise*> enterprises;
  for (const auto& e : s_.enterprises) enterprises.push_back(&e);
  std::sort(enterprises.begin(), enterprises.end(),
            [](auto* a, auto* b) { return a->name() < b->name(); });
  plants_.resize(enterprises.size());
  std::unordered_map<std::string, Plant*> plant_by_name;
  for (size_t i = 0; i < enterprises.size(); ++i) {
    plants_[i].e = enterprises[i];
    plant_by_name[enterprises[i]->name()] = &plants_[i];
    const auto& order = rules_.escalation_order();
    const auto& high = rules_.high_emission_industries();
    int group = static_cast<int>(order.size());
    for (int g = 0; g < order.size(); ++g) {
      bool in = order[g] == v1::OVERCAPACITY_INDUSTRIES ? enterprises[i]->overcapacity()
                : order[g] == v1::HIGH_EMISSION_INDUSTRIES
                    ? std::find(high.begin(), high.end(), enterprises[i]->industry_category()) !=
                          high.end()
                    : true;
      if (in) {
        group = g;
        break;
      }
    }
    plants_[i].group = group;
  }
  std::vector<const v1::Equipment*> equipment;
  for (const auto& q : s_.equipment) {
    equipment.push_back(&q);
    equipment_by_name_[q.name()] = &q;
  }
  std::sort(equipment.begin(), equipment.end(),
            [](auto* a, auto* b) { return a->name() < b->name(); });
  for (const v1::Equipment* q : equipment) {
    auto it = plant_by_name.find(EnterpriseOf(q->name()));
    if (it == plant_by_name.end()) continue;
    it->second->equipment.push_back(q);
    plant_of_[q] = it->second;
  }
  std::vector<const v1::RetrofitTask*> tasks;
  for (const auto& t : s_.retrofit_tasks) tasks.push_back(&t);
  std::sort(tasks.begin(), tasks.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  for (const v1::RetrofitTask* t : tasks) {
    auto it = plant_by_name.find(EnterpriseOf(t->name()));
    if (it != plant_by_name.end()) it->second->tasks.push_back(t);
  }
  for (Plant& p : plants_) Evaluate(p);
  BuildEntries();
  Prove();
  for (const auto& e : out_.entries) {
    switch (e.kind()) {
      case v1::RESTRICTED:
        ++out_.restricted;
        break;
      case v1::EXEMPT:
        ++out_.exempt;
        break;
      case v1::GUARANTEED:
        ++out_.guaranteed;
        break;
      case v1::DATA_MISSING:
        ++out_.data_missing;
        break;
      default:
        break;
    }
  }
  out_.content_sha256 = EntriesSha256(out_.entries);
  out_.staggered_periods = StaggeredPeriods(season_);
  return std::move(out_);
}

}  // namespace

std::vector<v1::Period> StaggeredPeriods(const v1::Season& season) {
  absl::CivilDay start, end;
  if (!absl::ParseCivilTime(season.start(), &start) || !absl::ParseCivilTime(season.end(), &end))
    return {};
  // Day by day is plenty: a season is a few months.
  std::map<absl::CivilDay, bool> on;
  for (absl::CivilDay d = start; d <= end; ++d) on[d] = true;
  for (const v1::MonthAdjustment& a : season.adjustments()) {
    absl::CivilMonth month;
    if (!absl::ParseCivilTime(a.month(), &month)) continue;
    for (absl::CivilDay d = absl::CivilDay(month); absl::CivilMonth(d) == month; ++d)
      on[d] = a.staggered();
  }
  std::vector<v1::Period> out;
  for (auto it = on.begin(); it != on.end(); ++it) {
    if (!it->second) continue;
    if (!out.empty() && absl::CivilDay(std::prev(it)->first) + 1 == it->first &&
        std::prev(it)->second) {
      out.back().set_end(absl::FormatCivilTime(it->first));
      continue;
    }
    v1::Period p;
    p.set_start(absl::FormatCivilTime(it->first));
    p.set_end(absl::FormatCivilTime(it->first));
    out.push_back(p);
  }
  return out;
}

GeneratedList GenerateList(const v1::RuleSet& rules, const v1::Season& season,
                           const RegistrySnapshot& snapshot) {
  return Engine(rules, season, snapshot).Generate();
}

std::string EntriesSha256(const std::vector<v1::ListEntry>& entries) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    for (const v1::ListEntry& e : entries) {
      if (e.name().empty()) {  // as the engine makes them: no copy needed
        out.WriteVarint64(e.ByteSizeLong());
        e.SerializeToCodedStream(&out);
        continue;
      }
      v1::ListEntry copy = e;
      copy.clear_name();
      out.WriteVarint64(copy.ByteSizeLong());
      copy.SerializeToCodedStream(&out);
    }
  }
  return Sha256Hex(bytes);
}

}  // namespace cuofeng
