// ComposeNotices: which enterprises a change reaches, and what it tells them.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/notify/notice.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

absl::Time At(int day, int hour) {
  return absl::FromCivil(absl::CivilSecond(2018, 12, day, hour, 0, 0), kChina);
}

v1::Measure Measure(v1::Action action, double percent = 0) {
  v1::Measure m;
  m.set_action(action);
  m.set_percent(percent);
  return m;
}

// Plant e1's kiln: limit 50 % in the season, stop at orange. Plant e2's
// boiler: limit 30 % whatever the level (an orange alert changes nothing).
v1::ListEntry Entry(const std::string& enterprise, const std::string& resource,
                    const v1::Measure& season, const v1::Measure& orange) {
  v1::ListEntry e;
  e.set_name(absl::StrCat("districts/120119/lists/1/entries/", resource.size()));
  e.set_enterprise(enterprise);
  e.set_enterprise_name(enterprise == "districts/120119/enterprises/e1" ? "甲铸造厂" : "乙化工厂");
  e.set_resource(resource);
  e.set_resource_name(enterprise == "districts/120119/enterprises/e1" ? "1号冲天炉" : "燃煤锅炉");
  e.set_effective_from("2018-11-15");
  *e.mutable_season() = season;
  *e.mutable_yellow() = season;
  *e.mutable_orange() = orange;
  *e.mutable_red() = orange;
  v1::Reason* r = e.add_reasons();
  r->set_rule_id("SP3");
  r->set_seed_clause("T76");
  return e;
}

FiledList List(const std::string& name, absl::Time from) {
  FiledList l;
  l.name = name;
  l.in_force_from = from;
  l.season_start = "2018-11-15";
  l.season_end = "2019-03-15";
  v1::Period p;
  p.set_start("2018-11-15");
  p.set_end("2019-03-15");
  l.staggered.push_back(p);
  const std::string e1 = "districts/120119/enterprises/e1", e2 = "districts/120119/enterprises/e2";
  l.entries[e1].push_back(
      Entry(e1, e1 + "/equipment/q1", Measure(v1::LIMIT, 50), Measure(v1::STOP)));
  l.entries[e2].push_back(
      Entry(e2, e2 + "/equipment/b1", Measure(v1::LIMIT, 30), Measure(v1::LIMIT, 30)));
  return l;
}

AlertRevision Orange(int revision, absl::Time effective, bool lifted = false) {
  AlertRevision a;
  a.name = "alerts/4";
  a.revision = revision;
  a.level = v1::ORANGE;
  a.start = At(1, 0);
  a.end = lifted ? effective : At(4, 0);
  a.effective = effective;
  a.lifted = lifted;
  a.districts = {"120119"};
  return a;
}

RecordedChange AlertChange(const std::string& kind, int revision, absl::Time effective) {
  RecordedChange c;
  c.id = 1;
  c.kind = kind;
  c.subject = "alerts/4";
  c.revision = revision;
  c.district_ids = {"120119"};
  c.document_number = "津重污染指〔2018〕12号";
  c.level = "ORANGE";
  c.effective = effective;
  return c;
}

