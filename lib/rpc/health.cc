#include "lib/rpc/health.h"

namespace cuofeng {

HealthService::HealthService(const std::vector<std::string>& services) {
  absl::MutexLock lock(&mu_);
  services_.insert("");
  services_.insert(services.begin(), services.end());
}

HealthService::Response::ServingStatus HealthService::StatusOf(const std::string& service) {
  if (services_.count(service) == 0) return Response::SERVICE_UNKNOWN;
  return serving_ && !shut_down_ ? Response::SERVING : Response::NOT_SERVING;
}

void HealthService::SetServing(bool serving) {
  std::vector<std::pair<std::shared_ptr<Channel>, Response>> sends;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_ || serving_ == serving) return;
    serving_ = serving;
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      if (it->second->Done()) {
        it = watchers_.erase(it);
        continue;
      }
      Response r;
      r.set_status(StatusOf(it->first));
      sends.emplace_back(it->second, r);
      ++it;
    }
  }
  for (auto& [channel, response] : sends) channel->Push(response);
}

void HealthService::Shutdown() {
  std::vector<std::shared_ptr<Channel>> channels;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (auto& [service, channel] : watchers_) channels.push_back(channel);
    watchers_.clear();
  }
  Response r;
  r.set_status(Response::NOT_SERVING);
  for (auto& channel : channels) {
    channel->Push(r);
    channel->End(grpc::Status::OK);
  }
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* ctx,
                                               const grpc::health::v1::HealthCheckRequest* request,
                                               Response* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Response::ServingStatus status;
  {
    absl::MutexLock lock(&mu_);
    status = StatusOf(request->service());
  }
  if (status == Response::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "this process does not serve " + request->service()));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthService::Response>* HealthService::Watch(
    grpc::CallbackServerContext* ctx, const grpc::health::v1::HealthCheckRequest* request) {
  auto channel = std::make_shared<Channel>();
  Channel* key = channel.get();
  auto* reactor = new LatestWriter<Response>::Reactor(channel, [this, key] {
    absl::MutexLock lock(&mu_);
    for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
      if (it->second.get() == key) {
        watchers_.erase(it);
        break;
      }
    }
  });
  Response first;
  {
    absl::MutexLock lock(&mu_);
    first.set_status(StatusOf(request->service()));
    if (!shut_down_) watchers_.emplace(request->service(), channel);
  }
  channel->Push(first);
  return reactor;
}

}  // namespace cuofeng
