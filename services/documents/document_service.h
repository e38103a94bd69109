// DocumentService renders the documents of lib/documents: it gathers what a
// document shows from the registry, planning and compliance services with the
// caller's own key (so it shows nothing the caller could not read), renders
// it and returns the bytes with their SHA-256.
#ifndef CUOFENG_SERVICES_DOCUMENTS_DOCUMENT_SERVICE_H_
#define CUOFENG_SERVICES_DOCUMENTS_DOCUMENT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/documents.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/documents/list_document.h"
#include "services/core/call_guard.h"

namespace cuofeng {

// FinishDocument fills `resp` with the bytes, their media type, suggested
// file name and SHA-256 (or returns the error that stopped them).
grpc::Status FinishDocument(absl::StatusOr<std::string> bytes, v1::DocumentFormat format,
                            const std::string& file_stem, int pages, v1::Document* resp);

class DocumentServiceImpl final : public v1::DocumentService::Service {
 public:
  // `services` serves RegistryService, the planning services and
  // ComplianceService (this process's own address when they run here).
  DocumentServiceImpl(CallGuard* guard, std::shared_ptr<grpc::Channel> services);

  grpc::Status RenderList(grpc::ServerContext* ctx, const v1::RenderListRequest* req,
                          v1::Document* resp) override;
  grpc::Status RenderPlantPlan(grpc::ServerContext* ctx, const v1::RenderPlantPlanRequest* req,
                               v1::Document* resp) override;
  grpc::Status RenderObligationNotice(grpc::ServerContext* ctx,
                                      const v1::RenderObligationNoticeRequest* req,
                                      v1::Document* resp) override;
  grpc::Status RenderCaseFile(grpc::ServerContext* ctx, const v1::RenderCaseFileRequest* req,
                              v1::Document* resp) override;
  grpc::Status RenderRegistryWorkbook(grpc::ServerContext* ctx,
                                      const v1::RenderRegistryWorkbookRequest* req,
                                      v1::Document* resp) override;
  // In city_overview.cc.
  grpc::Status RenderCityOverview(grpc::ServerContext* ctx,
                                  const v1::RenderCityOverviewRequest* req,
                                  v1::Document* resp) override;

 private:
  // LoadList reads the list, its entries (only `enterprise`'s when set), its
  // filing, season and district; with `figures`, the district snapshot too
  // (townships and equipment emissions).
  absl::Status LoadList(const grpc::ServerContext& ctx, const std::string& list,
                        const std::string& enterprise, bool figures, ListDocument* doc);
  absl::Status LoadDistrict(const grpc::ServerContext& ctx, const std::string& district,
                            DocumentContext* context);

  CallGuard* guard_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::PlanningService::Stub> planning_;
  std::unique_ptr<v1::FilingService::Stub> filing_;
  std::unique_ptr<v1::ObligationService::Stub> obligations_;
  std::unique_ptr<v1::ComplianceService::Stub> compliance_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_DOCUMENTS_DOCUMENT_SERVICE_H_
