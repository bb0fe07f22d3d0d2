#pragma once
// WebSocket frames (RFC 6455 section 5): encoding client (masked) and server (unmasked) frames,
// and message_decoder, an incremental decoder that validates frames, unmasks them, assembles
// fragmented messages and reports control frames. It sends nothing itself: answering a ping with
// a pong and echoing a close are the caller's business, with the encoders below.
//
// No extension is supported (none is ever negotiated by websocket_handshake.hpp), so RSV bits
// must be zero.

#include <uring_cannon/detail/utf8.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace uring_cannon::websocket {

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

/// Which end of the connection a decoder sits at: a client's decoder expects unmasked frames,
/// a server's masked ones.
enum class role : std::uint8_t { client, server };

/// Close status codes used here (RFC 6455 section 7.4.1).
namespace close_status {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005;  ///< never sent: "the close frame had no code"
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t message_too_big = 1009;
}  // namespace close_status

/// Whether `code` may appear in a close frame: the defined codes other than those reserved for
/// local use (1004, 1005, 1006, 1015), and the 3000-4999 range for libraries and applications.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

/// Largest payload a control frame (close, ping, pong) may carry.
inline constexpr std::size_t max_control_payload = 125;

/// Bytes of a frame carrying `payload_size` bytes: header (2, 4 or 10 bytes), mask key (4 bytes
/// when masked) and payload.
constexpr std::size_t frame_size(std::size_t payload_size, bool masked) noexcept {
  const std::size_t length_bytes = payload_size <= 125 ? 0 : payload_size <= 0xFFFF ? 2 : 8;
  return 2 + length_bytes + (masked ? 4 : 0) + payload_size;
}

}  // namespace uring_cannon::websocket

namespace uring_cannon::detail {

/// dst[i] = src[i] ^ key byte (phase + i) % 4, where the key's bytes are `mask_key` big-endian
/// (so 0x37fa213d is the RFC's 37 fa 21 3d). dst may equal src. Eight bytes per step.
inline void websocket_mask(char* dst, const char* src, std::size_t size, std::uint32_t mask_key, std::size_t phase) noexcept {
  unsigned char key[8];
  for (std::size_t i = 0; i < 8; ++i) key[i] = static_cast<unsigned char>(mask_key >> (24 - 8 * ((i + phase) % 4)));
  std::uint64_t key_word;
  std::memcpy(&key_word, key, 8);  // memory order, so this works whatever the host's endianness
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, src + i, 8);
    word ^= key_word;
    std::memcpy(dst + i, &word, 8);
  }
  for (; i < size; ++i) dst[i] = static_cast<char>(src[i] ^ static_cast<char>(key[i % 4]));
}

}  // namespace uring_cannon::detail

