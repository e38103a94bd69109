// AdminService: API keys and the audit log.
#ifndef CUOFENG_SERVICES_CORE_ADMIN_SERVICE_H_
#define CUOFENG_SERVICES_CORE_ADMIN_SERVICE_H_

#include "cuofeng/v1/admin.grpc.pb.h"
#include "services/core/call_guard.h"

namespace cuofeng {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(CallGuard* guard) : guard_(guard) {}

  grpc::Status CreateApiKey(grpc::ServerContext* ctx, const v1::CreateApiKeyRequest* req,
                            v1::CreateApiKeyResponse* resp) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* ctx, const v1::RevokeApiKeyRequest* req,
                            v1::ApiKey* resp) override;
  grpc::Status GetCaller(grpc::ServerContext* ctx, const v1::GetCallerRequest* req,
                         v1::ApiKey* resp) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* ctx, const v1::ListAuditEntriesRequest* req,
                                v1::ListAuditEntriesResponse* resp) override;

 private:
  CallGuard* guard_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_CORE_ADMIN_SERVICE_H_
