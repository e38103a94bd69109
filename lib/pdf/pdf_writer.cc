#include "lib/pdf/pdf_writer.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {
namespace {

constexpr char kFont[] = "WenQuanYi Micro Hei";
constexpr double kMargin = 36;        // 12.7 mm
constexpr double kFooterHeight = 20;  // below the text area
constexpr double kCellPad = 3;

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

using Layout = std::unique_ptr<PangoLayout, void (*)(void*)>;

// One laid-out pass over the blocks; with `draw` false it only counts pages.
class Pass {
 public:
  Pass(cairo_t* cr, const PdfPageSetup& setup, double w, double h, int total, bool draw)
      : cr_(cr), setup_(setup), w_(w), h_(h), total_(total), draw_(draw) {
    y_ = kMargin;
  }

  void Run(const std::vector<PdfWriter::Block>& blocks) {
    for (const auto& b : blocks) {
      switch (b.kind) {
        case PdfWriter::Block::kTitle:
          Text(b.text, 16, true, PANGO_ALIGN_CENTER, 0, TextWidth());
          y_ += 6;
          break;
        case PdfWriter::Block::kHeading:
          y_ += 4;
          Text(b.text, 12, true, PANGO_ALIGN_LEFT, 0, TextWidth());
          y_ += 2;
          break;
        case PdfWriter::Block::kParagraph:
          Text(b.text, b.size, false, PANGO_ALIGN_LEFT, 0, TextWidth());
          y_ += 2;
          break;
        case PdfWriter::Block::kKeyValues: {
          PdfTable t;
          t.widths = {1, 3.5};
          for (const auto& [k, v] : b.pairs) t.rows.push_back({k, v});
          t.font_size = 9;
          DrawTable(t);
          break;
        }
        case PdfWriter::Block::kTable:
          DrawTable(b.table);
          break;
        case PdfWriter::Block::kDrawing:
          DrawPicture(b.drawing);
          break;
        case PdfWriter::Block::kSpace:
          y_ += b.size;
          break;
        case PdfWriter::Block::kBreak:
          NewPage();
          break;
      }
    }
    Footer();
  }

  int pages() const { return page_; }

 private:
  double TextWidth() const { return w_ - 2 * kMargin; }
  double Bottom() const { return h_ - kMargin - kFooterHeight; }

  Layout MakeLayout(const std::string& text, double size, bool bold, PangoAlignment align,
                    double width) {
    Layout layout(pango_cairo_create_layout(cr_), g_object_unref);
    PangoFontDescription* font = pango_font_description_new();
    pango_font_description_set_family(font, kFont);
    pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
    if (bold) pango_font_description_set_weight(font, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(layout.get(), font);
    pango_font_description_free(font);
    pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout.get(), align);
    pango_layout_set_text(layout.get(), text.c_str(), -1);
    return layout;
  }

  static double Height(PangoLayout* layout) {
    int w = 0, h = 0;
    pango_layout_get_size(layout, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }

  void Show(PangoLayout* layout, double x, double y) {
    if (!draw_) return;
    cairo_set_source_rgb(cr_, 0, 0, 0);
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, layout);
  }

  // A paragraph that does not fit on the page goes to the next one whole
  // (paragraphs here are short).
  void Text(const std::string& text, double size, bool bold, PangoAlignment align, double x,
            double width) {
    Layout layout = MakeLayout(text, size, bold, align, width);
    const double h = Height(layout.get());
    if (y_ + h > Bottom() && y_ > kMargin) NewPage();
    Show(layout.get(), kMargin + x, y_);
    y_ += h;
  }

  std::vector<double> ColumnWidths(const PdfTable& t) const {
    size_t n = t.header.empty() ? (t.rows.empty() ? 1 : t.rows.front().size()) : t.header.size();
    std::vector<double> rel = t.widths;
    rel.resize(n, rel.empty() ? 1.0 : rel.back());
    double sum = 0;
    for (double r : rel) sum += r;
    std::vector<double> out;
    for (double r : rel) out.push_back(TextWidth() * r / sum);
    return out;
  }

  double RowHeight(const std::vector<std::string>& cells, const std::vector<double>& widths,
                   double size, bool bold, std::vector<Layout>* layouts) {
    double h = 0;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string& text = c < cells.size() ? cells[c] : std::string();
      layouts->push_back(
          MakeLayout(text, size, bold, PANGO_ALIGN_LEFT, std::max(4.0, widths[c] - 2 * kCellPad)));
      h = std::max(h, Height(layouts->back().get()));
    }
    return h + 2 * kCellPad;
  }

  void DrawRow(std::vector<Layout>& layouts, const std::vector<double>& widths, double h,
               bool shaded) {
    if (draw_) {
      double x = kMargin;
      for (size_t c = 0; c < widths.size(); ++c) {
        if (shaded) {
          cairo_set_source_rgb(cr_, 0.9, 0.9, 0.9);
          cairo_rectangle(cr_, x, y_, widths[c], h);
          cairo_fill(cr_);
        }
        cairo_set_source_rgb(cr_, 0, 0, 0);
        cairo_set_line_width(cr_, 0.5);
        cairo_rectangle(cr_, x, y_, widths[c], h);
        cairo_stroke(cr_);
        Show(layouts[c].get(), x + kCellPad, y_ + kCellPad);
        x += widths[c];
      }
    }
    y_ += h;
  }