namespace uring_cannon::websocket {

/// Writes a frame header for `payload_size` bytes into `out` and returns its length (2 to 14
/// bytes), or 0 when `out` is too small. The payload itself (masked, if `masked`) follows.
inline std::size_t encode_frame_header(std::span<char> out, opcode op, std::uint64_t payload_size, bool fin, bool masked,
                                       std::uint32_t mask_key = 0) noexcept {
  const std::size_t length_bytes = payload_size <= 125 ? 0 : payload_size <= 0xFFFF ? 2 : 8;
  const std::size_t size = 2 + length_bytes + (masked ? 4 : 0);
  if (out.size() < size) return 0;
  out[0] = static_cast<char>((fin ? 0x80 : 0) | static_cast<unsigned>(op));
  const unsigned mask_bit = masked ? 0x80 : 0;
  if (length_bytes == 0) {
    out[1] = static_cast<char>(mask_bit | unsigned(payload_size));
  } else {
    out[1] = static_cast<char>(mask_bit | (length_bytes == 2 ? 126u : 127u));
    for (std::size_t i = 0; i < length_bytes; ++i) out[2 + i] = static_cast<char>(payload_size >> (8 * (length_bytes - 1 - i)));
  }
  if (masked)
    for (std::size_t i = 0; i < 4; ++i) out[2 + length_bytes + i] = static_cast<char>(mask_key >> (24 - 8 * i));
  return size;
}

/// Writes one client frame (masked with `mask_key`, big-endian as it appears on the wire) into
/// `out` and returns its size, frame_size(payload.size(), true); 0 when `out` is too small.
/// RFC 6455 wants a fresh unpredictable mask per frame from browsers; a load generator may reuse
/// one.
inline std::size_t encode_client_frame(std::span<char> out, opcode op, std::span<const char> payload, std::uint32_t mask_key,
                                       bool fin = true) noexcept {
  if (out.size() < frame_size(payload.size(), true)) return 0;
  const std::size_t header = encode_frame_header(out, op, payload.size(), fin, true, mask_key);
  detail::websocket_mask(out.data() + header, payload.data(), payload.size(), mask_key, 0);
  return header + payload.size();
}

/// Writes one (unmasked) server frame into `out` and returns its size, frame_size(payload.size(),
/// false); 0 when `out` is too small.
inline std::size_t encode_server_frame(std::span<char> out, opcode op, std::span<const char> payload, bool fin = true) noexcept {
  if (out.size() < frame_size(payload.size(), false)) return 0;
  const std::size_t header = encode_frame_header(out, op, payload.size(), fin, false);
  if (!payload.empty()) std::memcpy(out.data() + header, payload.data(), payload.size());
  return header + payload.size();
}

/// The payload of a close frame: the status code big-endian, then up to 123 bytes of `reason`
/// (longer reasons are cut). Returns the bytes written into `out`.
inline std::size_t encode_close_payload(std::span<char, max_control_payload> out, std::uint16_t code, std::string_view reason = {}) noexcept {
  out[0] = static_cast<char>(code >> 8);
  out[1] = static_cast<char>(code & 0xFF);
  const std::size_t n = reason.size() < max_control_payload - 2 ? reason.size() : max_control_payload - 2;
  if (n != 0) std::memcpy(out.data() + 2, reason.data(), n);
  return 2 + n;
}

enum class decode_event : std::uint8_t {
  need_more,  ///< every byte given was consumed (buffered); feed more
  message,    ///< a complete text or binary message: message_opcode(), payload()
  ping,       ///< payload() is the ping's; answer with a pong carrying it
  pong,
  close,      ///< close_code(), close_reason(); the decoder is finished
  error,      ///< error_message(), error_close_code(); the decoder is finished
};

struct decode_result {
  std::size_t consumed;  ///< bytes of this slice used; the rest starts the next frame
  decode_event event;
};

/// Incremental frame decoder for one direction of one connection. Feed it the received bytes in
/// slices of any size; each call stops after a complete message or control frame, so call again
/// with the unconsumed rest. Checks RSV bits, opcodes, masking per role, control frames (at most
/// 125 bytes, never fragmented), continuations without a message and data frames inside one,
/// 64-bit lengths with the top bit set, the size limit (checked on each header, before any
/// payload arrives), close codes, and UTF-8 in text messages (fragment by fragment as they
/// arrive) and close reasons.
///
/// Where payload() points: a client's decoder returns an unfragmented message that arrived whole
/// inside one decode() slice as a span into that slice (no copy; the caller must keep the slice
/// alive while it reads). Everything else is copied: masked payloads are unmasked into an internal
/// buffer, fragmented or split messages are assembled there, and control frames go to a fixed
/// 125-byte array (so a ping between two fragments does not disturb the message being
/// assembled). The buffer grows to the largest message seen (sized for a frame when its header
/// arrives, which the size limit bounds) and is reused, never shrunk, so a steady stream of
/// messages allocates nothing.
class message_decoder {
 public:
  /// A message (all its fragments together) longer than `max_message_bytes` is an error (1009).
  explicit message_decoder(role r, std::size_t max_message_bytes = 16u << 20) noexcept : role_(r), max_message_bytes_(max_message_bytes) {}

