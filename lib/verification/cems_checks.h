// Checks on stack monitoring (CEMS) data received over HJ 212-2017 (issue
// 21; seed T30, T81, T83): transmission efficiency, CEMS silent or flagged
// while a stop or limit binds, concentrations over the point's limits while
// the plant runs, flue-gas flow during a stop, signs of fabricated data, and
// how CEMS data corroborates or contradicts the electricity findings. Pure
// functions on one monitoring point's minute data (CN 2051): no gRPC, no
// database; the compliance verification feeds them and stores what they find
// with the electricity findings.
//
// Design rule: missing or flagged data is never a safer place to be than
// honest data (every minute not validly transmitted counts against the
// transmission checks, and stretches in breach continue across short gaps),
// and a plant whose CEMS has a short honest outage is never accused (the
// outage must bring a day, or a window, under the rule set's percentage).
#ifndef CUOFENG_LIB_VERIFICATION_CEMS_CHECKS_H_
#define CUOFENG_LIB_VERIFICATION_CEMS_CHECKS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "lib/verification/verification.h"

namespace cuofeng {

// The codes the checks read, in this order (HJ 212-2017 appendix B).
enum CemsCode : int { kCemsPm = 0, kCemsSo2, kCemsNox, kCemsFlow, kCemsO2, kCemsCodes };
// CemsCodeOf is the HJ 212 code of `c` ("a34013"); CemsCodeName its Chinese
// name (颗粒物); CemsCodeUnit its unit (mg/m³, m³/h, %).
const char* CemsCodeOf(int c);
const char* CemsCodeName(int c);
const char* CemsCodeUnit(int c);
// CemsCodeIndex is the index of an HJ 212 code, or -1 for codes not read.
int CemsCodeIndex(const std::string& code);

// CemsMinute is one minute upload of a point: `t_us` is its DataTime (the
// minute's start, Unix µs); value[c] its value of code c (the 折算 average
// where the device gives one, else the average, else the real-time value;
// NaN when absent) and flag[c] its data flag ('N', 'F', 'M', 'S', 'D', 'C',
// 'T', 'B'; 0 when absent).
struct CemsMinute {
  int64_t t_us = 0;
  std::array<double, kCemsCodes> value;
  std::array<char, kCemsCodes> flag;
  CemsMinute();
};

// ValidMinute: a minute counts as validly transmitted when it holds at least
// one value and none of its flags is M (维护), S (手工输入), D (故障), C (校准)
// or B (通讯异常). N (正常), F (停运) and T (超测上限) are valid: a stopped
// stack that reports F is reporting honestly.
bool ValidMinute(const CemsMinute& m);

// CemsPoint is a monitoring point (排放口) as the checks need it.
struct CemsPoint {
  std::string name;        // districts/{d}/enterprises/{e}/monitoringPoints/{p}
  std::string enterprise;  // districts/{d}/enterprises/{e}
  std::string target;      // the equipment or line it serves (the enterprise if neither)
  std::string label;       // how findings name it; the resource name when empty
  // Emission limits (mg/m³) for 颗粒物, SO₂ and NOx; unset: not judged.
  std::array<std::optional<double>, 3> limit;
};

// CemsParams are the rule set's parameters the CEMS checks use, with
// defaults for anything unset.
struct CemsParams {
  double min_transmission_percent = 90;  // thresholds.cems_min_transmission_percent (T81, T83)
  double flow_stop_percent = 30;         // cems_flow_stop_percent
  int constant_minutes = 240;            // cems_constant_minutes
  int repeat_min_minutes = 360;          // cems_repeat_min_minutes
  int hour_min_minutes = 15;             // cems_hour_min_minutes
  int grace_minutes = 60;                // grace_minutes
  int co_running_min_minutes = 60;       // co_running_min_minutes
  int bridge_gap_minutes = 120;          // bridge_gap_minutes
  int baseline_reference_days = 30;      // baseline_reference_days
  // Material balance (T75): material_balance_tolerance_percent (else
  // limit_tolerance_percent) and material_balance_min_reference_days.
  double material_tolerance_percent = 5;
  int material_min_reference_days = 7;
};
CemsParams ResolveCemsParams(const v1::VerificationParameters& p, const v1::Thresholds& t);

// CheckTransmission (T81): the share of the minutes of each China day in
// [from, to) that were validly transmitted, against min_transmission_percent;
// consecutive days under it make one CEMS_TRANSMISSION_LOW finding. Over the
// whole of [from, to) as well: a second finding (rule "over the period")
// when the period's share is under it. The part of a day outside [from, to)
// is not expected.
std::vector<FindingDraft> CheckTransmission(const CemsPoint& point,
                                            const std::vector<CemsMinute>& minutes, absl::Time from,
                                            absl::Time to, const CemsParams& params);

// CheckCemsInWindow (T83): while `window` binds (a stop, limit or cap of
// what the point serves, whole or in part), up to `judged_until`, the share
// of minutes validly transmitted must reach min_transmission_percent; else a
// CEMS_SILENT_IN_WINDOW finding saying how many minutes were missing and how
// many flagged, by flag.
std::vector<FindingDraft> CheckCemsInWindow(const CemsPoint& point,
                                            const std::vector<CemsMinute>& minutes,
                                            const EffectiveWindow& window, absl::Time judged_until,
                                            const CemsParams& params);

// NormalFlow is a point's normal flue-gas flow (m³/h): the mean flow of its
// minutes flagged N in [ref_from, ref_to) when there are at least a day's
// worth (1,440); otherwise the mean of its N minutes in [from, to) outside
// `stops`; 0 when neither has a day's worth. `method` says which, in words.
double NormalFlow(const std::vector<CemsMinute>& minutes, absl::Time ref_from, absl::Time ref_to,
                  absl::Time from, absl::Time to,
                  const std::vector<std::pair<int64_t, int64_t>>& stops, std::string* method);

// CheckFlowInStop: while a stop (STOP, RECTIFY) binds all that the point
// serves, after grace_minutes from the obligation's own start and up to
// `judged_until`, flue-gas flow above flow_stop_percent of `normal_flow` for
// co_running_min_minutes or more (minutes missing or flagged M/S/D/C/B of up
// to bridge_gap_minutes between minutes in breach bridged) is a
// CEMS_FLOW_IN_STOP finding: the stop was not kept.
std::vector<FindingDraft> CheckFlowInStop(const CemsPoint& point,
                                          const std::vector<CemsMinute>& minutes,
                                          const EffectiveWindow& window, double normal_flow,
                                          absl::Time judged_until, const CemsParams& params);

// CheckOverLimit (T30): per clock hour in [from, to), the mean of each
// limited pollutant over the hour's minutes flagged N or T (the plant
// running), judged when there are at least hour_min_minutes of them; a mean
// above the point's limit is over it (equal is not). Consecutive hours over
// the limit of one pollutant (hours not judged of up to bridge_gap_minutes
// between them bridged) make one CEMS_OVER_LIMIT finding.
std::vector<FindingDraft> CheckOverLimit(const CemsPoint& point,
                                         const std::vector<CemsMinute>& minutes, absl::Time from,
                                         absl::Time to, const CemsParams& params);

// CheckFabrication: signs of fabricated data that field platforms look for,
// on minutes flagged N within [from, to):
//   - a value of any code (O₂ and flow included: flow with no O₂ change is
//     one such sign) not zero and identical to the last digit for
//     constant_minutes or more (missing minutes of up to bridge_gap_minutes
//     in between do not break the run);
//   - a China day whose N minutes (at least repeat_min_minutes of them, not
//     all one value) repeat exactly, minute for minute, those of an earlier
//     day in `minutes` for every code it holds.
// Each is a CEMS_SUSPECT_DATA finding (never a finding on its own that the
// plant broke a stop; a verifier asks for the device's raw records).
std::vector<FindingDraft> CheckFabrication(const CemsPoint& point,
                                           const std::vector<CemsMinute>& minutes, absl::Time from,
                                           absl::Time to, const CemsParams& params);

// Material balance (物料衡算, T75) from a line's production ledger (生产台账).
// ProductionDay is one China day of it; ProductionLine the line with its
// normal daily output (from the reference period or declared).
struct ProductionDay {
  std::string day;          // YYYY-MM-DD, China
  double output = 0;        // product out, in the line's unit
  double fuel = 0;          // fuel burnt
  double raw_material = 0;  // raw material in
};
struct ProductionLine {
  std::string name;        // the ledger (or line) the findings are about
  std::string enterprise;  // districts/{d}/enterprises/{e}
  std::string label;       // how findings name it
  std::string unit;        // of output, e.g. 吨
  double normal_output = 0;
  std::string normal_source;  // how normal_output was found (申报 / 基准期)
  std::string fuel_unit, raw_material_unit;
};

// CheckMaterialBalance judges each ledger day that one effective window
// covers whole (days a window only partly covers are not judged): under a
// stop (STOP, RECTIFY) any output, fuel or raw material above zero; under a
// limit, stop of lines or cap, output above the allowed share of the line's
// normal output x (1 + tolerance_percent). Consecutive days in breach under
// one window make one MATERIAL_BALANCE finding. Nothing is judged against a
// line with no normal output, except the stop days.
std::vector<FindingDraft> CheckMaterialBalance(const ProductionLine& line,
                                               const std::vector<ProductionDay>& days,
                                               const std::vector<EffectiveWindow>& windows,
                                               double tolerance_percent);

// CorroborateWithLedger adds to a finding about a stop or limit of what a
// production ledger's line covers (STOP_NOT_KEPT, CEMS_FLOW_IN_STOP,
// LIMIT_EXCEEDED) what the ledger says on the days its window touches that
// its obligation window covers whole: for a stop, any output, fuel or raw
// material supports it and nothing at all contradicts it; for a limit, the
// mean output above allowed_share x normal x (1 + tolerance_percent)
// supports it, at or under it contradicts (nothing without a normal
// output). Nothing when the ledger has no such day. Returns whether it added.
bool CorroborateWithLedger(v1::Finding* finding, const ProductionLine& line,
                           const std::vector<ProductionDay>& days, double allowed_share,
                           double tolerance_percent);

// LinkMaterialBalance adds to a MATERIAL_BALANCE finding an electricity or
// CEMS finding of the same enterprise about a stop or limit (STOP_NOT_KEPT,
// LIMIT_EXCEEDED, CEMS_FLOW_IN_STOP) whose window overlaps, as a supporting
// source. The caller checks that both are about the same line. Returns
// whether they overlap.
bool LinkMaterialBalance(v1::Finding* balance, const v1::Finding& other);

// FlowOver summarises a point's flow over [start, end): how many minutes
// have a usable flow value, their mean, and how many of them are above
// `threshold`.
struct FlowOver {
  int64_t minutes = 0;
  double mean = 0;
  int64_t above = 0;
};
FlowOver SummariseFlow(const std::vector<CemsMinute>& minutes, int64_t start_us, int64_t end_us,
                       double threshold);

// Corroborate adds to an electricity finding on `point`'s enterprise
// (STOP_NOT_KEPT, LIMIT_EXCEEDED) what the point's CEMS says over the
// finding's window: for a stop, flow above flow_stop_percent of normal for
// co_running_min_minutes or more supports it, flow staying under it
// contradicts it; for a limit, the mean flow above `allowed_share` x normal
// supports it, at or under it contradicts. Nothing when the CEMS has under
// half the window's minutes or no normal flow. Returns whether it added.
bool Corroborate(v1::Finding* finding, const CemsPoint& point,
                 const std::vector<CemsMinute>& minutes, double normal_flow, double allowed_share,
                 const CemsParams& params);

// LinkFlowAndStop cross-checks a CEMS_FLOW_IN_STOP finding and an
// electricity STOP_NOT_KEPT finding of the same enterprise whose windows
// overlap: each lists the other as a supporting source. Returns whether
// they overlap.
bool LinkFlowAndStop(v1::Finding* flow, v1::Finding* stop);

// CountSupportingSources sets finding.supporting_sources: its own source
// plus every other kind of source (electricity, cems, gate, ledger,
// material_balance) among its corroborations that supports it.
void CountSupportingSources(v1::Finding* finding);

// MergeCorroboration refreshes a stored finding's corroboration with what a
// later run (or live check) found for the same finding (issue 21): each
// source's word on a resource (source, resource) that `found` carries
// replaces the stored one or is added; a word `found` does not carry (a
// source that run did not consult, such as a live run without a ledger
// day) is kept. Recounts supporting_sources. Returns whether anything
// changed.
bool MergeCorroboration(v1::Finding* stored, const v1::Finding& found);

// SourceOf is the kind of source a finding rests on ("electricity", "cems",
// "gate").
std::string SourceOf(v1::FindingType type);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_VERIFICATION_CEMS_CHECKS_H_
