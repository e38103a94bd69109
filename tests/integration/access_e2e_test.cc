// Access, secrets and tamper evidence end to end (issue 13): the role ×
// method × scope matrix generated from the access table and run against a
// real server, what an enterprise may read, revocation seen at once by a
// second server process, no secret in a pg_dump, one tamper test per hashed
// column, and bounded refusals (request_id, audit rows, trailers, UTF-8).
#include <grpcpp/generic/generic_stub.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cuofeng/v1/accounts.grpc.pb.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/documents.grpc.pb.h"
#include "cuofeng/v1/notify.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "gtest/gtest.h"
#include "lib/auth/policy.h"
#include "lib/hash/sha256.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using namespace ::cuofeng::testing;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kOwnDistrict[] = "120119";
constexpr char kForeignDistrict[] = "120101";
constexpr char kDistrict[] = "districts/120119";
constexpr char kSeason[] = "districts/120119/seasons/2018-2019";

struct Keyed {
  std::string secret;
  Principal principal;
};

class AccessE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("access"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_EQ(Cli(*admin_, {"district", "create", kOwnDistrict, "--name=蓟州区"}).exit_code, 0);
    ASSERT_EQ(Cli(*admin_, {"district", "create", kForeignDistrict, "--name=和平区"}).exit_code, 0);
    keys_ = new std::map<Role, Keyed>();
    const std::string bureau = CreateKey(server_->address(), *admin_, "bureau", kDistrict);
    CommandResult imported = ImportSampleDistrict(server_->address(), bureau, kDistrict, 12, 40);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    enterprise_ = new std::string(
        SqlScalar(*dsn_, "SELECT name FROM registry.enterprise ORDER BY name LIMIT 1"));
    other_enterprise_ = new std::string(
        SqlScalar(*dsn_, "SELECT name FROM registry.enterprise ORDER BY name DESC LIMIT 1"));
    ASSERT_TRUE(absl::StartsWith(*enterprise_, "districts/120119/enterprises/")) << *enterprise_;
    (*keys_)[Role::kAdmin] = {*admin_, {"", Role::kAdmin, ""}};
    (*keys_)[Role::kBureau] = {bureau, {"", Role::kBureau, kDistrict}};
    (*keys_)[Role::kCity] = {CreateKey(server_->address(), *admin_, "city", ""),
                             {"", Role::kCity, ""}};
    (*keys_)[Role::kVerifier] = {CreateKey(server_->address(), *admin_, "verifier", kDistrict),
                                 {"", Role::kVerifier, kDistrict}};
    (*keys_)[Role::kService] = {CreateKey(server_->address(), *admin_, "service", ""),
                                {"", Role::kService, ""}};
    (*keys_)[Role::kEnterprise] = {
        CreateKey(server_->address(), *admin_, "enterprise", *enterprise_),
        {"", Role::kEnterprise, *enterprise_}};
    // A filed list, and a draft after it.
    ASSERT_EQ(LoadRuleSet(server_->address(), bureau, "jizhou-2018").exit_code, 0);
    ASSERT_EQ(
        Cli(bureau, {"season", "create", "--district=districts/120119", "--id=2018-2019",
                     "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"})
            .exit_code,
        0);
    ASSERT_EQ(
        Cli(bureau, {"season", "create", "--district=districts/120119", "--id=2019-2020",
                     "--start=2019-11-15", "--end=2020-03-15", "--filing_deadline=2019-10-31"})
            .exit_code,
        0);
    filed_ = new std::string(Generate());
    auto planning = v1::FilingService::NewStub(Connect(server_->address()));
    {
      v1::SubmitListRequest req;
      req.set_name(*filed_);
      v1::Filing out;
      grpc::Status s = planning->SubmitList(KeyContext(bureau).get(), req, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    {
      v1::AcknowledgeFilingRequest req;
      req.set_name(*filed_);
      v1::Filing out;
      grpc::Status s =
          planning->AcknowledgeFiling(KeyContext((*keys_)[Role::kCity].secret).get(), req, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    draft_ = new std::string(Generate());
  }
  static void TearDownTestSuite() { delete server_; }

  static std::string Key(Role role) { return (*keys_)[role].secret; }
  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }
  static std::string Generate() {
    auto planning = v1::PlanningService::NewStub(Connect(server_->address()));
    v1::GenerateListRequest req;
    req.set_parent(kDistrict);
    req.set_season(kSeason);
    req.set_rule_set("ruleSets/jizhou-2018");
    v1::ListVersion out;
    grpc::Status s = planning->GenerateList(KeyContext(Key(Role::kBureau)).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.name();
  }
  static v1::VerifyChainResponse Verify() {
    auto filing = v1::FilingService::NewStub(Connect(server_->address()));
    v1::VerifyChainRequest req;
    req.set_district(kDistrict);
    v1::VerifyChainResponse out;
    grpc::Status s = filing->VerifyChain(KeyContext(Key(Role::kCity)).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* enterprise_;
  static std::string* other_enterprise_;
  static std::string* filed_;
  static std::string* draft_;
  static std::map<Role, Keyed>* keys_;
  static ServerProcess* server_;
};

std::string* AccessE2eTest::dsn_;
std::string* AccessE2eTest::admin_;
std::string* AccessE2eTest::enterprise_;
std::string* AccessE2eTest::other_enterprise_;
std::string* AccessE2eTest::filed_;
std::string* AccessE2eTest::draft_;
std::map<Role, Keyed>* AccessE2eTest::keys_;
ServerProcess* AccessE2eTest::server_;

// ---------------------------------------------------------------------------
// The matrix.

struct GenericResult {
  grpc::Status status;
  bool got_response = false;
  std::string response;
};

void* Tag(intptr_t i) { return reinterpret_cast<void*>(i); }

// GenericCall sends one request message to `method` (/pkg.Service/Method) of
// any kind (unary or streaming) and returns the status and first response.
GenericResult GenericCall(grpc::GenericStub& stub, const std::string& method,
                          const std::string& request, const std::string& key,
                          absl::Duration timeout) {
  GenericResult out;
  grpc::ClientContext ctx;
  if (!key.empty()) AddKey(&ctx, key);
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call = stub.PrepareCall(&ctx, method, &cq);
  call->StartCall(Tag(1));
  cq.Next(&tag, &ok);
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, Tag(2));
  cq.Next(&tag, &ok);
  call->WritesDone(Tag(3));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer response;
  call->Read(&response, Tag(4));
  cq.Next(&tag, &ok);
  if (ok) {
    out.got_response = true;
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const auto& s : slices)
        out.response.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    ctx.TryCancel();  // a stream may go on; one message says it was allowed
  }
  call->Finish(&out.status, Tag(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return out;
}

// Sets `path` ("a.b", "a[]" adds an element) of `m` to `value`.
void SetPath(Message* m, absl::string_view path, const std::string& value) {
  size_t dot = path.find('.');
  absl::string_view head = path.substr(0, dot);
  const bool add = absl::EndsWith(head, "[]");
  if (add) head.remove_suffix(2);
  const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(std::string(head));
  ASSERT_NE(f, nullptr) << m->GetDescriptor()->name() << " has no field " << head;
  const auto* r = m->GetReflection();
  if (dot == absl::string_view::npos) {
    if (f->type() == FieldDescriptor::TYPE_BOOL) {
      r->SetBool(m, f, value == "true");
    } else if (f->type() == FieldDescriptor::TYPE_DOUBLE) {
      r->SetDouble(m, f, std::stod(value));
    } else if (f->type() == FieldDescriptor::TYPE_INT64) {
      r->SetInt64(m, f, std::stoll(value));
    } else if (f->type() == FieldDescriptor::TYPE_ENUM) {
      r->SetEnum(m, f, f->enum_type()->FindValueByName(value));
    } else if (add) {
      r->AddString(m, f, value);
    } else {
      r->SetString(m, f, value);
    }
    return;
  }
  Message* sub = add ? r->AddMessage(m, f) : r->MutableMessage(m, f);
  SetPath(sub, path.substr(dot + 1), value);
}

// One method's request for the matrix: where the resource goes, and the
// resource (with {d} the district id and {e} the enterprise name's last part).
struct Probe {
  std::vector<std::string> paths;
  std::string resource;
  std::vector<std::pair<std::string, std::string>> extra = {};  // fixed fields
};

const std::map<std::string, std::string>& RegistryCollections() {
  static const auto* m = new std::map<std::string, std::string>{
      {"Township", "districts/{d}/townships/zz-none"},
      {"Enterprise", "districts/{d}/enterprises/{e}"},
      {"ProductionLine", "districts/{d}/enterprises/{e}/lines/zz-none"},
      {"Process", "districts/{d}/enterprises/{e}/lines/zz/processes/zz-none"},
      {"Equipment", "districts/{d}/enterprises/{e}/lines/zz/processes/zz/equipment/zz-none"},
      {"Meter", "districts/{d}/enterprises/{e}/meters/zz-none"},
      {"Camera", "districts/{d}/enterprises/{e}/cameras/zz-none"},
      {"Vehicle", "districts/{d}/vehicles/zz-none"},
      {"RetrofitTask", "districts/{d}/enterprises/{e}/retrofitTasks/zz-none"},
      {"EmissionTotal", "districts/{d}/emissionTotals/zz-none"},
      {"WhitelistEntry", "districts/{d}/enterprises/{e}/whitelistEntries/zz-none"},
      {"MonitoringPoint", "districts/{d}/enterprises/{e}/monitoringPoints/zz-none"},
      {"ProductionLedger", "districts/{d}/enterprises/{e}/productionLedgers/zz-none"},
      {"District", "districts/{d}"}};
  return *m;
}

std::string ParentOf(const std::string& name) {
  return name.substr(0, name.rfind('/', name.rfind('/') - 1));
}

Probe ProbeFor(const google::protobuf::MethodDescriptor& method) {
  const std::string name = method.name();
  static const auto* fixed = new std::map<std::string, Probe>{
      {"CreateApiKey", {{}, "apiKeys"}},
      {"RevokeApiKey", {{"name"}, "apiKeys/zz-none"}},
      {"GetCaller", {{}, ""}},
      {"ListAuditEntries", {{"resource_prefix"}, "districts/{d}"}},
      {"CreateDistrict", {{"district_id"}, "districts/{d}"}},
      {"ListDistricts", {{}, "districts"}},
      {"ImportRegistry",
       {{"header.district"}, "districts/{d}", {{"header.validate_only", "true"}}}},
      {"ExportRegistry", {{"district"}, "districts/{d}"}},
      {"ReadDistrictSnapshot", {{"district"}, "districts/{d}"}},
      {"CreateRuleSet",
       {{}, "ruleSets/zz-none", {{"rule_set_id", "zz-none"}, {"validate_only", "true"}}}},
      {"GetRuleSet", {{"name"}, "ruleSets/zz-none"}},
      {"ListRuleSets", {{}, ""}},
      {"CreateSeason", {{"parent"}, "districts/{d}"}},
      {"GetSeason", {{"name"}, "districts/{d}/seasons/zz-none"}},
      {"ListSeasons", {{"parent"}, "districts/{d}"}},
      {"UpdateSeason", {{"season.name"}, "districts/{d}/seasons/zz-none"}},
      {"GenerateList", {{"parent"}, "districts/{d}"}},
      {"GetListVersion", {{"name"}, "districts/{d}/lists/999"}},
      {"ListListVersions", {{"parent"}, "districts/{d}"}},
      {"ListEntries", {{"parent"}, "districts/{d}/lists/999"}},
      {"ExplainEntry", {{"name"}, "districts/{d}/lists/999/entries/1"}},
      {"DiffLists", {{"base", "other"}, "districts/{d}/lists/999"}},
      {"SubmitList", {{"name"}, "districts/{d}/lists/999"}},
      {"AcknowledgeFiling", {{"name"}, "districts/{d}/lists/999"}},
      {"AmendFiling", {{"filed", "amendment"}, "districts/{d}/lists/999"}},
      {"ListFilings", {{"parent"}, "districts/{d}"}},
      {"VerifyChain", {{"district"}, "districts/{d}"}},
      {"IssueAlert", {{"alert.districts[]"}, "districts/{d}"}},
      {"PreviewAlert",
       {{"issue.alert.districts[]"}, "districts/{d}", {{"issue.alert.level", "ORANGE"}}}},
      {"ChangeAlert", {{"name"}, "alerts/999999"}},
      {"LiftAlert", {{"name"}, "alerts/999999"}},
      {"GetAlert", {{"name"}, "alerts/999999"}},
      {"ListAlerts", {{"district"}, "districts/{d}"}},
      {"GetObligations", {{"enterprise"}, "districts/{d}/enterprises/{e}"}},
      {"WatchObligations", {{"enterprise"}, "districts/{d}/enterprises/{e}"}},
      {"ListObligationWindows", {{"district"}, "districts/{d}"}},
      {"IngestReadings", {{"readings[].meter"}, "districts/{d}/enterprises/{e}/meters/zz-none"}},
      {"IngestGateEvents", {{"events[].camera"}, "districts/{d}/enterprises/{e}/cameras/zz-none"}},
      {"IngestLedgerRows", {{"rows[].enterprise"}, "districts/{d}/enterprises/{e}"}},
      {"IngestProductionDays",
       {{"days[].ledger"}, "districts/{d}/enterprises/{e}/productionLedgers/zz-none"}},
      {"RecordMeterEvent",
       {{"event.meter"},
        "districts/{d}/enterprises/{e}/meters/zz-none",
        {{"event.time.seconds", "1543593600"},
         {"event.kind", "REGISTER_RESET"},
         {"event.reason", "换表"}}}},
      {"ListMeterEvents", {{"meter"}, "districts/{d}/enterprises/{e}/meters/zz-none"}},
      {"ListBaselines", {{"parent"}, "districts/{d}/enterprises/{e}"}},
      {"OverrideBaseline",
       {{"name"},
        "districts/{d}/enterprises/{e}/meters/zz-none/baselines/2018-2019",
        {{"load_kw", "80"}, {"reason", "测试"}}}},
      // A period with no readings: an allowed run checks nothing and finds nothing.
      {"RunVerification",
       {{"district"},
        "districts/{d}",
        {{"from.seconds", "1262304000"}, {"to.seconds", "1262307600"}}}},
      {"ListFindings", {{"parent"}, "districts/{d}"}},
      {"GetFinding", {{"name"}, "districts/{d}/enterprises/{e}/findings/999999"}},
      {"GetEvidence", {{"name"}, "districts/{d}/enterprises/{e}/findings/999999"}},
      {"ReviewFinding",
       {{"name"},
        "districts/{d}/enterprises/{e}/findings/999999",
        {{"decision", "CONFIRM"}, {"comment", "测试"}}}},
      {"ExplainFinding",
       {{"name"}, "districts/{d}/enterprises/{e}/findings/999999", {{"explanation", "测试"}}}},
      {"ListVerificationRuns", {{"parent"}, "districts/{d}"}},
      {"GetVerificationRun", {{"name"}, "districts/{d}/verificationRuns/999999"}},
      {"WatchFindings", {{"parent"}, "districts/{d}"}},
      {"ListCemsTransmission",
       {{"district"}, "districts/{d}", {{"from_day", "2018-10-01"}, {"to_day", "2018-10-24"}}}},
      // Documents: each gathers with the caller's key; a refusal is the table's.
      {"RenderList", {{"list"}, "districts/{d}/lists/999"}},
      {"RenderPlantPlan",
       {{"enterprise"}, "districts/{d}/enterprises/{e}", {{"list", "districts/{d}/lists/999"}}}},
      {"RenderObligationNotice", {{"enterprise"}, "districts/{d}/enterprises/{e}"}},
      {"RenderCaseFile", {{"finding"}, "districts/{d}/enterprises/{e}/findings/999999"}},
      {"RenderRegistryWorkbook", {{"district"}, "districts/{d}"}},
      {"RenderCityOverview", {{}, "districts/-", {{"season", "2018-2019"}}}},
      // Notifications.
      {"ListNotifications", {{"parent"}, "districts/{d}"}},
      {"MarkNotificationRead", {{"name"}, "districts/{d}/enterprises/{e}/notifications/999999"}},
      {"GetContactSettings", {{"name"}, "districts/{d}/enterprises/{e}/contactSettings"}},
      {"UpdateContactSettings",
       {{"contact_settings.name"}, "districts/{d}/enterprises/{e}/contactSettings"}},
      // Accounts (Login and ChangePassword take no key: their rows say "password").
      {"CreateAccount",
       {{"account.scope"},
        "districts/{d}",
        {{"account.username", "zz.nobody"}, {"account.role", "VERIFIER"}}}},
      {"ListAccounts", {{"scope"}, "districts/{d}"}},
      {"UnlockAccount", {{"name"}, "accounts/zz-none"}},
      {"Login", {{}, "-"}},
      {"ChangePassword", {{}, "-"}},
      {"Logout", {{}, "-"}},
      {"RotateApiKey", {{"name"}, "apiKeys/zz-none"}},
  };
  auto it = fixed->find(name);
  if (it != fixed->end()) return it->second;
  // Registry CRUD: Verb + Kind.
  for (const auto& [kind, pattern] : RegistryCollections()) {
    for (const char* verb : {"Get", "Update", "Delete", "Create", "List"}) {
      std::string plural = kind == "Process"          ? "Processes"
                           : kind == "Equipment"      ? "Equipment"
                           : kind == "WhitelistEntry" ? "WhitelistEntries"
                                                      : kind + "s";
      if (name != absl::StrCat(verb, std::string(verb) == "List" ? plural : kind)) continue;
      if (std::string(verb) == "Get") return {{"name"}, pattern};
      if (std::string(verb) == "Delete") return {{"name"}, pattern, {{"etag", "zz-stale"}}};
      const std::string field = method.input_type()->field(0)->name() == "parent"
                                    ? method.input_type()->field(1)->name()
                                    : method.input_type()->field(0)->name();
      if (std::string(verb) == "Update") {
        std::string resource_field;
        for (int i = 0; i < method.input_type()->field_count(); ++i) {
          const auto* f = method.input_type()->field(i);
          if (f->type() == FieldDescriptor::TYPE_MESSAGE && f->name() != "update_mask")
            resource_field = f->name();
        }
        return {{resource_field + ".name"}, pattern, {{resource_field + ".etag", "zz-stale"}}};
      }
      (void)field;
      return {{"parent"}, ParentOf(pattern)};
    }
  }
  return {{}, "?"};
}

std::string Fill(std::string pattern, const std::string& district, const std::string& enterprise) {
  return absl::StrReplaceAll(pattern, {{"{d}", district}, {"{e}", enterprise}});
}

TEST_F(AccessE2eTest, EveryMethodAsEveryRoleWithOwnAndForeignScopes) {
  grpc::GenericStub stub(Connect(server_->address()));
  // Referencing one message per file links its descriptors in.
  (void)v1::Account::descriptor();
  (void)v1::Document::descriptor();
  (void)v1::Notification::descriptor();
  const std::string own_enterprise = enterprise_->substr(enterprise_->rfind('/') + 1);
  int calls = 0;
  for (const char* service : {"AdminService", "RegistryService", "PlanningService", "FilingService",
                              "AlertService", "ObligationService", "ComplianceService",
                              "DocumentService", "NotificationService", "AccountService"}) {
    const auto* sd = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        absl::StrCat("cuofeng.v1.", service));
    ASSERT_NE(sd, nullptr);
    for (int i = 0; i < sd->method_count(); ++i) {
      const auto& method = *sd->method(i);
      Probe probe = ProbeFor(method);
      ASSERT_NE(probe.resource, "?") << method.name() << " has no probe";
      for (Role role : kRoles) {
        for (bool own : {true, false}) {
          const Principal& p = (*keys_)[role].principal;
          // Own: the caller's district (an enterprise: itself). Foreign: another district.
          const std::string district = own ? kOwnDistrict : kForeignDistrict;
          const std::string enterprise =
              role == Role::kEnterprise && own ? own_enterprise : "zz-nobody";
          const std::string resource = Fill(probe.resource, district, enterprise);
          std::unique_ptr<Message> req(google::protobuf::MessageFactory::generated_factory()
                                           ->GetPrototype(method.input_type())
                                           ->New());
          for (const auto& path : probe.paths) {
            SetPath(req.get(), path, method.name() == "CreateDistrict" ? district : resource);
          }
          for (const auto& [path, value] : probe.extra) {
            SetPath(req.get(), path, Fill(value, district, enterprise));
          }
          // What the table says. Ingest streams are checked row by row: the
          // call itself is judged on the caller's own scope.
          const bool ingest = absl::StartsWith(method.name(), "Ingest");
          std::string judged = resource;
          if (ingest) judged = p.scope.empty() ? "districts/-" : p.scope;
          const bool expected = Authorize(p, method.name(), judged).ok();
          GenericResult got =
              GenericCall(stub, absl::StrCat("/", sd->full_name(), "/", method.name()),
                          req->SerializeAsString(), Key(role),
                          method.name() == "WatchObligations" || method.name() == "WatchFindings"
                              ? absl::Seconds(3)
                              : absl::Seconds(30));
          ++calls;
          const bool refused_by_table =
              got.status.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
              (absl::StrContains(got.status.error_message(), "访问权限表") ||
               absl::StrContains(got.status.error_message(), "只能在本范围内"));
          const std::string what = absl::StrCat(
              method.name(), " as ", RoleName(role), own ? " (own: " : " (foreign: ", resource,
              ") -> ", got.status.error_code(), " ", got.status.error_message());
          if (expected) {
            EXPECT_FALSE(refused_by_table) << what;
            EXPECT_NE(got.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << what;
          } else {
            EXPECT_EQ(got.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << what;
          }
          if (ingest && expected && got.status.ok()) {
            // The row itself is judged by the table too.
            v1::IngestSummary summary;
            ASSERT_TRUE(summary.ParseFromString(got.response)) << what;
            const bool row_allowed = Authorize(p, method.name(), resource).ok();
            if (!row_allowed) {
              ASSERT_EQ(summary.rejected(), 1) << what;
              EXPECT_THAT(summary.rejections(0).reason(), HasSubstr("不能")) << what;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(calls, 1000);
  // Each ingest stream's audit row says what it took in, in Chinese.
  EXPECT_NE(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE method LIKE 'Ingest%' AND "
                      "outcome = 'OK' AND detail LIKE '接收 % 行，重复 % 行，拒收 % 行；来源：%'"),
            "0");
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE method LIKE 'Ingest%' AND "
                      "detail LIKE 'accepted %'"),
            "0");
}

// ---------------------------------------------------------------------------
// What an enterprise may read, and who owns districts.

TEST_F(AccessE2eTest, AnEnterpriseSeesOnlyFiledEntriesAboutItself) {
  auto planning = v1::PlanningService::NewStub(Connect(server_->address()));
  auto filing = v1::FilingService::NewStub(Connect(server_->address()));
  const std::string key = Key(Role::kEnterprise);
  {
    v1::ListEntriesRequest req;
    req.set_parent(*filed_);
    req.set_page_size(1000);
    v1::ListEntriesResponse out;
    grpc::Status s = planning->ListEntries(KeyContext(key).get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& e : out.entries()) EXPECT_EQ(e.enterprise(), *enterprise_);
  }
  {
    v1::ListEntriesRequest req;  // another enterprise's entries
    req.set_parent(*filed_);
    req.set_enterprise(*other_enterprise_);
    v1::ListEntriesResponse out;
    EXPECT_EQ(planning->ListEntries(KeyContext(key).get(), req, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    v1::ListEntriesRequest req;  // a draft
    req.set_parent(*draft_);
    v1::ListEntriesResponse out;
    EXPECT_EQ(planning->ListEntries(KeyContext(key).get(), req, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(out.entries_size(), 0);
  }
  // Whatever parent it passes, never the district's lists, proofs, filings or chain.
  for (const std::string& parent : {std::string(kDistrict), *enterprise_}) {
    v1::ListListVersionsRequest versions;
    versions.set_parent(parent);
    v1::ListListVersionsResponse listed;
    EXPECT_FALSE(planning->ListListVersions(KeyContext(key).get(), versions, &listed).ok());
    EXPECT_EQ(listed.list_versions_size(), 0) << parent;
    v1::ListFilingsRequest filings;
    filings.set_parent(parent);
    v1::ListFilingsResponse filed;
    EXPECT_FALSE(filing->ListFilings(KeyContext(key).get(), filings, &filed).ok());
    EXPECT_EQ(filed.filings_size(), 0) << parent;
    v1::VerifyChainRequest verify;
    verify.set_district(parent);
    v1::VerifyChainResponse verified;
    EXPECT_EQ(filing->VerifyChain(KeyContext(key).get(), verify, &verified).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << parent;
  }
  for (const std::string& list : {*filed_, *draft_}) {
    v1::GetListVersionRequest get;
    get.set_name(list);
    v1::ListVersion version;
    EXPECT_EQ(planning->GetListVersion(KeyContext(key).get(), get, &version).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(version.proof_size(), 0);
  }
}

TEST_F(AccessE2eTest, DistrictsAreTheAdministrators) {
  CommandResult renamed = Cli(Key(Role::kBureau), {"registry", "get", kDistrict});
  ASSERT_EQ(renamed.exit_code, 0) << renamed.output;
  auto registry = v1::RegistryService::NewStub(Connect(server_->address()));
  for (Role role : {Role::kBureau, Role::kCity, Role::kVerifier, Role::kService}) {
    v1::UpdateDistrictRequest req;
    req.mutable_district()->set_name(kDistrict);
    req.mutable_district()->set_display_name("改名区");
    req.mutable_update_mask()->add_paths("display_name");
    v1::District out;
    EXPECT_EQ(registry->UpdateDistrict(KeyContext(Key(role)).get(), req, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << RoleName(role);
    v1::CreateDistrictRequest create;
    create.set_district_id("120102");
    create.mutable_district()->set_display_name("河东区");
    EXPECT_EQ(registry->CreateDistrict(KeyContext(Key(role)).get(), create, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << RoleName(role);
  }
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT display_name FROM registry.district WHERE name = "
                      "'districts/120119'"),
            "蓟州区");
}

// ---------------------------------------------------------------------------
// Keys: revocation everywhere at once, no secret at rest.

TEST_F(AccessE2eTest, RevocationIsSeenAtOnceByASecondServerProcess) {
  std::string error;
  auto second = ServerProcess::Start(*dsn_, &error);
  ASSERT_NE(second, nullptr) << error;
  auto admin_a = v1::AdminService::NewStub(Connect(server_->address()));
  auto on_b = v1::AdminService::NewStub(Connect(second->address()));
  for (int round = 0; round < 5; ++round) {
    v1::CreateApiKeyRequest create;
    create.mutable_api_key()->set_role(v1::CITY);
    create.mutable_api_key()->set_display_name(absl::StrCat("revoked ", round));
    v1::CreateApiKeyResponse created;
    ASSERT_TRUE(admin_a->CreateApiKey(KeyContext(*admin_).get(), create, &created).ok());
    v1::ApiKey caller;
    // Process B has just served the key...
    ASSERT_TRUE(on_b->GetCaller(KeyContext(created.secret()).get(), {}, &caller).ok());
    v1::RevokeApiKeyRequest revoke;
    revoke.set_name(created.api_key().name());
    v1::ApiKey revoked;
    ASSERT_TRUE(admin_a->RevokeApiKey(KeyContext(*admin_).get(), revoke, &revoked).ok());
    // ...and refuses it on the very next call, revoked through process A.
    EXPECT_EQ(on_b->GetCaller(KeyContext(created.secret()).get(), {}, &caller).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << "round " << round;
  }
}

TEST_F(AccessE2eTest, AReplayReturnsTheKeysNameNeverItsSecretAndNoTableHoldsOne) {
  auto admin = v1::AdminService::NewStub(Connect(server_->address()));
  std::vector<std::string> secrets;
  for (int i = 0; i < 3; ++i) {
    v1::CreateApiKeyRequest create;
    create.set_request_id(absl::StrCat("replayed-key-", i));
    create.mutable_api_key()->set_role(v1::BUREAU);
    create.mutable_api_key()->set_scope(kDistrict);
    create.mutable_api_key()->set_display_name("重放测试");
    v1::CreateApiKeyResponse first, replay;
    ASSERT_TRUE(admin->CreateApiKey(KeyContext(*admin_).get(), create, &first).ok());
    ASSERT_TRUE(absl::StartsWith(first.secret(), "cfk_"));
    ASSERT_TRUE(admin->CreateApiKey(KeyContext(*admin_).get(), create, &replay).ok());
    EXPECT_EQ(replay.api_key().name(), first.api_key().name());
    EXPECT_EQ(replay.secret(), "") << "a replay handed the secret out again";
    secrets.push_back(first.secret());
  }
  for (Role role : kRoles) secrets.push_back(Key(role));
  // pg_dump of the whole database: every table, every column.
  const std::string dump_path = absl::StrCat(TempDir(), "/dump.sql");
  CommandResult dumped = RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat("PG_DUMP=$(ls /usr/lib/postgresql/*/bin/pg_dump | tail -1); \"$PG_DUMP\" "
                    "--data-only --dbname='",
                    *dsn_, "' > ", dump_path)});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.output;
  const std::string dump = ReadFile(dump_path);
  std::remove(dump_path.c_str());
  std::remove(dump_path.substr(0, dump_path.rfind('/')).c_str());
  ASSERT_GT(dump.size(), 10000u);
  for (const std::string& secret : secrets) {
    EXPECT_FALSE(absl::StrContains(dump, secret)) << "pg_dump holds a secret";
    EXPECT_FALSE(absl::StrContains(dump, secret.substr(4))) << "pg_dump holds a secret's body";
    EXPECT_TRUE(absl::StrContains(dump, Sha256Hex(secret))) << "the key's hash is stored";
  }
}

// ---------------------------------------------------------------------------
// Bounded refusals.

TEST_F(AccessE2eTest, ALongRequestIdIsRefusedByName) {
  auto registry = v1::RegistryService::NewStub(Connect(server_->address()));
  for (size_t length : {201u, 100000u}) {
    v1::CreateTownshipRequest req;
    req.set_parent(kDistrict);
    req.set_township_id("long-request");
    req.mutable_township()->set_display_name("长请求镇");
    req.set_request_id(std::string(length, 'r'));
    v1::Township out;
    grpc::Status s = registry->CreateTownship(KeyContext(Key(Role::kBureau)).get(), req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    auto violations = FieldViolations(FromGrpcStatus(s));
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field, "request_id");
    EXPECT_LT(s.error_message().size() + s.error_details().size(), 4000u);
  }
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT count(*) FROM registry.township WHERE name LIKE "
                      "'%long-request'"),
            "0");
}

TEST_F(AccessE2eTest, RefusalsOfHugeInputStayBoundedInTrailersAndTheAuditLog) {
  auto registry = v1::RegistryService::NewStub(Connect(server_->address()));
  const std::string huge = absl::StrCat(kDistrict, "/enterprises/", std::string(100000, 'x'));
  for (const std::string& key : {std::string(), Key(Role::kBureau)}) {
    v1::DeleteEnterpriseRequest req;
    req.set_name(huge);
    req.set_request_id(std::string(150, 'q'));
    v1::DeleteResponse out;
    grpc::Status s = registry->DeleteEnterprise(KeyContext(key).get(), req, &out);
    EXPECT_FALSE(s.ok());
    EXPECT_LE(s.error_message().size(), 1024u) << "the message quotes the whole input";
    EXPECT_LE(s.error_details().size(), 17000u);
    v1::UpdateEnterpriseRequest update;  // a violation description with the input in it
    update.mutable_enterprise()->set_name(huge);
    v1::Enterprise updated;
    s = registry->UpdateEnterprise(KeyContext(key).get(), update, &updated);
    EXPECT_FALSE(s.ok());
    EXPECT_LE(s.error_message().size(), 1024u);
    EXPECT_LE(s.error_details().size(), 17000u);
  }
  // An unauthenticated caller writes only bounded rows.
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE principal LIKE "
                      "'anonymous%' AND method = 'DeleteEnterprise'"),
            "1");
  const std::string widest = SqlScalar(
      *dsn_,
      "SELECT max(octet_length(principal) + octet_length(method) + octet_length(resource) + "
      "octet_length(request_id) + octet_length(outcome) + octet_length(detail)) "
      "FROM core.audit_log");
  EXPECT_LE(std::stoi(widest), 2000);
}

TEST_F(AccessE2eTest, InvalidUtf8OnTheWireIsInvalidArgumentWithAMessage) {
  grpc::GenericStub stub(Connect(server_->address()));
  // GetEnterpriseRequest.name (field 1, length-delimited) holding 0xFF 0xFE.
  const std::string request("\x0a\x04\xff\xfe\x41\x42", 6);
  GenericResult got = GenericCall(stub, "/cuofeng.v1.RegistryService/GetEnterprise", request,
                                  Key(Role::kBureau), absl::Seconds(10));
  EXPECT_EQ(got.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(got.status.error_message(), HasSubstr("UTF-8"));
}

// ---------------------------------------------------------------------------
// Tamper evidence: one edit per hashed column, as the database superuser.

struct Tamper {
  std::string table;   // the table edited
  std::string edit;    // SQL run with the table's triggers off
  std::string undo;    // SQL that puts it back
  std::string column;  // what verify must name
  bool names_entry;    // verify names an entry too
};

TEST_F(AccessE2eTest, FilingVerifyNamesEveryAlteredColumn) {
  const std::string l = *filed_;
  const std::string w = absl::StrCat(" WHERE list = '", l, "'");
  const std::string e3 = absl::StrCat(w, " AND seq = 3");
  const std::string lw = absl::StrCat(" WHERE name = '", l, "'");
  auto col = [&](const std::string& table, const std::string& where, const std::string& column) {
    return SqlScalar(*dsn_, absl::StrCat("SELECT ", column, "::text FROM ", table, where));
  };
  // Entries: each column a reader relies on, deletion, insertion, renumbering.
  const std::string enterprise3 = col("planning.list_entry", e3, "enterprise");
  const std::string count = col("planning.filing", w, "entry_count");
  std::vector<Tamper> tampers = {
      {"planning.list_entry",
       absl::StrCat("UPDATE planning.list_entry SET enterprise = '", *other_enterprise_, "'", e3),
       absl::StrCat("UPDATE planning.list_entry SET enterprise = '", enterprise3, "'", e3),
       "enterprise", true},
      {"planning.list_entry",
       absl::StrCat("UPDATE planning.list_entry SET resource = resource || '-x'", e3),
       absl::StrCat("UPDATE planning.list_entry SET resource = left(resource, -2)", e3), "resource",
       true},
      {"planning.list_entry", absl::StrCat("UPDATE planning.list_entry SET kind = kind || 'X'", e3),
       absl::StrCat("UPDATE planning.list_entry SET kind = left(kind, -1)", e3), "kind", true},
      {"planning.list_entry",
       absl::StrCat("UPDATE planning.list_entry SET district_id = '120101'", e3),
       absl::StrCat("UPDATE planning.list_entry SET district_id = '120119'", e3), "district_id",
       true},
      {"planning.list_entry",
       absl::StrCat("UPDATE planning.list_entry SET body = body || '\\x00'::bytea", e3),
       absl::StrCat("UPDATE planning.list_entry SET body = substring(body from 1 for "
                    "length(body) - 1)",
                    e3),
       "body", true},
      {"planning.list_entry",
       absl::StrCat("UPDATE planning.list_entry SET entry_sha256 = 'x' || entry_sha256", e3),
       absl::StrCat("UPDATE planning.list_entry SET entry_sha256 = substring(entry_sha256 from 2)",
                    e3),
       "body", true},
      {"planning.list_entry", absl::StrCat("UPDATE planning.list_entry SET seq = 100000", e3),
       absl::StrCat("UPDATE planning.list_entry SET seq = 3", w, " AND seq = 100000"), "seq", true},
      {"planning.list_entry",
       absl::StrCat("CREATE TABLE public.saved AS SELECT * FROM planning.list_entry", e3,
                    "; DELETE FROM planning.list_entry", e3),
       "INSERT INTO planning.list_entry SELECT * FROM public.saved; DROP TABLE public.saved", "seq",
       true},
      {"planning.list_entry",
       absl::StrCat("INSERT INTO planning.list_entry SELECT list, seq + ", count,
                    ", district_id, enterprise, resource, kind, body, entry_sha256 FROM "
                    "planning.list_entry",
                    w, " AND seq = 1"),
       absl::StrCat("DELETE FROM planning.list_entry", w, " AND seq = ", count, " + 1"), "seq",
       true},
      // The filing row.
      {"planning.filing", absl::StrCat("UPDATE planning.filing SET submitted_by = 'apiKeys/x'", w),
       absl::StrCat("UPDATE planning.filing SET submitted_by = '",
                    col("planning.filing", w, "submitted_by"), "'", w),
       "submitted_by", false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET submit_time = submit_time + interval '1 second'",
                    w),
       absl::StrCat("UPDATE planning.filing SET submit_time = submit_time - interval '1 second'",
                    w),
       "submit_time", false},
      {"planning.filing", absl::StrCat("UPDATE planning.filing SET late = NOT late", w),
       absl::StrCat("UPDATE planning.filing SET late = NOT late", w), "late", false},
      {"planning.filing", absl::StrCat("UPDATE planning.filing SET reason = '改'", w),
       absl::StrCat("UPDATE planning.filing SET reason = NULL", w), "reason", false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET amends = 'districts/120119/lists/9'", w),
       absl::StrCat("UPDATE planning.filing SET amends = NULL", w), "amends", false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET content_sha256 = 'x' || content_sha256", w),
       absl::StrCat("UPDATE planning.filing SET content_sha256 = substring(content_sha256 from 2)",
                    w),
       "content_sha256", false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET entry_count = entry_count + 1", w),
       absl::StrCat("UPDATE planning.filing SET entry_count = entry_count - 1", w), "entry_count",
       false},
      {"planning.filing", absl::StrCat("UPDATE planning.filing SET sha256 = 'x' || sha256", w),
       absl::StrCat("UPDATE planning.filing SET sha256 = substring(sha256 from 2)", w), "sha256",
       false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET previous_sha256 = 'x' || previous_sha256", w),
       absl::StrCat("UPDATE planning.filing SET previous_sha256 = substring(previous_sha256 "
                    "from 2)",
                    w),
       "previous_sha256", false},
      {"planning.filing", absl::StrCat("UPDATE planning.filing SET seq = 7", w),
       absl::StrCat("UPDATE planning.filing SET seq = 1", w), "seq", false},
      {"planning.filing", absl::StrCat("UPDATE planning.filing SET district_id = '120101'", w),
       absl::StrCat("UPDATE planning.filing SET district_id = '120119'", w), "district_id", false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET record = record || 'x=1:y\n'", w),
       absl::StrCat("UPDATE planning.filing SET record = left(record, -6)", w), "record_sha256",
       false},
      {"planning.filing",
       absl::StrCat("UPDATE planning.filing SET record_sha256 = 'x' || record_sha256", w),
       absl::StrCat("UPDATE planning.filing SET record_sha256 = substring(record_sha256 from 2)",
                    w),
       "record_sha256", false},
      // The list version's frozen columns.
      {"planning.list_version",
       absl::StrCat("UPDATE planning.list_version SET summary = summary || '\\x00'::bytea", lw),
       absl::StrCat("UPDATE planning.list_version SET summary = substring(summary from 1 for "
                    "length(summary) - 1)",
                    lw),
       "list_version.summary", false},
      {"planning.list_version",
       absl::StrCat("UPDATE planning.list_version SET season = "
                    "'districts/120119/seasons/2019-2020'",
                    lw),
       absl::StrCat("UPDATE planning.list_version SET season = '", kSeason, "'", lw),
       "list_version.season", false},
      {"planning.list_version",
       absl::StrCat("UPDATE planning.list_version SET state = 'SUBMITTED'", lw),
       absl::StrCat("UPDATE planning.list_version SET state = 'FILED'", lw), "list_version.state",
       false},
      {"planning.list_version",
       absl::StrCat("UPDATE planning.list_version SET amendment_reason = '改'", lw),
       absl::StrCat("UPDATE planning.list_version SET amendment_reason = NULL", lw),
       "list_version.amendment_reason", false},
      // The acknowledgement.
      {"planning.acknowledgement",
       absl::StrCat("UPDATE planning.acknowledgement SET acknowledged_by = 'apiKeys/x'", w),
       absl::StrCat("UPDATE planning.acknowledgement SET acknowledged_by = '",
                    col("planning.acknowledgement", w, "acknowledged_by"), "'", w),
       "acknowledgement.acknowledged_by", false},
      {"planning.acknowledgement",
       absl::StrCat("UPDATE planning.acknowledgement SET acknowledge_time = acknowledge_time + "
                    "interval '1 hour'",
                    w),
       absl::StrCat("UPDATE planning.acknowledgement SET acknowledge_time = acknowledge_time - "
                    "interval '1 hour'",
                    w),
       "acknowledgement.acknowledge_time", false},
      {"planning.acknowledgement",
       absl::StrCat("CREATE TABLE public.saved_ack AS SELECT * FROM planning.acknowledgement", w,
                    "; DELETE FROM planning.acknowledgement", w),
       "INSERT INTO planning.acknowledgement SELECT * FROM public.saved_ack; DROP TABLE "
       "public.saved_ack",
       "acknowledgement", false},
  };
  ASSERT_TRUE(Verify().intact());
  for (const Tamper& t : tampers) {
    SCOPED_TRACE(t.edit);
    auto run = [&](const std::string& sql) {
      SqlScalar(*dsn_, absl::StrCat("ALTER TABLE ", t.table, " DISABLE TRIGGER USER; ", sql,
                                    "; ALTER TABLE ", t.table, " ENABLE TRIGGER USER; SELECT 1"));
    };
    run(t.edit);
    v1::VerifyChainResponse found = Verify();
    EXPECT_FALSE(found.intact());
    EXPECT_EQ(found.first_bad_filing(), l) << found.problem();
    EXPECT_EQ(found.first_bad_column(), t.column) << found.problem();
    if (t.names_entry) {
      EXPECT_THAT(found.first_bad_entry(), HasSubstr(absl::StrCat(l, "/entries/")))
          << found.problem();
    }
    run(t.undo);
    v1::VerifyChainResponse again = Verify();
    ASSERT_TRUE(again.intact()) << "undo failed: " << again.problem();
  }
  // The CLI says the same, with the column.
  SqlScalar(*dsn_,
            absl::StrCat("ALTER TABLE planning.list_entry DISABLE TRIGGER USER; ", tampers[0].edit,
                         "; ALTER TABLE planning.list_entry ENABLE TRIGGER USER; SELECT 1"));
  CommandResult cli = Cli(Key(Role::kBureau), {"filing", "verify", "--district=districts/120119"});
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  EXPECT_THAT(cli.output, HasSubstr(absl::StrCat("第一条对不上的条目：", l, "/entries/3")));
  EXPECT_THAT(cli.output, HasSubstr("列：enterprise"));
  SqlScalar(*dsn_,
            absl::StrCat("ALTER TABLE planning.list_entry DISABLE TRIGGER USER; ", tampers[0].undo,
                         "; ALTER TABLE planning.list_entry ENABLE TRIGGER USER; SELECT 1"));
  EXPECT_TRUE(Verify().intact());
}

// Filings sealed by the migration (rows filed before it) verify like new ones:
// the migration's own SQL reseals every row, and the chain stays intact.
TEST_F(AccessE2eTest, RowsSealedByTheMigrationKeepVerifying) {
  const std::string migration =
      ReadFile(SourcePath("sql/planning/V006__filing_records_sealed.sql"));
  const size_t from = migration.find("ALTER TABLE planning.filing DISABLE TRIGGER");
  ASSERT_NE(from, std::string::npos);
  const std::string before =
      SqlScalar(*dsn_, "SELECT string_agg(record, '|') FROM planning.filing");
  SqlScalar(*dsn_, absl::StrCat(migration.substr(from), " SELECT 1"));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT string_agg(record, '|') FROM planning.filing"), before)
      << "the migration seals differently from the server";
  EXPECT_TRUE(Verify().intact()) << Verify().problem();
}

}  // namespace
}  // namespace cuofeng
