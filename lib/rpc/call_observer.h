// The call observer: a gRPC server interceptor that writes one log line per
// call (method, principal, resource, request id, peer, status, duration and,
// for errors, the cause) and counts every call in the metrics registry
// (cuofeng_rpc_calls_total, cuofeng_rpc_duration_seconds). It sits in front
// of every service, so handlers do nothing for it.
#ifndef CUOFENG_LIB_RPC_CALL_OBSERVER_H_
#define CUOFENG_LIB_RPC_CALL_OBSERVER_H_

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace cuofeng {

// NewCallObserverFactory returns the interceptor factory to pass to
// ServerBuilder::experimental().SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallObserverFactory();

// NoteCallPrincipal records who a call authenticated as (e.g. "apiKeys/3f2a…"),
// for its log line. Call it from the handler's thread once the key is known;
// calls that never note one are logged by their key's fingerprint.
void NoteCallPrincipal(const grpc::ServerContextBase* ctx, const std::string& principal);

// PrincipalFromAuthorization names the caller from the authorization header
// without asking the database: "-" when there is none, "malformed" when it
// is not "Bearer <key>", else "sha256:" and the first 12 hex digits of the
// key's SHA-256, which is how core.api_key stores it (secret_sha256), so
// `SELECT id FROM core.api_key WHERE secret_sha256 LIKE '<12 digits>%'`
// finds the key. The key itself never reaches the log.
std::string PrincipalFromAuthorization(absl::string_view header);

// ResourceOf returns the resource a request names, read by field name
// (name, parent, enterprise, district, filed, base; then the same fields of
// its message fields, such as UpdateEnterpriseRequest.enterprise.name or
// ImportRegistryRequest.header.district), or "".
std::string ResourceOf(const google::protobuf::Message& request);

// RequestIdOf returns the request's request_id (or its header's), or "".
std::string RequestIdOf(const google::protobuf::Message& request);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_CALL_OBSERVER_H_
