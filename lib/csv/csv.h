// CSV as bureaus keep it: RFC 4180 quoting (quotes, embedded commas and
// newlines), an optional UTF-8 byte-order mark, and GB18030, which Excel
// writes on Chinese Windows. No I/O: callers pass and receive bytes.
#ifndef CUOFENG_LIB_CSV_CSV_H_
#define CUOFENG_LIB_CSV_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

// CsvRow is one record and the 1-based line on which it starts.
struct CsvRow {
  int line = 0;
  std::vector<std::string> cells;
};

// DecodeToUtf8 returns `bytes` as UTF-8: a leading UTF-8 BOM is dropped,
// valid UTF-8 is kept as is, anything else is decoded as GB18030. Fails with
// INVALID_ARGUMENT when the bytes are neither.
absl::StatusOr<std::string> DecodeToUtf8(absl::string_view bytes);

// IsValidUtf8 says whether `s` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view s);

// ParseCsv splits UTF-8 `text` into records. Blank lines are skipped, cells
// keep their inner spaces, CRLF and LF both end a record. A quote that is
// never closed, or text after a closing quote, is an INVALID_ARGUMENT error
// naming the line and column.
absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text);

// FormatCsvRow writes one record, quoting cells that hold a comma, a quote,
// a newline or leading/trailing space, and ends it with '\n'.
std::string FormatCsvRow(const std::vector<std::string>& cells);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_CSV_CSV_H_
