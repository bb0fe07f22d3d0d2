#pragma once
// A listening socket. Set-up uses plain system calls (once, not on a hot path); accepting goes
// through the ring, one at a time or multishot.

#include <uring_cannon/accept_stream.hpp>
#include <uring_cannon/endpoint.hpp>
#include <uring_cannon/ops.hpp>

#include <unistd.h>

#include <system_error>
#include <utility>

namespace uring_cannon {

struct listener_options {
  int backlog = 4096;
  bool reuse_port = false;  ///< SO_REUSEPORT: one listener per thread on the same port
};

class listener {
 public:
  listener() noexcept = default;
  listener(listener&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  listener& operator=(listener&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~listener() {
    if (fd_ >= 0) ::close(fd_);
  }

  /// Binds and listens on `local` (port 0 picks a free port: see local_endpoint()). Throws
  /// std::system_error with the failing step in the message.
  static listener bind(const endpoint& local, listener_options options = {}) {
    listener l;
    l.fd_ = ::socket(local.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l.fd_ < 0) throw std::system_error(errno, std::system_category(), "socket");
    const int one = 1;
    if (local.family() != AF_UNIX) ::setsockopt(l.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (options.reuse_port && ::setsockopt(l.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
      throw std::system_error(errno, std::system_category(), "SO_REUSEPORT");
    if (::bind(l.fd_, local.data(), local.size()) < 0)
      throw std::system_error(errno, std::system_category(), "bind " + local.to_string());
    if (::listen(l.fd_, options.backlog) < 0) throw std::system_error(errno, std::system_category(), "listen");
    return l;
  }

  int fd() const noexcept { return fd_; }

  /// The bound address, with the port the kernel picked.
  endpoint local_endpoint() const {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length);
    return endpoint(reinterpret_cast<sockaddr*>(&storage), length);
  }

  /// Accepts one connection.
  auto accept(scheduler& s) noexcept { return uring_cannon::accept(s, fd_); }
  /// Accepts connection after connection from one multishot SQE.
  accept_stream accepts(scheduler& s) { return accept_stream(s, fd_); }

 private:
  int fd_ = -1;
};

}  // namespace uring_cannon
