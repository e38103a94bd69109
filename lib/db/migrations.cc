#include "lib/db/migrations.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "lib/hash/sha256.h"

namespace cuofeng {
namespace {

constexpr char kCreateLedger[] = R"sql(
  CREATE SCHEMA IF NOT EXISTS core;
  CREATE TABLE IF NOT EXISTS core.schema_migrations (
    path text PRIMARY KEY,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())
)sql";

// Any constant will do; it keeps two servers from migrating at once.
constexpr long kMigrationLockId = 0x63756f66656e67;  // "cuofeng"

}  // namespace

absl::StatusOr<std::vector<std::string>> ApplyMigrations(ConnectionPool& pool,
                                                         const std::vector<EmbeddedFile>& files) {
  std::vector<std::string> applied;
  absl::Status status = InTransaction(pool, [&](pqxx::work& tx) -> absl::Status {
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockId);
    tx.exec0(kCreateLedger);
    std::map<std::string, std::string> recorded;
    for (const auto& row : tx.exec("SELECT path, sha256 FROM core.schema_migrations")) {
      recorded[row[0].as<std::string>()] = row[1].as<std::string>();
    }
    std::map<std::string, const EmbeddedFile*> known;
    for (const EmbeddedFile& f : files) known[f.path] = &f;
    for (const auto& [path, sha] : recorded) {
      if (known.count(path) == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("the database has migration ", path,
                         " which this build does not know: it was migrated by a newer cuofeng"));
      }
    }
    for (const auto& [path, file] : known) {
      std::string sha = Sha256Hex(file->contents);
      auto it = recorded.find(path);
      if (it != recorded.end()) {
        if (it->second != sha) {
          return absl::FailedPreconditionError(
              absl::StrCat("migration ", path, " was edited after it was applied (applied sha256 ",
                           it->second.substr(0, 12), ", file now ", sha.substr(0, 12),
                           "); restore the original text and put the change in a new migration"));
        }
        continue;
      }
      tx.exec0(file->contents);
      tx.exec_params0("INSERT INTO core.schema_migrations (path, sha256) VALUES ($1, $2)", path,
                      sha);
      applied.push_back(path);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

}  // namespace cuofeng
