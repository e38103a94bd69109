#include "services/compliance/repository.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <thread>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/db/sql_text.h"
#include "lib/model/clock.h"
#include "lib/status/status_macros.h"
#include "lib/verification/verification.h"
#include "services/compliance/ingest.h"

namespace cuofeng {
namespace {

// PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
constexpr int64_t kPgEpochUnixUs = 946684800LL * 1000000;

uint16_t Be16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}
uint32_t Be32(const char* p) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(p[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 8) | static_cast<uint8_t>(p[3]);
}
uint64_t Be64(const char* p) { return (static_cast<uint64_t>(Be32(p)) << 32) | Be32(p + 4); }

absl::Time Epoch(const pqxx::field& f) {
  return f.is_null() ? absl::InfinitePast() : absl::FromUnixMicros(f.as<int64_t>());
}

// Milliseconds left before `deadline` (real time), at least 1; 0 for none.
int64_t MillisLeft(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return 0;
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now()));
}

absl::Status Expired(absl::Time deadline, absl::string_view what) {
  return absl::DeadlineExceededError(
      absl::StrCat(what, "：数据库答复前已过调用时限（",
                   absl::FormatTime("%H:%M:%S", deadline, absl::UTCTimeZone()), " UTC）"));
}

// WithTimeouts adds a connect_timeout and a statement_timeout bounded by
// `deadline` to a libpq connection string (key=value or URI form).
std::string WithTimeouts(const std::string& dsn, absl::Time deadline) {
  const int64_t ms = MillisLeft(deadline);
  const int64_t connect_s = ms == 0 ? 30 : std::clamp<int64_t>(ms / 1000, 2, 30);
  if (absl::StartsWith(dsn, "postgres://") || absl::StartsWith(dsn, "postgresql://")) {
    std::string out = absl::StrCat(dsn, dsn.find('?') == std::string::npos ? "?" : "&",
                                   "connect_timeout=", connect_s);
    if (ms > 0) absl::StrAppend(&out, "&options=-c%20statement_timeout%3D", ms);
    return out;
  }
  std::string out = absl::StrCat(dsn, " connect_timeout=", connect_s);
  if (ms > 0) absl::StrAppend(&out, " options='-c statement_timeout=", ms, "'");
  return out;
}

// CopyReadings runs `copy_sql`, a "COPY (SELECT meter_id, time, kind, value
// ...) TO STDOUT (FORMAT binary)", on a connection of its own to `dsn` and
// adds each reading to `out` under its meter, in the order the rows come.
absl::Status CopyReadings(const std::string& dsn, const std::string& copy_sql,
                          std::map<int, std::vector<RawReading>>* out) {
  int last_meter = -1;
  std::vector<RawReading>* current = nullptr;
  return CopyOutBinary(dsn, copy_sql, [&](const char* p, int len) {
    // int16 field count, then (int32 length, value) x 4: int4, int8, int2, float8.
    if (len < 2 + 4 + 4 + 4 + 8 + 4 + 2 + 4 + 8 || Be16(p) != 4) return;
    p += 2;
    const int meter = static_cast<int>(Be32(p + 4));
    p += 8;
    const int64_t t = static_cast<int64_t>(Be64(p + 4)) + kPgEpochUnixUs;
    p += 12;
    const int kind = static_cast<int16_t>(Be16(p + 4));
    p += 6;
    const uint64_t bits = Be64(p + 4);
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    if (meter != last_meter) {
      current = &(*out)[meter];
      last_meter = meter;
    }
    current->push_back({t, static_cast<v1::ReadingKind>(kind), value});
  });
}

// InStreams runs scan(0) to scan(streams - 1) at once (scan(0) on this
// thread) and returns the first failure, as the deadline's error when
// `deadline` has passed.
absl::Status InStreams(int streams, absl::Time deadline,
                       const std::function<absl::Status(int)>& scan) {
  std::vector<absl::Status> statuses(streams);
  std::vector<std::thread> threads;
  for (int k = 1; k < streams; ++k) threads.emplace_back([&, k] { statuses[k] = scan(k); });
  statuses[0] = scan(0);
  for (auto& t : threads) t.join();
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return absl::Now() >= deadline ? Expired(deadline, "reading scan") : status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ComplianceRepository::Read(absl::Time deadline,
                                        const std::function<void(pqxx::work&)>& body) {
  if (absl::Now() >= deadline) return Expired(deadline, "compliance read");
  absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) {
    if (const int64_t ms = MillisLeft(deadline); ms > 0) {
      tx.exec0(absl::StrCat("SET LOCAL statement_timeout = ", ms));
    }
    body(tx);
    return absl::OkStatus();
  });
  if (!st.ok() && absl::Now() >= deadline) return Expired(deadline, "compliance read");
  return st;
}

