// ChangeListener keeps a connection of its own LISTENing on one channel, so
// that what a process keeps in memory follows changes committed by any
// process on the same database. It also offers a fence: Fence returns once
// every notification committed before it was called has been delivered,
// which lets a reader answer from memory and still see a change another
// process committed just before.
//
// After a lost connection (or every `check_interval`) it calls `on_check`,
// which compares versions kept in the database with those in memory, since
// notifications sent while disconnected are lost.
#ifndef CUOFENG_LIB_DB_LISTENER_H_
#define CUOFENG_LIB_DB_LISTENER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cuofeng {

class ChangeListener {
 public:
  // on_notify(payload) and on_check() run on the listener's thread.
  ChangeListener(std::string dsn, std::string channel,
                 std::function<void(const std::string& payload)> on_notify,
                 std::function<void()> on_check, absl::Duration check_interval);
  ~ChangeListener();

  // Fence waits until every notification committed before the call has been
  // passed to on_notify: one round trip on the listening connection, shared
  // by every caller waiting at the same time. UNAVAILABLE while the
  // listener has no connection; DEADLINE_EXCEEDED at `deadline`.
  absl::Status Fence(absl::Time deadline);

  // Connected tells whether the listener is connected now.
  bool Connected();

 private:
  void Loop();
  void Wake();

  const std::string dsn_;
  const std::string channel_;
  std::function<void(const std::string&)> on_notify_;
  std::function<void()> on_check_;
  const absl::Duration check_interval_;
  int wake_[2] = {-1, -1};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t requested_ ABSL_GUARDED_BY(mu_) = 0;  // fence tickets handed out
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;  // tickets whose round trip is done
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;      // connections made so far
  std::thread thread_;
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_LISTENER_H_
