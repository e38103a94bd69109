// The audit log (core.audit_log): every mutation and every refusal lands
// there. Mutations are written inside their own transaction by CallGuard.
// Refusals are caught wherever they happen (before or inside a handler, on
// any service) by a server interceptor and written by a background writer,
// so a refusal never waits for the database. Rows are bounded: an
// unauthenticated caller cannot write 100 KB into the log. A failed audit
// write is logged and counted (AuditWriteFailures), never silent.
#ifndef CUOFENG_SERVICES_CORE_AUDIT_H_
#define CUOFENG_SERVICES_CORE_AUDIT_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "lib/db/pool.h"
#include "services/core/key_store.h"

namespace cuofeng {

// AuditText bounds `text` to `max_bytes` for an audit column: cut at a
// character boundary, invalid UTF-8 and control characters replaced by '?'.
std::string AuditText(absl::string_view text, size_t max_bytes);

// WriteAudit appends one row to core.audit_log in `tx` (bounded columns).
void WriteAudit(pqxx::work& tx, const std::string& principal, const std::string& method,
                const std::string& resource, const std::string& request_id,
                const std::string& outcome, const std::string& detail);

// AuditWriteFailures counts audit rows that could not be written.
int64_t AuditWriteFailures();
// ReportAuditFailure logs and counts one lost audit row.
void ReportAuditFailure(const std::string& what, const absl::Status& status);

// MarkAudited records that the call on `ctx` has written its own audit row,
// so the refusal interceptor does not write a second one.
void MarkAudited(const grpc::ServerContextBase* ctx);

// RefusalAuditor writes refusal rows from a queue on its own thread.
class RefusalAuditor {
 public:
  RefusalAuditor(ConnectionPool* pool, KeyStore* keys);
  ~RefusalAuditor();

  struct Refusal {
    std::string authorization;  // the caller's header; resolved to a key name here
    std::string method;
    std::string resource;
    std::string request_id;
    grpc::Status status;
  };
  // Add queues a refusal (dropped, and counted as a failure, past 10,000
  // waiting rows).
  void Add(Refusal refusal);
  // Flush waits (up to `timeout`) until every refusal queued so far is written.
  void Flush(absl::Duration timeout);

  // InterceptorFactory audits every call that ends with a status other than
  // OK or CANCELLED, unless the call audited itself (MarkAudited). A request
  // gRPC could not parse (invalid UTF-8 in a string field) is answered
  // INVALID_ARGUMENT, not gRPC's bare INTERNAL.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  void Loop();

  ConnectionPool* pool_;
  KeyStore* keys_;
  absl::Mutex mu_;
  std::deque<Refusal> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t added_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CORE_AUDIT_H_