  void DrawTable(const PdfTable& t) {
    const std::vector<double> widths = ColumnWidths(t);
    auto header = [&] {
      if (t.header.empty()) return;
      std::vector<Layout> layouts;
      const double h = RowHeight(t.header, widths, t.font_size, true, &layouts);
      DrawRow(layouts, widths, h, true);
    };
    std::vector<Layout> probe;
    const double header_h =
        t.header.empty() ? 0 : RowHeight(t.header, widths, t.font_size, true, &probe);
    if (y_ + header_h + 3 * t.font_size > Bottom()) NewPage();
    header();
    for (const auto& row : t.rows) {
      std::vector<Layout> layouts;
      const double h = RowHeight(row, widths, t.font_size, false, &layouts);
      if (y_ + h > Bottom()) {
        NewPage();
        header();
      }
      DrawRow(layouts, widths, h, false);
    }
    y_ += 6;
  }

  void DrawPicture(const PdfDrawing& d) {
    if (d.width <= 0 || d.height <= 0) return;
    const double scale = TextWidth() / d.width;
    const double h = d.height * scale;
    if (y_ + h > Bottom()) NewPage();
    if (draw_) {
      cairo_save(cr_);
      cairo_translate(cr_, kMargin, y_);
      cairo_scale(cr_, scale, scale);
      d.draw(cr_);
      cairo_restore(cr_);
    }
    y_ += h + 6;
  }

  void Footer() {
    const std::string numbers =
        absl::StrCat("第 ", page_, " 页 共 ", total_ > 0 ? total_ : 0, " 页");
    Layout left = MakeLayout(setup_.footer, 7, false, PANGO_ALIGN_LEFT, TextWidth() * 0.75);
    Layout right = MakeLayout(numbers, 8, false, PANGO_ALIGN_RIGHT, TextWidth());
    Show(left.get(), kMargin, h_ - kMargin - 8);
    Show(right.get(), kMargin, h_ - kMargin - 8);
  }

  void NewPage() {
    Footer();
    if (draw_) cairo_show_page(cr_);
    ++page_;
    y_ = kMargin;
  }

  cairo_t* cr_;
  const PdfPageSetup& setup_;
  double w_, h_;
  int total_;
  bool draw_;
  double y_;
  int page_ = 1;
};

}  // namespace

namespace {
PdfWriter::Block MakeBlock(PdfWriter::Block::Kind kind, std::string text = "") {
  PdfWriter::Block b;
  b.kind = kind;
  b.text = std::move(text);
  return b;
}
}  // namespace

void PdfWriter::Title(const std::string& text) {
  blocks_.push_back(MakeBlock(Block::kTitle, text));
}
void PdfWriter::Heading(const std::string& text) {
  blocks_.push_back(MakeBlock(Block::kHeading, text));
}
void PdfWriter::Paragraph(const std::string& text, double size) {
  Block b = MakeBlock(Block::kParagraph, text);
  b.size = size;
  blocks_.push_back(std::move(b));
}
void PdfWriter::KeyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  Block b = MakeBlock(Block::kKeyValues);
  b.pairs = rows;
  blocks_.push_back(std::move(b));
}
void PdfWriter::Table(PdfTable table) {
  Block b = MakeBlock(Block::kTable);
  b.table = std::move(table);
  blocks_.push_back(std::move(b));
}
void PdfWriter::Drawing(PdfDrawing drawing) {
  Block b = MakeBlock(Block::kDrawing);
  b.drawing = std::move(drawing);
  blocks_.push_back(std::move(b));
}
void PdfWriter::Space(double points) {
  Block b = MakeBlock(Block::kSpace);
  b.size = points;
  blocks_.push_back(std::move(b));
}
void PdfWriter::PageBreak() { blocks_.push_back(MakeBlock(Block::kBreak)); }

absl::StatusOr<std::string> PdfWriter::Render(int* pages) const {
  double w = setup_.a3 ? 841.89 : 595.276, h = setup_.a3 ? 1190.55 : 841.89;
  if (setup_.landscape) std::swap(w, h);
  // First pass: count the pages (same layout, nothing drawn).
  int total = 0;
  {
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(nullptr, nullptr, w, h);
    cairo_t* cr = cairo_create(surface);
    Pass pass(cr, setup_, w, h, 0, false);
    pass.Run(blocks_);
    total = pass.pages();
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
  }
  std::string out;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(Append, &out, w, h);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "cuofeng");
  cairo_t* cr = cairo_create(surface);
  Pass pass(cr, setup_, w, h, total, true);
  pass.Run(blocks_);
  cairo_show_page(cr);
  const cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  const cairo_status_t surface_status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS || surface_status != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(absl::StrCat(
        "rendering the PDF: ",
        cairo_status_to_string(status != CAIRO_STATUS_SUCCESS ? status : surface_status)));
  }
  if (pages != nullptr) *pages = pass.pages();
  return out;
}

}  // namespace cuofeng
