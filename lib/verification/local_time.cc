#include "lib/verification/local_time.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cuofeng {
namespace {

bool Digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<BatchTimeZone> ResolveTimeZone(const std::string& raw) {
  const std::string name(absl::StripAsciiWhitespace(raw));
  if (name.empty()) {
    return BatchTimeZone{absl::FixedTimeZone(8 * 3600), "Asia/Shanghai (China time, the default)"};
  }
  if (name == "UTC" || name == "Z" || name == "utc")
    return BatchTimeZone{absl::UTCTimeZone(), "UTC"};
  if (name[0] == '+' || name[0] == '-') {
    int h = 0, m = 0;
    const bool colon = name.size() == 6 && name[3] == ':';
    if ((colon && Digits(name, 1, 2, &h) && Digits(name, 4, 2, &m)) ||
        (name.size() == 5 && Digits(name, 1, 2, &h) && Digits(name, 3, 2, &m)) ||
        (name.size() == 3 && Digits(name, 1, 2, &h))) {
      if (h <= 14 && m < 60) {
        const int sign = name[0] == '-' ? -1 : 1;
        return BatchTimeZone{absl::FixedTimeZone(sign * (h * 3600 + m * 60)),
                             absl::StrCat("UTC", name)};
      }
    }
  } else {
    absl::TimeZone tz;
    if (absl::LoadTimeZone(name, &tz)) {
      return BatchTimeZone{tz, name};
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("time_zone: \"", name,
                   "\" is neither an IANA zone (Asia/Shanghai), UTC nor an offset (+08:00)"));
}

}  // namespace cuofeng
