// lib/verification/cems_checks: each CEMS check at its boundary.
#include "lib/verification/cems_checks.h"

#include <cmath>
#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/model/clock.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kMin = 60LL * 1000000;
constexpr int64_t kDay = 24 * 60 * kMin;

// 2018-12-01 00:00 China time.
absl::Time Dec1() {
  absl::Time t;
  std::string err;
  absl::ParseTime("%Y-%m-%d %H:%M", "2018-12-01 00:00", absl::FixedTimeZone(8 * 3600), &t, &err);
  return t;
}
int64_t Us(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time At(int64_t minutes_after_dec1) { return Dec1() + absl::Minutes(minutes_after_dec1); }

// One minute at `minute` (after Dec 1 00:00) with every code flagged `flag`.
CemsMinute Minute(int64_t minute, double pm, double flow, char flag = 'N', double o2 = 0) {
  CemsMinute m;
  m.t_us = Us(Dec1()) + minute * kMin;
  m.value[kCemsPm] = pm;
  m.value[kCemsSo2] = pm * 2;
  m.value[kCemsNox] = pm * 3;
  m.value[kCemsFlow] = flow;
  m.value[kCemsO2] = o2 != 0 ? o2 : 10 + 0.01 * (minute % 97);
  m.flag.fill(flag);
  return m;
}

// Minutes [from, to) after Dec 1 00:00 for which `keep` is true; values vary
// honestly (no two consecutive alike).
std::vector<CemsMinute> Series(int64_t from, int64_t to, const std::function<bool(int64_t)>& keep,
                               double flow = 50000, char flag = 'N') {
  std::vector<CemsMinute> out;
  for (int64_t i = from; i < to; ++i) {
    if (keep(i)) out.push_back(Minute(i, 5 + 0.1 * (i % 13), flow + (i % 7), flag));
  }
  return out;
}

CemsPoint Point() {
  CemsPoint p;
  p.name = "districts/1/enterprises/e/monitoringPoints/p1";
  p.enterprise = "districts/1/enterprises/e";
  p.target = "districts/1/enterprises/e/lines/l1";
  p.limit = {10.0, 50.0, std::nullopt};
  return p;
}

v1::Obligation Obligation(v1::Action action, int64_t start_min, int64_t end_min) {
  v1::Obligation o;
  o.set_resource("districts/1/enterprises/e/lines/l1");
  o.set_enterprise("districts/1/enterprises/e");
  o.set_action(action);
  o.set_percent(action == v1::LIMIT ? 50 : 0);
  *o.mutable_window_start() = ToTimestamp(At(start_min));
  *o.mutable_window_end() = ToTimestamp(At(end_min));
  o.set_entry("districts/1/lists/1/entries/7");
  o.set_level(v1::ORANGE);
  return o;
}

EffectiveWindow Window(v1::Action action, int64_t start_min, int64_t end_min) {
  return {Obligation(action, start_min, end_min), Us(At(start_min)), Us(At(end_min))};
}

TEST(CemsMinuteTest, ValidFlags) {
  for (char f : std::string("NFT")) EXPECT_TRUE(ValidMinute(Minute(0, 1, 1, f))) << f;
  for (char f : std::string("MSDCB")) EXPECT_FALSE(ValidMinute(Minute(0, 1, 1, f))) << f;
  CemsMinute empty;
  EXPECT_FALSE(ValidMinute(empty));
  CemsMinute one = Minute(0, 1, 1);
  one.flag[kCemsSo2] = 'D';  // one code in fault makes the minute invalid
  EXPECT_FALSE(ValidMinute(one));
  EXPECT_EQ(CemsCodeIndex("a21026"), kCemsSo2);
  EXPECT_EQ(CemsCodeIndex("w01018"), -1);
}

TEST(CemsParamsTest, DefaultsAndRuleSet) {
  v1::VerificationParameters vp;
  v1::Thresholds t;
  CemsParams p = ResolveCemsParams(vp, t);
  EXPECT_EQ(p.min_transmission_percent, 90);
  EXPECT_EQ(p.flow_stop_percent, 30);
  vp.set_cems_flow_stop_percent(20);
  vp.set_grace_minutes(30);
  t.set_cems_min_transmission_percent(95);
  p = ResolveCemsParams(vp, t);
  EXPECT_EQ(p.min_transmission_percent, 95);
  EXPECT_EQ(p.flow_stop_percent, 20);
  EXPECT_EQ(p.grace_minutes, 30);
}

// T81: 90 % of a day's 1,440 minutes is 1,296.
TEST(CemsTransmissionTest, DayAtNinetyPercentPasses) {
  CemsParams p;
  // 144 minutes missing: exactly 90 %.
  auto at90 = Series(0, 1440, [](int64_t i) { return i < 600 || i >= 744; });
  EXPECT_THAT(CheckTransmission(Point(), at90, At(0), At(1440), p), IsEmpty());
  // 145 missing: under.
  auto under = Series(0, 1440, [](int64_t i) { return i < 600 || i >= 745; });
  auto found = CheckTransmission(Point(), under, At(0), At(1440), p);
  // The day and the period (one day) are both under.
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(found[0].type(), v1::CEMS_TRANSMISSION_LOW);
  EXPECT_NEAR(found[0].measured(), 100.0 * 1295 / 1440, 1e-9);
  EXPECT_EQ(found[0].threshold(), 90);
  EXPECT_THAT(found[1].rule(), HasSubstr("整个时段"));
}

TEST(CemsTransmissionTest, FlaggedMinutesCountAsNotTransmitted) {
  CemsParams p;
  auto s = Series(0, 1440, [](int64_t) { return true; });
  for (int i = 0; i < 145; ++i) s[i].flag[kCemsPm] = 'C';  // calibration
  EXPECT_THAT(CheckTransmission(Point(), s, At(0), At(1440), p), SizeIs(2));
  for (int i = 0; i < 145; ++i) s[i].flag[kCemsPm] = 'F';  // stopped: honest, valid
  EXPECT_THAT(CheckTransmission(Point(), s, At(0), At(1440), p), IsEmpty());
}

TEST(CemsTransmissionTest, ConsecutiveLowDaysMakeOneFindingAndTheSeasonIsJudgedApart) {
  CemsParams p;
  // Ten days; days 3 and 4 silent; a short honest outage (2 h) on day 7.
  auto s = Series(0, 10 * 1440, [](int64_t i) {
    return !(i >= 3 * 1440 && i < 5 * 1440) && !(i >= 7 * 1440 + 600 && i < 7 * 1440 + 720);
  });
  auto found = CheckTransmission(Point(), s, At(0), At(10 * 1440), p);
  // Days 3-4 (80 % over ten days is under 90 % too).
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_start())), Us(At(3 * 1440)));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_end())), Us(At(5 * 1440)));
  EXPECT_EQ(found[0].measured(), 0);
  EXPECT_NEAR(found[1].measured(), 100.0 * (8 * 1440 - 120) / (10 * 1440), 1e-9);
  // A partial last day expects only its minutes up to the end.
  auto half = Series(0, 720, [](int64_t) { return true; });
  EXPECT_THAT(CheckTransmission(Point(), half, At(0), At(720), p), IsEmpty());
}

