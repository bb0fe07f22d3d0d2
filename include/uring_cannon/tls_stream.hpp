#pragma once
// TLS over a connected socket: the coroutines that move a tls_session's ciphertext through the
// ring. One per operation. The ciphertext a send points at lives in the session until the send
// completes, so keep the session where the connection's buffers live (it must outlive the
// connection's in-flight operations, as any send buffer must).
//
// TLS failures come back as EPROTO in io_result; the session's error_text() has the words.

#include <uring_cannon/ops.hpp>
#include <uring_cannon/or_error.hpp>
#include <uring_cannon/recv_stream.hpp>
#include <uring_cannon/task.hpp>
#include <uring_cannon/tls.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>

namespace uring_cannon {

namespace detail {

/// Hands one received chunk to the session: its bytes, or the end of the stream.
inline void feed_received(tls_session& session, const buffer_lease& chunk) {
  if (chunk.empty()) session.feed_end_of_stream();
  else session.feed_ciphertext(chunk.bytes());
}

/// Plaintext already decrypted, or a definite end: what a receive returns without waiting.
inline bool read_buffered(tls_session& session, std::span<std::byte> plaintext, io_result<std::size_t>& out) {
  const tls_read_result r = session.read_plaintext(plaintext);
  switch (r.status) {
    case tls_read_status::data: out = r.size; return true;
    case tls_read_status::closed: out = std::size_t(0); return true;
    case tls_read_status::error: out = io_result<std::size_t>::failure(EPROTO); return true;
    case tls_read_status::would_block: return false;
  }
  return false;
}

}  // namespace detail

/// Sends all the ciphertext the session has queued (handshake messages, records, alerts); the
/// result is the byte count sent.
inline task<io_result<std::size_t>> tls_flush(scheduler& s, int fd, tls_session& session) {
  std::size_t total = 0;
  for (auto out = session.pending_ciphertext(); !out.empty(); out = session.pending_ciphertext()) {
    auto sent = co_await send_all(s, fd, out);
    if (!sent) co_return sent;
    session.consume_ciphertext(*sent);
    total += *sent;
  }
  co_return total;
}

/// Runs the handshake on `fd` (connected; `session` started as client or server), receiving
/// into `buffers`. With a `timeout`, the whole handshake must finish within it. The error is
/// the session's words ("TLS: certificate verify failed: ...") or the socket's.
inline task<or_error<bool>> tls_handshake(scheduler& s, int fd, tls_session& session, buffer_ring& buffers,
                                          std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1)) {
  using result = or_error<bool>;
  const bool bounded = timeout.count() >= 0;
  const auto deadline = clock::now() + (bounded ? timeout : std::chrono::nanoseconds::zero());
  for (;;) {
    const tls_handshake_status status = session.handshake();
    auto sent = co_await tls_flush(s, fd, session);  // our flight, or the alert that explains a failure
    if (status == tls_handshake_status::failed) co_return result::failure(session.error_text());
    if (!sent) co_return result::failure("TLS handshake: send failed: " + error_message(sent.error()));
    if (status == tls_handshake_status::done) co_return true;
    io_result<buffer_lease> chunk = io_result<buffer_lease>::failure(EAGAIN);
    if (bounded) chunk = co_await recv(s, fd, buffers).with_timeout(deadline - clock::now());
    else chunk = co_await recv(s, fd, buffers);
    if (!chunk && chunk.error() == ETIME) co_return result::failure("TLS handshake timed out");
    if (!chunk) co_return result::failure("TLS handshake: receive failed: " + error_message(chunk.error()));
    detail::feed_received(session, *chunk);
  }
}

/// Encrypts `plaintext` (one record per 16 KiB) and sends it; the result is plaintext.size().
inline task<io_result<std::size_t>> tls_send(scheduler& s, int fd, tls_session& session,
                                             std::span<const std::byte> plaintext) {
  if (!session.write_plaintext(plaintext)) co_return io_result<std::size_t>::failure(EPROTO);
  auto sent = co_await tls_flush(s, fd, session);
  if (!sent) co_return sent;
  co_return plaintext.size();
}

/// Receives plaintext into `plaintext` through a multishot receive: the byte count, 0 once the
/// peer sent close_notify, EPROTO on a TLS failure (an alert, a bad record, or a stream cut
/// without close_notify), or the socket's error.
inline task<io_result<std::size_t>> tls_recv(tls_session& session, recv_stream& incoming,
                                             std::span<std::byte> plaintext) {
  io_result<std::size_t> out = std::size_t(0);
  while (!detail::read_buffered(session, plaintext, out)) {
    auto chunk = co_await incoming.next();
    if (!chunk) co_return io_result<std::size_t>::failure(chunk.error());
    detail::feed_received(session, *chunk);
  }
  co_return out;
}

/// The same with one single-shot receive per chunk, into `buffers`.
inline task<io_result<std::size_t>> tls_recv(scheduler& s, int fd, tls_session& session, buffer_ring& buffers,
                                             std::span<std::byte> plaintext) {
  io_result<std::size_t> out = std::size_t(0);
  while (!detail::read_buffered(session, plaintext, out)) {
    auto chunk = co_await recv(s, fd, buffers);
    if (!chunk) co_return io_result<std::size_t>::failure(chunk.error());
    detail::feed_received(session, *chunk);
  }
  co_return out;
}

}  // namespace uring_cannon
