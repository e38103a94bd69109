// Input integrity end to end (issue 13, items 1 and 2): every row of every
// stream is counted whatever bytes it holds, imports are all-or-nothing
// whatever fails where, short and long rows are refused naming their cell
// count, and text rules (UTF-8, NUL and control characters, lengths) hold in
// Create calls, import and ingest, with bounded quotes in error messages.
// Against a real server, PostgreSQL and the real CLI.
#include <iconv.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
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

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";

// GB18030 of `utf8` (the test's own converter, not the one under test).
std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* o = out.data();
  size_t out_left = out.size();
  iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

// A folder removed at the end of the test.
class Folder {
 public:
  Folder() : path_(TempDir()) {}
  ~Folder() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

 private:
  std::string path_;
};

std::string ViolationsOf(const grpc::Status& s) {
  std::string out = s.error_message();
  for (const FieldViolation& v : FieldViolations(FromGrpcStatus(s))) {
    absl::StrAppend(&out, "\n", v.field, ": ", v.description);
  }
  return out;
}

class IntegrityE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn_ = new std::string(FreshDatabase("integrity"));
    admin_ = new std::string(BootstrapAdmin(*dsn_));
    std::string error;
    server_ = ServerProcess::Start(*dsn_, &error).release();
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_EQ(Cli(*admin_, {"district", "create", "120119", "--name=蓟州区"}).exit_code, 0);
    bureau_ = new std::string(CreateKey(server_->address(), *admin_, "bureau", kDistrict));
    service_ = new std::string(CreateKey(server_->address(), *admin_, "service", ""));
    {
      Folder generated;  // removed afterwards, unlike ImportSampleDistrict's folder
      DistrictSpec spec;
      spec.enterprises = 6;
      spec.equipment = 18;
      ASSERT_TRUE(GenerateDistrict(spec, generated.path()).ok());
      CommandResult imported = Cli(*bureau_, {"import", "registry", generated.path(),
                                              "--district=" + std::string(kDistrict)});
      ASSERT_EQ(imported.exit_code, 0) << imported.output;
    }
    auto channel = Connect(server_->address());
    registry_ = v1::RegistryService::NewStub(channel).release();
    compliance_ = v1::ComplianceService::NewStub(channel).release();
    obligations_ = v1::ObligationService::NewStub(channel).release();
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(*bureau_);
    auto reader = registry_->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    while (reader->Read(&chunk)) {
      if (meter_.empty() && chunk.meters_size() > 0) meter_ = chunk.meters(0).name();
      if (camera_.empty() && chunk.cameras_size() > 0) camera_ = chunk.cameras(0).name();
      if (enterprise_.empty() && chunk.enterprises_size() > 0) {
        enterprise_ = chunk.enterprises(0).name();
        enterprise_id_ = enterprise_.substr(enterprise_.rfind('/') + 1);
      }
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_FALSE(meter_.empty());
    if (camera_.empty()) {
      v1::CreateCameraRequest creq;
      creq.set_parent(enterprise_);
      creq.set_camera_id("gate1");
      creq.mutable_camera()->set_display_name("1号门");
      creq.mutable_camera()->set_direction(v1::BOTH);
      v1::Camera camera;
      grpc::Status made = registry_->CreateCamera(KeyContext(*bureau_).get(), creq, &camera);
      ASSERT_TRUE(made.ok()) << made.error_message();
      camera_ = camera.name();
    }
  }

  // The server is stopped here: without it, every run of the suite left a
  // cuofeng-server behind on its database.
  static void TearDownTestSuite() {
    delete registry_;
    delete compliance_;
    delete obligations_;
    delete server_;
    server_ = nullptr;
  }

  static CommandResult Cli(const std::string& key, std::vector<std::string> args) {
    return ::cuofeng::testing::Cli(server_->address(), key, std::move(args));
  }

  static std::string Count(const std::string& table) {
    return SqlScalar(*dsn_, "SELECT count(*) FROM " + table);
  }

  // A readings file of `rows` rows for meter_ at 15-minute steps from `day`.
  static std::string Readings(int rows, const std::string& day, int bad_row = 0,
                              const std::string& bad = "") {
    std::string out = "meter,time,kind,value\n";
    for (int i = 0; i < rows; ++i) {
      const int minutes = 15 * (i + 1);
      const std::string time =
          absl::StrFormat("%s %02d:%02d:00", day, minutes / 60 % 24, minutes % 60);
      if (i + 2 == bad_row) {
        absl::StrAppend(&out, meter_, ",", time, ",INTERVAL_KWH,", bad, "\n");
      } else {
        absl::StrAppend(&out, meter_, ",", time, ",INTERVAL_KWH,", 10 + i % 7, "\n");
      }
    }
    return out;
  }

  static std::string* dsn_;
  static std::string* admin_;
  static std::string* bureau_;
  static std::string* service_;
  static ServerProcess* server_;
  static v1::RegistryService::Stub* registry_;
  static v1::ComplianceService::Stub* compliance_;
  static v1::ObligationService::Stub* obligations_;
  static std::string meter_, camera_, enterprise_, enterprise_id_;
};

