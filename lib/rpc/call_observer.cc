#include "lib/rpc/call_observer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "lib/hash/sha256.h"
#include "lib/log/log.h"
#include "lib/metrics/metrics.h"
#include "lib/rpc/status.h"
#include "lib/status/errors.h"

namespace cuofeng {
namespace {

constexpr std::initializer_list<const char*> kResourceFields = {"name",     "parent", "enterprise",
                                                                "district", "filed",  "base"};

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

// Principals noted by handlers, by call; an entry lives from the call's
// first hook to its end, so a note for a call we do not observe is dropped.
class NotedPrincipals {
 public:
  static NotedPrincipals& Get() {
    static auto* p = new NotedPrincipals;
    return *p;
  }
  void Open(const void* call) {
    absl::MutexLock lock(&mu_);
    notes_.emplace(call, std::string());
  }
  void Note(const void* call, const std::string& principal) {
    absl::MutexLock lock(&mu_);
    auto it = notes_.find(call);
    if (it != notes_.end()) it->second = principal;
  }
  std::string Close(const void* call) {
    absl::MutexLock lock(&mu_);
    auto it = notes_.find(call);
    if (it == notes_.end()) return "";
    std::string p = std::move(it->second);
    notes_.erase(it);
    return p;
  }

 private:
  absl::Mutex mu_;
  std::unordered_map<const void*, std::string> notes_ ABSL_GUARDED_BY(mu_);
};

bool IsServerFault(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

// CallObserver is created per call by the server and destroyed with it.
class CallObserver : public grpc::experimental::Interceptor {
 public:
  explicit CallObserver(ServerRpcInfo* info)
      : info_(info),
        call_(info->server_context()),
        method_(info->method() == nullptr ? "unknown" : std::string(info->method()).substr(0, 200)),
        start_(std::chrono::steady_clock::now()) {
    NotedPrincipals::Get().Open(call_);
  }

  // The server context may be half destroyed by now: only its address is used.
  ~CallObserver() override {
    absl::MutexLock lock(&mu_);
    if (reported_) return;
    // The call ended without a status of ours: the client went away first.
    status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the call ended before its status");
    end_ = std::chrono::steady_clock::now();
    Report();
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    Observe(methods);
    methods->Proceed();
  }

 private:
  // Observe reads what a hook shows; hooks of one call may run on different
  // threads (a stream's read against its status), hence the lock.
  void Observe(InterceptorBatchMethods* methods) {
    absl::MutexLock lock(&mu_);
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      peer_ = info_->server_context()->peer();
      auto* md = methods->GetRecvInitialMetadata();
      if (md != nullptr) {
        auto it = md->find("authorization");
        principal_ = it == md->end() ? "-"
                                     : PrincipalFromAuthorization(
                                           absl::string_view(it->second.data(), it->second.size()));
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        !have_request_) {
      have_request_ = true;
      // Only cuofeng's own services are known to take protobuf messages
      // (the health service, for one, reads raw bytes).
      void* message = methods->GetRecvMessage();
      if (message != nullptr && absl::StartsWith(method_, "/cuofeng.")) {
        const auto& request = *static_cast<const google::protobuf::Message*>(message);
        resource_ = ResourceOf(request);
        request_id_ = RequestIdOf(request);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      status_ = methods->GetSendStatus();
      end_ = std::chrono::steady_clock::now();
      Report();
    }
  }

  void Report() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reported_) return;
    reported_ = true;
    std::string noted = NotedPrincipals::Get().Close(call_);
    if (!noted.empty()) principal_ = noted;
    const double seconds = std::chrono::duration<double>(end_ - start_).count();
    const std::string code = StatusCodeName(static_cast<absl::StatusCode>(status_.error_code()));
    // Unknown paths are answered UNIMPLEMENTED; they share one label, so
    // whatever a client calls cannot grow the metrics without bound.
    const std::string label =
        status_.error_code() == grpc::StatusCode::UNIMPLEMENTED ? "unimplemented" : method_;
    metrics::RpcCalls(label, code).Increment();
    metrics::RpcDuration(label, code).Observe(seconds);
    if (status_.ok()) {
      logging::Info("call", {{"method", method_},
                             {"principal", principal_},
                             {"resource", resource_.empty() ? "-" : resource_},
                             {"request_id", request_id_.empty() ? "-" : request_id_},
                             {"peer", peer_},
                             {"status", code},
                             {"duration_ms", seconds * 1000}});
      return;
    }
    // The cause: the message, and the first field violation and the
    // reason when the status carries them.
    absl::Status rich = FromGrpcStatus(status_);
    std::vector<FieldViolation> violations = FieldViolations(rich);
    std::string reason = ErrorReason(rich);
    std::string first_violation =
        violations.empty() ? "-"
                           : absl::StrCat(violations[0].field, ": ", violations[0].description);
    logging::Log(
        IsServerFault(status_.error_code()) ? logging::Level::kError : logging::Level::kWarning,
        "call",
        {{"method", method_},
         {"principal", principal_},
         {"resource", resource_.empty() ? "-" : resource_},
         {"request_id", request_id_.empty() ? "-" : request_id_},
         {"peer", peer_},
         {"status", code},
         {"duration_ms", seconds * 1000},
         {"error", status_.error_message()},
         {"reason", reason.empty() ? "-" : reason},
         {"violations", static_cast<int64_t>(violations.size())},
         {"first_violation", first_violation}});
  }

  ServerRpcInfo* const info_;
  const void* const call_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  absl::Mutex mu_;
  std::string peer_ = "-";
  std::chrono::steady_clock::time_point end_;
  std::string principal_ = "-";
  std::string resource_;
  std::string request_id_;
  bool have_request_ = false;
  bool reported_ = false;
  grpc::Status status_;
};

class CallObserverFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new CallObserver(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallObserverFactory() {
  return std::make_unique<CallObserverFactory>();
}

void NoteCallPrincipal(const grpc::ServerContextBase* ctx, const std::string& principal) {
  NotedPrincipals::Get().Note(ctx, principal);
}

std::string PrincipalFromAuthorization(absl::string_view header) {
  absl::string_view secret = header;
  if (!absl::ConsumePrefix(&secret, "Bearer ") && !absl::ConsumePrefix(&secret, "bearer ")) {
    return "malformed";
  }
  secret = absl::StripAsciiWhitespace(secret);
  if (secret.empty()) return "malformed";
  return absl::StrCat("sha256:", Sha256Hex(secret).substr(0, 12));
}

namespace {

// FirstString is the first non-empty singular string field of `m` among `names`.
std::string FirstString(const google::protobuf::Message& m,
                        std::initializer_list<const char*> names) {
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  for (const char* name : names) {
    const auto* f = d->FindFieldByName(name);
    if (f != nullptr && !f->is_repeated() &&
        f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      std::string value = m.GetReflection()->GetString(m, f);
      if (!value.empty()) return value;
    }
  }
  return "";
}

// FirstInMessages is FirstString of each message field that is set, in order.
std::string FirstInMessages(const google::protobuf::Message& m,
                            std::initializer_list<const char*> names) {
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const google::protobuf::Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated() || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        !r->HasField(m, f)) {
      continue;
    }
    std::string value = FirstString(r->GetMessage(m, f), names);
    if (!value.empty()) return value;
  }
  return "";
}

}  // namespace

std::string ResourceOf(const google::protobuf::Message& request) {
  std::string top = FirstString(request, kResourceFields);
  if (!top.empty()) return top;
  // Create and Update requests carry the resource as a message with a name;
  // a stream's first message may carry a header (ImportRegistry's district).
  return FirstInMessages(request, kResourceFields);
}

std::string RequestIdOf(const google::protobuf::Message& request) {
  std::string top = FirstString(request, {"request_id"});
  return top.empty() ? FirstInMessages(request, {"request_id"}) : top;
}

}  // namespace cuofeng
