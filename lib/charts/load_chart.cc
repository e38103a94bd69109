#include "lib/charts/load_chart.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "lib/model/clock.h"
#include "lib/model/labels.h"

namespace cuofeng {
namespace {

constexpr double kWidth = 1000, kPlotHeight = 358;
constexpr double kLeft = 70, kRight = 20, kBottom = 60;
constexpr const char* kFont = "WenQuanYi Micro Hei";  // fonts-wqy-microhei: Chinese labels

struct Color {
  double r, g, b, a = 1;
};
constexpr Color kInk{0.2, 0.2, 0.2}, kGrid{0.88, 0.88, 0.88}, kLoadColor{0.1, 0.3, 0.8},
    kSecondColor{0.55, 0.2, 0.6}, kObligation{0.3, 0.55, 0.95, 0.10}, kGrace{0.5, 0.5, 0.5, 0.22},
    kFinding{1.0, 0.65, 0.0, 0.30}, kGap{0.85, 0.1, 0.1, 0.5}, kEvent{0.0, 0.55, 0.55};

// The colour of a CEMS data flag's stretch (issue 21): faults red, upkeep
// and calibration amber and violet, a stopped stack grey.
Color FlagColor(char flag) {
  switch (flag) {
    case 'D':
      return {0.8, 0.1, 0.1, 0.85};
    case 'M':
      return {0.95, 0.6, 0.0, 0.85};
    case 'C':
      return {0.5, 0.3, 0.8, 0.85};
    case 'F':
      return {0.45, 0.45, 0.45, 0.85};
    case 'B':
      return {0.6, 0.2, 0.2, 0.85};
    case 'S':
      return {0.2, 0.6, 0.6, 0.85};
    case 'T':
      return {0.9, 0.3, 0.6, 0.85};
    default:
      return {0.3, 0.3, 0.3, 0.85};
  }
}

using Point = std::pair<double, double>;
enum class Dash { kNone, kLong, kShort };

// Canvas is what a chart is drawn on: an SVG document or a cairo surface.
class Canvas {
 public:
  virtual ~Canvas() = default;
  virtual void Fill(double x, double y, double w, double h, Color c) = 0;
  virtual void Hatch(double x, double y, double w, double h, Color c) = 0;
  virtual void Line(const std::vector<Point>& pts, Color c, double width, Dash dash) = 0;
  virtual void Text(double x, double y, const std::string& text, double size, Color c,
                    bool right = false) = 0;
  virtual void Clip(double x, double y, double w, double h) = 0;
  virtual void Unclip() = 0;
};

std::string Escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(ch);
    }
  }
  return out;
}

std::string Rgb(Color c) {
  return absl::StrFormat("rgb(%d,%d,%d)", static_cast<int>(c.r * 255), static_cast<int>(c.g * 255),
                         static_cast<int>(c.b * 255));
}

class SvgCanvas : public Canvas {
 public:
  SvgCanvas(double w, double h) {
    absl::StrAppendFormat(
        &out_,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s, sans-serif\">\n"
        "<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"%s\" "
        "fill-opacity=\"0.10\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"%s\" "
        "stroke-opacity=\"0.5\" stroke-width=\"1\"/></pattern></defs>\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
        w, h, w, h, kFont, Rgb(kGap), Rgb(kGap));
  }
  void Fill(double x, double y, double w, double h, Color c) override {
    absl::StrAppendFormat(&out_,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                          "fill-opacity=\"%.2f\"/>\n",
                          x, y, w, h, Rgb(c), c.a);
  }
  void Hatch(double x, double y, double w, double h, Color) override {
    absl::StrAppendFormat(
        &out_,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"url(#hatch)\"/>\n", x, y,
        w, h);
  }
  void Line(const std::vector<Point>& pts, Color c, double width, Dash dash) override {
    if (pts.size() < 2) return;
    absl::StrAppend(&out_, "<polyline fill=\"none\" stroke=\"", Rgb(c), "\"",
                    absl::StrFormat(" stroke-width=\"%.1f\"", width),
                    dash == Dash::kLong    ? " stroke-dasharray=\"6 4\""
                    : dash == Dash::kShort ? " stroke-dasharray=\"3 2\""
                                           : "",
                    " points=\"");
    for (const auto& [x, y] : pts) absl::StrAppendFormat(&out_, "%.1f,%.1f ", x, y);
    out_ += "\"/>\n";
  }
  void Text(double x, double y, const std::string& text, double size, Color c,
            bool right) override {
    absl::StrAppendFormat(
        &out_, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" fill=\"%s\"%s>%s</text>\n", x, y,
        size, Rgb(c), right ? " text-anchor=\"end\"" : "", Escape(text));
  }
  void Clip(double x, double y, double w, double h) override {
    ++clips_;
    absl::StrAppendFormat(&out_,
                          "<clipPath id=\"clip%d\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\"/></clipPath>"
                          "<g clip-path=\"url(#clip%d)\">\n",
                          clips_, x, y, w, h, clips_);
  }
  void Unclip() override { out_ += "</g>\n"; }
  std::string Finish() { return out_ + "</svg>\n"; }