// T83: a stop window of 600 minutes needs 540 valid ones.
TEST(CemsInWindowTest, Boundary) {
  CemsParams p;
  const EffectiveWindow w = Window(v1::STOP, 0, 600);
  auto ok = Series(
      0, 600, [](int64_t i) { return i >= 60; }, 500, 'F');
  EXPECT_THAT(CheckCemsInWindow(Point(), ok, w, At(2000), p), IsEmpty());
  auto bad = Series(
      0, 600, [](int64_t i) { return i >= 61; }, 500, 'F');
  bad[0].flag.fill('D');
  bad[1].flag.fill('M');
  auto found = CheckCemsInWindow(Point(), bad, w, At(2000), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::CEMS_SILENT_IN_WINDOW);
  EXPECT_NEAR(found[0].measured(), 100.0 * 537 / 600, 1e-9);
  EXPECT_THAT(found[0].summary(), HasSubstr("缺失 61 分钟，标记异常 2 分钟（D 1、M 1）"));
  EXPECT_EQ(found[0].obligation(), "districts/1/lists/1/entries/7");
  // Judged only up to where the data ends: the first 100 minutes, all there.
  auto start = Series(0, 100, [](int64_t) { return true; });
  EXPECT_THAT(CheckCemsInWindow(Point(), start, w, At(100), p), IsEmpty());
}

