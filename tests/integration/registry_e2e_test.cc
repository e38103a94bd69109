// RegistryService end to end: a real cuofeng-server process over gRPC on a
// fresh database of the PostgreSQL cluster tools/test starts.
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "lib/csv/csv.h"
#include "lib/model/identifiers.h"
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

constexpr char kJizhou[] = "districts/120119";
constexpr char kOther[] = "districts/120101";

// Field paths of a BadRequest in the status details.
std::vector<std::string> ViolationFields(const grpc::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : FieldViolations(FromGrpcStatus(s))) out.push_back(v.field);
  return out;
}

class RegistryE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("registry"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    stub_ = v1::RegistryService::NewStub(Connect(server_->address())).release();
    admin_stub_ = v1::AdminService::NewStub(Connect(server_->address())).release();
    for (const auto& [id, name] : {std::pair{"120119", "蓟州区"}, std::pair{"120101", "和平区"}}) {
      v1::CreateDistrictRequest req;
      req.set_district_id(id);
      req.mutable_district()->set_display_name(name);
      req.mutable_district()->set_city("天津市");
      v1::District out;
      ASSERT_TRUE(stub_->CreateDistrict(Ctx(*admin_).get(), req, &out).ok());
    }
    keys_ = new std::map<std::string, std::string>;
    (*keys_)["admin"] = *admin_;
    (*keys_)["bureau"] = CreateKey(server_->address(), *admin_, "bureau", kJizhou);
    (*keys_)["other_bureau"] = CreateKey(server_->address(), *admin_, "bureau", kOther);
    (*keys_)["enterprise"] = CreateKey(server_->address(), *admin_, "enterprise",
                                       absl::StrCat(kJizhou, "/enterprises/e10000"));
    (*keys_)["verifier"] = CreateKey(server_->address(), *admin_, "verifier", kJizhou);
    (*keys_)["city"] = CreateKey(server_->address(), *admin_, "city", "");
    (*keys_)["service"] = CreateKey(server_->address(), *admin_, "service", "");
    // The sample district, through the real import path.
    sample_dir_ = new std::string(TempDir());
    DistrictSpec spec;
    spec.enterprises = 40;
    spec.equipment = 120;
    ASSERT_TRUE(GenerateDistrict(spec, *sample_dir_).ok());
    auto files = ReadTemplateDir(*sample_dir_);
    ASSERT_TRUE(files.ok()) << files.status();
    auto imported = ImportFiles(*stub_, Key("bureau"), kJizhou, *files, false, "", nullptr);
    ASSERT_TRUE(imported.ok()) << imported.status();
  }

  static void TearDownTestSuite() {
    delete stub_;
    delete admin_stub_;
    delete server_;
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& key) {
    return KeyContext(key);
  }
  static const std::string& Key(const std::string& role) { return keys_->at(role); }

  static int64_t Count(const std::string& table) {
    return std::stoll(SqlScalar(*dsn_, absl::StrCat("SELECT count(*) FROM ", table)));
  }

  // A valid 统一社会信用代码: `prefix` (12 characters), `serial` (5 digits),
  // then its check character.
  static std::string Uscc(const std::string& prefix, int serial) {
    const std::string first17 = absl::StrCat(prefix, serial);
    return absl::StrCat(first17, std::string(1, UsccCheckCharacter(first17)));
  }

  // Writes DIR/enterprises.csv with `count` foundries in `township`: ids
  // ID_PREFIX0.., names NAME_PREFIX0.., codes USCC_PREFIX10000.. (row
  // `uscc_of`'s code replaced, when given).
  static void WriteFoundries(const std::string& dir, const std::string& id_prefix,
                             const std::string& name_prefix, const std::string& township,
                             const std::string& uscc_prefix, int count,
                             const std::function<std::string(int, std::string)>& uscc_of = {}) {
    std::ofstream out(dir + "/enterprises.csv");
    out << "id,display_name,uscc,township_id,industry_code,industry_category,"
           "permit_status,performance_grade\n";
    for (int i = 0; i < count; ++i) {
      std::string uscc = Uscc(uscc_prefix, 10000 + i);
      if (uscc_of) uscc = uscc_of(i, std::move(uscc));
      out << id_prefix << i << "," << name_prefix << i << "," << uscc << "," << township
          << ",C3391,FOUNDRY,PERMIT_VALID,UNGRADED\n";
    }
  }

  static v1::Enterprise NewEnterprise(const std::string& display, const std::string& uscc) {
    v1::Enterprise e;
    e.set_display_name(display);
    e.set_uscc(uscc);
    e.set_township(absl::StrCat(kJizhou, "/townships/yuyang"));
    e.set_industry_code("C3391");
    e.set_industry_category(v1::FOUNDRY);
    e.set_permit_status(v1::PERMIT_VALID);
    e.set_performance_grade(v1::UNGRADED);
    return e;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* sample_dir_;
  static ServerProcess* server_;
  static v1::RegistryService::Stub* stub_;
  static v1::AdminService::Stub* admin_stub_;
  static std::map<std::string, std::string>* keys_;
};

std::string* RegistryE2eTest::dsn_;
std::string* RegistryE2eTest::admin_;
std::string* RegistryE2eTest::sample_dir_;
ServerProcess* RegistryE2eTest::server_;
v1::RegistryService::Stub* RegistryE2eTest::stub_;
v1::AdminService::Stub* RegistryE2eTest::admin_stub_;
std::map<std::string, std::string>* RegistryE2eTest::keys_;

