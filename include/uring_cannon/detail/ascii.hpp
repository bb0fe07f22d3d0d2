#pragma once
// Locale-free ASCII helpers shared by the protocol parsers: HTTP field names and tokens are
// case-insensitive ASCII whatever the process locale says.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace uring_cannon::detail {

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Case-insensitive equality of two ASCII strings.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// Case-insensitive equality of an HTTP token (tchars only, as a validated header name is) and
/// `lower`, a name of lowercase letters, digits and '-'. For such a pair, setting bit 0x20 of the
/// token's bytes lowercases its letters and maps no other tchar onto a letter, digit or '-', so
/// the comparison runs eight bytes at a time. It is what the response parser asks once per field.
inline bool token_equals_lowercase(std::string_view token, std::string_view lower) noexcept {
  const std::size_t n = token.size();
  if (n != lower.size()) return false;
  constexpr std::uint64_t case_bits = 0x2020202020202020ULL;
  const auto word = [](const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (char(token[i] | 0x20) != lower[i]) return false;
    return true;
  }
  for (std::size_t i = 0; i + 8 < n; i += 8)
    if ((word(token.data() + i) | case_bits) != word(lower.data() + i)) return false;
  return (word(token.data() + n - 8) | case_bits) == word(lower.data() + n - 8);  // the last eight, overlapping
}

/// True when `list`, a comma-separated header value, holds `token` (case-insensitive, spaces and
/// tabs around elements ignored): "keep-alive, Upgrade" holds "upgrade".
constexpr bool header_list_contains(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

/// A whole-string unsigned decimal; nullopt when empty, not all digits, or above `max`.
constexpr std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max = UINT64_MAX) noexcept {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = std::uint64_t(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace uring_cannon::detail
