// lib/verification: each rule at its boundary.
#include "lib/verification/verification.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/charts/load_chart.h"
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

// A 15-minute load curve from `start` for `n` intervals at `kw(i)`.
template <typename F>
std::vector<LoadSample> Curve(absl::Time start, int n, F kw) {
  std::vector<LoadSample> out;
  for (int i = 1; i <= n; ++i) out.push_back({Us(start) + i * 15 * kMin, kw(i)});
  return out;
}

v1::Obligation Window(v1::Action action, double percent, absl::Time start, absl::Time end) {
  v1::Obligation o;
  o.set_resource("districts/1/enterprises/e/lines/l1");
  o.set_enterprise("districts/1/enterprises/e");
  o.set_action(action);
  o.set_percent(percent);
  *o.mutable_window_start() = ToTimestamp(start);
  *o.mutable_window_end() = ToTimestamp(end);
  o.set_entry("districts/1/lists/1/entries/7");
  o.set_level(v1::ORANGE);
  return o;
}

MeterLoad Meter(const std::vector<LoadSample>* load, double baseline = 100) {
  MeterLoad m;
  m.name = "districts/1/enterprises/e/meters/m1";
  m.enterprise = "districts/1/enterprises/e";
  m.target = "districts/1/enterprises/e/lines/l1";
  m.load = load;
  m.baseline_kw = baseline;
  return m;
}

std::vector<FindingDraft> OfType(const std::vector<FindingDraft>& all, v1::FindingType type) {
  std::vector<FindingDraft> out;
  for (const auto& f : all) {
    if (f.type() == type) out.push_back(f);
  }
  return out;
}

const VerificationParams kDefaults;

TEST(StopTest, AtTheThresholdIsKeptJustAboveIsNot) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(72));
  // Full load for the grace hour, then exactly 25 % of the baseline.
  auto kept = Curve(s, 72 * 4, [](int i) { return i <= 4 ? 100.0 : 25.0; });
  EXPECT_THAT(CheckWindow(stop, Meter(&kept), s, s + absl::Hours(72), kDefaults), IsEmpty());
  auto above = Curve(s, 72 * 4, [](int i) { return i <= 4 ? 100.0 : 25.1; });
  auto found = CheckWindow(stop, Meter(&above), s, s + absl::Hours(72), kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::STOP_NOT_KEPT);
  EXPECT_NEAR(found[0].measured(), 25.1, 1e-9);
  EXPECT_EQ(found[0].threshold(), 25);
  // The finding starts when the grace period ends.
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Minutes(60));
  EXPECT_EQ(found[0].obligation(), "districts/1/lists/1/entries/7");
  EXPECT_FALSE(found[0].evidence().sha256().empty());
  EXPECT_EQ(found[0].evidence().rows(), 72 * 4 - 4);
}

TEST(StopTest, ABlipShorterThanTheMinimumIsNotAnEvent) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  // 45 minutes at full load in the afternoon: three intervals, under 60 min.
  auto blip = Curve(s, 96, [](int i) { return i >= 50 && i < 53 ? 100.0 : 5.0; });
  EXPECT_THAT(CheckWindow(stop, Meter(&blip), s, s + absl::Hours(24), kDefaults), IsEmpty());
  // 60 minutes is an event.
  auto hour = Curve(s, 96, [](int i) { return i >= 50 && i < 54 ? 100.0 : 5.0; });
  EXPECT_THAT(CheckWindow(stop, Meter(&hour), s, s + absl::Hours(24), kDefaults), SizeIs(1));
}

TEST(StopTest, RunningThroughTheGracePeriodIsAllowed) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::RECTIFY, 0, s, s + absl::Hours(24));
  auto ramp = Curve(s, 96, [](int i) { return i <= 4 ? 100.0 : 3.0; });
  EXPECT_THAT(CheckWindow(stop, Meter(&ramp), s, s + absl::Hours(24), kDefaults), IsEmpty());
  auto late = Curve(s, 96, [](int i) { return i <= 8 ? 100.0 : 3.0; });  // two hours
  EXPECT_THAT(CheckWindow(stop, Meter(&late), s, s + absl::Hours(24), kDefaults), SizeIs(1));
}

