#include "lib/model/identifiers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/status/status_matchers.h"

namespace cuofeng {
namespace {

using ::cuofeng::testing::IsOk;
using ::cuofeng::testing::StatusIs;
using ::testing::HasSubstr;

TEST(UsccTest, AcceptsPublishedExampleAndGeneratedCodes) {
  EXPECT_THAT(ValidateUscc("91350100M000100Y43"), IsOk());
  EXPECT_THAT(ValidateUscc("91110000600037341L"), IsOk());
  EXPECT_EQ(UsccCheckCharacter("91120225MA05K1234"), '9');
}

TEST(UsccTest, RejectsWrongCheckCharacterAndSaysTheRightOne) {
  EXPECT_THAT(ValidateUscc("91350100M000100Y44"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("应为 '3'")));
}

TEST(UsccTest, RejectsLengthAndForbiddenLetters) {
  EXPECT_THAT(ValidateUscc("91350100M000100Y4"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("须为 18 位")));
  // I, O, S, V, Z are not in the GB 32100-2015 alphabet.
  EXPECT_THAT(ValidateUscc("91350100M0001O0Y43"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("第 14 位 'O'")));
  EXPECT_THAT(ValidateUscc("91350100m000100Y43"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UsccTest, DivisionCodeMustBeDigits) {
  std::string first17 = "91A50100M000100Y4";
  // Even with a matching check character the division code must be digits.
  EXPECT_THAT(ValidateUscc(first17 + UsccCheckCharacter(first17)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("行政区划代码")));
}

TEST(IndustryCodeTest, Shapes) {
  EXPECT_THAT(ValidateIndustryCode("C3021"), IsOk());
  EXPECT_THAT(ValidateIndustryCode("3021"), IsOk());
  EXPECT_THAT(ValidateIndustryCode("30"), IsOk());
  EXPECT_THAT(ValidateIndustryCode("D4430"), IsOk());
  EXPECT_THAT(ValidateIndustryCode("C30211"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateIndustryCode("Z3021"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateIndustryCode("C3"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateIndustryCode(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DateTest, CalendarDates) {
  EXPECT_THAT(ValidateDate("2018-12-31"), IsOk());
  EXPECT_THAT(ValidateDate("2020-02-29"), IsOk());
  EXPECT_THAT(ValidateDate("2019-02-29"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateDate("2018-13-01"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateDate("2018/12/31"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateDate("18-12-31"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ResourceIdTest, Aip122Shape) {
  EXPECT_THAT(ValidateResourceId("e10001"), IsOk());
  EXPECT_THAT(ValidateResourceId("line-1"), IsOk());
  EXPECT_THAT(ValidateResourceId("Line1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateResourceId("-x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateResourceId("x_y"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateResourceId(std::string(64, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateDistrictCode("120119"), IsOk());
  EXPECT_THAT(ValidateDistrictCode("12011"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ResourceIdTest, ExplainsTheShapeInChinese) {
  EXPECT_THAT(ValidateResourceId("Bad Id!"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("标识 \"Bad Id!\" 不合规：须为 1—63 个小写字母、数字或连字符")));
  EXPECT_THAT(ValidateDistrictCode("12011"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("区县标识 \"12011\" 不合规：须为 6 位行政区划代码")));
}

}  // namespace
}  // namespace cuofeng
