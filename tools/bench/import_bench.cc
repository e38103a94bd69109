// cuofeng-bench-import: imports a generated registry through the real path
// (CSV files → CLI client → gRPC → server validation → COPY + merge) and, in
// the same run, psql's own \copy of the very same rows into the same tables
// (keys, indexes, checks and foreign keys), in one transaction, which is the
// limit for writing them on this machine. Prints both, the ratios of the first
// import and of the re-import to it, the load average, and peak memory of
// client and server, and the CPU each side spent (client, server,
// PostgreSQL): on a machine of two cores the sum bounds how fast it can go.
// Driven by `tools/bench-import`.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/process/malloc_tuning.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/generator.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "cuofeng-server address");
ABSL_FLAG(std::string, key, "", "bureau or admin key");
ABSL_FLAG(std::string, database, "", "DSN of the server's database (for the psql comparison)");
ABSL_FLAG(int, server_pid, 0, "pid of cuofeng-server, for its peak memory and CPU");
ABSL_FLAG(int, postmaster_pid, 0, "pid of PostgreSQL's postmaster, for the CPU of PostgreSQL");
ABSL_FLAG(int64_t, enterprises, 10000, "enterprises to generate");
ABSL_FLAG(int64_t, equipment, 100000, "equipment rows to generate");
ABSL_FLAG(bool, stream_client, true,
          "first import: send each file as soon as it is parsed (false: parse all first)");
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

// CPU seconds (user + system) of a process; with `reaped`, also of the
// children it has waited for.
double ProcessCpu(int pid, bool reaped = false) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double ticks = 0;
  // After "pid (comm) ": state is field 3; utime, stime, cutime, cstime 14-17.
  for (int i = 3; i <= 17 && fields >> f; ++i) {
    if (i == 14 || i == 15 || (reaped && (i == 16 || i == 17))) ticks += std::stod(f);
  }
  return ticks / sysconf(_SC_CLK_TCK);
}

// CPU seconds of PostgreSQL's live children (backends and background
// processes) at this moment.
double LiveChildrenCpu(int postmaster) {
  double cpu = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return cpu;
  while (dirent* e = readdir(proc)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    int ppid = 0;
    fields >> state >> ppid;
    if (ppid == postmaster) cpu += ProcessCpu(pid);
  }
  closedir(proc);
  return cpu;
}

// CPU seconds of all of PostgreSQL: the postmaster, its live children and the
// children it has reaped (a psql session's backend ends with it). A child
// reaped while the live ones are read would count in neither (or, read the
// other way round, twice): the reaped figure is read before and after, and
// the whole read again until they agree.
double PostgresCpu() {
  const int postmaster = absl::GetFlag(FLAGS_postmaster_pid);
  if (postmaster <= 0) return 0;
  for (int attempt = 0;; ++attempt) {
    const double before = ProcessCpu(postmaster, /*reaped=*/true);
    const double live = LiveChildrenCpu(postmaster);
    const double after = ProcessCpu(postmaster, /*reaped=*/true);
    if (before == after || attempt == 10) return after + live;
  }
}

