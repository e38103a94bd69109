// Verification algorithms (VF1-VF3; seed T75, T79-T83): from electricity-meter
// load curves, gate passages and ledger rows to findings. Pure functions: no
// gRPC, no database. The compliance service feeds them and stores what they
// find; benchmarks and unit tests call them directly.
#ifndef CUOFENG_LIB_VERIFICATION_VERIFICATION_H_
#define CUOFENG_LIB_VERIFICATION_VERIFICATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// VerificationParams are a rule set's VerificationParameters with every
// unset field replaced by its documented default.
struct VerificationParams {
  int baseline_reference_days = 30;
  double production_day_min_percent = 30;
  double stop_threshold_percent = 25;
  int grace_minutes = 60;
  double limit_tolerance_percent = 5;
  double production_on_percent = 20;
  double treatment_on_percent = 20;
  int co_running_min_minutes = 60;
  double min_completeness_percent = 90;
  int camera_silence_hours = 24;
  int video_retention_days = 90;
  std::string ledger_retention_until;
  int ledger_retention_days = 365;
  v1::EmissionStage truck_min_stage = v1::CHINA_5;
  int ledger_match_minutes = 30;
  // bridge_gap_minutes: a stretch in breach (a stop not kept, treatment off
  // or silent while production runs) continues across missing readings of
  // up to this long when the readings on both sides are in breach, so that
  // a flaky meter is never a safer place to be than an honest one.
  int bridge_gap_minutes = 120;
  // Clock offsets are looked for in whole hours up to this many either way;
  // a shift is suspected when it explains at least clock_offset_min_gain_percent
  // more of the meter's intervals than the times as sent (and at least
  // clock_offset_min_agreement_percent of them in all).
  int clock_offset_max_hours = 12;
  double clock_offset_min_gain_percent = 5;
  double clock_offset_min_agreement_percent = 90;
};
VerificationParams ResolveParams(const v1::VerificationParameters& p);

// RawReading is a stored reading; LoadSample the mean power (kW) over the
// interval ending at `t`.
struct RawReading {
  int64_t t_us;  // Unix microseconds
  v1::ReadingKind kind;
  double value;
};
struct LoadSample {
  int64_t t_us;
  double kw;
};

// RegisterEvent is a recorded register reset or meter replacement: from
// `t_us` on, the cumulative register counts from `new_register` kWh.
struct RegisterEvent {
  int64_t t_us;
  double new_register;
};

// ToLoad turns one meter's readings, sorted by time, into load samples. A
// cumulative register reading after another gives the mean power between
// the two; the first cumulative reading gives none. A register reading after
// a recorded event (sorted by time) gives the mean power since the event,
// counted from the event's new register; the energy between the last
// reading before the event and the event itself is unknown.
std::vector<LoadSample> ToLoad(const std::vector<RawReading>& readings, int interval_minutes,
                               const std::vector<RegisterEvent>& events = {});

// RegisterProblem says why a cumulative register reading of `value` kWh at
// `t_us` cannot follow the previous one (`before`, `before_t_us`) given the
// meter's recorded `events` ("" when it can): a register runs backwards only
// after a recorded reset or replacement, and then not below its new value.
// Numbers are printed with full precision.
std::string RegisterProblem(double value, int64_t t_us, double before, int64_t before_t_us,
                            const std::vector<RegisterEvent>& events);

// FormatNumber prints `v` with the fewest digits that read back exactly
// (1405712.5, not 1.40571e+06).
std::string FormatNumber(double v);

// MissingStretches are the stretches of [from, to] (Unix µs) where a meter
// whose readings come every `interval_minutes` sent none: each is (start,
// end), from the end of the last reading before to the start of the
// interval of the next one.
std::vector<std::pair<int64_t, int64_t>> MissingStretches(const std::vector<LoadSample>& load,
                                                          int64_t from, int64_t to,
                                                          int interval_minutes);

