// EM1 (T74) and EM2 (T75): the proof that the list reaches the reduction
// targets at each alert level, and the escalation where the tables fall
// short: processes that can stop quickly and safely are stopped, in the
// rule set's order (escalation steps, then industries), then by emission
// intensity. Cut arithmetic is on whole kilograms and whole thousandths of a
// measure, so rounding can never create a gain.
#ifndef CUOFENG_LIB_RULES_ESCALATION_H_
#define CUOFENG_LIB_RULES_ESCALATION_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/rules/entries.h"

namespace cuofeng {

// EscalationUnit is one piece of equipment's entry in force at the season
// start, with what escalation needs to know about its plant.
struct EscalationUnit {
  const v1::Equipment* equipment = nullptr;
  const v1::Enterprise* enterprise = nullptr;
  double cap_percent = -1;        // livelihood cap; -1 none
  EntryRecord* record = nullptr;  // its entry in the store
  int group = 0;                  // index of its escalation step in the rule set
  int industry_rank = 0;          // index of its industry in escalation_industry_order
  bool exempt = false;            // benchmark or voluntary: never escalated
  bool quick_safe_stop = false;
  absl::string_view process;  // the process's resource name (in the equipment's)
  // AnnualKg of PM, SO2, NOx and VOCs, read once from the registry.
  std::array<long long, 4> kg{};
};

// EscalationUnits are the units in entry order, in runs (the plants made
// together).
using EscalationUnits = std::vector<std::vector<EscalationUnit>>;

// EscalationGroup is the index of the first escalation step of `rules` the
// enterprise belongs to (the number of steps if none).
int EscalationGroup(const v1::RuleSet& rules, const v1::Enterprise& e);
// IndustryRank is the position of the enterprise's industry in the rule
// set's escalation_industry_order (its size if not named).
int IndustryRank(const v1::RuleSet& rules, const v1::Enterprise& e);

// ProveTargets measures the cut of each pollutant at each alert level
// against the inventory's latest year, escalating the store's entries (when
// `escalation` is set) until each target is met or nothing is left to stop.
std::vector<v1::LevelProof> ProveTargets(const v1::RuleSet& rules,
                                         const std::vector<v1::EmissionTotal>& inventory,
                                         const EscalationUnits& units,
                                         const v1::RuleSpec* escalation, EntryStore* store);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ESCALATION_H_
