// cuofeng-bench-import: imports a generated registry through the real path
// (CSV files → CLI client → gRPC → server validation → COPY + merge) and, in
// the same run, psql's own \copy of the very same rows into identical tables,
// which is the limit for writing them on this machine. Prints both and the
// ratio, and peak memory of client and server. Driven by `tools/bench import`.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/generator.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "cuofeng-server address");
ABSL_FLAG(std::string, key, "", "bureau or admin key");
ABSL_FLAG(std::string, database, "", "DSN of the server's database (for the psql comparison)");
ABSL_FLAG(int, server_pid, 0, "pid of cuofeng-server, for its peak memory");
ABSL_FLAG(int64_t, enterprises, 10000, "enterprises to generate");
ABSL_FLAG(int64_t, equipment, 100000, "equipment rows to generate");
ABSL_FLAG(std::string, workdir, "/tmp/cuofeng-bench", "where to write the generated files");

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Peak resident memory (VmHWM) of a process, in MiB.
double PeakMiB(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

int Psql(const std::string& dsn, const std::string& command) {
  std::string cmd =
      absl::StrCat("psql -X -q -v ON_ERROR_STOP=1 \"", dsn, "\" -c \"", command, "\" >/dev/null");
  return std::system(cmd.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_workdir) + "/registry";
  const std::string key = absl::GetFlag(FLAGS_key);
  const std::string dsn = absl::GetFlag(FLAGS_database);

  cuofeng::DistrictSpec spec;
  spec.enterprises = absl::GetFlag(FLAGS_enterprises);
  spec.equipment = absl::GetFlag(FLAGS_equipment);
  auto t0 = std::chrono::steady_clock::now();
  auto generated = cuofeng::GenerateDistrict(spec, dir);
  if (!generated.ok()) {
    std::cerr << generated.status() << "\n";
    return 1;
  }
  const double gen_s = Seconds(t0);
  const int64_t rows = generated->rows;

  auto stub = cuofeng::v1::RegistryService::NewStub(cuofeng::Connect(absl::GetFlag(FLAGS_server)));
  t0 = std::chrono::steady_clock::now();
  auto files = cuofeng::ReadTemplateDir(dir);
  if (!files.ok()) {
    std::cerr << files.status() << "\n";
    return 1;
  }
  const double read_s = Seconds(t0);
  auto import = cuofeng::ImportFiles(*stub, key, "districts/120119", *files, false, "", nullptr);
  const double import_s = Seconds(t0);
  if (!import.ok()) {
    std::cerr << import.status() << "\n";
    return 1;
  }
  t0 = std::chrono::steady_clock::now();
  auto again = cuofeng::ImportFiles(*stub, key, "districts/120119", *files, false, "", nullptr);
  const double reimport_s = Seconds(t0);
  if (!again.ok() || again->unchanged() != rows) {
    std::cerr << "re-import did not find every row unchanged\n";
    return 1;
  }

  // The limit: psql's \copy of the same rows into identical tables.
  const char* tables[] = {"township",      "enterprise",    "production_line", "process",
                          "equipment",     "meter",         "camera",          "vehicle",
                          "retrofit_task", "emission_total"};
  Psql(dsn, "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench");
  for (const char* t : tables) {
    Psql(dsn, absl::StrCat("CREATE TABLE bench.", t, " (LIKE registry.", t, " INCLUDING ALL)"));
    Psql(dsn, absl::StrCat("\\copy registry.", t, " TO '", absl::GetFlag(FLAGS_workdir), "/", t,
                           ".copy'"));
  }
  t0 = std::chrono::steady_clock::now();
  for (const char* t : tables) {
    if (Psql(dsn, absl::StrCat("\\copy bench.", t, " FROM '", absl::GetFlag(FLAGS_workdir), "/", t,
                               ".copy'")) != 0) {
      std::cerr << "psql \\copy failed for " << t << "\n";
      return 1;
    }
  }
  const double psql_s = Seconds(t0);
  Psql(dsn, "DROP SCHEMA bench CASCADE");

  struct rusage self;
  getrusage(RUSAGE_SELF, &self);
  std::printf("registry import benchmark: %ld enterprises, %ld equipment, %ld rows in all\n",
              static_cast<long>(generated->enterprises), static_cast<long>(generated->equipment),
              static_cast<long>(rows));
  std::printf("  generate CSV files              %8.2f s\n", gen_s);
  std::printf("  read + parse CSV (client)       %8.2f s\n", read_s);
  std::printf("  import, first time (all new)    %8.2f s  %10.0f rows/s  (includes read + parse)\n",
              import_s, rows / import_s);
  std::printf("  import again (all unchanged)    %8.2f s  %10.0f rows/s\n", reimport_s,
              rows / reimport_s);
  std::printf("  psql \\copy, same rows, same tables (the limit) %8.2f s  %10.0f rows/s\n", psql_s,
              rows / psql_s);
  std::printf("  ratio ours / psql COPY rate     %8.2f\n", psql_s / import_s);
  std::printf("  peak memory: client %.0f MiB, server %.0f MiB\n", self.ru_maxrss / 1024.0,
              absl::GetFlag(FLAGS_server_pid) > 0
                  ? PeakMiB(std::to_string(absl::GetFlag(FLAGS_server_pid)))
                  : -1.0);
  std::printf("  target: under 10 s for 10,000 enterprises and 100,000 equipment: %s\n",
              import_s < 10 ? "met" : "NOT met");
  return 0;
}
