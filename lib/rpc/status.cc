#include "lib/rpc/status.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

// The status message and details travel as trailers, which clients bound
// (8-16 KiB by default in most gRPC libraries): a message quotes at most
// kMaxMessageBytes, each violation's description kMaxDescriptionBytes, and
// all of them together stay under kMaxDetailBytes, whatever the input was.
constexpr size_t kMaxMessageBytes = kMaxStatusMessageBytes;
constexpr size_t kMaxFieldBytes = 200;
constexpr size_t kMaxDescriptionBytes = 512;
constexpr size_t kMaxDetailBytes = 16 << 10;

}  // namespace

std::string BoundedText(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  static constexpr char kMore[] = "… (cut)";
  size_t keep = max_bytes > sizeof(kMore) ? max_bytes - (sizeof(kMore) - 1) : 0;
  // Back up to the start of a UTF-8 character.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return absl::StrCat(text.substr(0, keep), kMore);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  const std::string message = BoundedText(status.message(), kMaxMessageBytes);
  rich.set_message(message);
  std::vector<FieldViolation> violations = FieldViolations(status);
  if (!violations.empty()) {
    google::rpc::BadRequest bad;
    size_t bytes = 0;
    for (size_t i = 0; i < violations.size(); ++i) {
      const FieldViolation& v = violations[i];
      const std::string field = BoundedText(v.field, kMaxFieldBytes);
      const std::string description = BoundedText(v.description, kMaxDescriptionBytes);
      bytes += field.size() + description.size() + 8;
      if (bytes > kMaxDetailBytes) {
        auto* more = bad.add_field_violations();
        more->set_field("(more)");
        more->set_description(absl::StrCat(violations.size() - i, " more problems not listed"));
        break;
      }
      auto* fv = bad.add_field_violations();
      fv->set_field(field);
      fv->set_description(description);
    }
    rich.add_details()->PackFrom(bad);
  }
  std::string reason = BoundedText(ErrorReason(status), kMaxFieldBytes);
  if (!reason.empty()) {
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain("cuofeng");
    rich.add_details()->PackFrom(info);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
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
