// The rules engine: from a registry snapshot, a rule set and a season, the
// staggered-production and emergency list down to line, process and
// equipment, with the reason for every entry and the proof of the targets.
// Pure: no I/O, no gRPC, no database; deterministic for the same input.
#ifndef CUOFENG_LIB_RULES_ENGINE_H_
#define CUOFENG_LIB_RULES_ENGINE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cuofeng/v1/compliance.pb.h"
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
  // Measured CEMS data transmission (数据传输有效率) of the district's
  // monitoring points (ComplianceService.ListCemsTransmission): SP9 judges
  // a point's measured rate instead of Equipment.cems_transmission_rate (the
  // enterprise's declared one) for the equipment it serves, or every
  // equipment of the line it serves. Empty: the declared rates alone.
  std::vector<v1::CemsTransmission> cems_transmission;
};

class EntryStore;  // lib/rules/entries.h

// EntryForm says how GenerateList hands the entries over.
enum class EntryForm {
  // Every entry a message in GeneratedList::entries.
  kMessages,
  // In GeneratedList::store, the engine's compact form, where entries point to
  // what they share with their plant instead of copying it; ForEachEntry makes
  // them one at a time. For lists of a province (1M equipment), which would not
  // fit twice. The snapshot must outlive the store.
  kCompact,
};

// GeneratedList is the engine's output. Entries are in resource order, then
// effective date; their names are left for the caller to assign.
struct GeneratedList {
  std::vector<v1::ListEntry> entries;       // EntryForm::kMessages
  std::shared_ptr<const EntryStore> store;  // EntryForm::kCompact
  size_t entry_count = 0;                   // either form
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
                           const RegistrySnapshot& snapshot, const std::string& as_of,
                           EntryForm form = EntryForm::kMessages);

// ForEachEntry hands every entry of `list`, in order and whatever its form,
// to `f` as a scratch message that `f` may change (set its name) and that is
// remade for the next entry.
void ForEachEntry(const GeneratedList& list, const std::function<void(v1::ListEntry*)>& f);

// EntriesSha256 hashes the deterministic serialization of each entry with
// its name cleared, in order, each prefixed by its length.
std::string EntriesSha256(const std::vector<v1::ListEntry>& entries);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ENGINE_H_
