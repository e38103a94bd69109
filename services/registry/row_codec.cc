#include "services/registry/row_codec.h"

#include <charconv>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string FormatDouble(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::optional<std::string> FieldText(const Message& msg, const FieldDescriptor* f) {
  const auto* r = msg.GetReflection();
  if (f->has_presence() && !r->HasField(msg, f)) return std::nullopt;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = r->GetString(msg, f);
      if (s.empty()) return std::nullopt;
      return s;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int v = r->GetEnumValue(msg, f);
      if (v == 0) return std::nullopt;
      const auto* ev = f->enum_type()->FindValueByNumber(v);
      return ev == nullptr ? absl::StrCat(v) : ev->name();
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return std::string(r->GetBool(msg, f) ? "true" : "false");
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return FormatDouble(r->GetDouble(msg, f));
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(r->GetInt32(msg, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(r->GetInt64(msg, f));
    default:
      return std::nullopt;
  }
}

absl::Status SetFieldFromText(const FieldDescriptor* f, const std::string& text, Message* msg) {
  const auto* r = msg->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(msg, f, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* ev = f->enum_type()->FindValueByName(text);
      if (ev == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown value ", text));
      r->SetEnumValue(msg, f, ev->number());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      r->SetBool(msg, f, text == "true" || text == "t");
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return absl::InvalidArgumentError("not a number");
      r->SetDouble(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("not a whole number");
      r->SetInt32(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return absl::InvalidArgumentError("not a whole number");
      r->SetInt64(msg, f, v);
      return absl::OkStatus();
    }
    default:
      return absl::InternalError(absl::StrCat("unsupported field type for ", f->name()));
  }
}

}  // namespace cuofeng
