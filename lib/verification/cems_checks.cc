#include "lib/verification/cems_checks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"

namespace cuofeng {
namespace {

constexpr int64_t kMinute = 60 * 1000000LL;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kChinaOffset = 8 * kHour;

const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// The China midnight at or before `us`, and the next one after it.
int64_t ChinaMidnight(int64_t us) {
  const int64_t local = us + kChinaOffset;
  const int64_t day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  return day * kDay - kChinaOffset;
}

// Whole minutes in [a, b): the count of minute starts t with a <= t < b on
// the minute grid.
int64_t MinutesIn(int64_t a, int64_t b) {
  if (b <= a) return 0;
  auto ceil_min = [](int64_t us) {
    return us >= 0 ? (us + kMinute - 1) / kMinute : -((-us) / kMinute);
  };
  return ceil_min(b) - ceil_min(a);
}

std::string At(int64_t us) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(us), China());
}

// SpanZh is a span as users read it: "3 天", "2 小时 5 分钟", "45 分钟".
std::string SpanZh(int64_t us) {
  const int64_t m = us / kMinute;
  if (m >= 24 * 60 && m % (24 * 60) == 0) return absl::StrCat(m / (24 * 60), " 天");
  if (m >= 60 && m % 60 == 0) return absl::StrCat(m / 60, " 小时");
  if (m >= 60) return absl::StrCat(m / 60, " 小时 ", m % 60, " 分钟");
  return absl::StrCat(m, " 分钟");
}

std::string Label(const CemsPoint& p) { return p.label.empty() ? p.name : p.label; }

// Minutes with start in [a, b), as an index range.
std::pair<size_t, size_t> Range(const std::vector<CemsMinute>& m, int64_t a, int64_t b) {
  auto lo = std::lower_bound(m.begin(), m.end(), a,
                             [](const CemsMinute& x, int64_t v) { return x.t_us < v; });
  auto hi = std::lower_bound(m.begin(), m.end(), b,
                             [](const CemsMinute& x, int64_t v) { return x.t_us < v; });
  return {static_cast<size_t>(lo - m.begin()), static_cast<size_t>(hi - m.begin())};
}

// The evidence of a finding on a point: its minutes in [a, b) and a hash of them.
v1::Evidence PointEvidence(const CemsPoint& p, const std::vector<CemsMinute>& m, int64_t a,
                           int64_t b, std::string detail) {
  auto [lo, hi] = Range(m, a, b);
  std::string canonical;
  for (size_t i = lo; i < hi; ++i) {
    absl::StrAppend(&canonical, m[i].t_us);
    for (int c = 0; c < kCemsCodes; ++c) {
      if (std::isnan(m[i].value[c])) continue;
      absl::StrAppendFormat(&canonical, " %s=%.6f%c", CemsCodeOf(c), m[i].value[c],
                            m[i].flag[c] ? m[i].flag[c] : '-');
    }
    canonical += '\n';
  }
  v1::Evidence e;
  e.set_source(p.name);
  *e.mutable_from() = ToTimestamp(absl::FromUnixMicros(a));
  *e.mutable_to() = ToTimestamp(absl::FromUnixMicros(b));
  e.set_rows(static_cast<int64_t>(hi - lo));
  e.set_sha256(Sha256Hex(canonical));
  e.set_detail(std::move(detail));
  return e;
}

FindingDraft Draft(v1::FindingType type, const CemsPoint& p, int64_t a, int64_t b) {
  FindingDraft f;
  f.set_type(type);
  f.set_enterprise(p.enterprise);
  f.set_scope(p.name);
  *f.mutable_window_start() = ToTimestamp(absl::FromUnixMicros(a));
  *f.mutable_window_end() = ToTimestamp(absl::FromUnixMicros(b));
  f.set_status(v1::OPEN);
  CountSupportingSources(&f);
  return f;
}

std::string ObligationRef(const v1::Obligation& o) {
  std::string ref = o.entry();
  if (!o.alert().empty()) absl::StrAppend(&ref, " + ", o.alert(), "@", o.alert_revision());
  return ref;
}

// A window's obligation in Chinese, for the findings' summaries:
// "停产（橙色预警）", "限产 50%（错峰生产期）".
std::string ChineseWindow(const v1::Obligation& o) {
  std::string action = ChineseLabel(v1::Action_Name(o.action()));
  if (o.percent() > 0) absl::StrAppend(&action, absl::StrFormat(" %.0f%%", o.percent()));
  const std::string when = o.level() != v1::ALERT_LEVEL_UNSPECIFIED
                               ? absl::StrCat(ChineseLabel(v1::AlertLevel_Name(o.level())), "预警")
                               : (o.in_staggered_period() ? "错峰生产期" : "采暖季");
  return absl::StrCat(action, "（", when, "）");
}

void SetWindow(FindingDraft* f, const EffectiveWindow& w, int64_t judged_until, int grace) {
  f->set_obligation(ObligationRef(w.obligation));
  *f->mutable_obligation_start() = w.obligation.window_start();
  *f->mutable_obligation_window_start() = ToTimestamp(absl::FromUnixMicros(w.start_us));
  *f->mutable_obligation_window_end() =
      ToTimestamp(absl::FromUnixMicros(std::min(w.end_us, judged_until)));
  f->set_grace_minutes(grace);
}

bool Running(char flag) { return flag == 'N' || flag == 'T'; }

// A usable flow value: present and not flagged M, S, D, C or B.
bool UsableFlow(const CemsMinute& m) {
  const char f = m.flag[kCemsFlow];
  return !std::isnan(m.value[kCemsFlow]) && (f == 0 || f == 'N' || f == 'F' || f == 'T');
}

}  // namespace

