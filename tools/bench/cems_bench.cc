// cuofeng-bench-cems: HJ 212 packets per second through cuofeng-server's
// receiver into PostgreSQL, with many devices connected at once (issue 21).
// Registers --devices monitoring points under --enterprise, connects them
// all, sends --minutes minute packets from each (asking for an answer, as a
// data logger does) and waits until every packet is answered, that is
// committed. Prints the rate; tools/bench-cems compares it with psql's COPY
// of the same decoded rows.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/hj212/packet.h"
#include "tools/cli/client_lib.h"

ABSL_FLAG(std::string, server, "", "gRPC address (default $CUOFENG_SERVER)");
ABSL_FLAG(std::string, key, "", "API key (default $CUOFENG_KEY)");
ABSL_FLAG(int, hj212_port, 0, "the server's HJ 212 port (127.0.0.1)");
ABSL_FLAG(std::string, enterprise, "", "parent of the monitoring points");
ABSL_FLAG(int, devices, 1000, "devices connected at once");
ABSL_FLAG(int, minutes, 60, "minute packets per device");
ABSL_FLAG(int, threads, 8, "sending threads");

namespace cuofeng {
namespace {

const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

std::string Packet(int device, absl::Time t, int minute) {
  const std::string time = absl::FormatTime("%Y%m%d%H%M%S", t, kChina);
  const double x = (device * 7919 + minute * 104729) % 1000 / 1000.0;
  return hj212::Frame(absl::StrFormat(
      "QN=%s000;ST=31;CN=2051;PW=bench-%d;MN=BENCH%05d;Flag=5;CP=&&DataTime=%s;"
      "a34013-Avg=%.2f,a34013-Flag=N;a21026-Avg=%.2f,a21026-Flag=N;a21002-Avg=%.2f,"
      "a21002-Flag=N;a00000-Avg=%.0f,a00000-Flag=N;a19001-Avg=%.2f,a19001-Flag=N&&",
      time, device, device, time, 5 + x, 20 + 3 * x, 40 + 5 * x, 50000 + 2000 * x, 10 + x));
}

int Run() {
  const std::string server =
      absl::GetFlag(FLAGS_server).empty()
          ? std::string(getenv("CUOFENG_SERVER") ? getenv("CUOFENG_SERVER") : "")
          : absl::GetFlag(FLAGS_server);
  const std::string key = absl::GetFlag(FLAGS_key).empty()
                              ? std::string(getenv("CUOFENG_KEY") ? getenv("CUOFENG_KEY") : "")
                              : absl::GetFlag(FLAGS_key);
  const int devices = absl::GetFlag(FLAGS_devices), minutes = absl::GetFlag(FLAGS_minutes);
  const int port = absl::GetFlag(FLAGS_hj212_port);
  // The points (kept when they exist).
  auto registry = v1::RegistryService::NewStub(Connect(server));
  for (int i = 0; i < devices; ++i) {
    v1::CreateMonitoringPointRequest req;
    req.set_parent(absl::GetFlag(FLAGS_enterprise));
    req.set_monitoring_point_id(absl::StrFormat("bench-%05d", i));
    v1::MonitoringPoint* p = req.mutable_monitoring_point();
    p->set_display_name(absl::StrFormat("%05d#排放口", i));
    p->set_mn(absl::StrFormat("BENCH%05d", i));
    p->set_access_password(absl::StrCat("bench-", i));
    grpc::ClientContext ctx;
    AddKey(&ctx, key);
    v1::MonitoringPoint out;
    grpc::Status s = registry->CreateMonitoringPoint(&ctx, req, &out);
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      std::cerr << "creating point " << i << ": " << s.error_message() << "\n";
      return 1;
    }
  }
  // Every device's packets, made before the clock starts.
  absl::Time start_time;
  std::string err;
  absl::ParseTime("%Y-%m-%d %H:%M", "2018-12-01 00:00", kChina, &start_time, &err);
  std::vector<std::vector<std::string>> packets(devices);
  for (int d = 0; d < devices; ++d) {
    for (int m = 0; m < minutes; ++m)
      packets[d].push_back(Packet(d, start_time + absl::Minutes(m), m));
  }
  // All connected at once.
  std::vector<int> fds(devices, -1);
  for (int d = 0; d < devices; ++d) {
    fds[d] = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fds[d], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::cerr << "device " << d << " cannot connect to 127.0.0.1:" << port << "\n";
      return 1;
    }
  }
  std::cout << devices << " devices connected; sending " << minutes << " minute packets each ("
            << static_cast<int64_t>(devices) * minutes << " packets)\n";
  std::atomic<int64_t> answered{0};
  std::atomic<bool> failed{false};
  const int nthreads = std::max(1, absl::GetFlag(FLAGS_threads));
  const absl::Time began = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < nthreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int> mine;
      for (int d = t; d < devices; d += nthreads) mine.push_back(d);
      // Send, a minute at a time across this thread's devices, as devices do.
      for (int m = 0; m < minutes; ++m) {
        for (int d : mine) {
          const std::string& packet = packets[d][m];
          const size_t per = packet.size();
          const char* p = packet.data();
          size_t done = 0;
          while (done < per) {
            const ssize_t n = send(fds[d], p + done, per - done, MSG_NOSIGNAL);
            if (n <= 0) {
              failed = true;
              return;
            }
            done += static_cast<size_t>(n);
          }
        }
      }
      // Read the answers.
      std::vector<hj212::FrameReader> readers(mine.size());
      std::vector<int> got(mine.size(), 0);
      size_t complete = 0;
      const absl::Time deadline = absl::Now() + absl::Minutes(10);
      std::vector<pollfd> pfds;
      for (int d : mine) pfds.push_back({fds[d], POLLIN, 0});
      char buf[65536];
      while (complete < mine.size() && absl::Now() < deadline) {
        if (poll(pfds.data(), pfds.size(), 1000) <= 0) continue;
        for (size_t i = 0; i < pfds.size(); ++i) {
          if (!(pfds[i].revents & POLLIN)) continue;
          const ssize_t n = read(pfds[i].fd, buf, sizeof buf);
          if (n <= 0) {
            failed = true;
            return;
          }
          readers[i].Feed(absl::string_view(buf, static_cast<size_t>(n)));
          while (auto item = readers[i].Next()) {
            if (!item->ok) continue;
            ++got[i];
            ++answered;
            if (got[i] == minutes) ++complete;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - began);
  for (int fd : fds) close(fd);
  const int64_t total = static_cast<int64_t>(devices) * minutes;
  if (failed || answered != total) {
    std::cerr << "only " << answered << " of " << total << " packets answered\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "receiver: %d packets (%d values) stored and answered in %.2f s: %.0f packets/s\n", total,
      total * 5, seconds, total / seconds);
  std::cout << absl::StrFormat("RECEIVER_PACKETS_PER_S=%.0f\n", total / seconds);
  return 0;
}

}  // namespace
}  // namespace cuofeng

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return cuofeng::Run();
}
