#pragma once
// The WebSocket opening handshake (RFC 6455 section 4): the client's Upgrade request, the
// incremental check of the server's 101 reply, and the server's side (accept computation).
// Pure code on byte spans; the caller does the I/O. It runs once per connection, so it may
// allocate; the frame layer (websocket_frame.hpp) is what runs per message.

#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/detail/base64.hpp>
#include <uring_cannon/detail/sha1.hpp>
#include <uring_cannon/or_error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace uring_cannon::detail {

/// `s` without the spaces and tabs (HTTP's "optional whitespace") around it.
constexpr std::string_view websocket_trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace uring_cannon::detail

namespace uring_cannon::websocket {

/// The GUID RFC 6455 appends to the key before hashing it.
inline constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A Sec-WebSocket-Key: the base64 of 16 random bytes (24 characters). The caller supplies the
/// randomness (any decent per-connection generator will do: the key only defeats caches).
inline std::string make_key(std::uint64_t random_hi, std::uint64_t random_lo) {
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(random_hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(random_lo >> (56 - 8 * i));
  }
  return detail::base64_encode(bytes, sizeof bytes);
}

/// The Sec-WebSocket-Accept a server answers to `client_key`: base64(SHA-1(key + GUID)).
inline std::string accept_key(std::string_view client_key) {
  detail::sha1 hash;
  hash.update(client_key);
  hash.update(handshake_guid);
  const auto digest = hash.finish();
  return detail::base64_encode(digest.data(), digest.size());
}

/// The client's opening handshake: a GET for `target` ("/chat") with the Upgrade headers, no
/// subprotocol and no extension. `host_header` is the Host value ("example.com:8080").
inline std::string client_upgrade_request(std::string_view host_header, std::string_view target, std::string_view key) {
  std::string request;
  request.reserve(128 + host_header.size() + target.size() + key.size());
  request.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_header);
  request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
  request.append("\r\nSec-WebSocket-Version: 13\r\n\r\n");
  return request;
}

enum class handshake_event : std::uint8_t {
  need_more,  ///< the header block is not complete yet; every byte given was consumed
  accepted,   ///< a valid 101 reply: the connection now speaks WebSocket frames
  rejected,   ///< anything else; error_message() says why
};

struct handshake_result {
  std::size_t consumed;  ///< bytes of this slice that belonged to the handshake
  handshake_event event;
};

/// Checks the server's reply to client_upgrade_request(), fed in slices of any size: status 101,
/// `Upgrade: websocket`, `Connection` listing `upgrade`, `Sec-WebSocket-Accept` equal to
/// accept_key(key), and no extension or subprotocol (the client offers none).
///
/// Only the current, unfinished header line is buffered, so memory stays at the longest line.
/// Once accepted or rejected, further calls consume nothing and repeat the verdict.
class handshake_response_parser {
 public:
  /// `key` is the Sec-WebSocket-Key that was sent; a header block longer than
  /// `max_header_bytes` (status line and final blank line included) is rejected.
  explicit handshake_response_parser(std::string key, std::size_t max_header_bytes = 16 * 1024)
      : expected_accept_(accept_key(key)), max_header_bytes_(max_header_bytes) {}

  /// Consumes bytes up to and including the blank line that ends the header block; whatever
  /// follows it in `bytes` (the first frames, say) is left for the frame decoder.
  handshake_result parse(std::span<const char> bytes) {
    if (event_ != handshake_event::need_more) return {0, event_};
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      const char* start = bytes.data() + pos;
      const void* newline = std::memchr(start, '\n', bytes.size() - pos);
      const std::size_t end = newline != nullptr ? std::size_t(static_cast<const char*>(newline) - bytes.data()) + 1 : bytes.size();
      const std::size_t taken = end - pos;
      if (taken > max_header_bytes_ - header_bytes_) {
        reject("handshake response header block exceeds " + std::to_string(max_header_bytes_) + " bytes");
        return {bytes.size(), event_};
      }
      header_bytes_ += taken;
      pos = end;
      if (newline == nullptr) {
        partial_line_.append(start, taken);
        break;
      }
      std::string_view line(start, taken - 1);
      if (!partial_line_.empty()) {
        partial_line_.append(start, taken - 1);
        line = partial_line_;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      on_line(line);
      partial_line_.clear();
      if (event_ != handshake_event::need_more) {
        partial_line_.shrink_to_fit();  // a connection keeps this object; give the memory back
        return {pos, event_};
      }
    }
    return {pos, event_};
  }

