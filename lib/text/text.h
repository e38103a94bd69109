// Text rules in one place: what a string a caller sends may hold, how long
// it may be, and how input is quoted back in error messages.
//
// Every text field is UTF-8 (no overlong forms, no surrogates). Single-line
// fields (names, ids, codes, plates, display names) hold no control
// character at all; free-text fields (descriptions, notes, reasons, rule-set
// documents) may hold tab, line feed and carriage return but no other
// control character (NUL included). Nothing is ever truncated: a value that
// breaks a rule is refused with its field named. Limits count characters
// (code points), not bytes, and keep every value well inside PostgreSQL's
// index row size, so that a long value is INVALID_ARGUMENT, never a database
// error.
#ifndef CUOFENG_LIB_TEXT_TEXT_H_
#define CUOFENG_LIB_TEXT_TEXT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "lib/status/errors.h"

namespace cuofeng {

// Per-field limits, in characters.
inline constexpr size_t kMaxLineChars = 300;          // names, ids, codes, plates, display names
inline constexpr size_t kMaxFilterChars = 2000;       // AIP-160 filters
inline constexpr size_t kMaxFreeTextChars = 4000;     // descriptions, notes, reasons, comments
inline constexpr size_t kMaxDocumentChars = 1 << 20;  // a rule set in protobuf text format
// A line of a CSV file the CLI reads, in bytes; a longer line is one
// rejected row (named by file and line), the rest of the file is read on.
inline constexpr size_t kMaxCsvLineBytes = 64 * 1024;
// How many characters of an input an error message quotes.
inline constexpr size_t kQuoteChars = 60;

// TextRule is what a field may hold.
struct TextRule {
  size_t max_chars = kMaxLineChars;
  bool multiline = false;  // tab, LF and CR allowed
};

// RuleForField is the rule of a proto field, by its name: `text` (a rule-set
// document), free text (description, note, comment, explanation, detail,
// summary, safety_measure, document, other and any *reason), `filter`, and
// single-line text for everything else.
TextRule RuleForField(absl::string_view field_name);

// FirstInvalidUtf8 returns the byte offset of the first byte that does not
// start a well-formed UTF-8 sequence, or npos when `s` is all UTF-8.
size_t FirstInvalidUtf8(absl::string_view s);

// Utf8Chars counts the characters of UTF-8 `s` (an invalid byte counts as one).
size_t Utf8Chars(absl::string_view s);

// TextProblem says what is wrong with `value` under `rule` ("" when nothing
// is), in Chinese: "不是 UTF-8 编码（第 12 个字符处的字节 0xFF）", "第 3 个字符是控制
// 字符（U+0000）", "长 5,000 个字符，最多 300 个".
// The field's name is the caller's to add.
std::string TextProblem(absl::string_view value, const TextRule& rule);

// CheckText is TextProblem as a list of violations of `field` (empty when fine).
void CheckText(absl::string_view field, absl::string_view value, const TextRule& rule,
               std::vector<FieldViolation>* violations);

// ValidateTextFields applies RuleForField to every string field of `msg`,
// nested messages and repeated fields included (bytes fields and
// `request_id`, checked at the call edge, are left out). Violations name the
// field path ("enterprise.display_name", "changes[2]").
std::vector<FieldViolation> ValidateTextFields(const google::protobuf::Message& msg);

// Quote returns `s` for an error message: in double quotes, at most
// `max_chars` characters, control characters and bytes that are not UTF-8
// written as escapes (\n, \x00), and a note of the full length when cut:
// "abc…" (12,345 bytes). Always valid UTF-8, whatever `s` holds.
std::string Quote(absl::string_view s, size_t max_chars = kQuoteChars);

// Printable is Quote without the quotes and the length note: `s` made safe
// to echo (valid UTF-8, no control characters), cut at `max_chars` with "…".
std::string Printable(absl::string_view s, size_t max_chars = kQuoteChars);

// LineAndColumn returns the 1-based line and character column of byte
// `offset` in `text` (lines end at LF).
void LineAndColumn(absl::string_view text, size_t offset, int64_t* line, int64_t* column);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_TEXT_TEXT_H_
