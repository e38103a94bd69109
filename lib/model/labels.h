// Chinese labels of the registry's enum values (行业类别, 燃料, 排放阶段, ...),
// by value name, as bureaus write them in spreadsheets and documents.
#ifndef CUOFENG_LIB_MODEL_LABELS_H_
#define CUOFENG_LIB_MODEL_LABELS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace cuofeng {

// EnumValueLabels maps a value name (FOUNDRY) to its labels, the usual one
// first (铸造), then other spellings a spreadsheet may use.
const std::map<std::string, std::vector<std::string>>& EnumValueLabels();

// ChineseLabel is the usual label of a value name, or the name itself.
std::string ChineseLabel(absl::string_view value_name);

// EnumValueByText is the value of `type` that `text` names: its name in any
// case ("orange") or one of its labels ("橙色"; ASCII labels in any case).
// nullptr when none does; the zero (UNSPECIFIED) value never matches.
const google::protobuf::EnumValueDescriptor* EnumValueByText(
    const google::protobuf::EnumDescriptor* type, absl::string_view text);

// EnumChoices lists the values of `type` but the zero value, each with its
// usual label: "YELLOW 黄色, ORANGE 橙色, RED 红色".
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_MODEL_LABELS_H_
