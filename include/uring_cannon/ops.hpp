#pragma once
// Awaitables, one per io_uring operation. Each is a small "operation" struct that knows how to
// prepare its SQE and how to read its CQE; op_awaiter<Operation> does the rest. Nothing is
// submitted until the awaitable is co_awaited (the SQE is prepared in await_suspend), and an
// awaiter destroyed with its operation in flight cancels it and leaves the slot to drain.
//
// Results carry -errno as io_result, never as exceptions.

#include <uring_cannon/io_result.hpp>
#include <uring_cannon/scheduler.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstring>
#include <span>
#include <utility>

namespace uring_cannon {

namespace detail {

inline __kernel_timespec to_timespec(std::chrono::nanoseconds d) noexcept {
  if (d < std::chrono::nanoseconds::zero()) d = std::chrono::nanoseconds::zero();
  return {static_cast<long long>(d.count() / 1'000'000'000), static_cast<long long>(d.count() % 1'000'000'000)};
}

}  // namespace detail

/// Awaits one operation: one SQE, optionally guarded by a linked timeout.
/// `Operation` provides `void prepare(io_uring_sqe*, op_slot&)` and
/// `result_type result(int res, std::uint32_t flags, scheduler&)`; it may provide
/// `void discard(int res, std::uint32_t flags, scheduler&)` to release what an unread result holds.
template <class Operation>
class [[nodiscard]] op_awaiter : private completion {
 public:
  using result_type = decltype(std::declval<Operation&>().result(0, 0u, std::declval<scheduler&>()));

  op_awaiter(scheduler& sched, Operation op) noexcept
      : completion(&op_awaiter::on_cqe, &op_awaiter::on_ready), sched_(&sched), op_(std::move(op)) {}
  op_awaiter(op_awaiter&& other) noexcept
      : completion(&op_awaiter::on_cqe, &op_awaiter::on_ready), sched_(other.sched_), op_(std::move(other.op_)),
        timeout_(other.timeout_) {}

  ~op_awaiter() {
    if (state_ == state::in_flight) sched_->abandon(id_, *this);
    if (state_ == state::completed) discard();
    sched_->unschedule(*this);
  }

  /// Fails the operation with ETIME unless it completes within `limit` (an IORING_OP_LINK_TIMEOUT).
  op_awaiter with_timeout(std::chrono::nanoseconds limit) && noexcept {
    timeout_ = limit;
    return std::move(*this);
  }

  bool await_ready() const noexcept { return false; }

  void await_suspend(std::coroutine_handle<> waiter) {
    waiter_ = waiter;
    const bool linked = timeout_.count() >= 0;
    if (linked) sched_->io_ring().reserve(2);
    id_ = sched_->start_op(*this, linked ? 2 : 1);
    op_slot& slot = sched_->slot(id_);
    io_uring_sqe* sqe = sched_->sqe_for(id_);
    op_.prepare(sqe, slot);
    if (linked) {
      sqe->flags |= IOSQE_IO_LINK;
      slot.timeout = detail::to_timespec(timeout_);
      io_uring_prep_link_timeout(sched_->sqe_for(id_, cqe_kind::link_timeout), &slot.timeout, 0);
    }
    state_ = state::in_flight;
  }

  result_type await_resume() {
    state_ = state::consumed;
    // A linked timeout that fired cancels the operation; report that as the timeout it was.
    const int res = (timeout_.count() >= 0 && res_ == -ECANCELED) ? -ETIME : res_;
    return op_.result(res, flags_, *sched_);
  }

 private:
  enum class state : std::uint8_t { idle, in_flight, completed, consumed };

  static void on_cqe(completion& c, int res, std::uint32_t flags) noexcept {
    auto& self = static_cast<op_awaiter&>(c);
    self.res_ = res;
    self.flags_ = flags;
    self.state_ = state::completed;
    self.sched_->schedule(self);
  }
  static void on_ready(completion& c) { static_cast<op_awaiter&>(c).waiter_.resume(); }

  void discard() noexcept {
    if constexpr (requires { op_.discard(res_, flags_, *sched_); }) op_.discard(res_, flags_, *sched_);
  }

