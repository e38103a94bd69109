#include "lib/charts/load_chart.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace cuofeng {
namespace {

constexpr double kWidth = 1000, kHeight = 480;
constexpr double kLeft = 70, kRight = 20, kTop = 62, kBottom = 60;
constexpr const char* kFont = "WenQuanYi Micro Hei";  // fonts-wqy-microhei: Chinese labels

struct Surface {
  cairo_surface_t* s;
  ~Surface() { cairo_surface_destroy(s); }
};
struct Context {
  cairo_t* c;
  ~Context() { cairo_destroy(c); }
};

void Text(cairo_t* cr, double x, double y, const std::string& text, double size, bool right = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, text.c_str(), &ext);
  cairo_move_to(cr, right ? x - ext.x_advance : x, y);
  cairo_show_text(cr, text.c_str());
}

// A step of about `target` ticks: 1, 2 or 5 times a power of ten.
double NiceStep(double range, int target) {
  const double raw = range / target;
  const double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

void Draw(cairo_t* cr, const LoadChart& c) {
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  double ymax = std::max(c.baseline_kw, c.threshold_kw);
  for (const auto& [t, kw] : c.load) ymax = std::max(ymax, kw);
  for (const auto& [t, kw] : c.second) ymax = std::max(ymax, kw);
  ymax = ymax <= 0 ? 1 : ymax * 1.1;
  const double span = static_cast<double>(c.to_us - c.from_us);
  auto X = [&](int64_t t) { return kLeft + pw * static_cast<double>(t - c.from_us) / span; };
  auto Y = [&](double kw) { return kTop + ph * (1 - kw / ymax); };
  auto clampx = [&](int64_t t) { return std::min(std::max(X(t), kLeft), kLeft + pw); };

  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  // Obligation window.
  if (c.window_end_us > c.window_start_us) {
    cairo_set_source_rgba(cr, 1.0, 0.65, 0.0, 0.18);
    cairo_rectangle(cr, clampx(c.window_start_us), kTop,
                    std::max(1.0, clampx(c.window_end_us) - clampx(c.window_start_us)), ph);
    cairo_fill(cr);
  }
  // Data gaps, hatched.
  for (const auto& [a, b] : c.gaps) {
    const double x0 = clampx(a), x1 = clampx(b);
    cairo_save(cr);
    cairo_rectangle(cr, x0, kTop, std::max(1.0, x1 - x0), ph);
    cairo_clip(cr);
    cairo_set_source_rgba(cr, 0.85, 0.1, 0.1, 0.10);
    cairo_paint(cr);
    cairo_set_source_rgba(cr, 0.85, 0.1, 0.1, 0.5);
    cairo_set_line_width(cr, 1);
    for (double x = x0 - ph; x < x1; x += 8) {
      cairo_move_to(cr, x, kTop + ph);
      cairo_line_to(cr, x + ph, kTop);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
  }
  // Axes and grid.
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, kLeft, kTop, pw, ph);
  cairo_stroke(cr);
  const double ystep = NiceStep(ymax, 6);
  for (double v = 0; v <= ymax; v += ystep) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, kLeft, Y(v));
    cairo_line_to(cr, kLeft + pw, Y(v));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    Text(cr, kLeft - 6, Y(v) + 4, absl::StrFormat("%g", v), 11, /*right=*/true);
  }
  Text(cr, 8, kTop - 8, "kW", 11);
  const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  const int64_t hour = 3600LL * 1000000;
  const double hours = span / hour;
  const int64_t tick = hours <= 12 ? hour : hours <= 48 ? 6 * hour : hours <= 24 * 10 ? 24 * hour : 7 * 24 * hour;
  const char* fmt = tick < 24 * hour ? "%m-%d %H:%M" : "%m-%d";
  // First tick on a China-local boundary of the tick size.
  int64_t first = ((c.from_us + 8 * hour) / tick + 1) * tick - 8 * hour;
  for (int64_t t = first; t < c.to_us; t += tick) {
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, X(t), kTop + ph);
    cairo_line_to(cr, X(t), kTop + ph + 4);
    cairo_stroke(cr);
    Text(cr, X(t) - 24, kTop + ph + 18,
         absl::FormatTime(fmt, absl::FromUnixMicros(t), china), 10);
  }
  Text(cr, kLeft, kHeight - 10, "Asia/Shanghai (UTC+8)", 10);
  // Reference lines.
  auto hline = [&](double kw, double r, double g, double b, const std::string& label) {
    if (kw <= 0) return;
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, 1.5);
    const double dash[] = {6, 4};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, kLeft, Y(kw));
    cairo_line_to(cr, kLeft + pw, Y(kw));
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    Text(cr, kLeft + pw - 4, Y(kw) - 4, label, 11, /*right=*/true);
  };
  hline(c.baseline_kw, 0.1, 0.5, 0.1, absl::StrFormat("baseline 基线 %.1f kW", c.baseline_kw));
  hline(c.threshold_kw, 0.8, 0.1, 0.1,
        absl::StrFormat("%s %.1f kW", c.threshold_label, c.threshold_kw));
  // Curves; a break in the samples (more than 1.5 intervals) breaks the line.
  auto curve = [&](const std::vector<std::pair<int64_t, double>>& pts, double r, double g, double b,
                   bool dashed) {
    if (pts.empty()) return;
    int64_t step = INT64_MAX;
    for (size_t i = 1; i < pts.size(); ++i) step = std::min(step, pts[i].first - pts[i - 1].first);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, 1.4);
    const double dash[] = {3, 2};
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
    for (size_t i = 0; i < pts.size(); ++i) {
      const bool jump = i == 0 || pts[i].first - pts[i - 1].first > step + step / 2;
      if (jump) {
        cairo_move_to(cr, X(pts[i].first), Y(pts[i].second));
      } else {
        cairo_line_to(cr, X(pts[i].first), Y(pts[i].second));
      }
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
  };
  cairo_save(cr);
  cairo_rectangle(cr, kLeft, kTop, pw, ph);
  cairo_clip(cr);
  curve(c.load, 0.1, 0.3, 0.8, false);
  curve(c.second, 0.55, 0.2, 0.6, true);
  cairo_restore(cr);
  // Titles and legend.
  cairo_set_source_rgb(cr, 0, 0, 0);
  Text(cr, kLeft, 22, c.title, 15);
  cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
  std::string sub = c.subtitle;
  if (sub.size() > 170) sub = sub.substr(0, 167) + "...";
  Text(cr, kLeft, 42, sub, 10.5);
  double lx = kLeft + 200;
  auto legend = [&](double r, double g, double b, double a, const std::string& label) {
    cairo_set_source_rgba(cr, r, g, b, a);
    cairo_rectangle(cr, lx, kHeight - 21, 14, 10);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    Text(cr, lx + 18, kHeight - 12, label, 10);
    lx += 30 + 7 * static_cast<double>(label.size());
  };
  legend(0.1, 0.3, 0.8, 1, c.load_label);
  if (!c.second.empty()) legend(0.55, 0.2, 0.6, 1, c.second_label);
  legend(1.0, 0.65, 0.0, 0.35, "obligation window");
  if (!c.gaps.empty()) legend(0.85, 0.1, 0.1, 0.4, "data gap");
}

}  // namespace

