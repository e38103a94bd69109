// cuofeng-web: the HTTP gateway. Serves the built pages (web/dist) and the
// JSON API over the gRPC services of a cuofeng-server, calling them with the
// signed-in person's own session (see services/web/gateway.h).
#include <httplib.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/log/log.h"
#include "lib/version/version.h"
#include "services/web/gateway.h"
#include "tools/cli/client_lib.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080", "HOST:PORT the pages and JSON API are served on");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "the cuofeng-server (gRPC) to call");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM root certificate to trust for a TLS cuofeng-server (empty: plaintext gRPC)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate (and chain) to serve HTTPS with");
ABSL_FLAG(std::string, tls_key, "", "PEM private key (unencrypted) of --tls_cert");
ABSL_FLAG(std::string, static_dir, CUOFENG_WEB_DIST, "the built front end (web/dist)");
ABSL_FLAG(bool, version, false, "print the version and exit");

namespace {

httplib::Server* g_server = nullptr;

void Stop(int) {
  if (g_server != nullptr) g_server->stop();
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

int Fail(const std::string& message) {
  cuofeng::logging::Error(absl::StrCat("cuofeng-web: ", message));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("cuofeng-web --server=HOST:PORT --listen=HOST:PORT");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_version)) {
    std::cout << "cuofeng-web " << cuofeng::ProjectVersion() << " (commit "
              << cuofeng::ProjectCommit() << ")\n";
    return 0;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return Fail(absl::StrCat("--listen=", listen, " is not HOST:PORT"));
  }
  const std::string host = listen.substr(0, colon);
  const std::string static_dir = absl::GetFlag(FLAGS_static_dir);
  std::string index;
  if (!ReadFile(static_dir + "/index.html", &index)) {
    return Fail(absl::StrCat("--static_dir=", static_dir,
                             " holds no index.html: build the front end (tools/lib.sh build_web)"));
  }
  std::string ca;
  if (!absl::GetFlag(FLAGS_tls_ca).empty() && !ReadFile(absl::GetFlag(FLAGS_tls_ca), &ca)) {
    return Fail(absl::StrCat("--tls_ca=", absl::GetFlag(FLAGS_tls_ca), " cannot be read"));
  }
  const std::string cert = absl::GetFlag(FLAGS_tls_cert), key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() != key.empty()) {
    return Fail(cert.empty() ? "--tls_key needs --tls_cert" : "--tls_cert needs --tls_key");
  }
  std::unique_ptr<httplib::Server> server;
  if (!cert.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
    if (!tls->is_valid()) {
      return Fail(absl::StrCat("--tls_cert=", cert, " and --tls_key=", key,
                               " are not a readable PEM certificate and matching key"));
    }
    server = std::move(tls);
  } else {
    server = std::make_unique<httplib::Server>();
    if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
      cuofeng::logging::Warning(
          "serving plain HTTP on a non-loopback address: passwords and session cookies travel "
          "in clear; use --tls_cert and --tls_key");
    }
  }
  server->new_task_queue = [] { return new httplib::ThreadPool(64); };
  // A registry workbook may be this large; a JSON body at most 1 MiB (gateway.cc).
  server->set_payload_max_length(32 << 20);
  server->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (!absl::StartsWith(req.path, "/api/")) return;
    cuofeng::logging::Info("http", {{"method", req.method},
                                    {"path", req.path},
                                    {"status", res.status},
                                    {"peer", req.remote_addr}});
  });
  cuofeng::GatewayOptions options;
  options.static_dir = static_dir;
  options.secure_cookies = !cert.empty();
  cuofeng::Gateway gateway(cuofeng::Connect(absl::GetFlag(FLAGS_server), ca), options);
  gateway.Register(*server);
  if (!server->bind_to_port(host, port)) {
    return Fail(absl::StrCat("cannot listen on ", listen));
  }
  g_server = server.get();
  std::signal(SIGTERM, Stop);
  std::signal(SIGINT, Stop);
  cuofeng::logging::Info("listening", {{"address", listen},
                                       {"scheme", cert.empty() ? "http" : "https"},
                                       {"server", absl::GetFlag(FLAGS_server)},
                                       {"version", cuofeng::ProjectVersion()}});
  server->listen_after_bind();
  cuofeng::logging::Info("stopped");
  return 0;
}
