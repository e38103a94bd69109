#include "tests/support/cluster.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/test_env.h"

namespace cuofeng {
namespace testing {
namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin/";

// AsPostgres runs a PostgreSQL program as the postgres user when we are root
// (the server refuses to run as root), as ourselves otherwise.
CommandResult AsPostgres(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  if (geteuid() == 0) {
    const std::string runuser =
        access("/usr/sbin/runuser", X_OK) == 0 ? "/usr/sbin/runuser" : "/sbin/runuser";
    argv = {runuser, "-u", "postgres", "--"};
  }
  argv.push_back(kPgBin + program);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

}  // namespace

bool PrivateCluster::Prepare(std::string* error) {
  dir_ = TempDir();
  // The postgres user writes the cluster, its log and its socket here.
  chmod(dir_.c_str(), 0755);
  if (geteuid() == 0) {
    const passwd* pg = getpwnam("postgres");
    if (pg == nullptr) {
      *error = "there is no postgres user (install postgresql-15)";
      return false;
    }
    if (chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      *error = "cannot give " + dir_ + " to the postgres user";
      return false;
    }
  }
  port_ = FreePort();
  return true;
}

std::unique_ptr<PrivateCluster> PrivateCluster::Create(std::string* error) {
  std::unique_ptr<PrivateCluster> cluster(new PrivateCluster);
  if (!cluster->Prepare(error)) return nullptr;
  CommandResult init = AsPostgres("initdb", {"-D", cluster->dir_ + "/data", "-U", "postgres", "-A",
                                             "trust", "--encoding=UTF8", "--locale=C.UTF-8", "-N"});
  if (init.exit_code != 0) {
    *error = "initdb failed: " + init.output;
    return nullptr;
  }
  if (!cluster->Start(error)) return nullptr;
  return cluster;
}

bool PrivateCluster::Start(std::string* error) {
  CommandResult r = AsPostgres(
      "pg_ctl",
      {"-D", dir_ + "/data", "-l", dir_ + "/postgres.log", "-w", "-t", "60", "-o",
       absl::StrCat("-p ", port_, " -k ", dir_,
                    " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                    " -c max_connections=100"),
       "start"});
  if (r.exit_code != 0) {
    *error = absl::StrCat("pg_ctl start on port ", port_, " failed: ", r.output, "\n", Log());
    return false;
  }
  running_ = true;
  return true;
}

bool PrivateCluster::Stop(std::string* error) {
  CommandResult r = AsPostgres("pg_ctl", {"-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
  if (r.exit_code != 0) {
    *error = "pg_ctl stop failed: " + r.output;
    return false;
  }
  running_ = false;
  return true;
}

std::unique_ptr<PrivateCluster> PrivateCluster::MakeReplica(std::string* error) {
  std::unique_ptr<PrivateCluster> replica(new PrivateCluster);
  if (!replica->Prepare(error)) return nullptr;
  // -R writes standby.signal and primary_conninfo: the copy follows this cluster.
  CommandResult backup = AsPostgres(
      "pg_basebackup", {"-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", "-D",
                        replica->dir_ + "/data", "-R", "-X", "stream", "-c", "fast", "-N"});
  if (backup.exit_code != 0) {
    *error = "pg_basebackup failed: " + backup.output;
    return nullptr;
  }
  if (!replica->Start(error)) return nullptr;
  return replica;
}

std::string PrivateCluster::CreateDatabase(const std::string& name) {
  pqxx::connection conn(Dsn());
  pqxx::nontransaction tx(conn);
  tx.exec0("CREATE DATABASE " + name);
  return Dsn(name);
}

std::string PrivateCluster::Dsn(const std::string& dbname) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", dbname);
}

std::string PrivateCluster::Log() const { return ReadFile(dir_ + "/postgres.log"); }

PrivateCluster::~PrivateCluster() {
  if (dir_.empty()) return;
  if (running_) AsPostgres("pg_ctl", {"-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace testing
}  // namespace cuofeng
