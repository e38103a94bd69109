// Generated districts straight into the rules engine's input, with no
// database in between: what cuofeng-bench-rules times and the rules tests
// pin byte for byte.
#ifndef CUOFENG_TOOLS_GEN_RULES_SNAPSHOT_H_
#define CUOFENG_TOOLS_GEN_RULES_SNAPSHOT_H_

#include <cstdint>

#include "lib/rules/engine.h"

namespace cuofeng {

// GenerateSnapshot is the generator's district of `equipment` pieces of
// equipment over equipment / 10 enterprises (at least one), or with
// `equipment` 0 the sample district (DistrictSpec's defaults), as the
// registry snapshot the rules engine reads.
RegistrySnapshot GenerateSnapshot(int64_t equipment);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_GEN_RULES_SNAPSHOT_H_