std::string* IntegrityE2eTest::dsn_;
std::string* IntegrityE2eTest::admin_;
std::string* IntegrityE2eTest::bureau_;
std::string* IntegrityE2eTest::service_;
ServerProcess* IntegrityE2eTest::server_;
v1::RegistryService::Stub* IntegrityE2eTest::registry_;
v1::ComplianceService::Stub* IntegrityE2eTest::compliance_;
v1::ObligationService::Stub* IntegrityE2eTest::obligations_;
std::string IntegrityE2eTest::meter_, IntegrityE2eTest::camera_, IntegrityE2eTest::enterprise_,
    IntegrityE2eTest::enterprise_id_;

// Item 1: a byte that is not UTF-8 mid-stream is one rejected row; the rows
// after it are read on and counted, and the CLI exits 4.
TEST_F(IntegrityE2eTest, NonUtf8ByteMidStreamIsOneRejectedRow) {
  Folder dir;
  // 90 rows, the bad byte on line 60 in the value cell (column 4).
  const std::string file = dir.Write("readings.csv", Readings(90, "2024-03-01", 60, "1\xFF"));
  CommandResult r = Cli(*service_, {"ingest", "readings", file});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("接收 89 行，重复 0 行，拒收 1 行")) << r.output;
  EXPECT_THAT(r.output, HasSubstr(file + ":60:4")) << r.output;  // file:line:column (value)
  EXPECT_THAT(r.output, HasSubstr("0xFF")) << r.output;

  // A client that sends the byte on the wire (no CLI): counted the same way.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + *service_);
  v1::IngestSummary summary;
  auto writer = compliance_->IngestReadings(&ctx, &summary);
  for (int batch = 0; batch < 3; ++batch) {
    v1::IngestReadingsRequest req;
    req.set_source("wire.csv");
    for (int i = 0; i < 10; ++i) {
      v1::Reading* reading = req.add_readings();
      reading->set_line(batch * 10 + i + 2);
      reading->set_meter(batch == 1 && i == 3 ? meter_ + "\xB4\xFF" : meter_);
      reading->set_local_time(absl::StrFormat("2024-03-02 %02d:%02d:00", batch, (i + 1) * 5));
      reading->set_kind(v1::INTERVAL_KWH);
      reading->set_value(5);
    }
    ASSERT_TRUE(writer->Write(req));
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.accepted(), 29);
  EXPECT_EQ(summary.rejected(), 1);
  ASSERT_EQ(summary.rejections_size(), 1);
  EXPECT_EQ(summary.rejections(0).line(), 15);
  EXPECT_EQ(summary.rejections(0).field(), "meter");
  EXPECT_THAT(summary.rejections(0).reason(), HasSubstr("不是 UTF-8 编码"));
}

