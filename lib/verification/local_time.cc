#include "lib/verification/local_time.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/model/time_syntax.h"

namespace cuofeng {

absl::StatusOr<BatchTimeZone> ResolveTimeZone(const std::string& raw) {
  const std::string name(absl::StripAsciiWhitespace(raw));
  if (name.empty()) {
    return BatchTimeZone{absl::FixedTimeZone(8 * 3600), "Asia/Shanghai（北京时间，默认）"};
  }
  if (name == "UTC" || name == "Z" || name == "utc")
    return BatchTimeZone{absl::UTCTimeZone(), "UTC"};
  if (name[0] == '+' || name[0] == '-') {
    int h = 0, m = 0;
    const bool colon = name.size() == 6 && name[3] == ':';
    if ((colon && FixedDigits(name, 1, 2, &h) && FixedDigits(name, 4, 2, &m)) ||
        (name.size() == 5 && FixedDigits(name, 1, 2, &h) && FixedDigits(name, 3, 2, &m)) ||
        (name.size() == 3 && FixedDigits(name, 1, 2, &h))) {
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
                   "\" 不是时区：应为 IANA 时区名（Asia/Shanghai）、UTC 或时差（+08:00）"));
}

}  // namespace cuofeng
