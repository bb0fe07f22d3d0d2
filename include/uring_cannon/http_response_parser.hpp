#pragma once
// An incremental HTTP/1.1 response parser for the client side of a connection: fed arbitrary
// slices of the byte stream, it finds where each response ends and reports what a load generator
// counts (status, header and body sizes, keep-alive) — without allocating and without copying a
// header. It reads only the fields that frame a message: Content-Length, Transfer-Encoding and
// Connection; every other field is checked for valid characters and skipped.
//
//   http::response_parser parser;
//   while (!input.empty()) {
//     const auto [consumed, event] = parser.parse(input);
//     input.remove_prefix(consumed);
//     if (event == http::parse_event::need_more) break;            // all of input was used
//     if (event == http::parse_event::error) return close_connection(parser.error_message());
//     count(parser.last_response());                                  // one response, then the next
//   }
//   ... at end of stream: parser.finish() completes a body delimited by the close.
//
// Grammar choices (RFC 7230 leaves these to the recipient):
// * A bare LF ends a line like CRLF does (§3.5 allows it): in the head, the trailer section, chunk
//   size lines and after chunk data. A CR not followed by LF is an error.
// * obs-fold (a field line starting with SP or HTAB) is an error, as is whitespace between a field
//   name and its colon (§3.2.4). Field values may hold HTAB, SP, VCHAR and obs-text only.
// * The status line must start with "HTTP/1.<digit> " and a status code from 100 to 999; the
//   reason phrase may be missing together with its space ("HTTP/1.1 200\r\n"). Nothing may come
//   before the status line (no stray empty lines between responses).
// * Content-Length may be a list of equal values ("42, 42" or repeated fields, §3.3.2); differing
//   values, an empty value and values above 2^64-1 are errors. Transfer-Encoding overrides it.
// * Transfer-Encoding whose final coding is not "chunked" means the body runs to the close
//   (§3.3.3 item 3). A chunked HTTP/1.0 response is decoded, and the connection is not reused.
// * Limits count bytes, not fields: the status line, fields and empty line of one head together,
//   one chunk size line (extensions included), and one trailer section may each be at most
//   max_header_bytes long. An error comes with the first byte beyond the limit, so a stream of
//   junk never leaves the parser waiting forever.

#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/detail/http_response_grammar.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace uring_cannon::http {

/// What one call to response_parser::parse() found.
enum class parse_event : std::uint8_t {
  need_more,          ///< every byte given was consumed; the response goes on in later bytes
  response_complete,  ///< one final response ended; last_response() describes it
  error,              ///< malformed input; error_message() says why, and the parser stays here
};

struct parse_result {
  std::size_t consumed;  ///< bytes of the input used; on error, the offset of the offending byte
  parse_event event;
};

/// One final response, as the parser measured it.
struct response_info {
  int status = 0;
  /// False for "Connection: close", HTTP/1.0 without "Connection: keep-alive", and bodies that end
  /// with the connection.
  bool keep_alive = true;
  std::uint64_t header_bytes = 0;  ///< status line, fields and the empty line of the final response
  std::uint64_t body_bytes = 0;    ///< decoded body bytes, without chunk framing
  std::uint64_t total_bytes = 0;   ///< every byte of the response on the wire, interim 1xx included
  unsigned interim_responses = 0;  ///< 1xx responses skipped before this one
  bool chunked = false;
};

/// Finds the responses in a client connection's byte stream, one at a time. Allocation-free and
/// trivially destructible (256 bytes on x86-64); one instance serves one connection at a time.
class response_parser {
 public:
  /// `max_header_bytes` bounds one response head, one chunk size line, and one trailer section.
  explicit response_parser(std::size_t max_header_bytes = 64 * 1024) noexcept : max_header_bytes_(max_header_bytes) {
    reset();
  }

