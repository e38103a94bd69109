#include "services/core/key_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/hash/sha256.h"
#include "services/core/accounts.h"

namespace cuofeng {
namespace {

constexpr char kSecretPrefix[] = "cfk_";

v1::ApiKey RowToProto(const pqxx::row& row) {
  v1::ApiKey key;
  key.set_name(absl::StrCat("apiKeys/", row["id"].as<std::string>()));
  key.set_display_name(row["display_name"].as<std::string>());
  key.set_role(RoleToProto(ParseRole(row["role"].as<std::string>()).value_or(Role::kEnterprise)));
  key.set_scope(row["scope"].as<std::string>());
  key.mutable_create_time()->set_seconds(row["create_epoch"].as<int64_t>());
  key.set_revoked(!row["revoke_time"].is_null());
  if (!row["expire_epoch"].is_null()) {
    key.mutable_expire_time()->set_seconds(row["expire_epoch"].as<int64_t>());
  }
  return key;
}

constexpr char kKeyColumns[] =
    "id, display_name, role, scope, revoke_time, extract(epoch from create_time)::bigint AS "
    "create_epoch, extract(epoch from expire_time)::bigint AS expire_epoch";

}  // namespace

v1::Role RoleToProto(Role role) {
  switch (role) {
    case Role::kAdmin:
      return v1::ADMIN;
    case Role::kCity:
      return v1::CITY;
    case Role::kBureau:
      return v1::BUREAU;
    case Role::kEnterprise:
      return v1::ENTERPRISE;
    case Role::kVerifier:
      return v1::VERIFIER;
    case Role::kService:
      return v1::SERVICE;
  }
  return v1::ROLE_UNSPECIFIED;
}

std::optional<Role> RoleFromProto(v1::Role role) {
  switch (role) {
    case v1::ADMIN:
      return Role::kAdmin;
    case v1::CITY:
      return Role::kCity;
    case v1::BUREAU:
      return Role::kBureau;
    case v1::ENTERPRISE:
      return Role::kEnterprise;
    case v1::VERIFIER:
      return Role::kVerifier;
    case v1::SERVICE:
      return Role::kService;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<Principal> KeyStore::Authenticate(const std::string& secret) {
  // A person's session (services/core/accounts.h) is resolved like a key, never cached.
  if (IsSessionToken(secret)) return AuthenticateSession(*pool_, secret);
  if (!absl::StartsWith(secret, kSecretPrefix)) {
    return absl::UnauthenticatedError("API 密钥格式错误（cuofeng 的密钥以 cfk_ 开头）");
  }
  if (secret.size() > 200) return absl::UnauthenticatedError("API 密钥不存在、已吊销或已过期");
  std::string hash = Sha256Hex(secret);
  absl::StatusOr<Principal> result = absl::UnauthenticatedError("API 密钥不存在、已吊销或已过期");
  absl::Status db = InTransaction(*pool_, [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        "SELECT id, role, scope FROM core.api_key WHERE secret_sha256 = $1 AND revoke_time IS NULL "
        "AND (expire_time IS NULL OR expire_time > now())",
        hash);
    if (!r.empty()) {
      Principal p;
      p.key_name = absl::StrCat("apiKeys/", r[0][0].as<std::string>());
      p.role = ParseRole(r[0][1].as<std::string>()).value_or(Role::kEnterprise);
      p.scope = r[0][2].as<std::string>();
      result = p;
    }
    return absl::OkStatus();
  });
  if (!db.ok()) return db;
  return result;
}

absl::StatusOr<NewKey> KeyStore::CreateKey(pqxx::work& tx, const std::string& display_name,
                                           Role role, const std::string& scope,
                                           const std::string& created_by) {
  absl::Status scope_ok = ValidateScope(role, scope);
  if (!scope_ok.ok()) return scope_ok;
  NewKey out;
  out.secret = absl::StrCat(kSecretPrefix, RandomToken(32));
  std::string id = Sha256Hex(RandomToken(16)).substr(0, 16);
  pqxx::result r = tx.exec_params(
      absl::StrCat("INSERT INTO core.api_key (id, display_name, role, scope, secret_sha256, "
                   "created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                   kKeyColumns),
      id, display_name, RoleName(role), scope, Sha256Hex(out.secret), created_by);
  out.key = RowToProto(r[0]);
  return out;
}

absl::StatusOr<v1::ApiKey> KeyStore::SetExpiry(pqxx::work& tx, const std::string& name,
                                               int64_t expire_epoch) {
  absl::string_view view = name;
  absl::ConsumePrefix(&view, "apiKeys/");
  pqxx::result r = tx.exec_params(
      absl::StrCat("UPDATE core.api_key SET expire_time = to_timestamp($2) WHERE id = $1 "
                   "RETURNING ",
                   kKeyColumns),
      std::string(view), expire_epoch);
  if (r.empty()) return absl::NotFoundError(absl::StrCat(name, " 不存在"));
  return RowToProto(r[0]);
}

absl::StatusOr<v1::ApiKey> KeyStore::RevokeKey(pqxx::work& tx, const std::string& name) {
  absl::string_view view = name;
  if (!absl::ConsumePrefix(&view, "apiKeys/") || view.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("name \"", name, "\" 不是 apiKeys/{key}"));
  }
  pqxx::result r = tx.exec_params(
      absl::StrCat("UPDATE core.api_key SET revoke_time = coalesce(revoke_time, now()) "
                   "WHERE id = $1 RETURNING ",
                   kKeyColumns),
      std::string(view));
  if (r.empty()) return absl::NotFoundError(absl::StrCat(name, " 不存在"));
  return RowToProto(r[0]);
}

v1::ApiKey KeyStore::ToProto(const Principal& p) {
  v1::ApiKey key;
  key.set_name(p.key_name);
  key.set_role(RoleToProto(p.role));
  key.set_scope(p.scope);
  return key;
}

}  // namespace cuofeng
