// SHA-1 against FIPS 180 / RFC 3174 vectors, base64 against RFC 4648, and the UTF-8 validator:
// the building blocks of the WebSocket handshake and text frames.

#include <uring_cannon/detail/base64.hpp>
#include <uring_cannon/detail/sha1.hpp>
#include <uring_cannon/detail/utf8.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

namespace d = uring_cannon::detail;

std::string hex(const d::sha1::digest& digest) {
  std::string out;
  char two[3];
  for (auto byte : digest) {
    std::snprintf(two, sizeof two, "%02x", byte);
    out += two;
  }
  return out;
}

std::string sha1_hex(std::string_view text) { return hex(d::sha1_digest(text)); }

// Bytes (i*7+3) mod 256; the expected digests below came from Python's hashlib.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = char((i * 7 + 3) & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("sha1: FIPS 180 and RFC 3174 test vectors") {
  CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  // 448 bits: the padding needs a second block.
  CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  // 896 bits (FIPS 180-2 long message).
  CHECK(sha1_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "a49b2446a02c645bf419f995b67091253a04a259");
  std::string rfc3174_4;
  for (int i = 0; i < 10; ++i) rfc3174_4 += "0123456701234567012345670123456701234567012345670123456701234567";
  CHECK(sha1_hex(rfc3174_4) == "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

TEST_CASE("sha1: one million 'a', fed in uneven pieces") {
  d::sha1 h;
  const std::string chunk(997, 'a');  // a prime, so pieces straddle block boundaries
  std::size_t fed = 0;
  while (fed < 1000000) {
    const std::size_t n = std::min<std::size_t>(chunk.size(), 1000000 - fed);
    h.update(chunk.data(), n);
    fed += n;
  }
  CHECK(hex(h.finish()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(sha1_hex(std::string(1000000, 'a')) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("sha1: lengths around the block and padding boundaries") {
  const std::vector<std::pair<std::size_t, std::string>> table = {
      {55, "ddf57317ef34bfee3b6df83d359098930eb278bc"},  {56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"},
      {63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"},  {64, "bede92be29c3874e1b54ddc77988d606fc857a8e"},
      {65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"},  {119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"},
      {127, "34d5e582029e9b9b85b2febe31da3db7cdabaaea"}, {128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"},
      {129, "808aea332ce367541d37adae7f94e59c5c1a934e"}, {1000, "4231a8a50a10fa9758db8ec71fdef855b751048a"},
  };
  for (const auto& [n, expected] : table) {
    INFO("length " << n);
    const std::string data = pattern(n);
    CHECK(sha1_hex(data) == expected);
    for (std::size_t piece : {1u, 3u, 63u, 64u, 65u}) {  // incremental updates give the same digest
      INFO("piece " << piece);
      d::sha1 h;
      for (std::size_t at = 0; at < n; at += piece) h.update(data.data() + at, std::min(piece, n - at));
      CHECK(hex(h.finish()) == expected);
    }
  }
}

TEST_CASE("base64: RFC 4648 section 10 vectors, both ways") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : table) {
    INFO(plain);
    CHECK(d::base64_encode(plain) == encoded);
    CHECK(d::base64_encoded_size(plain.size()) == encoded.size());
    const auto decoded = d::base64_decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == plain);
  }
}

TEST_CASE("base64: every byte value and the last two alphabet characters round-trip") {
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[std::size_t(i)] = char(i);
  const std::string encoded = d::base64_encode(all);
  CHECK(encoded.find('+') != std::string::npos);
  CHECK(encoded.find('/') != std::string::npos);
  const auto decoded = d::base64_decode(encoded);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == all);
  CHECK(d::base64_encode("\xfb\xff\xbf") == "+/+/");
}

TEST_CASE("base64: decoding rejects anything that is not canonical") {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zm9v!", "Zm 9v", "Zm9v\n", "Z=g=", "=Zg=", "Zh==", "Zm9=",
                          "Zm8=Zm8="}) {
    INFO(bad);
    CHECK_FALSE(d::base64_decode(bad).has_value());
  }
}

TEST_CASE("utf8: valid text, including boundary code points") {
  for (const char* good : {"", "hello", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
                           "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
                           "0123456789abcdef\xe2\x82\xac 0123456789"}) {
    INFO(good);
    CHECK(d::is_valid_utf8(good));
  }
}

TEST_CASE("utf8: overlong forms, surrogates, out-of-range and truncated sequences are rejected") {
  for (const char* bad : {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc2", "\xe1\x80", "\xf1\x80\x80", "\xc2\x41",
                          "abcdefgh\xe2\x82", "abcdefghijklmnop\xfe"}) {
    INFO(bad);
    CHECK_FALSE(d::is_valid_utf8(bad));
  }
}

TEST_CASE("utf8: a code point split across feeds is validated as a whole") {
  const std::string text = "a\xf0\x9f\x98\x80z\xe2\x82\xac";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    d::utf8_validator v;
    CHECK(v.feed(text.substr(0, cut)));
    CHECK(v.complete() == (cut == 0 || cut == 1 || cut == 5 || cut == 6 || cut == text.size()));
    CHECK(v.feed(text.substr(cut)));
    CHECK(v.complete());
  }
  d::utf8_validator v;
  CHECK(v.feed("\xed"));
  CHECK_FALSE(v.feed("\xa0"));  // a surrogate, caught on its second byte
  CHECK(v.failed());
  CHECK_FALSE(v.feed("a"));  // sticky
  v.reset();
  CHECK(v.feed("a"));
}
