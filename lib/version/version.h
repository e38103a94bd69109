// The project's version and the git commit a binary was built from, for
// `--version` flags. Generated at every build by lib/version/CMakeLists.txt.
#ifndef CUOFENG_LIB_VERSION_VERSION_H_
#define CUOFENG_LIB_VERSION_VERSION_H_

namespace cuofeng {

// ProjectVersion is the release number, e.g. "0.1.0".
const char* ProjectVersion();

// ProjectCommit is `git describe --always --dirty` of the source tree at
// build time (e.g. "a66d92f" or "a66d92f-dirty"), or "unknown" when the
// tree is not a git checkout.
const char* ProjectCommit();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_VERSION_VERSION_H_
