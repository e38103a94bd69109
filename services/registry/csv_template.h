// The bureau's CSV import template: one file per kind, its columns derived
// from the kind table (parent ids, id, then every data field; references are
// written as ids), with English and Chinese header names, and cells parsed
// leniently (是/否, Chinese enum labels) but exactly.
#ifndef CUOFENG_SERVICES_REGISTRY_CSV_TEMPLATE_H_
#define CUOFENG_SERVICES_REGISTRY_CSV_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cuofeng/v1/registry.pb.h"
#include "google/protobuf/message.h"
#include "services/registry/resources.h"

namespace cuofeng {

struct TemplateColumn {
  enum class Role {
    kAncestorId,  // id of an ancestor below the district (enterprise_id, line_id, ...)
    kId,          // the row's own id
    kField,       // a data field
    kReference,   // a reference field, written as the referenced id
  };
  Role role;
  std::string header;     // English header, e.g. "enterprise_id", "uscc"
  std::string header_zh;  // Chinese header, e.g. "企业编号", "统一社会信用代码"
  const google::protobuf::FieldDescriptor* field = nullptr;  // kField, kReference
  const ResourceKind* ancestor = nullptr;                    // kAncestorId, kReference
  bool required = false;
};

// TemplateColumns lists the columns of `kind`'s file in template order.
const std::vector<TemplateColumn>& TemplateColumns(const ResourceKind& kind);

// ParseCell sets `field` of `msg` from a cell. Empty cells leave the field
// unset. Errors say what was expected.
absl::Status ParseCell(const google::protobuf::FieldDescriptor* field, const std::string& cell,
                       google::protobuf::Message* msg);

// TemplateRow writes `msg`, a resource of `kind` with its name set, as one
// row of its template file (ancestor ids from the name, references as ids).
std::vector<std::string> TemplateRow(const ResourceKind& kind,
                                     const google::protobuf::Message& msg);

// TemplateHeader is the English header of `kind`'s file.
std::vector<std::string> TemplateHeader(const ResourceKind& kind);

// FormatCell writes `field` of `msg` as export writes it ("" when unset).
std::string FormatCell(const google::protobuf::FieldDescriptor* field,
                       const google::protobuf::Message& msg);

// InChinese rewrites an exported file (English headers, enum codes,
// true/false) as a clerk's template reads: Chinese headers, Chinese choices
// (铸造, 有效) and 是/否. ParseCell reads both back to the same values.
void InChinese(v1::CsvFile* file);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_CSV_TEMPLATE_H_
