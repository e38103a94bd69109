#include "lib/model/time_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {

const char kTimeSyntaxHelp[] =
    "RFC 3339（2018-12-02T10:00:00+08:00）或北京时间 YYYY-MM-DD[ HH:MM[:SS]]";

namespace {

const absl::TimeZone& ChinaZone() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

}  // namespace

bool FixedDigits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

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
  return absl::InvalidArgumentError(absl::StrCat("\"", s, "\" 不是时间：应为 ", kTimeSyntaxHelp));
}

bool ParseLocalTime(const std::string& raw, const absl::TimeZone& zone, int64_t* unix_us) {
  const std::string s(absl::StripAsciiWhitespace(raw));
  int y, mo, d, h, mi, sec = 0;
  if (s.size() < 16 || !FixedDigits(s, 0, 4, &y) || s[4] != '-' || !FixedDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !FixedDigits(s, 8, 2, &d) || (s[10] != ' ' && s[10] != 'T') ||
      !FixedDigits(s, 11, 2, &h) || s[13] != ':' || !FixedDigits(s, 14, 2, &mi)) {
    return false;
  }
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!FixedDigits(s, 17, 2, &sec)) return false;
    pos = 19;
  }
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  if (pos != s.size()) return false;
  const absl::CivilSecond cs(y, mo, d, h, mi, sec);
  if (cs.year() != y || cs.month() != mo || cs.day() != d || cs.hour() != h || cs.minute() != mi ||
      cs.second() != sec) {
    return false;  // normalised: not a real date or time
  }
  *unix_us = absl::ToUnixMicros(absl::FromCivil(cs, zone)) + micros;
  return true;
}

std::string ChinaTimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", t, ChinaZone());
}

}  // namespace cuofeng