  /// Why the reply was rejected ("expected 101 Switching Protocols, got 200"); empty otherwise.
  const std::string& error_message() const noexcept { return error_; }
  /// The reply's status code once the status line was read, 0 before.
  int status() const noexcept { return status_; }
  handshake_event state() const noexcept { return event_; }

 private:
  void on_line(std::string_view line) {
    if (status_ == 0) return on_status_line(line);
    if (line.empty()) return finish();
    if (line.front() == ' ' || line.front() == '\t') return reject("obsolete line folding in handshake response");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line[colon - 1] == ' ' || line[colon - 1] == '\t')
      return reject("malformed header line in handshake response");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = detail::websocket_trim_ows(line.substr(colon + 1));
    using detail::iequals;
    if (iequals(name, "upgrade")) {
      upgrade_seen_ = true;
      upgrade_ok_ = iequals(value, "websocket");
    } else if (iequals(name, "connection")) {
      connection_ok_ = connection_ok_ || detail::header_list_contains(value, "upgrade");
    } else if (iequals(name, "sec-websocket-accept")) {
      if (accept_seen_) return reject("more than one Sec-WebSocket-Accept header");
      accept_seen_ = true;
      accept_ok_ = value == expected_accept_;
    } else if (iequals(name, "sec-websocket-extensions")) {
      if (!value.empty()) return reject("server selected an extension the client did not offer");
    } else if (iequals(name, "sec-websocket-protocol")) {
      if (!value.empty()) return reject("server selected a subprotocol the client did not offer");
    }
  }

  void on_status_line(std::string_view line) {
    // "HTTP/1.x SP 3DIGIT [SP reason]"
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !detail::is_digit(line[7]) ||
        line[8] != ' ' || (line.size() > 12 && line[12] != ' '))
      return reject("malformed status line in handshake response");
    const auto code = detail::parse_decimal(line.substr(9, 3));
    if (!code || *code < 100) return reject("malformed status line in handshake response");
    status_ = int(*code);
    if (status_ != 101) reject("expected 101 Switching Protocols, got " + std::to_string(status_));
  }

  void finish() {
    if (!upgrade_seen_) return reject("missing Upgrade header in handshake response");
    if (!upgrade_ok_) return reject("Upgrade header is not websocket");
    if (!connection_ok_) return reject("missing Connection: Upgrade in handshake response");
    if (!accept_seen_) return reject("missing Sec-WebSocket-Accept header");
    if (!accept_ok_) return reject("Sec-WebSocket-Accept mismatch");
    event_ = handshake_event::accepted;
  }

  void reject(std::string message) {
    error_ = std::move(message);
    event_ = handshake_event::rejected;
  }

  std::string expected_accept_;
  std::size_t max_header_bytes_;
  std::size_t header_bytes_ = 0;
  std::string partial_line_;  // a line split across slices, without its '\n'
  std::string error_;
  int status_ = 0;
  handshake_event event_ = handshake_event::need_more;
  bool upgrade_seen_ = false, upgrade_ok_ = false, connection_ok_ = false, accept_seen_ = false, accept_ok_ = false;
};

/// The server's side: given the values of the request's Upgrade, Connection,
/// Sec-WebSocket-Version and Sec-WebSocket-Key headers (empty when absent), the complete
/// `101 Switching Protocols` reply, or why the request is not a valid WebSocket upgrade. A server
/// answers a failure with 400 (and, for a version mismatch, RFC 6455 asks for 426 with
/// `Sec-WebSocket-Version: 13`).
inline or_error<std::string> server_handshake_response(std::string_view upgrade, std::string_view connection,
                                                       std::string_view version, std::string_view key) {
  using result = or_error<std::string>;
  upgrade = detail::websocket_trim_ows(upgrade);
  version = detail::websocket_trim_ows(version);
  key = detail::websocket_trim_ows(key);
  if (!detail::header_list_contains(upgrade, "websocket")) return result::failure("Upgrade header does not name websocket");
  if (!detail::header_list_contains(connection, "upgrade")) return result::failure("Connection header does not list upgrade");
  if (version != "13") return result::failure("unsupported Sec-WebSocket-Version '" + std::string(version) + "' (expected 13)");
  if (key.empty()) return result::failure("missing Sec-WebSocket-Key");
  const auto nonce = detail::base64_decode(key);
  if (!nonce || nonce->size() != 16) return result::failure("Sec-WebSocket-Key is not the base64 of 16 bytes");
  std::string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  reply.append(accept_key(key)).append("\r\n\r\n");
  return reply;
}

}  // namespace uring_cannon::websocket
