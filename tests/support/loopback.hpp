#pragma once
// Helpers for tests that talk over 127.0.0.1: a listener on a free port, and a connected pair of
// plain blocking sockets for driving one side by hand.

#include <uring_cannon.hpp>

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace test_support {

namespace uc = uring_cannon;

/// A listener on 127.0.0.1 with a kernel-chosen port.
inline uc::listener loopback_listener() { return uc::listener::bind(*uc::endpoint::from_literal("127.0.0.1", 0)); }

/// A loopback port where nothing listens (bound once by the kernel's choice, then closed).
inline std::uint16_t closed_port() {
  auto l = loopback_listener();
  return l.local_endpoint().port();
}

/// A blocking client socket connected to `peer` with plain system calls.
inline int blocking_connect(const uc::endpoint& peer) {
  int fd = ::socket(peer.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, peer.data(), peer.size()) < 0) throw std::runtime_error("blocking_connect");
  return fd;
}

/// A connected TCP pair over loopback: `ring_side` for the scheduler, `plain_side` for the test.
struct socket_pair {
  int ring_side = -1;
  int plain_side = -1;
  socket_pair() {
    auto l = loopback_listener();
    plain_side = blocking_connect(l.local_endpoint());
    ring_side = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (ring_side < 0) throw std::runtime_error("accept");
  }
  socket_pair(const socket_pair&) = delete;
  ~socket_pair() {
    if (ring_side >= 0) ::close(ring_side);
    if (plain_side >= 0) ::close(plain_side);
  }
  int take_ring_side() { return std::exchange(ring_side, -1); }
};

/// Writes all of `text` with blocking send.
inline void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("write_all");
    text.remove_prefix(std::size_t(n));
  }
}

}  // namespace test_support

namespace test_support {

/// Catch2's REQUIRE expands to try/catch blocks that clang 14 cannot compile inside coroutines
/// with ASan and debug info ("Cannot represent a difference across sections"). Coroutines in
/// tests use CO_REQUIRE instead: it throws, and the exception leaves through block_on or run().
inline void ensure(bool ok, const char* what, const char* file, int line) {
  if (!ok) throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": CO_REQUIRE(" + what + ") failed");
}

}  // namespace test_support

#define CO_REQUIRE(...) ::test_support::ensure(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
#define CO_REQUIRE_FALSE(...) ::test_support::ensure(!static_cast<bool>(__VA_ARGS__), "!" #__VA_ARGS__, __FILE__, __LINE__)
