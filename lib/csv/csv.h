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

// LineDecoder reads a file line by line in the file's encoding: a leading
// UTF-8 BOM is dropped; a file whose first line that is not ASCII is valid
// UTF-8 is UTF-8 throughout; one whose first such line is not UTF-8 but is
// GB18030 (what Excel writes on Chinese Windows) is GB18030 throughout.
// A line that breaks the file's encoding is an INVALID_ARGUMENT error
// naming the column ("column 7: byte 0xFF is not UTF-8 ..."), and the next
// line is read on: the caller decides what a bad line costs.
class LineDecoder {
 public:
  LineDecoder();
  ~LineDecoder();
  LineDecoder(const LineDecoder&) = delete;
  LineDecoder& operator=(const LineDecoder&) = delete;

  // Decode returns one line (without its line end) as UTF-8.
  absl::StatusOr<std::string> Decode(absl::string_view line);
  // encoding is "UTF-8" or "GB18030", as far as the lines so far tell.
  const char* encoding() const;
  // bad_offset is the byte offset in the line of the last failed Decode.
  size_t bad_offset() const { return bad_offset_; }

 private:
  absl::StatusOr<std::string> FromGb18030(absl::string_view line);

  enum { kUnknown, kUtf8, kGb18030 } encoding_ = kUnknown;
  bool first_ = true;
  bool bom_ = false;
  size_t bad_offset_ = 0;
  void* cd_ = nullptr;  // iconv_t
};

// DecodeToUtf8 returns `bytes` as UTF-8, read with a LineDecoder. Fails with
// INVALID_ARGUMENT naming the line and column of the first byte that is
// neither ("line 12, column 4: byte 0xFF is not UTF-8 nor GB18030; ...").
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