CemsMinute::CemsMinute() {
  value.fill(std::numeric_limits<double>::quiet_NaN());
  flag.fill(0);
}

const char* CemsCodeOf(int c) {
  static const char* const kCodes[] = {"a34013", "a21026", "a21002", "a00000", "a19001"};
  return c >= 0 && c < kCemsCodes ? kCodes[c] : "";
}

const char* CemsCodeName(int c) {
  static const char* const kNames[] = {"颗粒物", "二氧化硫", "氮氧化物", "废气流量", "氧含量"};
  return c >= 0 && c < kCemsCodes ? kNames[c] : "";
}

const char* CemsCodeUnit(int c) {
  static const char* const kUnits[] = {"mg/m³", "mg/m³", "mg/m³", "m³/h", "%"};
  return c >= 0 && c < kCemsCodes ? kUnits[c] : "";
}

int CemsCodeIndex(const std::string& code) {
  for (int c = 0; c < kCemsCodes; ++c) {
    if (code == CemsCodeOf(c)) return c;
  }
  return -1;
}

bool ValidMinute(const CemsMinute& m) {
  bool any = false;
  for (int c = 0; c < kCemsCodes; ++c) {
    if (std::isnan(m.value[c])) continue;
    any = true;
    const char f = m.flag[c];
    if (f == 'M' || f == 'S' || f == 'D' || f == 'C' || f == 'B') return false;
  }
  return any;
}

CemsParams ResolveCemsParams(const v1::VerificationParameters& p, const v1::Thresholds& t) {
  CemsParams r;
  if (t.cems_min_transmission_percent() > 0)
    r.min_transmission_percent = t.cems_min_transmission_percent();
  if (p.cems_flow_stop_percent() > 0) r.flow_stop_percent = p.cems_flow_stop_percent();
  if (p.cems_constant_minutes() > 0) r.constant_minutes = p.cems_constant_minutes();
  if (p.cems_repeat_min_minutes() > 0) r.repeat_min_minutes = p.cems_repeat_min_minutes();
  if (p.cems_hour_min_minutes() > 0) r.hour_min_minutes = p.cems_hour_min_minutes();
  if (p.grace_minutes() > 0) r.grace_minutes = p.grace_minutes();
  if (p.co_running_min_minutes() > 0) r.co_running_min_minutes = p.co_running_min_minutes();
  if (p.bridge_gap_minutes() > 0) r.bridge_gap_minutes = p.bridge_gap_minutes();
  if (p.baseline_reference_days() > 0) r.baseline_reference_days = p.baseline_reference_days();
  if (p.material_balance_tolerance_percent() > 0) {
    r.material_tolerance_percent = p.material_balance_tolerance_percent();
  } else if (p.limit_tolerance_percent() > 0) {
    r.material_tolerance_percent = p.limit_tolerance_percent();
  }
  if (p.material_balance_min_reference_days() > 0)
    r.material_min_reference_days = p.material_balance_min_reference_days();
  return r;
}