TEST(LimitTest, MeanAtTheAllowanceIsKeptAboveItIsBroken) {
  const absl::Time s = Dec1();
  // Limit 50 %: at most 50 % x 105 % = 52.5 % of the baseline per day.
  const v1::Obligation limit = Window(v1::LIMIT, 50, s, s + absl::Hours(48));
  auto kept = Curve(s, 192, [](int i) { return i <= 4 ? 100.0 : 52.5; });
  // The grace hour is not judged, so the mean after it is exactly 52.5.
  EXPECT_THAT(CheckWindow(limit, Meter(&kept), s, s + absl::Hours(48), kDefaults), IsEmpty());
  auto broken = Curve(s, 192, [](int i) { return i <= 96 ? 52.0 : 53.0; });
  auto found = CheckWindow(limit, Meter(&broken), s, s + absl::Hours(48), kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::LIMIT_EXCEEDED);
  EXPECT_NEAR(found[0].threshold(), 52.5, 1e-9);
  EXPECT_NEAR(found[0].measured(), 53.0, 1e-9);
  // Only the second day broke it.
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Hours(24));
  EXPECT_THAT(found[0].summary(), HasSubstr("53%"));
}

TEST(LimitTest, CapAndStopLines) {
  const absl::Time s = Dec1();
  auto load = Curve(s, 96, [](int) { return 70.0; });
  // Cap at 70 %: 70 <= 73.5 is kept; cap at 60 %: 70 > 63 is broken.
  EXPECT_THAT(CheckWindow(Window(v1::CAP, 70, s, s + absl::Hours(24)), Meter(&load), s, s + absl::Hours(24),
                          kDefaults),
              IsEmpty());
  EXPECT_THAT(CheckWindow(Window(v1::CAP, 60, s, s + absl::Hours(24)), Meter(&load), s, s + absl::Hours(24),
                          kDefaults),
              SizeIs(1));
  // Stop 30 % of lines: at most 70 % x 105 %.
  EXPECT_THAT(CheckWindow(Window(v1::STOP_LINES, 30, s, s + absl::Hours(24)), Meter(&load), s,
                          s + absl::Hours(24), kDefaults),
              IsEmpty());
  // RUN and VOLUNTARY bind nothing measurable.
  EXPECT_THAT(CheckWindow(Window(v1::VOLUNTARY, 0, s, s + absl::Hours(24)), Meter(&load), s,
                          s + absl::Hours(24), kDefaults),
              IsEmpty());
}

TEST(CompletenessTest, NinetyPercentPassesEightyFiveDoesNot) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(72));
  // 288 intervals; keep 90 % (drop every tenth).
  auto ninety = Curve(s, 288, [](int) { return 3.0; });
  ninety.erase(std::remove_if(ninety.begin(), ninety.end(),
                              [&](const LoadSample& x) { return ((x.t_us - Us(s)) / (15 * kMin)) % 10 == 0; }),
               ninety.end());
  ASSERT_EQ(ninety.size(), 288u - 28u);  // 28 of 288 missing: 90.3 %
  EXPECT_THAT(OfType(CheckWindow(stop, Meter(&ninety), s, s + absl::Hours(72), kDefaults), v1::DATA_GAP),
              IsEmpty());
  // 85 %: drop the last 15 % of the window.
  auto eighty_five = Curve(s, 245, [](int) { return 3.0; });
  auto found = CheckWindow(stop, Meter(&eighty_five), s, s + absl::Hours(72), kDefaults);
  auto gaps = OfType(found, v1::DATA_GAP);
  ASSERT_GE(gaps.size(), 1u);
  EXPECT_NEAR(gaps[0].measured(), 100.0 * 245 / 288, 1e-6);
  EXPECT_EQ(FromTimestamp(gaps[0].window_start()), s);
  EXPECT_EQ(FromTimestamp(gaps[0].window_end()), s + absl::Hours(72));
  EXPECT_EQ(gaps[0].threshold(), 90);
}