absl::StatusOr<std::map<std::string, int>> ComplianceRepository::Ids(const char* table,
                                                                     const std::string& district_id,
                                                                     absl::Time deadline) {
  std::map<std::string, int> out;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r :
         tx.exec_params(absl::StrCat("SELECT name, id FROM ", table, " WHERE district_id = $1"),
                        district_id)) {
      out[r[0].as<std::string>()] = r[1].as<int>();
    }
  }));
  return out;
}

absl::StatusOr<std::map<std::string, int>> ComplianceRepository::MeterIds(
    const std::string& district_id, absl::Time deadline) {
  return Ids("compliance.meter", district_id, deadline);
}

absl::StatusOr<std::map<int, std::vector<RawReading>>> ComplianceRepository::ScanReadings(
    const std::vector<int>& meters, absl::Time from, absl::Time to, int streams,
    absl::Time deadline) {
  std::map<int, std::vector<RawReading>> out;
  if (meters.empty() || to <= from) return out;
  // Are these all the meters there are? Then no meter filter at all (one
  // district per database is the common case); else a hash join, since an
  // "= ANY(array)" filter would search the array for every row.
  int64_t known = 0;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    known = tx.exec1("SELECT count(*) FROM compliance.meter")[0].as<int64_t>();
  }));
  const std::string dsn = WithTimeouts(pool_->dsn(), deadline);
  const bool every_meter = known == static_cast<int64_t>(meters.size());
  // Streams split the time range, so that each reads its own partitions.
  streams = std::max(1, streams);
  std::vector<std::map<int, std::vector<RawReading>>> results(streams);
  const std::string ids = IntArray(meters);
  RETURN_IF_ERROR(InStreams(streams, deadline, [&](int k) {
    const absl::Time a = from + (to - from) * k / streams,
                     b = k + 1 == streams ? to : from + (to - from) * (k + 1) / streams;
    const std::string range =
        absl::StrCat("r.time > '", SqlTimestamp(absl::ToUnixMicros(a)), "' AND r.time <= '",
                     SqlTimestamp(absl::ToUnixMicros(b)), "'");
    const std::string sql = every_meter ? absl::StrCat(
                                              "COPY (SELECT r.meter_id, r.time, r.kind, r.value "
                                              "FROM compliance.reading r WHERE ",
                                              range, ") TO STDOUT (FORMAT binary)")
                                        : absl::StrCat(
                                              "COPY (SELECT r.meter_id, r.time, r.kind, r.value "
                                              "FROM compliance.reading r JOIN unnest('",
                                              ids, "'::int[]) AS m(id) ON m.id = r.meter_id WHERE ",
                                              range, ") TO STDOUT (FORMAT binary)");
    return CopyReadings(dsn, sql, &results[k]);
  }));
  // Earlier streams hold earlier times: append in stream order.
  auto by_time = [](const RawReading& x, const RawReading& y) { return x.t_us < y.t_us; };
  for (int k = 0; k < streams; ++k) {
    for (auto& [meter, v] : results[k]) {
      std::vector<RawReading>& all = out[meter];
      if (all.empty()) {
        all = std::move(v);
      } else {
        all.insert(all.end(), v.begin(), v.end());
      }
    }
    results[k].clear();
  }
  for (auto& [meter, v] : out) {
    if (!std::is_sorted(v.begin(), v.end(), by_time)) std::sort(v.begin(), v.end(), by_time);
  }
  return out;
}

