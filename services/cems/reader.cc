#include "services/cems/reader.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cuofeng {
namespace {

// A text[] literal of `items` for a query parameter.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string SqlTimestamp(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", absl::FromUnixMicros(us),
                          absl::UTCTimeZone());
}

}  // namespace

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

absl::StatusOr<std::vector<CemsReader::PointRow>> CemsReader::Points(const std::string& district_id,
                                                                     absl::Time deadline) {
  std::vector<PointRow> out;
  absl::Status st = Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT p.name, p.parent, coalesce(p.equipment, p.line, p.parent), "
             "coalesce(e.display_name, '') || ' ' || p.display_name, p.mn, p.pm_limit, "
             "p.so2_limit, p.nox_limit, (extract(epoch from least(p.create_time, "
             "(SELECT min(k.data_time) FROM cems.packet k WHERE k.mn = p.mn AND k.cn = 2051))) "
             "* 1000000)::int8 FROM registry.monitoring_point p "
             "LEFT JOIN registry.enterprise e ON e.name = p.parent "
             "WHERE p.district_id = $1 AND p.mn <> '' ORDER BY p.name",
             district_id)) {
      PointRow row;
      row.point.name = r[0].as<std::string>();
      row.point.enterprise = r[1].as<std::string>();
      row.point.target = r[2].as<std::string>();
      row.point.label = absl::StrCat(r[3].as<std::string>(), " (", row.point.name, ")");
      row.mn = r[4].as<std::string>();
      for (int c = 0; c < 3; ++c) {
        if (!r[5 + c].is_null()) row.point.limit[c] = r[5 + c].as<double>();
      }
      row.expected_from = absl::FromUnixMicros(r[8].as<int64_t>());
      out.push_back(std::move(row));
    }
  });
  if (!st.ok()) return st;
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
        TextArray(mns), SqlTimestamp(absl::ToUnixMicros(from)),
        SqlTimestamp(absl::ToUnixMicros(to)));
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

absl::StatusOr<std::vector<CemsReader::LedgerRow>> CemsReader::Ledgers(
    const std::string& district_id, absl::Time deadline) {
  std::vector<LedgerRow> out;
  absl::Status st = Read(deadline, [&](pqxx::work& tx) {
    for (const auto& r : tx.exec_params(
             "SELECT p.name, p.parent, p.line, coalesce(e.display_name, '') || ' ' || "
             "coalesce(l.display_name, '') || ' ' || p.display_name, p.output_unit, "
             "p.normal_daily_output, coalesce(p.fuel_unit, ''), coalesce(p.raw_material_unit, '') "
             "FROM registry.production_ledger p "
             "LEFT JOIN registry.enterprise e ON e.name = p.parent "
             "LEFT JOIN registry.production_line l ON l.name = p.line "
             "WHERE p.district_id = $1 ORDER BY p.name",
             district_id)) {
      LedgerRow row;
      row.line.name = r[0].as<std::string>();
      row.line.enterprise = r[1].as<std::string>();
      row.target = r[2].as<std::string>();
      row.line.label = absl::StrCat(r[3].as<std::string>(), " (", row.line.name, ")");
      row.line.unit = r[4].as<std::string>();
      if (!r[5].is_null()) {
        row.declared = true;
        row.declared_output = r[5].as<double>();
      }
      row.line.fuel_unit = r[6].as<std::string>();
      row.line.raw_material_unit = r[7].as<std::string>();
      out.push_back(std::move(row));
    }
  });
  if (!st.ok()) return st;
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
