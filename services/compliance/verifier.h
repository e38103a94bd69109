// A verification run: gathers the obligation windows (ObligationService),
// the rule sets' thresholds (PlanningService), the registry snapshot
// (RegistryService) and the monitoring data (this service's schema), runs
// lib/verification over them and hands back what to store.
#ifndef CUOFENG_SERVICES_COMPLIANCE_VERIFIER_H_
#define CUOFENG_SERVICES_COMPLIANCE_VERIFIER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/verification/verification.h"
#include "services/compliance/repository.h"

namespace cuofeng {

// What a run found, before it is stored.
struct VerificationOutcome {
  v1::VerificationRun run;
  std::vector<v1::Finding> findings;
  struct NewBaseline {
    int meter_id;
    std::string season;
    Baseline baseline;
  };
  std::vector<NewBaseline> baselines;
  std::string district_id;
  // Retention (T80) from the rule set of the latest list in force.
  VerificationParams retention;
  bool has_retention = false;
};

class Verifier {
 public:
  Verifier(ComplianceRepository* repo, std::shared_ptr<grpc::Channel> registry,
           std::shared_ptr<grpc::Channel> planning)
      : repo_(repo),
        registry_(v1::RegistryService::NewStub(registry)),
        planning_(v1::PlanningService::NewStub(planning)),
        obligations_(v1::ObligationService::NewStub(planning)) {}

  // Run checks `district` (districts/{d}) over [from, to), calling the other
  // services with `authorization` (the caller's key) and `deadline` (real
  // time; every nested call and database read is bounded by it). It holds
  // no pooled connection while it waits for another service: it only reads,
  // and the caller stores the outcome afterwards in a transaction of its own.
  absl::StatusOr<VerificationOutcome> Run(const std::string& district, absl::Time from,
                                          absl::Time to, const std::string& authorization,
                                          absl::Time deadline);

  // The registry snapshot of a district, as verification reads it.
  absl::StatusOr<std::vector<v1::DistrictSnapshotChunk>> Snapshot(const std::string& district,
                                                                  const std::string& authorization,
                                                                  absl::Time deadline);

 private:
  ComplianceRepository* repo_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::PlanningService::Stub> planning_;
  std::unique_ptr<v1::ObligationService::Stub> obligations_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_COMPLIANCE_VERIFIER_H_
