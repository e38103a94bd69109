// absl::Status at the gRPC edge: the right code, a clerk-readable message,
// and google.rpc.BadRequest / google.rpc.ErrorInfo details in the
// grpc-status-details-bin trailer.
#ifndef CUOFENG_LIB_RPC_STATUS_H_
#define CUOFENG_LIB_RPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

// ToGrpcStatus converts `status`, packing its field violations as
// google.rpc.BadRequest and its reason as google.rpc.ErrorInfo. The message
// (1 KiB) and each violation (512 bytes) are cut, and the details kept under
// 16 KiB, so no trailer grows with the input.
grpc::Status ToGrpcStatus(const absl::Status& status);

// BoundedText is `text` cut to at most `max_bytes` at a UTF-8 character
// boundary, marked "… (cut)" when it was cut.
std::string BoundedText(absl::string_view text, size_t max_bytes);

// kMaxStatusMessageBytes bounds every status message the servers send.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// FromGrpcStatus converts a client-side status back, keeping the field
// violations and reason from the details trailer.
absl::Status FromGrpcStatus(const grpc::Status& status);

// StatusCodeName returns "OK", "INVALID_ARGUMENT", ... for audit rows.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_STATUS_H_
