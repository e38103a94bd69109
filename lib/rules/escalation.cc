#include "lib/rules/escalation.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/rules/decision.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

constexpr v1::AlertLevel kAlerts[] = {v1::YELLOW, v1::ORANGE, v1::RED};
constexpr v1::Pollutant kPollutants[] = {v1::PM, v1::SO2, v1::NOX, v1::VOCS};

// Grams are kilograms times thousandths: the unit of exact cut arithmetic.
using Grams = long long;

std::string Tonnes(Grams g) { return absl::StrCat(static_cast<double>((g + 500) / 1000) / 1000.0); }

int TargetPermille(const v1::RuleSet& rules, v1::AlertLevel alert, v1::Pollutant p) {
  for (const v1::ReductionTarget& t : rules.targets()) {
    if (t.level() == alert && t.pollutant() == p) {
      return static_cast<int>(std::lround(t.percent() * 10));
    }
  }
  return 0;
}

// The ids the rule set gives the rules of these kinds, e.g. "SP4".
std::string RuleIds(const v1::RuleSet& rules, std::initializer_list<v1::RuleKind> kinds) {
  std::vector<std::string> ids;
  for (const v1::RuleSpec& spec : rules.rules()) {
    if (std::find(kinds.begin(), kinds.end(), spec.kind()) != kinds.end() &&
        std::find(ids.begin(), ids.end(), spec.id()) == ids.end()) {
      ids.push_back(spec.id());
    }
  }
  return absl::StrJoin(ids, "、");
}

// The processes of one plant that escalation may stop for one pollutant.
struct Candidate {
  const EscalationUnit* first = nullptr;  // for the plant's ordering facts
  double intensity = 0;
  Grams gain = 0;
  std::vector<const EscalationUnit*> units;
};

class TargetProof {
 public:
  TargetProof(const v1::RuleSet& rules, const std::vector<v1::EmissionTotal>& inventory,
              const EscalationUnits& units, const v1::RuleSpec* escalation, EntryStore* store)
      : rules_(rules), units_(units), escalation_(escalation), store_(*store) {
    static_assert(v1::SO2 == v1::PM + 1 && v1::NOX == v1::PM + 2 && v1::VOCS == v1::PM + 3);
    std::map<v1::Pollutant, int> year;
    for (const v1::EmissionTotal& t : inventory) {
      if (t.year() > year[t.pollutant()]) {
        year[t.pollutant()] = t.year();
        inventory_kg_[t.pollutant()] = std::llround(t.tonnes() * 1000.0);
      }
    }
  }

  v1::LevelProof ProveLevel(int level);

 private:
  Grams CutOf(const EscalationUnit& u, int level, v1::Pollutant p) const;
  // The unit's annual kilograms of `p` (AnnualKg), read once from the registry.
  static long long Kg(const EscalationUnit& u, v1::Pollutant p) { return u.kg[p - v1::PM]; }
  v1::Measure EscalatedMeasure(const EscalationUnit& u) const;
  std::vector<Candidate> Candidates(int level, v1::Pollutant p) const;
  void Escalate(int level, v1::Pollutant p, Grams target, Grams* cut);
  bool EscalateUnit(const EscalationUnit& u, int level, v1::Pollutant p);
  void ExplainShortfall(int level, v1::Pollutant p, v1::PollutantCut* cut) const;

  const v1::RuleSet& rules_;
  const EscalationUnits& units_;
  const v1::RuleSpec* escalation_;
  EntryStore& store_;
  std::map<v1::Pollutant, long long> inventory_kg_;
  std::set<const EntryRecord*> escalated_;  // entries escalated at the level being proved
};

// The stricter of the season and the alert measure cuts the larger share.
Grams TargetProof::CutOf(const EscalationUnit& u, int level, v1::Pollutant p) const {
  const long long kg = Kg(u, p);
  if (kg <= 0) return 0;
  const StoredLevels& l = *u.record->levels;
  return kg * std::max(l.cut_permille[0], l.cut_permille[level]);
}

v1::Measure TargetProof::EscalatedMeasure(const EscalationUnit& u) const {
  v1::Measure stop = Run();
  stop.set_action(v1::STOP);
  if (u.cap_percent >= 0) ClampToCap(u.cap_percent, &stop);
  return stop;
}