// Baseline is a meter's normal load over its reference window.
struct Baseline {
  bool found = false;
  double kw = 0;
  int production_days = 0;
  int64_t intervals = 0;
  std::string reference_start, reference_end;  // China days, inclusive
  std::string method;
  // Readings in the reference window against those expected; complete when
  // at least min_completeness_percent arrived. An incomplete (or missing)
  // baseline is computed again when more reference readings arrive.
  int64_t samples = 0, expected = 0;
  bool complete = false;
};

// ComputeBaseline: the mean load over the production days (a day whose
// mean load reaches production_day_min_percent of the busiest day's) of the
// `baseline_reference_days` China days before `season_start` (YYYY-MM-DD).
// `interval_minutes` is the meter's, for the completeness count.
Baseline ComputeBaseline(const std::vector<LoadSample>& load, const std::string& season_start,
                         const VerificationParams& params, int interval_minutes = 15);

// BaselineNeedsRecomputing says whether a stored computed baseline should
// be computed again now: it was never found or its reference window was
// incomplete, and `samples_now` (the reference readings stored now) is more
// than it was computed from.
bool BaselineNeedsRecomputing(bool found, bool complete, int64_t samples_then, int64_t samples_now);

// ReferenceWindow is the [start, end) instant range ComputeBaseline reads.
std::pair<absl::Time, absl::Time> ReferenceWindow(const std::string& season_start,
                                                  const VerificationParams& params);

// MeterLoad is one meter's load over the verification range, with what
// verification needs to know about it.
struct MeterLoad {
  std::string name;  // districts/{d}/enterprises/{e}/meters/{m}
  std::string enterprise;
  std::string target;  // the equipment or line it measures (the enterprise for a total meter)
  int interval_minutes = 15;
  const std::vector<LoadSample>* load = nullptr;
  double baseline_kw = 0;
  int baseline_version = 0;
  // How findings name it: "蓟州区某铸造厂 1号冲天炉电表 (districts/...)"; the
  // resource name when empty.
  std::string label;
};

// EffectiveWindow is a piece of time in which one obligation is the
// strictest binding a meter: `obligation` as ObligationService gave it (its
// window_start is where the obligation itself starts, from which the grace
// period counts), `start_us`/`end_us` the piece.
struct EffectiveWindow {
  v1::Obligation obligation;
  int64_t start_us = 0, end_us = 0;
};

// Finding drafts carry everything but the name, status and review.
using FindingDraft = v1::Finding;

// CheckWindow judges one effective window, whole, against one production
// meter that measures its resource, up to `judged_until` (where the
// district's data ends; never the run's range, so that any sequence of runs
// finds the same):
//   stop (STOP, RECTIFY): load at or below stop_threshold_percent of the
//     baseline after the grace period;
//   limit (LIMIT x%, STOP_LINES x%): mean load <= (1 - x) x baseline x
//     (1 + tolerance); cap (CAP x%): mean load <= x x baseline x (1 + tolerance);
//   completeness: at least min_completeness_percent of the expected
//     intervals, else a DATA_GAP finding for the window.
// Limits are judged on the mean load per China day of the window (a window
// shorter than a day as a whole), consecutive broken days making one
// finding; stops on stretches of intervals above the threshold lasting at
// least co_running_min_minutes, bridging missing readings of up to
// bridge_gap_minutes between readings in breach. Both judge the readings
// there are; a window under the completeness bar also gets its DATA_GAP
// finding, so it is never counted as compliant. The grace period counts from
// the obligation's own start, not the piece's or the run's. RUN and
// VOLUNTARY bind nothing measurable.
std::vector<FindingDraft> CheckWindow(const EffectiveWindow& window, const MeterLoad& meter,
                                      absl::Time judged_until, const VerificationParams& params);

// EffectiveWindows: where several measurable obligations bind one meter at
// once (an enterprise-wide stop and its kiln's stop, a season limit and an
// alert), the strictest binds: stop before any limit, then the smallest
// allowed share of the baseline. Returns the pieces of the obligation that
// binds, within [from, to), consecutive pieces of one obligation merged.
std::vector<EffectiveWindow> EffectiveWindows(const std::vector<const v1::Obligation*>& binding,
                                              absl::Time from, absl::Time to);

