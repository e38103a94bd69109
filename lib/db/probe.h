// DatabaseProbe asks the database "are you there" every `interval` on a
// connection of its own (not a pooled one: a busy pool is not an outage)
// and tells `on_change` when the answer changes. Health follows it.
#ifndef CUOFENG_LIB_DB_PROBE_H_
#define CUOFENG_LIB_DB_PROBE_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cuofeng {

class DatabaseProbe {
 public:
  // on_change(reachable) runs on the probe's thread, first after the first
  // probe, then on every change.
  DatabaseProbe(std::string dsn, absl::Duration interval, std::function<void(bool)> on_change);
  ~DatabaseProbe();

 private:
  void Loop();

  const std::string dsn_;
  const absl::Duration interval_;
  std::function<void(bool)> on_change_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_PROBE_H_
