#include "lib/model/time_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {

const char kTimeSyntaxHelp[] =
    "RFC 3339 (2018-12-02T10:00:00+08:00) or China time YYYY-MM-DD[ HH:MM[:SS]]";

namespace {

const absl::TimeZone& ChinaZone() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

}  // namespace

absl::StatusOr<absl::Time> ParseTimeText(absl::string_view text) {
  const std::string s(absl::StripAsciiWhitespace(text));
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  // China time: a space or a T between date and time, no zone.
  for (const char* format :
       {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, s, ChinaZone(), &t, &err)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", s, "\" is not a time: give ", kTimeSyntaxHelp));
}

std::string ChinaTimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", t, ChinaZone());
}

}  // namespace cuofeng
