// FilingService end to end: the state machine with every refused
// transition, idempotent retries, amendments, scopes, the tamper test and
// the documents read back by an independent reader.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/generator.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";
constexpr char kSeason[] = "districts/120119/seasons/2018-2019";
constexpr char kLaterSeason[] = "districts/120119/seasons/2099-2100";

class FilingE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("filing"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    filing_ = v1::FilingService::NewStub(Connect(server_->address())).release();
    planning_ = v1::PlanningService::NewStub(Connect(server_->address())).release();
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120119", "--name=蓟州区"}).exit_code, 0);
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120101", "--name=和平区"}).exit_code, 0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", kDistrict));
    city_ = new std::string(CreateKey(server_->address(), *admin_, "city", ""));
    CommandResult imported = ImportSampleDistrict(server_->address(), *bureau_, kDistrict, 40, 120);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    CommandResult loaded = LoadRuleSet(server_->address(), *bureau_, "jizhou-2018");
    ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
    ASSERT_EQ(
        Cli(*bureau_, {"season", "create", absl::StrCat("--district=", kDistrict), "--id=2018-2019",
                       "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"})
            .exit_code,
        0);
    ASSERT_EQ(
        Cli(*bureau_, {"season", "create", absl::StrCat("--district=", kDistrict), "--id=2099-2100",
                       "--start=2099-11-15", "--end=2100-03-15", "--filing_deadline=2099-10-31"})
            .exit_code,
        0);
  }
  static void TearDownTestSuite() {
    delete filing_;
    delete planning_;
    delete server_;
  }
  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& key) {
    return KeyContext(key);
  }
  static std::string Generate(const std::string& season = kSeason) {
    v1::GenerateListRequest req;
    req.set_parent(kDistrict);
    req.set_season(season);
    req.set_rule_set("ruleSets/jizhou-2018");
    v1::ListVersion out;
    grpc::Status s = planning_->GenerateList(Ctx(*bureau_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.name();
  }
  static grpc::Status Submit(const std::string& key, const std::string& list, v1::Filing* out,
                             const std::string& request_id = "") {
    v1::SubmitListRequest req;
    req.set_name(list);
    req.set_request_id(request_id);
    return filing_->SubmitList(Ctx(key).get(), req, out);
  }
  static grpc::Status Acknowledge(const std::string& key, const std::string& list,
                                  v1::Filing* out) {
    v1::AcknowledgeFilingRequest req;
    req.set_name(list);
    return filing_->AcknowledgeFiling(Ctx(key).get(), req, out);
  }
  static grpc::Status Amend(const std::string& filed, const std::string& amendment,
                            const std::string& reason, v1::Filing* out) {
    v1::AmendFilingRequest req;
    req.set_filed(filed);
    req.set_amendment(amendment);
    req.set_reason(reason);
    return filing_->AmendFiling(Ctx(*bureau_).get(), req, out);
  }
  static v1::ListState State(const std::string& list) {
    v1::GetListVersionRequest req;
    req.set_name(list);
    v1::ListVersion out;
    EXPECT_TRUE(planning_->GetListVersion(Ctx(*bureau_).get(), req, &out).ok());
    return out.state();
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static std::string* city_;
  static ServerProcess* server_;
  static v1::FilingService::Stub* filing_;
  static v1::PlanningService::Stub* planning_;
  static std::string filed_;  // the list in force after the state-machine test
};

std::string* FilingE2eTest::dsn_;
std::string* FilingE2eTest::admin_;
std::string* FilingE2eTest::bureau_;
std::string* FilingE2eTest::city_;
ServerProcess* FilingE2eTest::server_;
v1::FilingService::Stub* FilingE2eTest::filing_;
v1::PlanningService::Stub* FilingE2eTest::planning_;
std::string FilingE2eTest::filed_;

TEST_F(FilingE2eTest, StateMachineWithEveryRefusedTransitionAndAmendment) {
  const std::string first = Generate();
  v1::Filing f;
  // Acknowledging a draft, or submitting as the city, is refused.
  grpc::Status s = Acknowledge(*city_, first, &f);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("的状态是草稿（DRAFT）"));
  EXPECT_EQ(Submit(*city_, first, &f).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Submit(*bureau_, first, &f).ok());
  EXPECT_EQ(f.state(), v1::SUBMITTED);
  EXPECT_TRUE(f.late());  // the 2018 deadline has passed: accepted, marked late
  EXPECT_EQ(f.seq(), 1);
  EXPECT_EQ(f.previous_sha256(), "");
  s = Submit(*bureau_, first, &f);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("的状态是已报送（SUBMITTED）"));
  EXPECT_EQ(Acknowledge(*bureau_, first, &f).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Acknowledge(*city_, first, &f).ok());
  EXPECT_EQ(f.state(), v1::FILED);
  EXPECT_FALSE(f.acknowledged_by().empty());
  EXPECT_THAT(Acknowledge(*city_, first, &f).error_message(), HasSubstr("的状态是已备案（FILED）"));

  // A second list for the season is an amendment, not a new submission.
  const std::string second = Generate();
  s = Submit(*bureau_, second, &f);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(s)), "ALREADY_FILED");
  s = Amend(first, second, "", &f);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Amend(first, second, "蓟州区工信委更正：e10003企业停产", &f).ok());
  EXPECT_EQ(f.state(), v1::SUBMITTED);
  EXPECT_EQ(f.amends(), first);
  EXPECT_EQ(f.seq(), 2);
  EXPECT_FALSE(f.previous_sha256().empty());
  // Until the city approves, the filed version stays in force.
  EXPECT_EQ(State(first), v1::FILED);
  const std::string third = Generate();
  EXPECT_EQ(Amend(first, third, "又一次", &f).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Acknowledge(*city_, second, &f).ok());
  EXPECT_EQ(State(second), v1::FILED);
  EXPECT_EQ(State(first), v1::SUPERSEDED);
  s = Amend(first, third, "改旧版", &f);
  EXPECT_THAT(s.error_message(), HasSubstr("的状态是已替代（SUPERSEDED）"));
  filed_ = second;
}

