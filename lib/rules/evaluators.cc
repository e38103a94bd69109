#include "lib/rules/evaluators.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

std::string Label(const std::string& enum_value_name) { return ChineseLabel(enum_value_name); }

std::string Bool(bool b) { return b ? "是" : "否"; }

std::string OptionalBool(bool has, bool value) { return has ? Bool(value) : ""; }

std::string Number(double v) { return absl::StrCat(v); }

std::string Named(const v1::Equipment& q) {
  return q.display_name().empty() ? q.name().substr(q.name().rfind('/') + 1) : q.display_name();
}

// A stop that holds on every day of the season (淘汰, 禁燃), not only in
// the staggered period.
v1::Measure StopAllSeason() {
  v1::Measure m = Run();
  m.set_action(v1::STOP);
  m.set_binds_outside_staggered_period(true);
  return m;
}

template <typename List, typename T>
bool Contains(const List& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Whether the enterprise's own "stably meets standards" supports an
// exemption (§26 稳定达标): recorded true, or unrecorded where the rule set
// allows it. Adds the refusal or the missing fact otherwise.
bool StablyMeetsForExemption(const v1::Enterprise& e, const v1::Thresholds& th,
                             std::vector<std::string>* failures, RuleOutcome* out) {
  if (e.has_stably_meets_standards()) {
    if (!e.stably_meets_standards()) failures->push_back("企业登记为不能稳定达标排放");
    return e.stably_meets_standards();
  }
  if (th.benchmark_allows_unrecorded_compliance()) return true;
  failures->push_back("未登记企业是否稳定达标排放");
  out->missing.push_back({e.name(), "stably_meets_standards", "是否稳定达标排放"});
  return false;
}

// --- SP1 / T74: the industry's measure table ---------------------------------

class IndustryTable : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    const v1::RuleSet& rules = *context().rules;
    const bool focus = Contains(rules.focus_industries(), e.industry_category());
    RuleOutcome out;
    out.lists = focus;
    const v1::MeasureTable* table = FindMeasureTable(rules, e);
    std::vector<v1::Fact> facts = {
        MakeFact(e.name(), "industry_category",
                 Label(v1::IndustryCategory_Name(e.industry_category()))),
        MakeFact(e.name(), "industry_code", e.industry_code()),
        MakeFact(e.name(), "performance_grade",
                 Label(v1::PerformanceGrade_Name(e.performance_grade())))};
    if (table == nullptr) {
      out.refused.push_back(
          Reason("本规则集没有适用于该行业的措施表，不按行业采取错峰或应急措施", std::move(facts)));
      return out;
    }
    Contribution c;
    c.levels = Levels::Of(*table);
    c.liftable = true;
    c.reason =
        Reason(absl::StrCat(focus ? "属建材、铸造、化工等重点行业，" : "",
                            "按行业实施差异化错峰生产和应急减排（严禁“一刀切”），适用措施表“",
                            table->id(), "”", table->sample_values() ? "（示例数值）" : ""),
               std::move(facts));
    if (!table->seed_clause().empty()) c.reason.set_seed_clause(table->seed_clause());
    for (const v1::Measure& m : c.levels.at) {
      out.lists = out.lists || CutFraction(m) > 0 || TransportRank(m.transport()) > 0;
    }
    out.enterprise.push_back(std::move(c));
    return out;
  }
};

// --- Grade A and leading: voluntary measures (2020 guide) ---------------------

class PerformanceGrade : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    if (e.performance_grade() != v1::GRADE_A && e.performance_grade() != v1::GRADE_LEADING) {
      return out;
    }
    out.lists = true;
    out.exemption = Exemption::kVoluntary;
    out.exemption_reason =
        Reason("绩效分级为A级或引领性企业，自主采取减排措施，不予限产",
               {MakeFact(e.name(), "performance_grade",
                         Label(v1::PerformanceGrade_Name(e.performance_grade())))});
    return out;
  }
};

// --- SP4 (T77, §26): foundry melting within 20 / 100 mg/m³ --------------------

