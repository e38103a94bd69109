#include "lib/verification/verification.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"
#include "lib/rules/measures.h"

namespace cuofeng {
namespace {

constexpr int64_t kMicrosPerMinute = 60 * 1000000LL;
constexpr int64_t kMicrosPerDay = 24 * 60 * kMicrosPerMinute;
constexpr int64_t kChinaOffset = 8 * 60 * kMicrosPerMinute;

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// The next China midnight strictly after `us`.
int64_t NextChinaMidnight(int64_t us) {
  const int64_t local = us + kChinaOffset;
  const int64_t day =
      local >= 0 ? local / kMicrosPerDay : (local - kMicrosPerDay + 1) / kMicrosPerDay;
  return (day + 1) * kMicrosPerDay - kChinaOffset;
}

std::string Kw(double kw) { return absl::StrFormat("%.1f kW", kw); }

// A duration as users read it: "2 天", "1 小时 30 分钟", "45 分钟".
std::string Duration(int64_t us) {
  const int64_t minutes = us / kMicrosPerMinute;
  if (minutes >= 24 * 60 && minutes % (24 * 60) == 0)
    return absl::StrCat(minutes / (24 * 60), " 天");
  if (minutes >= 60) {
    return minutes % 60 == 0 ? absl::StrCat(minutes / 60, " 小时")
                             : absl::StrCat(minutes / 60, " 小时 ", minutes % 60, " 分钟");
  }
  return absl::StrCat(minutes, " 分钟");
}

// A gate camera as people read it: its id within the enterprise (the
// finding's scope keeps the whole resource name).
std::string Gate(const std::string& camera) {
  return absl::StrCat("门禁摄像头 ", camera.substr(camera.rfind('/') + 1));
}

// The time a finding starts, China time.
std::string At(int64_t us) { return absl::FormatTime("%Y-%m-%d %H:%M", FromMicros(us), China()); }

// Samples with t in (start, end], as an index range.
std::pair<size_t, size_t> Range(const std::vector<LoadSample>& load, int64_t start, int64_t end) {
  auto lo = std::upper_bound(load.begin(), load.end(), start,
                             [](int64_t v, const LoadSample& s) { return v < s.t_us; });
  auto hi = std::upper_bound(load.begin(), load.end(), end,
                             [](int64_t v, const LoadSample& s) { return v < s.t_us; });
  return {static_cast<size_t>(lo - load.begin()), static_cast<size_t>(hi - load.begin())};
}

// The evidence of a finding on a meter: the samples in (start, end] and a hash of them.
v1::Evidence MeterEvidence(const std::string& meter, const std::vector<LoadSample>& load,
                           int64_t start, int64_t end, std::string detail) {
  auto [lo, hi] = Range(load, start, end);
  std::string canonical;
  canonical.reserve((hi - lo) * 32);
  for (size_t i = lo; i < hi; ++i) {
    absl::StrAppendFormat(&canonical, "%d %.6f\n", load[i].t_us, load[i].kw);
  }
  v1::Evidence e;
  e.set_source(meter);
  *e.mutable_from() = ToTimestamp(FromMicros(start));
  *e.mutable_to() = ToTimestamp(FromMicros(end));
  e.set_rows(static_cast<int64_t>(hi - lo));
  e.set_sha256(Sha256Hex(canonical));
  e.set_detail(std::move(detail));
  return e;
}

FindingDraft Draft(v1::FindingType type, const std::string& enterprise, const std::string& scope,
                   int64_t start, int64_t end) {
  FindingDraft f;
  f.set_type(type);
  f.set_enterprise(enterprise);
  f.set_scope(scope);
  *f.mutable_window_start() = ToTimestamp(FromMicros(start));
  *f.mutable_window_end() = ToTimestamp(FromMicros(end));
  f.set_status(v1::OPEN);
  return f;
}

std::string ObligationRef(const v1::Obligation& o) {
  std::string ref = o.entry();
  if (!o.alert().empty()) absl::StrAppend(&ref, " + ", o.alert(), "@", o.alert_revision());
  return ref;
}

std::string LevelText(const v1::Obligation& o) {
  return o.level() == v1::ALERT_LEVEL_UNSPECIFIED
             ? std::string(o.in_staggered_period() ? "错峰生产期" : "采暖季")
             : ChineseLabel(v1::AlertLevel_Name(o.level())) + "预警";
}

}  // namespace

VerificationParams ResolveParams(const v1::VerificationParameters& p) {
  VerificationParams r;
  if (p.baseline_reference_days() > 0) r.baseline_reference_days = p.baseline_reference_days();
  if (p.production_day_min_percent() > 0)
    r.production_day_min_percent = p.production_day_min_percent();
  if (p.stop_threshold_percent() > 0) r.stop_threshold_percent = p.stop_threshold_percent();
  if (p.grace_minutes() > 0) r.grace_minutes = p.grace_minutes();
  if (p.limit_tolerance_percent() > 0) r.limit_tolerance_percent = p.limit_tolerance_percent();
  if (p.production_on_percent() > 0) r.production_on_percent = p.production_on_percent();
  if (p.treatment_on_percent() > 0) r.treatment_on_percent = p.treatment_on_percent();
  if (p.co_running_min_minutes() > 0) r.co_running_min_minutes = p.co_running_min_minutes();
  if (p.min_completeness_percent() > 0) r.min_completeness_percent = p.min_completeness_percent();
  if (p.camera_silence_hours() > 0) r.camera_silence_hours = p.camera_silence_hours();
  if (p.video_retention_days() > 0) r.video_retention_days = p.video_retention_days();
  r.ledger_retention_until = p.ledger_retention_until();
  if (p.ledger_retention_days() > 0) r.ledger_retention_days = p.ledger_retention_days();
  if (p.truck_min_stage() != v1::EMISSION_STAGE_UNSPECIFIED)
    r.truck_min_stage = p.truck_min_stage();
  if (p.ledger_match_minutes() > 0) r.ledger_match_minutes = p.ledger_match_minutes();
  if (p.bridge_gap_minutes() > 0) r.bridge_gap_minutes = p.bridge_gap_minutes();
  if (p.clock_offset_max_hours() > 0) r.clock_offset_max_hours = p.clock_offset_max_hours();
  if (p.clock_offset_min_gain_percent() > 0)
    r.clock_offset_min_gain_percent = p.clock_offset_min_gain_percent();
  if (p.clock_offset_min_agreement_percent() > 0)
    r.clock_offset_min_agreement_percent = p.clock_offset_min_agreement_percent();
  return r;
}

std::string ChinaDayOf(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, China()); }

