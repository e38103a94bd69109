#include "services/core/call_guard.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "lib/text/text_guard.h"

namespace cuofeng {

namespace {

constexpr size_t kMaxRequestIdBytes = 200;

absl::StatusOr<std::string> SecretOf(const std::string& value) {
  if (value.empty()) {
    return absl::UnauthenticatedError(
        "缺少 API 密钥：请发送 \"authorization: Bearer <key>\"（cuofeng 命令行：--key 或 "
        "CUOFENG_KEY）");
  }
  absl::string_view secret = value;
  if (!absl::ConsumePrefix(&secret, "Bearer ") && !absl::ConsumePrefix(&secret, "bearer ")) {
    return absl::UnauthenticatedError("authorization 头必须是 \"Bearer <key>\"");
  }
  return std::string(secret);
}

// Allowed turns the access table's answer into the caller's principal,
// refusing a narrowed answer the handler would not apply.
absl::StatusOr<Principal> Allowed(const Principal& principal, absl::string_view method,
                                  const std::string& resource, std::string* narrow_to) {
  auto access = Authorize(principal, method, resource);
  if (!access.ok()) return access.status();
  if (narrow_to != nullptr) {
    *narrow_to = access->narrow_to;
  } else if (!access->narrow_to.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("无权操作：", principal.scope, " 的账号只能在本范围内调用 ", method));
  }
  return principal;
}

}  // namespace

absl::StatusOr<Principal> CallGuard::CheckAuthorization(const std::string& authorization,
                                                        absl::string_view method,
                                                        const std::string& resource) {
  auto secret = SecretOf(authorization);
  if (!secret.ok()) return secret.status();
  auto principal = keys_->Authenticate(*secret);
  if (!principal.ok()) return principal.status();
  return Allowed(*principal, method, resource, nullptr);
}

absl::StatusOr<Principal> CallGuard::KeyOf(const grpc::ServerContextBase* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  std::string value;
  if (it != md.end()) value.assign(it->second.data(), it->second.size());
  auto secret = SecretOf(value);
  if (!secret.ok()) return secret.status();
  return keys_->Authenticate(*secret);
}

absl::StatusOr<Principal> CallGuard::Authenticate(const grpc::ServerContextBase* ctx) {
  auto principal = KeyOf(ctx);
  if (!principal.ok()) return principal;
  // Text rules (lib/text/text_guard.h): a request with a NUL, a control
  // character or an over-long value goes no further.
  if (absl::Status text = TextStatusOf(ctx); !text.ok()) return text;
  return principal;
}

absl::StatusOr<Principal> CallGuard::Allow(const Principal& principal, absl::string_view method,
                                           const std::string& resource, std::string* narrow_to) {
  return Allowed(principal, method, resource, narrow_to);
}

absl::StatusOr<Principal> CallGuard::Check(const grpc::ServerContextBase* ctx,
                                           absl::string_view method, const std::string& resource,
                                           std::string* narrow_to) {
  auto principal = Authenticate(ctx);
  if (!principal.ok()) return principal.status();
  return Allowed(*principal, method, resource, narrow_to);
}

void CallGuard::AuditFailure(const std::string& principal, const Mutation& m,
                             const absl::Status& status) {
  // A failed audit write must not hide the original error; it is logged
  // and counted instead.
  absl::Status written = InTransaction(*pool_, [&](pqxx::work& tx) {
    WriteAudit(tx, principal, m.method, m.resource, m.request_id, StatusCodeName(status.code()),
               std::string(status.message()));
    return absl::OkStatus();
  });
  if (!written.ok()) ReportAuditFailure(absl::StrCat("refusal of ", m.method), written);
}

