// ReadRouter sends read-only work to a PostgreSQL streaming replica when one
// is configured (--database_replica), and to the primary otherwise. A caller
// who wrote through this process reads from the replica only once the
// replica has replayed that write (its LSN), so a client sees its own
// changes; reads that must see other processes' latest writes use the
// primary directly. While the replica cannot be reached, everything reads
// the primary.
#ifndef CUOFENG_LIB_DB_REPLICA_H_
#define CUOFENG_LIB_DB_REPLICA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/db/pool.h"

namespace cuofeng {

// ParseLsn turns PostgreSQL's "16/B374D848" into a number (0 if malformed).
uint64_t ParseLsn(const std::string& text);

class ReadRouter {
 public:
  // `replica` may be null: every read then goes to `primary`.
  ReadRouter(ConnectionPool* primary, ConnectionPool* replica);
  ~ReadRouter();

  // ForRead is the pool for a read by `principal` (an API key's name).
  ConnectionPool& ForRead(const std::string& principal);

  // RecordWrite notes that `principal` just committed a change; call it
  // after the commit. Asks the primary for its WAL position when a replica
  // is configured (one short query), else does nothing.
  void RecordWrite(const std::string& principal);

  ConnectionPool& primary() { return *primary_; }
  bool has_replica() const { return replica_ != nullptr; }

 private:
  void Poll();

  ConnectionPool* primary_;
  ConnectionPool* replica_;
  absl::Mutex mu_;
  std::map<std::string, uint64_t> last_write_ ABSL_GUARDED_BY(mu_);
  uint64_t replayed_ ABSL_GUARDED_BY(mu_) = 0;
  bool replica_up_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DB_REPLICA_H_
