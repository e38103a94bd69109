#include "lib/filter/filter.h"

#include <string>
#include <vector>

#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/status/errors.h"
#include "lib/status/status_matchers.h"

namespace cuofeng {
namespace {

using ::cuofeng::testing::IsOk;
using ::cuofeng::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Enterprise Plant(const std::string& id, v1::IndustryCategory category, bool restricted,
                     double cap = -1) {
  v1::Enterprise e;
  e.set_name("districts/120119/enterprises/" + id);
  e.set_display_name(id + " 铸造厂");
  e.set_industry_category(category);
  e.set_restricted_class(restricted);
  if (cap >= 0) e.set_livelihood_cap_percent(cap);
  return e;
}

// The ids of the plants `filter` keeps.
std::vector<std::string> Kept(const std::string& filter) {
  const std::vector<v1::Enterprise> plants = {
      Plant("a", v1::FOUNDRY, true, 60), Plant("b", v1::CHEMICALS, false),
      Plant("c", v1::BUILDING_MATERIALS, true, 30), Plant("d", v1::FOUNDRY, false)};
  auto f = Filter::Parse(filter, v1::Enterprise::descriptor());
  EXPECT_THAT(f, IsOk()) << filter;
  std::vector<std::string> out;
  if (!f.ok()) return out;
  for (const auto& p : plants) {
    if (f->Matches(p)) out.push_back(p.name().substr(p.name().rfind('/') + 1));
  }
  return out;
}

std::string Problem(const std::string& filter) {
  auto f = Filter::Parse(filter, v1::Enterprise::descriptor());
  EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument)) << filter;
  auto v = FieldViolations(f.status());
  if (v.size() != 1) return "";
  EXPECT_EQ(v[0].field, "filter");
  return v[0].description;
}

