#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <uring_cannon/http_request.hpp>
#include <vector>

namespace uc = uring_cannon;
namespace http = uring_cannon::http;

namespace {

std::string render_to_string(const http::request_template& tpl, std::uint64_t value) {
  std::string out(tpl.max_rendered_size(), '\xee');
  const std::size_t written = tpl.render(value, out);
  REQUIRE(written == tpl.rendered_size(value));
  out.resize(written);
  return out;
}

http::request_template parse_ok(std::string text) {
  auto parsed = http::request_template::parse(std::move(text));
  INFO(parsed.error());
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

/// A file under /tmp that removes itself.
struct temp_file {
  std::string path;
  explicit temp_file(std::string_view contents) {
    char name[] = "/tmp/uring_cannon_tpl_XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, contents.data(), contents.size()) == ssize_t(contents.size()));
    ::close(fd);
    path = name;
  }
  ~temp_file() { ::unlink(path.c_str()); }
};

}  // namespace

TEST_CASE("build_get_request is gcannon's request, byte for byte", "[http_request]") {
  CHECK(http::build_get_request(*uc::parse_url("http://127.0.0.1:8080/")) ==
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http://example.com/a?b=c")) ==
        "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http://example.com:80/")) ==
        "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http://example.com:443/")) ==
        "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http://example.com:444/")) ==
        "GET / HTTP/1.1\r\nHost: example.com:444\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http://[::1]:8080/x")) ==
        "GET /x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http://[::1]/")) == "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n");
  CHECK(http::build_get_request(*uc::parse_url("http+unix:///tmp/s.sock:/v1")) ==
        "GET /v1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

TEST_CASE("repeat_request lays copies back to back", "[http_request]") {
  const std::string one = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  CHECK(http::repeat_request(one, 0).empty());
  CHECK(http::repeat_request(one, 1) == one);
  CHECK(http::repeat_request(one, 3) == one + one + one);
  const std::string many = http::repeat_request(one, 64);
  REQUIRE(many.size() == one.size() * 64);
  for (std::size_t i = 0; i < 64; ++i) CHECK(many.compare(i * one.size(), one.size(), one) == 0);
}

TEST_CASE("a template without a placeholder is sent byte for byte", "[http_request]") {
  const std::string text = "POST /p HTTP/1.1\nHost: h\nContent-Length: 7\n\n{\"a\":1}";  // LF only: kept
  const auto tpl = parse_ok(text);
  CHECK_FALSE(tpl.has_placeholder());
  CHECK(tpl.kind() == http::request_template::placeholder_kind::none);
  CHECK(tpl.text() == text);
  CHECK(tpl.max_rendered_size() == text.size());
  CHECK(render_to_string(tpl, 12345) == text);
  uc::detail::splitmix64 rng(1);
  std::atomic<std::uint64_t> counter{0};
  CHECK(tpl.next_value(rng, counter) == 0);
  CHECK(counter.load() == 0);
}

TEST_CASE("braces that are not placeholders are plain text", "[http_request]") {
  for (const char* text :
       {"GET /{x} HTTP/1.1\r\n\r\n", "GET /{RAND} HTTP/1.1\r\n\r\n", "GET /{RANDOM:1:2} HTTP/1.1\r\n\r\n",
        "GET /{rand:1:2} HTTP/1.1\r\n\r\n", "GET /{SEQ} HTTP/1.1\r\n\r\n", "GET /{{ HTTP/1.1\r\n\r\n{",
        "GET /{ SEQ:1} HTTP/1.1\r\n\r\n"}) {
    INFO(text);
    const auto tpl = parse_ok(text);
    CHECK_FALSE(tpl.has_placeholder());
    CHECK(render_to_string(tpl, 7) == text);
  }
}

TEST_CASE("RAND is zero-padded to the digits max is written with", "[http_request]") {
  const auto tpl = parse_ok("GET /item/{RAND:1:100} HTTP/1.1\r\nHost: h\r\n\r\n");
  REQUIRE(tpl.kind() == http::request_template::placeholder_kind::rand);
  CHECK(tpl.first() == 1);
  CHECK(tpl.last() == 100);
  CHECK(tpl.width() == 3);
  CHECK(render_to_string(tpl, 1) == "GET /item/001 HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(render_to_string(tpl, 42) == "GET /item/042 HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(render_to_string(tpl, 100) == "GET /item/100 HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(render_to_string(tpl, 0) == "GET /item/000 HTTP/1.1\r\nHost: h\r\n\r\n");

  CHECK(render_to_string(parse_ok("{RAND:0:9}"), 5) == "5");
  CHECK(render_to_string(parse_ok("{RAND:0:0999}"), 5) == "0005");  // leading zeros widen
  CHECK(render_to_string(parse_ok("x{RAND:5:5}y"), 5) == "x5y");
  CHECK(render_to_string(parse_ok("{RAND:0:18446744073709551615}"), 7) == "00000000000000000007");
}

TEST_CASE("SEQ is zero-padded to the digits start is written with; longer values print in full", "[http_request]") {
  const auto tpl = parse_ok("GET /u/{SEQ:0001}/x HTTP/1.1\r\n\r\n");
  REQUIRE(tpl.kind() == http::request_template::placeholder_kind::seq);
  CHECK(tpl.first() == 1);
  CHECK(tpl.width() == 4);
  CHECK(render_to_string(tpl, 1) == "GET /u/0001/x HTTP/1.1\r\n\r\n");
  CHECK(render_to_string(tpl, 9999) == "GET /u/9999/x HTTP/1.1\r\n\r\n");
  CHECK(render_to_string(tpl, 123456) == "GET /u/123456/x HTTP/1.1\r\n\r\n");
  CHECK(render_to_string(tpl, UINT64_MAX) == "GET /u/18446744073709551615/x HTTP/1.1\r\n\r\n");

  const auto plain = parse_ok("{SEQ:5}");
  CHECK(plain.width() == 1);
  CHECK(render_to_string(plain, 5) == "5");
  CHECK(render_to_string(plain, 10) == "10");
  CHECK(render_to_string(parse_ok("{SEQ:0}"), 0) == "0");
}

TEST_CASE("malformed placeholders fail with gcannon's messages", "[http_request]") {
  struct bad {
    std::string text, message;
  };
  const std::vector<bad> cases = {
      {"GET /{RAND:5:1}", "Error: bad {RAND:min:max} syntax: {RAND:5:1} (min is greater than max)"},
      {"GET /{RAND:1}", "Error: bad {RAND:min:max} syntax: {RAND:1} (expected two numbers, min:max)"},
      {"GET /{RAND:}", "Error: bad {RAND:min:max} syntax: {RAND:} (expected two numbers, min:max)"},
      {"GET /{RAND:1:2:3}", "Error: bad {RAND:min:max} syntax: {RAND:1:2:3} (expected two numbers, min:max)"},
      {"GET /{RAND::5}", "Error: bad {RAND:min:max} syntax: {RAND::5} (missing min)"},
      {"GET /{RAND:5:}", "Error: bad {RAND:min:max} syntax: {RAND:5:} (missing max)"},
      {"GET /{RAND:a:5}", "Error: bad {RAND:min:max} syntax: {RAND:a:5} (min is not a decimal number)"},
      {"GET /{RAND:1:5x}", "Error: bad {RAND:min:max} syntax: {RAND:1:5x} (max is not a decimal number)"},
      {"GET /{RAND:-1:5}", "Error: bad {RAND:min:max} syntax: {RAND:-1:5} (min is not a decimal number)"},
      {"GET /{RAND: 1:5}", "Error: bad {RAND:min:max} syntax: {RAND: 1:5} (min is not a decimal number)"},
      {"GET /{RAND:0:18446744073709551616}",
       "Error: bad {RAND:min:max} syntax: {RAND:0:18446744073709551616} (max is larger than 18446744073709551615)"},
      {"GET /{RAND:99999999999999999999:1}",
       "Error: bad {RAND:min:max} syntax: {RAND:99999999999999999999:1} (min is larger than 18446744073709551615)"},
      {"GET /{SEQ:}", "Error: bad {SEQ:start} syntax: {SEQ:} (missing start)"},
      {"GET /{SEQ:x}", "Error: bad {SEQ:start} syntax: {SEQ:x} (start is not a decimal number)"},
      {"GET /{SEQ:1:2}", "Error: bad {SEQ:start} syntax: {SEQ:1:2} (expected one number, start)"},
      {"GET /{SEQ:1.5}", "Error: bad {SEQ:start} syntax: {SEQ:1.5} (start is not a decimal number)"},
      {"GET /{SEQ:18446744073709551616}",
       "Error: bad {SEQ:start} syntax: {SEQ:18446744073709551616} (start is larger than 18446744073709551615)"},
      {"GET /{RAND:1:{SEQ:2}}", "Error: bad {RAND:min:max} syntax: {RAND:1:{SEQ:2} (expected two numbers, min:max)"},
      {"GET /{SEQ:1" + std::string(100, '2') + "x}",
       "Error: bad {SEQ:start} syntax: {SEQ:1" + std::string(54, '2') + "...} (start is not a decimal number)"},
      {"GET /{RAND:1:5", "Error: unclosed placeholder in raw template"},
      {"GET /{SEQ:", "Error: unclosed placeholder in raw template"},
      {"GET /{SEQ:1\r\nHost: }\r\n\r\n", "Error: unclosed placeholder in raw template"},
      {"GET /{RAND:1:5\nX: }\n\n", "Error: unclosed placeholder in raw template"},
      {"GET /{SEQ:1}/{RAND:1:2}",
       "Error: more than one placeholder in raw template (the second is at byte 13; only one {RAND:min:max} or "
       "{SEQ:start} "
       "is allowed)"},
      {"GET /{SEQ:1}/{SEQ:1",
       "Error: more than one placeholder in raw template (the second is at byte 13; only one "
       "{RAND:min:max} or {SEQ:start} is allowed)"},
      {"", "Error: raw template is empty"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto parsed = http::request_template::parse(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error() == c.message);
  }
}

TEST_CASE("RAND draws stay in range and reach both ends", "[http_request]") {
  const auto tpl = parse_ok("{RAND:10:19}");
  uc::detail::splitmix64 rng(42);
  std::atomic<std::uint64_t> counter{0};
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t value = tpl.next_value(rng, counter);
    REQUIRE(value >= 10);
    REQUIRE(value <= 19);
    seen.insert(value);
  }
  CHECK(seen.size() == 10);  // every value, both ends included
  CHECK(counter.load() == 0);

  const auto single = parse_ok("{RAND:7:7}");
  for (int i = 0; i < 100; ++i) REQUIRE(single.next_value(rng, counter) == 7);

  // The full 64-bit range: no overflow in max - min + 1.
  const auto full = parse_ok("{RAND:0:18446744073709551615}");
  std::set<std::uint64_t> wide;
  for (int i = 0; i < 100; ++i) wide.insert(full.next_value(rng, counter));
  CHECK(wide.size() > 95);

  const auto top = parse_ok("{RAND:18446744073709551614:18446744073709551615}");
  std::set<std::uint64_t> top_seen;
  for (int i = 0; i < 200; ++i) top_seen.insert(top.next_value(rng, counter));
  CHECK(top_seen == std::set<std::uint64_t>{UINT64_MAX - 1, UINT64_MAX});
}

TEST_CASE("RAND draws are roughly uniform", "[http_request]") {
  const auto tpl = parse_ok("{RAND:0:9}");
  uc::detail::splitmix64 rng(7);
  std::atomic<std::uint64_t> counter{0};
  std::vector<int> histogram(10, 0);
  constexpr int draws = 100000;
  for (int i = 0; i < draws; ++i) ++histogram.at(tpl.next_value(rng, counter));
  for (int count : histogram) {  // expected 10000 each; 5 sigma is about 475
    CHECK(count > 9400);
    CHECK(count < 10600);
  }
}

TEST_CASE("SEQ shares one counter across connections", "[http_request]") {
  const auto tpl = parse_ok("GET /{SEQ:100} HTTP/1.1\r\n\r\n");
  std::atomic<std::uint64_t> shared{0};
  uc::detail::splitmix64 rng_a(1), rng_b(2);  // each connection has its own generator, unused by SEQ
  std::vector<std::uint64_t> a, b;
  for (int i = 0; i < 3; ++i) {
    a.push_back(tpl.next_value(rng_a, shared));
    b.push_back(tpl.next_value(rng_b, shared));
  }
  CHECK(a == std::vector<std::uint64_t>{100, 102, 104});
  CHECK(b == std::vector<std::uint64_t>{101, 103, 105});
  CHECK(shared.load() == 6);
  CHECK(render_to_string(tpl, b.back()) == "GET /105 HTTP/1.1\r\n\r\n");
}

TEST_CASE("render into an exactly-sized buffer, and refuse a smaller one", "[http_request]") {
  const auto tpl = parse_ok("GET /{SEQ:01} HTTP/1.1\r\n\r\n");
  const std::string expected = "GET /12345 HTTP/1.1\r\n\r\n";
  REQUIRE(tpl.rendered_size(12345) == expected.size());
  std::vector<char> exact(expected.size() + 1, '#');
  CHECK(tpl.render(12345, std::span<char>(exact.data(), expected.size())) == expected.size());
  CHECK(std::string(exact.data(), expected.size()) == expected);
  CHECK(exact.back() == '#');  // not a byte past the span

  std::vector<char> short_buffer(expected.size() - 1, '#');
  CHECK(tpl.render(12345, short_buffer) == 0);
  CHECK(std::string(short_buffer.begin(), short_buffer.end()) == std::string(expected.size() - 1, '#'));

  const auto plain = parse_ok("GET / HTTP/1.1\r\n\r\n");
  std::vector<char> plain_exact(plain.text().size());
  CHECK(plain.render(0, plain_exact) == plain_exact.size());
  std::vector<char> plain_short(plain.text().size() - 1);
  CHECK(plain.render(0, plain_short) == 0);

  // max_rendered_size() holds every value.
  CHECK(tpl.max_rendered_size() == expected.size() - 5 + 20);
  std::vector<char> biggest(tpl.max_rendered_size());
  CHECK(tpl.render(UINT64_MAX, biggest) == biggest.size());
  CHECK(parse_ok("{SEQ:" + std::string(30, '0') + "}").max_rendered_size() == 30);
}

TEST_CASE("is_head and host_header read the request", "[http_request]") {
  CHECK(parse_ok("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").is_head());
  CHECK_FALSE(parse_ok("GET / HTTP/1.1\r\nHost: h\r\n\r\n").is_head());
  CHECK_FALSE(parse_ok("HEADER / HTTP/1.1\r\n\r\n").is_head());
  CHECK_FALSE(parse_ok("head / HTTP/1.1\r\n\r\n").is_head());  // methods are case-sensitive

  CHECK(parse_ok("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n").host_header() == "example.com:8080");
  CHECK(parse_ok("GET / HTTP/1.1\r\nAccept: */*\r\nhOsT:\t [::1]:9 \t\r\n\r\n").host_header() == "[::1]:9");
  CHECK(parse_ok("GET / HTTP/1.1\nHost: lf-only\n\n").host_header() == "lf-only");
  CHECK(parse_ok("GET / HTTP/1.1\r\nHost: first\r\nHost: second\r\n\r\n").host_header() == "first");
  CHECK(parse_ok("GET / HTTP/1.1\r\nX-Host: no\r\n\r\n").host_header() == std::nullopt);
  CHECK(parse_ok("GET /Host: HTTP/1.1\r\n\r\n").host_header() == std::nullopt);  // request line is not a header
  CHECK(parse_ok("POST / HTTP/1.1\r\n\r\nHost: in-body").host_header() == std::nullopt);
  CHECK(parse_ok("GET / HTTP/1.1\r\nHost: h").host_header() == "h");  // unterminated last line
}

TEST_CASE("load reads a file byte for byte and reports failures", "[http_request]") {
  const std::string contents = "GET /{RAND:1:9} HTTP/1.1\nHost: h\n\n";  // LF only, must stay so
  temp_file file(contents);
  auto loaded = http::request_template::load(file.path);
  REQUIRE(loaded.ok());
  CHECK(loaded->text() == contents);
  CHECK(loaded->kind() == http::request_template::placeholder_kind::rand);
  CHECK(render_to_string(*loaded, 3) == "GET /3 HTTP/1.1\nHost: h\n\n");

  const auto missing = http::request_template::load("/nonexistent/uring_cannon/tpl.txt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error() ==
        "Error: cannot read raw template '/nonexistent/uring_cannon/tpl.txt': No such file or directory");

  const auto directory = http::request_template::load("/tmp");
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error() == "Error: cannot read raw template '/tmp': Is a directory");

  temp_file bad("GET /{SEQ:x}\r\n\r\n");
  const auto malformed = http::request_template::load(bad.path);
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error() ==
        "Error: bad {SEQ:start} syntax: {SEQ:x} (start is not a decimal number) (file '" + bad.path + "')");

  temp_file empty("");
  const auto nothing = http::request_template::load(empty.path);
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error() == "Error: raw template is empty (file '" + empty.path + "')");

  std::string big(100000, 'x');  // larger than one read chunk
  big.replace(70000, 7, "{SEQ:7}");
  temp_file large(big);
  auto large_loaded = http::request_template::load(large.path);
  REQUIRE(large_loaded.ok());
  CHECK(large_loaded->text() == big);
  CHECK(large_loaded->kind() == http::request_template::placeholder_kind::seq);
}

TEST_CASE("splitmix64 matches the reference sequence", "[http_request]") {
  uc::detail::splitmix64 rng(0);
  CHECK(rng.next() == 0xe220a8397b1dcdafULL);
  CHECK(rng.next() == 0x6e789e6aa1b965f4ULL);
  CHECK(rng.next() == 0x06c45d188009454fULL);
  uc::detail::splitmix64 other(1234567);
  CHECK(other() == 6457827717110365317ULL);
  CHECK(other() == 3203168211198807973ULL);
  for (int i = 0; i < 1000; ++i) REQUIRE(rng.below(3) < 3);
}
