// Differential libFuzzer target: http::response_parser against Debian's http_parser 2.9
// (libhttp-parser-dev) on the same stream. Where both accept the input, they must agree on how
// many responses it holds, and on each one's status code and body length.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I include \
//     tests/fuzz/fuzz_http_response_vs_http_parser.cpp -luring -lhttp_parser
//
// Input: one configuration byte (ignored here, so that fuzz_http_response's corpus fits), then the
// stream, fed whole and then ended (finish() / http_parser_execute with no data).
//
// Where the two differ on purpose, and what this target does about it:
// * 204 and 304: http_parser reads a Content-Length body after them unless on_headers_complete
//   returns 1, so this target's callback does that (for 1xx too), as an http_parser user should.
// * Interim 1xx responses: http_parser reports each as a message; we skip them (they are not the
//   answer to a request). Its 1xx messages other than 101 are dropped before comparing.
// * 101: http_parser stops at a 101 that comes with "Connection: upgrade" and reports the rest as
//   unparsed; we complete the 101 and leave the rest to the caller. Both are compared up to and
//   including the first 101.
// * Grammar: we are stricter than http_parser where RFC 7230 lets a recipient choose — status
//   codes below 100, whitespace before a field's colon, obs-fold, a CR not followed by LF, control
//   characters in values and chunk extensions, whitespace after a chunk size not followed by ";",
//   stray empty lines before a status line — and looser where it asks for leniency: a list of
//   equal Content-Length values ("5, 5"), Transfer-Encoding together with Content-Length (the
//   coding wins, §3.3.3; http_parser 2.9.4 rejects the pair). Inputs one parser rejects are
//   compared only on the responses both completed before the first error.
// * A Transfer-Encoding whose final coding is not chunked: both read the body to the close.
// * Names: http_parser lets a field whose name only starts with "Transfer-Encoding" (say
//   "Transfer-Encoding-X: chunked") change the framing; inputs with a field whose name starts like
//   a framing field's but is longer are left out.
// * Bare LF: we take it for a line end everywhere (RFC 7230 §3.5); http_parser takes it in the
//   head but not after a chunk extension, where it reads on to the next CR and so swallows what
//   follows into the extension. Inputs with a bare LF are left out.
// * Whitespace: http_parser does not take a trailing HTAB for OWS after "chunked" (and then reads
//   the body to the close); inputs with HTAB are left out.
// * Lists: RFC 7230 §7 has recipients accept empty list elements (",,chunked") and we do, with
//   Content-Length lists of equal values; http_parser takes neither. Inputs with a
//   Transfer-Encoding other than a lone "chunked", or a Content-Length other than one number, are
//   left out, since the two would frame the body differently.

#include <uring_cannon/http_response_parser.hpp>

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

