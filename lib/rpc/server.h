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

namespace cuofeng {

class HealthService;

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  // How long in-flight calls get to finish after a signal.
  int shutdown_grace_seconds = 10;
  // The process's health service (it follows the database); registered
  // with the other services and shut down first on a signal.
  HealthService* health = nullptr;
  // Interceptors every call goes through (the refusal audit, ...).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
};

// NamedService is a service and its full name (package.Service), under
// which health reports it SERVING.
struct NamedService {
  std::string name;
  grpc::Service* service;
};

// ServeUntilSignal starts a server with `services` and blocks until SIGINT
// or SIGTERM. Call BlockTerminationSignals() first, before any thread starts.
absl::Status ServeUntilSignal(ServerOptions& options,
                              const std::vector<NamedService>& services);

// BlockTerminationSignals blocks SIGINT and SIGTERM in the calling thread
// (and so in every thread it starts), so ServeUntilSignal can wait for them.
void BlockTerminationSignals();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_SERVER_H_
