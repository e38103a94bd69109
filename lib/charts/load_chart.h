// Evidence charts: a meter's load curve with its baseline and threshold, the
// obligation window shaded and data gaps marked, drawn with cairo as SVG or
// PNG. Plain data in, a file out: no gRPC, no database.
#ifndef CUOFENG_LIB_CHARTS_LOAD_CHART_H_
#define CUOFENG_LIB_CHARTS_LOAD_CHART_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace cuofeng {

struct LoadChart {
  std::string title;     // first line, e.g. the finding's type and meter
  std::string subtitle;  // second line, e.g. its summary
  // Load samples: (Unix microseconds at the end of the interval, kW).
  std::vector<std::pair<int64_t, double>> load;
  std::string load_label = "load";
  // A second curve (the treatment meter), drawn dashed; may be empty.
  std::vector<std::pair<int64_t, double>> second;
  std::string second_label;
  double baseline_kw = 0;   // 0: not drawn
  double threshold_kw = 0;  // 0: not drawn
  std::string threshold_label = "threshold";
  int64_t from_us = 0, to_us = 0;                 // the x range
  int64_t window_start_us = 0, window_end_us = 0;  // shaded
  std::vector<std::pair<int64_t, int64_t>> gaps;   // hatched in red
};

// WriteLoadChart draws `chart` to `path`: SVG if it ends in .svg, PNG if in
// .png. INVALID_ARGUMENT for another extension or an empty x range.
absl::Status WriteLoadChart(const LoadChart& chart, const std::string& path);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_CHARTS_LOAD_CHART_H_