absl::StatusOr<std::map<int, std::map<int64_t, ComplianceRepository::ReadingDay>>>
ComplianceRepository::ReadingDays(const std::vector<int>& meters, int64_t first_day,
                                  int64_t last_day, absl::Time deadline) {
  std::map<int, std::map<int64_t, ReadingDay>> out;
  if (meters.empty() || last_day < first_day) return out;
  if (absl::Now() >= deadline) return Expired(deadline, "reading days");
  const std::string sql = absl::StrCat(
      "COPY (SELECT d.meter_id, (d.day - date '1970-01-01'), d.n, d.n_register, d.min_kw, "
      "d.max_kw, d.sum_kw, d.min_kwh, d.max_kwh, d.sum_kwh, d.first_us, d.last_us, d.max_gap_us "
      "FROM compliance.reading_day d JOIN unnest('",
      IntArray(meters),
      "'::int[]) AS m(id) ON m.id = d.meter_id WHERE d.day BETWEEN date '1970-01-01' + ", first_day,
      " AND date '1970-01-01' + ", last_day, ") TO STDOUT (FORMAT binary)");
  bool malformed = false;
  absl::Status st =
      CopyOutBinary(WithTimeouts(pool_->dsn(), deadline), sql, [&](const char* p, int len) {
        const char* end = p + len;
        if (len < 2 || Be16(p) != 13) {
          malformed = true;
          return;
        }
        p += 2;
        // Each field: int32 length (-1: NULL), then the value.
        auto field = [&](int size) -> const char* {
          if (p + 4 > end) return nullptr;
          const int32_t n = static_cast<int32_t>(Be32(p));
          p += 4;
          if (n < 0) return nullptr;
          const char* v = p;
          p += n;
          return n == size && p <= end ? v : nullptr;
        };
        auto f8 = [](const char* v) {
          const uint64_t bits = Be64(v);
          double d;
          std::memcpy(&d, &bits, sizeof(d));
          return d;
        };
        const char* meter = field(4);
        const char* day = field(4);
        const char* n = field(4);
        const char* n_register = field(4);
        const char* min_kw = field(8);
        const char* max_kw = field(8);
        const char* sum_kw = field(8);
        const char* min_kwh = field(8);
        const char* max_kwh = field(8);
        const char* sum_kwh = field(8);
        const char* first = field(8);
        const char* last = field(8);
        const char* gap = field(8);
        if (!meter || !day || !n || !n_register || !first || !last) {
          malformed = true;
          return;
        }
        ReadingDay& d = out[static_cast<int32_t>(Be32(meter))][static_cast<int32_t>(Be32(day))];
        d.n = static_cast<int32_t>(Be32(n));
        d.n_register = static_cast<int32_t>(Be32(n_register));
        d.has_kw = min_kw != nullptr && max_kw != nullptr && sum_kw != nullptr;
        if (d.has_kw) d.min_kw = f8(min_kw), d.max_kw = f8(max_kw), d.sum_kw = f8(sum_kw);
        d.has_kwh = min_kwh != nullptr && max_kwh != nullptr && sum_kwh != nullptr;
        if (d.has_kwh) d.min_kwh = f8(min_kwh), d.max_kwh = f8(max_kwh), d.sum_kwh = f8(sum_kwh);
        d.first_us = static_cast<int64_t>(Be64(first));
        d.last_us = static_cast<int64_t>(Be64(last));
        d.max_gap_us = gap ? static_cast<int64_t>(Be64(gap)) : -1;
      });
  if (!st.ok()) return absl::Now() >= deadline ? Expired(deadline, "reading days") : st;
  if (malformed) return absl::InternalError("reading days: a row of an unexpected form");
  return out;
}

absl::StatusOr<int64_t> ComplianceRepository::CountReadings(const std::vector<int>& meters,
                                                            int64_t lo_us, int64_t hi_us,
                                                            absl::Time deadline) {
  int64_t out = 0;
  if (meters.empty() || hi_us < lo_us) return out;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    out = tx.exec_params1(
                "SELECT coalesce(sum(c), 0)::int8 FROM unnest($1::int[]) AS m(id) CROSS JOIN "
                "LATERAL (SELECT count(*) AS c FROM compliance.reading r WHERE r.meter_id = m.id "
                "AND r.time >= $2::timestamptz AND r.time <= $3::timestamptz) x",
                IntArray(meters), SqlTimestamp(lo_us), SqlTimestamp(hi_us))[0]
              .as<int64_t>();
  }));
  return out;
}

