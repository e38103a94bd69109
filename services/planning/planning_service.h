// PlanningService: rule sets, seasons, list generation, explain and diff.
// It reads the registry only through RegistryService, forwarding the
// caller's key, so the caller's scope limits what a list can see.
#ifndef CUOFENG_SERVICES_PLANNING_PLANNING_SERVICE_H_
#define CUOFENG_SERVICES_PLANNING_PLANNING_SERVICE_H_

#include <memory>

#include "cuofeng/v1/compliance.grpc.pb.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "lib/rules/engine.h"
#include "services/core/call_guard.h"

namespace cuofeng {

class PlanningServiceImpl final : public v1::PlanningService::Service {
 public:
  // `compliance`, when given, serves ComplianceService: list generation
  // reads the measured CEMS transmission from it (measured_transmission.h);
  // without it the rules judge the declared rates alone.
  PlanningServiceImpl(CallGuard* guard, std::shared_ptr<grpc::Channel> registry,
                      std::shared_ptr<grpc::Channel> compliance = nullptr)
      : guard_(guard),
        registry_(v1::RegistryService::NewStub(registry)),
        compliance_(compliance ? v1::ComplianceService::NewStub(compliance) : nullptr) {}

  grpc::Status CreateRuleSet(grpc::ServerContext* ctx, const v1::CreateRuleSetRequest* req,
                             v1::RuleSet* resp) override;
  grpc::Status GetRuleSet(grpc::ServerContext* ctx, const v1::GetRuleSetRequest* req,
                          v1::RuleSet* resp) override;
  grpc::Status ListRuleSets(grpc::ServerContext* ctx, const v1::ListRuleSetsRequest* req,
                            v1::ListRuleSetsResponse* resp) override;
  grpc::Status CreateSeason(grpc::ServerContext* ctx, const v1::CreateSeasonRequest* req,
                            v1::Season* resp) override;
  grpc::Status GetSeason(grpc::ServerContext* ctx, const v1::GetSeasonRequest* req,
                         v1::Season* resp) override;
  grpc::Status UpdateSeason(grpc::ServerContext* ctx, const v1::UpdateSeasonRequest* req,
                            v1::Season* resp) override;
  grpc::Status GenerateList(grpc::ServerContext* ctx, const v1::GenerateListRequest* req,
                            v1::ListVersion* resp) override;
  grpc::Status GetListVersion(grpc::ServerContext* ctx, const v1::GetListVersionRequest* req,
                              v1::ListVersion* resp) override;
  grpc::Status ListListVersions(grpc::ServerContext* ctx, const v1::ListListVersionsRequest* req,
                                v1::ListListVersionsResponse* resp) override;
  grpc::Status ListEntries(grpc::ServerContext* ctx, const v1::ListEntriesRequest* req,
                           v1::ListEntriesResponse* resp) override;
  grpc::Status ExplainEntry(grpc::ServerContext* ctx, const v1::ExplainEntryRequest* req,
                            v1::ExplainEntryResponse* resp) override;
  grpc::Status DiffLists(grpc::ServerContext* ctx, const v1::DiffListsRequest* req,
                         v1::DiffListsResponse* resp) override;
  grpc::Status ListSeasons(grpc::ServerContext* ctx, const v1::ListSeasonsRequest* req,
                           v1::ListSeasonsResponse* resp) override;

 private:
  // ReadSnapshot streams the district from RegistryService as the caller.
  absl::StatusOr<RegistrySnapshot> ReadSnapshot(const grpc::ServerContext* ctx,
                                                const std::string& district, std::string* sha256);
  // CheckListRead asks the access table whether the caller may call
  // `method` on `list`; an enterprise key is narrowed to its own entries
  // (`enterprise` is set to its scope and `narrowed` to true: such a caller
  // reads filed lists only).
  absl::Status CheckListRead(const grpc::ServerContext* ctx, const char* method,
                             const std::string& list, std::string* enterprise, bool* narrowed);

  CallGuard* guard_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::ComplianceService::Stub> compliance_;  // null: none
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_PLANNING_SERVICE_H_