  /// Consumes bytes up to and including the end of at most one final response. On
  /// response_complete, `consumed` is where that response ended: call parse() again with the
  /// rest. On need_more, everything was consumed. On error the parser stays failed until reset().
  /// Interim 1xx responses are consumed silently; a 101 completes (with no body), and what follows
  /// it is another protocol's stream, not for this parser.
  parse_result parse(const char* data, std::size_t size) noexcept;
  parse_result parse(std::span<const char> bytes) noexcept { return parse(bytes.data(), bytes.size()); }
  parse_result parse(std::string_view bytes) noexcept { return parse(bytes.data(), bytes.size()); }
  /// (A std::string converts to both a span and a string_view; this overload settles which.)
  parse_result parse(const std::string& bytes) noexcept { return parse(bytes.data(), bytes.size()); }

  /// The peer closed the stream: completes a body delimited by the close (response_complete), is
  /// fine when idle (need_more), and is an error in the middle of any other response.
  parse_result finish() noexcept;

  /// The response that the latest response_complete reported.
  const response_info& last_response() const noexcept { return last_; }

  /// Whether responses answer HEAD requests: then none has a body, whatever its fields say.
  /// Stays set across reset().
  void expect_head_responses(bool on) noexcept { head_responses_ = on; }

  /// No byte of the next response has been seen yet.
  bool idle() const noexcept { return state_ == state::status_line && status_pos_ == 0 && bytes_in_response_ == 0; }
  bool failed() const noexcept { return state_ == state::failed; }
  /// Why parsing failed; empty when it has not.
  const char* error_message() const noexcept { return error_; }

  /// Back to idle with the error cleared, for a new connection. Keeps the limit and the HEAD mode.
  void reset() noexcept {
    last_ = {};
    bytes_in_response_ = 0;
    error_ = "";
    begin_head();
  }

 private:
  enum class state : std::uint8_t {
    // Limited: the head (or, with in_trailers_, the trailer section) ...
    status_line,   // within "HTTP/1.1 200"; status_pos_ says where
    reason,        // after the status code, up to the line end
    line_lf,       // a CR ended a status or field line
    field_start,   // the start of a field line, or of the empty line
    field_name,
    field_ows,     // after the colon
    field_value,   // a field nobody reads: only its characters are checked
    content_length,
    token_list,    // Transfer-Encoding or Connection
    section_lf,    // a CR began the empty line
    // ... and one chunk size line.
    chunk_size,
    chunk_size_ws,
    chunk_ext,
    chunk_size_lf,
    // Unlimited: bodies.
    body_fixed,
    body_until_close,
    chunk_data,
    chunk_data_end,  // CRLF after chunk data
    chunk_data_lf,
    // Reached without consuming; the parse loop acts on them at once, so they never last between calls.
    section_end,
    chunk_line_end,
    message_end,
    failed,
  };
  enum class field_kind : std::uint8_t { content_length, transfer_encoding, connection, other };

  static constexpr bool is_limited(state s) noexcept { return s <= state::chunk_size_lf; }

  // ---- the parse loop ----------------------------------------------------------------------------

  [[gnu::always_inline]] const char* run_limited(const char* p, const char* end) noexcept {
    while (p != end && is_limited(state_)) {
      p = step_limited(p, end);
      if (state_ == state::field_start) p = whole_field_lines(p, end);
    }
    return p;
  }

  /// The hot path of the head: field lines that arrive whole, one after another, run through the
  /// same state functions as step_limited() but without a dispatch between their parts. It returns
  /// at the first line that is split, ends the section, or is wrong, for the states to take over.
  [[gnu::always_inline]] const char* whole_field_lines(const char* p, const char* end) noexcept {
    while (p != end && detail::http_response::is_tchar(*p)) {
      p = on_field_start(p);
      p = on_field_name(p, end);
      if (state_ != state::field_ows) return p;
      p = on_field_ows(p, end);
      switch (state_) {
        case state::field_value: p = on_field_value(p, end); break;
        case state::content_length: p = on_content_length(p, end); break;
        case state::token_list: p = on_token_list(p, end); break;
        default: return p;
      }
      if (state_ != state::field_start) return p;
    }
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {  // the empty line
      state_ = state::section_end;
      return p + 2;
    }
    return p;
  }

