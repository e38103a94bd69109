#include "lib/rpc/status.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

// The details trailer must stay within what clients accept as metadata;
// cuofeng's own clients allow 1 MiB, others default to 8-16 KiB.
constexpr size_t kMaxDetailBytes = 256 << 10;

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(std::string(status.message()));
  std::vector<FieldViolation> violations = FieldViolations(status);
  if (!violations.empty()) {
    google::rpc::BadRequest bad;
    size_t bytes = 0;
    for (size_t i = 0; i < violations.size(); ++i) {
      const FieldViolation& v = violations[i];
      bytes += v.field.size() + v.description.size() + 8;
      if (bytes > kMaxDetailBytes) {
        auto* more = bad.add_field_violations();
        more->set_field("(more)");
        more->set_description(absl::StrCat(violations.size() - i, " more problems not listed"));
        break;
      }
      auto* fv = bad.add_field_violations();
      fv->set_field(v.field);
      fv->set_description(v.description);
    }
    rich.add_details()->PackFrom(bad);
  }
  std::string reason = ErrorReason(status);
  if (!reason.empty()) {
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain("cuofeng");
    rich.add_details()->PackFrom(info);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      rich.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rich;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) return out;
  std::string reason;
  for (const auto& any : rich.details()) {
    google::rpc::BadRequest bad;
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&bad)) {
      std::vector<FieldViolation> violations;
      for (const auto& fv : bad.field_violations()) {
        violations.push_back({fv.field(), fv.description()});
      }
      absl::Status with = InvalidArgumentWithViolations(std::move(violations));
      out.SetPayload("cuofeng/field_violations", *with.GetPayload("cuofeng/field_violations"));
    } else if (any.UnpackTo(&info)) {
      reason = info.reason();
    }
  }
  return reason.empty() ? out : WithReason(out, reason);
}

std::string StatusCodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

}  // namespace cuofeng
