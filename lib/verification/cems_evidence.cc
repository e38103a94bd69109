#include "lib/verification/cems_evidence.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/model/clock.h"

namespace cuofeng {
namespace {

constexpr int64_t kMinute = 60 * 1000000LL;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kChinaOffset = 8 * kHour;

int64_t Us(const google::protobuf::Timestamp& t) { return absl::ToUnixMicros(FromTimestamp(t)); }
google::protobuf::Timestamp Ts(int64_t us) { return ToTimestamp(absl::FromUnixMicros(us)); }

int64_t ChinaMidnight(int64_t us) {
  const int64_t local = us + kChinaOffset;
  const int64_t day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  return day * kDay - kChinaOffset;
}

int64_t DayStartOf(const std::string& day) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", day, absl::FixedTimeZone(8 * 3600), &t, &err)) return INT64_MIN;
  return absl::ToUnixMicros(t);
}

bool PerDay(v1::FindingType t) {
  return t == v1::CEMS_TRANSMISSION_LOW || t == v1::MATERIAL_BALANCE;
}

// The flag a minute is drawn with: the worst of its codes' (a fault before
// calibration, upkeep, a manual value, a stopped stack); 0 for N or none.
char WorstFlag(const CemsMinute& m) {
  static const std::string kOrder = "DCMBSFT";  // worst first
  size_t best = std::string::npos;
  for (int c = 0; c < kCemsCodes; ++c) {
    const size_t at = m.flag[c] == 0 ? std::string::npos : kOrder.find(m.flag[c]);
    if (at != std::string::npos && (best == std::string::npos || at < best)) best = at;
  }
  return best == std::string::npos ? 0 : kOrder[best];
}

void AddPoint(google::protobuf::RepeatedPtrField<v1::LoadPoint>* out, int64_t t, double v) {
  v1::LoadPoint* p = out->Add();
  *p->mutable_time() = Ts(t);
  p->set_kw(v);
}

// Stretches [a, b) closer than `join` are drawn as one.
void AddRange(std::vector<std::pair<int64_t, int64_t>>* out, int64_t a, int64_t b, int64_t join) {
  if (b <= a) return;
  if (!out->empty() && a - out->back().second <= join) {
    out->back().second = std::max(out->back().second, b);
    return;
  }
  out->push_back({a, b});
}

// The code's values over [from, to): each minute, or hourly means when the
// range is long.
void Series(const std::vector<CemsMinute>& minutes, int c, int64_t from, int64_t to, int64_t shift,
            google::protobuf::RepeatedPtrField<v1::LoadPoint>* out) {
  const bool hourly = to - from > 7 * kDay;
  int64_t hour = INT64_MIN;
  double sum = 0;
  int n = 0;
  auto flush = [&] {
    if (n > 0) AddPoint(out, hour + shift + kHour / 2, sum / n);
    sum = 0;
    n = 0;
  };
  for (const CemsMinute& m : minutes) {
    if (m.t_us + shift < from || m.t_us + shift >= to || std::isnan(m.value[c])) continue;
    if (!hourly) {
      AddPoint(out, m.t_us + shift, m.value[c]);
      continue;
    }
    const int64_t h = m.t_us - ((m.t_us % kHour) + kHour) % kHour;
    if (h != hour) {
      flush();
      hour = h;
    }
    sum += m.value[c];
    ++n;
  }
  if (hourly) flush();
}

}  // namespace

std::pair<absl::Time, absl::Time> CemsEvidenceRange(const v1::Finding& f) {
  int64_t ws = Us(f.window_start()), we = Us(f.window_end());
  if (we <= ws) we = ws + kMinute;
  if (PerDay(f.type())) {
    return {absl::FromUnixMicros(ChinaMidnight(ws) - 3 * kDay),
            absl::FromUnixMicros(ChinaMidnight(we - 1) + 4 * kDay)};
  }
  const int64_t pad = std::max<int64_t>(12 * kHour, (we - ws) / 4);
  int64_t from = ws - pad, to = we + pad;
  // A short obligation window is shown whole (its start, its grace).
  if (f.has_obligation_window_start() && f.has_obligation_window_end()) {
    const int64_t os = Us(f.obligation_window_start()), oe = Us(f.obligation_window_end());
    if (oe > os && oe - os <= 5 * kDay) {
      from = std::min(from, os - 6 * kHour);
      to = std::max(to, oe + 6 * kHour);
    }
  }
  return {absl::FromUnixMicros(from), absl::FromUnixMicros(to)};
}

