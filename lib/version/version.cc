#include "lib/version/version.h"

#include "lib/version/version_info.h"

namespace cuofeng {

const char* ProjectVersion() { return CUOFENG_VERSION_STRING; }

const char* ProjectCommit() { return CUOFENG_COMMIT_STRING; }

}  // namespace cuofeng
