// lib/verification: each rule at its boundary.
#include "lib/verification/verification.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/charts/load_chart.h"
#include "lib/model/clock.h"
#include "lib/verification/local_time.h"

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

// CheckWindow on one obligation as a run over [from, to) with the data
// ending at `to` sees it.
std::vector<FindingDraft> CheckWindow(const v1::Obligation& o, const MeterLoad& m, absl::Time from,
                                      absl::Time to, const VerificationParams& p) {
  const int64_t start = std::max(Us(FromTimestamp(o.window_start())), Us(from));
  const int64_t end = std::min(Us(FromTimestamp(o.window_end())), Us(to));
  return CheckWindow(EffectiveWindow{o, start, end}, m, to, p);
}

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
  EXPECT_THAT(CheckWindow(Window(v1::CAP, 70, s, s + absl::Hours(24)), Meter(&load), s,
                          s + absl::Hours(24), kDefaults),
              IsEmpty());
  EXPECT_THAT(CheckWindow(Window(v1::CAP, 60, s, s + absl::Hours(24)), Meter(&load), s,
                          s + absl::Hours(24), kDefaults),
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
  ninety.erase(std::remove_if(
                   ninety.begin(), ninety.end(),
                   [&](const LoadSample& x) { return ((x.t_us - Us(s)) / (15 * kMin)) % 10 == 0; }),
               ninety.end());
  ASSERT_EQ(ninety.size(), 288u - 28u);  // 28 of 288 missing: 90.3 %
  EXPECT_THAT(
      OfType(CheckWindow(stop, Meter(&ninety), s, s + absl::Hours(72), kDefaults), v1::DATA_GAP),
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
  auto w = EffectiveWindows({&season, &plant_stop, &kiln_stop, &tighter}, s - absl::Hours(24),
                            s + absl::Hours(110));
  ASSERT_THAT(w, SizeIs(5));
  EXPECT_EQ(w[0].obligation.action(), v1::LIMIT);
  EXPECT_EQ(w[0].start_us, Us(s - absl::Hours(24)));
  EXPECT_EQ(w[0].end_us, Us(s));
  // The obligation keeps its own start (for the grace period).
  EXPECT_EQ(FromTimestamp(w[0].obligation.window_start()), s - absl::Hours(48));
  EXPECT_EQ(w[1].obligation.action(), v1::STOP);  // one stop window, not two
  EXPECT_EQ(w[1].end_us, Us(s + absl::Hours(72)));
  EXPECT_EQ(w[2].obligation.entry(), "e/season");
  EXPECT_EQ(w[3].obligation.percent(), 60);
  EXPECT_EQ(w[4].start_us, Us(s + absl::Hours(100)));
  EXPECT_EQ(w[4].end_us, Us(s + absl::Hours(110)));
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
  EXPECT_THAT(b.method, HasSubstr("28 个生产日"));
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
  truck_.whitelist.push_back(
      {"districts/1/enterprises/e", v1::LIVELIHOOD, "2018-11-15", "2019-03-15"});
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
  std::vector<LedgerEntry> ledger = {
      {passage_.enterprise, passage_.plate, passage_.t_us + 3 * kMin, v1::ENTRY},
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
  auto found =
      CheckCameraSilence("districts/1/enterprises/e/cameras/gate1", "districts/1/enterprises/e",
                         times, s, s + absl::Hours(24 * 5), kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::CAMERA_SILENT);
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Hours(24 + 17));
  EXPECT_EQ(FromTimestamp(found[0].window_end()), s + absl::Hours(72 + 8));
  EXPECT_NEAR(found[0].measured(), 39, 1e-9);
  // 24 hours exactly is allowed.
  EXPECT_THAT(CheckCameraSilence("c", "e", {Us(s) + kDay}, s, s + absl::Hours(48), kDefaults),
              IsEmpty());
}

TEST(FingerprintTest, SameFindingSamePrint) {
  const absl::Time s = Dec1();
  auto load = Curve(s, 96, [](int) { return 90.0; });
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  auto a = CheckWindow(stop, Meter(&load), s, s + absl::Hours(24), kDefaults);
  auto b = CheckWindow(stop, Meter(&load), s, s + absl::Hours(24), kDefaults);
  ASSERT_THAT(a, SizeIs(1));
  EXPECT_EQ(Fingerprint(a[0]), Fingerprint(b[0]));
  auto other = CheckWindow(Window(v1::STOP, 0, s + absl::Hours(1), s + absl::Hours(24)),
                           Meter(&load), s, s + absl::Hours(24), kDefaults);
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

// Issue 15: flaky meters, silent treatment meters, late reference data,
// register resets, overlapping runs and clocks written without an offset.

TEST(BridgeTest, AFlakyMeterRunningThroughAStopIsFoundAlongsideItsDataGap) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  // Running at full load through the stop, every other reading dropped:
  // no two readings are consecutive, yet the plant plainly ran.
  auto flaky = Curve(s, 96, [](int) { return 100.0; });
  flaky.erase(std::remove_if(
                  flaky.begin(), flaky.end(),
                  [&](const LoadSample& x) { return ((x.t_us - Us(s)) / (15 * kMin)) % 2 == 0; }),
              flaky.end());
  auto found = CheckWindow(stop, Meter(&flaky), s, s + absl::Hours(24), kDefaults);
  EXPECT_THAT(OfType(found, v1::DATA_GAP), SizeIs(1));
  auto stops = OfType(found, v1::STOP_NOT_KEPT);
  ASSERT_THAT(stops, SizeIs(1));
  EXPECT_EQ(FromTimestamp(stops[0].window_start()), s + absl::Hours(1));  // after the grace hour
  EXPECT_THAT(stops[0].rule(), HasSubstr("bridge_gap_minutes"));
  EXPECT_THAT(stops[0].summary(), HasSubstr("个缺测时段两侧均超标，按连续计"));
  // An honest compliant plant with the same gaps: the gap only.
  auto honest = Curve(s, 96, [](int i) { return i <= 4 ? 100.0 : 5.0; });
  honest.erase(std::remove_if(
                   honest.begin(), honest.end(),
                   [&](const LoadSample& x) { return ((x.t_us - Us(s)) / (15 * kMin)) % 2 == 0; }),
               honest.end());
  auto kept = CheckWindow(stop, Meter(&honest), s, s + absl::Hours(24), kDefaults);
  EXPECT_THAT(OfType(kept, v1::STOP_NOT_KEPT), IsEmpty());
  EXPECT_THAT(OfType(kept, v1::DATA_GAP), SizeIs(1));
}

TEST(BridgeTest, AGapOfTheBridgeIsBridgedOneIntervalMoreIsNot) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  // Two single readings at full load (each a 15-minute blip) with 120 min
  // (bridge_gap_minutes) of nothing between them, stopped elsewhere.
  auto with_gap = [&](int missing) {
    std::vector<LoadSample> out;
    for (int i = 1; i <= 96; ++i) {
      if (i > 20 && i <= 20 + missing) continue;
      const bool running = i == 20 || i == 21 + missing;
      out.push_back({Us(s) + i * 15 * kMin, running ? 100.0 : 5.0});
    }
    return out;
  };
  auto bridged = with_gap(8);
  auto found = OfType(CheckWindow(stop, Meter(&bridged), s, s + absl::Hours(24), kDefaults),
                      v1::STOP_NOT_KEPT);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Minutes(19 * 15));
  EXPECT_EQ(FromTimestamp(found[0].window_end()), s + absl::Minutes(29 * 15));
  auto too_long = with_gap(9);
  EXPECT_THAT(OfType(CheckWindow(stop, Meter(&too_long), s, s + absl::Hours(24), kDefaults),
                     v1::STOP_NOT_KEPT),
              IsEmpty());
  // A reading at or below the threshold between them ends the stretch.
  auto broken = with_gap(8);
  broken.insert(std::upper_bound(broken.begin(), broken.end(), Us(s) + 24 * 15 * kMin,
                                 [](int64_t t, const LoadSample& x) { return t < x.t_us; }),
                {Us(s) + 24 * 15 * kMin, 5.0});
  EXPECT_THAT(OfType(CheckWindow(stop, Meter(&broken), s, s + absl::Hours(24), kDefaults),
                     v1::STOP_NOT_KEPT),
              IsEmpty());
}

