// The CSV reader (lib/csv): decoding to UTF-8 and splitting into records.
// Invariants: what DecodeToUtf8 returns is UTF-8 and leaves UTF-8 input as it
// is (less a BOM); a text that parses formats (FormatCsvRow) and parses back
// to the same cells, row for row; errors are INVALID_ARGUMENT.
#include <cstddef>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/csv/csv.h"
#include "tests/fuzz/fuzz_check.h"

namespace cuofeng {
namespace {

std::string Show(const std::vector<CsvRow>& rows) {
  std::string out;
  for (const CsvRow& r : rows) {
    absl::StrAppend(&out, r.line, ":");
    for (const std::string& c : r.cells) absl::StrAppend(&out, " [", absl::CHexEscape(c), "]");
    out += "\n";
  }
  return out;
}

void RoundTrip(absl::string_view text) {
  auto rows = ParseCsv(text);
  if (!rows.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(rows.status()), rows.status().ToString());
    return;
  }
  int last_line = 0;
  std::string formatted;
  for (const CsvRow& r : *rows) {
    FUZZ_CHECK(r.line > last_line, absl::StrCat("line ", r.line, " after ", last_line));
    last_line = r.line;
    FUZZ_CHECK(!r.cells.empty(), absl::StrCat("a record with no cells at line ", r.line));
    formatted += FormatCsvRow(r.cells);
  }
  // regressions/csv/lone_empty_cell: a record that is one empty cell (`""`)
  // must not vanish.
  const std::vector<CsvRow>& expected = *rows;
  auto again = ParseCsv(formatted);
  FUZZ_CHECK(again.ok(), absl::StrCat("formatted rows do not parse: ", again.status().ToString(),
                                      "\n  formatted: ", absl::CHexEscape(formatted)));
  bool same = again->size() == expected.size();
  for (size_t i = 0; same && i < expected.size(); ++i) {
    same = (*again)[i].cells == expected[i].cells;
  }
  FUZZ_CHECK(same, absl::StrCat("parse(format(rows)) != rows\n  input: ", absl::CHexEscape(text),
                                "\n  first:\n", Show(*rows), "  again:\n", Show(*again)));
}

}  // namespace
}  // namespace cuofeng

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cuofeng;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto text = DecodeToUtf8(bytes);
  if (text.ok()) {
    FUZZ_CHECK(IsValidUtf8(*text), "DecodeToUtf8 returned bytes that are not UTF-8");
    if (IsValidUtf8(bytes)) {
      absl::string_view expected = bytes;
      if (absl::StartsWith(expected, "\xEF\xBB\xBF")) expected.remove_prefix(3);
      FUZZ_CHECK(*text == expected, "DecodeToUtf8 changed UTF-8 input");
    }
    RoundTrip(*text);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(text.status()), text.status().ToString());
  }
  // The CLI's monitoring files hand raw lines to ParseCsv, so raw bytes too.
  if (!text.ok() || *text != bytes) RoundTrip(bytes);
  return 0;
}
