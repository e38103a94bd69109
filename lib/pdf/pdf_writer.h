// PdfWriter lays out a printable document (titles, paragraphs, key/value
// blocks, tables whose header repeats on every page, drawings) on A4 or A3
// pages, portrait or landscape, and renders it to PDF with cairo. Text is
// laid out by pango with a CJK font (WenQuanYi Micro Hei), so Chinese wraps
// properly and stays selectable text in the PDF. Every page carries a footer
// with the document's own line and 第 n 页 共 m 页. Plain data in, bytes out.
#ifndef CUOFENG_LIB_PDF_PDF_WRITER_H_
#define CUOFENG_LIB_PDF_PDF_WRITER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

typedef struct _cairo cairo_t;

namespace cuofeng {

struct PdfPageSetup {
  bool a3 = false;
  bool landscape = false;
  // Left part of every page's footer, e.g. the document's title and hash.
  std::string footer;
};

// PdfTable is a table: column titles and relative widths, rows of cells.
// A row never splits across pages; the header repeats on each page.
struct PdfTable {
  std::vector<std::string> header;
  std::vector<double> widths;  // relative; empty: equal
  std::vector<std::vector<std::string>> rows;
  double font_size = 8;
};

// PdfDrawing is a picture drawn by `draw` in its own units (width x height),
// scaled to the text width (e.g. an evidence chart).
struct PdfDrawing {
  double width = 0, height = 0;
  std::function<void(cairo_t*)> draw;
};

class PdfWriter {
 public:
  explicit PdfWriter(PdfPageSetup setup) : setup_(std::move(setup)) {}

  void Title(const std::string& text);    // centred, large
  void Heading(const std::string& text);  // bold, left
  void Paragraph(const std::string& text, double size = 10);
  void KeyValues(const std::vector<std::pair<std::string, std::string>>& rows);
  void Table(PdfTable table);
  void Drawing(PdfDrawing drawing);
  void Space(double points);
  void PageBreak();

  // Render lays the blocks out and returns the PDF; `pages` (if set) gets
  // the page count. INTERNAL if cairo fails.
  absl::StatusOr<std::string> Render(int* pages = nullptr) const;

  struct Block {
    enum Kind { kTitle, kHeading, kParagraph, kKeyValues, kTable, kDrawing, kSpace, kBreak };
    Kind kind = kSpace;
    std::string text;
    double size = 10;
    std::vector<std::pair<std::string, std::string>> pairs;
    PdfTable table;
    PdfDrawing drawing;
  };

 private:
  PdfPageSetup setup_;
  std::vector<Block> blocks_;
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_PDF_PDF_WRITER_H_
