// CEMS data loggers talking HJ 212-2017 to a real cuofeng-server over TCP:
// packets stored once as evidence with their values, every packet counted,
// answers only for what is committed, wrong passwords and unknown devices
// refused, many devices at once, and a server killed mid-stream losing and
// doubling nothing once devices send again what was not answered.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gtest/gtest.h"
#include "lib/hj212/packet.h"
#include "tests/support/loopback.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace {

using namespace ::cuofeng::testing;

constexpr char kDistrict[] = "districts/120119";

std::string MinuteSegment(const std::string& mn, const std::string& pw, int minute, int flag = 5) {
  const std::string time = absl::StrFormat("20181202%02d%02d00", minute / 60 % 24, minute % 60);
  return absl::StrCat("QN=", time, "000;ST=31;CN=2051;PW=", pw, ";MN=", mn, ";Flag=", flag,
                      ";CP=&&DataTime=", time,
                      ";a34013-Avg=12.5,a34013-Flag=N;a21026-Avg=30.1,a21026-Flag=N;"
                      "a00000-Cou=1500.25,a00000-Flag=N&&");
}

// Device is a data logger: a TCP connection that sends packets and reads
// the platform's answers.
class Device {
 public:
  explicit Device(int port) : fd_(cuofeng::testing::ConnectLoopback(port)) {
    timeval tv{0, 200000};
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Device() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // ReadAnswers reads 9014 answers until `want` QNs are answered in all or
  // `until` passes or the connection closes; returns the QNs answered.
  std::set<std::string> ReadAnswers(size_t want, absl::Time until) {
    char buf[8192];
    while (answered_.size() < want && absl::Now() < until) {
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) continue;  // the 200 ms receive timeout
      reader_.Feed(absl::string_view(buf, static_cast<size_t>(n)));
      while (auto item = reader_.Next()) {
        if (!item->ok) continue;
        auto p = hj212::ParseDataSegment(item->data);
        if (p.ok() && p->cn == hj212::kDataAnswer) answered_.insert(p->qn);
      }
    }
    return answered_;
  }

 private:
  int fd_ = -1;
  hj212::FrameReader reader_;
  std::set<std::string> answered_;
};

class CemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = FreshDatabase("cems");
    admin_ = BootstrapAdmin(dsn_);
    port_ = FreePort();
    key_dir_ = TempDir();
    // A first start, without the receiver, makes its service key.
    std::string error;
    server_ = ServerProcess::Start(dsn_, &error);
    ASSERT_NE(server_, nullptr) << error;
    key_ = CreateKey(server_->address(), admin_, "service", "");
    std::ofstream(key_file()) << key_ << "\n";
    ASSERT_EQ(Cli(server_->address(), admin_, {"district", "create", "120119", "--name=蓟州区"})
                  .exit_code,
              0);
    auto imported = ImportSampleDistrict(server_->address(), admin_, kDistrict, 10, 20);
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    ASSERT_EQ(server_->Stop(), 0);
    StartServer();
  }

  void TearDown() override {
    server_.reset();
    if (!key_dir_.empty()) std::filesystem::remove_all(key_dir_);
  }

  std::string key_file() const { return key_dir_ + "/hj212.key"; }

  void StartServer() {
    std::string error;
    server_ = ServerProcess::Start(
        dsn_, &error,
        {absl::StrCat("--hj212_listen=127.0.0.1:", port_), "--hj212_key_file=" + key_file()});
    ASSERT_NE(server_, nullptr) << error;
  }

  // Registers monitoring points p0..p{n-1} with MN "MN%05d" and password "pw-i",
  // spread over the sample enterprises.
  void RegisterPoints(int n) {
    for (int i = 0; i < n; ++i) RegisterPoint(i);
  }

  void RegisterPoint(int i) {
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    auto stub = v1::RegistryService::NewStub(channel);
    {
      v1::CreateMonitoringPointRequest req;
      req.set_parent(absl::StrCat(kDistrict, "/enterprises/e", 10000 + i % 10));
      req.set_monitoring_point_id(absl::StrCat("p", i));
      v1::MonitoringPoint* p = req.mutable_monitoring_point();
      p->set_display_name(absl::StrCat(i, "#排放口"));
      p->set_mn(absl::StrFormat("MN%05d", i));
      p->set_access_password(absl::StrCat("pw-", i));
      p->set_stack_height_m(60);
      p->set_so2_limit(35);
      v1::MonitoringPoint out;
      auto ctx = KeyContext(admin_);
      grpc::Status st = stub->CreateMonitoringPoint(ctx.get(), req, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
      ASSERT_NE(out.access_password(), absl::StrCat("pw-", i)) << "the password is kept in clear";
    }
  }

  int64_t Sql(const std::string& sql) {
    const std::string v = SqlScalar(dsn_, sql);
    return v.empty() ? 0 : std::stoll(v);
  }

  std::string dsn_, admin_, key_, key_dir_;
  int port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CemsTest, StoresEachUploadOnceAnswersAndCountsEveryPacket) {
  RegisterPoints(1);
  std::string stream;
  for (int m = 0; m < 60; ++m) stream += hj212::Frame(MinuteSegment("MN00000", "pw-0", m));
  {
    Device device(port_);
    ASSERT_TRUE(device.connected());
    ASSERT_TRUE(device.Send(stream));
    EXPECT_EQ(device.ReadAnswers(60, absl::Now() + absl::Seconds(30)).size(), 60u);
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet WHERE mn = 'MN00000' AND cn = 2051"), 60);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.value WHERE mn = 'MN00000'"), 180);
  EXPECT_EQ(SqlScalar(dsn_, "SELECT point FROM cems.packet LIMIT 1"),
            absl::StrCat(kDistrict, "/enterprises/e10000/monitoringPoints/p0"));
  EXPECT_EQ(
      SqlScalar(dsn_,
                "SELECT to_char(data_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') "
                "FROM cems.packet ORDER BY data_time LIMIT 1"),
      "2018-12-02 00:00");
  EXPECT_EQ(SqlScalar(dsn_,
                      "SELECT avg::text || ' ' || flag FROM cems.value "
                      "WHERE code = 'a21026' LIMIT 1"),
            "30.1 N");
  // The same minutes again (an answer was lost): answered, counted as
  // duplicates, not stored twice.
  {
    Device device(port_);
    ASSERT_TRUE(device.Send(stream));
    EXPECT_EQ(device.ReadAnswers(60, absl::Now() + absl::Seconds(30)).size(), 60u);
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet"), 60);
  EXPECT_EQ(Sql("SELECT sum(accepted) FROM cems.daily_count WHERE mn = 'MN00000'"), 60);
  EXPECT_EQ(Sql("SELECT sum(duplicate) FROM cems.daily_count WHERE mn = 'MN00000'"), 60);
  EXPECT_EQ(Sql("SELECT sum(rejected) FROM cems.daily_count"), 0);
}

TEST_F(CemsTest, RefusesWrongPasswordsUnknownDevicesAndBadPacketsAndKeepsTheGoodOnes) {
  RegisterPoints(1);
  std::string bad_crc = hj212::Frame(MinuteSegment("MN00000", "pw-0", 3));
  bad_crc[bad_crc.size() - 3] = bad_crc[bad_crc.size() - 3] == '0' ? '1' : '0';
  Device device(port_);
  ASSERT_TRUE(device.Send(hj212::Frame(MinuteSegment("MN00000", "pw-0", 1)) +
                          hj212::Frame(MinuteSegment("MN00000", "wrong", 2)) +  // password
                          hj212::Frame(MinuteSegment("MN99999", "pw-0", 2)) +   // unknown MN
                          bad_crc + "\xff\xfe junk" +                           // bytes
                          hj212::Frame(MinuteSegment("MN00000", "pw-0", 4))));
  auto answered = device.ReadAnswers(2, absl::Now() + absl::Seconds(30));
  EXPECT_EQ(answered.size(), 2u);
  EXPECT_EQ(answered.count("20181202000200000"), 0u) << "a refused packet was answered";
  // The refusals are stored after the batch that carried them; wait for it.
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (Sql("SELECT count(*) FROM cems.rejection") < 4 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet"), 2);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.rejection WHERE mn = 'MN00000' AND reason LIKE "
                "'%访问密码%'"),
            1);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.rejection WHERE reason LIKE '%未登记%MN99999%'"), 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.rejection WHERE reason LIKE '%CRC%'"), 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.rejection WHERE reason LIKE '%##%'"), 1);
  EXPECT_EQ(Sql("SELECT sum(rejected) FROM cems.daily_count"), 4);
}

