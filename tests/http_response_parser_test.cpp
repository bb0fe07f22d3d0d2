#include <uring_cannon/http_response_parser.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace http = uring_cannon::http;
using namespace std::string_literals;

std::string describe(const http::response_info& r) {
  return "status=" + std::to_string(r.status) + " keep_alive=" + std::to_string(r.keep_alive) +
         " header_bytes=" + std::to_string(r.header_bytes) + " body_bytes=" + std::to_string(r.body_bytes) +
         " total_bytes=" + std::to_string(r.total_bytes) + " interim=" + std::to_string(r.interim_responses) +
         " chunked=" + std::to_string(r.chunked);
}

struct options {
  bool head_responses = false;
  std::size_t max_header_bytes = 64 * 1024;
};

/// Everything a run over one input produced, in a form two runs can be compared by.
struct outcome {
  std::vector<std::string> responses;  // describe() of each
  std::string error;                   // empty: none
  std::size_t error_at = 0;            // offset of the offending byte in the whole input
  std::string finish;                  // what finish() said at the end: "need_more", "complete: ...", or the error
  bool operator==(const outcome&) const = default;
};

std::string to_string(const outcome& o) {
  std::string s;
  for (const auto& r : o.responses) s += "[" + r + "] ";
  if (!o.error.empty()) s += "error '" + o.error + "' at " + std::to_string(o.error_at) + " ";
  return s + "finish: " + o.finish;
}

/// Feeds `input` cut at `cuts` (ascending offsets), then calls finish().
outcome run(std::string_view input, const std::vector<std::size_t>& cuts, options opt = {}) {
  http::response_parser parser(opt.max_header_bytes);
  parser.expect_head_responses(opt.head_responses);
  outcome out;
  std::size_t offset = 0;
  auto feed = [&](std::string_view piece) {
    while (!piece.empty()) {
      const auto [consumed, event] = parser.parse(piece);
      REQUIRE(consumed <= piece.size());
      if (event == http::parse_event::error) {
        out.error = parser.error_message();
        out.error_at = offset + consumed;
        REQUIRE(parser.failed());
        return false;
      }
      offset += consumed;
      piece.remove_prefix(consumed);
      if (event == http::parse_event::need_more) {
        REQUIRE(piece.empty());  // need_more consumes everything
      } else {
        out.responses.push_back(describe(parser.last_response()));
        REQUIRE(parser.idle());
      }
    }
    return true;
  };
  std::size_t from = 0;
  bool ok = true;
  for (std::size_t cut : cuts) {
    if (ok && cut > from) ok = feed(input.substr(from, cut - from));
    from = std::max(from, cut);
  }
  if (ok) ok = feed(input.substr(from));
  const auto [consumed, event] = parser.finish();
  CHECK(consumed == 0);
  if (event == http::parse_event::need_more) out.finish = "need_more";
  else if (event == http::parse_event::response_complete) out.finish = "complete: " + describe(parser.last_response());
  else out.finish = parser.error_message();
  return out;
}

outcome run_whole(std::string_view input, options opt = {}) { return run(input, {}, opt); }

/// The same input fed whole, cut in two at every offset, and one byte at a time must give the
/// same outcome.
void check_every_split(std::string_view input, options opt = {}) {
  const outcome whole = run_whole(input, opt);
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    const outcome split = run(input, {cut}, opt);
    INFO("cut at " << cut);
    REQUIRE(to_string(split) == to_string(whole));
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  REQUIRE(to_string(run(input, every_byte, opt)) == to_string(whole));
}

// ---- RFC 7230 table: valid responses --------------------------------------------------------------

/// One response as it travels: interim responses, the final head, the body as framed on the wire.
struct wire_response {
  std::string interim;  // 1xx responses before the final one
  std::string head;
  std::string body;
  int status = 0;
  std::uint64_t body_bytes = 0;  // decoded
  bool keep_alive = true;
  bool chunked = false;
  unsigned interim_count = 0;
};

