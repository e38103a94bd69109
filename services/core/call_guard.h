// CallGuard is what every RPC handler goes through: it authenticates the
// bearer key, asks the policy, and for mutations replays retries by
// request_id, runs the change in one transaction and writes the audit row.
#ifndef CUOFENG_SERVICES_CORE_CALL_GUARD_H_
#define CUOFENG_SERVICES_CORE_CALL_GUARD_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "lib/auth/policy.h"
#include "lib/db/pool.h"
#include "lib/db/replica.h"
#include "services/core/audit.h"
#include "services/core/key_store.h"

namespace cuofeng {

// Mutation describes one mutating call for CallGuard::Mutate.
// The access table's rule for `method` decides who may run it.
struct Mutation {
  const char* method;          // the RPC's bare name, e.g. "CreateEnterprise"
  std::string resource;        // the resource (or parent) it acts on
  std::string request_id;      // empty: no replay protection
  bool validate_only = false;  // run everything, then roll back
  // for_replay, when set, edits the copy of the response kept for replays
  // by request_id (CreateApiKey drops the secret: a replay never shows it).
  std::function<void(google::protobuf::Message*)> for_replay = nullptr;
};

class CallGuard {
 public:
  CallGuard(ConnectionPool* pool, KeyStore* keys) : pool_(pool), keys_(keys) {}

  // Authenticate reads "authorization: Bearer <key>" from the call.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase* ctx);

  // CheckAuthorization is Check for a call whose "authorization" header was
  // copied out of its context (work done off gRPC's threads).
  absl::StatusOr<Principal> CheckAuthorization(const std::string& authorization,
                                               absl::string_view method,
                                               const std::string& resource);

  // Check authenticates the caller and asks the access table whether it may
  // call `method` (the RPC's bare name) on `resource`. When the rule lets the
  // caller see only part of it (a List narrowed to the key's scope, an
  // enterprise's filed entries), `narrow_to` receives that prefix; a caller
  // that passes no `narrow_to` is refused in that case rather than shown all.
  absl::StatusOr<Principal> Check(const grpc::ServerContextBase* ctx, absl::string_view method,
                                  const std::string& resource, std::string* narrow_to = nullptr);

  // Allow is Check for a caller already authenticated (see Authenticate).
  absl::StatusOr<Principal> Allow(const Principal& principal, absl::string_view method,
                                  const std::string& resource, std::string* narrow_to = nullptr);

  // Mutate authenticates and authorises (the rule of m.method), returns the stored response of an
  // earlier call with the same principal and request_id if there is one, and
  // otherwise runs `body` in a transaction that also stores the response
  // and the audit row. Failures are audited too, in their own transaction.
  grpc::Status Mutate(const grpc::ServerContextBase* ctx, const Mutation& m,
                      google::protobuf::Message* response,
                      const std::function<absl::Status(const Principal&, pqxx::work&)>& body);

  ConnectionPool& pool() { return *pool_; }

  // read_pool is where a read by `p` goes: the replica when one is set and
  // has replayed p's own last write through this process, else the primary.
  ConnectionPool& read_pool(const Principal& p) {
    return router_ != nullptr ? router_->ForRead(p.key_name) : *pool_;
  }
  void set_read_router(ReadRouter* router) { router_ = router; }

 private:
  // KeyOf authenticates the key alone (Authenticate adds the text rules).
  absl::StatusOr<Principal> KeyOf(const grpc::ServerContextBase* ctx);
  void AuditFailure(const std::string& principal, const Mutation& m, const absl::Status& status);

  ConnectionPool* pool_;
  KeyStore* keys_;
  ReadRouter* router_ = nullptr;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CORE_CALL_GUARD_H_
