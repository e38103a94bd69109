// ComplianceService: monitoring data in, verification runs, findings and
// their review, evidence series for the charts.
#ifndef CUOFENG_SERVICES_COMPLIANCE_COMPLIANCE_SERVICE_H_
#define CUOFENG_SERVICES_COMPLIANCE_COMPLIANCE_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "cuofeng/v1/compliance.grpc.pb.h"
#include "services/compliance/ingest.h"
#include "services/compliance/repository.h"
#include "services/compliance/verifier.h"
#include "services/core/call_guard.h"

namespace cuofeng {

// Live verification (issue 20): off unless the server is started with
// --live_verification; `sweep` is how often silent meters are looked for.
struct LiveOptions {
  bool enabled = false;
  absl::Duration sweep = absl::Minutes(1);
  // A service key ("Bearer cfk_...", the HJ 212 receiver's --hj212_key_file)
  // and its name: sweeps judge CEMS data with it in a district no ingest
  // call has reached yet. Empty: such districts wait for one.
  std::string service_authorization, service_key_name;
};

class ComplianceServiceImpl final : public v1::ComplianceService::Service {
 public:
  // `registry` serves RegistryService and `planning` PlanningService and
  // ObligationService (in-process channels when they run here).
  ComplianceServiceImpl(CallGuard* guard, std::shared_ptr<grpc::Channel> registry,
                        std::shared_ptr<grpc::Channel> planning, LiveOptions live = {});
  ~ComplianceServiceImpl() override;

  grpc::Status IngestReadings(grpc::ServerContext* ctx,
                              grpc::ServerReader<v1::IngestReadingsRequest>* reader,
                              v1::IngestSummary* resp) override;
  grpc::Status IngestGateEvents(grpc::ServerContext* ctx,
                                grpc::ServerReader<v1::IngestGateEventsRequest>* reader,
                                v1::IngestSummary* resp) override;
  grpc::Status IngestLedgerRows(grpc::ServerContext* ctx,
                                grpc::ServerReader<v1::IngestLedgerRowsRequest>* reader,
                                v1::IngestSummary* resp) override;
  grpc::Status ListBaselines(grpc::ServerContext* ctx, const v1::ListBaselinesRequest* req,
                             v1::ListBaselinesResponse* resp) override;
  grpc::Status OverrideBaseline(grpc::ServerContext* ctx, const v1::OverrideBaselineRequest* req,
                                v1::Baseline* resp) override;
  // RunVerification counts every run by its outcome (metrics) around this.
  grpc::Status RunVerificationCounted(grpc::ServerContext* ctx,
                                      const v1::RunVerificationRequest* req,
                                      v1::VerificationRun* resp);
  grpc::Status RunVerification(grpc::ServerContext* ctx, const v1::RunVerificationRequest* req,
                               v1::VerificationRun* resp) override;
  grpc::Status ListFindings(grpc::ServerContext* ctx, const v1::ListFindingsRequest* req,
                            v1::ListFindingsResponse* resp) override;
  grpc::Status ListVerificationRuns(grpc::ServerContext* ctx,
                                    const v1::ListVerificationRunsRequest* req,
                                    v1::ListVerificationRunsResponse* resp) override;
  // GetVerificationRun reads a stored run, or one under way or failed
  // (RunProgress).
  grpc::Status GetVerificationRun(grpc::ServerContext* ctx,
                                  const v1::GetVerificationRunRequest* req,
                                  v1::VerificationRun* resp) override;
  // WatchFindings holds one of the server's threads while it is open: it
  // waits for a new finding (woken at once by this process's runs, and
  // looking at the database every 500 ms for other processes').
  grpc::Status WatchFindings(grpc::ServerContext* ctx, const v1::WatchFindingsRequest* req,
                             grpc::ServerWriter<v1::Finding>* writer) override;
  grpc::Status GetFinding(grpc::ServerContext* ctx, const v1::GetFindingRequest* req,
                          v1::Finding* resp) override;
  grpc::Status ReviewFinding(grpc::ServerContext* ctx, const v1::ReviewFindingRequest* req,
                             v1::Finding* resp) override;
  grpc::Status ExplainFinding(grpc::ServerContext* ctx, const v1::ExplainFindingRequest* req,
                              v1::Finding* resp) override;
  grpc::Status GetEvidence(grpc::ServerContext* ctx, const v1::GetEvidenceRequest* req,
                           v1::EvidenceSeries* resp) override;
  grpc::Status RecordMeterEvent(grpc::ServerContext* ctx, const v1::RecordMeterEventRequest* req,
                                v1::MeterEvent* resp) override;
  grpc::Status ListMeterEvents(grpc::ServerContext* ctx, const v1::ListMeterEventsRequest* req,
                               v1::ListMeterEventsResponse* resp) override;
  grpc::Status IngestProductionDays(grpc::ServerContext* ctx,
                                    grpc::ServerReader<v1::IngestProductionDaysRequest>* reader,
                                    v1::IngestSummary* resp) override;
  // ListCemsTransmission: services/cems/transmission.h.
  grpc::Status ListCemsTransmission(grpc::ServerContext* ctx,
                                    const v1::ListCemsTransmissionRequest* req,
                                    v1::ListCemsTransmissionResponse* resp) override;

 private:
  // Ingest runs a client stream through `batch`, then audits the totals.
  template <typename Request>
  grpc::Status Ingest(grpc::ServerContext* ctx, const char* method,
                      grpc::ServerReader<Request>* reader, v1::IngestSummary* resp,
                      absl::Status (Ingestor::*batch)(const Request&, const Principal&,
                                                      const RemoteCall&, IngestTally*));

  // StoreOutcome stores a run's baselines, findings and supersessions, and
  // the run itself, in `tx`; returns the run as stored.
  absl::StatusOr<v1::VerificationRun> StoreOutcome(pqxx::work& tx, VerificationOutcome& outcome,
                                                   const std::string& district,
                                                   const std::string& run_by);
  // Rings when findings may have been stored (WatchFindings waits on it).
  void Ring();

  CallGuard* guard_;
  ComplianceRepository repo_;
  Directory directory_;
  Ingestor ingestor_;
  Verifier verifier_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::mutex bell_mu_;
  std::condition_variable bell_;
  uint64_t rung_ = 0;
  std::unique_ptr<LiveVerifier> live_;  // null when live verification is off
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_COMPLIANCE_COMPLIANCE_SERVICE_H_