 private:
  std::string out_;
  int clips_ = 0;
};

class CairoCanvas : public Canvas {
 public:
  explicit CairoCanvas(cairo_t* cr) : cr_(cr) {}
  void Fill(double x, double y, double w, double h, Color c) override {
    cairo_set_source_rgba(cr_, c.r, c.g, c.b, c.a);
    cairo_rectangle(cr_, x, y, w, h);
    cairo_fill(cr_);
  }
  void Hatch(double x, double y, double w, double h, Color c) override {
    cairo_save(cr_);
    cairo_rectangle(cr_, x, y, w, h);
    cairo_clip(cr_);
    cairo_set_source_rgba(cr_, c.r, c.g, c.b, 0.10);
    cairo_paint(cr_);
    cairo_set_source_rgba(cr_, c.r, c.g, c.b, c.a);
    cairo_set_line_width(cr_, 1);
    for (double hx = x - h; hx < x + w; hx += 8) {
      cairo_move_to(cr_, hx, y + h);
      cairo_line_to(cr_, hx + h, y);
    }
    cairo_stroke(cr_);
    cairo_restore(cr_);
  }
  void Line(const std::vector<Point>& pts, Color c, double width, Dash dash) override {
    if (pts.size() < 2) return;
    cairo_set_source_rgba(cr_, c.r, c.g, c.b, c.a);
    cairo_set_line_width(cr_, width);
    const double long_dash[] = {6, 4}, short_dash[] = {3, 2};
    if (dash == Dash::kLong) cairo_set_dash(cr_, long_dash, 2, 0);
    if (dash == Dash::kShort) cairo_set_dash(cr_, short_dash, 2, 0);
    cairo_move_to(cr_, pts[0].first, pts[0].second);
    for (size_t i = 1; i < pts.size(); ++i) cairo_line_to(cr_, pts[i].first, pts[i].second);
    cairo_stroke(cr_);
    cairo_set_dash(cr_, nullptr, 0, 0);
  }
  void Text(double x, double y, const std::string& text, double size, Color c,
            bool right) override {
    cairo_set_source_rgba(cr_, c.r, c.g, c.b, c.a);
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr_, text.c_str(), &ext);
    cairo_move_to(cr_, right ? x - ext.x_advance : x, y);
    cairo_show_text(cr_, text.c_str());
  }
  void Clip(double x, double y, double w, double h) override {
    cairo_save(cr_);
    cairo_rectangle(cr_, x, y, w, h);
    cairo_clip(cr_);
  }
  void Unclip() override { cairo_restore(cr_); }

 private:
  cairo_t* cr_;
};