std::vector<FindingDraft> CheckTransmission(const CemsPoint& point,
                                            const std::vector<CemsMinute>& minutes, absl::Time from,
                                            absl::Time to, const CemsParams& params) {
  std::vector<FindingDraft> out;
  const int64_t a = Micros(from), b = Micros(to);
  if (b <= a) return out;
  struct Day {
    int64_t start, end, expected, valid;
  };
  std::vector<Day> days;
  int64_t all_expected = 0, all_valid = 0;
  for (int64_t s = a; s < b;) {
    const int64_t e = std::min(ChinaMidnight(s) + kDay, b);
    Day d{s, e, MinutesIn(s, e), 0};
    auto [lo, hi] = Range(minutes, s, e);
    for (size_t i = lo; i < hi; ++i) d.valid += ValidMinute(minutes[i]) ? 1 : 0;
    if (d.expected > 0) days.push_back(d);
    all_expected += d.expected;
    all_valid += d.valid;
    s = e;
  }
  auto low = [&](int64_t valid, int64_t expected) {
    return expected > 0 && 100.0 * valid / expected + 1e-9 < params.min_transmission_percent;
  };
  const std::string rule_day = absl::StrFormat(
      "T81 数据传输有效率（按北京时间自然日）：每日有效传输的分钟（标记 "
      "N、F、T）不少于当日分钟数的 "
      "%.0f%%（cems_min_transmission_percent）",
      params.min_transmission_percent);
  for (size_t i = 0; i < days.size();) {
    if (!low(days[i].valid, days[i].expected)) {
      ++i;
      continue;
    }
    size_t j = i;
    int64_t expected = 0, valid = 0;
    std::vector<std::string> per_day;
    while (j < days.size() && low(days[j].valid, days[j].expected)) {
      expected += days[j].expected;
      valid += days[j].valid;
      per_day.push_back(absl::StrFormat(
          "%s %.1f%%", absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(days[j].start), China()),
          100.0 * days[j].valid / days[j].expected));
      ++j;
    }
    const double pct = 100.0 * valid / expected;
    FindingDraft f = Draft(v1::CEMS_TRANSMISSION_LOW, point, days[i].start, days[j - 1].end);
    f.set_rule(rule_day);
    f.set_measured(pct);
    f.set_threshold(params.min_transmission_percent);
    f.set_unit("%");
    f.set_summary(
        absl::StrFormat("%s：%s 起 %s 内数据传输有效率 %.1f%%（应传 %d 分钟，有效传输 %d 分钟），"
                        "要求不低于 %.0f%%（T81）",
                        Label(point), At(days[i].start), SpanZh(days[j - 1].end - days[i].start),
                        pct, expected, valid, params.min_transmission_percent));
    *f.mutable_evidence() =
        PointEvidence(point, minutes, days[i].start, days[j - 1].end, absl::StrJoin(per_day, "; "));
    out.push_back(std::move(f));
    i = j;
  }
  if (low(all_valid, all_expected)) {
    const double pct = 100.0 * all_valid / all_expected;
    FindingDraft f = Draft(v1::CEMS_TRANSMISSION_LOW, point, a, b);
    f.set_rule(
        absl::StrFormat("T81 数据传输有效率（整个时段）：有效传输的分钟不少于 %.0f%%"
                        "（cems_min_transmission_percent）",
                        params.min_transmission_percent));
    f.set_measured(pct);
    f.set_threshold(params.min_transmission_percent);
    f.set_unit("%");
    f.set_summary(absl::StrFormat(
        "%s：%s 至 %s 整个时段数据传输有效率 %.1f%%（应传 %d 分钟，有效传输 %d 分钟），"
        "要求不低于 %.0f%%（T81）",
        Label(point), At(a), At(b), pct, all_expected, all_valid, params.min_transmission_percent));
    *f.mutable_evidence() = PointEvidence(point, minutes, a, b, "");
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<FindingDraft> CheckCemsInWindow(const CemsPoint& point,
                                            const std::vector<CemsMinute>& minutes,
                                            const EffectiveWindow& w, absl::Time judged_until,
                                            const CemsParams& params) {
  std::vector<FindingDraft> out;
  if (!Measurable(w.obligation.action())) return out;
  const int64_t a = w.start_us, b = std::min(w.end_us, Micros(judged_until));
  const int64_t expected = MinutesIn(a, b);
  if (expected <= 0) return out;
  auto [lo, hi] = Range(minutes, a, b);
  int64_t valid = 0;
  std::map<char, int64_t> flagged;
  for (size_t i = lo; i < hi; ++i) {
    if (ValidMinute(minutes[i])) {
      ++valid;
      continue;
    }
    char worst = '?';
    for (int c = 0; c < kCemsCodes; ++c) {
      const char f = minutes[i].flag[c];
      if (f == 'D' || f == 'M' || f == 'C' || f == 'S' || f == 'B') {
        worst = f;
        break;
      }
    }
    flagged[worst]++;
  }
  const int64_t received = static_cast<int64_t>(hi - lo);
  const int64_t missing = expected - received;
  const double pct = 100.0 * valid / expected;
  if (pct + 1e-9 >= params.min_transmission_percent) return out;
  std::vector<std::string> flags_zh;
  for (const auto& [flag, n] : flagged) flags_zh.push_back(absl::StrFormat("%c %d", flag, n));
  FindingDraft f = Draft(v1::CEMS_SILENT_IN_WINDOW, point, a, b);
  SetWindow(&f, w, b, params.grace_minutes);
  f.set_rule(absl::StrFormat(
      "T83：停产、限产和检修期间自动监控设施须正常运行并联网传输：时段内有效传输的分钟不少于 "
      "%.0f%%（cems_min_transmission_percent）",
      params.min_transmission_percent));
  f.set_measured(pct);
  f.set_threshold(params.min_transmission_percent);
  f.set_unit("%");
  f.set_summary(absl::StrFormat(
      "%s：%s期间（%s 起 %s）有效传输的分钟仅占 %.1f%%：缺失 %d 分钟，标记异常 %d 分钟%s"
      "（T83：停限产期间自动监控设施须正常运行并联网传输）",
      Label(point), ChineseWindow(w.obligation), At(a), SpanZh(b - a), pct, missing,
      received - valid,
      flags_zh.empty() ? "" : absl::StrCat("（", absl::StrJoin(flags_zh, "、"), "）")));
  *f.mutable_evidence() = PointEvidence(
      point, minutes, a, b,
      absl::StrFormat("应传 %d 分钟，收到 %d 分钟，有效 %d 分钟；标记：%s", expected, received,
                      valid, flags_zh.empty() ? "无" : absl::StrJoin(flags_zh, "、")));
  out.push_back(std::move(f));
  return out;
}

double NormalFlow(const std::vector<CemsMinute>& minutes, absl::Time ref_from, absl::Time ref_to,
                  absl::Time from, absl::Time to,
                  const std::vector<std::pair<int64_t, int64_t>>& stops, std::string* method) {
  auto mean_of = [&](int64_t a, int64_t b, bool skip_stops, int64_t* n) {
    auto [lo, hi] = Range(minutes, a, b);
    double sum = 0;
    *n = 0;
    for (size_t i = lo; i < hi; ++i) {
      const CemsMinute& m = minutes[i];
      if (m.flag[kCemsFlow] != 'N' || std::isnan(m.value[kCemsFlow])) continue;
      if (skip_stops && std::any_of(stops.begin(), stops.end(), [&](const auto& s) {
            return m.t_us >= s.first && m.t_us < s.second;
          }))
        continue;
      sum += m.value[kCemsFlow];
      ++*n;
    }
    return *n > 0 ? sum / *n : 0.0;
  };
  int64_t n = 0;
  double mean = mean_of(Micros(ref_from), Micros(ref_to), false, &n);
  if (n >= 1440) {
    if (method != nullptr) {
      *method = absl::StrFormat("基准期 %s 至 %s 内 %d 个 N 标记分钟的平均流量",
                                At(Micros(ref_from)), At(Micros(ref_to)), n);
    }
    return mean;
  }
  mean = mean_of(Micros(from), Micros(to), true, &n);
  if (n >= 1440) {
    if (method != nullptr) {
      *method =
          absl::StrFormat("%s 至 %s 停产时段以外 %d 个 N 标记分钟的平均流量（基准期数据不足一天）",
                          At(Micros(from)), At(Micros(to)), n);
    }
    return mean;
  }
  if (method != nullptr) *method = "N 标记分钟不足一天：无正常流量";
  return 0;
}

std::vector<FindingDraft> CheckFlowInStop(const CemsPoint& point,
                                          const std::vector<CemsMinute>& minutes,
                                          const EffectiveWindow& w, double normal_flow,
                                          absl::Time judged_until, const CemsParams& params) {
  std::vector<FindingDraft> out;
  const v1::Obligation& o = w.obligation;
  if (!(o.action() == v1::STOP || o.action() == v1::RECTIFY) || normal_flow <= 0) return out;
  const int64_t we = std::min(w.end_us, Micros(judged_until));
  const int64_t from = std::max(
      w.start_us, Micros(FromTimestamp(o.window_start())) + params.grace_minutes * kMinute);
  if (from >= we) return out;
  const double threshold = normal_flow * params.flow_stop_percent / 100;
  const int64_t bridge = static_cast<int64_t>(params.bridge_gap_minutes) * kMinute;
  const int64_t min_len = std::max<int64_t>(kMinute, params.co_running_min_minutes * kMinute);
  // The usable flow minutes in the judged part, in order.
  std::vector<size_t> usable;
  auto [lo, hi] = Range(minutes, from, we);
  for (size_t i = lo; i < hi; ++i) {
    if (UsableFlow(minutes[i])) usable.push_back(i);
  }
  for (size_t k = 0; k < usable.size();) {
    if (minutes[usable[k]].value[kCemsFlow] <= threshold) {
      ++k;
      continue;
    }
    size_t j = k;
    double sum = 0;
    int64_t bridged = 0;
    while (j < usable.size() && minutes[usable[j]].value[kCemsFlow] > threshold &&
           (j == k || minutes[usable[j]].t_us - minutes[usable[j - 1]].t_us <= kMinute + bridge)) {
      if (j > k) bridged += (minutes[usable[j]].t_us - minutes[usable[j - 1]].t_us) / kMinute - 1;
      sum += minutes[usable[j]].value[kCemsFlow];
      ++j;
    }
    const int64_t start = minutes[usable[k]].t_us;
    const int64_t end = minutes[usable[j - 1]].t_us + kMinute;
    if (end - start >= min_len) {
      const double mean = sum / static_cast<double>(j - k);
      FindingDraft f = Draft(v1::CEMS_FLOW_IN_STOP, point, start, end);
      SetWindow(&f, w, we, params.grace_minutes);
      f.set_rule(absl::StrFormat(
          "T75、T83 以在线监测核查停产：措施开始 %d 分钟后（grace_minutes）烟气流量不高于该监测点"
          "正常流量的 %.0f%%（cems_flow_stop_percent），连续 %s "
          "及以上高于此值即为未停产；超标分钟之间"
          "不超过 %d 分钟的缺失或异常分钟按连续计（bridge_gap_minutes）",
          params.grace_minutes, params.flow_stop_percent,
          SpanZh(params.co_running_min_minutes * kMinute), params.bridge_gap_minutes));
      f.set_measured(mean);
      f.set_threshold(threshold);
      f.set_unit("m³/h");
      f.set_summary(absl::StrFormat(
          "%s：%s期间，%s 起 %s 内烟气流量 %.0f m³/h（为正常流量 %.0f m³/h 的 %.0f%%），"
          "停产未落实%s",
          Label(point), ChineseWindow(o), At(start), SpanZh(end - start), mean, normal_flow,
          100 * mean / normal_flow,
          bridged > 0 ? absl::StrFormat("；其间 %d 个缺失或异常分钟按连续计", bridged) : ""));
      *f.mutable_evidence() =
          PointEvidence(point, minutes, start, end,
                        absl::StrFormat("%d 分钟高于 %.0f m³/h，其中 %d 个缺失或异常分钟按连续计",
                                        j - k, threshold, bridged));
      out.push_back(std::move(f));
    }
    k = j;
  }
  return out;
}

std::vector<FindingDraft> CheckOverLimit(const CemsPoint& point,
                                         const std::vector<CemsMinute>& minutes, absl::Time from,
                                         absl::Time to, const CemsParams& params) {
  std::vector<FindingDraft> out;
  const int64_t a = Micros(from), b = Micros(to);
  if (b <= a) return out;
  for (int c = kCemsPm; c <= kCemsNox; ++c) {
    if (!point.limit[c].has_value()) continue;
    const double limit = *point.limit[c];
    struct Hour {
      int64_t start;
      bool judged, over;
      double mean;
      int64_t n;
    };
    std::vector<Hour> hours;
    // Clock hours (China has whole-hour offsets, so UTC hours are China hours).
    for (int64_t h = (a / kHour) * kHour; h < b; h += kHour) {
      const int64_t s = std::max(h, a), e = std::min(h + kHour, b);
      auto [lo, hi] = Range(minutes, s, e);
      double sum = 0;
      int64_t n = 0;
      for (size_t i = lo; i < hi; ++i) {
        if (!Running(minutes[i].flag[c]) || std::isnan(minutes[i].value[c])) continue;
        sum += minutes[i].value[c];
        ++n;
      }
      const bool judged = n >= params.hour_min_minutes;
      const double mean = n > 0 ? sum / n : 0;
      hours.push_back({h, judged, judged && mean > limit, mean, n});
    }
    const int64_t bridge_hours = params.bridge_gap_minutes / 60;
    for (size_t i = 0; i < hours.size();) {
      if (!hours[i].over) {
        ++i;
        continue;
      }
      size_t j = i + 1, last = i;
      while (j < hours.size()) {
        if (hours[j].over) {
          last = j;
          ++j;
          continue;
        }
        if (hours[j].judged || static_cast<int64_t>(j - last) > bridge_hours) break;
        ++j;
      }
      double sum = 0, peak = 0;
      int64_t n = 0, over_hours = 0;
      for (size_t k = i; k <= last; ++k) {
        if (!hours[k].over) continue;
        sum += hours[k].mean * hours[k].n;
        n += hours[k].n;
        peak = std::max(peak, hours[k].mean);
        ++over_hours;
      }
      const int64_t start = std::max(hours[i].start, a);
      const int64_t end = std::min(hours[last].start + kHour, b);
      const double mean = sum / static_cast<double>(n);
      FindingDraft f = Draft(v1::CEMS_OVER_LIMIT, point, start, end);
      f.set_rule(
          absl::StrFormat("T30 烟气在线监测数据作为执法依据：生产时（标记 "
                          "N、T）测得的%s（%s）小时均值不超过该监测点"
                          "的排放限值（每小时至少 %d 个有效分钟，cems_hour_min_minutes）",
                          CemsCodeName(c), CemsCodeOf(c), params.hour_min_minutes));
      f.set_measured(mean);
      f.set_threshold(limit);
      f.set_unit("mg/m³");
      f.set_summary(absl::StrFormat(
          "%s：%s 起 %d 小时%s均值 %.1f mg/m³（小时最高 %.1f），超过排放限值 %.1f mg/m³（T30）",
          Label(point), At(start), over_hours, CemsCodeName(c), mean, peak, limit));
      *f.mutable_evidence() =
          PointEvidence(point, minutes, start, end,
                        absl::StrFormat("%s：%d 小时超过 %.1f mg/m³，共 %d 分钟", CemsCodeName(c),
                                        over_hours, limit, n));
      out.push_back(std::move(f));
      i = last + 1;
    }
  }
  return out;
}

std::vector<FindingDraft> CheckFabrication(const CemsPoint& point,
                                           const std::vector<CemsMinute>& minutes, absl::Time from,
                                           absl::Time to, const CemsParams& params) {
  std::vector<FindingDraft> out;
  const int64_t a = Micros(from), b = Micros(to);
  if (b <= a) return out;
  const int64_t bridge = static_cast<int64_t>(params.bridge_gap_minutes) * kMinute;
  const int64_t min_len = static_cast<int64_t>(params.constant_minutes) * kMinute;
  auto [lo, hi] = Range(minutes, a, b);
  // Values identical to the last digit for hours.
  for (int c = 0; c < kCemsCodes; ++c) {
    std::vector<size_t> running;
    for (size_t i = lo; i < hi; ++i) {
      if (minutes[i].flag[c] == 'N' && !std::isnan(minutes[i].value[c])) running.push_back(i);
    }
    for (size_t k = 0; k < running.size();) {
      const double v = minutes[running[k]].value[c];
      size_t j = k + 1;
      while (j < running.size() && minutes[running[j]].value[c] == v &&
             minutes[running[j]].t_us - minutes[running[j - 1]].t_us <= kMinute + bridge) {
        ++j;
      }
      const int64_t start = minutes[running[k]].t_us;
      const int64_t end = minutes[running[j - 1]].t_us + kMinute;
      if (v != 0 && end - start >= min_len) {
        FindingDraft f = Draft(v1::CEMS_SUSPECT_DATA, point, start, end);
        f.set_rule(
            absl::StrFormat("T30 数据质量：%s（%s）连续 %s "
                            "及以上数值完全不变（cems_constant_minutes）是数据造假的迹象",
                            CemsCodeName(c), CemsCodeOf(c), SpanZh(min_len)));
        f.set_measured(static_cast<double>((end - start) / kMinute));
        f.set_threshold(params.constant_minutes);
        f.set_unit("min");
        f.set_summary(absl::StrFormat(
            "%s：%s 起 %s 内%s恒为 %s %s（%d 分钟），真实分析仪读数会有波动%s，疑似数据造假",
            Label(point), At(start), SpanZh(end - start), CemsCodeName(c), FormatNumber(v),
            CemsCodeUnit(c), j - k, c == kCemsO2 ? "（烟气 O₂ 毫无变化在物理上不可能）" : ""));
        *f.mutable_evidence() =
            PointEvidence(point, minutes, start, end,
                          absl::StrFormat("%s 恒为 %s %s，共 %d 分钟", CemsCodeName(c),
                                          FormatNumber(v), CemsCodeUnit(c), j - k));
        out.push_back(std::move(f));
      }
      k = j;
    }
  }
  // Exact repeats of earlier days: each day's N minutes (minute of day and
  // value, every code) hashed; a day whose print an earlier day had.
  struct DayPrint {
    int64_t start;
    int64_t n;
  };
  std::map<std::string, DayPrint> seen;  // print -> first day with it
  for (int64_t d = ChinaMidnight(minutes.empty() ? a : minutes.front().t_us); d < b; d += kDay) {
    auto [dlo, dhi] = Range(minutes, d, d + kDay);
    std::string canonical;
    int64_t n = 0;
    std::set<double> distinct;
    for (size_t i = dlo; i < dhi; ++i) {
      bool any = false;
      std::string line = absl::StrCat((minutes[i].t_us - d) / kMinute);
      for (int c = 0; c < kCemsCodes; ++c) {
        if (minutes[i].flag[c] != 'N' || std::isnan(minutes[i].value[c])) continue;
        any = true;
        absl::StrAppendFormat(&line, " %d=%.17g", c, minutes[i].value[c]);
        if (distinct.size() < 3) distinct.insert(minutes[i].value[c]);
      }
      if (!any) continue;
      ++n;
      absl::StrAppend(&canonical, line, "\n");
    }
    if (n < params.repeat_min_minutes || distinct.size() < 2) continue;
    const std::string print = Sha256Hex(canonical);
    auto it = seen.find(print);
    if (it == seen.end()) {
      seen[print] = {d, n};
      continue;
    }
    if (d < a) continue;  // only days within [from, to) are judged
    const int64_t end = std::min(d + kDay, b);
    FindingDraft f = Draft(v1::CEMS_SUSPECT_DATA, point, d, end);
    f.set_rule(absl::StrFormat(
        "T30 数据质量：某日的分钟数据（至少 %d 分钟，cems_repeat_min_minutes）与此前某日完全相同"
        "是数据造假的迹象",
        params.repeat_min_minutes));
    f.set_measured(static_cast<double>(n));
    f.set_threshold(params.repeat_min_minutes);
    f.set_unit("min");
    const std::string earlier =
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(it->second.start), China());
    f.set_summary(absl::StrFormat(
        "%s：%s 的 %d 个分钟数据与 %s 逐分钟、逐数值完全相同，疑似数据造假", Label(point),
        absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(d), China()), n, earlier));
    *f.mutable_evidence() =
        PointEvidence(point, minutes, d, end,
                      absl::StrCat("与 ", earlier, " 相同（sha256 ", print.substr(0, 16), "）"));
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

bool IsStop(v1::Action a) { return a == v1::STOP || a == v1::RECTIFY; }

// The China day [start, end) of "YYYY-MM-DD" (false when it is no date).
bool DayRange(const std::string& day, int64_t* start, int64_t* end) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", day, China(), &t, &err)) return false;
  *start = Micros(t);
  *end = *start + kDay;
  return true;
}