// A stop: flow above 30 % of normal for 60 minutes after the 60-minute grace.
TEST(CemsFlowInStopTest, Boundary) {
  CemsParams p;
  const double normal = 100000;
  const EffectiveWindow w = Window(v1::STOP, 0, 1440);
  auto flow = [&](int64_t breach_from, int64_t breach_to) {
    std::vector<CemsMinute> s;
    for (int64_t i = 0; i < 1440; ++i) {
      const bool breach = i >= breach_from && i < breach_to;
      s.push_back(Minute(i, 3, breach ? 60000 : 1000, breach ? 'N' : 'F'));
    }
    return s;
  };
  // 59 minutes in breach: not yet.
  EXPECT_THAT(CheckFlowInStop(Point(), flow(200, 259), w, normal, At(1440), p), IsEmpty());
  auto found = CheckFlowInStop(Point(), flow(200, 260), w, normal, At(1440), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::CEMS_FLOW_IN_STOP);
  EXPECT_EQ(found[0].measured(), 60000);
  EXPECT_EQ(found[0].threshold(), 30000);
  EXPECT_EQ(Us(FromTimestamp(found[0].window_start())), Us(At(200)));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_end())), Us(At(260)));
  // During the grace period: nothing.
  EXPECT_THAT(CheckFlowInStop(Point(), flow(0, 60), w, normal, At(1440), p), IsEmpty());
  // At exactly the threshold: kept.
  auto at = flow(0, 0);
  for (auto& m : at) m.value[kCemsFlow] = 30000;
  EXPECT_THAT(CheckFlowInStop(Point(), at, w, normal, At(1440), p), IsEmpty());
  // A limit is not a stop.
  EXPECT_THAT(
      CheckFlowInStop(Point(), flow(200, 400), Window(v1::LIMIT, 0, 1440), normal, At(1440), p),
      IsEmpty());
}