TEST_F(RegistryE2eTest, CrudLifecycleWithMasksEtagsAndDeleteRefusal) {
  v1::CreateEnterpriseRequest create;
  create.set_parent(kJizhou);
  create.set_enterprise_id("crud-1");
  *create.mutable_enterprise() = NewEnterprise("蓟州区测试铸造厂", "91350100M000100Y43");
  v1::Enterprise e;
  ASSERT_TRUE(stub_->CreateEnterprise(Ctx(Key("bureau")).get(), create, &e).ok());
  EXPECT_EQ(e.name(), "districts/120119/enterprises/crud-1");
  EXPECT_EQ(e.etag(), "1");
  EXPECT_GT(e.create_time().seconds(), 0);
  EXPECT_FALSE(e.has_approved_capacity_daily());  // absent, not zero

  // Update only display_name; other fields in the request are ignored.
  v1::UpdateEnterpriseRequest update;
  update.mutable_enterprise()->set_name(e.name());
  update.mutable_enterprise()->set_display_name("蓟州区测试铸造有限公司");
  update.mutable_enterprise()->set_uscc("ignored because not in the mask");
  update.mutable_enterprise()->set_etag("1");
  update.mutable_update_mask()->add_paths("display_name");
  v1::Enterprise updated;
  ASSERT_TRUE(stub_->UpdateEnterprise(Ctx(Key("bureau")).get(), update, &updated).ok());
  EXPECT_EQ(updated.display_name(), "蓟州区测试铸造有限公司");
  EXPECT_EQ(updated.uscc(), "91350100M000100Y43");
  EXPECT_EQ(updated.etag(), "2");

  // The same etag again is stale now.
  grpc::Status stale = stub_->UpdateEnterprise(Ctx(Key("bureau")).get(), update, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(stale)), "ETAG_MISMATCH");

  // Optional facts can be set and cleared through the mask.
  update.mutable_enterprise()->set_etag("");
  update.mutable_enterprise()->set_approved_capacity_daily(120.5);
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("approved_capacity_daily");
  ASSERT_TRUE(stub_->UpdateEnterprise(Ctx(Key("bureau")).get(), update, &updated).ok());
  EXPECT_DOUBLE_EQ(updated.approved_capacity_daily(), 120.5);
  update.mutable_enterprise()->clear_approved_capacity_daily();
  ASSERT_TRUE(stub_->UpdateEnterprise(Ctx(Key("bureau")).get(), update, &updated).ok());
  EXPECT_FALSE(updated.has_approved_capacity_daily());

  update.mutable_update_mask()->add_paths("name");
  grpc::Status bad_mask = stub_->UpdateEnterprise(Ctx(Key("bureau")).get(), update, &updated);
  EXPECT_EQ(bad_mask.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(bad_mask), Contains("update_mask.paths[1]"));

  // A line under it blocks deleting the enterprise.
  v1::CreateProductionLineRequest line;
  line.set_parent(e.name());
  line.set_production_line_id("l1");
  line.mutable_production_line()->set_display_name("1号熔炼线");
  v1::ProductionLine made;
  ASSERT_TRUE(stub_->CreateProductionLine(Ctx(Key("bureau")).get(), line, &made).ok());
  v1::DeleteEnterpriseRequest del;
  del.set_name(e.name());
  v1::DeleteResponse none;
  grpc::Status refused = stub_->DeleteEnterprise(Ctx(Key("bureau")).get(), del, &none);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("1 production line"));

  v1::DeleteProductionLineRequest del_line;
  del_line.set_name(made.name());
  ASSERT_TRUE(stub_->DeleteProductionLine(Ctx(Key("bureau")).get(), del_line, &none).ok());
  del.set_etag("1");  // stale
  EXPECT_EQ(stub_->DeleteEnterprise(Ctx(Key("bureau")).get(), del, &none).error_code(),
            grpc::StatusCode::ABORTED);
  del.clear_etag();
  ASSERT_TRUE(stub_->DeleteEnterprise(Ctx(Key("bureau")).get(), del, &none).ok());
  v1::GetEnterpriseRequest get;
  get.set_name(e.name());
  EXPECT_EQ(stub_->GetEnterprise(Ctx(Key("bureau")).get(), get, &updated).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RegistryE2eTest, InvalidCreateNamesEveryFieldAndWritesNothing) {
  const int64_t before = Count("registry.enterprise");
  v1::CreateEnterpriseRequest create;
  create.set_parent(kJizhou);
  create.set_enterprise_id("bad-1");
  v1::Enterprise e = NewEnterprise("坏数据", "91350100M000100Y44");
  e.clear_industry_category();
  e.set_livelihood_cap_percent(150);
  *create.mutable_enterprise() = e;
  v1::Enterprise out;
  grpc::Status s = stub_->CreateEnterprise(Ctx(Key("bureau")).get(), create, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationFields(s),
              ::testing::UnorderedElementsAre("enterprise.uscc", "enterprise.industry_category",
                                              "enterprise.livelihood_cap_percent"));
  // The details travel as a standard google.rpc.Status with BadRequest.
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  EXPECT_EQ(Count("registry.enterprise"), before);

  create.set_enterprise_id("Bad_Id");
  *create.mutable_enterprise() = NewEnterprise("好数据", "91110000600037341L");
  s = stub_->CreateEnterprise(Ctx(Key("bureau")).get(), create, &out);
  EXPECT_THAT(ViolationFields(s), Contains("enterprise_id"));

  create.set_enterprise_id("ref-missing");
  create.mutable_enterprise()->set_township(absl::StrCat(kJizhou, "/townships/nowhere"));
  s = stub_->CreateEnterprise(Ctx(Key("bureau")).get(), create, &out);
  EXPECT_THAT(ViolationFields(s), Contains("enterprise.township"));

  v1::CreateProductionLineRequest orphan;
  orphan.set_parent(absl::StrCat(kJizhou, "/enterprises/does-not-exist"));
  orphan.set_production_line_id("l1");
  orphan.mutable_production_line()->set_display_name("线");
  v1::ProductionLine line;
  EXPECT_EQ(stub_->CreateProductionLine(Ctx(Key("bureau")).get(), orphan, &line).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Count("registry.enterprise"), before);
}

