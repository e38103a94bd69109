// Rich errors carried inside absl::Status: the field violations and the
// stable reason that the gRPC edge turns into google.rpc.BadRequest and
// google.rpc.ErrorInfo. No proto here: the payload is a private encoding.
#ifndef CUOFENG_LIB_STATUS_ERRORS_H_
#define CUOFENG_LIB_STATUS_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

// FieldViolation names the field at fault (a field path such as
// "enterprise.uscc", or "enterprises.csv:12:4" for an import cell) and why.
struct FieldViolation {
  std::string field;
  std::string description;
};

// InvalidArgumentWithViolations makes an INVALID_ARGUMENT status whose
// message lists the first violations and which carries all of them.
absl::Status InvalidArgumentWithViolations(std::vector<FieldViolation> violations);

// FieldViolations returns the violations carried by `status` (none if it
// carries none).
std::vector<FieldViolation> FieldViolations(const absl::Status& status);

// WithReason attaches a stable machine-readable reason (ErrorInfo.reason),
// e.g. "ETAG_MISMATCH", to `status`.
absl::Status WithReason(absl::Status status, absl::string_view reason);

// ErrorReason returns the reason attached by WithReason, or "".
std::string ErrorReason(const absl::Status& status);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_STATUS_ERRORS_H_