TEST(CemsFlowInStopTest, MissingMinutesBetweenBreachesAreBridgedNotAHidingPlace) {
  CemsParams p;
  const EffectiveWindow w = Window(v1::STOP, 0, 1440);
  // Every other minute dropped over 100 minutes in breach: 50 minutes seen.
  auto flaky = Series(
      300, 400, [](int64_t i) { return i % 2 == 0; }, 80000);
  auto found = CheckFlowInStop(Point(), flaky, w, 100000, At(1440), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_THAT(found[0].summary(), HasSubstr("49 个缺失或异常分钟"));
  // Two 40-minute stretches 120 minutes apart join; 121 apart they do not.
  auto two = [&](int64_t gap) {
    auto s = Series(
        300, 340, [](int64_t) { return true; }, 80000);
    auto t = Series(
        340 + gap, 380 + gap, [](int64_t) { return true; }, 80000);
    s.insert(s.end(), t.begin(), t.end());
    return s;
  };
  EXPECT_THAT(CheckFlowInStop(Point(), two(120), w, 100000, At(1440), p), SizeIs(1));
  EXPECT_THAT(CheckFlowInStop(Point(), two(121), w, 100000, At(1440), p), IsEmpty());
}

TEST(CemsNormalFlowTest, ReferenceWindowElseOutsideStops) {
  std::string method;
  auto ref = Series(
      0, 1440, [](int64_t) { return true; }, 40000);
  EXPECT_NEAR(NormalFlow(ref, At(0), At(1440), At(1440), At(2880), {}, &method), 40003, 0.1);
  EXPECT_THAT(method, HasSubstr("基准期"));
  // Under a day in the reference window: the judged range outside stops.
  auto later = Series(
      1440, 4320, [](int64_t) { return true; }, 60000);
  for (auto& m : later) {
    if (m.t_us >= Us(At(2880))) m.value[kCemsFlow] = 1000;
  }
  const double n = NormalFlow(later, At(0), At(1440), At(1440), At(4320),
                              {{Us(At(2880)), Us(At(4320))}}, &method);
  EXPECT_NEAR(n, 60003, 1);
  EXPECT_THAT(method, HasSubstr("停产时段以外"));
  EXPECT_EQ(NormalFlow({}, At(0), At(1440), At(0), At(1440), {}, &method), 0);
}

// T30: the hourly mean against the limit; equal is not over.
TEST(CemsOverLimitTest, Boundary) {
  CemsParams p;
  auto hour = [](double pm, char flag = 'N', int n = 60) {
    std::vector<CemsMinute> s;
    for (int i = 0; i < n; ++i) s.push_back(Minute(i, pm + (i % 2 ? 0.5 : -0.5), 50000, flag));
    return s;
  };
  EXPECT_THAT(CheckOverLimit(Point(), hour(10), At(0), At(60), p), IsEmpty());
  auto found = CheckOverLimit(Point(), hour(10.1), At(0), At(60), p);
  // 颗粒物 over 10, and SO2 (twice the PM here, 20.2) under 50.
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::CEMS_OVER_LIMIT);
  EXPECT_NEAR(found[0].measured(), 10.1, 1e-9);
  EXPECT_EQ(found[0].threshold(), 10);
  EXPECT_THAT(found[0].summary(), HasSubstr("颗粒物"));
  // Stopped (F): not running, not judged. Under 15 running minutes: not judged.
  EXPECT_THAT(CheckOverLimit(Point(), hour(30, 'F'), At(0), At(60), p), IsEmpty());
  EXPECT_THAT(CheckOverLimit(Point(), hour(30, 'N', 14), At(0), At(60), p), IsEmpty());
  // 颗粒物 and SO2 (60 > 50); NOx has no limit here and is not judged.
  EXPECT_THAT(CheckOverLimit(Point(), hour(30, 'N', 15), At(0), At(60), p), SizeIs(2));
}

TEST(CemsOverLimitTest, ConsecutiveHoursMergeAcrossUnjudgedHours) {
  CemsParams p;
  std::vector<CemsMinute> s;
  for (int64_t i = 0; i < 6 * 60; ++i) {
    const int64_t h = i / 60;
    if (h == 2) continue;  // an hour with no data between hours over
    s.push_back(Minute(i, h == 5 ? 4 : 12, 50000));
  }
  auto found = CheckOverLimit(Point(), s, At(0), At(6 * 60), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_start())), Us(At(0)));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_end())), Us(At(5 * 60)));
  EXPECT_THAT(found[0].summary(), HasSubstr("4 小时颗粒物"));
}

TEST(CemsFabricationTest, ConstantValueBoundary) {
  CemsParams p;
  auto constant = [](int n, double pm) {
    auto s = Series(0, 600, [](int64_t) { return true; });
    for (int i = 100; i < 100 + n; ++i) s[i].value[kCemsPm] = pm;
    return s;
  };
  EXPECT_THAT(CheckFabrication(Point(), constant(239, 7.3), At(0), At(600), p), IsEmpty());
  auto found = CheckFabrication(Point(), constant(240, 7.3), At(0), At(600), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::CEMS_SUSPECT_DATA);
  EXPECT_EQ(found[0].measured(), 240);
  EXPECT_THAT(found[0].summary(), HasSubstr("颗粒物恒为 7.3"));
  // Zero (an idle analyser, a stopped fan) is not a sign.
  EXPECT_THAT(CheckFabrication(Point(), constant(400, 0), At(0), At(600), p), IsEmpty());
  // O2 that does not move while flow does.
  auto o2 = Series(0, 600, [](int64_t) { return true; });
  for (auto& m : o2) m.value[kCemsO2] = 9.87;
  auto flat = CheckFabrication(Point(), o2, At(0), At(600), p);
  ASSERT_THAT(flat, SizeIs(1));
  EXPECT_THAT(flat[0].summary(), HasSubstr("O₂"));
}

