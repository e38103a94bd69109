// LatestWriter is a server-streaming reactor for "here is the state now"
// streams (health Watch, WatchObligations): a slow client never makes the
// server queue more than one pending message, because a newer state replaces
// the one not yet written. Push may be called from any thread at any time,
// also after the stream ended (it is then ignored); gRPC is never called
// under the lock, and nothing is written after Finish.
#ifndef CUOFENG_LIB_RPC_LATEST_WRITER_H_
#define CUOFENG_LIB_RPC_LATEST_WRITER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>

#include "absl/synchronization/mutex.h"

namespace cuofeng {

template <typename T>
class LatestWriter {
 public:
  class Reactor;
  // Channel is the producer's handle: it outlives the reactor, so a producer
  // that kept it can Push after the client went away.
  class Channel {
   public:
    // Push offers the newest state; an unsent older one is dropped.
    void Push(T value) {
      Reactor* start = nullptr;
      {
        absl::MutexLock lock(&mu_);
        if (ended_ || reactor_ == nullptr) return;
        pending_ = std::move(value);
        if (writing_) return;
        writing_ = true;
        current_ = std::move(*pending_);
        pending_.reset();
        start = reactor_;
      }
      start->StartWrite(&current_);
    }
    // End finishes the stream with `status` after the message being written.
    void End(const grpc::Status& status) {
      Reactor* finish = nullptr;
      {
        absl::MutexLock lock(&mu_);
        if (ended_ || reactor_ == nullptr) return;
        ended_ = true;
        end_status_ = status;
        if (writing_) return;  // OnWriteDone finishes
        writing_ = true;
        finish = reactor_;
      }
      finish->Finish(status);
    }
    // Done tells whether the stream has ended (cancelled, broken or finished).
    bool Done() {
      absl::MutexLock lock(&mu_);
      return ended_;
    }

   private:
    friend class LatestWriter;
    absl::Mutex mu_;
    Reactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;
    std::optional<T> pending_ ABSL_GUARDED_BY(mu_);
    T current_;  // owned by the writer of the moment (writing_)
    bool writing_ ABSL_GUARDED_BY(mu_) = false;
    bool ended_ ABSL_GUARDED_BY(mu_) = false;
    grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
  };

  class Reactor : public grpc::ServerWriteReactor<T> {
   public:
    // on_done runs once when gRPC is done with the stream (unregister there).
    Reactor(std::shared_ptr<Channel> channel, std::function<void()> on_done)
        : channel_(std::move(channel)), on_done_(std::move(on_done)) {
      absl::MutexLock lock(&channel_->mu_);
      channel_->reactor_ = this;
    }

    void OnWriteDone(bool ok) override {
      enum { kIdle, kWrite, kFinish } next = kIdle;
      grpc::Status status;
      {
        absl::MutexLock lock(&channel_->mu_);
        if (!ok && !channel_->ended_) {
          channel_->ended_ = true;
          channel_->end_status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream broke");
        }
        if (channel_->ended_) {
          next = kFinish;  // writing_ stays set: nobody writes again
          status = channel_->end_status_;
        } else if (channel_->pending_.has_value()) {
          channel_->current_ = std::move(*channel_->pending_);
          channel_->pending_.reset();
          next = kWrite;
        } else {
          channel_->writing_ = false;
        }
      }
      if (next == kWrite) this->StartWrite(&channel_->current_);
      if (next == kFinish) this->Finish(status);
    }

    void OnCancel() override { channel_->End(grpc::Status::CANCELLED); }

    void OnDone() override {
      {
        absl::MutexLock lock(&channel_->mu_);
        channel_->reactor_ = nullptr;
        channel_->ended_ = true;
      }
      if (on_done_) on_done_();
      delete this;
    }

   private:
    std::shared_ptr<Channel> channel_;
    std::function<void()> on_done_;
  };

  // Refused is a stream that ends with `status` before writing anything.
  class Refused : public grpc::ServerWriteReactor<T> {
   public:
    explicit Refused(const grpc::Status& status) { this->Finish(status); }
    void OnDone() override { delete this; }
  };
};

}  // namespace cuofeng

#endif  // CUOFENG_LIB_RPC_LATEST_WRITER_H_
