#include "lib/auth/policy.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cuofeng/v1/accounts.pb.h"
#include "cuofeng/v1/admin.pb.h"
#include "cuofeng/v1/compliance.pb.h"
#include "cuofeng/v1/documents.pb.h"
#include "cuofeng/v1/notify.pb.h"
#include "cuofeng/v1/planning.pb.h"
#include "cuofeng/v1/registry.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
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

absl::Status Allowed(const Principal& p, const char* method, const char* resource) {
  return Authorize(p, method, resource).status();
}

TEST(PolicyTest, BureauReadsAndWritesOnlyItsDistrict) {
  EXPECT_THAT(Allowed(kBureau, "CreateEnterprise", "districts/120119"), IsOk());
  EXPECT_THAT(Allowed(kBureau, "UpdateEnterprise", "districts/120119/enterprises/e1"), IsOk());
  EXPECT_THAT(Allowed(kBureau, "GetDistrict", "districts/120119"), IsOk());
  EXPECT_THAT(Allowed(kBureau, "UpdateEnterprise", "districts/120101/enterprises/e1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A prefix that is not a path prefix does not count.
  EXPECT_THAT(Allowed(kBureau, "GetDistrict", "districts/1201190"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Allowed(kBureau, "CreateApiKey", "apiKeys"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, DistrictsAreTheAdministrators) {
  for (const char* method : {"CreateDistrict", "UpdateDistrict", "DeleteDistrict"}) {
    EXPECT_THAT(Allowed(kAdmin, method, "districts/120119"), IsOk());
    for (const Principal& p : {kBureau, kCity, kVerifier, kEnterprise, kService}) {
      EXPECT_THAT(Allowed(p, method, "districts/120119"),
                  StatusIs(absl::StatusCode::kPermissionDenied))
          << RoleName(p.role) << " " << method;
    }
  }
}

TEST(PolicyTest, EnterpriseReadsOnlyItselfAndNeverTheDistrictsLists) {
  EXPECT_THAT(Allowed(kEnterprise, "GetProductionLine", "districts/120119/enterprises/e1/lines/l1"),
              IsOk());
  EXPECT_THAT(Allowed(kEnterprise, "GetEnterprise", "districts/120119/enterprises/e2"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Allowed(kEnterprise, "UpdateEnterprise", "districts/120119/enterprises/e1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Passing its own name as the parent no longer opens the district's lists.
  for (const char* method :
       {"ListListVersions", "GetListVersion", "DiffLists", "ListFilings", "VerifyChain",
        "ListObligationWindows", "ExportRegistry", "ReadDistrictSnapshot"}) {
    EXPECT_THAT(Allowed(kEnterprise, method, "districts/120119/enterprises/e1"),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << method;
  }
  // Entries: its own district's lists only, narrowed to itself.
  auto entries = Authorize(kEnterprise, "ListEntries", "districts/120119/lists/1");
  ASSERT_THAT(entries.status(), IsOk());
  EXPECT_EQ(entries->narrow_to, "districts/120119/enterprises/e1");
  EXPECT_THAT(Allowed(kEnterprise, "ListEntries", "districts/120101/lists/1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, CityAndServiceReadEverythingWriteNothing) {
  for (const Principal& p : {kCity, kService}) {
    EXPECT_THAT(Allowed(p, "GetEnterprise", "districts/120101/enterprises/x"), IsOk());
    EXPECT_THAT(Allowed(p, "UpdateEnterprise", "districts/120101/enterprises/x"),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  EXPECT_THAT(Allowed(kCity, "ListAuditEntries", ""), IsOk());
  EXPECT_THAT(Allowed(kService, "ListAuditEntries", ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, VerifierReadsItsDistrict) {
  EXPECT_THAT(Allowed(kVerifier, "GetEnterprise", "districts/120119/enterprises/e9"), IsOk());
  EXPECT_THAT(Allowed(kVerifier, "UpdateEnterprise", "districts/120119/enterprises/e9"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// A refusal is read by people: it says in Chinese who may not do what, and
// still names the method and resource for the audit log.
TEST(PolicyTest, RefusalsSayInChineseWhoMayNotDoWhat) {
  // An enterprise may not review findings at all.
  absl::Status s =
      Allowed(kEnterprise, "ReviewFinding", "districts/120119/enterprises/e1/findings/f1");
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(s.message()),
              ::testing::AllOf(
                  ::testing::HasSubstr("企业账号"), ::testing::HasSubstr("不能确认或排除核查发现"),
                  ::testing::HasSubstr("ReviewFinding"), ::testing::HasSubstr("findings/f1"),
                  ::testing::HasSubstr("访问权限表")));
  s = Allowed(kBureau, "CreateApiKey", "apiKeys");
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("区级账号（范围 districts/120119）"));
}

TEST(AccessTableTest, EveryRowSaysWhatItCoversInChinese) {
  for (const AccessRule& r : AccessRules()) {
    EXPECT_FALSE(r.what_zh.empty()) << r.methods[0];
    // Every Chinese label holds at least one CJK character (UTF-8 lead byte
    // 0xE4..0xE9).
    bool cjk = false;
    for (unsigned char c : r.what_zh) cjk |= c >= 0xE4 && c <= 0xE9;
    EXPECT_TRUE(cjk) << r.methods[0] << ": " << r.what_zh;
  }
}

TEST(PolicyTest, AMethodWithoutARuleIsRefused) {
  EXPECT_THAT(Allowed(kAdmin, "DropEverything", ""), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PolicyTest, ListsNarrowToTheCallersOwnSubtree) {
  auto narrowed = [](const Principal& p, const char* method, const char* parent) {
    auto a = Authorize(p, method, parent);
    return a.ok() ? a->narrow_to : std::string("denied");
  };
  EXPECT_EQ(narrowed(kEnterprise, "ListEnterprises", "districts/120119"),
            "districts/120119/enterprises/e1");
  EXPECT_EQ(narrowed(kBureau, "ListProductionLines", "districts/120119/enterprises/e1"), "");
  EXPECT_EQ(narrowed(kBureau, "ListFindings", "districts/-"), "districts/120119");
  EXPECT_EQ(narrowed(kBureau, "ListDistricts", "districts"), "districts/120119");
  EXPECT_EQ(narrowed(kBureau, "ListEnterprises", "districts/120101"), "denied");
  EXPECT_EQ(narrowed(kCity, "ListFindings", "districts/-"), "");
  // A method that is not a List does not narrow: it refuses.
  EXPECT_EQ(narrowed(kBureau, "VerifyChain", "districts/-"), "denied");
}

TEST(PolicyTest, ScopesMustFitTheRole) {
  EXPECT_THAT(ValidateScope(Role::kBureau, "districts/120119"), IsOk());
  EXPECT_THAT(ValidateScope(Role::kBureau, ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateScope(Role::kBureau, "districts/-"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("区级（BUREAU）的范围须为区（districts/{district}），"
                                            "实为 \"districts/-\"")));
  EXPECT_THAT(ValidateScope(Role::kEnterprise, "districts/120119"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("企业（ENTERPRISE）的范围须为企业")));
  EXPECT_THAT(ValidateScope(Role::kEnterprise, "districts/120119/enterprises/e1"), IsOk());
  EXPECT_THAT(ValidateScope(Role::kCity, "districts/120119"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("市级（CITY）没有范围，须留空")));
}

// Every RPC of every cuofeng service has exactly one row, and every row
// names only methods that exist.
TEST(AccessTableTest, CoversEveryMethodOfEveryServiceOnce) {
  // Referencing one message of each file links its descriptors in.
  (void)v1::ApiKey::descriptor();
  (void)v1::District::descriptor();
  (void)v1::ListVersion::descriptor();
  (void)v1::Finding::descriptor();
  (void)v1::Account::descriptor();
  (void)v1::Document::descriptor();
  (void)v1::Notification::descriptor();
  std::set<std::string> methods;
  for (const char* service : {"AdminService", "RegistryService", "PlanningService", "FilingService",
                              "AlertService", "ObligationService", "ComplianceService",
                              "DocumentService", "NotificationService", "AccountService"}) {
    const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        absl::StrCat("cuofeng.v1.", service));
    ASSERT_NE(d, nullptr) << service;
    for (int i = 0; i < d->method_count(); ++i) {
      const std::string name = d->method(i)->name();
      EXPECT_TRUE(methods.insert(name).second) << name << " is not unique across services";
      const AccessRule* rule = RuleFor(name);
      ASSERT_NE(rule, nullptr) << service << "/" << name << " has no row in the access table";
      EXPECT_EQ(rule->rpc_service, service) << name;
    }
  }
  size_t rows_methods = 0;
  for (const AccessRule& r : AccessRules()) {
    rows_methods += r.methods.size();
    for (const std::string& m : r.methods) EXPECT_TRUE(methods.count(m)) << m << " is no RPC";
  }
  EXPECT_EQ(rows_methods, methods.size()) << "a method appears in two rows";
}

// The README's roles table is the access table, rendered.
TEST(AccessTableTest, ReadmeShowsTheTable) {
  const char* root = std::getenv("CUOFENG_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "run through ctest (CUOFENG_SOURCE_DIR)";
  std::ifstream in(absl::StrCat(root, "/README.md"));
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string readme = bytes.str();
  const std::string begin = "<!-- access table: begin -->\n";
  const std::string end = "<!-- access table: end -->";
  size_t b = readme.find(begin);
  size_t e = readme.find(end);
  ASSERT_NE(b, std::string::npos) << "README.md has no " << begin;
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), AccessTableMarkdown())
      << "README.md's access table differs from lib/auth/policy.cc; put this between the "
         "markers:\n"
      << AccessTableMarkdown();
}

}  // namespace
}  // namespace cuofeng