std::vector<LoadSample> ToLoad(const std::vector<RawReading>& readings, int interval_minutes,
                               const std::vector<RegisterEvent>& events) {
  std::vector<LoadSample> out;
  out.reserve(readings.size());
  const double per_hour = 60.0 / std::max(1, interval_minutes);
  // The register to count from: the last reading, or the last event after it.
  bool have_register = false;
  int64_t register_t = 0;
  double register_value = 0;
  size_t next_event = 0;
  for (const RawReading& r : readings) {
    switch (r.kind) {
      case v1::INTERVAL_KWH:
        out.push_back({r.t_us, r.value * per_hour});
        break;
      case v1::KW:
        out.push_back({r.t_us, r.value});
        break;
      case v1::CUMULATIVE_KWH: {
        while (next_event < events.size() && events[next_event].t_us < r.t_us) {
          have_register = true;
          register_t = events[next_event].t_us;
          register_value = events[next_event].new_register;
          ++next_event;
        }
        if (have_register && r.t_us > register_t && r.value >= register_value) {
          const double hours = static_cast<double>(r.t_us - register_t) / (60 * kMicrosPerMinute);
          out.push_back({r.t_us, (r.value - register_value) / hours});
        }
        have_register = true;
        register_t = r.t_us;
        register_value = r.value;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

std::string FormatNumber(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::string RegisterProblem(double value, int64_t t_us, double before, int64_t before_t_us,
                            const std::vector<RegisterEvent>& events) {
  // The last event in [before, t): as ToLoad counts them, an event at the
  // instant of a reading happened just after it.
  const RegisterEvent* event = nullptr;
  for (const RegisterEvent& e : events) {
    if (e.t_us >= before_t_us && e.t_us < t_us) event = &e;
  }
  auto when = [](int64_t us) {
    return absl::FormatTime("%Y-%m-%d %H:%M:%S%Ez", FromMicros(us), China());
  };
  if (event != nullptr) {
    if (value + 1e-9 < event->new_register) {
      return absl::StrCat("value: 累计表码 ", when(t_us), " 读数为 ", FormatNumber(value),
                          " kWh，低于 ", when(event->t_us), " 登记的换表（清零）后起始读数 ",
                          FormatNumber(event->new_register), " kWh");
    }
    return "";
  }
  if (value + 1e-9 < before) {
    return absl::StrCat(
        "value: 累计表码倒走：", when(t_us), " 读数为 ", FormatNumber(value), " kWh，", "而 ",
        when(before_t_us), " 为 ", FormatNumber(before), " kWh",
        "（如电表已清零或更换，请先登记：cuofeng meters event ",
        "METER --time=T --kind=REGISTER_RESET|METER_REPLACED --new_register=KWH --reason=...）");
  }
  return "";
}

std::vector<std::pair<int64_t, int64_t>> MissingStretches(const std::vector<LoadSample>& load,
                                                          int64_t from, int64_t to,
                                                          int interval_minutes) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const int64_t step = std::max(1, interval_minutes) * kMicrosPerMinute;
  int64_t expect = from + step;  // the next reading we expect
  for (const LoadSample& x : load) {
    if (x.t_us <= from || x.t_us > to) continue;
    if (x.t_us > expect) out.push_back({expect - step, x.t_us - step});
    expect = x.t_us + step;
  }
  if (expect <= to) out.push_back({expect - step, to});
  return out;
}

std::pair<absl::Time, absl::Time> ReferenceWindow(const std::string& season_start,
                                                  const VerificationParams& params) {
  absl::Time start;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", season_start, China(), &start, &err))
    return {absl::UnixEpoch(), absl::UnixEpoch()};
  return {start - absl::Hours(24) * params.baseline_reference_days, start};
}

Baseline ComputeBaseline(const std::vector<LoadSample>& load, const std::string& season_start,
                         const VerificationParams& params, int interval_minutes) {
  Baseline b;
  auto [ref_start, ref_end] = ReferenceWindow(season_start, params);
  b.reference_start = ChinaDayOf(ref_start);
  b.reference_end = ChinaDayOf(ref_end - absl::Seconds(1));
  // Per China day: sum and count of the samples ending in it.
  std::map<int64_t, std::pair<double, int64_t>> days;
  auto [lo, hi] = Range(load, Micros(ref_start), Micros(ref_end));
  b.samples = static_cast<int64_t>(hi - lo);
  b.expected =
      (Micros(ref_end) - Micros(ref_start)) / (std::max(1, interval_minutes) * kMicrosPerMinute);
  b.complete =
      b.expected > 0 && 100.0 * b.samples / b.expected + 1e-9 >= params.min_completeness_percent;
  for (size_t i = lo; i < hi; ++i) {
    const int64_t day = NextChinaMidnight(load[i].t_us - 1);
    days[day].first += load[i].kw;
    days[day].second += 1;
  }
  double busiest = 0;
  for (const auto& [day, sc] : days) busiest = std::max(busiest, sc.first / sc.second);
  double sum = 0;
  for (const auto& [day, sc] : days) {
    if (sc.first / sc.second + 1e-9 < busiest * params.production_day_min_percent / 100) continue;
    ++b.production_days;
    b.intervals += sc.second;
    sum += sc.first;
  }
  b.found = b.intervals > 0 && sum > 0;
  if (b.found) b.kw = sum / b.intervals;
  b.method =
      b.found ? absl::StrFormat(
                    "%s 至 %s（采暖季前 %d 天）有数据的 %d 天中，%d 个生产日共 %d 个时段的平均负荷"
                    "（生产日：日均负荷达到最忙一天 %.1f kW 的 %.0f%%）；参考期读数 %d/%d 条（%s）",
                    b.reference_start, b.reference_end, params.baseline_reference_days, days.size(),
                    b.production_days, b.intervals, busiest, params.production_day_min_percent,
                    b.samples, b.expected, b.complete ? "完整" : "不完整：数据补齐后重新计算")
              : absl::StrFormat("%s 至 %s（采暖季前 %d 天）没有读数", b.reference_start,
                                b.reference_end, params.baseline_reference_days);
  return b;
}

bool BaselineNeedsRecomputing(bool found, bool complete, int64_t samples_then,
                              int64_t samples_now) {
  return (!found || !complete) && samples_now > samples_then;
}

// The share of the baseline an action allows (lower is stricter).
double AllowedShare(const v1::Obligation& o) {
  switch (o.action()) {
    case v1::STOP:
    case v1::RECTIFY:
      return 0;
    case v1::CAP:
      return o.percent() / 100;
    default:
      return 1 - o.percent() / 100;
  }
}

namespace {

bool SameBinding(const v1::Obligation& a, const v1::Obligation& b) {
  return a.action() == b.action() && a.percent() == b.percent() && a.entry() == b.entry() &&
         a.alert() == b.alert() && a.alert_revision() == b.alert_revision();
}

}  // namespace

std::vector<EffectiveWindow> EffectiveWindows(const std::vector<const v1::Obligation*>& binding,
                                              absl::Time from, absl::Time to) {
  std::vector<int64_t> cuts = {Micros(from), Micros(to)};
  auto start_of = [](const v1::Obligation& o) { return Micros(FromTimestamp(o.window_start())); };
  auto end_of = [](const v1::Obligation& o) {
    return o.has_window_end() ? Micros(FromTimestamp(o.window_end())) : INT64_MAX;
  };
  for (const v1::Obligation* o : binding) {
    if (!Measurable(o->action())) continue;
    cuts.push_back(std::clamp(start_of(*o), Micros(from), Micros(to)));
    cuts.push_back(std::clamp(end_of(*o), Micros(from), Micros(to)));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<EffectiveWindow> out;
  const v1::Obligation* last = nullptr;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const int64_t a = cuts[i], b = cuts[i + 1];
    const v1::Obligation* strictest = nullptr;
    for (const v1::Obligation* o : binding) {
      if (!Measurable(o->action()) || start_of(*o) > a || end_of(*o) < b) continue;
      if (strictest == nullptr || AllowedShare(*o) < AllowedShare(*strictest) ||
          (AllowedShare(*o) == AllowedShare(*strictest) && !o->alert().empty() &&
           strictest->alert().empty())) {
        strictest = o;
      }
    }
    if (strictest == nullptr) {
      last = nullptr;
      continue;
    }
    if (!out.empty() && last != nullptr && SameBinding(*last, *strictest) &&
        out.back().end_us == a) {
      out.back().end_us = b;
      continue;
    }
    out.push_back({*strictest, a, b});
    last = strictest;
  }
  return out;
}

std::vector<EffectiveWindow> PiecesToJudge(const std::vector<const v1::Obligation*>& binding,
                                           absl::Time hull_from, absl::Time hull_to,
                                           absl::Time from, absl::Time to) {
  std::vector<EffectiveWindow> out;
  for (EffectiveWindow& w : EffectiveWindows(binding, hull_from, hull_to)) {
    if (w.start_us < Micros(to) && w.end_us > Micros(from)) out.push_back(std::move(w));
  }
  return out;
}

namespace {

// Whether `resource` is `prefix` or lies below it (resource names).
bool Below(const std::string& resource, const std::string& prefix) {
  return resource == prefix ||
         (resource.size() > prefix.size() && resource.compare(0, prefix.size(), prefix) == 0 &&
          resource[prefix.size()] == '/');
}

}  // namespace

Covering CoveringWindows(const std::string& meter_label, const std::string& target,
                         const std::vector<CoveredPart>& parts,
                         const std::vector<const v1::Obligation*>& binding,
                         const std::vector<const v1::Obligation*>& meterless, absl::Time from,
                         absl::Time to) {
  Covering out;
  auto start_of = [](const v1::Obligation& o) { return Micros(FromTimestamp(o.window_start())); };
  auto end_of = [](const v1::Obligation& o) {
    return o.has_window_end() ? Micros(FromTimestamp(o.window_end())) : INT64_MAX;
  };
  std::vector<int64_t> cuts = {Micros(from), Micros(to)};
  for (const v1::Obligation* o : binding) {
    if (!Measurable(o->action())) continue;
    cuts.push_back(std::clamp(start_of(*o), Micros(from), Micros(to)));
    cuts.push_back(std::clamp(end_of(*o), Micros(from), Micros(to)));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  bool rated = !parts.empty();
  double total_kw = 0;
  for (const CoveredPart& part : parts) {
    rated = rated && part.rated_kw > 0;
    total_kw += part.rated_kw;
  }
  auto binds = [&](const v1::Obligation& o, int64_t a, int64_t b) {
    return Measurable(o.action()) && start_of(o) <= a && end_of(o) >= b;
  };
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const int64_t a = cuts[i], b = cuts[i + 1];
    std::vector<const v1::Obligation*> here;  // meterless obligations binding the piece
    for (const v1::Obligation* o : meterless) {
      if (binds(*o, a, b)) here.push_back(o);
    }
    if (here.empty()) continue;
    // Per part, the strictest obligation binding it.
    double drop = 0;  // the share of the meter's load that must go
    int stopped = 0;
    const v1::Obligation* rep = nullptr;  // the strictest, latest-starting
    for (const CoveredPart& part : parts) {
      const v1::Obligation* strictest = nullptr;
      for (const v1::Obligation* o : binding) {
        if (!binds(*o, a, b) || !Below(part.equipment, o->resource())) continue;
        if (strictest == nullptr || AllowedShare(*o) < AllowedShare(*strictest)) strictest = o;
      }
      if (strictest == nullptr) continue;
      const double allowed = std::clamp(AllowedShare(*strictest), 0.0, 1.0);
      if (allowed == 0) ++stopped;
      if (rated) drop += part.rated_kw / total_kw * (1 - allowed);
      if (rep == nullptr || AllowedShare(*strictest) < AllowedShare(*rep) ||
          (AllowedShare(*strictest) == AllowedShare(*rep) &&
           start_of(*strictest) > start_of(*rep))) {
        rep = strictest;
      }
    }
    const bool all_stopped = !parts.empty() && stopped == static_cast<int>(parts.size());
    if (!all_stopped && (!rated || drop <= 1e-9)) {
      for (const v1::Obligation* o : here) {
        out.uncovered.push_back(
            {o, a, b,
             absl::StrFormat(
                 "%s 计量了该设备，但也计量未被要求停产的设备（所计量的 %d 台中 %d 台停产），"
                 "且名录未给出每台设备的额定功率（kW），无法判断受约束部分所占比例",
                 meter_label, parts.size(), stopped)});
      }
      continue;
    }
    v1::Obligation synth = *rep;
    synth.set_resource(target);
    *synth.mutable_window_start() = ToTimestamp(FromMicros(a));
    *synth.mutable_window_end() = ToTimestamp(FromMicros(b));
    std::string why;
    if (all_stopped) {
      synth.set_action(v1::STOP);
      synth.set_percent(0);
      why = absl::StrFormat(
          "按 %s（计量 %s）核查：其计量的 %d 台设备均须停产，该表负荷须降至停产阈值以下",
          meter_label, target, parts.size());
    } else {
      synth.set_action(v1::LIMIT);
      synth.set_percent(std::round(drop * 1000) / 10);
      why = absl::StrFormat(
          "按 %s（计量 %s）核查：受约束设备占其计量的 %d 台设备额定功率的 %.1f%%，"
          "该表负荷须至少降低这一比例",
          meter_label, target, parts.size(), 100 * drop);
    }
    synth.set_baseline(absl::StrCat(kCoveringMeterBaseline, meter_label));
    synth.set_reason(why);
    // One window per run of pieces judged the same way.
    if (!out.windows.empty()) {
      CoveringWindow& last = out.windows.back();
      const v1::Obligation& lo = last.window.obligation;
      if (last.window.end_us == a && lo.action() == synth.action() &&
          lo.percent() == synth.percent() && lo.entry() == synth.entry() &&
          lo.alert() == synth.alert() && lo.alert_revision() == synth.alert_revision()) {
        last.window.end_us = b;
        *last.window.obligation.mutable_window_end() = synth.window_end();
        for (const v1::Obligation* o : here) {
          if (std::find(last.covered.begin(), last.covered.end(), o) == last.covered.end())
            last.covered.push_back(o);
        }
        continue;
      }
    }
    out.windows.push_back({EffectiveWindow{std::move(synth), a, b}, why, here});
  }
  return out;
}

bool Measurable(v1::Action action) {
  return action == v1::STOP || action == v1::RECTIFY || action == v1::LIMIT ||
         action == v1::STOP_LINES || action == v1::CAP;
}

namespace {

std::string Label(const MeterLoad& m) { return m.label.empty() ? m.name : m.label; }

std::string BaselineText(const MeterLoad& m) {
  return m.baseline_version > 0
             ? absl::StrCat("基准负荷 ", Kw(m.baseline_kw), "（第 ", m.baseline_version, " 版）")
             : absl::StrCat("基准负荷 ", Kw(m.baseline_kw));
}

// Stamps what every finding on an obligation window carries (the window as
// far as it was judged).
void SetWindow(FindingDraft* f, const EffectiveWindow& w, int64_t judged_until,
               const VerificationParams& p) {
  *f->mutable_obligation_start() = w.obligation.window_start();
  *f->mutable_obligation_window_start() = ToTimestamp(FromMicros(w.start_us));
  *f->mutable_obligation_window_end() = ToTimestamp(FromMicros(std::min(w.end_us, judged_until)));
  f->set_grace_minutes(p.grace_minutes);
}

}  // namespace

std::vector<FindingDraft> CheckWindow(const EffectiveWindow& w, const MeterLoad& m,
                                      absl::Time judged_until, const VerificationParams& p) {
  std::vector<FindingDraft> out;
  const v1::Obligation& o = w.obligation;
  if (!Measurable(o.action()) || m.load == nullptr || m.baseline_kw <= 0) return out;
  const std::vector<LoadSample>& load = *m.load;
  const int64_t ws = w.start_us;
  const int64_t we = std::min(w.end_us, Micros(judged_until));
  const int64_t interval = m.interval_minutes * kMicrosPerMinute;
  if (we - ws < interval) return out;
  const bool stop = o.action() == v1::STOP || o.action() == v1::RECTIFY;
  const int64_t bridge = static_cast<int64_t>(p.bridge_gap_minutes) * kMicrosPerMinute;
  double fraction;
  std::string rule;
  if (stop) {
    fraction = p.stop_threshold_percent / 100;
    rule = absl::StrFormat(
        "VF1 停产（T75）：措施开始 %d 分钟后（grace_minutes），负荷不高于基准负荷的 %.0f%%"
        "（stop_threshold_percent）；连续超出 %s 及以上为违规；超标读数之间不超过 %d 分钟的缺测"
        "按连续计（bridge_gap_minutes）",
        p.grace_minutes, p.stop_threshold_percent,
        Duration(p.co_running_min_minutes * kMicrosPerMinute), p.bridge_gap_minutes);
  } else {
    const double allowed = AllowedShare(o);
    fraction = allowed * (1 + p.limit_tolerance_percent / 100);
    rule = absl::StrFormat(
        "VF1 %s %.0f%%（T75）：措施开始 %d 分钟后（grace_minutes），每日平均负荷不高于基准负荷的 "
        "%.0f%% × %.0f%% 容差（limit_tolerance_percent）",
        ChineseLabel(v1::Action_Name(o.action())), o.percent(), p.grace_minutes, allowed * 100,
        100 + p.limit_tolerance_percent);
  }
  const double threshold_kw = fraction * m.baseline_kw;
  const std::string obligation = ObligationRef(o);
  const std::string context =
      absl::StrCat(LevelText(o), "期间", ChineseLabel(v1::Action_Name(o.action())),
                   o.percent() > 0 ? absl::StrFormat(" %.0f%%", o.percent()) : "", "：",
                   o.resource_name().empty() ? o.resource() : o.resource_name());
  auto draft = [&](v1::FindingType type, int64_t start, int64_t end) {
    FindingDraft f = Draft(type, m.enterprise, m.name, start, end);
    f.set_obligation(obligation);
    SetWindow(&f, w, we, p);
    f.set_baseline_version(m.baseline_version);
    return f;
  };

  // Completeness of the whole window (T81, T83).
  auto [wlo, whi] = Range(load, ws, we);
  const int64_t expected = (we - ws) / interval;
  const double completeness = 100.0 * static_cast<double>(whi - wlo) / expected;
  if (completeness + 1e-9 < p.min_completeness_percent) {
    FindingDraft f = draft(v1::DATA_GAP, ws, we);
    f.set_rule(absl::StrFormat(
        "VF3 数据完整性（T81、T83）：应有的 %d 分钟时段中至少 %.0f%% 有读数"
        "（min_completeness_percent）；低于此比例的时段不视为合规，已有读数照常核查",
        m.interval_minutes, p.min_completeness_percent));
    f.set_measured(completeness);
    f.set_threshold(p.min_completeness_percent);
    f.set_unit("%");
    f.set_summary(absl::StrFormat("%s 自 %s 起应有 %d 条读数，实有 %d 条（%.1f%%）；%s", Label(m),
                                  At(ws), expected, whi - wlo, completeness, context));
    *f.mutable_evidence() = MeterEvidence(m.name, load, ws, we,
                                          absl::StrCat("缺测 ", expected - (whi - wlo), " 个时段"));
    out.push_back(std::move(f));
  }

  // Grace counts from the obligation's own start (a piece that begins later,
  // where a stricter obligation ended, gets none of its own).
  const int64_t judge_from =
      std::max(ws, Micros(FromTimestamp(o.window_start())) + p.grace_minutes * kMicrosPerMinute);
  if (judge_from >= we) return out;

  if (stop) {
    // Stretches of readings above the threshold, bridging short gaps between
    // readings in breach, long enough to count.
    const int64_t min_len =
        std::max<int64_t>(interval, p.co_running_min_minutes * kMicrosPerMinute);
    auto [lo, hi] = Range(load, judge_from, we);
    size_t i = lo;
    while (i < hi) {
      if (load[i].kw <= threshold_kw) {
        ++i;
        continue;
      }
      size_t j = i;
      double sum = 0;
      int64_t bridged = 0;
      while (j < hi && load[j].kw > threshold_kw &&
             (j == i || load[j].t_us - load[j - 1].t_us <= interval + bridge)) {
        if (j > i) bridged += (load[j].t_us - load[j - 1].t_us - interval) / interval;
        sum += load[j].kw;
        ++j;
      }
      const int64_t start = std::max(load[i].t_us - interval, judge_from);
      const int64_t end = load[j - 1].t_us;
      if (end - start >= min_len) {
        const double mean = sum / (j - i);
        FindingDraft f = draft(v1::STOP_NOT_KEPT, start, end);
        f.set_rule(rule);
        f.set_measured(mean);
        f.set_threshold(threshold_kw);
        f.set_unit("kW");
        f.set_summary(absl::StrFormat(
            "%s 自 %s 起 %s 平均负荷 %s，为%s的 %.0f%%，未按要求停产；%s%s", Label(m), At(start),
            Duration(end - start), Kw(mean), BaselineText(m), 100 * mean / m.baseline_kw, context,
            bridged > 0 ? absl::StrFormat("；其间 %d 个缺测时段两侧均超标，按连续计", bridged)
                        : ""));
        *f.mutable_evidence() =
            MeterEvidence(m.name, load, start, end,
                          absl::StrFormat("%d 个时段高于 %s，%d 个缺测时段按连续计", j - i,
                                          Kw(threshold_kw), bridged));
        out.push_back(std::move(f));
      }
      i = j;
    }
  }

  // Per China day, the mean load against a limit (on the readings there are).
  struct Day {
    int64_t start, end;
    bool broken;
    double sum;
    int64_t n;
  };
  std::vector<Day> days;
  for (int64_t s = judge_from; s < we;) {
    const int64_t e = std::min(NextChinaMidnight(s), we);
    const int64_t exp = (e - s) / interval;
    if (exp >= 1) {
      auto [lo, hi] = Range(load, s, e);
      double sum = 0;
      for (size_t i = lo; i < hi; ++i) sum += load[i].kw;
      const int64_t n = static_cast<int64_t>(hi - lo);
      const bool broken = !stop && n > 0 && sum / n > threshold_kw + 1e-9;
      days.push_back({s, e, broken, sum, n});
    }
    s = e;
  }
  for (size_t i = 0; i < days.size();) {
    size_t j = i;
    if (days[i].broken) {
      double sum = 0;
      int64_t n = 0;
      while (j < days.size() && days[j].broken) {
        sum += days[j].sum;
        n += days[j].n;
        ++j;
      }
      const double mean = sum / n;
      const int64_t start = days[i].start, end = days[j - 1].end;
      FindingDraft f = draft(v1::LIMIT_EXCEEDED, start, end);
      f.set_rule(rule);
      f.set_measured(mean);
      f.set_threshold(threshold_kw);
      f.set_unit("kW");
      f.set_summary(absl::StrFormat("%s 自 %s 起 %s 平均负荷 %s，为%s的 %.0f%%，超过允许的 %s；%s",
                                    Label(m), At(start), Duration(end - start), Kw(mean),
                                    BaselineText(m), 100 * mean / m.baseline_kw, Kw(threshold_kw),
                                    context));
      *f.mutable_evidence() = MeterEvidence(m.name, load, start, end,
                                            absl::StrFormat("%d 个时段，平均 %s", n, Kw(mean)));
      out.push_back(std::move(f));
    } else {
      ++j;
    }
    i = std::max(j, i + 1);
  }
  return out;
}

int DetectClockOffset(const MeterLoad& m, const std::vector<EffectiveWindow>& windows,
                      absl::Time from, absl::Time to, const VerificationParams& p,
                      std::pair<double, double>* agreement) {
  if (agreement != nullptr) *agreement = {0, 0};
  if (m.load == nullptr || m.baseline_kw <= 0 || m.load->empty()) return 0;
  const std::vector<LoadSample>& load = *m.load;
  const int64_t interval = m.interval_minutes * kMicrosPerMinute;
  const int64_t max_shift = p.clock_offset_max_hours * 60 * kMicrosPerMinute;
  // What a window lets the load reach: a stop's threshold, a limit's or
  // cap's allowance with its tolerance. The line a span is judged by: a
  // stop's threshold; for a limit or cap, halfway between its allowance and
  // the full baseline, so that a plant running normally outside the window
  // and within its limit inside it falls clearly on either side.
  auto level_of = [&](const EffectiveWindow& w) {
    const double allowed = AllowedShare(w.obligation);
    return allowed <= 0 ? m.baseline_kw * p.stop_threshold_percent / 100
                        : m.baseline_kw * allowed * (1 + p.limit_tolerance_percent / 100);
  };
  auto line_of = [&](const EffectiveWindow& w) {
    return AllowedShare(w.obligation) <= 0 ? level_of(w) : (level_of(w) + m.baseline_kw) / 2;
  };
  // Judged around the windows that make the load move: a day either side
  // of each stop (the whole stop between), where the load must move when it
  // begins and ends. Only windows that ended before the data does: with one
  // edge seen, a plant that ignored the start of its stop looks like a clock
  // running late, and would escape its finding. A meter no stop binds is judged around its limits
  // that allow at most 90% of the baseline, a day either side of each edge (so that a season-long
  // limit does not drown its edges); one a stop binds, only around its stops.
  struct Span {
    int64_t a, b;
    double line;
    bool stop;
  };
  const int64_t day = 24 * 60 * kMicrosPerMinute;
  std::vector<Span> spans;
  for (const EffectiveWindow& w : windows) {
    if (AllowedShare(w.obligation) > 0 || w.end_us >= Micros(to)) continue;
    spans.push_back({std::max(Micros(from), w.start_us - day), std::min(Micros(to), w.end_us + day),
                     level_of(w), true});
  }
  // A stop still in force when the data ends shows one edge only, whatever
  // limits lie around it: the limits' edges beside it would let a plant
  // running through the stop's first hours pass for a late clock. Such a
  // meter is judged for its clock once the stop has ended.
  bool stop_binds = false;
  for (const EffectiveWindow& w : windows) {
    stop_binds = stop_binds || (AllowedShare(w.obligation) <= 0 && w.start_us < Micros(to) &&
                                w.end_us > Micros(from));
  }
  if (spans.empty() && !stop_binds) {
    for (const EffectiveWindow& w : windows) {
      if (level_of(w) > 0.9 * m.baseline_kw || w.end_us >= Micros(to)) continue;
      for (int64_t edge : {w.start_us, w.end_us}) {
        if (edge - day >= Micros(to) || edge + day <= Micros(from)) continue;
        spans.push_back({std::max(Micros(from), edge - day), std::min(Micros(to), edge + day),
                         line_of(w), false});
      }
    }
  }
  if (spans.empty()) return 0;
  // What binds the interval ending at t lets the load reach (none: infinity).
  auto level_at = [&](int64_t t) {
    double level = std::numeric_limits<double>::infinity();
    for (const EffectiveWindow& w : windows) {
      if (t > w.start_us && t <= w.end_us) level = std::min(level, level_of(w));
    }
    return level;
  };
  auto stopped_at = [&](int64_t t) {
    for (const EffectiveWindow& w : windows) {
      if (AllowedShare(w.obligation) == 0 && t > w.start_us && t <= w.end_us) return true;
    }
    return false;
  };
  // What binds is known only within (from, to]: `windows` end where the
  // data does (the verifier clips them there), and nothing in them says
  // what binds after it. A reading is scored only where it lands within
  // (from, to] at every shift tried, so that every shift is scored on the
  // same readings: otherwise a plant running through the start of a limit
  // still in force when the data ends (a covering meter's share of a stop)
  // would agree with "nothing binds" once shifted past the data's end, pass
  // for a late clock and escape its finding; and a run whose windows reach
  // further (a live run's) would judge it otherwise than one whose do not.
  const int64_t known_from = Micros(from) + max_shift, known_to = Micros(to) - max_shift;
  auto score = [&](int64_t shift) {
    int64_t agree = 0, n = 0;
    for (const Span& s : spans) {
      auto [lo, hi] = Range(load, std::max(s.a, known_from), std::min(s.b, known_to));
      for (size_t i = lo; i < hi; ++i) {
        // Around a stop: stopped intervals at or below the threshold, the
        // others above it (a compliant plant runs outside its stops). Around
        // a limit: intervals bound to stay under the line under it; those
        // free (or allowed at least 20% more than the line) above it; one
        // allowed just above the line says nothing.
        bool below;
        if (s.stop) {
          below = stopped_at(load[i].t_us + shift);
        } else {
          const double level = level_at(load[i].t_us + shift);
          below = level <= s.line + 1e-9;
          if (!below && level < 1.2 * s.line) continue;
        }
        ++n;
        if ((load[i].kw <= s.line) == below) ++agree;
      }
    }
    return n == 0 ? 0.0 : 100.0 * agree / n;
  };
  const double at_zero = score(0);
  int best = 0;
  double best_score = at_zero;
  for (int64_t shift = -max_shift; shift <= max_shift; shift += 60 * kMicrosPerMinute) {
    if (shift == 0 || shift % interval != 0) continue;
    const double sc = score(shift);
    if (sc > best_score + 1e-9) {
      best_score = sc;
      best = static_cast<int>(shift / (60 * kMicrosPerMinute));
    }
  }
  if (agreement != nullptr) *agreement = {at_zero, best_score};
  if (best != 0 && best_score - at_zero + 1e-9 >= p.clock_offset_min_gain_percent &&
      best_score + 1e-9 >= p.clock_offset_min_agreement_percent) {
    return best;
  }
  return 0;
}

std::vector<FindingDraft> CheckCoRunning(const MeterLoad& production, const MeterLoad& treatment,
                                         absl::Time from, absl::Time to,
                                         const VerificationParams& p) {
  std::vector<FindingDraft> out;
  if (production.load == nullptr || treatment.load == nullptr || production.baseline_kw <= 0 ||
      treatment.baseline_kw <= 0) {
    return out;
  }
  const auto& pl = *production.load;
  const auto& tl = *treatment.load;
  const double p_on = production.baseline_kw * p.production_on_percent / 100;
  const double t_on = treatment.baseline_kw * p.treatment_on_percent / 100;
  const int64_t p_interval = production.interval_minutes * kMicrosPerMinute;
  const int64_t t_interval = treatment.interval_minutes * kMicrosPerMinute;
  const int64_t bridge = static_cast<int64_t>(p.bridge_gap_minutes) * kMicrosPerMinute;
  const int64_t min_len =
      std::max<int64_t>(p_interval, p.co_running_min_minutes * kMicrosPerMinute);
  auto [plo, phi] = Range(pl, Micros(from), Micros(to));
  // Each production interval, with what the treatment meter says of it.
  enum class Treatment { kOn, kOff, kSilent };
  struct Slot {
    int64_t t;
    bool production_on;
    Treatment treatment;
    double p_kw, t_kw;
  };
  std::vector<Slot> slots;
  slots.reserve(phi - plo);
  size_t j = 0;
  for (size_t i = plo; i < phi; ++i) {
    const int64_t t = pl[i].t_us;
    // The treatment reading whose interval overlaps (t - p_interval, t].
    while (j < tl.size() && tl[j].t_us <= t - p_interval) ++j;
    Slot s{t, pl[i].kw > p_on, Treatment::kSilent, pl[i].kw, 0};
    if (j < tl.size() && tl[j].t_us - t_interval < t) {
      s.treatment = tl[j].kw <= t_on ? Treatment::kOff : Treatment::kOn;
      s.t_kw = tl[j].kw;
    }
    slots.push_back(s);
  }
  auto bad = [](const Slot& s) { return s.production_on && s.treatment != Treatment::kOn; };
  const std::string rule = absl::StrFormat(
      "VF1 治污设施同步运行（T75）：生产电表运行时（高于其基准负荷的 %.0f%%，"
      "production_on_percent），治污电表须运行（高于其基准负荷的 %.0f%%，treatment_on_percent）"
      "并有读数；停运或无数据持续 %s 及以上为违规（co_running_min_minutes）；超标时段之间不超过 "
      "%d 分钟的生产缺测按连续计（bridge_gap_minutes）",
      p.production_on_percent, p.treatment_on_percent, Duration(min_len), p.bridge_gap_minutes);
  for (size_t i = 0; i < slots.size();) {
    if (!bad(slots[i])) {
      ++i;
      continue;
    }
    size_t k = i;
    double psum = 0, tsum = 0;
    int64_t off = 0, silent = 0;
    while (k < slots.size() && bad(slots[k]) &&
           (k == i || slots[k].t - slots[k - 1].t <= p_interval + bridge)) {
      psum += slots[k].p_kw;
      if (slots[k].treatment == Treatment::kOff) {
        ++off;
        tsum += slots[k].t_kw;
      } else {
        ++silent;
      }
      ++k;
    }
    const int64_t start = slots[i].t - p_interval, end = slots[k - 1].t;
    if (end - start >= min_len) {
      const double n = static_cast<double>(k - i);
      const bool was_off = off > 0;
      FindingDraft f = Draft(was_off ? v1::TREATMENT_OFF : v1::TREATMENT_SILENT,
                             treatment.enterprise, treatment.name, start, end);
      f.set_rule(rule);
      f.set_obligation(production.name);
      f.set_baseline_version(treatment.baseline_version);
      if (was_off) {
        f.set_measured(tsum / off);
        f.set_threshold(t_on);
        f.set_unit("kW");
        f.set_summary(absl::StrFormat(
            "%s 自 %s 起 %s 停运（平均 %s，运行应高于 %s），同期 %s 平均负荷 %s%s",
            Label(treatment), At(start), Duration(end - start), Kw(tsum / off), Kw(t_on),
            Label(production), Kw(psum / n),
            silent > 0 ? absl::StrFormat("（其中 %d 个时段治污电表无读数）", silent) : ""));
      } else {
        f.set_measured(static_cast<double>(end - start) / kMicrosPerMinute);
        f.set_threshold(p.co_running_min_minutes);
        f.set_unit("min");
        f.set_summary(absl::StrFormat("%s 自 %s 起 %s 无读数，同期 %s 平均负荷 %s",
                                      Label(treatment), At(start), Duration(end - start),
                                      Label(production), Kw(psum / n)));
      }
      *f.mutable_evidence() =
          MeterEvidence(treatment.name, tl, start, end,
                        absl::StrFormat("%d 个时段：停运 %d，无读数 %d；生产电表 %s 平均 %s", k - i,
                                        off, silent, production.name, Kw(psum / n)));
      out.push_back(std::move(f));
    }
    i = k;
  }
  return out;
}

std::string StageName(v1::EmissionStage s) {
  static const char* const kNames[] = {"排放阶段不明", "国0", "国I",  "国II", "国III",
                                       "国IV",         "国V", "国VI", "电动"};
  return s >= 0 && s <= v1::ELECTRIC ? kNames[s] : "排放阶段不明";
}

namespace {

FindingDraft PassageDraft(v1::FindingType type, const Passage& p) {
  FindingDraft f = Draft(type, p.enterprise, p.camera, p.t_us, p.t_us);
  f.set_photo(p.photo);
  v1::Evidence* e = f.mutable_evidence();
  e->set_source(p.camera);
  *e->mutable_from() = ToTimestamp(FromMicros(p.t_us));
  *e->mutable_to() = ToTimestamp(FromMicros(p.t_us));
  e->set_rows(1);
  e->set_sha256(Sha256Hex(absl::StrCat(p.camera, " ", p.t_us, " ", p.plate, " ", p.direction)));
  e->set_detail(absl::StrCat(p.plate, " ", ChineseLabel(v1::GateDirection_Name(p.direction)),
                             p.photo.empty() ? "" : absl::StrCat("，照片 ", p.photo)));
  return f;
}

}  // namespace

v1::TransportRule StricterTransport(v1::TransportRule a, v1::TransportRule b) {
  return TransportRank(a) >= TransportRank(b) ? a : b;
}

std::vector<FindingDraft> CheckPassage(const Passage& passage, const VehicleFacts* vehicle,
                                       const v1::Obligation* in_force,
                                       const VerificationParams& params) {
  std::vector<FindingDraft> out;
  const std::string when = absl::FormatTime("%Y-%m-%d %H:%M", FromMicros(passage.t_us), China());
  // Goods vehicles must be in the registry; staff cars and buses are not kept there.
  if (vehicle == nullptr && passage.vehicle_class != v1::PASSENGER) {
    FindingDraft f = PassageDraft(v1::UNKNOWN_PLATE, passage);
    f.set_rule("VF2（T80）：进出重点企业门禁的车辆均应在名录中登记");
    f.set_summary(absl::StrCat("车牌 ", passage.plate, " 于 ", when, " 经", Gate(passage.camera),
                               "（", ChineseLabel(v1::GateDirection_Name(passage.direction)),
                               "），未在名录中登记"));
    out.push_back(std::move(f));
  }
  const v1::VehicleClass cls = vehicle ? vehicle->vehicle_class : passage.vehicle_class;
  if (cls != v1::HEAVY_GOODS || in_force == nullptr) return out;
  const v1::TransportRule rule = in_force->transport();
  const std::string day = ChinaDayOf(FromMicros(passage.t_us));
  const v1::EmissionStage stage = vehicle ? vehicle->stage : v1::EMISSION_STAGE_UNSPECIFIED;
  std::string why;
  switch (rule) {
    case v1::HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY: {
      const VehicleFacts::Whitelisting* listed = nullptr;
      if (vehicle != nullptr) {
        for (const auto& w : vehicle->whitelist) {
          if (w.enterprise == passage.enterprise && w.valid_from <= day && day <= w.valid_until) {
            listed = &w;
            break;
          }
        }
      }
      const bool stage_ok = stage >= params.truck_min_stage;
      if (!stage_ok) {
        why = absl::StrCat("排放阶段 ", StageName(stage), " 低于 ",
                           StageName(params.truck_min_stage));
      } else if (listed == nullptr) {
        why = absl::StrCat(day, " 不在该企业保障安全生产、民生、特殊产品或港口运输的车辆白名单内");
      }
      break;
    }
    case v1::NO_CHINA4_OR_OLDER_HEAVY_TRUCKS:
      if (stage <= v1::CHINA_4) why = absl::StrCat("排放阶段 ", StageName(stage), "，为国IV及以下");
      break;
    case v1::NO_ROAD_TRANSPORT:
      why = "禁止一切公路运输";
      break;
    default:
      break;
  }
  if (why.empty()) return out;
  FindingDraft f = PassageDraft(v1::BANNED_TRUCK, passage);
  f.set_rule(absl::StrCat("VF2 运输（T79）：", LevelText(*in_force), "期间",
                          ChineseLabel(v1::TransportRule_Name(rule)), "；排放阶段下限 ",
                          StageName(params.truck_min_stage), "（truck_min_stage）"));
  f.set_obligation(ObligationRef(*in_force));
  // The stage is a name, not a measure: no measured/threshold numbers.
  f.set_emission_stage(StageName(stage));
  f.set_summary(absl::StrCat("重型货车 ", passage.plate, "（", StageName(stage), "）于 ", when,
                             LevelText(*in_force), "期间经", Gate(passage.camera),
                             passage.direction == v1::EXIT ? " 出厂" : " 进厂", "：", why,
                             passage.photo.empty() ? "" : absl::StrCat("；照片 ", passage.photo)));
  out.push_back(std::move(f));
  return out;
}

std::vector<FindingDraft> CheckLedger(const std::vector<Passage>& passages,
                                      const std::vector<LedgerEntry>& ledger,
                                      const std::vector<const VehicleFacts*>& passage_vehicles,
                                      absl::Duration tolerance) {
  std::vector<FindingDraft> out;
  const int64_t tol = absl::ToInt64Microseconds(tolerance);
  // Rows by (enterprise, plate, direction), in time order; matched flags.
  std::map<std::tuple<std::string, std::string, int>, std::vector<size_t>> rows;
  for (size_t i = 0; i < ledger.size(); ++i) {
    rows[{ledger[i].enterprise, ledger[i].plate, ledger[i].direction}].push_back(i);
  }
  for (auto& [key, v] : rows) {
    std::sort(v.begin(), v.end(),
              [&](size_t a, size_t b) { return ledger[a].t_us < ledger[b].t_us; });
  }
  std::vector<bool> matched(ledger.size(), false);
  std::vector<size_t> order(passages.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return passages[a].t_us < passages[b].t_us; });
  for (size_t i : order) {
    const Passage& p = passages[i];
    const VehicleFacts* v = passage_vehicles[i];
    // Diesel trucks the registry knows (unknown plates are reported as such).
    if (v == nullptr || v->fuel != v1::DIESEL || v->vehicle_class != v1::HEAVY_GOODS) continue;
    auto it = rows.find({p.enterprise, p.plate, p.direction});
    bool found = false;
    if (it != rows.end()) {
      for (size_t r : it->second) {
        if (!matched[r] && std::llabs(ledger[r].t_us - p.t_us) <= tol) {
          matched[r] = true;
          found = true;
          break;
        }
      }
    }
    if (found) continue;
    FindingDraft f = PassageDraft(v1::LEDGER_ROW_MISSING, p);
    f.set_rule(absl::StrCat("VF2 台账（T80）：柴油货车每次进出均应有当日台账记录（前后 ",
                            Duration(absl::ToInt64Microseconds(tolerance)), " 内）"));
    f.set_summary(absl::StrCat("柴油货车 ", p.plate, " 于 ", At(p.t_us), " 经", Gate(p.camera),
                               "（", ChineseLabel(v1::GateDirection_Name(p.direction)),
                               "），没有对应的台账记录"));
    out.push_back(std::move(f));
  }
  for (size_t r = 0; r < ledger.size(); ++r) {
    if (matched[r]) continue;
    const LedgerEntry& l = ledger[r];
    FindingDraft f = Draft(v1::PASSAGE_MISSING, l.enterprise, l.enterprise, l.t_us, l.t_us);
    f.set_rule(absl::StrCat("VF2 台账（T80）：每条台账记录均应有门禁抓拍（前后 ",
                            Duration(absl::ToInt64Microseconds(tolerance)), " 内）"));
    f.set_summary(absl::StrCat("台账记录 ", l.plate, "（",
                               ChineseLabel(v1::GateDirection_Name(l.direction)), "，", At(l.t_us),
                               "）没有对应的门禁抓拍"));
    v1::Evidence* e = f.mutable_evidence();
    e->set_source(absl::StrCat(l.enterprise, " 台账"));
    *e->mutable_from() = ToTimestamp(FromMicros(l.t_us));
    *e->mutable_to() = ToTimestamp(FromMicros(l.t_us));
    e->set_rows(1);
    e->set_sha256(
        Sha256Hex(absl::StrCat(l.enterprise, " ", l.plate, " ", l.t_us, " ", l.direction)));
    e->set_detail(l.plate);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<FindingDraft> CheckCameraSilence(const std::string& camera,
                                             const std::string& enterprise,
                                             const std::vector<int64_t>& times, absl::Time from,
                                             absl::Time to, const VerificationParams& params) {
  std::vector<FindingDraft> out;
  const int64_t limit = params.camera_silence_hours * 60 * kMicrosPerMinute;
  int64_t last = Micros(from);
  auto gap = [&](int64_t start, int64_t end, int64_t rows_before) {
    if (end - start <= limit) return;
    FindingDraft f = Draft(v1::CAMERA_SILENT, enterprise, camera, start, end);
    f.set_rule(
        absl::StrFormat("VF2（T80）：重点企业门禁摄像头应连续记录；超过 %d "
                        "小时无记录为异常（camera_silence_hours）",
                        params.camera_silence_hours));
    f.set_measured(static_cast<double>(end - start) / (60 * kMicrosPerMinute));
    f.set_threshold(params.camera_silence_hours);
    f.set_unit("h");
    f.set_summary(
        absl::StrCat(Gate(camera), " 自 ", At(start), " 起 ", Duration(end - start), " 无记录"));
    v1::Evidence* e = f.mutable_evidence();
    e->set_source(camera);
    *e->mutable_from() = ToTimestamp(FromMicros(start));
    *e->mutable_to() = ToTimestamp(FromMicros(end));
    e->set_rows(0);
    e->set_sha256(
        Sha256Hex(absl::StrCat(camera, " silent ", start, " ", end, " after ", rows_before)));
    out.push_back(std::move(f));
  };
  int64_t n = 0;
  for (int64_t t : times) {
    if (t < Micros(from) || t >= Micros(to)) continue;
    gap(last, t, n++);
    last = t;
  }
  gap(last, Micros(to), n);
  return out;
}

std::string Fingerprint(const v1::Finding& f) {
  // What was found and on which obligation window: nothing of the run that
  // found it (its range, its time), so that any runs find the same.
  return Sha256Hex(absl::StrCat(
      f.type(), "|", f.scope(), "|", f.window_start().seconds(), "|", f.window_end().seconds(), "|",
      f.rule(), "|", f.obligation(), "|", f.obligation_start().seconds(), "|",
      f.obligation_window_start().seconds(), "|", f.obligation_window_end().seconds()));
}

}  // namespace cuofeng
