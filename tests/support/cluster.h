// PrivateCluster: a PostgreSQL 15 cluster of a test's own, in a temporary
// folder, on a free loopback port, for tests that stop and restart the
// database under a running server or build a streaming replica of it. The
// shared cluster of tools/test (CUOFENG_TEST_DSN) must never be stopped.
#ifndef CUOFENG_TESTS_SUPPORT_CLUSTER_H_
#define CUOFENG_TESTS_SUPPORT_CLUSTER_H_

#include <memory>
#include <string>

namespace cuofeng {
namespace testing {

class PrivateCluster {
 public:
  // Create runs initdb (as the postgres user when we are root; -A trust)
  // and starts the cluster on a free loopback port. On failure the pointer
  // is null and `error` says why.
  static std::unique_ptr<PrivateCluster> Create(std::string* error);
  // The destructor stops the cluster (immediate) and removes its folder.
  ~PrivateCluster();

  // Stop is pg_ctl stop -m fast: every connection to it is cut.
  bool Stop(std::string* error);
  // Start starts it again on the same port.
  bool Start(std::string* error);

  // MakeReplica takes a base backup of this running cluster with
  // pg_basebackup -R (a streaming standby of it) and starts it on another
  // free port.
  std::unique_ptr<PrivateCluster> MakeReplica(std::string* error);

  // CreateDatabase creates `name` and returns its DSN.
  std::string CreateDatabase(const std::string& name);
  // Dsn of database `dbname` as user postgres over TCP.
  std::string Dsn(const std::string& dbname = "postgres") const;
  int port() const { return port_; }
  // Log is what the postmaster wrote.
  std::string Log() const;

 private:
  PrivateCluster() = default;
  bool Prepare(std::string* error);  // the folder, owned by postgres

  std::string dir_;  // the socket folder; the cluster is in dir_/data
  int port_ = 0;
  bool running_ = false;
};

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_SUPPORT_CLUSTER_H_
