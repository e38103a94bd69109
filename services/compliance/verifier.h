// A verification run: gathers the obligation windows (ObligationService),
// the rule sets' thresholds (PlanningService), the registry snapshot
// (RegistryService) and the monitoring data (this service's schema), runs
// lib/verification over them and hands back what to store.
#ifndef CUOFENG_SERVICES_COMPLIANCE_VERIFIER_H_
#define CUOFENG_SERVICES_COMPLIANCE_VERIFIER_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
  // domains[i] is what findings[i] was judged within: a meter's obligation
  // window, a treatment meter's or camera's binding period, a meter's
  // baseline or clock, or "gate" (passages and ledger rows, by their time).
  std::vector<std::string> domains;
  // Every domain this run judged whole, and the range of gate data it
  // judged: OPEN findings there that it no longer finds are superseded.
  std::set<std::string> judged;
  absl::Time gate_from, gate_to;
  struct NewBaseline {
    int meter_id;
    std::string season;
    Baseline baseline;
    int version;
  };
  std::vector<NewBaseline> baselines;
  std::string district_id;
  // Retention (T80) from the rule set of the latest list in force.
  VerificationParams retention;
  bool has_retention = false;
  // A live run that found nothing binding (no alert, no staggered period)
  // where the readings landed: nothing to store.
  bool skipped = false;
};

// RunOptions narrow a run to what live verification needs.
struct RunOptions {
  // Judge only these meters' enterprises (every meter there, so that a
  // treatment meter's production meter and a covering meter come along);
  // empty: the whole district.
  std::set<std::string> meters;
  // A live run: no gate checks; skipped (outcome.skipped) unless an alert
  // or a staggered period binds some of it within [from, to).
  bool live = false;
  // A live run that also runs the CEMS and material-balance checks (issue
  // 21): set when CEMS minutes or ledger days arrived (batch runs always do).
  bool cems = false;
  // Progress, when set, is called as each step starts (OBLIGATIONS,
  // REGISTRY, BASELINES, READINGS, METERS, CEMS, GATES) and after each
  // meter is judged (METERS, with the meters judged and to judge). It runs
  // on the run's thread, holding nothing; it should return quickly.
  std::function<void(const char* step, int meters_done, int meters_total)> progress;
};

class Verifier {
 public:
  Verifier(ComplianceRepository* repo, std::shared_ptr<grpc::Channel> registry,
           std::shared_ptr<grpc::Channel> planning)
      : repo_(repo),
        registry_(v1::RegistryService::NewStub(registry)),
        planning_(v1::PlanningService::NewStub(planning)),
        obligations_(v1::ObligationService::NewStub(planning)),
        alerts_(v1::AlertService::NewStub(planning)) {}

  // Run checks `district` (districts/{d}) over [from, to), calling the other
  // services with `authorization` (the caller's key) and `deadline` (real
  // time; every nested call and database read is bounded by it). It holds
  // no pooled connection while it waits for another service: it only reads,
  // and the caller stores the outcome afterwards in a transaction of its own.
  absl::StatusOr<VerificationOutcome> Run(const std::string& district, absl::Time from,
                                          absl::Time to, const std::string& authorization,
                                          absl::Time deadline, const RunOptions& options = {});

  // The registry snapshot of a district, as verification reads it.
  absl::StatusOr<std::vector<v1::DistrictSnapshotChunk>> Snapshot(const std::string& district,
                                                                  const std::string& authorization,
                                                                  absl::Time deadline);

 private:
  ComplianceRepository* repo_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::PlanningService::Stub> planning_;
  std::unique_ptr<v1::ObligationService::Stub> obligations_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
};

// LiveVerifier checks readings as they land (issue 20): each ingest call
// that stores readings names its meters and their time range; a thread of
// its own runs the same verification as a batch run over those meters'
// enterprises and that range (whole windows, up to where the district's
// data ends, so the findings have the batch run's identity) while an alert
// or a staggered period binds there, and stores what it finds. Every
// `sweep` it also runs over every meter of each district it has seen, at
// the district's data end, so that a meter gone silent gets its DATA_GAP.
// Calls arriving while a run is under way are merged into the next run.
// Runs use the key of the last ingest call that reached the district (its
// reads of the registry and obligations are that key's); a sweep that finds
// CEMS minutes in a district no ingest call has reached uses
// `service_authorization` (a service key, named `service_key_name`) when
// one is given, else leaves the district until an ingest call reaches it.
class LiveVerifier {
 public:
  using Store =
      std::function<absl::Status(VerificationOutcome& outcome, const std::string& run_by)>;
  LiveVerifier(Verifier* verifier, ComplianceRepository* repo, Store store, absl::Duration sweep,
               std::string service_authorization = "", std::string service_key_name = "");
  ~LiveVerifier();

  // `meters` may name monitoring points and production ledgers too (their
  // data arrived): the run then includes the CEMS and material-balance checks.
  void Arrived(const std::set<std::string>& meters, absl::Time from, absl::Time to,
               const std::string& authorization, const std::string& key_name);

 private:
  struct Pending {
    std::set<std::string> meters;
    absl::Time from = absl::InfiniteFuture(), to = absl::InfinitePast();
    std::string authorization, key_name;
    bool cems = false;
  };
  // CemsDevices: per device (MN) the HJ 212 receiver has counted, its
  // point and the start of its first and its last minute (CN 2051), probed
  // on the packet table's key.
  struct CemsDevice {
    std::string point;
    absl::Time first, last;
  };
  absl::StatusOr<std::map<std::string, CemsDevice>> CemsDevices();
  void Loop();
  void RunOne(const std::string& district, const Pending& p);

  Verifier* verifier_;
  ComplianceRepository* repo_;
  Store store_;
  const absl::Duration sweep_;
  const std::string service_authorization_, service_key_name_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, Pending> pending_;        // by district
  std::map<std::string, Pending> seen_;           // by district: the last caller, for sweeps
  std::map<std::string, absl::Time> swept_;       // by district: the data end last swept
  std::map<std::string, absl::Time> cems_swept_;  // by device (MN): its last minute swept
  std::thread thread_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_COMPLIANCE_VERIFIER_H_
