#include "services/core/accounts.h"

#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "lib/hash/sha256.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"
#include "services/core/audit.h"
#include "services/core/key_store.h"

namespace cuofeng {
namespace {

constexpr char kSessionPrefix[] = "cfs_";
const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

constexpr char kAccountColumns[] =
    "username, display_name, role, scope, must_change_password, "
    "extract(epoch from locked_until)::bigint AS locked_epoch, "
    "extract(epoch from create_time)::bigint AS create_epoch, created_by, "
    "disable_time IS NOT NULL AS disabled, password_hash, "
    "locked_until > now() AS locked";

v1::Account RowToAccount(const pqxx::row& row) {
  v1::Account a;
  a.set_username(row["username"].as<std::string>());
  a.set_name(absl::StrCat("accounts/", a.username()));
  a.set_display_name(row["display_name"].as<std::string>());
  a.set_role(RoleToProto(ParseRole(row["role"].as<std::string>()).value_or(Role::kEnterprise)));
  a.set_scope(row["scope"].as<std::string>());
  a.set_must_change_password(row["must_change_password"].as<bool>());
  if (!row["locked_epoch"].is_null() && row["locked"].as<bool>(false)) {
    a.mutable_locked_until()->set_seconds(row["locked_epoch"].as<int64_t>());
  }
  a.mutable_create_time()->set_seconds(row["create_epoch"].as<int64_t>());
  a.set_created_by(row["created_by"].as<std::string>());
  a.set_disabled(row["disabled"].as<bool>());
  return a;
}

bool EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// The same wording whether the username exists or not.
absl::Status WrongPassword() {
  return WithReason(absl::UnauthenticatedError(absl::StrCat(
                        "用户名或密码错误（连续 ", kMaxFailedLogins, " 次错误后账户将锁定 ",
                        absl::ToInt64Minutes(kLockout), " 分钟）")),
                    "WRONG_PASSWORD");
}

absl::Status Locked(int64_t until_epoch) {
  return WithReason(absl::PermissionDeniedError(absl::StrCat(
                        "账户已锁定：连续 ", kMaxFailedLogins, " 次密码错误。请于北京时间 ",
                        absl::FormatTime("%H:%M", absl::FromUnixSeconds(until_epoch), kChina),
                        " 之后再试，或请管理员（区工信委）解锁。")),
                    "ACCOUNT_LOCKED");
}

std::string ResourceOfScope(const std::string& scope) { return scope.empty() ? "accounts" : scope; }

absl::StatusOr<std::string> UsernameOf(const std::string& name) {
  absl::string_view view = name;
  if (!absl::ConsumePrefix(&view, "accounts/") || view.empty()) {
    return InvalidArgumentWithViolations({{"name", "须为 accounts/{username}"}});
  }
  return std::string(view);
}

}  // namespace

bool IsSessionToken(absl::string_view secret) { return absl::StartsWith(secret, kSessionPrefix); }

absl::StatusOr<Principal> AuthenticateSession(ConnectionPool& pool, const std::string& token) {
  const std::string hash = Sha256Hex(token);
  absl::StatusOr<Principal> result =
      absl::UnauthenticatedError("会话已结束（已过期、长时间未操作或已退出），请重新登录");
  RETURN_IF_ERROR(InTransaction(pool, [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        "SELECT a.username, a.role, a.scope, s.last_seen < now() - interval '30 seconds' "
        "FROM core.account_session s JOIN core.account a USING (username) "
        "WHERE s.token_sha256 = $1 AND s.end_time IS NULL AND s.expire_time > now() "
        "AND s.last_seen > now() - make_interval(mins => s.idle_minutes) "
        "AND a.disable_time IS NULL",
        hash);
    if (r.empty()) return absl::OkStatus();
    Principal p;
    p.key_name = absl::StrCat("accounts/", r[0][0].as<std::string>());
    p.role = ParseRole(r[0][1].as<std::string>()).value_or(Role::kEnterprise);
    p.scope = r[0][2].as<std::string>();
    // The idle clock is moved at most every 30 s, not on every call.
    if (r[0][3].as<bool>()) {
      tx.exec_params0("UPDATE core.account_session SET last_seen = now() WHERE token_sha256 = $1",
                      hash);
    }
    result = p;
    return absl::OkStatus();
  }));
  return result;
}

