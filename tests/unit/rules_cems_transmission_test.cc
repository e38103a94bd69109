// SP9 (T81, T83) with measured CEMS transmission (issue 21): the rules judge
// the rate a monitoring point actually transmitted
// (RegistrySnapshot::cems_transmission) instead of the enterprise's declared
// Equipment.cems_transmission_rate, and say which one they used.

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules_test_support.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_support::District;
using testing_support::Entry;
using testing_support::Jizhou;
using testing_support::Summary;
using testing_support::Without;

const v1::RuleSet& Rules() {
  static const v1::RuleSet* rs = new v1::RuleSet(Without(Jizhou(), v1::ESCALATION));
  return *rs;
}

const std::string kGeneral = "RUN LIMIT10+NR LIMIT20+NR LIMIT30+NR";
const std::string kRectifyAll = "RECTIFY+NR RECTIFY+NR RECTIFY+NR RECTIFY+NR";
constexpr char kEnterprise[] = "districts/120119/enterprises/e1";
constexpr char kLine[] = "districts/120119/enterprises/e1/lines/l1";
constexpr char kBoiler[] = "districts/120119/enterprises/e1/lines/l1/processes/p1/equipment/q1";

// A 46 m boiler stack with CEMS, declaring `declared` percent.
void HighStack(District& d, double declared) {
  d.Enterprise("e1", v1::FOOD, "C1439");
  auto& q = d.Equipment("e1", "q1", v1::BOILER);
  q.set_rated_capacity(40);
  q.set_stack_height_m(46);
  q.set_cems_installed(true);
  q.set_cems_transmission_rate(declared);
}

// A point serving `target` that validly sent `valid` of 43,200 minutes
// (30 days) from 2018-09-25 to 2018-10-24.
v1::CemsTransmission Measured(const std::string& target, int64_t valid,
                              const std::string& point = "p1") {
  v1::CemsTransmission t;
  t.set_monitoring_point(absl::StrCat(kEnterprise, "/monitoringPoints/", point));
  t.set_mn("88888880000001");
  t.set_target(target);
  t.set_from_day("2018-09-25");
  t.set_to_day("2018-10-24");
  t.set_expected_minutes(43200);
  t.set_valid_minutes(valid);
  t.set_rate_percent(100.0 * valid / 43200);
  return t;
}

// The SP9 reason or refusal on the boiler's entry.
const v1::Reason* Sp9(const v1::ListEntry* e) {
  if (e == nullptr) return nullptr;
  for (const auto& r : e->reasons())
    if (r.rule_id() == "SP9") return &r;
  for (const auto& r : e->refused())
    if (r.rule_id() == "SP9") return &r;
  ADD_FAILURE() << "no SP9 on " << e->resource();
  return nullptr;
}

std::string FactValue(const v1::Reason& r, const std::string& field) {
  for (const auto& f : r.facts())
    if (f.field() == field) return f.value();
  return "";
}

TEST(RulesCemsTransmissionTest, MeasuredBelow90RectifiesDespiteDeclared95) {
  District d;
  HighStack(d, 95);
  d.snapshot().cems_transmission.push_back(Measured(kBoiler, 37800));  // 87.5 %
  GeneratedList list = d.Generate(Rules());
  const v1::ListEntry* q = Entry(list, "/q1");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Summary(*q), "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9] refused[T17]");
  const v1::Reason* r = Sp9(q);
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->text(),
              HasSubstr("数据传输有效率（实测，2018-09-25至2018-10-24，MN 88888880000001）87.5%"));
  EXPECT_THAT(r->text(), HasSubstr("予以停产整治"));
  EXPECT_EQ(FactValue(*r, "cems_transmission_measured"),
            "87.5（2018-09-25至2018-10-24，MN 88888880000001，有效传输37800/43200分钟）");
  EXPECT_EQ(FactValue(*r, "cems_transmission_rate"), "95");  // the declared, kept as a fact
}

