// FUZZ_CHECK for the libFuzzer targets: an invariant that does not hold is a
// finding, reported like a crash (the input is saved as crash-*).
#ifndef CUOFENG_TESTS_FUZZ_FUZZ_CHECK_H_
#define CUOFENG_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

// KnownIssue says whether to let through a finding already filed in
// tests/fuzz/regressions/ (so that a long run goes on looking for others).
// With CUOFENG_FUZZ_STRICT set (tools/fuzz --regressions) nothing is let
// through, so a regression input fails until its cause is fixed.
inline bool KnownIssue() {
  static const bool strict = std::getenv("CUOFENG_FUZZ_STRICT") != nullptr;
  return !strict;
}

#define FUZZ_CHECK(cond, detail)                                                             \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      const std::string fuzz_check_detail = (detail);                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n  %s\n", __FILE__, __LINE__, #cond, \
                   fuzz_check_detail.c_str());                                               \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

#endif  // CUOFENG_TESTS_FUZZ_FUZZ_CHECK_H_