// PiecesToJudge are the effective windows a run over [from, to) judges:
// the pieces of EffectiveWindows over [hull_from, hull_to) (the whole
// obligation windows any piece touching the run belongs to, up to where
// the data ends) that touch [from, to), each whole. Overlapping runs thus
// judge the same pieces the same way as one run over their union.
std::vector<EffectiveWindow> PiecesToJudge(const std::vector<const v1::Obligation*>& binding,
                                           absl::Time hull_from, absl::Time hull_to,
                                           absl::Time from, absl::Time to);

// AllowedShare is the share of the baseline an action allows (0 for a stop,
// 1 - x for a limit of x %, x for a cap).
double AllowedShare(const v1::Obligation& o);

// DetectClockOffset looks for a meter whose readings sit whole hours off
// what binds it: for each shift of -clock_offset_max_hours..+max hours, the
// share of the intervals within [from, to) around its stops (a day either
// side, the stop between) whose load agrees with the strictest binding
// obligation once shifted (at or below the stop threshold while a stop
// binds, above it otherwise). A meter no stop binds is judged the same way
// a day either side of each edge of its limits that allow at most 90% of
// the baseline, against the line halfway between the limit's allowance
// (with its tolerance) and the baseline. Returns the shift in hours
// (readings sent at t happened at t + shift) when one agrees
// clock_offset_min_gain_percent better than the times as sent and at least
// clock_offset_min_agreement_percent in all; 0 otherwise. `windows` say
// what binds within (from, to] only (the verifier's end where the data
// does): only readings that stay within it at every shift tried are scored,
// so nothing is judged against "nothing binds" past the data's end.
// `agreement` (optional) receives the share at 0 and at the shift found.
int DetectClockOffset(const MeterLoad& meter, const std::vector<EffectiveWindow>& windows,
                      absl::Time from, absl::Time to, const VerificationParams& params,
                      std::pair<double, double>* agreement = nullptr);

// Covering meters (issue 15): equipment with no meter of its own is judged
// on a meter that measures it among other things (a line meter, or the
// enterprise's main meter) only where that is sound.
//   - Where stops bind everything the meter measures, its load must fall
//     to its own stop threshold: a stop on the covering meter.
//   - Where a stop or limit binds only part of it, the meter must fall by
//     at least the bound part's share of its load, which the registry gives
//     only as the rated power (kW or MW) of every piece it measures: a
//     limit of sum(share x (1 - allowed)) on the covering meter.
//   - Otherwise the window is not verifiable, and is listed with the reason.
// A piece is judged this way only where an obligation of equipment with no
// meter of its own binds (the others are judged on their own meters).
// The baseline text of an obligation made for a covering meter starts with
// this, followed by the meter's label.
inline constexpr char kCoveringMeterBaseline[] = "上级电表 ";

struct CoveredPart {
  std::string equipment;  // resource name
  double rated_kw = 0;    // 0: the registry gives none in kW or MW
};
struct CoveringWindow {
  EffectiveWindow window;                      // its obligation is made for the covering meter
  std::string why;                             // which meter, and why it covers (for covered_by)
  std::vector<const v1::Obligation*> covered;  // the meterless obligations it judges
};
struct UncoveredPiece {
  const v1::Obligation* obligation;
  int64_t start_us, end_us;
  std::string detail;
};
struct Covering {
  std::vector<CoveringWindow> windows;
  std::vector<UncoveredPiece> uncovered;
};
// `meter_label` names the covering meter in words, `target` what it
// measures; `parts` the equipment it measures; `binding` every measurable
// obligation at its enterprise binding any of it (own meter or not);
// `meterless` those of them with no meter of their own. Within [from, to).
Covering CoveringWindows(const std::string& meter_label, const std::string& target,
                         const std::vector<CoveredPart>& parts,
                         const std::vector<const v1::Obligation*>& binding,
                         const std::vector<const v1::Obligation*>& meterless, absl::Time from,
                         absl::Time to);

// Measurable says whether an action can be checked from a meter.
bool Measurable(v1::Action action);

