// The CEMS part of a verification run (issue 21): for each monitoring point
// of the district, what binds what it serves (from the run's obligation
// windows), its minute data, and lib/verification/cems_checks over them.
// The compliance Verifier calls it once per batch run and stores what it
// finds with the electricity findings; it also adds the CEMS's word to the
// electricity findings (corroboration).
#ifndef CUOFENG_SERVICES_CEMS_VERIFY_H_
#define CUOFENG_SERVICES_CEMS_VERIFY_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/verification/cems_checks.h"
#include "services/cems/reader.h"

namespace cuofeng {

struct CemsRunInput {
  std::string district_id;
  absl::Time from, to;            // the run's range
  absl::Time hull_from, hull_to;  // whole windows touching it
  const v1::ListObligationWindowsResponse* windows = nullptr;
  // The registry's snapshot the run read (its monitoring points and
  // production ledgers).
  const std::vector<v1::DistrictSnapshotChunk>* snapshot = nullptr;
  // The lists in force (by list name) with their CEMS parameters.
  std::map<std::string, const v1::FiledListInfo*> lists;
  std::map<std::string, CemsParams> params;
  // Periods in which a list binds (whole, clamped to the hull).
  struct Period {
    const v1::FiledListInfo* list;
    absl::Time start, end;
  };
  std::vector<Period> periods;
  std::function<bool(const std::string& enterprise)> in_scope;
  // What a meter measures (equipment, line or enterprise), for corroboration.
  std::function<std::string(const std::string& meter)> target_of;
  absl::Time deadline = absl::InfiniteFuture();
};

struct CemsRunOutput {
  std::vector<v1::Finding> findings;
  std::vector<std::string> domains;  // as VerificationOutcome::domains
  std::set<std::string> judged;
  int32_t points = 0;
  int64_t minutes = 0;
  int32_t ledgers = 0;  // production ledgers judged (material balance)
  int64_t ledger_days = 0;
};

// RunCemsChecks judges every monitoring point in scope and adds the CEMS's
// word to `electricity` (the run's findings so far); then every production
// ledger in scope (material balance, T75), whose word it adds to the
// electricity and CEMS stop and limit findings about the same line.
absl::StatusOr<CemsRunOutput> RunCemsChecks(CemsReader& reader, const CemsRunInput& in,
                                            std::vector<v1::Finding>* electricity);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CEMS_VERIFY_H_