std::vector<Candidate> TargetProof::Candidates(int level, v1::Pollutant p) const {
  std::map<absl::string_view, Candidate> by_process;
  std::map<std::string, long long> plant_kg;
  for (const auto& run : units_)
    for (const EscalationUnit& u : run) {
      plant_kg[u.enterprise->name()] += std::max(0LL, Kg(u, p));
      if (u.exempt || !u.quick_safe_stop) continue;
      const long long kg = Kg(u, p);
      if (kg <= 0) continue;
      const Grams gain = kg * CutPermille(EscalatedMeasure(u)) - CutOf(u, level, p);
      if (gain <= 0) continue;
      Candidate& c = by_process[u.process];
      if (c.first == nullptr) c.first = &u;
      c.gain += gain;
      c.units.push_back(&u);
    }
  std::vector<Candidate> out;
  for (auto& [process, c] : by_process) {
    const v1::Enterprise& e = *c.first->enterprise;
    double baseline = 0;
    for (double b :
         {e.approved_capacity_daily(), e.permitted_capacity_daily(), e.last_year_output_daily()}) {
      if (b > 0 && (baseline == 0 || b < baseline)) baseline = b;
    }
    const double kg = static_cast<double>(plant_kg[e.name()]);
    c.intensity = baseline > 0 ? kg / baseline : kg;
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    const EscalationUnit& x = *a.first;
    const EscalationUnit& y = *b.first;
    if (x.group != y.group) return x.group < y.group;
    if (x.industry_rank != y.industry_rank) return x.industry_rank < y.industry_rank;
    if (a.intensity != b.intensity) return a.intensity > b.intensity;
    if (x.enterprise->name() != y.enterprise->name()) {
      return x.enterprise->name() < y.enterprise->name();
    }
    if (a.gain != b.gain) return a.gain > b.gain;
    return x.process < y.process;
  });
  return out;
}

// Stops the unit at this level and every higher one; true if a measure
// changed (a capped plant already at its cap does not).
bool TargetProof::EscalateUnit(const EscalationUnit& u, int level, v1::Pollutant p) {
  EntryRecord& entry = *u.record;
  const v1::Measure stop = EscalatedMeasure(u);
  bool changed = false;
  Levels levels = entry.levels->levels;
  for (int l = level; l <= 3; ++l) {
    v1::Measure* m = &levels.at[l];
    v1::Measure stricter = Stricter(*m, stop);
    if (CutPermille(stricter) > CutPermille(*m)) {
      *m = stricter;
      changed = true;
    }
  }
  if (!changed) return false;
  entry.levels = store_.InternLevels(levels);
  entry.escalated = true;
  if (escalated_.insert(u.record).second) {
    store_.AddReason(
        &entry,
        store_.Keep(MakeReason(
            *escalation_,
            absl::StrCat(
                LevelName(kAlerts[level - 1]), "下", PollutantName(p),
                "减排量未达到目标，按优先调控产能过剩行业、高耗能高排放行业、同行业按排放绩效排序的"
                "顺序加严：该工序排放量较大且能够快速安全停产，",
                LevelName(kAlerts[level - 1]), "及以上级别停产"),
            {MakeFact(std::string(u.process), "quick_safe_stop", "是"),
             MakeFact(u.enterprise->name(), "overcapacity",
                      u.enterprise->overcapacity() ? "是" : "否")})));
  }
  return true;
}

void TargetProof::Escalate(int level, v1::Pollutant p, Grams target, Grams* cut) {
  for (const Candidate& c : Candidates(level, p)) {
    if (*cut >= target) return;
    for (const EscalationUnit* u : c.units) {
      const Grams before = CutOf(*u, level, p);
      if (EscalateUnit(*u, level, p)) *cut += CutOf(*u, level, p) - before;
    }
  }
}