TEST_F(RegistryE2eTest, DuplicatesAreAlreadyExists) {
  v1::CreateTownshipRequest req;
  req.set_parent(kJizhou);
  req.set_township_id("yuyang");
  req.mutable_township()->set_display_name("渔阳镇二");
  v1::Township out;
  EXPECT_EQ(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  req.set_township_id("yuyang-2");
  req.mutable_township()->set_display_name("渔阳镇");  // name unique within the district
  EXPECT_EQ(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RegistryE2eTest, RequestIdMakesCreateSafeToRetry) {
  v1::CreateTownshipRequest req;
  req.set_parent(kJizhou);
  req.set_township_id("retry-town");
  req.mutable_township()->set_display_name("重试镇");
  req.set_request_id("req-7f3a");
  v1::Township first, second;
  ASSERT_TRUE(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &first).ok());
  ASSERT_TRUE(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM registry.township WHERE id = 'retry-town'"),
            "1");
  EXPECT_EQ(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE request_id = 'req-7f3a' "
                      "AND detail LIKE '重复的请求%'"),
            "1");
  // validate_only checks and writes nothing.
  req.set_request_id("");
  req.set_township_id("dry-run-town");
  req.mutable_township()->set_display_name("试算镇");
  req.set_validate_only(true);
  ASSERT_TRUE(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &first).ok());
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM registry.township WHERE id = 'dry-run-town'"),
            "0");
}

TEST_F(RegistryE2eTest, PaginationReachesTheEndWithoutRepeats) {
  for (int i = 0; i < 23; ++i) {
    v1::CreateTownshipRequest req;
    req.set_parent(kOther);
    req.set_township_id(absl::StrCat("t", 100 + i));
    req.mutable_township()->set_display_name(absl::StrCat("镇", i));
    v1::Township out;
    ASSERT_TRUE(stub_->CreateTownship(Ctx(Key("other_bureau")).get(), req, &out).ok());
  }
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    v1::ListTownshipsRequest req;
    req.set_parent(kOther);
    req.set_page_size(5);
    req.set_page_token(token);
    v1::ListTownshipsResponse resp;
    ASSERT_TRUE(stub_->ListTownships(Ctx(Key("other_bureau")).get(), req, &resp).ok());
    for (const auto& t : resp.townships()) names.push_back(t.name());
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(names.size(), 23u);
  EXPECT_EQ(pages, 5);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 23u);

  v1::ListTownshipsRequest bad;
  bad.set_parent(kOther);
  bad.set_page_token("not-a-token!");
  v1::ListTownshipsResponse resp;
  EXPECT_THAT(ViolationFields(stub_->ListTownships(Ctx(Key("other_bureau")).get(), bad, &resp)),
              Contains("page_token"));
}

TEST_F(RegistryE2eTest, FiltersByIndustryAndTownship) {
  v1::ListEnterprisesRequest req;
  req.set_parent(kJizhou);
  req.set_page_size(1000);
  req.set_filter("industry_category = FOUNDRY");
  v1::ListEnterprisesResponse resp;
  ASSERT_TRUE(stub_->ListEnterprises(Ctx(Key("bureau")).get(), req, &resp).ok());
  EXPECT_EQ(resp.enterprises_size(), 11);  // the generator's 11 foundries (T6)
  for (const auto& e : resp.enterprises()) EXPECT_EQ(e.industry_category(), v1::FOUNDRY);

  std::string town = resp.enterprises(0).township();
  req.set_filter(absl::StrCat("industry_category = \"FOUNDRY\" AND township = \"", town, "\""));
  ASSERT_TRUE(stub_->ListEnterprises(Ctx(Key("bureau")).get(), req, &resp).ok());
  ASSERT_GE(resp.enterprises_size(), 1);
  for (const auto& e : resp.enterprises()) EXPECT_EQ(e.township(), town);

  req.set_filter("colour = red");
  EXPECT_THAT(ViolationFields(stub_->ListEnterprises(Ctx(Key("bureau")).get(), req, &resp)),
              Contains("filter"));
}

TEST_F(RegistryE2eTest, ReimportChangesNothingAndExportImportIsAFixedPoint) {
  auto files = ReadTemplateDir(*sample_dir_);
  ASSERT_TRUE(files.ok());
  auto again = ImportFiles(*stub_, Key("bureau"), kJizhou, *files, false, "", nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->created(), 0);
  EXPECT_EQ(again->updated(), 0);
  EXPECT_GT(again->unchanged(), 300);

  std::string out1 = TempDir(), out2 = TempDir();
  auto rows = ExportToDir(*stub_, Key("bureau"), kJizhou, out1);
  ASSERT_TRUE(rows.ok()) << rows.status();
  auto exported = ReadTemplateDir(out1);
  ASSERT_TRUE(exported.ok());
  auto back = ImportFiles(*stub_, Key("bureau"), kJizhou, *exported, false, "", nullptr);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->created() + back->updated(), 0);
  ASSERT_TRUE(ExportToDir(*stub_, Key("bureau"), kJizhou, out2).ok());
  for (const auto& entry : std::filesystem::directory_iterator(out1)) {
    std::ifstream a(entry.path()), b(std::filesystem::path(out2) / entry.path().filename());
    std::string sa((std::istreambuf_iterator<char>(a)), {}),
        sb((std::istreambuf_iterator<char>(b)), {});
    EXPECT_EQ(sa, sb) << entry.path();
  }
  // The export is the clerk's template: BOM, Chinese headers and choices.
  {
    std::ifstream f(out1 + "/enterprises.csv", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    EXPECT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
    const std::string header = text.substr(0, text.find('\n'));
    EXPECT_NE(header.find("统一社会信用代码"), std::string::npos) << header;
    EXPECT_EQ(header.find("uscc"), std::string::npos) << header;
    EXPECT_NE(text.find("是"), std::string::npos);
  }
  // --codes: English headers and codes, no BOM; they import to the same rows.
  std::string codes = TempDir();
  ASSERT_TRUE(ExportToDir(*stub_, Key("bureau"), kJizhou, codes, true).ok());
  {
    std::ifstream f(codes + "/enterprises.csv", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    EXPECT_NE(text.substr(0, 3), "\xEF\xBB\xBF");
    EXPECT_NE(text.substr(0, text.find('\n')).find("uscc"), std::string::npos);
    auto in_codes = ReadTemplateDir(codes);
    ASSERT_TRUE(in_codes.ok()) << in_codes.status();
    auto same = ImportFiles(*stub_, Key("bureau"), kJizhou, *in_codes, true, "", nullptr);
    ASSERT_TRUE(same.ok()) << same.status();
    EXPECT_EQ(same->created() + same->updated(), 0);
  }
  // Files named in Chinese are read; a file named by no kind is refused by name.
  {
    std::string named = TempDir();
    std::filesystem::copy_file(out1 + "/enterprises.csv", named + "/企业.csv");
    auto zh = ReadTemplateDir(named);
    ASSERT_TRUE(zh.ok()) << zh.status();
    EXPECT_EQ((*zh)[0].kind(), "enterprises");
    std::filesystem::copy_file(out1 + "/equipment.csv", named + "/设备清单.csv");
    std::filesystem::copy_file(out1 + "/townships.csv", named + "/Townships.CSV");
    auto refused = ReadTemplateDir(named);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("设备清单.csv"))
        << refused.status();
    EXPECT_THAT(std::string(refused.status().message()),
                ::testing::Not(::testing::HasSubstr("Townships.CSV")))
        << refused.status();
  }

  // A changed cell is an update, reported as such.
  std::string path = *sample_dir_ + "/emission_totals.csv";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string dir = TempDir();
  std::ofstream(dir + "/emission_totals.csv")
      << absl::StrReplaceAll(text, {{",2017,PM,", ",2017,PM,1"}});
  auto changed = ReadTemplateDir(dir);
  ASSERT_TRUE(changed.ok());
  auto result = ImportFiles(*stub_, Key("bureau"), kJizhou, *changed, false, "", nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->updated(), 1);
  EXPECT_EQ(result->unchanged(), 3);
}