TEST(CompletenessTest, ViolationsAreStillFoundInAnIncompleteWindow) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  auto running = Curve(s, 60, [](int) { return 80.0; });  // 62.5 % of the day, running
  auto found = CheckWindow(stop, Meter(&running), s, s + absl::Hours(24), kDefaults);
  EXPECT_THAT(OfType(found, v1::DATA_GAP), SizeIs(1));
  EXPECT_THAT(OfType(found, v1::STOP_NOT_KEPT), SizeIs(1));
}

TEST(EffectiveWindowsTest, TheStrictestBindsAndPiecesMerge) {
  const absl::Time s = Dec1();
  v1::Obligation season = Window(v1::LIMIT, 30, s - absl::Hours(48), s + absl::Hours(120));
  season.set_entry("e/season");
  season.set_level(v1::ALERT_LEVEL_UNSPECIFIED);
  v1::Obligation plant_stop = Window(v1::STOP, 0, s, s + absl::Hours(72));
  plant_stop.set_alert("alerts/1");
  v1::Obligation kiln_stop = plant_stop;  // the same stop, named for the kiln too
  kiln_stop.set_entry("e/kiln");
  v1::Obligation tighter = Window(v1::LIMIT, 60, s + absl::Hours(96), s + absl::Hours(100));
  auto w = EffectiveWindows({&season, &plant_stop, &kiln_stop, &tighter}, s - absl::Hours(24), s + absl::Hours(110));
  ASSERT_THAT(w, SizeIs(5));
  EXPECT_EQ(w[0].action(), v1::LIMIT);
  EXPECT_EQ(FromTimestamp(w[0].window_start()), s - absl::Hours(24));
  EXPECT_EQ(FromTimestamp(w[0].window_end()), s);
  EXPECT_EQ(w[1].action(), v1::STOP);  // one stop window, not two
  EXPECT_EQ(FromTimestamp(w[1].window_end()), s + absl::Hours(72));
  EXPECT_EQ(w[2].entry(), "e/season");
  EXPECT_EQ(w[3].percent(), 60);
  EXPECT_EQ(FromTimestamp(w[4].window_start()), s + absl::Hours(100));
  EXPECT_EQ(FromTimestamp(w[4].window_end()), s + absl::Hours(110));
}

TEST(CoRunningTest, TwoHoursOffIsAFindingAShortBlipIsNot) {
  const absl::Time s = Dec1();
  auto production = Curve(s, 96, [](int) { return 90.0; });
  auto off_two_hours = Curve(s, 96, [](int i) { return i > 40 && i <= 48 ? 2.0 : 30.0; });
  MeterLoad p = Meter(&production, 100);
  MeterLoad t = Meter(&off_two_hours, 30);
  t.name = "districts/1/enterprises/e/meters/t1";
  auto found = CheckCoRunning(p, t, s, s + absl::Hours(24), kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::TREATMENT_OFF);
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Minutes(600));
  EXPECT_EQ(FromTimestamp(found[0].window_end()), s + absl::Minutes(720));
  EXPECT_EQ(found[0].scope(), t.name);
  EXPECT_EQ(found[0].obligation(), p.name);
  auto blip = Curve(s, 96, [](int i) { return i > 40 && i <= 43 ? 2.0 : 30.0; });  // 45 minutes
  MeterLoad b = Meter(&blip, 30);
  EXPECT_THAT(CheckCoRunning(p, b, s, s + absl::Hours(24), kDefaults), IsEmpty());
  // Treatment off while production is off too: no finding.
  auto stopped = Curve(s, 96, [](int) { return 5.0; });
  MeterLoad ps = Meter(&stopped, 100);
  EXPECT_THAT(CheckCoRunning(ps, t, s, s + absl::Hours(24), kDefaults), IsEmpty());
  // At the on threshold (20 % of 30 kW = 6 kW) treatment counts as off.
  auto at = Curve(s, 96, [](int i) { return i > 40 && i <= 48 ? 6.0 : 30.0; });
  auto just_on = Curve(s, 96, [](int i) { return i > 40 && i <= 48 ? 6.1 : 30.0; });
  MeterLoad ta = Meter(&at, 30), tj = Meter(&just_on, 30);
  EXPECT_THAT(CheckCoRunning(p, ta, s, s + absl::Hours(24), kDefaults), SizeIs(1));
  EXPECT_THAT(CheckCoRunning(p, tj, s, s + absl::Hours(24), kDefaults), IsEmpty());
}

