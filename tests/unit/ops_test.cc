// Operations: log line formats, the metrics registry and its exposition
// text, the /metrics endpoint over a real socket, and what the call observer
// reads from a call (principal fingerprint, resource) and the listen checks.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/hash/sha256.h"
#include "lib/log/log.h"
#include "lib/metrics/http_endpoint.h"
#include "lib/metrics/metrics.h"
#include "lib/rpc/call_observer.h"
#include "lib/rpc/server.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(LogTest, TextLineKeepsSimpleValuesBareAndQuotesTheRest) {
  std::string line = logging::FormatLine(logging::Format::kText, "2026-11-30T01:02:03.456Z",
                                         logging::Level::kWarning, "call",
                                         {{"method", "/cuofeng.v1.AdminService/GetCaller"},
                                          {"error", "no district 120119 in the registry"},
                                          {"empty", ""},
                                          {"duration_ms", 1.5},
                                          {"rows", 42}});
  EXPECT_EQ(line,
            "2026-11-30T01:02:03.456Z WARN call method=/cuofeng.v1.AdminService/GetCaller "
            "error=\"no district 120119 in the registry\" empty=\"\" duration_ms=1.500 rows=42");
}

TEST(LogTest, TextLineStaysOneLine) {
  std::string line = logging::FormatLine(logging::Format::kText, "T", logging::Level::kError,
                                         "two\nlines", {{"cause", "a\nb \"q\""}});
  EXPECT_EQ(line, "T ERROR two\\nlines cause=\"a\\nb \\\"q\\\"\"");
}

TEST(LogTest, JsonLineEscapesAndKeepsNumbersAndChinese) {
  std::string line = logging::FormatLine(
      logging::Format::kJson, "2026-11-30T01:02:03.456Z", logging::Level::kInfo, "call",
      {{"resource", "districts/120119"}, {"name", "蓟州区 \"x\"\t"}, {"duration_ms", 0.25}});
  EXPECT_EQ(line,
            "{\"time\":\"2026-11-30T01:02:03.456Z\",\"level\":\"INFO\",\"msg\":\"call\","
            "\"resource\":\"districts/120119\",\"name\":\"蓟州区 \\\"x\\\"\\t\","
            "\"duration_ms\":0.250}");
  std::string control = logging::FormatLine(logging::Format::kJson, "T", logging::Level::kInfo,
                                            std::string("a\x01z"), {});
  EXPECT_THAT(control, HasSubstr("\"msg\":\"a\\u0001z\""));
}

TEST(LogTest, ParseFormatTakesTextAndJsonOnly) {
  logging::Format f = logging::Format::kText;
  EXPECT_TRUE(logging::ParseFormat("json", &f));
  EXPECT_EQ(f, logging::Format::kJson);
  EXPECT_TRUE(logging::ParseFormat("TEXT", &f));
  EXPECT_EQ(f, logging::Format::kText);
  EXPECT_FALSE(logging::ParseFormat("xml", &f));
  EXPECT_FALSE(logging::ParseFormat("", &f));
}

TEST(MetricsTest, CountersAndGaugesRenderWithEscapedLabels) {
  metrics::Registry r;
  auto& calls = r.AddCounter("t_calls_total", "Calls.\nSecond line.", {"method", "code"});
  calls.With({"/a.B/C", "OK"}).Increment();
  calls.With({"/a.B/C", "OK"}).Increment(2);
  calls.With({"say \"hi\"\\", "NOT_FOUND"}).Increment();
  // Registering the same name again returns the same family.
  EXPECT_EQ(&r.AddCounter("t_calls_total", "ignored", {"method", "code"}), &calls);
  r.AddGauge("t_in_use", "In use.").With({}).Set(3);
  r.AddGauge("t_in_use", "In use.").With({}).Add(-1);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# HELP t_calls_total Calls.\\nSecond line.\n"
                              "# TYPE t_calls_total counter\n"));
  EXPECT_THAT(text, HasSubstr("t_calls_total{method=\"/a.B/C\",code=\"OK\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("t_calls_total{method=\"say \\\"hi\\\"\\\\\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE t_in_use gauge\nt_in_use 2\n"));
}

