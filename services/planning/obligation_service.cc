#include "services/planning/obligation_service.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/model/clock.h"
#include "lib/rpc/status.h"
#include "lib/rules/obligations.h"
#include "lib/status/errors.h"

namespace cuofeng {

// One WatchObligations stream: sets are queued and written one at a time.
class WatchReactor : public grpc::ServerWriteReactor<v1::ObligationSet> {
 public:
  WatchReactor(ObligationServiceImpl* service, std::string enterprise, std::string district)
      : service_(service), enterprise_(std::move(enterprise)), district_(std::move(district)) {}

  const std::string& enterprise() const { return enterprise_; }
  const std::string& district() const { return district_; }

  void Push(v1::ObligationSet set) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      queue_.push_back(std::move(set));
      if (writing_) return;
      writing_ = true;
      current_ = std::move(queue_.front());
      queue_.pop_front();
    }
    StartWrite(&current_);  // never under mu_: a reaction may run inline
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      if (!ok || finished_) {
        writing_ = false;
        if (!finished_) {
          finished_ = true;
          Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream broke"));
        }
        return;
      }
      if (queue_.empty()) {
        writing_ = false;
        return;
      }
      current_ = std::move(queue_.front());
      queue_.pop_front();
    }
    StartWrite(&current_);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
  }

  void OnDone() override {
    service_->Unregister(this);
    delete this;
  }

 private:
  ObligationServiceImpl* service_;
  const std::string enterprise_;
  const std::string district_;
  absl::Mutex mu_;
  std::deque<v1::ObligationSet> queue_ ABSL_GUARDED_BY(mu_);
  v1::ObligationSet current_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

// A stream refused before it starts.
class RefusedReactor : public grpc::ServerWriteReactor<v1::ObligationSet> {
 public:
  explicit RefusedReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string DistrictOf(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  return parts.size() >= 4 && parts[0] == "districts" && parts[2] == "enterprises" ? parts[1] : "";
}

}  // namespace

ObligationServiceImpl::ObligationServiceImpl(CallGuard* guard, ObligationCache* cache)
    : guard_(guard), cache_(cache) {
  fan_out_ = std::thread([this] { FanOutLoop(); });
  watcher_id_ = cache_->AddWatcher([this](const std::string& district) {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(district);
  });
}

ObligationServiceImpl::~ObligationServiceImpl() {
  cache_->RemoveWatcher(watcher_id_);
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  fan_out_.join();
}

void ObligationServiceImpl::FanOutLoop() {
  while (true) {
    std::string district;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return stopping_ || !queue_.empty(); };
      queue_mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      district = std::move(queue_.front());
      queue_.pop_front();
    }
    OnChange(district);  // in order: one new set per change
  }
}

absl::StatusOr<v1::ObligationSet> ObligationServiceImpl::Compute(const std::string& enterprise, absl::Time at) {
  const std::string district = DistrictOf(enterprise);
  if (district.empty()) {
    return InvalidArgumentWithViolations({{"enterprise", "must be districts/{d}/enterprises/{e}"}});
  }
  auto view = cache_->Get(district);
  if (!view.ok()) return view.status();
  return ObligationsAt(*view->lists, *view->alerts, district, enterprise, at);
}

grpc::Status ObligationServiceImpl::GetObligations(grpc::ServerContext* ctx, const v1::GetObligationsRequest* req,
                                                   v1::ObligationSet* resp) {
  auto principal = guard_->Check(ctx, Action::kRead, req->enterprise());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  const absl::Time at = req->has_at() ? ToTime(req->at()) : Now();
  const uint64_t version = cache_->version();
  {
    // Nothing changes inside a window: answer from the last computation.
    absl::MutexLock lock(&memo_mu_);
    auto it = memo_.find(req->enterprise());
    if (it != memo_.end() && it->second.version == version && it->second.from <= at && at < it->second.until) {
      *resp = it->second.set;
      *resp->mutable_at() = req->has_at() ? req->at() : resp->at();
      return grpc::Status::OK;
    }
  }
  auto set = Compute(req->enterprise(), at);
  if (!set.ok()) return ToGrpcStatus(set.status());
  if (set->obligations_size() > 0 && set->obligations(0).has_window_start() && set->obligations(0).has_window_end()) {
    absl::MutexLock lock(&memo_mu_);
    memo_[req->enterprise()] =
        Memo{*set, version, ToTime(set->obligations(0).window_start()), ToTime(set->obligations(0).window_end())};
  }
  *resp = std::move(*set);
  return grpc::Status::OK;
}

