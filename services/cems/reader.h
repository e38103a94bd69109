// CemsReader reads what the HJ 212 receiver stored (schema cems) and the
// production ledger days (schema production) for the verification: minute
// data (CN 2051) decoded for lib/verification/cems_checks. The monitoring
// points and ledger definitions come from the registry's snapshot (read over
// gRPC by the verifier: a service reads another's data only through its
// API). Read-only; it runs in the process that runs the compliance service.
#ifndef CUOFENG_SERVICES_CEMS_READER_H_
#define CUOFENG_SERVICES_CEMS_READER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/registry.pb.h"
#include "lib/db/pool.h"
#include "lib/verification/cems_checks.h"

namespace cuofeng {

class CemsReader {
 public:
  explicit CemsReader(ConnectionPool* pool) : pool_(pool) {}

  struct PointRow {
    CemsPoint point;
    std::string mn;
    // From when its data is expected: the earlier of its registration and
    // the first minute its device sent.
    absl::Time expected_from;
  };
  // Points are the snapshot's monitoring points with a device number, in
  // name order, each expected from the earlier of its registration and its
  // device's first minute.
  absl::StatusOr<std::vector<PointRow>> Points(
      const std::vector<v1::DistrictSnapshotChunk>& snapshot, absl::Time deadline);

  // Minutes are the minute uploads (CN 2051) of the devices `mns` with
  // from <= DataTime < to, by MN, sorted by time.
  absl::StatusOr<std::map<std::string, std::vector<CemsMinute>>> Minutes(
      const std::vector<std::string>& mns, absl::Time from, absl::Time to, absl::Time deadline);

  // A production ledger (生产台账) of the district as the registry keeps it.
  struct LedgerRow {
    ProductionLine line;  // line.name is the ledger's name
    std::string target;   // the production line it is kept for
    bool declared = false;
    double declared_output = 0;
  };
  // Ledgers are the snapshot's production ledgers, in name order.
  static std::vector<LedgerRow> Ledgers(const std::vector<v1::DistrictSnapshotChunk>& snapshot);
  // LedgerDays are the district's production ledger days with
  // from_day <= day < to_day (YYYY-MM-DD), by ledger, in day order.
  absl::StatusOr<std::map<std::string, std::vector<ProductionDay>>> LedgerDays(
      const std::string& district_id, const std::string& from_day, const std::string& to_day,
      absl::Time deadline);

  // DataEnd is the end of the last minute any of `mns` sent (InfinitePast
  // when none sent any).
  absl::StatusOr<absl::Time> DataEnd(const std::vector<std::string>& mns, absl::Time deadline);

 private:
  absl::Status Read(absl::Time deadline, const std::function<void(pqxx::work&)>& body);
  ConnectionPool* pool_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CEMS_READER_H_
