// The HJ 212 receiver over real TCP: many devices at once, packets split at
// arbitrary points, bad packets among good ones, answers back to devices.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "lib/hj212/receiver.h"
#include "tests/support/loopback.h"

namespace cuofeng {
namespace hj212 {
namespace {

int Connect(int port) { return cuofeng::testing::ConnectLoopback(port); }

void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    ASSERT_GT(n, 0);
    done += static_cast<size_t>(n);
  }
}

std::string MinutePacket(const std::string& mn, int minute, int flag) {
  const std::string time = absl::StrFormat("20181202%02d%02d00", minute / 60, minute % 60);
  return Frame(absl::StrCat("QN=", time, "000;ST=31;CN=2051;PW=123456;MN=", mn, ";Flag=", flag,
                            ";CP=&&DataTime=", time,
                            ";a34013-Avg=12.5,a34013-Flag=N;a21026-Avg=30.1,a21026-Flag=N&&"));
}

// Collects what the receiver hands on, per MN.
struct Collector {
  absl::Mutex mu;
  std::map<std::string, std::vector<std::string>> by_mn;  // data segments in arrival order
  std::vector<std::string> rejected;
  int batches = 0;
};

TEST(Hj212Receiver, TwoHundredDevicesADayOfMinutesEachNothingLostOrDoubled) {
  Collector got;
  auto receiver = Receiver::Start({}, [&](std::vector<Received>& batch) {
    absl::MutexLock lock(&got.mu);
    ++got.batches;
    for (Received& r : batch) {
      if (r.ok) {
        got.by_mn[r.packet.mn].push_back(r.data);
      } else {
        got.rejected.push_back(r.reason);
      }
    }
  });
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  const int port = (*receiver)->port();
  constexpr int kDevices = 200, kMinutes = 1440, kThreads = 8;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<int> fds;
      std::vector<std::string> streams;
      for (int d = t; d < kDevices; d += kThreads) {
        const int fd = Connect(port);
        ASSERT_GE(fd, 0);
        fds.push_back(fd);
        std::string stream;
        const std::string mn = absl::StrFormat("MN%04d", d);
        for (int m = 0; m < kMinutes; ++m) stream += MinutePacket(mn, m, 4);
        streams.push_back(std::move(stream));
      }
      // Round robin in random-sized pieces, so packets are split across
      // reads at arbitrary points and devices interleave.
      std::vector<size_t> sent(fds.size(), 0);
      bool more = true;
      while (more) {
        more = false;
        for (size_t i = 0; i < fds.size(); ++i) {
          if (sent[i] >= streams[i].size()) continue;
          const size_t piece = std::min<size_t>(streams[i].size() - sent[i], 1 + rng() % 3000);
          WriteAll(fds[i], streams[i].substr(sent[i], piece));
          sent[i] += piece;
          more = true;
        }
      }
      for (int fd : fds) close(fd);
    });
  }
  for (auto& th : threads) th.join();
  // Everything written has been read once the receiver has handed it all on.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    const auto counts = (*receiver)->counts();
    if (counts.packets + counts.rejected >= kDevices * kMinutes && counts.connections_open == 0)
      break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  (*receiver)->Stop();
  const auto counts = (*receiver)->counts();
  EXPECT_EQ(counts.connections_accepted, static_cast<uint64_t>(kDevices));
  EXPECT_EQ(counts.packets, static_cast<uint64_t>(kDevices * kMinutes));
  EXPECT_EQ(counts.rejected, 0u);
  absl::MutexLock lock(&got.mu);
  EXPECT_TRUE(got.rejected.empty()) << got.rejected.front();
  ASSERT_EQ(got.by_mn.size(), static_cast<size_t>(kDevices));
  for (const auto& [mn, segments] : got.by_mn) {
    ASSERT_EQ(segments.size(), static_cast<size_t>(kMinutes)) << mn;
    // In the device's order, each minute once.
    for (int m = 0; m < kMinutes; m += 97) {
      auto p = ParseDataSegment(segments[m]);
      ASSERT_TRUE(p.ok());
      auto area = ParseDataArea(p->cp);
      ASSERT_TRUE(area.ok());
      EXPECT_EQ(area->data_time, absl::CivilSecond(2018, 12, 2, m / 60, m % 60, 0)) << mn;
    }
  }
}

