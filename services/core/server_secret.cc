#include "services/core/server_secret.h"

#include "lib/hash/sha256.h"

namespace cuofeng {

absl::StatusOr<std::string> ServerSecret(ConnectionPool& pool, const std::string& name) {
  std::string value;
  absl::Status status = InTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params0(
        "INSERT INTO core.server_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO "
        "NOTHING",
        name, pqxx::binarystring(RandomToken(32)));
    pqxx::binarystring stored(
        tx.exec_params1("SELECT value FROM core.server_secret WHERE name = $1", name)[0]);
    value = stored.str();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

}  // namespace cuofeng
