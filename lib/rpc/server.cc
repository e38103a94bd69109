#include "lib/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <signal.h>

#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "lib/rpc/health.h"

namespace cuofeng {

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status ServeUntilSignal(ServerOptions& options,
                              const std::vector<NamedService>& services) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  for (const NamedService& s : services) builder.RegisterService(s.service);
  if (options.health != nullptr) builder.RegisterService(options.health);
  if (!options.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(options.interceptors));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  std::cout << "cuofeng-server listening on " << options.listen << std::endl;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  std::cout << "cuofeng-server: signal " << sig << ", finishing in-flight calls" << std::endl;
  if (options.health != nullptr) options.health->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(options.shutdown_grace_seconds));
  server->Wait();
  std::cout << "cuofeng-server: stopped" << std::endl;
  return absl::OkStatus();
}

}  // namespace cuofeng