  [[gnu::always_inline]] const char* step_limited(const char* p, const char* end) noexcept {
    switch (state_) {
      case state::status_line: return on_status_line(p, end);
      case state::reason: return on_reason(p, end);
      case state::line_lf: return expect_lf(p, state::field_start);
      case state::field_start: return on_field_start(p);
      case state::field_name: return on_field_name(p, end);
      case state::field_ows: return on_field_ows(p, end);
      case state::field_value: return on_field_value(p, end);
      case state::content_length: return on_content_length(p, end);
      case state::token_list: return on_token_list(p, end);
      case state::section_lf: return expect_lf(p, state::section_end);
      case state::chunk_size: return on_chunk_size(p, end);
      case state::chunk_size_ws: return on_chunk_size_ws(p);
      case state::chunk_ext: return on_chunk_ext(p, end);
      case state::chunk_size_lf: return expect_lf(p, state::chunk_line_end);
      default: return p;
    }
  }

  [[gnu::always_inline]] const char* step_body(const char* p, const char* end) noexcept {
    switch (state_) {
      case state::body_fixed: return take_body(p, end, state::message_end);
      case state::body_until_close:
        current_.body_bytes += std::uint64_t(end - p);
        return end;
      case state::chunk_data: return whole_chunks(take_body(p, end, state::chunk_data_end), end);
      case state::chunk_data_end:
        if (const char* q = whole_chunks(p, end); q != p) return q;
        if (*p == '\r') {
          state_ = state::chunk_data_lf;
          return p + 1;
        }
        if (*p != '\n') return fail(p, "chunk data not followed by CRLF");
        begin_chunk_line();
        return p + 1;
      case state::chunk_data_lf:
        if (*p != '\n') return fail(p, "CR not followed by LF");
        begin_chunk_line();
        return p + 1;
      default: return p;
    }
  }

  // ---- the status line ---------------------------------------------------------------------------

  const char* on_status_line(const char* p, const char* end) noexcept {
    if (status_pos_ == 0 && end - p >= 12 && std::memcmp(p, "HTTP/1.", 7) == 0 && detail::is_digit(p[7]) &&
        p[8] == ' ' && detail::is_digit(p[9]) && p[9] != '0' && detail::is_digit(p[10]) && detail::is_digit(p[11])) {
      version_minor_ = p[7] - '0';
      current_.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
      status_pos_ = 12;
      p += 12;
    }
    // Byte by byte when the fixed part is split or wrong, so that the error is found at the same
    // byte however the input is sliced.
    for (; p != end && status_pos_ < 12; ++p, ++status_pos_) {
      const char c = *p;
      switch (status_pos_) {
        case 5:
          if (c != '1') return fail(p, detail::is_digit(c) ? "unsupported HTTP version" : "invalid status line");
          break;
        case 7:
          if (!detail::is_digit(c)) return fail(p, "invalid status line");
          version_minor_ = c - '0';
          break;
        case 9:
        case 10:
        case 11:
          if (!detail::is_digit(c) || (status_pos_ == 9 && c == '0')) return fail(p, "invalid status code");
          current_.status = (status_pos_ == 9 ? 0 : current_.status * 10) + (c - '0');
          break;
        default:
          if (c != "HTTP/1.x "[status_pos_]) return fail(p, "invalid status line");
      }
    }
    if (p == end) return p;
    switch (*p) {
      case ' ': state_ = state::reason; return p + 1;
      case '\r': state_ = state::line_lf; return p + 1;
      case '\n': state_ = state::field_start; return p + 1;
      default: return fail(p, detail::is_digit(*p) ? "invalid status code" : "invalid status line");
    }
  }

