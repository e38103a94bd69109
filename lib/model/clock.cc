#include "lib/model/clock.h"

#include <atomic>

#include "absl/time/clock.h"

namespace cuofeng {
namespace {

// Offset from the system clock, in nanoseconds (0 in production).
std::atomic<int64_t> offset_ns{0};

}  // namespace

absl::Time Now() { return absl::Now() + absl::Nanoseconds(offset_ns.load(std::memory_order_relaxed)); }

void StartClockAt(absl::Time start) {
  offset_ns.store(absl::ToInt64Nanoseconds(start - absl::Now()), std::memory_order_relaxed);
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t ns = absl::ToUnixNanos(t);
  int64_t seconds = ns / 1000000000, nanos = ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(nanos));
  return ts;
}

}  // namespace cuofeng
