// PlanningRepository holds the planning schema's SQL: rule-set revisions,
// seasons, list versions and their entries (stored as serialized protos).
#ifndef CUOFENG_SERVICES_PLANNING_REPOSITORY_H_
#define CUOFENG_SERVICES_PLANNING_REPOSITORY_H_

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cuofeng/v1/planning.pb.h"
#include "lib/rules/engine.h"

namespace cuofeng {

class PlanningRepository {
 public:
  // StoreRuleSet stores `rule_set` (parsed, with sha256 set) as the next
  // revision of `id`, or returns the revision that already has that hash.
  static absl::StatusOr<v1::RuleSet> StoreRuleSet(pqxx::work& tx, const std::string& id,
                                                  const std::string& text, v1::RuleSet rule_set,
                                                  const std::string& created_by);
  // GetRuleSet reads one revision, or the latest when `revision` is 0.
  static absl::StatusOr<v1::RuleSet> GetRuleSet(pqxx::transaction_base& tx, const std::string& id,
                                                int revision);
  // ListRuleSets reads the latest revision of each rule set, in id order.
  static std::vector<v1::RuleSet> ListRuleSets(pqxx::transaction_base& tx, const std::string& after,
                                               int limit);

  static absl::Status InsertSeason(pqxx::work& tx, const std::string& district_id,
                                   const std::string& id, const v1::Season& season);
  static absl::StatusOr<v1::Season> GetSeason(pqxx::transaction_base& tx, const std::string& name,
                                              bool for_update = false);
  static absl::Status UpdateSeason(pqxx::work& tx, const v1::Season& season);
  // Seasons reads every season of a district, by name.
  static std::vector<v1::Season> Seasons(pqxx::transaction_base& tx,
                                         const std::string& district_id);

  // NextListSeq returns the next list number of a district, serialised by a
  // transaction-scoped lock.
  static int NextListSeq(pqxx::work& tx, const std::string& district_id);
  // InsertList stores a list version and the generated entries, named
  // {list}/entries/{n} from 1 in order; the entries are made and written one
  // batch at a time (a province's list is not held twice).
  static absl::Status InsertList(pqxx::work& tx, const std::string& district_id, int seq,
                                 const v1::ListVersion& list, const GeneratedList& generated,
                                 const std::string& created_by);
  static absl::StatusOr<v1::ListVersion> GetList(pqxx::transaction_base& tx,
                                                 const std::string& name);
  static std::vector<v1::ListVersion> ListLists(pqxx::transaction_base& tx,
                                                const std::string& district_id, int after_seq,
                                                int limit);
  // Entries reads entries in order after `after_seq`; `enterprise` narrows.
  static std::vector<v1::ListEntry> Entries(pqxx::transaction_base& tx, const std::string& list,
                                            const std::string& enterprise, int after_seq,
                                            int limit);
  static absl::StatusOr<v1::ListEntry> Entry(pqxx::transaction_base& tx, const std::string& list,
                                             int seq);
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_REPOSITORY_H_