absl::StatusOr<std::map<int, std::vector<RawReading>>> ComplianceRepository::ScanRanges(
    std::vector<MeterRange> ranges, int streams, absl::Time deadline) {
  std::map<int, std::vector<RawReading>> out;
  ranges.erase(std::remove_if(ranges.begin(), ranges.end(),
                              [](const MeterRange& r) { return r.hi_us <= r.lo_us; }),
               ranges.end());
  if (ranges.empty()) return out;
  if (absl::Now() >= deadline) return Expired(deadline, "reading scan");
  std::sort(ranges.begin(), ranges.end(), [](const MeterRange& a, const MeterRange& b) {
    return std::tie(a.meter, a.lo_us) < std::tie(b.meter, b.lo_us);
  });
  // Overlapping or touching ranges of a meter read as one (no row twice).
  std::vector<MeterRange> merged;
  for (const MeterRange& r : ranges) {
    if (!merged.empty() && merged.back().meter == r.meter && r.lo_us <= merged.back().hi_us) {
      merged.back().hi_us = std::max(merged.back().hi_us, r.hi_us);
    } else {
      merged.push_back(r);
    }
  }
  ranges = std::move(merged);
  const std::string dsn = WithTimeouts(pool_->dsn(), deadline);
  // Streams take whole meters, about as many ranges each.
  streams = std::max(1, std::min<int>(streams, static_cast<int>(ranges.size())));
  std::vector<size_t> cut = {0};
  for (int k = 1; k < streams; ++k) {
    size_t c = std::max(cut.back(), ranges.size() * k / streams);
    while (c > 0 && c < ranges.size() && ranges[c].meter == ranges[c - 1].meter) ++c;
    cut.push_back(c);
  }
  cut.push_back(ranges.size());
  std::vector<std::map<int, std::vector<RawReading>>> results(streams);
  RETURN_IF_ERROR(InStreams(streams, deadline, [&](int k) {
    if (cut[k] >= cut[k + 1]) return absl::OkStatus();
    std::vector<int> ms;
    std::vector<int64_t> los, his;
    for (size_t i = cut[k]; i < cut[k + 1]; ++i) {
      ms.push_back(ranges[i].meter);
      los.push_back(ranges[i].lo_us);
      his.push_back(ranges[i].hi_us);
    }
    const std::string sql = absl::StrCat(
        "COPY (SELECT r.meter_id, r.time, r.kind, r.value FROM unnest('", IntArray(ms),
        "'::int[], '", IntArray(los), "'::int8[], '", IntArray(his),
        "'::int8[]) AS q(m, lo, hi) JOIN compliance.reading r ON r.meter_id = q.m "
        "AND r.time >= to_timestamp(q.lo / 1000000.0) AND r.time < to_timestamp(q.hi / "
        "1000000.0)) TO STDOUT (FORMAT binary)");
    return CopyReadings(dsn, sql, &results[k]);
  }));
  auto by_time = [](const RawReading& x, const RawReading& y) { return x.t_us < y.t_us; };
  for (auto& result : results) {
    for (auto& [meter, v] : result) {
      if (!std::is_sorted(v.begin(), v.end(), by_time)) std::sort(v.begin(), v.end(), by_time);
      out[meter] = std::move(v);
    }
  }
  return out;
}

absl::StatusOr<std::map<int, ComplianceRepository::StoredBaseline>> ComplianceRepository::Baselines(
    const std::string& season, absl::Time deadline) {
  std::map<int, StoredBaseline> out;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT meter_id, computed_kw, override_kw, method, reference_start::text, "
             "reference_end::text, "
             "coalesce(override_reason, ''), coalesce(overridden_by, ''), production_days, "
             "intervals, "
             "(extract(epoch from update_time) * 1000000)::int8, version, complete, samples "
             "FROM compliance.baseline WHERE season = $1",
             season)) {
      StoredBaseline b;
      if (!r[1].is_null()) b.computed_kw = r[1].as<double>();
      if (!r[2].is_null()) b.override_kw = r[2].as<double>();
      b.method = r[3].as<std::string>();
      b.reference_start = r[4].as<std::string>();
      b.reference_end = r[5].as<std::string>();
      b.override_reason = r[6].as<std::string>();
      b.overridden_by = r[7].as<std::string>();
      b.production_days = r[8].as<int>();
      b.intervals = r[9].as<int64_t>();
      b.update_time = Epoch(r[10]);
      b.version = r[11].as<int>();
      b.complete = r[12].as<bool>();
      b.samples = r[13].as<int64_t>();
      out[r[0].as<int>()] = std::move(b);
    }
  }));
  return out;
}

