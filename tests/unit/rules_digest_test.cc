// The engine's output, byte for byte, on generated districts: a digest of
// every entry, the proof and the counts, recorded from the engine before its
// entries were kept in compact form (cuofeng-bench-rules prints the same
// digest), and the compact form giving the same entries as the messages.
// Recorded again when the measure texts lost their English glosses
// ("限产30% (limit 30%)" became "限产30%"), the only change to the bytes.
#include <string>

#include "absl/strings/str_cat.h"
#include "cuofeng/v1/registry.pb.h"
#include "gtest/gtest.h"
#include "lib/rules/digest.h"
#include "lib/rules/engine.h"
#include "lib/rules/rule_set.h"
#include "tests/unit/rules_test_support.h"
#include "tools/gen/rules_snapshot.h"

namespace cuofeng {
namespace {

// As cuofeng-bench-rules computes it: the first 16 hex digits.
std::string Digest(const GeneratedList& list) {
  Sha256Stream digest;
  ForEachEntry(list, [&](v1::ListEntry* e) { digest.AddMessage(*e); });
  for (const auto& p : list.proof) digest.AddMessage(p);
  for (const auto& p : list.staggered_periods) digest.AddMessage(p);
  digest.Update(absl::StrCat(list.restricted, ",", list.exempt, ",", list.guaranteed, ",",
                             list.data_missing, ",", list.content_sha256));
  return digest.HexDigest().substr(0, 16);
}

void ExpectSameBytes(int64_t equipment, const std::string& want_digest) {
  const v1::RuleSet& rules = testing_support::Jizhou();
  const RegistrySnapshot s = GenerateSnapshot(equipment);
  const GeneratedList messages =
      GenerateList(rules, testing_support::Season2018(), s, "2018-10-25");
  const GeneratedList compact =
      GenerateList(rules, testing_support::Season2018(), s, "2018-10-25", EntryForm::kCompact);
  EXPECT_EQ(messages.entry_count, messages.entries.size());
  EXPECT_TRUE(compact.entries.empty());
  ASSERT_EQ(compact.entry_count, messages.entries.size());
  // The hash written from the compact form is the messages' hash.
  EXPECT_EQ(messages.content_sha256, EntriesSha256(messages.entries));
  EXPECT_EQ(compact.content_sha256, messages.content_sha256);
  size_t i = 0;
  ForEachEntry(compact, [&](v1::ListEntry* e) {
    EXPECT_EQ(e->SerializeAsString(), messages.entries[i].SerializeAsString()) << "entry " << i;
    ++i;
  });
  EXPECT_EQ(i, messages.entries.size());
  EXPECT_EQ(Digest(messages), want_digest);
  EXPECT_EQ(Digest(compact), want_digest);
}

TEST(RulesDigestTest, SampleDistrictGivesTheRecordedBytes) {
  ExpectSameBytes(0, "d8c261e686be978d");
}

TEST(RulesDigestTest, TenThousandEquipmentGiveTheRecordedBytes) {
  ExpectSameBytes(10000, "22c478201c436f74");
}

}  // namespace
}  // namespace cuofeng