TEST_F(CemsTest, TwoHundredDevicesAtOnceEveryPacketStoredOnce) {
  constexpr int kDevices = 200, kMinutes = 60;
  RegisterPoints(kDevices);
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::unique_ptr<Device>> devices;
      for (int d = t; d < kDevices; d += 8) {
        devices.push_back(std::make_unique<Device>(port_));
        std::string stream;
        for (int m = 0; m < kMinutes; ++m) {
          stream +=
              hj212::Frame(MinuteSegment(absl::StrFormat("MN%05d", d), absl::StrCat("pw-", d), m));
        }
        EXPECT_TRUE(devices.back()->Send(stream));
      }
      for (auto& device : devices) {
        answered += static_cast<int>(
            device->ReadAnswers(kMinutes, absl::Now() + absl::Seconds(120)).size());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(answered.load(), kDevices * kMinutes);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet"), kDevices * kMinutes);
  EXPECT_EQ(Sql("SELECT count(DISTINCT mn) FROM cems.packet"), kDevices);
  EXPECT_EQ(Sql("SELECT sum(accepted) FROM cems.daily_count"), kDevices * kMinutes);
}

TEST_F(CemsTest, AServerKilledMidStreamLosesAndDoublesNothing) {
  RegisterPoints(1);
  constexpr int kMinutes = 600;
  std::vector<std::string> packets;
  for (int m = 0; m < kMinutes; ++m) {
    packets.push_back(hj212::Frame(MinuteSegment("MN00000", "pw-0", m)));
  }
  std::set<std::string> answered;
  {
    Device device(port_);
    // The first half, then the server dies without a word.
    std::string first;
    for (int m = 0; m < kMinutes / 2; ++m) first += packets[m];
    ASSERT_TRUE(device.Send(first));
    answered = device.ReadAnswers(kMinutes / 4, absl::Now() + absl::Seconds(30));
    server_->Kill();
  }
  StartServer();
  // The device reconnects and sends everything not answered yet, as data
  // loggers do.
  Device device(port_);
  ASSERT_TRUE(device.connected());
  std::string rest;
  int resent = 0;
  for (int m = 0; m < kMinutes; ++m) {
    const std::string qn = absl::StrFormat("20181202%02d%02d00000", m / 60 % 24, m % 60);
    if (answered.count(qn) == 0) {
      rest += packets[m];
      ++resent;
    }
  }
  ASSERT_TRUE(device.Send(rest));
  EXPECT_EQ(device.ReadAnswers(static_cast<size_t>(resent), absl::Now() + absl::Seconds(60)).size(),
            static_cast<size_t>(resent));
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet"), kMinutes);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.value"), 3 * kMinutes);
  // Packets stored before the kill but not answered come back as duplicates.
  EXPECT_EQ(Sql("SELECT sum(accepted) FROM cems.daily_count"), kMinutes);
}

