// FilingRepository holds the SQL of the filing chain: state changes of list
// versions, the append-only filing and acknowledgement rows, and the
// verification that recomputes every hash.
#ifndef CUOFENG_SERVICES_PLANNING_FILING_REPOSITORY_H_
#define CUOFENG_SERVICES_PLANNING_FILING_REPOSITORY_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// ListRow is what the state machine needs of a list version.
struct ListRow {
  std::string name, district_id, season, amends, content_sha256;
  v1::ListState state = v1::LIST_STATE_UNSPECIFIED;
  int entry_count = 0;
};

class FilingRepository {
 public:
  // LockList reads a list version and locks it for the transaction.
  static absl::StatusOr<ListRow> LockList(pqxx::work& tx, const std::string& name);
  static void SetState(pqxx::work& tx, const std::string& name, v1::ListState state);
  static void MarkAmendment(pqxx::work& tx, const std::string& name, const std::string& amends,
                            const std::string& reason);
  // Lists of the district and season in `state` (optionally amending `amends`).
  static std::vector<std::string> ListsIn(pqxx::transaction_base& tx,
                                          const std::string& district_id, const std::string& season,
                                          v1::ListState state);

  // AppendFiling adds the list to the district's chain.
  static v1::Filing AppendFiling(pqxx::work& tx, const ListRow& list,
                                 const std::string& submitted_by, bool late,
                                 const std::string& reason);
  static void Acknowledge(pqxx::work& tx, const std::string& list, const std::string& by);
  static absl::StatusOr<v1::Filing> GetFiling(pqxx::transaction_base& tx, const std::string& list);
  // Filings in (district, seq) order after `after` ("district/seq").
  static std::vector<v1::Filing> ListFilings(pqxx::transaction_base& tx,
                                             const std::string& district_id, v1::ListState state,
                                             const std::string& season_id, const std::string& after,
                                             int limit);

  // Verify walks the district's chain in order and names the first filing,
  // entry and (when it can tell) column that no longer match: each filing's
  // place (district, seq), its sealed record against its columns and its
  // list version's, each entry's body hash and the columns readers select
  // by (district, enterprise, resource, kind) against that body, missing or
  // extra entries, the content hash, the link, the state and the city's
  // acknowledgement (sealed too).
  static v1::VerifyChainResponse Verify(pqxx::transaction_base& tx, const std::string& district_id);
};

// SealedFields are a row's values by column name, as sealed in its record.
using SealedFields = std::vector<std::pair<std::string, std::string>>;

// SealRecord writes `fields` as "name=length:value\n" lines: the record a
// filing or acknowledgement keeps with its SHA-256, so that verify can name
// the column that changed (sql/planning/V006 seals older rows the same way).
std::string SealRecord(const SealedFields& fields);
// UnsealRecord reads a record back; nullopt if it is malformed.
std::optional<SealedFields> UnsealRecord(absl::string_view record);

// ChainSha256 is the link of one filing: SHA-256 over the previous link,
// the list name, its content hash and its entry count.
std::string ChainSha256(const std::string& previous, const std::string& list,
                        const std::string& content_sha256, int entry_count);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_FILING_REPOSITORY_H_