// A step of about `target` ticks: 1, 2 or 5 times a power of ten.
double NiceStep(double range, int target) {
  const double raw = range / target;
  const double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

// Rough width of UTF-8 text in units of an ASCII character (CJK count two).
double Width(const std::string& s) {
  double w = 0;
  for (unsigned char ch : s) {
    if (ch < 0x80) {
      w += 1;
    } else if (ch >= 0xC0) {
      w += 2;
    }
  }
  return w;
}

double Top(const LoadChart& c) { return 34 + 15 * static_cast<double>(c.subtitle.size()) + 10; }
double Height(const LoadChart& c) { return Top(c) + kPlotHeight + kBottom; }

void Draw(Canvas& cv, const LoadChart& c) {
  const double top = Top(c), height = Height(c);
  const double pw = kWidth - kLeft - kRight, ph = kPlotHeight;
  double ymax = std::max(c.baseline_kw, c.threshold_kw);
  const std::string& unit = c.unit;
  for (const auto& [t, kw] : c.load) ymax = std::max(ymax, kw);
  for (const auto& [t, kw] : c.second) ymax = std::max(ymax, kw);
  ymax = ymax <= 0 ? 1 : ymax * 1.1;
  const double span = static_cast<double>(c.to_us - c.from_us);
  auto X = [&](int64_t t) { return kLeft + pw * static_cast<double>(t - c.from_us) / span; };
  auto Y = [&](double kw) { return top + ph * (1 - kw / ymax); };
  auto clampx = [&](int64_t t) { return std::min(std::max(X(t), kLeft), kLeft + pw); };
  auto band = [&](int64_t a, int64_t b, Color col) {
    if (b <= a) return;
    cv.Fill(clampx(a), top, std::max(1.0, clampx(b) - clampx(a)), ph, col);
  };
  band(c.obligation_start_us, c.obligation_end_us, kObligation);
  band(c.obligation_start_us, std::min(c.grace_end_us, c.obligation_end_us), kGrace);
  band(c.window_start_us, c.window_end_us, kFinding);
  for (const auto& [a, b] : c.gaps) {
    const double x0 = clampx(a), x1 = clampx(b);
    cv.Hatch(x0, top, std::max(1.0, x1 - x0), ph, kGap);
  }
  // Axes and grid.
  cv.Line(
      {{kLeft, top}, {kLeft + pw, top}, {kLeft + pw, top + ph}, {kLeft, top + ph}, {kLeft, top}},
      kInk, 1, Dash::kNone);
  const double ystep = NiceStep(ymax, 6);
  for (double v = ystep; v <= ymax; v += ystep) {
    cv.Line({{kLeft, Y(v)}, {kLeft + pw, Y(v)}}, kGrid, 1, Dash::kNone);
  }
  for (double v = 0; v <= ymax; v += ystep)
    cv.Text(kLeft - 6, Y(v) + 4, absl::StrFormat("%g", v), 11, kInk, true);
  cv.Text(8, top - 6, unit, 11, kInk);
  const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
  const int64_t hour = 3600LL * 1000000;
  const double hours = span / hour;
  const int64_t tick = hours <= 12        ? hour
                       : hours <= 48      ? 6 * hour
                       : hours <= 24 * 10 ? 24 * hour
                                          : 7 * 24 * hour;
  const char* fmt = tick < 24 * hour ? "%m-%d %H:%M" : "%m-%d";
  // First tick on a China-local boundary of the tick size.
  const int64_t first = ((c.from_us + 8 * hour) / tick + 1) * tick - 8 * hour;
  for (int64_t t = first; t < c.to_us; t += tick) {
    cv.Line({{X(t), top + ph}, {X(t), top + ph + 4}}, kInk, 1, Dash::kNone);
    cv.Text(X(t) - 24, top + ph + 18, absl::FormatTime(fmt, absl::FromUnixMicros(t), china), 10,
            kInk);
  }
  cv.Text(kLeft, height - 10, "北京时间（UTC+8）", 10, kInk);
  // Curves; a break in the samples (more than 1.5 intervals) breaks the line.
  auto curve = [&](const std::vector<std::pair<int64_t, double>>& pts, Color col, Dash dash) {
    if (pts.empty()) return;
    int64_t step = INT64_MAX;
    for (size_t i = 1; i < pts.size(); ++i) step = std::min(step, pts[i].first - pts[i - 1].first);
    std::vector<Point> run;
    // A reading with no neighbour (a flaky meter) is drawn as a short tick.
    auto flush = [&] {
      if (run.size() == 1) {
        cv.Line({{run[0].first - 2, run[0].second}, {run[0].first + 2, run[0].second}}, col, 2.5,
                Dash::kNone);
      } else {
        cv.Line(run, col, 1.4, dash);
      }
      run.clear();
    };
    for (size_t i = 0; i < pts.size(); ++i) {
      if (i > 0 && pts[i].first - pts[i - 1].first > step + step / 2) flush();
      run.push_back({X(pts[i].first), Y(pts[i].second)});
    }
    flush();
  };
  cv.Clip(kLeft, top, pw, ph);
  if (c.bar_us > 0) {
    // Bars (a day's share, a ledger day), each with its value written above
    // it when there is room.
    const bool write = c.load.size() <= 45;
    for (const auto& [t, v] : c.load) {
      const double x0 = X(t), x1 = X(t + c.bar_us);
      const double w = std::max(1.0, (x1 - x0) * 0.8);
      const double x = x0 + (x1 - x0 - w) / 2;
      const double y = Y(std::max(0.0, v));
      cv.Fill(x, y, w, std::max(1.0, top + ph - y),
              {kLoadColor.r, kLoadColor.g, kLoadColor.b, 0.55});
      if (write) {
        cv.Text(x + w / 2 + 12, y - 3, absl::StrFormat("%.1f", v), 9, kInk, true);
      }
    }
  } else {
    curve(c.load, kLoadColor, Dash::kNone);
  }
  curve(c.second, kSecondColor, Dash::kShort);
  // Flagged CEMS minutes: a strip along the top of the plot.
  for (const LoadChart::Flagged& fl : c.flagged) {
    const double x0 = clampx(fl.start_us), x1 = clampx(fl.end_us);
    cv.Fill(x0, top, std::max(1.0, x1 - x0), 10, FlagColor(fl.flag));
  }
  for (const auto& [t, label] : c.events) {
    cv.Line({{X(t), top}, {X(t), top + ph}}, kEvent, 1.5, Dash::kShort);
    cv.Text(X(t) + 3, top + 14, label, 10, kEvent);
  }
  cv.Unclip();
  // Reference lines, over the curves.
  auto hline = [&](double kw, Color col, const std::string& label) {
    if (kw <= 0) return;
    cv.Line({{kLeft, Y(kw)}, {kLeft + pw, Y(kw)}}, col, 1.5, Dash::kLong);
    // On top of the curves, on a light ground so that a busy curve leaves it readable.
    const double w = 6 * Width(label) + 4;
    cv.Fill(kLeft + pw - 2 - w, Y(kw) - 16, w, 14, {1, 1, 1, 0.75});
    cv.Text(kLeft + pw - 4, Y(kw) - 4, label, 11, col, true);
  };
  hline(c.baseline_kw, {0.1, 0.5, 0.1},
        absl::StrFormat("%s %.1f %s", c.baseline_label, c.baseline_kw, unit));
  hline(c.threshold_kw, {0.8, 0.1, 0.1},
        absl::StrFormat("%s %.1f %s", c.threshold_label, c.threshold_kw, unit));
  // A limit of zero (a stop day's allowed output) is the axis itself: said
  // in words at its foot.
  if (c.threshold_kw == 0 && !c.threshold_label.empty() && c.bar_us > 0) {
    cv.Text(kLeft + pw - 4, Y(0) - 4, absl::StrCat(c.threshold_label, " 0 ", unit), 11,
            {0.8, 0.1, 0.1}, true);
  }
  // Titles and legend.
  cv.Text(kLeft, 22, c.title, 15, {0, 0, 0});
  for (size_t i = 0; i < c.subtitle.size(); ++i) {
    cv.Text(kLeft, 40 + 15 * static_cast<double>(i), c.subtitle[i], 10.5, {0.25, 0.25, 0.25});
  }
  double lx = kLeft + 230;
  auto legend = [&](Color col, const std::string& label) {
    cv.Fill(lx, height - 21, 14, 10, {col.r, col.g, col.b, std::max(col.a, 0.35)});
    cv.Text(lx + 18, height - 12, label, 10, kInk);
    lx += 30 + 6 * Width(label);
  };
  legend(kLoadColor, c.load_label);
  if (!c.second.empty()) legend(kSecondColor, c.second_label);
  if (c.obligation_end_us > c.obligation_start_us) legend(kObligation, "措施时段");
  if (c.grace_end_us > c.obligation_start_us) legend(kGrace, "缓冲期");
  if (c.window_end_us > c.window_start_us) legend(kFinding, "问题时段");
  if (!c.gaps.empty()) legend(kGap, "数据缺失");
  std::string flags;
  for (const LoadChart::Flagged& fl : c.flagged) {
    if (flags.find(fl.flag) == std::string::npos) flags.push_back(fl.flag);
  }
  std::sort(flags.begin(), flags.end());
  for (char flag : flags) legend(FlagColor(flag), absl::StrCat("标记 ", FlagLabel(flag)));
}

// Wrap splits `text` into lines of at most `width` units (see Width), at
// spaces or between CJK characters.
std::vector<std::string> Wrap(const std::string& text, double width) {
  std::vector<std::string> lines;
  std::string line;
  double w = 0;
  size_t i = 0;
  while (i < text.size()) {
    // One UTF-8 character.
    size_t n = 1;
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch >= 0xF0)
      n = 4;
    else if (ch >= 0xE0)
      n = 3;
    else if (ch >= 0xC0)
      n = 2;
    const std::string piece = text.substr(i, n);
    const double pw = n == 1 ? 1 : 2;
    if (w + pw > width) {
      size_t cut = line.rfind(' ');
      if (n == 1 && cut != std::string::npos && cut > line.size() / 2) {
        lines.push_back(line.substr(0, cut));
        line = line.substr(cut + 1);
      } else {
        lines.push_back(line);
        line.clear();
      }
      w = Width(line);
    }
    line += piece;
    w += pw;
    i += n;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string TypeLabel(v1::FindingType t) {
  switch (t) {
    case v1::STOP_NOT_KEPT:
      return "停产未落实";
    case v1::LIMIT_EXCEEDED:
      return "限产超标";
    case v1::TREATMENT_OFF:
      return "治污设施未运行";
    case v1::TREATMENT_SILENT:
      return "治污电表无数据";
    case v1::DATA_GAP:
      return "数据缺失";
    case v1::NO_BASELINE:
      return "无基线";
    case v1::SUSPECTED_CLOCK_OFFSET:
      return "疑似时钟偏差";
    case v1::CEMS_TRANSMISSION_LOW:
      return "数据传输有效率不足";
    case v1::CEMS_SILENT_IN_WINDOW:
      return "停限产期间在线监测异常";
    case v1::CEMS_OVER_LIMIT:
      return "在线监测超标";
    case v1::CEMS_FLOW_IN_STOP:
      return "停产期间烟气流量未降";
    case v1::CEMS_SUSPECT_DATA:
      return "疑似数据造假";
    case v1::MATERIAL_BALANCE:
      return "物料衡算异常";
    default:
      return ChineseLabel(v1::FindingType_Name(t));
  }
}

int64_t Us(const google::protobuf::Timestamp& ts) { return absl::ToUnixMicros(FromTimestamp(ts)); }

}  // namespace

std::string FlagLabel(char flag) {
  switch (flag) {
    case 'N':
      return "N 正常";
    case 'F':
      return "F 停运";
    case 'M':
      return "M 维护";
    case 'S':
      return "S 手工输入";
    case 'D':
      return "D 故障";
    case 'C':
      return "C 校准";
    case 'T':
      return "T 超测上限";
    case 'B':
      return "B 通讯异常";
    default:
      return std::string(1, flag);
  }
}

LoadChart EvidenceChart(const v1::EvidenceSeries& e) {
  const v1::Finding& f = e.finding();
  LoadChart chart;
  const std::string id = f.name().substr(f.name().rfind('/') + 1);
  chart.title = absl::StrCat(TypeLabel(f.type()), "  ",
                             f.enterprise_name().empty() ? f.enterprise() : f.enterprise_name(),
                             "  问题编号 ", id);
  for (std::string& l : Wrap(f.summary(), 150)) chart.subtitle.push_back(std::move(l));
  std::string line = absl::StrCat("问题 ", f.name());
  if (!f.alert_document().empty()) absl::StrAppend(&line, "   预警文号 ", f.alert_document());
  if (!f.obligation().empty()) absl::StrAppend(&line, "   措施依据 ", f.obligation());
  for (std::string& l : Wrap(line, 150)) chart.subtitle.push_back(std::move(l));
  if (!e.baseline_method().empty()) {
    for (std::string& l :
         Wrap(absl::StrCat("基准负荷（第 ", e.baseline_version(), " 版）：", e.baseline_method()),
              150)) {
      chart.subtitle.push_back(std::move(l));
    }
  }
  if (!f.covered_by().empty()) chart.subtitle.push_back(f.covered_by());
  for (const v1::LoadPoint& p : e.load()) chart.load.push_back({Us(p.time()), p.kw()});
  const bool treatment = f.type() == v1::TREATMENT_OFF || f.type() == v1::TREATMENT_SILENT;
  chart.load_label = !e.load_label().empty() ? e.load_label() : treatment ? "治污设施负荷" : "负荷";
  for (const v1::LoadPoint& p : e.production_load()) chart.second.push_back({Us(p.time()), p.kw()});
  chart.second_label = e.second_label().empty() ? "生产负荷" : e.second_label();
  chart.baseline_kw = e.baseline_kw();
  if (e.baseline_version() > 0)
    chart.baseline_label = absl::StrCat("基准负荷（第 ", e.baseline_version(), " 版）");
  chart.threshold_kw = e.threshold_kw();
  chart.threshold_label = treatment ? "运行线" : "限值";
  // Issue 21: a monitoring point's or a ledger's series says its own unit and labels.
  if (!e.unit().empty()) chart.unit = e.unit();
  if (!e.baseline_label().empty()) chart.baseline_label = e.baseline_label();
  if (!e.threshold_label().empty()) chart.threshold_label = e.threshold_label();
  chart.bar_us = e.bar_seconds() * 1000000;
  for (const v1::FlaggedRange& r : e.flagged()) {
    chart.flagged.push_back(
        {Us(r.range().start()), Us(r.range().end()), r.flag().empty() ? '?' : r.flag()[0]});
  }
  chart.from_us = Us(e.from());
  chart.to_us = Us(e.to());
  if (f.has_obligation_window_start()) {
    chart.obligation_start_us = Us(f.obligation_window_start());
    chart.obligation_end_us = Us(f.obligation_window_end());
    // Grace counts from the obligation's own start.
    chart.grace_end_us = Us(f.obligation_start()) + int64_t{f.grace_minutes()} * 60 * 1000000;
    if (chart.grace_end_us <= chart.obligation_start_us) chart.grace_end_us = 0;
  }
  chart.window_start_us = Us(f.window_start());
  chart.window_end_us = Us(f.window_end());
  for (const v1::TimeRange& g : e.gaps()) chart.gaps.push_back({Us(g.start()), Us(g.end())});
  for (const v1::MeterEvent& ev : e.meter_events()) {
    chart.events.push_back(
        {Us(ev.time()),
         absl::StrCat(ev.kind() == v1::MeterEvent::METER_REPLACED ? "换表" : "表码清零", " → ",
                      ev.new_register(), " kWh")});
  }
  return chart;
}

std::string RenderSvg(const LoadChart& chart) {
  SvgCanvas svg(kWidth, Height(chart));
  Draw(svg, chart);
  return svg.Finish();
}

absl::Status WriteLoadChart(const LoadChart& chart, const std::string& path) {
  if (chart.to_us <= chart.from_us) {
    return absl::InvalidArgumentError("chart: the time range is empty");
  }
  const bool svg = absl::EndsWith(path, ".svg");
  if (!svg && !absl::EndsWith(path, ".png")) {
    return absl::InvalidArgumentError(absl::StrCat("--out: ", path, " must end in .svg or .png"));
  }
  if (svg) {
    std::ofstream out(path, std::ios::binary);
    out << RenderSvg(chart);
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
    return absl::OkStatus();
  }
  std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, kWidth, Height(chart)),
      cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat(
        "cannot create ", path, ": ", cairo_status_to_string(cairo_surface_status(surface.get()))));
  }
  {
    std::unique_ptr<cairo_t, void (*)(cairo_t*)> cr(cairo_create(surface.get()), cairo_destroy);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    CairoCanvas canvas(cr.get());
    Draw(canvas, chart);
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      return absl::InternalError(
          absl::StrCat("drawing ", path, ": ", cairo_status_to_string(cairo_status(cr.get()))));
    }
  }
  cairo_surface_flush(surface.get());
  cairo_status_t st = cairo_surface_write_to_png(surface.get(), path.c_str());
  if (st != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ", cairo_status_to_string(st)));
  }
  return absl::OkStatus();
}

}  // namespace cuofeng

namespace cuofeng {

double LoadChartWidth() { return kWidth; }
double LoadChartHeight(const LoadChart& chart) { return Height(chart); }

void DrawLoadChart(cairo_t* cr, const LoadChart& chart) {
  cairo_save(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, 0, 0, kWidth, Height(chart));
  cairo_fill(cr);
  CairoCanvas canvas(cr);
  Draw(canvas, chart);
  cairo_restore(cr);
}

}  // namespace cuofeng
