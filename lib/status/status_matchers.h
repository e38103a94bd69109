// GoogleTest matchers for absl::Status and absl::StatusOr (not in Debian's
// Abseil 20220623): IsOk() and StatusIs(code[, message_matcher]).
#ifndef CUOFENG_LIB_STATUS_STATUS_MATCHERS_H_
#define CUOFENG_LIB_STATUS_STATUS_MATCHERS_H_

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace cuofeng {
namespace testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// IsOk() matches an OK Status or a StatusOr holding a value.
MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

// StatusIs(code) / StatusIs(code, message_matcher) matches the code and,
// optionally, the message.
MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && ::testing::Matcher<std::string>(message_matcher)
                                 .MatchAndExplain(std::string(s.message()), result_listener);
}

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_LIB_STATUS_STATUS_MATCHERS_H_
