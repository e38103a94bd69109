// Evidence charts: a meter's load curve with its baseline and threshold, the
// obligation window, its grace period and the finding's own window shaded
// apart, data gaps hatched and meter events marked. SVG is written directly
// (its text stays text, searchable and selectable); PNG is drawn with cairo.
// Plain data in, a file out: no gRPC, no database.
#ifndef CUOFENG_LIB_CHARTS_LOAD_CHART_H_
#define CUOFENG_LIB_CHARTS_LOAD_CHART_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cuofeng/v1/compliance.pb.h"

typedef struct _cairo cairo_t;

namespace cuofeng {

struct LoadChart {
  std::string title;  // first line: the finding's type, the plant and the finding id
  // Lines under the title (the summary, wrapped; the alert's 文号; the
  // baseline and its version): never cut.
  std::vector<std::string> subtitle;
  // Load samples: (Unix microseconds at the end of the interval, kW).
  std::vector<std::pair<int64_t, double>> load;
  std::string load_label = "load";
  // A second curve (the production meter of a treatment finding), dashed.
  std::vector<std::pair<int64_t, double>> second;
  std::string second_label;
  double baseline_kw = 0;  // 0: not drawn
  std::string baseline_label = "baseline 基线";
  double threshold_kw = 0;  // 0: not drawn
  std::string threshold_label = "threshold";
  int64_t from_us = 0, to_us = 0;  // the x range
  // The obligation window (light), its grace period at the start (grey) and
  // the finding's own window (orange); 0/0 when absent.
  int64_t obligation_start_us = 0, obligation_end_us = 0, grace_end_us = 0;
  int64_t window_start_us = 0, window_end_us = 0;
  std::vector<std::pair<int64_t, int64_t>> gaps;  // hatched in red
  std::vector<std::pair<int64_t, std::string>>
      events;  // vertical markers (register reset, new meter)
  // Issue 21: the unit of the curves and the reference lines (a CEMS's
  // mg/m³ or m³/h, a transmission share in %, a ledger's 吨).
  std::string unit = "kW";
  // > 0: each load sample is a bar this long from its time (a day's share,
  // a ledger day) instead of a point of a curve.
  int64_t bar_us = 0;
  // Stretches of CEMS minutes sent with a data flag, drawn as a strip along
  // the top of the plot, coloured by flag (D 故障, M 维护, C 校准, F 停运 ...).
  struct Flagged {
    int64_t start_us, end_us;
    char flag;
  };
  std::vector<Flagged> flagged;
};

// FlagLabel is an HJ 212 data flag as people read it: "D 故障", "F 停运".
std::string FlagLabel(char flag);

// EvidenceChart is the chart of a finding's evidence series, as every client
// draws it.
LoadChart EvidenceChart(const v1::EvidenceSeries& evidence);

// WriteLoadChart draws `chart` to `path`: SVG if it ends in .svg, PNG if in
// .png. INVALID_ARGUMENT for another extension or an empty x range.
absl::Status WriteLoadChart(const LoadChart& chart, const std::string& path);

// DrawLoadChart draws `chart` on `cr` in its own units, LoadChartWidth() by
// LoadChartHeight(chart) (vector, e.g. into a PDF page).
double LoadChartWidth();
double LoadChartHeight(const LoadChart& chart);
void DrawLoadChart(cairo_t* cr, const LoadChart& chart);

// RenderSvg returns the chart as an SVG document.
std::string RenderSvg(const LoadChart& chart);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_CHARTS_LOAD_CHART_H_
