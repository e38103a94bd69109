// ObligationService: what binds each enterprise now or at any time, and a
// stream that pushes a new set on every change touching the enterprise.
#ifndef CUOFENG_SERVICES_PLANNING_OBLIGATION_SERVICE_H_
#define CUOFENG_SERVICES_PLANNING_OBLIGATION_SERVICE_H_

#include <deque>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cuofeng/v1/planning.grpc.pb.h"
#include "services/core/call_guard.h"
#include "services/planning/obligation_cache.h"

namespace cuofeng {

class WatchReactor;

class ObligationServiceImpl final
    : public v1::ObligationService::WithCallbackMethod_WatchObligations<v1::ObligationService::Service> {
 public:
  ObligationServiceImpl(CallGuard* guard, ObligationCache* cache);
  ~ObligationServiceImpl() override;

  grpc::Status GetObligations(grpc::ServerContext* ctx, const v1::GetObligationsRequest* req,
                              v1::ObligationSet* resp) override;
  grpc::Status ListObligationWindows(grpc::ServerContext* ctx, const v1::ListObligationWindowsRequest* req,
                                     v1::ListObligationWindowsResponse* resp) override;
  grpc::ServerWriteReactor<v1::ObligationSet>* WatchObligations(grpc::CallbackServerContext* ctx,
                                                                const v1::WatchObligationsRequest* req) override;

  // Called by a reactor when its stream is done.
  void Unregister(WatchReactor* reactor);

 private:
  absl::StatusOr<v1::ObligationSet> Compute(const std::string& enterprise, absl::Time at);
  // Pushes a new set to every watcher in `district_id` ("" for all).
  void OnChange(const std::string& district_id);
  // The fan-out runs on its own thread, so that the call that changed
  // something (IssueAlert, AcknowledgeFiling) does not wait for it.
  void FanOutLoop();

  // The last set computed per enterprise, valid at cache version `version`
  // between `from` and `until` (its obligations' common window).
  struct Memo {
    v1::ObligationSet set;
    uint64_t version = 0;
    absl::Time from, until;
  };

  CallGuard* guard_;
  ObligationCache* cache_;
  int watcher_id_;
  absl::Mutex queue_mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread fan_out_;
  absl::Mutex memo_mu_;
  std::map<std::string, Memo> memo_ ABSL_GUARDED_BY(memo_mu_);
  absl::Mutex mu_;
  // District id → enterprise → its open streams.
  std::map<std::string, std::map<std::string, std::set<WatchReactor*>>> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_OBLIGATION_SERVICE_H_