TEST(ComposeNoticesTest, AnOrangeAlertReachesOnlyThePlantWhoseMeasureChanges) {
  const std::vector<FiledList> lists = {
      List("districts/120119/lists/1", At(1, 0) - absl::Hours(24 * 20))};
  const std::vector<AlertRevision> alerts = {Orange(1, At(1, 0))};
  const auto notes =
      ComposeNotices(AlertChange("ALERT_ISSUED", 1, At(1, 0)), "120119", lists, alerts);
  ASSERT_THAT(notes, SizeIs(1));
  const v1::Notification& n = notes[0];
  EXPECT_EQ(n.enterprise(), "districts/120119/enterprises/e1");
  EXPECT_EQ(n.cause(), "alerts/4@1");
  EXPECT_EQ(n.document_number(), "津重污染指〔2018〕12号");
  ASSERT_THAT(n.changes(), SizeIs(1));
  const v1::ObligationChange& ch = n.changes(0);
  EXPECT_EQ(ch.resource(), "districts/120119/enterprises/e1/equipment/q1");
  EXPECT_EQ(ch.before(), "限产50%");
  EXPECT_EQ(ch.after(), "停产");
  EXPECT_EQ(ch.from().seconds(), absl::ToUnixSeconds(At(1, 0)));
  EXPECT_EQ(ch.until().seconds(), absl::ToUnixSeconds(At(4, 0)));
  EXPECT_THAT(ch.reason(), HasSubstr("SP3（T76）"));
  EXPECT_THAT(n.title(), HasSubstr("橙色预警"));
  EXPECT_THAT(n.body(), HasSubstr("甲铸造厂"));
  EXPECT_THAT(n.body(), HasSubstr("1号冲天炉"));
  EXPECT_THAT(n.body(), HasSubstr("自 2018-12-01 00:00 起至 2018-12-04 00:00 止"));
  EXPECT_THAT(n.body(), HasSubstr("津重污染指〔2018〕12号"));
}

TEST(ComposeNoticesTest, ALiftTellsTheStopEndsFromTheLiftAndIgnoresLaterRevisions) {
  const std::vector<FiledList> lists = {
      List("districts/120119/lists/1", At(1, 0) - absl::Hours(24 * 20))};
  // Revision 2 lifts it on the 2nd at 12:00; revision 3 does not exist yet
  // for this change, however the alert stands by the time it is fanned out.
  std::vector<AlertRevision> alerts = {Orange(1, At(1, 0)), Orange(2, At(2, 12), true)};
  const auto notes =
      ComposeNotices(AlertChange("ALERT_LIFTED", 2, At(2, 12)), "120119", lists, alerts);
  ASSERT_THAT(notes, SizeIs(1));
  ASSERT_THAT(notes[0].changes(), SizeIs(1));
  EXPECT_EQ(notes[0].changes(0).before(), "停产");
  EXPECT_EQ(notes[0].changes(0).after(), "限产50%");
  EXPECT_EQ(notes[0].changes(0).from().seconds(), absl::ToUnixSeconds(At(2, 12)));
  EXPECT_THAT(notes[0].title(), HasSubstr("解除"));
  // Issuing, seen after the lift was stored, is still described as issued.
  const auto issued =
      ComposeNotices(AlertChange("ALERT_ISSUED", 1, At(1, 0)), "120119", lists, alerts);
  ASSERT_THAT(issued, SizeIs(1));
  EXPECT_EQ(issued[0].changes(0).until().seconds(), absl::ToUnixSeconds(At(4, 0)));
}

TEST(ComposeNoticesTest, AFirstFilingTellsEveryListedPlantWhatNowBindsIt) {
  const std::vector<FiledList> lists = {List("districts/120119/lists/1", At(1, 9))};
  RecordedChange c;
  c.kind = "LIST_FILED";
  c.subject = "districts/120119/lists/1";
  c.district_ids = {"120119"};
  const auto notes = ComposeNotices(c, "120119", lists, {});
  ASSERT_THAT(notes, SizeIs(2));
  EXPECT_EQ(notes[0].changes(0).before(), "无错峰要求");
  EXPECT_EQ(notes[0].changes(0).after(), "限产50%");
  EXPECT_EQ(notes[0].changes(0).from().seconds(), absl::ToUnixSeconds(At(1, 9)));
  EXPECT_THAT(notes[0].title(), HasSubstr("清单生效"));
  // A change nobody knows (not loaded yet) notifies no one.
  c.subject = "districts/120119/lists/9";
  EXPECT_THAT(ComposeNotices(c, "120119", lists, {}), SizeIs(0));
}

}  // namespace
}  // namespace cuofeng
