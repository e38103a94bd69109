// ForwardCaller prepares a call that a handler makes to another service on
// behalf of its own caller: the caller's key travels on (the other service
// checks it again), and so does the caller's deadline, capped at `cap` from
// now, so a nested call never outlives the call that made it.
#ifndef CUOFENG_LIB_RPC_FORWARD_H_
#define CUOFENG_LIB_RPC_FORWARD_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cuofeng {

inline void ForwardCaller(const grpc::ServerContextBase& in, grpc::ClientContext* out,
                          absl::Duration cap) {
  auto auth = in.client_metadata().find("authorization");
  if (auth != in.client_metadata().end()) {
    out->AddMetadata("authorization", std::string(auth->second.data(), auth->second.size()));
  }
  const absl::Time capped = absl::Now() + cap;
  const auto theirs = in.deadline();
  absl::Time deadline = capped;
  if (theirs != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(theirs));
  }
  out->set_deadline(absl::ToChronoTime(deadline));
}

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_FORWARD_H_