// CPU seconds of this process, and of the children it has waited for (psql).
double SelfCpu() { return ProcessCpu(getpid()); }
double ChildrenCpu() {
  struct rusage u;
  getrusage(RUSAGE_CHILDREN, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

// CPU seconds spent by each side during one step.
struct CpuUse {
  double client = 0, server = 0, postgres = 0;
};
struct CpuMark {
  double client, server, postgres;
};
CpuMark MarkCpu() {
  const int server = absl::GetFlag(FLAGS_server_pid);
  return {SelfCpu() + ChildrenCpu(), server > 0 ? ProcessCpu(server) : 0, PostgresCpu()};
}
CpuUse Since(const CpuMark& m) {
  const CpuMark now = MarkCpu();
  return {now.client - m.client, now.server - m.server, now.postgres - m.postgres};
}
void PrintCpu(const char* what, const CpuUse& c) {
  std::printf("    CPU %-28s client %5.2f s, server %5.2f s, PostgreSQL %5.2f s, all %5.2f s\n",
              what, c.client, c.server, c.postgres, c.client + c.server + c.postgres);
}

int Psql(const std::string& dsn, const std::string& command) {
  std::string cmd =
      absl::StrCat("psql -X -q -v ON_ERROR_STOP=1 \"", dsn, "\" -c \"", command, "\" >/dev/null");
  return std::system(cmd.c_str());
}

// The 1-, 5- and 15-minute load averages ("8.04 7.91 5.68").
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

// The registry's tables below the district, parents before children.
const char* const kTables[] = {
    "township",        "enterprise",       "production_line",  "process",       "equipment",
    "meter",           "camera",           "vehicle",          "retrofit_task", "emission_total",
    "whitelist_entry", "monitoring_point", "production_ledger"};

struct CopyLimit {
  double seconds = 0;
  int64_t rows = 0;
  CpuUse cpu;  // of the timed \copy alone
};

// PsqlCopyLimit copies the district's rows out of registry.* into files, makes
// bench.* like registry.* (keys, indexes, checks, and with `foreign_keys` the
// foreign keys, pointing into bench.*; the district's own row copied first),
// and times one `psql -1` that \copies every file in.
absl::StatusOr<CopyLimit> PsqlCopyLimit(const std::string& dsn, const std::string& dir,
                                        bool foreign_keys) {
  CopyLimit out;
  try {
    pqxx::connection c(dsn);
    pqxx::work tx(c);
    tx.exec0("DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench");
    tx.exec0("CREATE TABLE bench.district (LIKE registry.district INCLUDING ALL)");
    tx.exec0("INSERT INTO bench.district SELECT * FROM registry.district");
    for (const char* t : kTables) {
      tx.exec0(absl::StrCat("CREATE TABLE bench.", t, " (LIKE registry.", t, " INCLUDING ALL)"));
      out.rows += tx.exec1(absl::StrCat("SELECT count(*) FROM registry.", t))[0].as<int64_t>();
    }
    if (foreign_keys) {
      for (const auto& row :
           tx.exec("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                   "FROM pg_constraint WHERE contype = 'f' AND "
                   "connamespace = 'registry'::regnamespace")) {
        std::string table = row[0].as<std::string>();
        std::string def = row[2].as<std::string>();
        if (table.rfind("registry.", 0) != 0) continue;
        table = "bench." + table.substr(9);
        for (size_t at = def.find("REFERENCES registry."); at != std::string::npos;
             at = def.find("REFERENCES registry.", at)) {
          def.replace(at, 20, "REFERENCES bench.");
        }
        tx.exec0(absl::StrCat("ALTER TABLE ", table, " ADD CONSTRAINT ", row[1].as<std::string>(),
                              " ", def));
      }
    }
    tx.commit();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("preparing bench.*: ", e.what()));
  }
  std::string script;
  for (const char* t : kTables) {
    if (Psql(dsn, absl::StrCat("\\copy registry.", t, " TO '", dir, "/", t, ".copy'")) != 0) {
      return absl::InternalError(absl::StrCat("psql \\copy out of registry.", t, " failed"));
    }
    absl::StrAppend(&script, "\\copy bench.", t, " FROM '", dir, "/", t, ".copy'\n");
  }
  const std::string script_path = dir + "/copy.sql";
  std::ofstream(script_path) << script;
  auto t0 = std::chrono::steady_clock::now();
  const CpuMark cpu_mark = MarkCpu();
  const std::string cmd = absl::StrCat("psql -X -q -1 -v ON_ERROR_STOP=1 \"", dsn, "\" -f '",
                                       script_path, "' >/dev/null");
  const int rc = std::system(cmd.c_str());
  out.seconds = Seconds(t0);
  out.cpu = Since(cpu_mark);
  Psql(dsn, "DROP SCHEMA bench CASCADE");
  if (rc != 0) return absl::InternalError("psql \\copy into bench.* failed");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // The client in here runs with the heap settings of the `cuofeng` CLI;
  // psql, the limit, runs as a user runs it.
  cuofeng::TuneMalloc(argv);
  unsetenv("GLIBC_TUNABLES");
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_workdir) + "/registry";
  const std::string key = absl::GetFlag(FLAGS_key);
  const std::string dsn = absl::GetFlag(FLAGS_database);
  const std::string load_start = LoadAverage();

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
  // The first import as `cuofeng registry import DIR` makes it: with
  // --stream_client, each file sent as soon as it is parsed (the server
  // checks it while the next ones arrive); without, every file parsed first.
  t0 = std::chrono::steady_clock::now();
  CpuMark cpu_mark = MarkCpu();
  absl::StatusOr<cuofeng::v1::ImportRegistryResponse> import;
  double read_s = 0;
  double first_sent_s = 0, last_sent_s = 0;
  if (absl::GetFlag(FLAGS_stream_client)) {
    // When the client sent its first and its last rows.
    const std::function<void(int64_t, int64_t)> progress = [&](int64_t sent, int64_t total) {
      if (first_sent_s == 0) first_sent_s = Seconds(t0);
      if (sent == total) last_sent_s = Seconds(t0);
    };
    import = cuofeng::ImportTemplateDir(*stub, key, "districts/120119", dir, false, "", progress);
  } else {
    auto files = cuofeng::ReadTemplateDir(dir);
    if (!files.ok()) {
      std::cerr << files.status() << "\n";
      return 1;
    }
    read_s = Seconds(t0);
    import = cuofeng::ImportFiles(*stub, key, "districts/120119", *files, false, "", nullptr);
  }
  const double import_s = Seconds(t0);
  const CpuUse import_cpu = Since(cpu_mark);
  if (!import.ok()) {
    std::cerr << import.status() << "\n";
    return 1;
  }
  // The re-import sends files parsed beforehand (the parse is timed alone).
  t0 = std::chrono::steady_clock::now();
  auto files = cuofeng::ReadTemplateDir(dir);
  if (!files.ok()) {
    std::cerr << files.status() << "\n";
    return 1;
  }
  if (read_s == 0) read_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  cpu_mark = MarkCpu();
  auto again = cuofeng::ImportFiles(*stub, key, "districts/120119", *files, false, "", nullptr);
  const double reimport_s = Seconds(t0);
  const CpuUse reimport_cpu = Since(cpu_mark);
  if (!again.ok() || again->unchanged() != rows) {
    std::cerr << "re-import did not find every row unchanged\n";
    return 1;
  }

  // The limit: psql's \copy of the same rows into the same tables, with the
  // same keys, indexes, checks and foreign keys (bench.* mirrors registry.*,
  // its foreign keys pointing into bench.*), in one transaction as an import
  // is. Measured twice: with the foreign keys (issue 20's limit) and, as in
  // earlier runs, without them.
  const std::string copy_dir = absl::GetFlag(FLAGS_workdir);
  auto limit = PsqlCopyLimit(dsn, copy_dir, /*foreign_keys=*/true);
  if (!limit.ok()) {
    std::cerr << limit.status() << "\n";
    return 1;
  }
  auto limit_no_fk = PsqlCopyLimit(dsn, copy_dir, /*foreign_keys=*/false);
  if (!limit_no_fk.ok()) {
    std::cerr << limit_no_fk.status() << "\n";
    return 1;
  }
  const double psql_s = limit->seconds;
  const double psql_no_fk_s = limit_no_fk->seconds;
  const std::string load_end = LoadAverage();
  if (limit->rows != rows) {
    std::cerr << "psql copied " << limit->rows << " rows; the import has " << rows << "\n";
    return 1;
  }

  struct rusage self;
  getrusage(RUSAGE_SELF, &self);
  std::printf("registry import benchmark: %ld enterprises, %ld equipment, %ld rows in all\n",
              static_cast<long>(generated->enterprises), static_cast<long>(generated->equipment),
              static_cast<long>(rows));
  std::printf("  generate CSV files              %8.2f s\n", gen_s);
  std::printf("  load average at start: %s; at end: %s\n", load_start.c_str(), load_end.c_str());
  std::printf("  read + parse CSV (client, alone) %7.2f s\n", read_s);
  std::printf(
      "  import, first time (all new)    %8.2f s  %10.0f rows/s  (includes read + parse%s)\n",
      import_s, rows / import_s,
      absl::GetFlag(FLAGS_stream_client) ? ", each file sent once parsed" : "");
  if (absl::GetFlag(FLAGS_stream_client)) {
    std::printf("  (first import: the client sent its first rows at %.2f s, its last at %.2f s)\n",
                first_sent_s, last_sent_s);
  }
  PrintCpu("of the first import:", import_cpu);
  std::printf("  import again (all unchanged)    %8.2f s  %10.0f rows/s\n", reimport_s,
              rows / reimport_s);
  PrintCpu("of the re-import:", reimport_cpu);
  std::printf(
      "  psql \\copy, same rows, same tables, keys and foreign keys, one transaction "
      "(the limit) %8.2f s  %10.0f rows/s\n",
      psql_s, rows / psql_s);
  PrintCpu("of psql's \\copy (with keys):", limit->cpu);
  std::printf("  psql \\copy without the foreign keys (the limit of earlier runs) %8.2f s\n",
              psql_no_fk_s);
  std::printf("  ratio first import / psql COPY  %8.2f  (target 0.5: %s)\n", psql_s / import_s,
              psql_s / import_s >= 0.5 ? "met" : "NOT met");
  std::printf("  ratio re-import / psql COPY     %8.2f  (target 0.5: %s)\n", psql_s / reimport_s,
              psql_s / reimport_s >= 0.5 ? "met" : "NOT met");
  std::printf("  (without foreign keys in the limit: %.2f and %.2f)\n", psql_no_fk_s / import_s,
              psql_no_fk_s / reimport_s);
  std::printf("  peak memory: client %.0f MiB, server %.0f MiB\n", self.ru_maxrss / 1024.0,
              absl::GetFlag(FLAGS_server_pid) > 0
                  ? PeakMiB(std::to_string(absl::GetFlag(FLAGS_server_pid)))
                  : -1.0);
  std::printf("  target: under 10 s for 10,000 enterprises and 100,000 equipment: %s\n",
              import_s < 10 ? "met" : "NOT met");
  return 0;
}
