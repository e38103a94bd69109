// Receiver is the HJ 212 network endpoint: a TCP listener that many data
// loggers stay connected to. One thread runs the sockets (epoll): it accepts,
// reads, splits each connection's bytes into packets (FrameReader) and
// decodes their data segments; a second thread hands what arrived, in
// batches, to the handler (which stores it) and may answer devices through
// Send. A slow handler never makes the socket thread wait: when too much is
// queued the receiver stops reading, and TCP pushes back on the devices.
#ifndef CUOFENG_LIB_HJ212_RECEIVER_H_
#define CUOFENG_LIB_HJ212_RECEIVER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/hj212/packet.h"

namespace cuofeng {
namespace hj212 {

// Received is one packet, or one rejected run of bytes, from a connection.
struct Received {
  uint64_t connection = 0;  // the receiver's id for the connection
  std::string peer;         // "ip:port"
  absl::Time at;            // when its last byte was read
  bool ok = false;          // a well-formed packet whose data segment decoded
  Packet packet;            // (ok)
  std::string data;         // the data segment as received (ok), for evidence
  std::string reason;       // why it was rejected (!ok), in Chinese
  uint64_t offset = 0;      // where it began in the connection's byte stream
};

class Receiver {
 public:
  struct Options {
    std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
    size_t max_connections = 10000;
    // A connection that sends nothing for this long is closed (devices send
    // at least a packet a minute, or a heartbeat).
    absl::Duration idle_timeout = absl::Minutes(10);
    // Packets queued for the handler above which reading pauses.
    size_t queue_limit = 50000;
    // Largest batch handed to the handler at once.
    size_t batch_limit = 5000;
  };
  using Handler = std::function<void(std::vector<Received>& batch)>;

  // Start listens and starts both threads. INVALID_ARGUMENT for an address
  // that is not host:port, UNAVAILABLE when it cannot listen.
  static absl::StatusOr<std::unique_ptr<Receiver>> Start(Options options, Handler handler);
  ~Receiver();  // stops

  int port() const { return port_; }

  // Send queues bytes for a connection (an answer); dropped if it is gone.
  void Send(uint64_t connection, std::string bytes);

  // Stop closes the listener and every connection and joins the threads,
  // after the handler has seen everything already read.
  void Stop();

  struct Counts {
    uint64_t connections_accepted = 0;
    uint64_t connections_open = 0;
    uint64_t packets = 0;   // well-formed packets handed on
    uint64_t rejected = 0;  // rejected runs of bytes and undecodable segments
    uint64_t bytes = 0;
    uint64_t pauses = 0;  // times reading paused for a full queue
  };
  Counts counts() const;

 private:
  struct Connection;
  Receiver(Options options, Handler handler);
  void IoLoop();
  void HandlerLoop();
  void Accept();
  void Read(Connection& c);
  void Flush(Connection& c);
  void Close(uint64_t id);
  void Wake();

  const Options options_;
  Handler handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;  // IO thread only
  uint64_t next_id_ = 1;
  bool reading_paused_ = false;  // IO thread only

  mutable absl::Mutex mu_;
  std::deque<Received> queue_ ABSL_GUARDED_BY(mu_);
  bool io_done_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, std::string> outbox_ ABSL_GUARDED_BY(mu_);
  Counts counts_ ABSL_GUARDED_BY(mu_);

  std::thread io_thread_;
  std::thread handler_thread_;
};

}  // namespace hj212
}  // namespace cuofeng

#endif  // CUOFENG_LIB_HJ212_RECEIVER_H_
