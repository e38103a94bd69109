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
#include "tools/gen/generator.h"

namespace cuofeng {
namespace {

RegistrySnapshot Generate(int64_t equipment) {
  DistrictSpec spec;  // equipment 0: the sample district
  if (equipment > 0) {
    spec.equipment = equipment;
    spec.enterprises = equipment / 10;
  }
  RegistrySnapshot s;
  GenerateDistrictTo(spec, [&](const ResourceKind&, const google::protobuf::Message& m) {
    using namespace v1;
    const auto* d = m.GetDescriptor();
    if (d == Enterprise::descriptor())
      s.enterprises.push_back(static_cast<const Enterprise&>(m));
    else if (d == ProductionLine::descriptor())
      s.lines.push_back(static_cast<const ProductionLine&>(m));
    else if (d == Process::descriptor())
      s.processes.push_back(static_cast<const Process&>(m));
    else if (d == Equipment::descriptor())
      s.equipment.push_back(static_cast<const Equipment&>(m));
    else if (d == RetrofitTask::descriptor())
      s.retrofit_tasks.push_back(static_cast<const RetrofitTask&>(m));
    else if (d == EmissionTotal::descriptor())
      s.emission_totals.push_back(static_cast<const EmissionTotal&>(m));
    else if (d == Township::descriptor())
      s.townships.push_back(static_cast<const Township&>(m));
  });
  return s;
}

v1::Season Season() {
  v1::Season season;
  season.set_name("districts/120119/seasons/2018-2019");
  season.set_start("2018-11-15");
  season.set_end("2019-03-15");
  season.set_filing_deadline("2018-10-31");
  return season;
}

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
  const RegistrySnapshot s = Generate(equipment);
  const GeneratedList messages = GenerateList(rules, Season(), s, "2018-10-25");
  const GeneratedList compact = GenerateList(rules, Season(), s, "2018-10-25", EntryForm::kCompact);
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
