#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

TEST(RpcStatusTest, FieldViolationsBecomeBadRequestDetails) {
  absl::Status s = InvalidArgumentWithViolations(
      {{"enterprise.uscc", "check character"}, {"enterprise.township", "does not exist"}});
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(g.error_message(), ::testing::HasSubstr("enterprise.uscc: check character"));
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(g.error_details()));
  ASSERT_EQ(rich.details_size(), 1);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(1).field(), "enterprise.township");
  EXPECT_EQ(rich.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
}

TEST(RpcStatusTest, ReasonBecomesErrorInfoAndRoundTrips) {
  absl::Status s = WithReason(absl::AbortedError("stale"), "ETAG_MISMATCH");
  absl::Status back = FromGrpcStatus(ToGrpcStatus(s));
  EXPECT_EQ(back.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(back), "ETAG_MISMATCH");
}

TEST(RpcStatusTest, ViolationsRoundTrip) {
  absl::Status back =
      FromGrpcStatus(ToGrpcStatus(InvalidArgumentWithViolations({{"a.csv:3:2", "bad"}})));
  auto v = FieldViolations(back);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "a.csv:3:2");
  EXPECT_EQ(v[0].description, "bad");
}

TEST(RpcStatusTest, MessageListsFirstFiveAndCountsTheRest) {
  std::vector<FieldViolation> many;
  for (int i = 0; i < 8; ++i) many.push_back({"f" + std::to_string(i), "x"});
  absl::Status s = InvalidArgumentWithViolations(many);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("and 3 more"));
  EXPECT_EQ(FieldViolations(s).size(), 8u);
}

}  // namespace
}  // namespace cuofeng
