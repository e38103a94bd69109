// absl::Status at the gRPC edge: the right code, a clerk-readable message,
// and google.rpc.BadRequest / google.rpc.ErrorInfo details in the
// grpc-status-details-bin trailer.
#ifndef CUOFENG_LIB_RPC_STATUS_H_
#define CUOFENG_LIB_RPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace cuofeng {

// ToGrpcStatus converts `status`, packing its field violations as
// google.rpc.BadRequest and its reason as google.rpc.ErrorInfo.
grpc::Status ToGrpcStatus(const absl::Status& status);

// FromGrpcStatus converts a client-side status back, keeping the field
// violations and reason from the details trailer.
absl::Status FromGrpcStatus(const grpc::Status& status);

// StatusCodeName returns "OK", "INVALID_ARGUMENT", ... for audit rows.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_STATUS_H_
