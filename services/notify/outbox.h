// The notification outbox's entry point for the services that change what
// binds: each change is recorded in the writer's own transaction, so a change
// that commits is never lost for notification and one that rolls back never
// notifies. The notification worker (worker.h) turns each recorded change
// into one notification per enterprise whose obligations it changes.
#ifndef CUOFENG_SERVICES_NOTIFY_OUTBOX_H_
#define CUOFENG_SERVICES_NOTIFY_OUTBOX_H_

#include <pqxx/pqxx>
#include <string>

#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// RecordAlertChange records a stored alert revision (issued when revision 1,
// lifted when `alert.lifted()`, otherwise changed) inside `tx`.
void RecordAlertChange(pqxx::work& tx, const v1::Alert& alert);

// RecordListFiled records that `list` (districts/{d}/lists/{n}) was filed
// (acknowledged by the city) inside `tx`; `replaces` is the list it
// supersedes ("" for a first filing) and `reason` the amendment's reason.
void RecordListFiled(pqxx::work& tx, const std::string& list, const std::string& replaces,
                     const std::string& reason);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_NOTIFY_OUTBOX_H_