// Item 1: GB18030 monitoring files are detected and transcoded.
TEST_F(IntegrityE2eTest, Gb18030MonitoringFileIsTranscoded) {
  Folder dir;
  std::string text = "电表,时间,类型,读数\n";
  for (int i = 0; i < 8; ++i) {
    absl::StrAppend(&text, meter_, ",2024-03-03 ", 10 + i, ":00:00,电量,", 3 + i, "\n");
  }
  const std::string gb = ToGb18030(text);
  ASSERT_NE(gb, text);
  const std::string file = dir.Write("gb.csv", gb);
  CommandResult r = Cli(*service_, {"ingest", "readings", file});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("接收 8 行，重复 0 行，拒收 0 行")) << r.output;
}

// Item 1: rows with too few or too many cells are refused in every
// monitoring kind, naming the cell count.
TEST_F(IntegrityE2eTest, MonitoringRowsWithWrongCellCountsAreRejected) {
  Folder dir;
  const std::string readings =
      dir.Write("short.csv", absl::StrCat("meter,time,kind,value\n", meter_,
                                          ",2024-03-04 10:00:00,INTERVAL_KWH,4\n", meter_,
                                          ",2024-03-04 10:15:00,INTERVAL_KWH\n", meter_,
                                          ",2024-03-04 10:30:00,INTERVAL_KWH,4,extra\n"));
  CommandResult r = Cli(*service_, {"ingest", "readings", readings});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("接收 1 行，重复 0 行，拒收 2 行")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 3 格，表头有 4 格")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 5 格，表头有 4 格")) << r.output;

  const std::string gate = dir.Write(
      "gate.csv",
      absl::StrCat("camera,time,plate,direction,vehicle_class,photo,cargo,tonnage\n", camera_,
                   ",2024-03-04 10:00:00,津A12345,ENTRY,HEAVY_GOODS,p1.jpg,煤,30\n", camera_,
                   ",2024-03-04 10:05:00,津A12346,ENTRY,HEAVY_GOODS,p2.jpg,煤\n"));
  r = Cli(*service_, {"ingest", "gate", gate});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("接收 1 行，重复 0 行，拒收 1 行")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 7 格，表头有 8 格")) << r.output;

  const std::string ledger =
      dir.Write("ledger.csv", absl::StrCat("enterprise,plate,time,direction\n", enterprise_,
                                           ",津A12345,2024-03-04 10:00:00,ENTRY\n", enterprise_,
                                           ",津A12345,2024-03-04 11:00:00\n", enterprise_,
                                           ",津A12345,2024-03-04 12:00:00,EXIT,x\n"));
  r = Cli(*service_, {"ingest", "ledger", ledger});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_THAT(r.output, HasSubstr("接收 1 行，重复 0 行，拒收 2 行")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 3 格，表头有 4 格")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 5 格，表头有 4 格")) << r.output;
}

// Item 2: a 100 MB line is one rejected row naming file and line; the rest of
// the file is counted.
TEST_F(IntegrityE2eTest, HugeLineIsOneRejectedRow) {
  Folder dir;
  std::string text = Readings(6, "2024-03-05");
  const size_t third_line = text.find('\n', text.find('\n', text.find('\n') + 1) + 1) + 1;
  text.insert(third_line,
              meter_ + ",2024-03-05 23:00:00,INTERVAL_KWH," + std::string(100 << 20, '7') + "\n");
  const std::string file = dir.Write("huge.csv", text);
  text.clear();
  text.shrink_to_fit();
  CommandResult r = Cli(*service_, {"ingest", "readings", file});
  EXPECT_EQ(r.exit_code, 4) << r.output.substr(0, 2000);
  EXPECT_THAT(r.output, HasSubstr("接收 6 行，重复 0 行，拒收 1 行")) << r.output.substr(0, 2000);
  EXPECT_THAT(r.output, HasSubstr(file + ":4")) << r.output.substr(0, 2000);
  EXPECT_LT(r.output.size(), 4000u);  // the line itself is never echoed
}

