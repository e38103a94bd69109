// lib/verification/cems_evidence and its charts (issue 21): the evidence
// series of CEMS and material-balance findings, drawn with Chinese labels,
// the obligation window, grace and finding window, flagged minutes and gaps.
#include "lib/verification/cems_evidence.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/charts/load_chart.h"
#include "lib/documents/case_documents.h"
#include "lib/model/clock.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr int64_t kMin = 60LL * 1000000;

absl::Time Dec1() {
  absl::Time t;
  std::string err;
  absl::ParseTime("%Y-%m-%d %H:%M", "2018-12-01 00:00", absl::FixedTimeZone(8 * 3600), &t, &err);
  return t;
}
int64_t Us(absl::Time t) { return absl::ToUnixMicros(t); }
int64_t Us(const google::protobuf::Timestamp& t) { return Us(FromTimestamp(t)); }
absl::Time At(int64_t minutes_after_dec1) { return Dec1() + absl::Minutes(minutes_after_dec1); }

CemsMinute Minute(int64_t minute, double pm, double flow, char flag = 'N') {
  CemsMinute m;
  m.t_us = Us(Dec1()) + minute * kMin;
  m.value[kCemsPm] = pm;
  m.value[kCemsSo2] = pm * 2;
  m.value[kCemsNox] = pm * 3;
  m.value[kCemsFlow] = flow;
  m.value[kCemsO2] = 10 + 0.01 * (minute % 97);
  m.flag.fill(flag);
  return m;
}

CemsPoint Point() {
  CemsPoint p;
  p.name = "districts/1/enterprises/e/monitoringPoints/p1";
  p.enterprise = "districts/1/enterprises/e";
  p.target = "districts/1/enterprises/e/lines/l1";
  p.label = "示例钢铁厂 1#烧结机头";
  p.limit = {10.0, 50.0, std::nullopt};
  return p;
}

EffectiveWindow Window(v1::Action action, int64_t start_min, int64_t end_min) {
  v1::Obligation o;
  o.set_resource("districts/1/enterprises/e/lines/l1");
  o.set_enterprise("districts/1/enterprises/e");
  o.set_action(action);
  o.set_percent(action == v1::LIMIT ? 50 : 0);
  *o.mutable_window_start() = ToTimestamp(At(start_min));
  *o.mutable_window_end() = ToTimestamp(At(end_min));
  o.set_entry("districts/1/lists/1/entries/7");
  o.set_level(v1::ORANGE);
  return {o, Us(At(start_min)), Us(At(end_min))};
}

// An EvidenceSeries of `f` over its chart range, as GetEvidence starts it.
v1::EvidenceSeries Start(v1::Finding f) {
  f.set_name("districts/1/enterprises/e/findings/4711");
  f.set_enterprise_name("示例钢铁厂");
  v1::EvidenceSeries e;
  *e.mutable_finding() = std::move(f);
  const auto [from, to] = CemsEvidenceRange(e.finding());
  *e.mutable_from() = ToTimestamp(from);
  *e.mutable_to() = ToTimestamp(to);
  return e;
}

std::string Svg(const v1::EvidenceSeries& e) { return RenderSvg(EvidenceChart(e)); }

// The SVG's text elements only (what people read), for "no English label".
std::string Texts(const std::string& svg) {
  std::string out;
  for (size_t at = svg.find("<text"); at != std::string::npos; at = svg.find("<text", at + 1)) {
    const size_t open = svg.find('>', at), close = svg.find("</text>", at);
    out += svg.substr(open + 1, close - open - 1) + "\n";
  }
  return out;
}

