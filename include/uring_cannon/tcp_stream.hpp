#pragma once
// A connected stream socket (TCP with TCP_NODELAY, or Unix) bound to a scheduler. It owns the
// descriptor; destroying it closes the descriptor through the ring, after the cancels that its
// abandoned operations queued.

#include <uring_cannon/endpoint.hpp>
#include <uring_cannon/ops.hpp>
#include <uring_cannon/recv_stream.hpp>
#include <uring_cannon/task.hpp>

#include <netinet/tcp.h>
#include <unistd.h>

#include <optional>
#include <utility>

namespace uring_cannon {

class tcp_stream {
 public:
  tcp_stream() noexcept = default;
  tcp_stream(scheduler& s, int fd) noexcept : sched_(&s), fd_(fd) {}
  tcp_stream(tcp_stream&& other) noexcept : sched_(other.sched_), fd_(std::exchange(other.fd_, -1)) {}
  tcp_stream& operator=(tcp_stream&& other) noexcept {
    if (this != &other) {
      reset();
      sched_ = other.sched_;
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~tcp_stream() { reset(); }

  /// Opens a socket and connects it to `peer`. With a `timeout`, a connect that takes longer
  /// fails with ETIME. With a `local` address the socket is bound to it first (its port is left
  /// to the connect, so many connections can share one local address).
  static task<io_result<tcp_stream>> connect(scheduler& s, endpoint peer,
                                             std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1),
                                             std::optional<endpoint> local = std::nullopt) {
    int fd = -1;
    if (s.features().socket_op) {
      auto made = co_await uring_cannon::socket(s, peer.family(), SOCK_STREAM);
      if (!made) co_return io_result<tcp_stream>::failure(made.error());
      fd = *made;
    } else {
      fd = ::socket(peer.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) co_return io_result<tcp_stream>::failure(errno);
    }
    tcp_stream stream(s, fd);
    if (local) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      if (::bind(fd, local->data(), local->size()) < 0) co_return io_result<tcp_stream>::failure(errno);
    }
    if (peer.family() != AF_UNIX) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    auto op = uring_cannon::connect(s, fd, peer.data(), peer.size());
    auto connected = timeout.count() >= 0 ? co_await std::move(op).with_timeout(timeout) : co_await std::move(op);
    if (!connected) co_return io_result<tcp_stream>::failure(connected.error());
    co_return std::move(stream);
  }

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  scheduler& sched() const noexcept { return *sched_; }

  /// One send; the result may be partial. `data` must outlive the operation.
  auto send(std::span<const std::byte> data) noexcept { return uring_cannon::send(*sched_, fd_, data); }
  auto send(std::string_view text) noexcept { return send(as_bytes(text)); }
  /// Sends everything, resubmitting partial sends.
  auto send_all(std::span<const std::byte> data) noexcept { return uring_cannon::send_all(*sched_, fd_, data); }
  auto send_all(std::string_view text) noexcept { return send_all(as_bytes(text)); }
  /// One receive into a provided buffer of `buffers`.
  auto recv(buffer_ring& buffers) noexcept { return uring_cannon::recv(*sched_, fd_, buffers); }
  /// A multishot receive over this stream (declare it, then co_await next()).
  recv_stream receiver(buffer_ring& buffers) { return recv_stream(*sched_, fd_, buffers); }
  /// Shuts down the sending side (the peer sees end of stream).
  auto shutdown(int how = SHUT_WR) noexcept { return uring_cannon::shutdown(*sched_, fd_, how); }
  /// Closes through the ring and waits for it.
  auto close() noexcept { return uring_cannon::close(*sched_, std::exchange(fd_, -1)); }

  /// Closes without waiting: an internal SQE whose CQE the scheduler counts and drops.
  void reset() noexcept {
    if (fd_ >= 0) io_uring_prep_close(sched_->internal_sqe(cqe_kind::close), std::exchange(fd_, -1));
  }

 private:
  scheduler* sched_ = nullptr;
  int fd_ = -1;
};

}  // namespace uring_cannon
