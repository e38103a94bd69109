#include "lib/db/replica.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace cuofeng {

uint64_t ParseLsn(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2) return 0;
  uint64_t high = 0, low = 0;
  if (!absl::SimpleHexAtoi(parts[0], &high) || !absl::SimpleHexAtoi(parts[1], &low)) return 0;
  return (high << 32) | (low & 0xffffffffULL);
}

ReadRouter::ReadRouter(ConnectionPool* primary, ConnectionPool* replica)
    : primary_(primary), replica_(replica) {
  if (replica_ != nullptr) poller_ = std::thread([this] { Poll(); });
}

ReadRouter::~ReadRouter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
}

ConnectionPool& ReadRouter::ForRead(const std::string& principal) {
  if (replica_ == nullptr) return *primary_;
  absl::MutexLock lock(&mu_);
  if (!replica_up_) return *primary_;
  auto it = last_write_.find(principal);
  if (it != last_write_.end() && it->second > replayed_) return *primary_;
  return *replica_;
}

void ReadRouter::RecordWrite(const std::string& principal) {
  if (replica_ == nullptr) return;
  uint64_t lsn = 0;
  absl::Status status = InTransaction(*primary_, [&](pqxx::work& tx) {
    lsn = ParseLsn(tx.exec1("SELECT pg_current_wal_lsn()::text")[0].as<std::string>());
    return absl::OkStatus();
  });
  absl::MutexLock lock(&mu_);
  // Unknown position: read the primary until the replica is surely past it.
  if (!status.ok() || lsn == 0) lsn = UINT64_MAX;
  uint64_t& last = last_write_[principal];
  last = std::max(last, lsn);
}

void ReadRouter::Poll() {
  while (true) {
    uint64_t replayed = 0;
    bool up = false;
    {
      CallDeadline deadline(absl::Now() + absl::Seconds(1));
      absl::Status status = InTransaction(
          *replica_,
          [&](pqxx::work& tx) {
            pqxx::result r = tx.exec("SELECT pg_last_wal_replay_lsn()::text");
            if (!r.empty() && !r[0][0].is_null()) replayed = ParseLsn(r[0][0].as<std::string>());
            return absl::OkStatus();
          },
          Isolation::kReadOnly);
      up = status.ok() && replayed > 0;
    }
    absl::MutexLock lock(&mu_);
    replica_up_ = up;
    if (up) {
      replayed_ = std::max(replayed_, replayed);
      // A write the replica has replayed needs no more tracking.
      for (auto it = last_write_.begin(); it != last_write_.end();) {
        it = it->second <= replayed_ ? last_write_.erase(it) : std::next(it);
      }
    }
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(50))) return;
  }
}

}  // namespace cuofeng
