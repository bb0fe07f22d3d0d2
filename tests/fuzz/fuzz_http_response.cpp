// libFuzzer target for http::response_parser: never crashes, keeps its promises about `consumed`,
// and gives the same responses, the same error at the same byte, and the same finish() outcome
// whether the input arrives whole, one byte at a time, or cut where the input says.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I include \
//     tests/fuzz/fuzz_http_response.cpp -luring -o fuzz_http_response
//
// Input: one configuration byte, then the stream. Configuration bit 0: the responses answer HEAD
// requests; bit 1: a small header limit (64 + 8 * (byte >> 2) bytes) so that the limit paths get
// exercised; bits 2-7 also choose where the third run cuts the stream.

#include <uring_cannon/http_response_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace http = uring_cannon::http;

struct outcome {
  std::vector<http::response_info> responses;
  std::string error;
  std::size_t error_at = 0;
  http::parse_event finish = http::parse_event::need_more;
  http::response_info finished{};
};

bool same(const http::response_info& a, const http::response_info& b) {
  return a.status == b.status && a.keep_alive == b.keep_alive && a.header_bytes == b.header_bytes &&
         a.body_bytes == b.body_bytes && a.total_bytes == b.total_bytes && a.interim_responses == b.interim_responses &&
         a.chunked == b.chunked;
}

bool same(const outcome& a, const outcome& b) {
  if (a.responses.size() != b.responses.size() || a.error != b.error || a.error_at != b.error_at || a.finish != b.finish)
    return false;
  for (std::size_t i = 0; i < a.responses.size(); ++i)
    if (!same(a.responses[i], b.responses[i])) return false;
  return a.finish != http::parse_event::response_complete || same(a.finished, b.finished);
}

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_http_response: %s\n", what);
  std::abort();
}

void check_info(const http::response_info& r) {
  if (r.status < 100 || r.status > 999) broken("status out of range");
  if (r.header_bytes > r.total_bytes) broken("header bytes exceed total bytes");
  if (!r.chunked && r.header_bytes + r.body_bytes > r.total_bytes) broken("unchunked body exceeds total bytes");
  if (r.chunked && r.body_bytes >= r.total_bytes) broken("chunked body not smaller than its framing");
}

/// Parses `input` in slices of at most `slice` bytes (0: whole), starting a slice at `cut` too.
outcome run(std::string_view input, bool head, std::size_t limit, std::size_t slice, std::size_t cut) {
  http::response_parser parser(limit);
  parser.expect_head_responses(head);
  outcome out;
  std::size_t offset = 0;
  while (offset < input.size()) {
    std::size_t n = input.size() - offset;
    if (slice != 0 && n > slice) n = slice;
    if (offset < cut && cut < offset + n) n = cut - offset;
    std::string_view piece = input.substr(offset, n);
    while (!piece.empty()) {
      const auto [consumed, event] = parser.parse(piece);
      if (consumed > piece.size()) broken("consumed more than it was given");
      if (event == http::parse_event::error) {
        if (!parser.failed() || *parser.error_message() == '\0') broken("error without a message");
        out.error = parser.error_message();
        out.error_at = offset + consumed;
        if (parser.parse(piece).event != http::parse_event::error) broken("error did not stick");
        return out;
      }
      offset += consumed;
      piece.remove_prefix(consumed);
      if (event == http::parse_event::need_more) {
        if (!piece.empty()) broken("need_more without consuming everything");
      } else {
        if (!parser.idle()) broken("not idle after a complete response");
        check_info(parser.last_response());
        out.responses.push_back(parser.last_response());
      }
    }
  }
  out.finish = parser.finish().event;
  if (out.finish == http::parse_event::response_complete) {
    out.finished = parser.last_response();
    check_info(out.finished);
    if (out.finished.keep_alive) broken("a body ended by the close cannot keep the connection alive");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const bool head = config & 1;
  const std::size_t limit = (config & 2) ? 64 + 8 * std::size_t(config >> 2) : 64 * 1024;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t cut = input.empty() ? 0 : (std::size_t(config >> 2) * 37) % input.size();

  const outcome whole = run(input, head, limit, 0, 0);
  if (!same(whole, run(input, head, limit, 1, 0))) broken("one byte at a time differs from whole");
  if (!same(whole, run(input, head, limit, 0, cut))) broken("cut in two differs from whole");
  if (!same(whole, run(input, head, limit, 7, cut))) broken("7-byte slices differ from whole");
  return 0;
}
