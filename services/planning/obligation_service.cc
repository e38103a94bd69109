#include "services/planning/obligation_service.h"

#include <algorithm>
#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/model/clock.h"
#include "lib/model/identifiers.h"
#include "lib/rpc/status.h"
#include "lib/rules/obligations.h"
#include "lib/status/errors.h"

namespace cuofeng {

namespace {

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
    Job job;
    job.district = district;
    Enqueue(std::move(job));
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

void ObligationServiceImpl::Enqueue(Job job) {
  absl::MutexLock lock(&queue_mu_);
  if (job.start == nullptr) {
    // A district already waiting will be recomputed from the newest state.
    if (!queued_districts_.insert(job.district).second) return;
  }
  queue_.push_back(std::move(job));
}

void ObligationServiceImpl::FanOutLoop() {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return stopping_ || !queue_.empty();
      };
      queue_mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      if (job.start == nullptr) queued_districts_.erase(job.district);
    }
    if (job.start != nullptr) {
      Start(job.start);
    } else {
      OnChange(job.district);
    }
  }
}

void ObligationServiceImpl::Send(Watch& watch, const v1::ObligationSet& set) {
  // `at` differs on every computation; compare what binds.
  v1::ObligationSet comparable = set;
  comparable.clear_at();
  std::string bytes = comparable.SerializeAsString();
  if (bytes == watch.last_sent) return;
  watch.last_sent = std::move(bytes);
  watch.channel->Push(set);
}

void ObligationServiceImpl::Start(const std::shared_ptr<Watch>& watch) {
  auto principal =
      guard_->CheckAuthorization(watch->authorization, "WatchObligations", watch->enterprise);
  if (!principal.ok()) {
    watch->channel->End(ToGrpcStatus(principal.status()));
    return;
  }
  if (watch->district.empty()) {
    watch->channel->End(ToGrpcStatus(
        InvalidArgumentWithViolations({{"enterprise", "须为 districts/{d}/enterprises/{e}"}})));
    return;
  }
  // Registered before the first set is computed, so no change falls between.
  {
    absl::MutexLock lock(&mu_);
    if (watch->channel->Done()) return;
    watchers_[watch->district][watch->enterprise].push_back(watch);
  }
  auto set = Compute(watch->enterprise, Now());
  if (!set.ok()) {
    watch->channel->End(ToGrpcStatus(set.status()));
    return;
  }
  Send(*watch, *set);
}

void ObligationServiceImpl::Unregister(const Watch* watch) {
  absl::MutexLock lock(&mu_);
  auto d = watchers_.find(watch->district);
  if (d == watchers_.end()) return;
  auto e = d->second.find(watch->enterprise);
  if (e == d->second.end()) return;
  auto& streams = e->second;
  streams.erase(std::remove_if(streams.begin(), streams.end(),
                               [&](const std::shared_ptr<Watch>& w) { return w.get() == watch; }),
                streams.end());
  if (streams.empty()) d->second.erase(e);
  if (d->second.empty()) watchers_.erase(d);
}

absl::StatusOr<v1::ObligationSet> ObligationServiceImpl::Compute(const std::string& enterprise,
                                                                 absl::Time at, bool synced) {
  const std::string district = DistrictOf(enterprise);
  if (district.empty()) {
    return InvalidArgumentWithViolations({{"enterprise", "须为 districts/{d}/enterprises/{e}"}});
  }
  auto view = cache_->Get(district, synced);
  if (!view.ok()) return view.status();
  return ObligationsAt(*view->lists, *view->alerts, district, enterprise, at);
}

