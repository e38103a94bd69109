// Ordered, checksummed schema migrations (sql/<schema>/V###__name.sql).
#ifndef CUOFENG_LIB_DB_MIGRATIONS_H_
#define CUOFENG_LIB_DB_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/db/embedded_files.h"
#include "lib/db/pool.h"

namespace cuofeng {

// ApplyMigrations applies, in one transaction under an advisory lock, every
// migration in `files` not yet recorded in core.schema_migrations, in path
// order, and records each with its SHA-256. It refuses (FAILED_PRECONDITION,
// naming the file) when a recorded migration's text has changed since it was
// applied, or when the database holds a migration this build does not know.
// Returns the paths it applied.
absl::StatusOr<std::vector<std::string>> ApplyMigrations(ConnectionPool& pool,
                                                         const std::vector<EmbeddedFile>& files);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_MIGRATIONS_H_