std::string Quantity(double v, const std::string& unit) {
  return absl::StrCat(FormatNumber(v), unit.empty() ? "" : " ", unit);
}

}  // namespace

std::vector<FindingDraft> CheckMaterialBalance(const ProductionLine& line,
                                               const std::vector<ProductionDay>& days,
                                               const std::vector<EffectiveWindow>& windows,
                                               double tolerance_percent) {
  std::vector<FindingDraft> out;
  struct Judged {
    size_t day;
    const EffectiveWindow* window;
    int64_t start;
    bool breach;
    std::string what;
  };
  std::vector<Judged> judged;
  for (size_t i = 0; i < days.size(); ++i) {
    int64_t a, b;
    if (!DayRange(days[i].day, &a, &b)) continue;
    const EffectiveWindow* w = nullptr;
    for (const EffectiveWindow& x : windows) {
      if (x.start_us <= a && b <= x.end_us && Measurable(x.obligation.action())) w = &x;
    }
    if (w == nullptr) continue;
    const ProductionDay& d = days[i];
    Judged j{i, w, a, false, ""};
    if (IsStop(w->obligation.action())) {
      j.breach = d.output > 0 || d.fuel > 0 || d.raw_material > 0;
      j.what = absl::StrCat(d.day, " 产量 ", Quantity(d.output, line.unit), "、燃料 ",
                            Quantity(d.fuel, line.fuel_unit), "、原料 ",
                            Quantity(d.raw_material, line.raw_material_unit), "（停产日应均为 0）");
    } else if (line.normal_output > 0) {
      const double allowed =
          AllowedShare(w->obligation) * line.normal_output * (1 + tolerance_percent / 100);
      j.breach = d.output > allowed + 1e-9;
      j.what = absl::StrCat(d.day, " 产量 ", Quantity(d.output, line.unit), "（至多 ",
                            Quantity(allowed, line.unit), "）");
    } else {
      continue;
    }
    judged.push_back(std::move(j));
  }
  std::sort(judged.begin(), judged.end(),
            [](const Judged& x, const Judged& y) { return x.start < y.start; });
  for (size_t i = 0; i < judged.size();) {
    if (!judged[i].breach) {
      ++i;
      continue;
    }
    size_t j = i;
    std::vector<std::string> what;
    double output = 0;
    while (j < judged.size() && judged[j].breach && judged[j].window == judged[i].window &&
           judged[j].start == judged[i].start + static_cast<int64_t>(j - i) * kDay) {
      what.push_back(judged[j].what);
      output += days[judged[j].day].output;
      ++j;
    }
    const EffectiveWindow& w = *judged[i].window;
    const bool stop = IsStop(w.obligation.action());
    const int64_t start = judged[i].start, end = judged[j - 1].start + kDay;
    const double allowed =
        stop ? 0 : AllowedShare(w.obligation) * line.normal_output * (1 + tolerance_percent / 100);
    FindingDraft f;
    f.set_type(v1::MATERIAL_BALANCE);
    f.set_enterprise(line.enterprise);
    f.set_scope(line.name);
    *f.mutable_window_start() = ToTimestamp(absl::FromUnixMicros(start));
    *f.mutable_window_end() = ToTimestamp(absl::FromUnixMicros(end));
    f.set_status(v1::OPEN);
    SetWindow(&f, w, end, 0);
    f.set_rule(stop ? "T75 物料衡算：停产日不得有产品产出，不得消耗燃料和原料"
                    : absl::StrFormat("T75 物料衡算：日产量至多为正常日产量的允许比例 × %.0f%%"
                                      "（material_balance_tolerance_percent）",
                                      100 + tolerance_percent));
    f.set_measured(output / static_cast<double>(j - i));
    f.set_threshold(allowed);
    f.set_unit(line.unit);
    std::string normal;
    if (!stop) {
      normal = absl::StrCat("；正常日产量 ", Quantity(line.normal_output, line.unit),
                            line.normal_source.empty() ? "" : "（", line.normal_source,
                            line.normal_source.empty() ? "" : "）");
    }
    f.set_summary(absl::StrCat(line.label.empty() ? line.name : line.label, "，",
                               ChineseWindow(w.obligation), "：", absl::StrJoin(what, "；"),
                               normal));
    v1::Evidence* e = f.mutable_evidence();
    e->set_source(absl::StrCat(line.name, " 生产台账"));
    *e->mutable_from() = f.window_start();
    *e->mutable_to() = f.window_end();
    e->set_rows(static_cast<int64_t>(j - i));
    e->set_sha256(Sha256Hex(absl::StrJoin(what, "\n")));
    CountSupportingSources(&f);
    out.push_back(std::move(f));
    i = j;
  }
  return out;
}

