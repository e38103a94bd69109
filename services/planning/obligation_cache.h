// ObligationCache keeps, in memory, what the obligation path reads: every
// district's filed lists (they never change) and every alert revision. It
// loads a district once and learns of every filing or alert change made by
// any process on the database: the writer records the change in the same
// transaction (RecordChange: a version row and a NOTIFY), and each process's
// listener drops what the change touches. Get first waits for the listener
// to have heard every change committed before it (one shared round trip),
// so an answer from memory is never older than the caller's own view of the
// database. A load that raced a change is returned but not kept (generation
// numbers per district), and one load per district runs at a time.
// Watchers are told the districts a change touches.
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
#include "absl/time/time.h"
#include "lib/db/listener.h"
#include "lib/db/pool.h"
#include "lib/rules/obligations.h"

namespace cuofeng {

class ObligationCache {
 public:
  // With `listen_dsn` non-empty the cache follows changes made by other
  // processes (LISTEN/NOTIFY, versions checked every `check_interval`).
  ObligationCache(ConnectionPool* pool, std::string listen_dsn = "",
                  absl::Duration check_interval = absl::Seconds(5));
  ~ObligationCache();

  // The filed lists of a district (loaded on first use) and all alerts.
  struct View {
    std::shared_ptr<const std::vector<FiledList>> lists;
    std::shared_ptr<const std::vector<AlertRevision>> alerts;
  };
  // Get syncs first (see Sync) unless the caller just did (`synced`).
  absl::StatusOr<View> Get(const std::string& district_id, bool synced = false);

  // Sync returns once this process has heard of every change committed
  // before the call, by any process. Not OK while the listener is cut off
  // from the database: Get then reads the database instead of memory.
  absl::Status Sync();

  // RecordChange, inside the writer's transaction, bumps the version of
  // what the change touches and announces it to every process at commit.
  // `kind` is kLists (a district's filed lists) or kAlerts.
  enum class Change { kLists, kAlerts };
  static void RecordChange(pqxx::work& tx, Change kind,
                           const std::vector<std::string>& district_ids);

  // FilingChanged and AlertsChanged tell this process at once, after its own
  // commit (the NOTIFY follows for the others).
  void FilingChanged(const std::string& district_id);
  void AlertsChanged(const std::vector<std::string>& district_ids);

  // A watcher is called with the district id on every change touching it
  // ("" for every district). It must not block.
  using Watcher = std::function<void(const std::string& district_id)>;
  int AddWatcher(Watcher w);
  void RemoveWatcher(int id);

  // Version counts the changes seen so far; a set computed at one version
  // holds until the version moves (or its window ends).
  uint64_t version() const { return version_.load(); }

  // The alerts as stored, for AlertService reads.
  absl::StatusOr<std::vector<AlertRevision>> LoadAlerts();

 private:
  struct Lists {
    std::shared_ptr<const std::vector<FiledList>> lists;
    int64_t db_version = 0;
  };
  absl::StatusOr<Lists> LoadLists(const std::string& district_id);
  absl::StatusOr<std::vector<AlertRevision>> LoadAlertsVersioned(int64_t* db_version);
  absl::StatusOr<std::shared_ptr<const std::vector<FiledList>>> ListsOf(
      const std::string& district_id);
  absl::StatusOr<std::shared_ptr<const std::vector<AlertRevision>>> Alerts();
  void InvalidateLists(const std::string& district_id);
  void InvalidateAlerts();
  void OnNotify(const std::string& payload);
  void CheckVersions();
  void Notify(const std::vector<std::string>& district_ids);

  ConnectionPool* pool_;
  std::atomic<uint64_t> version_{0};
  absl::Mutex mu_;
  std::map<std::string, Lists> lists_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> generation_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> loading_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<AlertRevision>> alerts_ ABSL_GUARDED_BY(mu_);
  int64_t alerts_db_version_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t alerts_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool alerts_loading_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex watchers_mu_;
  std::map<int, Watcher> watchers_ ABSL_GUARDED_BY(watchers_mu_);
  int next_watcher_ ABSL_GUARDED_BY(watchers_mu_) = 0;
  std::unique_ptr<ChangeListener> listener_;  // last: stopped first
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_OBLIGATION_CACHE_H_
