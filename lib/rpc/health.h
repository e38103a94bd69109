// HealthService is grpc.health.v1.Health, implemented here rather than
// gRPC's built-in one so that it is visible through server reflection and
// follows what the process depends on: a process whose database is
// unreachable says NOT_SERVING, overall and for each of its services, and
// SERVING again when the database is back (Check and Watch alike).
#ifndef CUOFENG_LIB_RPC_HEALTH_H_
#define CUOFENG_LIB_RPC_HEALTH_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "lib/rpc/latest_writer.h"

namespace cuofeng {

class HealthService : public grpc::health::v1::Health::CallbackService {
 public:
  using Response = grpc::health::v1::HealthCheckResponse;

  // `services` are the full names reported ("" is the whole process).
  explicit HealthService(const std::vector<std::string>& services);

  // SetServing sets every service (and the process) SERVING or NOT_SERVING.
  void SetServing(bool serving);
  // Shutdown says NOT_SERVING for good and ends every Watch stream.
  void Shutdown();

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* ctx,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  Response* response) override;
  grpc::ServerWriteReactor<Response>* Watch(
      grpc::CallbackServerContext* ctx,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  using Channel = LatestWriter<Response>::Channel;
  Response::ServingStatus StatusOf(const std::string& service) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::set<std::string> services_ ABSL_GUARDED_BY(mu_);
  bool serving_ ABSL_GUARDED_BY(mu_) = true;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::multimap<std::string, std::shared_ptr<Channel>> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_HEALTH_H_