TEST(RulesCemsTransmissionTest, Measured95IsRefusedDespiteDeclared80) {
  District d;
  HighStack(d, 80);
  d.snapshot().cems_transmission.push_back(Measured(kBoiler, 41040));  // 95 %
  GeneratedList list = d.Generate(Rules());
  const v1::ListEntry* q = Entry(list, "/q1");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Summary(*q), "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[SP9,T17]");
  const v1::Reason* r = Sp9(q);
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->text(), HasSubstr("数据传输有效率（实测，2018-09-25至2018-10-24，MN "
                                   "88888880000001）95.0%，达标，不停产整治"));
}

TEST(RulesCemsTransmissionTest, ExactlyNinetyMeasuredMeets) {
  District d;
  HighStack(d, 50);
  d.snapshot().cems_transmission.push_back(Measured(kBoiler, 38880));  // 90.0 %
  const GeneratedList list = d.Generate(Rules());
  const v1::ListEntry* q = Entry(list, "/q1");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Summary(*q), "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[SP9,T17]");
  District below;
  HighStack(below, 100);
  below.snapshot().cems_transmission.push_back(Measured(kBoiler, 38879));  // one minute short
  const GeneratedList below_list = below.Generate(Rules());
  const v1::ListEntry* b = Entry(below_list, "/q1");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Summary(*b), "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9] refused[T17]");
}

TEST(RulesCemsTransmissionTest, PointOnTheLineCoversItsEquipmentAndTheLowestWins) {
  District d;
  HighStack(d, 95);
  d.snapshot().cems_transmission.push_back(Measured(kLine, 42000, "line"));   // 97.2 %
  d.snapshot().cems_transmission.push_back(Measured(kBoiler, 30240, "own"));  // 70 %
  const GeneratedList list = d.Generate(Rules());
  const v1::Reason* r = Sp9(Entry(list, "/q1"));
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->text(), HasSubstr("）70.0%"));
  bool cites_own = false;
  for (const auto& f : r->facts())
    cites_own |= absl::EndsWith(f.resource(), "monitoringPoints/own");
  EXPECT_TRUE(cites_own);

  District line_only;
  HighStack(line_only, 50);
  line_only.snapshot().cems_transmission.push_back(Measured(kLine, 42000, "line"));
  const GeneratedList line_list = line_only.Generate(Rules());
  const v1::ListEntry* q = Entry(line_list, "/q1");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Summary(*q), "q1@2018-11-15 RESTRICTED " + kGeneral + " [SP1,EM3] refused[SP9,T17]");
}

TEST(RulesCemsTransmissionTest, NoMeasuredFigureJudgesTheDeclaredAsBefore) {
  // No figures at all: today's wording, declared rate judged.
  District d;
  HighStack(d, 80);
  const GeneratedList list = d.Generate(Rules());
  const v1::ListEntry* q = Entry(list, "/q1");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Summary(*q), "q1@2018-11-15 RESTRICTED " + kRectifyAll + " [SP1,EM3,SP9] refused[T17]");
  const v1::Reason* r = Sp9(q);
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->text(), HasSubstr("；数据传输有效率80%，予以停产整治"));
  EXPECT_THAT(r->text(), Not(HasSubstr("实测")));
  EXPECT_THAT(r->text(), Not(HasSubstr("企业申报")));

  // Figures for another plant's point only: the declared is judged and named so.
  District other;
  HighStack(other, 80);
  other.snapshot().cems_transmission.push_back(
      Measured("districts/120119/enterprises/e2/lines/l1", 43200));
  const GeneratedList other_list = other.Generate(Rules());
  const v1::Reason* o = Sp9(Entry(other_list, "/q1"));
  ASSERT_NE(o, nullptr);
  EXPECT_THAT(o->text(), HasSubstr("；数据传输有效率（企业申报）80%，予以停产整治"));
  EXPECT_EQ(FactValue(*o, "cems_transmission_measured"), "");
}

}  // namespace
}  // namespace cuofeng
