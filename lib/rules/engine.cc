#include "lib/rules/engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "absl/time/civil_time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "lib/hash/sha256.h"
#include "lib/rules/decision.h"
#include "lib/rules/entries.h"
#include "lib/rules/escalation.h"
#include "lib/rules/evaluators.h"

namespace cuofeng {
namespace {

// The rule of `kind` in the rule set, or nullptr.
const v1::RuleSpec* SpecOf(const v1::RuleSet& rules, v1::RuleKind kind) {
  for (const v1::RuleSpec& spec : rules.rules()) {
    if (spec.kind() == kind) return &spec;
  }
  return nullptr;
}

// RegistryIndex finds processes, lines and townships by resource name.
struct RegistryIndex {
  explicit RegistryIndex(const RegistrySnapshot& s) {
    for (const auto& p : s.processes) processes[p.name()] = &p;
    for (const auto& l : s.lines) lines[l.name()] = &l;
    for (const auto& t : s.townships) townships[t.name()] = &t;
  }
  std::unordered_map<std::string, const v1::Process*> processes;
  std::unordered_map<std::string, const v1::ProductionLine*> lines;
  std::unordered_map<std::string, const v1::Township*> townships;
};

template <typename T>
std::vector<const T*> ByName(const std::vector<T>& items) {
  std::vector<const T*> out;
  for (const T& item : items) out.push_back(&item);
  std::sort(out.begin(), out.end(), [](const T* a, const T* b) { return a->name() < b->name(); });
  return out;
}

// GatherPlants groups the snapshot by enterprise, everything in name order.
std::vector<PlantFacts> GatherPlants(const RegistrySnapshot& s, const RegistryIndex& index) {
  std::vector<PlantFacts> plants;
  for (const v1::Enterprise* e : ByName(s.enterprises)) {
    PlantFacts plant;
    plant.enterprise = e;
    auto township = index.townships.find(e->township());
    if (township != index.townships.end()) plant.township = township->second;
    plants.push_back(std::move(plant));
  }
  std::unordered_map<std::string, PlantFacts*> by_name;
  for (PlantFacts& plant : plants) by_name[plant.enterprise->name()] = &plant;
  for (const v1::Equipment* q : ByName(s.equipment)) {
    auto it = by_name.find(EnterpriseOf(q->name()));
    if (it != by_name.end()) it->second->equipment.push_back(q);
  }
  for (const v1::RetrofitTask* t : ByName(s.retrofit_tasks)) {
    auto it = by_name.find(EnterpriseOf(t->name()));
    if (it != by_name.end()) it->second->tasks.push_back(t);
  }
  return plants;
}

// Decide runs every evaluator on the plant in the rule set's order.
PlantDecision Decide(const PlantFacts& plant,
                     const std::vector<std::unique_ptr<RuleEvaluator>>& evaluators) {
  PlantDecision decision;
  for (const auto& evaluator : evaluators) decision.Merge(evaluator->Evaluate(plant));
  return decision;
}

// Whether the plant's exemption holds at the season start.
bool ExemptAtStart(const PlantDecision& decision) {
  if (decision.exemption == Exemption::kNone) return false;
  return std::none_of(decision.enterprise.begin(), decision.enterprise.end(),
                      [](const Contribution& c) { return c.from.empty() && c.voids_exemption; });
}

struct PlantOfEquipment {
  const v1::Equipment* equipment = nullptr;
  const PlantFacts* plant = nullptr;
  bool exempt = false;
  double cap_percent = -1;
};

// The equipment entries in force at the season start, for the proof.
std::vector<EscalationUnit> UnitsAtSeasonStart(
    const v1::RuleSet& rules, const v1::Season& season, const RegistryIndex& index,
    const std::map<std::string, PlantOfEquipment>& of_equipment,
    const std::vector<v1::ListEntry>& entries) {
  std::vector<EscalationUnit> units;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto it = of_equipment.find(entries[i].resource());
    if (it == of_equipment.end() || entries[i].effective_from() != season.start()) continue;
    const PlantOfEquipment& p = it->second;
    EscalationUnit u;
    u.entry = i;
    u.equipment = p.equipment;
    u.enterprise = p.plant->enterprise;
    u.exempt = p.exempt;
    u.cap_percent = p.cap_percent;
    u.group = EscalationGroup(rules, *u.enterprise);
    u.industry_rank = IndustryRank(rules, *u.enterprise);
    u.process = ParentOf(p.equipment->name());
    auto process = index.processes.find(u.process);
    u.quick_safe_stop = process != index.processes.end() && process->second->quick_safe_stop();
    units.push_back(u);
  }
  return units;
}

void CountKinds(GeneratedList* list) {
  for (const v1::ListEntry& e : list->entries) {
    switch (e.kind()) {
      case v1::RESTRICTED:
        ++list->restricted;
        break;
      case v1::EXEMPT:
        ++list->exempt;
        break;
      case v1::GUARANTEED:
        ++list->guaranteed;
        break;
      case v1::DATA_MISSING:
        ++list->data_missing;
        break;
      default:
        break;
    }
  }
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
                           const RegistrySnapshot& snapshot, const std::string& as_of) {
  const RegistryIndex index(snapshot);
  const RuleContext context{&rules, &season, as_of};
  const EntryContext entry_context{&season, SpecOf(rules, v1::DATA_COMPLETENESS),
                                   SpecOf(rules, v1::STOP_COUNTED_BY_LINE), &index.processes,
                                   &index.lines};
  std::vector<std::unique_ptr<RuleEvaluator>> evaluators;
  for (const v1::RuleSpec& spec : rules.rules()) {
    if (auto evaluator = MakeEvaluator(spec, context)) evaluators.push_back(std::move(evaluator));
  }
  const std::vector<PlantFacts> plants = GatherPlants(snapshot, index);
  GeneratedList out;
  std::map<std::string, PlantOfEquipment> of_equipment;
  for (const PlantFacts& plant : plants) {
    const PlantDecision decision = Decide(plant, evaluators);
    if (!decision.listed) continue;
    AppendPlantEntries(plant, decision, entry_context, &out.entries);
    for (const v1::Equipment* q : plant.equipment) {
      of_equipment[q->name()] = {q, &plant, ExemptAtStart(decision), decision.cap_percent};
    }
  }
  std::stable_sort(out.entries.begin(), out.entries.end(),
                   [](const v1::ListEntry& a, const v1::ListEntry& b) {
                     return std::tie(a.resource(), a.effective_from()) <
                            std::tie(b.resource(), b.effective_from());
                   });
  out.proof = ProveTargets(rules, snapshot.emission_totals,
                           UnitsAtSeasonStart(rules, season, index, of_equipment, out.entries),
                           SpecOf(rules, v1::ESCALATION), &out.entries);
  CountKinds(&out);
  out.content_sha256 = EntriesSha256(out.entries);
  out.staggered_periods = StaggeredPeriods(season);
  return out;
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