grpc::Status CallGuard::Mutate(
    const grpc::ServerContextBase* ctx, const Mutation& m, google::protobuf::Message* response,
    const std::function<absl::Status(const Principal&, pqxx::work&)>& body) {
  auto principal = KeyOf(ctx);
  if (!principal.ok()) {
    MarkAudited(ctx);
    AuditFailure("anonymous", m, principal.status());
    return ToGrpcStatus(principal.status());
  }
  // The text rules after the key: a refusal of a known caller's text is
  // audited under the caller's key.
  if (absl::Status text = TextStatusOf(ctx); !text.ok()) {
    MarkAudited(ctx);
    AuditFailure(principal->key_name, m, text);
    return ToGrpcStatus(text);
  }
  auto allowed = Allowed(*principal, m.method, m.resource, nullptr);
  if (!allowed.ok()) {
    MarkAudited(ctx);
    AuditFailure(principal->key_name, m, allowed.status());
    return ToGrpcStatus(allowed.status());
  }
  if (m.request_id.size() > kMaxRequestIdBytes) {
    absl::Status refused = InvalidArgumentWithViolations(
        {{"request_id", absl::StrCat("至多 ", kMaxRequestIdBytes, " 字节（UUID 为 36 字节）；实为 ",
                                     m.request_id.size(), " 字节")}});
    MarkAudited(ctx);
    AuditFailure(principal->key_name, m, refused);
    return ToGrpcStatus(refused);
  }
  const bool replayable = !m.request_id.empty() && !m.validate_only;
  bool replayed = false;
  absl::Status status = InTransaction(*pool_, [&](pqxx::work& tx) -> absl::Status {
    if (replayable) {
      // Serialises concurrent retries of the same request.
      tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))", principal->key_name,
                     m.request_id);
      pqxx::result prior = tx.exec_params(
          "SELECT method, response FROM core.idempotency WHERE principal = $1 AND request_id = $2",
          principal->key_name, m.request_id);
      if (!prior.empty()) {
        if (prior[0][0].as<std::string>() != m.method) {
          return absl::InvalidArgumentError(
              absl::StrCat("request_id \"", m.request_id, "\" 已用于 ",
                           prior[0][0].as<std::string>(), "；每次操作请用新的 request_id"));
        }
        pqxx::binarystring bytes(prior[0][1]);
        response->ParseFromString(bytes.str());
        replayed = true;
        return absl::OkStatus();
      }
    }
    absl::Status done = body(*principal, tx);
    if (!done.ok()) return done;
    if (m.validate_only) return absl::CancelledError("validate_only");
    if (replayable) {
      std::string bytes;
      if (m.for_replay) {
        std::unique_ptr<google::protobuf::Message> kept(response->New());
        kept->CopyFrom(*response);
        m.for_replay(kept.get());
        bytes = kept->SerializeAsString();
      } else {
        bytes = response->SerializeAsString();
      }
      tx.exec_params0(
          "INSERT INTO core.idempotency (principal, request_id, method, response) "
          "VALUES ($1, $2, $3, $4)",
          principal->key_name, m.request_id, m.method, pqxx::binarystring(bytes));
    }
    WriteAudit(tx, principal->key_name, m.method, m.resource, m.request_id, "OK", "");
    return absl::OkStatus();
  });
  if (m.validate_only && status.code() == absl::StatusCode::kCancelled &&
      status.message() == "validate_only") {
    return grpc::Status::OK;
  }
  if (!status.ok()) {
    MarkAudited(ctx);
    AuditFailure(principal->key_name, m, status);
    return ToGrpcStatus(status);
  }
  if (router_ != nullptr && !replayed && !m.validate_only)
    router_->RecordWrite(principal->key_name);
  if (replayed) {
    (void)InTransaction(*pool_, [&](pqxx::work& tx) {
      WriteAudit(tx, principal->key_name, m.method, m.resource, m.request_id, "OK",
                 "重复的请求：按此 request_id 返回了先前的结果，未再执行");
      return absl::OkStatus();
    });
  }
  return grpc::Status::OK;
}

}  // namespace cuofeng