  scheduler* sched_;
  Operation op_;
  std::chrono::nanoseconds timeout_{-1};
  std::coroutine_handle<> waiter_;
  op_id id_{};
  int res_ = 0;
  std::uint32_t flags_ = 0;
  state state_ = state::idle;
};

namespace ops {

struct nop_op {
  void prepare(io_uring_sqe* sqe, op_slot&) const noexcept { io_uring_prep_nop(sqe); }
  io_result<> result(int res, std::uint32_t, scheduler&) const noexcept {
    return res < 0 ? io_result<>::failure(-res) : io_result<>{};
  }
};

struct sleep_op {
  std::chrono::nanoseconds duration;
  void prepare(io_uring_sqe* sqe, op_slot& slot) const noexcept {
    slot.timeout = detail::to_timespec(duration);
    io_uring_prep_timeout(sqe, &slot.timeout, 0, 0);
  }
  io_result<> result(int res, std::uint32_t, scheduler&) const noexcept {
    return (res == -ETIME || res >= 0) ? io_result<>{} : io_result<>::failure(-res);
  }
};

struct socket_op {
  int domain, type, protocol;
  void prepare(io_uring_sqe* sqe, op_slot& slot) const noexcept {
    io_uring_prep_socket(sqe, domain, type | SOCK_CLOEXEC, protocol, 0);
    slot.result_is_fd = true;
  }
  io_result<int> result(int res, std::uint32_t, scheduler&) const noexcept { return result_from_cqe(res, res); }
  void discard(int res, std::uint32_t, scheduler&) const noexcept {
    if (res >= 0) ::close(res);
  }
};

struct connect_op {
  int fd;
  sockaddr_storage address;
  socklen_t length;
  void prepare(io_uring_sqe* sqe, op_slot& slot) const noexcept {
    slot.address = address;
    slot.address_length = length;
    io_uring_prep_connect(sqe, fd, reinterpret_cast<sockaddr*>(&slot.address), slot.address_length);
  }
  io_result<> result(int res, std::uint32_t, scheduler&) const noexcept {
    return res < 0 ? io_result<>::failure(-res) : io_result<>{};
  }
};

struct send_op {
  int fd;
  std::span<const std::byte> data;
  void prepare(io_uring_sqe* sqe, op_slot&) const noexcept {
    io_uring_prep_send(sqe, fd, data.data(), data.size(), MSG_NOSIGNAL);
  }
  io_result<std::size_t> result(int res, std::uint32_t, scheduler&) const noexcept {
    return result_from_cqe(res, std::size_t(res < 0 ? 0 : res));
  }
};

struct recv_op {
  int fd;
  buffer_ring* buffers;
  void prepare(io_uring_sqe* sqe, op_slot& slot) const noexcept {
    io_uring_prep_recv(sqe, fd, nullptr, buffers->buffer_size(), 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buffers->group();
    slot.buffer_group = buffers->group();
  }
  io_result<buffer_lease> result(int res, std::uint32_t flags, scheduler&) const noexcept {
    if (res < 0) return io_result<buffer_lease>::failure(-res);
    if (!(flags & IORING_CQE_F_BUFFER)) return buffer_lease{};
    return buffer_lease(*buffers, std::uint16_t(flags >> IORING_CQE_BUFFER_SHIFT), std::uint32_t(res));
  }
  void discard(int, std::uint32_t flags, scheduler&) const noexcept {
    if (flags & IORING_CQE_F_BUFFER) buffers->give_back(std::uint16_t(flags >> IORING_CQE_BUFFER_SHIFT));
  }
};

struct accept_op {
  int fd;
  void prepare(io_uring_sqe* sqe, op_slot& slot) const noexcept {
    slot.address_length = sizeof slot.address;
    slot.result_is_fd = true;
    io_uring_prep_accept(sqe, fd, reinterpret_cast<sockaddr*>(&slot.address), &slot.address_length,
                         SOCK_CLOEXEC);
  }
  io_result<int> result(int res, std::uint32_t, scheduler&) const noexcept { return result_from_cqe(res, res); }
  void discard(int res, std::uint32_t, scheduler&) const noexcept {
    if (res >= 0) ::close(res);
  }
};

struct close_op {
  int fd;
  void prepare(io_uring_sqe* sqe, op_slot&) const noexcept { io_uring_prep_close(sqe, fd); }
  io_result<> result(int res, std::uint32_t, scheduler&) const noexcept {
    return res < 0 ? io_result<>::failure(-res) : io_result<>{};
  }
};

struct shutdown_op {
  int fd, how;
  void prepare(io_uring_sqe* sqe, op_slot&) const noexcept { io_uring_prep_shutdown(sqe, fd, how); }
  io_result<> result(int res, std::uint32_t, scheduler&) const noexcept {
    return res < 0 ? io_result<>::failure(-res) : io_result<>{};
  }
};

struct cancel_fd_op {
  int fd;
  void prepare(io_uring_sqe* sqe, op_slot&) const noexcept {
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
  }
  io_result<int> result(int res, std::uint32_t, scheduler&) const noexcept {
    if (res == -ENOENT) return 0;
    return result_from_cqe(res, res);
  }
};

}  // namespace ops

/// Completes at once (IORING_OP_NOP): a round trip through the ring.
inline op_awaiter<ops::nop_op> nop(scheduler& s) noexcept { return {s, {}}; }

/// Completes after `duration` (IORING_OP_TIMEOUT). The timespec lives in the op slot.
inline op_awaiter<ops::sleep_op> sleep_for(scheduler& s, std::chrono::nanoseconds duration) noexcept {
  return {s, {duration}};
}

/// Creates a socket (IORING_OP_SOCKET, kernel 5.19+); the result is the descriptor.
inline op_awaiter<ops::socket_op> socket(scheduler& s, int domain, int type, int protocol = 0) noexcept {
  return {s, {domain, type, protocol}};
}

/// Connects `fd` to `address` (IORING_OP_CONNECT). The address is copied into the op slot.
inline op_awaiter<ops::connect_op> connect(scheduler& s, int fd, const sockaddr* address, socklen_t length) noexcept {
  ops::connect_op op{fd, {}, length};
  std::memcpy(&op.address, address, std::min<std::size_t>(length, sizeof op.address));
  return {s, op};
}

/// Sends once (IORING_OP_SEND, MSG_NOSIGNAL); the result is the byte count, possibly partial.
/// `data` must stay valid until the operation completes or the scheduler is destroyed.
inline op_awaiter<ops::send_op> send(scheduler& s, int fd, std::span<const std::byte> data) noexcept {
  return {s, {fd, data}};
}

/// Receives once into a buffer the kernel picks from `buffers` (IORING_OP_RECV with buffer
/// select). An empty lease means the peer closed the stream.
inline op_awaiter<ops::recv_op> recv(scheduler& s, int fd, buffer_ring& buffers) noexcept {
  return {s, {fd, &buffers}};
}

/// Accepts one connection (IORING_OP_ACCEPT); the result is the new descriptor.
inline op_awaiter<ops::accept_op> accept(scheduler& s, int listening_fd) noexcept { return {s, {listening_fd}}; }

/// Closes `fd` (IORING_OP_CLOSE).
inline op_awaiter<ops::close_op> close(scheduler& s, int fd) noexcept { return {s, {fd}}; }

/// Shuts down one or both directions of a socket (IORING_OP_SHUTDOWN).
inline op_awaiter<ops::shutdown_op> shutdown(scheduler& s, int fd, int how = SHUT_RDWR) noexcept {
  return {s, {fd, how}};
}

/// Cancels every operation on `fd` (IORING_OP_ASYNC_CANCEL with CANCEL_FD | CANCEL_ALL); the
/// result is how many were cancelled.
inline op_awaiter<ops::cancel_fd_op> cancel_fd(scheduler& s, int fd) noexcept { return {s, {fd}}; }

/// Sends all of `data`, resubmitting after partial sends without waking the awaiting coroutine.
/// The result is the total sent, or the error that stopped it.
class [[nodiscard]] send_all : private completion {
 public:
  send_all(scheduler& s, int fd, std::span<const std::byte> data) noexcept
      : completion(&send_all::on_cqe, &send_all::on_ready), sched_(&s), fd_(fd), data_(data) {}
  send_all(send_all&& other) noexcept : send_all(*other.sched_, other.fd_, other.data_) {}
  ~send_all() {
    if (in_flight_) sched_->abandon(id_, *this);
    sched_->unschedule(*this);
  }

