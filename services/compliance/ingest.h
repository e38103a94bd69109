// Monitoring-data ingest: meter readings, gate passages and ledger rows, one
// batch (one stream message) at a time. Each batch is checked row by row;
// good rows are stored with COPY, rows already stored are counted as
// duplicates, and every other row is rejected with its line and reason.
#ifndef CUOFENG_SERVICES_COMPLIANCE_INGEST_H_
#define CUOFENG_SERVICES_COMPLIANCE_INGEST_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/auth/policy.h"
#include "lib/db/pool.h"

namespace cuofeng {

// RemoteCall is what a call made on behalf of a caller carries: the
// caller's key and deadline (real time).
struct RemoteCall {
  std::string authorization;
  absl::Time deadline = absl::InfiniteFuture();
};

// Directory maps registry meters and cameras to compliance's compact ids,
// confirming each against the registry (with the caller's key) on first use.
class Directory {
 public:
  Directory(ConnectionPool* pool, std::shared_ptr<grpc::Channel> registry)
      : pool_(pool), registry_(v1::RegistryService::NewStub(registry)) {}

  struct Subject {
    int id = 0;
    std::string district_id, enterprise;
  };
  // Meter / Camera: NOT_FOUND when the registry has no such resource.
  absl::StatusOr<Subject> Meter(const std::string& name, const RemoteCall& call);
  absl::StatusOr<Subject> Camera(const std::string& name, const RemoteCall& call);
  // Enterprise: NOT_FOUND when the registry has no such enterprise.
  absl::Status Enterprise(const std::string& name, const RemoteCall& call);
  // ProductionLedger reads a ledger's definition from the registry as the
  // caller, every time (a definition may change: nothing is kept):
  // NOT_FOUND when the registry has none the caller may read.
  absl::StatusOr<v1::ProductionLedger> ProductionLedger(const std::string& name,
                                                        const RemoteCall& call);

 private:
  absl::StatusOr<Subject> Resolve(bool meter, const std::string& name, const RemoteCall& call);

  ConnectionPool* pool_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  absl::Mutex mu_;
  std::map<std::string, Subject> meters_ ABSL_GUARDED_BY(mu_), cameras_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> enterprises_ ABSL_GUARDED_BY(mu_);
};

// IngestTally accumulates a stream's summary (rejections kept up to 1,000).
class IngestTally {
 public:
  void Reject(const std::string& source, int64_t line, const std::string& field,
              const std::string& reason);
  void Accept(int64_t n) { summary_.set_accepted(summary_.accepted() + n); }
  void Duplicate(int64_t n) { summary_.set_duplicate(summary_.duplicate() + n); }
  // LocalTimes counts rows whose time had no offset and says how they were read.
  void LocalTimes(int64_t n, const std::string& zone);
  const v1::IngestSummary& summary() const { return summary_; }

 private:
  v1::IngestSummary summary_;
};

// CheckedReadings is a batch of readings whose rows have been checked one by
// one (text, meter, time, kind, value), not yet against the rows stored.
struct CheckedReadings {
  const v1::IngestReadingsRequest* batch = nullptr;  // the caller's, kept alive until stored
  struct Row {
    int index;  // in batch->readings()
    int meter;
    int64_t t;
    v1::ReadingKind kind;
    double value;
  };
  std::vector<Row> rows;  // the rows that passed, sorted by meter, time and index
  struct Rejection {
    int64_t line;
    std::string field, reason;
  };
  std::vector<Rejection> rejected;                    // counted when stored
  std::map<int, std::pair<int64_t, int64_t>> ranges;  // each meter's first and last time
  std::set<int> registers;                            // meters with register readings
  int64_t local_times = 0;                            // times read in `zone`
  std::string zone;
};

class Ingestor {
 public:
  Ingestor(ConnectionPool* pool, Directory* directory) : pool_(pool), directory_(directory) {}

  // Each call stores one batch's good rows and tallies every row.
  absl::Status Readings(const v1::IngestReadingsRequest& batch, const Principal& caller,
                        const RemoteCall& call, IngestTally* tally);
  // Readings in its two stages, for a stream that overlaps them (checking
  // batch k+1 while batch k is stored): CheckReadings needs nothing stored
  // and counts nothing (an error refuses the batch); StoreReadings checks
  // the rows against those stored, stores the good ones and counts every
  // row. Batches must be stored one at a time, in order, so that each sees
  // those before it.
  absl::Status CheckReadings(const v1::IngestReadingsRequest& batch, const Principal& caller,
                             const RemoteCall& call, CheckedReadings* checked);
  absl::Status StoreReadings(CheckedReadings& checked, IngestTally* tally);
  absl::Status GateEvents(const v1::IngestGateEventsRequest& batch, const Principal& caller,
                          const RemoteCall& call, IngestTally* tally);
  absl::Status LedgerRows(const v1::IngestLedgerRowsRequest& batch, const Principal& caller,
                          const RemoteCall& call, IngestTally* tally);
  // Production ledger days (生产台账): services/compliance/production_ingest.cc.
  absl::Status ProductionDays(const v1::IngestProductionDaysRequest& batch, const Principal& caller,
                              const RemoteCall& call, IngestTally* tally);

 private:
  // EnsurePartitions creates the monthly partitions (Asia/Shanghai months)
  // of compliance.reading that rows at `times` (Unix µs) need.
  absl::Status EnsurePartitions(const std::vector<int64_t>& times);

  ConnectionPool* pool_;
  Directory* directory_;
  absl::Mutex mu_;
  std::set<std::string> partitions_ ABSL_GUARDED_BY(mu_);
};

// SqlTimestamp formats Unix microseconds as a UTC timestamptz literal.
std::string SqlTimestamp(int64_t unix_us);
// AppendSqlTimestamp appends SqlTimestamp(unix_us) to `out`.
void AppendSqlTimestamp(std::string* out, int64_t unix_us);

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_COMPLIANCE_INGEST_H_