TEST_F(RegistryE2eTest, BadImportNamesEveryBadCellAndWritesNothing) {
  std::string dir = TempDir();
  std::ofstream(dir + "/townships.csv") << "id,display_name\nnewtown,新镇\n";
  std::ofstream(dir + "/enterprises.csv")
      << "id,display_name,uscc,township_id,industry_code,industry_category,permit_status,"
         "performance_grade,approved_capacity_daily\n"
      << "ok1,好企业,91110000600037341L,newtown,C3391,铸造,已发证,未分级,100\n"
      << "bad1,坏企业,91110000600037341X,newtown,C3391,铸造,已发证,未分级,-5\n"
      << "bad2,\"坏企业,二\",91350100M000100Y43,nowhere,X1,采矿,已发证,未分级,\n"
      << "ok1,重复,91120225MA05K12349,newtown,C3391,FOUNDRY,PERMIT_VALID,UNGRADED,\n";
  std::ofstream(dir + "/meters.csv") << "enterprise_id,id,display_name,role,equipment_id,colour\n"
                                     << "ok1,m1,表,PRODUCTION,q404,red\n";
  const int64_t enterprises = Count("registry.enterprise");
  const int64_t townships = Count("registry.township");
  auto files = ReadTemplateDir(dir);
  ASSERT_TRUE(files.ok()) << files.status();
  auto result = ImportFiles(*stub_, Key("bureau"), kJizhou, *files, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> where;
  for (const auto& v : FieldViolations(result.status())) where.push_back(v.field);
  EXPECT_THAT(where, ::testing::IsSupersetOf({
                         "enterprises.csv:3:3",  // check character
                         "enterprises.csv:3:9",  // negative capacity
                         "enterprises.csv:4:4",  // unknown township
                         "enterprises.csv:4:5",  // industry code shape
                         "enterprises.csv:4:6",  // unknown category
                         "enterprises.csv:5:1",  // repeated id
                         "meters.csv:1:6",       // unknown column
                     }));
  EXPECT_EQ(Count("registry.enterprise"), enterprises);
  EXPECT_EQ(Count("registry.township"), townships);
}

// The server writes each file while it checks the next ones (one
// transaction): an error in the last file still leaves every earlier file,
// though already written by then, unwritten.
TEST_F(RegistryE2eTest, AnErrorInTheLastFileUndoesTheFilesWrittenBefore) {
  std::string dir = TempDir();
  std::ofstream(dir + "/townships.csv") << "id,display_name\nlatetown,晚镇\n";
  WriteFoundries(dir, "late", "晚企业", "latetown", "91120119MA0L", 30);
  std::ofstream lines(dir + "/lines.csv");
  lines << "enterprise_id,id,display_name\n";
  for (int i = 0; i < 30; ++i) lines << "late" << i << ",l1,1号线\n";
  lines.close();
  std::ofstream(dir + "/meters.csv")
      << "enterprise_id,id,display_name,role,equipment_id,interval_minutes\n"
      << "late0,m1,表,PRODUCTION,q404,15\n";
  const int64_t townships = Count("registry.township");
  const int64_t enterprise_rows = Count("registry.enterprise");
  const int64_t line_rows = Count("registry.production_line");
  auto files = ReadTemplateDir(dir);
  ASSERT_TRUE(files.ok()) << files.status();
  auto result = ImportFiles(*stub_, Key("bureau"), kJizhou, *files, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  std::vector<std::string> where;
  for (const auto& v : FieldViolations(result.status())) where.push_back(v.field);
  EXPECT_THAT(where, ::testing::ElementsAre("meters.csv:2:5")) << result.status();
  EXPECT_EQ(Count("registry.township"), townships);
  EXPECT_EQ(Count("registry.enterprise"), enterprise_rows);
  EXPECT_EQ(Count("registry.production_line"), line_rows);
  // The same files without the bad meter go in whole.
  std::filesystem::remove(dir + "/meters.csv");
  files = ReadTemplateDir(dir);
  ASSERT_TRUE(files.ok()) << files.status();
  result = ImportFiles(*stub_, Key("bureau"), kJizhou, *files, false, "", nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->created(), 61);
  EXPECT_EQ(Count("registry.enterprise"), enterprise_rows + 30);
}

// `cuofeng import registry DIR` sends each file as soon as it is parsed and
// the server checks and writes it while the next ones arrive: an error in
// the last file, found by the server or by the client's parse, still leaves
// the files before it unwritten, with the same report as the whole-stream
// import gives.
TEST_F(RegistryE2eTest, StreamedImportOfAFolderStillWritesNothingOnALateError) {
  std::string dir = TempDir();
  std::ofstream(dir + "/townships.csv") << "id,display_name\nstreamtown,流镇\n";
  WriteFoundries(dir, "stream", "流企业", "streamtown", "91120119MA0T", 30);
  std::ofstream lines(dir + "/lines.csv");
  lines << "enterprise_id,id,display_name\n";
  for (int i = 0; i < 30; ++i) lines << "stream" << i << ",l1,1号线\n";
  lines.close();
  const int64_t townships = Count("registry.township");
  const int64_t enterprise_rows = Count("registry.enterprise");
  const int64_t line_rows = Count("registry.production_line");
  auto unchanged = [&] {
    EXPECT_EQ(Count("registry.township"), townships);
    EXPECT_EQ(Count("registry.enterprise"), enterprise_rows);
    EXPECT_EQ(Count("registry.production_line"), line_rows);
  };
  // Found by the server, in the last file.
  std::ofstream(dir + "/meters.csv")
      << "enterprise_id,id,display_name,role,equipment_id,interval_minutes\n"
      << "stream0,m1,表,PRODUCTION,q404,15\n";
  auto result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  std::vector<std::string> where;
  for (const auto& v : FieldViolations(result.status())) where.push_back(v.field);
  EXPECT_THAT(where, ::testing::ElementsAre("meters.csv:2:5")) << result.status();
  unchanged();
  // Found by the client's parse of the last file, after the others were sent.
  std::ofstream(dir + "/meters.csv")
      << "enterprise_id,id,display_name,role,equipment_id,interval_minutes\n"
      << "stream0,m1,\"表,PRODUCTION,,15\n";
  result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  where.clear();
  for (const auto& v : FieldViolations(result.status())) where.push_back(v.field);
  EXPECT_THAT(where, ::testing::ElementsAre("meters.csv")) << result.status();
  unchanged();
  // Found by the client's parse of a file in the middle.
  std::filesystem::remove(dir + "/meters.csv");
  std::filesystem::copy_file(dir + "/lines.csv", dir + "/lines.bak");
  std::ofstream(dir + "/lines.csv", std::ios::app) << "stream1,l2,\"2号线\"x\n";
  result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  std::filesystem::rename(dir + "/lines.bak", dir + "/lines.csv");
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  unchanged();
  // Without the errors the files go in whole, counted as the whole-stream
  // import counts them; again, all unchanged.
  result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->created(), 61);
  EXPECT_EQ(Count("registry.enterprise"), enterprise_rows + 30);
  result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->created(), 0);
  EXPECT_EQ(result->unchanged(), 61);
}

