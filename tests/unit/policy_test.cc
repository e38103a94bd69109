#include "lib/auth/policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/status/status_matchers.h"

namespace cuofeng {
namespace {

using ::cuofeng::testing::IsOk;
using ::cuofeng::testing::StatusIs;

const Principal kBureau{"apiKeys/b", Role::kBureau, "districts/120119"};
const Principal kEnterprise{"apiKeys/e", Role::kEnterprise, "districts/120119/enterprises/e1"};
const Principal kVerifier{"apiKeys/v", Role::kVerifier, "districts/120119"};
const Principal kCity{"apiKeys/c", Role::kCity, ""};
const Principal kService{"apiKeys/s", Role::kService, ""};
const Principal kAdmin{"apiKeys/a", Role::kAdmin, ""};

TEST(PolicyTest, BureauReadsAndWritesOnlyItsDistrict) {
  EXPECT_THAT(Authorize(kBureau, Action::kWrite, "districts/120119/enterprises/e1"), IsOk());
  EXPECT_THAT(Authorize(kBureau, Action::kRead, "districts/120119"), IsOk());
  EXPECT_THAT(Authorize(kBureau, Action::kWrite, "districts/120101/enterprises/e1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A prefix that is not a path prefix does not count.
  EXPECT_THAT(Authorize(kBureau, Action::kRead, "districts/1201190"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Authorize(kBureau, Action::kAdminister, "apiKeys"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, EnterpriseReadsOnlyItself) {
  EXPECT_THAT(Authorize(kEnterprise, Action::kRead, "districts/120119/enterprises/e1/lines/l1"),
              IsOk());
  EXPECT_THAT(Authorize(kEnterprise, Action::kRead, "districts/120119/enterprises/e2"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Authorize(kEnterprise, Action::kWrite, "districts/120119/enterprises/e1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, CityAndServiceReadEverythingWriteNothing) {
  for (const Principal& p : {kCity, kService}) {
    EXPECT_THAT(Authorize(p, Action::kRead, "districts/120101/enterprises/x"), IsOk());
    EXPECT_THAT(Authorize(p, Action::kWrite, "districts/120101/enterprises/x"),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  EXPECT_THAT(Authorize(kCity, Action::kReadAudit, ""), IsOk());
  EXPECT_THAT(Authorize(kService, Action::kReadAudit, ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, VerifierReadsItsDistrict) {
  EXPECT_THAT(Authorize(kVerifier, Action::kRead, "districts/120119/enterprises/e9"), IsOk());
  EXPECT_THAT(Authorize(kVerifier, Action::kWrite, "districts/120119/enterprises/e9"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, AdminDoesAll) {
  EXPECT_THAT(Authorize(kAdmin, Action::kAdminister, "apiKeys"), IsOk());
  EXPECT_THAT(Authorize(kAdmin, Action::kWrite, "districts/120101"), IsOk());
}

TEST(PolicyTest, ListScopeNarrowsToTheCallersOwnSubtree) {
  std::string prefix;
  EXPECT_THAT(ListScope(kEnterprise, "districts/120119", &prefix), IsOk());
  EXPECT_EQ(prefix, "districts/120119/enterprises/e1");
  EXPECT_THAT(ListScope(kBureau, "districts/120119/enterprises/e1", &prefix), IsOk());
  EXPECT_EQ(prefix, "");
  EXPECT_THAT(ListScope(kBureau, "districts/-", &prefix), IsOk());
  EXPECT_EQ(prefix, "districts/120119");
  EXPECT_THAT(ListScope(kBureau, "districts", &prefix), IsOk());
  EXPECT_EQ(prefix, "districts/120119");
  EXPECT_THAT(ListScope(kBureau, "districts/120101", &prefix),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ListScope(kCity, "districts/-", &prefix), IsOk());
  EXPECT_EQ(prefix, "");
}

TEST(PolicyTest, ScopesMustFitTheRole) {
  EXPECT_THAT(ValidateScope(Role::kBureau, "districts/120119"), IsOk());
  EXPECT_THAT(ValidateScope(Role::kBureau, ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateScope(Role::kEnterprise, "districts/120119"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateScope(Role::kEnterprise, "districts/120119/enterprises/e1"), IsOk());
  EXPECT_THAT(ValidateScope(Role::kCity, "districts/120119"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cuofeng
