#include "services/planning/obligation_cache.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace cuofeng {

namespace {

constexpr char kChannel[] = "cuofeng_obligations";
constexpr char kAlertsRow[] = "*alerts";

int64_t StoredVersion(pqxx::work& tx, const std::string& key) {
  pqxx::result r =
      tx.exec_params("SELECT version FROM planning.obligation_change WHERE district_id = $1", key);
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

}  // namespace

ObligationCache::ObligationCache(ConnectionPool* pool, std::string listen_dsn,
                                 absl::Duration check_interval)
    : pool_(pool) {
  if (!listen_dsn.empty()) {
    listener_ = std::make_unique<ChangeListener>(
        std::move(listen_dsn), kChannel, [this](const std::string& p) { OnNotify(p); },
        [this] { CheckVersions(); }, check_interval);
  }
}

ObligationCache::~ObligationCache() { listener_.reset(); }

void ObligationCache::RecordChange(pqxx::work& tx, Change kind,
                                   const std::vector<std::string>& district_ids) {
  auto bump = [&](const std::string& key) {
    tx.exec_params0(
        "INSERT INTO planning.obligation_change (district_id, version) VALUES ($1, 1) "
        "ON CONFLICT (district_id) DO UPDATE SET version = planning.obligation_change.version + 1, "
        "changed_at = now()",
        key);
  };
  if (kind == Change::kLists) {
    for (const std::string& d : district_ids) {
      bump(d);
      tx.exec_params("SELECT pg_notify($1, $2)", kChannel, absl::StrCat("lists:", d));
    }
  } else {
    bump(kAlertsRow);
    tx.exec_params("SELECT pg_notify($1, $2)", kChannel,
                   absl::StrCat("alerts:", absl::StrJoin(district_ids, ",")));
  }
}

absl::StatusOr<ObligationCache::Lists> ObligationCache::LoadLists(const std::string& district_id) {
  auto lists = std::make_shared<std::vector<FiledList>>();
  int64_t db_version = 0;
  absl::Status status = InTransaction(
      *pool_,
      [&](pqxx::work& tx) {
        db_version = StoredVersion(tx, district_id);
        // A list binds from its acknowledgement until the acknowledgement of
        // the amendment that superseded it.
        pqxx::result r = tx.exec_params(
            "SELECT v.name, v.summary, (extract(epoch from a.acknowledge_time) * 1000000)::bigint, "
            "(SELECT (extract(epoch from a2.acknowledge_time) * 1000000)::bigint FROM "
            "planning.list_version v2 "
            " JOIN planning.acknowledgement a2 ON a2.list = v2.name WHERE v2.amends = v.name) "
            ", s.body, v.season, v.rule_set_id || '@' || v.rule_set_revision "
            "FROM planning.list_version v JOIN planning.acknowledgement a ON a.list = v.name "
            "JOIN planning.season s ON s.name = v.season "
            "WHERE v.district_id = $1 AND v.state IN ('FILED', 'SUPERSEDED') ORDER BY "
            "a.acknowledge_time",
            district_id);
        for (const auto& row : r) {
          FiledList l;
          l.name = row[0].as<std::string>();
          v1::ListVersion summary;
          summary.ParseFromString(pqxx::binarystring(row[1]).str());
          l.staggered.assign(summary.staggered_periods().begin(),
                             summary.staggered_periods().end());
          // Microseconds: a list binds from the instant of its acknowledgement.
          l.in_force_from = absl::FromUnixMicros(row[2].as<int64_t>());
          if (!row[3].is_null()) l.in_force_until = absl::FromUnixMicros(row[3].as<int64_t>());
          v1::Season season;
          season.ParseFromString(pqxx::binarystring(row[4]).str());
          l.season_start = season.start();
          l.season_end = season.end();
          l.season = row[5].as<std::string>();
          l.rule_set = "ruleSets/" + row[6].as<std::string>();
          for (const auto& e : tx.exec_params(
                   "SELECT body FROM planning.list_entry WHERE list = $1 ORDER BY seq", l.name)) {
            v1::ListEntry entry;
            entry.ParseFromString(pqxx::binarystring(e[0]).str());
            l.entries[entry.enterprise()].push_back(std::move(entry));
          }
          lists->push_back(std::move(l));
        }
        return absl::OkStatus();
      },
      Isolation::kRepeatableReadReadOnly);
  if (!status.ok()) return status;
  return Lists{std::shared_ptr<const std::vector<FiledList>>(std::move(lists)), db_version};
}

absl::StatusOr<std::vector<AlertRevision>> ObligationCache::LoadAlerts() {
  int64_t ignored;
  return LoadAlertsVersioned(&ignored);
}

absl::StatusOr<std::vector<AlertRevision>> ObligationCache::LoadAlertsVersioned(
    int64_t* db_version) {
  std::vector<AlertRevision> out;
  absl::Status status = InTransaction(
      *pool_,
      [&](pqxx::work& tx) {
        *db_version = StoredVersion(tx, kAlertsRow);
        for (const auto& row : tx.exec("SELECT id, revision, level, array_to_string(districts, "
                                       "','), extract(epoch from start_time)::bigint, "
                                       "extract(epoch from end_time)::bigint, lifted, "
                                       "extract(epoch from effective_time)::bigint "
                                       "FROM planning.alert_revision ORDER BY id, revision")) {
          AlertRevision a;
          a.name = absl::StrCat("alerts/", row[0].as<std::string>());
          a.revision = row[1].as<int>();
          v1::AlertLevel_Parse(row[2].as<std::string>(), &a.level);
          // Stored as districts/{d}; the obligation path speaks district ids.
          for (absl::string_view d :
               absl::StrSplit(row[3].as<std::string>(), ',', absl::SkipEmpty())) {
            a.districts.emplace_back(d.substr(d.rfind('/') + 1));
          }
          a.start = absl::FromUnixSeconds(row[4].as<int64_t>());
          if (!row[5].is_null()) a.end = absl::FromUnixSeconds(row[5].as<int64_t>());
          a.lifted = row[6].as<bool>();
          a.effective = absl::FromUnixSeconds(row[7].as<int64_t>());
          out.push_back(std::move(a));
        }
        return absl::OkStatus();
      },
      Isolation::kRepeatableReadReadOnly);
  if (!status.ok()) return status;
  return out;
}

absl::Status ObligationCache::Sync() {
  if (listener_ == nullptr) return absl::OkStatus();
  return listener_->Fence(std::min(CallDeadline::Current(), absl::Now() + absl::Seconds(2)));
}

absl::StatusOr<ObligationCache::View> ObligationCache::Get(const std::string& district_id,
                                                           bool synced) {
  if (!synced) {
    if (!Sync().ok()) {
      // Not hearing of changes: memory may be stale, so read the database.
      auto lists = LoadLists(district_id);
      if (!lists.ok()) return lists.status();
      int64_t ignored;
      auto alerts = LoadAlertsVersioned(&ignored);
      if (!alerts.ok()) return alerts.status();
      return View{lists->lists,
                  std::make_shared<const std::vector<AlertRevision>>(std::move(*alerts))};
    }
  }
  auto lists = ListsOf(district_id);
  if (!lists.ok()) return lists.status();
  auto alerts = Alerts();
  if (!alerts.ok()) return alerts.status();
  return View{*lists, *alerts};
}

absl::StatusOr<std::shared_ptr<const std::vector<FiledList>>> ObligationCache::ListsOf(
    const std::string& district_id) {
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    while (true) {
      auto it = lists_.find(district_id);
      if (it != lists_.end()) return it->second.lists;
      if (loading_.count(district_id) == 0) break;
      // One load per district: wait for the one under way, then look again.
      auto loaded = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return loading_.count(district_id) == 0;
      };
      const absl::Time deadline =
          std::min(CallDeadline::Current(), absl::Now() + absl::Seconds(30));
      if (!mu_.AwaitWithDeadline(absl::Condition(&loaded), deadline)) {
        return absl::DeadlineExceededError(
            absl::StrCat("载入区县 ", district_id, " 的已备案清单超时"));
      }
    }
    loading_.insert(district_id);
    generation = generation_[district_id];
  }
  auto loaded = LoadLists(district_id);
  absl::MutexLock lock(&mu_);
  loading_.erase(district_id);
  if (!loaded.ok()) return loaded.status();
  // A change heard during the load may not be in what was read: keep it
  // only if none was.
  if (generation_[district_id] == generation) {
    lists_[district_id] = Lists{loaded->lists, loaded->db_version};
  }
  return loaded->lists;
}