absl::StatusOr<std::pair<std::string, int>> ComplianceRepository::BaselineMethod(
    const std::string& meter, const std::string& season) {
  std::pair<std::string, int> out;
  RETURN_IF_ERROR(Read(absl::Now() + absl::Seconds(30), [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        "SELECT b.method, b.override_kw, coalesce(b.override_reason, ''), "
        "coalesce(b.overridden_by, ''), "
        "b.version FROM compliance.baseline b JOIN compliance.meter m ON m.id = b.meter_id "
        "WHERE m.name = $1 AND b.season = $2",
        meter, season);
    if (r.empty()) return;
    out.first = r[0][1].is_null() ? r[0][0].as<std::string>()
                                  : absl::StrCat("由 ", r[0][3].as<std::string>(), " 人工设为 ",
                                                 FormatNumber(r[0][1].as<double>()), " kW：",
                                                 r[0][2].as<std::string>(), "（计算方法：",
                                                 r[0][0].as<std::string>(), "）");
    out.second = r[0][4].as<int>();
  }));
  return out;
}

absl::Status ComplianceRepository::StoreBaseline(pqxx::work& tx, int meter_id,
                                                 const std::string& season, const Baseline& b,
                                                 int version) {
  NullableParams p;
  p.Add(std::to_string(meter_id));
  p.Add(season);
  if (b.found) {
    p.Add(FormatNumber(b.kw));
  } else {
    p.AddNull();
  }
  p.Add(b.method);
  p.Add(b.reference_start);
  p.Add(b.reference_end);
  p.Add(std::to_string(b.production_days));
  p.Add(std::to_string(b.intervals));
  p.Add(SqlTimestamp(absl::ToUnixMicros(Now())));
  p.Add(std::to_string(version));
  p.Add(std::string(b.complete ? "true" : "false"));
  p.Add(std::to_string(b.samples));
  p.Add(std::to_string(b.expected));
  const auto ptrs = p.Pointers();
  tx.exec_params0(
      "INSERT INTO compliance.baseline (meter_id, season, computed_kw, method, reference_start, "
      "reference_end, production_days, intervals, update_time, version, complete, samples, "
      "expected) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10, $11, $12, $13) "
      "ON CONFLICT (meter_id, season) DO UPDATE SET computed_kw = excluded.computed_kw, "
      "method = excluded.method, reference_start = excluded.reference_start, "
      "reference_end = excluded.reference_end, production_days = excluded.production_days, "
      "intervals = excluded.intervals, update_time = excluded.update_time, version = "
      "excluded.version, "
      "complete = excluded.complete, samples = excluded.samples, expected = excluded.expected "
      "WHERE compliance.baseline.version < excluded.version AND compliance.baseline.override_kw IS "
      "NULL",
      pqxx::prepare::make_dynamic_params(ptrs));
  tx.exec_params0(
      "INSERT INTO compliance.baseline_version (meter_id, season, version, computed_kw, method, "
      "reference_start, reference_end, production_days, intervals, samples, expected, complete, "
      "create_time) "
      "SELECT meter_id, season, version, computed_kw, method, reference_start, reference_end, "
      "production_days, "
      "intervals, samples, expected, complete, update_time FROM compliance.baseline "
      "WHERE meter_id = $1 AND season = $2 AND version = $3 ON CONFLICT DO NOTHING",
      meter_id, season, version);
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> ComplianceRepository::DataEnd(const std::string& district_id,
                                                         absl::Time deadline) {
  absl::Time out = absl::InfinitePast();
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    // Per meter and camera the newest row by its primary key's index.
    pqxx::row r = tx.exec_params1(
        "SELECT (extract(epoch from greatest("
        "(SELECT max(t) FROM compliance.meter m CROSS JOIN LATERAL (SELECT max(r.time) AS t "
        "FROM compliance.reading r WHERE r.meter_id = m.id) x WHERE m.district_id = $1), "
        "(SELECT max(t) FROM compliance.camera c CROSS JOIN LATERAL (SELECT max(g.time) AS t "
        "FROM compliance.gate_event g WHERE g.camera_id = c.id) y WHERE c.district_id = $1), "
        "(SELECT max(time) FROM compliance.ledger_row WHERE district_id = $1))) * 1000000)::int8",
        district_id);
    if (!r[0].is_null()) out = absl::FromUnixMicros(r[0].as<int64_t>());
  }));
  return out;
}

