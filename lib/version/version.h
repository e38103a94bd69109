// The version of this build of cuofeng, for `--version` of every binary.
#ifndef CUOFENG_LIB_VERSION_VERSION_H_
#define CUOFENG_LIB_VERSION_VERSION_H_

namespace cuofeng {

// ProjectVersion is the release version, e.g. "0.1.0".
const char* ProjectVersion();

// ProjectCommit is `git describe --always --dirty` of the source tree when
// the build was configured (a short hash, "-dirty" with uncommitted
// changes), or "unknown" outside a git checkout.
const char* ProjectCommit();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_VERSION_VERSION_H_