TEST(CemsFabricationTest, RepeatedDay) {
  CemsParams p;
  // Day 0 honest; day 1 a copy of day 0; day 2 honest again.
  std::vector<CemsMinute> s;
  for (int64_t i = 0; i < 1440; ++i) s.push_back(Minute(i, 5 + 0.1 * (i % 37), 50000 + i));
  for (int64_t i = 0; i < 1440; ++i) {
    CemsMinute m = s[i];
    m.t_us += kDay;
    s.push_back(m);
  }
  for (int64_t i = 2880; i < 4320; ++i) s.push_back(Minute(i, 5 + 0.1 * (i % 41), 50000 + i));
  auto found = CheckFabrication(Point(), s, At(0), At(4320), p);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_start())), Us(At(1440)));
  EXPECT_THAT(found[0].summary(), HasSubstr("与 2018-12-01 逐分钟"));
  // A copy of under 360 minutes is not judged.
  std::vector<CemsMinute> short_copy;
  for (int64_t i = 0; i < 359; ++i) short_copy.push_back(Minute(i, 5 + 0.1 * (i % 37), 5e4 + i));
  for (int64_t i = 0; i < 359; ++i) {
    CemsMinute m = short_copy[i];
    m.t_us += kDay;
    short_copy.push_back(m);
  }
  EXPECT_THAT(CheckFabrication(Point(), short_copy, At(0), At(2880), p), IsEmpty());
}

// An honest plant: varying data with a short outage finds nothing at all.
TEST(CemsHonestPlantTest, ShortOutageAccusesNothing) {
  CemsParams p;
  auto s = Series(
      0, 3 * 1440, [](int64_t i) { return !(i >= 1500 && i < 1590); }, 1000, 'F');
  const EffectiveWindow w = Window(v1::STOP, 0, 3 * 1440);
  EXPECT_THAT(CheckTransmission(Point(), s, At(0), At(3 * 1440), p), IsEmpty());
  EXPECT_THAT(CheckCemsInWindow(Point(), s, w, At(3 * 1440), p), IsEmpty());
  EXPECT_THAT(CheckFlowInStop(Point(), s, w, 50000, At(3 * 1440), p), IsEmpty());
  EXPECT_THAT(CheckOverLimit(Point(), s, At(0), At(3 * 1440), p), IsEmpty());
  EXPECT_THAT(CheckFabrication(Point(), s, At(0), At(3 * 1440), p), IsEmpty());
}

TEST(CemsCorroborationTest, StopFindingSupportedOrContradicted) {
  CemsParams p;
  v1::Finding stop;
  stop.set_type(v1::STOP_NOT_KEPT);
  stop.set_enterprise("districts/1/enterprises/e");
  stop.set_scope("districts/1/enterprises/e/meters/m1");
  *stop.mutable_window_start() = ToTimestamp(At(0));
  *stop.mutable_window_end() = ToTimestamp(At(120));
  v1::Finding contradicted = stop;
  auto running = Series(
      0, 120, [](int64_t) { return true; }, 50000);
  ASSERT_TRUE(Corroborate(&stop, Point(), running, 60000, 0, p));
  ASSERT_THAT(stop.corroboration(), SizeIs(2));
  EXPECT_EQ(stop.corroboration(0).source(), "electricity");
  EXPECT_EQ(stop.corroboration(1).source(), "cems");
  EXPECT_TRUE(stop.corroboration(1).supports());
  EXPECT_EQ(stop.supporting_sources(), 2);
  auto stopped = Series(
      0, 120, [](int64_t) { return true; }, 1000, 'F');
  ASSERT_TRUE(Corroborate(&contradicted, Point(), stopped, 60000, 0, p));
  EXPECT_FALSE(contradicted.corroboration(1).supports());
  EXPECT_EQ(contradicted.supporting_sources(), 1);
  // Under half the window's minutes: no word either way.
  v1::Finding unknown = contradicted;
  unknown.clear_corroboration();
  auto sparse = Series(
      0, 59, [](int64_t) { return true; }, 50000);
  EXPECT_FALSE(Corroborate(&unknown, Point(), sparse, 60000, 0, p));
}

