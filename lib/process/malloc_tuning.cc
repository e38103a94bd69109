#include "lib/process/malloc_tuning.h"

#include <stdlib.h>
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

void TuneMalloc(char** argv) {
  if (getenv("GLIBC_TUNABLES") != nullptr) return;  // set: by us, or chosen by the operator
  if (setenv("GLIBC_TUNABLES", MallocTunables(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not started again (no /proc, say): run on with the default heap. The
  // variable stays, so that a child does not try either.
}

}  // namespace cuofeng