TEST(BaselineTest, MeanOfProductionDaysBeforeTheSeason) {
  // Season from 2018-11-15: the reference window is 2018-10-16 .. 2018-11-14.
  absl::Time ref;
  std::string err;
  absl::ParseTime("%Y-%m-%d", "2018-10-16", absl::FixedTimeZone(8 * 3600), &ref, &err);
  // 30 days at 100 kW, of which days 5 and 6 (a holiday) at 10 kW.
  auto load = Curve(ref, 30 * 96, [](int i) {
    const int day = (i - 1) / 96;
    return day == 5 || day == 6 ? 10.0 : 100.0;
  });
  Baseline b = ComputeBaseline(load, "2018-11-15", kDefaults);
  ASSERT_TRUE(b.found);
  EXPECT_NEAR(b.kw, 100.0, 1e-9);
  EXPECT_EQ(b.production_days, 28);
  EXPECT_EQ(b.intervals, 28 * 96);
  EXPECT_EQ(b.reference_start, "2018-10-16");
  EXPECT_EQ(b.reference_end, "2018-11-14");
  EXPECT_THAT(b.method, HasSubstr("28 production days"));
  // Readings outside the window do not count; none inside: no baseline.
  EXPECT_FALSE(ComputeBaseline(load, "2019-02-01", kDefaults).found);
}

TEST(LoadTest, MissingStretches) {
  const int64_t t0 = Us(Dec1());
  // Readings at 00:15 .. 01:00 and 02:00 .. 03:00; the range runs to 04:00.
  auto load = Curve(Dec1(), 12, [](int) { return 1.0; });
  load.erase(load.begin() + 4, load.begin() + 7);  // 01:15, 01:30, 01:45 missing
  auto gaps = MissingStretches(load, t0, t0 + 4 * 60 * kMin, 15);
  ASSERT_THAT(gaps, SizeIs(2));
  EXPECT_EQ(gaps[0], std::make_pair(t0 + 60 * kMin, t0 + 105 * kMin));
  EXPECT_EQ(gaps[1], std::make_pair(t0 + 180 * kMin, t0 + 240 * kMin));
  EXPECT_THAT(MissingStretches(load, t0, t0 + 60 * kMin, 15), IsEmpty());
}

TEST(LoadTest, RegistersIntervalsAndPower) {
  const int64_t t0 = Us(Dec1());
  std::vector<RawReading> raw = {{t0 + 15 * kMin, v1::CUMULATIVE_KWH, 1000},
                                 {t0 + 30 * kMin, v1::CUMULATIVE_KWH, 1025},
                                 {t0 + 45 * kMin, v1::INTERVAL_KWH, 10},
                                 {t0 + 60 * kMin, v1::KW, 33}};
  auto load = ToLoad(raw, 15);
  ASSERT_THAT(load, SizeIs(3));
  EXPECT_DOUBLE_EQ(load[0].kw, 100);  // 25 kWh in a quarter hour
  EXPECT_DOUBLE_EQ(load[1].kw, 40);
  EXPECT_DOUBLE_EQ(load[2].kw, 33);
}

// Gate rules (T79, T80).
class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    passage_.camera = "districts/1/enterprises/e/cameras/gate1";
    passage_.enterprise = "districts/1/enterprises/e";
    passage_.plate = "津R10001";
    passage_.t_us = Us(Dec1()) + 10 * 60 * kMin;
    passage_.direction = v1::ENTRY;
    passage_.vehicle_class = v1::HEAVY_GOODS;
    truck_.name = "districts/1/vehicles/v1";
    truck_.vehicle_class = v1::HEAVY_GOODS;
    truck_.fuel = v1::DIESEL;
    orange_ = Window(v1::STOP, 0, Dec1(), Dec1() + absl::Hours(72));
    orange_.set_transport(v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY);
  }
  Passage passage_;
  VehicleFacts truck_;
  v1::Obligation orange_;
};

