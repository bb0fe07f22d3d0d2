#pragma once
// UTF-8 validation (RFC 3629: shortest form only, no surrogates, nothing above U+10FFFF) that can be
// fed in pieces, so a WebSocket text message is checked fragment by fragment as it arrives and a
// code point may straddle two fragments.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace uring_cannon::detail {

/// Incremental UTF-8 validator. Once it has seen an invalid byte it stays invalid until reset().
class utf8_validator {
 public:
  /// Checks `size` more bytes; false as soon as the text so far cannot be valid UTF-8.
  bool feed(const char* data, std::size_t size) noexcept {
    if (failed_) return false;
    auto in = reinterpret_cast<const unsigned char*>(data);
    std::size_t i = 0;
    while (i < size) {
      if (pending_ == 0) {
        i = skip_ascii(in, size, i);
        if (i == size) break;
        if (!start_sequence(in[i++])) return fail();
      } else {
        const unsigned char c = in[i++];
        if (c < low_ || c > high_) return fail();
        low_ = 0x80;  // only the first continuation byte has a narrower range
        high_ = 0xBF;
        --pending_;
      }
    }
    return true;
  }
  bool feed(std::string_view text) noexcept { return feed(text.data(), text.size()); }

  /// True when everything fed so far is valid and no code point is left unfinished.
  bool complete() const noexcept { return !failed_ && pending_ == 0; }
  bool failed() const noexcept { return failed_; }
  void reset() noexcept { *this = utf8_validator{}; }

 private:
  // Eight bytes at a time while the text is ASCII, which is the common case by far.
  static std::size_t skip_ascii(const unsigned char* in, std::size_t size, std::size_t i) noexcept {
    for (; i + 8 <= size; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, in + i, 8);
      if ((word & 0x8080808080808080ull) != 0) break;
    }
    while (i < size && in[i] < 0x80) ++i;
    return i;
  }

  // Sets up the continuation bytes a lead byte asks for; the narrowed first ranges rule out
  // overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
  bool start_sequence(unsigned char lead) noexcept {
    low_ = 0x80;
    high_ = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      pending_ = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      pending_ = 2;
      if (lead == 0xE0) low_ = 0xA0;
      if (lead == 0xED) high_ = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      pending_ = 3;
      if (lead == 0xF0) low_ = 0x90;
      if (lead == 0xF4) high_ = 0x8F;
    } else {
      return false;  // a stray continuation byte, C0/C1 (always overlong) or F5..FF
    }
    return true;
  }

  bool fail() noexcept {
    failed_ = true;
    return false;
  }

  std::uint8_t pending_ = 0;  // continuation bytes still owed by the current code point
  unsigned char low_ = 0x80, high_ = 0xBF;
  bool failed_ = false;
};

/// One multi-byte sequence read at the start of a text: its length and code point.
struct utf8_sequence {
  std::size_t length = 0;  ///< 0 when the bytes there are not a well-formed sequence
  std::uint32_t code = 0;
};

/// The well-formed multi-byte sequence `text` starts with (shortest form, no surrogate, at most
/// U+10FFFF), or length 0: a stray or truncated byte, an overlong form. Escapers that replace bad
/// bytes one at a time call this at each byte of 0x80 or above.
inline utf8_sequence utf8_sequence_at(std::string_view text) noexcept {
  if (text.empty()) return {};
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  std::uint32_t min = 0, code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2, min = 0x80, code = lead & 0x1f;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3, min = 0x800, code = lead & 0x0f;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4, min = 0x10000, code = lead & 0x07;
  if (length == 0 || text.size() < length) return {};
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[k]);
    if ((next & 0xc0) != 0x80) return {};
    code = (code << 6) | (next & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return {};
  return {length, code};
}

/// True when `text` is complete, valid UTF-8.
inline bool is_valid_utf8(std::string_view text) noexcept {
  utf8_validator v;
  return v.feed(text) && v.complete();
}

}  // namespace uring_cannon::detail