  [[gnu::always_inline]] const char* on_reason(const char* p, const char* end) noexcept {
    p = detail::http_response::skip_field_chars(p, end);
    return p == end ? p : end_line(p, end, "invalid character in reason phrase");
  }

  // ---- header (and trailer) fields -----------------------------------------------------------------

  [[gnu::always_inline]] const char* on_field_start(const char* p) noexcept {
    const char c = *p;
    if (detail::http_response::is_tchar(c)) {
      state_ = state::field_name;
      name_.start(detail::http_response::framing_fields);
      return p;  // field_name scans from here
    }
    switch (c) {
      case '\r': state_ = state::section_lf; return p + 1;
      case '\n': state_ = state::section_end; return p + 1;
      case ' ':
      case '\t': return fail(p, "obsolete line folding (a line starting with whitespace)");
      case ':': return fail(p, "empty header name");
      default: return fail(p, "invalid character in header name");
    }
  }

  [[gnu::always_inline]] const char* on_field_name(const char* p, const char* end) noexcept {
    const char* q = p;
    while (q != end && detail::http_response::is_tchar(*q)) ++q;
    if (q == end) {
      name_.feed(detail::http_response::framing_fields, p, q);
      return q;
    }
    switch (*q) {
      case ':': break;
      case ' ':
      case '\t': return fail(q, "whitespace between header name and colon");
      case '\r':
      case '\n': return fail(q, "header line without a colon");
      default: return fail(q, "invalid character in header name");
    }
    if (in_trailers_) {
      kind_ = field_kind::other;  // trailers cannot change the framing: the body is already over
    } else if (name_.length() == 0) {
      kind_ = classify(std::string_view(p, std::size_t(q - p)));
    } else {
      name_.feed(detail::http_response::framing_fields, p, q);
      const int found = name_.match(detail::http_response::framing_fields);
      kind_ = found < 0 ? field_kind::other : field_kind(found);
    }
    state_ = state::field_ows;
    return q + 1;
  }

  [[gnu::always_inline]] static field_kind classify(std::string_view name) noexcept {
    using detail::token_equals_lowercase;  // `name` holds tchars only: on_field_name checked
    const auto& fields = detail::http_response::framing_fields;
    switch (name.size()) {
      case 14: return token_equals_lowercase(name, fields[0]) ? field_kind::content_length : field_kind::other;
      case 17: return token_equals_lowercase(name, fields[1]) ? field_kind::transfer_encoding : field_kind::other;
      case 10: return token_equals_lowercase(name, fields[2]) ? field_kind::connection : field_kind::other;
      default: return field_kind::other;
    }
  }

  [[gnu::always_inline]] const char* on_field_ows(const char* p, const char* end) noexcept {
    while (p != end && detail::http_response::is_ows(*p)) ++p;
    if (p == end) return p;
    switch (kind_) {
      case field_kind::content_length:
        state_ = state::content_length;
        number_ = 0;
        digits_ = 0;
        gap_after_word_ = false;
        break;
      case field_kind::transfer_encoding:
      case field_kind::connection:
        state_ = state::token_list;
        begin_token();
        break;
      case field_kind::other: state_ = state::field_value; break;
    }
    return p;
  }

  [[gnu::always_inline]] const char* on_field_value(const char* p, const char* end) noexcept {
    p = detail::http_response::skip_field_chars(p, end);
    return p == end ? p : end_line(p, end, "invalid character in header value");
  }

  /// At the CR or LF that should end a status or field line, or at a character that has no place
  /// in it (then `error`).
  [[gnu::always_inline]] const char* end_line(const char* p, const char* end, const char* error) noexcept {
    if (*p == '\n') {
      state_ = state::field_start;
      return p + 1;
    }
    if (*p != '\r') return fail(p, error);
    if (end - p >= 2 && p[1] == '\n') {
      state_ = state::field_start;
      return p + 2;
    }
    state_ = state::line_lf;
    return p + 1;
  }

