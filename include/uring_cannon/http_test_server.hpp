#pragma once
// The serving logic of ucannon-server, the bundled HTTP/1.1 + WebSocket target: one scheduler,
// ring, provided-buffer ring and SO_REUSEPORT listener per thread, multishot accept and receive,
// and the endpoints of fasthttp's "hpdummy" test server.
//
// Each connection is one coroutine around a `session`, a plain state machine that turns received
// bytes into responses. Every request parsed from one receive is answered into one output
// buffer, sent with one send; only requests that must wait (a delay, a large or paced body, a
// WebSocket upgrade) interrupt the batch, after the responses before them were sent. A warm
// connection answering `GET /health` or `GET /` allocates nothing.
//
// With a TLS server context (built with URING_CANNON_WITH_TLS, i.e. OpenSSL) every connection is
// HTTPS / WSS: a bounded handshake first, then the same session over decrypted bytes. OpenSSL
// never touches the socket; the ring moves the ciphertext (tls_stream.hpp).
//
// Endpoints (any method unless noted; HEAD gets the GET response without its body):
//   /                    200, a JSON echo of the request: method, target, version, headers, body_length
//   /health              200 "OK"
//   /stats               200 {"requests": N, "connections": open now, "accepted": since the start},
//                        over all threads, this request and its connection included (over
//                        TLS, connections count once their handshake has completed)
//   /bin/{size}          {size} bytes (1024, 1K, 10M, 1G: K, M, G are powers of 1024; at most 1 TiB);
//                        ?chunked=true sends them chunked. Byte i of a body is body_alphabet[i % 64].
//   /chunked[/{count}]   {count} chunks (default 1) of ?size= bytes (default 64) with ?delay= ms
//                        (default 0) between them
//   /upload              POST or PUT: 200 with the body's length in bytes as the text body
//   /status/{code}       that status (100-599) with a short body; 204 and 304 have none; a 1xx other
//                        than 101 is sent as an interim response followed by 200
//   /delay/{ms}          200 after {ms} milliseconds (at most 60 000)
//   /ws                  GET with a WebSocket upgrade: echoes text and binary messages, answers
//                        pings, completes the close handshake
//   anything else        404
// Malformed requests get 400 (431, 501 or 505 where more precise) and the connection is closed.

#include <uring_cannon/http_request_parser.hpp>
#include <uring_cannon/listener.hpp>
#include <uring_cannon/tcp_stream.hpp>
#include <uring_cannon/websocket_frame.hpp>
#include <uring_cannon/websocket_handshake.hpp>
#ifdef URING_CANNON_WITH_TLS
#include <uring_cannon/tls_stream.hpp>
#endif

#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace uring_cannon::test_server {

// ---- shared state --------------------------------------------------------------------------------

/// Requests served, one counter per thread on its own cache line: each thread bumps its own
/// without a locked instruction, and /stats and the exit line sum them with relaxed loads.
class request_counters {
 public:
  explicit request_counters(unsigned threads) : slots_(std::make_unique<slot[]>(threads)), size_(threads) {}