bool CorroborateWithLedger(v1::Finding* f, const ProductionLine& line,
                           const std::vector<ProductionDay>& days, double allowed_share,
                           double tolerance_percent) {
  const bool stop = f->type() == v1::STOP_NOT_KEPT || f->type() == v1::CEMS_FLOW_IN_STOP;
  if (!stop && f->type() != v1::LIMIT_EXCEEDED) return false;
  // The days of the finding's window that its obligation window covers whole.
  const int64_t a = Micros(FromTimestamp(f->window_start()));
  const int64_t b = Micros(FromTimestamp(f->window_end()));
  int64_t oa = a, ob = b;
  if (f->has_obligation_window_start() && f->has_obligation_window_end()) {
    oa = Micros(FromTimestamp(f->obligation_window_start()));
    ob = Micros(FromTimestamp(f->obligation_window_end()));
  }
  std::vector<const ProductionDay*> covered;
  for (const ProductionDay& d : days) {
    int64_t da, db;
    if (!DayRange(d.day, &da, &db)) continue;
    if (da < b && a < db && oa <= da && db <= ob) covered.push_back(&d);
  }
  if (covered.empty()) return false;
  bool supports = false;
  std::vector<std::string> what;
  double sum = 0;
  for (const ProductionDay* d : covered) {
    sum += d->output;
    if (stop) {
      supports = supports || d->output > 0 || d->fuel > 0 || d->raw_material > 0;
      what.push_back(absl::StrCat(d->day, " 产量 ", Quantity(d->output, line.unit), "、燃料 ",
                                  Quantity(d->fuel, line.fuel_unit), "、原料 ",
                                  Quantity(d->raw_material, line.raw_material_unit)));
    } else {
      what.push_back(absl::StrCat(d->day, " 产量 ", Quantity(d->output, line.unit)));
    }
  }
  if (!stop) {
    if (line.normal_output <= 0) return false;
    const double allowed =
        std::max(0.0, allowed_share) * line.normal_output * (1 + tolerance_percent / 100);
    supports = sum / static_cast<double>(covered.size()) > allowed + 1e-9;
    what.push_back(absl::StrCat("允许至多 ", Quantity(allowed, line.unit), "/日"));
  }
  v1::Corroboration* c = f->add_corroboration();
  c->set_source("material_balance");
  c->set_resource(line.name);
  c->set_supports(supports);
  c->set_detail(absl::StrCat("生产台账：", absl::StrJoin(what, "；")));
  CountSupportingSources(f);
  return true;
}

