// The rules engine: from a registry snapshot, a rule set and a season, the
// staggered-production and emergency list down to line, process and
// equipment, with the reason for every entry and the proof of the targets.
// Pure: no I/O, no gRPC, no database; deterministic for the same input.
#ifndef CUOFENG_LIB_RULES_ENGINE_H_
#define CUOFENG_LIB_RULES_ENGINE_H_

#include <string>
#include <vector>

#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

// RegistrySnapshot is what the engine reads of one district.
struct RegistrySnapshot {
  v1::District district;
  // Townships as registered; an enterprise's township is one of their names.
  std::vector<v1::Township> townships;
  std::vector<v1::Enterprise> enterprises;
  std::vector<v1::ProductionLine> lines;
  std::vector<v1::Process> processes;
  std::vector<v1::Equipment> equipment;
  std::vector<v1::RetrofitTask> retrofit_tasks;
  std::vector<v1::EmissionTotal> emission_totals;
};

// GeneratedList is the engine's output. Entries are in resource order, then
// effective date; their names are left for the caller to assign.
struct GeneratedList {
  std::vector<v1::ListEntry> entries;
  std::vector<v1::LevelProof> proof;
  int restricted = 0, exempt = 0, guaranteed = 0, data_missing = 0;
  // SHA-256 over the entries without their names (see EntriesSha256).
  std::string content_sha256;
  std::vector<v1::Period> staggered_periods;
};

// StaggeredPeriods turns a season and its month adjustments into the day
// ranges in which season measures hold: a month with staggered: false is cut
// out, a month with staggered: true is added even outside the season (SP1).
std::vector<v1::Period> StaggeredPeriods(const v1::Season& season);

// GenerateList evaluates `rules` for `season` on `snapshot`, as a list
// generated on `as_of` (YYYY-MM-DD, China): a registry fact dated after it
// (a completion, a kiln's discovery) has not happened as of the list. An
// empty `as_of` takes every recorded fact as known. The rules run in the
// order the rule set lists them (its `rules`), one evaluator each.
GeneratedList GenerateList(const v1::RuleSet& rules, const v1::Season& season,
                           const RegistrySnapshot& snapshot, const std::string& as_of);

// EntriesSha256 hashes the deterministic serialization of each entry with
// its name cleared, in order, each prefixed by its length.
std::string EntriesSha256(const std::vector<v1::ListEntry>& entries);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ENGINE_H_
