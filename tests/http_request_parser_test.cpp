// The request parser: fields, bodies, keep-alive rules, pipelining, limits and errors, each
// stream re-parsed split at every byte boundary and one byte at a time.
#include <uring_cannon/http_request_parser.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace http = uring_cannon::http;

namespace {

/// Feeds `slices` in order and writes what the parser reported as text, so that two ways of
/// slicing the same stream can be compared: "H<method target version ka headers>" per head,
/// "C<body>" per complete, "E<status message>" on error. Each slice is overwritten once the
/// parser is done with it, so a view read after its slice is gone shows up as garbage.
std::string trace(const std::vector<std::string>& slices, http::request_parser_options options = {}) {
  http::request_parser parser(options);
  std::string out, body;
  std::string slice;
  bool in_request = false;
  for (const std::string& original : slices) {
    slice = original;
    std::string_view input = slice;
    for (;;) {
      const auto [consumed, event] = parser.parse(input);
      REQUIRE(consumed <= input.size());
      input.remove_prefix(consumed);
      if (event == http::request_event::need_more) {
        REQUIRE(input.empty());
        break;
      }
      if (event == http::request_event::error) {
        out += "E<" + std::to_string(parser.error_status()) + " " + std::string(parser.error_message()) + ">";
        return out;
      }
      if (event == http::request_event::head) {
        REQUIRE_FALSE(in_request);
        in_request = true;
        body.clear();
        out += "H<" + std::string(parser.method()) + " " + std::string(parser.target()) + " 1." +
               std::to_string(parser.version_minor()) + (parser.keep_alive() ? " ka" : " close");
        for (const auto& h : parser.headers()) out += " " + std::string(h.name) + "=" + std::string(h.value);
        out += ">";
      } else if (event == http::request_event::body) {
        REQUIRE(in_request);
        REQUIRE_FALSE(parser.body_data().empty());
        body += parser.body_data();
        REQUIRE(parser.body_bytes() == body.size());
      } else if (event == http::request_event::complete) {
        REQUIRE(in_request);
        in_request = false;
        out += "C<" + body + ">";
      }
    }
    slice.assign(slice.size(), '#');
  }
  return out;
}

std::string whole(const std::string& stream, http::request_parser_options options = {}) {
  return trace({stream}, options);
}

/// The same stream split in two at every boundary, and one byte at a time, must trace the same.
void check_every_split(const std::string& stream, http::request_parser_options options = {}) {
  const std::string expected = whole(stream, options);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("split at " << cut);
    CHECK(trace({stream.substr(0, cut), stream.substr(cut)}, options) == expected);
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  CHECK(trace(bytes, options) == expected);
}

}  // namespace

TEST_CASE("a simple GET is parsed in place", "[http][request]") {
  http::request_parser parser;
  const std::string_view request = "GET /health?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  t \r\n\r\n";
  auto result = parser.parse(request);
  REQUIRE(result.event == http::request_event::head);
  CHECK(result.consumed == request.size());
  CHECK(parser.method() == "GET");
  CHECK(parser.target() == "/health?x=1");
  CHECK(parser.path() == "/health");
  CHECK(parser.query() == "x=1");
  CHECK(parser.version_minor() == 1);
  CHECK(parser.headers().size() == 2);
  CHECK(parser.header("HOST") == std::optional<std::string_view>("example.com"));
  CHECK(parser.header("user-agent") == std::optional<std::string_view>("t"));
  CHECK_FALSE(parser.header("accept").has_value());
  CHECK(parser.keep_alive());
  CHECK_FALSE(parser.has_body());
  CHECK(parser.method().data() == request.data());  // in place, not copied
  result = parser.parse({});
  CHECK(result.event == http::request_event::complete);
  CHECK(result.consumed == 0);
  CHECK(parser.parse({}).event == http::request_event::need_more);
  CHECK(parser.requests_completed() == 1);
}

TEST_CASE("keep-alive follows the version and the Connection header", "[http][request]") {
  struct row {
    const char* request;
    bool keep_alive;
  };
  const row rows[] = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
  };
  for (const row& r : rows) {
    INFO(r.request);
    http::request_parser parser;
    REQUIRE(parser.parse(r.request).event == http::request_event::head);
    CHECK(parser.keep_alive() == r.keep_alive);
  }
}

