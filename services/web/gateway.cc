#include "services/web/gateway.h"

#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cuofeng/v1/accounts.grpc.pb.h"
#include "cuofeng/v1/admin.grpc.pb.h"
#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/documents.grpc.pb.h"
#include "cuofeng/v1/notify.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "lib/hash/sha256.h"
#include "lib/rpc/status.h"
#include "services/web/registry_upload.h"

namespace cuofeng {
namespace {

namespace pb = ::google::protobuf;

constexpr char kCookieName[] = "cuofeng_session";
constexpr char kJson[] = "application/json; charset=utf-8";
constexpr int kSessionCookieSeconds = 12 * 3600;
constexpr auto kCallDeadline = std::chrono::seconds(30);
// Verifying a season, generating a list, importing a registry or rendering a
// district's documents can take minutes on a large district.
constexpr auto kLongCallDeadline = std::chrono::minutes(10);
// A JSON body is small; only the registry upload may be larger (main.cc
// sets the server's limit for it).
constexpr size_t kMaxJsonBody = 1 << 20;
// A watch ends after this long; the browser's EventSource reconnects.
constexpr auto kWatchLifetime = std::chrono::minutes(10);
constexpr auto kHeartbeat = std::chrono::seconds(15);

// The services the JSON API reaches; Login and ChangePassword only through
// /api/login and /api/change-password, which set the cookie.
bool Reachable(const std::string& service, const std::string& method) {
  static const char* const kServices[] = {
      "RegistryService",     "PlanningService",   "FilingService", "AlertService",
      "ObligationService",   "ComplianceService", "AdminService",  "AccountService",
      "NotificationService", "DocumentService"};
  bool known = false;
  for (const char* s : kServices) known = known || service == s;
  return known &&
         !(service == "AccountService" && (method == "Login" || method == "ChangePassword"));
}

void LinkDescriptors() {
  // Referencing one message per file keeps every .pb.o (and so its
  // descriptors) in the binary, for the generic calls below.
  (void)v1::Account::descriptor();
  (void)v1::ApiKey::descriptor();
  (void)v1::Enterprise::descriptor();
  (void)v1::Alert::descriptor();
  (void)v1::Finding::descriptor();
  (void)v1::Notification::descriptor();
  (void)v1::Document::descriptor();
  (void)google::rpc::BadRequest::descriptor();
  (void)google::rpc::ErrorInfo::descriptor();
}

pb::util::JsonPrintOptions PrintOptions() {
  pb::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  return o;
}

std::string ToJson(const pb::Message& m) {
  std::string out;
  (void)pb::util::MessageToJsonString(m, &out, PrintOptions());
  return out;
}

void Reply(httplib::Response& res, const grpc::Status& status) {
  res.status = HttpStatusOf(status.error_code());
  res.set_content(ErrorBody(status), kJson);
}

grpc::Status BadBody(const std::string& why) {
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  details.set_message(why);
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("body");
  v->set_description(why);
  details.add_details()->PackFrom(bad);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why, details.SerializeAsString());
}

bool LongCall(const std::string& service, const std::string& method) {
  return service == "DocumentService" || method == "RunVerification" || method == "GenerateList" ||
         method == "DiffLists" || method == "VerifyChain";
}

std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& token, bool long_call = false) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  ctx->set_deadline(std::chrono::system_clock::now() +
                    (long_call ? std::chrono::duration_cast<std::chrono::seconds>(kLongCallDeadline)
                               : kCallDeadline));
  return ctx;
}

template <typename Request>
bool ParseBody(const httplib::Request& req, httplib::Response& res, Request* out) {
  if (req.body.size() > kMaxJsonBody) {
    Reply(res, BadBody(absl::StrCat("请求体过大（", req.body.size(), " 字节；至多 ", kMaxJsonBody,
                                    " 字节）")));
    return false;
  }
  pb::util::JsonParseOptions options;
  auto parsed = pb::util::JsonStringToMessage(req.body.empty() ? "{}" : req.body, out, options);
  if (!parsed.ok()) {
    Reply(res, BadBody(absl::StrCat("请求体不是有效的 JSON: ", parsed.message().as_string())));
    return false;
  }
  return true;
}

}  // namespace

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

