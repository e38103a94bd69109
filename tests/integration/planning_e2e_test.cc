// PlanningService end to end: rule sets, seasons, list generation from a
// real registry read over gRPC, explain, diff, scopes, immutability.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
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
constexpr char kSeason[] = "districts/120119/seasons/2018-2019";

class PlanningE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("planning"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    registry_ = v1::RegistryService::NewStub(Connect(server_->address())).release();
    planning_ = v1::PlanningService::NewStub(Connect(server_->address())).release();
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120119", "--name=蓟州区"}).exit_code, 0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", kDistrict));
    CommandResult imported =
        ImportSampleDistrict(server_->address(), *bureau_, kDistrict, 300, 1200);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    CommandResult loaded = LoadRuleSet(server_->address(), *bureau_, "jizhou-2018");
    ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
    CommandResult season =
        Cli(*bureau_, {"season", "create", absl::StrCat("--district=", kDistrict), "--id=2018-2019",
                       "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"});
    ASSERT_EQ(season.exit_code, 0) << season.output;
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete planning_;
    delete server_;
  }

  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& key) {
    return KeyContext(key);
  }
  static grpc::Status Generate(const std::string& key, v1::ListVersion* out,
                               bool validate_only = false,
                               const std::string& rule_set = "ruleSets/jizhou-2018") {
    v1::GenerateListRequest req;
    req.set_parent(kDistrict);
    req.set_season(kSeason);
    req.set_rule_set(rule_set);
    req.set_validate_only(validate_only);
    return planning_->GenerateList(Ctx(key).get(), req, out);
  }
  static std::vector<v1::ListEntry> Entries(const std::string& key, const std::string& list,
                                            const std::string& enterprise = "") {
    std::vector<v1::ListEntry> out;
    std::string token;
    do {
      v1::ListEntriesRequest req;
      req.set_parent(list);
      req.set_enterprise(enterprise);
      req.set_page_size(400);
      req.set_page_token(token);
      v1::ListEntriesResponse resp;
      grpc::Status s = planning_->ListEntries(Ctx(key).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& e : resp.entries()) out.push_back(e);
      token = resp.next_page_token();
    } while (!token.empty());
    return out;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static ServerProcess* server_;
  static v1::RegistryService::Stub* registry_;
  static v1::PlanningService::Stub* planning_;
};

std::string* PlanningE2eTest::dsn_;
std::string* PlanningE2eTest::admin_;
std::string* PlanningE2eTest::bureau_;
ServerProcess* PlanningE2eTest::server_;
v1::RegistryService::Stub* PlanningE2eTest::registry_;
v1::PlanningService::Stub* PlanningE2eTest::planning_;

