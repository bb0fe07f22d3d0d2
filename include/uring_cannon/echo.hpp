#pragma once
// A complete echo service in a dozen lines, used by the examples, the tests and the benchmarks:
// accept connections on a listener and echo every byte back on each one.

#include <uring_cannon/listener.hpp>
#include <uring_cannon/tcp_stream.hpp>

namespace uring_cannon {

/// Echoes everything received on `conn` until the peer closes or an error occurs.
inline task<> echo_connection(tcp_stream conn, buffer_ring& buffers) {
  auto incoming = conn.receiver(buffers);
  for (;;) {
    auto chunk = co_await incoming.next();
    if (!chunk || chunk->empty()) co_return;
    if (!co_await conn.send_all(chunk->bytes())) co_return;
  }
}

/// Accepts on `l` forever, spawning echo_connection for each connection. Accept errors (such as
/// EMFILE) are counted in `*accept_errors` when given, and the loop goes on.
inline task<> echo_server(scheduler& s, listener& l, buffer_ring& buffers, std::uint64_t* accept_errors = nullptr) {
  auto accepts = l.accepts(s);
  for (;;) {
    auto fd = co_await accepts.next();
    if (!fd) {
      if (accept_errors != nullptr) ++*accept_errors;
      (void)co_await sleep_for(s, std::chrono::milliseconds(1));  // back off instead of spinning
      continue;
    }
    s.spawn(echo_connection(tcp_stream(s, *fd), buffers));
  }
}

}  // namespace uring_cannon
