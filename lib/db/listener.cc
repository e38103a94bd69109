#include "lib/db/listener.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <memory>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cuofeng {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel,
           const std::function<void(const std::string&)>& on_notify)
      : pqxx::notification_receiver(conn, channel), on_notify_(on_notify) {}
  void operator()(const std::string& payload, int) override { on_notify_(payload); }

 private:
  const std::function<void(const std::string&)>& on_notify_;
};

}  // namespace

ChangeListener::ChangeListener(std::string dsn, std::string channel,
                               std::function<void(const std::string&)> on_notify,
                               std::function<void()> on_check, absl::Duration check_interval)
    : dsn_(std::move(dsn)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      on_check_(std::move(on_check)),
      check_interval_(check_interval) {
  if (pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { Loop(); });
}

ChangeListener::~ChangeListener() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  if (wake_[0] >= 0) close(wake_[0]);
  if (wake_[1] >= 0) close(wake_[1]);
}

void ChangeListener::Wake() {
  if (wake_[1] >= 0) {
    char c = 1;
    (void)!write(wake_[1], &c, 1);
  }
}

bool ChangeListener::Connected() {
  absl::MutexLock lock(&mu_);
  return connected_;
}

absl::Status ChangeListener::Fence(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (!connected_) {
    return absl::UnavailableError("not listening for changes: the database is unreachable");
  }
  const uint64_t ticket = ++requested_;
  const uint64_t epoch = epoch_;
  Wake();
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return completed_ >= ticket || epoch_ != epoch || !connected_ || stopping_;
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
    return absl::DeadlineExceededError("waiting for the change listener took too long");
  }
  if (completed_ >= ticket && epoch_ == epoch) return absl::OkStatus();
  return absl::UnavailableError("the change listener lost its database connection");
}

void ChangeListener::Loop() {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<Receiver> receiver;
  absl::Time next_check = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    try {
      if (conn == nullptr) {
        conn = std::make_unique<pqxx::connection>(absl::StrCat(dsn_, " connect_timeout=2"));
        receiver = std::make_unique<Receiver>(*conn, channel_, on_notify_);
        conn->get_notifs();  // issues the LISTEN
        {
          absl::MutexLock lock(&mu_);
          connected_ = true;
          ++epoch_;
        }
        next_check = absl::InfinitePast();  // anything may have changed while away
      }
      if (absl::Now() >= next_check) {
        {
          pqxx::nontransaction tx(*conn);  // is the listening connection alive?
          tx.exec("SELECT 1");
        }
        conn->get_notifs();
        on_check_();
        next_check = absl::Now() + check_interval_;
      }
      uint64_t target;
      {
        absl::MutexLock lock(&mu_);
        target = requested_;
      }
      if (target > 0) {
        bool pending;
        {
          absl::MutexLock lock(&mu_);
          pending = target > completed_;
        }
        if (pending) {
          // A round trip: PostgreSQL delivers the notifications committed
          // before the query ahead of its result.
          pqxx::nontransaction tx(*conn);
          tx.exec("SELECT 1");
          tx.commit();
          conn->get_notifs();
          absl::MutexLock lock(&mu_);
          completed_ = target;
          continue;  // more fences may have come meanwhile
        }
      }
      pollfd fds[2] = {{conn->sock(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
      const int timeout_ms = static_cast<int>(
          std::max<int64_t>(1, absl::ToInt64Milliseconds(next_check - absl::Now())));
      poll(fds, wake_[0] >= 0 ? 2 : 1, std::min(timeout_ms, 1000));
      if (fds[1].revents & POLLIN) {
        char buf[64];
        while (read(wake_[0], buf, sizeof buf) > 0) {
        }
      }
      conn->get_notifs();
      if (!conn->is_open()) throw pqxx::broken_connection("listener connection closed");
    } catch (const std::exception&) {
      receiver.reset();
      conn.reset();
      {
        absl::MutexLock lock(&mu_);
        connected_ = false;
        if (stopping_) return;
        auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(500));
      }
    }
  }
}

}  // namespace cuofeng
