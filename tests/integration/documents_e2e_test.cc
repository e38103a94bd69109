// DocumentService end to end: every document is asked for through the CLI
// (as a clerk would), written to disk, and read back by independent readers
// (openpyxl for XLSX; poppler's pdftotext, pdfinfo and pdftoppm for PDF) in
// tests/integration/check_documents.py; the test compares what they read with
// what the planning and compliance services say.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/documents.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/hash/sha256.h"
#include "lib/model/clock.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";

// Found is what check_documents.py printed: key -> values in order.
using Found = std::multimap<std::string, std::string>;

Found Parse(const std::string& output) {
  Found f;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    const size_t tab = line.find('\t');
    if (tab == absl::string_view::npos) continue;
    f.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
  }
  return f;
}

std::string One(const Found& f, const std::string& key) {
  auto it = f.find(key);
  return it == f.end() ? "(none)" : it->second;
}

class DocumentsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("documents"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    dir_ = new std::string(TempDir());
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"}).release();
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_EQ(
        Cli(*admin_, {"district", "create", "120119", "--name=蓟州区", "--city=天津市"}).exit_code,
        0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", kDistrict));
    city_ = new std::string(CreateKey(server_->address(), *admin_, "city", ""));
    CommandResult imported = ImportSampleDistrict(server_->address(), *bureau_, kDistrict, 40, 120);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    ASSERT_EQ(LoadRuleSet(server_->address(), *bureau_, "jizhou-2018").exit_code, 0);
    CommandResult season =
        Cli(*bureau_, {"season", "create", "--district=districts/120119", "--id=2018-2019",
                       "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"});
    ASSERT_EQ(season.exit_code, 0) << season.output;
    auto planning = v1::PlanningService::NewStub(Connect(server_->address()));
    v1::GenerateListRequest gen;
    gen.set_parent(kDistrict);
    gen.set_season("districts/120119/seasons/2018-2019");
    gen.set_rule_set("ruleSets/jizhou-2018");
    list_ = new v1::ListVersion;
    ASSERT_TRUE(planning->GenerateList(KeyContext(*bureau_).get(), gen, list_).ok());
    ASSERT_EQ(Cli(*bureau_, {"filing", "submit", list_->name()}).exit_code, 0);
    ASSERT_EQ(Cli(*city_, {"filing", "acknowledge", list_->name()}).exit_code, 0);
    CommandResult alert =
        Cli(*city_, {"alert", "issue", "--level=ORANGE", "--districts=districts/120119",
                     "--start_time=2018-12-01T00:00:00+08:00",
                     "--end_time=2018-12-04T00:00:00+08:00", "--document=津重污染指〔2018〕7号"});
    ASSERT_EQ(alert.exit_code, 0) << alert.output;
    v1::GetListVersionRequest get;
    get.set_name(list_->name());
    ASSERT_TRUE(planning->GetListVersion(KeyContext(*city_).get(), get, list_).ok());
    v1::ListEntriesRequest entries;
    entries.set_parent(list_->name());
    entries.set_page_size(1);
    v1::ListEntriesResponse first;
    ASSERT_TRUE(planning->ListEntries(KeyContext(*city_).get(), entries, &first).ok());
    first_ = new v1::ListEntry(first.entries(0));
    // After the alert: the server's clock moves on, one meter's readings arrive.
    ASSERT_EQ(server_->Stop(), 0);
    delete server_;
    server_ = ServerProcess::Start(*dsn_, &error, {"--clock=2018-12-10T12:00:00+08:00"}).release();
    ASSERT_NE(server_, nullptr) << error;
    verifier_ = new std::string(CreateKey(server_->address(), *admin_, "verifier", kDistrict));
  }

  // PlantAFinding sends readings for a production meter that must stop or
  // limit under the orange alert, showing it ran on at its baseline, runs
  // the verification and returns the finding about that meter.
  static std::string PlantAFinding() {
    auto channel = Connect(server_->address());
    auto obligations = v1::ObligationService::NewStub(channel);
    auto registry = v1::RegistryService::NewStub(channel);
    v1::ListObligationWindowsRequest req;
    req.set_district(kDistrict);
    *req.mutable_from() = ToTimestamp(
        absl::FromCivil(absl::CivilHour(2018, 12, 1, 0), absl::FixedTimeZone(8 * 3600)));
    *req.mutable_to() = ToTimestamp(
        absl::FromCivil(absl::CivilHour(2018, 12, 4, 0), absl::FixedTimeZone(8 * 3600)));
    v1::ListObligationWindowsResponse windows;
    EXPECT_TRUE(
        obligations->ListObligationWindows(KeyContext(*verifier_).get(), req, &windows).ok());
    std::set<std::string> bound;
    for (const auto& o : windows.obligations()) {
      if (o.level() == v1::ORANGE && (o.action() == v1::STOP || o.action() == v1::LIMIT)) {
        bound.insert(o.resource());
      }
    }
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(*bureau_);
    auto reader = registry->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    std::string meter;
    while (reader->Read(&chunk)) {
      for (const auto& m : chunk.meters()) {
        if (meter.empty() && m.role() == v1::PRODUCTION && bound.count(m.equipment())) {
          meter = m.name();
        }
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_FALSE(meter.empty()) << "no production meter bound at orange";
    if (meter.empty()) return "";
    const std::string csv = Path("readings.csv");
    {
      std::ofstream out(csv);
      out << "meter,time,kind,value\n";
      const absl::TimeZone china = absl::FixedTimeZone(8 * 3600);
      for (absl::Time t = absl::FromCivil(absl::CivilMinute(2018, 10, 16, 0, 15), china);
           t <= absl::FromCivil(absl::CivilMinute(2018, 12, 10, 0, 0), china);
           t += absl::Minutes(15)) {
        out << meter << "," << absl::FormatTime(absl::RFC3339_sec, t, china) << ",KW,100\n";
      }
    }
    const std::string service = CreateKey(server_->address(), *admin_, "service", "");
    CommandResult ingest = Cli(service, {"ingest", "readings", csv});
    EXPECT_EQ(ingest.exit_code, 0) << ingest.output;
    CommandResult run = Cli(*verifier_, {"verify", "run", "--district=districts/120119",
                                         "--from=2018-11-15 00:00", "--to=2018-12-10 00:00"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    auto compliance = v1::ComplianceService::NewStub(channel);
    v1::ListFindingsRequest freq;
    freq.set_parent(meter.substr(0, meter.find("/meters/")));
    freq.set_page_size(1000);
    v1::ListFindingsResponse found;
    EXPECT_TRUE(compliance->ListFindings(KeyContext(*verifier_).get(), freq, &found).ok());
    for (const auto& f : found.findings()) {
      if (f.scope() == meter && (f.type() == v1::STOP_NOT_KEPT || f.type() == v1::LIMIT_EXCEEDED)) {
        return f.name();
      }
    }
    ADD_FAILURE() << "no stop or limit finding about " << meter << ": " << run.output;
    return "";
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*dir_);
  }
  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }
  static Found Check(const std::string& kind, const std::string& path) {
    CommandResult r = RunCommand(
        {"/usr/bin/python3", SourcePath("tests/integration/check_documents.py"), kind, path});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return Parse(r.output);
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static std::string* city_;
  static std::string* verifier_;
  static std::string* dir_;
  static ServerProcess* server_;
  static v1::ListVersion* list_;
  static v1::ListEntry* first_;
};

std::string* DocumentsE2eTest::dsn_;
std::string* DocumentsE2eTest::admin_;
std::string* DocumentsE2eTest::bureau_;
std::string* DocumentsE2eTest::city_;
std::string* DocumentsE2eTest::verifier_;
std::string* DocumentsE2eTest::dir_;
ServerProcess* DocumentsE2eTest::server_;
v1::ListVersion* DocumentsE2eTest::list_;
v1::ListEntry* DocumentsE2eTest::first_;

TEST_F(DocumentsE2eTest, ListWorkbookReadsBackAsFiledAndPrintable) {
  CommandResult r = Cli(*city_, {"documents", "list", list_->name(), "--out=" + Path("list.xlsx")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The CLI wrote exactly the bytes whose SHA-256 the server sent.
  EXPECT_THAT(r.output, HasSubstr(Sha256Hex(ReadFile(Path("list.xlsx")))));
  const Found f = Check("list-xlsx", Path("list.xlsx"));
  EXPECT_EQ(One(f, "title"), "天津市蓟州区2018—2019年采暖季错峰生产及重污染天气应急减排清单");
  std::string facts;
  for (auto [it, end] = f.equal_range("fact"); it != end; ++it) absl::StrAppend(&facts, it->second);
  EXPECT_THAT(facts, HasSubstr("采暖季：2018-11-15 至 2019-03-15"));
  EXPECT_THAT(facts, HasSubstr("错峰生产期：2018-11-15 至 2019-03-15"));
  EXPECT_THAT(facts, HasSubstr("状态：已备案"));
  EXPECT_THAT(facts, HasSubstr("报送日期：2018年10月25日"));
  EXPECT_THAT(facts, HasSubstr("备案确认日期：2018年10月25日"));
  EXPECT_THAT(facts, HasSubstr(list_->content_sha256()));
  EXPECT_THAT(facts, HasSubstr("备案链哈希："));
  EXPECT_THAT(facts, Not(HasSubstr("FILED")));
  EXPECT_THAT(One(f, "header"),
              HasSubstr("序号,区/镇乡,企业名称,统一社会信用代码,所属行业,生产线,工序,设备,类别,"
                        "错峰措施（采暖季）,黄色预警,橙色预警,红色预警,运输管控,安全生产措施,"
                        "起始日期,颗粒物年排放量（吨）"));
  EXPECT_EQ(One(f, "first.enterprise"), first_->enterprise_name());
  EXPECT_THAT(One(f, "first.township"), HasSubstr("蓟州区/"));
  EXPECT_EQ(One(f, "first.format"), "0.000");
  EXPECT_EQ(One(f, "entries"), absl::StrCat(list_->entry_count()));
  EXPECT_EQ(One(f, "measures_with_latin_letters"), "0");
  EXPECT_EQ(One(f, "measures_wrapped"), "True");
  EXPECT_EQ(One(f, "signature"), "True");
  // Print settings: landscape A3 fitted to the width, header row repeated,
  // page numbers, frozen header and a filter.
  EXPECT_EQ(One(f, "list.orientation"), "landscape");
  EXPECT_EQ(One(f, "list.paper"), "8");
  EXPECT_EQ(One(f, "list.fit"), "True 1 0");  // 0: as many pages tall as needed
  EXPECT_EQ(One(f, "list.repeat"),
            absl::StrCat("$", One(f, "header_row"), ":$", One(f, "header_row")));
  EXPECT_THAT(One(f, "list.footer"), HasSubstr("第 &P 页 共 &N 页"));
  EXPECT_EQ(One(f, "list.freeze"), absl::StrCat("D", std::stoi(One(f, "header_row")) + 1));
  EXPECT_THAT(One(f, "list.autofilter"), HasSubstr(absl::StrCat("A", One(f, "header_row"), ":Y")));
  // The per-entry cuts add up to the proof (check_documents.py compares the
  // 减排明细 and list columns with 减排核算 and fails otherwise); and the
  // 减排核算 says what the proof says.
  EXPECT_EQ(One(f, "cut_totals_checked"), "12");
  EXPECT_NE(One(f, "detail.counted"), "0");
  char red_pm[32];
  for (const auto& level : list_->proof()) {
    if (level.level() != v1::RED) continue;
    std::snprintf(red_pm, sizeof(red_pm), "%.3f", level.cuts(0).cut_tonnes());
    EXPECT_EQ(One(f, "proof.红色预警.颗粒物"), red_pm);
  }
  // One 一厂一策 sheet per plant, named by the plant.
  EXPECT_NE(One(f, "plan_sheets"), "0");
  EXPECT_THAT(One(f, "plan.header"), HasSubstr("运输管控,安全生产措施,关键指标,依据"));
  EXPECT_THAT(One(f, "plan.name"), Not(HasSubstr("一厂一策-e")));
  EXPECT_EQ(One(f, "plan.fit"), "True 1 1");
  EXPECT_EQ(One(f, "plan.publicity"), "True");
}

TEST_F(DocumentsE2eTest, CsvSaysDistrictVersionAndHash) {
  CommandResult r = Cli(*bureau_, {"filing", "export", list_->name(), "--csv=" + Path("list.csv"),
                                   "--xlsx=" + Path("export.xlsx")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream csv(Path("list.csv"));
  std::string header, row1;
  std::getline(csv, header);
  std::getline(csv, row1);
  EXPECT_EQ(header.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_THAT(header, HasSubstr("序号,区/镇乡,企业名称"));
  EXPECT_THAT(header, HasSubstr(",区县,清单版本,清单内容哈希"));
  EXPECT_THAT(
      row1, HasSubstr(absl::StrCat("天津市蓟州区,", list_->name(), ",", list_->content_sha256())));
  // filing export goes through the server: the same bytes as documents list.
  ASSERT_EQ(
      Cli(*bureau_, {"documents", "list", list_->name(), "--out=" + Path("again.xlsx")}).exit_code,
      0);
  EXPECT_EQ(ReadFile(Path("again.xlsx")).size() > 0, true);
}

TEST_F(DocumentsE2eTest, PlantPlanAsOnePageWorkbookAndPdf) {
  const std::string plant = first_->enterprise();
  CommandResult x =
      Cli(*bureau_, {"documents", "plan", list_->name(), plant, "--out=" + Path("plan.xlsx")});
  ASSERT_EQ(x.exit_code, 0) << x.output;
  const Found f = Check("plan-xlsx", Path("plan.xlsx"));
  EXPECT_THAT(One(f, "plan.title"), HasSubstr(first_->enterprise_name()));
  EXPECT_THAT(One(f, "plan.title"), HasSubstr("一厂一策"));
  EXPECT_EQ(One(f, "plan.orientation"), "landscape");
  EXPECT_EQ(One(f, "plan.fit"), "True 1 1");
  std::string facts;
  for (auto [it, end] = f.equal_range("plan.fact"); it != end; ++it) {
    absl::StrAppend(&facts, it->second);
  }
  EXPECT_THAT(facts, HasSubstr(first_->uscc()));
  EXPECT_THAT(facts, HasSubstr("责任人："));
  CommandResult p =
      Cli(*bureau_, {"documents", "plan", list_->name(), plant, "--out=" + Path("plan.pdf")});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const Found pdf = Check("pdf", Path("plan.pdf"));
  EXPECT_EQ(One(pdf, "pages"), "1");
  EXPECT_THAT(One(pdf, "page_size"), HasSubstr("841.89 x 595.276"));  // A4 landscape
  EXPECT_THAT(One(pdf, "text"), HasSubstr("一厂一策"));
  EXPECT_THAT(One(pdf, "text"), HasSubstr(first_->enterprise_name()));
  EXPECT_THAT(One(pdf, "text"), HasSubstr("安全生产措施"));
  EXPECT_THAT(absl::StrReplaceAll(One(pdf, "text"), {{" ", ""}}), HasSubstr("第1页共1页"));
  EXPECT_GT(std::stoi(One(pdf, "page1_dark_permille")), 5);
  // A CSV 一厂一策 or a plant of another district is refused, naming the field.
  CommandResult csv =
      Cli(*bureau_, {"documents", "plan", list_->name(), plant, "--out=" + Path("plan.csv")});
  EXPECT_EQ(csv.exit_code, 2) << csv.output;
  CommandResult other = Cli(*bureau_, {"documents", "plan", list_->name(),
                                       "districts/120101/enterprises/x", "--out=" + Path("x.pdf")});
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_THAT(other.output, HasSubstr("enterprise"));
}

TEST_F(DocumentsE2eTest, ListPdfHasTheListTheProofAndPageNumbers) {
  CommandResult r = Cli(*city_, {"documents", "list", list_->name(), "--out=" + Path("list.pdf")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Found f = Check("pdf", Path("list.pdf"));
  const std::string text = One(f, "text");
  EXPECT_THAT(One(f, "page_size"), HasSubstr("1190.55 x 841.89"));  // A3 landscape
  EXPECT_THAT(text, HasSubstr("天津市蓟州区2018—2019年采暖季错峰生产及重污染天气应急减排清单"));
  EXPECT_THAT(text, HasSubstr("已备案"));
  EXPECT_THAT(text, HasSubstr("2019-03-15"));
  EXPECT_THAT(text, HasSubstr("减排量核算"));
  EXPECT_THAT(absl::StrReplaceAll(text, {{" ", ""}}),
              HasSubstr(absl::StrCat("共", One(f, "pages"), "页")));
  EXPECT_THAT(text, HasSubstr("备案确认（盖章）"));
  EXPECT_GT(std::stoi(One(f, "page1_dark_permille")), 5);
}

TEST_F(DocumentsE2eTest, NoticeOfTheEnterpriseWithItsOwnKey) {
  const std::string plant = first_->enterprise();
  const std::string own = CreateKey(server_->address(), *admin_, "enterprise", plant);
  CommandResult r = Cli(
      own, {"documents", "notice", plant, "--at=2018-12-02 10:00", "--out=" + Path("notice.pdf")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Found f = Check("pdf", Path("notice.pdf"));
  const std::string text = One(f, "text");
  EXPECT_THAT(text, HasSubstr("告知书"));
  EXPECT_THAT(text, HasSubstr(first_->enterprise_name()));
  EXPECT_THAT(text, HasSubstr("2018-12-02 10:00"));
  EXPECT_THAT(text, HasSubstr("橙色"));
  EXPECT_GT(std::stoi(One(f, "page1_dark_permille")), 5);
  // Another plant's notice is not for this key.
  const std::string another = plant == "districts/120119/enterprises/e10000"
                                  ? "districts/120119/enterprises/e10001"
                                  : "districts/120119/enterprises/e10000";
  CommandResult other = Cli(own, {"documents", "notice", another, "--out=" + Path("other.pdf")});
  EXPECT_EQ(other.exit_code, 6) << other.output;
  // Before the list was filed, nothing binds: no notice.
  CommandResult before = Cli(*bureau_, {"documents", "notice", plant, "--at=2018-10-01 10:00",
                                        "--out=" + Path("before.pdf")});
  EXPECT_EQ(before.exit_code, 8) << before.output;
}

TEST_F(DocumentsE2eTest, RegistryWorkbookRoundTripIsAFixedPoint) {
  const std::string district = "--district=districts/120119";
  CommandResult exported = Cli(*bureau_, {"export", "registry", Path("registry.xlsx"), district});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const Found f = Check("registry-xlsx", Path("registry.xlsx"));
  EXPECT_EQ(One(f, "sheets"),
            "镇乡,企业,生产线,工序,设备,电表,摄像头,车辆,整改任务,排放总量,车辆白名单,排放口,"
            "生产台账,下拉选项");
  EXPECT_EQ(One(f, "hidden"), "下拉选项");
  EXPECT_THAT(One(f, "enterprises.header"), HasSubstr("编号,名称,统一社会信用代码"));
  EXPECT_EQ(One(f, "enterprises.rows"), "40");
  EXPECT_NE(One(f, "enterprises.validations"), "0");
  EXPECT_EQ(One(f, "enterprises.freeze"), "A2");
  // Chinese choices, no English codes.
  EXPECT_THAT(One(f, "enterprises.行业类别"), HasSubstr("铸造"));
  EXPECT_THAT(One(f, "enterprises.行业类别"), Not(HasSubstr("FOUNDRY")));
  EXPECT_THAT(One(f, "enterprises.稳定达标"), ::testing::AnyOf("否,是", "是", "否"));
  // Import it back: nothing changes; export again: the same cells.
  CommandResult imported = Cli(*bureau_, {"import", "registry", Path("registry.xlsx"), district});
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_THAT(imported.output, HasSubstr("新增 0 行，更新 0 行"));
  ASSERT_EQ(Cli(*bureau_, {"export", "registry", Path("again.xlsx"), district}).exit_code, 0);
  auto cells = [&](const std::string& file) {
    CommandResult r = RunCommand(
        {"/usr/bin/python3", SourcePath("tests/integration/check_documents.py"), "cells", file});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output;
  };
  const std::string first = cells(Path("registry.xlsx"));
  EXPECT_GT(first.size(), 10000u);
  EXPECT_EQ(first, cells(Path("again.xlsx")));
  // A workbook saved by another program (openpyxl) with a sheet that names no
  // kind is refused, naming the sheet; nothing is written.
  ASSERT_EQ(
      RunCommand({"/usr/bin/python3", SourcePath("tests/integration/check_documents.py"),
                  "rename-sheet", Path("registry.xlsx"), Path("renamed.xlsx"), "设备", "设备清单"})
          .exit_code,
      0);
  CommandResult renamed = Cli(*bureau_, {"import", "registry", Path("renamed.xlsx"), district});
  EXPECT_EQ(renamed.exit_code, 2) << renamed.output;
  EXPECT_THAT(renamed.output, HasSubstr("设备清单"));
  // A bad choice is named by sheet, row and column.
  ASSERT_EQ(
      RunCommand({"/usr/bin/python3", SourcePath("tests/integration/check_documents.py"),
                  "set-cell", Path("registry.xlsx"), Path("bad.xlsx"), "企业", "A3", "Bad Id!"})
          .exit_code,
      0);
  CommandResult bad = Cli(*bureau_, {"import", "registry", Path("bad.xlsx"), district});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("企业:3:1"));
  EXPECT_THAT(bad.output, HasSubstr("未写入任何内容"));
}

TEST_F(DocumentsE2eTest, CaseFileOfAFindingWithItsChartExplanationAndReview) {
  const std::string finding = PlantAFinding();
  ASSERT_FALSE(finding.empty());
  const std::string plant = finding.substr(0, finding.find("/findings/"));
  const std::string own = CreateKey(server_->address(), *admin_, "enterprise", plant);
  ASSERT_EQ(Cli(own, {"findings", "explain", finding, "--text=订单交付，未及时停产"}).exit_code, 0);
  ASSERT_EQ(Cli(*verifier_, {"findings", "review", finding, "--decision=CONFIRM",
                             "--comment=电量数据与现场核查一致"})
                .exit_code,
            0);
  CommandResult p =
      Cli(*verifier_, {"documents", "case-file", finding, "--out=" + Path("case.pdf")});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const Found pdf = Check("pdf", Path("case.pdf"));
  const std::string text = One(pdf, "text");
  EXPECT_THAT(text, HasSubstr("核查案卷"));
  EXPECT_THAT(text, HasSubstr(finding));
  EXPECT_THAT(text, HasSubstr("预警文号"));
  EXPECT_THAT(text, HasSubstr("订单交付，未及时停产"));
  EXPECT_THAT(text, HasSubstr("电量数据与现场核查一致"));
  EXPECT_THAT(text, HasSubstr("已确认"));
  EXPECT_GT(std::stoi(One(pdf, "page1_dark_permille")), 5);
  CommandResult x =
      Cli(*verifier_, {"documents", "case-file", finding, "--out=" + Path("case.xlsx")});
  ASSERT_EQ(x.exit_code, 0) << x.output;
  const Found xlsx = Check("case-xlsx", Path("case.xlsx"));
  EXPECT_EQ(One(xlsx, "sheets"), "案卷,负荷数据");
  EXPECT_EQ(One(xlsx, "row.发现编号"), finding);
  EXPECT_NE(One(xlsx, "row.预警文号"), "(none)");
  EXPECT_THAT(One(xlsx, "row.证据哈希（SHA-256）"), ::testing::MatchesRegex("[0-9a-f]{64}"));
  EXPECT_THAT(One(xlsx, "row.基线"), HasSubstr("kW"));
}

// The city's overview: a district filed and acknowledged, one with nothing
// after the deadline; the daily summary of a day under the orange alert,
// after a verification run; a bureau sees its own district only.
TEST_F(DocumentsE2eTest, CityOverviewWithTheDailySummaryOfAnAlertDay) {
  CommandResult other =
      Cli(*admin_, {"district", "create", "120101", "--name=和平区", "--city=天津市"});
  ASSERT_TRUE(other.exit_code == 0 || other.output.find("ALREADY_EXISTS") != std::string::npos)
      << other.output;
  CommandResult run = Cli(*verifier_, {"verify", "run", "--district=districts/120119",
                                       "--from=2018-12-01 00:00", "--to=2018-12-04 00:00"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  CommandResult x = Cli(*city_, {"documents", "overview", "--season=2018-2019",
                                 "--at=2018-12-02 10:00", "--out=" + Path("overview.xlsx")});
  ASSERT_EQ(x.exit_code, 0) << x.output;
  const Found xlsx = Check("overview-xlsx", Path("overview.xlsx"));
  EXPECT_EQ(One(xlsx, "sheets"), "备案情况,预警日报");
  EXPECT_THAT(One(xlsx, "备案情况.title"), HasSubstr("天津市2018-2019年采暖季"));
  EXPECT_EQ(One(xlsx, "备案情况.蓟州区.备案情况"), "已备案");
  EXPECT_EQ(One(xlsx, "备案情况.蓟州区.清单版本"),
            list_->name().substr(list_->name().rfind('/') + 1));
  EXPECT_NE(One(xlsx, "备案情况.蓟州区.确认时间"), "—");
  EXPECT_EQ(One(xlsx, "备案情况.蓟州区.清单条目"), absl::StrCat(list_->entry_count()));
  EXPECT_EQ(One(xlsx, "备案情况.蓟州区.逾期报送"), "否");
  // 和平区 has no season of its own: the city's deadline (2018-10-31) applies.
  EXPECT_EQ(One(xlsx, "备案情况.和平区.备案情况"), "逾期未报送");
  EXPECT_EQ(One(xlsx, "备案情况.和平区.逾期报送"), "是");
  EXPECT_EQ(One(xlsx, "备案情况.和平区.清单版本"), "—");
  EXPECT_EQ(One(xlsx, "备案情况.orientation"), "landscape");
  EXPECT_EQ(One(xlsx, "备案情况.freeze"), "B5");
  // The daily summary: only the district the orange alert binds.
  EXPECT_EQ(One(xlsx, "预警日报.蓟州区.预警级别"), "橙色预警");
  EXPECT_EQ(One(xlsx, "预警日报.蓟州区.预警文号"), "津重污染指〔2018〕7号");
  EXPECT_GT(std::stoi(One(xlsx, "预警日报.蓟州区.受约束企业")), 0);
  EXPECT_GT(std::stoi(One(xlsx, "预警日报.蓟州区.停产时段")) +
                std::stoi(One(xlsx, "预警日报.蓟州区.限产时段")),
            0);
  EXPECT_THAT(One(xlsx, "预警日报.蓟州区.核查运行"), Not(HasSubstr("尚未核查")));
  EXPECT_THAT(One(xlsx, "预警日报.蓟州区.可核查比例"), ::testing::MatchesRegex("[0-9.]+%"));
  EXPECT_EQ(One(xlsx, "预警日报.和平区.预警级别"), "(none)");

  CommandResult p = Cli(*city_, {"documents", "overview", "--season=2018-2019",
                                 "--at=2018-12-02 10:00", "--out=" + Path("overview.pdf")});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const Found pdf = Check("pdf", Path("overview.pdf"));
  const std::string text = One(pdf, "text");
  EXPECT_THAT(text, HasSubstr("备案情况"));
  EXPECT_THAT(text, HasSubstr("逾期未报送"));
  EXPECT_THAT(text, HasSubstr("应急减排日报（2018-12-02）"));
  EXPECT_THAT(text, HasSubstr("津重污染指〔2018〕7号"));
  EXPECT_GT(std::stoi(One(pdf, "page1_dark_permille")), 5);

  // The bureau's overview holds its own district only; an enterprise gets none.
  CommandResult b = Cli(*bureau_, {"documents", "overview", "--season=2018-2019",
                                   "--at=2018-12-02 10:00", "--out=" + Path("own.xlsx")});
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const Found own = Check("overview-xlsx", Path("own.xlsx"));
  EXPECT_EQ(One(own, "备案情况.蓟州区.备案情况"), "已备案");
  EXPECT_EQ(One(own, "备案情况.和平区.备案情况"), "(none)");
  const std::string plant = first_->enterprise();
  const std::string enterprise = CreateKey(server_->address(), *admin_, "enterprise", plant);
  CommandResult e =
      Cli(enterprise, {"documents", "overview", "--season=2018-2019", "--out=" + Path("no.xlsx")});
  EXPECT_NE(e.exit_code, 0);
  EXPECT_THAT(e.output, HasSubstr("PERMISSION_DENIED"));
  CommandResult bad =
      Cli(*city_, {"documents", "overview", "--season=a/b", "--out=" + Path("bad.xlsx")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("season"));
}

}  // namespace
}  // namespace cuofeng
