// Operations end to end, on real processes: --version without a database;
// one structured log line per call (text and JSON) naming method, principal,
// resource, status, duration and the cause of errors; /metrics scraped by a
// real Prometheus server (Debian's prometheus), whose HTTP API must show the
// calls this test made; TLS with a CA and certificate made here by openssl.
#include <arpa/inet.h>
#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/hash/sha256.h"
#include "lib/version/version.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::cuofeng::testing;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// Process is a child process with its output in a file, stopped with
// SIGTERM when it goes out of scope.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log_path) : log_path_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() { Stop(); }
  bool Exited() {
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ <= 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string Log() const { return ReadFile(log_path_); }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// WaitForServer polls GetCaller without a key over `channel_for` (a fresh
// channel each time) until the server answers UNAUTHENTICATED, for at most 30 s.
bool WaitForServer(Process& server,
                   const std::function<std::shared_ptr<grpc::Channel>()>& channel_for) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && !server.Exited()) {
    auto stub = v1::AdminService::NewStub(channel_for());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::ApiKey caller;
    if (stub->GetCaller(&ctx, v1::GetCallerRequest(), &caller).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

grpc::Status GetCaller(const std::shared_ptr<grpc::Channel>& channel, const std::string& key,
                       v1::ApiKey* out = nullptr) {
  auto stub = v1::AdminService::NewStub(channel);
  auto ctx = KeyContext(key);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ApiKey caller;
  grpc::Status s = stub->GetCaller(ctx.get(), v1::GetCallerRequest(), &caller);
  if (out != nullptr) *out = caller;
  return s;
}

grpc::Status GetDistrict(const std::shared_ptr<grpc::Channel>& channel, const std::string& key,
                         const std::string& name) {
  auto stub = v1::RegistryService::NewStub(channel);
  auto ctx = KeyContext(key);
  v1::GetDistrictRequest req;
  req.set_name(name);
  v1::District d;
  return stub->GetDistrict(ctx.get(), req, &d);
}

// JsonLines parses every line of `log`; a line that is not a JSON object
// fails the test.
std::vector<google::protobuf::Struct> JsonLines(const std::string& log) {
  std::vector<google::protobuf::Struct> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct s;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &s);
    EXPECT_TRUE(status.ok()) << "not a JSON line: " << line;
    if (status.ok()) lines.push_back(s);
  }
  return lines;
}