absl::Status ValidateNewPassword(absl::string_view field, absl::string_view username,
                                 absl::string_view password, absl::string_view old_password) {
  std::string why;
  if (password.size() < 10) {
    why = "密码至少 10 个字符";
  } else if (password.size() > 128) {
    why = "密码至多 128 个字节";
  } else if (password == username) {
    why = "密码不能与用户名相同";
  } else if (!old_password.empty() && password == old_password) {
    why = "新密码不能与原密码相同";
  }
  if (why.empty()) return absl::OkStatus();
  return InvalidArgumentWithViolations({{std::string(field), why}});
}

absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  if (!EnsureSodium()) return absl::InternalError("密码哈希库 libsodium 无法初始化");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return absl::ResourceExhaustedError("内存不足，无法计算密码哈希");
  }
  return std::string(out);
}

bool VerifyPassword(absl::string_view hash, absl::string_view password) {
  if (!EnsureSodium()) return false;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void AccountServiceImpl::Audit(const grpc::ServerContextBase* ctx, const std::string& principal,
                               const char* method, const std::string& resource,
                               const absl::Status& outcome) {
  if (ctx != nullptr) MarkAudited(ctx);
  absl::Status written = InTransaction(*pool_, [&](pqxx::work& tx) {
    WriteAudit(tx, principal, method, resource, "", StatusCodeName(outcome.code()),
               std::string(outcome.message()));
    return absl::OkStatus();
  });
  if (!written.ok()) ReportAuditFailure(method, written);
}

absl::StatusOr<v1::Account> AccountServiceImpl::CheckPassword(const std::string& username,
                                                              const std::string& password) {
  pqxx::result found;
  RETURN_IF_ERROR(InTransaction(*pool_, [&](pqxx::work& tx) {
    found = tx.exec_params(
        absl::StrCat("SELECT ", kAccountColumns, " FROM core.account WHERE username = $1"),
        username);
    return absl::OkStatus();
  }));
  if (found.empty()) {
    // As slow as a real check, so the time does not tell which usernames exist.
    static const std::string dummy = HashPassword("not-a-password").value_or("");
    VerifyPassword(dummy, password);
    return WrongPassword();
  }
  v1::Account account = RowToAccount(found[0]);
  if (account.disabled()) {
    return WithReason(absl::PermissionDeniedError("账户已停用，请联系管理员"), "ACCOUNT_DISABLED");
  }
  if (account.has_locked_until()) return Locked(account.locked_until().seconds());
  if (VerifyPassword(found[0]["password_hash"].as<std::string>(), password)) {
    RETURN_IF_ERROR(InTransaction(*pool_, [&](pqxx::work& tx) {
      tx.exec_params0(
          "UPDATE core.account SET failed_logins = 0, locked_until = NULL WHERE username = $1",
          username);
      return absl::OkStatus();
    }));
    return account;
  }
  absl::Status refused = WrongPassword();
  RETURN_IF_ERROR(InTransaction(*pool_, [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        "UPDATE core.account SET "
        "failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END, "
        "locked_until = CASE WHEN failed_logins + 1 >= $2 "
        "  THEN now() + make_interval(mins => $3) ELSE locked_until END "
        "WHERE username = $1 RETURNING extract(epoch from locked_until)::bigint, "
        "locked_until > now()",
        username, kMaxFailedLogins, static_cast<int>(absl::ToInt64Minutes(kLockout)));
    if (!r.empty() && !r[0][0].is_null() && r[0][1].as<bool>(false)) {
      refused = Locked(r[0][0].as<int64_t>());
    }
    return absl::OkStatus();
  }));
  return refused;
}