  message_decoder(message_decoder&&) noexcept = default;
  message_decoder& operator=(message_decoder&&) noexcept = default;

  /// Decodes from `bytes` up to the end of the next message or control frame. Throws only
  /// std::bad_alloc (growing the message buffer).
  decode_result decode(std::span<const char> bytes) {
    if (stage_ == stage::finished) return {0, finished_event_};
    std::size_t pos = 0;
    for (;;) {
      if (stage_ == stage::header) {
        if (!read_header(bytes, pos)) return {pos, stage_ == stage::finished ? decode_event::error : decode_event::need_more};
        stage_ = stage::payload;
      }
      const std::size_t available = bytes.size() - pos;
      if (is_control()) {
        const std::size_t take = std::min<std::uint64_t>(available, frame_size_ - frame_received_);
        unmask_into(control_.data() + frame_received_, bytes.data() + pos, take);
        pos += take;
        frame_received_ += take;
        if (frame_received_ < frame_size_) return {pos, decode_event::need_more};
        return {pos, finish_control_frame()};
      }
      if (!in_message_ && fin_ && !masked_ && frame_received_ == 0 && available >= frame_size_) {
        // The common client case: a whole unmasked message in this slice. Point into it.
        payload_ = bytes.subspan(pos, std::size_t(frame_size_));
        pos += payload_.size();
        return {pos, finish_whole_message()};
      }
      if (!copy_payload(bytes, pos)) return {pos, decode_event::need_more};
      if (stage_ == stage::finished) return {pos, decode_event::error};
      stage_ = stage::header;
      message_size_ += std::size_t(frame_size_);
      in_message_ = !fin_;
      if (!in_message_ && message_opcode_ == opcode::text && !utf8_.complete())
        return {pos, fail("text message is not valid UTF-8", close_status::invalid_payload)};
      ++frames_;
      if (in_message_) continue;  // more fragments to come
      payload_ = {buffer_.get(), message_size_};
      message_size_ = 0;
      return {pos, decode_event::message};
    }
  }

  /// text or binary, after a `message` event.
  opcode message_opcode() const noexcept { return message_opcode_; }
  /// The message or control frame payload, unmasked; valid until the next decode() (and, for a
  /// client's whole unfragmented message, only while the slice given to decode() is).
  std::span<const char> payload() const noexcept { return payload_; }
  std::string_view payload_view() const noexcept { return {payload_.data(), payload_.size()}; }
  /// After `close`: the peer's status code, 1005 when the frame had none.
  std::uint16_t close_code() const noexcept { return close_code_; }
  /// After `close`: the reason text (valid UTF-8), possibly empty.
  std::string_view close_reason() const noexcept {
    return payload_.size() > 2 ? std::string_view(payload_.data() + 2, payload_.size() - 2) : std::string_view{};
  }
  /// Frames decoded so far: every complete, valid frame, each fragment and control frame included.
  std::uint64_t frames() const noexcept { return frames_; }
  /// After `error`: what was wrong ("reserved bits set", ...); empty otherwise.
  const char* error_message() const noexcept { return error_message_; }
  /// After `error`: the code to close with (1002 protocol error, 1007 bad UTF-8, 1009 too big).
  std::uint16_t error_close_code() const noexcept { return error_close_code_; }
  /// Bytes the internal message buffer holds now (it only grows, up to the largest message).
  std::size_t buffer_capacity() const noexcept { return capacity_; }
  /// Starts over for a new connection; keeps the buffer (and its capacity).
  void reset() noexcept {
    auto buffer = std::move(buffer_);
    const std::size_t capacity = capacity_;
    *this = message_decoder(role_, max_message_bytes_);
    buffer_ = std::move(buffer);
    capacity_ = capacity;
  }

 private:
  enum class stage : std::uint8_t { header, payload, finished };