class BenchmarkFoundry : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    if (!Covers(e)) return out;
    const v1::Thresholds& th = thresholds();
    std::vector<std::string> failures;
    std::vector<v1::Fact> facts;
    bool any = false;
    for (const v1::Equipment* q : plant.equipment) {
      if (!IsMeltingEquipment(*q)) continue;
      any = true;
      CheckMelting(*q, th, &failures, &facts, &out);
    }
    if (!any) failures.push_back("未登记铸造熔炼设备，无法核定颗粒物、二氧化硫排放浓度");
    StablyMeetsForExemption(e, th, &failures, &out);
    facts.push_back(
        MakeFact(e.name(), "stably_meets_standards",
                 OptionalBool(e.has_stably_meets_standards(), e.stably_meets_standards())));
    const std::string limits = absl::StrCat("颗粒物≤", Number(th.benchmark_pm_mg_m3()),
                                            "、二氧化硫≤", Number(th.benchmark_so2_mg_m3()),
                                            "毫克/立方米（冲天炉须安装烟气排放自动监控设施）");
    if (!failures.empty()) {
      out.refused.push_back(
          Reason(absl::StrCat("不适用环保标杆企业豁免：铸造熔炼设备须稳定达到", limits,
                              "且企业稳定达标排放；", absl::StrJoin(failures, "；")),
                 std::move(facts)));
      return out;
    }
    out.lists = true;
    out.exemption = Exemption::kBenchmark;
    out.exemption_reason = Reason(
        absl::StrCat("铸造熔炼设备排放浓度稳定达到", limits,
                     "，属环保标杆企业，可不予限产；重污染天气预警期间仍须停用非道路移动机械"),
        std::move(facts));
    return out;
  }

 private:
  static void CheckMelting(const v1::Equipment& q, const v1::Thresholds& th,
                           std::vector<std::string>* failures, std::vector<v1::Fact>* facts,
                           RuleOutcome* out) {
    facts->push_back(MakeFact(q.name(), "pm_concentration",
                              q.has_pm_concentration() ? Number(q.pm_concentration()) : ""));
    facts->push_back(MakeFact(q.name(), "so2_concentration",
                              q.has_so2_concentration() ? Number(q.so2_concentration()) : ""));
    if (!q.has_pm_concentration() || !q.has_so2_concentration()) {
      failures->push_back(absl::StrCat(Named(q), "缺少颗粒物或二氧化硫排放浓度"));
      out->missing.push_back(
          {q.name(), "pm_concentration/so2_concentration", "颗粒物、二氧化硫排放浓度"});
    } else {
      if (q.pm_concentration() > th.benchmark_pm_mg_m3()) {
        failures->push_back(absl::StrCat(Named(q), "颗粒物", Number(q.pm_concentration()),
                                         "毫克/立方米，高于", Number(th.benchmark_pm_mg_m3())));
      }
      if (q.so2_concentration() > th.benchmark_so2_mg_m3()) {
        failures->push_back(absl::StrCat(Named(q), "二氧化硫", Number(q.so2_concentration()),
                                         "毫克/立方米，高于", Number(th.benchmark_so2_mg_m3())));
      }
    }
    if (q.has_stably_meets_standards() && !q.stably_meets_standards()) {
      failures->push_back(absl::StrCat(Named(q), "登记为不能稳定达标排放"));
    }
    if (q.type() == v1::CUPOLA) {
      facts->push_back(MakeFact(q.name(), "cems_installed", Bool(q.cems_installed())));
      if (!q.cems_installed())
        failures->push_back(absl::StrCat(Named(q), "为冲天炉，未安装烟气排放自动监控设施"));
    }
  }
};

// --- SP4 (T77, §26): brick, tile, cement products on clean energy -------------

class BenchmarkCleanEnergy : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    if (!Covers(e)) return out;
    const v1::Thresholds& th = thresholds();
    std::vector<std::string> failures, clean_names;
    for (int f : th.clean_energy_fuels()) {
      clean_names.push_back(Label(v1::Fuel_Name(static_cast<v1::Fuel>(f))));
    }
    const std::string clean = absl::StrJoin(clean_names, "、");
    std::vector<v1::Fact> facts;
    if (plant.equipment.empty()) failures.push_back("未登记设备，无法核定燃料或热源");
    for (const v1::Equipment* q : plant.equipment) {
      const bool needs_fuel = IsFuelled(*q);
      if (q->fuel() == v1::FUEL_UNSPECIFIED && !needs_fuel) continue;
      facts.push_back(
          MakeFact(q->name(), "fuel",
                   q->fuel() == v1::FUEL_UNSPECIFIED ? "" : Label(v1::Fuel_Name(q->fuel()))));
      if (q->fuel() == v1::FUEL_UNSPECIFIED) {
        failures.push_back(absl::StrCat(Named(*q), "未登记燃料"));
        out.missing.push_back({q->name(), "fuel", "燃料或热源"});
      } else if (q->fuel() != v1::NO_FUEL && !Contains(th.clean_energy_fuels(), q->fuel())) {
        failures.push_back(absl::StrCat(Named(*q), "使用", Label(v1::Fuel_Name(q->fuel())),
                                        "，不是", clean, "等清洁能源"));
      }
    }
    StablyMeetsForExemption(e, th, &failures, &out);
    facts.push_back(
        MakeFact(e.name(), "stably_meets_standards",
                 OptionalBool(e.has_stably_meets_standards(), e.stably_meets_standards())));
    if (!failures.empty()) {
      out.refused.push_back(Reason(
          absl::StrCat("不适用环保标杆企业豁免：砖瓦、水泥制品等建材企业须以", clean,
                       "等清洁能源作为燃料或热源且稳定达标排放；", absl::StrJoin(failures, "；")),
          std::move(facts)));
      return out;
    }
    out.lists = true;
    out.exemption = Exemption::kBenchmark;
    out.exemption_reason =
        Reason(absl::StrCat("砖瓦、水泥制品等建材企业，全部设备以", clean,
                            "等清洁能源作为燃料或热源（无燃烧设备的以电为动力），且稳定达标排放，"
                            "属环保标杆企业，可不予限产；重污染天气预警期间仍须停用非道路移动机械"),
               std::move(facts));
    return out;
  }
};

