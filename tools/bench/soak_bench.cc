// cuofeng-bench-soak: a server left running under a steady mix of calls.
// N client threads (8 by default) each call, in turn, the registry (one
// enterprise; a list of enterprises and its second page), GetObligations,
// ListFindings and the gRPC health check, as fast as they are answered, for
// a fixed time. Every call is valid, so any error is unexpected; at the end
// it prints the calls and errors per kind and the server's resident memory
// (read from its /metrics) before the load, after the warm-up, midway and at
// the end: flat memory means nothing grows per call. Driven by
// tools/bench-soak, which sets up the district with a filed list and an alert.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "tools/cli/client_lib.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "cuofeng-server");
ABSL_FLAG(std::string, metrics, "", "the server's --metrics_listen address (host:port)");
ABSL_FLAG(std::string, key, "", "a city key (reads every district and enterprise)");
ABSL_FLAG(std::string, district, "districts/120119", "district with a filed list");
ABSL_FLAG(int, enterprises, 300, "enterprise ids e10000.. to ask for");
ABSL_FLAG(int, clients, 8, "client threads, each with its own channel");
ABSL_FLAG(double, seconds, 60, "length of the run");
ABSL_FLAG(double, warmup_fraction, 0.1, "share of the run before the 'start' memory sample");

namespace {

using Clock = std::chrono::steady_clock;

// ScrapeRss reads process_resident_memory_bytes from the server's /metrics
// (HTTP/1.0, so the answer is not chunked); -1 if it cannot.
double ScrapeRss(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.substr(0, colon).c_str(), address.substr(colon + 1).c_str(), &hints,
                  &found) != 0) {
    return -1;
  }
  int fd = socket(found->ai_family, SOCK_STREAM, 0);
  bool connected = connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    close(fd);
    return -1;
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string answer;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) answer.append(buf, n);
  close(fd);
  for (absl::string_view line : absl::StrSplit(answer, '\n')) {
    if (absl::ConsumePrefix(&line, "process_resident_memory_bytes ")) {
      double v = 0;
      if (absl::SimpleAtod(line, &v)) return v;
    }
  }
  return -1;
}

struct Tally {
  long calls = 0;
  long rpcs = 0;  // ListEnterprises sends two per call
  long errors = 0;
  std::map<std::string, long> by_code;  // unexpected codes and a sample message
  std::string sample_error;
  std::vector<double> ms;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string key = absl::GetFlag(FLAGS_key);
  const std::string district = absl::GetFlag(FLAGS_district);
  const int n_enterprises = absl::GetFlag(FLAGS_enterprises);
  const int clients = absl::GetFlag(FLAGS_clients);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const std::string metrics = absl::GetFlag(FLAGS_metrics);

  const std::vector<std::string> kinds = {"GetEnterprise", "ListEnterprises (2 pages)",
                                          "GetObligations", "ListFindings", "Health.Check"};
  std::mutex mu;
  std::vector<Tally> totals(kinds.size());
  std::atomic<bool> stop{false};

