// Obligations: what binds each resource at a moment, from the filed list in
// force then, the staggered periods and the alerts in force, the stricter of
// the season and the alert measure (issue: only filed lists bind). Pure.
#ifndef CUOFENG_LIB_RULES_OBLIGATIONS_H_
#define CUOFENG_LIB_RULES_OBLIGATIONS_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// FiledList is a list that bound its district from its acknowledgement until
// an approved amendment superseded it.
struct FiledList {
  std::string name;
  absl::Time in_force_from;
  absl::Time in_force_until = absl::InfiniteFuture();
  // The season the list is for: it binds on these days only (YYYY-MM-DD).
  std::string season_start, season_end;
  // The season's resource name and the rule set the list was made with
  // (ruleSets/{id}@{revision}), for verification's thresholds.
  std::string season, rule_set;
  std::vector<v1::Period> staggered;
  // Entries by enterprise, in resource then effective-date order.
  std::unordered_map<std::string, std::vector<v1::ListEntry>> entries;
};

// AlertRevision is one revision of an alert, in force from `effective`
// until the next revision, its end, or its lifting.
struct AlertRevision {
  std::string name;
  int revision = 0;
  v1::AlertLevel level = v1::ALERT_LEVEL_UNSPECIFIED;
  absl::Time start, effective;
  absl::Time end = absl::InfiniteFuture();
  bool lifted = false;
  std::vector<std::string> districts;  // empty: the whole city
};

// AlertAt returns the highest alert revision in force over `district` at
// `t` (the latest revision of each alert, not lifted, start <= t < end), or
// nullptr.
const AlertRevision* AlertAt(const std::vector<AlertRevision>& alerts, const std::string& district,
                             absl::Time t);

// ObligationsAt is what binds `enterprise` at `t`.
v1::ObligationSet ObligationsAt(const std::vector<FiledList>& lists,
                                const std::vector<AlertRevision>& alerts,
                                const std::string& district, const std::string& enterprise,
                                absl::Time t);

// ObligationWindows lists every restricting obligation of the district in
// [from, to), each window as long as nothing about it changes.
std::vector<v1::Obligation> ObligationWindows(const std::vector<FiledList>& lists,
                                              const std::vector<AlertRevision>& alerts,
                                              const std::string& district, absl::Time from,
                                              absl::Time to);

// ChinaDay is the civil day of `t` in China (UTC+8), as YYYY-MM-DD.
std::string ChinaDay(absl::Time t);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_OBLIGATIONS_H_
