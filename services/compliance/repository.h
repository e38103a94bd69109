// The compliance schema's SQL: reading scans (binary COPY), baselines,
// findings with their review history, verification runs, gate events and
// ledger rows.
#ifndef CUOFENG_SERVICES_COMPLIANCE_REPOSITORY_H_
#define CUOFENG_SERVICES_COMPLIANCE_REPOSITORY_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "lib/db/pool.h"
#include "lib/verification/verification.h"

namespace cuofeng {

class ComplianceRepository {
 public:
  explicit ComplianceRepository(ConnectionPool* pool) : pool_(pool) {}

  // Every read below takes the caller's `deadline` (real time, absl::Now()):
  // each statement gets a statement_timeout of the time left, and a read
  // that runs past it comes back as DEADLINE_EXCEEDED.

  // MeterIds maps the district's meter names to compliance ids (meters that
  // never sent a reading are absent).
  absl::StatusOr<std::map<std::string, int>> MeterIds(const std::string& district_id,
                                                      absl::Time deadline = absl::InfiniteFuture());

  // ScanReadings reads the readings of `meters` with from < time <= to,
  // over `streams` parallel binary COPYs, sorted by time per meter. The
  // COPYs run on connections of their own (not pooled), opened with a
  // connect_timeout and a statement_timeout from `deadline`.
  absl::StatusOr<std::map<int, std::vector<RawReading>>> ScanReadings(
      const std::vector<int>& meters, absl::Time from, absl::Time to, int streams = 2,
      absl::Time deadline = absl::InfiniteFuture());

  struct StoredBaseline {
    std::optional<double> computed_kw, override_kw;
    std::string method, reference_start, reference_end, override_reason, overridden_by;
    int production_days = 0;
    int64_t intervals = 0;
    absl::Time update_time;
  };
  // Baselines of a season by meter id.
  absl::StatusOr<std::map<int, StoredBaseline>> Baselines(
      const std::string& season, absl::Time deadline = absl::InfiniteFuture());
  // BaselineMethod says how a meter's baseline for a season was computed, or
  // who set it and why ("" when there is none).
  absl::StatusOr<std::string> BaselineMethod(const std::string& meter, const std::string& season);
  absl::Status StoreBaseline(pqxx::work& tx, int meter_id, const std::string& season, const Baseline& b);

  // InsertFinding stores `f` unless a finding with its fingerprint exists
  // (INSERT ... ON CONFLICT, so concurrent runs storing the same finding
  // neither fail nor duplicate it); returns the stored finding's name and
  // whether it is new.
  std::pair<std::string, bool> InsertFinding(pqxx::work& tx, const std::string& district_id,
                                             v1::Finding f);

  // Gate passages of the district's cameras and its ledger rows, from <= time < to.
  absl::StatusOr<std::vector<Passage>> GateEvents(const std::string& district_id, absl::Time from,
                                                  absl::Time to,
                                                  absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<std::vector<LedgerEntry>> LedgerRows(const std::string& district_id,
                                                      absl::Time from, absl::Time to,
                                                      absl::Time deadline = absl::InfiniteFuture());

  ConnectionPool* pool() { return pool_; }

  static v1::Finding FindingFromRow(const pqxx::row& row);
  static const char* FindingColumns();

 private:
  absl::StatusOr<std::map<std::string, int>> Ids(const char* table, const std::string& district_id,
                                                 absl::Time deadline);
  // Read runs `body` in a short read transaction bounded by `deadline`.
  absl::Status Read(absl::Time deadline, const std::function<void(pqxx::work&)>& body);

  ConnectionPool* pool_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_COMPLIANCE_REPOSITORY_H_