  [[gnu::always_inline]] const char* expect_lf(const char* p, state next) noexcept {
    if (*p != '\n') return fail(p, "CR not followed by LF");
    state_ = next;
    return p + 1;
  }

  // Content-Length: a list of equal decimals (RFC 7230 §3.3.2), folded as it arrives.
  [[gnu::always_inline]] const char* on_content_length(const char* p, const char* end) noexcept {
    for (; p != end; ++p) {
      const char c = *p;
      if (detail::is_digit(c)) {
        const auto digit = std::uint64_t(c - '0');
        if (gap_after_word_) return fail(p, "invalid Content-Length");
        if (number_ > (UINT64_MAX - digit) / 10) return fail(p, "Content-Length overflows");
        number_ = number_ * 10 + digit;
        ++digits_;
      } else if (detail::http_response::is_ows(c)) {
        gap_after_word_ = digits_ != 0;
      } else if (c == ',' || c == '\r' || c == '\n') {
        if (digits_ == 0) return fail(p, "invalid Content-Length");
        if (has_content_length_ && content_length_ != number_) return fail(p, "conflicting Content-Length values");
        has_content_length_ = true;
        content_length_ = number_;
        if (c != ',') return end_line(p, end, "");
        number_ = 0;
        digits_ = 0;
        gap_after_word_ = false;
      } else {
        return fail(p, "invalid Content-Length");
      }
    }
    return p;
  }

  // Transfer-Encoding and Connection: comma-separated tokens, of which a few matter.
  [[gnu::always_inline]] const char* on_token_list(const char* p, const char* end) noexcept {
    const auto words = token_words();
    for (; p != end; ++p) {
      const char c = *p;
      if (detail::http_response::is_tchar(c)) {
        if (gap_after_word_)
          token_.spoil();  // "chunked x": two words in one element
        else
          token_.feed(words, c);
      } else if (detail::http_response::is_ows(c)) {
        gap_after_word_ = token_.length() != 0;
      } else if (c == ',' || c == '\r' || c == '\n') {
        end_token();
        if (c != ',') return end_line(p, end, "");
        begin_token();
      } else if (detail::http_response::is_field_char(c)) {
        token_.spoil();  // parameters, quoted strings: not a token we act on
      } else {
        return fail(p, "invalid character in header value");
      }
    }
    return p;
  }

  std::span<const std::string_view> token_words() const noexcept {
    if (kind_ == field_kind::transfer_encoding) return detail::http_response::coding_tokens;
    return detail::http_response::connection_tokens;
  }
  void begin_token() noexcept {
    token_.start(token_words());
    gap_after_word_ = false;
  }
  void end_token() noexcept {
    if (token_.length() == 0) return;  // empty list elements are allowed and mean nothing
    const int found = token_.match(token_words());
    if (kind_ == field_kind::transfer_encoding) {
      transfer_encoding_ = true;
      chunked_last_ = found == 0;  // only the final coding decides (RFC 7230 §3.3.3)
    } else if (found == 0) {
      connection_close_ = true;
    } else if (found == 1) {
      connection_keep_alive_ = true;
    }
  }

  // ---- chunked bodies --------------------------------------------------------------------------------

  void begin_chunk_line() noexcept {
    state_ = state::chunk_size;
    section_bytes_ = 0;
    number_ = 0;
    digits_ = 0;
  }

  const char* on_chunk_size(const char* p, const char* end) noexcept {
    for (; p != end; ++p) {
      const int digit = detail::http_response::hex_value(*p);
      if (digit < 0) break;
      if (number_ >> 60) return fail(p, "chunk size overflows");
      number_ = number_ << 4 | std::uint64_t(digit);
      ++digits_;
    }
    if (p == end) return p;
    if (digits_ == 0) return fail(p, "invalid chunk size");
    switch (*p) {
      case ';': state_ = state::chunk_ext; break;
      case ' ':
      case '\t': state_ = state::chunk_size_ws; break;
      case '\r': state_ = state::chunk_size_lf; break;
      case '\n': state_ = state::chunk_line_end; break;
      default: return fail(p, "invalid chunk size");
    }
    return p + 1;
  }

