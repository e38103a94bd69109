// RunProgress against a real database (issue 19): a verification run is
// readable from its start, each step and meter count as recorded, a failure
// with its code, and a run whose server stopped shown as failed.
#include "services/compliance/run_progress.h"

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/db/pool.h"
#include "lib/model/clock.h"
#include "tests/support/test_env.h"

namespace cuofeng {
namespace {

using ::testing::StartsWith;

class RunProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dsn = testing::FreshDatabase("run_progress");
    testing::BootstrapAdmin(dsn);  // applies the migrations
    auto pool = ConnectionPool::Create(dsn, 2);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
  }

  v1::VerificationRun Read(const std::string& name) {
    v1::VerificationRun out;
    absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) -> absl::Status {
      auto run = RunProgress::Read(tx, name);
      if (!run.ok()) return run.status();
      out = *run;
      return absl::OkStatus();
    });
    EXPECT_TRUE(st.ok()) << st;
    return out;
  }

  std::vector<v1::VerificationRun> Recent(const std::string& district) {
    std::vector<v1::VerificationRun> out;
    EXPECT_TRUE(InTransaction(*pool_, [&](pqxx::work& tx) {
                  out = RunProgress::Recent(tx, district, 10);
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  std::unique_ptr<ConnectionPool> pool_;
  const absl::Time from_ = absl::FromUnixSeconds(1542211200);  // 2018-11-15 00:00 China
  const absl::Time to_ = from_ + absl::Hours(24 * 20);
};

TEST_F(RunProgressTest, ARunIsReadableFromItsStartWithItsStepAndMeters) {
  auto progress = RunProgress::Start(*pool_, "120119", from_, to_, "keys/verifier", "req-1");
  ASSERT_TRUE(progress.ok()) << progress.status();
  EXPECT_THAT(progress->name(), StartsWith("districts/120119/verificationRuns/"));
  v1::VerificationRun run = Read(progress->name());
  EXPECT_EQ(run.progress().state(), v1::VerificationProgress::RUNNING);
  EXPECT_EQ(run.progress().step(), "OBLIGATIONS");
  EXPECT_EQ(run.progress().step_number(), 1);
  EXPECT_EQ(run.progress().steps(), 8);
  EXPECT_EQ(run.progress().request_id(), "req-1");
  EXPECT_EQ(run.progress().run_by(), "keys/verifier");
  EXPECT_EQ(run.from().seconds(), absl::ToUnixSeconds(from_));

  progress->Step("METERS", 0, 40);  // a new step is written at once
  run = Read(progress->name());
  EXPECT_EQ(run.progress().step(), "METERS");
  EXPECT_EQ(run.progress().step_number(), 5);
  EXPECT_EQ(run.progress().meters_total(), 40);

  progress->Step("GATES", 40, 40);
  progress->Failed(absl::DeadlineExceededError("the call's deadline passed"));
  run = Read(progress->name());
  EXPECT_EQ(run.progress().state(), v1::VerificationProgress::FAILED);
  EXPECT_EQ(run.progress().step(), "GATES");
  EXPECT_EQ(run.progress().error_code(), "DEADLINE_EXCEEDED");
  EXPECT_EQ(run.progress().error_message(), "the call's deadline passed");

  // The district's recent runs list it; another district's do not.
  auto recent = Recent("120119");
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].name(), progress->name());
  EXPECT_TRUE(Recent("120221").empty());
}

TEST_F(RunProgressTest, ARunNobodyTouchedForAQuarterOfAnHourHasFailed) {
  auto progress = RunProgress::Start(*pool_, "120119", from_, to_, "keys/verifier", "");
  ASSERT_TRUE(progress.ok()) << progress.status();
  ASSERT_TRUE(InTransaction(*pool_, [&](pqxx::work& tx) {
                tx.exec_params0(
                    "UPDATE compliance.verification_progress SET touched = now() - interval "
                    "'16 minutes' WHERE name = $1",
                    progress->name());
                return absl::OkStatus();
              }).ok());
  v1::VerificationRun run = Read(progress->name());
  EXPECT_EQ(run.progress().state(), v1::VerificationProgress::FAILED);
  EXPECT_EQ(run.progress().error_code(), "UNAVAILABLE");
  // Stored, the run leaves the table: the storing transaction forgets it.
  ASSERT_TRUE(InTransaction(*pool_, [&](pqxx::work& tx) {
                RunProgress::Forget(tx, progress->name());
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(Recent("120119").empty());
}

TEST_F(RunProgressTest, AnUnknownRunIsNotFound) {
  absl::Status st = InTransaction(*pool_, [&](pqxx::work& tx) -> absl::Status {
    return RunProgress::Read(tx, "districts/120119/verificationRuns/999").status();
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cuofeng
