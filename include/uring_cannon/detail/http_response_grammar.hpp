#pragma once
// Character classes and a piecewise word matcher for the HTTP/1.1 response grammar (RFC 7230
// §3), used by http::response_parser. Classes are one table lookup per byte rather than chains of
// comparisons: the header scan runs over every byte of every response a load generator reads.

#include <uring_cannon/detail/ascii.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace uring_cannon::detail::http_response {

/// Bits of char_classes.
enum char_class : std::uint8_t {
  tchar_bit = 1,        ///< token character: field names, list tokens (RFC 7230 §3.2.6)
  field_char_bit = 2,   ///< HTAB, SP, VCHAR, obs-text: what a field value or reason phrase may hold
  hex_bit = 4,          ///< HEXDIG, for chunk sizes
};

inline constexpr std::array<std::uint8_t, 256> char_classes = [] {
  std::array<std::uint8_t, 256> table{};
  for (unsigned c = 0; c < 256; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos)
      table[c] |= tchar_bit;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) table[c] |= field_char_bit;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) table[c] |= hex_bit;
  }
  return table;
}();

constexpr bool is_tchar(char c) noexcept { return char_classes[static_cast<unsigned char>(c)] & tchar_bit; }
constexpr bool is_field_char(char c) noexcept {
  return char_classes[static_cast<unsigned char>(c)] & field_char_bit;
}
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// The first byte in [p, end) that may not appear in a field value or reason phrase (a CTL other
/// than HTAB, or DEL), or `end`. Eight bytes at a time while none of them is below 0x20 or DEL:
/// values are most of a response head, and a byte loop over them was its slowest part.
inline const char* skip_field_chars(const char* p, const char* end) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    const std::uint64_t below_space = (word - 0x20 * ones) & ~word & highs;  // some byte < 0x20 (or a false alarm)
    const std::uint64_t x = word ^ (0x7f * ones);
    const std::uint64_t del = (x - ones) & ~x & highs;                        // some byte == 0x7f
    if (below_space | del) break;                                            // the byte loop finds which
    p += 8;
  }
  while (p != end && is_field_char(*p)) ++p;
  return p;
}

/// The value of a hex digit, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = ascii_lower(c);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

/// Matches a word that may arrive in pieces (a header name split across two reads) against up to
/// eight lowercase candidates, case-insensitively, without keeping any of its bytes: it only
/// remembers which candidates still agree with what it has seen, and how long the word is so far.
class piecewise_word_matcher {
 public:
  using candidates = std::span<const std::string_view>;

  void start(candidates words) noexcept {
    alive_ = std::uint8_t((1u << words.size()) - 1);
    length_ = 0;
  }
  /// The word can no longer match anything (it holds a character no candidate has), but it
  /// still counts as a non-empty word.
  void spoil() noexcept {
    alive_ = 0;
    ++length_;
  }
  void feed(candidates words, char c) noexcept {
    if (alive_) narrow(words, c);
    ++length_;
  }
  void feed(candidates words, const char* begin, const char* end) noexcept {
    for (; begin != end && alive_; ++begin) feed(words, *begin);
    length_ += std::size_t(end - begin);
  }
  /// Index of the candidate the whole word equals, or -1.
  int match(candidates words) const noexcept {
    for (std::size_t i = 0; i < words.size(); ++i)
      if ((alive_ >> i & 1u) && words[i].size() == length_) return int(i);
    return -1;
  }
  std::size_t length() const noexcept { return length_; }

 private:
  void narrow(candidates words, char c) noexcept {
    const char lower = ascii_lower(c);
    for (std::size_t i = 0; i < words.size(); ++i)
      if (length_ >= words[i].size() || words[i][length_] != lower) alive_ &= std::uint8_t(~(1u << i));
  }

  std::uint8_t alive_ = 0;
  std::size_t length_ = 0;
};

/// The header fields whose values decide where a response ends; index order is field_kind's.
inline constexpr std::string_view framing_fields[] = {"content-length", "transfer-encoding", "connection"};
inline constexpr std::string_view coding_tokens[] = {"chunked"};
inline constexpr std::string_view connection_tokens[] = {"close", "keep-alive"};

}  // namespace uring_cannon::detail::http_response