TEST(TreatmentSilentTest, SilentWhileProductionRunsIsAFindingOfItsOwn) {
  const absl::Time s = Dec1();
  auto production = Curve(s, 96, [](int) { return 90.0; });
  MeterLoad p = Meter(&production, 100);
  auto silent = [&](int from, int to) {  // no treatment reading for intervals (from, to]
    auto t = Curve(s, 96, [](int) { return 30.0; });
    t.erase(std::remove_if(t.begin(), t.end(),
                           [&](const LoadSample& x) {
                             const int64_t i = (x.t_us - Us(s)) / (15 * kMin);
                             return i > from && i <= to;
                           }),
            t.end());
    return t;
  };
  auto two_hours = silent(40, 48);
  MeterLoad t = Meter(&two_hours, 30);
  t.name = "districts/1/enterprises/e/meters/t1";
  auto found = CheckCoRunning(p, t, s, s + absl::Hours(24), kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].type(), v1::TREATMENT_SILENT);
  EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Minutes(600));
  EXPECT_EQ(FromTimestamp(found[0].window_end()), s + absl::Minutes(720));
  EXPECT_EQ(found[0].evidence().rows(), 0);
  // 45 minutes silent is under co_running_min_minutes; 60 is a finding.
  auto short_silence = silent(40, 43);
  MeterLoad ts = Meter(&short_silence, 30);
  EXPECT_THAT(CheckCoRunning(p, ts, s, s + absl::Hours(24), kDefaults), IsEmpty());
  auto hour = silent(40, 44);
  MeterLoad th = Meter(&hour, 30);
  EXPECT_THAT(CheckCoRunning(p, th, s, s + absl::Hours(24), kDefaults), SizeIs(1));
  // Silent while production is stopped: nothing to treat.
  auto stopped = Curve(s, 96, [](int) { return 5.0; });
  MeterLoad ps = Meter(&stopped, 100);
  EXPECT_THAT(CheckCoRunning(ps, t, s, s + absl::Hours(24), kDefaults), IsEmpty());
  // Off for an hour, then silent for an hour: one TREATMENT_OFF of two hours.
  auto mixed = Curve(s, 96, [](int i) { return i > 40 && i <= 44 ? 2.0 : 30.0; });
  mixed.erase(std::remove_if(mixed.begin(), mixed.end(),
                             [&](const LoadSample& x) {
                               const int64_t i = (x.t_us - Us(s)) / (15 * kMin);
                               return i > 44 && i <= 48;
                             }),
              mixed.end());
  MeterLoad tm = Meter(&mixed, 30);
  auto off = CheckCoRunning(p, tm, s, s + absl::Hours(24), kDefaults);
  ASSERT_THAT(off, SizeIs(1));
  EXPECT_EQ(off[0].type(), v1::TREATMENT_OFF);
  EXPECT_EQ(FromTimestamp(off[0].window_end()), s + absl::Minutes(720));
}

