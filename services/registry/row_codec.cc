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

bool AppendFieldText(const Message& msg, const FieldDescriptor* f, std::string* out) {
  const auto* r = msg.GetReflection();
  if (f->has_presence() && !r->HasField(msg, f)) return false;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = r->GetStringReference(msg, f, &scratch);
      if (s.empty()) return false;
      out->append(s);
      return true;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int v = r->GetEnumValue(msg, f);
      if (v == 0) return false;
      const auto* ev = f->enum_type()->FindValueByNumber(v);
      if (ev == nullptr) {
        absl::StrAppend(out, v);
      } else {
        out->append(ev->name());
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append(r->GetBool(msg, f) ? "true" : "false");
      return true;
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof(buf), r->GetDouble(msg, f));
      out->append(buf, res.ptr);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, r->GetInt32(msg, f));
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, r->GetInt64(msg, f));
      return true;
    default:
      return false;
  }
}

std::optional<std::string> FieldText(const Message& msg, const FieldDescriptor* f) {
  std::string text;
  if (!AppendFieldText(msg, f, &text)) return std::nullopt;
  return text;
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
