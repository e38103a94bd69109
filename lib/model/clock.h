// The server's clock. Production reads the system clock; a replay of a past
// season (the demo, end-to-end tests) starts the clock at a chosen instant and
// lets it run forward from there, so that filing, alerts, obligations and the
// "not in the future" check on readings all agree on what "now" is.
#ifndef CUOFENG_LIB_MODEL_CLOCK_H_
#define CUOFENG_LIB_MODEL_CLOCK_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace cuofeng {

// Now is the current instant on the server's clock.
absl::Time Now();

// StartClockAt makes Now() return `start` at this moment and advance in real
// time from there. Call once at start-up, before serving.
void StartClockAt(absl::Time start);

// FromTimestamp and ToTimestamp convert between protobuf and absl instants.
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_MODEL_CLOCK_H_