TEST(BaselineTest, AnIncompleteReferenceWindowIsComputedAgainWhenDataArrives) {
  absl::Time ref;
  std::string err;
  absl::ParseTime("%Y-%m-%d", "2018-10-16", absl::FixedTimeZone(8 * 3600), &ref, &err);
  // The first run sees 10 of the 30 reference days; the late data brings the rest.
  auto early = Curve(ref + absl::Hours(24 * 20), 10 * 96, [](int) { return 80.0; });
  Baseline first = ComputeBaseline(early, "2018-11-15", kDefaults);
  ASSERT_TRUE(first.found);
  EXPECT_FALSE(first.complete);
  EXPECT_EQ(first.samples, 10 * 96);
  EXPECT_EQ(first.expected, 30 * 96);
  EXPECT_THAT(first.method, HasSubstr("不完整"));
  auto all = Curve(ref, 30 * 96, [](int i) { return i <= 20 * 96 ? 100.0 : 80.0; });
  EXPECT_TRUE(BaselineNeedsRecomputing(first.found, first.complete, first.samples, 30 * 96));
  Baseline second = ComputeBaseline(all, "2018-11-15", kDefaults);
  EXPECT_TRUE(second.complete);
  EXPECT_NEAR(second.kw, (20 * 100.0 + 10 * 80.0) / 30, 1e-9);
  // A complete baseline stays; so does an incomplete one no new data reached.
  EXPECT_FALSE(BaselineNeedsRecomputing(true, true, 30 * 96, 31 * 96));
  EXPECT_FALSE(BaselineNeedsRecomputing(true, false, 10 * 96, 10 * 96));
  // No reference data at all, then some: computed again.
  EXPECT_TRUE(BaselineNeedsRecomputing(false, false, 0, 96));
  // 90 % of the reference readings is complete; one fewer is not.
  auto ninety = Curve(ref, 27 * 96, [](int) { return 100.0; });
  EXPECT_TRUE(ComputeBaseline(ninety, "2018-11-15", kDefaults).complete);
  ninety.pop_back();
  EXPECT_FALSE(ComputeBaseline(ninety, "2018-11-15", kDefaults).complete);
}

TEST(RegisterTest, AResetIsAcceptedOnlyAfterItsEventAndNumbersKeepTheirPrecision) {
  const int64_t t0 = Us(Dec1());
  // Without an event, a register running backwards is refused, with the
  // numbers as sent.
  const std::string backwards =
      RegisterProblem(12.5, t0 + 30 * kMin, 1405712.5, t0 + 15 * kMin, {});
  EXPECT_THAT(backwards, HasSubstr("累计表码倒走"));
  EXPECT_THAT(backwards, HasSubstr("读数为 12.5 kWh"));
  EXPECT_THAT(backwards, HasSubstr("为 1405712.5 kWh"));
  EXPECT_THAT(backwards, HasSubstr("cuofeng meters event"));
  // With the reset recorded between the two readings, it is accepted...
  const std::vector<RegisterEvent> reset = {{t0 + 20 * kMin, 0}};
  EXPECT_EQ(RegisterProblem(12.5, t0 + 30 * kMin, 1405712.5, t0 + 15 * kMin, reset), "");
  // ...unless it reads below the new register.
  const std::vector<RegisterEvent> replaced = {{t0 + 20 * kMin, 100}};
  EXPECT_THAT(RegisterProblem(12.5, t0 + 30 * kMin, 1405712.5, t0 + 15 * kMin, replaced),
              HasSubstr("低于 2018-12-01 00:20:00+08:00 登记的换表（清零）后起始读数 100 kWh"));
  // An event before the earlier reading does not excuse a later run backwards.
  EXPECT_THAT(RegisterProblem(12.5, t0 + 30 * kMin, 1405712.5, t0 + 15 * kMin, {{t0, 0}}),
              HasSubstr("倒走"));
  // The load after a reset counts from the event.
  std::vector<RawReading> raw = {{t0 + 15 * kMin, v1::CUMULATIVE_KWH, 1405712.5},
                                 {t0 + 30 * kMin, v1::CUMULATIVE_KWH, 12.5},
                                 {t0 + 45 * kMin, v1::CUMULATIVE_KWH, 37.5}};
  auto load = ToLoad(raw, 15, reset);
  ASSERT_THAT(load, SizeIs(2));
  EXPECT_DOUBLE_EQ(load[0].kw, 12.5 / (10.0 / 60));  // 12.5 kWh in the 10 minutes since the reset
  EXPECT_DOUBLE_EQ(load[1].kw, 100);
  EXPECT_EQ(FormatNumber(1405712.5), "1405712.5");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
}

