// Explaining and comparing lists: the reason chain of one entry as a bureau
// clerk reads it, and entry-by-entry changes between two list versions.
#ifndef CUOFENG_LIB_RULES_EXPLAIN_H_
#define CUOFENG_LIB_RULES_EXPLAIN_H_

#include <string>
#include <vector>

#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// ExplainEntry writes the entry's measures, its reasons with the seed clause
// and the registry facts they used, and the rule set that produced it.
std::string ExplainEntry(const v1::ListEntry& entry, const v1::ListVersion& list);

// DiffEntries matches entries by resource and effective date and reports
// what was added, removed, or changed in its measures or only its reasons.
std::vector<v1::EntryChange> DiffEntries(const std::vector<v1::ListEntry>& base,
                                         const std::vector<v1::ListEntry>& other);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_EXPLAIN_H_
