#include "lib/process/malloc_tuning.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace cuofeng {

const char* MallocTunables() {
  // hugetlb=1: madvise(MADV_HUGEPAGE) on what malloc takes from the system;
  // top_pad: grow a heap 64 MiB at a time (the default is 128 KiB);
  // mmap_threshold: blocks up to 32 MiB (protobuf arena blocks, a file's
  // bytes) come from the heap, not from a fresh mapping each time;
  // trim_threshold: keep up to 256 MiB free at the top rather than giving it
  // back and faulting it in again for the next request.
  return "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864:"
         "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456";
}

namespace {

// Started again through /proc/self/exe, the process would be named "exe"
// (ps, top, pgrep, the OOM killer's log): it takes its own name back, as the
// kernel gives it on an ordinary start (the file name, at most 15 bytes).
void KeepName(char** argv) {
  if (argv == nullptr || argv[0] == nullptr) return;
  const char* slash = strrchr(argv[0], '/');
  char name[16] = {};
  strncpy(name, slash != nullptr ? slash + 1 : argv[0], sizeof(name) - 1);
  prctl(PR_SET_NAME, name, 0, 0, 0);
}

constexpr char kStartedAgain[] = "CUOFENG_MALLOC_TUNED";

}  // namespace

void TuneMalloc(char** argv) {
  // Started again already: the marker, not GLIBC_TUNABLES, says so (a
  // loader that drops the tunables, for a binary with capabilities say,
  // must not make it start again and again).
  if (getenv(kStartedAgain) != nullptr) {
    KeepName(argv);
    return;
  }
  if (getenv("GLIBC_TUNABLES") != nullptr) return;  // chosen by the operator
  if (setenv("GLIBC_TUNABLES", MallocTunables(), 1) != 0) return;
  if (setenv(kStartedAgain, "1", 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not started again (no /proc, say): run on with the default heap. The
  // variables stay, so that a child does not try either.
}

}  // namespace cuofeng
