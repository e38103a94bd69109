#include "services/core/call_guard.h"

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
        "no API key: send \"authorization: Bearer <key>\" (cuofeng CLI: --key or CUOFENG_KEY)");
  }
  absl::string_view secret = value;
  if (!absl::ConsumePrefix(&secret, "Bearer ") && !absl::ConsumePrefix(&secret, "bearer ")) {
    return absl::UnauthenticatedError("the authorization header must be \"Bearer <key>\"");
  }
  return std::string(secret);
}

}  // namespace

absl::StatusOr<Principal> CallGuard::CheckAuthorization(const std::string& authorization,
                                                        Action action,
                                                        const std::string& resource) {
  auto secret = SecretOf(authorization);
  if (!secret.ok()) return secret.status();
  auto principal = keys_->Authenticate(*secret);
  if (!principal.ok()) return principal.status();
  absl::Status allowed = Authorize(*principal, action, resource);
  if (!allowed.ok()) return allowed;
  return principal;
}

absl::StatusOr<Principal> CallGuard::Authenticate(const grpc::ServerContextBase* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError(
        "no API key: send \"authorization: Bearer <key>\" (cuofeng CLI: --key or CUOFENG_KEY)");
  }
  std::string value(it->second.data(), it->second.size());
  absl::string_view secret = value;
  if (!absl::ConsumePrefix(&secret, "Bearer ") && !absl::ConsumePrefix(&secret, "bearer ")) {
    return absl::UnauthenticatedError("the authorization header must be \"Bearer <key>\"");
  }
  auto principal = keys_->Authenticate(std::string(secret));
  if (!principal.ok()) return principal;
  // Text rules (lib/text/text_guard.h): a request with a NUL, a control
  // character or an over-long value goes no further.
  if (absl::Status text = TextStatusOf(ctx); !text.ok()) return text;
  return principal;
}

absl::StatusOr<Principal> CallGuard::Check(const grpc::ServerContextBase* ctx, Action action,
                                           const std::string& resource) {
  auto principal = Authenticate(ctx);
  if (!principal.ok()) return principal.status();
  absl::Status allowed = Authorize(*principal, action, resource);
  if (!allowed.ok()) return allowed;
  return principal;
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
  auto principal = Authenticate(ctx);
  if (!principal.ok()) {
    MarkAudited(ctx);
    AuditFailure("anonymous", m, principal.status());
    return ToGrpcStatus(principal.status());
  }
  absl::Status allowed = Authorize(*principal, m.action, m.resource);
  if (!allowed.ok()) {
    MarkAudited(ctx);
    AuditFailure(principal->key_name, m, allowed);
    return ToGrpcStatus(allowed);
  }
  if (m.request_id.size() > kMaxRequestIdBytes) {
    absl::Status refused = InvalidArgumentWithViolations(
        {{"request_id", absl::StrCat("at most ", kMaxRequestIdBytes, " bytes (a UUID is 36); got ",
                                     m.request_id.size())}});
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
          return absl::InvalidArgumentError(absl::StrCat(
              "request_id \"", m.request_id, "\" was already used for ",
              prior[0][0].as<std::string>(), "; use a new request_id for each operation"));
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
      std::string bytes = response->SerializeAsString();
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
                 "replayed an earlier response for this request_id");
      return absl::OkStatus();
    });
  }
  return grpc::Status::OK;
}

}  // namespace cuofeng
