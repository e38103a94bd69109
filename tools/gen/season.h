// Season simulation: what a district's meters, gate cameras and truck ledgers
// record over a heating season when every enterprise follows its
// obligations, except for violations planted on purpose, whose ground truth
// is written beside the data. Deterministic from a seed.
#ifndef CUOFENG_TOOLS_GEN_SEASON_H_
#define CUOFENG_TOOLS_GEN_SEASON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"

namespace cuofeng {

struct SeasonSpec {
  absl::Time from;          // readings start here (the baseline's reference window)
  absl::Time season_start;  // gate data and planted violations from here
  absl::Time to;            // everything ends here
  uint64_t seed = 2018;
};

// What the simulation reads: the registry and what binds.
struct SeasonInputs {
  std::vector<v1::Meter> meters;
  std::vector<v1::Camera> cameras;
  std::vector<v1::Vehicle> vehicles;
  std::vector<v1::WhitelistEntry> whitelist;
  std::vector<v1::Obligation> obligations;  // ListObligationWindows over [season_start, to)
};

// A violation planted in the data: what verification should find.
struct PlantedViolation {
  v1::FindingType type = v1::FINDING_TYPE_UNSPECIFIED;
  std::string scope;  // meter, camera, or enterprise (a ledger row without passage)
  absl::Time start, end;
  std::string what;
};

// A register reset the simulated metering platform reports; it must be
// recorded (RecordMeterEvent) before the readings are sent.
struct SeasonMeterEvent {
  std::string meter;
  absl::Time time;
  double new_register = 0;
  std::string reason;
};

struct SeasonCounts {
  int64_t readings = 0, gate_events = 0, ledger_rows = 0;
  std::vector<PlantedViolation> planted;
  std::vector<SeasonMeterEvent> events;  // also written to meter_events.csv
};

// SimulateSeason writes readings.csv, gate.csv, ledger.csv and truth.csv
// into `dir`. It plants one violation of each kind verification detects: a
// stop not kept and a data gap in the first alert window, a limit broken for
// three days and treatment switched off for two hours in the season, a banned
// truck under the alert, a passage without its ledger row, a plate not in
// the registry, and a camera silent for two days; and (issue 15) a flaky
// meter running through the stop (a stop not kept and a data gap), a
// treatment meter silent for three hours, a compliant plant whose meter
// writes UTC without an offset (a suspected clock offset, not a violation)
// and a compliant plant whose cumulative register is reset (with its
// event: nothing to find). FAILED_PRECONDITION when
// the district has no place to plant one of them (e.g. no alert window).
absl::StatusOr<SeasonCounts> SimulateSeason(const SeasonSpec& spec, const SeasonInputs& in,
                                            const std::string& dir);

// ReadTruth reads truth.csv back.
absl::StatusOr<std::vector<PlantedViolation>> ReadTruth(const std::string& path);

// Score compares findings with the planted truth: a planted violation is
// found when a finding of its type and scope overlaps its window; a finding
// matching no planted violation is a false alarm.
struct Score {
  std::vector<PlantedViolation> found, missed;
  std::vector<v1::Finding> false_alarms;
};
Score ScoreFindings(const std::vector<PlantedViolation>& truth,
                    const std::vector<v1::Finding>& findings);

}  // namespace cuofeng

#endif  // CUOFENG_TOOLS_GEN_SEASON_H_
