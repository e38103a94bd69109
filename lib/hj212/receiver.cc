#include "lib/hj212/receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {
namespace hj212 {

struct Receiver::Connection {
  int fd = -1;
  uint64_t id = 0;
  std::string peer;
  FrameReader reader;
  std::string out;  // bytes waiting to be written
  absl::Time last_activity;
  bool watching_out = false;
};

namespace {

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return absl::StrCat(host, ":", port);
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
  port = ntohs(a->sin6_port);
  return absl::StrCat("[", host, "]:", port);
}

}  // namespace

Receiver::Receiver(Options options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

absl::StatusOr<std::unique_ptr<Receiver>> Receiver::Start(Options options, Handler handler) {
  std::string host = options.listen, port_text;
  const size_t colon = host.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hj212_listen=", options.listen, ": expected host:port"));
  }
  port_text = host.substr(colon + 1);
  host = host.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port_number = 0;
  if (!absl::SimpleAtoi(port_text, &port_number) || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hj212_listen=", options.listen, ": the port is not 0–65535"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hj212_listen=", options.listen, ": cannot resolve the host"));
  }
  std::unique_ptr<Receiver> r(new Receiver(std::move(options), std::move(handler)));
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool bound =
      fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, 1024) == 0;
  freeaddrinfo(found);
  if (!bound) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HJ 212 on ", r->options_.listen, ": ", why));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  r->port_ = addr.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                                       : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  r->listen_fd_ = fd;
  r->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  r->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // the listener
  epoll_ctl(r->epoll_fd_, EPOLL_CTL_ADD, r->listen_fd_, &ev);
  ev.data.u64 = UINT64_MAX;  // the wake-up
  epoll_ctl(r->epoll_fd_, EPOLL_CTL_ADD, r->wake_fd_, &ev);
  Receiver* self = r.get();
  r->io_thread_ = std::thread([self] { self->IoLoop(); });
  r->handler_thread_ = std::thread([self] { self->HandlerLoop(); });
  return r;
}

Receiver::~Receiver() {
  Stop();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Receiver::Stop() {
  if (stopping_.exchange(true)) {
    if (io_thread_.joinable()) io_thread_.join();
    if (handler_thread_.joinable()) handler_thread_.join();
    return;
  }
  Wake();
  if (io_thread_.joinable()) io_thread_.join();
  if (handler_thread_.joinable()) handler_thread_.join();
}

void Receiver::Wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

void Receiver::Send(uint64_t connection, std::string bytes) {
  {
    absl::MutexLock lock(&mu_);
    outbox_[connection] += bytes;
  }
  Wake();
}

Receiver::Counts Receiver::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

void Receiver::Accept() {
  while (true) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of descriptors: try again on the next event
    if (connections_.size() >= options_.max_connections) {
      close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->id = next_id_++;
    c->peer = PeerName(addr);
    c->last_activity = absl::Now();
    epoll_event ev{};
    ev.events = reading_paused_ ? 0u : static_cast<uint32_t>(EPOLLIN);
    ev.data.u64 = c->id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    connections_[c->id] = std::move(c);
    absl::MutexLock lock(&mu_);
    ++counts_.connections_accepted;
    ++counts_.connections_open;
  }
}

void Receiver::Read(Connection& c) {
  char buf[65536];
  bool closed = false;
  size_t total = 0;
  // Bounded per event so one busy device cannot starve the others.
  for (int i = 0; i < 4; ++i) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.reader.Feed(absl::string_view(buf, static_cast<size_t>(n)));
      total += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed = true;
    break;
  }
  const absl::Time now = absl::Now();
  if (total > 0) c.last_activity = now;
  std::vector<Received> got;
  while (auto item = c.reader.Next()) {
    Received r;
    r.connection = c.id;
    r.peer = c.peer;
    r.at = now;
    r.offset = item->offset;
    if (!item->ok) {
      r.reason = std::move(item->reason);
    } else {
      auto packet = ParseDataSegment(item->data);
      if (packet.ok()) {
        r.ok = true;
        r.packet = std::move(*packet);
        r.data = std::move(item->data);
      } else {
        r.reason = absl::StrCat("数据段无法解析: ", packet.status().message());
        r.data = item->data.substr(0, 200);
      }
    }
    got.push_back(std::move(r));
  }
  if (closed && c.reader.Pending() > 0) {
    Received r;
    r.connection = c.id;
    r.peer = c.peer;
    r.at = now;
    r.reason = absl::StrCat("连接关闭时报文不完整（", c.reader.Pending(), " 字节）");
    got.push_back(std::move(r));
  }
  if (!got.empty() || total > 0) {
    absl::MutexLock lock(&mu_);
    counts_.bytes += total;
    for (Received& r : got) {
      ++(r.ok ? counts_.packets : counts_.rejected);
      queue_.push_back(std::move(r));
    }
  }
  if (closed) Close(c.id);
}