TEST(OverlappingRunsTest, GraceCountsFromTheObligationAndPiecesDoNotDependOnTheRun) {
  const absl::Time s = Dec1();
  v1::Obligation season = Window(v1::LIMIT, 30, s - absl::Hours(48), s + absl::Hours(120));
  season.set_level(v1::ALERT_LEVEL_UNSPECIFIED);
  season.set_entry("e/season");
  v1::Obligation orange = Window(v1::STOP, 0, s, s + absl::Hours(72));
  orange.set_alert("alerts/1");
  // Running through the whole orange stop.
  auto load = Curve(s - absl::Hours(48), 168 * 4, [&](int i) {
    const absl::Time t = s - absl::Hours(48) + absl::Minutes(15 * i);
    return t > s && t <= s + absl::Hours(72) ? 100.0 : 60.0;
  });
  const absl::Time hull_from = s - absl::Hours(48), hull_to = s + absl::Hours(120);
  auto prints = [&](absl::Time from, absl::Time to) {
    std::set<std::string> out;
    for (const EffectiveWindow& w :
         PiecesToJudge({&season, &orange}, hull_from, hull_to, from, to)) {
      for (const auto& f : CheckWindow(w, Meter(&load), hull_to, kDefaults))
        out.insert(Fingerprint(f));
    }
    return out;
  };
  const std::set<std::string> one_run = prints(hull_from, hull_to);
  ASSERT_FALSE(one_run.empty());
  // Daily runs, and runs starting mid-stop, find exactly the same.
  std::set<std::string> daily;
  for (absl::Time d = hull_from; d < hull_to; d += absl::Hours(24)) {
    auto p = prints(d, d + absl::Hours(24));
    daily.insert(p.begin(), p.end());
  }
  EXPECT_EQ(daily, one_run);
  auto late = prints(s + absl::Hours(30), hull_to);
  auto early = prints(hull_from, s + absl::Hours(30));
  late.insert(early.begin(), early.end());
  EXPECT_EQ(late, one_run);
  // The stop's finding starts an hour after the alert began, whichever run.
  for (const EffectiveWindow& w : PiecesToJudge({&season, &orange}, hull_from, hull_to,
                                                s + absl::Hours(30), s + absl::Hours(31))) {
    auto found = OfType(CheckWindow(w, Meter(&load), hull_to, kDefaults), v1::STOP_NOT_KEPT);
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(FromTimestamp(found[0].window_start()), s + absl::Hours(1));
    EXPECT_EQ(FromTimestamp(found[0].obligation_start()), s);
  }
  // A piece that starts where a stricter obligation ended gets no grace of its own.
  auto pieces = EffectiveWindows({&season, &orange}, hull_from, hull_to);
  ASSERT_THAT(pieces, SizeIs(3));
  auto after = Curve(s + absl::Hours(72), 48 * 4, [](int) { return 100.0; });
  auto broken =
      OfType(CheckWindow(pieces[2], Meter(&after), hull_to, kDefaults), v1::LIMIT_EXCEEDED);
  ASSERT_THAT(broken, SizeIs(1));
  EXPECT_EQ(FromTimestamp(broken[0].window_start()), s + absl::Hours(72));
}

TEST(LocalTimeTest, OffsetLessTimesAreReadInTheBatchZoneChinaByDefault) {
  auto china = ResolveTimeZone("");
  ASSERT_TRUE(china.ok());
  EXPECT_THAT(china->name, HasSubstr("北京时间"));
  auto utc = ResolveTimeZone("UTC");
  ASSERT_TRUE(utc.ok());
  int64_t a = 0, b = 0;
  ASSERT_TRUE(ParseLocalTime("2018-11-30 16:15", china->zone, &a));
  ASSERT_TRUE(ParseLocalTime("2018-11-30 08:15:00", utc->zone, &b));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, Us(Dec1()) - 7 * 60 * kMin - 45 * kMin);
  auto offset = ResolveTimeZone("+05:30");
  ASSERT_TRUE(offset.ok());
  ASSERT_TRUE(ParseLocalTime("2018-11-30 13:45", offset->zone, &b));
  EXPECT_EQ(a, b);
  EXPECT_EQ(ResolveTimeZone("Mars/Olympus").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseLocalTime("2018-02-30 10:00", china->zone, &a));
  EXPECT_FALSE(ParseLocalTime("2018-12-01 10:00+08:00", china->zone, &a));
}