TEST(FilterTest, EmptyMatchesEverything) {
  EXPECT_THAT(Kept(""), ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(Kept("   "), ElementsAre("a", "b", "c", "d"));
}

TEST(FilterTest, EnumByCodeAnyCaseOrChineseLabel) {
  EXPECT_THAT(Kept("industry_category = FOUNDRY"), ElementsAre("a", "d"));
  EXPECT_THAT(Kept("industry_category = foundry"), ElementsAre("a", "d"));
  EXPECT_THAT(Kept("industry_category = 铸造"), ElementsAre("a", "d"));
  EXPECT_THAT(Kept("industry_category = \"化工\""), ElementsAre("b"));
  EXPECT_THAT(Kept("industry_category != FOUNDRY"), ElementsAre("b", "c"));
}

TEST(FilterTest, OrAndNotAndParentheses) {
  EXPECT_THAT(Kept("industry_category = FOUNDRY OR industry_category = CHEMICALS"),
              ElementsAre("a", "b", "d"));
  EXPECT_THAT(Kept("industry_category = FOUNDRY AND restricted_class = true"), ElementsAre("a"));
  EXPECT_THAT(Kept("NOT industry_category = FOUNDRY"), ElementsAre("b", "c"));
  EXPECT_THAT(Kept("-industry_category = FOUNDRY"), ElementsAre("b", "c"));
  EXPECT_THAT(Kept("NOT (industry_category = 铸造 OR industry_category = 化工)"), ElementsAre("c"));
  // OR binds tighter than AND (AIP-160): restricted AND (foundry OR chemicals).
  EXPECT_THAT(Kept("restricted_class = true AND industry_category = FOUNDRY OR "
                   "industry_category = CHEMICALS"),
              ElementsAre("a"));
  EXPECT_THAT(Kept("(restricted_class = true AND industry_category = FOUNDRY) OR "
                   "industry_category = CHEMICALS"),
              ElementsAre("a", "b"));
}

TEST(FilterTest, NumbersCompareAndUnsetMatchesNoComparison) {
  EXPECT_THAT(Kept("livelihood_cap_percent > 50"), ElementsAre("a"));
  EXPECT_THAT(Kept("livelihood_cap_percent < 50"), ElementsAre("c"));
  EXPECT_THAT(Kept("livelihood_cap_percent >= 30"), ElementsAre("a", "c"));
  EXPECT_THAT(Kept("livelihood_cap_percent != 30"), ElementsAre("a", "b", "d"));
  EXPECT_THAT(Kept("livelihood_cap_percent:*"), ElementsAre("a", "c"));
}

TEST(FilterTest, HasIsSubstringOfStrings) {
  EXPECT_THAT(Kept("name : \"enterprises/b\""), ElementsAre("b"));
  EXPECT_THAT(Kept("display_name:铸造厂"), ElementsAre("a", "b", "c", "d"));
}

TEST(FilterTest, UnknownFieldNamesPositionAndFields) {
  std::string p = Problem("industry_category = FOUNDRY AND colour = red");
  EXPECT_THAT(p, HasSubstr("第 33 个字符：企业没有可筛选的字段 \"colour\"；可筛选的字段："));
  EXPECT_THAT(p, HasSubstr("industry_category"));
  EXPECT_THAT(p, HasSubstr("（筛选条件：\"industry_category = FOUNDRY AND colour = red\"）"));
}

// A kind without a Chinese name is not named: no English type name reaches a clerk.
TEST(FilterTest, UnknownFieldOfAnUnnamedKindStaysNeutral) {
  auto f = Filter::Parse("colour = red", v1::Obligation::descriptor());
  ASSERT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  auto v = FieldViolations(f.status());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_THAT(v[0].description, ::testing::StartsWith("第 1 个字符：没有可筛选的字段 \"colour\""));
  EXPECT_THAT(v[0].description, ::testing::Not(HasSubstr("Obligation")));
}

TEST(FilterTest, PositionsCountCharactersNotBytes) {
  EXPECT_THAT(Problem("industry_category = 铸造 AND 颜色 = 红"), HasSubstr("第 28 个字符："));
}

TEST(FilterTest, BadEnumValueListsChoices) {
  std::string p = Problem("industry_category = PURPLE");
  EXPECT_THAT(p, HasSubstr("第 21 个字符：\"PURPLE\" 不是 industry_category 的取值；可选："));
  EXPECT_THAT(p, HasSubstr("FOUNDRY 铸造"));
}

TEST(FilterTest, MalformedFiltersSayWhere) {
  EXPECT_THAT(Problem("industry_category FOUNDRY"),
              HasSubstr("第 19 个字符：industry_category 之后应为比较符"));
  EXPECT_THAT(Problem("(industry_category = FOUNDRY"),
              HasSubstr("第 1 个字符：这个 ( 没有对应的 )"));
  EXPECT_THAT(Problem("industry_category = FOUNDRY)"),
              HasSubstr("第 28 个字符：这个 ) 前面没有对应的 ("));
  EXPECT_THAT(Problem("industry_category = FOUNDRY AND"), HasSubstr("此处还应有一个比较"));
  EXPECT_THAT(Problem("industry_category = FOUNDRY foo"), HasSubstr("此处应为 AND、OR 或结束"));
  EXPECT_THAT(Problem("AND industry_category = FOUNDRY"), HasSubstr("第 1 个字符：AND 左边须有"));
  EXPECT_THAT(Problem("livelihood_cap_percent > lots"),
              HasSubstr("\"lots\" 不是数字（livelihood_cap_percent）"));
  EXPECT_THAT(Problem("industry_category > FOUNDRY"), HasSubstr("只能用 = 或 != 比较"));
  EXPECT_THAT(Problem("restricted_class = maybe"), HasSubstr("\"maybe\" 不是 true 或 false"));
  EXPECT_THAT(Problem("display_name = \"open"), HasSubstr("没有结束的引号"));
}

TEST(FilterTest, AllowedFieldsNarrowTheSchema) {
  auto f = Filter::Parse("uscc = x", v1::Enterprise::descriptor(), {"name", "industry_category"});
  EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Filter::Parse("name = x", v1::Enterprise::descriptor(), {"name"}), IsOk());
}