TEST_F(FilingE2eTest, RequestIdMakesSubmitSafeToRetryAndOnTimeIsNotLate) {
  const std::string list = Generate(kLaterSeason);
  const std::string before = SqlScalar(*dsn_, "SELECT count(*) FROM planning.filing");
  v1::Filing a, b;
  ASSERT_TRUE(Submit(*bureau_, list, &a, "submit-2099").ok());
  ASSERT_TRUE(Submit(*bureau_, list, &b, "submit-2099").ok());
  EXPECT_EQ(a.sha256(), b.sha256());
  EXPECT_EQ(std::stoi(SqlScalar(*dsn_, "SELECT count(*) FROM planning.filing")),
            std::stoi(before) + 1);
  EXPECT_FALSE(a.late());
}

TEST_F(FilingE2eTest, WhoSeesWhichFilingsAndEntries) {
  ASSERT_FALSE(filed_.empty());
  v1::ListFilingsRequest all;
  all.set_parent("districts/-");
  v1::ListFilingsResponse resp;
  ASSERT_TRUE(filing_->ListFilings(Ctx(*city_).get(), all, &resp).ok());
  EXPECT_GE(resp.filings_size(), 3);
  all.set_state(v1::FILED);
  ASSERT_TRUE(filing_->ListFilings(Ctx(*city_).get(), all, &resp).ok());
  for (const auto& f : resp.filings()) EXPECT_EQ(f.state(), v1::FILED);
  all.set_state(v1::LIST_STATE_UNSPECIFIED);
  all.set_season("2099-2100");
  ASSERT_TRUE(filing_->ListFilings(Ctx(*city_).get(), all, &resp).ok());
  ASSERT_EQ(resp.filings_size(), 1);
  // Another district's bureau sees none of these.
  std::string other = CreateKey(server_->address(), *admin_, "bureau", "districts/120101");
  v1::ListFilingsRequest mine;
  mine.set_parent(kDistrict);
  EXPECT_EQ(filing_->ListFilings(Ctx(other).get(), mine, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  mine.set_parent("districts/-");
  ASSERT_TRUE(filing_->ListFilings(Ctx(other).get(), mine, &resp).ok());
  EXPECT_EQ(resp.filings_size(), 0);
  // A verifier and a service key read their filings but file nothing.
  std::string verifier = CreateKey(server_->address(), *admin_, "verifier", kDistrict);
  std::string service = CreateKey(server_->address(), *admin_, "service", "");
  mine.set_parent(kDistrict);
  for (const std::string* key : {&verifier, &service}) {
    ASSERT_TRUE(filing_->ListFilings(Ctx(*key).get(), mine, &resp).ok());
    EXPECT_GE(resp.filings_size(), 3);
    v1::Filing f;
    EXPECT_EQ(Submit(*key, filed_, &f).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(Acknowledge(*key, filed_, &f).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    v1::VerifyChainRequest verify;
    verify.set_district(kDistrict);
    v1::VerifyChainResponse ok;
    EXPECT_TRUE(filing_->VerifyChain(Ctx(*key).get(), verify, &ok).ok());
  }
  v1::Filing none;
  EXPECT_EQ(Submit("", filed_, &none).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // An enterprise reads the filed entries about itself, and no draft.
  const std::string own = absl::StrCat(kDistrict, "/enterprises/e10001");
  std::string ent = CreateKey(server_->address(), *admin_, "enterprise", own);
  v1::ListEntriesRequest entries;
  entries.set_parent(filed_);
  v1::ListEntriesResponse got;
  ASSERT_TRUE(planning_->ListEntries(Ctx(ent).get(), entries, &got).ok());
  ASSERT_GT(got.entries_size(), 0);
  for (const auto& e : got.entries()) EXPECT_EQ(e.enterprise(), own);
  entries.set_parent(Generate());
  EXPECT_EQ(planning_->ListEntries(Ctx(ent).get(), entries, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(FilingE2eTest, DocumentsReadBackCellByCell) {
  ASSERT_FALSE(filed_.empty());
  std::string dir = TempDir();
  CommandResult exported = Cli(*city_, {"filing", "export", filed_, "--xlsx=" + dir + "/list.xlsx",
                                        "--csv=" + dir + "/list.csv"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  // The layout is documents_e2e_test's subject; here: the filed content is in it.
  CommandResult cells = RunCommand(
      {"/usr/bin/python3", SourcePath("tests/integration/read_xlsx.py"), dir + "/list.xlsx", "8"});
  ASSERT_EQ(cells.exit_code, 0) << cells.output;
  v1::ListEntriesRequest req;
  req.set_parent(filed_);
  req.set_page_size(1);
  v1::ListEntriesResponse first;
  ASSERT_TRUE(planning_->ListEntries(Ctx(*city_).get(), req, &first).ok());
  v1::GetListVersionRequest get;
  get.set_name(filed_);
  v1::ListVersion list;
  ASSERT_TRUE(planning_->GetListVersion(Ctx(*city_).get(), get, &list).ok());
  const std::string& out = cells.output;
  EXPECT_THAT(out, HasSubstr("错峰生产清单!A7\t序号"));
  EXPECT_THAT(out, HasSubstr("错峰生产清单!N7\t运输管控"));
  EXPECT_THAT(out, HasSubstr("错峰生产清单!A8\t1"));
  EXPECT_THAT(out,
              HasSubstr(absl::StrCat("错峰生产清单!C8\t", first.entries(0).enterprise_name())));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("错峰生产清单!D8\t", first.entries(0).uscc())));
  EXPECT_THAT(out, HasSubstr(list.content_sha256()));
  EXPECT_THAT(out, HasSubstr("状态：已备案"));
  EXPECT_THAT(out, HasSubstr("备案链哈希："));
  EXPECT_THAT(out, HasSubstr("减排核算!A7\t黄色预警"));
  EXPECT_THAT(out, HasSubstr("减排核算!B7\t颗粒物"));
  // The proof's figures are numbers in their cells.
  char cut[64];
  std::snprintf(cut, sizeof(cut), "%g", list.proof(0).cuts(0).inventory_tonnes());
  EXPECT_THAT(out, HasSubstr(absl::StrCat("减排核算!C7\t", cut)));
  EXPECT_THAT(out, HasSubstr("一厂一策（错峰生产及重污染天气应急减排措施）"));
  // The CSV holds the same rows.
  std::ifstream csv(dir + "/list.csv");
  std::string header, row1;
  std::getline(csv, header);
  std::getline(csv, row1);
  EXPECT_THAT(header, HasSubstr("序号,区/镇乡,企业名称,统一社会信用代码,所属行业,生产线,工序,设备,"
                                "类别,错峰措施（采暖季）,黄色预警,橙色预警,红色预警,运输管控,"
                                "安全生产措施"));
  EXPECT_THAT(row1, HasSubstr(absl::StrCat(",", first.entries(0).enterprise_name(), ",",
                                           first.entries(0).uscc())));
}

// Last: it breaks the chain on purpose.
TEST_F(FilingE2eTest, TamperingIsRefusedAndWhatGetsThroughIsFound) {
  CommandResult intact =
      Cli(*bureau_, {"filing", "verify", absl::StrCat("--district=", kDistrict)});
  ASSERT_EQ(intact.exit_code, 0) << intact.output;
  EXPECT_THAT(intact.output, HasSubstr("完好"));
  // Even with direct SQL, frozen content cannot change.
  EXPECT_ANY_THROW(
      SqlScalar(*dsn_, absl::StrCat("UPDATE planning.list_entry SET kind = 'EXEMPT' WHERE list = '",
                                    filed_, "' AND seq = 3 RETURNING seq")));
  EXPECT_ANY_THROW(SqlScalar(*dsn_, absl::StrCat("DELETE FROM planning.list_entry WHERE list = '",
                                                 filed_, "' RETURNING seq")));
  EXPECT_ANY_THROW(SqlScalar(
      *dsn_, absl::StrCat("UPDATE planning.list_version SET content_sha256 = 'x' WHERE name = '",
                          filed_, "' RETURNING name")));
  EXPECT_ANY_THROW(SqlScalar(
      *dsn_, absl::StrCat("UPDATE planning.list_version SET state = 'DRAFT' WHERE name = '", filed_,
                          "' RETURNING name")));
  EXPECT_ANY_THROW(SqlScalar(*dsn_, "DELETE FROM planning.filing RETURNING seq"));
  // The database superuser turns the trigger off and edits entry 3.
  SqlScalar(*dsn_,
            absl::StrCat(
                "ALTER TABLE planning.list_entry DISABLE TRIGGER list_entry_append_only; "
                "UPDATE planning.list_entry SET body = overlay(body placing '\\x58'::bytea from 12 "
                "for 1) "
                "WHERE list = '",
                filed_,
                "' AND seq = 3; "
                "ALTER TABLE planning.list_entry ENABLE TRIGGER list_entry_append_only; SELECT 1"));
  CommandResult found = Cli(*bureau_, {"filing", "verify", absl::StrCat("--district=", kDistrict)});
  EXPECT_EQ(found.exit_code, 3) << found.output;
  EXPECT_THAT(found.output, HasSubstr("已被篡改"));
  EXPECT_THAT(found.output, HasSubstr(absl::StrCat("第一份对不上的备案：", filed_)));
  EXPECT_THAT(found.output, HasSubstr(absl::StrCat("第一条对不上的条目：", filed_, "/entries/3")));
}

}  // namespace
}  // namespace cuofeng