TEST(ClockOffsetTest, UtcWrittenAsChinaTimeIsSuspectedHonestTimeIsNot) {
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(72));
  const std::vector<EffectiveWindow> windows = {{stop, Us(s), Us(s + absl::Hours(72))}};
  // A compliant plant: full load, stopped through the alert (after a 30-minute ramp).
  auto compliant = [&](absl::Time t) {
    return t > s + absl::Minutes(30) && t <= s + absl::Hours(72) ? 5.0 : 100.0;
  };
  const absl::Time from = s - absl::Hours(48), to = s + absl::Hours(120);
  auto honest =
      Curve(from, 168 * 4, [&](int i) { return compliant(from + absl::Minutes(15 * i)); });
  EXPECT_EQ(DetectClockOffset(Meter(&honest), windows, from, to, kDefaults), 0);
  // The same plant's meter writes UTC without an offset: read as China time,
  // every reading sits 8 hours early.
  std::vector<LoadSample> utc;
  for (const LoadSample& x : honest) utc.push_back({x.t_us - 8 * 60 * kMin, x.kw});
  std::pair<double, double> agreement;
  EXPECT_EQ(DetectClockOffset(Meter(&utc), windows, from, to, kDefaults, &agreement), 8);
  EXPECT_GT(agreement.second, agreement.first);
  // Judged as sent it would look like a stop not kept: the offset finding
  // keeps that from becoming an accusation (see the verifier).
  EXPECT_THAT(
      OfType(CheckWindow(stop, Meter(&utc), s, s + absl::Hours(72), kDefaults), v1::STOP_NOT_KEPT),
      SizeIs(1));
  // A plant that ignores the stop altogether shows no offset: it is a violation.
  auto evader = Curve(from, 168 * 4, [](int) { return 100.0; });
  EXPECT_EQ(DetectClockOffset(Meter(&evader), windows, from, to, kDefaults), 0);
  // Live, two hours into the stop: a plant still running looks like a clock
  // two hours late at the one edge seen, so a stop still under way is not
  // used, and the breach is judged.
  const absl::Time live_from = s - absl::Hours(12);
  auto late = Curve(live_from, 14 * 4, [](int) { return 100.0; });
  EXPECT_EQ(DetectClockOffset(Meter(&late), windows, live_from, s + absl::Hours(2), kDefaults), 0);
}

TEST_F(GateTest, BannedTrucksCarryThePhotoAndTheStageByName) {
  truck_.stage = v1::CHINA_3;
  passage_.photo = "photos/2018/12/01/gate1-1005.jpg";
  auto found = CheckPassage(passage_, &truck_, &orange_, kDefaults);
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].photo(), passage_.photo);
  EXPECT_EQ(found[0].emission_stage(), "国III");
  EXPECT_THAT(found[0].summary(), HasSubstr("国III"));
  EXPECT_THAT(found[0].summary(), HasSubstr(passage_.photo));
  EXPECT_EQ(found[0].unit(), "");  // no enum number printed as a measure
}

TEST(ChartTest, EvidenceChartShowsTheObligationGraceAndFindingApartWithTextAsText) {
  v1::EvidenceSeries e;
  v1::Finding* f = e.mutable_finding();
  f->set_name("districts/1/enterprises/e/findings/42");
  f->set_type(v1::STOP_NOT_KEPT);
  f->set_enterprise_name("蓟州区示例铸造厂");
  f->set_alert_document("津重污染指〔2018〕7号");
  f->set_summary(std::string(300, 'x'));
  const absl::Time s = Dec1();
  *f->mutable_obligation_start() = ToTimestamp(s);
  *f->mutable_obligation_window_start() = ToTimestamp(s);
  *f->mutable_obligation_window_end() = ToTimestamp(s + absl::Hours(72));
  f->set_grace_minutes(60);
  *f->mutable_window_start() = ToTimestamp(s + absl::Hours(1));
  *f->mutable_window_end() = ToTimestamp(s + absl::Hours(30));
  *e.mutable_from() = ToTimestamp(s - absl::Hours(12));
  *e.mutable_to() = ToTimestamp(s + absl::Hours(84));
  e.set_baseline_kw(100);
  e.set_baseline_version(2);
  e.set_baseline_method("mean load of 2880 intervals");
  v1::MeterEvent* ev = e.add_meter_events();
  *ev->mutable_time() = ToTimestamp(s + absl::Hours(40));
  ev->set_kind(v1::MeterEvent::REGISTER_RESET);
  LoadChart c = EvidenceChart(e);
  EXPECT_THAT(c.title, HasSubstr("蓟州区示例铸造厂"));
  EXPECT_THAT(c.title, HasSubstr("42"));
  EXPECT_EQ(c.obligation_start_us, Us(s));
  EXPECT_EQ(c.grace_end_us, Us(s + absl::Hours(1)));
  EXPECT_EQ(c.window_start_us, Us(s + absl::Hours(1)));
  const std::string svg = RenderSvg(c);
  EXPECT_THAT(svg, HasSubstr("<text"));
  EXPECT_THAT(svg, HasSubstr("津重污染指〔2018〕7号"));
  EXPECT_THAT(svg, HasSubstr("基准负荷（第 2 版）"));
  EXPECT_THAT(svg, HasSubstr("缓冲期"));
  EXPECT_THAT(svg, HasSubstr("措施时段"));
  EXPECT_THAT(svg, HasSubstr("表码清零"));
  // The 300-character summary is wrapped, not cut.
  std::string joined;
  for (const auto& l : c.subtitle) joined += l;
  EXPECT_THAT(joined, HasSubstr(std::string(300, 'x')));
}