absl::Status AccountServiceImpl::StartSession(pqxx::work& tx, const v1::Account& account,
                                              v1::Session* out) {
  out->set_token(absl::StrCat(kSessionPrefix, RandomToken(32)));
  pqxx::result r = tx.exec_params(
      "INSERT INTO core.account_session (token_sha256, username, expire_time, idle_minutes) "
      "VALUES ($1, $2, now() + make_interval(mins => $3), $4) "
      "RETURNING extract(epoch from expire_time)::bigint",
      Sha256Hex(out->token()), account.username(),
      static_cast<int>(absl::ToInt64Minutes(kSessionLifetime)),
      static_cast<int>(absl::ToInt64Minutes(kSessionIdle)));
  out->mutable_expire_time()->set_seconds(r[0][0].as<int64_t>());
  out->mutable_idle_timeout()->set_seconds(absl::ToInt64Seconds(kSessionIdle));
  *out->mutable_account() = account;
  return absl::OkStatus();
}

grpc::Status AccountServiceImpl::Login(grpc::ServerContext* ctx, const v1::LoginRequest* req,
                                       v1::Session* resp) {
  const std::string resource = absl::StrCat("accounts/", req->username().substr(0, 64));
  absl::Status status = [&]() -> absl::Status {
    if (req->username().empty() || req->password().empty()) {
      std::vector<FieldViolation> v;
      if (req->username().empty()) v.push_back({"username", "请输入用户名"});
      if (req->password().empty()) v.push_back({"password", "请输入密码"});
      return InvalidArgumentWithViolations(v);
    }
    ASSIGN_OR_RETURN(v1::Account account, CheckPassword(req->username(), req->password()));
    if (account.must_change_password()) {
      return WithReason(absl::FailedPreconditionError("首次登录须修改初始密码"),
                        "PASSWORD_CHANGE_REQUIRED");
    }
    return InTransaction(*pool_, [&](pqxx::work& tx) { return StartSession(tx, account, resp); });
  }();
  Audit(ctx, status.ok() ? resource : "anonymous", "Login", resource, status);
  return ToGrpcStatus(status);
}

grpc::Status AccountServiceImpl::ChangePassword(grpc::ServerContext* ctx,
                                                const v1::ChangePasswordRequest* req,
                                                v1::Session* resp) {
  const std::string resource = absl::StrCat("accounts/", req->username().substr(0, 64));
  absl::Status status = [&]() -> absl::Status {
    RETURN_IF_ERROR(ValidateNewPassword("new_password", req->username(), req->new_password(),
                                        req->old_password()));
    ASSIGN_OR_RETURN(v1::Account account, CheckPassword(req->username(), req->old_password()));
    ASSIGN_OR_RETURN(std::string hash, HashPassword(req->new_password()));
    account.set_must_change_password(false);
    return InTransaction(*pool_, [&](pqxx::work& tx) {
      tx.exec_params0(
          "UPDATE core.account SET password_hash = $2, must_change_password = false, "
          "password_time = now() WHERE username = $1",
          account.username(), hash);
      // A new password ends every other session of the account.
      tx.exec_params0(
          "UPDATE core.account_session SET end_time = now() "
          "WHERE username = $1 AND end_time IS NULL",
          account.username());
      return StartSession(tx, account, resp);
    });
  }();
  Audit(ctx, status.ok() ? resource : "anonymous", "ChangePassword", resource, status);
  return ToGrpcStatus(status);
}

