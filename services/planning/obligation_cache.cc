#include "services/planning/obligation_cache.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cuofeng {

absl::StatusOr<std::shared_ptr<const std::vector<FiledList>>> ObligationCache::LoadLists(
    const std::string& district_id) {
  auto lists = std::make_shared<std::vector<FiledList>>();
  absl::Status status = InTransaction(
      *pool_,
      [&](pqxx::work& tx) {
        // A list binds from its acknowledgement until the acknowledgement of
        // the amendment that superseded it.
        pqxx::result r = tx.exec_params(
            "SELECT v.name, v.summary, (extract(epoch from a.acknowledge_time) * 1000000)::bigint, "
            "(SELECT (extract(epoch from a2.acknowledge_time) * 1000000)::bigint FROM planning.list_version v2 "
            " JOIN planning.acknowledgement a2 ON a2.list = v2.name WHERE v2.amends = v.name) "
            ", s.body, v.season, v.rule_set_id || '@' || v.rule_set_revision "
            "FROM planning.list_version v JOIN planning.acknowledgement a ON a.list = v.name "
            "JOIN planning.season s ON s.name = v.season "
            "WHERE v.district_id = $1 AND v.state IN ('FILED', 'SUPERSEDED') ORDER BY a.acknowledge_time",
            district_id);
        for (const auto& row : r) {
          FiledList l;
          l.name = row[0].as<std::string>();
          v1::ListVersion summary;
          summary.ParseFromString(pqxx::binarystring(row[1]).str());
          l.staggered.assign(summary.staggered_periods().begin(), summary.staggered_periods().end());
          // Microseconds: a list binds from the instant of its acknowledgement.
          l.in_force_from = absl::FromUnixMicros(row[2].as<int64_t>());
          if (!row[3].is_null()) l.in_force_until = absl::FromUnixMicros(row[3].as<int64_t>());
          v1::Season season;
          season.ParseFromString(pqxx::binarystring(row[4]).str());
          l.season_start = season.start();
          l.season_end = season.end();
          l.season = row[5].as<std::string>();
          l.rule_set = "ruleSets/" + row[6].as<std::string>();
          for (const auto& e : tx.exec_params("SELECT body FROM planning.list_entry WHERE list = $1 ORDER BY seq",
                                              l.name)) {
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
  return std::shared_ptr<const std::vector<FiledList>>(std::move(lists));
}

absl::StatusOr<std::vector<AlertRevision>> ObligationCache::LoadAlerts() {
  std::vector<AlertRevision> out;
  absl::Status status = InTransaction(*pool_, [&](pqxx::work& tx) {
    for (const auto& row : tx.exec(
             "SELECT id, revision, level, array_to_string(districts, ','), extract(epoch from start_time)::bigint, "
             "extract(epoch from end_time)::bigint, lifted, extract(epoch from effective_time)::bigint "
             "FROM planning.alert_revision ORDER BY id, revision")) {
      AlertRevision a;
      a.name = absl::StrCat("alerts/", row[0].as<std::string>());
      a.revision = row[1].as<int>();
      v1::AlertLevel_Parse(row[2].as<std::string>(), &a.level);
      // Stored as districts/{d}; the obligation path speaks district ids.
      for (absl::string_view d : absl::StrSplit(row[3].as<std::string>(), ',', absl::SkipEmpty())) {
        a.districts.emplace_back(d.substr(d.rfind('/') + 1));
      }
      a.start = absl::FromUnixSeconds(row[4].as<int64_t>());
      if (!row[5].is_null()) a.end = absl::FromUnixSeconds(row[5].as<int64_t>());
      a.lifted = row[6].as<bool>();
      a.effective = absl::FromUnixSeconds(row[7].as<int64_t>());
      out.push_back(std::move(a));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<ObligationCache::View> ObligationCache::Get(const std::string& district_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = lists_.find(district_id);
    if (it != lists_.end() && alerts_ != nullptr) return View{it->second, alerts_};
  }
  auto lists = LoadLists(district_id);
  if (!lists.ok()) return lists.status();
  std::shared_ptr<const std::vector<AlertRevision>> alerts;
  {
    absl::MutexLock lock(&mu_);
    alerts = alerts_;
  }
  if (alerts == nullptr) {
    auto loaded = LoadAlerts();
    if (!loaded.ok()) return loaded.status();
    alerts = std::make_shared<const std::vector<AlertRevision>>(std::move(*loaded));
  }
  absl::MutexLock lock(&mu_);
  lists_[district_id] = *lists;
  if (alerts_ == nullptr) alerts_ = alerts;
  return View{*lists, alerts_};
}

void ObligationCache::FilingChanged(const std::string& district_id) {
  auto lists = LoadLists(district_id);
  {
    absl::MutexLock lock(&mu_);
    if (lists.ok()) {
      lists_[district_id] = *lists;
    } else {
      lists_.erase(district_id);  // reload on next use
    }
  }
  Notify({district_id});
}

void ObligationCache::AlertsChanged(const std::vector<std::string>& district_ids) {
  auto alerts = LoadAlerts();
  {
    absl::MutexLock lock(&mu_);
    if (alerts.ok()) {
      alerts_ = std::make_shared<const std::vector<AlertRevision>>(std::move(*alerts));
    } else {
      alerts_ = nullptr;
    }
  }
  Notify(district_ids);
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
  ++version_;
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
