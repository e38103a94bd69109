// Production ledgers (生产台账) and material balance (物料衡算, T75, issue 21),
// end to end against a real cuofeng-server: the registry's new kind round
// trip (gRPC, the CSV template's export and import, validation naming the
// field), ledger days through the CLI with every row counted, and a
// verification run over a filed list and an orange alert that finds each
// planted material-balance kind (output on stop days, fuel burnt on a stop
// day, output above a limit) and nothing about a compliant plant whose
// normal output comes from its reference days.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/documents/registry_workbook.h"
#include "lib/model/clock.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"
#include "tools/gen/production_ledgers.h"
#include "tools/gen/season.h"

namespace cuofeng {
namespace {

using namespace ::cuofeng::testing;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kDistrict[] = "districts/120119";

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = FreshDatabase("ledger");
    admin_ = BootstrapAdmin(dsn_);
    std::string error;
    server_ = ServerProcess::Start(dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"});
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_NO_FATAL_FAILURE(CreateJizhou(server_->address(), admin_, 90, 270, &bureau_));
    dir_ = TempDir();
  }

  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Files the list and issues an orange alert for 1-3 December, then moves
  // the clock to 5 December.
  void FileListAndAlert() {
    city_ = CreateKey(server_->address(), admin_, "city", "");
    ASSERT_NO_FATAL_FAILURE(CreateSeason2018(server_->address(), bureau_));
    ASSERT_NO_FATAL_FAILURE(FileListAndOrangeAlert(server_->address(), bureau_, city_));
    ASSERT_EQ(server_->Stop(), 0);
    std::string error;
    server_ = ServerProcess::Start(dsn_, &error, {"--clock=2018-12-05T12:00:00+08:00"});
    ASSERT_NE(server_, nullptr) << error;
  }