TEST_F(GateTest, ChinaFourUnderOrangeIsBanned) {
  truck_.stage = v1::CHINA_4;
  auto found = CheckPassage(passage_, &truck_, &orange_, kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::BANNED_TRUCK);
  EXPECT_THAT(found[0].summary(), HasSubstr("国IV"));
}

TEST_F(GateTest, ChinaFiveNeedsAWhitelistedPurpose) {
  truck_.stage = v1::CHINA_5;
  EXPECT_THAT(CheckPassage(passage_, &truck_, &orange_, kDefaults), SizeIs(1));
  truck_.whitelist.push_back({"districts/1/enterprises/e", v1::LIVELIHOOD, "2018-11-15", "2019-03-15"});
  EXPECT_THAT(CheckPassage(passage_, &truck_, &orange_, kDefaults), IsEmpty());
  // Whitelisted at another enterprise, or outside its validity: banned.
  truck_.whitelist[0].enterprise = "districts/1/enterprises/other";
  EXPECT_THAT(CheckPassage(passage_, &truck_, &orange_, kDefaults), SizeIs(1));
  truck_.whitelist[0] = {"districts/1/enterprises/e", v1::LIVELIHOOD, "2018-11-15", "2018-11-30"};
  EXPECT_THAT(CheckPassage(passage_, &truck_, &orange_, kDefaults), SizeIs(1));
}

TEST_F(GateTest, NoBanWithoutARule) {
  truck_.stage = v1::CHINA_4;
  // Under yellow the 2018 rules set no transport rule: no obligation carries one.
  EXPECT_THAT(CheckPassage(passage_, &truck_, nullptr, kDefaults), IsEmpty());
  v1::Obligation yellow = orange_;
  yellow.set_transport(v1::NO_TRANSPORT_RULE);
  EXPECT_THAT(CheckPassage(passage_, &truck_, &yellow, kDefaults), IsEmpty());
  // The 2020-style grade rules.
  yellow.set_transport(v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS);
  EXPECT_THAT(CheckPassage(passage_, &truck_, &yellow, kDefaults), SizeIs(1));
  truck_.stage = v1::CHINA_5;
  EXPECT_THAT(CheckPassage(passage_, &truck_, &yellow, kDefaults), IsEmpty());
  yellow.set_transport(v1::NO_ROAD_TRANSPORT);
  EXPECT_THAT(CheckPassage(passage_, &truck_, &yellow, kDefaults), SizeIs(1));
  // Light goods vehicles are not heavy trucks.
  truck_.vehicle_class = v1::LIGHT_GOODS;
  EXPECT_THAT(CheckPassage(passage_, &truck_, &yellow, kDefaults), IsEmpty());
}

TEST_F(GateTest, UnknownPlatesAreReported) {
  auto found = CheckPassage(passage_, nullptr, nullptr, kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::UNKNOWN_PLATE);
  // Under a ban an unknown heavy truck is also unqualified.
  EXPECT_THAT(CheckPassage(passage_, nullptr, &orange_, kDefaults), SizeIs(2));
  // Staff cars are not trucks and not in the vehicle registry.
  passage_.vehicle_class = v1::PASSENGER;
  EXPECT_THAT(CheckPassage(passage_, nullptr, nullptr, kDefaults), IsEmpty());
}

TEST_F(GateTest, LedgerRowsPairWithPassages) {
  truck_.stage = v1::CHINA_5;
  Passage exit = passage_;
  exit.direction = v1::EXIT;
  exit.t_us += 2 * 60 * kMin;
  std::vector<Passage> passages = {passage_, exit};
  std::vector<const VehicleFacts*> facts = {&truck_, &truck_};
  // Both rows, a few minutes off: nothing.
  std::vector<LedgerEntry> ledger = {{passage_.enterprise, passage_.plate, passage_.t_us + 3 * kMin, v1::ENTRY},
                                     {passage_.enterprise, passage_.plate, exit.t_us - 5 * kMin, v1::EXIT}};
  EXPECT_THAT(CheckLedger(passages, ledger, facts, absl::Minutes(30)), IsEmpty());
  // The exit row missing, and a row for a passage the camera never saw.
  ledger[1] = {passage_.enterprise, "津R99999", exit.t_us, v1::EXIT};
  auto found = CheckLedger(passages, ledger, facts, absl::Minutes(30));
  ASSERT_THAT(found, SizeIs(2));
  EXPECT_EQ(found[0].type(), v1::LEDGER_ROW_MISSING);
  EXPECT_EQ(FromTimestamp(found[0].window_start()), absl::FromUnixMicros(exit.t_us));
  EXPECT_EQ(found[1].type(), v1::PASSAGE_MISSING);
  // An electric truck needs no ledger row.
  VehicleFacts electric = truck_;
  electric.fuel = v1::ELECTRICITY;
  electric.stage = v1::ELECTRIC;
  EXPECT_THAT(CheckLedger({passage_}, {}, {&electric}, absl::Minutes(30)), IsEmpty());
}