absl::StatusOr<std::shared_ptr<const std::vector<AlertRevision>>> ObligationCache::Alerts() {
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    while (true) {
      if (alerts_ != nullptr) return alerts_;
      if (!alerts_loading_) break;
      auto loaded = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !alerts_loading_; };
      const absl::Time deadline =
          std::min(CallDeadline::Current(), absl::Now() + absl::Seconds(30));
      if (!mu_.AwaitWithDeadline(absl::Condition(&loaded), deadline)) {
        return absl::DeadlineExceededError("载入预警超时");
      }
    }
    alerts_loading_ = true;
    generation = alerts_generation_;
  }
  int64_t db_version = 0;
  auto loaded = LoadAlertsVersioned(&db_version);
  absl::MutexLock lock(&mu_);
  alerts_loading_ = false;
  if (!loaded.ok()) return loaded.status();
  auto alerts = std::make_shared<const std::vector<AlertRevision>>(std::move(*loaded));
  if (alerts_generation_ == generation) {
    alerts_ = alerts;
    alerts_db_version_ = db_version;
  }
  return alerts;
}

void ObligationCache::InvalidateLists(const std::string& district_id) {
  absl::MutexLock lock(&mu_);
  ++version_;  // before the entry goes: a memo of the old version is never served
  ++generation_[district_id];
  lists_.erase(district_id);
}

