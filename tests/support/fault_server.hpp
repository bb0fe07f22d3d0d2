#pragma once
// A hostile server for reliability tests: an in-process listener on 127.0.0.1 with a free port,
// running its own scheduler on its own thread, that answers every request with one chosen fault
// (a reset mid-response, a status line that never ends, a WebSocket frame no server may send...).
// A load generator pointed at it must report the breakage, end on time and keep its books.
//
//   test_support::fault_server server(test_support::fault::reset_mid_response);
//   run ucannon against server.url() ...;  server.faults() says how often it misbehaved
//
// Faults that end in silence keep the connection open (reading and discarding) until the client
// closes it, so the client has to notice on its own: by parsing, by its timeout, or by its deadline.

#include "loopback.hpp"

#include <uring_cannon.hpp>
#include <uring_cannon/detail/ascii.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace test_support {

/// How a fault_server misbehaves; each answers every request (or upgrade) of every connection.
enum class fault : std::uint8_t {
  reset_mid_response,    ///< half a response, then SO_LINGER 0 and close: the client sees a reset
  close_after_headers,   ///< a head announcing a body, then close
  close_delimited_body,  ///< a valid response whose body ends with the close (a response, not an error)
  garbage_status_line,   ///< bytes that are not HTTP where the status line belongs
  endless_status_line,   ///< "HTTP/1.1 200 " and then megabytes without a line end
  trickled_status_line,  ///< "HTTP/1.1 200 " and then one byte every few ms, forever, never a line end
  stalled_status_line,   ///< "HTTP/1.1 20", then silence
  endless_headers,       ///< a status line, then megabytes of header lines and never the empty line
  short_body,            ///< Content-Length larger than the body that follows, then close
  chunk_size_overflow,   ///< a chunked body whose first chunk size is 2^64
  trickled_response,     ///< a valid response, one byte every few ms (slow, but complete)
  no_response,           ///< read the requests, never answer
  ws_bad_accept,         ///< 101 with a Sec-WebSocket-Accept that does not match the key
  ws_bad_opcode,         ///< a valid 101; then, for the first frame, a frame with reserved opcode 3
  ws_oversized_control,  ///< ... a ping carrying 126 bytes (control frames carry at most 125)
  ws_masked_frame,       ///< ... a masked frame (a server must never mask)
  ws_length_top_bit,     ///< ... a 64-bit payload length with its top bit set
  ws_length_too_big,     ///< ... a frame claiming 2^40 bytes (far above the client's message limit)
  ws_truncated_frame,    ///< ... a frame claiming 1000 bytes, 10 of them, then close
  ws_bad_greeting,       ///< a valid 101 with a reserved-opcode frame right behind it, in the same send
  ws_no_echo,            ///< a valid 101, then the client's frames are read and never answered
  accept_never_read,     ///< accept connections and never read from them: the client's sends fill the buffers
};

