// Server bootstrap shared by every cuofeng process: listen, register the
// services, health (per service name) and reflection, then run until SIGINT
// or SIGTERM and shut down letting in-flight calls finish.
#ifndef CUOFENG_LIB_RPC_SERVER_H_
#define CUOFENG_LIB_RPC_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

class HealthService;

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  // How long in-flight calls get to finish after a signal.
  int shutdown_grace_seconds = 10;
  // TLS: PEM files of the server's certificate (chain) and private key.
  // Both or neither; with neither the server speaks plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A second, plaintext address for this process's calls to itself (the
  // planning and compliance services read the registry over gRPC), used when
  // `listen` speaks TLS; e.g. "unix-abstract:cuofeng-server-<pid>". Empty: none.
  std::string internal_listen;
  // The process's health service (it follows the database); registered
  // with the other services and shut down first on a signal.
  HealthService* health = nullptr;
  // Interceptors every call goes through after the call observer (the
  // refusal audit, ...).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
};

// ListeningCredentials returns TLS credentials when the options name a
// certificate and key (refusing, with the flag named, a missing or unreadable
// file, a file that is not PEM, or a key that does not match the
// certificate), else plaintext ones.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListeningCredentials(
    const ServerOptions& options);

// IsLoopbackAddress says whether a listen address is reachable from this
// machine only (127.0.0.0/8, ::1, localhost, unix sockets).
bool IsLoopbackAddress(absl::string_view address);

// RouteGrpcLogsToLogger sends gRPC's own log lines (handshake failures,
// transport errors) through lib/log, so every line the server writes has
// the same format; they carry source=grpc and the gRPC file:line.
void RouteGrpcLogsToLogger();

// AddCallObserver puts the call observer (one log line and the metrics per
// call, lib/rpc/call_observer.h) in front of every service of `builder`,
// followed by `more` interceptors.
void AddCallObserver(
    grpc::ServerBuilder& builder,
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> more = {});

// NamedService is a service and its full name (package.Service), under
// which health reports it SERVING.
struct NamedService {
  std::string name;
  grpc::Service* service;
};

// ServeUntilSignal starts a server with `services` and blocks until SIGINT
// or SIGTERM. Call BlockTerminationSignals() first, before any thread starts.
absl::Status ServeUntilSignal(ServerOptions& options, const std::vector<NamedService>& services);

// BlockTerminationSignals blocks SIGINT and SIGTERM in the calling thread
// (and so in every thread it starts), so ServeUntilSignal can wait for them.
void BlockTerminationSignals();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_SERVER_H_
