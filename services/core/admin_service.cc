#include "services/core/admin_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/filter/filter.h"
#include "lib/paging/page_token.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/status/status_macros.h"

namespace cuofeng {

grpc::Status AdminServiceImpl::CreateApiKey(grpc::ServerContext* ctx,
                                            const v1::CreateApiKeyRequest* req,
                                            v1::CreateApiKeyResponse* resp) {
  Mutation m{"CreateApiKey", "apiKeys", req->request_id(), false};
  // A replay by request_id returns the key's record, never its secret: only
  // the hash of a secret is ever stored.
  m.for_replay = [](google::protobuf::Message* kept) {
    static_cast<v1::CreateApiKeyResponse*>(kept)->clear_secret();
  };
  return guard_->Mutate(ctx, m, resp, [&](const Principal& caller, pqxx::work& tx) -> absl::Status {
    std::optional<Role> role = RoleFromProto(req->api_key().role());
    if (!role.has_value()) {
      return InvalidArgumentWithViolations(
          {{"api_key.role",
            "须选择角色：ADMIN（管理员）、CITY（市级）、BUREAU（区级）、ENTERPRISE（企业）、"
            "VERIFIER（核查人员）或 SERVICE（服务）"}});
    }
    absl::Status scope = ValidateScope(*role, req->api_key().scope());
    if (!scope.ok()) {
      return InvalidArgumentWithViolations({{"api_key.scope", std::string(scope.message())}});
    }
    // Keys expire by the database's clock (the one authentication reads),
    // not the server's replay clock.
    const int64_t now = tx.exec1("SELECT extract(epoch from now())::bigint")[0].as<int64_t>();
    const bool expires = req->api_key().has_expire_time();
    const int64_t expire = req->api_key().expire_time().seconds();
    if (expires && (expire <= now + 60 || expire > now + 10LL * 366 * 24 * 3600)) {
      return InvalidArgumentWithViolations(
          {{"api_key.expire_time", "须在现在起至少一分钟、至多十年之内（不设：永不失效）"}});
    }
    auto created = KeyStore::CreateKey(tx, req->api_key().display_name(), *role,
                                       req->api_key().scope(), caller.key_name);
    if (!created.ok()) return created.status();
    *resp->mutable_api_key() = created->key;
    if (expires) {
      ASSIGN_OR_RETURN(*resp->mutable_api_key(),
                       KeyStore::SetExpiry(tx, created->key.name(), expire));
    }
    resp->set_secret(created->secret);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RevokeApiKey(grpc::ServerContext* ctx,
                                            const v1::RevokeApiKeyRequest* req, v1::ApiKey* resp) {
  Mutation m{"RevokeApiKey", req->name(), "", false};
  return guard_->Mutate(ctx, m, resp, [&](const Principal&, pqxx::work& tx) -> absl::Status {
    auto revoked = KeyStore::RevokeKey(tx, req->name());
    if (!revoked.ok()) return revoked.status();
    *resp = *revoked;
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetCaller(grpc::ServerContext* ctx, const v1::GetCallerRequest*,
                                         v1::ApiKey* resp) {
  auto principal = guard_->Check(ctx, "GetCaller", "");
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  *resp = KeyStore::ToProto(*principal);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListAuditEntries(grpc::ServerContext* ctx,
                                                const v1::ListAuditEntriesRequest* req,
                                                v1::ListAuditEntriesResponse* resp) {
  auto principal = guard_->Check(ctx, "ListAuditEntries", req->resource_prefix());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  int page_size = req->page_size() <= 0 ? 100 : std::min(req->page_size(), 1000);
  int64_t before = std::numeric_limits<int64_t>::max();
  const std::string scope = absl::StrCat("ListAuditEntries|", req->resource_prefix());
  auto position = DecodePageToken(scope, req->page_token());
  if (!position.ok()) return ToGrpcStatus(position.status());
  if (!position->empty() && !absl::SimpleAtoi(*position, &before)) {
    before = std::numeric_limits<int64_t>::max();
  }
  absl::Status status = InTransaction(guard_->pool(), [&](pqxx::work& tx) {
    pqxx::result r = tx.exec_params(
        "SELECT id, extract(epoch from time)::bigint, principal, method, resource, request_id, "
        "outcome, detail FROM core.audit_log WHERE id < $1 AND resource LIKE $2 "
        "ORDER BY id DESC LIMIT $3",
        before, absl::StrCat(req->resource_prefix(), "%"), page_size + 1);
    for (int i = 0; i < static_cast<int>(r.size()) && i < page_size; ++i) {
      auto* e = resp->add_audit_entries();
      e->set_id(r[i][0].as<int64_t>());
      e->mutable_time()->set_seconds(r[i][1].as<int64_t>());
      e->set_principal(r[i][2].as<std::string>());
      e->set_method(r[i][3].as<std::string>());
      e->set_resource(r[i][4].as<std::string>());
      e->set_request_id(r[i][5].as<std::string>());
      e->set_outcome(r[i][6].as<std::string>());
      e->set_detail(r[i][7].as<std::string>());
    }
    if (static_cast<int>(r.size()) > page_size) {
      resp->set_next_page_token(
          EncodePageToken(scope, absl::StrCat(resp->audit_entries(page_size - 1).id())));
    }
    return ApplyFilter(req->filter(), resp);
  });
  return ToGrpcStatus(status);
}

}  // namespace cuofeng
