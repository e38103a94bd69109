// Chinese labels of the registry's enum values (行业类别, 燃料, 排放阶段, ...),
// by value name, as bureaus write them in spreadsheets and documents.
#ifndef CUOFENG_LIB_MODEL_LABELS_H_
#define CUOFENG_LIB_MODEL_LABELS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cuofeng {

// EnumValueLabels maps a value name (FOUNDRY) to its labels, the usual one
// first (铸造), then other spellings a spreadsheet may use.
const std::map<std::string, std::vector<std::string>>& EnumValueLabels();

// ChineseLabel is the usual label of a value name, or the name itself.
std::string ChineseLabel(absl::string_view value_name);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_MODEL_LABELS_H_