TEST(FilterTest, TimesInEitherSyntax) {
  v1::Alert a;
  a.mutable_start_time()->set_seconds(1543593600);  // 2018-12-01 00:00 China time
  auto china = Filter::Parse("start_time >= \"2018-12-01 00:00\"", v1::Alert::descriptor());
  ASSERT_THAT(china, IsOk());
  EXPECT_TRUE(china->Matches(a));
  auto rfc = Filter::Parse("start_time > 2018-12-01T00:00:00+08:00", v1::Alert::descriptor());
  ASSERT_THAT(rfc, IsOk());
  EXPECT_FALSE(rfc->Matches(a));
  auto level = Filter::Parse("level = 橙色", v1::Alert::descriptor());
  ASSERT_THAT(level, IsOk());
  a.set_level(v1::ORANGE);
  EXPECT_TRUE(level->Matches(a));
  auto district = Filter::Parse("districts:\"districts/120119\"", v1::Alert::descriptor());
  ASSERT_THAT(district, IsOk());
  EXPECT_FALSE(district->Matches(a));
  a.add_districts("districts/120119");
  EXPECT_TRUE(district->Matches(a));
}

TEST(FilterTest, SqlUsesParametersOnly) {
  auto f = Filter::Parse(
      "industry_category = 铸造 OR NOT restricted_class = true AND livelihood_cap_percent > 5",
      v1::Enterprise::descriptor());
  ASSERT_THAT(f, IsOk());
  std::vector<std::string> params;
  std::string sql = f->Sql([&](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  });
  EXPECT_EQ(sql,
            "((coalesce(industry_category::text = $1, false) OR (NOT coalesce(restricted_class = "
            "$2::boolean, false))) AND coalesce(livelihood_cap_percent > $3::double precision, "
            "false))");
  EXPECT_THAT(params, ElementsAre("FOUNDRY", "true", "5"));
}

TEST(FilterTest, ApplyFilterKeepsOrder) {
  v1::ListAlertsResponse resp;
  for (auto level : {v1::RED, v1::ORANGE, v1::RED}) resp.add_alerts()->set_level(level);
  resp.mutable_alerts(0)->set_name("alerts/1");
  resp.mutable_alerts(2)->set_name("alerts/3");
  ASSERT_THAT(ApplyFilter("level = red", &resp), IsOk());
  ASSERT_EQ(resp.alerts_size(), 2);
  EXPECT_EQ(resp.alerts(0).name(), "alerts/1");
  EXPECT_EQ(resp.alerts(1).name(), "alerts/3");
  EXPECT_THAT(ApplyFilter("level = 紫色", &resp), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Found by tests/fuzz (fuzz_filter): "((((…" ran the parser off the stack.
TEST(FilterTest, NestingAndLengthAreBounded) {
  auto nested = [](int depth) {
    return std::string(depth, '(') + "display_name = a" + std::string(depth, ')');
  };
  EXPECT_TRUE(Filter::Parse(nested(32), v1::Enterprise::descriptor()).ok());
  EXPECT_THAT(Problem(nested(33)), HasSubstr("括号嵌套超过 32 层"));
  EXPECT_THAT(Problem(nested(100000)), HasSubstr("括号嵌套超过 32 层"));

  auto chain = [](int n) {
    std::string text = "overcapacity = true";
    for (int i = 1; i < n; ++i)
      text += i % 2 ? " AND NOT overcapacity = false" : " OR bulk_transport = true";
    return text;
  };
  auto f = Filter::Parse(chain(200), v1::Enterprise::descriptor());
  ASSERT_TRUE(f.ok()) << f.status();
  v1::Enterprise e;
  e.set_overcapacity(true);
  EXPECT_TRUE(f->Matches(e));
  EXPECT_THAT(Problem(chain(201)), HasSubstr("比较超过 200 个"));
  EXPECT_THAT(Problem(chain(100000)), HasSubstr("比较超过 200 个"));
}

}  // namespace
}  // namespace cuofeng
