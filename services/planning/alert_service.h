// AlertService: heavy-pollution alerts, each change a new revision.
#ifndef CUOFENG_SERVICES_PLANNING_ALERT_SERVICE_H_
#define CUOFENG_SERVICES_PLANNING_ALERT_SERVICE_H_

#include <memory>

#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "services/core/call_guard.h"
#include "services/planning/obligation_cache.h"

namespace cuofeng {

class AlertServiceImpl final : public v1::AlertService::Service {
 public:
  AlertServiceImpl(CallGuard* guard, ObligationCache* cache,
                   std::shared_ptr<grpc::Channel> registry)
      : guard_(guard), cache_(cache), registry_(v1::RegistryService::NewStub(registry)) {}

  grpc::Status IssueAlert(grpc::ServerContext* ctx, const v1::IssueAlertRequest* req,
                          v1::Alert* resp) override;
  grpc::Status ChangeAlert(grpc::ServerContext* ctx, const v1::ChangeAlertRequest* req,
                           v1::Alert* resp) override;
  grpc::Status LiftAlert(grpc::ServerContext* ctx, const v1::LiftAlertRequest* req,
                         v1::Alert* resp) override;
  grpc::Status GetAlert(grpc::ServerContext* ctx, const v1::GetAlertRequest* req,
                        v1::Alert* resp) override;
  grpc::Status ListAlerts(grpc::ServerContext* ctx, const v1::ListAlertsRequest* req,
                          v1::ListAlertsResponse* resp) override;
  grpc::Status PreviewAlert(grpc::ServerContext* ctx, const v1::PreviewAlertRequest* req,
                            v1::PreviewAlertResponse* resp) override;

 private:
  // Appends a revision built from the latest one by `change`.
  grpc::Status Revise(grpc::ServerContext* ctx, const char* method, const std::string& name,
                      const std::string& request_id, v1::Alert* resp,
                      const std::function<absl::Status(v1::Alert&)>& change);

  CallGuard* guard_;
  ObligationCache* cache_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_ALERT_SERVICE_H_
