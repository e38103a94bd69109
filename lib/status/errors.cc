#include "lib/status/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cuofeng {
namespace {

constexpr char kViolationsUrl[] = "cuofeng/field_violations";
constexpr char kReasonUrl[] = "cuofeng/reason";
constexpr int kViolationsInMessage = 5;

}  // namespace

absl::Status InvalidArgumentWithViolations(std::vector<FieldViolation> violations) {
  std::string message;
  std::string payload;
  for (size_t i = 0; i < violations.size(); ++i) {
    const FieldViolation& v = violations[i];
    if (i < kViolationsInMessage) {
      absl::StrAppend(&message, i == 0 ? "" : "; ", v.field, ": ", v.description);
    }
    // Fields and descriptions never hold NUL, so it separates them.
    absl::StrAppend(&payload, v.field, std::string(1, '\0'), v.description, std::string(1, '\0'));
  }
  if (violations.size() > kViolationsInMessage) {
    absl::StrAppend(&message, "; and ", violations.size() - kViolationsInMessage, " more");
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kViolationsUrl, absl::Cord(payload));
  return status;
}

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kViolationsUrl);
  if (!payload.has_value()) return out;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), '\0');
  for (size_t i = 0; i + 1 < parts.size(); i += 2) out.push_back({parts[i], parts[i + 1]});
  return out;
}

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonUrl, absl::Cord(reason));
  return status;
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonUrl);
  return payload.has_value() ? std::string(*payload) : std::string();
}

}  // namespace cuofeng