// --- SP2 (T77): not stably meeting emission standards -------------------------

class NotMeetingStandards : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    if (e.has_stably_meets_standards() && !e.stably_meets_standards()) {
      out.enterprise.push_back(
          Rectify("企业不能稳定达标排放，全面采取错峰生产措施，实施停产整治（全厂）",
                  {MakeFact(e.name(), "stably_meets_standards", Bool(false))}));
    }
    for (const v1::Equipment* q : plant.equipment) {
      if (!q->has_stably_meets_standards() || q->stably_meets_standards()) continue;
      std::vector<v1::Fact> facts = {MakeFact(q->name(), "stably_meets_standards", Bool(false))};
      if (thresholds().rectify_equipment_only()) {
        out.equipment[q->name()].push_back(
            Rectify(absl::StrCat(Named(*q), "不能稳定达标排放，该设备停产整治（规则集按设备执行）"),
                    std::move(facts)));
      } else {
        out.enterprise.push_back(
            Rectify(absl::StrCat(Named(*q),
                                 "不能稳定达标排放，企业即不能稳定达标排放，全面采取错峰生产措施，"
                                 "全厂停产整治"),
                    std::move(facts)));
      }
    }
    return out;
  }

 private:
  Contribution Rectify(const std::string& text, std::vector<v1::Fact> facts) const {
    Contribution c;
    c.levels = Levels::All(rule_measures().rectify());
    c.reason = Reason(text, std::move(facts));
    c.voids_exemption = true;
    return c;
  }
};

// --- SP2 (T77): discharge-permit requirements ---------------------------------

class PermitRequirements : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    std::vector<v1::Fact> facts = {
        MakeFact(e.name(), "permit_status",
                 e.permit_status() == v1::PERMIT_STATUS_UNSPECIFIED
                     ? ""
                     : Label(v1::PermitStatus_Name(e.permit_status()))),
        MakeFact(e.name(), "permit_compliant",
                 OptionalBool(e.has_permit_compliant(), e.permit_compliant()))};
    std::string why;
    if (e.permit_status() == v1::PERMIT_NONE) {
      why = "应取得排污许可证而未取得";
    } else if (e.permit_status() == v1::PERMIT_EXPIRED) {
      why = "排污许可证已过期";
    } else if (e.has_permit_compliant() && !e.permit_compliant()) {
      why = "未按排污许可证要求排污";
    } else if (e.permit_status() == v1::PERMIT_STATUS_UNSPECIFIED) {
      out.missing.push_back({e.name(), "permit_status", "排污许可证状态"});
      return out;
    }
    if (why.empty()) return out;
    Contribution c;
    c.levels = Levels::All(rule_measures().rectify());
    c.reason = Reason(
        absl::StrCat(why, "，未达到排污许可管理要求，全面采取错峰生产措施，实施停产整治（全厂）"),
        std::move(facts));
    c.voids_exemption = true;
    out.enterprise.push_back(std::move(c));
    return out;
  }
};

// --- SP3 (T77): restricted class ----------------------------------------------

class RestrictedClass : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    if (!e.restricted_class()) return out;
    Contribution c;
    c.levels = Levels::All(rule_measures().restricted_class());
    c.reason = Reason(
        absl::StrCat("属《产业结构调整指导目录》限制类，提高限产比例或实施停产：本规则集定为",
                     Describe(rule_measures().restricted_class())),
        {MakeFact(e.name(), "restricted_class", Bool(true))});
    c.voids_exemption = CutFraction(c.levels.at[0]) > 0;
    out.enterprise.push_back(std::move(c));
    out.lists = true;
    return out;
  }
};

// --- SP2 (T77) and SP8 (T60): retrofit tasks not finished on time -------------

