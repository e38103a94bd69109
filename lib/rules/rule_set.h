// Rule sets as documents: parsed from protobuf text format by libprotobuf,
// checked for consistency with the line and field at fault, and hashed over
// a canonical form so that reformatting a document changes nothing.
#ifndef CUOFENG_LIB_RULES_RULE_SET_H_
#define CUOFENG_LIB_RULES_RULE_SET_H_

#include <string>

#include "absl/status/statusor.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// ParseRuleSet parses and validates `text`. Every problem is a field
// violation named by its field path (measure_tables[2].orange.percent) whose
// description starts with "line N". Output-only fields are cleared.
absl::StatusOr<v1::RuleSet> ParseRuleSet(const std::string& text);

// RuleSetSha256 hashes the deterministic serialization of `rule_set` without
// its name, revision, hash and time.
std::string RuleSetSha256(const v1::RuleSet& rule_set);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_RULE_SET_H_
