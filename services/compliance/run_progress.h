// RunProgress: a batch verification run recorded from its start and updated
// as it goes (issue 19), so that GetVerificationRun and ListVerificationRuns
// show a run under way or failed, not only the runs stored.
//
// Rows live in compliance.verification_progress. Every write is a short
// transaction of its own on the pool: nothing is held between writes, and
// nothing while the run waits on another service. Progress is advisory: a
// write that fails is logged and the run goes on.
#ifndef CUOFENG_SERVICES_COMPLIANCE_RUN_PROGRESS_H_
#define CUOFENG_SERVICES_COMPLIANCE_RUN_PROGRESS_H_

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "lib/db/pool.h"

namespace cuofeng {

class RunProgress {
 public:
  // The steps of a batch run in order (Verifier::Run's, then STORING).
  static const std::vector<std::string>& Steps();

  // Start allocates the run's name (districts/{d}/verificationRuns/{n}) and
  // records it RUNNING, at the step OBLIGATIONS.
  static absl::StatusOr<RunProgress> Start(ConnectionPool& pool, const std::string& district_id,
                                           absl::Time from, absl::Time to,
                                           const std::string& run_by,
                                           const std::string& request_id);

  const std::string& name() const { return run_.name(); }

  // Step records the step under way and the meters judged; it writes when
  // the step changes, and otherwise at most once a second.
  void Step(const std::string& step, int meters_done, int meters_total);
  // Step without meters keeps the meters last recorded (STORING).
  void Step(const std::string& step) {
    Step(step, run_.progress().meters_done(), run_.progress().meters_total());
  }

  // Failed records the run as FAILED with `why` (its code and message).
  void Failed(const absl::Status& why);

  // Succeeded is the progress a stored run carries (SUCCEEDED, step DONE).
  v1::VerificationProgress Succeeded() const;

  // Discard deletes the row in a transaction of its own (a retried call
  // answered with the run its first try stored).
  void Discard();

  // Forget deletes the row of a run in the transaction that stores the run.
  static void Forget(pqxx::work& tx, const std::string& name);

  // Read returns the recorded run `name` (with a RUNNING run whose server
  // stopped shown FAILED), or NOT_FOUND.
  static absl::StatusOr<v1::VerificationRun> Read(pqxx::transaction_base& tx,
                                                  const std::string& name);

  // Recent returns a district's runs under way and those that failed in the
  // last 24 hours, newest first, at most `limit`.
  static std::vector<v1::VerificationRun> Recent(pqxx::transaction_base& tx,
                                                 const std::string& district_id, int limit);

 private:
  RunProgress(ConnectionPool* pool, v1::VerificationRun run) : pool_(pool), run_(std::move(run)) {}
  void Write();

  ConnectionPool* pool_;
  v1::VerificationRun run_;
  absl::Time last_write_ = absl::InfinitePast();
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_COMPLIANCE_RUN_PROGRESS_H_