class OverdueRetrofit : public RuleEvaluator {
 public:
  OverdueRetrofit(const v1::RuleSpec& spec, const RuleContext& context, bool voc)
      : RuleEvaluator(spec, context), voc_(voc) {}

  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    for (const v1::RetrofitTask* t : plant.tasks) {
      if ((t->kind() == v1::VOC_TREATMENT) != voc_) continue;
      Decide(*t, plant, &out);
    }
    return out;
  }

 private:
  // The task's deadline; VOC treatment at the latest by the T60 deadline.
  std::string Deadline(const v1::RetrofitTask& t) const {
    const std::string& cap = thresholds().voc_treatment_deadline();
    if (voc_ && !cap.empty() && (t.deadline().empty() || cap < t.deadline())) return cap;
    return t.deadline();
  }

  void Decide(const v1::RetrofitTask& t, const PlantFacts& plant, RuleOutcome* out) const {
    const std::string deadline = Deadline(t);
    const std::string what = voc_ ? "挥发性有机物治理" : "秋冬季大气污染综合治理改造任务";
    std::vector<v1::Fact> facts = {MakeFact(t.name(), "deadline", t.deadline()),
                                   MakeFact(t.name(), "completed_date", t.completed_date())};
    if (!t.equipment().empty()) facts.push_back(MakeFact(t.name(), "equipment", t.equipment()));
    if (deadline.empty()) {
      out->missing.push_back({t.name(), "deadline", "治理改造任务期限"});
      return;
    }
    const std::string& as_of = context().as_of;
    const bool completed_by_list =
        !t.completed_date().empty() && (as_of.empty() || t.completed_date() <= as_of);
    if (completed_by_list && t.completed_date() <= deadline) {
      out->refused.push_back(Reason(absl::StrCat(what, "已于", t.completed_date(), "按期完成（期限",
                                                 deadline, "），不停产整治"),
                                    std::move(facts)));
      return;
    }
    if (deadline >= season_end()) {
      out->refused.push_back(Reason(absl::StrCat(what, "期限", deadline, "在采暖季结束（",
                                                 season_end(), "）之后，本季不因此停产整治"),
                                    std::move(facts)));
      return;
    }
    std::string text = absl::StrCat(what, "未按期完成（期限", deadline, "）");
    if (!t.completed_date().empty() && !completed_by_list) {
      absl::StrAppend(&text, "：登记的完成日期", t.completed_date(), "晚于清单生成日期", as_of,
                      "，按未完成计");
    } else if (!t.completed_date().empty()) {
      absl::StrAppend(&text, "：", t.completed_date(), "逾期完成");
    }
    Contribution c;
    c.from = From(NextDay(deadline));
    c.levels = Levels::All(rule_measures().rectify());
    c.voids_exemption = true;
    const bool equipment_only = thresholds().rectify_equipment_only() && !t.equipment().empty();
    const bool known_equipment =
        std::any_of(plant.equipment.begin(), plant.equipment.end(),
                    [&](const v1::Equipment* q) { return q->name() == t.equipment(); });
    if (equipment_only && known_equipment) {
      c.reason = Reason(
          absl::StrCat(text, "，自", NextDay(deadline), "起该设备停产整治（规则集按设备执行）"),
          std::move(facts));
      out->equipment[t.equipment()].push_back(std::move(c));
    } else {
      c.reason = Reason(
          absl::StrCat(text, "，自", NextDay(deadline), "起全面采取错峰生产措施，全厂停产整治",
                       voc_ ? "并纳入错峰生产方案" : ""),
          std::move(facts));
      out->enterprise.push_back(std::move(c));
    }
    out->lists = true;
  }

  const bool voc_;
};

// --- SP7 (T54): kilns found from the cutoff, not on the kiln list -------------

class UnlistedKiln : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    for (const v1::Equipment* q : plant.equipment) {
      if (IsKiln(*q) && !q->on_kiln_list()) Decide(*q, &out);
    }
    return out;
  }

 private:
  void Decide(const v1::Equipment& q, RuleOutcome* out) const {
    const std::string& cutoff = thresholds().kiln_list_cutoff_date();
    const std::string& found = q.kiln_found_date();
    const std::string& as_of = context().as_of;
    std::vector<v1::Fact> facts = {MakeFact(q.name(), "on_kiln_list", Bool(false)),
                                   MakeFact(q.name(), "kiln_found_date", found)};
    auto refuse = [&](const std::string& text) {
      out->equipment_refused[q.name()].push_back(Reason(text, facts));
    };
    if (found.empty()) {
      out->missing.push_back({q.name(), "kiln_found_date", "炉窑发现日期（未列入炉窑管理清单）"});
      refuse("未列入工业炉窑管理清单，但未登记发现日期，无法判断是否自" + cutoff + "起新发现");
      return;
    }
    if (!as_of.empty() && found > as_of) {
      out->missing.push_back({q.name(), "kiln_found_date", "炉窑发现日期（晚于清单生成日期）"});
      refuse(
          absl::StrCat("登记的发现日期", found, "晚于清单生成日期", as_of, "，请核实后重新生成"));
      return;
    }
    if (cutoff.empty() || found < cutoff) {
      refuse(absl::StrCat("发现日期", found, "早于", cutoff,
                          "，按炉窑管理清单分类整改，不按本条立即纳入错峰生产"));
      return;
    }
    Contribution c;
    c.from = From(found);
    c.levels = Levels::All(rule_measures().unlisted_kiln());
    c.reason = Reason(absl::StrCat("自", cutoff, "起发现未列入管理清单的工业炉窑（", found,
                                   "发现），立即纳入秋冬季错峰生产方案：",
                                   Describe(rule_measures().unlisted_kiln())),
                      std::move(facts));
    out->equipment[q.name()].push_back(std::move(c));
    out->lists = true;
  }
};