grpc::Status ObligationServiceImpl::ListObligationWindows(grpc::ServerContext* ctx,
                                                          const v1::ListObligationWindowsRequest* req,
                                                          v1::ListObligationWindowsResponse* resp) {
  auto principal = guard_->Check(ctx, Action::kRead, req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<std::string> parts = absl::StrSplit(req->district(), '/');
  std::vector<FieldViolation> v;
  if (parts.size() != 2 || parts[0] != "districts") v.push_back({"district", "must be districts/{district}"});
  if (!req->has_from()) v.push_back({"from", "required"});
  if (!req->has_to()) v.push_back({"to", "required"});
  if (req->has_from() && req->has_to() && req->to().seconds() <= req->from().seconds()) {
    v.push_back({"to", "must be after from"});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto view = cache_->Get(parts[1]);
  if (!view.ok()) return ToGrpcStatus(view.status());
  for (auto& o : ObligationWindows(*view->lists, *view->alerts, parts[1], ToTime(req->from()), ToTime(req->to()))) {
    *resp->add_obligations() = std::move(o);
  }
  const absl::Time from = ToTime(req->from()), to = ToTime(req->to());
  for (const FiledList& l : *view->lists) {
    if (l.in_force_from >= to || l.in_force_until <= from) continue;
    v1::FiledListInfo* info = resp->add_lists();
    info->set_list(l.name);
    info->set_season(l.season);
    info->set_season_start(l.season_start);
    info->set_season_end(l.season_end);
    info->set_rule_set(l.rule_set);
    *info->mutable_in_force_from() = ToTimestamp(l.in_force_from);
    if (l.in_force_until != absl::InfiniteFuture()) *info->mutable_in_force_until() = ToTimestamp(l.in_force_until);
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::ObligationSet>* ObligationServiceImpl::WatchObligations(
    grpc::CallbackServerContext* ctx, const v1::WatchObligationsRequest* req) {
  auto principal = guard_->Check(ctx, Action::kRead, req->enterprise());
  if (!principal.ok()) return new RefusedReactor(ToGrpcStatus(principal.status()));
  auto set = Compute(req->enterprise(), Now());
  if (!set.ok()) return new RefusedReactor(ToGrpcStatus(set.status()));
  auto* reactor = new WatchReactor(this, req->enterprise(), DistrictOf(req->enterprise()));
  {
    absl::MutexLock lock(&mu_);
    watchers_[reactor->district()][reactor->enterprise()].insert(reactor);
    reactor->Push(std::move(*set));  // the current set at once
  }
  return reactor;
}

void ObligationServiceImpl::Unregister(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  auto d = watchers_.find(reactor->district());
  if (d == watchers_.end()) return;
  auto e = d->second.find(reactor->enterprise());
  if (e == d->second.end()) return;
  e->second.erase(reactor);
  if (e->second.empty()) d->second.erase(e);
}

void ObligationServiceImpl::OnChange(const std::string& district) {
  const absl::Time now = Now();
  // Pushing under mu_ keeps a finishing stream from being deleted meanwhile.
  absl::MutexLock lock(&mu_);
  for (auto& [d, enterprises] : watchers_) {
    if (!district.empty() && d != district) continue;
    for (auto& [enterprise, reactors] : enterprises) {
      if (reactors.empty()) continue;
      auto set = Compute(enterprise, now);
      if (!set.ok()) continue;
      for (WatchReactor* r : reactors) r->Push(*set);
    }
  }
}

}  // namespace cuofeng
