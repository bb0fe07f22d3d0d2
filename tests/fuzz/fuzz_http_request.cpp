// libFuzzer target for the HTTP request parser. Besides "no crash, no sanitizer report", it
// checks that the parser's contract holds and that slicing never changes the outcome: the input
// parsed whole, split in two at a point the input picks, and one byte at a time must report the
// same requests, bodies and errors.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=function \
//     -I include tests/fuzz/fuzz_http_request.cpp -luring
#include <uring_cannon/http_request_parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace http = uring_cannon::http;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

std::string trace(std::string_view data, const std::vector<std::size_t>& cuts, http::request_parser_options options) {
  http::request_parser parser(options);
  std::string out, body;  // body pieces depend on slicing: compare them joined
  std::size_t events = 0;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : data.size();
    std::string_view input = data.substr(from, to - from);
    from = to;
    for (;;) {
      const auto [consumed, event] = parser.parse(input);
      require(consumed <= input.size());
      input.remove_prefix(consumed);
      require(++events <= 2 * data.size() + 8);  // every event but complete consumes input
      if (event == http::request_event::need_more) {
        require(input.empty());
        break;
      }
      if (event == http::request_event::error) {
        require(!parser.error_message().empty());
        require(parser.error_status() >= 400);
        // Sticky: the parser stays in its error state.
        require(parser.parse("GET / HTTP/1.1\r\n\r\n").event == http::request_event::error);
        return out + "B" + body + "E" + std::to_string(parser.error_status()) + std::string(parser.error_message());
      }
      switch (event) {
        case http::request_event::head:
          require(body.empty());
          out += "H" + std::string(parser.method()) + " " + std::string(parser.target()) +
                 std::to_string(parser.version_minor()) + (parser.keep_alive() ? "k" : "c");
          for (const auto& h : parser.headers()) {
            require(!h.name.empty());
            (out += std::string(h.name)) += ":" + std::string(h.value) + "\n";
          }
          if (!parser.headers().empty()) require(parser.header(parser.headers().front().name).has_value());
          break;
        case http::request_event::body:
          require(!parser.body_data().empty());
          body += parser.body_data();
          require(parser.body_bytes() == body.size());
          break;
        case http::request_event::complete:
          out += "C" + std::to_string(parser.body_bytes()) + ":" + body;
          body.clear();
          break;
        default:
          break;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  http::request_parser_options options;
  if (size % 4 == 3) options.max_head_size = 64;  // reach the limits with short inputs
  const std::string whole = trace(data, {}, options);
  const std::size_t cut = size > 1 ? (bytes[size - 1] * 131u + bytes[size / 2]) % size : 0;
  const std::string split = trace(data, {cut}, options);
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < size; ++i) every.push_back(i);
  const std::string bytewise = trace(data, every, options);
  require(whole == split);
  require(whole == bytewise);
  return 0;
}