TEST(ClockOffsetTest, ALimitOnlyMeterWritingUtcIsSuspectedAnHonestOneIsNot) {
  // Only a limit binds (30% for the alert): no stop to line the load up with.
  const absl::Time s = Dec1();
  const v1::Obligation limit = Window(v1::LIMIT, 30, s, s + absl::Hours(72));
  const std::vector<EffectiveWindow> windows = {{limit, Us(s), Us(s + absl::Hours(72))}};
  // A compliant plant: 95 kW outside, 63 kW (90% of its 70%) inside.
  auto compliant = [&](absl::Time t) {
    return t > s + absl::Minutes(30) && t <= s + absl::Hours(72) ? 63.0 : 95.0;
  };
  const absl::Time from = s - absl::Hours(48), to = s + absl::Hours(120);
  auto honest =
      Curve(from, 168 * 4, [&](int i) { return compliant(from + absl::Minutes(15 * i)); });
  EXPECT_EQ(DetectClockOffset(Meter(&honest), windows, from, to, kDefaults), 0);
  std::vector<LoadSample> utc;
  for (const LoadSample& x : honest) utc.push_back({x.t_us - 8 * 60 * kMin, x.kw});
  std::pair<double, double> agreement;
  EXPECT_EQ(DetectClockOffset(Meter(&utc), windows, from, to, kDefaults, &agreement), 8);
  EXPECT_GT(agreement.second, agreement.first + 5);
  // An evader of the limit shows no offset; nor does a limit too mild to move the load.
  auto evader = Curve(from, 168 * 4, [](int) { return 95.0; });
  EXPECT_EQ(DetectClockOffset(Meter(&evader), windows, from, to, kDefaults), 0);
  const v1::Obligation mild = Window(v1::LIMIT, 10, s, s + absl::Hours(72));
  EXPECT_EQ(
      DetectClockOffset(Meter(&utc), {{mild, Us(s), Us(s + absl::Hours(72))}}, from, to, kDefaults),
      0);
  // A stricter season limit around the alert's: a compliant plant is
  // below the alert's line outside the alert too, and that agrees.
  const v1::Obligation season = Window(v1::LIMIT, 50, s - absl::Hours(48), s + absl::Hours(120));
  const v1::Obligation alert = Window(v1::STOP, 0, s, s + absl::Hours(72));
  auto nested_load = Curve(from, 168 * 4, [&](int i) {
    const absl::Time t = from + absl::Minutes(15 * i);
    return t > s + absl::Minutes(30) && t <= s + absl::Hours(72) ? 5.0 : 45.0;
  });
  const std::vector<EffectiveWindow> nested = EffectiveWindows({&season, &alert}, from, to);
  EXPECT_EQ(DetectClockOffset(Meter(&nested_load), nested, from, to, kDefaults), 0);
}

// A stop still in force when the data ends shows one edge: the limits'
// edges around it do not stand in for it. A plant that runs through the
// first hours of its stop could otherwise pass for a late clock and escape
// its finding; the clock is judged once the stop has ended.
TEST(ClockOffsetTest, AStopStillInForceIsNotJudgedForTheClockByTheLimitsBesideIt) {
  const absl::Time s = Dec1();
  const v1::Obligation yellow = Window(v1::LIMIT, 30, s - absl::Hours(48), s);
  const v1::Obligation orange = Window(v1::STOP, 0, s, s + absl::Hours(72));
  auto honest_kw = [&](absl::Time t) {
    if (t > s - absl::Hours(48) + absl::Minutes(30) && t <= s) return 63.0;
    if (t > s + absl::Minutes(30) && t <= s + absl::Hours(72)) return 5.0;
    return 95.0;
  };
  const absl::Time from = s - absl::Hours(96);
  auto utc_of = [&](absl::Time to) {
    const int n = static_cast<int>((to - from) / absl::Minutes(15));
    auto honest = Curve(from, n, [&](int i) { return honest_kw(from + absl::Minutes(15 * i)); });
    std::vector<LoadSample> utc;
    for (const LoadSample& x : honest) utc.push_back({x.t_us - 8 * 60 * kMin, x.kw});
    return utc;
  };
  // Ten hours into the stop: not judged yet.
  const absl::Time during = s + absl::Hours(10);
  auto early = utc_of(during);
  EXPECT_EQ(DetectClockOffset(Meter(&early), EffectiveWindows({&yellow, &orange}, from, during),
                              from, during, kDefaults),
            0);
  // Once the stop has ended, the same meter is found eight hours off.
  const absl::Time after = s + absl::Hours(120);
  auto late = utc_of(after);
  EXPECT_EQ(DetectClockOffset(Meter(&late), EffectiveWindows({&yellow, &orange}, from, after), from,
                              after, kDefaults),
            8);
}

