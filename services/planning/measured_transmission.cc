#include "services/planning/measured_transmission.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/rpc/forward.h"
#include "lib/rpc/status.h"

namespace cuofeng {

DayRange TransmissionWindow(const v1::RuleSet& rules, const std::string& as_of) {
  const int days = rules.verification().baseline_reference_days() > 0
                       ? rules.verification().baseline_reference_days()
                       : 30;
  const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  absl::Time day;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", as_of, china, &day, &err)) return {};
  return {absl::FormatTime("%Y-%m-%d", day - absl::Hours(24) * days, china),
          absl::FormatTime("%Y-%m-%d", day - absl::Hours(24), china)};
}

absl::StatusOr<std::vector<v1::CemsTransmission>> FetchMeasuredTransmission(
    v1::ComplianceService::Stub* compliance, const grpc::ServerContext& ctx,
    const std::string& district, const DayRange& window) {
  std::vector<v1::CemsTransmission> out;
  if (compliance == nullptr || window.from_day.empty()) return out;
  v1::ListCemsTransmissionRequest req;
  req.set_district(district);
  req.set_from_day(window.from_day);
  req.set_to_day(window.to_day);
  v1::ListCemsTransmissionResponse resp;
  grpc::ClientContext call;
  ForwardCaller(ctx, &call, absl::Minutes(2));
  grpc::Status s = compliance->ListCemsTransmission(&call, req, &resp);
  if (!s.ok()) {
    // The list would silently depend on whether compliance answered: refuse.
    return absl::Status(
        FromGrpcStatus(s).code(),
        absl::StrCat("读取实测数据传输有效率失败（ComplianceService."
                     "ListCemsTransmission, ",
                     window.from_day, "至", window.to_day, "）：", s.error_message()));
  }
  for (v1::CemsTransmission& t : *resp.mutable_points()) out.push_back(std::move(t));
  return out;
}

absl::Status RecordMeasuredTransmission(pqxx::work& tx, const std::string& list,
                                        const std::string& district_id,
                                        const std::vector<v1::CemsTransmission>& figures) {
  for (const v1::CemsTransmission& t : figures) {
    const std::string body = t.SerializeAsString();
    tx.exec_params0(
        "INSERT INTO planning.list_cems_transmission (list, monitoring_point, district_id, mn, "
        "target, from_day, to_day, expected_minutes, valid_minutes, rate_percent, body) "
        "VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8, $9, $10, $11)",
        list, t.monitoring_point(), district_id, t.mn(), t.target(), t.from_day(), t.to_day(),
        t.expected_minutes(), t.valid_minutes(), t.rate_percent(), pqxx::binarystring(body));
  }
  return absl::OkStatus();
}

}  // namespace cuofeng
