// CemsStore stores what the HJ 212 receiver hands on: it knows each device
// by its MN through the registry's monitoring points (read over gRPC with
// RegistryService.ListMonitoringPoints and the receiver's service key),
// checks the access password, keeps every upload once per (MN, command, DataTime) as evidence
// with its decoded values, counts every packet (accepted, duplicate,
// rejected with the reason), and answers a device that asked for an answer
// only once what it sent is committed, so a device that got no answer sends
// again and nothing is lost across a restart.
#ifndef CUOFENG_SERVICES_CEMS_STORE_H_
#define CUOFENG_SERVICES_CEMS_STORE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/db/pool.h"
#include "lib/hj212/receiver.h"

namespace cuofeng {

class CemsStore {
 public:
  using Sender = std::function<void(uint64_t connection, std::string bytes)>;
  // `registry` serves RegistryService (this process's own address when the
  // registry runs here); `authorization` is "Bearer <key>" of a service key.
  // No connection of `pool` is held while the registry is called.
  CemsStore(ConnectionPool* pool, std::shared_ptr<grpc::Channel> registry,
            std::string authorization);

  // set_sender gives the way back to devices (Receiver::Send).
  void set_sender(Sender sender) { sender_ = std::move(sender); }

  // Handle is the receiver's handler: one transaction per batch. While the
  // database is unreachable it retries for up to `retry_for`; the receiver
  // meanwhile stops reading, so devices wait instead of packets being lost.
  void Handle(std::vector<hj212::Received>& batch);

  struct Counts {
    uint64_t accepted = 0;
    uint64_t duplicate = 0;
    uint64_t rejected = 0;
    uint64_t not_stored = 0;  // batches given up after the database stayed away
  };
  Counts counts() const;

  // How long a batch is retried while the database is unreachable.
  absl::Duration retry_for = absl::Seconds(30);
  // The deadline of one ListMonitoringPoints page; the least time between
  // two reloads of the points (each triggered by an unknown MN, a password
  // that does not match what was loaded, or points older than
  // refresh_every, so that a deleted point or a revoked key takes effect).
  absl::Duration registry_deadline = absl::Seconds(10);
  absl::Duration reload_every = absl::Seconds(5);
  absl::Duration refresh_every = absl::Minutes(1);

 private:
  struct Point {
    std::string name;
    std::string password;  // "sha256:<hex>" as the registry keeps it
  };
  // LookUp finds the device's point, reloading the registry's points when an
  // MN is unknown, `pw` does not match or the points are older than
  // refresh_every (at most once every reload_every).
  const Point* LookUp(const std::string& mn, const std::string& pw);
  // LoadPoints pages ListMonitoringPoints over every district; on failure
  // the points loaded before stay (LookUp forgets them when the key is refused).
  absl::Status LoadPoints();

  ConnectionPool* pool_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  const std::string authorization_;
  Sender sender_;
  std::map<std::string, Point> points_;  // by MN; the handler thread only
  absl::Time points_loaded_ = absl::InfinitePast();
  mutable absl::Mutex mu_;
  Counts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CEMS_STORE_H_