TEST(CemsEvidenceTest, FlowInStopShowsFlowAgainstTheStopShareWithFlagsAndGaps) {
  // A stop from 00:00 for a day: flow at 60,000 m³/h from 03:20 to 06:40
  // (normal 100,000), a fault (D) 08:00-09:00, nothing 12:00-13:00, F else.
  const EffectiveWindow w = Window(v1::STOP, 0, 1440);
  std::vector<CemsMinute> minutes;
  for (int64_t i = -1440; i < 1440; ++i) {
    if (i >= 720 && i < 780) continue;
    const bool breach = i >= 200 && i < 400;
    const char flag = i >= 480 && i < 540 ? 'D' : i < 0 ? 'N' : breach ? 'N' : 'F';
    minutes.push_back(Minute(i, 3, i < 0 ? 100000 : breach ? 60000 : 1000, flag));
  }
  CemsParams p;
  auto found = CheckFlowInStop(Point(), minutes, w, 100000, At(1440), p);
  ASSERT_THAT(found, SizeIs(1));
  v1::EvidenceSeries e = Start(found[0]);
  FillCemsEvidence(minutes, At(1440), &e);
  EXPECT_EQ(e.meter(), Point().name);
  EXPECT_EQ(e.unit(), "m³/h");
  EXPECT_EQ(e.threshold_kw(), 30000);
  EXPECT_NEAR(e.baseline_kw(), 100000, 1e-6);  // normal flow, from the rule's 30 %
  EXPECT_GT(e.load_size(), 1000);
  // The obligation window is shown whole: its grace and the hours before it.
  EXPECT_LE(Us(e.from()), Us(At(-360)));
  // The missing hour is a gap; the fault a D stretch.
  ASSERT_THAT(e.gaps(), SizeIs(1));
  EXPECT_EQ(Us(e.gaps(0).start()), Us(At(720)));
  EXPECT_EQ(Us(e.gaps(0).end()), Us(At(780)));
  bool fault = false;
  for (const v1::FlaggedRange& r : e.flagged()) {
    if (r.flag() == "D") {
      fault = true;
      EXPECT_EQ(Us(r.range().start()), Us(At(480)));
      EXPECT_EQ(Us(r.range().end()), Us(At(540)));
    }
  }
  EXPECT_TRUE(fault);

  const LoadChart chart = EvidenceChart(e);
  EXPECT_EQ(chart.grace_end_us, Us(At(60)));
  EXPECT_EQ(chart.window_start_us, Us(At(200)));
  const std::string svg = RenderSvg(chart);
  const std::string texts = Texts(svg);
  EXPECT_THAT(chart.title, HasSubstr("示例钢铁厂"));
  EXPECT_THAT(chart.title, HasSubstr("4711"));
  EXPECT_THAT(chart.title, HasSubstr("停产期间烟气流量未降"));
  EXPECT_THAT(chart.title, Not(HasSubstr("CEMS_")));  // no enum code for people to read
  EXPECT_THAT(texts, HasSubstr("废气流量分钟值"));
  EXPECT_THAT(texts, HasSubstr("正常流量 100000.0 m³/h"));
  EXPECT_THAT(texts, HasSubstr("停产流量上限（正常流量的 30%） 30000.0 m³/h"));
  EXPECT_THAT(texts, HasSubstr("标记 D 故障"));
  EXPECT_THAT(texts, HasSubstr("标记 F 停运"));
  EXPECT_THAT(texts, HasSubstr("数据缺失"));
  EXPECT_THAT(texts, HasSubstr("缓冲期"));
  EXPECT_THAT(texts, HasSubstr("措施时段"));
  EXPECT_THAT(texts, HasSubstr("问题时段"));
  EXPECT_THAT(texts, Not(HasSubstr("kW")));
  EXPECT_THAT(texts, Not(HasSubstr("load")));
  EXPECT_THAT(texts, Not(HasSubstr("threshold")));
}

TEST(CemsEvidenceTest, TransmissionIsAShareADayAgainstNinetyPercent) {
  // Dec 1: every minute; Dec 2: 1,152 valid (80 %: 144 missing, 144 flagged C); Dec 3: every
  // minute.
  std::vector<CemsMinute> minutes;
  for (int64_t i = 0; i < 3 * 1440; ++i) {
    if (i >= 1440 + 100 && i < 1440 + 244) continue;
    const char flag = i >= 1440 + 600 && i < 1440 + 744 ? 'C' : 'N';
    minutes.push_back(Minute(i, 3 + 0.1 * (i % 7), 50000 + i % 11, flag));
  }
  CemsParams p;
  auto found = CheckTransmission(Point(), minutes, At(0), At(3 * 1440), p);
  ASSERT_FALSE(found.empty());
  const v1::Finding& day = found[0];
  ASSERT_EQ(Us(day.window_start()), Us(At(1440)));
  v1::EvidenceSeries e = Start(day);
  FillCemsEvidence(minutes, At(3 * 1440), &e);
  EXPECT_EQ(e.unit(), "%");
  EXPECT_EQ(e.bar_seconds(), 86400);
  EXPECT_EQ(e.threshold_kw(), 90);
  // Three days of data (days before the first minute are not due).
  ASSERT_THAT(e.load(), SizeIs(3));
  EXPECT_EQ(Us(e.load(1).time()), Us(At(1440)));
  EXPECT_NEAR(e.load(0).kw(), 100, 1e-9);
  EXPECT_NEAR(e.load(1).kw(), day.measured(), 1e-9);
  EXPECT_NEAR(e.load(1).kw(), 80, 1e-9);
  ASSERT_THAT(e.gaps(), SizeIs(1));
  ASSERT_THAT(e.flagged(), SizeIs(1));
  EXPECT_EQ(e.flagged(0).flag(), "C");
  const std::string texts = Texts(Svg(e));
  EXPECT_THAT(texts, HasSubstr("数据传输有效率（日）"));
  EXPECT_THAT(texts, HasSubstr("传输有效率要求 90.0 %"));
  EXPECT_THAT(texts, HasSubstr("80.0"));  // the day's bar says its share
  EXPECT_THAT(texts, HasSubstr("标记 C 校准"));
}