// --- SP9 (T81, T83): stacks over 45 m need CEMS at >= 90 % --------------------
// The rate judged is the measured one of a monitoring point serving the
// equipment or its line (the lowest when several do) when the snapshot has
// one; else the rate the enterprise declared in the registry (issue 21).

class HighStackMonitoring : public RuleEvaluator {
 public:
  HighStackMonitoring(const v1::RuleSpec& spec, const RuleContext& context)
      : RuleEvaluator(spec, context) {
    if (context.cems_transmission == nullptr) return;
    for (const v1::CemsTransmission& t : *context.cems_transmission) {
      if (!t.target().empty() && t.expected_minutes() > 0) by_target_[t.target()].push_back(&t);
    }
  }

  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    const v1::Thresholds& th = thresholds();
    // Say which rate was used only where measured ones exist: a district
    // without CEMS data reads exactly as before.
    const bool any_measured =
        context().cems_transmission != nullptr && !context().cems_transmission->empty();
    const std::string declared = any_measured ? "（企业申报）" : "";
    for (const v1::Equipment* q : plant.equipment) {
      if (!q->has_stack_height_m() || !(q->stack_height_m() > th.high_stack_m())) continue;
      std::vector<v1::Fact> facts = {
          MakeFact(q->name(), "stack_height_m", Number(q->stack_height_m())),
          MakeFact(q->name(), "cems_installed", Bool(q->cems_installed())),
          MakeFact(q->name(), "cems_transmission_rate",
                   q->has_cems_transmission_rate() ? Number(q->cems_transmission_rate()) : "")};
      const v1::CemsTransmission* measured = Measured(q->name());
      if (measured != nullptr) {
        facts.push_back(MakeFact(
            measured->monitoring_point(), "cems_transmission_measured",
            absl::StrFormat("%.1f（%s至%s，MN %s，有效传输%d/%d分钟）", measured->rate_percent(),
                            measured->from_day(), measured->to_day(), measured->mn(),
                            measured->valid_minutes(), measured->expected_minutes())));
      }
      const std::string head =
          absl::StrCat("排气筒高度", Number(q->stack_height_m()), "米，超过",
                       Number(th.high_stack_m()), "米，须安装自动监控设施且数据传输有效率达到",
                       Number(th.cems_min_transmission_percent()), "%");
      std::string failure;
      std::string kept = "已安装且传输有效率达标";
      if (measured != nullptr) {
        // T81 counts what was received: the measured rate wins.
        const std::string rate =
            absl::StrFormat("数据传输有效率（实测，%s至%s，MN %s）%.1f%%", measured->from_day(),
                            measured->to_day(), measured->mn(), measured->rate_percent());
        const bool low = 100.0 * static_cast<double>(measured->valid_minutes()) /
                                 static_cast<double>(measured->expected_minutes()) +
                             1e-9 <
                         th.cems_min_transmission_percent();
        if (low) {
          failure = rate;
        } else {
          kept = absl::StrCat(rate, "，达标");
        }
      } else if (!q->cems_installed()) {
        failure = "未安装自动监控设施";
      } else if (!q->has_cems_transmission_rate()) {
        failure = any_measured ? "未登记数据传输有效率，亦无实测数据，不能证明达到要求"
                               : "未登记数据传输有效率，不能证明达到要求";
      } else if (q->cems_transmission_rate() < th.cems_min_transmission_percent()) {
        failure =
            absl::StrCat("数据传输有效率", declared, Number(q->cems_transmission_rate()), "%");
      } else if (any_measured) {
        kept = absl::StrCat("已安装且数据传输有效率（企业申报）",
                            Number(q->cems_transmission_rate()), "%达标");
      }
      if (failure.empty()) {
        out.equipment_refused[q->name()].push_back(
            Reason(absl::StrCat(head, "；", kept, "，不停产整治"), std::move(facts)));
        continue;
      }
      Contribution c;
      c.levels = Levels::All(rule_measures().rectify());
      c.reason = Reason(absl::StrCat(head, "；", failure,
                                     "，予以停产整治。正常生产及限产、停产、检修期间均须保证自动监"
                                     "控设施正常运行并联网传输"),
                        std::move(facts));
      out.equipment[q->name()].push_back(std::move(c));
      out.lists = true;
    }
    return out;
  }

 private:
  // Measured is the lowest measured rate of a point serving `equipment` or
  // its line (districts/{d}/enterprises/{e}/lines/{l}), or nullptr.
  const v1::CemsTransmission* Measured(const std::string& equipment) const {
    if (by_target_.empty()) return nullptr;
    const v1::CemsTransmission* lowest = nullptr;
    auto consider = [&](const std::string& target) {
      auto it = by_target_.find(target);
      if (it == by_target_.end()) return;
      for (const v1::CemsTransmission* t : it->second) {
        if (lowest == nullptr || t->rate_percent() < lowest->rate_percent() ||
            (t->rate_percent() == lowest->rate_percent() &&
             t->monitoring_point() < lowest->monitoring_point())) {
          lowest = t;
        }
      }
    };
    consider(equipment);
    size_t slash = 0;
    for (int i = 0; i < 6 && slash != std::string::npos; ++i)
      slash = equipment.find('/', slash + 1);
    if (slash != std::string::npos) consider(equipment.substr(0, slash));
    return lowest;
  }

  std::map<std::string, std::vector<const v1::CemsTransmission*>> by_target_;
};

