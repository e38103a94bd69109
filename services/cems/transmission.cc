#include "services/cems/transmission.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "lib/db/sql_text.h"
#include "lib/model/clock.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"

namespace cuofeng {
namespace {

// Whole-number time zone of the China days: UTC+8 (no daylight saving).
const absl::TimeZone& China() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

// The China midnight starting `day` (YYYY-MM-DD), if it is a real date.
bool DayStart(const std::string& day, absl::Time* out) {
  std::string err;
  if (day.size() != 10 || !absl::ParseTime("%Y-%m-%d", day, China(), out, &err)) return false;
  return absl::FormatTime("%Y-%m-%d", *out, China()) == day;  // no 2018-02-30
}

std::string DayOf(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, China()); }

// The minute starting at or before `t`.
absl::Time FloorMinute(absl::Time t) {
  return absl::Floor(t - absl::UnixEpoch(), absl::Minutes(1)) + absl::UnixEpoch();
}

// The district's monitoring points with a device number, as the caller
// of `ctx` may list them.
absl::StatusOr<std::vector<TransmissionPoint>> RegistryPoints(v1::RegistryService::Stub* registry,
                                                              const grpc::ServerContextBase& ctx,
                                                              const std::string& district) {
  std::vector<TransmissionPoint> out;
  v1::ListMonitoringPointsRequest req;
  req.set_parent(absl::StrCat(district, "/enterprises/-"));
  req.set_page_size(1000);
  do {
    grpc::ClientContext call;
    ForwardCaller(ctx, &call, absl::Minutes(1));
    v1::ListMonitoringPointsResponse page;
    RETURN_IF_ERROR(FromGrpcStatus(registry->ListMonitoringPoints(&call, req, &page)));
    for (const v1::MonitoringPoint& p : page.monitoring_points()) {
      if (p.mn().empty()) continue;
      out.push_back({p.name(), p.mn(), p.equipment().empty() ? p.line() : p.equipment()});
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

}  // namespace

absl::Status ValidateTransmissionRequest(const v1::ListCemsTransmissionRequest& req) {
  std::vector<FieldViolation> v;
  const std::string& d = req.district();
  const std::string id = d.size() > 10 ? d.substr(10) : "";
  if (d.rfind("districts/", 0) != 0 || id.empty() || id.find('/') != std::string::npos) {
    v.push_back({"district", absl::StrCat("\"", d, "\" is not districts/{district}")});
  }
  absl::Time from, to;
  const bool from_ok = DayStart(req.from_day(), &from);
  const bool to_ok = DayStart(req.to_day(), &to);
  if (!from_ok)
    v.push_back({"from_day", absl::StrCat("\"", req.from_day(), "\" is not a date YYYY-MM-DD")});
  if (!to_ok)
    v.push_back({"to_day", absl::StrCat("\"", req.to_day(), "\" is not a date YYYY-MM-DD")});
  if (from_ok && to_ok && to < from) {
    v.push_back({"to_day", absl::StrCat(req.to_day(), " is before from_day ", req.from_day())});
  }
  if (from_ok && to_ok && to - from >= absl::Hours(24) * kMaxTransmissionDays) {
    v.push_back(
        {"to_day", absl::StrCat("the range counts at most ", kMaxTransmissionDays, " days")});
  }
  if (v.empty()) return absl::OkStatus();
  return InvalidArgumentWithViolations(std::move(v));
}

absl::StatusOr<std::vector<v1::CemsTransmission>> MeasureTransmission(
    ConnectionPool& pool, const std::vector<TransmissionPoint>& points, const std::string& from_day,
    const std::string& to_day, absl::Time now, absl::Time deadline) {
  std::vector<v1::CemsTransmission> out;
  absl::Time from, to_start;
  if (!DayStart(from_day, &from) || !DayStart(to_day, &to_start)) {
    return absl::InvalidArgumentError(absl::StrCat("not a day range: ", from_day, " to ", to_day));
  }
  // Minutes are expected up to the end of to_day, never after the clock's
  // minute under way (its upload has not been due yet).
  const absl::Time end = std::min(to_start + absl::Hours(24), FloorMinute(now));
  if (points.empty() || end <= from) return out;
  std::vector<std::string> mns;
  for (const TransmissionPoint& p : points) mns.push_back(p.mn);
  const std::string mn_array = TextArray(mns);
  std::map<std::string, absl::Time> first;                      // by MN
  std::map<std::string, std::map<std::string, int64_t>> valid;  // by MN, China day
  CallDeadline bound(deadline);
  RETURN_IF_ERROR(InTransaction(
      pool,
      [&](pqxx::work& tx) -> absl::Status {
        // The first minute each device ever sent: by the packet key, one
        // index probe per device.
        for (const auto& r : tx.exec_params(
                 "SELECT m.mn, (SELECT (extract(epoch from min(k.data_time)) * 1000000)::int8 "
                 "FROM cems.packet k WHERE k.mn = m.mn AND k.cn = 2051) "
                 "FROM unnest($1::text[]) AS m(mn)",
                 mn_array)) {
          if (!r[1].is_null())
            first[r[0].as<std::string>()] = absl::FromUnixMicros(r[1].as<int64_t>());
        }
        // Valid minutes per device and China day: a minute holds a value of
        // one of the codes verification reads (the value it reads: 折算 or
        // plain average, else the real-time value; flow also from cou) and
        // none of those values is flagged M, S, D, C or B (see
        // lib/verification/cems_checks.h ValidMinute).
        for (const auto& r : tx.exec_params(
                 "SELECT mn, to_char(data_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), "
                 "count(*) FROM (SELECT v.mn, v.data_time FROM cems.value v "
                 "WHERE v.mn = ANY($1::text[]) AND v.cn = 2051 "
                 "AND v.data_time >= $2::timestamptz AND v.data_time < $3::timestamptz "
                 "AND v.code IN ('a34013', 'a21026', 'a21002', 'a00000', 'a19001') "
                 "AND CASE WHEN v.code = 'a00000' THEN coalesce(v.avg, v.rtd, v.cou * 60) "
                 "ELSE coalesce(v.zs_avg, v.avg, v.zs_rtd, v.rtd) END IS NOT NULL "
                 "GROUP BY v.mn, v.data_time "
                 "HAVING bool_and(left(v.flag, 1) NOT IN ('M', 'S', 'D', 'C', 'B'))) m "
                 "GROUP BY 1, 2",
                 mn_array, TimestampText(from), TimestampText(end))) {
          valid[r[0].as<std::string>()][r[1].as<std::string>()] = r[2].as<int64_t>();
        }
        return absl::OkStatus();
      },
      Isolation::kRepeatableReadReadOnly));
  std::vector<const TransmissionPoint*> sorted;
  for (const TransmissionPoint& p : points) sorted.push_back(&p);
  std::sort(
      sorted.begin(), sorted.end(),
      [](const TransmissionPoint* a, const TransmissionPoint* b) { return a->name < b->name; });
  for (const TransmissionPoint* p : sorted) {
    auto f = first.find(p->mn);
    if (f == first.end() || f->second >= end) continue;  // never heard from in time
    const absl::Time expected_from = std::max(from, FloorMinute(f->second));
    const std::map<std::string, int64_t>& counted = valid[p->mn];
    v1::CemsTransmission t;
    t.set_monitoring_point(p->name);
    t.set_mn(p->mn);
    t.set_target(p->target);
    for (absl::Time day = from; day < end; day += absl::Hours(24)) {
      const absl::Time a = std::max(day, expected_from);
      const absl::Time b = std::min(day + absl::Hours(24), end);
      if (b <= a) continue;
      const int64_t expected = absl::ToInt64Minutes(b - a);
      const std::string name = DayOf(day);
      auto c = counted.find(name);
      // A device stamping several uploads within one minute is not
      // credited beyond the minutes of the day.
      const int64_t got = std::min(expected, c == counted.end() ? int64_t{0} : c->second);
      v1::CemsTransmissionDay* d = t.add_days();
      d->set_day(name);
      d->set_expected_minutes(expected);
      d->set_valid_minutes(got);
      if (t.from_day().empty()) t.set_from_day(name);
      t.set_to_day(name);
      t.set_expected_minutes(t.expected_minutes() + expected);
      t.set_valid_minutes(t.valid_minutes() + got);
    }
    if (t.expected_minutes() == 0) continue;
    t.set_rate_percent(100.0 * static_cast<double>(t.valid_minutes()) /
                       static_cast<double>(t.expected_minutes()));
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status ListCemsTransmission(ConnectionPool& pool, v1::RegistryService::Stub* registry,
                                  const grpc::ServerContextBase& ctx,
                                  const v1::ListCemsTransmissionRequest& req,
                                  v1::ListCemsTransmissionResponse* resp) {
  // The registry first: no pooled connection is held while it answers.
  ASSIGN_OR_RETURN(std::vector<TransmissionPoint> points,
                   RegistryPoints(registry, ctx, req.district()));
  absl::Time deadline = absl::Now() + absl::Minutes(1);
  if (ctx.deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(ctx.deadline()));
  }
  ASSIGN_OR_RETURN(
      std::vector<v1::CemsTransmission> figures,
      MeasureTransmission(pool, points, req.from_day(), req.to_day(), Now(), deadline));
  for (v1::CemsTransmission& t : figures) *resp->add_points() = std::move(t);
  resp->set_from_day(req.from_day());
  resp->set_to_day(req.to_day());
  return absl::OkStatus();
}

}  // namespace cuofeng