void TargetProof::ExplainShortfall(int level, v1::Pollutant p, v1::PollutantCut* cut) const {
  Grams exempt = 0, capped = 0, unsafe = 0;
  int exempt_n = 0, capped_n = 0, missing_n = 0;
  for (const auto& run : units_)
    for (const EscalationUnit& u : run) {
      const long long kg = Kg(u, p);
      if (kg < 0) {
        ++missing_n;
        continue;
      }
      const Grams left = kg * 1000 - CutOf(u, level, p);
      if (u.exempt) {
        exempt += left;
        ++exempt_n;
      } else if (u.cap_percent >= 0) {
        capped += left;
        ++capped_n;
      } else if (!u.quick_safe_stop) {
        unsafe += left;
      }
    }
  if (exempt > 0) {
    cut->add_blocked_by(absl::StrCat(
        "环保标杆、绩效A级豁免（",
        RuleIds(rules_, {v1::BENCHMARK_FOUNDRY, v1::BENCHMARK_CLEAN_ENERGY, v1::PERFORMANCE_GRADE}),
        "）：", exempt_n, "台设备共", Tonnes(exempt), "吨"));
  }
  if (capped > 0) {
    cut->add_blocked_by(absl::StrCat("民生保障负荷下限（",
                                     RuleIds(rules_, {v1::LIVELIHOOD_GUARANTEE}), "）：", capped_n,
                                     "台设备共", Tonnes(capped), "吨"));
  }
  if (unsafe > 0) {
    cut->add_blocked_by(absl::StrCat("不能快速安全停产的工序：", Tonnes(unsafe), "吨"));
  }
  if (missing_n > 0) {
    cut->add_blocked_by(
        absl::StrCat("缺少", PollutantName(p), "年排放量：", missing_n, "台设备未计入"));
  }
}

v1::LevelProof TargetProof::ProveLevel(int level) {
  const v1::AlertLevel alert = kAlerts[level - 1];
  v1::LevelProof proof;
  proof.set_level(alert);
  escalated_.clear();
  for (v1::Pollutant p : kPollutants) {
    const int target_permille = TargetPermille(rules_, alert, p);
    const long long total_kg = inventory_kg_.count(p) ? inventory_kg_[p] : 0;
    const Grams target = total_kg * target_permille;
    Grams cut = 0;
    for (const auto& run : units_) {
      for (const EscalationUnit& u : run) cut += CutOf(u, level, p);
    }
    if (total_kg > 0 && cut < target && escalation_ != nullptr) Escalate(level, p, target, &cut);
    v1::PollutantCut* pc = proof.add_cuts();
    pc->set_pollutant(p);
    pc->set_inventory_tonnes(static_cast<double>(total_kg) / 1000.0);
    pc->set_cut_tonnes(static_cast<double>((cut + 500) / 1000) / 1000.0);
    pc->set_target_percent(target_permille / 10.0);
    pc->set_cut_percent(
        total_kg > 0 ? std::round(static_cast<double>(cut) / total_kg * 100) / 1000.0 : 0);
    pc->set_met(total_kg > 0 && cut >= target);
    if (pc->met()) continue;
    pc->set_shortfall_tonnes(
        total_kg > 0 ? static_cast<double>((target - cut + 500) / 1000) / 1000.0 : 0);
    if (total_kg <= 0) {
      pc->add_blocked_by(absl::StrCat("排放清单中没有", PollutantName(p), "排放总量"));
    }
    ExplainShortfall(level, p, pc);
  }
  proof.set_escalated_entries(static_cast<int>(escalated_.size()));
  return proof;
}

}  // namespace

int EscalationGroup(const v1::RuleSet& rules, const v1::Enterprise& e) {
  const auto& order = rules.escalation_order();
  for (int g = 0; g < order.size(); ++g) {
    switch (order[g]) {
      case v1::OVERCAPACITY_INDUSTRIES:
        if (e.overcapacity()) return g;
        break;
      case v1::HIGH_EMISSION_INDUSTRIES:
        if (std::find(rules.high_emission_industries().begin(),
                      rules.high_emission_industries().end(),
                      e.industry_category()) != rules.high_emission_industries().end()) {
          return g;
        }
        break;
      default:
        return g;
    }
  }
  return order.size();
}

int IndustryRank(const v1::RuleSet& rules, const v1::Enterprise& e) {
  const auto& order = rules.escalation_industry_order();
  auto it = std::find(order.begin(), order.end(), e.industry_category());
  return static_cast<int>(it - order.begin());
}

std::vector<v1::LevelProof> ProveTargets(const v1::RuleSet& rules,
                                         const std::vector<v1::EmissionTotal>& inventory,
                                         const EscalationUnits& units,
                                         const v1::RuleSpec* escalation, EntryStore* store) {
  TargetProof proof(rules, inventory, units, escalation, store);
  std::vector<v1::LevelProof> out;
  for (int level = 1; level <= 3; ++level) out.push_back(proof.ProveLevel(level));
  return out;
}

}  // namespace cuofeng
