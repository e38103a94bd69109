// Reflection-based mapping between registry messages and their table rows,
// in PostgreSQL's text form: empty strings, *_UNSPECIFIED enums and absent
// optional facts are NULL; enums are stored by value name; doubles in the
// shortest form that reads back exactly.
#ifndef CUOFENG_SERVICES_REGISTRY_ROW_CODEC_H_
#define CUOFENG_SERVICES_REGISTRY_ROW_CODEC_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace cuofeng {

// FieldText returns the text form of `field` in `msg`, or nullopt for NULL.
std::optional<std::string> FieldText(const google::protobuf::Message& msg,
                                     const google::protobuf::FieldDescriptor* field);

// AppendFieldText appends the text form of `field` in `msg` to `out` and
// returns true, or returns false (appending nothing) for NULL: FieldText
// without a string per field, for the import's hot loops.
bool AppendFieldText(const google::protobuf::Message& msg,
                     const google::protobuf::FieldDescriptor* field, std::string* out);

// SetFieldFromText sets `field` from its text form (as FieldText writes it).
absl::Status SetFieldFromText(const google::protobuf::FieldDescriptor* field,
                              const std::string& text, google::protobuf::Message* msg);

// FormatDouble writes `v` in the shortest form that parses back to `v`.
std::string FormatDouble(double v);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_ROW_CODEC_H_
