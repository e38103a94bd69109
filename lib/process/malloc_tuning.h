// Heap settings for the programs that move a district's registry or a
// season's readings through memory.
#ifndef CUOFENG_LIB_PROCESS_MALLOC_TUNING_H_
#define CUOFENG_LIB_PROCESS_MALLOC_TUNING_H_

namespace cuofeng {

// TuneMalloc gives glibc's malloc large heap steps and transparent huge
// pages, unless the caller set GLIBC_TUNABLES itself. glibc reads its
// tunables only when a program starts, so the first call sets the variable
// (and CUOFENG_MALLOC_TUNED, so that it happens once) and starts the program
// again (execv of /proc/self/exe with the same arguments, the same pid, its
// name taken back from "exe"); on the second start it returns at once. Call
// it first thing in main. If the program cannot be started again it returns
// and the program runs with the default heap.
//
// Why: an import or an ingest builds hundreds of MiB of short strings. With
// the default heap every 4 KiB page of it faults in on first touch and the
// heap grows in 128 KiB steps; measured on a registry import of 100,000
// equipment (tools/bench-import), the server's CPU went from 4.7 s to 3.2 s
// and the client's from 2.7 s to 1.7 s with these settings. Neither setting
// alone made a difference (4.4-4.5 s): huge pages need the large steps.
void TuneMalloc(char** argv);

// The value TuneMalloc puts in GLIBC_TUNABLES.
const char* MallocTunables();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_PROCESS_MALLOC_TUNING_H_