std::string ErrorBody(const grpc::Status& status) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  google::rpc::Status details;
  if (!status.error_details().empty()) details.ParseFromString(status.error_details());
  details.set_code(HttpStatusOf(status.error_code()));
  details.set_message(status.error_message());
  const int code = static_cast<int>(status.error_code());
  const char* name = code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
  std::string json = ToJson(details);  // {"code":..,"message":..,"details":[..]}
  return absl::StrCat("{\"error\":{\"status\":\"", name, "\",", json.substr(1), "}");
}

std::string CsrfTokenFor(absl::string_view session_token) {
  return Sha256Hex(absl::StrCat("cuofeng-csrf|", session_token));
}

std::string SessionFromCookie(absl::string_view cookie_header) {
  for (absl::string_view part : absl::StrSplit(cookie_header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, kCookieName) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

Gateway::Gateway(std::shared_ptr<grpc::Channel> channel, GatewayOptions options)
    : channel_(std::move(channel)), options_(std::move(options)) {
  LinkDescriptors();
}

std::string Gateway::SessionCookie(const std::string& token, int max_age_seconds) const {
  return absl::StrCat(kCookieName, "=", token,
                      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=", max_age_seconds,
                      options_.secure_cookies ? "; Secure" : "");
}

std::string Gateway::Authorised(const httplib::Request& req, httplib::Response& res, bool change) {
  std::string token = SessionFromCookie(req.get_header_value("Cookie"));
  if (token.empty()) {
    Reply(res, grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "未登录或会话已结束，请登录"));
    return "";
  }
  if (change && req.get_header_value("X-CSRF-Token") != CsrfTokenFor(token)) {
    Reply(res, grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            "缺少或错误的 CSRF 令牌（X-CSRF-Token），请刷新页面后重试"));
    return "";
  }
  return token;
}

void Gateway::Login(const httplib::Request& req, httplib::Response& res, bool change_password) {
  auto stub = v1::AccountService::NewStub(channel_);
  v1::Session session;
  grpc::Status status;
  auto ctx = ContextFor("");
  if (change_password) {
    v1::ChangePasswordRequest body;
    if (!ParseBody(req, res, &body)) return;
    status = stub->ChangePassword(ctx.get(), body, &session);
  } else {
    v1::LoginRequest body;
    if (!ParseBody(req, res, &body)) return;
    status = stub->Login(ctx.get(), body, &session);
  }
  if (!status.ok()) return Reply(res, status);
  res.set_header("Set-Cookie", SessionCookie(session.token(), kSessionCookieSeconds));
  res.set_content(absl::StrCat("{\"account\":", ToJson(session.account()), ",\"csrfToken\":\"",
                               CsrfTokenFor(session.token()),
                               "\",\"expireTime\":", ToJson(session.expire_time()), "}"),
                  kJson);
}

void Gateway::Logout(const httplib::Request& req, httplib::Response& res) {
  std::string token = Authorised(req, res, true);
  if (token.empty()) return;
  auto stub = v1::AccountService::NewStub(channel_);
  v1::LogoutResponse out;
  grpc::Status status = stub->Logout(ContextFor(token).get(), v1::LogoutRequest(), &out);
  res.set_header("Set-Cookie", SessionCookie("", 0));
  if (!status.ok()) return Reply(res, status);
  res.set_content("{}", kJson);
}

void Gateway::Session(const httplib::Request& req, httplib::Response& res) {
  std::string token = Authorised(req, res, false);
  if (token.empty()) return;
  auto stub = v1::AdminService::NewStub(channel_);
  v1::ApiKey caller;
  grpc::Status status = stub->GetCaller(ContextFor(token).get(), v1::GetCallerRequest(), &caller);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      res.set_header("Set-Cookie", SessionCookie("", 0));
    }
    return Reply(res, status);
  }
  res.set_content(
      absl::StrCat("{\"caller\":", ToJson(caller), ",\"csrfToken\":\"", CsrfTokenFor(token), "\"}"),
      kJson);
}