void Receiver::Flush(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    c.out.clear();  // the connection is broken; reading will see it close
    break;
  }
  const bool want_out = !c.out.empty();
  if (want_out != c.watching_out) {
    c.watching_out = want_out;
    epoll_event ev{};
    ev.events = (reading_paused_ ? 0u : static_cast<uint32_t>(EPOLLIN)) |
                (want_out ? static_cast<uint32_t>(EPOLLOUT) : 0u);
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

void Receiver::Close(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd, nullptr);
  close(it->second->fd);
  connections_.erase(it);
  absl::MutexLock lock(&mu_);
  --counts_.connections_open;
  outbox_.erase(id);
}

void Receiver::IoLoop() {
  epoll_event events[256];
  absl::Time next_idle_check = absl::Now() + absl::Seconds(1);
  while (!stopping_.load()) {
    const int n = epoll_wait(epoll_fd_, events, 256, 1000);
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == 0) {
        Accept();
        continue;
      }
      if (id == UINT64_MAX) {
        uint64_t value;
        (void)!read(wake_fd_, &value, sizeof value);
        continue;
      }
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      Connection& c = *it->second;
      if ((events[i].events & EPOLLOUT) != 0) Flush(c);
      if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) Read(c);
    }
    // Answers to write, and whether reading may go on.
    std::map<uint64_t, std::string> outbox;
    bool pause;
    {
      absl::MutexLock lock(&mu_);
      outbox.swap(outbox_);
      pause = queue_.size() >= options_.queue_limit ||
              (reading_paused_ && queue_.size() > options_.queue_limit / 2);
    }
    for (auto& [id, bytes] : outbox) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      it->second->out += bytes;
      Flush(*it->second);
    }
    if (pause != reading_paused_) {
      reading_paused_ = pause;
      if (pause) {
        absl::MutexLock lock(&mu_);
        ++counts_.pauses;
      }
      for (auto& [id, c] : connections_) {
        epoll_event ev{};
        ev.events = (pause ? 0u : static_cast<uint32_t>(EPOLLIN)) |
                    (c->watching_out ? static_cast<uint32_t>(EPOLLOUT) : 0u);
        ev.data.u64 = id;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
      }
    }
    const absl::Time now = absl::Now();
    if (now >= next_idle_check) {
      next_idle_check = now + absl::Seconds(1);
      std::vector<uint64_t> idle;
      for (auto& [id, c] : connections_) {
        if (now - c->last_activity > options_.idle_timeout) idle.push_back(id);
      }
      for (uint64_t id : idle) Close(id);
    }
  }
  std::vector<uint64_t> all;
  for (auto& [id, c] : connections_) all.push_back(id);
  for (uint64_t id : all) Close(id);
  close(listen_fd_);
  listen_fd_ = -1;
  absl::MutexLock lock(&mu_);
  io_done_ = true;
}

void Receiver::HandlerLoop() {
  while (true) {
    std::vector<Received> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || io_done_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // io_done_ and nothing left
      const size_t n = std::min(queue_.size(), options_.batch_limit);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    handler_(batch);
    Wake();  // reading may resume
  }
}

}  // namespace hj212
}  // namespace cuofeng