grpc::Status AccountServiceImpl::Logout(grpc::ServerContext* ctx, const v1::LogoutRequest*,
                                        v1::LogoutResponse*) {
  auto principal = guard_->Authenticate(ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  std::string token(it->second.data(), it->second.size());
  absl::string_view view = token;
  absl::ConsumePrefix(&view, "Bearer ") || absl::ConsumePrefix(&view, "bearer ");
  absl::Status status = absl::OkStatus();
  if (!IsSessionToken(view)) {
    status = InvalidArgumentWithViolations(
        {{"authorization", "API 密钥没有可结束的会话；请改为吊销密钥"}});
  } else {
    status = InTransaction(*pool_, [&](pqxx::work& tx) {
      tx.exec_params0(
          "UPDATE core.account_session SET end_time = now() "
          "WHERE token_sha256 = $1 AND end_time IS NULL",
          Sha256Hex(std::string(view)));
      return absl::OkStatus();
    });
  }
  Audit(ctx, principal->key_name, "Logout", principal->key_name, status);
  return ToGrpcStatus(status);
}

grpc::Status AccountServiceImpl::CreateAccount(grpc::ServerContext* ctx,
                                               const v1::CreateAccountRequest* req,
                                               v1::Account* resp) {
  const v1::Account& a = req->account();
  Mutation m{"CreateAccount", ResourceOfScope(a.scope()), req->request_id(), false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& caller, pqxx::work& tx) -> absl::Status {
    std::vector<FieldViolation> v;
    std::optional<Role> role = RoleFromProto(a.role());
    if (!role.has_value()) {
      v.push_back({"account.role",
                   "须选择角色：ADMIN（管理员）、CITY（市级）、BUREAU（区级）、ENTERPRISE（企业）、"
                   "VERIFIER（核查人员）"});
    } else if (absl::Status scope = ValidateScope(*role, a.scope()); !scope.ok()) {
      v.push_back({"account.scope", std::string(scope.message())});
    }
    if (a.username().size() < 3 || a.username().size() > 64 ||
        a.username().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") !=
            std::string::npos ||
        a.username()[0] == '.' || a.username()[0] == '_' || a.username()[0] == '-') {
      v.push_back({"account.username", "须为 3—64 个 a-z、0-9、'.'、'_'、'-'，以字母或数字开头"});
    }
    if (absl::Status p =
            ValidateNewPassword("initial_password", a.username(), req->initial_password(), "");
        !p.ok()) {
      for (auto& f : FieldViolations(p)) v.push_back(f);
    }
    if (!v.empty()) return InvalidArgumentWithViolations(v);
    if (caller.role == Role::kBureau && *role != Role::kBureau && *role != Role::kVerifier &&
        *role != Role::kEnterprise) {
      return absl::PermissionDeniedError(
          absl::StrCat("无权操作：区级只能创建本区的区级、核查人员和企业账号，不能创建",
                       RoleNameZh(*role), "账号"));
    }
    ASSIGN_OR_RETURN(std::string hash, HashPassword(req->initial_password()));
    pqxx::result r = tx.exec_params(
        absl::StrCat("INSERT INTO core.account (username, display_name, role, scope, "
                     "password_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6) "
                     "ON CONFLICT (username) DO NOTHING RETURNING ",
                     kAccountColumns),
        a.username(), a.display_name(), RoleName(*role), a.scope(), hash, caller.key_name);
    if (r.empty()) {
      return absl::AlreadyExistsError(absl::StrCat("accounts/", a.username(), " 已存在"));
    }
    *resp = RowToAccount(r[0]);
    return absl::OkStatus();
  });
}

grpc::Status AccountServiceImpl::ListAccounts(grpc::ServerContext* ctx,
                                              const v1::ListAccountsRequest* req,
                                              v1::ListAccountsResponse* resp) {
  auto caller = guard_->Authenticate(ctx);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::string scope = req->scope();
  if (scope.empty() && caller->role == Role::kBureau) scope = caller->scope;
  auto allowed = guard_->Allow(*caller, "ListAccounts", ResourceOfScope(scope));
  if (!allowed.ok()) return ToGrpcStatus(allowed.status());
  absl::Status status = InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        absl::StrCat("SELECT ", kAccountColumns,
                     " FROM core.account WHERE $1 = '' OR scope = $1 OR scope LIKE $1 || '/%' "
                     "ORDER BY username"),
        scope);
    for (const auto& row : r) *resp->add_accounts() = RowToAccount(row);
    return absl::OkStatus();
  });
  return ToGrpcStatus(status);
}

