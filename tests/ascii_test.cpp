#include <uring_cannon/detail/ascii.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using uring_cannon::detail::header_list_contains;
using uring_cannon::detail::iequals;
using uring_cannon::detail::token_equals_lowercase;

// Every character RFC 7230 allows in a token (a header name).
constexpr std::string_view tchars =
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// A lowercase name of `n` characters drawn from letters, digits and '-'.
std::string lowercase_name(std::size_t n) {
  constexpr std::string_view alphabet = "content-length9x";
  std::string name;
  for (std::size_t i = 0; i < n; ++i) name += alphabet[(i * 7 + n) % alphabet.size()];
  return name;
}

}  // namespace

TEST_CASE("iequals ignores ASCII case and nothing else", "[ascii]") {
  CHECK(iequals("Content-Length", "content-LENGTH"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("Content-Length", "Content_Length"));
  CHECK_FALSE(iequals("abc", "abcd"));
  CHECK_FALSE(iequals("\xc4", "\xe4"));  // no case folding outside ASCII
}

TEST_CASE("header_list_contains finds a token among comma-separated elements", "[ascii]") {
  CHECK(header_list_contains("keep-alive, Upgrade", "upgrade"));
  CHECK(header_list_contains(" \tclose\t ", "close"));
  CHECK_FALSE(header_list_contains("keep-alive x", "keep-alive"));
  CHECK_FALSE(header_list_contains("", "close"));
}

TEST_CASE("token_equals_lowercase agrees with iequals for every tchar at every position", "[ascii]") {
  // Lengths below, at and past one and two 8-byte words, so that the byte loop, the whole words
  // and the overlapping last word are all exercised.
  for (std::size_t n = 0; n <= 25; ++n) {
    const std::string lower = lowercase_name(n);
    INFO("length " << n << ": " << lower);
    std::string upper = lower;
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    CHECK(token_equals_lowercase(lower, lower));
    CHECK(token_equals_lowercase(upper, lower));
    for (std::size_t at = 0; at < n; ++at) {
      for (const char c : tchars) {
        std::string token = lower;
        token[at] = c;
        INFO("position " << at << " holds '" << c << "'");
        REQUIRE(token_equals_lowercase(token, lower) == iequals(token, lower));
      }
    }
    CHECK_FALSE(token_equals_lowercase(lower + "a", lower));
    if (n > 0) CHECK_FALSE(token_equals_lowercase(lower.substr(1), lower));
  }
}

TEST_CASE("token_equals_lowercase on the framing fields the response parser asks about", "[ascii]") {
  CHECK(token_equals_lowercase("CONTENT-LENGTH", "content-length"));
  CHECK(token_equals_lowercase("Transfer-Encoding", "transfer-encoding"));
  CHECK(token_equals_lowercase("connectioN", "connection"));
  CHECK_FALSE(token_equals_lowercase("Content_Length", "content-length"));  // '_' | 0x20 is DEL
  CHECK_FALSE(token_equals_lowercase("Transfer-Encodinh", "transfer-encoding"));  // the overlapping tail
  CHECK_FALSE(token_equals_lowercase("Xonnection", "connection"));                 // the first word
}