bool LinkMaterialBalance(v1::Finding* balance, const v1::Finding& other) {
  if (balance->type() != v1::MATERIAL_BALANCE || balance->enterprise() != other.enterprise() ||
      !(other.type() == v1::STOP_NOT_KEPT || other.type() == v1::LIMIT_EXCEEDED ||
        other.type() == v1::CEMS_FLOW_IN_STOP)) {
    return false;
  }
  const absl::Time ba = FromTimestamp(balance->window_start());
  const absl::Time bb = FromTimestamp(balance->window_end());
  const absl::Time oa = FromTimestamp(other.window_start()), ob = FromTimestamp(other.window_end());
  if (!(ba < ob && oa < bb)) return false;
  v1::Corroboration* c = balance->add_corroboration();
  c->set_source(SourceOf(other.type()));
  c->set_resource(other.scope());
  c->set_supports(true);
  c->set_detail(absl::StrFormat("%s：%s，%s 至 %s",
                                ChineseLabel(v1::FindingType_Name(other.type())), other.scope(),
                                At(Micros(FromTimestamp(other.window_start()))),
                                At(Micros(FromTimestamp(other.window_end())))));
  CountSupportingSources(balance);
  return true;
}

FlowOver SummariseFlow(const std::vector<CemsMinute>& minutes, int64_t start_us, int64_t end_us,
                       double threshold) {
  FlowOver r;
  auto [lo, hi] = Range(minutes, start_us, end_us);
  double sum = 0;
  for (size_t i = lo; i < hi; ++i) {
    if (!UsableFlow(minutes[i])) continue;
    ++r.minutes;
    sum += minutes[i].value[kCemsFlow];
    if (minutes[i].value[kCemsFlow] > threshold) ++r.above;
  }
  r.mean = r.minutes > 0 ? sum / r.minutes : 0;
  return r;
}