grpc::Status AccountServiceImpl::UnlockAccount(grpc::ServerContext* ctx,
                                               const v1::UnlockAccountRequest* req,
                                               v1::Account* resp) {
  auto username = UsernameOf(req->name());
  if (!username.ok()) return ToGrpcStatus(username.status());
  std::string scope = "\x01";  // no such account: only the admin gets as far as NOT_FOUND
  (void)InTransaction(*pool_, [&](pqxx::work& tx) {
    pqxx::result r =
        tx.exec_params("SELECT scope FROM core.account WHERE username = $1", *username);
    if (!r.empty()) scope = r[0][0].as<std::string>();
    return absl::OkStatus();
  });
  Mutation m{"UnlockAccount", scope == "\x01" ? req->name() : ResourceOfScope(scope), "", false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_params(
        absl::StrCat("UPDATE core.account SET failed_logins = 0, locked_until = NULL "
                     "WHERE username = $1 RETURNING ",
                     kAccountColumns),
        *username);
    if (r.empty()) return absl::NotFoundError(absl::StrCat(req->name(), " 不存在"));
    *resp = RowToAccount(r[0]);
    return absl::OkStatus();
  });
}

grpc::Status AccountServiceImpl::RotateApiKey(grpc::ServerContext* ctx,
                                              const v1::RotateApiKeyRequest* req,
                                              v1::RotateApiKeyResponse* resp) {
  // No request_id: a replay would have to store the new secret.
  Mutation m{"RotateApiKey", req->name(), "", false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal& caller, pqxx::work& tx) -> absl::Status {
    absl::string_view id = req->name();
    if (!absl::ConsumePrefix(&id, "apiKeys/") || id.empty()) {
      return InvalidArgumentWithViolations({{"name", "须为 apiKeys/{key}"}});
    }
    if (req->grace().seconds() < 0 || req->ttl().seconds() < 0) {
      return InvalidArgumentWithViolations(
          {{req->grace().seconds() < 0 ? "grace" : "ttl", "不能为负"}});
    }
    pqxx::result old = tx.exec_params(
        "SELECT display_name, role, scope FROM core.api_key WHERE id = $1 AND revoke_time IS NULL "
        "AND (expire_time IS NULL OR expire_time > now()) FOR UPDATE",
        std::string(id));
    if (old.empty()) {
      return absl::NotFoundError(absl::StrCat(req->name(), " 不存在或已失效"));
    }
    ASSIGN_OR_RETURN(NewKey created,
                     KeyStore::CreateKey(tx, old[0][0].as<std::string>(),
                                         ParseRole(old[0][1].as<std::string>()).value(),
                                         old[0][2].as<std::string>(), caller.key_name));
    absl::string_view new_id = created.key.name();
    absl::ConsumePrefix(&new_id, "apiKeys/");
    if (req->has_ttl() && req->ttl().seconds() > 0) {
      tx.exec_params0(
          "UPDATE core.api_key SET expire_time = now() + make_interval(secs => $2) WHERE id = $1",
          std::string(new_id), static_cast<double>(req->ttl().seconds()));
    }
    const int64_t grace = req->has_grace() ? req->grace().seconds() : 24 * 3600;
    pqxx::result r = tx.exec_params(
        "UPDATE core.api_key SET rotated_to = $2, expire_time = "
        "least(coalesce(expire_time, 'infinity'), now() + make_interval(secs => $3)) "
        "WHERE id = $1 RETURNING extract(epoch from expire_time)::bigint",
        std::string(id), std::string(new_id), static_cast<double>(grace));
    resp->mutable_old_key_expire_time()->set_seconds(r[0][0].as<int64_t>());
    *resp->mutable_api_key() = created.key;
    resp->set_secret(created.secret);
    return absl::OkStatus();
  });
}

}  // namespace cuofeng