  void count(unsigned thread) noexcept {
    std::atomic<std::uint64_t>& value = slots_[thread].value;
    value.store(value.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // one writer
  }
  std::uint64_t total() const noexcept {
    std::uint64_t sum = 0;
    for (unsigned i = 0; i < size_; ++i) sum += slots_[i].value.load(std::memory_order_relaxed);
    return sum;
  }

  /// A connection opened (`+1`) or closed (`-1`) on `thread`.
  void connections_change(unsigned thread, int by) noexcept {
    slot& s = slots_[thread];
    s.open.store(s.open.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    if (by > 0) s.accepted.store(s.accepted.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  /// Connections open now, over every thread.
  std::int64_t open_connections() const noexcept {
    std::int64_t sum = 0;
    for (unsigned i = 0; i < size_; ++i) sum += slots_[i].open.load(std::memory_order_relaxed);
    return sum;
  }
  /// Connections accepted since the start.
  std::uint64_t accepted_connections() const noexcept {
    std::uint64_t sum = 0;
    for (unsigned i = 0; i < size_; ++i) sum += slots_[i].accepted.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) slot {
    std::atomic<std::uint64_t> value{0};
    std::atomic<std::int64_t> open{0};
    std::atomic<std::uint64_t> accepted{0};
  };
  std::unique_ptr<slot[]> slots_;
  unsigned size_;
};

/// What one server thread's connections share.
struct thread_context {
  scheduler& sched;
  buffer_ring& buffers;
  request_counters& counters;
  unsigned thread_index = 0;
#ifdef URING_CANNON_WITH_TLS
  const tls_server_context* tls = nullptr;  ///< set: every connection speaks TLS first
#endif
};

/// The 64 characters a /bin or /chunked body cycles through: byte i is body_alphabet[i % 64].
inline constexpr std::string_view body_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

namespace detail {

/// Largest piece of body sent from the shared static buffer in one send.
inline constexpr std::size_t body_piece = 256 * 1024;
/// Bodies up to this size are copied into the batch; larger ones are streamed from the static buffer.
inline constexpr std::size_t inline_body_limit = 64 * 1024;
/// Chunk size of /bin/{size}?chunked=true.
inline constexpr std::size_t bin_chunk = 64 * 1024;
/// A batch of responses is sent once it grows past this, before more requests are answered.
inline constexpr std::size_t flush_threshold = 256 * 1024;

/// `length` (at most body_piece) bytes of body starting at body offset `offset`, from one shared
/// buffer built once: no body is ever allocated, however large.
inline std::string_view body_bytes(std::uint64_t offset, std::size_t length) noexcept {
  static const std::string pattern = [] {
    std::string text(body_piece + body_alphabet.size(), '\0');
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = body_alphabet[i % body_alphabet.size()];
    return text;
  }();
  return std::string_view(pattern).substr(std::size_t(offset % body_alphabet.size()), std::min(length, body_piece));
}

inline void append_decimal(std::string& out, std::uint64_t value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(text, end);
}

inline void append_hex(std::string& out, std::uint64_t value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value, 16).ptr;
  out.append(text, end);
}

/// Appends `text` as the inside of a JSON string.
inline void append_json_escaped(std::string& out, std::string_view text) {
  constexpr std::string_view hex = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
}

inline std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 418: return "I'm a teapot";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
  }
}

/// "1024", "1K", "10M", "1G" (powers of 1024) up to `max`.
inline std::optional<std::uint64_t> parse_size(std::string_view text, std::uint64_t max) noexcept {
  std::uint64_t unit = 1;
  if (!text.empty()) {
    switch (uring_cannon::detail::ascii_lower(text.back())) {
      case 'k': unit = std::uint64_t(1) << 10; break;
      case 'm': unit = std::uint64_t(1) << 20; break;
      case 'g': unit = std::uint64_t(1) << 30; break;
      default: break;
    }
    if (unit != 1) text.remove_suffix(1);
  }
  const auto count = uring_cannon::detail::parse_decimal(text, max / unit);
  if (!count) return std::nullopt;
  return *count * unit;
}

/// The value of `name` in a query string ("a=1&b=2"), if present.
inline std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) noexcept {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace detail

// ---- one connection's HTTP state machine ------------------------------------------------------------

/// Turns the bytes of one connection into responses. It does no I/O: process() appends responses
/// to output() and says what the connection must do before feeding it the rest of the input.
class session {
 public:
  /// What the connection does after process() returns.
  enum class next : std::uint8_t {
    read_more,  ///< all input used: send output(), then receive
    flush,      ///< output() is large: send it, then process `rest`
    close,      ///< send output() and close the connection
    delay,      ///< send output(), sleep pending().delay, call finish_delay(), process `rest`
    stream,     ///< send output(), then the body pending() describes (stream_body()), process `rest`
    upgrade,    ///< send output() (the 101), then speak WebSocket; `rest` is its first bytes
  };
  struct step {
    next what;
    std::string_view rest;  ///< input not processed yet
  };

  /// A body sent in pieces after its head: `total` bytes in pieces of `piece` bytes, each piece a
  /// chunk when `chunked`, with `delay` before every piece but the first.
  struct pending_work {
    std::uint64_t total = 0;
    std::uint64_t piece = 0;
    bool chunked = false;
    std::chrono::milliseconds delay{0};
  };

  explicit session(thread_context& context) : context_(&context) {
    out_.reserve(4096);
    echo_.reserve(512);
  }

  /// Answers every request in `input` it can answer at once, in order.
  step process(std::string_view input) {
    for (;;) {
      const auto [consumed, event] = parser_.parse(input);
      input.remove_prefix(consumed);
      switch (event) {
        case http::request_event::need_more:
          return {next::read_more, input};
        case http::request_event::head:
          on_head();
          break;
        case http::request_event::body:
          break;  // only its length matters, and the parser counts it
        case http::request_event::complete: {
          context_->counters.count(context_->thread_index);
          const next what = respond();
          if (what != next::read_more) return {what, input};
          if (!keep_alive_) return {next::close, {}};
          if (out_.size() >= detail::flush_threshold) return {next::flush, input};
          break;
        }
        case http::request_event::error:
          context_->counters.count(context_->thread_index);
          keep_alive_ = false;
          head_only_ = false;
          write_text(parser_.error_status(), parser_.error_message());
          return {next::close, {}};
      }
    }
  }

  /// Responses waiting to be sent. The connection clears it after sending.
  std::string& output() noexcept { return out_; }
  const pending_work& pending() const noexcept { return pending_; }
  /// Whether the connection stays open after the latest response.
  bool keep_alive() const noexcept { return keep_alive_; }

  /// Writes the response of a /delay request once its time has passed.
  void finish_delay() {
    char text[40] = "delayed ";
    char* end = std::to_chars(text + 8, text + sizeof text - 3, pending_.delay.count()).ptr;
    end = std::copy_n(" ms", 3, end);
    write_text(200, std::string_view(text, std::size_t(end - text)));
  }

 private:
  enum class route : std::uint8_t { echo, health, stats, bin, chunked, upload, status, delay, websocket, not_found };

  void on_head() {
    method_ = parser_.method();
    target_ = parser_.target();
    head_held_ = parser_.has_body();
    if (head_held_) hold_head();
    route_ = classify(path());
    head_only_ = method_ == "HEAD";
    if (route_ == route::echo) start_echo();
    // A client that waits for permission to send its body gets it at the end of this batch.
    if (parser_.expects_continue() && parser_.has_body() && parser_.version_minor() >= 1)
      out_ += "HTTP/1.1 100 Continue\r\n\r\n";
  }

  // The head's views point into the receive that carried it. A request with a body completes
  // in a later receive, by which time that memory may hold other bytes (a provided buffer given
  // back, the TLS plaintext buffer refilled): what respond() reads of the head is copied first.
  void hold_head() {
    held_head_.assign(method_).append(target_);
    const std::size_t method_size = method_.size();
    method_ = std::string_view(held_head_).substr(0, method_size);
    target_ = std::string_view(held_head_).substr(method_size);
  }
  std::string_view path() const noexcept { return target_.substr(0, target_.find('?')); }
  std::string_view query() const noexcept {
    const std::size_t mark = target_.find('?');
    return mark == std::string_view::npos ? std::string_view{} : target_.substr(mark + 1);
  }

  static route classify(std::string_view path) noexcept {
    if (path == "/health") return route::health;
    if (path == "/") return route::echo;
    if (path == "/stats") return route::stats;
    if (path.starts_with("/bin/")) return route::bin;
    if (path == "/chunked" || path.starts_with("/chunked/")) return route::chunked;
    if (path == "/upload") return route::upload;
    if (path.starts_with("/status/")) return route::status;
    if (path.starts_with("/delay/")) return route::delay;
    if (path == "/ws") return route::websocket;
    return route::not_found;
  }

  next respond() {
    keep_alive_ = parser_.keep_alive();
    switch (route_) {
      case route::health:
        if (keep_alive_ && parser_.version_minor() == 1 && !head_only_) {
          out_ += "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK";
        } else {
          write_head(200, "text/plain", 2);
          if (!head_only_) out_ += "OK";
        }
        return next::read_more;
      case route::echo:
        finish_echo();
        return next::read_more;
      case route::stats: {
        const auto& counters = context_->counters;  // /stats is not a hot path: plain strings
        const std::string body = "{\"requests\": " + std::to_string(counters.total()) + ", \"connections\": " +
                                 std::to_string(counters.open_connections()) + ", \"accepted\": " +
                                 std::to_string(counters.accepted_connections()) + "}\n";
        write_head(200, "application/json", body.size());
        if (!head_only_) out_ += body;
        return next::read_more;
      }
      case route::bin:
        return respond_bin();
      case route::chunked:
        return respond_chunked();
      case route::upload:
        if (method_ != "POST" && method_ != "PUT") {
          write_text(405, "/upload takes POST or PUT", "text/plain", "Allow: POST, PUT\r\n");
        } else {
          char digits[24];
          const auto end = std::to_chars(digits, digits + sizeof digits, parser_.body_bytes()).ptr;
          write_text(200, std::string_view(digits, std::size_t(end - digits)));
        }
        return next::read_more;
      case route::status:
        return respond_status();
      case route::delay: {
        const auto ms = uring_cannon::detail::parse_decimal(path().substr(7), 60'000);
        if (!ms) {
          write_text(400, "bad /delay/{ms}: a number of milliseconds up to 60000");
          return next::read_more;
        }
        pending_.delay = std::chrono::milliseconds(*ms);
        return next::delay;
      }
      case route::websocket:
        return respond_upgrade();
      case route::not_found:
        write_text(404, "not found");
        return next::read_more;
    }
    return next::read_more;
  }

  // ---- writing responses ---------------------------------------------------------------------------

  enum class framing : std::uint8_t { length, chunked, none };

  /// Status line and headers. `extra` is zero or more complete header lines.
  void write_head(int status, std::string_view content_type, std::uint64_t length, framing how = framing::length,
                  std::string_view extra = {}) {
    out_ += "HTTP/1.1 ";
    detail::append_decimal(out_, std::uint64_t(status));
    out_ += ' ';
    out_ += detail::reason_phrase(status);
    out_ += "\r\n";
    if (!content_type.empty()) {
      out_ += "Content-Type: ";
      out_ += content_type;
      out_ += "\r\n";
    }
    if (how == framing::length) {
      out_ += "Content-Length: ";
      detail::append_decimal(out_, length);
      out_ += "\r\n";
    } else if (how == framing::chunked) {
      out_ += "Transfer-Encoding: chunked\r\n";
    }
    if (!keep_alive_) out_ += "Connection: close\r\n";
    else if (parser_.version_minor() == 0) out_ += "Connection: keep-alive\r\n";
    out_ += extra;
    out_ += "\r\n";
  }

  /// A complete response with a short text body (a line: `text` and a newline).
  void write_text(int status, std::string_view text, std::string_view content_type = "text/plain",
                  std::string_view extra = {}) {
    write_head(status, content_type, text.size() + 1, framing::length, extra);
    if (!head_only_) (out_ += text) += '\n';
  }

  // The echo's JSON is written when the head arrives, while the head is surely still readable: its
  // views may point into a receive buffer that is gone by the time a long body has been read.
  void start_echo() {
    echo_.clear();
    echo_ += "{\"method\":\"";
    detail::append_json_escaped(echo_, parser_.method());
    echo_ += "\",\"target\":\"";
    detail::append_json_escaped(echo_, parser_.target());
    echo_ += parser_.version_minor() == 0 ? "\",\"version\":\"HTTP/1.0\",\"headers\":{" : "\",\"version\":\"HTTP/1.1\",\"headers\":{";
    bool first = true;
    for (const http::request_header& h : parser_.headers()) {
      if (!first) echo_ += ',';
      first = false;
      echo_ += '"';
      detail::append_json_escaped(echo_, h.name);
      echo_ += "\":\"";
      detail::append_json_escaped(echo_, h.value);
      echo_ += '"';
    }
    echo_ += "},\"body_length\":";
  }

  void finish_echo() {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, parser_.body_bytes()).ptr;
    const std::string_view length(digits, std::size_t(end - digits));
    write_head(200, "application/json", echo_.size() + length.size() + 2);
    if (!head_only_) out_.append(echo_).append(length).append("}\n");
  }

  // ---- bodies ----------------------------------------------------------------------------------------

  next respond_bin() {
    const auto size = detail::parse_size(path().substr(5), std::uint64_t(1) << 40);
    if (!size) {
      write_text(400, "bad /bin/{size}: a byte count with an optional K, M or G suffix, up to 1T");
      return next::read_more;
    }
    const auto flag = detail::query_parameter(query(), "chunked");
    const bool chunked = flag && (*flag == "true" || *flag == "1") && parser_.version_minor() >= 1;
    return send_body(*size, chunked ? detail::bin_chunk : detail::body_piece, chunked, std::chrono::milliseconds(0));
  }

  next respond_chunked() {
    const std::string_view path = this->path();
    std::uint64_t count = 1;
    if (path.size() > 9) {
      const auto parsed = uring_cannon::detail::parse_decimal(path.substr(9), 10'000'000);
      if (!parsed) return bad_request("bad /chunked/{count}: a number up to 10000000");
      count = *parsed;
    }
    std::uint64_t size = 64, delay = 0;
    if (const auto text = detail::query_parameter(query(), "size")) {
      const auto parsed = detail::parse_size(*text, 16u << 20);
      if (!parsed || *parsed == 0) return bad_request("bad size: 1 byte to 16M");
      size = *parsed;
    }
    if (const auto text = detail::query_parameter(query(), "delay")) {
      const auto parsed = uring_cannon::detail::parse_decimal(*text, 60'000);
      if (!parsed) return bad_request("bad delay: milliseconds up to 60000");
      delay = *parsed;
    }
    // HTTP/1.0 has no chunked coding: the same bytes, paced the same way, with a Content-Length.
    const bool chunked = parser_.version_minor() >= 1;
    return send_body(count * size, size, chunked, std::chrono::milliseconds(delay));
  }

  next bad_request(std::string_view why) {
    write_text(400, why);
    return next::read_more;
  }

  // The head now; the body now when it is small and not paced, else later by stream_body().
  next send_body(std::uint64_t total, std::uint64_t piece, bool chunked, std::chrono::milliseconds delay) {
    write_head(200, "application/octet-stream", total, chunked ? framing::chunked : framing::length);
    if (head_only_) return next::read_more;
    pending_ = {total, piece, chunked, delay};
    if (total > detail::inline_body_limit || (delay.count() > 0 && total > piece)) return next::stream;
    std::uint64_t offset = 0;
    while (offset < total) {
      const std::uint64_t n = std::min(piece, total - offset);
      if (chunked) {
        detail::append_hex(out_, n);
        out_ += "\r\n";
      }
      out_ += detail::body_bytes(offset, std::size_t(n));
      if (chunked) out_ += "\r\n";
      offset += n;
    }
    if (chunked) out_ += "0\r\n\r\n";
    return next::read_more;
  }

  next respond_status() {
    const auto code = uring_cannon::detail::parse_decimal(path().substr(8), 999);
    if (!code || *code < 100 || *code > 599) return bad_request("bad /status/{code}: 100 to 599");
    const int status = int(*code);
    if (status == 101) return bad_request("101 is only sent for a WebSocket upgrade: see /ws");
    if (status < 200) {
      // An interim response cannot end a request: send it, then the final answer.
      out_ += "HTTP/1.1 ";
      detail::append_decimal(out_, std::uint64_t(status));
      ((out_ += ' ') += detail::reason_phrase(status)) += "\r\n\r\n";
      write_text(200, "OK");
    } else if (status == 204 || status == 304) {
      write_head(status, {}, 0, framing::none);
    } else {
      std::string_view reason = detail::reason_phrase(status);
      write_head(status, "text/plain", 4 + reason.size() + 1);
      if (!head_only_) {
        detail::append_decimal(out_, std::uint64_t(status));
        ((out_ += ' ') += reason) += '\n';
      }
    }
    return next::read_more;
  }

  next respond_upgrade() {
    // Its headers are not held past a body (a GET upgrade has none): one with a body is refused.
    if (head_held_) return bad_request("a WebSocket upgrade request has no body");
    const auto upgrade = parser_.header("upgrade");
    if (method_ != "GET" || !upgrade) {
      write_text(426, "/ws takes a WebSocket upgrade", "text/plain", "Upgrade: websocket\r\nConnection: Upgrade\r\n");
      return next::read_more;
    }
    const auto version = parser_.header("sec-websocket-version").value_or("");
    auto reply = websocket::server_handshake_response(*upgrade, parser_.header("connection").value_or(""), version,
                                                      parser_.header("sec-websocket-key").value_or(""));
    if (!reply) {
      if (version != "13") write_text(426, reply.error(), "text/plain", "Sec-WebSocket-Version: 13\r\n");
      else write_text(400, reply.error());
      return next::read_more;
    }
    out_ += *reply;
    return next::upgrade;
  }

  thread_context* context_;
  http::request_parser parser_;
  std::string out_;
  std::string echo_;
  std::string_view method_;  ///< the current request's, in its receive or in held_head_
  std::string_view target_;
  std::string held_head_;    ///< method and target of a request with a body
  route route_ = route::not_found;
  bool head_held_ = false;
  bool head_only_ = false;
  bool keep_alive_ = true;
  pending_work pending_;
};

// ---- how a connection's bytes travel ---------------------------------------------------------------
//
// The coroutines below are written once over a transport, which moves the bytes the session reads
// and writes. A transport provides:
//   receive()          awaitable: the next received bytes as a string_view, valid until the next
//                      receive(); nullopt at the end of the stream or on an error
//   send(bytes)        awaitable: sends all of `bytes`; a result that is false on failure
//   shutdown_output()  awaitable: ends the sending side (the peer sees end of stream)
//   incoming()         the raw multishot receive, for draining before a close
// plain_transport hands the operations' own awaitables through, so the plain path runs the same
// code, with the same frames and copies, as before transports existed.

/// A connection without TLS: received buffers are read in place, responses sent as they are.
class plain_transport {
 public:
  static constexpr bool encrypted = false;

  plain_transport(tcp_stream& conn, thread_context& context) : conn_(conn), incoming_(conn.receiver(context.buffers)) {}

  /// The next chunk in place; the previous one goes back to the ring first.
  auto receive() noexcept {
    lease_.reset();  // the previous chunk is used up: its buffer goes back before the wait
    using next_awaiter = decltype(incoming_.next());
    struct awaiter {
      plain_transport& self;
      next_awaiter next;
      bool await_ready() noexcept { return next.await_ready(); }
      auto await_suspend(std::coroutine_handle<> waiter) { return next.await_suspend(waiter); }
      std::optional<std::string_view> await_resume() noexcept {
        auto chunk = next.await_resume();
        if (!chunk || chunk->empty()) return std::nullopt;
        self.lease_ = std::move(*chunk);
        return self.lease_.chars();
      }
    };
    return awaiter{*this, incoming_.next()};
  }
  /// `bytes` must stay put until the send completes, as for any send.
  auto send(std::string_view bytes) noexcept { return conn_.send_all(bytes); }
  auto shutdown_output() noexcept { return conn_.shutdown(SHUT_WR); }
  recv_stream& incoming() noexcept { return incoming_; }

 private:
  tcp_stream& conn_;
  recv_stream incoming_;
  buffer_lease lease_;  ///< the chunk the latest receive() points into
};

#ifdef URING_CANNON_WITH_TLS
/// A connection through TLS: ciphertext moves through the ring, the session reads decrypted bytes
/// from a per-connection buffer, and what it sends is encrypted a slice at a time.
class tls_transport {
 public:
  static constexpr bool encrypted = true;
  /// Plaintext handed to the session per receive (one full TLS record).
  static constexpr std::size_t plaintext_capacity = 16 * 1024;
  /// Plaintext encrypted per send: a large body never becomes one large ciphertext buffer.
  static constexpr std::size_t send_slice = 64 * 1024;
  /// How long a client has to complete its handshake.
  static constexpr std::chrono::seconds handshake_timeout{10};

  tls_transport(tcp_stream& conn, thread_context& context)
      : conn_(conn), context_(context), incoming_(conn.receiver(context.buffers)),
        plaintext_(new char[plaintext_capacity]) {}

  /// Runs the server side of the handshake; false when it failed or timed out (the alert that
  /// explains a failure has been sent).
  task<bool> handshake() {
    if (context_.tls == nullptr || !session_.start_server(*context_.tls)) co_return false;
    const auto done = co_await tls_handshake(context_.sched, conn_.fd(), session_, context_.buffers, handshake_timeout);
    co_return done.ok();
  }

  /// Decrypts everything that has arrived, up to the buffer's size, so that requests pipelined
  /// over several records are still answered in one batch. Waits for the socket only when no
  /// complete record is buffered.
  task<std::optional<std::string_view>> receive() {
    std::size_t filled = 0;
    for (;;) {
      while (filled < plaintext_capacity) {
        const tls_read_result r = session_.read_plaintext(
            std::as_writable_bytes(std::span<char>(plaintext_.get() + filled, plaintext_capacity - filled)));
        if (r.status == tls_read_status::data) {
          filled += r.size;
        } else if (r.status == tls_read_status::would_block || filled > 0) {
          break;  // a close or an error after data reads again on the next receive()
        } else {
          // The end: answer the peer's close_notify, or send the alert that explains an error.
          if (r.status == tls_read_status::closed) (void)session_.write_close_notify();
          if (!session_.pending_ciphertext().empty()) (void)co_await tls_flush(context_.sched, conn_.fd(), session_);
          co_return std::nullopt;
        }
      }
      if (filled > 0) co_return std::string_view(plaintext_.get(), filled);
      // Reading may have queued records of our own (a KeyUpdate answer): they go out before we wait.
      if (!session_.pending_ciphertext().empty() && !co_await tls_flush(context_.sched, conn_.fd(), session_))
        co_return std::nullopt;
      auto chunk = co_await incoming_.next();
      // No complete record is buffered, so an end of stream here ends the plaintext too.
      if (!chunk || chunk->empty()) co_return std::nullopt;
      session_.feed_ciphertext(chunk->bytes());
    }
  }

  /// Encrypts and sends `bytes`, send_slice at a time; the result is bytes.size().
  task<io_result<std::size_t>> send(std::string_view bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
      const std::string_view slice = bytes.substr(done, send_slice);
      if (!session_.write_plaintext(slice)) co_return io_result<std::size_t>::failure(EPROTO);
      const auto sent = co_await tls_flush(context_.sched, conn_.fd(), session_);
      if (!sent) co_return sent;
      done += slice.size();
    }
    co_return bytes.size();
  }

  /// Sends close_notify (best effort: the TCP shutdown follows either way), then shuts down.
  task<bool> shutdown_output() {
    if (session_.write_close_notify()) (void)co_await tls_flush(context_.sched, conn_.fd(), session_);
    co_return bool(co_await conn_.shutdown(SHUT_WR));
  }

  recv_stream& incoming() noexcept { return incoming_; }

 private:
  tcp_stream& conn_;
  thread_context& context_;
  recv_stream incoming_;
  tls_session session_;  ///< also holds the ciphertext an in-flight send points at
  std::unique_ptr<char[]> plaintext_;
};
#endif

// ---- the coroutines around the session ---------------------------------------------------------------

/// Sends and clears `out`; false when the connection failed. A buffer that grew large for one
/// burst is given back, so an idle connection holds little.
template <class Transport>
inline task<bool> flush(Transport& t, std::string& out) {
  if (out.empty()) co_return true;
  const auto sent = co_await t.send(out);
  out.clear();
  if (out.capacity() > (1u << 20)) {
    std::string().swap(out);
    out.reserve(4096);
  }
  co_return bool(sent);
}

/// Sends `out`, then half-closes and reads until the peer closes (at most 1 MiB), so that the
/// last response is not lost to a reset caused by unread data.
template <class Transport>
inline task<> close_gracefully(Transport& t, std::string& out) {
  if (!co_await flush(t, out)) co_return;
  if (!co_await t.shutdown_output()) co_return;
  std::size_t drained = 0;
  while (drained < (1u << 20)) {
    auto chunk = co_await t.incoming().next();  // raw bytes (ciphertext, with TLS): only counted
    if (!chunk || chunk->empty()) co_return;
    drained += chunk->size();
  }
}

/// Sends the body a `stream` step describes, from the shared static buffer, piece by piece.
template <class Transport>
inline task<bool> stream_body(Transport& t, scheduler& sched, const session::pending_work& work, std::string& out) {
  std::uint64_t offset = 0;
  while (offset < work.total) {
    if (offset > 0 && work.delay.count() > 0) {
      if (!co_await flush(t, out)) co_return false;
      (void)co_await sleep_for(sched, work.delay);
    }
    const std::uint64_t n = std::min(work.piece, work.total - offset);
    if (work.chunked) {
      detail::append_hex(out, n);
      out += "\r\n";
    }
    if (n <= 16 * 1024) {
      out += detail::body_bytes(offset, std::size_t(n));  // small: one send with its framing
    } else {
      if (!co_await flush(t, out)) co_return false;
      for (std::uint64_t done = 0; done < n;) {
        const std::string_view bytes = detail::body_bytes(offset + done, std::size_t(std::min<std::uint64_t>(n - done, detail::body_piece)));
        if (!co_await t.send(bytes)) co_return false;
        done += bytes.size();
      }
    }
    if (work.chunked) out += "\r\n";
    offset += n;
    if (out.size() >= detail::flush_threshold && !co_await flush(t, out)) co_return false;
  }
  if (work.chunked) out += "0\r\n\r\n";
  co_return co_await flush(t, out);
}

/// Appends one unmasked server frame to `out`.
inline void append_frame(std::string& out, websocket::opcode op, std::span<const char> payload) {
  const std::size_t at = out.size();
  out.resize(at + websocket::frame_size(payload.size(), false));
  websocket::encode_server_frame(std::span<char>(out.data() + at, out.size() - at), op, payload);
}

/// The WebSocket half of a connection after its 101: echoes messages, answers pings, and
/// completes the close handshake. `first` holds bytes that arrived with the upgrade request.
template <class Transport>
inline task<> serve_websocket(Transport& t, std::string_view first, std::string& out) {
  websocket::message_decoder decoder(websocket::role::server);
  std::string_view input = first;
  for (;;) {
    bool closing = false;
    while (!closing) {
      const auto [consumed, event] = decoder.decode(std::span<const char>(input.data(), input.size()));
      input.remove_prefix(consumed);
      if (event == websocket::decode_event::need_more) break;
      switch (event) {
        case websocket::decode_event::message:
          append_frame(out, decoder.message_opcode(), decoder.payload());
          break;
        case websocket::decode_event::ping:
          append_frame(out, websocket::opcode::pong, decoder.payload());
          break;
        case websocket::decode_event::close: {
          // Echo the peer's status code (none when it sent none), then close.
          std::array<char, websocket::max_control_payload> payload{};
          std::size_t size = 0;
          if (decoder.close_code() != websocket::close_status::no_status)
            size = websocket::encode_close_payload(payload, decoder.close_code());
          append_frame(out, websocket::opcode::close, std::span<const char>(payload.data(), size));
          closing = true;
          break;
        }
        case websocket::decode_event::error: {
          std::array<char, websocket::max_control_payload> payload{};
          const std::size_t size = websocket::encode_close_payload(payload, decoder.error_close_code(), decoder.error_message());
          append_frame(out, websocket::opcode::close, std::span<const char>(payload.data(), size));
          closing = true;
          break;
        }
        default:
          break;  // pong: nothing to do
      }
      if (out.size() >= detail::flush_threshold && !co_await flush(t, out)) co_return;
    }
    if (closing) {
      co_await close_gracefully(t, out);
      co_return;
    }
    if (!co_await flush(t, out)) co_return;
    const std::optional<std::string_view> received = co_await t.receive();  // `input` is used up
    if (!received) co_return;
    input = *received;
  }
}

/// Serves one connection until the peer closes, an error, or a response that ends it. Over TLS
/// the handshake comes first; one that fails closes the connection, and nothing is counted.
template <class Transport = plain_transport>
inline task<> serve_connection(tcp_stream conn, thread_context& context) {
  Transport t(conn, context);
  if constexpr (Transport::encrypted) {
    if (!co_await t.handshake()) co_return;
  }
  // /stats counts the connections open now. The guard keeps the server's counters, not the
  // thread's context: a coroutine still suspended at shutdown is destroyed by ~scheduler, after
  // the context it was given has gone.
  struct open_while_served {
    request_counters& counters;
    unsigned thread;
    open_while_served(request_counters& c, unsigned t) : counters(c), thread(t) { counters.connections_change(thread, 1); }
    ~open_while_served() { counters.connections_change(thread, -1); }
  } counted(context.counters, context.thread_index);
  session state(context);
  std::string& out = state.output();
  for (;;) {
    const std::optional<std::string_view> received = co_await t.receive();
    if (!received) co_return;
    std::string_view input = *received;
    for (bool more = true; more;) {
      const session::step step = state.process(input);
      input = step.rest;
      switch (step.what) {
        case session::next::read_more:
          more = false;
          break;
        case session::next::flush:
          if (!co_await flush(t, out)) co_return;
          break;
        case session::next::close:
          co_await close_gracefully(t, out);
          co_return;
        case session::next::delay:
          if (!co_await flush(t, out)) co_return;
          (void)co_await sleep_for(context.sched, state.pending().delay);
          state.finish_delay();
          if (!state.keep_alive()) {
            co_await close_gracefully(t, out);
            co_return;
          }
          break;
        case session::next::stream:
          if (!co_await flush(t, out)) co_return;
          if (!co_await stream_body(t, context.sched, state.pending(), out)) co_return;
          if (!state.keep_alive()) {
            co_await close_gracefully(t, out);
            co_return;
          }
          break;
        case session::next::upgrade:
          if (!co_await flush(t, out)) co_return;
          co_await serve_websocket(t, input, out);
          co_return;
      }
    }
    // The batch: every response to the requests of this receive, in one send.
    if (!out.empty()) {
      const auto sent = co_await t.send(out);
      out.clear();
      if (!sent) co_return;
    }
  }
}

/// Accepts connections on `l` and serves each one (through TLS when the context has a TLS
/// server context). Accept errors (EMFILE, say) are counted in `*accept_errors` and followed
/// by a 1 ms pause instead of a spin.
inline task<> accept_connections(thread_context& context, listener& l, std::uint64_t* accept_errors = nullptr) {
  auto accepts = l.accepts(context.sched);
  for (;;) {
    auto fd = co_await accepts.next();
    if (!fd) {
      if (accept_errors != nullptr) ++*accept_errors;
      (void)co_await sleep_for(context.sched, std::chrono::milliseconds(1));
      continue;
    }
    const int one = 1;
    ::setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // heads and streamed pieces go out at once
#ifdef URING_CANNON_WITH_TLS
    if (context.tls != nullptr) {
      context.sched.spawn(serve_connection<tls_transport>(tcp_stream(context.sched, *fd), context));
      continue;
    }
#endif
    context.sched.spawn(serve_connection<plain_transport>(tcp_stream(context.sched, *fd), context));
  }
}

// ---- the server ------------------------------------------------------------------------------------

struct server_options {
  unsigned threads = 1;
  unsigned ring_entries = 1024;
  unsigned buffer_count = 1024;        ///< provided receive buffers per thread (a power of two)
  std::uint32_t buffer_size = 16384;   ///< bytes per receive buffer
#ifdef URING_CANNON_WITH_TLS
  /// When set (created), every connection is HTTPS / WSS: one context serves all threads.
  tls_server_context tls{};
#endif
};

/// The whole server: `threads` threads, each with its own scheduler and listener on one port.
class server {
 public:
  /// Binds the listeners (the first one picks the port when `local` has port 0; the others join
  /// it with SO_REUSEPORT). Throws std::system_error when binding fails.
  explicit server(const endpoint& local, server_options options = {})
      : options_(std::move(options)), counters_(std::max(1u, options_.threads)),
        schedulers_(std::make_unique<std::atomic<scheduler*>[]>(std::max(1u, options_.threads))) {
    options_.threads = std::max(1u, options_.threads);
    const listener_options listen{.backlog = 4096, .reuse_port = options_.threads > 1};
    listeners_.push_back(listener::bind(local, listen));
    local_ = listeners_.front().local_endpoint();
    for (unsigned i = 1; i < options_.threads; ++i) listeners_.push_back(listener::bind(local_, listen));
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound address, with the port the kernel picked.
  const endpoint& local_endpoint() const noexcept { return local_; }

  /// Serves until request_stop(), on `threads` new threads. Rethrows the first exception that
  /// stopped a thread (which stops the others too).
  void run() {
    std::vector<std::thread> threads;
    threads.reserve(options_.threads);
    for (unsigned i = 0; i < options_.threads; ++i) threads.emplace_back([this, i] { thread_main(i); });
    for (std::thread& t : threads) t.join();
    if (failure_) std::rethrow_exception(failure_);
  }

  /// Stops every thread. Safe from any thread and from a signal handler (atomics and write()).
  void request_stop() noexcept {
    stop_callers_.fetch_add(1);
    stop_requested_.store(true);
    for (unsigned i = 0; i < options_.threads; ++i)
      if (scheduler* s = schedulers_[i].load()) s->request_stop();
    stop_callers_.fetch_sub(1);
  }

  /// Requests answered so far, over all threads.
  std::uint64_t requests_served() const noexcept { return counters_.total(); }
  /// Accept errors over all threads (read after run() returns).
  std::uint64_t accept_errors() const noexcept { return accept_errors_.load(std::memory_order_relaxed); }

 private:
  // Makes a thread's scheduler reachable by request_stop() for as long as it lives.
  class publication {
   public:
    publication(server& owner, unsigned index, scheduler& s) : owner_(owner), index_(index) {
      // Publish, then look at the flag: a concurrent request_stop() either sees the scheduler or
      // is seen here (both sides are sequentially consistent).
      owner_.schedulers_[index_].store(&s);
      if (owner_.stop_requested_.load()) s.request_stop();
    }
    publication(const publication&) = delete;
    ~publication() {
      owner_.schedulers_[index_].store(nullptr);
      while (owner_.stop_callers_.load() != 0) std::this_thread::yield();  // nobody may still hold it
    }

   private:
    server& owner_;
    unsigned index_;
  };

  void thread_main(unsigned index) {
    std::uint64_t errors = 0;
    try {
      // Declared before the scheduler, so it outlives it: ~scheduler destroys the connections still
      // suspended at shutdown, and their frames refer to the context.
      std::optional<thread_context> context;
      scheduler s({.ring = {.entries = options_.ring_entries}});
      auto& buffers = s.make_buffer_ring(options_.buffer_count, options_.buffer_size);
      context.emplace(thread_context{s, buffers, counters_, index});
#ifdef URING_CANNON_WITH_TLS
      if (options_.tls) context->tls = &options_.tls;
#endif
      s.spawn(accept_connections(*context, listeners_[index], &errors));
      const publication published(*this, index, s);
      s.run();
    } catch (...) {
      {
        std::lock_guard lock(failure_mutex_);
        if (!failure_) failure_ = std::current_exception();
      }
      request_stop();
    }
    accept_errors_.fetch_add(errors, std::memory_order_relaxed);
  }

  server_options options_;
  endpoint local_;
  std::vector<listener> listeners_;
  request_counters counters_;
  std::unique_ptr<std::atomic<scheduler*>[]> schedulers_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<unsigned> stop_callers_{0};
  std::atomic<std::uint64_t> accept_errors_{0};
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
};

}  // namespace uring_cannon::test_server
