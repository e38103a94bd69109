// CEMS data loggers (数采仪) as the end-to-end tests play them: HJ 212 minute
// packets sent over TCP to a real cuofeng-server's receiver (--hj212_listen),
// the server restarted with that receiver and its own service key, and
// CemsSeasonTest, the fixture of the tests whose stacks send through an
// orange alert of the 2018-2019 season.
#ifndef CUOFENG_TESTS_SUPPORT_HJ212_DEVICE_H_
#define CUOFENG_TESTS_SUPPORT_HJ212_DEVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/test_env.h"

namespace cuofeng {
namespace testing {

// SendAll sends `bytes` to the HJ 212 receiver on loopback `port` over one
// TCP connection, half-closes it and waits (30 s at most) for the server to
// close it, that is until everything was read. False when it could not
// connect or not send every byte.
bool SendAll(int port, const std::string& bytes);

// MinuteValues are one minute's averages as a device sends them: PM
// (a34013), SO2 (a21026) and NOx (a21002) in mg/m³, flow (a00000) in m³/h
// and O2 (a19001) in %, all with the same data flag (N running, F stopped,
// D fault...; 0 where a caller means "nothing sent").
struct MinuteValues {
  double pm, so2, nox, flow, o2;
  char flag;
};

// MinutePacket is the framed HJ 212 minute packet (ST=31, CN=2051) of device
// `mn` with access password `pw` for the minute at `t` (a China time).
std::string MinutePacket(const std::string& mn, const std::string& pw, absl::Time t,
                         const MinuteValues& v);

// Hj212Receiver is where a server's HJ 212 receiver listens and the service
// key it runs under (--hj212_key_file).
struct Hj212Receiver {
  int port = 0;
  std::string key;
};

// RestartWithHj212Receiver has `admin` create the receiver's service key on
// the running `*server`, writes it to `dir`/hj212.key, stops the server and
// starts it again on database `dsn` with `flags` (its --clock and others)
// and the receiver on a free loopback port. A step that fails fails the test
// fatally (call it under ASSERT_NO_FATAL_FAILURE).
void RestartWithHj212Receiver(const std::string& dsn, const std::string& admin,
                              const std::string& dir, std::vector<std::string> flags,
                              std::unique_ptr<ServerProcess>* server, Hj212Receiver* receiver);

// CemsSeasonTest: 蓟州区 with 90 enterprises and 270 pieces of equipment, its
// 2018-2019 list filed and the orange alert of 1-3 December 2018 issued (on a
// clock of 25 October 2018), then the server restarted on a clock of
// 5 December 2018 12:00 with an HJ 212 receiver. The obligation windows of
// 15 November to 6 December and the district's meters are read once.
class CemsSeasonTest : public ::testing::Test {
 protected:
  // StartSeason does the above on a fresh database named after `prefix`;
  // `flags` go to the restarted server. Call it from SetUp under
  // ASSERT_NO_FATAL_FAILURE.
  void StartSeason(const std::string& prefix, const std::vector<std::string>& flags = {});
  void TearDown() override;

  // StopAt says whether a stop (or 停产整治) binds all of `target` at `t`.
  bool StopAt(const std::string& target, absl::Time t) const;

  // RegisterPoint registers monitoring point p`i` (device MN%05d, password
  // pw-`i`, a 60 m stack) on the equipment of meter `m`, with a PM limit
  // when one is given; returns its name.
  std::string RegisterPoint(const v1::Meter& m, int i,
                            std::optional<double> pm_limit = std::nullopt);

  // Send sends point `i`'s minutes [from, to) over one connection: `values`
  // gives each minute's values (flag 0: the device sent nothing that
  // minute). Returns the packets sent.
  int64_t Send(int i, absl::Time from, absl::Time to,
               const std::function<MinuteValues(absl::Time)>& values);

  // Honest is an honest plant: running (N) or, while a stop binds
  // `equipment`, stopped (F, the fan idling); values that vary like a real
  // analyser's, from a generator seeded with `seed`.
  std::function<MinuteValues(absl::Time)> Honest(const std::string& equipment, int seed);

  // StoredPackets polls (bounded: 120 s; the receiver commits in batches of
  // its own) until the database holds `sent` HJ 212 packets or more, and
  // returns how many it holds.
  int64_t StoredPackets(int64_t sent);

  // Findings lists the district's findings (all pages) with the verifier's
  // key: those matching `filter`, of `status` unless it is unspecified.
  std::vector<v1::Finding> Findings(const std::string& filter = "",
                                    v1::FindingStatus status = v1::FINDING_STATUS_UNSPECIFIED);

  // dir_ is a folder of the test's own (the receiver's key is in it),
  // removed afterwards; hj212_key_ is the receiver's key.
  std::string dsn_, admin_, bureau_, city_, verifier_, service_, hj212_key_, dir_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;  // the HJ 212 receiver's
  v1::ListObligationWindowsResponse windows_;
  std::vector<v1::Meter> meters_;
};

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_SUPPORT_HJ212_DEVICE_H_