TEST(CameraTest, SilentForADay) {
  const absl::Time s = Dec1();
  std::vector<int64_t> times;
  for (int day = 0; day < 5; ++day) {
    if (day == 2) continue;  // nothing on the third day
    for (int h : {8, 17}) times.push_back(Us(s) + day * kDay + h * 60 * kMin);
  }
  auto found = CheckCameraSilence("districts/1/enterprises/e/cameras/gate1", "districts/1/enterprises/e", times,
                                  s, s + absl::Hours(24 * 5), kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::CAMERA_SILENT);
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Hours(24 + 17));
  EXPECT_EQ(FromTimestamp(found[0].window_end()), s + absl::Hours(72 + 8));
  EXPECT_NEAR(found[0].measured(), 39, 1e-9);
  // 24 hours exactly is allowed.
  EXPECT_THAT(CheckCameraSilence("c", "e", {Us(s) + kDay}, s, s + absl::Hours(48), kDefaults), IsEmpty());
}

TEST(FingerprintTest, SameFindingSamePrint) {
  const absl::Time s = Dec1();
  auto load = Curve(s, 96, [](int) { return 90.0; });
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  auto a = CheckWindow(stop, Meter(&load), s, s + absl::Hours(24), kDefaults);
  auto b = CheckWindow(stop, Meter(&load), s, s + absl::Hours(24), kDefaults);
  ASSERT_THAT(a, SizeIs(1));
  EXPECT_EQ(Fingerprint(a[0]), Fingerprint(b[0]));
  auto other = CheckWindow(Window(v1::STOP, 0, s + absl::Hours(1), s + absl::Hours(24)), Meter(&load), s,
                           s + absl::Hours(24), kDefaults);
  ASSERT_THAT(other, SizeIs(1));
  EXPECT_NE(Fingerprint(a[0]), Fingerprint(other[0]));
}

TEST(ChartTest, WritesSvgAndPngAndRefusesOtherFiles) {
  LoadChart c;
  c.title = "STOP_NOT_KEPT 电表";
  c.from_us = Us(Dec1());
  c.to_us = c.from_us + kDay;
  for (int i = 1; i <= 96; ++i) c.load.push_back({c.from_us + i * 15 * kMin, i < 40 ? 90.0 : 5.0});
  c.baseline_kw = 100;
  c.threshold_kw = 25;
  c.window_start_us = c.from_us + 6 * 60 * kMin;
  c.window_end_us = c.to_us;
  c.gaps.push_back({c.from_us + 20 * 60 * kMin, c.from_us + 22 * 60 * kMin});
  const std::string dir = ::testing::TempDir();
  ASSERT_TRUE(WriteLoadChart(c, dir + "/chart.svg").ok());
  ASSERT_TRUE(WriteLoadChart(c, dir + "/chart.png").ok());
  FILE* f = std::fopen((dir + "/chart.png").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  unsigned char magic[8] = {};
  ASSERT_EQ(std::fread(magic, 1, 8, f), 8u);
  std::fclose(f);
  EXPECT_EQ(magic[1], 'P');
  EXPECT_EQ(magic[2], 'N');
  EXPECT_EQ(magic[3], 'G');
  EXPECT_EQ(WriteLoadChart(c, dir + "/chart.pdf").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cuofeng
