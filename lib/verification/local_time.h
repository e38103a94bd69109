// Times written without an offset ("2018-12-01 10:15"), read in the time
// zone their batch states. Meter platforms write local time, UTC or
// something else without saying so; ingest reads such times in the zone the
// sender names for the batch, China time when it names none, and says so.
#ifndef CUOFENG_LIB_VERIFICATION_LOCAL_TIME_H_
#define CUOFENG_LIB_VERIFICATION_LOCAL_TIME_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/model/time_syntax.h"

namespace cuofeng {

// kDefaultTimeZone is how offset-less times are read when a batch names no zone.
inline constexpr char kDefaultTimeZone[] = "Asia/Shanghai";

// BatchTimeZone is a batch's zone: "" (China time), "UTC"/"Z", a fixed
// offset "+08:00"/"-0500", or an IANA name ("Asia/Shanghai").
// INVALID_ARGUMENT naming the value otherwise.
struct BatchTimeZone {
  absl::TimeZone zone;
  std::string name;  // as the summary states it
};
absl::StatusOr<BatchTimeZone> ResolveTimeZone(const std::string& name);

// ParseLocalTime (lib/model/time_syntax.h) reads a batch's offset-less
// times in its zone.

}  // namespace cuofeng

#endif  // CUOFENG_LIB_VERIFICATION_LOCAL_TIME_H_
