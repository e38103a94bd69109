#include "tests/support/finding_watcher.h"

#include <chrono>

#include "absl/time/clock.h"
#include "tests/support/test_env.h"
#include "tools/cli/client_lib.h"

namespace cuofeng {
namespace testing {

FindingWatcher::FindingWatcher(const std::string& address, const std::string& key,
                               const std::string& district, absl::Duration limit)
    : stub_(v1::ComplianceService::NewStub(Connect(address))), ctx_(KeyContext(key)) {
  ctx_->set_deadline(absl::ToChronoTime(absl::Now() + limit));
  v1::WatchFindingsRequest req;
  req.set_parent(district);
  stream_ = stub_->WatchFindings(ctx_.get(), req);
  reader_ = std::thread([this] {
    v1::Finding f;
    while (stream_->Read(&f)) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(f);
    }
  });
}

FindingWatcher::~FindingWatcher() { Stop(); }

bool FindingWatcher::Await(const std::function<bool(const std::vector<v1::Finding>&)>& done) {
  for (int i = 0; i < 900; ++i) {
    if (done(Received())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::vector<v1::Finding> FindingWatcher::Received() {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

void FindingWatcher::Stop() {
  if (!reader_.joinable()) return;
  ctx_->TryCancel();
  reader_.join();
  (void)stream_->Finish();
}

}  // namespace testing
}  // namespace cuofeng
