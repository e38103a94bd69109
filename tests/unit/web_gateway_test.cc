// The gateway's pure parts: gRPC code to HTTP status, the error body with
// its field violations, the session cookie and CSRF token; and the account
// password rules and argon2id hashing.
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "services/core/accounts.h"
#include "services/web/gateway.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;

TEST(HttpStatusOf, EveryRefusalHasItsStatus) {
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::OK), 200);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::FAILED_PRECONDITION), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::ALREADY_EXISTS), 409);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::ABORTED), 409);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNIMPLEMENTED), 501);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INTERNAL), 500);
}

TEST(ErrorBody, CarriesTheSameFieldViolations) {
  grpc::Status status =
      ToGrpcStatus(WithReason(InvalidArgumentWithViolations(
                                  {{"alert.level", "required"}, {"alert.districts[0]", "无此区"}}),
                              "BAD_ALERT"));
  std::string body = ErrorBody(status);
  EXPECT_THAT(body, HasSubstr("\"status\":\"INVALID_ARGUMENT\""));
  EXPECT_THAT(body, HasSubstr("\"code\":400"));
  EXPECT_THAT(body, HasSubstr("\"field\":\"alert.level\""));
  EXPECT_THAT(body, HasSubstr("\"field\":\"alert.districts[0]\""));
  EXPECT_THAT(body, HasSubstr("无此区"));
  EXPECT_THAT(body, HasSubstr("BAD_ALERT"));
  EXPECT_THAT(ErrorBody(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no")),
              HasSubstr("\"status\":\"PERMISSION_DENIED\""));
}

TEST(SessionCookie, IsFoundAmongOthers) {
  EXPECT_EQ(SessionFromCookie("a=1; cuofeng_session=cfs_abc; b=2"), "cfs_abc");
  EXPECT_EQ(SessionFromCookie("cuofeng_sessionx=1"), "");
  EXPECT_EQ(SessionFromCookie(""), "");
}

TEST(CsrfToken, IsBoundToTheSession) {
  EXPECT_EQ(CsrfTokenFor("cfs_a"), CsrfTokenFor("cfs_a"));
  EXPECT_NE(CsrfTokenFor("cfs_a"), CsrfTokenFor("cfs_b"));
  EXPECT_EQ(CsrfTokenFor("cfs_a").size(), 64u);
}

TEST(Accounts, PasswordRules) {
  EXPECT_TRUE(ValidateNewPassword("p", "plant", "long-enough-1", "").ok());
  EXPECT_EQ(ValidateNewPassword("p", "plant", "short", "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(ValidateNewPassword("new_password", "plant", "short", ""))[0].field,
            "new_password");
  EXPECT_FALSE(ValidateNewPassword("p", "plant-user-1", "plant-user-1", "").ok());
  EXPECT_FALSE(ValidateNewPassword("p", "plant", "same-as-before", "same-as-before").ok());
  EXPECT_FALSE(ValidateNewPassword("p", "plant", std::string(129, 'x'), "").ok());
}

TEST(Accounts, Argon2idHashVerifies) {
  auto hash = HashPassword("正确的密码-1");
  ASSERT_TRUE(hash.ok());
  EXPECT_THAT(*hash, HasSubstr("$argon2id$"));
  EXPECT_TRUE(VerifyPassword(*hash, "正确的密码-1"));
  EXPECT_FALSE(VerifyPassword(*hash, "正确的密码-2"));
  EXPECT_NE(*HashPassword("正确的密码-1"), *hash);  // salted
  EXPECT_TRUE(IsSessionToken("cfs_x"));
  EXPECT_FALSE(IsSessionToken("cfk_x"));
}

}  // namespace
}  // namespace cuofeng