  // The first production line of the district, by name.
  v1::ProductionLine FirstLine(int skip = 0) {
    auto registry = v1::RegistryService::NewStub(Connect(server_->address()));
    v1::ReadDistrictSnapshotRequest req;
    req.set_district(kDistrict);
    auto ctx = KeyContext(bureau_);
    auto reader = registry->ReadDistrictSnapshot(ctx.get(), req);
    v1::DistrictSnapshotChunk chunk;
    std::vector<v1::ProductionLine> lines;
    while (reader->Read(&chunk)) {
      lines.insert(lines.end(), chunk.production_lines().begin(), chunk.production_lines().end());
    }
    EXPECT_TRUE(reader->Finish().ok());
    std::sort(lines.begin(), lines.end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    return lines.size() > static_cast<size_t>(skip) ? lines[skip] : v1::ProductionLine();
  }

  std::string dsn_, admin_, bureau_, city_, dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LedgerTest, RegistryRoundTripOfTheNewKind) {
  const v1::ProductionLine line = FirstLine();
  ASSERT_FALSE(line.name().empty());
  const std::string enterprise = line.name().substr(0, line.name().find("/lines/"));
  auto registry = v1::RegistryService::NewStub(Connect(server_->address()));
  v1::CreateProductionLedgerRequest req;
  req.set_parent(enterprise);
  req.set_production_ledger_id("clinker");
  v1::ProductionLedger* l = req.mutable_production_ledger();
  l->set_display_name("1#线生产台账");
  l->set_line(line.name());
  l->set_product("熟料");
  l->set_output_unit("吨");
  l->set_normal_daily_output(420.5);
  l->set_fuel("燃煤");
  l->set_raw_material("石灰石");
  l->set_raw_material_unit("吨");
  // A fuel without its unit: refused, naming the field, nothing written.
  v1::ProductionLedger created;
  grpc::Status s = registry->CreateProductionLedger(KeyContext(bureau_).get(), req, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("fuel_unit"));
  EXPECT_THAT(s.error_message(), HasSubstr("燃料单位"));
  // A line that does not exist: refused, naming the field.
  l->set_fuel_unit("吨");
  l->set_line(absl::StrCat(enterprise, "/lines/zz-none"));
  s = registry->CreateProductionLedger(KeyContext(bureau_).get(), req, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("line"));
  EXPECT_EQ(SqlScalar(dsn_, "SELECT count(*) FROM registry.production_ledger"), "0");
  l->set_line(line.name());
  s = registry->CreateProductionLedger(KeyContext(bureau_).get(), req, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.name(), absl::StrCat(enterprise, "/productionLedgers/clinker"));

  // The CSV template has it with Chinese headers; deleting it and importing
  // the export brings it back as it was.
  const std::string exported = dir_ + "/export";
  auto out = Cli(server_->address(), bureau_,
                 {"export", "registry", absl::StrCat("--district=", kDistrict), exported});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  const std::string csv = ReadFile(exported + "/production_ledgers.csv");
  EXPECT_THAT(csv, HasSubstr("正常日产量"));
  EXPECT_THAT(csv, HasSubstr("原料单位"));
  EXPECT_THAT(csv, HasSubstr("420.5"));
  v1::DeleteProductionLedgerRequest del;
  del.set_name(created.name());
  v1::DeleteResponse deleted;
  ASSERT_TRUE(registry->DeleteProductionLedger(KeyContext(bureau_).get(), del, &deleted).ok());
  auto in = Cli(server_->address(), bureau_,
                {"import", "registry", absl::StrCat("--district=", kDistrict), exported});
  ASSERT_EQ(in.exit_code, 0) << in.output;
  v1::GetProductionLedgerRequest get;
  get.set_name(created.name());
  v1::ProductionLedger back;
  ASSERT_TRUE(registry->GetProductionLedger(KeyContext(bureau_).get(), get, &back).ok());
  for (auto* m : {&created, &back}) {
    m->clear_create_time();
    m->clear_update_time();
    m->clear_etag();
  }
  EXPECT_EQ(back.DebugString(), created.DebugString());
}

TEST_F(LedgerTest, LedgerDaysCountEveryRow) {
  const v1::ProductionLine line = FirstLine();
  const std::string enterprise = line.name().substr(0, line.name().find("/lines/"));
  auto registry = v1::RegistryService::NewStub(Connect(server_->address()));
  v1::CreateProductionLedgerRequest req;
  req.set_parent(enterprise);
  req.set_production_ledger_id("main");
  v1::ProductionLedger* l = req.mutable_production_ledger();
  l->set_display_name("生产台账");
  l->set_line(line.name());
  l->set_product("铸件");
  l->set_output_unit("吨");
  l->set_fuel("天然气");
  l->set_fuel_unit("万立方米");
  v1::ProductionLedger created;
  ASSERT_TRUE(registry->CreateProductionLedger(KeyContext(bureau_).get(), req, &created).ok());
  const std::string service = CreateKey(server_->address(), admin_, "service", "");
  const std::string path = dir_ + "/production.csv";
  {
    std::ofstream f(path);
    const std::string& n = created.name();
    f << "生产台账,日期,产量,产量单位,燃料消耗,燃料单位,原料消耗,原料单位\n"
      << n << ",2018-10-20,30.5,吨,1.2,万立方米,,\n"                      // 2 accepted
      << n << ",2018-10-21,31,,1.1,,,\n"                                  // 3 accepted
      << n << ",2018-10-21,31,,1.1,,,\n"                                  // 4 duplicate
      << n << ",2018-10-21,35,,1.1,,,\n"                                  // 5 conflict
      << n << ",2018-10-22,30,千克,1,,,\n"                                // 6 unit
      << n << ",2018-10-23,-1,,,,,\n"                                     // 7 negative
      << n << ",2018-10-24,30,,,,2,吨\n"                                  // 8 no raw material
      << n << ",2018-02-30,30,,,,,\n"                                     // 9 no date
      << n << ",2019-01-01,30,,,,,\n"                                     // 10 future
      << enterprise << "/productionLedgers/zz-none,2018-10-24,30,,,,,\n"  // 11 unknown
      << n << ",2018-10-25,三十,,,,,\n";                                  // 12 no number
  }
  auto first = Cli(server_->address(), service, {"ingest", "production", path});
  EXPECT_EQ(first.exit_code, 4) << first.output;
  EXPECT_THAT(first.output, HasSubstr("接收 2 行，重复 1 行，拒收 8 行"));
  // Each rejection names its file, line and column.
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":5:3: output:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":6:4: output_unit:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":7:3: output:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":8:7: raw_material:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":9:2: day:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":10:2: day:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":11:1: ledger:")));
  EXPECT_THAT(first.output, HasSubstr(absl::StrCat(path, ":12:3: output:")));
  EXPECT_EQ(SqlScalar(dsn_, "SELECT count(*) FROM production.ledger_day"), "2");
  // Sent again: nothing new, nothing lost.
  auto again = Cli(server_->address(), service, {"ingest", "production", path});
  EXPECT_THAT(again.output, HasSubstr("接收 0 行，重复 3 行，拒收 8 行"));
  EXPECT_EQ(SqlScalar(dsn_, "SELECT count(*) FROM production.ledger_day"), "2");
  EXPECT_EQ(SqlScalar(dsn_, "SELECT output FROM production.ledger_day WHERE day = '2018-10-21'"),
            "31");

  // The same from a workbook (.xlsx): its first sheet, Excel's row numbers.
  WorkbookSheet sheet;
  sheet.name = "生产台账";
  sheet.columns = {
      {"生产台账", {}}, {"日期", {}}, {"产量", {}}, {"产量单位", {}}, {"燃料消耗", {}}};
  sheet.rows = {{created.name(), "2018-10-21", "31", "吨", "1.1"},
                {created.name(), "2018-10-22", "29.5", "吨", "1"},
                {created.name(), "2018-10-23", "29", "t", "1"}};
  auto bytes = RegistryWorkbookXlsx({sheet});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string xlsx = dir_ + "/生产台账.xlsx";
  {
    std::ofstream f(xlsx, std::ios::binary);
    f << *bytes;
  }
  auto book = Cli(server_->address(), service, {"ingest", "production", xlsx});
  EXPECT_EQ(book.exit_code, 4) << book.output;
  EXPECT_THAT(book.output, HasSubstr("接收 1 行，重复 1 行，拒收 1 行"));
  EXPECT_THAT(book.output, HasSubstr(absl::StrCat(xlsx, ":4:4: output_unit:")));
  EXPECT_EQ(SqlScalar(dsn_, "SELECT count(*) FROM production.ledger_day"), "3");
}