absl::StatusOr<std::map<int, std::vector<RegisterEvent>>> ComplianceRepository::RegisterEvents(
    const std::vector<int>& meters, absl::Time deadline) {
  std::map<int, std::vector<RegisterEvent>> out;
  if (meters.empty()) return out;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params("SELECT meter_id, (extract(epoch from time) * "
                                        "1000000)::int8, new_register FROM compliance.meter_event "
                                        "WHERE meter_id = ANY($1::int[]) ORDER BY meter_id, time",
                                        IntArray(meters))) {
      out[r[0].as<int>()].push_back({r[1].as<int64_t>(), r[2].as<double>()});
    }
  }));
  return out;
}

absl::StatusOr<std::vector<v1::MeterEvent>> ComplianceRepository::MeterEvents(
    const std::string& meter) {
  std::vector<v1::MeterEvent> out;
  RETURN_IF_ERROR(Read(absl::Now() + absl::Seconds(30), [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT e.id, (extract(epoch from e.time) * 1000000)::int8, e.kind, e.new_register, "
             "e.reason, "
             "e.serial_number, e.recorded_by, (extract(epoch from e.create_time) * 1000000)::int8 "
             "FROM compliance.meter_event e JOIN compliance.meter m ON m.id = e.meter_id WHERE "
             "m.name = $1 "
             "ORDER BY e.time",
             meter)) {
      v1::MeterEvent e;
      e.set_name(absl::StrCat(meter, "/events/", r[0].as<int64_t>()));
      e.set_meter(meter);
      *e.mutable_time() = ToTimestamp(absl::FromUnixMicros(r[1].as<int64_t>()));
      e.set_kind(static_cast<v1::MeterEvent::Kind>(r[2].as<int>()));
      e.set_new_register(r[3].as<double>());
      e.set_reason(r[4].as<std::string>());
      e.set_serial_number(r[5].as<std::string>());
      e.set_recorded_by(r[6].as<std::string>());
      *e.mutable_create_time() = ToTimestamp(absl::FromUnixMicros(r[7].as<int64_t>()));
      out.push_back(std::move(e));
    }
  }));
  return out;
}

int ComplianceRepository::Supersede(pqxx::work& tx, const std::string& district_id,
                                    const std::vector<std::string>& judged, absl::Time gate_from,
                                    absl::Time gate_to, const std::vector<std::string>& found,
                                    const std::string& run) {
  pqxx::result r = tx.exec_params(
      "UPDATE compliance.finding SET status = 4, superseded_by = $6 WHERE district_id = $1 AND "
      "status = 1 "
      "AND (domain = ANY($2::text[]) OR (domain = 'gate' AND window_start >= $3::timestamptz "
      "AND window_start < $4::timestamptz)) AND NOT (fingerprint = ANY($5::text[])) RETURNING name",
      district_id, TextArray(judged), SqlTimestamp(absl::ToUnixMicros(gate_from)),
      SqlTimestamp(absl::ToUnixMicros(gate_to)), TextArray(found), run);
  for (const auto& row : r) {
    tx.exec_params0(
        "INSERT INTO compliance.finding_event (finding, kind, text, by_key, time) "
        "VALUES ($1, 'SUPERSEDE', $2, 'verification', $3::timestamptz)",
        row[0].as<std::string>(),
        absl::StrCat(run, " 重新判定后不再发现此问题（后来的数据否定或改变了它）"),
        SqlTimestamp(absl::ToUnixMicros(Now())));
  }
  return static_cast<int>(r.size());
}

absl::StatusOr<std::vector<Passage>> ComplianceRepository::GateEvents(
    const std::string& district_id, absl::Time from, absl::Time to, absl::Time deadline) {
  std::vector<Passage> out;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT c.name, (extract(epoch from g.time) * 1000000)::int8, g.plate, g.direction, "
             "g.vehicle_class, g.photo FROM compliance.gate_event g JOIN compliance.camera c ON "
             "c.id = g.camera_id "
             "WHERE c.district_id = $1 AND g.time >= $2::timestamptz AND g.time < $3::timestamptz "
             "ORDER BY g.time",
             district_id, SqlTimestamp(absl::ToUnixMicros(from)),
             SqlTimestamp(absl::ToUnixMicros(to)))) {
      Passage p;
      p.camera = r[0].as<std::string>();
      p.t_us = r[1].as<int64_t>();
      p.plate = r[2].as<std::string>();
      p.direction = static_cast<v1::GateDirection>(r[3].as<int>());
      p.vehicle_class = static_cast<v1::VehicleClass>(r[4].as<int>());
      p.photo = r[5].as<std::string>();
      out.push_back(std::move(p));
    }
  }));
  return out;
}

