// FindingWatcher: a client of ComplianceService.WatchFindings on a thread of
// its own, for the tests of live verification, which check that a finding
// was sent on the stream as well as stored.
#ifndef CUOFENG_TESTS_SUPPORT_FINDING_WATCHER_H_
#define CUOFENG_TESTS_SUPPORT_FINDING_WATCHER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "cuofeng/v1/compliance.grpc.pb.h"

namespace cuofeng {
namespace testing {

class FindingWatcher {
 public:
  // FindingWatcher starts watching the findings of `district` on the server
  // at `address` with `key`, for `limit` at the most (the call's deadline).
  FindingWatcher(const std::string& address, const std::string& key, const std::string& district,
                 absl::Duration limit);
  // The destructor stops the watch (Stop).
  ~FindingWatcher();
  FindingWatcher(const FindingWatcher&) = delete;
  FindingWatcher& operator=(const FindingWatcher&) = delete;

  // Await waits (bounded: 900 looks 200 ms apart) until `done` holds for the
  // findings received so far, and says whether it did.
  bool Await(const std::function<bool(const std::vector<v1::Finding>&)>& done);
  // Received is every finding the stream sent so far, in the order sent.
  std::vector<v1::Finding> Received();
  // Stop cancels the stream and waits for its reader; later calls do nothing.
  void Stop();

 private:
  std::unique_ptr<v1::ComplianceService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<v1::Finding>> stream_;
  std::mutex mu_;
  std::vector<v1::Finding> received_;  // guarded by mu_
  std::thread reader_;
};

}  // namespace testing
}  // namespace cuofeng

#endif  // CUOFENG_TESTS_SUPPORT_FINDING_WATCHER_H_