  // Whitespace after the size may only lead to an extension (RFC 7230 §4.1.1 allows BWS there).
  const char* on_chunk_size_ws(const char* p) noexcept {
    switch (*p) {
      case ' ':
      case '\t': break;
      case ';': state_ = state::chunk_ext; break;
      case '\r': state_ = state::chunk_size_lf; break;
      case '\n': state_ = state::chunk_line_end; break;
      default: return fail(p, "invalid chunk size");
    }
    return p + 1;
  }

  // Extensions are checked for valid characters and ignored.
  const char* on_chunk_ext(const char* p, const char* end) noexcept {
    while (p != end && detail::http_response::is_field_char(*p)) ++p;
    if (p == end) return p;
    if (*p == '\r') return state_ = state::chunk_size_lf, p + 1;
    if (*p == '\n') return state_ = state::chunk_line_end, p + 1;
    return fail(p, "invalid character in chunk extension");
  }

  [[gnu::always_inline]] const char* take_body(const char* p, const char* end, state when_done) noexcept {
    const std::uint64_t available = std::uint64_t(end - p);
    const std::uint64_t n = remaining_ < available ? remaining_ : available;
    remaining_ -= n;
    current_.body_bytes += n;
    if (remaining_ == 0) state_ = when_done;
    return p + n;
  }

  /// The hot path of chunked bodies: the CRLF after a chunk's data and a next size line of bare
  /// hex digits, when both are whole in the slice (and the line within the limit), then the
  /// chunk's data. Anything else — extensions, the last chunk, a split, an error — it leaves to
  /// the states, untouched.
  const char* whole_chunks(const char* p, const char* end) noexcept {
    while (state_ == state::chunk_data_end && end - p >= 5 && p[0] == '\r' && p[1] == '\n') {
      const char* const line = p + 2;
      const char* const digits_end = line + std::min<std::ptrdiff_t>(end - line, 16);  // 16 digits cannot overflow
      const char* q = line;
      std::uint64_t size = 0;
      for (int digit; q != digits_end && (digit = detail::http_response::hex_value(*q)) >= 0; ++q)
        size = size << 4 | std::uint64_t(digit);
      if (size == 0 || end - q < 2 || q[0] != '\r' || q[1] != '\n' || std::size_t(q + 2 - line) > max_header_bytes_)
        break;
      remaining_ = size;
      state_ = state::chunk_data;
      p = take_body(q + 2, end, state::chunk_data_end);
    }
    return p;
  }

  // ---- where sections and messages end ---------------------------------------------------------------

  void begin_head(unsigned interim_responses = 0) noexcept {
    state_ = state::status_line;
    status_pos_ = 0;
    section_bytes_ = 0;
    in_trailers_ = false;
    has_content_length_ = transfer_encoding_ = chunked_last_ = false;
    connection_close_ = connection_keep_alive_ = false;
    current_ = {};
    current_.interim_responses = interim_responses;
  }

  /// The empty line ended a head or a trailer section: decide what comes next.
  void on_section_end() noexcept {
    if (in_trailers_) {
      state_ = state::message_end;
      return;
    }
    const int status = current_.status;
    if (status < 200 && status != 101) {  // interim: skipped, the final response follows
      begin_head(current_.interim_responses + 1);
      return;
    }
    current_.header_bytes = section_bytes_;
    current_.keep_alive = !connection_close_ && (version_minor_ >= 1 || connection_keep_alive_);
    section_bytes_ = 0;
    if (head_responses_ || status == 101 || status == 204 || status == 304) {
      state_ = state::message_end;
    } else if (transfer_encoding_ && chunked_last_) {
      current_.chunked = true;
      if (version_minor_ == 0) current_.keep_alive = false;  // RFC 9112 §6.1: faulty framing
      begin_chunk_line();
    } else if (!transfer_encoding_ && has_content_length_) {
      remaining_ = content_length_;
      state_ = content_length_ == 0 ? state::message_end : state::body_fixed;
    } else {
      current_.keep_alive = false;
      state_ = state::body_until_close;
    }
  }