TEST_F(LedgerTest, VerificationFindsEachPlantedKindAndNothingElse) {
  ASSERT_NO_FATAL_FAILURE(FileListAndAlert());
  auto channel = Connect(server_->address());
  SeasonInputs in;
  {
    auto registry = v1::RegistryService::NewStub(channel);
    v1::ReadDistrictSnapshotRequest req;
    req.set_district(kDistrict);
    auto ctx = KeyContext(bureau_);
    auto reader = registry->ReadDistrictSnapshot(ctx.get(), req);
    v1::DistrictSnapshotChunk chunk;
    while (reader->Read(&chunk))
      in.meters.insert(in.meters.end(), chunk.meters().begin(), chunk.meters().end());
    ASSERT_TRUE(reader->Finish().ok());
    v1::ListObligationWindowsRequest wreq;
    wreq.set_district(kDistrict);
    *wreq.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
    *wreq.mutable_to() = ToTimestamp(China("2018-12-05 00:00"));
    v1::ListObligationWindowsResponse windows;
    ASSERT_TRUE(v1::ObligationService::NewStub(channel)
                    ->ListObligationWindows(KeyContext(bureau_).get(), wreq, &windows)
                    .ok());
    in.obligations.assign(windows.obligations().begin(), windows.obligations().end());
  }
  SeasonSpec spec{China("2018-10-16 00:00"), China("2018-11-15 00:00"), China("2018-12-05 00:00")};
  auto sim = SimulateProductionLedgers(spec, in, {}, kDistrict, channel, bureau_, dir_);
  ASSERT_TRUE(sim.ok()) << sim.status();
  ASSERT_THAT(sim->planted, SizeIs(3));
  EXPECT_EQ(sim->ledgers, 4);
  const std::string service = CreateKey(server_->address(), admin_, "service", "");
  auto ingest =
      Cli(server_->address(), service, {"ingest", "production", dir_ + "/production.csv"});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
  EXPECT_THAT(ingest.output, HasSubstr(absl::StrCat("接收 ", sim->days, " 行，重复 0 行")));

  const std::string verifier = CreateKey(server_->address(), admin_, "verifier", kDistrict);
  auto compliance = v1::ComplianceService::NewStub(channel);
  v1::RunVerificationRequest run_req;
  run_req.set_district(kDistrict);
  *run_req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
  *run_req.mutable_to() = ToTimestamp(China("2018-12-05 00:00"));
  v1::VerificationRun run;
  grpc::Status s = compliance->RunVerification(KeyContext(verifier).get(), run_req, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(run.production_ledgers(), 4);
  EXPECT_EQ(run.ledger_days(), sim->days);

  v1::ListFindingsRequest list;
  list.set_parent(kDistrict);
  list.set_page_size(1000);
  v1::ListFindingsResponse found;
  ASSERT_TRUE(compliance->ListFindings(KeyContext(verifier).get(), list, &found).ok());
  std::vector<v1::Finding> balance;
  for (const v1::Finding& f : found.findings()) {
    if (f.type() == v1::MATERIAL_BALANCE) balance.push_back(f);
  }
  const Score score = ScoreFindings(sim->planted, balance);
  EXPECT_THAT(score.missed, IsEmpty());
  EXPECT_THAT(score.false_alarms, IsEmpty());
  ASSERT_THAT(balance, SizeIs(3));
  std::set<std::string> scopes;
  for (const v1::Finding& f : balance) {
    scopes.insert(f.scope());
    EXPECT_THAT(f.rule(), HasSubstr("T75"));
    EXPECT_EQ(f.unit(), "吨");
    EXPECT_GE(f.evidence().rows(), 1);
    EXPECT_THAT(f.summary(), HasSubstr("产量"));
    EXPECT_GE(f.supporting_sources(), 1);
    if (absl::EndsWith(f.scope(), "production-2")) {
      EXPECT_THAT(f.summary(), HasSubstr("燃料"));
    }
    if (absl::EndsWith(f.scope(), "production-3")) {
      EXPECT_GT(f.threshold(), 0);
    }
  }
  EXPECT_EQ(scopes.size(), 3u);
  for (const std::string& scope : scopes) EXPECT_FALSE(absl::EndsWith(scope, "production-4"));
  // A second run adds nothing.
  v1::VerificationRun again;
  ASSERT_TRUE(compliance->RunVerification(KeyContext(verifier).get(), run_req, &again).ok());
  EXPECT_EQ(again.findings_new(), 0);
}

}  // namespace
}  // namespace cuofeng
