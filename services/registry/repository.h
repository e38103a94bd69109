// RegistryRepository holds the registry schema's SQL. One generic
// implementation serves every kind, driven by ResourceKind and reflection;
// each statement is built once per kind.
#ifndef CUOFENG_SERVICES_REGISTRY_REPOSITORY_H_
#define CUOFENG_SERVICES_REGISTRY_REPOSITORY_H_

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "lib/filter/filter.h"
#include "services/registry/resources.h"

namespace cuofeng {

using MessagePtr = std::unique_ptr<google::protobuf::Message>;

// ListQuery selects rows of one kind.
struct ListQuery {
  // The parent; a "-" segment matches any id ("districts/-").
  std::string parent;
  // Only rows at or below this name prefix ("" for all).
  std::string scope_prefix;
  // Only rows the filter matches (AIP-160, lib/filter); empty for all.
  Filter filter;
  // Rows strictly after this name (keyset pagination); "" from the start.
  std::string after_name;
  int limit = 50;
};

// ImportStats counts what an upsert did.
struct UpsertCounts {
  int64_t created = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
};

// StoredRows is a district's rows of one kind as the table holds them: their
// names and, when read with their data, every data column as text (what
// RowToMessage reads). An import looks names up here and tells unchanged
// rows from changed ones without writing them.
class StoredRows {
 public:
  StoredRows() = default;
  StoredRows(StoredRows&&) = default;
  StoredRows& operator=(StoredRows&&) = default;

  bool Has(absl::string_view name) const { return index_.contains(name); }
  size_t size() const { return index_.size(); }
  // The names, in no particular order.
  std::vector<absl::string_view> Names() const;
  // Same says whether the stored row named `name` holds exactly `msg`'s data
  // columns: each column's text equals the text `msg` would be written as
  // (so the database would parse it back to the stored value). False when
  // the row is absent or was read without its data; then only a write can
  // tell.
  bool Same(absl::string_view name, const google::protobuf::Message& msg) const;

 private:
  friend class RegistryRepository;
  const ResourceKind* kind_ = nullptr;
  bool with_data_ = false;
  pqxx::result result_;
  absl::flat_hash_map<absl::string_view, int> index_;  // name → row of result_
};

class RegistryRepository {
 public:
  // Insert writes a new row for `msg` under `name`.
  static absl::Status Insert(pqxx::work& tx, const ResourceKind& kind, const ParsedName& name,
                             const google::protobuf::Message& msg);

  // Get reads one row (locking it when `for_update`); NOT_FOUND if absent.
  static absl::StatusOr<MessagePtr> Get(pqxx::transaction_base& tx, const ResourceKind& kind,
                                        const std::string& name, bool for_update = false);

  // List reads rows in name order.
  static absl::StatusOr<std::vector<MessagePtr>> List(pqxx::transaction_base& tx,
                                                      const ResourceKind& kind,
                                                      const ListQuery& query);

  // Update rewrites every data column of the row named msg.name() and bumps
  // its version.
  static absl::Status Update(pqxx::work& tx, const ResourceKind& kind,
                             const google::protobuf::Message& msg);

  // Delete removes a row; FAILED_PRECONDITION while anything references it.
  static absl::Status Delete(pqxx::work& tx, const ResourceKind& kind, const std::string& name);

  // Exists says whether a row named `name` exists.
  static bool Exists(pqxx::transaction_base& tx, const ResourceKind& kind, const std::string& name);

  // Dependents describes what still points at `name`: rows below it and
  // rows that reference it ("3 production lines, 1 meter"), or "" if none.
  static std::string Dependents(pqxx::transaction_base& tx, const ResourceKind& kind,
                                const std::string& name);

  // Names returns every name of `kind` in a district.
  static std::vector<std::string> Names(pqxx::transaction_base& tx, const ResourceKind& kind,
                                        const std::string& district_id);

  // ReadStored reads the district's rows of `kind` (only their names unless
  // `with_data`).
  static StoredRows ReadStored(pqxx::transaction_base& tx, const ResourceKind& kind,
                               const std::string& district_id, bool with_data);

  // CopyInsert writes rows that do not exist yet straight into the table
  // with COPY; ALREADY_EXISTS if one appeared meanwhile. Returns the count.
  static absl::StatusOr<int64_t> CopyInsert(
      pqxx::work& tx, const ResourceKind& kind,
      const std::vector<std::pair<const ParsedName*, const google::protobuf::Message*>>& rows);

  // Upsert writes `rows` (messages with their names) through COPY into a
  // staging table and merges them: new names are created, changed rows
  // updated (version bumped), identical rows left alone.
  static absl::StatusOr<UpsertCounts> Upsert(
      pqxx::work& tx, const ResourceKind& kind,
      const std::vector<std::pair<const ParsedName*, const google::protobuf::Message*>>& rows);

  // ReadDistrict calls `sink` with batches of at most `batch` rows of `kind`
  // in the district, in name order.
  static absl::Status ReadDistrict(pqxx::transaction_base& tx, const ResourceKind& kind,
                                   const std::string& district_id, int batch,
                                   const std::function<void(std::vector<MessagePtr>)>& sink);
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_REPOSITORY_H_