void Gateway::Call(const httplib::Request& req, httplib::Response& res) {
  const std::string service = req.matches[1], method_name = req.matches[2];
  std::string token = Authorised(req, res, true);
  if (token.empty()) return;
  const pb::MethodDescriptor* method = nullptr;
  if (Reachable(service, method_name)) {
    const pb::ServiceDescriptor* s =
        pb::DescriptorPool::generated_pool()->FindServiceByName("cuofeng.v1." + service);
    if (s != nullptr) method = s->FindMethodByName(method_name);
  }
  if (method == nullptr || method->client_streaming() || method->server_streaming()) {
    return Reply(res,
                 grpc::Status(grpc::StatusCode::NOT_FOUND,
                              absl::StrCat("no such JSON method: ", service, "/", method_name)));
  }
  pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
  std::unique_ptr<pb::Message> request(factory->GetPrototype(method->input_type())->New());
  if (!ParseBody(req, res, request.get())) return;
  const std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  grpc::GenericStub stub(channel_);
  auto ctx = ContextFor(token, LongCall(service, method_name));
  std::promise<grpc::Status> done;
  stub.UnaryCall(ctx.get(), absl::StrCat("/cuofeng.v1.", service, "/", method_name),
                 grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return Reply(res, status);
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  std::unique_ptr<pb::Message> response(factory->GetPrototype(method->output_type())->New());
  if (!response->ParseFromString(out)) {
    return Reply(res, grpc::Status(grpc::StatusCode::INTERNAL, "the answer could not be read"));
  }
  res.set_content(ToJson(*response), kJson);
}

void Gateway::ImportWorkbook(const httplib::Request& req, httplib::Response& res) {
  std::string token = Authorised(req, res, true);
  if (token.empty()) return;
  const std::string district = req.get_param_value("district");
  const bool validate_only = req.get_param_value("validateOnly") == "true";
  std::map<std::string, std::vector<std::string>> headers;
  // The workbook as the body, or the CSV template's files as multipart form data.
  absl::StatusOr<std::vector<v1::CsvFile>> files;
  if (req.is_multipart_form_data()) {
    std::vector<UploadedCsv> uploaded;
    for (const auto& [field, file] : req.files) uploaded.push_back({file.filename, file.content});
    files = CsvFolderFiles(uploaded, &headers);
  } else {
    files = WorkbookFiles(req.body, &headers);
  }
  if (!files.ok()) return Reply(res, ToGrpcStatus(files.status()));
  int64_t rows = 0;
  for (const auto& f : *files) rows += f.rows_size();
  auto stub = v1::RegistryService::NewStub(channel_);
  auto ctx = ContextFor(token, true);
  v1::ImportRegistryResponse response;
  auto writer = stub->ImportRegistry(ctx.get(), &response);
  v1::ImportRegistryRequest header;
  header.mutable_header()->set_district(district);
  header.mutable_header()->set_validate_only(validate_only);
  header.mutable_header()->set_request_id(req.get_param_value("requestId"));
  header.mutable_header()->set_rows(rows);
  bool open = writer->Write(header);
  for (const auto& f : *files) {
    if (!open) break;
    v1::ImportRegistryRequest part;
    *part.mutable_file() = f;
    open = writer->Write(part);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  // Every sheet's header, so the page names the column of a refused cell.
  pb::Struct by_sheet;
  for (const auto& [name, cells] : headers) {
    pb::ListValue* list = (*by_sheet.mutable_fields())[name].mutable_list_value();
    for (const auto& c : cells) list->add_values()->set_string_value(c);
  }
  const std::string sheets = ToJson(by_sheet);
  if (!status.ok()) {
    res.status = HttpStatusOf(status.error_code());
    std::string body = ErrorBody(status);
    body.pop_back();
    res.set_content(absl::StrCat(body, ",\"sheets\":", sheets, ",\"rows\":", rows, "}"), kJson);
    return;
  }
  std::string json = ToJson(response);
  json.pop_back();
  res.set_content(absl::StrCat(json, ",\"sheets\":", sheets, ",\"rows\":", rows, "}"), kJson);
}

namespace {

// ObligationWatch runs one WatchObligations stream on its own thread and
// hands each set, as JSON, to the HTTP response that streams it.
class ObligationWatch {
 public:
  ObligationWatch(std::shared_ptr<grpc::Channel> channel, const std::string& token,
                  const std::string& enterprise) {
    ctx_.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx_.set_deadline(std::chrono::system_clock::now() + kWatchLifetime);
    thread_ = std::thread([this, channel, enterprise] {
      auto stub = v1::ObligationService::NewStub(channel);
      v1::WatchObligationsRequest req;
      req.set_enterprise(enterprise);
      auto reader = stub->WatchObligations(&ctx_, req);
      v1::ObligationSet set;
      while (reader->Read(&set))
        Push(absl::StrCat("event: obligations\ndata: ", ToJson(set), "\n\n"));
      grpc::Status status = reader->Finish();
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
          status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        std::string body = ErrorBody(status);
        Push(absl::StrCat("event: failure\ndata: ", body, "\n\n"));
      }
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
      cv_.notify_all();
    });
  }
  ~ObligationWatch() {
    ctx_.TryCancel();
    thread_.join();
  }

  // Next waits for the next event; "" after a heartbeat period with none
  // (the caller sends a comment, which finds a closed connection).
  // Returns false when the stream has ended and every event was taken.
  bool Next(std::string* event) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kHeartbeat, [this] { return !events_.empty() || finished_; });
    if (!events_.empty()) {
      *event = std::move(events_.front());
      events_.pop_front();
      return true;
    }
    event->clear();
    return !finished_;
  }

 private:
  void Push(std::string event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }

  grpc::ClientContext ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> events_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace

void Gateway::Watch(const httplib::Request& req, httplib::Response& res) {
  std::string token = Authorised(req, res, false);
  if (token.empty()) return;
  const std::string enterprise = req.get_param_value("enterprise");
  auto watch = std::make_shared<ObligationWatch>(channel_, token, enterprise);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [watch](size_t, httplib::DataSink& sink) {
        std::string event;
        if (!watch->Next(&event)) {
          sink.done();
          return true;
        }
        if (event.empty()) event = ": heartbeat\n\n";
        return sink.write(event.data(), event.size());
      },
      [watch](bool) {});
}

