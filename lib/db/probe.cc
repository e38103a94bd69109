#include "lib/db/probe.h"

#include <memory>
#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace cuofeng {

DatabaseProbe::DatabaseProbe(std::string dsn, absl::Duration interval,
                             std::function<void(bool)> on_change)
    : dsn_(std::move(dsn)), interval_(interval), on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { Loop(); });
}

DatabaseProbe::~DatabaseProbe() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void DatabaseProbe::Loop() {
  std::unique_ptr<pqxx::connection> conn;
  std::optional<bool> last;
  while (true) {
    bool reachable = false;
    try {
      if (conn == nullptr || !conn->is_open()) {
        conn = std::make_unique<pqxx::connection>(absl::StrCat(dsn_, " connect_timeout=2"));
      }
      pqxx::nontransaction tx(*conn);
      tx.exec("SELECT 1");
      reachable = true;
    } catch (const std::exception&) {
      conn.reset();
    }
    if (!last.has_value() || *last != reachable) {
      last = reachable;
      on_change_(reachable);
    }
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), interval_)) return;
  }
}

}  // namespace cuofeng
