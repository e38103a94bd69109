// The registry row codec (services/registry/row_codec): messages to and from
// PostgreSQL's text form, field by field. The first input byte picks a
// registry resource, the second a mode:
//  - even: the rest is one field's text (the third byte picks the field):
//    text that SetFieldFromText accepts must come back from FieldText in a
//    form that decodes to the same value (a fixed point after one step);
//  - odd: the rest is the resource in protobuf wire form (as a client sends
//    it): encoding every field to text and decoding it into a new message
//    must give the same fields (for enum values the schema defines: the
//    validator refuses the others before any row is written).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cuofeng/v1/registry.pb.h"
#include "services/registry/row_codec.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_registry.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const std::vector<const Descriptor*>& Resources() { return cuofeng_fuzz::RegistryResources(); }

// The fields a row holds: scalars, not repeated.
std::vector<const FieldDescriptor*> Columns(const Descriptor* d) {
  std::vector<const FieldDescriptor*> out;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated() || f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
    out.push_back(f);
  }
  return out;
}

std::string Show(const std::optional<std::string>& t) {
  return t ? absl::StrCat("\"", absl::CHexEscape(*t), "\"") : "NULL";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  if (size < 3) return 0;
  const Descriptor* type = Resources()[data[0] % Resources().size()];
  const std::vector<const FieldDescriptor*> columns = Columns(type);
  if (columns.empty()) return 0;
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);

  if (data[1] % 2 == 0) {
    const FieldDescriptor* f = columns[data[2] % columns.size()];
    const std::string text(reinterpret_cast<const char*>(data + 3), size - 3);
    std::unique_ptr<Message> m(prototype->New());
    if (!SetFieldFromText(f, text, m.get()).ok()) return 0;
    const std::optional<std::string> once = FieldText(*m, f);
    if (!once) return 0;  // "" and the zero enum are NULL
    std::unique_ptr<Message> m2(prototype->New());
    auto s = SetFieldFromText(f, *once, m2.get());
    FUZZ_CHECK(s.ok(), absl::StrCat(f->full_name(), ": FieldText wrote ", Show(once),
                                    " that SetFieldFromText refuses: ", s.ToString()));
    const std::optional<std::string> twice = FieldText(*m2, f);
    FUZZ_CHECK(twice == once, absl::StrCat(f->full_name(), ": text ", Show(text), " -> ",
                                           Show(once), " -> ", Show(twice)));
    return 0;
  }

  std::unique_ptr<Message> m(prototype->New());
  if (!m->ParseFromArray(data + 2, static_cast<int>(size - 2))) return 0;
  // Enum numbers the schema does not define never reach a row: validation
  // (services/registry/validation.cc) refuses them by field first.
  for (const FieldDescriptor* f : columns) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM &&
        f->enum_type()->FindValueByNumber(m->GetReflection()->GetEnumValue(*m, f)) == nullptr) {
      return 0;
    }
  }
  std::unique_ptr<Message> back(prototype->New());
  for (const FieldDescriptor* f : columns) {
    const std::optional<std::string> text = FieldText(*m, f);
    if (!text) continue;
    auto s = SetFieldFromText(f, *text, back.get());
    FUZZ_CHECK(s.ok(), absl::StrCat(f->full_name(), ": FieldText wrote ", Show(text),
                                    " that SetFieldFromText refuses: ", s.ToString()));
  }
  for (const FieldDescriptor* f : columns) {
    const auto* r = m->GetReflection();
    const std::optional<std::string> a = FieldText(*m, f), b = FieldText(*back, f);
    FUZZ_CHECK(a == b, absl::StrCat(f->full_name(), ": ", Show(a), " stored, ", Show(b), " read"));
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE && a) {
      const double x = r->GetDouble(*m, f), y = r->GetDouble(*back, f);
      FUZZ_CHECK((std::isnan(x) && std::isnan(y)) || std::memcmp(&x, &y, sizeof x) == 0,
                 absl::StrCat(f->full_name(), ": ", *a, " does not read back exactly"));
    }
  }
  return 0;
}
