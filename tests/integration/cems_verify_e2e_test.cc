// CEMS data in the verification (issue 21), end to end: a district's list
// is filed and an orange alert issued; five data loggers then send HJ 212
// minute packets over TCP to a real cuofeng-server, one plant's electricity
// meter readings go in through the CLI, and the verifier's run finds each
// planted CEMS finding, links the CEMS and electricity findings of the same
// stop not kept, and finds nothing about a compliant plant whose CEMS had a
// short honest outage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/auth/policy.h"
#include "lib/hj212/packet.h"
#include "lib/model/clock.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using namespace ::cuofeng::testing;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kDistrict[] = "districts/120119";
const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

absl::Time China(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", text, kChina, &t, &err)) << text << ": " << err;
  return t;
}

// Sends bytes to the HJ 212 endpoint over one TCP connection.
bool SendAll(int port, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  // Half-close and wait for the server to close: everything was read.
  shutdown(fd, SHUT_WR);
  char buf[256];
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
  return done == bytes.size();
}

// One minute's values as a device sends them.
struct Values {
  double pm, so2, nox, flow, o2;
  char flag;
};

std::string MinutePacket(const std::string& mn, const std::string& pw, absl::Time t,
                         const Values& v) {
  const std::string time = absl::FormatTime("%Y%m%d%H%M%S", t, kChina);
  const std::string segment = absl::StrFormat(
      "QN=%s000;ST=31;CN=2051;PW=%s;MN=%s;Flag=4;CP=&&DataTime=%s;"
      "a34013-Avg=%.2f,a34013-Flag=%c;a21026-Avg=%.2f,a21026-Flag=%c;"
      "a21002-Avg=%.2f,a21002-Flag=%c;a00000-Avg=%.0f,a00000-Flag=%c;"
      "a19001-Avg=%.2f,a19001-Flag=%c&&",
      time, pw, mn, time, v.pm, v.flag, v.so2, v.flag, v.nox, v.flag, v.flow, v.flag, v.o2, v.flag);
  return hj212::Frame(segment);
}

class CemsVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = FreshDatabase("cemsverify");
    admin_ = BootstrapAdmin(dsn_);
    std::string error;
    server_ = ServerProcess::Start(dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"});
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_EQ(Cli(server_->address(), admin_, {"district", "create", "120119", "--name=蓟州区"})
                  .exit_code,
              0);
    bureau_ = CreateKey(server_->address(), admin_, "bureau", kDistrict);
    city_ = CreateKey(server_->address(), admin_, "city", "");
    auto imported = ImportSampleDistrict(server_->address(), bureau_, kDistrict, 90, 270);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    ASSERT_EQ(LoadRuleSet(server_->address(), bureau_, "jizhou-2018").exit_code, 0);
    auto season = Cli(server_->address(), bureau_,
                      {"season", "create", "--district=districts/120119", "--id=2018-2019",
                       "--start=2018-11-15", "--end=2019-03-15", "--filing_deadline=2018-10-31"});
    ASSERT_EQ(season.exit_code, 0) << season.output;
    auto planning = v1::PlanningService::NewStub(Connect(server_->address()));
    v1::GenerateListRequest gen;
    gen.set_parent(kDistrict);
    gen.set_season("districts/120119/seasons/2018-2019");
    gen.set_rule_set("ruleSets/jizhou-2018");
    v1::ListVersion list;
    ASSERT_TRUE(planning->GenerateList(KeyContext(bureau_).get(), gen, &list).ok());
    ASSERT_EQ(Cli(server_->address(), bureau_, {"filing", "submit", list.name()}).exit_code, 0);
    ASSERT_EQ(Cli(server_->address(), city_, {"filing", "acknowledge", list.name()}).exit_code, 0);
    auto alert = Cli(server_->address(), city_,
                     {"alert", "issue", "--level=ORANGE", "--districts=districts/120119",
                      "--start_time=2018-12-01T00:00:00+08:00",
                      "--end_time=2018-12-04T00:00:00+08:00", "--document=津重污染指〔2018〕7号"});
    ASSERT_EQ(alert.exit_code, 0) << alert.output;
    // The HJ 212 receiver's own service key (--hj212_key_file).
    key_dir_ = TempDir();
    std::ofstream(key_dir_ + "/hj212.key")
        << CreateKey(server_->address(), admin_, "service", "") << "\n";
    ASSERT_EQ(server_->Stop(), 0);
    port_ = FreePort();
    server_ = ServerProcess::Start(
        dsn_, &error,
        {"--clock=2018-12-05T12:00:00+08:00", absl::StrCat("--hj212_listen=127.0.0.1:", port_),
         "--hj212_key_file=" + key_dir_ + "/hj212.key"});
    ASSERT_NE(server_, nullptr) << error;
    channel_ = Connect(server_->address());
    verifier_ = CreateKey(server_->address(), admin_, "verifier", kDistrict);
    service_ = CreateKey(server_->address(), admin_, "service", "");

    v1::ListObligationWindowsRequest req;
    req.set_district(kDistrict);
    *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
    *req.mutable_to() = ToTimestamp(China("2018-12-06 00:00"));
    auto obligations = v1::ObligationService::NewStub(channel_);
    ASSERT_TRUE(
        obligations->ListObligationWindows(KeyContext(verifier_).get(), req, &windows_).ok());
    auto registry = v1::RegistryService::NewStub(channel_);
    v1::ReadDistrictSnapshotRequest sreq;
    sreq.set_district(kDistrict);
    auto ctx = KeyContext(bureau_);
    auto reader = registry->ReadDistrictSnapshot(ctx.get(), sreq);
    v1::DistrictSnapshotChunk chunk;
    while (reader->Read(&chunk))
      meters_.insert(meters_.end(), chunk.meters().begin(), chunk.meters().end());
    ASSERT_TRUE(reader->Finish().ok());
  }

  void TearDown() override {
    server_.reset();
    if (!key_dir_.empty()) std::filesystem::remove_all(key_dir_);
  }

  // Whether a stop binds all of `target` at `t`.
  bool StopAt(const std::string& target, absl::Time t) const {
    for (const v1::Obligation& o : windows_.obligations()) {
      if (!(o.action() == v1::STOP || o.action() == v1::RECTIFY)) continue;
      if (!IsWithin(target, o.resource())) continue;
      if (t >= FromTimestamp(o.window_start()) &&
          (!o.has_window_end() || t < FromTimestamp(o.window_end())))
        return true;
    }
    return false;
  }

  // Whether anything measurable binds the enterprise at `t`.
  bool AnythingAt(const std::string& enterprise, absl::Time t) const {
    for (const v1::Obligation& o : windows_.obligations()) {
      if (o.enterprise() != enterprise || o.action() == v1::RUN || o.action() == v1::VOLUNTARY)
        continue;
      if (t >= FromTimestamp(o.window_start()) &&
          (!o.has_window_end() || t < FromTimestamp(o.window_end())))
        return true;
    }
    return false;
  }

  std::string RegisterPoint(const v1::Meter& m, int i, std::optional<double> pm_limit) {
    auto stub = v1::RegistryService::NewStub(channel_);
    v1::CreateMonitoringPointRequest req;
    req.set_parent(m.name().substr(0, m.name().find("/meters/")));
    req.set_monitoring_point_id(absl::StrCat("p", i));
    v1::MonitoringPoint* p = req.mutable_monitoring_point();
    p->set_display_name(absl::StrCat(i, "#排放口"));
    p->set_mn(absl::StrFormat("MN%05d", i));
    p->set_access_password(absl::StrCat("pw-", i));
    p->set_stack_height_m(60);
    p->set_equipment(m.equipment());
    if (pm_limit) p->set_pm_limit(*pm_limit);
    v1::MonitoringPoint out;
    grpc::Status st = stub->CreateMonitoringPoint(KeyContext(admin_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  }

  // Sends point i's minutes [from, to): `values` gives each minute's values
  // (flag 0: the device sent nothing that minute). Returns packets sent.
  int64_t Send(int i, absl::Time from, absl::Time to,
               const std::function<Values(absl::Time)>& values) {
    std::string bytes;
    int64_t n = 0;
    for (absl::Time t = from; t < to; t += absl::Minutes(1)) {
      const Values v = values(t);
      if (v.flag == 0) continue;
      bytes += MinutePacket(absl::StrFormat("MN%05d", i), absl::StrCat("pw-", i), t, v);
      ++n;
    }
    EXPECT_TRUE(SendAll(port_, bytes));
    return n;
  }

  // An honest plant: running (N) or, while a stop binds its equipment,
  // stopped (F, the fan idling); values that vary like a real analyser's.
  std::function<Values(absl::Time)> Honest(const std::string& equipment, int seed) {
    auto rng = std::make_shared<std::mt19937>(seed);
    return [this, equipment, rng](absl::Time t) {
      std::uniform_real_distribution<double> u(-1, 1);
      if (StopAt(equipment, t)) {
        return Values{0.5 + 0.2 * u(*rng),  2 + u(*rng),        4 + u(*rng),
                      2000 + 100 * u(*rng), 20 + 0.3 * u(*rng), 'F'};
      }
      return Values{5 + u(*rng),        20 + 3 * u(*rng),
                    40 + 5 * u(*rng),   50000 + 2000 * u(*rng),
                    10 + 0.5 * u(*rng), 'N'};
    };
  }

  std::vector<v1::Finding> Findings(const std::string& filter = "") {
    auto compliance = v1::ComplianceService::NewStub(channel_);
    std::vector<v1::Finding> out;
    v1::ListFindingsRequest req;
    req.set_parent(kDistrict);
    req.set_page_size(1000);
    req.set_filter(filter);
    do {
      v1::ListFindingsResponse resp;
      grpc::Status s = compliance->ListFindings(KeyContext(verifier_).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return out;
      out.insert(out.end(), resp.findings().begin(), resp.findings().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  std::string dsn_, admin_, bureau_, city_, verifier_, service_, key_dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
  v1::ListObligationWindowsResponse windows_;
  std::vector<v1::Meter> meters_;
};

std::vector<v1::Finding> About(const std::vector<v1::Finding>& all, const std::string& scope,
                               v1::FindingType type = v1::FINDING_TYPE_UNSPECIFIED) {
  std::vector<v1::Finding> out;
  for (const auto& f : all) {
    if (f.scope() == scope && (type == v1::FINDING_TYPE_UNSPECIFIED || f.type() == type))
      out.push_back(f);
  }
  return out;
}

TEST_F(CemsVerifyTest, PlantedCemsFindingsAreFoundAndAnHonestOutageIsNot) {
  const absl::Time orange = China("2018-12-02 00:00"), before = China("2018-11-30 12:00");
  const absl::Time later = China("2018-12-04 11:00");
  // Plants on separate enterprises: three that stop whole at orange, two
  // that run before, during and after it (for the limit and the fabrication).
  std::vector<const v1::Meter*> stops, runs;
  std::set<std::string> used;
  for (const v1::Meter& m : meters_) {
    if (m.role() != v1::PRODUCTION || m.equipment().empty()) continue;
    const std::string e = m.name().substr(0, m.name().find("/meters/"));
    if (used.count(e)) continue;
    // The first (the stop not kept) runs before the alert: its normal flow.
    if (stops.size() < 3 && StopAt(m.equipment(), orange) &&
        (!stops.empty() || !StopAt(m.equipment(), before))) {
      stops.push_back(&m);
      used.insert(e);
    } else if (runs.size() < 2 && !StopAt(m.equipment(), before) &&
               !StopAt(m.equipment(), orange) && !StopAt(m.equipment(), later)) {
      runs.push_back(&m);
      used.insert(e);
    }
  }
  ASSERT_THAT(stops, SizeIs(3));
  ASSERT_THAT(runs, SizeIs(2));
  const std::string not_kept = RegisterPoint(*stops[0], 0, std::nullopt);
  const std::string honest = RegisterPoint(*stops[1], 1, std::nullopt);
  const std::string faulty = RegisterPoint(*stops[2], 2, std::nullopt);
  const std::string over = RegisterPoint(*runs[0], 3, 10.0);
  const std::string fabricated = RegisterPoint(*runs[1], 4, std::nullopt);

  const absl::Time from = China("2018-11-30 00:00"), to = China("2018-12-05 00:00");
  int64_t sent = 0;
  // 0: ran through the orange stop (flow as normal).
  {
    auto run = Honest("", 1);  // a target nothing stops
    sent += Send(0, from, to, run);
  }
  // 1: stopped as bound; its CEMS was down 90 minutes on 2 December.
  {
    auto h = Honest(stops[1]->equipment(), 2);
    sent += Send(1, from, to, [&](absl::Time t) {
      if (t >= China("2018-12-02 10:00") && t < China("2018-12-02 11:30")) return Values{};
      return h(t);
    });
  }
  // 2: stopped as bound, but its CEMS reported a fault (D) for 36 hours of the alert.
  {
    auto h = Honest(stops[2]->equipment(), 3);
    sent += Send(2, from, to, [&](absl::Time t) {
      Values v = h(t);
      if (t >= China("2018-12-02 00:00") && t < China("2018-12-03 12:00")) v.flag = 'D';
      return v;
    });
  }
  // 3: 颗粒物 at 25 mg/m³ (limit 10) for three hours on 4 December.
  {
    auto h = Honest(runs[0]->equipment(), 4);
    sent += Send(3, from, to, [&](absl::Time t) {
      Values v = h(t);
      if (t >= China("2018-12-04 10:00") && t < China("2018-12-04 13:00")) v.pm = 25 + v.pm - 5;
      return v;
    });
  }
  // 4: 颗粒物 exactly 7.30 for five hours on 30 November.
  {
    auto h = Honest(runs[1]->equipment(), 5);
    sent += Send(4, from, to, [&](absl::Time t) {
      Values v = h(t);
      if (t >= China("2018-11-30 10:00") && t < China("2018-11-30 15:00")) v.pm = 7.3;
      return v;
    });
  }
  // Every packet stored (the receiver commits in batches of its own).
  int64_t stored = 0;
  for (absl::Time until = absl::Now() + absl::Seconds(120); absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(200))) {
    stored = std::stoll(SqlScalar(dsn_, "SELECT count(*) FROM cems.packet"));
    if (stored >= sent) break;
  }
  ASSERT_EQ(stored, sent);

  // The plant that ran through the stop: its production meter too (15-minute
  // readings, 100 kW from the reference window on).
  {
    const std::string dir = TempDir();
    std::ofstream out(dir + "/readings.csv");
    out << "\xEF\xBB\xBF电表,时间,类型,读数\n";
    for (absl::Time t = China("2018-10-16 00:15"); t <= to; t += absl::Minutes(15)) {
      out << stops[0]->name() << "," << absl::FormatTime("%Y-%m-%d %H:%M:%S", t, kChina)
          << ",INTERVAL_KWH,25\n";
    }
    out.close();
    auto ingest = Cli(server_->address(), service_, {"ingest", "readings", dir + "/readings.csv"});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
    std::filesystem::remove_all(dir);
  }

  auto compliance = v1::ComplianceService::NewStub(channel_);
  v1::RunVerificationRequest run_req;
  run_req.set_district(kDistrict);
  *run_req.mutable_from() = ToTimestamp(from);
  *run_req.mutable_to() = ToTimestamp(to);
  v1::VerificationRun run;
  grpc::Status st = compliance->RunVerification(KeyContext(verifier_).get(), run_req, &run);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(run.monitoring_points(), 5);
  EXPECT_EQ(run.cems_minutes(), sent);

  const std::vector<v1::Finding> all = Findings();
  std::string listing;
  for (const auto& f : all)
    absl::StrAppend(&listing, v1::FindingType_Name(f.type()), " ", f.scope(), ": ", f.summary(),
                    "\n");
  // The stop not kept, seen by both sources and linked.
  auto flow = About(all, not_kept, v1::CEMS_FLOW_IN_STOP);
  ASSERT_THAT(flow, Not(IsEmpty())) << listing;
  for (const auto& f : flow) EXPECT_EQ(f.supporting_sources(), 2) << f.DebugString();
  auto stop = About(all, stops[0]->name(), v1::STOP_NOT_KEPT);
  ASSERT_THAT(stop, Not(IsEmpty())) << listing;
  for (const auto& f : stop) EXPECT_EQ(f.supporting_sources(), 2) << f.DebugString();
  // The honest plant with its short outage: nothing at all.
  EXPECT_THAT(About(all, honest), IsEmpty()) << listing;
  // The faulty CEMS under the alert: T83, and T81 for its days.
  EXPECT_THAT(About(all, faulty, v1::CEMS_SILENT_IN_WINDOW), Not(IsEmpty())) << listing;
  EXPECT_THAT(About(all, faulty, v1::CEMS_TRANSMISSION_LOW), Not(IsEmpty())) << listing;
  EXPECT_THAT(About(all, faulty, v1::CEMS_FLOW_IN_STOP), IsEmpty()) << listing;
  // Over the limit; fabricated.
  auto limit = About(all, over, v1::CEMS_OVER_LIMIT);
  ASSERT_THAT(limit, SizeIs(1)) << listing;
  EXPECT_EQ(FromTimestamp(limit[0].window_start()), China("2018-12-04 10:00"));
  EXPECT_EQ(FromTimestamp(limit[0].window_end()), China("2018-12-04 13:00"));
  EXPECT_THAT(About(all, fabricated, v1::CEMS_SUSPECT_DATA), SizeIs(1)) << listing;
  EXPECT_THAT(About(all, over, v1::CEMS_SUSPECT_DATA), IsEmpty()) << listing;
  // Every finding names its sources; two agreeing sources filter to the linked pair.
  for (const auto& f : all) EXPECT_GE(f.supporting_sources(), 1) << f.DebugString();
  // (A season limit the plant also broke may be agreed on too.)
  std::set<v1::FindingType> agreed;
  for (const auto& f : Findings("supporting_sources >= 2")) {
    agreed.insert(f.type());
    EXPECT_EQ(f.enterprise(), flow[0].enterprise()) << f.DebugString();
  }
  EXPECT_TRUE(agreed.count(v1::STOP_NOT_KEPT) && agreed.count(v1::CEMS_FLOW_IN_STOP)) << listing;

  // Running it again finds the same, not duplicates.
  ASSERT_TRUE(compliance->RunVerification(KeyContext(verifier_).get(), run_req, &run).ok());
  EXPECT_EQ(Findings().size(), all.size());
}

}  // namespace
}  // namespace cuofeng
