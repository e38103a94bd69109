// From one enterprise's decision to its list entries: the enterprise's own
// entry and one per piece of equipment (SP6, T78: down to line, process and
// equipment, with the safety measures), one per distinct effective date;
// exemptions and livelihood caps applied; data gaps said where they are
// (DATA_COMPLETENESS); "stop x% counted by line" resolved to whole lines.
#ifndef CUOFENG_LIB_RULES_ENTRIES_H_
#define CUOFENG_LIB_RULES_ENTRIES_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/rules/decision.h"

namespace cuofeng {

// EntryContext is what the builder reads besides the plant.
struct EntryContext {
  const v1::Season* season = nullptr;
  const v1::RuleSpec* data_spec = nullptr;   // DATA_COMPLETENESS; nullptr: no data reasons
  const v1::RuleSpec* lines_spec = nullptr;  // STOP_COUNTED_BY_LINE; nullptr: not resolved
  const std::unordered_map<std::string, const v1::Process*>* processes = nullptr;
  const std::unordered_map<std::string, const v1::ProductionLine*>* lines = nullptr;
};

// MissingPollutants lists the expected pollutants (ExpectedPollutants) whose
// annual emissions the equipment does not record.
std::vector<v1::Pollutant> MissingPollutants(const v1::Equipment& q);

// AppendPlantEntries appends the entries of one listed enterprise.
void AppendPlantEntries(const PlantFacts& plant, const PlantDecision& decision,
                        const EntryContext& context, std::vector<v1::ListEntry>* entries);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ENTRIES_H_