// Item 1: import is all-or-nothing whatever fails in whichever message.
TEST_F(IntegrityE2eTest, ImportFailingInALaterMessageWritesNothing) {
  const std::string before = Count("registry.township");
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + *bureau_);
  v1::ImportRegistryResponse resp;
  auto writer = registry_->ImportRegistry(&ctx, &resp);
  v1::ImportRegistryRequest header;
  header.mutable_header()->set_district(kDistrict);
  ASSERT_TRUE(writer->Write(header));
  v1::ImportRegistryRequest part;
  v1::CsvFile* f = part.mutable_file();
  f->set_file_name("townships.csv");
  f->set_kind("townships");
  f->add_header("id");
  f->add_header("display_name");
  for (int i = 0; i < 5; ++i) {
    auto* row = f->add_rows();
    row->set_line(i + 2);
    row->add_cells(absl::StrCat("t-new-", i));
    row->add_cells(absl::StrCat("新镇", i));
  }
  ASSERT_TRUE(writer->Write(part));
  // The second message carries a cell that is not UTF-8.
  f->clear_rows();
  auto* row = f->add_rows();
  row->set_line(7);
  row->add_cells("t-new-5");
  row->add_cells("新\xFF镇");
  writer->Write(part);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(ViolationsOf(s), AllOf(HasSubstr("townships.csv:7:2"), HasSubstr("不是 UTF-8 编码")));
  EXPECT_EQ(Count("registry.township"), before);
}

// Item 1: a marked stream (as the CLI sends) that ends without its last
// message, because a message could not be read or the client stopped, is
// refused with the count of what was stored, never an early OK.
TEST_F(IntegrityE2eTest, MarkedStreamWithoutItsLastMessageIsRefused) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + *service_);
  v1::IngestSummary summary;
  auto writer = compliance_->IngestReadings(&ctx, &summary);
  v1::IngestReadingsRequest req;
  req.set_source("cut.csv");
  req.set_marked(true);
  for (int i = 0; i < 4; ++i) {
    v1::Reading* reading = req.add_readings();
    reading->set_line(i + 2);
    reading->set_meter(meter_);
    reading->set_local_time(absl::StrFormat("2024-03-07 10:%02d:00", i * 15));
    reading->set_kind(v1::INTERVAL_KWH);
    reading->set_value(2);
  }
  ASSERT_TRUE(writer->Write(req));
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), AllOf(HasSubstr("数据流在最后一条消息之前中断"),
                                       HasSubstr("接收 4 行，重复 0 行，拒收 0 行")));
}

// Item 1: an import whose stream holds fewer rows than its header announced
// (a message the server could not read) writes nothing.
TEST_F(IntegrityE2eTest, ImportShorterThanAnnouncedWritesNothing) {
  const std::string before = Count("registry.township");
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + *bureau_);
  v1::ImportRegistryResponse resp;
  auto writer = registry_->ImportRegistry(&ctx, &resp);
  v1::ImportRegistryRequest header;
  header.mutable_header()->set_district(kDistrict);
  header.mutable_header()->set_rows(3);
  ASSERT_TRUE(writer->Write(header));
  v1::ImportRegistryRequest part;
  v1::CsvFile* f = part.mutable_file();
  f->set_file_name("townships.csv");
  f->set_kind("townships");
  f->add_header("id");
  f->add_header("display_name");
  for (int i = 0; i < 2; ++i) {
    auto* row = f->add_rows();
    row->set_line(i + 2);
    row->add_cells(absl::StrCat("cut-", i));
    row->add_cells(absl::StrCat("断镇", i));
  }
  ASSERT_TRUE(writer->Write(part));
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationsOf(s), AllOf(HasSubstr("header.rows"), HasSubstr("未写入任何内容")));
  EXPECT_EQ(Count("registry.township"), before);
}

