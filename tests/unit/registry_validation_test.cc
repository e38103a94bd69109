// The registry's database-free rules: validation, the CSV template and the
// text codec, on real proto messages.
#include "cuofeng/v1/registry.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/model/identifiers.h"
#include "services/registry/csv_template.h"
#include "services/registry/resources.h"
#include "services/registry/row_codec.h"
#include "services/registry/validation.h"

namespace cuofeng {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::IsEmpty;

std::vector<std::string> Fields(const std::vector<FieldViolation>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.field);
  return out;
}

v1::Enterprise GoodEnterprise() {
  v1::Enterprise e;
  e.set_display_name("天津市蓟州区铸造厂");
  e.set_uscc("91350100M000100Y43");
  e.set_township("districts/120119/townships/yuyang");
  e.set_industry_code("C3391");
  e.set_industry_category(v1::FOUNDRY);
  e.set_permit_status(v1::PERMIT_VALID);
  e.set_performance_grade(v1::UNGRADED);
  return e;
}

ParsedName Name(const ResourceKind& kind, const std::string& name) {
  auto parsed = ParseName(kind, name);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

TEST(ResourcesTest, ParsesNamesOfEveryDepth) {
  auto eq = ParseName(*KindByFile("equipment"),
                      "districts/120119/enterprises/e1/lines/l1/processes/p1/equipment/q1");
  ASSERT_TRUE(eq.ok()) << eq.status();
  EXPECT_EQ(eq->parent, "districts/120119/enterprises/e1/lines/l1/processes/p1");
  EXPECT_EQ(eq->enterprise_id, "e1");
  EXPECT_EQ(eq->district_id, "120119");
  EXPECT_FALSE(
      ParseName(*KindByFile("equipment"), "districts/120119/enterprises/e1/lines/l1").ok());
  EXPECT_FALSE(ParseName(EnterpriseKind(), "districts/1201/enterprises/e1").ok());
  EXPECT_FALSE(ParseName(EnterpriseKind(), "districts/120119/townships/e1").ok());
}

TEST(ValidationTest, GoodEnterpriseHasNoViolations) {
  const auto& kind = EnterpriseKind();
  EXPECT_THAT(
      ValidateResource(kind, Name(kind, "districts/120119/enterprises/e1"), GoodEnterprise()),
      IsEmpty());
}

TEST(ValidationTest, NamesEveryBadField) {
  const auto& kind = EnterpriseKind();
  v1::Enterprise e = GoodEnterprise();
  e.set_uscc("91350100M000100Y44");
  e.set_industry_code("mining");
  e.clear_industry_category();
  e.set_livelihood_cap_percent(120);
  e.set_approved_capacity_daily(-1);
  e.set_township("districts/120101/townships/x");
  auto v = ValidateResource(kind, Name(kind, "districts/120119/enterprises/e1"), e);
  EXPECT_THAT(Fields(v), ::testing::UnorderedElementsAre(
                             "uscc", "industry_code", "industry_category", "livelihood_cap_percent",
                             "approved_capacity_daily", "township"));
}

// One fact, one spelling: the rules engine matches industry codes by prefix,
// so 3031 and C3031 must be stored alike (GB/T 4754-2017 sections).
TEST(ValidationTest, IndustryCodesAreStoredWithTheirSectionLetter) {
  const auto& kind = EnterpriseKind();
  for (const auto& [written, stored] :
       std::vector<std::pair<std::string, std::string>>{{"3031", "C3031"},
                                                        {"c3031", "C3031"},
                                                        {" C3031 ", "C3031"},
                                                        {"4430", "D4430"},
                                                        {"0511", "A0511"},
                                                        {"13", "C13"},
                                                        {"4399", "C4399"},
                                                        {"9700", "T9700"}}) {
    v1::Enterprise e = GoodEnterprise();
    e.set_industry_code(written);
    ApplyDefaults(kind, &e);
    EXPECT_EQ(e.industry_code(), stored) << written;
    EXPECT_THAT(ValidateResource(kind, Name(kind, "districts/120119/enterprises/e1"), e), IsEmpty())
        << written;
  }
  for (const std::string bad : {"D3031", "9831", "0011", "C30311"}) {
    v1::Enterprise e = GoodEnterprise();
    e.set_industry_code(bad);
    ApplyDefaults(kind, &e);
    EXPECT_EQ(e.industry_code(), bad);  // left as written, and refused
    EXPECT_THAT(Fields(ValidateResource(kind, Name(kind, "districts/120119/enterprises/e1"), e)),
                ::testing::ElementsAre("industry_code"))
        << bad;
  }
  auto wrong_section = CanonicalIndustryCode("D3031");
  EXPECT_THAT(std::string(wrong_section.status().message()),
              ::testing::HasSubstr("大类 30 属于门类 C"));
}

TEST(ValidationTest, TownshipsByIdOrRegisteredName) {
  const std::vector<RegisteredTownship> townships = {
      {"districts/120119/townships/yuyang", "渔阳镇"},
      {"districts/120119/townships/bangjun", "邦均镇"}};
  EXPECT_EQ(ResolveTownship("districts/120119/townships/bangjun", townships),
            "districts/120119/townships/bangjun");
  EXPECT_EQ(ResolveTownship("yuyang", townships), "districts/120119/townships/yuyang");
  EXPECT_EQ(ResolveTownship("渔阳镇", townships), "districts/120119/townships/yuyang");
  EXPECT_EQ(ResolveTownship(" 邦均镇 ", townships), "districts/120119/townships/bangjun");
  EXPECT_EQ(ResolveTownship("下营镇", townships), "");
  EXPECT_EQ(ResolveTownship("districts/120101/townships/yuyang", townships), "");
  EXPECT_EQ(ResolveTownship("", townships), "");
}

TEST(ValidationTest, MissingFactsAreAllowedButNegativesAreNot) {
  const auto& kind = *KindByFile("equipment");
  ParsedName n = Name(kind, "districts/120119/enterprises/e1/lines/l1/processes/p1/equipment/q1");
  v1::Equipment q;
  q.set_display_name("1号冲天炉");
  q.set_type(v1::CUPOLA);
  EXPECT_THAT(ValidateResource(kind, n, q), IsEmpty());  // no measurements: allowed, not zero
  q.set_pm_concentration(-0.1);
  q.set_cems_transmission_rate(101);
  EXPECT_THAT(Fields(ValidateResource(kind, n, q)),
              ::testing::UnorderedElementsAre("pm_concentration", "cems_transmission_rate",
                                              "cems_transmission_rate"));
}

TEST(ValidationTest, KilnNeedsKilnTypeAndMeterNeedsExactlyOneTarget) {
  const auto& eq = *KindByFile("equipment");
  v1::Equipment q;
  q.set_display_name("窑");
  q.set_type(v1::KILN);
  EXPECT_THAT(
      Fields(ValidateResource(
          eq, Name(eq, "districts/120119/enterprises/e1/lines/l1/processes/p1/equipment/q1"), q)),
      Contains("kiln_type"));
  const auto& meter = *KindByFile("meters");
  v1::Meter m;
  m.set_display_name("电表");
  m.set_role(v1::PRODUCTION);
  m.set_interval_minutes(15);
  ParsedName mn = Name(meter, "districts/120119/enterprises/e1/meters/m1");
  EXPECT_THAT(Fields(ValidateResource(meter, mn, m)), Contains("equipment"));
  m.set_line("districts/120119/enterprises/e2/lines/l1");
  EXPECT_THAT(ValidateResource(meter, mn, m),
              Contains(Field(&FieldViolation::description, ::testing::HasSubstr("属于其他企业"))));
}

TEST(ValidationTest, RequiredOptionalFactMustBePresentNotZero) {
  const auto& kind = *KindByFile("emission_totals");
  ParsedName n = Name(kind, "districts/120119/emissionTotals/2017-pm");
  v1::EmissionTotal t;
  t.set_year(2017);
  t.set_pollutant(v1::PM);
  EXPECT_THAT(Fields(ValidateResource(kind, n, t)), ::testing::ElementsAre("tonnes"));
  t.set_tonnes(0);  // a measured zero is a fact
  EXPECT_THAT(ValidateResource(kind, n, t), IsEmpty());
}

TEST(TemplateTest, ParsesChineseLabelsAndYesNo) {
  v1::Enterprise e;
  const auto* d = v1::Enterprise::descriptor();
  ASSERT_TRUE(ParseCell(d->FindFieldByName("industry_category"), "铸造", &e).ok());
  ASSERT_TRUE(ParseCell(d->FindFieldByName("restricted_class"), "是", &e).ok());
  ASSERT_TRUE(ParseCell(d->FindFieldByName("performance_grade"), "b", &e).ok());
  EXPECT_EQ(e.industry_category(), v1::FOUNDRY);
  EXPECT_TRUE(e.restricted_class());
  EXPECT_EQ(e.performance_grade(), v1::GRADE_B);
  EXPECT_FALSE(ParseCell(d->FindFieldByName("restricted_class"), "maybe", &e).ok());
  EXPECT_FALSE(ParseCell(d->FindFieldByName("approved_capacity_daily"), "12t", &e).ok());
  // An empty cell leaves an optional fact absent, not zero.
  ASSERT_TRUE(ParseCell(d->FindFieldByName("approved_capacity_daily"), " ", &e).ok());
  EXPECT_FALSE(e.has_approved_capacity_daily());
}

TEST(TemplateTest, EquipmentColumnsStartWithAncestorIds) {
  auto header = TemplateHeader(*KindByFile("equipment"));
  ASSERT_GE(header.size(), 4u);
  EXPECT_EQ(header[0], "enterprise_id");
  EXPECT_EQ(header[1], "line_id");
  EXPECT_EQ(header[2], "process_id");
  EXPECT_EQ(header[3], "id");
  auto meter = TemplateHeader(*KindByFile("meters"));
  EXPECT_THAT(meter, Contains("equipment_id"));
}

TEST(RowCodecTest, DoublesRoundTripExactly) {
  for (double v : {0.1, 20.0, 100.0, 1e-7, 123456.789, 0.30000000000000004}) {
    v1::Equipment q;
    q.set_pm_concentration(v);
    auto text = FieldText(q, v1::Equipment::descriptor()->FindFieldByName("pm_concentration"));
    ASSERT_TRUE(text.has_value());
    v1::Equipment back;
    ASSERT_TRUE(SetFieldFromText(v1::Equipment::descriptor()->FindFieldByName("pm_concentration"),
                                 *text, &back)
                    .ok());
    EXPECT_EQ(back.pm_concentration(), v) << *text;
  }
  v1::Equipment empty;
  EXPECT_FALSE(FieldText(empty, v1::Equipment::descriptor()->FindFieldByName("pm_concentration"))
                   .has_value());
}

}  // namespace
}  // namespace cuofeng