// CheckCoRunning finds the stretches within [from, to) where the production
// meter was on (above production_on_percent of its baseline) while the
// linked treatment meter was off (at or below treatment_on_percent of its
// baseline) or silent (no reading covering the interval) for at least
// co_running_min_minutes: TREATMENT_OFF when the treatment meter showed it
// off in the stretch, TREATMENT_SILENT when it sent nothing. Missing
// production readings of up to bridge_gap_minutes between intervals in
// breach are bridged; longer ones end a stretch.
std::vector<FindingDraft> CheckCoRunning(const MeterLoad& production, const MeterLoad& treatment,
                                         absl::Time from, absl::Time to,
                                         const VerificationParams& params);

// Gate checks (VF2, T79, T80).
struct Passage {
  std::string camera, enterprise, plate;
  std::string photo;  // the camera's photo reference
  int64_t t_us = 0;
  v1::GateDirection direction = v1::GATE_DIRECTION_UNSPECIFIED;
  v1::VehicleClass vehicle_class = v1::VEHICLE_CLASS_UNSPECIFIED;
};
struct LedgerEntry {
  std::string enterprise, plate;
  int64_t t_us = 0;
  v1::GateDirection direction = v1::GATE_DIRECTION_UNSPECIFIED;
};
// What the registry says about a plate.
struct VehicleFacts {
  std::string name;
  v1::EmissionStage stage = v1::EMISSION_STAGE_UNSPECIFIED;
  v1::Fuel fuel = v1::FUEL_UNSPECIFIED;
  v1::VehicleClass vehicle_class = v1::VEHICLE_CLASS_UNSPECIFIED;
  // Whitelisted purposes at each enterprise, with validity (China days).
  struct Whitelisting {
    std::string enterprise;
    v1::WhitelistPurpose purpose = v1::WHITELIST_PURPOSE_UNSPECIFIED;
    std::string valid_from, valid_until;
  };
  std::vector<Whitelisting> whitelist;
};

// CheckPassage judges one passage against the transport rule of the
// obligation in force at its enterprise (nullptr: none binds). Heavy goods
// vehicles only; the vehicle class is the registry's if the plate is known,
// else the camera's.
//   HEAVY_TRUCKS_CHINA5_EXEMPTIONS_ONLY (T79): a finding unless the vehicle
//     is at truck_min_stage or better AND whitelisted there for the day;
//   NO_CHINA4_OR_OLDER_HEAVY_TRUCKS: a finding for China IV or older;
//   NO_ROAD_TRANSPORT: every heavy-truck passage is a finding.
// Unknown plates of anything but a passenger car give an UNKNOWN_PLATE
// finding (and are judged as unqualified under a ban).
std::vector<FindingDraft> CheckPassage(const Passage& passage, const VehicleFacts* vehicle,
                                       const v1::Obligation* in_force,
                                       const VerificationParams& params);

// StricterTransport is the stricter of two transport rules (no road
// transport > China V with exemptions only > no China IV or older > none).
v1::TransportRule StricterTransport(v1::TransportRule a, v1::TransportRule b);

// CheckLedger pairs, per enterprise and China day, diesel heavy-truck
// passages with ledger rows (same plate and direction, within
// `tolerance`), and reports each unpaired side (T80).
std::vector<FindingDraft> CheckLedger(const std::vector<Passage>& passages,
                                      const std::vector<LedgerEntry>& ledger,
                                      const std::vector<const VehicleFacts*>& passage_vehicles,
                                      absl::Duration tolerance);

// CheckCameraSilence reports every stretch within [from, to) longer than
// camera_silence_hours in which `camera` recorded nothing. `times` sorted.
std::vector<FindingDraft> CheckCameraSilence(const std::string& camera,
                                             const std::string& enterprise,
                                             const std::vector<int64_t>& times, absl::Time from,
                                             absl::Time to, const VerificationParams& params);

// Fingerprint identifies a finding by what was found (type, scope, window,
// rule, obligation): re-running over the same data gives the same print.
std::string Fingerprint(const v1::Finding& f);

// ChinaDay is the YYYY-MM-DD of `t` in Asia/Shanghai.
std::string ChinaDayOf(absl::Time t);

// StageName is an emission stage as people write it: 国III, 国V, 电动.
std::string StageName(v1::EmissionStage stage);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_VERIFICATION_VERIFICATION_H_
