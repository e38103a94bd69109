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
#include "lib/rpc/latest_writer.h"
#include "services/core/call_guard.h"
#include "services/planning/obligation_cache.h"

namespace cuofeng {

class ObligationServiceImpl final
    : public v1::ObligationService::WithCallbackMethod_WatchObligations<
          v1::ObligationService::Service> {
 public:
  ObligationServiceImpl(CallGuard* guard, ObligationCache* cache);
  ~ObligationServiceImpl() override;

  grpc::Status GetObligations(grpc::ServerContext* ctx, const v1::GetObligationsRequest* req,
                              v1::ObligationSet* resp) override;
  grpc::Status ListObligationWindows(grpc::ServerContext* ctx,
                                     const v1::ListObligationWindowsRequest* req,
                                     v1::ListObligationWindowsResponse* resp) override;
  // WatchObligations does no blocking work on gRPC's callback thread: the
  // stream is opened at once, and the fan-out thread checks the key, sends
  // the current set and then one set per change that alters it.
  grpc::ServerWriteReactor<v1::ObligationSet>* WatchObligations(
      grpc::CallbackServerContext* ctx, const v1::WatchObligationsRequest* req) override;

 private:
  using Channel = LatestWriter<v1::ObligationSet>::Channel;
  // One open stream. A slow client holds at most one unsent set (the
  // newest); `last_sent` is touched by the fan-out thread only.
  struct Watch {
    std::shared_ptr<Channel> channel;
    std::string enterprise;
    std::string district;
    std::string authorization;  // the caller's header, checked on the fan-out thread
    std::string last_sent;      // serialized, to skip sets that did not change
  };
  // A job for the fan-out thread: start a stream, or recompute a district's
  // ("" for all) watchers after a change.
  struct Job {
    std::shared_ptr<Watch> start;
    std::string district;
  };

  absl::StatusOr<v1::ObligationSet> Compute(const std::string& enterprise, absl::Time at,
                                            bool synced = false);
  void Enqueue(Job job);
  void Start(const std::shared_ptr<Watch>& watch);
  void OnChange(const std::string& district_id);
  void Send(Watch& watch, const v1::ObligationSet& set);
  void Unregister(const Watch* watch);
  // The fan-out runs on its own thread, so that the call that changed
  // something (IssueAlert, AcknowledgeFiling) does not wait for it, and no
  // gRPC thread computes.
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
  std::deque<Job> queue_ ABSL_GUARDED_BY(queue_mu_);
  std::set<std::string> queued_districts_ ABSL_GUARDED_BY(queue_mu_);  // coalesces changes
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread fan_out_;
  absl::Mutex memo_mu_;
  std::map<std::string, Memo> memo_ ABSL_GUARDED_BY(memo_mu_);
  absl::Mutex mu_;
  // District id → enterprise → its open streams.
  std::map<std::string, std::map<std::string, std::vector<std::shared_ptr<Watch>>>> watchers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cuofeng

#endif  // CUOFENG_SERVICES_PLANNING_OBLIGATION_SERVICE_H_