absl::Status WriteLoadChart(const LoadChart& chart, const std::string& path) {
  if (chart.to_us <= chart.from_us) {
    return absl::InvalidArgumentError("chart: the time range is empty");
  }
  const bool svg = absl::EndsWith(path, ".svg");
  if (!svg && !absl::EndsWith(path, ".png")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: ", path, " must end in .svg or .png"));
  }
  Surface surface{svg ? cairo_svg_surface_create(path.c_str(), kWidth, kHeight)
                      : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, kWidth, kHeight)};
  if (cairo_surface_status(surface.s) != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat("cannot create ", path, ": ",
                                            cairo_status_to_string(cairo_surface_status(surface.s))));
  }
  {
    Context cr{cairo_create(surface.s)};
    Draw(cr.c, chart);
    if (cairo_status(cr.c) != CAIRO_STATUS_SUCCESS) {
      return absl::InternalError(absl::StrCat("drawing ", path, ": ", cairo_status_to_string(cairo_status(cr.c))));
    }
  }
  cairo_surface_flush(surface.s);
  if (!svg) {
    cairo_status_t st = cairo_surface_write_to_png(surface.s, path.c_str());
    if (st != CAIRO_STATUS_SUCCESS) {
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", cairo_status_to_string(st)));
    }
  }
  cairo_surface_finish(surface.s);
  if (cairo_surface_status(surface.s) != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ",
                                            cairo_status_to_string(cairo_surface_status(surface.s))));
  }
  return absl::OkStatus();
}

}  // namespace cuofeng
