// NotificationService: the enterprise's notifications with their delivery
// and read state (the bureau sees its district's), the read acknowledgement,
// and the contact settings that say where notifications go.
#ifndef CUOFENG_SERVICES_NOTIFY_NOTIFICATION_SERVICE_H_
#define CUOFENG_SERVICES_NOTIFY_NOTIFICATION_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "cuofeng/v1/notify.grpc.pb.h"
#include "cuofeng/v1/registry.grpc.pb.h"
#include "services/core/call_guard.h"

namespace cuofeng {

class NotificationServiceImpl final : public v1::NotificationService::Service {
 public:
  // `registry` confirms that an enterprise exists (with the caller's key);
  // `secret_key` seals webhook secrets (see channels.h).
  NotificationServiceImpl(CallGuard* guard, std::shared_ptr<grpc::Channel> registry,
                          std::string secret_key);

  grpc::Status ListNotifications(grpc::ServerContext* ctx, const v1::ListNotificationsRequest* req,
                                 v1::ListNotificationsResponse* resp) override;
  grpc::Status MarkNotificationRead(grpc::ServerContext* ctx,
                                    const v1::MarkNotificationReadRequest* req,
                                    v1::Notification* resp) override;
  grpc::Status GetContactSettings(grpc::ServerContext* ctx,
                                  const v1::GetContactSettingsRequest* req,
                                  v1::ContactSettings* resp) override;
  grpc::Status UpdateContactSettings(grpc::ServerContext* ctx,
                                     const v1::UpdateContactSettingsRequest* req,
                                     v1::ContactSettings* resp) override;

 private:
  CallGuard* guard_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::string secret_key_;
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_NOTIFY_NOTIFICATION_SERVICE_H_