// Issue 20's covering line meter: judged by rated share, the stop on its
// main equipment is a limit on the line meter, so no stop binds it. Compliant
// in the season, it runs on through the first six hours of the orange alert,
// where the data ends. Shifted six hours late, its orange readings would land
// past the data's end, where the windows (clipped there, as the verifier
// gives them) say nothing binds: they would agree, and the plant would pass
// for a clock six hours off instead of a limit broken. Only what binds within
// the data is used, so it is judged, and the same whether the windows reach
// past the data's end (a live run's do) or not (a batch run's).
TEST(ClockOffsetTest, ALimitBrokenWhereTheDataEndsIsNotTakenForALateClock) {
  const absl::Time s = Dec1(), season_start = s - absl::Hours(16 * 24);
  const v1::Obligation season = Window(v1::LIMIT, 30, season_start, s + absl::Hours(105 * 24));
  const v1::Obligation orange = Window(v1::LIMIT, 60, s, s + absl::Hours(72));
  const absl::Time data_end = s + absl::Hours(6);
  auto kw = [&](absl::Time t) {
    if (t <= season_start) return 100.0;
    return t > s ? 90.0 : 63.0;  // 90% of the season's 70%, then the orange ignored
  };
  const absl::Time first = season_start - absl::Hours(24);
  const int n = static_cast<int>((data_end - first) / absl::Minutes(15));
  auto load = Curve(first, n, [&](int i) { return kw(first + absl::Minutes(15 * i)); });
  ASSERT_EQ(load.back().t_us, Us(data_end));
  std::pair<double, double> agreement;
  const auto batch = EffectiveWindows({&season, &orange}, season_start, data_end);
  EXPECT_EQ(DetectClockOffset(Meter(&load), batch, season_start, data_end, kDefaults, &agreement),
            0)
      << agreement.first << " " << agreement.second;
  const auto live = EffectiveWindows({&season, &orange}, season_start, data_end + absl::Hours(14));
  EXPECT_EQ(DetectClockOffset(Meter(&load), live, season_start, data_end, kDefaults), 0);
  // The breach is judged.
  ASSERT_THAT(batch, SizeIs(2));
  EXPECT_THAT(OfType(CheckWindow(batch[1], Meter(&load), data_end, kDefaults), v1::LIMIT_EXCEEDED),
              SizeIs(1));
  // Keeping the orange limit, with the data through the alert and a day after
  // it, the plant is not suspected either.
  const absl::Time later = s + absl::Hours(96);
  auto compliant = Curve(first, static_cast<int>((later - first) / absl::Minutes(15)), [&](int i) {
    const absl::Time t = first + absl::Minutes(15 * i);
    if (t <= season_start) return 100.0;
    return t > s + absl::Minutes(30) && t <= s + absl::Hours(72) ? 36.0 : 63.0;
  });
  const auto whole = EffectiveWindows({&season, &orange}, season_start, later);
  EXPECT_EQ(DetectClockOffset(Meter(&compliant), whole, season_start, later, kDefaults), 0);
}

TEST(ParametersTest, BridgeAndClockOffsetThresholdsComeFromTheRuleSet) {
  v1::VerificationParameters p;
  VerificationParams d = ResolveParams(p);
  EXPECT_EQ(d.bridge_gap_minutes, 120);
  EXPECT_EQ(d.clock_offset_max_hours, 12);
  EXPECT_EQ(d.clock_offset_min_gain_percent, 5);
  EXPECT_EQ(d.clock_offset_min_agreement_percent, 90);
  p.set_bridge_gap_minutes(30);
  p.set_clock_offset_max_hours(4);
  p.set_clock_offset_min_gain_percent(20);
  p.set_clock_offset_min_agreement_percent(99);
  VerificationParams r = ResolveParams(p);
  EXPECT_EQ(r.bridge_gap_minutes, 30);
  EXPECT_EQ(r.clock_offset_max_hours, 4);
  EXPECT_EQ(r.clock_offset_min_gain_percent, 20);
  EXPECT_EQ(r.clock_offset_min_agreement_percent, 99);
  // A flaky meter through a stop: every fourth reading only (45 min between
  // readings) is bridged at 120 min, not at 30.
  const absl::Time s = Dec1();
  const v1::Obligation stop = Window(v1::STOP, 0, s, s + absl::Hours(24));
  std::vector<LoadSample> flaky;
  for (int i = 4; i <= 96; i += 4) flaky.push_back({Us(s) + i * 15 * kMin, 100.0});
  EXPECT_THAT(
      OfType(CheckWindow(stop, Meter(&flaky), s, s + absl::Hours(24), d), v1::STOP_NOT_KEPT),
      SizeIs(1));
  auto narrow = CheckWindow(stop, Meter(&flaky), s, s + absl::Hours(24), r);
  EXPECT_THAT(OfType(narrow, v1::STOP_NOT_KEPT), IsEmpty());
  EXPECT_THAT(OfType(narrow, v1::DATA_GAP), SizeIs(1));
  // The offset search goes no further than clock_offset_max_hours.
  const std::vector<EffectiveWindow> windows = {{stop, Us(s), Us(s + absl::Hours(24))}};
  const absl::Time from = s - absl::Hours(48), to = s + absl::Hours(72);
  std::vector<LoadSample> utc;
  for (int i = 1; i <= 120 * 4; ++i) {
    const absl::Time t = from + absl::Minutes(15 * i);
    const double kw = t > s + absl::Minutes(30) && t <= s + absl::Hours(24) ? 5.0 : 100.0;
    utc.push_back({Us(t) - 8 * 60 * kMin, kw});
  }
  EXPECT_EQ(DetectClockOffset(Meter(&utc), windows, from, to, d), 8);
  EXPECT_EQ(DetectClockOffset(Meter(&utc), windows, from, to, r), 0);
}

// Covering meters: equipment with no meter of its own, under a line meter.
class CoveringTest : public ::testing::Test {
 protected:
  static constexpr char kLine[] = "districts/1/enterprises/e/lines/l1";
  static std::string Eq(const char* id) {
    return absl::StrCat(kLine, "/processes/p1/equipment/", id);
  }
  static v1::Obligation On(const std::string& resource, v1::Action action, double percent,
                           absl::Time start, absl::Time end, const char* entry) {
    v1::Obligation o = Window(action, percent, start, end);
    o.set_resource(resource);
    o.set_entry(absl::StrCat("districts/1/lists/1/entries/", entry));
    o.set_alert("alerts/3");
    o.set_alert_revision(1);
    return o;
  }
};