TEST(CemsCorroborationTest, FlowAndStopFindingsCiteEachOther) {
  CemsParams p;
  auto flow = CheckFlowInStop(Point(),
                              Series(
                                  200, 400, [](int64_t) { return true; }, 80000),
                              Window(v1::STOP, 0, 1440), 100000, At(1440), p);
  ASSERT_THAT(flow, SizeIs(1));
  EXPECT_EQ(flow[0].supporting_sources(), 1);
  v1::Finding stop;
  stop.set_type(v1::STOP_NOT_KEPT);
  stop.set_enterprise("districts/1/enterprises/e");
  stop.set_scope("districts/1/enterprises/e/meters/m1");
  *stop.mutable_window_start() = ToTimestamp(At(300));
  *stop.mutable_window_end() = ToTimestamp(At(500));
  ASSERT_TRUE(LinkFlowAndStop(&flow[0], &stop));
  EXPECT_EQ(flow[0].supporting_sources(), 2);
  EXPECT_EQ(stop.supporting_sources(), 2);
  EXPECT_THAT(stop.corroboration(1).detail(), HasSubstr("停产期间烟气流量未降"));
  // Windows that do not overlap are not linked.
  *stop.mutable_window_start() = ToTimestamp(At(400));
  EXPECT_FALSE(LinkFlowAndStop(&flow[0], &stop));
}

// T75 物料衡算: the production ledger against a stop and a limit.
TEST(MaterialBalanceTest, StopAndLimitDays) {
  ProductionLine line;
  line.name = "districts/1/enterprises/e/lines/l1";
  line.enterprise = "districts/1/enterprises/e";
  line.unit = "吨";
  line.normal_output = 100;
  // A stop on days 1-2 (Dec 2-3), a 50 % limit on days 4-5 (Dec 5-6).
  const std::vector<EffectiveWindow> windows = {Window(v1::STOP, 1440, 3 * 1440),
                                                Window(v1::LIMIT, 4 * 1440, 6 * 1440)};
  auto day = [](const char* d, double output, double fuel = 0) {
    ProductionDay p;
    p.day = d;
    p.output = output;
    p.fuel = fuel;
    return p;
  };
  // Nothing on the stop days, 52.5 t (50 % x 105 %) on the limit days: kept.
  EXPECT_THAT(
      CheckMaterialBalance(line,
                           {day("2018-12-01", 100), day("2018-12-02", 0), day("2018-12-03", 0),
                            day("2018-12-05", 52.5), day("2018-12-06", 52.5)},
                           windows, 5),
      IsEmpty());
  // Fuel burnt on a stop day; 52.6 t on both limit days (one finding).
  auto found = CheckMaterialBalance(line,
                                    {day("2018-12-02", 0, 0.5), day("2018-12-03", 0),
                                     day("2018-12-05", 52.6), day("2018-12-06", 60)},
                                    windows, 5);
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(found[0].type(), v1::MATERIAL_BALANCE);
  EXPECT_EQ(Us(FromTimestamp(found[0].window_start())), Us(At(1440)));
  EXPECT_EQ(Us(FromTimestamp(found[0].window_end())), Us(At(2 * 1440)));
  EXPECT_THAT(found[0].summary(), HasSubstr("燃料 0.5"));
  EXPECT_EQ(found[1].threshold(), 52.5);
  EXPECT_NEAR(found[1].measured(), 56.3, 1e-9);
  EXPECT_EQ(Us(FromTimestamp(found[1].window_end())), Us(At(6 * 1440)));
  EXPECT_EQ(found[1].supporting_sources(), 1);
  EXPECT_EQ(found[1].corroboration(0).source(), "material_balance");
  // A day a window covers only in part is not judged.
  const std::vector<EffectiveWindow> half = {Window(v1::STOP, 1440 + 720, 3 * 1440)};
  EXPECT_THAT(CheckMaterialBalance(line, {day("2018-12-02", 80)}, half, 5), IsEmpty());
  // Raw material alone on a stop day is a finding too; the summary is Chinese.
  ProductionDay raw = day("2018-12-02", 0);
  raw.raw_material = 0.1;
  auto raw_found = CheckMaterialBalance(line, {raw}, windows, 5);
  ASSERT_THAT(raw_found, SizeIs(1));
  EXPECT_THAT(raw_found[0].summary(), HasSubstr("原料 0.1"));
  EXPECT_THAT(raw_found[0].summary(), HasSubstr("停产"));
  // A limit with no normal output: not judged; the stop days still are.
  line.normal_output = 0;
  EXPECT_THAT(CheckMaterialBalance(line, {day("2018-12-05", 1000)}, windows, 5), IsEmpty());
  EXPECT_THAT(CheckMaterialBalance(line, {day("2018-12-02", 1)}, windows, 5), SizeIs(1));
}

