#include "lib/rpc/server.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/log/log.h"
#include "lib/rpc/call_observer.h"
#include "lib/rpc/health.h"

namespace cuofeng {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", path, ": cannot read"));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", path, ": not a PEM file (no -----BEGIN line)"));
  }
  return text.str();
}

// CheckKeyPair parses the certificate and key with OpenSSL so a bad pair is
// refused with a clear message instead of gRPC failing to listen.
absl::Status CheckKeyPair(const ServerOptions& options, const std::string& cert_pem,
                          const std::string& key_pem) {
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  absl::Status status = absl::OkStatus();
  if (cert == nullptr) {
    status = absl::InvalidArgumentError(
        absl::StrCat("--tls_cert=", options.tls_cert_file, ": no readable PEM certificate"));
  } else if (key == nullptr) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "--tls_key=", options.tls_key_file, ": no readable PEM private key (unencrypted)"));
  } else if (X509_check_private_key(cert, key) != 1) {
    status = absl::InvalidArgumentError(
        absl::StrCat("--tls_key=", options.tls_key_file,
                     " is not the key of --tls_cert=", options.tls_cert_file));
  }
  ERR_clear_error();
  X509_free(cert);
  EVP_PKEY_free(key);
  return status;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListeningCredentials(
    const ServerOptions& options) {
  const bool cert = !options.tls_cert_file.empty();
  const bool key = !options.tls_key_file.empty();
  if (!cert && !key) return grpc::InsecureServerCredentials();
  if (cert != key) {
    return absl::InvalidArgumentError(cert ? "--tls_cert needs --tls_key (the certificate's key)"
                                           : "--tls_key needs --tls_cert (the certificate)");
  }
  auto cert_pem = ReadPemFile("tls_cert", options.tls_cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadPemFile("tls_key", options.tls_key_file);
  if (!key_pem.ok()) return key_pem.status();
  if (absl::Status s = CheckKeyPair(options, *cert_pem, *key_pem); !s.ok()) return s;
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key_pem, *cert_pem});
  return grpc::SslServerCredentials(ssl);
}

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  absl::ConsumePrefix(&address, "dns:");
  absl::ConsumePrefix(&address, "ipv4:");
  absl::ConsumePrefix(&address, "ipv6:");
  absl::string_view host = address;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(
        1, host.find(']') == absl::string_view::npos ? host.size() - 1 : host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

void RouteGrpcLogsToLogger() {
  gpr_set_log_function([](gpr_log_func_args* args) {
    logging::Log(
        args->severity == GPR_LOG_SEVERITY_ERROR ? logging::Level::kError : logging::Level::kInfo,
        args->message == nullptr ? "" : args->message,
        {{"source", "grpc"},
         {"at", absl::StrCat(args->file == nullptr ? "" : args->file, ":", args->line)}});
  });
}

void AddCallObserver(
    grpc::ServerBuilder& builder,
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> more) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(NewCallObserverFactory());
  for (auto& m : more) creators.push_back(std::move(m));
  builder.experimental().SetInterceptorCreators(std::move(creators));
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status ServeUntilSignal(ServerOptions& options, const std::vector<NamedService>& services) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto credentials = ListeningCredentials(options);
  if (!credentials.ok()) return credentials.status();
  const bool tls = !options.tls_cert_file.empty();
  if (!tls && !IsLoopbackAddress(options.listen)) {
    logging::Warning(
        "serving plaintext gRPC on a non-loopback address: API keys travel in clear; pass "
        "--tls_cert and --tls_key",
        {{"listen", options.listen}});
  }
  grpc::ServerBuilder builder;
  AddCallObserver(builder, std::move(options.interceptors));
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  int internal_port = 0;
  if (!options.internal_listen.empty()) {
    builder.AddListeningPort(options.internal_listen, grpc::InsecureServerCredentials(),
                             &internal_port);
  }
  builder.SetMaxReceiveMessageSize(64 << 20);
  for (const NamedService& s : services) builder.RegisterService(s.service);
  if (options.health != nullptr) builder.RegisterService(options.health);
  // Sync and callback services in one server make gRPC 1.51 build a "hybrid"
  // server: the sync request queues are created non-polling and rely on some
  // other thread polling the network. The callback queue's two threads wait
  // up to 1 s for an event and then sleep 100 ms; while both sleep nobody
  // polls, and every call in flight stalls ~100 ms about once a second (p99
  // ~100 ms at any load). One frequently polled completion queue with a
  // thread that never stops waiting on it keeps the network polled. Nothing
  // is ever requested on it: its thread only polls.
  std::unique_ptr<grpc::ServerCompletionQueue> poll_cq = builder.AddCompletionQueue(true);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  std::thread poller([cq = poll_cq.get()] {
    void* tag = nullptr;
    bool ok = false;
    while (true) {
      const auto state =
          cq->AsyncNext(&tag, &ok, std::chrono::system_clock::now() + std::chrono::seconds(1));
      if (state == grpc::CompletionQueue::SHUTDOWN) return;
    }
  });
  // The poller must end (after the server's shutdown) on every path out.
  struct PollerStop {
    grpc::Server* server;
    grpc::ServerCompletionQueue* cq;
    std::thread* thread;
    ~PollerStop() {
      server->Shutdown(std::chrono::system_clock::now());
      server->Wait();
      cq->Shutdown();
      thread->join();
    }
  } poller_stop{server.get(), poll_cq.get(), &poller};
  if (!options.internal_listen.empty() && internal_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.internal_listen));
  }
  logging::Info(absl::StrCat("cuofeng-server listening on ", options.listen),
                {{"tls", tls ? "on" : "off"}, {"services", static_cast<int64_t>(services.size())}});

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  logging::Info("cuofeng-server: finishing in-flight calls",
                {{"signal", sig}, {"grace_seconds", options.shutdown_grace_seconds}});
  if (options.health != nullptr) options.health->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(options.shutdown_grace_seconds));
  server->Wait();
  logging::Info("cuofeng-server: stopped");
  return absl::OkStatus();
}

}  // namespace cuofeng
