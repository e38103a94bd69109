#include "services/notify/outbox.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cuofeng {
namespace {

std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

}  // namespace

void RecordAlertChange(pqxx::work& tx, const v1::Alert& alert) {
  std::vector<std::string> districts;
  for (const std::string& d : alert.districts()) districts.push_back(IdOf(d));
  const char* kind = alert.lifted()          ? "ALERT_LIFTED"
                     : alert.revision() <= 1 ? "ALERT_ISSUED"
                                             : "ALERT_CHANGED";
  tx.exec_params0(
      "INSERT INTO notify.change (kind, subject, revision, district_ids, document_number, "
      "level, note, effective_time) VALUES ($1, $2, $3, "
      // A city-wide alert touches every district that has a filed list.
      "CASE WHEN cardinality($4::text[]) > 0 THEN $4::text[] ELSE ARRAY(SELECT DISTINCT "
      "district_id FROM planning.list_version WHERE state IN ('FILED', 'SUPERSEDED')) END, "
      "$5, $6, $7, to_timestamp($8))",
      kind, alert.name(), alert.revision(), absl::StrCat("{", absl::StrJoin(districts, ","), "}"),
      alert.document_number(), v1::AlertLevel_Name(alert.level()), alert.note(),
      alert.effective_time().seconds());
}

void RecordListFiled(pqxx::work& tx, const std::string& list, const std::string& replaces,
                     const std::string& reason) {
  // districts/{d}/lists/{n}
  const std::string rest = list.substr(list.find('/') + 1);
  const std::string district = rest.substr(0, rest.find('/'));
  tx.exec_params0(
      "INSERT INTO notify.change (kind, subject, district_ids, replaces, reason, effective_time) "
      "VALUES ('LIST_FILED', $1, ARRAY[$2::text], $3, $4, now())",
      list, district, replaces, reason);
}

}  // namespace cuofeng
