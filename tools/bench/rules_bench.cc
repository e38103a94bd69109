// cuofeng-bench-rules: the rules engine alone (no database, no gRPC) on
// synthetic districts of 10k, 100k and 1M equipment. Each size runs in its
// own child process so that its peak memory is its own. Prints a table with
// time, peak memory and time / (n log2 n) to show the growth, and a digest
// of everything the engine produced (entries, proof, counts), so that a
// change to the engine's internals can be checked to give the same bytes.
// "sample" as a size is the sample district (cuofeng-gen's defaults).
//   cuofeng-bench-rules [--sizes=sample,10000,100000,1000000]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/rules/digest.h"
#include "lib/rules/engine.h"
#include "lib/rules/rule_set.h"
#include "tools/gen/rules_snapshot.h"

ABSL_FLAG(std::string, sizes, "10000,100000,1000000", "equipment counts to run");
ABSL_FLAG(std::string, rule_set, "tools/rulesets/jizhou-2018.textproto", "rule set file");
ABSL_FLAG(std::string, perf_control, "",
          "perf's control fifo: profile the engine alone, e.g. perf record -D -1 "
          "--control=fifo:CTL cuofeng-bench-rules --perf_control=CTL");

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU time of the whole process, or (`who` RUSAGE_THREAD) of this thread:
// what the engine's helper threads do beside it is the difference, and this
// thread's share is what a quiet machine's wall time cannot go below.
double CpuSeconds(int who = RUSAGE_SELF) {
  struct rusage u;
  getrusage(who, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// PerfControl sends `command` (enable, disable) to perf record's control fifo.
void PerfControl(const char* command) {
  const std::string path = absl::GetFlag(FLAGS_perf_control);
  if (path.empty()) return;
  std::ofstream out(path);
  out << command << std::endl;
}

double RssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

struct Result {
  double gen_s, engine_s, engine_cpu_s, engine_main_cpu_s, rss_before_mib, entries_mib;
  long entries;
  char digest[17];
};

// Runs one size in this (child) process.
// equipment 0: the sample district.
Result RunOne(const cuofeng::v1::RuleSet& rules, int64_t equipment) {
  auto t0 = std::chrono::steady_clock::now();
  const cuofeng::RegistrySnapshot s = cuofeng::GenerateSnapshot(equipment);
  Result r;
  r.gen_s = Seconds(t0);
  r.rss_before_mib = RssMiB();
  cuofeng::v1::Season season;
  season.set_name("districts/120119/seasons/2018-2019");
  season.set_start("2018-11-15");
  season.set_end("2019-03-15");
  season.set_filing_deadline("2018-10-31");
  t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  const double main_cpu0 = CpuSeconds(RUSAGE_THREAD);
  PerfControl("enable");
  // The server's form: entries kept compact and made one at a time.
  cuofeng::GeneratedList list =
      cuofeng::GenerateList(rules, season, s, "2018-10-25", cuofeng::EntryForm::kCompact);
  r.engine_s = Seconds(t0);
  r.engine_cpu_s = CpuSeconds() - cpu0;
  r.engine_main_cpu_s = CpuSeconds(RUSAGE_THREAD) - main_cpu0;
  PerfControl("disable");
  r.entries = static_cast<long>(list.entry_count);
  // The digest: every entry, the proof, the counts, the content hash.
  cuofeng::Sha256Stream digest;
  size_t bytes = 0;
  cuofeng::ForEachEntry(list, [&](cuofeng::v1::ListEntry* e) {
    digest.AddMessage(*e);
    bytes += e->ByteSizeLong();
  });
  r.entries_mib = bytes / 1048576.0;
  for (const auto& p : list.proof) digest.AddMessage(p);
  for (const auto& p : list.staggered_periods) digest.AddMessage(p);
  digest.Update(absl::StrCat(list.restricted, ",", list.exempt, ",", list.guaranteed, ",",
                             list.data_missing, ",", list.content_sha256));
  std::snprintf(r.digest, sizeof(r.digest), "%s", digest.HexDigest().c_str());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::ifstream in(absl::GetFlag(FLAGS_rule_set));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto rules = cuofeng::ParseRuleSet(text);
  if (!rules.ok()) {
    std::fprintf(stderr, "rule set: %s\n", std::string(rules.status().message()).c_str());
    return 1;
  }
  std::printf(
      "rules engine benchmark (jizhou-2018, one process per size, 10 equipment per enterprise)\n");
  std::printf("%12s %10s %10s %10s %10s %10s %14s %12s %16s %16s %12s\n", "equipment", "entries",
              "engine s", "engine cpu", "main cpu", "generate s", "RSS before MiB", "peak MiB",
              "cpu us/n*log2n", "digest", "entries MiB");
  for (absl::string_view size_text : absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',')) {
    int64_t n = 0;
    if (size_text != "sample" && (!absl::SimpleAtoi(size_text, &n) || n <= 0)) continue;
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      Result r = RunOne(*rules, n);
      if (write(fds[1], &r, sizeof(r)) != sizeof(r)) _exit(1);
      _exit(0);
    }
    close(fds[1]);
    Result r{};
    ssize_t got = read(fds[0], &r, sizeof(r));
    close(fds[0]);
    int status = 0;
    struct rusage usage;
    wait4(pid, &status, 0, &usage);
    if (got != sizeof(r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "size %ld failed\n", static_cast<long>(n));
      return 1;
    }
    const double nn = n > 0 ? static_cast<double>(n) : 1200;  // the sample's equipment
    std::printf("%12s %10ld %10.3f %10.3f %10.3f %10.3f %14.0f %12.0f %16.4f %16s %12.1f\n",
                std::string(size_text).c_str(), r.entries, r.engine_s, r.engine_cpu_s,
                r.engine_main_cpu_s, r.gen_s, r.rss_before_mib, usage.ru_maxrss / 1024.0,
                r.engine_cpu_s * 1e6 / (nn * std::log2(nn)), r.digest, r.entries_mib);
    if (n == 100000) {
      std::printf("%12s target: 100k equipment under 2 s: %s\n", "",
                  r.engine_s < 2 ? "met" : "NOT met");
    }
    if (n == 1000000) {
      std::printf("%12s target: 1M equipment under 5 s and 1.5 GiB: %s\n", "",
                  r.engine_s < 5 && usage.ru_maxrss < 1536 * 1024 ? "met" : "NOT met");
    }
  }
  return 0;
}
