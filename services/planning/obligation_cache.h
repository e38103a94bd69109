// ObligationCache keeps, in memory, what the obligation path reads: every
// district's filed lists (they never change) and every alert revision. It
// loads a district once and is told when a filing or an alert changes, so
// GetObligations needs no database per call. Watchers of an enterprise are
// notified, once per change, when a change touches its district.
#ifndef CUOFENG_SERVICES_PLANNING_OBLIGATION_CACHE_H_
#define CUOFENG_SERVICES_PLANNING_OBLIGATION_CACHE_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lib/db/pool.h"
#include "lib/rules/obligations.h"

namespace cuofeng {

class ObligationCache {
 public:
  explicit ObligationCache(ConnectionPool* pool) : pool_(pool) {}

  // The filed lists of a district (loaded on first use) and all alerts.
  struct View {
    std::shared_ptr<const std::vector<FiledList>> lists;
    std::shared_ptr<const std::vector<AlertRevision>> alerts;
  };
  absl::StatusOr<View> Get(const std::string& district_id);

  // FilingChanged reloads a district's lists; AlertsChanged reloads the
  // alerts. Both then call the watchers of the districts touched
  // (`districts` empty: every district).
  void FilingChanged(const std::string& district_id);
  void AlertsChanged(const std::vector<std::string>& district_ids);

  // A watcher is called with the district id on every change touching it.
  using Watcher = std::function<void(const std::string& district_id)>;
  int AddWatcher(Watcher w);
  void RemoveWatcher(int id);

  // Version counts the changes so far; a set computed at one version holds
  // until the version moves (or its window ends).
  uint64_t version() const { return version_.load(); }

  // The alerts as stored, for AlertService reads.
  absl::StatusOr<std::vector<AlertRevision>> LoadAlerts();

 private:
  absl::StatusOr<std::shared_ptr<const std::vector<FiledList>>> LoadLists(const std::string& district_id);
  void Notify(const std::vector<std::string>& district_ids);

  ConnectionPool* pool_;
  std::atomic<uint64_t> version_{0};
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const std::vector<FiledList>>> lists_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<AlertRevision>> alerts_ ABSL_GUARDED_BY(mu_);
  absl::Mutex watchers_mu_;
  std::map<int, Watcher> watchers_ ABSL_GUARDED_BY(watchers_mu_);
  int next_watcher_ ABSL_GUARDED_BY(watchers_mu_) = 0;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_OBLIGATION_CACHE_H_
