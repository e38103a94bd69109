#include "tests/support/test_env.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "gtest/gtest.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/generator.h"

namespace cuofeng {
namespace testing {
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

namespace {

// Starts `argv` with stdout and stderr going to `output_path`.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& output_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string SourcePath(const std::string& relative) {
  const char* src = std::getenv("CUOFENG_SOURCE_DIR");
  return std::string(src == nullptr ? "." : src) + "/" + relative;
}

std::unique_ptr<grpc::ClientContext> KeyContext(const std::string& key) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!key.empty()) AddKey(ctx.get(), key);
  return ctx;
}

CommandResult ImportSampleDistrict(const std::string& server, const std::string& key,
                                   const std::string& district, int enterprises, int equipment) {
  std::string dir = TempDir();
  DistrictSpec spec;
  spec.enterprises = enterprises;
  spec.equipment = equipment;
  auto generated = GenerateDistrict(spec, dir);
  if (!generated.ok()) return {1, std::string(generated.status().message())};
  return Cli(server, key, {"import", "registry", dir, "--district=" + district});
}

CommandResult LoadRuleSet(const std::string& server, const std::string& key,
                          const std::string& id) {
  return Cli(server, key,
             {"ruleset", "load", SourcePath("tools/rulesets/" + id + ".textproto"), "--id=" + id});
}

CommandResult Cli(const std::string& server, const std::string& key,
                  std::vector<std::string> args) {
  std::vector<std::string> argv = {BinDir() + "/cuofeng", "--server=" + server, "--key=" + key};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

std::string BinDir() {
  const char* dir = std::getenv("CUOFENG_BIN_DIR");
  return dir == nullptr ? "bin" : dir;
}

namespace {

// Every folder a test process makes lives under one root of its own, removed
// when the process exits (CUOFENG_KEEP_TEST_DIRS=1 keeps it, to look at).
std::string TestRoot() {
  static std::mutex mu;
  static std::string root;
  std::lock_guard<std::mutex> lock(mu);
  if (root.empty()) {
    std::string pattern = "/tmp/cuofeng-test.XXXXXX";
    char* dir = mkdtemp(pattern.data());
    if (dir == nullptr) return "/tmp";
    root = dir;
    // Others must pass through it: a test's own PostgreSQL runs as postgres.
    chmod(root.c_str(), 0755);
    const char* keep = std::getenv("CUOFENG_KEEP_TEST_DIRS");
    if (keep == nullptr || std::string(keep) != "1") {
      std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(root, ignored);
      });
    }
  }
  return root;
}

}  // namespace

std::string TempDir() {
  std::string pattern = TestRoot() + "/XXXXXX";
  char* dir = mkdtemp(pattern.data());
  return dir == nullptr ? "/tmp" : std::string(dir);
}

std::string FreshDatabase(const std::string& prefix) {
  const char* admin = std::getenv("CUOFENG_TEST_DSN");
  if (admin == nullptr || *admin == '\0') {
    ADD_FAILURE() << "CUOFENG_TEST_DSN is not set: run integration tests through tools/test, "
                     "which starts a private PostgreSQL";
    return "";
  }
  static std::atomic<int> counter{0};
  std::string name =
      absl::AsciiStrToLower(absl::StrCat("t_", prefix, "_", getpid(), "_", counter++));
  pqxx::connection conn(admin);
  pqxx::nontransaction tx(conn);
  tx.exec0(absl::StrCat("DROP DATABASE IF EXISTS ", name));
  tx.exec0(absl::StrCat("CREATE DATABASE ", name));
  // A later dbname= in a libpq DSN overrides an earlier one.
  return absl::StrCat(admin, " dbname=", name);
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  std::string out_path = TempDir() + "/out";
  pid_t pid = Spawn(argv, out_path);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = ReadFile(out_path);
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path(out_path).parent_path(), ignored);
  return r;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& dsn, std::string* error,
                                                    const std::vector<std::string>& extra) {
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess);
  server->address_ = absl::StrCat("127.0.0.1:", FreePort());
  server->log_path_ = TempDir() + "/server.log";
  std::vector<std::string> argv = {BinDir() + "/cuofeng-server", "--database=" + dsn,
                                   "--listen=" + server->address_};
  argv.insert(argv.end(), extra.begin(), extra.end());
  server->pid_ = Spawn(argv, server->log_path_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      *error = absl::StrCat("cuofeng-server exited with status ",
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1, ": ", server->Log());
      return nullptr;
    }
    // A new channel each time: a channel that failed to connect backs off for seconds.
    auto stub = v1::AdminService::NewStub(Connect(server->address_));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::ApiKey caller;
    grpc::Status s = stub->GetCaller(&ctx, v1::GetCallerRequest(), &caller);
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = absl::StrCat("cuofeng-server did not answer within 30 s: ", server->Log());
  return nullptr;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::Log() const { return ReadFile(log_path_); }

std::string BootstrapAdmin(const std::string& dsn) {
  CommandResult r =
      RunCommand({BinDir() + "/cuofeng", "admin", "bootstrap", "--database=" + dsn, "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return std::string(absl::StripAsciiWhitespace(r.output));
}

std::string CreateKey(const std::string& server, const std::string& admin_key,
                      const std::string& role, const std::string& scope) {
  CommandResult r = Cli(server, admin_key,
                        {"admin", "create-key", "--role=" + role, "--scope=" + scope, "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return std::string(absl::StripAsciiWhitespace(r.output));
}

std::string SqlScalar(const std::string& dsn, const std::string& sql) {
  pqxx::connection conn(dsn);
  pqxx::nontransaction tx(conn);
  pqxx::result r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

}  // namespace testing
}  // namespace cuofeng
