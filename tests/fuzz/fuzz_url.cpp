// libFuzzer target for parse_url (and, on the same bytes, request_template::parse, whose input is
// just as user-supplied). Build alone:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=function -I include \
//     tests/fuzz/fuzz_url.cpp -luring
// Invariants: a parsed URL renders back (to_string) to text that parses to the same fields; the
// fields are safe to put in a request line (no space or control byte, target starts with '/');
// every failure has an "Error: " message; a template renders within its bounds and keeps the text
// around the placeholder byte for byte.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <uring_cannon/http_request.hpp>
#include <uring_cannon/url.hpp>
#include <vector>

namespace uc = uring_cannon;

namespace {

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

bool safe_for_request_line(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

void check_url(std::string_view text) {
  const auto parsed = uc::parse_url(text);
  if (!parsed) {
    require(parsed.error().rfind("Error: ", 0) == 0, "URL error starts with 'Error: '");
    return;
  }
  const uc::url& u = *parsed;
  require(!u.target.empty() && u.target.front() == '/', "target starts with '/'");
  require(u.target.find('#') == std::string::npos, "fragment dropped");
  require(safe_for_request_line(u.target) && safe_for_request_line(u.host) && safe_for_request_line(u.unix_path),
          "no space or control byte in fields");
  if (u.is_unix()) {
    require(u.host.empty() && u.unix_path.front() == '/' && u.unix_path.size() < 108, "unix path shape");
  } else {
    require(!u.host.empty() && u.port != 0, "tcp host and port");
  }

  const auto again = uc::parse_url(u.to_string());
  require(again.ok(), "to_string() parses");
  require(*again == u, "to_string() round-trips every field");

  const std::string request = uc::http::build_get_request(u);
  require(request.find("\r\n") == request.find(" HTTP/1.1\r\n") + 9, "request line ends where expected");
  require(request.size() >= 4 && request.compare(request.size() - 4, 4, "\r\n\r\n") == 0, "request ends with CRLFCRLF");
  require(request.find("\r\n\r\n") == request.size() - 4, "no early end of headers");
  require(!u.display().empty() && !u.host_header().empty(), "display and host_header");
}

void check_template(std::string text) {
  const auto parsed = uc::http::request_template::parse(text);
  if (!parsed) {
    require(parsed.error().rfind("Error: ", 0) == 0, "template error starts with 'Error: '");
    return;
  }
  const auto& tpl = *parsed;
  require(tpl.text() == text, "text kept byte for byte");
  uc::detail::splitmix64 rng(text.size());
  std::atomic<std::uint64_t> counter{0};
  std::vector<char> out(tpl.max_rendered_size());
  for (std::uint64_t value :
       {tpl.next_value(rng, counter), tpl.next_value(rng, counter), std::uint64_t{0}, UINT64_MAX}) {
    if (tpl.kind() == uc::http::request_template::placeholder_kind::rand && value != 0 && value != UINT64_MAX)
      require(value >= tpl.first() && value <= tpl.last(), "RAND value in range");
    const std::size_t written = tpl.render(value, out);
    require(written == tpl.rendered_size(value) && written <= out.size(), "render size");
    if (!tpl.has_placeholder()) {
      require(std::string_view(out.data(), written) == text, "plain template copied");
      continue;
    }
    // The text before the placeholder and after it survive unchanged; digits in between.
    const std::string_view rendered(out.data(), written);
    const std::size_t prefix_end =
        text.find(tpl.kind() == uc::http::request_template::placeholder_kind::rand ? "{RAND:" : "{SEQ:");
    require(prefix_end != std::string::npos, "placeholder present in text");
    const std::size_t close = text.find('}', prefix_end);
    const std::size_t suffix_size = text.size() - close - 1;
    require(rendered.substr(0, prefix_end) == std::string_view(text).substr(0, prefix_end), "prefix kept");
    require(rendered.substr(written - suffix_size) == std::string_view(text).substr(close + 1), "suffix kept");
    const std::string_view number = rendered.substr(prefix_end, written - prefix_end - suffix_size);
    require(number.size() >= tpl.width(), "zero-padded to width");
    require(uc::detail::parse_decimal(number) == value, "rendered number reads back");
  }
  if (tpl.kind() == uc::http::request_template::placeholder_kind::seq)
    require(counter.load() == 2, "SEQ counter advanced once per draw");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_url(text);
  check_template(std::string(text));
  return 0;
}