TEST_F(PlanningE2eTest, ShippedRuleSetsLoadAndABrokenOneNamesLineAndField) {
  CommandResult national =
      Cli(*bureau_, {"ruleset", "load", SourcePath("tools/rulesets/national-2020-sample.textproto"),
                     "--id=national-2020-sample"});
  EXPECT_EQ(national.exit_code, 0) << national.output;
  std::string text = ReadFile(SourcePath("tools/rulesets/jizhou-2018.textproto"));
  text.replace(text.find("percent: 50 note"), 11, "percent: 500");
  std::string dir = TempDir();
  std::ofstream(dir + "/bad.textproto") << text;
  CommandResult bad = Cli(*bureau_, {"ruleset", "load", dir + "/bad.textproto", "--id=broken"});
  EXPECT_EQ(bad.exit_code, 2);  // INVALID_ARGUMENT (cuofeng help: exit codes)
  EXPECT_THAT(bad.output, HasSubstr("measure_tables[1].season.percent: line"));
  EXPECT_THAT(bad.output, HasSubstr("percent 500 is outside 0-100"));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM planning.rule_set WHERE id = 'broken'"), "0");
  // An enterprise may not publish rule sets.
  std::string ent = CreateKey(server_->address(), *admin_, "enterprise",
                              absl::StrCat(kDistrict, "/enterprises/e10000"));
  CommandResult denied = Cli(
      ent, {"ruleset", "load", SourcePath("tools/rulesets/jizhou-2018.textproto"), "--id=mine"});
  EXPECT_THAT(denied.output, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(PlanningE2eTest, DryRunStoresNothingAndGenerationIsDeterministic) {
  const std::string before = SqlScalar(*dsn_, "SELECT count(*) FROM planning.list_version");
  v1::ListVersion dry, first, second;
  ASSERT_TRUE(Generate(*bureau_, &dry, /*validate_only=*/true).ok());
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM planning.list_version"), before);
  ASSERT_TRUE(Generate(*bureau_, &first).ok());
  ASSERT_TRUE(Generate(*bureau_, &second).ok());
  EXPECT_EQ(dry.content_sha256(), first.content_sha256());
  EXPECT_EQ(first.content_sha256(), second.content_sha256());
  EXPECT_EQ(first.registry_snapshot_sha256(), second.registry_snapshot_sha256());
  EXPECT_NE(first.name(), second.name());
  EXPECT_EQ(first.state(), v1::DRAFT);
  EXPECT_EQ(first.rule_set_revision(), 1);
  EXPECT_EQ(first.rule_set_sha256().size(), 64u);
  EXPECT_GT(first.entry_count(), 1000);
  EXPECT_GT(first.exempt(), 0);
  EXPECT_GT(first.guaranteed(), 0);
  EXPECT_GT(first.data_missing(), 0);
  ASSERT_EQ(first.proof_size(), 3);
  for (const auto& proof : first.proof()) {
    for (const auto& cut : proof.cuts()) EXPECT_GT(cut.inventory_tonnes(), 0);
  }
  // Every stored entry reads back, byte for byte the same in both versions.
  auto a = Entries(*bureau_, first.name());
  auto b = Entries(*bureau_, second.name());
  ASSERT_EQ(static_cast<int>(a.size()), first.entry_count());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    v1::ListEntry x = a[i], y = b[i];
    x.clear_name();
    y.clear_name();
    ASSERT_EQ(x.SerializeAsString(), y.SerializeAsString()) << a[i].resource();
  }
  v1::DiffListsRequest diff;
  diff.set_base(first.name());
  diff.set_other(second.name());
  v1::DiffListsResponse changes;
  ASSERT_TRUE(planning_->DiffLists(Ctx(*bureau_).get(), diff, &changes).ok());
  EXPECT_EQ(changes.changes_size(), 0);
}

TEST_F(PlanningE2eTest, EveryFocusEnterpriseIsListedWithReasonsAndExplained) {
  v1::ListVersion list;
  ASSERT_TRUE(Generate(*bureau_, &list).ok());
  auto entries = Entries(*bureau_, list.name());
  std::set<std::string> listed;
  for (const auto& e : entries) {
    listed.insert(e.resource());
    EXPECT_FALSE(e.reasons().empty()) << e.resource();
  }
  v1::ListEnterprisesRequest req;
  req.set_parent(kDistrict);
  req.set_page_size(1000);
  req.set_filter("industry_category = FOUNDRY");
  v1::ListEnterprisesResponse foundries;
  ASSERT_TRUE(registry_->ListEnterprises(Ctx(*bureau_).get(), req, &foundries).ok());
  ASSERT_EQ(foundries.enterprises_size(), 11);
  for (const auto& f : foundries.enterprises()) EXPECT_TRUE(listed.count(f.name())) << f.name();
  // A benchmark foundry is an explicit EXEMPT entry that says why.
  const v1::ListEntry* exempt = nullptr;
  for (const auto& e : entries) {
    if (e.kind() == v1::EXEMPT && e.resource() == e.enterprise() &&
        e.enterprise_name().find("铸造") != std::string::npos) {
      exempt = &e;
    }
  }
  ASSERT_NE(exempt, nullptr);
  v1::ExplainEntryRequest explain;
  explain.set_name(exempt->name());
  v1::ExplainEntryResponse why;
  ASSERT_TRUE(planning_->ExplainEntry(Ctx(*bureau_).get(), explain, &why).ok());
  EXPECT_THAT(why.explanation(), HasSubstr("[SP4, T77, §26]"));
  EXPECT_THAT(why.explanation(), HasSubstr("颗粒物排放浓度(毫克/立方米) = "));
  EXPECT_THAT(why.explanation(), HasSubstr(list.rule_set_sha256()));
  CommandResult cli = Cli(*bureau_, {"list", "explain", exempt->name()});
  EXPECT_EQ(cli.exit_code, 0);
  EXPECT_THAT(cli.output, HasSubstr("豁免 (exempt)"));
}

TEST_F(PlanningE2eTest, ARegistryChangeShowsInTheDiff) {
  v1::ListVersion before, after;
  ASSERT_TRUE(Generate(*bureau_, &before).ok());
  v1::UpdateEnterpriseRequest update;
  update.mutable_enterprise()->set_name(absl::StrCat(kDistrict, "/enterprises/e10200"));
  update.mutable_enterprise()->set_restricted_class(true);
  update.mutable_update_mask()->add_paths("restricted_class");
  v1::Enterprise changed;
  ASSERT_TRUE(registry_->UpdateEnterprise(Ctx(*bureau_).get(), update, &changed).ok());
  ASSERT_TRUE(Generate(*bureau_, &after).ok());
  EXPECT_NE(before.registry_snapshot_sha256(), after.registry_snapshot_sha256());
  v1::DiffListsRequest diff;
  diff.set_base(before.name());
  diff.set_other(after.name());
  v1::DiffListsResponse changes;
  ASSERT_TRUE(planning_->DiffLists(Ctx(*bureau_).get(), diff, &changes).ok());
  bool found = false;
  for (const auto& c : changes.changes()) {
    if (c.resource() == changed.name()) {
      found =
          c.change() == v1::EntryChange::MEASURE_CHANGED || c.change() == v1::EntryChange::ADDED;
      EXPECT_EQ(c.after().season().action(), v1::STOP);
    }
  }
  EXPECT_TRUE(found);
  update.mutable_enterprise()->set_restricted_class(false);
  ASSERT_TRUE(registry_->UpdateEnterprise(Ctx(*bureau_).get(), update, &changed).ok());
}

TEST_F(PlanningE2eTest, ScopesOfListsAndEntries) {
  v1::ListVersion list;
  ASSERT_TRUE(Generate(*bureau_, &list).ok());
  const std::string own = absl::StrCat(kDistrict, "/enterprises/e10003");
  std::string ent = CreateKey(server_->address(), *admin_, "enterprise", own);
  std::string verifier = CreateKey(server_->address(), *admin_, "verifier", kDistrict);
  std::string other = CreateKey(server_->address(), *admin_, "bureau", "districts/120101");
  // A draft binds no one: an enterprise does not read it, even about itself
  // (it reads filed lists; see filing_e2e_test).
  v1::ListEntriesRequest own_entries;
  own_entries.set_parent(list.name());
  v1::ListEntriesResponse resp;
  EXPECT_EQ(planning_->ListEntries(Ctx(ent).get(), own_entries, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  own_entries.set_enterprise(own);
  EXPECT_EQ(planning_->ListEntries(Ctx(ent).get(), own_entries, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListEntriesRequest theirs;
  theirs.set_parent(list.name());
  theirs.set_enterprise(absl::StrCat(kDistrict, "/enterprises/e10004"));
  EXPECT_EQ(planning_->ListEntries(Ctx(ent).get(), theirs, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Only the bureau generates; a verifier reads; another district's bureau does neither.
  v1::ListVersion out;
  EXPECT_EQ(Generate(verifier, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Generate(other, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Generate(ent, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetListVersionRequest get;
  get.set_name(list.name());
  EXPECT_TRUE(planning_->GetListVersion(Ctx(verifier).get(), get, &out).ok());
  EXPECT_EQ(planning_->GetListVersion(Ctx(other).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(planning_->GetListVersion(Ctx("").get(), get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(PlanningE2eTest, RuleSetRevisionsAreImmutableAndListsPinTheirs) {
  v1::ListVersion old_list;
  ASSERT_TRUE(Generate(*bureau_, &old_list).ok());
  std::string text = ReadFile(SourcePath("tools/rulesets/jizhou-2018.textproto"));
  text.replace(text.find("percent: 50 note"), 11, "percent: 60 ");
  std::string dir = TempDir();
  std::ofstream(dir + "/v2.textproto") << text;
  CommandResult loaded =
      Cli(*bureau_, {"ruleset", "load", dir + "/v2.textproto", "--id=jizhou-2018"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_THAT(loaded.output, HasSubstr("第 2 版"));
  // Loading the same text again makes no new revision.
  EXPECT_THAT(Cli(*bureau_, {"ruleset", "load", dir + "/v2.textproto", "--id=jizhou-2018"}).output,
              HasSubstr("第 2 版"));
  v1::ListVersion pinned, latest;
  ASSERT_TRUE(Generate(*bureau_, &pinned, false, "ruleSets/jizhou-2018@1").ok());
  ASSERT_TRUE(Generate(*bureau_, &latest).ok());
  EXPECT_EQ(pinned.rule_set_revision(), 1);
  EXPECT_EQ(pinned.content_sha256(), old_list.content_sha256());
  EXPECT_EQ(latest.rule_set_revision(), 2);
  EXPECT_NE(latest.content_sha256(), old_list.content_sha256());
  // The database itself refuses to rewrite a revision.
  EXPECT_ANY_THROW(SqlScalar(*dsn_, "UPDATE planning.rule_set SET text = 'x' RETURNING id"));
  v1::GetListVersionRequest get;
  get.set_name(old_list.name());
  v1::ListVersion still;
  ASSERT_TRUE(planning_->GetListVersion(Ctx(*bureau_).get(), get, &still).ok());
  EXPECT_EQ(still.rule_set_revision(), 1);
}

TEST_F(PlanningE2eTest, AMonthAdjustmentShortensTheStaggeredPeriodOfTheNextList) {
  CommandResult adjusted = Cli(*bureau_, {"season", "adjust", kSeason, "--month=2019-01",
                                          "--staggered=false", "--note=空气质量预报良好"});
  ASSERT_EQ(adjusted.exit_code, 0) << adjusted.output;
  v1::ListVersion list;
  ASSERT_TRUE(Generate(*bureau_, &list).ok());
  ASSERT_EQ(list.staggered_periods_size(), 2);
  EXPECT_EQ(list.staggered_periods(0).end(), "2018-12-31");
  EXPECT_EQ(list.staggered_periods(1).start(), "2019-02-01");
  // A month outside the season cannot be switched off.
  CommandResult outside =
      Cli(*bureau_, {"season", "adjust", kSeason, "--month=2019-07", "--staggered=false"});
  EXPECT_THAT(outside.output, HasSubstr("adjustments[1].month"));
}

}  // namespace
}  // namespace cuofeng