TEST(MaterialBalanceTest, TheLedgersWordOnOtherFindings) {
  ProductionLine line;
  line.name = "districts/1/enterprises/e/productionLedgers/l1";
  line.enterprise = "districts/1/enterprises/e";
  line.unit = "吨";
  line.normal_output = 100;
  auto day = [](const char* d, double output, double fuel = 0) {
    ProductionDay p;
    p.day = d;
    p.output = output;
    p.fuel = fuel;
    return p;
  };
  // An electricity stop finding over Dec 2 10:00-18:00 under a stop of Dec 2-3.
  v1::Finding stop;
  stop.set_type(v1::STOP_NOT_KEPT);
  stop.set_enterprise(line.enterprise);
  stop.set_scope("districts/1/enterprises/e/meters/m1");
  *stop.mutable_window_start() = ToTimestamp(At(1440 + 600));
  *stop.mutable_window_end() = ToTimestamp(At(1440 + 1080));
  *stop.mutable_obligation_window_start() = ToTimestamp(At(1440));
  *stop.mutable_obligation_window_end() = ToTimestamp(At(3 * 1440));
  // Nothing in the ledger that day: it contradicts.
  v1::Finding contradicted = stop;
  EXPECT_TRUE(CorroborateWithLedger(&contradicted, line, {day("2018-12-02", 0)}, 0, 5));
  ASSERT_THAT(contradicted.corroboration(), SizeIs(2));
  EXPECT_EQ(contradicted.corroboration(1).source(), "material_balance");
  EXPECT_FALSE(contradicted.corroboration(1).supports());
  EXPECT_EQ(contradicted.supporting_sources(), 1);
  // Coal burnt that day: it supports.
  v1::Finding supported = stop;
  EXPECT_TRUE(CorroborateWithLedger(&supported, line, {day("2018-12-02", 0, 3)}, 0, 5));
  EXPECT_TRUE(supported.corroboration(1).supports());
  EXPECT_EQ(supported.supporting_sources(), 2);
  // No ledger day inside the obligation window: no word at all.
  v1::Finding silent = stop;
  EXPECT_FALSE(CorroborateWithLedger(&silent, line, {day("2018-12-01", 50)}, 0, 5));
  // A limit at 50 %: 52.5 t a day is within it, 53 t is not.
  v1::Finding limit = stop;
  limit.set_type(v1::LIMIT_EXCEEDED);
  v1::Finding within = limit, over = limit;
  EXPECT_TRUE(CorroborateWithLedger(&within, line, {day("2018-12-02", 52.5)}, 0.5, 5));
  EXPECT_FALSE(within.corroboration(1).supports());
  EXPECT_TRUE(CorroborateWithLedger(&over, line, {day("2018-12-02", 53)}, 0.5, 5));
  EXPECT_TRUE(over.corroboration(1).supports());
  // A material-balance finding overlapping the stop finding: linked as support.
  auto balance =
      CheckMaterialBalance(line, {day("2018-12-02", 80)}, {Window(v1::STOP, 1440, 3 * 1440)}, 5);
  ASSERT_THAT(balance, SizeIs(1));
  EXPECT_TRUE(LinkMaterialBalance(&balance[0], stop));
  EXPECT_EQ(balance[0].supporting_sources(), 2);
  EXPECT_EQ(balance[0].corroboration(1).source(), "electricity");
  v1::Finding elsewhere = stop;
  elsewhere.set_enterprise("districts/1/enterprises/other");
  EXPECT_FALSE(LinkMaterialBalance(&balance[0], elsewhere));
}

}  // namespace
}  // namespace cuofeng
