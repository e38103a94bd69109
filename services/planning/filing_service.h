// FilingService: submit, acknowledge, amend, list and verify filings (T78).
#ifndef CUOFENG_SERVICES_PLANNING_FILING_SERVICE_H_
#define CUOFENG_SERVICES_PLANNING_FILING_SERVICE_H_

#include "cuofeng/v1/planning.grpc.pb.h"
#include "services/core/call_guard.h"
#include "services/planning/obligation_cache.h"

namespace cuofeng {

class FilingServiceImpl final : public v1::FilingService::Service {
 public:
  FilingServiceImpl(CallGuard* guard, ObligationCache* cache) : guard_(guard), cache_(cache) {}

  grpc::Status SubmitList(grpc::ServerContext* ctx, const v1::SubmitListRequest* req,
                          v1::Filing* resp) override;
  grpc::Status AcknowledgeFiling(grpc::ServerContext* ctx, const v1::AcknowledgeFilingRequest* req,
                                 v1::Filing* resp) override;
  grpc::Status AmendFiling(grpc::ServerContext* ctx, const v1::AmendFilingRequest* req,
                           v1::Filing* resp) override;
  grpc::Status ListFilings(grpc::ServerContext* ctx, const v1::ListFilingsRequest* req,
                           v1::ListFilingsResponse* resp) override;
  grpc::Status VerifyChain(grpc::ServerContext* ctx, const v1::VerifyChainRequest* req,
                           v1::VerifyChainResponse* resp) override;

 private:
  CallGuard* guard_;
  ObligationCache* cache_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_FILING_SERVICE_H_
