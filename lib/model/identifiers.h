// Identifier and value shapes of the registry, as laid down by the national
// standards the bureaus' spreadsheets follow. No I/O, no gRPC, no database.
#ifndef CUOFENG_LIB_MODEL_IDENTIFIERS_H_
#define CUOFENG_LIB_MODEL_IDENTIFIERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cuofeng {

// ValidateUscc checks a 统一社会信用代码 against GB 32100-2015: 18 characters
// from 0-9 and A-Z without I, O, S, V, Z; characters 3–8 a division code of
// digits; the 18th the check character of the first 17. The error message
// says what is wrong in words a clerk understands.
absl::Status ValidateUscc(absl::string_view uscc);

// UsccCheckCharacter returns the GB 32100-2015 check character for the first
// 17 characters, or '\0' if one of them is not in the code's character set.
char UsccCheckCharacter(absl::string_view first17);

// ValidateIndustryCode checks the shape of a GB/T 4754-2017 code: an optional
// section letter A–T followed by 2 to 4 digits (e.g. C3021, 3021, 30).
absl::Status ValidateIndustryCode(absl::string_view code);

// CanonicalIndustryCode writes a GB/T 4754-2017 code the one way the
// registry stores it: the section letter of its division, then the digits
// ("3031" and "c3031" become "C3031"). INVALID_ARGUMENT if the shape is
// wrong, the division does not exist, or the letter given is not the
// division's section ("D3031").
absl::StatusOr<std::string> CanonicalIndustryCode(absl::string_view code);

// ValidateDate checks a calendar date written YYYY-MM-DD.
absl::Status ValidateDate(absl::string_view date);

// ValidateResourceId checks a resource id segment (AIP-122): 1–63 lowercase
// letters, digits and hyphens, starting and ending with a letter or digit.
absl::Status ValidateResourceId(absl::string_view id);

// ValidateDistrictCode checks a 6-digit administrative division code.
absl::Status ValidateDistrictCode(absl::string_view code);

// EnterpriseOf is the enterprise a resource lies under
// (districts/{d}/enterprises/{e}), or `name` itself when it lies under none.
std::string EnterpriseOf(absl::string_view name);

// NormalizePlate writes a plate (车牌号) the way cameras and ledgers are
// matched: without spaces and hyphens, Latin letters upper case.
std::string NormalizePlate(absl::string_view plate);

}  // namespace cuofeng

#endif  // CUOFENG_LIB_MODEL_IDENTIFIERS_H_
