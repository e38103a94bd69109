// AlertImpacts: what an alert, a change of one or its lifting would change
// (issue 19), as the difference of the obligation windows with the alerts
// as they are and as they would be. Other alerts in force, starting or
// ending meanwhile, are in both, so each span shows what actually binds
// then. Pure.
#ifndef CUOFENG_LIB_RULES_ALERT_IMPACT_H_
#define CUOFENG_LIB_RULES_ALERT_IMPACT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/planning.pb.h"
#include "lib/rules/obligations.h"

namespace cuofeng {

// AlertImpacts compares what restricts each facility of `district_id` in
// [from, to) under `before` and under `after` and returns every span where
// the measure differs (action, percent, transport rule, non-road machinery),
// adjacent spans with the same measures merged, ordered by enterprise,
// resource and time; `to` may be InfiniteFuture (an open-ended alert): the
// comparison then ends where the lists' seasons end. A span's `before`/`after` is unset where
// nothing restricts (the facility runs as usual).
std::vector<v1::AlertImpact> AlertImpacts(const std::vector<FiledList>& lists,
                                          const std::vector<AlertRevision>& before,
                                          const std::vector<AlertRevision>& after,
                                          const std::string& district_id, absl::Time from,
                                          absl::Time to);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_ALERT_IMPACT_H_
