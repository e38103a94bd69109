// NotificationWorker: the server process's thread that empties the outbox.
// It turns each recorded change (notify.change) into one notification per
// enterprise whose obligations the change alters, with one delivery per
// channel of the enterprise's contact settings, and sends the deliveries
// that are due: e-mail over SMTP, webhooks over HTTP with an HMAC-SHA256
// signature, retried with exponential backoff and dead-lettered after the
// last attempt.
//
// Several processes on one database share the work without sending anything
// twice in normal operation: rows are claimed with SELECT … FOR UPDATE SKIP
// LOCKED and a lease (a token and an expiry); the outcome is written only
// while the lease holds; no pooled connection is held while a message is on
// the network, and every send has a deadline shorter than the lease. A
// process that dies after writing the outbox leaves its rows to the next
// claim once the lease expires. Delivery is at-least-once only in one case:
// a process killed after the receiver accepted a message and before the
// outcome was written; the message then goes again with the same Message-ID
// and X-Cuofeng-Delivery, so the receiver can tell it is the same one.
#ifndef CUOFENG_SERVICES_NOTIFY_WORKER_H_
#define CUOFENG_SERVICES_NOTIFY_WORKER_H_

#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "lib/db/pool.h"
#include "services/planning/obligation_cache.h"

namespace cuofeng {

struct NotifyOptions {
  std::string smtp_server;                          // host:port; empty: e-mail cannot be sent
  std::string mail_from = "cuofeng@localhost";      // the envelope and From: sender
  bool deliver = true;                              // false: write the outbox, send nothing
  absl::Duration poll = absl::Seconds(1);           // how often the outbox is looked at
  absl::Duration retry_base = absl::Seconds(30);    // the first retry; doubled each time
  int max_attempts = 8;                             // then DELIVERY_DEAD
  absl::Duration send_timeout = absl::Seconds(10);  // one message, connect to last reply
};

class NotificationWorker {
 public:
  // `secret_key` opens the sealed webhook secrets (core.server_secret).
  NotificationWorker(ConnectionPool* pool, ObligationCache* cache, std::string secret_key,
                     NotifyOptions options);
  ~NotificationWorker();  // stops the thread

  void Start();
  void Stop();

  // FanOut turns every pending change into notifications; Deliver sends
  // every due delivery. Both return when nothing is left (the thread calls
  // them in turn every `poll`).
  absl::Status FanOut();
  absl::Status Deliver();

 private:
  // FanOutOne claims and processes one change; false when none is pending.
  absl::StatusOr<bool> FanOutOne();
  // DeliverBatch claims and sends up to a few due deliveries; false when
  // none was due.
  absl::StatusOr<bool> DeliverBatch();

  ConnectionPool* pool_;
  ObligationCache* cache_;
  std::string secret_key_;
  NotifyOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_NOTIFY_WORKER_H_
