// ReadXlsx reads the cells of every sheet of an Office Open XML workbook
// (.xlsx, as Excel, WPS and LibreOffice save it): the zip container with
// minizip, the XML parts with expat (both Debian packages, maintained, and
// what libxlsxwriter's own siblings use). Shared strings, inline strings,
// numbers, booleans and formula results are read as the text a person sees
// in the cell (numbers in their shortest exact form); styles are ignored.
// Plain data in, rows out: no gRPC, no database.
#ifndef CUOFENG_LIB_XLSX_XLSX_READER_H_
#define CUOFENG_LIB_XLSX_XLSX_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cuofeng {

struct XlsxRow {
  int line = 0;                    // the row number Excel shows (1-based)
  std::vector<std::string> cells;  // column A first; missing cells are ""
};

struct XlsxSheet {
  std::string name;
  std::vector<XlsxRow> rows;  // rows with at least one non-empty cell, in order
};

// ReadXlsx reads the workbook in `bytes`, its sheets in workbook order.
// INVALID_ARGUMENT naming the part when the file is not a readable workbook.
absl::StatusOr<std::vector<XlsxSheet>> ReadXlsx(const std::string& bytes);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_XLSX_XLSX_READER_H_
