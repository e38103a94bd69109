#include "lib/text/text_guard.h"

#include <google/protobuf/message.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "lib/status/errors.h"
#include "lib/text/text.h"

namespace cuofeng {
namespace {

using grpc::experimental::InterceptionHookPoints;

struct Found {
  absl::Mutex mu;
  absl::flat_hash_map<const grpc::ServerContextBase*, absl::Status> by_call ABSL_GUARDED_BY(mu);
};

Found& Table() {
  static Found* found = new Found;
  return *found;
}

class TextGuard : public grpc::experimental::Interceptor {
 public:
  explicit TextGuard(grpc::experimental::ServerRpcInfo* info) : info_(info) {
    const char* method = info->method();
    active_ = method != nullptr && absl::StartsWith(method, "/cuofeng.") &&
              (info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY ||
               info->type() == grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING);
  }

  ~TextGuard() override {
    if (!noted_) return;
    Found& t = Table();
    absl::MutexLock lock(&t.mu);
    t.by_call.erase(info_->server_context());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (active_ && !checked_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      checked_ = true;
      void* message = methods->GetRecvMessage();
      if (message != nullptr) {
        std::vector<FieldViolation> v =
            ValidateTextFields(*static_cast<const google::protobuf::Message*>(message));
        if (!v.empty()) {
          Found& t = Table();
          absl::MutexLock lock(&t.mu);
          t.by_call[info_->server_context()] = InvalidArgumentWithViolations(std::move(v));
          noted_ = true;
        }
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  bool active_ = false;
  bool checked_ = false;
  bool noted_ = false;
};

class TextGuardFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new TextGuard(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewTextGuardFactory() {
  return std::make_unique<TextGuardFactory>();
}

absl::Status TextStatusOf(const grpc::ServerContextBase* ctx) {
  Found& t = Table();
  absl::MutexLock lock(&t.mu);
  auto it = t.by_call.find(ctx);
  return it == t.by_call.end() ? absl::OkStatus() : it->second;
}

}  // namespace cuofeng
