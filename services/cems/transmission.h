// Measured CEMS data transmission efficiency (数据传输有效率, seed T81):
// per monitoring point and China day, the minutes its device validly
// transmitted over the minutes expected, counted in SQL from what the HJ 212
// receiver stored (schema cems) rather than read minute by minute. It
// answers ComplianceService.ListCemsTransmission, which list generation
// calls so that the rules judge the measured rate instead of the registry's
// declared one (issue 21).
#ifndef CUOFENG_SERVICES_CEMS_TRANSMISSION_H_
#define CUOFENG_SERVICES_CEMS_TRANSMISSION_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/db/pool.h"

namespace cuofeng {

// kMaxTransmissionDays bounds the range one request may count.
inline constexpr int kMaxTransmissionDays = 366;

// TransmissionPoint is a monitoring point as the count needs it.
struct TransmissionPoint {
  std::string name;    // districts/{d}/enterprises/{e}/monitoringPoints/{p}
  std::string mn;      // its device number
  std::string target;  // the equipment or line it serves; "" for neither
};

// ValidateTransmissionRequest checks the district name and the day range
// (YYYY-MM-DD, from_day <= to_day, at most kMaxTransmissionDays days),
// naming the field at fault.
absl::Status ValidateTransmissionRequest(const v1::ListCemsTransmissionRequest& req);

// MeasureTransmission counts, for each of `points` whose device sent a
// minute upload (CN 2051) before the end of `to_day`, its validly
// transmitted minutes per China day of [from_day, to_day] (see
// v1::CemsTransmission for what counts and what is expected). Minutes at or
// after `now` (the server's clock) are not expected. In name order.
absl::StatusOr<std::vector<v1::CemsTransmission>> MeasureTransmission(
    ConnectionPool& pool, const std::vector<TransmissionPoint>& points, const std::string& from_day,
    const std::string& to_day, absl::Time now, absl::Time deadline);

// ListCemsTransmission answers the RPC of that name: the district's
// monitoring points from `registry` (listed as the caller of `ctx`, under
// its deadline), then MeasureTransmission on `pool`. The request must be
// valid (ValidateTransmissionRequest).
absl::Status ListCemsTransmission(ConnectionPool& pool, v1::RegistryService::Stub* registry,
                                  const grpc::ServerContextBase& ctx,
                                  const v1::ListCemsTransmissionRequest& req,
                                  v1::ListCemsTransmissionResponse* resp);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CEMS_TRANSMISSION_H_