  bool is_control() const noexcept { return (static_cast<unsigned>(frame_opcode_) & 0x8) != 0; }

  // Gathers the 2 to 14 header bytes, which may arrive across several slices. True when the
  // header is complete and valid; false with stage_ finished on a protocol error.
  bool read_header(std::span<const char> bytes, std::size_t& pos) {
    if (header_received_ < 2) {
      copy_header_bytes(bytes, pos, 2);
      if (header_received_ < 2) return false;
      if (!check_first_two_bytes()) return false;
    }
    copy_header_bytes(bytes, pos, header_size_);
    if (header_received_ < header_size_) return false;
    return parse_length_and_mask();
  }

  void copy_header_bytes(std::span<const char> bytes, std::size_t& pos, std::size_t wanted) noexcept {
    const std::size_t take = std::min(wanted - header_received_, bytes.size() - pos);
    if (take == 0) return;  // an empty span may have a null data()
    std::memcpy(header_.data() + header_received_, bytes.data() + pos, take);
    header_received_ += take;
    pos += take;
  }

  bool check_first_two_bytes() {
    const unsigned b0 = header_[0], b1 = header_[1];
    fin_ = (b0 & 0x80) != 0;
    masked_ = (b1 & 0x80) != 0;
    const unsigned op = b0 & 0x0F;
    const unsigned length7 = b1 & 0x7F;
    if ((b0 & 0x70) != 0) return fail_header("reserved bits set (no extension was negotiated)");
    if ((op >= 3 && op <= 7) || op >= 11) return fail_header("reserved opcode");
    frame_opcode_ = static_cast<opcode>(op);
    if (is_control()) {
      if (!fin_) return fail_header("fragmented control frame");
      if (length7 > max_control_payload) return fail_header("control frame payload over 125 bytes");
    } else if (frame_opcode_ == opcode::continuation) {
      if (!in_message_) return fail_header("continuation frame without a message to continue");
    } else if (in_message_) {
      return fail_header("new data frame inside a fragmented message");
    }
    if (role_ == role::server && !masked_) return fail_header("unmasked frame from a client");
    if (role_ == role::client && masked_) return fail_header("masked frame from a server");
    header_size_ = std::uint8_t(2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked_ ? 4 : 0));
    return true;
  }

  bool parse_length_and_mask() {
    const unsigned length7 = header_[1] & 0x7F;
    std::size_t at = 2;
    if (length7 < 126) {
      frame_size_ = length7;
    } else {
      const std::size_t n = length7 == 126 ? 2 : 8;
      frame_size_ = 0;
      for (std::size_t i = 0; i < n; ++i) frame_size_ = frame_size_ << 8 | header_[at + i];
      at += n;
      if (frame_size_ >> 63 != 0) return fail_header("64-bit payload length with the most significant bit set");
    }
    mask_key_ = 0;
    if (masked_)
      for (std::size_t i = 0; i < 4; ++i) mask_key_ = mask_key_ << 8 | header_[at + i];
    frame_received_ = 0;
    if (!is_control()) {
      if (frame_size_ > max_message_bytes_ - message_size_) {
        stage_ = stage::finished;
        fail("message exceeds the size limit", close_status::message_too_big);
        return false;
      }
      if (frame_opcode_ != opcode::continuation) {  // the first frame of a message
        message_opcode_ = frame_opcode_;
        utf8_.reset();
      }
    }
    header_received_ = 0;
    return true;
  }

  // Copies (unmasking) this slice's part of a data frame into the buffer. True when the frame
  // is complete (or an error finished the decoder), false when it needs more bytes.
  bool copy_payload(std::span<const char> bytes, std::size_t& pos) {
    if (frame_received_ == 0) reserve(message_size_ + std::size_t(frame_size_));
    const std::size_t take = std::min<std::uint64_t>(bytes.size() - pos, frame_size_ - frame_received_);
    char* dst = buffer_.get() + message_size_ + frame_received_;
    unmask_into(dst, bytes.data() + pos, take);
    pos += take;
    frame_received_ += take;
    if (message_opcode_ == opcode::text && !utf8_.feed(dst, take)) {
      fail("text message is not valid UTF-8", close_status::invalid_payload);
      return true;
    }
    return frame_received_ == frame_size_;
  }

