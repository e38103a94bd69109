// Helpers shared by the workbooks of lib/documents: libxlsxwriter (1.1.4 in
// Debian 12) writes only to a file, so a workbook is written to a private
// temporary file, read back and the file removed.
#ifndef CUOFENG_LIB_DOCUMENTS_XLSX_BYTES_H_
#define CUOFENG_LIB_DOCUMENTS_XLSX_BYTES_H_

#include <xlsxwriter.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cuofeng {

// XlsxBytes creates a workbook, lets `fill` write it and returns its bytes.
absl::StatusOr<std::string> XlsxBytes(const std::function<absl::Status(lxw_workbook*)>& fill);

// DisplayWidth is the width of `text` in Excel's character units (a CJK
// character counts two), for column widths and row heights.
double DisplayWidth(const std::string& text);

// WrappedLines is how many lines `text` takes in a column `width` wide.
int WrappedLines(const std::string& text, double width);

// PrintSetup sets a sheet to print landscape on A3 (or A4), fitted to the
// page width, with `repeat_row` repeated on every page (-1: none) and a
// footer with `footer` and 第 &P 页 共 &N 页.
void PrintSetup(lxw_worksheet* ws, bool a3, int repeat_row, const std::string& footer,
                bool one_page = false);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_DOCUMENTS_XLSX_BYTES_H_
