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

  // ReadingDay is one meter's readings of one China day in aggregate
  // (compliance.reading_day, kept by the ingest; sql/compliance/V006).
  struct ReadingDay {
    int64_t n = 0, n_register = 0;
    bool has_kw = false, has_kwh = false;
    double min_kw = 0, max_kw = 0, sum_kw = 0, min_kwh = 0, max_kwh = 0, sum_kwh = 0;
    int64_t first_us = 0, last_us = 0;
    int64_t max_gap_us = -1;  // -1: not known
  };
  // ReadingDays are the aggregates of `meters` for the China days
  // first_day..last_day (days since 1970-01-01), by meter id and day.
  absl::StatusOr<std::map<int, std::map<int64_t, ReadingDay>>> ReadingDays(
      const std::vector<int>& meters, int64_t first_day, int64_t last_day,
      absl::Time deadline = absl::InfiniteFuture());
  // CountReadings counts the readings of `meters` with lo <= time <= hi
  // (Unix µs), meter by meter along the primary key.
  absl::StatusOr<int64_t> CountReadings(const std::vector<int>& meters, int64_t lo_us,
                                        int64_t hi_us, absl::Time deadline);
  // ScanRanges reads the readings of each (meter, lo <= time < hi) by key,
  // over `streams` parallel binary COPYs, sorted by time per meter.
  struct MeterRange {
    int meter;
    int64_t lo_us, hi_us;
  };
  absl::StatusOr<std::map<int, std::vector<RawReading>>> ScanRanges(
      std::vector<MeterRange> ranges, int streams = 2,
      absl::Time deadline = absl::InfiniteFuture());

  struct StoredBaseline {
    std::optional<double> computed_kw, override_kw;
    std::string method, reference_start, reference_end, override_reason, overridden_by;
    int production_days = 0;
    int64_t intervals = 0;
    absl::Time update_time;
    int version = 0;
    bool complete = false;
    int64_t samples = 0;
  };
  // Baselines of a season by meter id.
  absl::StatusOr<std::map<int, StoredBaseline>> Baselines(
      const std::string& season, absl::Time deadline = absl::InfiniteFuture());
  // BaselineMethod says how a meter's baseline for a season was computed, or
  // who set it and why ("" when there is none), and its version.
  absl::StatusOr<std::pair<std::string, int>> BaselineMethod(const std::string& meter,
                                                             const std::string& season);
  // StoreBaseline stores computed version `version` of a baseline (and keeps
  // it in the version history); an older version never replaces a newer one,
  // nor a computation an override.
  absl::Status StoreBaseline(pqxx::work& tx, int meter_id, const std::string& season,
                             const Baseline& b, int version);

  // DataEnd is the latest instant of the district's monitoring data
  // (readings, passages, ledger rows); InfinitePast when there is none.
  absl::StatusOr<absl::Time> DataEnd(const std::string& district_id, absl::Time deadline);

  // RegisterEvents are the recorded resets and replacements of `meters`, by
  // meter id, in time order.
  absl::StatusOr<std::map<int, std::vector<RegisterEvent>>> RegisterEvents(
      const std::vector<int>& meters, absl::Time deadline);
  // MeterEvents are one meter's events as the API shows them.
  absl::StatusOr<std::vector<v1::MeterEvent>> MeterEvents(const std::string& meter);

  // Supersede marks as SUPERSEDED, by `run`, every OPEN finding of the
  // district in one of the `judged` domains (or a gate finding within
  // [gate_from, gate_to)) whose fingerprint is not among `found`; returns
  // how many.
  int Supersede(pqxx::work& tx, const std::string& district_id,
                const std::vector<std::string>& judged, absl::Time gate_from, absl::Time gate_to,
                const std::vector<std::string>& found, const std::string& run);

  // InsertFinding stores `f` unless a finding with its fingerprint exists
  // (INSERT ... ON CONFLICT, so concurrent runs storing the same finding
  // neither fail nor duplicate it); returns the stored finding's name and
  // whether it is new.
  // A SUPERSEDED finding found again is open again.
  std::pair<std::string, bool> InsertFinding(pqxx::work& tx, const std::string& district_id,
                                             v1::Finding f, const std::string& domain = "");

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