int CemsCodeOfFinding(const v1::Finding& f) {
  if (f.type() == v1::CEMS_OVER_LIMIT || f.type() == v1::CEMS_SUSPECT_DATA) {
    for (int c = 0; c < kCemsCodes; ++c) {
      if (absl::StrContains(f.rule(), absl::StrCat("（", CemsCodeOf(c), "）"))) return c;
    }
  }
  return kCemsFlow;
}

void FillCemsEvidence(const std::vector<CemsMinute>& minutes, absl::Time data_end,
                      v1::EvidenceSeries* e) {
  const v1::Finding& f = e->finding();
  e->set_meter(f.scope());
  const int64_t from = Us(e->from()), to = Us(e->to());
  const int64_t end =
      std::min(to, data_end == absl::InfinitePast() ? from : absl::ToUnixMicros(data_end));
  const int64_t join = std::max<int64_t>(kMinute, (to - from) / 1000);
  // Minutes sent with a flag other than N, and minutes missing (from the
  // point's first minute to where its data ends).
  std::vector<std::pair<int64_t, int64_t>> gaps;
  std::map<char, std::vector<std::pair<int64_t, int64_t>>> flagged;
  int64_t prev_end = INT64_MIN;
  for (const CemsMinute& m : minutes) {
    if (m.t_us >= end) break;
    if (prev_end != INT64_MIN && m.t_us > prev_end && m.t_us > from) {
      AddRange(&gaps, std::max(prev_end, from), m.t_us, join);
    }
    prev_end = m.t_us + kMinute;
    if (m.t_us < from) continue;
    if (const char flag = WorstFlag(m); flag != 0) {
      AddRange(&flagged[flag], m.t_us, m.t_us + kMinute, join);
    }
  }
  if (prev_end != INT64_MIN && prev_end < end) AddRange(&gaps, std::max(prev_end, from), end, join);
  for (const auto& [a, b] : gaps) {
    v1::TimeRange* g = e->add_gaps();
    *g->mutable_start() = Ts(a);
    *g->mutable_end() = Ts(b);
  }
  for (const auto& [flag, ranges] : flagged) {
    for (const auto& [a, b] : ranges) {
      v1::FlaggedRange* r = e->add_flagged();
      *r->mutable_range()->mutable_start() = Ts(a);
      *r->mutable_range()->mutable_end() = Ts(b);
      r->set_flag(std::string(1, flag));
    }
  }

  const int c = CemsCodeOfFinding(f);
  switch (f.type()) {
    case v1::CEMS_TRANSMISSION_LOW: {
      // Per China day: minutes validly transmitted over the minutes due
      // (from the point's first minute to where its data ends).
      const int64_t first = minutes.empty() ? end : minutes.front().t_us;
      e->set_unit("%");
      e->set_load_label("数据传输有效率（日）");
      e->set_threshold_label("传输有效率要求");
      e->set_threshold_kw(f.threshold());
      e->set_bar_seconds(kDay / 1000000);
      size_t i = 0;
      for (int64_t d = ChinaMidnight(from); d < to; d += kDay) {
        const int64_t a = std::max({d, first, from}), b = std::min(d + kDay, end);
        if (b <= a) continue;
        const int64_t due = (b - a + kMinute - 1) / kMinute;
        int64_t valid = 0;
        while (i < minutes.size() && minutes[i].t_us < a) ++i;
        for (; i < minutes.size() && minutes[i].t_us < b; ++i) valid += ValidMinute(minutes[i]);
        AddPoint(e->mutable_load(), d,
                 std::min(100.0, 100.0 * static_cast<double>(valid) / static_cast<double>(due)));
      }
      return;
    }
    case v1::CEMS_OVER_LIMIT: {
      e->set_unit(CemsCodeUnit(c));
      e->set_load_label(absl::StrCat(CemsCodeName(c), "分钟值（折算）"));
      e->set_second_label(absl::StrCat(CemsCodeName(c), "小时均值（正常运行分钟）"));
      e->set_threshold_label("排放限值");
      e->set_threshold_kw(f.threshold());
      Series(minutes, c, from, to, 0, e->mutable_load());
      // Hourly means of the minutes flagged N or T, as the check judges them.
      std::map<int64_t, std::pair<double, int>> hours;
      for (const CemsMinute& m : minutes) {
        if (m.t_us < from || m.t_us >= to || std::isnan(m.value[c])) continue;
        if (m.flag[c] != 'N' && m.flag[c] != 'T') continue;
        auto& h = hours[m.t_us - ((m.t_us % kHour) + kHour) % kHour];
        h.first += m.value[c];
        ++h.second;
      }
      for (const auto& [h, sn] : hours) {
        AddPoint(e->mutable_production_load(), h + kHour / 2, sn.first / sn.second);
      }
      return;
    }
    case v1::CEMS_FLOW_IN_STOP: {
      e->set_unit(CemsCodeUnit(kCemsFlow));
      e->set_load_label("废气流量分钟值");
      e->set_threshold_label("停产流量上限");
      e->set_threshold_kw(f.threshold());
      // The rule states the share: "不高于该监测点正常流量的 30%".
      const std::string share = "正常流量的 ";
      const size_t at = f.rule().find(share);
      const double pct =
          at == std::string::npos ? 0 : std::atof(f.rule().c_str() + at + share.size());
      if (pct > 0) {
        e->set_baseline_kw(f.threshold() * 100 / pct);
        e->set_baseline_label("正常流量");
        e->set_threshold_label(absl::StrFormat("停产流量上限（正常流量的 %.0f%%）", pct));
      }
      Series(minutes, kCemsFlow, from, to, 0, e->mutable_load());
      return;
    }
    default: {
      e->set_unit(CemsCodeUnit(c));
      e->set_load_label(absl::StrCat(CemsCodeName(c), "分钟值"));
      Series(minutes, c, from, to, 0, e->mutable_load());
      // A day copied from an earlier one: the earlier day laid over it.
      const std::string copy = "与 ";  // "与 2018-12-01 相同（sha256 …）"
      const size_t at = f.evidence().detail().find(copy);
      if (f.type() == v1::CEMS_SUSPECT_DATA && at != std::string::npos) {
        const std::string day = f.evidence().detail().substr(at + copy.size(), 10);
        const int64_t earlier = DayStartOf(day);
        const int64_t ws = Us(f.window_start());
        if (earlier != INT64_MIN && earlier < ws) {
          Series(minutes, c, ws, Us(f.window_end()), ws - earlier, e->mutable_production_load());
          e->set_second_label(absl::StrCat(day, " 同时刻数值（平移对照）"));
        }
      }
      return;
    }
  }
}