namespace {

namespace http = uring_cannon::http;

struct message {
  int status;
  std::uint64_t body_bytes;
};

struct result {
  std::vector<message> messages;
  bool error = false;
};

result parse_ours(std::string_view input) {
  result out;
  http::response_parser parser;
  while (!input.empty()) {
    const auto [consumed, event] = parser.parse(input);
    input.remove_prefix(consumed);
    if (event == http::parse_event::need_more) break;
    if (event == http::parse_event::error) {
      out.error = true;
      return out;
    }
    out.messages.push_back({parser.last_response().status, parser.last_response().body_bytes});
    if (parser.last_response().status == 101) return out;  // the rest is another protocol
  }
  const auto end = parser.finish();
  if (end.event == http::parse_event::error) out.error = true;
  if (end.event == http::parse_event::response_complete)
    out.messages.push_back({parser.last_response().status, parser.last_response().body_bytes});
  return out;
}

struct theirs_state {
  result out;
  std::uint64_t body = 0;
};

int on_message_begin(::http_parser* p) {
  static_cast<theirs_state*>(p->data)->body = 0;
  return 0;
}
// http_parser reads a Content-Length body after a 204 or 304 unless told not to; a careful user
// tells it, as RFC 7230 §3.3.3 says these responses end with their head.
int on_headers_complete(::http_parser* p) {
  const unsigned status = p->status_code;
  return status / 100 == 1 || status == 204 || status == 304 ? 1 : 0;
}
int on_body(::http_parser* p, const char*, std::size_t length) {
  static_cast<theirs_state*>(p->data)->body += length;
  return 0;
}
int on_message_complete(::http_parser* p) {
  auto* state = static_cast<theirs_state*>(p->data);
  const int status = int(p->status_code);
  if (status >= 200 || status == 101 || status < 100) state->out.messages.push_back({status, state->body});
  return 0;
}

result parse_theirs(std::string_view input) {
  theirs_state state;
  ::http_parser parser;
  ::http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &state;
  ::http_parser_settings settings;
  ::http_parser_settings_init(&settings);
  settings.on_message_begin = on_message_begin;
  settings.on_headers_complete = on_headers_complete;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  const std::size_t parsed = ::http_parser_execute(&parser, &settings, input.data(), input.size());
  if (parser.http_errno != HPE_OK) {
    state.out.error = true;
    return state.out;
  }
  if (parser.upgrade) return state.out;  // stopped at a 101; what follows is not HTTP
  if (parsed != input.size()) {
    state.out.error = true;
    return state.out;
  }
  ::http_parser_execute(&parser, &settings, nullptr, 0);  // end of stream
  if (parser.http_errno != HPE_OK) state.out.error = true;
  return state.out;
}

/// The responses up to and including the first 101.
std::vector<message> up_to_switch(std::vector<message> messages) {
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (messages[i].status == 101) {
      messages.resize(i + 1);
      break;
    }
  return messages;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// The value of `line` when it is a field called `name` (case-insensitive), else nullopt.
std::optional<std::string_view> field_value(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':' ||
      !uring_cannon::detail::iequals(line.substr(0, name.size()), name))
    return std::nullopt;
  return trim(line.substr(name.size() + 1));
}

/// Inputs where the two parse differently on purpose (see the top of this file). Any line of the
/// input counts, body lines too: that leaves out a few more inputs than needed, never fewer.
bool outside_common_grammar(std::string_view input) {
  if (input.find('\t') != std::string_view::npos) return true;
  for (std::size_t lf = input.find('\n'); lf != std::string_view::npos; lf = input.find('\n', lf + 1))
    if (lf == 0 || input[lf - 1] != '\r') return true;  // a bare LF
  while (!input.empty()) {
    const std::size_t eol = input.find('\n');
    const std::string_view line = input.substr(0, eol);
    input.remove_prefix(eol == std::string_view::npos ? input.size() : eol + 1);
    for (const std::string_view name : {"transfer-encoding", "content-length", "connection"})
      if (line.size() > name.size() && uring_cannon::detail::iequals(line.substr(0, name.size()), name) &&
          line[name.size()] != ':')
        return true;  // a longer name that starts like a framing field's
    if (const auto te = field_value(line, "transfer-encoding"); te && !uring_cannon::detail::iequals(*te, "chunked"))
      return true;
    if (const auto cl = field_value(line, "content-length"); cl && !uring_cannon::detail::parse_decimal(*cl))
      return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (outside_common_grammar(input)) return 0;
  const result ours = parse_ours(input);
  const result theirs = parse_theirs(input);
  const auto a = up_to_switch(ours.messages);
  const auto b = up_to_switch(theirs.messages);
  // With an error on either side, compare what both completed before it.
  const bool both_accept = !ours.error && !theirs.error;
  if (both_accept && a.size() != b.size()) {
    std::fprintf(stderr, "message count: ours %zu, http_parser %zu\n", a.size(), b.size());
    std::abort();
  }
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i].status != b[i].status || a[i].body_bytes != b[i].body_bytes) {
      std::fprintf(stderr, "message %zu: ours status %d body %llu, http_parser status %d body %llu\n", i, a[i].status,
                   static_cast<unsigned long long>(a[i].body_bytes), b[i].status,
                   static_cast<unsigned long long>(b[i].body_bytes));
      std::abort();
    }
  }
  return 0;
}
