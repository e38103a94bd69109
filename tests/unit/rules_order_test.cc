// The rules engine's list does not depend on the order in which the registry
// lists its resources; entries come in resource order even when the names do
// not sort plant by plant (an id with '-', which sorts before '/'); a process
// registered twice names its entries after the later one, as an index of the
// whole registry would. These pin the paths the engine takes besides its
// fast ones (grouping per plant, entries already sorted, names found among
// the plant's own).
#include <algorithm>
#include <random>
#include <string>
#include <tuple>

#include "cuofeng/v1/registry.pb.h"
#include "gtest/gtest.h"
#include "lib/rules/engine.h"
#include "tests/unit/rules_test_support.h"
#include "tools/gen/rules_snapshot.h"

namespace cuofeng {
namespace {

using testing_support::District;
using testing_support::Entry;

void ExpectSameList(const GeneratedList& a, const GeneratedList& b) {
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) {
    EXPECT_EQ(a.entries[i].SerializeAsString(), b.entries[i].SerializeAsString()) << "entry " << i;
  }
  ASSERT_EQ(a.proof.size(), b.proof.size());
  for (size_t i = 0; i < a.proof.size(); ++i) {
    EXPECT_EQ(a.proof[i].SerializeAsString(), b.proof[i].SerializeAsString()) << "proof " << i;
  }
  EXPECT_EQ(a.content_sha256, b.content_sha256);
  EXPECT_EQ(std::tie(a.restricted, a.exempt, a.guaranteed, a.data_missing),
            std::tie(b.restricted, b.exempt, b.guaranteed, b.data_missing));
}

void ExpectResourceOrder(const GeneratedList& list) {
  for (size_t i = 1; i < list.entries.size(); ++i) {
    const v1::ListEntry& a = list.entries[i - 1];
    const v1::ListEntry& b = list.entries[i];
    EXPECT_LE(std::tie(a.resource(), a.effective_from()),
              std::tie(b.resource(), b.effective_from()))
        << "entry " << i;
  }
}

TEST(RulesOrderTest, ARegistryListedInAnyOrderGivesTheSameList) {
  const v1::RuleSet& rules = testing_support::Jizhou();
  RegistrySnapshot s = GenerateSnapshot(2000);
  const GeneratedList in_order =
      GenerateList(rules, testing_support::Season2018(), s, "2018-10-25");
  ASSERT_GT(in_order.entries.size(), 2000u);
  ASSERT_GT(in_order.proof.size(), 0u);
  std::mt19937 random(20);
  std::shuffle(s.enterprises.begin(), s.enterprises.end(), random);
  std::shuffle(s.lines.begin(), s.lines.end(), random);
  std::shuffle(s.processes.begin(), s.processes.end(), random);
  std::shuffle(s.equipment.begin(), s.equipment.end(), random);
  std::shuffle(s.retrofit_tasks.begin(), s.retrofit_tasks.end(), random);
  const GeneratedList shuffled =
      GenerateList(rules, testing_support::Season2018(), s, "2018-10-25");
  ExpectSameList(in_order, shuffled);
  ExpectResourceOrder(shuffled);
}

TEST(RulesOrderTest, EntriesAreInResourceOrderWhenIdsDoNotSortByPlant) {
  District d;
  d.Enterprise("e1", v1::FOUNDRY, "C3391");
  d.Equipment("e1", "q1", v1::CUPOLA);
  d.Enterprise("e1-a", v1::FOUNDRY, "C3391");
  d.Equipment("e1-a", "q1", v1::CUPOLA);
  const RegistrySnapshot& s = d.snapshot();
  const GeneratedList messages =
      GenerateList(testing_support::Jizhou(), testing_support::Season2018(), s, "2018-10-25");
  ASSERT_EQ(messages.entries.size(), 4u);
  ExpectResourceOrder(messages);
  // e1, then e1-a and its equipment ('-' sorts before '/'), then e1's equipment.
  EXPECT_EQ(messages.entries[1].enterprise(), messages.entries[2].enterprise());
  EXPECT_NE(messages.entries[1].enterprise(), messages.entries[3].enterprise());
  const GeneratedList compact =
      GenerateList(testing_support::Jizhou(), testing_support::Season2018(), s, "2018-10-25",
                   EntryForm::kCompact);
  EXPECT_EQ(compact.content_sha256, EntriesSha256(messages.entries));
  size_t i = 0;
  ForEachEntry(compact, [&](v1::ListEntry* e) {
    ASSERT_LT(i, messages.entries.size());
    EXPECT_EQ(e->SerializeAsString(), messages.entries[i].SerializeAsString()) << "entry " << i;
    ++i;
  });
  EXPECT_EQ(i, messages.entries.size());
}

TEST(RulesOrderTest, AProcessOrLineRegisteredTwiceNamesEntriesAfterTheLaterOne) {
  District d;
  d.Enterprise("e1", v1::FOUNDRY, "C3391");
  d.Equipment("e1", "q1", v1::CUPOLA);
  v1::Process process = d.snapshot().processes.front();
  process.set_display_name("熔化工序");
  d.snapshot().processes.push_back(process);
  v1::ProductionLine line = d.snapshot().lines.front();
  line.set_display_name("一号线");
  d.snapshot().lines.push_back(line);
  const GeneratedList list = d.Generate(testing_support::Jizhou());
  const v1::ListEntry* q1 = Entry(list, "equipment/q1");
  ASSERT_NE(q1, nullptr);
  EXPECT_EQ(q1->process_name(), "熔化工序");
  EXPECT_EQ(q1->line_name(), "一号线");
}

}  // namespace
}  // namespace cuofeng