grpc::Status ObligationServiceImpl::GetObligations(grpc::ServerContext* ctx,
                                                   const v1::GetObligationsRequest* req,
                                                   v1::ObligationSet* resp) {
  auto principal = guard_->Check(ctx, "GetObligations", req->enterprise());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  {
    const std::vector<std::string> p = absl::StrSplit(req->enterprise(), '/');
    if (p.size() != 4 || p[0] != "districts" || p[2] != "enterprises" ||
        !ValidateResourceId(p[1]).ok() || !ValidateResourceId(p[3]).ok()) {
      return ToGrpcStatus(InvalidArgumentWithViolations(
          {{"enterprise", "须为 districts/{district}/enterprises/{enterprise}"}}));
    }
  }
  const absl::Time at = req->has_at() ? ToTime(req->at()) : Now();
  // After Sync, the cache has heard of every change committed before this
  // call, through any process; the version read next covers them.
  const bool synced = cache_->Sync().ok();
  const uint64_t version = cache_->version();
  if (synced) {
    // Nothing changes inside a window: answer from the last computation.
    absl::MutexLock lock(&memo_mu_);
    auto it = memo_.find(req->enterprise());
    if (it != memo_.end() && it->second.version == version && it->second.from <= at &&
        at < it->second.until) {
      *resp = it->second.set;
      *resp->mutable_at() = ToTimestamp(at);  // this request's instant, not the memo's
      return grpc::Status::OK;
    }
  }
  auto set = Compute(req->enterprise(), at, synced);
  if (!set.ok()) return ToGrpcStatus(set.status());
  if (set->obligations_size() > 0 && set->obligations(0).has_window_start() &&
      set->obligations(0).has_window_end()) {
    absl::MutexLock lock(&memo_mu_);
    memo_[req->enterprise()] = Memo{*set, version, ToTime(set->obligations(0).window_start()),
                                    ToTime(set->obligations(0).window_end())};
  }
  *resp = std::move(*set);
  return grpc::Status::OK;
}

grpc::Status ObligationServiceImpl::ListObligationWindows(
    grpc::ServerContext* ctx, const v1::ListObligationWindowsRequest* req,
    v1::ListObligationWindowsResponse* resp) {
  auto principal = guard_->Check(ctx, "ListObligationWindows", req->district());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<std::string> parts = absl::StrSplit(req->district(), '/');
  std::vector<FieldViolation> v;
  if (parts.size() != 2 || parts[0] != "districts")
    v.push_back({"district", "须为 districts/{district}"});
  if (!req->has_from()) v.push_back({"from", "必填"});
  if (!req->has_to()) v.push_back({"to", "必填"});
  if (req->has_from() && req->has_to() && req->to().seconds() <= req->from().seconds()) {
    v.push_back({"to", "须晚于 from"});
  }
  if (!v.empty()) return ToGrpcStatus(InvalidArgumentWithViolations(std::move(v)));
  auto view = cache_->Get(parts[1]);
  if (!view.ok()) return ToGrpcStatus(view.status());
  for (auto& o : ObligationWindows(*view->lists, *view->alerts, parts[1], ToTime(req->from()),
                                   ToTime(req->to()))) {
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
    if (l.in_force_until != absl::InfiniteFuture())
      *info->mutable_in_force_until() = ToTimestamp(l.in_force_until);
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::ObligationSet>* ObligationServiceImpl::WatchObligations(
    grpc::CallbackServerContext* ctx, const v1::WatchObligationsRequest* req) {
  auto watch = std::make_shared<Watch>();
  watch->channel = std::make_shared<Channel>();
  watch->enterprise = req->enterprise();
  watch->district = DistrictOf(req->enterprise());
  auto header = ctx->client_metadata().find("authorization");
  if (header != ctx->client_metadata().end()) {
    watch->authorization.assign(header->second.data(), header->second.size());
  }
  const Watch* key = watch.get();
  auto* reactor = new LatestWriter<v1::ObligationSet>::Reactor(watch->channel,
                                                               [this, key] { Unregister(key); });
  Job job;
  job.start = std::move(watch);
  Enqueue(std::move(job));
  return reactor;
}

void ObligationServiceImpl::OnChange(const std::string& district) {
  // Who to tell, gathered under mu_; the sets computed outside it.
  std::vector<std::pair<std::string, std::vector<std::shared_ptr<Watch>>>> targets;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [d, enterprises] : watchers_) {
      if (!district.empty() && d != district) continue;
      for (auto& [enterprise, streams] : enterprises) targets.emplace_back(enterprise, streams);
    }
  }
  const absl::Time now = Now();
  for (auto& [enterprise, streams] : targets) {
    auto set = Compute(enterprise, now);
    if (!set.ok()) continue;
    for (const std::shared_ptr<Watch>& w : streams) {
      if (!w->channel->Done()) Send(*w, *set);
    }
  }
}

}  // namespace cuofeng
