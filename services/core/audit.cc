#include "services/core/audit.h"

#include <iostream>
#include <unordered_set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "lib/metrics/metrics.h"
#include "lib/rpc/status.h"

namespace cuofeng {
namespace {

constexpr size_t kMaxPrincipal = 200;
constexpr size_t kMaxMethod = 100;
constexpr size_t kMaxResource = 300;
constexpr size_t kMaxRequestId = 200;
constexpr size_t kMaxDetail = 1000;
constexpr size_t kMaxQueued = 10000;
// ToGrpcStatus keeps details under 16 KiB; anything larger was built elsewhere.
constexpr size_t kMaxStatusDetailsBytes = 20 << 10;

std::atomic<int64_t> audit_failures{0};

absl::Mutex audited_mu;
std::unordered_set<const void*>& Audited() {
  static auto* set = new std::unordered_set<const void*>();
  return *set;
}

// Length of the UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8Length(absl::string_view s, size_t i) {
  const unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::string AuditText(absl::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8Length(text, i);
    if (n == 0 || (n == 1 && (static_cast<unsigned char>(text[i]) < 0x20 || text[i] == 0x7f) &&
                   text[i] != '\n' && text[i] != '\t')) {
      if (out.size() + 1 > max_bytes) break;
      out.push_back('?');
      i += n == 0 ? 1 : n;
      continue;
    }
    if (out.size() + n > max_bytes) {
      out.append("…");
      break;
    }
    out.append(text.data() + i, n);
    i += n;
  }
  return out;
}

void WriteAudit(pqxx::work& tx, const std::string& principal, const std::string& method,
                const std::string& resource, const std::string& request_id,
                const std::string& outcome, const std::string& detail) {
  tx.exec_params0(
      "INSERT INTO core.audit_log (principal, method, resource, request_id, outcome, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      AuditText(principal, kMaxPrincipal), AuditText(method, kMaxMethod),
      AuditText(resource, kMaxResource), AuditText(request_id, kMaxRequestId), outcome,
      AuditText(detail, kMaxDetail));
}

int64_t AuditWriteFailures() { return audit_failures.load(); }

void ReportAuditFailure(const std::string& what, const absl::Status& status) {
  ++audit_failures;
  metrics::AuditWriteFailures().Increment();
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3S%Ez", absl::Now(), absl::LocalTimeZone())
            << " ERROR audit row lost (" << what << "): " << status.message() << std::endl;
}

void MarkAudited(const grpc::ServerContextBase* ctx) {
  absl::MutexLock lock(&audited_mu);
  Audited().insert(ctx);
}

namespace {

bool TakeAudited(const void* ctx) {
  absl::MutexLock lock(&audited_mu);
  return Audited().erase(ctx) > 0;
}

// The resource a request names: its first of these string fields.
std::string ResourceOf(const google::protobuf::Message& m) {
  static const char* const kFields[] = {"name",  "parent",    "district", "enterprise",
                                        "filed", "amendment", "season"};
  const auto* d = m.GetDescriptor();
  for (const char* f : kFields) {
    const auto* field = d->FindFieldByName(f);
    if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !field->is_repeated()) {
      std::string value = m.GetReflection()->GetString(m, field);
      if (!value.empty()) return value;
    }
  }
  return "";
}

std::string RequestIdOf(const google::protobuf::Message& m) {
  const auto* field = m.GetDescriptor()->FindFieldByName("request_id");
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return m.GetReflection()->GetString(m, field);
}

class RefusalInterceptor : public grpc::experimental::Interceptor {
 public:
  RefusalInterceptor(RefusalAuditor* auditor, grpc::experimental::ServerRpcInfo* info)
      : auditor_(auditor), info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE) && !have_message_) {
      auto* message = static_cast<google::protobuf::Message*>(methods->GetRecvMessage());
      if (message != nullptr) {
        have_message_ = true;
        resource_ = AuditText(ResourceOf(*message), 300);
        request_id_ = AuditText(RequestIdOf(*message), 200);
      }
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty() &&
          !have_message_) {
        // gRPC could not parse the request (no handler says INTERNAL without
        // a message): most often a string field holding bytes that are not
        // UTF-8. That is the caller's input, not our fault.
        status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "无法读取请求：某个文本字段含有不是 UTF-8 的字节，"
                              "或消息格式不对");
        methods->ModifySendStatus(status);
      }
      // Whatever a handler sent, no trailer grows with the input: a status
      // that bypassed ToGrpcStatus is bounded here too.
      if (status.error_message().size() > kMaxStatusMessageBytes ||
          status.error_details().size() > kMaxStatusDetailsBytes) {
        status = grpc::Status(
            status.error_code(), BoundedText(status.error_message(), kMaxStatusMessageBytes),
            status.error_details().size() > kMaxStatusDetailsBytes ? "" : status.error_details());
        methods->ModifySendStatus(status);
      }
      const bool audited = TakeAudited(info_->server_context());
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED && !audited) {
        RefusalAuditor::Refusal r;
        const auto& md = info_->server_context()->client_metadata();
        auto it = md.find("authorization");
        if (it != md.end())
          r.authorization.assign(it->second.data(), std::min<size_t>(it->second.size(), 512));
        const char* method = info_->method();
        r.method = method == nullptr ? "" : method;
        if (size_t slash = r.method.rfind('/'); slash != std::string::npos)
          r.method.erase(0, slash + 1);
        r.resource = resource_;
        r.request_id = request_id_;
        r.status = grpc::Status(status.error_code(), AuditText(status.error_message(), 1000));
        auditor_->Add(std::move(r));
      }
    }
    methods->Proceed();
  }

 private:
  RefusalAuditor* auditor_;
  grpc::experimental::ServerRpcInfo* info_;
  bool have_message_ = false;
  std::string resource_;
  std::string request_id_;
};

class RefusalInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RefusalInterceptorFactory(RefusalAuditor* auditor) : auditor_(auditor) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RefusalInterceptor(auditor_, info);
  }

 private:
  RefusalAuditor* auditor_;
};

}  // namespace

RefusalAuditor::RefusalAuditor(ConnectionPool* pool, KeyStore* keys) : pool_(pool), keys_(keys) {
  thread_ = std::thread([this] { Loop(); });
}

RefusalAuditor::~RefusalAuditor() {
  Flush(absl::Seconds(5));
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RefusalAuditor::InterceptorFactory() {
  return std::make_unique<RefusalInterceptorFactory>(this);
}

void RefusalAuditor::Add(Refusal refusal) {
  {
    absl::MutexLock lock(&mu_);
    if (queue_.size() < kMaxQueued) {
      queue_.push_back(std::move(refusal));
      ++added_;
      return;
    }
  }
  ReportAuditFailure(absl::StrCat("refusal of ", refusal.method),
                     absl::ResourceExhaustedError("more than 10,000 refusals waiting"));
}

void RefusalAuditor::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t target = added_;
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return written_ >= target; };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void RefusalAuditor::Loop() {
  while (true) {
    std::deque<Refusal> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
    }
    // Who refused: the key's name when the key is valid, else who it claimed to be.
    std::vector<std::string> principals;
    for (const Refusal& r : batch) {
      absl::string_view secret = r.authorization;
      if (r.authorization.empty()) {
        principals.push_back("anonymous");
      } else if (!absl::ConsumePrefix(&secret, "Bearer ") &&
                 !absl::ConsumePrefix(&secret, "bearer ")) {
        principals.push_back("anonymous（authorization 头格式错误）");
      } else {
        auto p = keys_->Authenticate(std::string(secret));
        principals.push_back(p.ok() ? p->key_name : "anonymous（密钥不存在、已吊销或已过期）");
      }
    }
    CallDeadline deadline(absl::Now() + absl::Seconds(10));
    absl::Status status = InTransaction(*pool_, [&](pqxx::work& tx) {
      for (size_t i = 0; i < batch.size(); ++i) {
        const Refusal& r = batch[i];
        WriteAudit(tx, principals[i], r.method, r.resource, r.request_id,
                   StatusCodeName(static_cast<absl::StatusCode>(r.status.error_code())),
                   r.status.error_message());
      }
      return absl::OkStatus();
    });
    if (!status.ok()) {
      for (const Refusal& r : batch)
        ReportAuditFailure(absl::StrCat("refusal of ", r.method), status);
    }
    absl::MutexLock lock(&mu_);
    written_ += batch.size();
  }
}

}  // namespace cuofeng
