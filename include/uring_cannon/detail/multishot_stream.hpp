#pragma once
// The machinery shared by multishot operations (recv, accept): one SQE yields many CQEs. CQEs
// that arrive while the coroutine is busy are queued here, so nothing is lost and the coroutine
// reads them one by one. When the kernel ends the multishot (no IORING_CQE_F_MORE), the next
// read re-arms it; after -ENOBUFS it re-arms only once buffers have come back, never in a loop.

#include <uring_cannon/scheduler.hpp>

#include <coroutine>
#include <cstdint>
#include <vector>

namespace uring_cannon::detail {

struct cqe_record {
  int res;
  std::uint32_t flags;
};

/// `Traits` provides: `static void prepare(io_uring_sqe*, op_slot&, Stream&)`,
/// `static void discard(cqe_record, buffer_ring*)` for records never read. `buffers` is nullptr
/// when the operation takes no provided buffers.
template <class Stream>
class multishot_stream : private completion {
 public:
  multishot_stream(scheduler& s, int fd, buffer_ring* buffers)
      : completion(&multishot_stream::on_cqe, &multishot_stream::on_ready), sched_(&s), fd_(fd), buffers_(buffers) {
    queue_.reserve(8);
  }
  multishot_stream(const multishot_stream&) = delete;
  multishot_stream& operator=(const multishot_stream&) = delete;

  ~multishot_stream() {
    if (armed_) sched_->abandon(id_, *this);
    if (waiting_for_buffers_) sched_->cancel_buffer_wait(*this);
    sched_->unschedule(*this);
    for (std::size_t i = head_; i < queue_.size(); ++i) Stream::discard(queue_[i], buffers_);
  }

  int fd() const noexcept { return fd_; }
  buffer_ring* buffers() const noexcept { return buffers_; }
  bool armed() const noexcept { return armed_; }
  /// Completions received and not yet read.
  std::size_t queued() const noexcept { return queue_.size() - head_; }

 protected:
  struct next_awaiter {
    multishot_stream* stream;
    bool await_ready() const noexcept { return stream->queued() > 0; }
    void await_suspend(std::coroutine_handle<> waiter) {
      stream->waiter_ = waiter;
      if (!stream->armed_ && !stream->waiting_for_buffers_) stream->arm();
    }
    cqe_record await_resume() noexcept { return stream->pop(); }
  };
  next_awaiter next_record() noexcept { return {this}; }
  scheduler& sched() noexcept { return *sched_; }

 private:
  cqe_record pop() noexcept {
    cqe_record record = queue_[head_++];
    if (head_ == queue_.size()) {
      queue_.clear();
      head_ = 0;
    }
    return record;
  }

  void arm() {
    if (buffers_ != nullptr && buffers_->available() == 0) {
      waiting_for_buffers_ = true;
      sched_->wait_for_buffers(*buffers_, *this);
      return;
    }
    id_ = sched_->start_op(*this);
    op_slot& slot = sched_->slot(id_);
    Stream::prepare(sched_->sqe_for(id_), slot, static_cast<Stream&>(*this));
    armed_ = true;
  }

  static void on_cqe(completion& c, int res, std::uint32_t flags) noexcept {
    auto& self = static_cast<multishot_stream&>(c);
    if (!(flags & IORING_CQE_F_MORE)) self.armed_ = false;
    if (res != -ENOBUFS) self.queue_.push_back({res, flags});
    if (self.waiter_) self.sched_->schedule(self);
  }

  static void on_ready(completion& c) {
    auto& self = static_cast<multishot_stream&>(c);
    self.waiting_for_buffers_ = false;
    if (!self.waiter_) return;
    if (self.queued() == 0) {
      if (!self.armed_) self.arm();  // after -ENOBUFS, or woken because buffers came back
      return;
    }
    std::exchange(self.waiter_, {}).resume();
  }

  scheduler* sched_;
  int fd_;
  buffer_ring* buffers_;
  op_id id_{};
  bool armed_ = false;
  bool waiting_for_buffers_ = false;
  std::coroutine_handle<> waiter_;
  std::vector<cqe_record> queue_;
  std::size_t head_ = 0;
};

}  // namespace uring_cannon::detail