void ObligationCache::InvalidateAlerts() {
  absl::MutexLock lock(&mu_);
  ++version_;
  ++alerts_generation_;
  alerts_ = nullptr;
}

void ObligationCache::FilingChanged(const std::string& district_id) {
  InvalidateLists(district_id);
  Notify({district_id});
}

void ObligationCache::AlertsChanged(const std::vector<std::string>& district_ids) {
  InvalidateAlerts();
  Notify(district_ids);
}

void ObligationCache::OnNotify(const std::string& payload) {
  absl::string_view rest = payload;
  if (absl::ConsumePrefix(&rest, "lists:")) {
    FilingChanged(std::string(rest));
  } else if (absl::ConsumePrefix(&rest, "alerts:")) {
    AlertsChanged(absl::StrSplit(rest, ',', absl::SkipEmpty()));
  }
}

void ObligationCache::CheckVersions() {
  CallDeadline deadline(absl::Now() + absl::Seconds(2));
  std::map<std::string, int64_t> stored;
  absl::Status status = InTransaction(
      *pool_,
      [&](pqxx::work& tx) {
        for (const auto& row :
             tx.exec("SELECT district_id, version FROM planning.obligation_change")) {
          stored[row[0].as<std::string>()] = row[1].as<int64_t>();
        }
        return absl::OkStatus();
      },
      Isolation::kReadOnly);
  if (!status.ok()) return;
  auto stored_version = [&](const std::string& key) {
    auto it = stored.find(key);
    return it == stored.end() ? int64_t{0} : it->second;
  };
  std::vector<std::string> stale_districts;
  bool stale_alerts = false;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [district, lists] : lists_) {
      if (stored_version(district) > lists.db_version) stale_districts.push_back(district);
    }
    stale_alerts = alerts_ != nullptr && stored_version(kAlertsRow) > alerts_db_version_;
  }
  for (const std::string& d : stale_districts) FilingChanged(d);
  if (stale_alerts) AlertsChanged({});
}

int ObligationCache::AddWatcher(Watcher w) {
  absl::MutexLock lock(&watchers_mu_);
  watchers_[next_watcher_] = std::move(w);
  return next_watcher_++;
}

void ObligationCache::RemoveWatcher(int id) {
  absl::MutexLock lock(&watchers_mu_);
  watchers_.erase(id);
}

void ObligationCache::Notify(const std::vector<std::string>& district_ids) {
  std::vector<Watcher> watchers;
  {
    absl::MutexLock lock(&watchers_mu_);
    for (const auto& [id, w] : watchers_) watchers.push_back(w);
  }
  std::vector<std::string> targets = district_ids;
  if (targets.empty()) targets.push_back("");  // every district
  for (const Watcher& w : watchers) {
    for (const std::string& d : targets) w(d);
  }
}

}  // namespace cuofeng
