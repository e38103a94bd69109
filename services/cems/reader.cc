#include "services/cems/reader.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/db/sql_text.h"
#include "lib/model/clock.h"

namespace cuofeng {

absl::Status CemsReader::Read(absl::Time deadline, const std::function<void(pqxx::work&)>& body) {
  if (absl::Now() >= deadline)
    return absl::DeadlineExceededError("CEMS data read: deadline passed");
  return InTransaction(
      *pool_,
      [&](pqxx::work& tx) {
        if (deadline != absl::InfiniteFuture()) {
          const int64_t ms =
              std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now()));
          tx.exec0(absl::StrCat("SET LOCAL statement_timeout = ", ms));
        }
        body(tx);
        return absl::OkStatus();
      },
      Isolation::kReadOnly);
}

absl::StatusOr<std::vector<CemsReader::PointRow>> CemsReader::Points(
    const std::vector<v1::DistrictSnapshotChunk>& snapshot, absl::Time deadline) {
  std::map<std::string, std::string> enterprise_names;
  for (const auto& c : snapshot) {
    for (const v1::Enterprise& e : c.enterprises()) enterprise_names[e.name()] = e.display_name();
  }
  std::vector<PointRow> out;
  for (const auto& c : snapshot) {
    for (const v1::MonitoringPoint& p : c.monitoring_points()) {
      if (p.mn().empty()) continue;
      PointRow row;
      row.point.name = p.name();
      row.point.enterprise = p.name().substr(0, p.name().find("/monitoringPoints/"));
      row.point.target = !p.equipment().empty() ? p.equipment()
                         : !p.line().empty()    ? p.line()
                                                : row.point.enterprise;
      row.point.label = absl::StrCat(enterprise_names[row.point.enterprise], " ", p.display_name(),
                                     " (", p.name(), ")");
      row.mn = p.mn();
      if (p.has_pm_limit()) row.point.limit[0] = p.pm_limit();
      if (p.has_so2_limit()) row.point.limit[1] = p.so2_limit();
      if (p.has_nox_limit()) row.point.limit[2] = p.nox_limit();
      row.expected_from =
          p.has_create_time() ? FromTimestamp(p.create_time()) : absl::InfiniteFuture();
      out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const PointRow& a, const PointRow& b) { return a.point.name < b.point.name; });
  if (out.empty()) return out;
  // The first minute each device sent (one probe of the packet table's key each).
  std::vector<std::string> mns;
  for (const PointRow& r : out) mns.push_back(r.mn);
  std::map<std::string, int64_t> first;
  absl::Status st = Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT m.mn, (SELECT (extract(epoch from min(k.data_time)) * 1000000)::int8 "
             "FROM cems.packet k WHERE k.mn = m.mn AND k.cn = 2051) "
             "FROM unnest($1::text[]) AS m(mn)",
             TextArray(mns))) {
      if (!r[1].is_null()) first[r[0].as<std::string>()] = r[1].as<int64_t>();
    }
  });
  if (!st.ok()) return st;
  for (PointRow& r : out) {
    auto it = first.find(r.mn);
    if (it != first.end()) {
      r.expected_from = std::min(r.expected_from, absl::FromUnixMicros(it->second));
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<CemsMinute>>> CemsReader::Minutes(
    const std::vector<std::string>& mns, absl::Time from, absl::Time to, absl::Time deadline) {
  std::map<std::string, std::vector<CemsMinute>> out;
  if (mns.empty() || from >= to) return out;
  absl::Status st = Read(deadline, [&](pqxx::work& tx) {
    // One row per value, ordered by device and minute: rows of one minute
    // are folded into one CemsMinute.
    pqxx::result rows = tx.exec_params(
        "SELECT mn, (extract(epoch from data_time) * 1000000)::int8, code, "
        "CASE WHEN code = 'a00000' THEN coalesce(avg, rtd, cou * 60) "
        "ELSE coalesce(zs_avg, avg, zs_rtd, rtd) END, flag FROM cems.value "
        "WHERE mn = ANY($1::text[]) AND cn = 2051 AND data_time >= $2::timestamptz "
        "AND data_time < $3::timestamptz ORDER BY mn, data_time",
        TextArray(mns), TimestampText(from), TimestampText(to));
    std::vector<CemsMinute>* series = nullptr;
    std::string current;
    for (const auto& r : rows) {
      const std::string mn = r[0].as<std::string>();
      if (series == nullptr || mn != current) {
        current = mn;
        series = &out[mn];
      }
      const int64_t t = r[1].as<int64_t>();
      if (series->empty() || series->back().t_us != t) {
        series->emplace_back();
        series->back().t_us = t;
      }
      const int c = CemsCodeIndex(r[2].as<std::string>());
      if (c < 0 || r[3].is_null()) continue;
      series->back().value[c] = r[3].as<double>();
      const std::string flag = r[4].as<std::string>();
      series->back().flag[c] = flag.empty() ? 'N' : flag[0];
    }
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<absl::Time> CemsReader::DataEnd(const std::vector<std::string>& mns,
                                               absl::Time deadline) {
  absl::Time end = absl::InfinitePast();
  if (mns.empty()) return end;
  absl::Status st = Read(deadline, [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        "SELECT (extract(epoch from max(data_time)) * 1000000)::int8 FROM cems.packet "
        "WHERE mn = ANY($1::text[]) AND cn = 2051",
        TextArray(mns));
    if (!r.empty() && !r[0][0].is_null()) {
      end = absl::FromUnixMicros(r[0][0].as<int64_t>()) + absl::Minutes(1);
    }
  });
  if (!st.ok()) return st;
  return end;
}

std::vector<CemsReader::LedgerRow> CemsReader::Ledgers(
    const std::vector<v1::DistrictSnapshotChunk>& snapshot) {
  std::map<std::string, std::string> names;  // enterprises and lines
  for (const auto& c : snapshot) {
    for (const v1::Enterprise& e : c.enterprises()) names[e.name()] = e.display_name();
    for (const v1::ProductionLine& l : c.production_lines()) names[l.name()] = l.display_name();
  }
  std::vector<LedgerRow> out;
  for (const auto& c : snapshot) {
    for (const v1::ProductionLedger& p : c.production_ledgers()) {
      LedgerRow row;
      row.line.name = p.name();
      row.line.enterprise = p.name().substr(0, p.name().find("/productionLedgers/"));
      row.target = p.line();
      row.line.label = absl::StrCat(names[row.line.enterprise], " ", names[p.line()], " ",
                                    p.display_name(), " (", p.name(), ")");
      row.line.unit = p.output_unit();
      if (p.has_normal_daily_output()) {
        row.declared = true;
        row.declared_output = p.normal_daily_output();
      }
      row.line.fuel_unit = p.fuel_unit();
      row.line.raw_material_unit = p.raw_material_unit();
      out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const LedgerRow& a, const LedgerRow& b) { return a.line.name < b.line.name; });
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<ProductionDay>>> CemsReader::LedgerDays(
    const std::string& district_id, const std::string& from_day, const std::string& to_day,
    absl::Time deadline) {
  std::map<std::string, std::vector<ProductionDay>> out;
  absl::Status st = Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT ledger, day::text, output, fuel, raw_material FROM production.ledger_day "
             "WHERE district_id = $1 AND day >= $2::date AND day < $3::date ORDER BY ledger, day",
             district_id, from_day, to_day)) {
      ProductionDay d;
      d.day = r[1].as<std::string>();
      d.output = r[2].as<double>();
      d.fuel = r[3].as<double>();
      d.raw_material = r[4].as<double>();
      out[r[0].as<std::string>()].push_back(std::move(d));
    }
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace cuofeng