  const double rss_idle = ScrapeRss(metrics);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", t);  // a connection per client
      auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                               grpc::InsecureChannelCredentials(), args);
      auto registry = cuofeng::v1::RegistryService::NewStub(channel);
      auto obligations = cuofeng::v1::ObligationService::NewStub(channel);
      auto compliance = cuofeng::v1::ComplianceService::NewStub(channel);
      grpc::GenericStub generic(channel);
      std::vector<Tally> mine(kinds.size());
      long rpcs = 0;  // sent by the call being made
      auto context = [&](grpc::ClientContext* ctx) {
        cuofeng::AddKey(ctx, key);
        ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      };
      auto enterprise = [&](long i) {
        return absl::StrCat(district, "/enterprises/e", 10000 + i % n_enterprises);
      };
      std::vector<std::function<grpc::Status(long)>> calls = {
          [&](long i) {
            grpc::ClientContext ctx;
            context(&ctx);
            cuofeng::v1::GetEnterpriseRequest req;
            req.set_name(enterprise(i));
            cuofeng::v1::Enterprise out;
            return registry->GetEnterprise(&ctx, req, &out);
          },
          [&](long i) {
            cuofeng::v1::ListEnterprisesRequest req;
            req.set_parent(district);
            req.set_page_size(50);
            cuofeng::v1::ListEnterprisesResponse out;
            for (int page = 0; page < 2; ++page) {
              grpc::ClientContext ctx;
              context(&ctx);
              if (page > 0) ++rpcs;
              grpc::Status s = registry->ListEnterprises(&ctx, req, &out);
              if (!s.ok()) return s;
              if (out.enterprises_size() != 50) {
                return grpc::Status(grpc::StatusCode::DATA_LOSS,
                                    absl::StrCat("page ", page, " had ", out.enterprises_size(),
                                                 " enterprises, not 50"));
              }
              req.set_page_token(out.next_page_token());
            }
            return grpc::Status::OK;
          },
          [&](long i) {
            grpc::ClientContext ctx;
            context(&ctx);
            cuofeng::v1::GetObligationsRequest req;
            req.set_enterprise(enterprise(i));
            cuofeng::v1::ObligationSet out;
            grpc::Status s = obligations->GetObligations(&ctx, req, &out);
            if (s.ok() && out.list().empty()) {
              return grpc::Status(grpc::StatusCode::DATA_LOSS, "no filed list in the answer");
            }
            return s;
          },
          [&](long i) {
            grpc::ClientContext ctx;
            context(&ctx);
            cuofeng::v1::ListFindingsRequest req;
            req.set_parent(i % 2 == 0 ? district : enterprise(i));
            req.set_page_size(20);
            cuofeng::v1::ListFindingsResponse out;
            return compliance->ListFindings(&ctx, req, &out);
          },
          [&](long) {
            // grpc.health.v1.Health/Check with an empty request (the whole
            // server); the answer must be SERVING (field 1 = 1: bytes 08 01).
            grpc::ClientContext ctx;
            ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
            grpc::ByteBuffer request, response;
            grpc::Slice empty("");
            request = grpc::ByteBuffer(&empty, 1);
            std::promise<grpc::Status> done;
            generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                              &response, [&](grpc::Status s) { done.set_value(s); });
            grpc::Status s = done.get_future().get();
            if (!s.ok()) return s;
            std::vector<grpc::Slice> slices;
            (void)response.Dump(&slices);
            std::string bytes;
            for (const auto& sl : slices) {
              bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
            }
            if (bytes != std::string("\x08\x01", 2)) {
              return grpc::Status(grpc::StatusCode::DATA_LOSS, "health is not SERVING");
            }
            return grpc::Status::OK;
          },
      };
      for (long i = t; !stop.load(); ++i) {
        const size_t k = static_cast<size_t>(i % calls.size());
        const auto start = Clock::now();
        rpcs = 1;
        grpc::Status s = calls[k](i / static_cast<long>(calls.size()));
        Tally& tally = mine[k];
        ++tally.calls;
        tally.rpcs += rpcs;
        tally.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (!s.ok()) {
          ++tally.errors;
          ++tally.by_code[absl::StrCat(s.error_code())];
          if (tally.sample_error.empty()) tally.sample_error = s.error_message();
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      for (size_t k = 0; k < kinds.size(); ++k) {
        totals[k].calls += mine[k].calls;
        totals[k].errors += mine[k].errors;
        totals[k].rpcs += mine[k].rpcs;
        for (const auto& [code, n] : mine[k].by_code) totals[k].by_code[code] += n;
        if (totals[k].sample_error.empty()) totals[k].sample_error = mine[k].sample_error;
        totals[k].ms.insert(totals[k].ms.end(), mine[k].ms.begin(), mine[k].ms.end());
      }
    });
  }

  // Memory samples: after the warm-up, midway, at the end; and every 5 s.
  const auto begin = Clock::now();
  auto at = [&](double s) {
    return begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const double warmup = seconds * absl::GetFlag(FLAGS_warmup_fraction);
  std::vector<std::pair<double, double>> samples;  // (seconds, bytes)
  for (double s = 5; s < seconds; s += 5) {
    std::this_thread::sleep_until(at(s));
    samples.emplace_back(s, ScrapeRss(metrics));
  }
  std::this_thread::sleep_until(at(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  const double rss_end = ScrapeRss(metrics);
  auto sample_at = [&](double s) {
    double best = -1, distance = 1e18;
    for (const auto& [when, bytes] : samples) {
      if (std::abs(when - s) < distance) {
        distance = std::abs(when - s);
        best = bytes;
      }
    }
    return best;
  };
  const double rss_start = sample_at(std::max(5.0, warmup));
  const double rss_middle = sample_at(seconds / 2);
  double rss_max = rss_end;
  for (const auto& [when, bytes] : samples) rss_max = std::max(rss_max, bytes);

  long calls = 0, errors = 0, rpcs = 0;
  std::printf("soak: %d clients, %.0f s, mixed reads on %s (%d enterprises)\n", clients, elapsed,
              district.c_str(), n_enterprises);
  std::printf("  %-26s %9s %9s %8s %9s %9s\n", "call", "calls", "calls/s", "errors", "p50 ms",
              "p99 ms");
  for (size_t k = 0; k < kinds.size(); ++k) {
    const Tally& t = totals[k];
    calls += t.calls;
    errors += t.errors;
    rpcs += t.rpcs;
    std::printf("  %-26s %9ld %9.0f %8ld %9.2f %9.2f\n", kinds[k].c_str(), t.calls,
                t.calls / elapsed, t.errors, Percentile(t.ms, 0.5), Percentile(t.ms, 0.99));
    for (const auto& [code, n] : t.by_code) {
      std::printf("    code %s: %ld (e.g. %s)\n", code.c_str(), n, t.sample_error.c_str());
    }
  }
  std::printf("  all: %ld calls (%ld RPCs), %.0f calls/s, unexpected errors: %ld\n", calls, rpcs,
              calls / elapsed, errors);
  const double mib = 1 << 20;
  std::printf(
      "  server RSS (MiB): idle %.1f, start (after %.0f s warm-up) %.1f, middle %.1f, end %.1f, "
      "max %.1f; end - start %+.1f MiB\n",
      rss_idle / mib, std::max(5.0, warmup), rss_start / mib, rss_middle / mib, rss_end / mib,
      rss_max / mib, (rss_end - rss_start) / mib);
  std::printf("  RSS every 5 s (MiB):");
  for (const auto& [when, bytes] : samples) std::printf(" %.1f", bytes / mib);
  std::printf("\n");
  return errors == 0 ? 0 : 1;
}