TEST_F(CoveringTest, StopsOnEverythingAMeterMeasuresAreJudgedOnIt) {
  const absl::Time s = Dec1(), e = s + absl::Hours(24);
  // q1 has a meter of its own; q2 and q3 none; all three stop for the alert.
  const v1::Obligation q1 = On(Eq("q1"), v1::STOP, 0, s, e, "1");
  const v1::Obligation q2 = On(Eq("q2"), v1::STOP, 0, s, e, "2");
  const v1::Obligation q3 = On(Eq("q3"), v1::STOP, 0, s + absl::Hours(2), e, "3");
  const std::vector<CoveredPart> parts = {{Eq("q1"), 0}, {Eq("q2"), 0}, {Eq("q3"), 0}};
  Covering c = CoveringWindows("1号线总电表", kLine, parts, {&q1, &q2, &q3}, {&q2, &q3},
                               s - absl::Hours(24), e + absl::Hours(24));
  // Before q3 stops, only part stops and no rated power says how much: not verifiable.
  ASSERT_THAT(c.uncovered, SizeIs(1));
  EXPECT_EQ(c.uncovered[0].obligation, &q2);
  EXPECT_EQ(c.uncovered[0].end_us, Us(s + absl::Hours(2)));
  EXPECT_THAT(c.uncovered[0].detail, HasSubstr("额定功率"));
  ASSERT_THAT(c.windows, SizeIs(1));
  const CoveringWindow& w = c.windows[0];
  EXPECT_EQ(w.window.start_us, Us(s + absl::Hours(2)));
  EXPECT_EQ(w.window.end_us, Us(e));
  EXPECT_EQ(w.window.obligation.action(), v1::STOP);
  EXPECT_EQ(w.window.obligation.resource(), kLine);
  EXPECT_THAT(w.why, HasSubstr("1号线总电表"));
  EXPECT_THAT(w.why, HasSubstr("计量的 3 台设备均须停产"));
  EXPECT_THAT(w.covered, SizeIs(2));
  // The line meter running on is a stop not kept (grace from when the
  // whole line had to stop), saying which meter and why.
  auto running = Curve(s, 96, [](int i) { return i <= 8 ? 100.0 : 90.0; });
  MeterLoad line = Meter(&running);
  std::vector<FindingDraft> found = CheckWindow(w.window, line, e, kDefaults);
  ASSERT_THAT(OfType(found, v1::STOP_NOT_KEPT), SizeIs(1));
  EXPECT_EQ(FromTimestamp(OfType(found, v1::STOP_NOT_KEPT)[0].window_start()), s + absl::Hours(3));
  // A line that stopped is not accused.
  auto stopped = Curve(s, 96, [](int i) { return i <= 10 ? 100.0 : 5.0; });
  EXPECT_THAT(CheckWindow(w.window, Meter(&stopped), e, kDefaults), IsEmpty());
}

TEST_F(CoveringTest, PartOfWhatAMeterMeasuresIsJudgedByItsRatedShareOnly) {
  const absl::Time s = Dec1(), e = s + absl::Hours(72);
  const v1::Obligation q2 = On(Eq("q2"), v1::STOP, 0, s, e, "2");
  // q1 (own meter) runs; q2 (none) stops. Rated 300 kW and 100 kW.
  Covering rated =
      CoveringWindows("1号线总电表", kLine, {{Eq("q1"), 300}, {Eq("q2"), 100}}, {&q2}, {&q2}, s, e);
  EXPECT_THAT(rated.uncovered, IsEmpty());
  ASSERT_THAT(rated.windows, SizeIs(1));
  const v1::Obligation& made = rated.windows[0].window.obligation;
  EXPECT_EQ(made.action(), v1::LIMIT);
  EXPECT_DOUBLE_EQ(made.percent(), 25);
  EXPECT_THAT(rated.windows[0].why, HasSubstr("25.0%"));
  // The line at 95% of its baseline: q2 cannot have stopped.
  auto on = Curve(s, 288, [](int) { return 95.0; });
  EXPECT_THAT(
      OfType(CheckWindow(rated.windows[0].window, Meter(&on), e, kDefaults), v1::LIMIT_EXCEEDED),
      SizeIs(1));
  // At 72% (q1 at full load, q2 stopped, with noise) it is kept.
  auto kept = Curve(s, 288, [](int i) { return i % 2 ? 70.0 : 74.0; });
  EXPECT_THAT(CheckWindow(rated.windows[0].window, Meter(&kept), e, kDefaults), IsEmpty());
  // Without rated power for every piece (or in another unit): never judged.
  Covering unrated =
      CoveringWindows("1号线总电表", kLine, {{Eq("q1"), 0}, {Eq("q2"), 100}}, {&q2}, {&q2}, s, e);
  EXPECT_THAT(unrated.windows, IsEmpty());
  ASSERT_THAT(unrated.uncovered, SizeIs(1));
  EXPECT_EQ(unrated.uncovered[0].obligation, &q2);
  // Nothing meterless binds: nothing to judge on the covering meter.
  Covering none =
      CoveringWindows("1号线总电表", kLine, {{Eq("q1"), 300}, {Eq("q2"), 100}}, {&q2}, {}, s, e);
  EXPECT_THAT(none.windows, IsEmpty());
  EXPECT_THAT(none.uncovered, IsEmpty());
}

}  // namespace
}  // namespace cuofeng