std::string SourceOf(v1::FindingType type) {
  switch (type) {
    case v1::BANNED_TRUCK:
    case v1::LEDGER_ROW_MISSING:
    case v1::PASSAGE_MISSING:
    case v1::CAMERA_SILENT:
    case v1::UNKNOWN_PLATE:
      return "gate";
    case v1::CEMS_TRANSMISSION_LOW:
    case v1::CEMS_SILENT_IN_WINDOW:
    case v1::CEMS_OVER_LIMIT:
    case v1::CEMS_FLOW_IN_STOP:
    case v1::CEMS_SUSPECT_DATA:
      return "cems";
    case v1::MATERIAL_BALANCE:
      return "material_balance";
    default:
      return "electricity";
  }
}

void CountSupportingSources(v1::Finding* f) {
  const std::string own = SourceOf(f->type());
  if (std::none_of(f->corroboration().begin(), f->corroboration().end(),
                   [&](const v1::Corroboration& c) {
                     return c.source() == own && c.resource() == f->scope();
                   })) {
    v1::Corroboration* c = f->add_corroboration();
    c->set_source(own);
    c->set_resource(f->scope());
    c->set_supports(true);
    c->set_detail("本发现所依据的数据");
    auto* list = f->mutable_corroboration();
    for (int i = list->size() - 1; i > 0; --i) list->SwapElements(i, i - 1);
  }
  std::set<std::string> kinds = {own};
  for (const v1::Corroboration& c : f->corroboration()) {
    if (c.supports()) kinds.insert(c.source());
  }
  f->set_supporting_sources(static_cast<int32_t>(kinds.size()));
}