TEST(Hj212Receiver, BadPacketsAreCountedAndTheConnectionKeepsItsGoodOnes) {
  Collector got;
  std::unique_ptr<Receiver> receiver;
  auto started = Receiver::Start({}, [&](std::vector<Received>& batch) {
    absl::MutexLock lock(&got.mu);
    for (Received& r : batch) {
      if (r.ok) {
        got.by_mn[r.packet.mn].push_back(r.data);
      } else {
        got.rejected.push_back(r.reason);
      }
    }
  });
  ASSERT_TRUE(started.ok());
  receiver = std::move(*started);
  const std::string good = MinutePacket("MNX", 1, 4);
  std::string bad_crc = MinutePacket("MNX", 2, 4);
  bad_crc[bad_crc.size() - 3] = bad_crc[bad_crc.size() - 3] == '0' ? '1' : '0';
  const std::string no_mn = Frame("QN=1;ST=31;CN=2051;PW=1;Flag=4;CP=&&DataTime=20181202000300&&");
  const int fd = Connect(receiver->port());
  ASSERT_GE(fd, 0);
  WriteAll(fd, good + bad_crc + "garbage" + no_mn + MinutePacket("MNX", 4, 4) +
                   MinutePacket("MNX", 5, 4).substr(0, 30));
  close(fd);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (receiver->counts().connections_open > 0 || receiver->counts().packets < 2) {
    ASSERT_LT(absl::Now(), deadline);
    absl::SleepFor(absl::Milliseconds(10));
  }
  receiver->Stop();
  absl::MutexLock lock(&got.mu);
  EXPECT_EQ(got.by_mn["MNX"].size(), 2u);
  ASSERT_EQ(got.rejected.size(), 4u);
  EXPECT_NE(got.rejected[0].find("CRC"), std::string::npos) << got.rejected[0];
  EXPECT_NE(got.rejected[1].find("##"), std::string::npos) << got.rejected[1];
  EXPECT_NE(got.rejected[2].find("MN"), std::string::npos) << got.rejected[2];
  EXPECT_NE(got.rejected[3].find("不完整"), std::string::npos) << got.rejected[3];
}

TEST(Hj212Receiver, AnswersReachTheDevice) {
  std::unique_ptr<Receiver> receiver;
  Receiver* self = nullptr;
  auto started = Receiver::Start({}, [&](std::vector<Received>& batch) {
    for (Received& r : batch) {
      if (r.ok && r.packet.WantsAnswer()) self->Send(r.connection, DataAnswer(r.packet));
    }
  });
  ASSERT_TRUE(started.ok());
  receiver = std::move(*started);
  self = receiver.get();
  const int fd = Connect(receiver->port());
  ASSERT_GE(fd, 0);
  WriteAll(fd, MinutePacket("MNA", 1, 5) + MinutePacket("MNA", 2, 4) + MinutePacket("MNA", 3, 5));
  FrameReader reader;
  std::vector<Packet> answers;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  while (answers.size() < 2) {
    const ssize_t n = read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0) << "no answer within 10 s";
    reader.Feed(absl::string_view(buf, static_cast<size_t>(n)));
    while (auto item = reader.Next()) {
      ASSERT_TRUE(item->ok) << item->reason;
      auto p = ParseDataSegment(item->data);
      ASSERT_TRUE(p.ok());
      answers.push_back(*p);
    }
  }
  close(fd);
  EXPECT_EQ(answers[0].cn, kDataAnswer);
  EXPECT_EQ(answers[0].qn, "20181202000100000");
  EXPECT_EQ(answers[1].qn, "20181202000300000");
}

TEST(Hj212Receiver, ASlowHandlerPausesReadingAndLosesNothing) {
  std::atomic<int> packets{0};
  Receiver::Options options;
  options.queue_limit = 20;
  options.batch_limit = 5;
  auto receiver = Receiver::Start(options, [&](std::vector<Received>& batch) {
    absl::SleepFor(absl::Milliseconds(1));
    for (Received& r : batch) packets += r.ok ? 1 : 0;
  });
  ASSERT_TRUE(receiver.ok());
  constexpr int kDevices = 10, kMinutes = 300;
  std::vector<std::thread> devices;
  for (int d = 0; d < kDevices; ++d) {
    devices.emplace_back([&, d] {
      const int fd = Connect((*receiver)->port());
      ASSERT_GE(fd, 0);
      std::string stream;
      for (int m = 0; m < kMinutes; ++m) stream += MinutePacket(absl::StrCat("S", d), m, 4);
      WriteAll(fd, stream);
      close(fd);
    });
  }
  for (auto& th : devices) th.join();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (packets.load() < kDevices * kMinutes && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  (*receiver)->Stop();
  EXPECT_EQ(packets.load(), kDevices * kMinutes);
  EXPECT_EQ((*receiver)->counts().rejected, 0u);
  EXPECT_GT((*receiver)->counts().pauses, 0u);
}

TEST(Hj212Receiver, RefusesABadListenAddress) {
  EXPECT_EQ(Receiver::Start({"nonsense"}, [](std::vector<Received>&) {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Receiver::Start({"127.0.0.1:99999"}, [](std::vector<Received>&) {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hj212
}  // namespace cuofeng