// --- SP10 (T57): kilns that cannot stably meet standards ----------------------

class KilnStandards : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    for (const v1::Equipment* q : plant.equipment) {
      if (!IsKiln(*q) || !q->has_stably_meets_standards() || q->stably_meets_standards()) continue;
      Contribution c;
      c.levels = Levels::All(rule_measures().rectify());
      c.reason = Reason("工业炉窑不能稳定达到行业标准及地方标准限值，一律停产整治",
                        {MakeFact(q->name(), "stably_meets_standards", Bool(false))});
      out.equipment[q->name()].push_back(std::move(c));
      out.lists = true;
    }
    return out;
  }
};

// --- SP10 (T58): crude dust and desulfurisation technologies ------------------

class CrudeControls : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    const v1::Thresholds& th = thresholds();
    for (const v1::Equipment* q : plant.equipment) {
      std::vector<std::string> crude;
      if (Contains(th.eliminated_dust_controls(), q->dust_control())) {
        crude.push_back(Label(v1::DustControl_Name(q->dust_control())));
      }
      if (Contains(th.eliminated_desulfurizations(), q->desulfurization())) {
        crude.push_back(Label(v1::Desulfurization_Name(q->desulfurization())));
      }
      if (crude.empty()) continue;
      Contribution c;
      c.levels = Levels::All(rule_measures().rectify());
      c.reason = Reason(
          absl::StrCat("使用应全面淘汰的简易治污工艺（", absl::StrJoin(crude, "、"),
                       "），停产整治"),
          {MakeFact(q->name(), "dust_control", Label(v1::DustControl_Name(q->dust_control()))),
           MakeFact(q->name(), "desulfurization",
                    Label(v1::Desulfurization_Name(q->desulfurization())))});
      out.equipment[q->name()].push_back(std::move(c));
      out.lists = true;
    }
    return out;
  }
};

// --- T19: no biomass pellets in the named townships ---------------------------

class BiomassBan : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    const v1::Thresholds& th = thresholds();
    if (th.biomass_ban_date().empty()) return out;
    const v1::Enterprise& e = *plant.enterprise;
    for (const v1::Equipment* q : plant.equipment) {
      if (q->fuel() != v1::BIOMASS) continue;
      std::vector<v1::Fact> facts = {MakeFact(q->name(), "fuel", Label("BIOMASS")),
                                     MakeFact(e.name(), "township", TownshipText(plant))};
      if (plant.township == nullptr) {
        out.missing.push_back({e.name(), "township", "所在镇乡（登记的镇乡不在本区镇乡名录中）"});
        out.equipment_refused[q->name()].push_back(
            Reason("使用生物质燃料，但企业所在镇乡不在本区登记的镇乡中，无法判断是否属禁燃区域",
                   std::move(facts)));
        continue;
      }
      if (!InBanArea(*plant.township)) {
        out.equipment_refused[q->name()].push_back(
            Reason(absl::StrCat("使用生物质燃料，所在", TownshipText(plant), "不在禁燃区域内"),
                   std::move(facts)));
        continue;
      }
      Contribution c;
      c.from = From(th.biomass_ban_date());
      c.levels = Levels::All(StopAllSeason());
      c.reason = Reason(absl::StrCat("自", th.biomass_ban_date(), "起", TownshipText(plant),
                                     "禁止燃烧生物质成型燃料，该设备停用"),
                        std::move(facts));
      out.equipment[q->name()].push_back(std::move(c));
      out.lists = true;
    }
    return out;
  }

 private:
  static std::string TownshipText(const PlantFacts& plant) {
    if (plant.township == nullptr) return plant.enterprise->township();
    return plant.township->display_name().empty() ? plant.township->name()
                                                  : plant.township->display_name();
  }
  // The rule set names townships as the bureau registered them: by display
  // name (渔阳镇), id (yuyang) or resource name.
  bool InBanArea(const v1::Township& t) const {
    const std::string id = t.name().substr(t.name().rfind('/') + 1);
    for (const std::string& named : thresholds().biomass_ban_townships()) {
      if (named == t.display_name() || named == id || named == t.name()) return true;
    }
    return false;
  }
};

