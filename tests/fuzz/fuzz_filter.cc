// The List filter parser (lib/filter, AIP-160). The first input byte picks a
// registry resource, the rest is the filter. Filter has no printer, so the
// invariants are about meaning:
//  - a refusal is INVALID_ARGUMENT naming "filter";
//  - a filter that parses also parses as "(f)" and as "NOT (f)", with the same
//    and the opposite verdict on sample messages;
//  - its SQL takes every value as a parameter: one placeholder per parameter,
//    and no input text in the SQL (only ASCII names, operators, '' and $N).
#include <cstddef>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cuofeng/v1/registry.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "lib/filter/filter.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_registry.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const std::vector<const Descriptor*>& Resources() { return cuofeng_fuzz::RegistryResources(); }

// Fill sets every field of `m` from `variant` (0, 1: two different samples).
void Fill(Message* m, int variant) {
  const auto* r = m->GetReflection();
  const Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string v = variant == 0 ? "districts/120119/townships/t1 铸造" : "化工 b";
        f->is_repeated() ? r->AddString(m, f, v) : r->SetString(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int n = f->enum_type()->value_count();
        const int v = f->enum_type()->value(variant == 0 ? std::min(1, n - 1) : n - 1)->number();
        f->is_repeated() ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        f->is_repeated() ? r->AddBool(m, f, variant == 0) : r->SetBool(m, f, variant == 0);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        f->is_repeated() ? r->AddDouble(m, f, variant == 0 ? 50 : -1.5)
                         : r->SetDouble(m, f, variant == 0 ? 50 : -1.5);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        if (!f->is_repeated()) r->SetInt32(m, f, variant == 0 ? 7 : -3);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        if (!f->is_repeated()) r->SetInt64(m, f, variant == 0 ? 1700000000 : 0);
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (!f->is_repeated() && f->message_type() == google::protobuf::Timestamp::descriptor()) {
          auto* ts = static_cast<google::protobuf::Timestamp*>(r->MutableMessage(m, f));
          ts->set_seconds(variant == 0 ? 1700000000 : 1500000000);
        }
        break;
      default:
        break;
    }
  }
}

bool SqlCharOk(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_ ()<>=!:$,'").find(c) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  if (size < 1) return 0;
  const Descriptor* type = Resources()[data[0] % Resources().size()];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto f = Filter::Parse(text, type);
  if (!f.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(f.status()), f.status().ToString());
    FUZZ_CHECK(f.status().ToString().find("filter") != std::string::npos, f.status().ToString());
    return 0;
  }
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  std::unique_ptr<Message> samples[3] = {std::unique_ptr<Message>(prototype->New()),
                                         std::unique_ptr<Message>(prototype->New()),
                                         std::unique_ptr<Message>(prototype->New())};
  Fill(samples[1].get(), 0);
  Fill(samples[2].get(), 1);

  int params = 0;
  const std::string sql = f->Sql([&](std::string) { return absl::StrCat("$", ++params); });
  int placeholders = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    FUZZ_CHECK(SqlCharOk(sql[i]), absl::StrCat("input text in the SQL: ", absl::CHexEscape(sql)));
    if (sql[i] == '$') ++placeholders;
  }
  FUZZ_CHECK(placeholders == params, sql);
  FUZZ_CHECK(sql.find("--") == std::string::npos, sql);

  if (f->Empty()) return 0;
  auto paren = Filter::Parse(absl::StrCat("(", text, ")"), type);
  FUZZ_CHECK(paren.ok(), absl::StrCat("\"(", text, ")\" refused: ", paren.status().ToString()));
  auto negated = Filter::Parse(absl::StrCat("NOT (", text, ")"), type);
  FUZZ_CHECK(negated.ok(), absl::StrCat("NOT refused: ", negated.status().ToString()));
  for (const auto& m : samples) {
    const bool v = f->Matches(*m);
    FUZZ_CHECK(paren->Matches(*m) == v, absl::StrCat("(f) differs from f: ", text));
    FUZZ_CHECK(negated->Matches(*m) == !v, absl::StrCat("NOT (f) is not the opposite: ", text));
  }
  return 0;
}