// The receiver reads the points through RegistryService with its service
// key: a point created through the API after packets flow is taken up (its
// device, refused as unknown until the cache is reloaded, sends again as
// data loggers do when unanswered), its wrong password is refused, and a
// password changed through the API is taken up too.
TEST_F(CemsTest, APointAddedThroughTheApiAfterStartIsAcceptedAndItsWrongPasswordRefused) {
  RegisterPoints(1);
  int sent = 0;
  {
    Device device(port_);
    ASSERT_TRUE(device.Send(hj212::Frame(MinuteSegment("MN00000", "pw-0", 0))));
    ++sent;
    ASSERT_EQ(device.ReadAnswers(1, absl::Now() + absl::Seconds(30)).size(), 1u);
  }
  RegisterPoint(1);
  // Sends `minute` from MN00001 with `pw` until it is answered (bounded).
  auto send_until_answered = [&](const std::string& pw, int minute) {
    Device device(port_);
    for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until;) {
      if (!device.Send(hj212::Frame(MinuteSegment("MN00001", pw, minute)))) return false;
      ++sent;
      if (!device.ReadAnswers(1, absl::Now() + absl::Seconds(1)).empty()) return true;
    }
    return false;
  };
  ASSERT_TRUE(send_until_answered("pw-1", 1));
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet WHERE mn = 'MN00001'"), 1);
  EXPECT_EQ(SqlScalar(dsn_, "SELECT point FROM cems.packet WHERE mn = 'MN00001'"),
            absl::StrCat(kDistrict, "/enterprises/e10001/monitoringPoints/p1"));
  // Its wrong password: refused, counted against the device, not answered.
  {
    Device device(port_);
    ASSERT_TRUE(device.Send(hj212::Frame(MinuteSegment("MN00001", "pw-0", 2))));
    ++sent;
    const absl::Time until = absl::Now() + absl::Seconds(30);
    while (Sql("SELECT count(*) FROM cems.rejection WHERE mn = 'MN00001'") < 1 &&
           absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_TRUE(device.ReadAnswers(1, absl::Now()).empty());
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.rejection WHERE mn = 'MN00001' AND "
                "reason LIKE '%访问密码%'"),
            1);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet WHERE mn = 'MN00001'"), 1);
  // A password changed through the API: the new one is taken up.
  {
    auto stub = v1::RegistryService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    v1::UpdateMonitoringPointRequest req;
    req.mutable_monitoring_point()->set_name(
        absl::StrCat(kDistrict, "/enterprises/e10001/monitoringPoints/p1"));
    req.mutable_monitoring_point()->set_access_password("pw-new");
    req.mutable_update_mask()->add_paths("access_password");
    v1::MonitoringPoint out;
    grpc::Status st = stub->UpdateMonitoringPoint(KeyContext(admin_).get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  ASSERT_TRUE(send_until_answered("pw-new", 3));
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet WHERE mn = 'MN00001'"), 2);
  // Every packet counted once: accepted, duplicate or refused.
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (Sql("SELECT sum(accepted + duplicate + rejected) FROM cems.daily_count") < sent &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(Sql("SELECT sum(accepted + duplicate + rejected) FROM cems.daily_count"), sent);
}

// The receiver's key is checked at start: none, one of another role, or one
// that is not a key at all, and the server refuses to start saying why.
TEST_F(CemsTest, RefusesToStartWithoutAServiceKey) {
  ASSERT_EQ(server_->Stop(), 0);
  server_.reset();
  const std::string listen = absl::StrCat("--hj212_listen=127.0.0.1:", port_);
  std::string error;
  EXPECT_EQ(ServerProcess::Start(dsn_, &error, {listen}), nullptr);
  EXPECT_TRUE(absl::StrContains(error, "exited with status 2")) << error;
  EXPECT_TRUE(absl::StrContains(error, "--hj212_listen needs --hj212_key_file")) << error;
  EXPECT_EQ(ServerProcess::Start(dsn_, &error, {listen, "--hj212_key_file=" + key_dir_ + "/none"}),
            nullptr);
  EXPECT_TRUE(absl::StrContains(error, "cannot be read")) << error;
  std::ofstream(key_dir_ + "/bad.key") << "cfk_not-a-key\n";
  EXPECT_EQ(
      ServerProcess::Start(dsn_, &error, {listen, "--hj212_key_file=" + key_dir_ + "/bad.key"}),
      nullptr);
  EXPECT_TRUE(absl::StrContains(error, "the key is refused")) << error;
  std::ofstream(key_dir_ + "/admin.key") << admin_ << "\n";
  EXPECT_EQ(
      ServerProcess::Start(dsn_, &error, {listen, "--hj212_key_file=" + key_dir_ + "/admin.key"}),
      nullptr);
  EXPECT_TRUE(absl::StrContains(error, "has role admin")) << error;
  StartServer();
}

// A key revoked while the server runs: the registry refuses it, the log says
// so, and packets from devices it could not load are refused as unknown MN,
// each counted.
TEST_F(CemsTest, ARevokedKeyRefusesUnknownDevicesAndSaysWhy) {
  auto admin = v1::AdminService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  v1::ApiKey key;
  ASSERT_TRUE(admin->GetCaller(KeyContext(key_).get(), v1::GetCallerRequest(), &key).ok());
  v1::RevokeApiKeyRequest revoke;
  revoke.set_name(key.name());
  v1::ApiKey revoked;
  grpc::Status st = admin->RevokeApiKey(KeyContext(admin_).get(), revoke, &revoked);
  ASSERT_TRUE(st.ok()) << st.error_message();
  RegisterPoints(1);
  Device device(port_);
  ASSERT_TRUE(device.Send(hj212::Frame(MinuteSegment("MN00000", "pw-0", 0))));
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (Sql("SELECT count(*) FROM cems.rejection") < 1 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(device.ReadAnswers(1, absl::Now()).empty());
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.packet"), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM cems.rejection WHERE reason LIKE '%未登记%MN00000%'"), 1);
  EXPECT_EQ(Sql("SELECT sum(rejected) FROM cems.daily_count"), 1);
  EXPECT_TRUE(absl::StrContains(server_->Log(), "refuses the receiver's service key"))
      << server_->Log();
}

}  // namespace
}  // namespace cuofeng
