#pragma once
// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding), for the WebSocket
// handshake keys. Decoding is strict: no whitespace, padding required, and the unused bits of the
// last character must be zero, so every byte string has exactly one accepted encoding.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uring_cannon::detail {

inline constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Characters needed to encode `size` bytes, padding included.
constexpr std::size_t base64_encoded_size(std::size_t size) noexcept { return (size + 2) / 3 * 4; }

/// Encodes `size` bytes from `data` into `out`, which must hold base64_encoded_size(size) chars.
inline void base64_encode_to(char* out, const void* data, std::size_t size) noexcept {
  auto in = static_cast<const unsigned char*>(data);
  for (; size >= 3; in += 3, size -= 3) {
    const std::uint32_t group = std::uint32_t(in[0]) << 16 | std::uint32_t(in[1]) << 8 | in[2];
    *out++ = base64_alphabet[group >> 18];
    *out++ = base64_alphabet[(group >> 12) & 63];
    *out++ = base64_alphabet[(group >> 6) & 63];
    *out++ = base64_alphabet[group & 63];
  }
  if (size == 0) return;
  const std::uint32_t group = std::uint32_t(in[0]) << 16 | (size == 2 ? std::uint32_t(in[1]) << 8 : 0);
  *out++ = base64_alphabet[group >> 18];
  *out++ = base64_alphabet[(group >> 12) & 63];
  *out++ = size == 2 ? base64_alphabet[(group >> 6) & 63] : '=';
  *out = '=';
}

/// The base64 encoding of `size` bytes from `data`.
inline std::string base64_encode(const void* data, std::size_t size) {
  std::string out(base64_encoded_size(size), '\0');
  base64_encode_to(out.data(), data, size);
  return out;
}
inline std::string base64_encode(std::string_view bytes) { return base64_encode(bytes.data(), bytes.size()); }

/// The 6-bit value of one alphabet character, or -1.
constexpr int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// The bytes `text` encodes, or nullopt when it is not canonical base64.
inline std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t data_chars = last ? 4 - padding : 4;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int value = j < data_chars ? base64_value(text[i + j]) : 0;
      if (value < 0) return std::nullopt;  // also catches '=' in the middle
      group = group << 6 | std::uint32_t(value);
    }
    out.push_back(char(group >> 16));
    if (data_chars > 2) out.push_back(char(group >> 8));
    if (data_chars > 3) out.push_back(char(group));
    // Bits that padding throws away must be zero, or two encodings would mean the same bytes.
    if ((data_chars == 2 && (group & 0xFFFF) != 0) || (data_chars == 3 && (group & 0xFF) != 0)) return std::nullopt;
  }
  return out;
}

}  // namespace uring_cannon::detail