TEST_CASE("upgrade and expect are reported", "[http][request]") {
  http::request_parser parser;
  REQUIRE(parser.parse("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                       "Expect: 100-Continue\r\n\r\n")
              .event == http::request_event::head);
  CHECK(parser.upgrade_requested());
  CHECK(parser.header("upgrade") == std::optional<std::string_view>("websocket"));
  CHECK(parser.expects_continue());
}

TEST_CASE("a Content-Length body is delivered and counted", "[http][request]") {
  CHECK(whole("POST /upload HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world") ==
        "H<POST /upload 1.1 ka Content-Length=11>C<hello world>");
  http::request_parser parser;
  const std::string_view request = "PUT /u HTTP/1.1\r\ncontent-length: 5\r\n\r\nabcdeGET";
  auto result = parser.parse(request);
  REQUIRE(result.event == http::request_event::head);
  CHECK(parser.content_length() == std::optional<std::uint64_t>(5));
  CHECK(parser.has_body());
  result = parser.parse(request.substr(result.consumed));
  REQUIRE(result.event == http::request_event::body);
  CHECK(parser.body_data() == "abcde");
  CHECK(result.consumed == 5);  // stops at the end of the body: "GET" is the next request
  CHECK(parser.parse("GET").event == http::request_event::complete);
}

TEST_CASE("chunked bodies: extensions, trailers, bare LF, upper-case hex", "[http][request]") {
  CHECK(whole("POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5\r\nhello\r\n1;name=value\r\n \r\nA \r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n") ==
        "H<POST /upload 1.1 ka Transfer-Encoding=chunked>C<hello 0123456789>");
  CHECK(whole("POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n") ==
        "H<POST / 1.1 ka Transfer-Encoding=chunked>C<abc>");
  CHECK(whole("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") ==
        "H<POST / 1.1 ka Transfer-Encoding=chunked>C<>");
  http::request_parser parser;
  REQUIRE(parser.parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").event == http::request_event::head);
  CHECK(parser.chunked());
  CHECK_FALSE(parser.content_length().has_value());
  auto result = parser.parse("1F\r\n");
  CHECK(result.event == http::request_event::need_more);
  CHECK(result.consumed == 4);
}

TEST_CASE("pipelined requests come out in order", "[http][request]") {
  std::string stream;
  for (int i = 0; i < 16; ++i) stream += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string traced = whole(stream);
  std::string expected;
  for (int i = 0; i < 16; ++i) expected += "H<GET /" + std::to_string(i) + " 1.1 ka Host=h>C<>";
  CHECK(traced == expected);
}

TEST_CASE("every stream parses the same at every split", "[http][request][split]") {
  const std::string streams[] = {
      "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
      "\r\n\r\nGET /after-blank-lines HTTP/1.0\r\n\r\n",
      "POST /upload HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789GET /next HTTP/1.1\r\n\r\n",
      "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nwiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n"
      "HEAD /h HTTP/1.1\r\nConnection: close\r\n\r\n",
      "GET /a HTTP/1.1\n\nPUT /b HTTP/1.1\nContent-Length: 1\n\nxDELETE /c HTTP/1.1\r\nX: \r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",                     // error mid-stream
      "GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  // error in a body
  };
  for (const std::string& stream : streams) {
    INFO(stream);
    check_every_split(stream);
  }
}

TEST_CASE("views into a gathered head survive the slices they came from", "[http][request]") {
  // trace() overwrites each slice after use: a head split across slices must have been copied.
  CHECK(trace({"GET /long/path HT", "TP/1.1\r\nHost: exam", "ple\r\nContent-Length: 3\r\n\r\n", "abc"}) ==
        "H<GET /long/path 1.1 ka Host=example Content-Length=3>C<abc>");
  // ... and until the request completes, whatever happens to the slices meanwhile.
  http::request_parser parser;
  std::string slice = "POST /x HTTP/1.1\r\nHost: h";
  REQUIRE(parser.parse(slice).event == http::request_event::need_more);
  slice = "\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto result = parser.parse(slice);
  REQUIRE(result.event == http::request_event::head);
  slice.assign(slice.size(), '#');
  slice = "3\r\nabc\r\n0\r\n\r\n";
  REQUIRE(parser.parse(slice).event == http::request_event::body);
  slice.assign(slice.size(), '#');
  CHECK(parser.method() == "POST");
  CHECK(parser.target() == "/x");
  CHECK(parser.header("host") == std::optional<std::string_view>("h"));
}

TEST_CASE("malformed requests are definite errors with a status", "[http][request][errors]") {
  struct row {
    const char* request;
    int status;
  };
  const row rows[] = {
      {"GET\r\n\r\n", 400},
      {"GET /\r\n\r\n", 400},
      {"G(T / HTTP/1.1\r\n\r\n", 400},
      {" GET / HTTP/1.1\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1 \r\n\r\n", 400},
      {"GET / http/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET /\x01 HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nName : v\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n: v\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n;\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 2\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\rx", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\rx", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rx", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;a\x01\r\n", 400},
  };
  for (const row& r : rows) {
    INFO(r.request);
    const std::string traced = whole(r.request);
    CHECK(traced.find("E<" + std::to_string(r.status) + " ") != std::string::npos);
    check_every_split(r.request);
  }
}

TEST_CASE("garbage is refused as soon as it cannot start a request", "[http][request][errors]") {
  struct row {
    const char* start;
    int status;
  };
  const row rows[] = {
      {"\x16\x03\x01\x02\x00", 400},  // a TLS ClientHello
      {"G{T", 400},
      {"GET /a\x01", 400},
      {"GET / HTTP/1.1x", 400},
      {"GET / HTTP/1.1\rX", 400},
      {"GET / HTTPS", 400},
      {"GET / HTTP/3.0\r\nHost: a\r\n", 505},  // the request line is complete, the head is not
  };
  for (const row& r : rows) {
    INFO(r.start);
    http::request_parser parser;
    CHECK(parser.parse(r.start).event == http::request_event::error);
    CHECK(parser.error_status() == r.status);
    check_every_split(r.start);
  }
  // Prefixes of good requests are not refused.
  http::request_parser parser;
  for (const char* prefix : {"G", "GET", "GET ", "GET /x", "GET /x ", "GET /x HTTP/", "GET /x HTTP/1.", "GET /x HTTP/1.1\r"}) {
    INFO(prefix);
    parser.reset();
    CHECK(parser.parse(prefix).event == http::request_event::need_more);
  }
}

TEST_CASE("an error is sticky", "[http][request][errors]") {
  http::request_parser parser;
  auto result = parser.parse("BAD\r\n\r\n");
  REQUIRE(result.event == http::request_event::error);
  CHECK_FALSE(parser.error_message().empty());
  CHECK(parser.parse("GET / HTTP/1.1\r\n\r\n").event == http::request_event::error);
  parser.reset();
  CHECK(parser.parse("GET / HTTP/1.1\r\n\r\n").event == http::request_event::head);
}

TEST_CASE("the head size limit counts the whole head, however it is sliced", "[http][request][limits]") {
  const http::request_parser_options options{.max_head_size = 64};
  const std::string prefix = "GET / HTTP/1.1\r\nX: ";
  const std::string at_limit = prefix + std::string(64 - prefix.size() - 4, 'v') + "\r\n\r\n";
  REQUIRE(at_limit.size() == 64);
  CHECK(whole(at_limit, options).rfind("H<GET / 1.1 ka X=", 0) == 0);
  check_every_split(at_limit, options);
  const std::string over = prefix + std::string(64 - prefix.size() - 3, 'v') + "\r\n\r\n";
  CHECK(whole(over, options) == "E<431 request head too large>");
  check_every_split(over, options);
  // A head that never ends is refused once it passes the limit, not waited for forever.
  http::request_parser parser(options);
  std::size_t fed = 0;
  http::request_event event = http::request_event::need_more;
  while (event == http::request_event::need_more && fed < 1000) {
    event = parser.parse("GET / HTTP/1.1\r\nX: abcdefg\r\n").event;
    fed += 25;
  }
  CHECK(event == http::request_event::error);
  CHECK(parser.error_status() == 431);
  CHECK(fed <= 100);
  // Trailers get the same limit.
  CHECK(whole("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + std::string(100, 't') + "\r\n\r\n",
              options) == "H<POST / 1.1 ka Transfer-Encoding=chunked>E<431 trailer section too large>");
}

TEST_CASE("a large Content-Length body streams through in pieces", "[http][request]") {
  http::request_parser parser;
  REQUIRE(parser.parse("POST / HTTP/1.1\r\nContent-Length: 4611686018427387904\r\n\r\n").event ==
          http::request_event::head);
  CHECK(parser.content_length() == std::optional<std::uint64_t>(std::uint64_t(1) << 62));
  const std::string piece(4096, 'b');
  for (int i = 0; i < 100; ++i) {
    auto result = parser.parse(piece);
    REQUIRE(result.event == http::request_event::body);
    REQUIRE(result.consumed == piece.size());
  }
  CHECK(parser.body_bytes() == 409600);
}
