// The rule-set text parser (lib/rules/rule_set). Invariants: a refusal is
// INVALID_ARGUMENT with a message; a rule set that parses prints (text
// format) and parses again to the same message and the same hash.
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "lib/rules/rule_set.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto rs = ParseRuleSet(text);
  if (!rs.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(rs.status()), rs.status().ToString());
    FUZZ_CHECK(!rs.status().message().empty(), "a refusal without a message");
    return 0;
  }
  std::string printed;
  FUZZ_CHECK(google::protobuf::TextFormat::PrintToString(*rs, &printed), "cannot print");
  auto again = ParseRuleSet(printed);
  FUZZ_CHECK(again.ok(), absl::StrCat("printed rule set is refused: ", again.status().ToString(),
                                      "\n  printed:\n", printed));
  std::string a, b;
  rs->SerializeToString(&a);  // deterministic enough for equal messages without maps
  again->SerializeToString(&b);
  FUZZ_CHECK(a == b, absl::StrCat("parse(print(rule set)) differs\n  printed:\n", printed));
  FUZZ_CHECK(RuleSetSha256(*rs) == RuleSetSha256(*again), "hash differs after print and parse");
  return 0;
}
