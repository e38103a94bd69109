// Integration-test environment: a fresh database on the PostgreSQL cluster
// that tools/test starts (CUOFENG_TEST_DSN), real cuofeng-server processes,
// and the real CLI.
#ifndef CUOFENG_TESTS_SUPPORT_TEST_ENV_H_
#define CUOFENG_TESTS_SUPPORT_TEST_ENV_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace cuofeng {
namespace testing {

// FreshDatabase creates an empty database named after `prefix` and this
// process, and returns its DSN. Fails the test when CUOFENG_TEST_DSN is unset.
std::string FreshDatabase(const std::string& prefix);

// BinDir is where the built binaries are (CUOFENG_BIN_DIR, set by ctest).
std::string BinDir();

// TempDir returns a new empty folder.
std::string TempDir();

// FreePort is a loopback TCP port nobody listens on at the moment.
int FreePort();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Run executes `argv` (argv[0] a path), waits, and captures its output.
CommandResult RunCommand(const std::vector<std::string>& argv);

// ServerProcess is a running cuofeng-server, stopped with SIGTERM when it
// goes out of scope.
class ServerProcess {
 public:
  // Start launches the server on a free loopback port and waits until it
  // answers; on failure the returned pointer is null and `error` says why.
  static std::unique_ptr<ServerProcess> Start(const std::string& dsn, std::string* error,
                                              const std::vector<std::string>& extra = {});
  ~ServerProcess();

  const std::string& address() const { return address_; }
  // Stop sends SIGTERM and returns the exit status (-1 if killed by signal).
  int Stop();
  // Kill sends SIGKILL (kill -9: no cleanup of any kind) and reaps it.
  void Kill();
  // Log is what the server printed.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
};

// BootstrapAdmin runs `cuofeng admin bootstrap` and returns the admin key.
std::string BootstrapAdmin(const std::string& dsn);

// CreateKey makes a key over gRPC with `admin_key`; returns the secret.
std::string CreateKey(const std::string& server, const std::string& admin_key,
                      const std::string& role, const std::string& scope);

// Cli runs the cuofeng CLI against `server` with `key`.
CommandResult Cli(const std::string& server, const std::string& key, std::vector<std::string> args);

// ImportSampleDistrict generates a sample district (cuofeng-gen's model) of
// `enterprises` and `equipment` and imports it into `district` with the CLI.
CommandResult ImportSampleDistrict(const std::string& server, const std::string& key,
                                   const std::string& district, int enterprises, int equipment);

// LoadRuleSet loads a shipped rule set (tools/rulesets/ID.textproto) with the CLI.
CommandResult LoadRuleSet(const std::string& server, const std::string& key, const std::string& id);

// KeyContext is a client context carrying `key` (none when empty).
std::unique_ptr<grpc::ClientContext> KeyContext(const std::string& key);

// SourcePath is `relative` under the source tree (CUOFENG_SOURCE_DIR).
std::string SourcePath(const std::string& relative);

// ReadFile returns a file's bytes ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// SqlScalar runs `sql` on `dsn` and returns the first column of the first row.
std::string SqlScalar(const std::string& dsn, const std::string& sql);

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_SUPPORT_TEST_ENV_H_
