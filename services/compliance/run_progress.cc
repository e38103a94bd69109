#include "services/compliance/run_progress.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "lib/model/clock.h"
#include "lib/rpc/status.h"
#include "services/compliance/ingest.h"

namespace cuofeng {
namespace {

// A RUNNING row untouched this long belongs to a server that stopped (a run
// lasts at most 10 minutes, and writes at each step).
constexpr int kAbandonedMinutes = 15;
// A progress write waits this long at most for a connection.
constexpr absl::Duration kWriteCap = absl::Seconds(5);

const char* StateName(v1::VerificationProgress::State s) {
  return v1::VerificationProgress::State_Name(s).c_str();
}

v1::VerificationRun FromRow(const pqxx::row& row) {
  v1::VerificationRun run;
  const pqxx::binarystring body(row[0]);
  run.ParseFromArray(body.data(), static_cast<int>(body.size()));
  if (run.progress().state() == v1::VerificationProgress::RUNNING && row[1].as<bool>()) {
    v1::VerificationProgress* p = run.mutable_progress();
    p->set_state(v1::VerificationProgress::FAILED);
    p->set_error_code("UNAVAILABLE");
    p->set_error_message(absl::StrCat("核查运行已中断：运行它的服务器在 ", kAbandonedMinutes,
                                      " 分钟内没有任何进展（可能已停止），未保存任何结果"));
  }
  return run;
}

}  // namespace

const std::vector<std::string>& RunProgress::Steps() {
  static const std::vector<std::string> kSteps = {
      "OBLIGATIONS", "REGISTRY", "BASELINES", "READINGS", "METERS", "CEMS", "GATES", "STORING"};
  return kSteps;
}

absl::StatusOr<RunProgress> RunProgress::Start(ConnectionPool& pool, const std::string& district_id,
                                               absl::Time from, absl::Time to,
                                               const std::string& run_by,
                                               const std::string& request_id) {
  v1::VerificationRun run;
  *run.mutable_from() = ToTimestamp(from);
  *run.mutable_to() = ToTimestamp(to);
  v1::VerificationProgress* p = run.mutable_progress();
  p->set_state(v1::VerificationProgress::RUNNING);
  p->set_step(Steps().front());
  p->set_step_number(1);
  p->set_steps(static_cast<int>(Steps().size()));
  *p->mutable_start_time() = ToTimestamp(Now());
  *p->mutable_update_time() = p->start_time();
  p->set_run_by(run_by);
  p->set_request_id(request_id);
  CallDeadline bounded(absl::Now() + kWriteCap);
  absl::Status st = InTransaction(pool, [&](pqxx::work& tx) -> absl::Status {
    const int64_t n = tx.exec1("SELECT nextval('compliance.run_number')")[0].as<int64_t>();
    run.set_name(absl::StrCat("districts/", district_id, "/verificationRuns/", n));
    tx.exec_params0(
        "INSERT INTO compliance.verification_progress (name, district_id, state, body, "
        "create_time) VALUES ($1, $2, $3, $4, $5::timestamptz)",
        run.name(), district_id, StateName(p->state()), pqxx::binarystring(run.SerializeAsString()),
        SqlTimestamp(absl::ToUnixMicros(Now())));
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return RunProgress(&pool, std::move(run));
}

void RunProgress::Step(const std::string& step, int meters_done, int meters_total) {
  v1::VerificationProgress* p = run_.mutable_progress();
  const bool changed = p->step() != step;
  p->set_step(step);
  for (size_t i = 0; i < Steps().size(); ++i) {
    if (Steps()[i] == step) p->set_step_number(static_cast<int>(i) + 1);
  }
  p->set_meters_done(meters_done);
  p->set_meters_total(meters_total);
  if (changed || absl::Now() - last_write_ >= absl::Seconds(1)) Write();
}

void RunProgress::Failed(const absl::Status& why) {
  v1::VerificationProgress* p = run_.mutable_progress();
  p->set_state(v1::VerificationProgress::FAILED);
  p->set_error_code(StatusCodeName(why.code()));
  p->set_error_message(std::string(why.message()));
  Write();
}

v1::VerificationProgress RunProgress::Succeeded() const {
  v1::VerificationProgress p = run_.progress();
  p.set_state(v1::VerificationProgress::SUCCEEDED);
  p.set_step("DONE");
  p.set_step_number(p.steps());
  p.set_meters_done(p.meters_total());
  *p.mutable_update_time() = ToTimestamp(Now());
  return p;
}

void RunProgress::Write() {
  v1::VerificationProgress* p = run_.mutable_progress();
  *p->mutable_update_time() = ToTimestamp(Now());
  last_write_ = absl::Now();
  CallDeadline bounded(absl::Now() + kWriteCap);
  absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) -> absl::Status {
    tx.exec_params0(
        "UPDATE compliance.verification_progress SET state = $2, body = $3, touched = now() "
        "WHERE name = $1",
        run_.name(), StateName(p->state()), pqxx::binarystring(run_.SerializeAsString()));
    return absl::OkStatus();
  });
  if (!st.ok()) {
    std::cerr << "the progress of " << run_.name() << " was not recorded: " << st << "\n";
  }
}

void RunProgress::Discard() {
  CallDeadline bounded(absl::Now() + kWriteCap);
  absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) -> absl::Status {
    Forget(tx, run_.name());
    return absl::OkStatus();
  });
  if (!st.ok()) std::cerr << "the progress of " << run_.name() << " stays: " << st << "\n";
}

void RunProgress::Forget(pqxx::work& tx, const std::string& name) {
  tx.exec_params0("DELETE FROM compliance.verification_progress WHERE name = $1", name);
}

absl::StatusOr<v1::VerificationRun> RunProgress::Read(pqxx::transaction_base& tx,
                                                      const std::string& name) {
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT body, touched < now() - interval '", kAbandonedMinutes,
                   " minutes' FROM compliance.verification_progress WHERE name = $1"),
      name);
  if (r.empty()) return absl::NotFoundError(absl::StrCat("核查运行 ", name, " 不存在"));
  return FromRow(r[0]);
}

std::vector<v1::VerificationRun> RunProgress::Recent(pqxx::transaction_base& tx,
                                                     const std::string& district_id, int limit) {
  std::vector<v1::VerificationRun> out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT body, touched < now() - interval '", kAbandonedMinutes,
                        " minutes' FROM compliance.verification_progress WHERE district_id = $1 "
                        "AND touched > now() - interval '24 hours' "
                        "ORDER BY create_time DESC, name DESC LIMIT $2"),
           district_id, limit)) {
    out.push_back(FromRow(row));
  }
  return out;
}

}  // namespace cuofeng