std::string expected_description(const wire_response& w) {
  http::response_info info;
  info.status = w.status;
  info.keep_alive = w.keep_alive;
  info.header_bytes = w.head.size();
  info.body_bytes = w.body_bytes;
  info.total_bytes = w.interim.size() + w.head.size() + w.body.size();
  info.interim_responses = w.interim_count;
  info.chunked = w.chunked;
  return describe(info);
}

struct valid_case {
  const char* name;
  std::vector<wire_response> responses;
  bool close_delimited_last = false;  // the last response ends with the stream: finish() completes it
  options opt = {};
};

std::vector<valid_case> valid_cases() {
  const std::string chunked_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  return {
      {"Content-Length body", {{"", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "hello", 200, 5}}},
      {"Content-Length zero", {{"", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "", 200, 0}}},
      {"field names are case-insensitive",
       {{"", "HTTP/1.1 200 OK\r\ncontent-LENGTH: 3\r\nCONNECTION: Keep-Alive\r\n\r\n", "abc", 200, 3}}},
      {"names one tchar away from a framing field are other fields",
       {{"", "HTTP/1.1 200 OK\r\nContent_Length: 5\r\nTransfer_Encoding: chunked\r\nConnectio^: close\r\n"
             "content-lengtH: 2\r\n\r\n",
         "ok", 200, 2}}},
      {"Content-Length list of equal values (RFC 7230 3.3.2)",
       {{"", "HTTP/1.1 200 OK\r\nContent-Length: 3 , 3,3\r\nContent-Length:3\r\n\r\n", "abc", 200, 3}}},
      {"OWS around values, empty values, tabs and obs-text",
       {{"", "HTTP/1.1 200 \xc3\x84rger\r\nContent-Length: \t 2 \t\r\nX-Empty:\r\nX-Tab:\ta\tb \r\nX-Bin: \x80\xff\r\n\r\n",
         "ok", 200, 2}}},
      {"no reason phrase", {{"", "HTTP/1.1 404\r\nContent-Length: 1\r\n\r\n", "x", 404, 1}}},
      {"empty reason phrase", {{"", "HTTP/1.1 500 \r\nContent-Length: 1\r\n\r\n", "x", 500, 1}}},
      {"bare LF line endings (RFC 7230 3.5)",
       {{"", "HTTP/1.1 200 OK\nContent-Length: 2\nServer: x\n\n", "ok", 200, 2},
        {"", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\n\n", "2\nok\n0\n\n", 200, 2, true, true}}},
      {"chunked with extensions and trailers",
       {{"", chunked_head, "5;ext=1\r\nhello\r\n6 ; name=\"quo;ted\" ;x\r\n world\r\n0;last\r\nTrailer: x\r\nT2:\r\n\r\n", 200,
         11, true, true}}},
      {"chunked: leading zeros, upper and lower case hex",
       {{"", chunked_head, "000A\r\n0123456789\r\nb\r\n0123456789a\r\n00\r\n\r\n", 200, 21, true, true}}},
      {"chunked: empty body", {{"", chunked_head, "0\r\n\r\n", 200, 0, true, true}}},
      {"chunked: more than 16 digits of leading zeros, after data and first",
       {{"", chunked_head, "000000000000000000001\r\nx\r\n000000000000000000000005\r\nhello\r\n1\r\ny\r\n0\r\n\r\n", 200, 7,
         true, true}}},
      {"chunked overrides Content-Length (RFC 7230 3.3.3)",
       {{"", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\nx\r\n0\r\n\r\n", 200, 1,
         true, true}}},
      {"chunked as the final of several codings",
       {{"", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: , CHUNKED \r\n\r\n", "1\r\nx\r\n0\r\n\r\n",
         200, 1, true, true}}},
      {"chunked not final: the body runs to the close",
       {{"", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 1\r\n\r\n", "1\r\nx\r\n0\r\n\r\n", 200,
         11, false}},
       true},
      {"close-delimited body", {{"", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", "all of it", 200, 9, false}}, true},
      {"close-delimited empty body", {{"", "HTTP/1.1 200 OK\r\n\r\n", "", 200, 0, false}}, true},
      {"Connection: close", {{"", "HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n", "", 200, 0, false}}},
      {"HTTP/1.0 closes by default", {{"", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", "ok", 200, 2, false}}},
      {"HTTP/1.0 with keep-alive",
       {{"", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", "ok", 200, 2, true},
        {"", "HTTP/1.0 200 OK\r\nConnection: keep-alive x\r\nContent-Length: 2\r\n\r\n", "ok", 200, 2, false}}},
      {"HTTP/1.0 chunked is decoded but not reused",
       {{"", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n\r\n", 200, 0, false,
         true}}},
      {"HTTP/1.x minor versions above 1 behave as 1.1", {{"", "HTTP/1.9 999 Odd\r\nContent-Length: 0\r\n\r\n", "", 999, 0}}},
      {"204 and 304 have no body whatever the fields say",
       {{"", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", "", 204, 0},
        {"", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "", 304, 0},
        {"", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", "x", 200, 1}}},
      {"interim 1xx responses are skipped and counted",
       {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nContent-Length: 5\r\n\r\n"
         "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok", 200, 2, true, false, 3},
        {"", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "", 200, 0}}},
      {"interim response before a close-delimited one",
       {{"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n", "rest", 200, 4, false, false, 1}},
       true},
      {"101 completes with no body",
       {{"", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 9\r\n\r\n", "",
         101, 0}}},
      {"HEAD responses have no body", {{"", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "", 200, 0},
                                       {"", chunked_head, "", 200, 0},
                                       {"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n", "", 200, 0, true, false, 1}},
       false, {true}},
      {"pipelined mix",
       {{"", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok", 200, 2},
        {"", chunked_head, "3\r\nabc\r\n0\r\n\r\n", 200, 3, true, true},
        {"", "HTTP/1.1 204 No Content\r\n\r\n", "", 204, 0},
        {"", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "", 200, 0},
        {"HTTP/1.1 100 Continue\r\n\r\n", chunked_head, "0\r\n\r\n", 200, 0, true, true, 1},
        {"", "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\n", "nope", 404, 4},
        {"", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", "the end", 200, 7, false}},
       true},
  };
}

std::string wire(const valid_case& c) {
  std::string s;
  for (const auto& r : c.responses) s += r.interim + r.head + r.body;
  return s;
}

outcome expected_outcome(const valid_case& c) {
  outcome o;
  for (const auto& r : c.responses) o.responses.push_back(expected_description(r));
  o.finish = "need_more";
  if (c.close_delimited_last) {
    o.finish = "complete: " + o.responses.back();
    o.responses.pop_back();
  }
  return o;
}

TEST_CASE("response_parser: RFC 7230 table, whole input", "[http_response_parser]") {
  for (const valid_case& c : valid_cases()) {
    INFO(c.name);
    CHECK(to_string(run_whole(wire(c), c.opt)) == to_string(expected_outcome(c)));
  }
}

TEST_CASE("response_parser: RFC 7230 table, split at every byte boundary and one byte at a time",
          "[http_response_parser]") {
  for (const valid_case& c : valid_cases()) {
    INFO(c.name);
    REQUIRE(to_string(run_whole(wire(c), c.opt)) == to_string(expected_outcome(c)));
    check_every_split(wire(c), c.opt);
  }
}

TEST_CASE("response_parser: a completed response stops parse() where it ends", "[http_response_parser]") {
  http::response_parser parser;
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string input = first + "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.1 2";
  std::string_view rest = input;
  auto r = parser.parse(rest);
  CHECK(r.event == http::parse_event::response_complete);
  CHECK(r.consumed == first.size());
  CHECK(parser.last_response().status == 200);
  rest.remove_prefix(r.consumed);
  r = parser.parse(std::span<const char>(rest.data(), rest.size()));
  CHECK(r.event == http::parse_event::response_complete);
  CHECK(parser.last_response().status == 201);
  CHECK(parser.idle());
  rest.remove_prefix(r.consumed);
  r = parser.parse(rest);
  CHECK(r.event == http::parse_event::need_more);
  CHECK(r.consumed == rest.size());
  CHECK_FALSE(parser.idle());
  CHECK(parser.last_response().status == 201);  // still the last complete one
  CHECK(parser.parse(std::string_view{}).event == http::parse_event::need_more);
}

TEST_CASE("response_parser: 101 leaves the upgraded stream unconsumed", "[http_response_parser]") {
  http::response_parser parser;
  const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  const std::string input = head + "\x81\x02hi";
  const auto r = parser.parse(input.data(), input.size());
  CHECK(r.event == http::parse_event::response_complete);
  CHECK(r.consumed == head.size());
  CHECK(parser.last_response().status == 101);
  CHECK(parser.last_response().body_bytes == 0);
}

TEST_CASE("response_parser: Content-Length up to 2^64-1", "[http_response_parser]") {
  http::response_parser parser;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n";
  auto r = parser.parse(head);
  CHECK(r.event == http::parse_event::need_more);
  const std::string body(100000, 'x');
  r = parser.parse(body);
  CHECK(r.event == http::parse_event::need_more);
  CHECK(r.consumed == body.size());
  CHECK(parser.finish().event == http::parse_event::error);
  CHECK(std::string_view(parser.error_message()) == "connection closed mid-response");
}

TEST_CASE("response_parser: HEAD mode and reset", "[http_response_parser]") {
  http::response_parser parser;
  parser.expect_head_responses(true);
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  CHECK(parser.parse(input).event == http::parse_event::response_complete);
  CHECK(parser.last_response().body_bytes == 0);
  parser.reset();  // keeps the HEAD mode
  CHECK(parser.parse(input).event == http::parse_event::response_complete);
  parser.expect_head_responses(false);
  CHECK(parser.parse(input).event == http::parse_event::need_more);
  CHECK(parser.parse("hello"s).event == http::parse_event::response_complete);
  CHECK(parser.last_response().body_bytes == 5);
}

// ---- errors ----------------------------------------------------------------------------------------

struct error_case {
  const char* name;
  std::string input;
  std::string message;
  std::size_t offset;  // of the offending byte
  std::size_t max_header_bytes = 64 * 1024;
};

std::vector<error_case> error_cases() {
  const std::string ok_head = "HTTP/1.1 200 OK\r\n";  // 17 bytes
  const std::string chunked = ok_head + "Transfer-Encoding: chunked\r\n\r\n";  // 47 bytes
  const std::size_t c = chunked.size();
  return {
      {"garbage fails at its first byte", "<html>", "invalid status line", 0},
      {"lower-case protocol name", "http/1.1 200 OK\r\n", "invalid status line", 0},
      {"stray empty line before the status line", "\r\nHTTP/1.1 200 OK\r\n", "invalid status line", 0},
      {"HTTP/2 framing", "HTTP/2 200\r\n", "unsupported HTTP version", 5},
      {"HTTP/0.9", "HTTP/0.9 200\r\n", "unsupported HTTP version", 5},
      {"version without minor", "HTTP/1 200 OK\r\n", "invalid status line", 6},
      {"two spaces after the version", "HTTP/1.1  200 OK\r\n", "invalid status code", 9},
      {"two-digit status", "HTTP/1.1 20 OK\r\n", "invalid status code", 11},
      {"four-digit status", "HTTP/1.1 2000 OK\r\n", "invalid status code", 12},
      {"status below 100", "HTTP/1.1 099 Odd\r\n", "invalid status code", 9},
      {"status followed by a letter", "HTTP/1.1 200OK\r\n", "invalid status line", 12},
      {"control character in the reason phrase", "HTTP/1.1 200 O\x01K\r\n", "invalid character in reason phrase", 14},
      {"CR without LF", "HTTP/1.1 200 OK\rX", "CR not followed by LF", 16},
      {"obs-fold", ok_head + "X-A: a\r\n b\r\n\r\n", "obsolete line folding (a line starting with whitespace)", 25},
      {"whitespace before the first field", ok_head + " X: a\r\n\r\n", "obsolete line folding (a line starting with whitespace)",
       17},
      {"whitespace before the colon", ok_head + "Content-Length : 1\r\n\r\n", "whitespace between header name and colon", 31},
      {"field line without a colon", ok_head + "Server\r\n\r\n", "header line without a colon", 23},
      {"empty field name", ok_head + ": x\r\n\r\n", "empty header name", 17},
      {"invalid character in a field name", ok_head + "X(y): 1\r\n\r\n", "invalid character in header name", 18},
      {"non-token first character", ok_head + "@: 1\r\n\r\n", "invalid character in header name", 17},
      {"NUL in a field value", ok_head + "X: a\0b\r\n\r\n"s, "invalid character in header value", 21},
      {"DEL in a field value", ok_head + "X: a\x7f\r\n\r\n", "invalid character in header value", 21},
      {"CR inside a field value", ok_head + "X: a\rb\r\n\r\n", "CR not followed by LF", 22},
      {"CR without LF on the empty line", ok_head + "\rx", "CR not followed by LF", 18},
      {"control character in Connection", ok_head + "Connection: close\x01\r\n\r\n", "invalid character in header value", 34},
      {"Content-Length not a number", ok_head + "Content-Length: abc\r\n\r\n", "invalid Content-Length", 33},
      {"Content-Length empty", ok_head + "Content-Length: \r\n\r\n", "invalid Content-Length", 33},
      {"Content-Length negative", ok_head + "Content-Length: -1\r\n\r\n", "invalid Content-Length", 33},
      {"Content-Length with a sign", ok_head + "Content-Length: +1\r\n\r\n", "invalid Content-Length", 33},
      {"Content-Length of two numbers", ok_head + "Content-Length: 1 2\r\n\r\n", "invalid Content-Length", 35},
      {"Content-Length empty list element", ok_head + "Content-Length: 1,,1\r\n\r\n", "invalid Content-Length", 35},
      {"Content-Length overflows", ok_head + "Content-Length: 18446744073709551616\r\n\r\n", "Content-Length overflows", 52},
      {"Content-Length conflicting in one field", ok_head + "Content-Length: 5, 6\r\n\r\n",
       "conflicting Content-Length values", 37},
      {"Content-Length conflicting fields", ok_head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
       "conflicting Content-Length values", 53},
      {"chunk size not hex", chunked + "zz\r\n", "invalid chunk size", c},
      {"chunk size missing", chunked + "\r\n", "invalid chunk size", c},
      {"chunk size missing before an extension", chunked + ";x\r\n", "invalid chunk size", c},
      {"chunk size followed by junk", chunked + "5 x\r\nhello\r\n", "invalid chunk size", c + 2},
      {"chunk size overflows", chunked + "10000000000000000\r\n", "chunk size overflows", c + 16},
      {"control character in a chunk extension", chunked + "5;a=\x02\r\n", "invalid character in chunk extension", c + 4},
      {"chunk data too long", chunked + "2\r\nabc\r\n", "chunk data not followed by CRLF", c + 5},
      {"chunk data CR without LF", chunked + "2\r\nab\rc", "CR not followed by LF", c + 6},
      {"chunk size line CR without LF", chunked + "2\rab", "CR not followed by LF", c + 2},
      {"obs-fold in the trailers", chunked + "0\r\nT: a\r\n b\r\n\r\n", "obsolete line folding (a line starting with whitespace)",
       c + 9},
      {"bad trailer line", chunked + "0\r\nnot a field\r\n\r\n", "whitespace between header name and colon", c + 6},
      {"header section over the limit", ok_head + "X: " + std::string(100, 'a') + "\r\n\r\n", "header section exceeds 64 bytes",
       64, 64},
      {"interim head over the limit", "HTTP/1.1 100 Continue\r\nX: " + std::string(100, 'a'), "header section exceeds 64 bytes",
       64, 64},
      {"chunk size line over the limit", chunked + "5;" + std::string(100, 'e') + "\r\nhello\r\n0\r\n\r\n",
       "chunk size line exceeds 64 bytes", c + 64, 64},
      {"chunk size line of zeros over the limit", chunked + std::string(100, '0'), "chunk size line exceeds 64 bytes", c + 64,
       64},
      {"trailer section over the limit", chunked + "0\r\nT: " + std::string(100, 't') + "\r\n\r\n",
       "trailer section exceeds 64 bytes", c + 3 + 64, 64},
  };
}

TEST_CASE("response_parser: each error path, whole and split at every byte boundary", "[http_response_parser]") {
  for (const error_case& e : error_cases()) {
    INFO(e.name);
    options opt;
    opt.max_header_bytes = e.max_header_bytes;
    const outcome whole = run_whole(e.input, opt);
    CHECK(whole.responses.empty());
    CHECK(whole.error == e.message);
    CHECK(whole.error_at == e.offset);
    CHECK(whole.finish == e.message);  // the error sticks
    check_every_split(e.input, opt);
  }
}

TEST_CASE("response_parser: limits are on bytes, not on the number of fields", "[http_response_parser]") {
  const std::string head_start = "HTTP/1.1 200 OK\r\n";
  std::string head = head_start;
  for (int i = 0; i < 5000; ++i) head += "X: " + std::to_string(i) + "\r\n";
  head += "Content-Length: 0\r\n\r\n";
  CHECK(run_whole(head, {false, head.size()}).responses.size() == 1);
  const outcome over = run_whole(head, {false, head.size() - 1});
  CHECK(over.error == "header section exceeds " + std::to_string(head.size() - 1) + " bytes");
  CHECK(over.error_at == head.size() - 1);

  // The limit applies to each head on its own: interim and final heads, pipelined responses.
  const std::string small = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const outcome many = run_whole(interim + small + small + small, {false, small.size()});
  CHECK(many.error.empty());
  CHECK(many.responses.size() == 3);
  // Chunk size lines and trailer sections have their own budgets.
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::size_t limit = chunked.size();
  for (int i = 0; i < 100; ++i) chunked += "1;" + std::string(limit - 5, 'e') + "\r\nx\r\n";
  chunked += "0\r\n" + std::string("T: ") + std::string(limit - 7, 't') + "\r\n\r\n";
  const outcome chunks = run_whole(chunked, {false, limit});
  CHECK(chunks.error.empty());
  CHECK(chunks.responses.size() == 1);
}

TEST_CASE("response_parser: errors stick until reset()", "[http_response_parser]") {
  http::response_parser parser;
  CHECK_FALSE(parser.failed());
  CHECK(std::string_view(parser.error_message()).empty());
  auto r = parser.parse("HTTP/1.1 2x"s);
  CHECK(r.event == http::parse_event::error);
  CHECK(r.consumed == 10);
  CHECK(parser.failed());
  const std::string good = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  r = parser.parse(good);
  CHECK(r.event == http::parse_event::error);
  CHECK(r.consumed == 0);
  CHECK(parser.finish().event == http::parse_event::error);
  parser.reset();
  CHECK_FALSE(parser.failed());
  CHECK(parser.idle());
  CHECK(parser.parse(good).event == http::parse_event::response_complete);
}

// ---- finish() ------------------------------------------------------------------------------------------

TEST_CASE("response_parser: finish()", "[http_response_parser]") {
  SECTION("idle: nothing to finish") {
    http::response_parser parser;
    CHECK(parser.finish().event == http::parse_event::need_more);
    CHECK(parser.parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"s).event == http::parse_event::response_complete);
    CHECK(parser.finish().event == http::parse_event::need_more);
    CHECK_FALSE(parser.failed());
  }
  SECTION("completes a close-delimited body, once") {
    const outcome o = run_whole("HTTP/1.1 200 OK\r\n\r\n12345");
    CHECK(o.finish == "complete: status=200 keep_alive=0 header_bytes=19 body_bytes=5 total_bytes=24 interim=0 chunked=0");
    http::response_parser parser;
    CHECK(parser.parse("HTTP/1.1 200 OK\r\n\r\n12345"s).event == http::parse_event::need_more);
    CHECK(parser.finish().event == http::parse_event::response_complete);
    CHECK(parser.idle());
    CHECK(parser.finish().event == http::parse_event::need_more);
  }
  const std::string mid_response_error = "connection closed mid-response";
  for (const std::string& input : {"H"s, "HTTP/1.1 200 OK\r\n"s, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r"s,
                                  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"s,
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"s,
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"s,
                                  "HTTP/1.1 100 Continue\r\n\r\n"s}) {
    INFO(input);
    CHECK(run_whole(input).finish == mid_response_error);
  }
}

// ---- pipelined mixes --------------------------------------------------------------------------------

/// A random response of one of the framing kinds, with its expected description.
wire_response random_response(std::mt19937_64& rng) {
  auto pick = [&](std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); };
  const std::string eol = pick(8) == 0 ? "\n" : "\r\n";
  wire_response r;
  r.status = pick(4) == 0 ? 404 : 200;
  for (std::uint64_t i = pick(4) == 0 ? 1 + pick(2) : 0; i > 0; --i, ++r.interim_count)
    r.interim += "HTTP/1.1 100 Continue" + eol + eol;
  r.head = "HTTP/1.1 " + std::to_string(r.status) + " X" + eol + "Server: pipelined" + eol;
  if (pick(2)) r.head += "Date: Mon, 01 Jan 2024 00:00:00 GMT" + eol;
  switch (pick(4)) {
    case 0: {  // fixed
      const auto n = pick(3) == 0 ? 0 : pick(3000);
      r.head += "Content-Length: " + std::to_string(n) + eol;
      r.body = std::string(n, 'f');
      r.body_bytes = n;
      break;
    }
    case 1: {  // chunked
      r.chunked = true;
      r.head += "Transfer-Encoding: chunked" + eol;
      for (auto chunks = pick(5); chunks > 0; --chunks) {
        const auto n = 1 + pick(700);
        char size[32];
        std::snprintf(size, sizeof size, pick(2) ? "%llx" : "%llX", static_cast<unsigned long long>(n));
        r.body += size + std::string(pick(3) == 0 ? ";ext=v" : "") + eol + std::string(n, 'c') + eol;
        r.body_bytes += n;
      }
      r.body += "0" + eol + (pick(3) == 0 ? "Trailer: t" + eol : "") + eol;
      break;
    }
    case 2:  // empty by status
      r.status = 204;
      r.head = "HTTP/1.1 204 No Content" + eol;
      break;
    default:  // empty by length
      r.head += "Content-Length: 0" + eol;
  }
  r.head += eol;
  return r;
}

TEST_CASE("response_parser: random pipelined mixes in random slices", "[http_response_parser]") {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    valid_case c{"random", {}};
    for (int i = 0; i < 12; ++i) c.responses.push_back(random_response(rng));
    const std::string input = wire(c);
    const outcome expected = expected_outcome(c);
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    const std::size_t max_slice = std::size_t(1) << std::uniform_int_distribution<int>(0, 13)(rng);
    while ((at += 1 + std::uniform_int_distribution<std::size_t>(0, max_slice)(rng)) < input.size()) cuts.push_back(at);
    INFO("round " << round << ", " << cuts.size() + 1 << " slices");
    REQUIRE(to_string(run(input, cuts)) == to_string(expected));
  }
}

TEST_CASE("response_parser: the parser object is small and allocation-free by construction", "[http_response_parser]") {
  static_assert(std::is_nothrow_constructible_v<http::response_parser>);
  static_assert(std::is_trivially_destructible_v<http::response_parser>);
  CHECK(sizeof(http::response_parser) <= 256);
}

}  // namespace