// A large file is checked and written in runs while the rest of it arrives;
// an error in its last row still leaves nothing written, and a good import
// counts every run's rows under the one kind.
TEST_F(RegistryE2eTest, LargeFileWrittenWhileItArrivesStillWritesNothingOnAnErrorAtItsEnd) {
  std::string dir = TempDir();
  std::ofstream(dir + "/townships.csv") << "id,display_name\nbigtown,大镇\n";
  constexpr int kEnterprises = 30, kLinesEach = 700;  // 21,000 lines: runs of 8,192 are written
  WriteFoundries(dir, "big", "大企业", "bigtown", "91120119MA0B", kEnterprises);
  auto write_lines = [&](bool repeat_at_end) {
    std::ofstream lines(dir + "/lines.csv");
    lines << "enterprise_id,id,display_name\n";
    for (int i = 0; i < kEnterprises; ++i) {
      for (int l = 0; l < kLinesEach; ++l) lines << "big" << i << ",l" << l << "," << l << "号线\n";
    }
    if (repeat_at_end) lines << "big0,l5,又一条线\n";
  };
  const int64_t enterprise_rows = Count("registry.enterprise");
  const int64_t line_rows = Count("registry.production_line");
  write_lines(/*repeat_at_end=*/true);
  auto result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  std::vector<std::string> where;
  for (const auto& v : FieldViolations(result.status())) where.push_back(v.field);
  const int last_line = 1 + kEnterprises * kLinesEach + 1;
  EXPECT_THAT(where, ::testing::ElementsAre(absl::StrCat("lines.csv:", last_line, ":2")))
      << result.status();
  EXPECT_EQ(Count("registry.enterprise"), enterprise_rows);
  EXPECT_EQ(Count("registry.production_line"), line_rows);

  write_lines(/*repeat_at_end=*/false);
  result = ImportTemplateDir(*stub_, Key("bureau"), kJizhou, dir, false, "", nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->created(), 1 + kEnterprises + kEnterprises * kLinesEach);
  std::map<std::string, int64_t> created;
  for (const auto& c : result->counts()) created[c.kind()] += c.created();
  EXPECT_EQ(created["lines"], kEnterprises * kLinesEach);
  EXPECT_EQ(result->counts_size(), 3);  // townships, enterprises, lines: one entry each
  EXPECT_EQ(Count("registry.production_line"), line_rows + kEnterprises * kLinesEach);
}

// A client that announces whole files in template order (the metadata
// cuofeng-import-kinds) and then sends a file after a later one is refused,
// writing nothing; without the announcement the same stream is read whole
// first and imported.
TEST_F(RegistryE2eTest, FilesOutOfTheAnnouncedOrderAreRefused) {
  v1::CsvFile townships;
  townships.set_file_name("townships.csv");
  townships.set_kind("townships");
  townships.add_header("id");
  townships.add_header("display_name");
  auto* t = townships.add_rows();
  t->set_line(2);
  t->add_cells("ordertown");
  t->add_cells("序镇");
  v1::CsvFile enterprises;
  enterprises.set_file_name("enterprises.csv");
  enterprises.set_kind("enterprises");
  for (const char* h : {"id", "display_name", "uscc", "township_id", "industry_code",
                        "industry_category", "permit_status", "performance_grade"}) {
    enterprises.add_header(h);
  }
  auto* e = enterprises.add_rows();
  e->set_line(2);
  for (const std::string& c :
       {std::string("order1"), std::string("序企业"), Uscc("91120119MA0Q", 10001),
        std::string("ordertown"), std::string("C3391"), std::string("FOUNDRY"),
        std::string("PERMIT_VALID"), std::string("UNGRADED")}) {
    e->add_cells(c);
  }
  auto send = [&](bool announce) {
    auto ctx = Ctx(Key("bureau"));
    if (announce) ctx->AddMetadata("cuofeng-import-kinds", "townships,enterprises");
    v1::ImportRegistryResponse response;
    auto writer = stub_->ImportRegistry(ctx.get(), &response);
    v1::ImportRegistryRequest part;
    part.mutable_header()->set_district(kJizhou);
    part.mutable_header()->set_rows(2);
    writer->Write(part);
    // Enterprises first, then their township.
    *part.mutable_file() = enterprises;
    writer->Write(part);
    *part.mutable_file() = townships;
    writer->Write(part);
    writer->WritesDone();
    return writer->Finish();
  };
  const int64_t township_rows = Count("registry.township");
  const int64_t enterprise_rows = Count("registry.enterprise");
  grpc::Status refused = send(true);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_THAT(ViolationFields(refused), ::testing::ElementsAre("townships.csv"));
  EXPECT_EQ(Count("registry.township"), township_rows);
  EXPECT_EQ(Count("registry.enterprise"), enterprise_rows);
  grpc::Status imported = send(false);
  ASSERT_TRUE(imported.ok()) << imported.error_message();
  EXPECT_EQ(Count("registry.township"), township_rows + 1);
  EXPECT_EQ(Count("registry.enterprise"), enterprise_rows + 1);
}

