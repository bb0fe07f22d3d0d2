#pragma once
// What both histogram types need to serialise themselves: saturating arithmetic, little-endian
// binary fields with an FNV-1a checksum, and a small strict JSON reader.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace uring_cannon::detail {

constexpr std::uint64_t add_saturated(std::uint64_t a, std::uint64_t b) noexcept {
  const std::uint64_t sum = a + b;
  return sum < a ? std::numeric_limits<std::uint64_t>::max() : sum;
}

constexpr std::uint64_t mul_saturated(std::uint64_t a, std::uint64_t b) noexcept {
  if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

/// Throws std::runtime_error("<owner>::<what>"): every codec error names the type it came from.
[[noreturn]] inline void throw_codec_error(const char* owner, const std::string& what) {
  throw std::runtime_error(std::string(owner) + "::" + what);
}

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}
inline void put_u64(std::string& out, std::uint64_t v) {
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

inline std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

/// Reads little-endian fields, failing with a clear message on truncated input.
struct byte_reader {
  std::string_view bytes;
  const char* owner;
  std::size_t offset = 0;

  void need(std::size_t n) const {
    if (bytes.size() - offset < n)
      throw_codec_error(owner, "from_binary: truncated input (" + std::to_string(bytes.size()) + " bytes, needs " +
                                   std::to_string(offset + n) + " or more)");
  }
  std::uint64_t little_endian(int width) {
    need(static_cast<std::size_t>(width));
    std::uint64_t v = 0;
    for (int b = 0; b < width; ++b)
      v |= std::uint64_t{static_cast<unsigned char>(bytes[offset + static_cast<std::size_t>(b)])} << (8 * b);
    offset += static_cast<std::size_t>(width);
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(4)); }
  std::uint64_t u64() { return little_endian(8); }
};

/// Just enough JSON for the histogram formats: objects, arrays, strings without escapes, and
/// unsigned integers. Anything else is an error, which keeps the reader small and strict.
struct json_cursor {
  std::string_view text;
  const char* owner;
  std::size_t at = 0;

  [[noreturn]] void error(const std::string& what) const {
    throw_codec_error(owner, "from_json: " + what + " at offset " + std::to_string(at));
  }
  void skip_space() noexcept {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
  }
  bool consume(char c) noexcept {
    skip_space();
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) error(at < text.size() ? std::string("expected '") + c + "'" : "unexpected end of input");
  }
  std::string_view string() {
    expect('"');
    const std::size_t start = at;
    while (at < text.size() && text[at] != '"') {
      if (text[at] == '\\' || static_cast<unsigned char>(text[at]) < 0x20) error("unsupported character in string");
      ++at;
    }
    if (at == text.size()) error("unterminated string");
    return text.substr(start, at++ - start);
  }
  std::uint64_t number() {
    skip_space();
    const std::size_t start = at;
    std::uint64_t v = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text[at] - '0');
      if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) error("number out of range");
      v = v * 10 + digit;
      ++at;
    }
    if (at == start) error("expected an unsigned integer");
    if (text[start] == '0' && at - start > 1) error("leading zero");
    if (at < text.size() && (text[at] == '.' || text[at] == 'e' || text[at] == 'E'))
      error("expected an unsigned integer");
    return v;
  }
  void end() {
    skip_space();
    if (at != text.size()) error("trailing characters");
  }
};

}  // namespace uring_cannon::detail
