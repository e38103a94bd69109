// CEMS devices for the season simulation (issue 21): `cuofeng-gen season
// --hj212=ADDR` registers monitoring points (排放口) on a few plants and acts
// as their data loggers (数采仪), sending HJ 212-2017 minute packets over TCP
// to the server's HJ 212 endpoint and waiting for each packet's answer (so
// every packet is stored before it returns). Every plant's CEMS follows what
// binds it (running: flagged N at its normal flow; stopped: flagged F with
// the fan idling), except for the violations planted on purpose.
#ifndef CUOFENG_TOOLS_GEN_CEMS_DEVICES_H_
#define CUOFENG_TOOLS_GEN_CEMS_DEVICES_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/gen/season.h"

namespace cuofeng {

struct CemsSimulation {
  int points = 0;
  int64_t packets = 0;
  double seconds = 0;  // sending and waiting for the answers
  std::vector<PlantedViolation> planted;
};

// SimulateCemsDevices registers five monitoring points in `district` with
// `key` over `channel` and sends their minute data from spec.season_start
// for 21 days (or to spec.to, if sooner) to `hj212_address` (host:port).
// Planted: the plant that kept running through the alert's stop (the
// STOP_NOT_KEPT in `planted_so_far`) shows its flue-gas flow too
// (CEMS_FLOW_IN_STOP, linked with the meter's finding); a plant stopped for
// the alert whose CEMS reports a fault (D) for 30 hours of it
// (CEMS_SILENT_IN_WINDOW, CEMS_TRANSMISSION_LOW); three hours of 颗粒物
// over the point's limit (CEMS_OVER_LIMIT); five hours of a value constant
// to the last digit and a day copied from the day before
// (CEMS_SUSPECT_DATA). A compliant plant stopped for the alert whose CEMS
// was down for 90 minutes of it must yield nothing.
absl::StatusOr<CemsSimulation> SimulateCemsDevices(
    const SeasonSpec& spec, const SeasonInputs& in,
    const std::vector<PlantedViolation>& planted_so_far, const std::string& district,
    const std::shared_ptr<grpc::Channel>& channel, const std::string& key,
    const std::string& hj212_address);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_GEN_CEMS_DEVICES_H_