// The client counts a file's rows from its bytes before parsing it (the
// stream's header announces them): the count agrees with the parser on
// quoted commas and line breaks, blank lines, CRLF, a BOM, GB18030 and a
// last line without its line break.
TEST(CsvRecordCount, AgreesWithTheParser) {
  const std::vector<std::string> texts = {
      "",
      "id,name\n",
      "id,name\na,b\n",
      "\xEF\xBB\xBFid,name\r\na,b\r\n\r\nc,d",
      "id,name\n\n\na,\"b,\nc\"\n,\n\"\"\n   \n",
      "id\n\"\"\"quoted\"\"\"\nx\r\ry\n",
      "\n\nid,name\na,b\n\n",
      "id,name\n\xD5\xC5\xC8\xFD,\xC0\xEE\xCB\xC4\n\"\xB9\xA4,\xB3\xA7\"\n",
  };
  for (const std::string& text : texts) {
    auto utf8 = DecodeToUtf8(text);
    ASSERT_TRUE(utf8.ok()) << text;
    auto rows = ParseCsv(*utf8);
    ASSERT_TRUE(rows.ok()) << text;
    const int64_t parsed = rows->empty() ? 0 : static_cast<int64_t>(rows->size()) - 1;
    EXPECT_EQ(CountCsvDataRecords(text), parsed) << absl::CEscape(text);
  }
}

