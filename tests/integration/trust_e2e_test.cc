// What a caller can rely on whatever it sends: page tokens that cannot be
// forged or carried over, refusals that are always audited (with bounded
// rows, also for unauthenticated callers), clear codes instead of INTERNAL,
// and a connection pool whose waits end.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/db/pool.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using namespace ::cuofeng::testing;

class TrustE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("trust"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    auto channel = Connect(server_->address());
    admin_stub_ = v1::AdminService::NewStub(channel).release();
    planning_ = v1::PlanningService::NewStub(channel).release();
    registry_ = v1::RegistryService::NewStub(channel).release();
    ASSERT_EQ(Cli(server_->address(), *admin_, {"district", "create", "120119", "--name=蓟州区"})
                  .exit_code,
              0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", "districts/120119"));
    ASSERT_EQ(LoadRuleSet(server_->address(), *bureau_, "jizhou-2018").exit_code, 0);
    ASSERT_EQ(LoadRuleSet(server_->address(), *bureau_, "national-2020-sample").exit_code, 0);
  }
  static void TearDownTestSuite() { delete server_; }

  // AuditRows counts audit rows matching `where`, waiting (bounded) for at
  // least `at_least` of them: refusals are written by a background writer.
  static int AuditRows(const std::string& where, int at_least) {
    int n = 0;
    for (int i = 0; i < 100; ++i) {
      n = std::stoi(SqlScalar(*dsn_, "SELECT count(*) FROM core.audit_log WHERE " + where));
      if (n >= at_least) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return n;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static ServerProcess* server_;
  static v1::AdminService::Stub* admin_stub_;
  static v1::PlanningService::Stub* planning_;
  static v1::RegistryService::Stub* registry_;
};

std::string* TrustE2eTest::dsn_;
std::string* TrustE2eTest::admin_;
std::string* TrustE2eTest::bureau_;
ServerProcess* TrustE2eTest::server_;
v1::AdminService::Stub* TrustE2eTest::admin_stub_;
v1::PlanningService::Stub* TrustE2eTest::planning_;
v1::RegistryService::Stub* TrustE2eTest::registry_;

TEST_F(TrustE2eTest, PageTokensAreOpaqueAndCannotBeForgedOrCarriedOver) {
  v1::ListRuleSetsRequest req;
  req.set_page_size(1);
  v1::ListRuleSetsResponse first;
  ASSERT_TRUE(planning_->ListRuleSets(KeyContext(*bureau_).get(), req, &first).ok());
  ASSERT_EQ(first.rule_sets_size(), 1);
  ASSERT_FALSE(first.next_page_token().empty());
  // The token does not show the position in clear.
  EXPECT_THAT(first.next_page_token(), ::testing::Not(HasSubstr("jizhou")));

  v1::ListRuleSetsResponse second;
  req.set_page_token(first.next_page_token());
  ASSERT_TRUE(planning_->ListRuleSets(KeyContext(*bureau_).get(), req, &second).ok());
  ASSERT_EQ(second.rule_sets_size(), 1);
  EXPECT_NE(second.rule_sets(0).name(), first.rule_sets(0).name());

  std::string tampered = first.next_page_token();
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  for (const std::string& token : {std::string("garbage"), std::string("'; DROP TABLE x; --"),
                                   tampered, std::string(5000, 'x'), std::string("\xff\xfe", 2)}) {
    v1::ListRuleSetsResponse out;
    req.set_page_token(token);
    grpc::Status s = planning_->ListRuleSets(KeyContext(*bureau_).get(), req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << token << ": " << s.error_message();
    // Bytes that are not UTF-8 cannot even be parsed into the request, so
    // the message cannot name the field; every other token is named.
    EXPECT_THAT(s.error_message(), HasSubstr(token[0] == '\xff' ? "UTF-8" : "page_token"));
  }

  // A token of one list is not a token of another.
  v1::ListAuditEntriesRequest audit;
  audit.set_page_token(first.next_page_token());
  v1::ListAuditEntriesResponse audit_out;
  grpc::Status s = admin_stub_->ListAuditEntries(KeyContext(*admin_).get(), audit, &audit_out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  v1::ListListVersionsRequest lists;
  lists.set_parent("districts/120119");
  lists.set_page_token("12");  // a bare offset, as tokens used to be
  v1::ListListVersionsResponse lists_out;
  s = planning_->ListListVersions(KeyContext(*bureau_).get(), lists, &lists_out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

TEST_F(TrustE2eTest, EveryRefusalIsAuditedWithBoundedRows) {
  // Refused before any handler ran: no key at all, and a 100 KB name.
  const std::string huge(100000, 'z');
  v1::ListEnterprisesRequest req;
  req.set_parent("districts/" + huge);
  v1::ListEnterprisesResponse out;
  grpc::Status s = registry_->ListEnterprises(KeyContext("").get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AuditRows("method = 'ListEnterprises' AND outcome = 'UNAUTHENTICATED' AND principal = "
                      "'anonymous' AND resource LIKE 'districts/zzz%'",
                      1),
            1);
  EXPECT_LE(std::stoi(SqlScalar(*dsn_,
                                "SELECT max(octet_length(resource) + octet_length(detail)) FROM "
                                "core.audit_log WHERE method = 'ListEnterprises'")),
            2000);

  // Refused by the access rules on a read: a bureau of another district.
  const std::string other = CreateKey(server_->address(), *admin_, "bureau", "districts/120101");
  req.set_parent("districts/120119");
  s = registry_->ListEnterprises(KeyContext(other).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(AuditRows("method = 'ListEnterprises' AND outcome = 'PERMISSION_DENIED' AND "
                      "resource = 'districts/120119'",
                      1),
            1);

  // Refused by a handler's own validation before its transaction: a list
  // generation for a season that does not exist.
  v1::GenerateListRequest gen;
  gen.set_parent("districts/120119");
  gen.set_season("districts/120119/seasons/none");
  gen.set_rule_set("ruleSets/jizhou-2018");
  v1::ListVersion version;
  s = planning_->GenerateList(KeyContext(*bureau_).get(), gen, &version);
  EXPECT_FALSE(s.ok());
  EXPECT_GE(AuditRows(absl::StrCat("method = 'GenerateList' AND outcome = '",
                                   s.error_code() == grpc::StatusCode::NOT_FOUND ? "NOT_FOUND" : "",
                                   "' "
                                   "OR (method = 'GenerateList' AND outcome <> 'OK')"),
                      1),
            1);
}

// A caller refused before it has a name: the audit row's principal says, in
// Chinese, why it counts as anonymous.
TEST_F(TrustE2eTest, AnonymousRefusalsSayWhyInTheAuditLog) {
  v1::ListEnterprisesRequest req;
  v1::ListEnterprisesResponse out;
  req.set_parent("districts/999901");
  grpc::ClientContext basic;
  basic.AddMetadata("authorization", "Basic YWRtaW46YWRtaW4=");
  EXPECT_EQ(registry_->ListEnterprises(&basic, req, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  req.set_parent("districts/999902");
  EXPECT_EQ(registry_->ListEnterprises(KeyContext("cfk_no-such-key").get(), req, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AuditRows("resource = 'districts/999901' AND principal = "
                      "'anonymous（authorization 头格式错误）' AND detail LIKE 'authorization 头%'",
                      1),
            1);
  EXPECT_EQ(AuditRows("resource = 'districts/999902' AND principal = "
                      "'anonymous（密钥不存在、已吊销或已过期）' AND detail LIKE 'API 密钥%'",
                      1),
            1);
}

TEST_F(TrustE2eTest, OversizeRequestIdIsAClearRefusal) {
  v1::CreateApiKeyRequest req;
  req.mutable_api_key()->set_role(v1::VERIFIER);
  req.mutable_api_key()->set_scope("districts/120119");
  req.set_request_id(std::string(100000, 'r'));
  v1::CreateApiKeyResponse out;
  grpc::Status s = admin_stub_->CreateApiKey(KeyContext(*admin_).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  EXPECT_LT(s.error_message().size(), 1000u);
}

TEST(ScaleOutTest, TwoProcessesBehindOneRoundRobinTarget) {
  const std::string dsn = FreshDatabase("round_robin");
  const std::string admin = BootstrapAdmin(dsn);
  std::string error;
  auto a = ServerProcess::Start(dsn, &error);
  ASSERT_NE(a, nullptr) << error;
  auto b = ServerProcess::Start(dsn, &error);
  ASSERT_NE(b, nullptr) << error;
  // gRPC's own balancer over both addresses: no balancer of ours.
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("ipv4:", a->address(), ",", b->address()),
                                           grpc::InsecureChannelCredentials(), args);
  auto admin_stub = v1::AdminService::NewStub(channel);
  for (int i = 0; i < 20; ++i) {
    v1::ApiKey caller;
    auto ctx = KeyContext(admin);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(admin_stub->GetCaller(ctx.get(), v1::GetCallerRequest(), &caller).ok());
  }
  auto calls = [](const std::string& log) {
    int n = 0;
    for (size_t at = log.find("AdminService/GetCaller"); at != std::string::npos;
         at = log.find("AdminService/GetCaller", at + 1)) {
      ++n;
    }
    return n;
  };
  // Both processes answered (the call log has one line per call).
  EXPECT_GE(calls(a->Log()), 5) << a->Log();
  EXPECT_GE(calls(b->Log()), 5) << b->Log();
}

TEST(PoolTest, AWaitForAFreeConnectionEndsAtItsDeadline) {
  const std::string dsn = FreshDatabase("pool");
  ConnectionPool::Options options;
  options.name = "primary";
  options.size = 1;
  options.max_wait = absl::Seconds(30);
  auto pool = ConnectionPool::Create(dsn, options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  const absl::Time start = absl::Now();
  auto second = (*pool)->Acquire(absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("\"primary\""));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // bounded, not a timing claim
  {
    // A CallDeadline bounds it too.
    CallDeadline deadline(absl::Now() + absl::Milliseconds(100));
    auto third = (*pool)->Acquire();
    EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  }
  EXPECT_EQ((*pool)->stats().timeouts, 2);
  EXPECT_EQ((*pool)->stats().in_use, 1);
}

TEST(PoolTest, AConnectionClosedByTheServerIsReplacedAtCheckout) {
  const std::string dsn = FreshDatabase("pool_broken");
  auto pool = ConnectionPool::Create(dsn + " application_name=pool_broken_test", 2);
  ASSERT_TRUE(pool.ok()) << pool.status();
  // The server ends every connection of the pool (as a restart would).
  SqlScalar(dsn,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
            "application_name = 'pool_broken_test'");
  absl::SleepFor(absl::Milliseconds(100));
  std::string answer;
  absl::Status status = InTransaction(
      **pool,
      [&](pqxx::work& tx) {
        answer = tx.exec1("SELECT 'still here'")[0].as<std::string>();
        return absl::OkStatus();
      },
      Isolation::kReadOnly);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(answer, "still here");
  EXPECT_GE((*pool)->stats().replaced, 1);
}

TEST(DbErrorsTest, TriggerRefusalsAndOversizeValuesHaveTheirCodes) {
  EXPECT_EQ(StatusForSqlState("42501", "ERROR:  compliance.reading is append-only", false).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusForSqlState("P0001", "ERROR:  list is frozen", false).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusForSqlState("54000", "ERROR:  index row size exceeds", false).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusForSqlState("57014", "ERROR:  canceling statement", false).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusForSqlState("57P01", "FATAL:  terminating connection", false).code(),
            absl::StatusCode::kUnavailable);
  const absl::Status long_one =
      StatusForSqlState("23505", "ERROR:  duplicate " + std::string(100000, 'k'), false);
  EXPECT_LT(long_one.message().size(), 1000u);
}

}  // namespace
}  // namespace cuofeng