// Item 1: a registry row one cell short (or long) is refused and never blanks
// a stored column.
TEST_F(IntegrityE2eTest, ShortRegistryRowIsRefusedAndBlanksNothing) {
  Folder dir;
  dir.Write("townships.csv", "id,display_name\nshort-town,短镇\n");
  CommandResult r =
      Cli(*bureau_, {"import", "registry", dir.path(), "--district=" + std::string(kDistrict)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  dir.Write("townships.csv", "id,display_name\nshort-town\n");
  r = Cli(*bureau_, {"import", "registry", dir.path(), "--district=" + std::string(kDistrict)});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 1 格，表头有 2 格")) << r.output;
  dir.Write("townships.csv", "id,display_name\nshort-town,短镇,x\n");
  r = Cli(*bureau_, {"import", "registry", dir.path(), "--district=" + std::string(kDistrict)});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("此行有 3 格，表头有 2 格")) << r.output;
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT display_name FROM registry.township WHERE id = 'short-town'"),
            "短镇");
}

// Item 2: a registry file in a wrong encoding is refused by line and column.
TEST_F(IntegrityE2eTest, WrongEncodingIsNamedByLineAndColumn) {
  Folder dir;
  dir.Write("townships.csv", "id,display_name\nenc-a,甲镇\nenc-b,乙\xFF镇\n");
  CommandResult r =
      Cli(*bureau_, {"import", "registry", dir.path(), "--district=" + std::string(kDistrict)});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("line 3, column 8")) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("offset"))) << r.output;
}

// Item 2: NUL and control characters are refused with the field named, in
// Create calls (every service), import and ingest; nothing is truncated.
TEST_F(IntegrityE2eTest, NulIsRefusedNamingTheField) {
  const std::string nul("东\0西", 7);
  v1::CreateTownshipRequest create;
  create.set_parent(kDistrict);
  create.set_township_id("nul-town");
  create.mutable_township()->set_display_name(nul);
  v1::Township township;
  grpc::Status s = registry_->CreateTownship(KeyContext(*bureau_).get(), create, &township);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(ViolationsOf(s), AllOf(HasSubstr("township.display_name"), HasSubstr("U+0000")));
  EXPECT_EQ(SqlScalar(*dsn_, "SELECT count(*) FROM registry.township WHERE id = 'nul-town'"), "0");

  // Another service: a meter event's reason.
  v1::RecordMeterEventRequest event;
  event.mutable_event()->set_meter(meter_);
  event.mutable_event()->mutable_time()->set_seconds(1709251200);
  event.mutable_event()->set_kind(v1::MeterEvent::REGISTER_RESET);
  event.mutable_event()->set_reason(nul);
  v1::MeterEvent recorded;
  s = compliance_->RecordMeterEvent(KeyContext(*admin_).get(), event, &recorded);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(ViolationsOf(s), AllOf(HasSubstr("event.reason"), HasSubstr("U+0000")));
  EXPECT_EQ(Count("compliance.meter_event"), "0");

  // Import: refused by file, row and column.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + *bureau_);
  v1::ImportRegistryResponse resp;
  auto writer = registry_->ImportRegistry(&ctx, &resp);
  v1::ImportRegistryRequest header;
  header.mutable_header()->set_district(kDistrict);
  writer->Write(header);
  v1::ImportRegistryRequest part;
  part.mutable_file()->set_file_name("townships.csv");
  part.mutable_file()->set_kind("townships");
  part.mutable_file()->add_header("id");
  part.mutable_file()->add_header("display_name");
  auto* row = part.mutable_file()->add_rows();
  row->set_line(2);
  row->add_cells("nul-town");
  row->add_cells(nul);
  writer->Write(part);
  writer->WritesDone();
  s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(ViolationsOf(s), AllOf(HasSubstr("townships.csv:2:2"), HasSubstr("U+0000")));

  // Ingest: one rejected row naming the field.
  grpc::ClientContext ictx;
  ictx.AddMetadata("authorization", "Bearer " + *service_);
  v1::IngestSummary summary;
  auto gate = compliance_->IngestGateEvents(&ictx, &summary);
  v1::IngestGateEventsRequest req;
  req.set_source("gate.csv");
  v1::GateEvent* e = req.add_events();
  e->set_line(2);
  e->set_camera(camera_);
  e->set_local_time("2024-03-06 10:00:00");
  e->set_plate(
      std::string("津A\0"
                  "12345",
                  10));
  e->set_direction(v1::ENTRY);
  gate->Write(req);
  gate->WritesDone();
  s = gate->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.rejected(), 1);
  ASSERT_EQ(summary.rejections_size(), 1);
  EXPECT_EQ(summary.rejections(0).field(), "plate");
  EXPECT_THAT(summary.rejections(0).reason(), HasSubstr("U+0000"));
}