void Gateway::Register(httplib::Server& server) {
  server.set_default_headers({
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  });
  if (options_.secure_cookies) {
    server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      res.set_header("Strict-Transport-Security", "max-age=31536000");
    });
  }
  server.Post("/api/login", [this](const httplib::Request& req, httplib::Response& res) {
    Login(req, res, false);
  });
  server.Post("/api/change-password", [this](const httplib::Request& req, httplib::Response& res) {
    Login(req, res, true);
  });
  server.Post("/api/logout",
              [this](const httplib::Request& req, httplib::Response& res) { Logout(req, res); });
  server.Get("/api/session",
             [this](const httplib::Request& req, httplib::Response& res) { Session(req, res); });
  server.Get("/api/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"SERVING\"}", kJson);
  });
  server.Post("/api/import/registry", [this](const httplib::Request& req, httplib::Response& res) {
    ImportWorkbook(req, res);
  });
  server.Post(R"(/api/v1/([A-Za-z]+)/([A-Za-z]+))",
              [this](const httplib::Request& req, httplib::Response& res) { Call(req, res); });
  server.Get("/api/v1/watch/obligations",
             [this](const httplib::Request& req, httplib::Response& res) { Watch(req, res); });
  // Anything else under /api is not found as JSON, not as a page.
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (absl::StartsWith(req.path, "/api/") && res.body.empty()) {
      res.set_content(ErrorBody(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                             absl::StrCat("no such path: ", req.path))),
                      kJson);
    }
  });
  server.set_mount_point("/", options_.static_dir);
}

}  // namespace cuofeng
