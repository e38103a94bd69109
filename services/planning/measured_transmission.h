// The measured CEMS data transmission (数据传输有效率, T81) a list is
// generated from: list generation asks ComplianceService for it before it
// generates (the cems data is the compliance service's), hands it to the
// rules engine (RegistrySnapshot::cems_transmission) and records it with the
// list (planning.list_cems_transmission), so that what the list decided on
// stays readable after later data arrives (issue 21).
#ifndef CUOFENG_SERVICES_PLANNING_MEASURED_TRANSMISSION_H_
#define CUOFENG_SERVICES_PLANNING_MEASURED_TRANSMISSION_H_

#include <grpcpp/grpcpp.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// TransmissionWindow is the range of China days a list generated on `as_of`
// (YYYY-MM-DD) measures transmission over: the N whole days before it, N the
// rule set's baseline_reference_days (30 when unset). Whole past days only:
// the day under way would read low for minutes not yet due, and a list is
// often generated before its season starts, so a window tied to the season
// would lie partly in the future.
struct DayRange {
  std::string from_day, to_day;  // inclusive
};
DayRange TransmissionWindow(const v1::RuleSet& rules, const std::string& as_of);

// FetchMeasuredTransmission calls ListCemsTransmission for `district`
// (districts/{d}) over `window` as the caller of `ctx`, within its deadline.
// No stub (no compliance service configured): none.
absl::StatusOr<std::vector<v1::CemsTransmission>> FetchMeasuredTransmission(
    v1::ComplianceService::Stub* compliance, const grpc::ServerContext& ctx,
    const std::string& district, const DayRange& window);

// RecordMeasuredTransmission stores `figures` as what `list` was generated
// from, in the list's own transaction.
absl::Status RecordMeasuredTransmission(pqxx::work& tx, const std::string& list,
                                        const std::string& district_id,
                                        const std::vector<v1::CemsTransmission>& figures);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_MEASURED_TRANSMISSION_H_