void FillLedgerEvidence(const std::vector<ProductionDay>& days, double normal_output,
                        const std::string& fuel_unit, v1::EvidenceSeries* e) {
  const v1::Finding& f = e->finding();
  e->set_meter(f.scope());
  const int64_t from = Us(e->from()), to = Us(e->to());
  const bool stop = f.threshold() == 0 && absl::StrContains(f.rule(), "停产日");
  e->set_unit(f.unit());
  e->set_load_label(absl::StrCat("日产量（", f.unit(), "）"));
  e->set_threshold_label(stop ? "停产日允许产量" : "允许日产量");
  e->set_threshold_kw(f.threshold());
  if (normal_output > 0) {
    e->set_baseline_kw(normal_output);
    e->set_baseline_label("正常日产量");
  }
  e->set_bar_seconds(kDay / 1000000);
  int64_t last = INT64_MIN;
  std::map<int64_t, const ProductionDay*> by_day;
  for (const ProductionDay& d : days) {
    const int64_t t = DayStartOf(d.day);
    if (t == INT64_MIN) continue;
    last = std::max(last, t + kDay);
    if (t >= from && t < to) by_day[t] = &d;
  }
  bool fuel = false;
  for (const auto& [t, d] : by_day) {
    AddPoint(e->mutable_load(), t, d->output);
    fuel = fuel || d->fuel > 0;
  }
  if (fuel) {
    for (const auto& [t, d] : by_day) AddPoint(e->mutable_production_load(), t + kDay / 2, d->fuel);
    e->set_second_label(absl::StrCat("燃料消耗（", fuel_unit.empty() ? f.unit() : fuel_unit, "）"));
  }
  // Days the ledger has no row for, between its first and its last day.
  int64_t first = INT64_MAX;
  for (const ProductionDay& d : days) {
    const int64_t t = DayStartOf(d.day);
    if (t != INT64_MIN) first = std::min(first, t);
  }
  for (int64_t d = ChinaMidnight(from); d < std::min(to, last); d += kDay) {
    if (d < from || d < first || by_day.count(d)) continue;
    v1::TimeRange* g = e->add_gaps();
    *g->mutable_start() = Ts(d);
    *g->mutable_end() = Ts(d + kDay);
  }
}

double NormalOutputOf(const v1::Finding& f) {
  const std::string key = "正常日产量 ";
  const size_t at = f.summary().find(key);
  if (at == std::string::npos) return 0;
  return std::atof(f.summary().c_str() + at + key.size());
}

}  // namespace cuofeng