TEST(MetricsTest, CounterIgnoresNegativeIncrements) {
  metrics::Counter c;
  c.Increment(5);
  c.Increment(-3);
  EXPECT_EQ(c.Value(), 5);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndBoundsInclusive) {
  metrics::Registry r;
  auto& h = r.AddHistogram("t_seconds", "Time.", {"op"}, {0.1, 1});
  h.With({"x"}).Observe(0.1);  // on the bound: counted in le=0.1
  h.With({"x"}).Observe(0.5);
  h.With({"x"}).Observe(7);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("t_seconds_bucket{op=\"x\",le=\"0.1\"} 1\n"
                              "t_seconds_bucket{op=\"x\",le=\"1\"} 2\n"
                              "t_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"
                              "t_seconds_sum{op=\"x\"} 7.6\n"
                              "t_seconds_count{op=\"x\"} 3\n"));
}

TEST(MetricsTest, FormatValueWritesIntegersWithoutFraction) {
  EXPECT_EQ(metrics::FormatValue(0), "0");
  EXPECT_EQ(metrics::FormatValue(123456789012), "123456789012");
  EXPECT_EQ(metrics::FormatValue(0.5), "0.5");
  EXPECT_EQ(metrics::FormatValue(0.1), "0.1");
  EXPECT_EQ(metrics::FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(metrics::FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(metrics::FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsTest, ProcessMetricsAndCuofengNamesAppearBeforeFirstUse) {
  metrics::RegisterProcessMetrics("9.9.9", "abc1234");
  std::string text = metrics::Registry::Default().Render();
  EXPECT_THAT(text, HasSubstr("cuofeng_build_info{version=\"9.9.9\",commit=\"abc1234\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\ncuofeng_db_pool_in_use 0\n"));
  EXPECT_THAT(text, HasSubstr("\ncuofeng_db_pool_waits_total 0\n"));
  EXPECT_THAT(text, HasSubstr("\ncuofeng_audit_write_failures_total 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE cuofeng_ingest_rows_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE cuofeng_verification_runs_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE cuofeng_rpc_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("\nprocess_resident_memory_bytes "));
  EXPECT_GT(metrics::ProcessResidentBytes(), 1 << 20);
  metrics::IngestRows("readings", "accepted").Increment(10);
  metrics::VerificationRuns("OK").Increment();
  text = metrics::Registry::Default().Render();
  EXPECT_THAT(text,
              HasSubstr("cuofeng_ingest_rows_total{kind=\"readings\",outcome=\"accepted\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("cuofeng_verification_runs_total{status=\"OK\"} 1\n"));
}

// HttpGet sends `request` (a request line) and a Host header to 127.0.0.1:port, returns
// the whole answer.
std::string HttpGet(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
  std::string all = request + "\r\nHost: x\r\n\r\n";
  (void)!write(fd, all.data(), all.size());
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) answer.append(buf, n);
  close(fd);
  return answer;
}

TEST(MetricsEndpointTest, ServesTheRegistryAtSlashMetrics) {
  metrics::Registry r;
  r.AddCounter("t_scraped_total", "Scraped.").With({}).Increment(4);
  auto endpoint = metrics::MetricsEndpoint::Start("127.0.0.1:0", &r);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  int port = (*endpoint)->port();
  ASSERT_GT(port, 0);
  std::string ok = HttpGet(port, "GET /metrics HTTP/1.1");
  EXPECT_THAT(ok, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(ok, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(ok, HasSubstr("\r\n\r\n# HELP t_scraped_total Scraped.\n"));
  EXPECT_THAT(ok, HasSubstr("t_scraped_total 4\n"));
  EXPECT_THAT(HttpGet(port, "GET /metrics?x=1 HTTP/1.1"), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(HttpGet(port, "GET / HTTP/1.1"), StartsWith("HTTP/1.1 404 Not Found"));
  EXPECT_THAT(HttpGet(port, "POST /metrics HTTP/1.1"), StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(HttpGet(port, "nonsense"), StartsWith("HTTP/1.1 400"));
  std::string head = HttpGet(port, "HEAD /metrics HTTP/1.1");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(head, Not(HasSubstr("t_scraped_total 4")));
  endpoint->reset();  // stops and closes the socket
  EXPECT_EQ(HttpGet(port, "GET /metrics HTTP/1.1"), "connect failed");
}

TEST(MetricsEndpointTest, RefusesBadAddressesNamingTheFlag) {
  metrics::Registry r;
  auto no_port = metrics::MetricsEndpoint::Start("localhost", &r);
  EXPECT_EQ(no_port.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_port.status().message()), HasSubstr("--metrics_listen=localhost"));
  auto bad_port = metrics::MetricsEndpoint::Start("127.0.0.1:http", &r);
  EXPECT_EQ(bad_port.status().code(), absl::StatusCode::kInvalidArgument);
  auto taken = metrics::MetricsEndpoint::Start("127.0.0.1:0", &r);
  ASSERT_TRUE(taken.ok());
  auto again = metrics::MetricsEndpoint::Start(absl::StrCat("127.0.0.1:", (*taken)->port()), &r);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
}

TEST(CallObserverTest, PrincipalIsAFingerprintOfTheKeyNeverTheKey) {
  const std::string key = "cfk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
  std::string p = PrincipalFromAuthorization("Bearer " + key);
  EXPECT_EQ(p, "sha256:" + Sha256Hex(key).substr(0, 12));
  EXPECT_THAT(p, Not(HasSubstr("cfk_")));
  EXPECT_EQ(PrincipalFromAuthorization("bearer " + key), p);
  EXPECT_EQ(PrincipalFromAuthorization("Basic dXNlcjpwdw=="), "malformed");
  EXPECT_EQ(PrincipalFromAuthorization("Bearer "), "malformed");
}

TEST(CallObserverTest, ResourceIsReadByFieldName) {
  v1::GetEnterpriseRequest get;
  get.set_name("districts/120119/enterprises/e1");
  EXPECT_EQ(ResourceOf(get), "districts/120119/enterprises/e1");
  v1::ListEnterprisesRequest list;
  list.set_parent("districts/120119");
  EXPECT_EQ(ResourceOf(list), "districts/120119");
  v1::UpdateEnterpriseRequest update;
  update.mutable_enterprise()->set_name("districts/120119/enterprises/e2");
  EXPECT_EQ(ResourceOf(update), "districts/120119/enterprises/e2");
  EXPECT_EQ(ResourceOf(v1::ListDistrictsRequest()), "");
  v1::ImportRegistryRequest header;
  header.mutable_header()->set_district("districts/120119");
  header.mutable_header()->set_request_id("r-1");
  EXPECT_EQ(ResourceOf(header), "districts/120119");
  EXPECT_EQ(RequestIdOf(header), "r-1");
  update.set_request_id("r-2");
  EXPECT_EQ(RequestIdOf(update), "r-2");
  EXPECT_EQ(RequestIdOf(get), "");
}

// An in-process server with the call observer in front of two services:
// one that notes its principal, one that fails with field violations.
class FakeAdmin : public v1::AdminService::Service {
  grpc::Status GetCaller(grpc::ServerContext* ctx, const v1::GetCallerRequest*,
                         v1::ApiKey* out) override {
    NoteCallPrincipal(ctx, "apiKeys/k1");
    out->set_name("apiKeys/k1");
    return grpc::Status::OK;
  }
};

class FakeRegistry : public v1::RegistryService::Service {
  grpc::Status GetDistrict(grpc::ServerContext*, const v1::GetDistrictRequest* req,
                           v1::District*) override {
    return ToGrpcStatus(InvalidArgumentWithViolations({{"name", "not districts/{d}"}}));
  }
};

TEST(CallObserverTest, OneLineAndOneCountPerCallOnARealServer) {
  FakeAdmin admin;
  FakeRegistry registry;
  grpc::ServerBuilder builder;
  AddCallObserver(builder);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&admin);
  builder.RegisterService(&registry);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  const std::string get_caller = "/cuofeng.v1.AdminService/GetCaller";
  const double before = metrics::RpcCalls(get_caller, "OK").Value();

  ::testing::internal::CaptureStderr();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer cfk_secret");
    v1::ApiKey out;
    ASSERT_TRUE(
        v1::AdminService::NewStub(channel)->GetCaller(&ctx, v1::GetCallerRequest(), &out).ok());
  }
  {
    grpc::ClientContext ctx;
    v1::GetDistrictRequest req;
    req.set_name("bad name");
    v1::District out;
    EXPECT_EQ(v1::RegistryService::NewStub(channel)->GetDistrict(&ctx, req, &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // A path no service has.
  for (int i = 0; i < 2; ++i) {
    grpc::GenericStub generic(channel);
    grpc::ClientContext ctx;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, absl::StrCat("/no.Such/Method", i), grpc::StubOptions(), &request,
                      &response, [&](grpc::Status s) { done.set_value(s); });
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  server->Shutdown();
  std::string log = ::testing::internal::GetCapturedStderr();

  std::vector<std::string> lines = absl::StrSplit(log, '\n', absl::SkipEmpty());
  int get_caller_lines = 0;
  for (const auto& line : lines) {
    if (absl::StrContains(line, "method=/cuofeng.v1.AdminService/GetCaller")) {
      ++get_caller_lines;
      // The principal the handler noted wins over the key's fingerprint.
      EXPECT_THAT(line,
                  HasSubstr(" INFO call method=/cuofeng.v1.AdminService/GetCaller "
                            "principal=apiKeys/k1 resource=- request_id=- peer=ipv4:127.0.0.1:"));
      EXPECT_THAT(line, HasSubstr(" status=OK duration_ms="));
      EXPECT_THAT(line, Not(HasSubstr("cfk_secret")));
    }
  }
  EXPECT_EQ(get_caller_lines, 1) << log;
  EXPECT_THAT(log, HasSubstr(" WARN call method=/cuofeng.v1.RegistryService/GetDistrict "
                             "principal=- resource=\"bad name\" "));
  EXPECT_THAT(log, HasSubstr("status=INVALID_ARGUMENT"));
  EXPECT_THAT(log, HasSubstr("violations=1 first_violation=\"name: not districts/{d}\""));
  EXPECT_EQ(metrics::RpcCalls(get_caller, "OK").Value(), before + 1);
  EXPECT_EQ(
      metrics::RpcCalls("/cuofeng.v1.RegistryService/GetDistrict", "INVALID_ARGUMENT").Value(), 1);
  // Unknown paths are logged but counted under one label.
  std::string text = metrics::Registry::Default().Render();
  EXPECT_THAT(text, Not(HasSubstr("/no.Such/Method")));
  // gRPC does not tell an interceptor the path of a method no service has.
  EXPECT_THAT(log, HasSubstr(" WARN call method=unknown principal=- resource=- request_id=- "));
  EXPECT_THAT(
      text,
      HasSubstr("cuofeng_rpc_calls_total{method=\"unimplemented\",code=\"UNIMPLEMENTED\"} 2\n"));
}

TEST(ServerOptionsTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/cuofeng.sock"));
  EXPECT_TRUE(IsLoopbackAddress("unix-abstract:cuofeng-server-1"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.1.2.3:50051"));
  EXPECT_FALSE(IsLoopbackAddress(":50051"));
}

TEST(ServerOptionsTest, TlsNeedsBothFilesAndNamesTheMissingOne) {
  ServerOptions o;
  EXPECT_TRUE(ListeningCredentials(o).ok());
  o.tls_cert_file = "/nonexistent/cert.pem";
  auto only_cert = ListeningCredentials(o);
  EXPECT_EQ(only_cert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(only_cert.status().message()), HasSubstr("--tls_key"));
  o.tls_key_file = "/nonexistent/key.pem";
  auto unreadable = ListeningCredentials(o);
  EXPECT_THAT(std::string(unreadable.status().message()),
              HasSubstr("--tls_cert=/nonexistent/cert.pem: cannot read"));
}

}  // namespace
}  // namespace cuofeng
