// Production ledgers for the season simulation (issue 21): `cuofeng-gen
// season` registers a production ledger (生产台账) on a few plants' lines and
// writes their daily rows (product out, fuel and raw material in) to
// production.csv, from the reference window to the end, every plant
// following what binds its line (output = normal x the share allowed, less a
// little), except for the material-balance violations planted on purpose.
#ifndef CUOFENG_TOOLS_GEN_PRODUCTION_LEDGERS_H_
#define CUOFENG_TOOLS_GEN_PRODUCTION_LEDGERS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/gen/season.h"

namespace cuofeng {

struct LedgerSimulation {
  int ledgers = 0;
  int64_t days = 0;
  std::vector<PlantedViolation> planted;
};

// SimulateProductionLedgers registers four production ledgers in `district`
// with `key` over `channel` and writes `dir`/production.csv. Planted, each a
// MATERIAL_BALANCE finding on its ledger: the plant whose meter ran through
// the alert's stop (the STOP_NOT_KEPT in `planted_so_far`) records its
// output on the stop's whole days too (or, when the stop binds only part of
// its line, another plant stopped for the alert does); a plant stopped for
// the alert records no output but fuel burnt on one of its days; a plant
// under a limit records its normal output on two whole days of it. A
// compliant plant, stopped for the alert and limited where its list says,
// with no declared normal output (taken from its reference days), must
// yield nothing. FAILED_PRECONDITION when the district has no such plants.
absl::StatusOr<LedgerSimulation> SimulateProductionLedgers(
    const SeasonSpec& spec, const SeasonInputs& in,
    const std::vector<PlantedViolation>& planted_so_far, const std::string& district,
    const std::shared_ptr<grpc::Channel>& channel, const std::string& key, const std::string& dir);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_GEN_PRODUCTION_LEDGERS_H_
