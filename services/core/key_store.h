// API keys: created with a random secret shown once, stored as SHA-256,
// looked up in the database on every call, so a revocation through any
// process takes effect on the next call everywhere (no cache to outlive it).
#ifndef CUOFENG_SERVICES_CORE_KEY_STORE_H_
#define CUOFENG_SERVICES_CORE_KEY_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "cuofeng/v1/admin.pb.h"
#include "lib/auth/policy.h"
#include "lib/db/pool.h"

namespace cuofeng {

// NewKey is a freshly created key: its record and the bearer secret.
struct NewKey {
  v1::ApiKey key;
  std::string secret;
};

class KeyStore {
 public:
  explicit KeyStore(ConnectionPool* pool) : pool_(pool) {}

  // Authenticate returns the principal whose secret is `secret`, or
  // UNAUTHENTICATED: one indexed read of core.api_key per call.
  absl::StatusOr<Principal> Authenticate(const std::string& secret);

  // CreateKey validates role and scope and inserts a key in `tx`.
  static absl::StatusOr<NewKey> CreateKey(pqxx::work& tx, const std::string& display_name,
                                          Role role, const std::string& scope,
                                          const std::string& created_by);

  // SetExpiry makes key `name` (apiKeys/{id}) stop working at the instant.
  static absl::StatusOr<v1::ApiKey> SetExpiry(pqxx::work& tx, const std::string& name,
                                              int64_t expire_epoch);
  // RevokeKey marks apiKeys/{id} revoked in `tx`.
  static absl::StatusOr<v1::ApiKey> RevokeKey(pqxx::work& tx, const std::string& name);

  // ToProto describes `p` as an ApiKey message.
  static v1::ApiKey ToProto(const Principal& p);

 private:
  ConnectionPool* pool_;
};

v1::Role RoleToProto(Role role);
std::optional<Role> RoleFromProto(v1::Role role);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CORE_KEY_STORE_H_