TEST(CemsEvidenceTest, OverLimitShowsMinutesAndHourlyMeansAgainstTheLimit) {
  std::vector<CemsMinute> minutes;
  for (int64_t i = 0; i < 1440; ++i) {
    const bool over = i >= 600 && i < 780;  // three hours at 14 mg/m³ (limit 10)
    minutes.push_back(Minute(i, over ? 14 + 0.1 * (i % 3) : 5 + 0.1 * (i % 5), 50000));
  }
  CemsParams p;
  auto found = CheckOverLimit(Point(), minutes, At(0), At(1440), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(CemsCodeOfFinding(found[0]), kCemsPm);
  v1::EvidenceSeries e = Start(found[0]);
  FillCemsEvidence(minutes, At(1440), &e);
  EXPECT_EQ(e.unit(), "mg/m³");
  EXPECT_EQ(e.threshold_kw(), 10);
  EXPECT_THAT(e.gaps(), SizeIs(0));
  EXPECT_THAT(e.flagged(), SizeIs(0));
  // Hourly means over the day the minutes cover (24), the over hours above the limit.
  ASSERT_THAT(e.production_load(), SizeIs(24));
  EXPECT_GT(e.production_load(10).kw(), 14);
  EXPECT_LT(e.production_load(9).kw(), 10);
  const std::string texts = Texts(Svg(e));
  EXPECT_THAT(texts, HasSubstr("颗粒物分钟值（折算）"));
  EXPECT_THAT(texts, HasSubstr("颗粒物小时均值"));
  EXPECT_THAT(texts, HasSubstr("排放限值 10.0 mg/m³"));
}

TEST(CemsEvidenceTest, ACopiedDayIsLaidOverTheDayItCopies) {
  std::vector<CemsMinute> minutes;
  for (int64_t i = 0; i < 2 * 1440; ++i) {
    const int64_t m = i % 1440;  // Dec 2 repeats Dec 1 exactly
    minutes.push_back(Minute(i, 3 + 0.1 * (m % 7), 50000 + m % 11));
    minutes.back().value[kCemsO2] = 10 + 0.01 * (m % 97);
  }
  CemsParams p;
  auto found = CheckFabrication(Point(), minutes, At(0), At(2 * 1440), p);
  ASSERT_THAT(found, SizeIs(1));
  v1::EvidenceSeries e = Start(found[0]);
  FillCemsEvidence(minutes, At(2 * 1440), &e);
  ASSERT_THAT(e.production_load(), SizeIs(1440));
  EXPECT_EQ(Us(e.production_load(0).time()), Us(At(1440)));
  EXPECT_EQ(e.production_load(5).kw(), minutes[1440 + 5].value[kCemsFlow]);
  EXPECT_THAT(Texts(Svg(e)), HasSubstr("2018-12-01 同时刻数值（平移对照）"));
}

TEST(LedgerEvidenceTest, DailyOutputAgainstNormalAndTheAllowedShare) {
  ProductionLine line;
  line.name = "districts/1/enterprises/e/productionLedgers/l1";
  line.enterprise = "districts/1/enterprises/e";
  line.label = "示例水泥厂 熟料线台账";
  line.unit = "吨";
  line.fuel_unit = "吨";
  line.normal_output = 100;
  const std::vector<EffectiveWindow> windows = {Window(v1::STOP, 1440, 3 * 1440),
                                                Window(v1::LIMIT, 4 * 1440, 6 * 1440)};
  auto day = [](const char* d, double output, double fuel = 0) {
    ProductionDay p;
    p.day = d;
    p.output = output;
    p.fuel = fuel;
    return p;
  };
  const std::vector<ProductionDay> days = {day("2018-11-30", 100, 12), day("2018-12-01", 100, 12),
                                           day("2018-12-02", 0, 0.5),  day("2018-12-03", 0),
                                           day("2018-12-05", 52.6, 6), day("2018-12-06", 60, 7)};
  auto found = CheckMaterialBalance(line, days, windows, 5);
  ASSERT_THAT(found, SizeIs(2));
  // The stop day with coal burnt: output 0 against 0 allowed, the fuel drawn.
  v1::EvidenceSeries stop = Start(found[0]);
  FillLedgerEvidence(days, 100, "吨", &stop);
  EXPECT_EQ(stop.unit(), "吨");
  EXPECT_EQ(stop.bar_seconds(), 86400);
  EXPECT_EQ(stop.threshold_kw(), 0);
  EXPECT_EQ(stop.baseline_kw(), 100);
  EXPECT_GE(stop.load_size(), 4);
  EXPECT_EQ(stop.load_size(), stop.production_load_size());
  // 2018-12-04 has no row: hatched.
  bool dec4 = false;
  for (const v1::TimeRange& g : stop.gaps()) dec4 = dec4 || Us(g.start()) == Us(At(3 * 1440));
  EXPECT_TRUE(dec4);
  std::string texts = Texts(Svg(stop));
  EXPECT_THAT(texts, HasSubstr("日产量（吨）"));
  EXPECT_THAT(texts, HasSubstr("停产日允许产量 0 吨"));
  EXPECT_THAT(texts, HasSubstr("燃料消耗（吨）"));
  EXPECT_THAT(texts, HasSubstr("正常日产量 100.0 吨"));
  // The limit days: the normal output as the finding states it.
  EXPECT_EQ(NormalOutputOf(found[1]), 100);
  v1::EvidenceSeries limit = Start(found[1]);
  FillLedgerEvidence(days, NormalOutputOf(found[1]), "吨", &limit);
  EXPECT_EQ(limit.threshold_kw(), 52.5);
  texts = Texts(Svg(limit));
  EXPECT_THAT(texts, HasSubstr("允许日产量 52.5 吨"));
  EXPECT_THAT(texts, Not(HasSubstr("kW")));

  // The case file carries the chart under its own heading.
  CaseFileDocument doc;
  doc.evidence = limit;
  doc.context.city = "天津市";
  doc.context.district_name = "蓟州区";
  int pages = 0;
  auto pdf = CaseFilePdf(doc, &pages);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_GE(pages, 1);
  EXPECT_GT(pdf->size(), 10000u);
}

}  // namespace
}  // namespace cuofeng

