// Rule sets as documents: the shipped ones parse and hash stably; a broken
// one names the field and the line at fault.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/rules/rule_set.h"
#include "lib/status/errors.h"
#include "tests/unit/rules_test_support.h"

namespace cuofeng {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing_support::Jizhou;
using testing_support::National;
using testing_support::ReadSource;

std::vector<FieldViolation> ViolationsOf(const std::string& text) {
  auto parsed = ParseRuleSet(text);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return parsed.ok() ? std::vector<FieldViolation>() : FieldViolations(parsed.status());
}

std::vector<std::string> Fields(const std::vector<FieldViolation>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.field);
  return out;
}

TEST(RuleSetTest, ShippedRuleSetsParseAndHashStably) {
  const v1::RuleSet& j = Jizhou();
  EXPECT_EQ(j.measure_tables_size(), 4);
  EXPECT_EQ(j.targets_size(), 12);
  EXPECT_EQ(j.rules_size(), 19);
  EXPECT_EQ(RuleSetSha256(j), RuleSetSha256(Jizhou()));
  const v1::RuleSet& n = National();
  EXPECT_NE(RuleSetSha256(j), RuleSetSha256(n));
  int sample = 0;
  for (const auto& t : n.measure_tables()) sample += t.sample_values();
  EXPECT_EQ(sample, 8);  // brick, foundry, glass are marked as sample values
  // Comments and spacing do not change the hash.
  auto reformatted =
      ParseRuleSet("# a comment\n" + ReadSource("tools/rulesets/jizhou-2018.textproto"));
  ASSERT_TRUE(reformatted.ok());
  EXPECT_EQ(RuleSetSha256(*reformatted), RuleSetSha256(j));
}

TEST(RuleSetTest, TheSeedsReadingsAreWrittenOut) {
  const v1::Thresholds& t = Jizhou().thresholds();
  EXPECT_EQ(t.small_coal_boiler_deadline(), "2018-12-31");     // T17 2018年12月底前
  EXPECT_THAT(t.biomass_ban_townships(), Contains("渔阳镇"));  // T19, as registered
  EXPECT_FALSE(t.benchmark_allows_unrecorded_compliance());    // §26 稳定达标
  EXPECT_FALSE(t.rectify_equipment_only());                    // T77 全面
  EXPECT_EQ(t.clean_energy_fuels_size(), 2);                   // §26 天然气、电
}

TEST(RuleSetTest, PercentOutsideRangeNamesLineAndField) {
  std::string text = ReadSource("tools/rulesets/jizhou-2018.textproto");
  size_t at = text.find(
      "orange { action: STOP stop_non_road: true }\n  red    { action: STOP stop_non_road: true "
      "}\n}\n\n# T76 铸造");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 44, "orange { action: LIMIT percent: 120 }      ");
  auto v = ViolationsOf(text);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "measure_tables[0].orange.percent");
  const int line = 1 + std::count(text.begin(), text.begin() + at, '\n');
  EXPECT_THAT(v[0].description,
              HasSubstr(absl::StrCat("line ", line, ": percent 120 is outside 0-100")));
}

TEST(RuleSetTest, UnknownIndustryIsASyntaxErrorWithLine) {
  auto v = ViolationsOf("display_name: \"x\"\nfocus_industries: [MINING]\n");
  ASSERT_FALSE(v.empty());
  EXPECT_THAT(v[0].description, HasSubstr("line 2"));
  EXPECT_THAT(v[0].description, HasSubstr("MINING"));
}

TEST(RuleSetTest, LevelWithoutTargetsGradeMissingAndOverlaps) {
  std::string text = ReadSource("tools/rulesets/jizhou-2018.textproto");
  size_t at = text.find("targets { level: ORANGE pollutant: VOCS");
  text.erase(at, text.find('\n', at) - at);
  text +=
      "\nmeasure_tables { id: \"dup\" industry: FOUNDRY grade: UNGRADED season { action: RUN } "
      "yellow { action: RUN } orange { action: RUN } red { action: RUN } }\n"
      "measure_tables { id: \"nograde\" industry: STEEL season { action: RUN } yellow { action: "
      "RUN } orange { action: RUN } red { action: RUN } }\n";
  size_t season = text.find("season { start:");
  text.replace(season, text.find('\n', season) - season,
               "season { start: \"2019-03-15\" end: \"2018-11-15\" }");
  auto v = ViolationsOf(text);
  std::vector<std::string> text_of;
  for (const auto& x : v) text_of.push_back(x.description);
  EXPECT_THAT(Fields(v), Contains("targets"));
  EXPECT_THAT(text_of, Contains(HasSubstr("ORANGE has no target for VOCS")));
  EXPECT_THAT(Fields(v), Contains("measure_tables[4]"));  // overlaps T76-foundry
  EXPECT_THAT(Fields(v), Contains("measure_tables[5].grade"));
  EXPECT_THAT(Fields(v), Contains("season.end"));
}

TEST(RuleSetTest, RulesNeedIdAndKindOnceEach) {
  std::string text = ReadSource("tools/rulesets/jizhou-2018.textproto");
  text += "\nrules { kind: UNLISTED_KILN }\nrules { id: \"X\" }\n";
  auto v = ViolationsOf(text);
  EXPECT_THAT(Fields(v), Contains("rules[19].id"));
  EXPECT_THAT(Fields(v), Contains("rules[19].kind"));  // UNLISTED_KILN twice
  EXPECT_THAT(Fields(v), Contains("rules[20].kind"));
}

TEST(RuleSetTest, IndustryPrefixesAreWrittenWithTheirSectionLetter) {
  std::string text = ReadSource("tools/rulesets/jizhou-2018.textproto");
  const std::string written = "industry_code_prefixes: [\"C303\", \"C302\"]";
  size_t at = text.find(written);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, written.size(), "industry_code_prefixes: [\"303\", \"D302\"]");
  auto v = ViolationsOf(text);
  std::vector<std::string> text_of;
  for (const auto& x : v) text_of.push_back(x.description);
  EXPECT_THAT(Fields(v), Contains("rules[6].industry_code_prefixes[0]"));
  EXPECT_THAT(text_of, Contains(HasSubstr("\"C303\"")));
  EXPECT_THAT(Fields(v), Contains("rules[6].industry_code_prefixes[1]"));
  EXPECT_THAT(text_of, Contains(HasSubstr("属于门类 C")));
}

TEST(RuleSetTest, StopLinesNeedsItsRule) {
  std::string text = ReadSource("tools/rulesets/national-2020-sample.textproto");
  size_t at = text.find("rules { id: \"LINES\"");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, text.find('\n', at) - at);
  EXPECT_THAT(Fields(ViolationsOf(text)), Contains("rules"));
}

}  // namespace
}  // namespace cuofeng
