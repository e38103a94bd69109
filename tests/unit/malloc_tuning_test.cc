// TuneMalloc starts the program again, same pid, with GLIBC_TUNABLES set (glibc
// reads it only at start), and leaves an operator's own setting alone.
#include "lib/process/malloc_tuning.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace cuofeng {
namespace {

// Run by the started-again test binary: reports what it runs with.
TEST(MallocTuning, ReportsWhatItRunsWith) {
  const char* report = getenv("CUOFENG_MALLOC_REPORT");
  if (report == nullptr) GTEST_SKIP() << "only run by the tests below, in a child";
  // As main does first thing, on its second start.
  char self[] = "malloc_tuning_test";
  char* argv[] = {self, nullptr};
  TuneMalloc(argv);
  const char* tunables = getenv("GLIBC_TUNABLES");
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  std::ofstream(report) << getpid() << "\n"
                        << (tunables != nullptr ? tunables : "(unset)") << "\n"
                        << name;
}

// Forks a child that calls TuneMalloc as main does, with `preset` as its
// GLIBC_TUNABLES (nullptr: unset) and, with `marked`, the marker of a second
// start; returns the child's pid and what it reported, from the binary
// started again or, if TuneMalloc returned, from the child itself.
std::pair<pid_t, std::string> RunChild(const char* preset, bool marked = false) {
  char path[] = "/tmp/malloc-tuning-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  const pid_t child = fork();
  if (child == 0) {
    setenv("CUOFENG_MALLOC_REPORT", path, 1);
    if (marked) {
      setenv("CUOFENG_MALLOC_TUNED", "1", 1);
    } else {
      unsetenv("CUOFENG_MALLOC_TUNED");
    }
    if (preset != nullptr) {
      setenv("GLIBC_TUNABLES", preset, 1);
    } else {
      unsetenv("GLIBC_TUNABLES");
    }
    char filter[] = "--gtest_filter=MallocTuning.ReportsWhatItRunsWith";
    char self[] = "malloc_tuning_test";
    char* argv[] = {self, filter, nullptr};
    TuneMalloc(argv);
    // Not started again: report from here.
    std::ofstream(path) << getpid() << "\nnot started again";
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  return {child, text.str()};
}

TEST(MallocTuning, StartsAgainWithTheTunablesUnderItsOwnName) {
  auto [pid, report] = RunChild(nullptr);
  // The same pid, the tunables, and not "exe" as /proc/self/exe would name it.
  EXPECT_EQ(report, std::to_string(pid) + "\n" + MallocTunables() + "\nmalloc_tuning_t");
}

TEST(MallocTuning, StartsAgainOnlyOnce) {
  // A loader that dropped the tunables must not make it start again and again.
  auto [pid, report] = RunChild(nullptr, /*marked=*/true);
  EXPECT_EQ(report, std::to_string(pid) + "\nnot started again");
}

TEST(MallocTuning, LeavesTheOperatorsSettingAlone) {
  auto [pid, report] = RunChild("glibc.malloc.arena_max=2");
  EXPECT_EQ(report, std::to_string(pid) + "\nnot started again");
}

}  // namespace
}  // namespace cuofeng
