// Alerts and obligations end to end: only filed lists bind; alerts switch
// measures on and off at their times; amendments switch over at approval;
// watch streams get exactly one new set per relevant change.
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/generator.h"

namespace cuofeng {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";
constexpr char kSeason[] = "districts/120119/seasons/current";

google::protobuf::Timestamp In(absl::Duration d) {
  const int64_t nanos = absl::ToUnixNanos(absl::Now() + d);
  google::protobuf::Timestamp ts;
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

class ObligationE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("obligations"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    auto channel = Connect(server_->address());
    obligations_ = v1::ObligationService::NewStub(channel).release();
    alerts_ = v1::AlertService::NewStub(channel).release();
    filing_ = v1::FilingService::NewStub(channel).release();
    planning_ = v1::PlanningService::NewStub(channel).release();
    registry_ = v1::RegistryService::NewStub(channel).release();
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120119", "--name=蓟州区"}).exit_code, 0);
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120101", "--name=和平区"}).exit_code, 0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", kDistrict));
    city_ = new std::string(CreateKey(server_->address(), *admin_, "city", ""));
    CommandResult imported = ImportSampleDistrict(server_->address(), *bureau_, kDistrict, 40, 120);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    CommandResult loaded = LoadRuleSet(server_->address(), *bureau_, "jizhou-2018");
    ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
    // A season around today, so that "now" is inside it.
    const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
    const std::string start =
        absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 10), china);
    const std::string end =
        absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * 100), china);
    CommandResult season =
        Cli(*bureau_, {"season", "create", absl::StrCat("--district=", kDistrict), "--id=current",
                       "--start=" + start, "--end=" + end, "--filing_deadline=" + start});
    ASSERT_EQ(season.exit_code, 0) << season.output;
  }
  static void TearDownTestSuite() { delete server_; }

  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }
  static std::string Generate() {
    v1::GenerateListRequest req;
    req.set_parent(kDistrict);
    req.set_season(kSeason);
    req.set_rule_set("ruleSets/jizhou-2018");
    v1::ListVersion out;
    grpc::Status s = planning_->GenerateList(KeyContext(*bureau_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.name();
  }
  static v1::ObligationSet At(const std::string& enterprise, absl::Duration from_now,
                              const std::string& key = "") {
    v1::GetObligationsRequest req;
    req.set_enterprise(enterprise);
    *req.mutable_at() = In(from_now);
    v1::ObligationSet out;
    grpc::Status s =
        obligations_->GetObligations(KeyContext(key.empty() ? *bureau_ : key).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  static const v1::Obligation* Of(const v1::ObligationSet& set, const std::string& resource) {
    for (const auto& o : set.obligations()) {
      if (o.resource() == resource) return &o;
    }
    return nullptr;
  }
  static v1::Alert Issue(v1::AlertLevel level, absl::Duration start, absl::Duration end,
                         const std::string& district = kDistrict) {
    v1::IssueAlertRequest req;
    req.mutable_alert()->set_level(level);
    req.mutable_alert()->add_districts(district);
    *req.mutable_alert()->mutable_start_time() = In(start);
    *req.mutable_alert()->mutable_end_time() = In(end);
    req.mutable_alert()->set_document_number("津重污染指〔2026〕1号");
    v1::Alert out;
    grpc::Status s = alerts_->IssueAlert(KeyContext(*city_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static std::string* city_;
  static ServerProcess* server_;
  static v1::ObligationService::Stub* obligations_;
  static v1::AlertService::Stub* alerts_;
  static v1::FilingService::Stub* filing_;
  static v1::PlanningService::Stub* planning_;
  static v1::RegistryService::Stub* registry_;
  // A foundry line's main equipment: limit 50 % in the season, stop at orange.
  static std::string list_, enterprise_, resource_;
};

std::string* ObligationE2eTest::dsn_;
std::string* ObligationE2eTest::admin_;
std::string* ObligationE2eTest::bureau_;
std::string* ObligationE2eTest::city_;
ServerProcess* ObligationE2eTest::server_;
v1::ObligationService::Stub* ObligationE2eTest::obligations_;
v1::AlertService::Stub* ObligationE2eTest::alerts_;
v1::FilingService::Stub* ObligationE2eTest::filing_;
v1::PlanningService::Stub* ObligationE2eTest::planning_;
v1::RegistryService::Stub* ObligationE2eTest::registry_;
std::string ObligationE2eTest::list_;
std::string ObligationE2eTest::enterprise_;
std::string ObligationE2eTest::resource_;

TEST_F(ObligationE2eTest, OnlyAFiledListBinds) {
  list_ = Generate();
  v1::ListEntriesRequest req;
  req.set_parent(list_);
  req.set_page_size(1000);
  v1::ListEntriesResponse entries;
  ASSERT_TRUE(planning_->ListEntries(KeyContext(*bureau_).get(), req, &entries).ok());
  for (const auto& e : entries.entries()) {
    if (e.resource().find("/equipment/") != std::string::npos && e.season().action() == v1::LIMIT &&
        e.orange().action() == v1::STOP) {
      enterprise_ = e.enterprise();
      resource_ = e.resource();
      break;
    }
  }
  ASSERT_FALSE(resource_.empty());
  EXPECT_EQ(At(enterprise_, absl::ZeroDuration()).list(), "");  // a draft binds no one
  v1::SubmitListRequest submit;
  submit.set_name(list_);
  v1::Filing f;
  ASSERT_TRUE(filing_->SubmitList(KeyContext(*bureau_).get(), submit, &f).ok());
  EXPECT_EQ(At(enterprise_, absl::ZeroDuration()).list(), "");  // nor an unacknowledged one
  v1::AcknowledgeFilingRequest ack;
  ack.set_name(list_);
  ASSERT_TRUE(filing_->AcknowledgeFiling(KeyContext(*city_).get(), ack, &f).ok());
  v1::ObligationSet now = At(enterprise_, absl::Seconds(1));
  EXPECT_EQ(now.list(), list_);
  const v1::Obligation* o = Of(now, resource_);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->action(), v1::LIMIT);
  EXPECT_EQ(o->percent(), 50);
  EXPECT_TRUE(o->in_staggered_period());
  EXPECT_THAT(o->baseline(), HasSubstr("基线"));
  EXPECT_FALSE(o->entry().empty());
  EXPECT_THAT(o->reason(), HasSubstr("SP1"));
}

TEST_F(ObligationE2eTest, BeforeDuringAndAfterAnAlert) {
  ASSERT_FALSE(resource_.empty());
  v1::Alert alert = Issue(v1::ORANGE, absl::Hours(1), absl::Hours(3));
  EXPECT_EQ(alert.revision(), 1);
  EXPECT_EQ(Of(At(enterprise_, absl::Minutes(30)), resource_)->action(), v1::LIMIT);
  const v1::ObligationSet during = At(enterprise_, absl::Hours(2));
  EXPECT_EQ(during.level(), v1::ORANGE);
  const v1::Obligation* o = Of(during, resource_);
  EXPECT_EQ(o->action(), v1::STOP);  // the stricter of the season and orange
  EXPECT_EQ(o->alert(), alert.name());
  EXPECT_EQ(o->window_start().seconds(), alert.start_time().seconds());
  EXPECT_EQ(o->window_end().seconds(), alert.end_time().seconds());
  EXPECT_EQ(Of(At(enterprise_, absl::Hours(4)), resource_)->action(), v1::LIMIT);
  // The window list for verification holds the orange stop.
  v1::ListObligationWindowsRequest windows;
  windows.set_district(kDistrict);
  *windows.mutable_from() = In(absl::ZeroDuration());
  *windows.mutable_to() = In(absl::Hours(5));
  v1::ListObligationWindowsResponse got;
  ASSERT_TRUE(obligations_->ListObligationWindows(KeyContext(*bureau_).get(), windows, &got).ok());
  bool stop_window = false;
  for (const auto& w : got.obligations()) {
    if (w.resource() == resource_ && w.action() == v1::STOP) {
      stop_window = w.window_start().seconds() == alert.start_time().seconds() &&
                    w.window_end().seconds() == alert.end_time().seconds();
    }
  }
  EXPECT_TRUE(stop_window);
}

TEST_F(ObligationE2eTest, RaiseFromYellowToRedThenLift) {
  v1::Alert yellow = Issue(v1::YELLOW, absl::Hours(5), absl::Hours(9));
  v1::ChangeAlertRequest raise;
  raise.set_name(yellow.name());
  raise.set_level(v1::RED);
  *raise.mutable_effective_time() = In(absl::Hours(6));
  v1::Alert red;
  ASSERT_TRUE(alerts_->ChangeAlert(KeyContext(*city_).get(), raise, &red).ok());
  EXPECT_EQ(red.revision(), 2);
  EXPECT_EQ(At(enterprise_, absl::Minutes(330)).level(), v1::YELLOW);
  EXPECT_EQ(At(enterprise_, absl::Minutes(390)).level(), v1::RED);
  v1::LiftAlertRequest lift;
  lift.set_name(yellow.name());
  *lift.mutable_lift_time() = In(absl::Hours(7));
  v1::Alert lifted;
  ASSERT_TRUE(alerts_->LiftAlert(KeyContext(*city_).get(), lift, &lifted).ok());
  EXPECT_TRUE(lifted.lifted());
  EXPECT_EQ(At(enterprise_, absl::Minutes(390)).level(), v1::RED);  // history is kept
  EXPECT_EQ(At(enterprise_, absl::Minutes(450)).level(), v1::ALERT_LEVEL_UNSPECIFIED);
  grpc::Status again = alerts_->LiftAlert(KeyContext(*city_).get(), lift, &lifted);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::ListAlertsRequest history;
  history.set_include_history(true);
  v1::ListAlertsResponse all;
  ASSERT_TRUE(alerts_->ListAlerts(KeyContext(*bureau_).get(), history, &all).ok());
  int revisions = 0;
  for (const auto& a : all.alerts()) revisions += a.name() == yellow.name();
  EXPECT_EQ(revisions, 3);
}

TEST_F(ObligationE2eTest, AnotherDistrictsAlertChangesNothingHere) {
  Issue(v1::RED, absl::Hours(20), absl::Hours(22), "districts/120101");
  EXPECT_EQ(At(enterprise_, absl::Hours(21)).level(), v1::ALERT_LEVEL_UNSPECIFIED);
}

TEST_F(ObligationE2eTest, BadAlertsAreRefusedAndStoreNothing) {
  const std::string before = SqlScalar(*dsn_, "SELECT count(*) FROM planning.alert_revision");
  v1::IssueAlertRequest req;
  req.mutable_alert()->add_districts("districts/999999");
  *req.mutable_alert()->mutable_start_time() = In(absl::Hours(2));
  *req.mutable_alert()->mutable_end_time() = In(absl::Hours(1));
  v1::Alert out;
  grpc::Status s = alerts_->IssueAlert(KeyContext(*city_).get(), req, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolations(FromGrpcStatus(s))) fields.push_back(v.field);
  EXPECT_THAT(fields, Contains("alert.level"));
  EXPECT_THAT(fields, Contains("alert.end_time"));
  EXPECT_THAT(fields, Contains("alert.districts[0]"));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM planning.alert_revision"), before);
  // A bureau may not, under a rule set that does not allow it; nor an enterprise.
  req.mutable_alert()->set_level(v1::YELLOW);
  req.mutable_alert()->clear_districts();
  req.mutable_alert()->add_districts(kDistrict);
  *req.mutable_alert()->mutable_end_time() = In(absl::Hours(3));
  EXPECT_EQ(alerts_->IssueAlert(KeyContext(*bureau_).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Lifting an alert the moment it starts cancels it (found by a fresh demo run).
  v1::Alert now = Issue(v1::YELLOW, absl::ZeroDuration(), absl::Hours(1), "districts/120101");
  v1::LiftAlertRequest cancel;
  cancel.set_name(now.name());
  *cancel.mutable_lift_time() = now.start_time();
  v1::Alert cancelled;
  grpc::Status lifted = alerts_->LiftAlert(KeyContext(*city_).get(), cancel, &cancelled);
  EXPECT_TRUE(lifted.ok()) << lifted.error_message();
  EXPECT_EQ(cancelled.end_time().seconds(), now.start_time().seconds());
  v1::ChangeAlertRequest change;
  change.set_name("alerts/999");
  change.set_level(v1::RED);
  EXPECT_EQ(alerts_->ChangeAlert(KeyContext(*city_).get(), change, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ObligationE2eTest, ScopesOfObligations) {
  std::string own = CreateKey(server_->address(), *admin_, "enterprise", enterprise_);
  std::string other = CreateKey(server_->address(), *admin_, "bureau", "districts/120101");
  EXPECT_EQ(At(enterprise_, absl::ZeroDuration(), own).enterprise(), enterprise_);
  v1::GetObligationsRequest req;
  req.set_enterprise(absl::StrCat(kDistrict, "/enterprises/e10039"));
  v1::ObligationSet out;
  EXPECT_EQ(obligations_->GetObligations(KeyContext(own).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(obligations_->GetObligations(KeyContext(other).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(obligations_->GetObligations(KeyContext("").get(), req, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(obligations_->GetObligations(KeyContext(*city_).get(), req, &out).ok());
}

// Collects what a watch stream receives.
struct Watch {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::ObligationSet>> reader;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<v1::ObligationSet> sets;

  Watch(v1::ObligationService::Stub* stub, const std::string& key, const std::string& enterprise) {
    AddKey(&ctx, key);
    v1::WatchObligationsRequest req;
    req.set_enterprise(enterprise);
    reader = stub->WatchObligations(&ctx, req);
    thread = std::thread([this] {
      v1::ObligationSet set;
      while (reader->Read(&set)) {
        std::lock_guard<std::mutex> lock(mu);
        sets.push_back(set);
        cv.notify_all();
      }
    });
  }
  ~Watch() {
    ctx.TryCancel();
    thread.join();
  }
  // Waits for at least n sets (up to 5 s); returns how many there are.
  size_t WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return sets.size() >= n; });
    return sets.size();
  }
};

TEST_F(ObligationE2eTest, WatchGetsExactlyOneSetPerRelevantChange) {
  Watch watch(obligations_, *bureau_, enterprise_);
  ASSERT_EQ(watch.WaitFor(1), 1u);  // the current set at once
  EXPECT_EQ(watch.sets[0].list(), list_);
  // An alert here: one new set.
  v1::Alert alert = Issue(v1::ORANGE, absl::Seconds(-1), absl::Hours(30));
  ASSERT_EQ(watch.WaitFor(2), 2u);
  EXPECT_EQ(watch.sets[1].level(), v1::ORANGE);
  // An alert elsewhere: nothing.
  Issue(v1::RED, absl::Seconds(-1), absl::Hours(30), "districts/120101");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  {
    std::lock_guard<std::mutex> lock(watch.mu);
    EXPECT_EQ(watch.sets.size(), 2u);
  }
  // Lifting it here: one more.
  v1::LiftAlertRequest lift;
  lift.set_name(alert.name());
  v1::Alert lifted;
  ASSERT_TRUE(alerts_->LiftAlert(KeyContext(*city_).get(), lift, &lifted).ok());
  ASSERT_EQ(watch.WaitFor(3), 3u);
  EXPECT_EQ(watch.sets[2].level(), v1::ALERT_LEVEL_UNSPECIFIED);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    std::lock_guard<std::mutex> lock(watch.mu);
    EXPECT_EQ(watch.sets.size(), 3u);
  }
  // An enterprise key may not watch another enterprise.
  std::string own = CreateKey(server_->address(), *admin_, "enterprise", enterprise_);
  Watch denied(obligations_, own, absl::StrCat(kDistrict, "/enterprises/e10039"));
  denied.thread.join();
  denied.thread = std::thread([] {});
  EXPECT_EQ(denied.reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// Last: it changes the list in force.
TEST_F(ObligationE2eTest, AnAmendmentBindsFromItsApproval) {
  Watch watch(obligations_, *bureau_, enterprise_);
  ASSERT_EQ(watch.WaitFor(1), 1u);
  v1::UpdateEnterpriseRequest update;
  update.mutable_enterprise()->set_name(enterprise_);
  update.mutable_enterprise()->set_restricted_class(true);
  update.mutable_update_mask()->add_paths("restricted_class");
  v1::Enterprise changed;
  ASSERT_TRUE(registry_->UpdateEnterprise(KeyContext(*bureau_).get(), update, &changed).ok());
  const std::string amendment = Generate();
  v1::AmendFilingRequest amend;
  amend.set_filed(list_);
  amend.set_amendment(amendment);
  amend.set_reason("该企业属限制类，停产");
  v1::Filing f;
  ASSERT_TRUE(filing_->AmendFiling(KeyContext(*bureau_).get(), amend, &f).ok());
  // Submitted but not approved: the filed list still binds.
  EXPECT_EQ(At(enterprise_, absl::Seconds(1)).list(), list_);
  EXPECT_EQ(Of(At(enterprise_, absl::Seconds(1)), resource_)->action(), v1::LIMIT);
  // Just before the call: after the first list's acknowledgement (times are
  // kept to the microsecond), before this one's.
  const absl::Time before_approval = absl::Now();
  v1::AcknowledgeFilingRequest approve;
  approve.set_name(amendment);
  ASSERT_TRUE(filing_->AcknowledgeFiling(KeyContext(*city_).get(), approve, &f).ok());
  v1::ObligationSet after = At(enterprise_, absl::Seconds(2));
  EXPECT_EQ(after.list(), amendment);
  EXPECT_EQ(Of(after, resource_)->action(), v1::STOP);
  // The moment before approval still belongs to the old list.
  EXPECT_EQ(At(enterprise_, before_approval - absl::Now()).list(), list_);
  ASSERT_EQ(watch.WaitFor(2), 2u);  // the approval touched this enterprise's district
  EXPECT_EQ(watch.sets[1].list(), amendment);
}

// After the amendment test: files a list under a rule set that lets the
// bureau record alerts for its own district.
TEST_F(ObligationE2eTest, ABureauRecordsAnAlertWhereItsFiledRuleSetAllowsIt) {
  std::string dir = TempDir();
  std::ofstream(dir + "/local.textproto")
      << ReadFile(SourcePath("tools/rulesets/jizhou-2018.textproto"))
      << "\ndistrict_alerts_allowed: true\n";
  CommandResult loaded =
      Cli(*bureau_, {"ruleset", "load", dir + "/local.textproto", "--id=jizhou-local"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  v1::GenerateListRequest gen;
  gen.set_parent(kDistrict);
  gen.set_season(kSeason);
  gen.set_rule_set("ruleSets/jizhou-local");
  v1::ListVersion local;
  ASSERT_TRUE(planning_->GenerateList(KeyContext(*bureau_).get(), gen, &local).ok());
  v1::ListFilingsRequest filed_req;
  filed_req.set_parent(kDistrict);
  filed_req.set_state(v1::FILED);
  v1::ListFilingsResponse filed;
  ASSERT_TRUE(filing_->ListFilings(KeyContext(*bureau_).get(), filed_req, &filed).ok());
  ASSERT_EQ(filed.filings_size(), 1);
  v1::AmendFilingRequest amend;
  amend.set_filed(filed.filings(0).list());
  amend.set_amendment(local.name());
  amend.set_reason("采用本区规则：区局可发布本区预警");
  v1::Filing f;
  ASSERT_TRUE(filing_->AmendFiling(KeyContext(*bureau_).get(), amend, &f).ok());
  v1::AcknowledgeFilingRequest approve;
  approve.set_name(local.name());
  ASSERT_TRUE(filing_->AcknowledgeFiling(KeyContext(*city_).get(), approve, &f).ok());
  v1::IssueAlertRequest req;
  req.mutable_alert()->set_level(v1::YELLOW);
  req.mutable_alert()->add_districts(kDistrict);
  *req.mutable_alert()->mutable_end_time() = In(absl::Hours(2));
  v1::Alert own;
  grpc::Status s = alerts_->IssueAlert(KeyContext(*bureau_).get(), req, &own);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(own.level(), v1::YELLOW);
  // Still its own district only: another district is outside its scope.
  req.mutable_alert()->clear_districts();
  req.mutable_alert()->add_districts("districts/120101");
  EXPECT_EQ(alerts_->IssueAlert(KeyContext(*bureau_).get(), req, &own).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace cuofeng