class fault_server {
 public:
  explicit fault_server(fault f) : fault_(f), listener_(loopback_listener()), port_(listener_.local_endpoint().port()) {
    if (f == fault::accept_never_read) {
      // Small buffers (inherited by accepted sockets) fill sooner.
      const int size = 4096;
      ::setsockopt(listener_.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    thread_ = std::thread([this] { serve(); });
    while (!ready_.load()) std::this_thread::yield();
  }
  fault_server(const fault_server&) = delete;
  fault_server& operator=(const fault_server&) = delete;
  ~fault_server() {
    sched_.load()->request_stop();
    thread_.join();
  }

  std::uint16_t port() const noexcept { return port_; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  /// Connections accepted so far.
  std::uint64_t accepted() const noexcept { return accepted_.load(); }
  /// Times the fault was served (a bad answer sent, or an answer withheld).
  std::uint64_t faults() const noexcept { return faults_.load(); }

 private:
  void serve() {
    uc::scheduler s;
    auto& buffers = s.make_buffer_ring(256, 4096);
    std::vector<uc::tcp_stream> never_read;  // destroyed before the scheduler
    sched_.store(&s);
    ready_.store(true);
    s.spawn(accept_loop(s, buffers, never_read));
    s.run();
  }

  uc::task<> accept_loop(uc::scheduler& s, uc::buffer_ring& buffers, std::vector<uc::tcp_stream>& never_read) {
    auto accepts = listener_.accepts(s);
    for (;;) {
      auto fd = co_await accepts.next();
      if (!fd) continue;
      ++accepted_;
      if (fault_ == fault::accept_never_read) {
        never_read.emplace_back(s, *fd);
        ++faults_;
        continue;
      }
      s.spawn(connection(uc::tcp_stream(s, *fd), buffers));
    }
  }

  /// Faults that answer the upgrade with a valid 101 and misbehave after it.
  static bool accepts_upgrade(fault f) noexcept { return f >= fault::ws_bad_opcode && f <= fault::ws_no_echo; }
  /// Of those, the faults served by answering the client's first frame.
  static bool answers_first_frame(fault f) noexcept { return f >= fault::ws_bad_opcode && f <= fault::ws_truncated_frame; }

  uc::task<> connection(uc::tcp_stream conn, uc::buffer_ring& buffers) {
    auto incoming = conn.receiver(buffers);
    std::string pending;  // request bytes not yet taken apart
    std::string reply;    // what a send in flight reads: it lives as long as the connection
    bool upgraded = false, frame_sent = false;
    for (;;) {
      auto chunk = co_await incoming.next();
      if (!chunk || chunk->empty()) co_return;
      pending.append(chunk->chars());
      chunk->reset();
      if (upgraded) {  // everything behind the 101 is the client's frames
        pending.clear();
        if (frame_sent) continue;
        frame_sent = true;
        ++faults_;
        reply = bad_frame(fault_);
        if (!co_await conn.send_all(reply) || fault_ == fault::ws_truncated_frame) co_return;
        continue;
      }
      std::size_t end = pending.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      const std::string head = pending.substr(0, end + 4);
      pending.erase(0, end + 4);
      if (accepts_upgrade(fault_)) {
        reply = switching_protocols(uc::websocket::accept_key(header_value(head, "sec-websocket-key")));
        if (fault_ == fault::ws_bad_greeting) reply += bad_frame(fault::ws_bad_opcode);
        if (!answers_first_frame(fault_)) {  // served with the 101 itself
          ++faults_;
          frame_sent = true;
        }
        if (!co_await conn.send_all(reply)) co_return;
        upgraded = true;
        pending.clear();
        continue;
      }
      pending.clear();  // pipelined requests behind the first are answered by the same fault
      ++faults_;
      if (!co_await misbehave(conn, reply)) co_return;
    }
  }

  /// Serves the HTTP fault for one request; false when the connection is to end now.
  uc::task<bool> misbehave(uc::tcp_stream& conn, std::string& reply) {
    using namespace std::string_literals;
    switch (fault_) {
      case fault::reset_mid_response: {
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(100, 'r');
        if (!co_await conn.send_all(reply)) co_return false;
        const ::linger abort_on_close{1, 0};  // close sends RST instead of FIN
        ::setsockopt(conn.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        co_return false;
      }
      case fault::close_after_headers:
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
        (void)co_await conn.send_all(reply);
        co_return false;
      case fault::close_delimited_body:
        reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthis body runs until the connection closes";
        (void)co_await conn.send_all(reply);
        co_return false;
      case fault::garbage_status_line:
        reply = "\x16\x03\x01\x02\x00 this is not HTTP\r\n\r\n"s;  // a TLS record start
        co_return bool(co_await conn.send_all(reply));
      case fault::endless_status_line:
        reply = "HTTP/1.1 200 ";
        if (!co_await conn.send_all(reply)) co_return false;
        reply.assign(16 * 1024, 'x');
        for (int i = 0; i < 512; ++i) {  // 8 MiB, a piece a millisecond
          if (!co_await conn.send_all(reply)) co_return false;
          (void)co_await uc::sleep_for(conn.sched(), std::chrono::milliseconds(1));
        }
        co_return true;
      case fault::trickled_status_line:
        reply = "HTTP/1.1 200 ";
        if (!co_await conn.send_all(reply)) co_return false;
        co_return co_await trickle(conn, reply, "x", -1);
      case fault::stalled_status_line:
        reply = "HTTP/1.1 20";
        co_return bool(co_await conn.send_all(reply));
      case fault::endless_headers: {
        reply = "HTTP/1.1 200 OK\r\n";
        if (!co_await conn.send_all(reply)) co_return false;
        reply.clear();
        for (int i = 0; i < 64; ++i) reply += "X-Padding-" + std::to_string(i) + ": " + std::string(1000, 'h') + "\r\n";
        for (int i = 0; i < 128; ++i) {  // about 8 MiB of header lines
          if (!co_await conn.send_all(reply)) co_return false;
        }
        co_return true;
      }
      case fault::short_body:
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
        (void)co_await conn.send_all(reply);
        co_return false;
      case fault::chunk_size_overflow:
        reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc\r\n";
        co_return bool(co_await conn.send_all(reply));
      case fault::trickled_response:
        co_return co_await trickle(conn, reply, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\ntrickled, not failed", 1);
      case fault::no_response: co_return true;
      case fault::ws_bad_accept:
        reply = switching_protocols("dGhlIHNhbXBsZSBub25jZQ==");  // well-formed base64, wrong key
        co_return bool(co_await conn.send_all(reply));
      default: co_return false;
    }
  }

  /// Sends `text` one byte every trickle_period, `times` times (forever when negative).
  uc::task<bool> trickle(uc::tcp_stream& conn, std::string& reply, std::string_view text, int times) {
    for (int round = 0; times < 0 || round < times; ++round) {
      for (char c : text) {
        reply.assign(1, c);
        if (!co_await conn.send_all(reply)) co_return false;
        (void)co_await uc::sleep_for(conn.sched(), trickle_period);
      }
    }
    co_return true;
  }

  static std::string switching_protocols(std::string_view accept) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
           std::string(accept) + "\r\n\r\n";
  }

  /// The value of header `name` (lower case) in a request head, trimmed; empty when absent.
  static std::string header_value(std::string_view head, std::string_view name) {
    std::string lowered(head);
    for (char& c : lowered) c = uc::detail::ascii_lower(c);
    const auto at = lowered.find("\r\n" + std::string(name) + ":");
    if (at == std::string::npos) return {};
    auto value = head.substr(at + 2 + name.size() + 1);
    value = value.substr(0, value.find("\r\n"));
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return std::string(value);
  }

  /// The frame each WebSocket frame fault answers the client's first frame with.
  static std::string bad_frame(fault f) {
    using namespace std::string_literals;
    switch (f) {
      case fault::ws_bad_opcode: return "\x83\x02hi"s;                         // FIN, opcode 3 (reserved)
      case fault::ws_oversized_control: return "\x89\x7e\x00\x7e"s + std::string(126, 'p');  // ping, 126 bytes
      case fault::ws_masked_frame: return "\x81\x82\x01\x02\x03\x04\x69\x6b"s;  // text, masked "hi"
      case fault::ws_length_top_bit: return "\x81\x7f\x80\x00\x00\x00\x00\x00\x00\x05hello"s;
      case fault::ws_length_too_big: return "\x82\x7f\x00\x00\x01\x00\x00\x00\x00\x00"s + std::string(64, 'b');
      case fault::ws_truncated_frame: return "\x81\x7e\x03\xe8"s + std::string(10, 't');  // 1000 bytes promised
      default: return {};
    }
  }

  static constexpr std::chrono::milliseconds trickle_period{3};

  fault fault_;
  uc::listener listener_;
  std::uint16_t port_;
  std::atomic<uc::scheduler*> sched_{nullptr};
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> accepted_{0}, faults_{0};
  std::thread thread_;
};

}  // namespace test_support
