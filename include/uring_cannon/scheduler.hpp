#pragma once
// The event loop of one thread: one ring, one op table, the root tasks it owns. Each turn resumes
// what is ready, submits every SQE prepared meanwhile and waits in one io_uring_enter, then
// drains completions in two phases: route each CQE to its owner (record only), advance the CQ,
// and only then resume the coroutines that became ready.

#include <uring_cannon/buffer_ring.hpp>
#include <uring_cannon/op_table.hpp>
#include <uring_cannon/ring.hpp>
#include <uring_cannon/task.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

namespace uring_cannon {

using clock = std::chrono::steady_clock;

class scheduler;

/// Base of everything that owns an in-flight operation (op awaiters, multishot streams). Routing
/// goes through two plain function pointers rather than virtual calls: phase one records a CQE,
/// phase two acts on it.
class completion {
 public:
  using cqe_handler = void (*)(completion&, int res, std::uint32_t flags) noexcept;
  using ready_handler = void (*)(completion&);

  completion(const completion&) = delete;
  completion& operator=(const completion&) = delete;

 protected:
  completion(cqe_handler on_cqe, ready_handler on_ready) noexcept : on_cqe_(on_cqe), on_ready_(on_ready) {}
  ~completion() = default;

 private:
  friend class scheduler;
  cqe_handler on_cqe_;
  ready_handler on_ready_;
  bool queued_ = false;
};

/// Counters of what the scheduler routed; every CQE lands in exactly one of the first four.
struct scheduler_stats {
  std::uint64_t routed = 0;    ///< delivered to a live owner
  std::uint64_t stale = 0;     ///< owner gone or generation moved on: dropped on purpose
  std::uint64_t internal = 0;  ///< cancels, closes, wakeups, linked timeouts
  std::uint64_t unknown = 0;   ///< user_data this scheduler never produced (a bug if non-zero)
  std::uint64_t stale_buffers_returned = 0;
  std::uint64_t turns = 0;
};

struct scheduler_options {
  ring_options ring{};
};

/// One per thread. Create it on the thread that runs it (the ring is single-issuer).
class scheduler final : private detail::root_observer {
 public:
  explicit scheduler(scheduler_options options = {}) : ring_(options.ring) {
    wakeup_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeup_fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd");
    arm_wakeup();
    ready_.reserve(1024);
    finished_roots_.reserve(64);
  }

  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  /// Destroys the root tasks still alive (their operations are cancelled), then waits briefly for
  /// the kernel to finish with every slot before the ring and the buffers go away.
  ~scheduler() {
    for (auto root : roots_) root.destroy();
    roots_.clear();
    const auto deadline = clock::now() + std::chrono::seconds(2);
    while (busy() && clock::now() < deadline) {
      __kernel_timespec ts{0, 50'000'000};
      ring_.submit_and_wait(&ts);
      drain();
      ready_.clear();
    }
    if (wakeup_fd_ >= 0) ::close(wakeup_fd_);
  }

  // ---- running -------------------------------------------------------------------------------

  /// Takes ownership of a root task and starts it on the next turn.
  void spawn(task<> root) {
    auto handle = root.release();
    handle.promise().set_observer(this);
    roots_.push_back(handle);
    to_start_.push_back(handle);
  }

  /// Runs until every root task has finished or stop() is called. Rethrows the first exception
  /// that escaped a root task.
  void run() {
    while (!roots_.empty() && !stopping()) turn(nullptr);
    finish_run();
  }

  /// Like run(), but returns after `duration` at the latest.
  template <class Rep, class Period>
  void run_for(std::chrono::duration<Rep, Period> duration) {
    run_until(clock::now() + std::chrono::duration_cast<clock::duration>(duration));
  }
  void run_until(clock::time_point deadline) {
    while (!roots_.empty() && !stopping() && clock::now() < deadline) turn(&deadline);
    finish_run();
  }

  /// Runs the loop until no operation is in flight (cancelled ones drained), or `limit` passes.
  /// Returns true when everything drained.
  bool settle(clock::duration limit = std::chrono::seconds(1)) {
    const auto deadline = clock::now() + limit;
    while (busy() && clock::now() < deadline) turn(&deadline);
    return !busy();
  }

  /// Runs the loop until `t` finishes, and returns its result (or rethrows its exception).
  /// Root tasks spawned meanwhile run too.
  template <class T>
  T block_on(task<T> t) {
    auto handle = t.handle();
    handle.resume();
    while (!handle.done()) turn(nullptr);
    return handle.promise().take_result();
  }

  /// Makes run() return after the current turn. Call from the scheduler's own thread.
  void stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }

  /// Like stop(), from any thread or a signal handler.
  void request_stop() noexcept {
    stop_requested_.store(true, std::memory_order_relaxed);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wakeup_fd_, &one, sizeof one);
  }
  bool stopping() const noexcept { return stop_requested_.load(std::memory_order_relaxed); }

  std::size_t root_count() const noexcept { return roots_.size(); }
  std::uint32_t ops_in_flight() const noexcept { return ops_.in_use(); }
  const scheduler_stats& stats() const noexcept { return stats_; }
  ring& io_ring() noexcept { return ring_; }
  const ring_features& features() const noexcept { return ring_.features(); }

  // ---- buffers -------------------------------------------------------------------------------

  /// A provided-buffer ring owned by this scheduler (so it outlives every lease and receive).
  buffer_ring& make_buffer_ring(unsigned count, std::uint32_t buffer_size) {
    const auto group = static_cast<std::uint16_t>(buffer_rings_.size());
    buffer_rings_.push_back(std::make_unique<buffer_ring>(ring_, group, count, buffer_size));
    return *buffer_rings_.back();
  }

  /// Schedules `waiter` once `ring` has a free buffer again (used after -ENOBUFS).
  void wait_for_buffers(buffer_ring& ring, completion& waiter) {
    buffer_waiters_.push_back({&ring, &waiter});
    ring.set_refill_callback(&scheduler::on_refill, this);
  }
  void cancel_buffer_wait(completion& waiter) noexcept {
    std::erase_if(buffer_waiters_, [&](const buffer_waiter& w) { return w.waiter == &waiter; });
  }

  // ---- the op table, for operation types ------------------------------------------------------

  /// Takes a slot for an operation owned by `owner` that will produce `final_cqes` final CQEs.
  op_id start_op(completion& owner, std::uint16_t final_cqes = 1) { return ops_.acquire(&owner, final_cqes); }
  op_slot& slot(op_id id) noexcept { return ops_[id.slot]; }

  /// A fresh SQE tagged with `id`.
  io_uring_sqe* sqe_for(op_id id, cqe_kind kind = cqe_kind::op) noexcept {
    io_uring_sqe* sqe = ring_.get_sqe();
    io_uring_sqe_set_data64(sqe, id.user_data(kind));
    return sqe;
  }

  /// An untracked SQE whose CQE is counted and dropped (internal cancels and closes).
  io_uring_sqe* internal_sqe(cqe_kind kind) noexcept {
    if (kind == cqe_kind::cancel || kind == cqe_kind::close) ++internal_in_flight_;
    io_uring_sqe* sqe = ring_.get_sqe();
    io_uring_sqe_set_data64(sqe, std::uint64_t(kind) << 56);
    return sqe;
  }

  /// True while `id` is the live operation of `owner`.
  bool owns(op_id id, const completion& owner) noexcept {
    return ops_.current(id) && ops_[id.slot].owner == &owner;
  }

  /// The owner of `id` is going away. Later CQEs become stale; an operation still running is
  /// cancelled by its full user_data, so a late cancel can never hit the slot's next tenant.
  void abandon(op_id id, const completion& owner) noexcept {
    if (!owns(id, owner)) return;
    op_slot& s = ops_[id.slot];
    const std::uint64_t user_data = id.user_data(cqe_kind::op);
    if (s.pending == 0) {
      ops_.release(id.slot);
      return;
    }
    ops_.orphan(id.slot);
    if (!s.primary_done && !s.cancel_sent) {
      s.cancel_sent = true;
      io_uring_prep_cancel64(internal_sqe(cqe_kind::cancel), user_data, 0);
    }
  }

  /// Asks for `owner`'s on_ready handler to run in phase two of this turn.
  void schedule(completion& owner) {
    if (owner.queued_) return;
    owner.queued_ = true;
    ready_.push_back(&owner);
  }
  /// Withdraws a scheduled owner that is being destroyed.
  void unschedule(completion& owner) noexcept {
    if (!owner.queued_) return;
    owner.queued_ = false;
    std::replace(ready_.begin(), ready_.end(), &owner, static_cast<completion*>(nullptr));
  }

 private:
  struct buffer_waiter {
    buffer_ring* ring;
    completion* waiter;
  };

  // Submit and wait (unless work is already ready), route the completions, then resume.
  void turn(const clock::time_point* deadline) {
    ++stats_.turns;
    if (!ready_.empty() || !to_start_.empty()) {
      ring_.submit();
    } else if (deadline != nullptr) {
      const auto left = std::max(clock::duration::zero(), *deadline - clock::now());
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
      ring_.submit_and_wait(&ts);
    } else {
      ring_.submit_and_wait(nullptr);
    }
    drain();
    run_ready();
  }

  void run_ready() {
    for (std::size_t i = 0; i < to_start_.size(); ++i) to_start_[i].resume();
    to_start_.clear();
    // Handlers may schedule more work; index-based so the vector may grow under us.
    for (std::size_t i = 0; i < ready_.size(); ++i) {
      completion* owner = ready_[i];
      if (owner == nullptr) continue;
      owner->queued_ = false;
      owner->on_ready_(*owner);
    }
    ready_.clear();
    reap_finished_roots();
  }

  void drain() {
    io_uring_cqe* cqes[256];
    for (;;) {
      const unsigned count = ring_.peek_batch(cqes, 256);
      for (unsigned i = 0; i < count; ++i) route(*cqes[i]);
      ring_.cq_advance(count);
      if (count < 256) break;
    }
  }

  void route(const io_uring_cqe& cqe) noexcept {
    const cqe_kind kind = op_id::kind_of(cqe.user_data);
    if (kind == cqe_kind::op || kind == cqe_kind::link_timeout) {
      const op_id id = op_id::from_user_data(cqe.user_data);
      if (!ops_.valid(id.slot) || ops_[id.slot].pending == 0) {
        ++stats_.unknown;
        return;
      }
      op_slot& s = ops_[id.slot];
      const bool final = !(cqe.flags & IORING_CQE_F_MORE);
      if (cqe.flags & IORING_CQE_F_BUFFER) buffer_rings_[s.buffer_group]->note_taken();
      if (final) {
        --s.pending;
        if (kind == cqe_kind::op) s.primary_done = true;
      }
      if (kind == cqe_kind::link_timeout) {
        ++stats_.internal;
      } else if (s.generation == id.generation && s.owner != nullptr) {
        ++stats_.routed;
        s.owner->on_cqe_(*s.owner, cqe.res, cqe.flags);
      } else {
        ++stats_.stale;
        if (cqe.flags & IORING_CQE_F_BUFFER) {
          buffer_rings_[s.buffer_group]->give_back(std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
          ++stats_.stale_buffers_returned;
        }
        if (s.result_is_fd && kind == cqe_kind::op && cqe.res >= 0)
          io_uring_prep_close(internal_sqe(cqe_kind::close), cqe.res);
      }
      if (s.pending == 0) ops_.release(id.slot);
      return;
    }
    if (kind == cqe_kind::wakeup) {
      std::uint64_t value = 0;
      [[maybe_unused]] auto got = ::read(wakeup_fd_, &value, sizeof value);
      arm_wakeup();
      ++stats_.internal;
      return;
    }
    if (kind == cqe_kind::cancel || kind == cqe_kind::close) {
      --internal_in_flight_;
      ++stats_.internal;
      return;
    }
    ++stats_.unknown;
  }

  void arm_wakeup() noexcept {
    io_uring_prep_poll_add(internal_sqe(cqe_kind::wakeup), wakeup_fd_, POLLIN);
  }

  static void on_refill(void* self_pointer) {
    auto& self = *static_cast<scheduler*>(self_pointer);
    for (auto it = self.buffer_waiters_.begin(); it != self.buffer_waiters_.end();) {
      if (it->ring->available() > 0) {
        self.schedule(*it->waiter);
        it = self.buffer_waiters_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& ring : self.buffer_rings_) {
      const bool waited_on = std::any_of(self.buffer_waiters_.begin(), self.buffer_waiters_.end(),
                                         [&](const buffer_waiter& w) { return w.ring == ring.get(); });
      if (!waited_on) ring->set_refill_callback(nullptr, nullptr);
    }
  }

  void root_finished(std::coroutine_handle<> root) noexcept override { finished_roots_.push_back(root); }

  void reap_finished_roots() {
    if (finished_roots_.empty()) return;
    std::erase_if(roots_, [](std::coroutine_handle<> root) { return root.done(); });  // one pass
    for (auto root : finished_roots_) {
      auto typed = std::coroutine_handle<detail::promise<void>>::from_address(root.address());
      try {
        typed.promise().take_result();
      } catch (...) {
        if (!failure_) failure_ = std::current_exception();
      }
      root.destroy();
    }
    finished_roots_.clear();
    if (failure_) stop();
  }

  // Operations or internal closes/cancels the kernel has not answered yet.
  bool busy() const noexcept { return ops_.in_use() > 0 || internal_in_flight_ > 0; }

  void finish_run() {
    ring_.submit();  // closes and cancels queued by tasks that just ended must reach the kernel
    stop_requested_.store(false, std::memory_order_relaxed);
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

  ring ring_;  // declared first: destroyed last, after the buffer rings it backs
  op_table ops_;
  std::vector<std::unique_ptr<buffer_ring>> buffer_rings_;
  std::vector<buffer_waiter> buffer_waiters_;
  std::vector<completion*> ready_;
  std::vector<std::coroutine_handle<>> to_start_;
  std::vector<std::coroutine_handle<>> roots_;
  std::vector<std::coroutine_handle<>> finished_roots_;
  std::exception_ptr failure_;
  std::atomic<bool> stop_requested_{false};
  int wakeup_fd_ = -1;
  std::uint64_t internal_in_flight_ = 0;
  scheduler_stats stats_;
};

}  // namespace uring_cannon