  bool await_ready() const noexcept { return data_.empty(); }
  void await_suspend(std::coroutine_handle<> waiter) {
    waiter_ = waiter;
    submit();
  }
  io_result<std::size_t> await_resume() const noexcept {
    return error_ ? io_result<std::size_t>::failure(error_) : io_result<std::size_t>(sent_);
  }

 private:
  void submit() {
    id_ = sched_->start_op(*this);
    io_uring_prep_send(sched_->sqe_for(id_), fd_, data_.data() + sent_, data_.size() - sent_, MSG_NOSIGNAL);
    in_flight_ = true;
  }
  static void on_cqe(completion& c, int res, std::uint32_t) noexcept {
    auto& self = static_cast<send_all&>(c);
    self.in_flight_ = false;
    if (res < 0) self.error_ = -res;
    else if (res == 0) self.error_ = EPIPE;
    else self.sent_ += std::size_t(res);
    self.sched_->schedule(self);
  }
  static void on_ready(completion& c) {
    auto& self = static_cast<send_all&>(c);
    if (self.error_ == 0 && self.sent_ < self.data_.size()) return self.submit();
    self.waiter_.resume();
  }

  scheduler* sched_;
  int fd_;
  std::span<const std::byte> data_;
  std::size_t sent_ = 0;
  int error_ = 0;
  bool in_flight_ = false;
  op_id id_{};
  std::coroutine_handle<> waiter_;
};

/// Converts text to the byte span the send operations take.
inline std::span<const std::byte> as_bytes(std::string_view text) noexcept {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace uring_cannon