// Item 2: long incompressible text in unique-indexed fields is
// INVALID_ARGUMENT naming the field (not INTERNAL from the btree), and the
// message quotes a bounded prefix of the input.
TEST_F(IntegrityE2eTest, LongTextIsRefusedBeforeTheDatabase) {
  std::mt19937 rng(13);
  std::string long_text;
  while (long_text.size() < 30000) {
    const unsigned cp = 0x4E00 + rng() % 0x5000;  // CJK, incompressible
    long_text += static_cast<char>(0xE0 | (cp >> 12));
    long_text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    long_text += static_cast<char>(0x80 | (cp & 0x3F));
  }
  v1::CreateTownshipRequest create;
  create.set_parent(kDistrict);
  create.set_township_id("long-town");
  create.mutable_township()->set_display_name(long_text);
  v1::Township township;
  grpc::Status s = registry_->CreateTownship(KeyContext(*bureau_).get(), create, &township);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message().size();
  EXPECT_THAT(ViolationsOf(s), AllOf(HasSubstr("township.display_name"), HasSubstr("最多 300 个")));
  EXPECT_LT(s.error_message().size(), 1000u);

  // A cell of 100 KB where a number belongs: the message quotes a prefix.
  v1::UpdateEnterpriseRequest update;
  update.mutable_enterprise()->set_name(enterprise_);
  update.mutable_enterprise()->set_contact_phone(std::string(100000, '1'));
  v1::Enterprise e;
  s = registry_->UpdateEnterprise(KeyContext(*bureau_).get(), update, &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(s.error_message().size(), 1000u);
  EXPECT_LT(ViolationsOf(s).size(), 2000u);
}

// Bad page tokens are INVALID_ARGUMENT naming page_token.
TEST_F(IntegrityE2eTest, BadPageTokensAreInvalidArgument) {
  for (const std::string& token :
       {std::string("!!!"), absl::WebSafeBase64Escape(std::string("\0\xFF", 2)),
        absl::WebSafeBase64Escape(std::string(5000, 'z')), std::string(10000, 'A')}) {
    v1::ListTownshipsRequest req;
    req.set_parent(kDistrict);
    req.set_page_token(token);
    v1::ListTownshipsResponse resp;
    grpc::Status s = registry_->ListTownships(KeyContext(*bureau_).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(ViolationsOf(s), HasSubstr("page_token"));
  }
}

// A malformed enterprise name in GetObligations is INVALID_ARGUMENT, not an empty OK.
TEST_F(IntegrityE2eTest, MalformedEnterpriseInGetObligations) {
  for (const std::string& name : {std::string("districts/120119/enterprises/"),
                                  std::string("districts/120119/foo/e1"), std::string("x")}) {
    v1::GetObligationsRequest req;
    req.set_enterprise(name);
    v1::ObligationSet set;
    grpc::Status s = obligations_->GetObligations(KeyContext(*admin_).get(), req, &set);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_THAT(ViolationsOf(s), HasSubstr("enterprise"));
  }
}

}  // namespace
}  // namespace cuofeng
