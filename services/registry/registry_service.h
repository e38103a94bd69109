// RegistryService: thin handlers (authorise, validate, call the repository,
// map) over one generic implementation per standard method.
#ifndef CUOFENG_SERVICES_REGISTRY_REGISTRY_SERVICE_H_
#define CUOFENG_SERVICES_REGISTRY_REGISTRY_SERVICE_H_

#include "cuofeng/v1/registry.grpc.pb.h"
#include "services/core/call_guard.h"
#include "services/registry/resources.h"

namespace cuofeng {

class RegistryServiceImpl final : public v1::RegistryService::Service {
 public:
  explicit RegistryServiceImpl(CallGuard* guard) : guard_(guard) {}

#define CUOFENG_REGISTRY_METHODS(Msg, Plural)                                                     \
  grpc::Status Create##Msg(grpc::ServerContext* c, const v1::Create##Msg##Request* r, v1::Msg* o) \
      override {                                                                                  \
    return Create(c, "Create" #Msg, *r, o);                                                       \
  }                                                                                               \
  grpc::Status Get##Msg(grpc::ServerContext* c, const v1::Get##Msg##Request* r, v1::Msg* o)       \
      override {                                                                                  \
    return Get(c, r->name(), o);                                                                  \
  }                                                                                               \
  grpc::Status List##Plural(grpc::ServerContext* c, const v1::List##Plural##Request* r,           \
                            v1::List##Plural##Response* o) override {                             \
    return List(c, *KindByDescriptor(v1::Msg::descriptor()), *r, o);                              \
  }                                                                                               \
  grpc::Status Update##Msg(grpc::ServerContext* c, const v1::Update##Msg##Request* r, v1::Msg* o) \
      override {                                                                                  \
    return Update(c, "Update" #Msg, *r, o);                                                       \
  }                                                                                               \
  grpc::Status Delete##Msg(grpc::ServerContext* c, const v1::Delete##Msg##Request* r,             \
                           v1::DeleteResponse* o) override {                                      \
    return Delete(c, "Delete" #Msg, *KindByDescriptor(v1::Msg::descriptor()), *r, o);             \
  }

  CUOFENG_REGISTRY_METHODS(District, Districts)
  CUOFENG_REGISTRY_METHODS(Township, Townships)
  CUOFENG_REGISTRY_METHODS(Enterprise, Enterprises)
  CUOFENG_REGISTRY_METHODS(ProductionLine, ProductionLines)
  CUOFENG_REGISTRY_METHODS(Process, Processes)
  CUOFENG_REGISTRY_METHODS(Equipment, Equipment)
  CUOFENG_REGISTRY_METHODS(Meter, Meters)
  CUOFENG_REGISTRY_METHODS(MonitoringPoint, MonitoringPoints)
  CUOFENG_REGISTRY_METHODS(Camera, Cameras)
  CUOFENG_REGISTRY_METHODS(Vehicle, Vehicles)
  CUOFENG_REGISTRY_METHODS(WhitelistEntry, WhitelistEntries)
  CUOFENG_REGISTRY_METHODS(RetrofitTask, RetrofitTasks)
  CUOFENG_REGISTRY_METHODS(EmissionTotal, EmissionTotals)
  CUOFENG_REGISTRY_METHODS(ProductionLedger, ProductionLedgers)
#undef CUOFENG_REGISTRY_METHODS

  grpc::Status ImportRegistry(grpc::ServerContext* ctx,
                              grpc::ServerReader<v1::ImportRegistryRequest>* reader,
                              v1::ImportRegistryResponse* resp) override;
  grpc::Status ExportRegistry(grpc::ServerContext* ctx, const v1::ExportRegistryRequest* req,
                              grpc::ServerWriter<v1::ExportRegistryResponse>* writer) override;
  grpc::Status ReadDistrictSnapshot(grpc::ServerContext* ctx,
                                    const v1::ReadDistrictSnapshotRequest* req,
                                    grpc::ServerWriter<v1::DistrictSnapshotChunk>* writer) override;

 private:
  // Generic standard methods; requests are read by field name
  // (parent, {kind}_id, request_id, validate_only, update_mask, etag).
  grpc::Status Create(grpc::ServerContext* ctx, const char* method,
                      const google::protobuf::Message& req, google::protobuf::Message* out);
  grpc::Status Get(grpc::ServerContext* ctx, const std::string& name,
                   google::protobuf::Message* out);
  grpc::Status List(grpc::ServerContext* ctx, const ResourceKind& kind,
                    const google::protobuf::Message& req, google::protobuf::Message* resp);
  grpc::Status Update(grpc::ServerContext* ctx, const char* method,
                      const google::protobuf::Message& req, google::protobuf::Message* out);
  grpc::Status Delete(grpc::ServerContext* ctx, const char* method, const ResourceKind& kind,
                      const google::protobuf::Message& req, v1::DeleteResponse* out);

  CallGuard* guard_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_REGISTRY_REGISTRY_SERVICE_H_
