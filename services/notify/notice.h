// Notices: what a recorded change (an alert revision, a filed list) changes
// for each enterprise, as the notification it is told, in Chinese. Pure: the
// filed lists and alert revisions come in, the notifications go out (no
// database, no gRPC), so the wording and the diff are testable alone.
#ifndef CUOFENG_SERVICES_NOTIFY_NOTICE_H_
#define CUOFENG_SERVICES_NOTIFY_NOTICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/notify.pb.h"
#include "lib/rules/obligations.h"

namespace cuofeng {

// RecordedChange is a row of notify.change.
struct RecordedChange {
  int64_t id = 0;
  std::string kind;     // ALERT_ISSUED, ALERT_CHANGED, ALERT_LIFTED, LIST_FILED
  std::string subject;  // alerts/{id} or districts/{d}/lists/{n}
  int revision = 0;     // the alert revision
  std::vector<std::string> district_ids;
  std::string document_number, level, note, replaces, reason;
  absl::Time effective;
};

// ComposeNotices returns one notification per enterprise of `district_id`
// whose obligations `change` changes: it compares what binds with the
// change and without it (the alert revision removed, or the list not yet
// filed and the list it replaced still in force) at the moments the change
// touches (its effective time, the alert's start and its old and new ends),
// and lists every line and piece of equipment whose measure differs. Later
// revisions of the same alert are left out, so a change is described as it
// was made. Enterprises whose obligations do not change get nothing.
std::vector<v1::Notification> ComposeNotices(const RecordedChange& change,
                                             const std::string& district_id,
                                             const std::vector<FiledList>& lists,
                                             const std::vector<AlertRevision>& alerts);

// ChinaTime formats `t` as "YYYY-MM-DD HH:MM" in China time.
std::string ChinaTime(absl::Time t);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_NOTIFY_NOTICE_H_
