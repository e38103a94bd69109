// Measured CEMS transmission in list generation (issue 21), end to end: a
// real cuofeng-server receives one stack's HJ 212 minute packets over TCP,
// ComplianceService.ListCemsTransmission counts what arrived, and the list
// generated afterwards judges the measured 87.5 % (停产整治) where the
// enterprise declared 95 %, says so in the entry, and records the figures
// with the list. Before any packet arrived, the same registry gives the
// declared judgement in today's words.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/hj212_device.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using namespace ::cuofeng::testing;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDistrict[] = "districts/120119";
constexpr char kMn[] = "88888880000001";
constexpr char kPassword[] = "pw-transmission";

class CemsTransmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = FreshDatabase("transmission");
    admin_ = BootstrapAdmin(dsn_);
    key_dir_ = TempDir();
    std::string error;
    // A first start makes the HJ 212 receiver's service key (--hj212_key_file).
    server_ = ServerProcess::Start(dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"});
    ASSERT_NE(server_, nullptr) << error;
    Hj212Receiver receiver;
    ASSERT_NO_FATAL_FAILURE(RestartWithHj212Receiver(
        dsn_, admin_, key_dir_, {"--clock=2018-10-25T09:00:00+08:00"}, &server_, &receiver));
    port_ = receiver.port;
    ASSERT_NO_FATAL_FAILURE(CreateJizhou(server_->address(), admin_, 20, 60, &bureau_));
    ASSERT_NO_FATAL_FAILURE(CreateSeason2018(server_->address(), bureau_));
    channel_ = Connect(server_->address());

    // The first piece of equipment becomes a 60 m stack declaring 95 %.
    auto registry = v1::RegistryService::NewStub(channel_);
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(bureau_);
    auto reader = registry->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    while (reader->Read(&chunk)) {
      if (equipment_.empty() && chunk.equipment_size() > 0) equipment_ = chunk.equipment(0).name();
    }
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_FALSE(equipment_.empty());
    v1::UpdateEquipmentRequest up;
    up.mutable_equipment()->set_name(equipment_);
    up.mutable_equipment()->set_stack_height_m(60);
    up.mutable_equipment()->set_cems_installed(true);
    up.mutable_equipment()->set_cems_transmission_rate(95);
    for (const char* path : {"stack_height_m", "cems_installed", "cems_transmission_rate"}) {
      up.mutable_update_mask()->add_paths(path);
    }
    v1::Equipment updated;
    grpc::Status st = registry->UpdateEquipment(KeyContext(bureau_).get(), up, &updated);
    ASSERT_TRUE(st.ok()) << st.error_message();

    enterprise_ = equipment_.substr(0, equipment_.find("/lines/"));
    v1::CreateMonitoringPointRequest preq;
    preq.set_parent(enterprise_);
    preq.set_monitoring_point_id("p1");
    v1::MonitoringPoint* p = preq.mutable_monitoring_point();
    p->set_display_name("1#排放口");
    p->set_mn(kMn);
    p->set_access_password(kPassword);
    p->set_stack_height_m(60);
    p->set_equipment(equipment_);
    v1::MonitoringPoint created;
    st = registry->CreateMonitoringPoint(KeyContext(bureau_).get(), preq, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    point_ = created.name();
  }

  void TearDown() override {
    server_.reset();
    if (!key_dir_.empty()) std::filesystem::remove_all(key_dir_);
  }

  v1::ListVersion Generate() {
    auto planning = v1::PlanningService::NewStub(channel_);
    v1::GenerateListRequest gen;
    gen.set_parent(kDistrict);
    gen.set_season("districts/120119/seasons/2018-2019");
    gen.set_rule_set("ruleSets/jizhou-2018");
    v1::ListVersion list;
    grpc::Status st = planning->GenerateList(KeyContext(bureau_).get(), gen, &list);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return list;
  }

  // The SP9 reason or refusal on the stack's entry of `list`, and the
  // entry's explanation.
  v1::Reason Sp9(const v1::ListVersion& list, std::string* explanation) {
    auto planning = v1::PlanningService::NewStub(channel_);
    v1::ListEntriesRequest req;
    req.set_parent(list.name());
    req.set_page_size(1000);
    do {
      v1::ListEntriesResponse resp;
      grpc::Status st = planning->ListEntries(KeyContext(bureau_).get(), req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      for (const v1::ListEntry& e : resp.entries()) {
        if (e.resource() != equipment_) continue;
        v1::ExplainEntryRequest ereq;
        ereq.set_name(e.name());
        v1::ExplainEntryResponse explained;
        EXPECT_TRUE(planning->ExplainEntry(KeyContext(bureau_).get(), ereq, &explained).ok());
        *explanation = explained.explanation();
        for (const v1::Reason& r : e.reasons())
          if (r.rule_id() == "SP9") return r;
        for (const v1::Reason& r : e.refused())
          if (r.rule_id() == "SP9") return r;
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    ADD_FAILURE() << "no SP9 on " << equipment_ << " in " << list.name();
    return {};
  }

  std::string dsn_, admin_, bureau_, equipment_, enterprise_, point_, key_dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

TEST_F(CemsTransmissionTest, ListJudgesTheMeasuredRateOnceDataArrived) {
  // No CEMS data yet: the declared 95 % is judged, in today's words.
  std::string explanation;
  const v1::ListVersion before = Generate();
  const v1::Reason declared = Sp9(before, &explanation);
  EXPECT_THAT(declared.text(), HasSubstr("已安装且传输有效率达标，不停产整治"));
  EXPECT_THAT(declared.text(), Not(HasSubstr("实测")));
  EXPECT_EQ(SqlScalar(dsn_, absl::StrCat("SELECT count(*) FROM planning.list_cems_transmission "
                                         "WHERE list = '",
                                         before.name(), "'")),
            "0");

  // 2018-10-24, the last whole day before the list's date (2018-10-25): the
  // device's first day. 1,260 minutes normal, 60 flagged D (fault), 120
  // not sent: 1,260 of 1,440 = 87.5 %.
  absl::Time day;
  std::string err;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%d", "2018-10-24", ChinaZone(), &day, &err)) << err;
  std::string bytes;
  for (int m = 0; m < 1320; ++m)
    bytes += MinutePacket(kMn, kPassword, day + absl::Minutes(m),
                          MinuteValues{5.10, 20.30, 40.20, 50000, 10.10, m < 1260 ? 'N' : 'D'});
  ASSERT_TRUE(SendAll(port_, bytes));
  // The receiver commits in batches after it read them: wait (bounded) until
  // every packet is counted, then check all were accepted.
  const std::string counted =
      "SELECT coalesce(sum(accepted + duplicate + rejected), 0) FROM cems.daily_count";
  for (int i = 0; i < 240 && SqlScalar(dsn_, counted) != "1320"; ++i) {
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_EQ(
      SqlScalar(dsn_, absl::StrCat("SELECT count(*) FROM cems.packet WHERE mn = '", kMn, "'")),
      "1320")
      << SqlScalar(dsn_, "SELECT string_agg(reason, '; ') FROM cems.rejection");

  // What compliance measured, over the window list generation asks for.
  auto compliance = v1::ComplianceService::NewStub(channel_);
  v1::ListCemsTransmissionRequest treq;
  treq.set_district(kDistrict);
  treq.set_from_day("2018-09-25");
  treq.set_to_day("2018-10-24");
  v1::ListCemsTransmissionResponse measured;
  grpc::Status st = compliance->ListCemsTransmission(KeyContext(bureau_).get(), treq, &measured);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(measured.points_size(), 1);
  const v1::CemsTransmission& t = measured.points(0);
  EXPECT_EQ(t.monitoring_point(), point_);
  EXPECT_EQ(t.mn(), kMn);
  EXPECT_EQ(t.target(), equipment_);
  EXPECT_EQ(t.from_day(), "2018-10-24");  // expected from the device's first minute
  EXPECT_EQ(t.to_day(), "2018-10-24");
  EXPECT_EQ(t.expected_minutes(), 1440);
  EXPECT_EQ(t.valid_minutes(), 1260);
  EXPECT_DOUBLE_EQ(t.rate_percent(), 87.5);
  ASSERT_EQ(t.days_size(), 1);
  EXPECT_EQ(t.days(0).valid_minutes(), 1260);

  // The list now judges the measured rate and says so.
  const v1::ListVersion after = Generate();
  const v1::Reason used = Sp9(after, &explanation);
  EXPECT_THAT(used.text(),
              HasSubstr("数据传输有效率（实测，2018-10-24至2018-10-24，MN 88888880000001）87.5%"));
  EXPECT_THAT(used.text(), HasSubstr("予以停产整治"));
  EXPECT_THAT(explanation, HasSubstr("实测数据传输有效率"));
  EXPECT_THAT(explanation, HasSubstr("有效传输1260/1440分钟"));
  EXPECT_NE(before.content_sha256(), after.content_sha256());
  // Recorded with the list: what it was decided on.
  EXPECT_EQ(SqlScalar(dsn_, absl::StrCat("SELECT monitoring_point || ' ' || mn || ' ' || "
                                         "from_day || ' ' || to_day || ' ' || valid_minutes || "
                                         "'/' || expected_minutes FROM "
                                         "planning.list_cems_transmission WHERE list = '",
                                         after.name(), "'")),
            absl::StrCat(point_, " ", kMn, " 2018-10-24 2018-10-24 1260/1440"));
}

TEST_F(CemsTransmissionTest, RefusesBadRangesAndEnterprises) {
  auto compliance = v1::ComplianceService::NewStub(channel_);
  v1::ListCemsTransmissionRequest req;
  req.set_district(kDistrict);
  req.set_from_day("2018-10-31");
  req.set_to_day("2018-10-01");
  v1::ListCemsTransmissionResponse resp;
  grpc::Status st = compliance->ListCemsTransmission(KeyContext(bureau_).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("to_day"));
  req.set_from_day("2018-02-30");
  st = compliance->ListCemsTransmission(KeyContext(bureau_).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("from_day"));

  // Nothing sent yet: no point measured (a device never heard from is not).
  req.set_from_day("2018-10-01");
  req.set_to_day("2018-10-24");
  st = compliance->ListCemsTransmission(KeyContext(bureau_).get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.points_size(), 0);

  const std::string enterprise_key =
      CreateKey(server_->address(), admin_, "enterprise", enterprise_);
  st = compliance->ListCemsTransmission(KeyContext(enterprise_key).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace cuofeng
