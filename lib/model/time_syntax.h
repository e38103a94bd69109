// The one syntax of times that people type (CLI flags, filters, monitoring
// CSV files): RFC 3339 (2018-12-02T10:00:00+08:00, ...Z) or China time
// (UTC+8) as YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS; a date alone
// is its midnight in China time.
#ifndef CUOFENG_LIB_MODEL_TIME_SYNTAX_H_
#define CUOFENG_LIB_MODEL_TIME_SYNTAX_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cuofeng {

// kTimeSyntaxHelp says in one line which times ParseTimeText reads.
extern const char kTimeSyntaxHelp[];

// ParseTimeText reads `text` in the syntax above; INVALID_ARGUMENT saying
// what is accepted when it is neither.
absl::StatusOr<absl::Time> ParseTimeText(absl::string_view text);

// ParseLocalTime reads "YYYY-MM-DD HH:MM[:SS[.ffffff]]" (or with a "T"),
// a wall-clock time with no offset, in `zone` into Unix microseconds; false
// when it is not such a time (or not a real date and time).
bool ParseLocalTime(const std::string& text, const absl::TimeZone& zone, int64_t* unix_us);

// FixedDigits reads the `n` ASCII digits of `s` at `pos` into `out`; false
// when `s` is too short or one of them is not a digit.
bool FixedDigits(const std::string& s, size_t pos, size_t n, int* out);

// ChinaTimeText writes `t` as "YYYY-MM-DD HH:MM" in China time (UTC+8).
std::string ChinaTimeText(absl::Time t);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_MODEL_TIME_SYNTAX_H_
