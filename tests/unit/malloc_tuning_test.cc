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
  if (report == nullptr) GTEST_SKIP() << "only run by MallocTuning.StartsAgainWithTheTunables";
  const char* tunables = getenv("GLIBC_TUNABLES");
  std::ofstream(report) << getpid() << "\n" << (tunables != nullptr ? tunables : "(unset)");
}

// Forks a child that calls TuneMalloc as main does, with `preset` as its
// GLIBC_TUNABLES (nullptr: unset); returns the child's pid and what it
// reported, from the binary started again or, if TuneMalloc returned, from
// the child itself.
std::pair<pid_t, std::string> RunChild(const char* preset) {
  char path[] = "/tmp/malloc-tuning-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  const pid_t child = fork();
  if (child == 0) {
    setenv("CUOFENG_MALLOC_REPORT", path, 1);
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

TEST(MallocTuning, StartsAgainWithTheTunables) {
  auto [pid, report] = RunChild(nullptr);
  EXPECT_EQ(report, std::to_string(pid) + "\n" + MallocTunables());
}

TEST(MallocTuning, LeavesTheOperatorsSettingAlone) {
  auto [pid, report] = RunChild("glibc.malloc.arena_max=2");
  EXPECT_EQ(report, std::to_string(pid) + "\nnot started again");
}

}  // namespace
}  // namespace cuofeng