// --- T17: coal boilers under 35 t/h eliminated by the end of Dec 2018 ---------

class SmallCoalBoiler : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    const v1::Thresholds& th = thresholds();
    if (!(th.small_coal_boiler_t_h() > 0)) return out;
    for (const v1::Equipment* q : plant.equipment) {
      if (q->type() != v1::BOILER || q->fuel() != v1::COAL) continue;
      std::vector<v1::Fact> facts = {
          MakeFact(q->name(), "fuel", Label("COAL")),
          MakeFact(q->name(), "rated_capacity",
                   q->has_rated_capacity() ? Number(q->rated_capacity()) : "")};
      if (!q->has_rated_capacity()) {
        out.missing.push_back({q->name(), "rated_capacity", "燃煤锅炉额定蒸发量（蒸吨/小时）"});
        out.equipment_refused[q->name()].push_back(Reason(
            "燃煤锅炉未登记额定蒸发量，无法判断是否属35蒸吨/小时以下应淘汰锅炉", std::move(facts)));
        continue;
      }
      if (q->rated_capacity() >= th.small_coal_boiler_t_h()) {
        out.equipment_refused[q->name()].push_back(Reason(
            absl::StrCat("燃煤锅炉额定蒸发量", Number(q->rated_capacity()), "蒸吨/小时，不低于",
                         Number(th.small_coal_boiler_t_h()), "蒸吨/小时，不在淘汰范围"),
            std::move(facts)));
        continue;
      }
      const std::string& deadline = th.small_coal_boiler_deadline();
      const std::string stop_from = deadline.empty() ? season_start() : NextDay(deadline);
      Contribution c;
      c.from = From(stop_from);
      c.levels = Levels::All(StopAllSeason());
      c.reason =
          Reason(absl::StrCat(Number(th.small_coal_boiler_t_h()), "蒸吨/小时以下燃煤锅炉",
                              deadline.empty() ? "" : absl::StrCat("须于", deadline, "前淘汰"),
                              "，自", stop_from, "起停用"),
                 std::move(facts));
      out.equipment[q->name()].push_back(std::move(c));
      out.lists = true;
    }
    return out;
  }
};

// --- EM4 (T79, T80): heavy trucks at orange and red ---------------------------

class BulkTransport : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    if (!e.bulk_transport()) return out;
    v1::Measure trucks = Run();
    trucks.set_transport(v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY);
    Contribution c;
    c.levels = Levels::All(Run());
    c.levels.at[2] = c.levels.at[3] = trucks;
    c.reason = Reason(
        "涉及大宗物料运输的重点用车企业：橙色及以上预警期间原则上不允许重型载货车进出厂区"
        "（保证安全生产运行、运输民生保障物资或特殊需求产品等的国五及以上排放标准车辆除外）；"
        "车辆出入口视频监控记录保存三个月以上，秋冬季每日登记柴油货车进出情况",
        {MakeFact(e.name(), "bulk_transport", Bool(true))});
    out.enterprise.push_back(std::move(c));
    out.lists = true;
    return out;
  }
};

// --- SP5 (§26): livelihood duties keep what basic needs require ---------------

class Livelihood : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    const v1::Enterprise& e = *plant.enterprise;
    RuleOutcome out;
    std::vector<std::string> duties;
    if (e.supplies_heating()) duties.push_back("供暖");
    if (e.coprocesses_municipal_waste()) duties.push_back("协同处置城市垃圾");
    if (e.coprocesses_hazardous_waste()) duties.push_back("协同处置危险废物");
    if (duties.empty()) return out;
    out.lists = true;
    out.guaranteed = true;
    out.cap_percent = e.has_livelihood_cap_percent() ? e.livelihood_cap_percent() : 100;
    std::string text =
        absl::StrCat("承担", absl::StrJoin(duties, "、"),
                     "等保民生任务，应保障基本民生需求：以热定产，负荷保持在基准产量的",
                     Number(out.cap_percent), "%");
    if (!e.has_livelihood_cap_percent()) {
      out.missing.push_back(
          {e.name(), "livelihood_cap_percent", "民生保障负荷（基准产量的百分比）"});
      absl::StrAppend(&text, "（未登记民生保障负荷，暂按满负荷保障，待区工信委核定）");
    }
    Contribution c;
    c.levels = Levels::All(Run());
    c.reason = Reason(
        text,
        {MakeFact(e.name(), "supplies_heating", Bool(e.supplies_heating())),
         MakeFact(e.name(), "coprocesses_municipal_waste", Bool(e.coprocesses_municipal_waste())),
         MakeFact(e.name(), "coprocesses_hazardous_waste", Bool(e.coprocesses_hazardous_waste())),
         MakeFact(e.name(), "livelihood_cap_percent",
                  e.has_livelihood_cap_percent() ? Number(e.livelihood_cap_percent()) : "")});
    out.enterprise.push_back(std::move(c));
    return out;
  }
};