bool MergeCorroboration(v1::Finding* stored, const v1::Finding& found) {
  bool changed = false;
  for (const v1::Corroboration& c : found.corroboration()) {
    v1::Corroboration* same = nullptr;
    for (v1::Corroboration& s : *stored->mutable_corroboration()) {
      if (s.source() == c.source() && s.resource() == c.resource()) same = &s;
    }
    if (same == nullptr) {
      *stored->add_corroboration() = c;
      changed = true;
    } else if (same->supports() != c.supports() || same->detail() != c.detail()) {
      *same = c;
      changed = true;
    }
  }
  const int32_t before = stored->supporting_sources();
  CountSupportingSources(stored);
  return changed || before != stored->supporting_sources();
}

bool Corroborate(v1::Finding* f, const CemsPoint& point, const std::vector<CemsMinute>& minutes,
                 double normal_flow, double allowed_share, const CemsParams& params) {
  if (normal_flow <= 0) return false;
  const int64_t a = Micros(FromTimestamp(f->window_start()));
  const int64_t b = Micros(FromTimestamp(f->window_end()));
  const int64_t expected = MinutesIn(a, b);
  if (expected <= 0) return false;
  const bool stop = f->type() == v1::STOP_NOT_KEPT;
  if (!stop && f->type() != v1::LIMIT_EXCEEDED) return false;
  const double threshold =
      normal_flow * (stop ? params.flow_stop_percent / 100 : std::max(0.0, allowed_share));
  const FlowOver s = SummariseFlow(minutes, a, b, threshold);
  if (2 * s.minutes < expected) return false;
  bool supports;
  std::string detail;
  if (stop) {
    supports = s.above >= params.co_running_min_minutes;
    detail = absl::StrFormat(
        "烟气流量在 %d 分钟中有 %d 分钟高于正常流量的 %.0f%%（%.0f m³/h），平均 %.0f m³/h",
        s.minutes, s.above, params.flow_stop_percent, threshold, s.mean);
  } else {
    supports = s.mean > threshold;
    detail =
        absl::StrFormat("烟气平均流量 %.0f m³/h，为正常流量 %.0f m³/h 的 %.0f%%（允许 %.0f%%）",
                        s.mean, normal_flow, 100 * s.mean / normal_flow, 100 * allowed_share);
  }
  v1::Corroboration* c = f->add_corroboration();
  c->set_source("cems");
  c->set_resource(point.name);
  c->set_supports(supports);
  c->set_detail(std::move(detail));
  CountSupportingSources(f);
  return true;
}

bool LinkFlowAndStop(v1::Finding* flow, v1::Finding* stop) {
  if (flow->type() != v1::CEMS_FLOW_IN_STOP || stop->type() != v1::STOP_NOT_KEPT ||
      flow->enterprise() != stop->enterprise()) {
    return false;
  }
  const absl::Time fa = FromTimestamp(flow->window_start()), fb = FromTimestamp(flow->window_end());
  const absl::Time sa = FromTimestamp(stop->window_start()), sb = FromTimestamp(stop->window_end());
  if (!(fa < sb && sa < fb)) return false;
  auto cite = [](const v1::Finding& other) {
    return absl::StrFormat("%s：%s，%s 至 %s", ChineseLabel(v1::FindingType_Name(other.type())),
                           other.scope(), At(Micros(FromTimestamp(other.window_start()))),
                           At(Micros(FromTimestamp(other.window_end()))));
  };
  v1::Corroboration* c = flow->add_corroboration();
  c->set_source("electricity");
  c->set_resource(stop->scope());
  c->set_supports(true);
  c->set_detail(cite(*stop));
  c = stop->add_corroboration();
  c->set_source("cems");
  c->set_resource(flow->scope());
  c->set_supports(true);
  c->set_detail(cite(*flow));
  CountSupportingSources(flow);
  CountSupportingSources(stop);
  return true;
}

}  // namespace cuofeng
