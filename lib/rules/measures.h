// Measures: how much a measure cuts, which of two is stricter, and how it
// reads in the list (Chinese terms kept).
#ifndef CUOFENG_LIB_RULES_MEASURES_H_
#define CUOFENG_LIB_RULES_MEASURES_H_

#include <string>

#include "cuofeng/v1/planning.pb.h"

namespace cuofeng {

// CutFraction is the share of emissions a measure removes: STOP and RECTIFY
// 1, LIMIT and STOP_LINES percent/100, CAP 1 - percent/100, others 0.
double CutFraction(const v1::Measure& m);

// CutPermille is CutFraction in whole thousandths (percent to one decimal),
// so that cut arithmetic on integer kilograms is exact.
int CutPermille(const v1::Measure& m);

// TransportRank orders transport rules from none (0) to no road transport (3).
int TransportRank(v1::TransportRule rule);

// Stricter returns `a` combined with `b`: the action that cuts more (ties to
// the harder action), the stricter transport rule, non-road stop if either
// says so, binding outside the staggered period if an equally strict one
// does; notes joined.
v1::Measure Stricter(const v1::Measure& a, const v1::Measure& b);

// ClampToCap keeps a livelihood enterprise at or above its load cap (SP5): a
// measure cutting more than 100 - cap% becomes CAP cap%. Returns whether it
// clamped.
bool ClampToCap(double cap_percent, v1::Measure* m);

// Describe writes a measure the way the list prints it, e.g.
// "限产30%", "停产", as people read them (Chinese only).
std::string Describe(const v1::Measure& m);
std::string DescribeTransport(v1::TransportRule rule);

// SameMeasure compares action, percent, transport, non-road rule and
// whether it binds outside the staggered period.
bool SameMeasure(const v1::Measure& a, const v1::Measure& b);

// BindsOutsideStaggeredPeriod says whether `m` holds on season days the
// month-by-month adjustments switched off: 停产整治 and the flagged stops.
bool BindsOutsideStaggeredPeriod(const v1::Measure& m);

// Run is the unrestricted measure.
v1::Measure Run();

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RULES_MEASURES_H_