absl::StatusOr<std::vector<LedgerEntry>> ComplianceRepository::LedgerRows(
    const std::string& district_id, absl::Time from, absl::Time to, absl::Time deadline) {
  std::vector<LedgerEntry> out;
  RETURN_IF_ERROR(Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT enterprise, plate, (extract(epoch from time) * 1000000)::int8, direction "
             "FROM compliance.ledger_row WHERE district_id = $1 AND time >= $2::timestamptz "
             "AND time < $3::timestamptz ORDER BY time",
             district_id, SqlTimestamp(absl::ToUnixMicros(from)),
             SqlTimestamp(absl::ToUnixMicros(to)))) {
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int64_t>(),
                     static_cast<v1::GateDirection>(r[3].as<int>())});
    }
  }));
  return out;
}

const char* ComplianceRepository::FindingColumns() {
  return "f.name, f.body, f.status, f.review_comment, f.reviewed_by, "
         "(extract(epoch from f.review_time) * 1000000)::int8, f.explanation, "
         "(extract(epoch from f.explanation_time) * 1000000)::int8, "
         "(extract(epoch from f.create_time) * 1000000)::int8, f.superseded_by";
}

v1::Finding ComplianceRepository::FindingFromRow(const pqxx::row& r) {
  v1::Finding f;
  f.ParseFromString(pqxx::binarystring(r[1]).str());
  f.set_name(r[0].as<std::string>());
  f.set_status(static_cast<v1::FindingStatus>(r[2].as<int>()));
  f.set_review_comment(r[3].as<std::string>());
  f.set_reviewed_by(r[4].as<std::string>());
  if (!r[5].is_null())
    *f.mutable_review_time() = ToTimestamp(absl::FromUnixMicros(r[5].as<int64_t>()));
  f.set_explanation(r[6].as<std::string>());
  if (!r[7].is_null())
    *f.mutable_explanation_time() = ToTimestamp(absl::FromUnixMicros(r[7].as<int64_t>()));
  *f.mutable_create_time() = ToTimestamp(absl::FromUnixMicros(r[8].as<int64_t>()));
  f.set_superseded_by_run(r[9].as<std::string>());
  return f;
}

std::pair<std::string, bool> ComplianceRepository::InsertFinding(pqxx::work& tx,
                                                                 const std::string& district_id,
                                                                 v1::Finding f,
                                                                 const std::string& domain) {
  const std::string fingerprint = Fingerprint(f);
  f.clear_name();
  f.clear_status();
  const std::string body = f.SerializeAsString();
  // The name is made in the statement; a concurrent run that stored the same
  // finding first makes this one a no-op (it waits for that run to commit).
  pqxx::result inserted = tx.exec_params(
      "INSERT INTO compliance.finding (name, district_id, enterprise, fingerprint, type, "
      "window_start, body, "
      "create_time, domain) VALUES ($3 || '/findings/' || nextval('compliance.finding_number'), "
      "$1, $3, $2, $4, "
      "to_timestamp($5 / 1000000.0), $6, $7::timestamptz, $8) ON CONFLICT (fingerprint) DO NOTHING "
      "RETURNING name",
      district_id, fingerprint, f.enterprise(), static_cast<int>(f.type()),
      absl::ToUnixMicros(FromTimestamp(f.window_start())), pqxx::binarystring(body),
      SqlTimestamp(absl::ToUnixMicros(Now())), domain);
  if (!inserted.empty()) return {inserted[0][0].as<std::string>(), true};
  pqxx::result existing = tx.exec_params(
      "SELECT name, status FROM compliance.finding WHERE fingerprint = $1", fingerprint);
  if (existing.empty()) return {"", false};
  const std::string name = existing[0][0].as<std::string>();
  if (existing[0][1].as<int>() == v1::FINDING_SUPERSEDED) {
    tx.exec_params0("UPDATE compliance.finding SET status = 1, superseded_by = '' WHERE name = $1",
                    name);
    tx.exec_params0(
        "INSERT INTO compliance.finding_event (finding, kind, text, by_key, time) "
        "VALUES ($1, 'REOPEN', $2, 'verification', $3::timestamptz)",
        name, absl::StrCat(f.verification_run(), " 再次发现此问题"),
        SqlTimestamp(absl::ToUnixMicros(Now())));
  }
  return {name, false};
}

}  // namespace cuofeng