  void unmask_into(char* dst, const char* src, std::size_t size) noexcept {
    if (size == 0) return;
    if (masked_) {
      detail::websocket_mask(dst, src, size, mask_key_, std::size_t(frame_received_ % 4));
    } else {
      std::memcpy(dst, src, size);
    }
  }

  void reserve(std::size_t size) {
    if (size <= capacity_) return;
    // Doubling keeps a slowly growing message from reallocating per fragment; never past the limit.
    std::size_t capacity = capacity_ <= max_message_bytes_ / 2 ? capacity_ * 2 : max_message_bytes_;
    if (capacity < size) capacity = size;
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (message_size_ != 0) std::memcpy(bigger.get(), buffer_.get(), message_size_);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }

  decode_event finish_whole_message() {
    stage_ = stage::header;
    message_opcode_ = frame_opcode_;
    if (frame_opcode_ == opcode::text && !detail::is_valid_utf8(payload_view()))
      return fail("text message is not valid UTF-8", close_status::invalid_payload);
    ++frames_;
    return decode_event::message;
  }

  decode_event finish_control_frame() {
    stage_ = stage::header;
    payload_ = {control_.data(), std::size_t(frame_size_)};
    switch (frame_opcode_) {
      case opcode::ping: ++frames_; return decode_event::ping;
      case opcode::pong: ++frames_; return decode_event::pong;
      default: break;
    }
    if (payload_.size() == 1) return fail("close frame with a 1-byte payload", close_status::protocol_error);
    if (payload_.size() >= 2) {
      close_code_ = std::uint16_t(static_cast<unsigned char>(payload_[0]) << 8 | static_cast<unsigned char>(payload_[1]));
      if (!is_valid_close_code(close_code_)) return fail("close frame with an invalid status code", close_status::protocol_error);
      if (!detail::is_valid_utf8(close_reason())) return fail("close reason is not valid UTF-8", close_status::invalid_payload);
    }
    ++frames_;
    stage_ = stage::finished;
    finished_event_ = decode_event::close;
    return decode_event::close;
  }

  bool fail_header(const char* message) {
    fail(message, close_status::protocol_error);
    return false;
  }

  decode_event fail(const char* message, std::uint16_t code) noexcept {
    error_message_ = message;
    error_close_code_ = code;
    stage_ = stage::finished;
    finished_event_ = decode_event::error;
    payload_ = {};
    return decode_event::error;
  }

  role role_;
  std::size_t max_message_bytes_;
  stage stage_ = stage::header;
  decode_event finished_event_ = decode_event::need_more;

  // The frame being decoded.
  std::array<unsigned char, 14> header_{};
  std::uint8_t header_received_ = 0;
  std::uint8_t header_size_ = 2;
  bool fin_ = false;
  bool masked_ = false;
  opcode frame_opcode_ = opcode::continuation;
  std::uint32_t mask_key_ = 0;
  std::uint64_t frame_size_ = 0;
  std::uint64_t frame_received_ = 0;

  // The message being assembled (data frames only).
  bool in_message_ = false;
  opcode message_opcode_ = opcode::binary;
  std::size_t message_size_ = 0;  // bytes of earlier fragments already in buffer_
  detail::utf8_validator utf8_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;

  std::array<char, max_control_payload> control_{};
  std::span<const char> payload_;
  std::uint16_t close_code_ = close_status::no_status;
  std::uint64_t frames_ = 0;
  const char* error_message_ = "";
  std::uint16_t error_close_code_ = 0;
};

}  // namespace uring_cannon::websocket
