#include "tests/support/hj212_device.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lib/auth/policy.h"
#include "lib/hj212/packet.h"
#include "lib/model/clock.h"
#include "tests/support/jizhou_season.h"
#include "tests/support/loopback.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace testing {
namespace {

constexpr char kJizhou[] = "districts/120119";

}  // namespace

bool SendAll(int port, const std::string& bytes) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return false;
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

std::string MinutePacket(const std::string& mn, const std::string& pw, absl::Time t,
                         const MinuteValues& v) {
  const std::string time = absl::FormatTime("%Y%m%d%H%M%S", t, ChinaZone());
  const std::string segment = absl::StrFormat(
      "QN=%s000;ST=31;CN=2051;PW=%s;MN=%s;Flag=4;CP=&&DataTime=%s;"
      "a34013-Avg=%.2f,a34013-Flag=%c;a21026-Avg=%.2f,a21026-Flag=%c;"
      "a21002-Avg=%.2f,a21002-Flag=%c;a00000-Avg=%.0f,a00000-Flag=%c;"
      "a19001-Avg=%.2f,a19001-Flag=%c&&",
      time, pw, mn, time, v.pm, v.flag, v.so2, v.flag, v.nox, v.flag, v.flow, v.flag, v.o2, v.flag);
  return hj212::Frame(segment);
}

void RestartWithHj212Receiver(const std::string& dsn, const std::string& admin,
                              const std::string& dir, std::vector<std::string> flags,
                              std::unique_ptr<ServerProcess>* server, Hj212Receiver* receiver) {
  receiver->key = CreateKey((*server)->address(), admin, "service", "");
  ASSERT_FALSE(receiver->key.empty());
  const std::string key_file = dir + "/hj212.key";
  std::ofstream(key_file) << receiver->key << "\n";
  ASSERT_EQ((*server)->Stop(), 0) << (*server)->Log();
  receiver->port = FreePort();
  flags.push_back(absl::StrCat("--hj212_listen=127.0.0.1:", receiver->port));
  flags.push_back("--hj212_key_file=" + key_file);
  std::string error;
  *server = ServerProcess::Start(dsn, &error, flags);
  ASSERT_NE(*server, nullptr) << error;
}

void CemsSeasonTest::StartSeason(const std::string& prefix, const std::vector<std::string>& flags) {
  dsn_ = FreshDatabase(prefix);
  admin_ = BootstrapAdmin(dsn_);
  dir_ = TempDir();
  std::string error;
  server_ = ServerProcess::Start(dsn_, &error, {"--clock=2018-10-25T09:00:00+08:00"});
  ASSERT_NE(server_, nullptr) << error;
  ASSERT_NO_FATAL_FAILURE(CreateJizhou(server_->address(), admin_, 90, 270, &bureau_));
  city_ = CreateKey(server_->address(), admin_, "city", "");
  ASSERT_NO_FATAL_FAILURE(CreateSeason2018(server_->address(), bureau_));
  ASSERT_NO_FATAL_FAILURE(FileListAndOrangeAlert(server_->address(), bureau_, city_));
  std::vector<std::string> later = {"--clock=2018-12-05T12:00:00+08:00"};
  later.insert(later.end(), flags.begin(), flags.end());
  Hj212Receiver receiver;
  ASSERT_NO_FATAL_FAILURE(RestartWithHj212Receiver(dsn_, admin_, dir_, later, &server_, &receiver));
  port_ = receiver.port;
  hj212_key_ = receiver.key;
  channel_ = Connect(server_->address());
  verifier_ = CreateKey(server_->address(), admin_, "verifier", kJizhou);
  service_ = CreateKey(server_->address(), admin_, "service", "");

  v1::ListObligationWindowsRequest req;
  req.set_district(kJizhou);
  *req.mutable_from() = ToTimestamp(China("2018-11-15 00:00"));
  *req.mutable_to() = ToTimestamp(China("2018-12-06 00:00"));
  auto obligations = v1::ObligationService::NewStub(channel_);
  ASSERT_TRUE(obligations->ListObligationWindows(KeyContext(verifier_).get(), req, &windows_).ok());
  auto registry = v1::RegistryService::NewStub(channel_);
  v1::ReadDistrictSnapshotRequest sreq;
  sreq.set_district(kJizhou);
  auto ctx = KeyContext(bureau_);
  auto reader = registry->ReadDistrictSnapshot(ctx.get(), sreq);
  v1::DistrictSnapshotChunk chunk;
  while (reader->Read(&chunk))
    meters_.insert(meters_.end(), chunk.meters().begin(), chunk.meters().end());
  ASSERT_TRUE(reader->Finish().ok());
}

void CemsSeasonTest::TearDown() {
  server_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

bool CemsSeasonTest::StopAt(const std::string& target, absl::Time t) const {
  for (const v1::Obligation& o : windows_.obligations()) {
    if (!(o.action() == v1::STOP || o.action() == v1::RECTIFY)) continue;
    if (!IsWithin(target, o.resource())) continue;
    if (t >= FromTimestamp(o.window_start()) &&
        (!o.has_window_end() || t < FromTimestamp(o.window_end())))
      return true;
  }
  return false;
}

std::string CemsSeasonTest::RegisterPoint(const v1::Meter& m, int i,
                                          std::optional<double> pm_limit) {
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

int64_t CemsSeasonTest::Send(int i, absl::Time from, absl::Time to,
                             const std::function<MinuteValues(absl::Time)>& values) {
  std::string bytes;
  int64_t n = 0;
  for (absl::Time t = from; t < to; t += absl::Minutes(1)) {
    const MinuteValues v = values(t);
    if (v.flag == 0) continue;
    bytes += MinutePacket(absl::StrFormat("MN%05d", i), absl::StrCat("pw-", i), t, v);
    ++n;
  }
  EXPECT_TRUE(SendAll(port_, bytes));
  return n;
}

std::function<MinuteValues(absl::Time)> CemsSeasonTest::Honest(const std::string& equipment,
                                                               int seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [this, equipment, rng](absl::Time t) {
    std::uniform_real_distribution<double> u(-1, 1);
    if (StopAt(equipment, t)) {
      return MinuteValues{0.5 + 0.2 * u(*rng),  2 + u(*rng),        4 + u(*rng),
                          2000 + 100 * u(*rng), 20 + 0.3 * u(*rng), 'F'};
    }
    return MinuteValues{5 + u(*rng),        20 + 3 * u(*rng),
                        40 + 5 * u(*rng),   50000 + 2000 * u(*rng),
                        10 + 0.5 * u(*rng), 'N'};
  };
}

int64_t CemsSeasonTest::StoredPackets(int64_t sent) {
  int64_t stored = 0;
  for (absl::Time until = absl::Now() + absl::Seconds(120); absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(200))) {
    stored = std::stoll(SqlScalar(dsn_, "SELECT count(*) FROM cems.packet"));
    if (stored >= sent) break;
  }
  return stored;
}

std::vector<v1::Finding> CemsSeasonTest::Findings(const std::string& filter,
                                                  v1::FindingStatus status) {
  auto compliance = v1::ComplianceService::NewStub(channel_);
  std::vector<v1::Finding> out;
  v1::ListFindingsRequest req;
  req.set_parent(kJizhou);
  req.set_page_size(1000);
  req.set_status(status);
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

}  // namespace testing
}  // namespace cuofeng