std::string Str(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

// CallLines are the log lines of calls to `method` that ended with `status`.
std::vector<const google::protobuf::Struct*> CallLines(
    const std::vector<google::protobuf::Struct>& lines, const std::string& method,
    const std::string& status) {
  std::vector<const google::protobuf::Struct*> found;
  for (const auto& l : lines) {
    if (Str(l, "msg") == "call" && Str(l, "method") == method && Str(l, "status") == status) {
      found.push_back(&l);
    }
  }
  return found;
}

TEST(OpsTest, VersionPrintsVersionAndCommitWithoutADatabase) {
  CommandResult r = RunCommand({BinDir() + "/cuofeng-server", "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            absl::StrCat("cuofeng-server ", ProjectVersion(), " (commit ", ProjectCommit(), ")\n"));
  EXPECT_THAT(ProjectVersion(), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  EXPECT_STRNE(ProjectCommit(), "");
}

TEST(OpsTest, JsonLogHasOneLinePerCallWithPrincipalResourceStatusAndCause) {
  std::string dsn = FreshDatabase("opslog");
  std::string admin = BootstrapAdmin(dsn);
  std::string error;
  auto server = ServerProcess::Start(dsn, &error, {"--log_format=json"});
  ASSERT_NE(server, nullptr) << error;
  auto channel = Connect(server->address());
  ASSERT_TRUE(GetCaller(channel, admin).ok());
  EXPECT_EQ(GetDistrict(channel, admin, "districts/999999").error_code(),
            grpc::StatusCode::NOT_FOUND);
  // An alert with no level for an unknown district: two field violations.
  {
    auto stub = v1::AlertService::NewStub(channel);
    auto ctx = KeyContext(admin);
    v1::IssueAlertRequest req;
    req.mutable_alert()->add_districts("districts/999999");
    req.set_request_id("ops-log-1");
    v1::Alert alert;
    EXPECT_EQ(stub->IssueAlert(ctx.get(), req, &alert).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  ASSERT_EQ(server->Stop(), 0);

  std::vector<google::protobuf::Struct> lines = JsonLines(server->Log());
  ASSERT_FALSE(lines.empty());
  const std::regex timestamp("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  for (const auto& l : lines) {
    EXPECT_TRUE(std::regex_match(Str(l, "time"), timestamp)) << Str(l, "time");
    EXPECT_THAT(Str(l, "level"), ::testing::AnyOf("INFO", "WARN", "ERROR"));
  }
  // The startup lines go through the same logger.
  bool starting = false, listening = false;
  for (const auto& l : lines) {
    starting |= Str(l, "msg") == "cuofeng-server starting" &&
                Str(l, "version") == ProjectVersion() && Str(l, "commit") == ProjectCommit();
    listening |= absl::StartsWith(Str(l, "msg"), "cuofeng-server listening on ");
  }
  EXPECT_TRUE(starting);
  EXPECT_TRUE(listening);

  // The principal is the key's fingerprint, which finds the key's row.
  const std::string fingerprint = Sha256Hex(admin).substr(0, 12);
  auto oks = CallLines(lines, "/cuofeng.v1.AdminService/GetCaller", "OK");
  ASSERT_EQ(oks.size(), 1u);
  const auto* ok = oks[0];
  EXPECT_EQ(Str(*ok, "principal"), "sha256:" + fingerprint);
  EXPECT_EQ(Str(*ok, "level"), "INFO");
  EXPECT_EQ(Str(*ok, "resource"), "-");
  EXPECT_THAT(Str(*ok, "peer"), HasSubstr("127.0.0.1"));
  ASSERT_TRUE(ok->fields().count("duration_ms"));
  EXPECT_GE(ok->fields().at("duration_ms").number_value(), 0);
  EXPECT_THAT(server->Log(), Not(HasSubstr(admin)));  // never the key itself
  EXPECT_EQ(SqlScalar(dsn, "SELECT count(*) FROM core.api_key WHERE secret_sha256 LIKE '" +
                               fingerprint + "%'"),
            "1");

  // The readiness probes had no key.
  const google::protobuf::Struct* anonymous = nullptr;
  for (const auto& l : lines) {
    if (Str(l, "status") == "UNAUTHENTICATED") anonymous = &l;
  }
  ASSERT_NE(anonymous, nullptr);
  EXPECT_EQ(Str(*anonymous, "principal"), "-");
  EXPECT_EQ(Str(*anonymous, "level"), "WARN");
  EXPECT_THAT(Str(*anonymous, "error"), HasSubstr("缺少 API 密钥"));

  // Two: the test's own, then the one IssueAlert made to check the district
  // (nested calls are calls too).
  auto not_founds = CallLines(lines, "/cuofeng.v1.RegistryService/GetDistrict", "NOT_FOUND");
  ASSERT_EQ(not_founds.size(), 2u);
  const auto* not_found = not_founds[0];
  EXPECT_EQ(Str(*not_found, "resource"), "districts/999999");
  EXPECT_EQ(Str(*not_found, "level"), "WARN");
  EXPECT_THAT(Str(*not_found, "error"), HasSubstr("districts/999999"));

  auto invalids = CallLines(lines, "/cuofeng.v1.AlertService/IssueAlert", "INVALID_ARGUMENT");
  ASSERT_EQ(invalids.size(), 1u);
  const auto* invalid = invalids[0];
  EXPECT_EQ(Str(*invalid, "request_id"), "ops-log-1");
  EXPECT_EQ(invalid->fields().at("violations").number_value(), 2);
  EXPECT_THAT(Str(*invalid, "first_violation"), HasSubstr("alert.level: "));
  EXPECT_THAT(Str(*invalid, "error"), Not(::testing::IsEmpty()));
}

TEST(OpsTest, TextLogIsTimestampedKeyValueLines) {
  std::string dsn = FreshDatabase("opstext");
  std::string admin = BootstrapAdmin(dsn);
  std::string error;
  auto server = ServerProcess::Start(dsn, &error);
  ASSERT_NE(server, nullptr) << error;
  ASSERT_TRUE(GetCaller(Connect(server->address()), admin).ok());
  ASSERT_EQ(server->Stop(), 0);
  std::string log = server->Log();
  const std::regex call(
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO call "
      "method=/cuofeng\\.v1\\.AdminService/GetCaller principal=sha256:" +
      Sha256Hex(admin).substr(0, 12) +
      " resource=- request_id=- peer=\\S+ status=OK duration_ms=\\d+\\.\\d{3}");
  int calls = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(std::regex_search(std::string(line), std::regex("^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z "
                                                                "(INFO|WARN|ERROR) ")))
        << line;
    if (std::regex_match(std::string(line), call)) ++calls;
  }
  EXPECT_EQ(calls, 1) << log;
  // Loopback: no warning about plaintext.
  EXPECT_THAT(log, Not(HasSubstr("non-loopback")));
  EXPECT_THAT(log, HasSubstr("tls=off"));
}

TEST(OpsTest, BadLogFormatIsRefused) {
  CommandResult r = RunCommand({BinDir() + "/cuofeng-server", "--log_format=xml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--log_format=xml is neither text nor json"));
}

TEST(OpsTest, PlaintextOnAWildcardAddressWarns) {
  std::string dsn = FreshDatabase("opswild");
  int port = FreePort();
  std::string dir = TempDir();
  Process server(
      {BinDir() + "/cuofeng-server", "--database=" + dsn, absl::StrCat("--listen=0.0.0.0:", port)},
      dir + "/server.log");
  ASSERT_TRUE(WaitForServer(server, [&] { return Connect(absl::StrCat("127.0.0.1:", port)); }))
      << server.Log();
  server.Stop();
  EXPECT_THAT(server.Log(), ::testing::ContainsRegex(
                                "WARN serving plaintext gRPC on a non-loopback address: API keys "
                                "travel in clear; pass --tls_cert and --tls_key listen=0.0.0.0:"));
}

// --- Prometheus ------------------------------------------------------------

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// HttpGet asks 127.0.0.1:port for `path` over HTTP/1.0 (so the answer is not
// chunked) and returns the body, or "" if nothing answered.
std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  (void)!write(fd, request.data(), request.size());
  std::string answer;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) answer.append(buf, n);
  close(fd);
  size_t body = answer.find("\r\n\r\n");
  return body == std::string::npos ? "" : answer.substr(body + 4);
}

// Prometheus is a real Prometheus server scraping one target every second.
class Prometheus {
 public:
  Prometheus(const std::string& target, const std::string& dir) : port_(FreePort()), dir_(dir) {
    std::ofstream config(dir + "/prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           << "scrape_configs:\n  - job_name: cuofeng\n    static_configs:\n"
           << "      - targets: ['" << target << "']\n";
    config.close();
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                                 "--storage.tsdb.path=" + dir + "/data",
                                 absl::StrCat("--web.listen-address=127.0.0.1:", port_),
                                 "--log.level=warn"},
        dir + "/prometheus.log");
  }

  // Query runs an instant PromQL query and returns the results' values
  // (empty when nothing matched or Prometheus did not answer).
  std::vector<double> Query(const std::string& promql) {
    std::string body = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(promql));
    google::protobuf::Struct answer;
    if (!google::protobuf::util::JsonStringToMessage(body, &answer).ok()) return {};
    if (Str(answer, "status") != "success") return {};
    std::vector<double> values;
    const auto& data = answer.fields().at("data").struct_value();
    for (const auto& r : data.fields().at("result").list_value().values()) {
      const auto& v = r.struct_value().fields().at("value").list_value();
      values.push_back(std::stod(v.values(1).string_value()));
    }
    return values;
  }

  // WaitFor polls `promql` until it yields one value for which `good` holds,
  // for at most 60 s; returns the last values seen.
  std::vector<double> WaitFor(const std::string& promql, const std::function<bool(double)>& good) {
    std::vector<double> values;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !process_->Exited()) {
      values = Query(promql);
      if (values.size() == 1 && good(values[0])) return values;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return values;
  }

  std::string Log() const { return process_->Log(); }

  // Stops the server and removes its storage.
  ~Prometheus() {
    process_->Stop();
    std::filesystem::remove_all(dir_ + "/data");
  }

 private:
  int port_;
  std::string dir_;
  std::unique_ptr<Process> process_;
};

TEST(OpsTest, PrometheusScrapesCallsLatencyPoolAndMemory) {
  ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0)
      << "Debian's prometheus package is missing (tools/debian-packages.txt lists it)";
  std::string dsn = FreshDatabase("opsmetrics");
  std::string admin = BootstrapAdmin(dsn);
  const int metrics_port = FreePort();
  std::string error;
  auto server = ServerProcess::Start(dsn, &error,
                                     {absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port)});
  ASSERT_NE(server, nullptr) << error;
  EXPECT_THAT(server->Log(), HasSubstr(absl::StrCat("port=", metrics_port)));
  auto channel = Connect(server->address());
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(GetCaller(channel, admin).ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(GetDistrict(channel, admin, "districts/999999").error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  std::string dir = TempDir();
  Prometheus prometheus(absl::StrCat("127.0.0.1:", metrics_port), dir);
  const std::string get_caller =
      "cuofeng_rpc_calls_total{job=\"cuofeng\",method=\"/cuofeng.v1.AdminService/GetCaller\","
      "code=\"OK\"}";
  // The target is up once a scrape succeeded; every call above was made before.
  auto up = prometheus.WaitFor("up{job=\"cuofeng\"}", [](double v) { return v == 1; });
  ASSERT_EQ(up, std::vector<double>{1}) << prometheus.Log();
  EXPECT_EQ(prometheus.WaitFor(get_caller, [](double v) { return v == 7; }),
            std::vector<double>{7});
  EXPECT_EQ(prometheus.Query("cuofeng_rpc_duration_seconds_count{method=\"/cuofeng.v1."
                             "AdminService/GetCaller\",code=\"OK\"}"),
            std::vector<double>{7});
  EXPECT_EQ(prometheus.Query("cuofeng_rpc_calls_total{method=\"/cuofeng.v1.RegistryService/"
                             "GetDistrict\",code=\"NOT_FOUND\"}"),
            std::vector<double>{2});
  // A latency quantile can be computed from the histogram (over every call so far).
  auto p99 = prometheus.Query(
      "histogram_quantile(0.99, cuofeng_rpc_duration_seconds_bucket{method=\"/cuofeng.v1."
      "AdminService/GetCaller\",code=\"OK\"})");
  ASSERT_EQ(p99.size(), 1u);
  EXPECT_GT(p99[0], 0);
  EXPECT_LE(p99[0], 60);
  auto rss = prometheus.Query("process_resident_memory_bytes{job=\"cuofeng\"}");
  ASSERT_EQ(rss.size(), 1u);
  EXPECT_GT(rss[0], 10 << 20);
  EXPECT_EQ(prometheus.Query("cuofeng_db_pool_in_use").size(), 1u);
  EXPECT_EQ(prometheus.Query("cuofeng_db_pool_waits_total").size(), 1u);
  EXPECT_EQ(prometheus.Query("cuofeng_audit_write_failures_total").size(), 1u);
  EXPECT_EQ(prometheus.Query(absl::StrCat("cuofeng_build_info{commit=\"", ProjectCommit(), "\"}")),
            std::vector<double>{1});

  // Calls made now show up at a later scrape.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(GetCaller(channel, admin).ok());
  EXPECT_EQ(prometheus.WaitFor(get_caller, [](double v) { return v == 10; }),
            std::vector<double>{10});
}

// --- TLS -------------------------------------------------------------------

// MakeCertificates writes ca.pem, ca.key, server.pem and server.key (for
// localhost and 127.0.0.1, signed by the CA) into `dir` with openssl.
void MakeCertificates(const std::string& dir) {
  const std::string openssl = "/usr/bin/openssl";
  CommandResult ca = RunCommand({openssl,
                                 "req",
                                 "-x509",
                                 "-newkey",
                                 "ec",
                                 "-pkeyopt",
                                 "ec_paramgen_curve:prime256v1",
                                 "-nodes",
                                 "-keyout",
                                 dir + "/ca.key",
                                 "-out",
                                 dir + "/ca.pem",
                                 "-days",
                                 "2",
                                 "-subj",
                                 "/CN=cuofeng test CA",
                                 "-addext",
                                 "basicConstraints=critical,CA:TRUE",
                                 "-addext",
                                 "keyUsage=critical,keyCertSign,cRLSign"});
  ASSERT_EQ(ca.exit_code, 0) << ca.output;
  CommandResult csr = RunCommand(
      {openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=localhost"});
  ASSERT_EQ(csr.exit_code, 0) << csr.output;
  std::ofstream ext(dir + "/server.ext");
  ext << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
      << "basicConstraints=CA:FALSE\n"
      << "keyUsage=critical,digitalSignature,keyEncipherment\n"
      << "extendedKeyUsage=serverAuth\n";
  ext.close();
  CommandResult sign =
      RunCommand({openssl, "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem",
                  "-CAkey", dir + "/ca.key", "-CAcreateserial", "-out", dir + "/server.pem",
                  "-days", "2", "-extfile", dir + "/server.ext"});
  ASSERT_EQ(sign.exit_code, 0) << sign.output;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& target, const std::string& ca_pem) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  // A new subchannel pool: a channel never reuses another's failed connection.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args);
}

TEST(OpsTest, TlsServesClientsThatTrustItsCaAndRefusesPlaintext) {
  std::string dir = TempDir();
  MakeCertificates(dir);
  if (HasFatalFailure()) return;
  const std::string ca = ReadFile(dir + "/ca.pem");
  std::string dsn = FreshDatabase("opstls");
  std::string admin = BootstrapAdmin(dsn);
  const int port = FreePort();
  Process server(
      {BinDir() + "/cuofeng-server", "--database=" + dsn, absl::StrCat("--listen=127.0.0.1:", port),
       "--tls_cert=" + dir + "/server.pem", "--tls_key=" + dir + "/server.key"},
      dir + "/server.log");
  const std::string by_name = absl::StrCat("localhost:", port);
  const std::string by_ip = absl::StrCat("127.0.0.1:", port);
  ASSERT_TRUE(WaitForServer(server, [&] { return TlsChannel(by_ip, ca); })) << server.Log();

  // Clients that trust the CA reach the server by name and by address.
  for (const std::string& target : {by_name, by_ip}) {
    v1::ApiKey caller;
    grpc::Status s = GetCaller(TlsChannel(target, ca), admin, &caller);
    EXPECT_TRUE(s.ok()) << target << ": " << s.error_message();
    EXPECT_EQ(caller.role(), v1::ADMIN);
  }
  auto tls = TlsChannel(by_ip, ca);
  // The alert service reads the registry over this process's own channel.
  {
    auto registry = v1::RegistryService::NewStub(tls);
    auto ctx = KeyContext(admin);
    v1::CreateDistrictRequest req;
    req.set_district_id("120119");
    req.mutable_district()->set_display_name("蓟州区");
    req.mutable_district()->set_city("天津市");
    v1::District d;
    grpc::Status s = registry->CreateDistrict(ctx.get(), req, &d);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  {
    auto alerts = v1::AlertService::NewStub(tls);
    auto ctx = KeyContext(admin);
    v1::IssueAlertRequest req;
    req.mutable_alert()->set_level(v1::ORANGE);
    req.mutable_alert()->add_districts("districts/120119");
    req.mutable_alert()->set_document_number("ops-tls");
    v1::Alert alert;
    grpc::Status s = alerts->IssueAlert(ctx.get(), req, &alert);
    EXPECT_TRUE(s.ok()) << s.error_message();
    auto ctx2 = KeyContext(admin);
    req.mutable_alert()->set_districts(0, "districts/999999");
    s = alerts->IssueAlert(ctx2.get(), req, &alert);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("登记中没有区县 districts/999999"));
  }

  // A plaintext client never gets an answer from the service.
  {
    auto plain = v1::AdminService::NewStub(Connect(by_ip));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ApiKey caller;
    grpc::Status s = plain->GetCaller(&ctx, v1::GetCallerRequest(), &caller);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }
  // The CLI reaches it with --tls_ca, by name.
  {
    CommandResult cli = RunCommand({BinDir() + "/cuofeng", "--server=" + by_name, "--key=" + admin,
                                    "--tls_ca=" + dir + "/ca.pem", "admin", "whoami"});
    EXPECT_EQ(cli.exit_code, 0) << cli.output;
  }
  // Nor does a TLS client that does not trust the CA.
  {
    std::string other = TempDir();
    MakeCertificates(other);
    v1::ApiKey caller;
    grpc::Status s = GetCaller(TlsChannel(by_ip, ReadFile(other + "/ca.pem")), admin, &caller);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }
  server.Stop();
  EXPECT_THAT(server.Log(), HasSubstr("tls=on"));
  // Every line has the logger's format, gRPC's own complaints included.
  for (absl::string_view line : absl::StrSplit(server.Log(), '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(std::regex_search(std::string(line),
                                  std::regex("^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z (INFO|WARN|ERROR) ")))
        << line;
  }
}

TEST(OpsTest, BadTlsFlagsAreRefusedNamingTheFlag) {
  std::string dir = TempDir();
  MakeCertificates(dir);
  if (HasFatalFailure()) return;
  const std::string bin = BinDir() + "/cuofeng-server";
  CommandResult only_cert =
      RunCommand({bin, "--database=host=/nonexistent", "--tls_cert=" + dir + "/server.pem"});
  EXPECT_EQ(only_cert.exit_code, 2);
  EXPECT_THAT(only_cert.output, HasSubstr("--tls_cert needs --tls_key"));
  CommandResult wrong_key =
      RunCommand({bin, "--database=host=/nonexistent", "--tls_cert=" + dir + "/server.pem",
                  "--tls_key=" + dir + "/ca.key"});
  EXPECT_EQ(wrong_key.exit_code, 2);
  EXPECT_THAT(wrong_key.output, HasSubstr("/ca.key is not the key of --tls_cert="));
  CommandResult not_pem =
      RunCommand({bin, "--database=host=/nonexistent", "--tls_cert=" + dir + "/server.ext",
                  "--tls_key=" + dir + "/server.key"});
  EXPECT_EQ(not_pem.exit_code, 2);
  EXPECT_THAT(not_pem.output, HasSubstr("server.ext: not a PEM file"));
}

}  // namespace
}  // namespace cuofeng
