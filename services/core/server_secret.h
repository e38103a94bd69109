// ServerSecret: a secret every server process on one database shares,
// made by the first process that needs it (core.server_secret).
#ifndef CUOFENG_SERVICES_CORE_SERVER_SECRET_H_
#define CUOFENG_SERVICES_CORE_SERVER_SECRET_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/db/pool.h"

namespace cuofeng {

// ServerSecret returns the secret called `name`, creating 32 random bytes
// the first time (concurrent first starts agree on one).
absl::StatusOr<std::string> ServerSecret(ConnectionPool& pool, const std::string& name);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CORE_SERVER_SECRET_H_