// A 统一社会信用代码 another district's enterprise holds is refused in its
// cell, naming the holder, not as a database error.
TEST_F(RegistryE2eTest, ImportRefusesACodeAnotherDistrictHolds) {
  std::string dir = TempDir();
  std::filesystem::copy_file(*sample_dir_ + "/townships.csv", dir + "/townships.csv");
  std::filesystem::copy_file(*sample_dir_ + "/enterprises.csv", dir + "/enterprises.csv");
  auto files = ReadTemplateDir(dir);
  ASSERT_TRUE(files.ok()) << files.status();
  const int64_t enterprises = Count("registry.enterprise");
  auto result = ImportFiles(*stub_, Key("other_bureau"), kOther, *files, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  bool named = false;
  for (const auto& v : FieldViolations(result.status())) {
    if (absl::StartsWith(v.field, "enterprises.csv:2:") &&
        absl::StrContains(v.description, "已登记为 districts/120119/enterprises/")) {
      named = true;
    }
  }
  EXPECT_TRUE(named) << result.status();
  EXPECT_EQ(Count("registry.enterprise"), enterprises);
}

// An enterprises file large enough to be written in runs while it arrives
// still has its codes checked against other districts' before any row is
// written: the answer names the line, not the unique key.
TEST_F(RegistryE2eTest, StreamedLargeEnterprisesFileStillNamesACodeAnotherDistrictHolds) {
  const std::string held =
      SqlScalar(*dsn_,
                "SELECT uscc FROM registry.enterprise WHERE district_id = '120119' ORDER BY name "
                "LIMIT 1");
  ASSERT_FALSE(held.empty());
  std::string dir = TempDir();
  std::ofstream(dir + "/townships.csv") << "id,display_name\nothtown,他镇\n";
  constexpr int kRows = 9000;  // more than one run of 8,192
  WriteFoundries(dir, "oth", "他企业", "othtown", "91120101MA0C", kRows,
                 [&](int i, std::string uscc) { return i == 3 ? held : uscc; });
  const int64_t rows = Count("registry.enterprise");
  auto result = ImportTemplateDir(*stub_, Key("other_bureau"), kOther, dir, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  std::vector<std::string> where;
  for (const auto& v : FieldViolations(result.status())) {
    if (absl::StrContains(v.description, "已登记为 districts/120119/enterprises/")) {
      where.push_back(v.field);
    }
  }
  EXPECT_THAT(where, ::testing::ElementsAre("enterprises.csv:5:3")) << result.status();
  EXPECT_EQ(Count("registry.enterprise"), rows);
}

TEST_F(RegistryE2eTest, ImportReportsAHundredErrorsAndCountsTheRest) {
  std::string dir = TempDir();
  std::ofstream out(dir + "/townships.csv");
  out << "id,display_name\n";
  for (int i = 0; i < 150; ++i) out << "Bad_" << i << ",镇" << i << "\n";
  out.close();
  auto files = ReadTemplateDir(dir);
  ASSERT_TRUE(files.ok());
  auto result = ImportFiles(*stub_, Key("bureau"), kJizhou, *files, false, "", nullptr);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  auto violations = FieldViolations(result.status());
  ASSERT_EQ(violations.size(), 101u);  // 100 cells and a line counting the rest
  EXPECT_EQ(violations[0].field, "townships.csv:2:1");
  EXPECT_EQ(violations[99].field, "townships.csv:101:1");
  EXPECT_THAT(violations[100].description, HasSubstr("另有 50 处错误未列出"));
}

TEST_F(RegistryE2eTest, ChineseHeadersInGb18030Import) {
  std::string dir = TempDir();
  std::string utf8 =
      "编号,名称,统一社会信用代码,镇乡编号,行业代码,行业类别,排污许可证状态,绩效分级,限制类\n"
      "gbk-1,蓟州区国标编码测试厂,91120225MA05K12349,yuyang,C3031,建材,已发证,B,是\n";
  std::string gb_path = dir + "/enterprises.csv";
  std::string utf8_path = dir + "/in.txt";
  std::ofstream(utf8_path) << utf8;
  CommandResult conv =
      RunCommand({"/usr/bin/iconv", "-f", "UTF-8", "-t", "GB18030", utf8_path, "-o", gb_path});
  ASSERT_EQ(conv.exit_code, 0) << conv.output;
  std::filesystem::remove(utf8_path);
  CommandResult r =
      RunCommand({BinDir() + "/cuofeng", "--server=" + server_->address(), "--key=" + Key("bureau"),
                  "import", "registry", dir, absl::StrCat("--district=", kJizhou)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("新增 1 行"));
  v1::GetEnterpriseRequest get;
  get.set_name(absl::StrCat(kJizhou, "/enterprises/gbk-1"));
  v1::Enterprise e;
  ASSERT_TRUE(stub_->GetEnterprise(Ctx(Key("bureau")).get(), get, &e).ok());
  EXPECT_EQ(e.display_name(), "蓟州区国标编码测试厂");
  EXPECT_EQ(e.performance_grade(), v1::GRADE_B);
  EXPECT_TRUE(e.restricted_class());
}

// Every role against every kind of call, with the code it must get.
TEST_F(RegistryE2eTest, AuthorizationMatrix) {
  const std::string own = absl::StrCat(kJizhou, "/enterprises/e10000");
  const std::string neighbour = absl::StrCat(kJizhou, "/enterprises/e10001");
  using Call = std::function<grpc::Status(const std::string& key)>;
  std::map<std::string, Call> calls = {
      {"get own enterprise",
       [&](const std::string& k) {
         v1::GetEnterpriseRequest r;
         r.set_name(own);
         v1::Enterprise o;
         return stub_->GetEnterprise(Ctx(k).get(), r, &o);
       }},
      {"get neighbour",
       [&](const std::string& k) {
         v1::GetEnterpriseRequest r;
         r.set_name(neighbour);
         v1::Enterprise o;
         return stub_->GetEnterprise(Ctx(k).get(), r, &o);
       }},
      {"list district",
       [&](const std::string& k) {
         v1::ListEnterprisesRequest r;
         r.set_parent(kJizhou);
         v1::ListEnterprisesResponse o;
         return stub_->ListEnterprises(Ctx(k).get(), r, &o);
       }},
      {"list other district",
       [&](const std::string& k) {
         v1::ListTownshipsRequest r;
         r.set_parent(kOther);
         v1::ListTownshipsResponse o;
         return stub_->ListTownships(Ctx(k).get(), r, &o);
       }},
      {"update enterprise",
       [&](const std::string& k) {
         v1::UpdateEnterpriseRequest r;
         r.mutable_enterprise()->set_name(neighbour);
         r.mutable_enterprise()->set_contact_phone("022-12345678");
         r.mutable_update_mask()->add_paths("contact_phone");
         v1::Enterprise o;
         return stub_->UpdateEnterprise(Ctx(k).get(), r, &o);
       }},
      {"create district",
       [&](const std::string& k) {
         v1::CreateDistrictRequest r;
         r.set_district_id("120102");
         r.mutable_district()->set_display_name("河东区");
         r.set_validate_only(true);
         v1::District o;
         return stub_->CreateDistrict(Ctx(k).get(), r, &o);
       }},
      {"export",
       [&](const std::string& k) {
         grpc::ClientContext ctx;
         AddKey(&ctx, k);
         v1::ExportRegistryRequest r;
         r.set_district(kJizhou);
         auto reader = stub_->ExportRegistry(&ctx, r);
         v1::ExportRegistryResponse o;
         while (reader->Read(&o)) {
         }
         return reader->Finish();
       }},
      {"create key",
       [&](const std::string& k) {
         v1::CreateApiKeyRequest r;
         r.mutable_api_key()->set_role(v1::CITY);
         v1::CreateApiKeyResponse o;
         return admin_stub_->CreateApiKey(Ctx(k).get(), r, &o);
       }},
      {"audit",
       [&](const std::string& k) {
         v1::ListAuditEntriesRequest r;
         v1::ListAuditEntriesResponse o;
         return admin_stub_->ListAuditEntries(Ctx(k).get(), r, &o);
       }},
  };
  const auto OK = grpc::StatusCode::OK;
  const auto NO = grpc::StatusCode::PERMISSION_DENIED;
  // role → call → expected
  std::map<std::string, std::map<std::string, grpc::StatusCode>> expect = {
      {"admin",
       {{"get own enterprise", OK},
        {"get neighbour", OK},
        {"list district", OK},
        {"list other district", OK},
        {"update enterprise", OK},
        {"create district", OK},
        {"export", OK},
        {"create key", OK},
        {"audit", OK}}},
      {"city",
       {{"get own enterprise", OK},
        {"get neighbour", OK},
        {"list district", OK},
        {"list other district", OK},
        {"update enterprise", NO},
        {"create district", NO},
        {"export", OK},
        {"create key", NO},
        {"audit", OK}}},
      {"service",
       {{"get own enterprise", OK},
        {"get neighbour", OK},
        {"list district", OK},
        {"list other district", OK},
        {"update enterprise", NO},
        {"create district", NO},
        {"export", OK},
        {"create key", NO},
        {"audit", NO}}},
      {"bureau",
       {{"get own enterprise", OK},
        {"get neighbour", OK},
        {"list district", OK},
        {"list other district", NO},
        {"update enterprise", OK},
        {"create district", NO},
        {"export", OK},
        {"create key", NO},
        {"audit", NO}}},
      {"other_bureau",
       {{"get own enterprise", NO},
        {"get neighbour", NO},
        {"list district", NO},
        {"list other district", OK},
        {"update enterprise", NO},
        {"create district", NO},
        {"export", NO},
        {"create key", NO},
        {"audit", NO}}},
      {"verifier",
       {{"get own enterprise", OK},
        {"get neighbour", OK},
        {"list district", OK},
        {"list other district", NO},
        {"update enterprise", NO},
        {"create district", NO},
        {"export", OK},
        {"create key", NO},
        {"audit", NO}}},
      {"enterprise",
       {{"get own enterprise", OK},
        {"get neighbour", NO},
        {"list district", OK},
        {"list other district", NO},
        {"update enterprise", NO},
        {"create district", NO},
        {"export", NO},
        {"create key", NO},
        {"audit", NO}}},
  };
  for (const auto& [role, row] : expect) {
    for (const auto& [call, code] : row) {
      grpc::Status s = calls.at(call)(Key(role));
      EXPECT_EQ(s.error_code(), code) << role << " / " << call << ": " << s.error_message();
    }
  }
  // Without a key, or with a wrong one, nothing answers.
  for (const auto& [call, fn] : calls) {
    EXPECT_EQ(fn("").error_code(), grpc::StatusCode::UNAUTHENTICATED) << call;
    EXPECT_EQ(fn("cfk_wrong").error_code(), grpc::StatusCode::UNAUTHENTICATED) << call;
  }
  // An enterprise key listing its district sees only itself.
  v1::ListEnterprisesRequest list;
  list.set_parent(kJizhou);
  v1::ListEnterprisesResponse seen;
  ASSERT_TRUE(stub_->ListEnterprises(Ctx(Key("enterprise")).get(), list, &seen).ok());
  ASSERT_EQ(seen.enterprises_size(), 1);
  EXPECT_EQ(seen.enterprises(0).name(), own);
  // A bureau listing all districts sees its own.
  v1::ListDistrictsRequest districts;
  v1::ListDistrictsResponse ds;
  ASSERT_TRUE(stub_->ListDistricts(Ctx(Key("bureau")).get(), districts, &ds).ok());
  ASSERT_EQ(ds.districts_size(), 1);
  EXPECT_EQ(ds.districts(0).name(), kJizhou);
  // A revoked key stops working.
  std::string doomed = CreateKey(server_->address(), *admin_, "city", "");
  v1::ApiKey who;
  ASSERT_TRUE(admin_stub_->GetCaller(Ctx(doomed).get(), v1::GetCallerRequest(), &who).ok());
  v1::RevokeApiKeyRequest revoke;
  revoke.set_name(who.name());
  v1::ApiKey revoked;
  ASSERT_TRUE(admin_stub_->RevokeApiKey(Ctx(*admin_).get(), revoke, &revoked).ok());
  EXPECT_TRUE(revoked.revoked());
  std::string other = CreateKey(server_->address(), *admin_, "city", "");
  SqlScalar(*dsn_, absl::StrCat("SELECT 1"));
  // Keys are cached for 5 s; a key never used before is looked up at once.
  revoke.set_name("apiKeys/none");
  EXPECT_EQ(admin_stub_->RevokeApiKey(Ctx(*admin_).get(), revoke, &revoked).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM core.api_key WHERE revoke_time IS NOT NULL"),
            "1");
  // Secrets are stored only as hashes.
  EXPECT_EQ(
      SqlScalar(*dsn_, absl::StrCat("SELECT count(*) FROM core.api_key WHERE secret_sha256 = '",
                                    other, "'")),
      "0");
}

TEST_F(RegistryE2eTest, MutationsAndRefusalsAreAudited) {
  v1::CreateTownshipRequest req;
  req.set_parent(kJizhou);
  req.set_township_id("audited");
  req.mutable_township()->set_display_name("审计镇");
  req.set_request_id("audit-req-1");
  v1::Township out;
  ASSERT_TRUE(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &out).ok());
  req.set_parent(kOther);
  req.set_request_id("audit-req-2");
  ASSERT_EQ(stub_->CreateTownship(Ctx(Key("bureau")).get(), req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ApiKey bureau;
  ASSERT_TRUE(
      admin_stub_->GetCaller(Ctx(Key("bureau")).get(), v1::GetCallerRequest(), &bureau).ok());
  v1::ListAuditEntriesRequest list;
  list.set_page_size(1000);
  v1::ListAuditEntriesResponse resp;
  ASSERT_TRUE(admin_stub_->ListAuditEntries(Ctx(Key("city")).get(), list, &resp).ok());
  bool ok_row = false, denied_row = false;
  for (const auto& e : resp.audit_entries()) {
    if (e.request_id() == "audit-req-1") {
      ok_row = e.principal() == bureau.name() && e.method() == "CreateTownship" &&
               e.resource() == kJizhou && e.outcome() == "OK" && e.time().seconds() > 0;
    }
    if (e.request_id() == "audit-req-2") {
      denied_row = e.outcome() == "PERMISSION_DENIED" && e.resource() == kOther &&
                   absl::StartsWith(e.detail(), "无权操作：区级账号");
    }
  }
  EXPECT_TRUE(ok_row);
  EXPECT_TRUE(denied_row);
  // The audit log is append-only even for the database owner.
  EXPECT_ANY_THROW(SqlScalar(*dsn_, "DELETE FROM core.audit_log RETURNING id"));
  // Import is audited with its district.
  EXPECT_NE(SqlScalar(*dsn_,
                      "SELECT count(*) FROM core.audit_log WHERE method = 'ImportRegistry' "
                      "AND outcome = 'OK'"),
            "0");
}

TEST_F(RegistryE2eTest, SnapshotStreamsTheWholeDistrict) {
  grpc::ClientContext ctx;
  AddKey(&ctx, Key("service"));
  v1::ReadDistrictSnapshotRequest req;
  req.set_district(kJizhou);
  auto reader = stub_->ReadDistrictSnapshot(&ctx, req);
  v1::DistrictSnapshotChunk chunk;
  int64_t equipment = 0;
  bool district = false;
  while (reader->Read(&chunk)) {
    equipment += chunk.equipment_size();
    district = district || chunk.has_district();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(district);
  EXPECT_EQ(equipment, Count("registry.equipment WHERE district_id = '120119'"));
}

}  // namespace
}  // namespace cuofeng