  void on_chunk_line_end() noexcept {
    section_bytes_ = 0;
    if (number_ != 0) {
      remaining_ = number_;
      state_ = state::chunk_data;
    } else {
      in_trailers_ = true;
      state_ = state::field_start;
    }
  }

  void complete(std::size_t bytes) noexcept {
    current_.total_bytes = bytes_in_response_ + bytes;
    last_ = current_;
    bytes_in_response_ = 0;
    begin_head();
  }

  const char* limit_exceeded(const char* p) noexcept {
    const char* what = state_ >= state::chunk_size ? "chunk size line" : in_trailers_ ? "trailer section" : "header section";
    std::snprintf(limit_message_, sizeof limit_message_, "%s exceeds %zu bytes", what, max_header_bytes_);
    return fail(p, limit_message_);
  }

  const char* fail(const char* p, const char* why) noexcept {
    state_ = state::failed;
    error_ = why;
    return p;
  }

  // configuration
  std::size_t max_header_bytes_;
  bool head_responses_ = false;
  // the response in progress
  response_info current_{};
  response_info last_{};
  std::uint64_t bytes_in_response_ = 0;  // bytes consumed by earlier calls for the current response
  std::uint64_t number_ = 0;             // Content-Length or chunk size being read
  std::uint64_t content_length_ = 0;
  std::uint64_t remaining_ = 0;          // of a fixed body or a chunk
  std::size_t section_bytes_ = 0;        // of the current head, chunk size line or trailer section
  detail::http_response::piecewise_word_matcher name_;
  detail::http_response::piecewise_word_matcher token_;
  std::uint32_t digits_ = 0;
  state state_ = state::status_line;
  field_kind kind_ = field_kind::other;
  std::uint8_t status_pos_ = 0;
  std::uint8_t version_minor_ = 1;
  bool in_trailers_ = false;
  bool gap_after_word_ = false;  // whitespace followed the digits or word of a list element
  bool has_content_length_ = false;
  bool transfer_encoding_ = false;
  bool chunked_last_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  const char* error_ = "";
  char limit_message_[64] = {};
};

inline parse_result response_parser::parse(const char* data, std::size_t size) noexcept {
  if (state_ == state::failed) return {0, parse_event::error};
  const char* p = data;
  const char* const end = data + size;
  for (;;) {
    switch (state_) {  // states reached without consuming a byte
      case state::section_end: on_section_end(); continue;
      case state::chunk_line_end: on_chunk_line_end(); continue;
      case state::message_end: {
        const auto consumed = std::size_t(p - data);
        complete(consumed);
        return {consumed, parse_event::response_complete};
      }
      default: break;
    }
    if (p == end) break;
    if (is_limited(state_)) {
      const std::size_t allowed = max_header_bytes_ - section_bytes_;
      if (allowed == 0) {
        limit_exceeded(p);
        return {std::size_t(p - data), parse_event::error};
      }
      const char* const stop = std::size_t(end - p) > allowed ? p + allowed : end;
      const char* const next = run_limited(p, stop);
      section_bytes_ += std::size_t(next - p);
      p = next;
    } else {
      p = step_body(p, end);
    }
    if (state_ == state::failed) return {std::size_t(p - data), parse_event::error};
  }
  bytes_in_response_ += size;
  return {size, parse_event::need_more};
}

inline parse_result response_parser::finish() noexcept {
  if (state_ == state::failed) return {0, parse_event::error};
  if (idle()) return {0, parse_event::need_more};
  if (state_ == state::body_until_close) {
    complete(0);
    return {0, parse_event::response_complete};
  }
  fail(nullptr, "connection closed mid-response");
  return {0, parse_event::error};
}

}  // namespace uring_cannon::http
