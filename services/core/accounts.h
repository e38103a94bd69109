// Accounts for people beside the API keys for machines: a username and a
// password hashed with argon2id (libsodium's crypto_pwhash_str), the same
// roles and scopes as keys, sessions that expire, lockout after repeated
// wrong passwords, and the rotation of machine keys. A session's bearer
// token ("cfs_...") is resolved by KeyStore::Authenticate like a key, so
// every service authorises a person exactly as it would a key of the same
// role and scope.
#ifndef CUOFENG_SERVICES_CORE_ACCOUNTS_H_
#define CUOFENG_SERVICES_CORE_ACCOUNTS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cuofeng/v1/accounts.grpc.pb.h"
#include "lib/auth/policy.h"
#include "lib/db/pool.h"
#include "services/core/call_guard.h"

namespace cuofeng {

// kMaxFailedLogins wrong passwords in a row lock an account for kLockout.
inline constexpr int kMaxFailedLogins = 5;
inline constexpr absl::Duration kLockout = absl::Minutes(15);
// A session ends kSessionLifetime after login, or after kSessionIdle without a call.
inline constexpr absl::Duration kSessionLifetime = absl::Hours(12);
inline constexpr absl::Duration kSessionIdle = absl::Minutes(30);

// IsSessionToken says whether a bearer secret is a session token (cfs_...).
bool IsSessionToken(absl::string_view secret);

// AuthenticateSession returns the principal of a live session
// ("accounts/{username}", the account's role and scope), or UNAUTHENTICATED
// saying that the session ended (expired, idle, logged out, or unknown).
absl::StatusOr<Principal> AuthenticateSession(ConnectionPool& pool, const std::string& token);

// ValidateNewPassword checks a password someone chooses: 10 to 128 bytes,
// not the username, and, when `old_password` is given, different from it.
// The violation names `field`.
absl::Status ValidateNewPassword(absl::string_view field, absl::string_view username,
                                 absl::string_view password, absl::string_view old_password);

// HashPassword hashes with argon2id (libsodium's interactive limits).
absl::StatusOr<std::string> HashPassword(absl::string_view password);
// VerifyPassword says whether `password` matches `hash` (a crypto_pwhash_str string).
bool VerifyPassword(absl::string_view hash, absl::string_view password);

class AccountServiceImpl final : public v1::AccountService::Service {
 public:
  AccountServiceImpl(CallGuard* guard, ConnectionPool* pool) : guard_(guard), pool_(pool) {}

  grpc::Status CreateAccount(grpc::ServerContext* ctx, const v1::CreateAccountRequest* req,
                             v1::Account* resp) override;
  grpc::Status ListAccounts(grpc::ServerContext* ctx, const v1::ListAccountsRequest* req,
                            v1::ListAccountsResponse* resp) override;
  grpc::Status UnlockAccount(grpc::ServerContext* ctx, const v1::UnlockAccountRequest* req,
                             v1::Account* resp) override;
  grpc::Status Login(grpc::ServerContext* ctx, const v1::LoginRequest* req,
                     v1::Session* resp) override;
  grpc::Status ChangePassword(grpc::ServerContext* ctx, const v1::ChangePasswordRequest* req,
                              v1::Session* resp) override;
  grpc::Status Logout(grpc::ServerContext* ctx, const v1::LogoutRequest* req,
                      v1::LogoutResponse* resp) override;
  grpc::Status RotateApiKey(grpc::ServerContext* ctx, const v1::RotateApiKeyRequest* req,
                            v1::RotateApiKeyResponse* resp) override;

 private:
  // CheckPassword verifies `password` for `username`, counting a wrong one
  // towards the lockout (committed even though the call fails), and returns
  // the account.
  absl::StatusOr<v1::Account> CheckPassword(const std::string& username,
                                            const std::string& password);
  // StartSession opens a session for `account` in `tx`.
  static absl::Status StartSession(pqxx::work& tx, const v1::Account& account, v1::Session* out);
  void Audit(const grpc::ServerContextBase* ctx, const std::string& principal, const char* method,
             const std::string& resource, const absl::Status& outcome);

  CallGuard* guard_;
  ConnectionPool* pool_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CORE_ACCOUNTS_H_