namespace cuofeng {
namespace {

// Issue 21: a later run's word from another source refreshes a stored finding.
TEST(MergeCorroborationTest, LaterWordsReplaceOrAddAndOthersAreKept) {
  v1::Finding stored;
  stored.set_type(v1::STOP_NOT_KEPT);
  stored.set_scope("districts/1/enterprises/e/meters/m1");
  CountSupportingSources(&stored);
  ASSERT_EQ(stored.supporting_sources(), 1);
  v1::Corroboration* ledger = stored.add_corroboration();
  ledger->set_source("material_balance");
  ledger->set_resource("districts/1/enterprises/e/productionLedgers/l1");
  ledger->set_supports(false);
  ledger->set_detail("2018-12-02 产量 0");
  CountSupportingSources(&stored);
  ASSERT_EQ(stored.supporting_sources(), 1);

  // A live run that consulted the CEMS only: its word is added, the ledger's kept.
  v1::Finding found = stored;
  found.clear_corroboration();
  CountSupportingSources(&found);
  v1::Corroboration* cems = found.add_corroboration();
  cems->set_source("cems");
  cems->set_resource("districts/1/enterprises/e/monitoringPoints/p1");
  cems->set_supports(true);
  cems->set_detail("flow above 30% of normal in 200 of 200 minutes");
  CountSupportingSources(&found);
  EXPECT_TRUE(MergeCorroboration(&stored, found));
  EXPECT_EQ(stored.supporting_sources(), 2);
  EXPECT_THAT(stored.corroboration(), SizeIs(3));
  EXPECT_EQ(stored.corroboration(0).source(), "electricity");  // its own first
  // The same again: nothing changes.
  EXPECT_FALSE(MergeCorroboration(&stored, found));
  // The ledger's later word (a day with output arrived) replaces its earlier one.
  v1::Finding later = found;
  later.clear_corroboration();
  CountSupportingSources(&later);
  *later.add_corroboration() = *ledger;
  later.mutable_corroboration(1)->set_supports(true);
  later.mutable_corroboration(1)->set_detail("2018-12-02 产量 580.5 吨");
  EXPECT_TRUE(MergeCorroboration(&stored, later));
  EXPECT_THAT(stored.corroboration(), SizeIs(3));
  EXPECT_EQ(stored.supporting_sources(), 3);
}

}  // namespace
}  // namespace cuofeng