// --- EM3 (T48): non-road machinery stops during every alert -------------------

class NonRoadMachinery : public RuleEvaluator {
 public:
  using RuleEvaluator::RuleEvaluator;
  RuleOutcome Evaluate(const PlantFacts& plant) const override {
    RuleOutcome out;
    v1::Measure m = Run();
    m.set_stop_non_road(true);
    Contribution c;
    c.levels = Levels::Alerts(m);
    c.reason = Reason(
        "重污染天气预警期间，除涉及安全生产及应急抢险任务外，停止使用非道路移动机械"
        "（环保标杆和民生保障企业同样适用）",
        {MakeFact(plant.enterprise->name(), "alert_levels", "黄色、橙色、红色预警")});
    out.enterprise.push_back(std::move(c));
    return out;
  }
};

}  // namespace

bool RuleEvaluator::Covers(const v1::Enterprise& e) const {
  if (spec_.industries_size() > 0 && !Contains(spec_.industries(), e.industry_category())) {
    return false;
  }
  if (spec_.industry_code_prefixes_size() == 0) return true;
  for (const std::string& prefix : spec_.industry_code_prefixes()) {
    if (absl::StartsWith(e.industry_code(), prefix)) return true;
  }
  return false;
}

std::string RuleEvaluator::From(const std::string& date) const {
  return date <= season_start() ? "" : date;
}

std::unique_ptr<RuleEvaluator> MakeEvaluator(const v1::RuleSpec& spec, const RuleContext& context) {
  switch (spec.kind()) {
    case v1::INDUSTRY_TABLE:
      return std::make_unique<IndustryTable>(spec, context);
    case v1::PERFORMANCE_GRADE:
      return std::make_unique<PerformanceGrade>(spec, context);
    case v1::BENCHMARK_FOUNDRY:
      return std::make_unique<BenchmarkFoundry>(spec, context);
    case v1::BENCHMARK_CLEAN_ENERGY:
      return std::make_unique<BenchmarkCleanEnergy>(spec, context);
    case v1::NOT_MEETING_STANDARDS:
      return std::make_unique<NotMeetingStandards>(spec, context);
    case v1::PERMIT_REQUIREMENTS:
      return std::make_unique<PermitRequirements>(spec, context);
    case v1::RESTRICTED_CLASS:
      return std::make_unique<RestrictedClass>(spec, context);
    case v1::OVERDUE_RETROFIT:
      return std::make_unique<OverdueRetrofit>(spec, context, /*voc=*/false);
    case v1::OVERDUE_VOC_TREATMENT:
      return std::make_unique<OverdueRetrofit>(spec, context, /*voc=*/true);
    case v1::UNLISTED_KILN:
      return std::make_unique<UnlistedKiln>(spec, context);
    case v1::HIGH_STACK_MONITORING:
      return std::make_unique<HighStackMonitoring>(spec, context);
    case v1::KILN_STANDARDS:
      return std::make_unique<KilnStandards>(spec, context);
    case v1::CRUDE_CONTROLS:
      return std::make_unique<CrudeControls>(spec, context);
    case v1::BIOMASS_BAN:
      return std::make_unique<BiomassBan>(spec, context);
    case v1::SMALL_COAL_BOILER:
      return std::make_unique<SmallCoalBoiler>(spec, context);
    case v1::BULK_TRANSPORT:
      return std::make_unique<BulkTransport>(spec, context);
    case v1::LIVELIHOOD_GUARANTEE:
      return std::make_unique<Livelihood>(spec, context);
    case v1::NON_ROAD_MACHINERY:
      return std::make_unique<NonRoadMachinery>(spec, context);
    default:
      return nullptr;
  }
}

const v1::MeasureTable* FindMeasureTable(const v1::RuleSet& rules, const v1::Enterprise& e) {
  const v1::MeasureTable* best = nullptr;
  int best_score = -1;
  for (const v1::MeasureTable& t : rules.measure_tables()) {
    const bool grade_exact = t.grade() == e.performance_grade();
    if (!grade_exact && t.grade() != v1::UNGRADED) continue;
    int score = -1;
    if (t.fallback()) {
      score = 0;
    } else if (t.industry() == e.industry_category()) {
      if (t.industry_code_prefixes_size() == 0) score = 10;
      for (const std::string& prefix : t.industry_code_prefixes()) {
        if (absl::StartsWith(e.industry_code(), prefix)) {
          score = std::max<int>(score, 10 + static_cast<int>(prefix.size()));
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

}  // namespace cuofeng
