// The evidence series of a finding on a monitoring point (CEMS over HJ 212)
// or on a production ledger (material balance), as GetEvidence returns it and
// lib/charts draws it (issue 21): the point's minute values of the code the
// finding is about against its limit or its normal flow, hourly means, the
// minutes sent with a data flag and the minutes missing; the per-day share
// of minutes validly transmitted against the rule set's 90 %; a ledger's
// daily output against its normal output and the allowed share. Pure: no
// gRPC, no database (services/compliance reads the minutes and the days).
#ifndef CUOFENG_LIB_VERIFICATION_CEMS_EVIDENCE_H_
#define CUOFENG_LIB_VERIFICATION_CEMS_EVIDENCE_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/compliance.pb.h"
#include "lib/verification/cems_checks.h"

namespace cuofeng {

// CemsEvidenceRange is the range a chart of `finding` (on a monitoring point
// or a ledger) shows: its window with a margin either side (whole China days
// for the per-day charts: transmission, ledger days).
std::pair<absl::Time, absl::Time> CemsEvidenceRange(const v1::Finding& finding);

// CemsCodeOfFinding is the code a finding on a point is about: the pollutant
// of CEMS_OVER_LIMIT, the value held constant of CEMS_SUSPECT_DATA (as its
// rule names it), else the flue-gas flow.
int CemsCodeOfFinding(const v1::Finding& finding);

// FillCemsEvidence fills `e` (whose finding, from and to are set) with the
// series of a finding on a monitoring point from `minutes` (sorted, those of
// [from - 1 day, to) at least) and where the point's data ends (`data_end`:
// minutes after it are not yet due, so not a gap).
//   CEMS_TRANSMISSION_LOW: bars, per China day, of the share of the day's
//     minutes (up to the data's end) validly transmitted, against the
//     finding's threshold (90 %).
//   CEMS_OVER_LIMIT: the pollutant's minute values and hourly means (of the
//     minutes flagged N or T) against the point's limit.
//   CEMS_FLOW_IN_STOP: the flow's minute values against the stop's share of
//     normal flow, and normal flow itself.
//   CEMS_SILENT_IN_WINDOW, CEMS_SUSPECT_DATA: the code's minute values (a
//     day copied: the earlier day's values laid over it as a second series).
// Ranges longer than 7 days are drawn as hourly means. Every chart marks
// the minutes sent with a flag other than N and the minutes missing.
void FillCemsEvidence(const std::vector<CemsMinute>& minutes, absl::Time data_end,
                      v1::EvidenceSeries* e);

// FillLedgerEvidence fills `e` for a MATERIAL_BALANCE finding from the
// ledger's days (any range; those in [from, to) are drawn): bars of daily
// output, the fuel burnt as a second series, the allowed output (the
// finding's threshold: 0 on a stop day) and the normal daily output
// (`normal_output`, 0 when unknown); days with no ledger row are hatched.
void FillLedgerEvidence(const std::vector<ProductionDay>& days, double normal_output,
                        const std::string& fuel_unit, v1::EvidenceSeries* e);

// NormalOutputOf reads the normal daily output a MATERIAL_BALANCE finding
// states in its summary ("正常日产量 620 吨"); 0 when it states none.
double NormalOutputOf(const v1::Finding& finding);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_VERIFICATION_CEMS_EVIDENCE_H_
