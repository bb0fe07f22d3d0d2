#pragma once
// An incremental HTTP/1.1 request parser for the bundled servers: fed arbitrary slices of a
// connection's byte stream, it reports one event at a time — a request head, each piece of its
// body, its end — so a server can answer pipelined requests in order without copying bodies.
//
// The head is parsed in place when it arrives whole in one slice; when it spans slices it is
// gathered in a buffer the parser keeps (allocated once, at the size limit, on first use), so the
// views it hands out stay valid either way until the next request begins. Malformed input puts
// the parser in a definite error state with a message and the status a server should answer with.
//
//   http::request_parser parser;
//   for (;;) {
//     auto [consumed, event] = parser.parse(input);
//     input.remove_prefix(consumed);
//     if (event == http::request_event::need_more || event == http::request_event::error) break;
//     ...  // head: parser.method(), parser.header("host"); body: parser.body_data(); complete: reply
//   }

#include <uring_cannon/detail/ascii.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace uring_cannon::http {

/// One header field as received: the name as spelled by the client, the value without the
/// whitespace around it.
struct request_header {
  std::string_view name;
  std::string_view value;
};

/// What one call to request_parser::parse() found.
enum class request_event : std::uint8_t {
  need_more,  ///< every byte given was consumed; call again when more arrive
  head,       ///< request line and headers parsed: method(), target(), header() ... are valid
  body,       ///< body_data() holds the next piece of the body (chunk framing removed)
  complete,   ///< the request, head and body, is finished; the next call starts the next request
  error,      ///< malformed input: error_message(), error_status(); the parser stays here
};

struct request_parse_result {
  std::size_t consumed;  ///< bytes of the input used; the rest belongs to later events
  request_event event;
};

struct request_parser_options {
  /// Longest request head (request line, headers and the empty line) and longest trailer
  /// section accepted; longer ones are an error with status 431.
  std::size_t max_head_size = 16 * 1024;
};

/// Parses requests one after another from a byte stream. Call parse() until it returns
/// need_more (or error): a request yields head, then zero or more body events, then complete —
/// complete may come from a call that consumes nothing, even with empty input.
///
/// Views (method(), target(), headers(), body_data()) point into the caller's input when the head
/// arrived in one slice, or into the parser's own buffer otherwise: they stay valid until the
/// next call to parse() after complete, provided the caller keeps its input alive that long.
class request_parser {
 public:
  explicit request_parser(request_parser_options options = {}) : options_(options) { headers_.reserve(32); }

  /// Parses from the start of `input` up to the next event.
  request_parse_result parse(std::string_view input) {
    switch (state_) {
      case state::head:
        return parse_head(input);
      case state::done:
        state_ = state::head;
        ++completed_;
        return {0, request_event::complete};
      case state::fixed_body:
        return parse_fixed_body(input);
      case state::error:
        return {0, request_event::error};
      default:
        return parse_chunked(input);
    }
  }

  /// Forgets everything, the error state included (for reusing a parser on a new connection).
  void reset() noexcept {
    state_ = state::head;
    buffer_size_ = 0;
    headers_.clear();
    error_message_ = {};
    error_status_ = 0;
  }

  // ---- the current request's head (valid from head until the next request begins) ------------

  std::string_view method() const noexcept { return method_; }
  /// The request target as sent: "/path?query", "*", or an absolute URI.
  std::string_view target() const noexcept { return target_; }
  /// The target up to '?'.
  std::string_view path() const noexcept { return target_.substr(0, target_.find('?')); }
  /// The target after '?', empty when there is none.
  std::string_view query() const noexcept {
    const std::size_t mark = target_.find('?');
    return mark == std::string_view::npos ? std::string_view{} : target_.substr(mark + 1);
  }
  /// 0 for HTTP/1.0, 1 for HTTP/1.1.
  int version_minor() const noexcept { return version_minor_; }
  std::span<const request_header> headers() const noexcept { return headers_; }
  /// The value of the first header called `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    for (const request_header& h : headers_)
      if (detail::iequals(h.name, name)) return h.value;
    return std::nullopt;
  }
  /// Content-Length, when the request has one.
  std::optional<std::uint64_t> content_length() const noexcept {
    return has_content_length_ ? std::optional<std::uint64_t>(content_length_) : std::nullopt;
  }
  /// Transfer-Encoding: chunked.
  bool chunked() const noexcept { return chunked_; }
  /// True when a body follows the head (chunked, or a non-zero Content-Length).
  bool has_body() const noexcept { return chunked_ || content_length_ > 0; }
  /// Whether the connection may carry another request after this one: HTTP/1.1 unless
  /// "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive() const noexcept {
    if (connection_close_) return false;
    return version_minor_ >= 1 || connection_keep_alive_;
  }
  /// "Connection: upgrade" was sent (see header("upgrade") for the protocol).
  bool upgrade_requested() const noexcept { return connection_upgrade_; }
  /// "Expect: 100-continue" was sent.
  bool expects_continue() const noexcept { return expects_continue_; }

  // ---- body ------------------------------------------------------------------------------------

  /// The piece of body reported by the latest body event.
  std::string_view body_data() const noexcept { return body_; }
  /// Body bytes of the current request delivered so far.
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

  // ---- errors and counters ----------------------------------------------------------------------

  /// Why the input was rejected (empty unless the last event was error).
  std::string_view error_message() const noexcept { return error_message_; }
  /// The status a server should answer a rejected request with: 400, 431 (head too large),
  /// 501 (unsupported transfer coding) or 505 (HTTP version).
  int error_status() const noexcept { return error_status_; }
  /// Requests completed since construction.
  std::uint64_t requests_completed() const noexcept { return completed_; }

 private:
  enum class state : std::uint8_t {
    head,
    fixed_body,
    done,  // complete is due on the next call
    chunk_size,
    chunk_size_ws,
    chunk_ext,
    chunk_size_lf,
    chunk_data,
    chunk_data_cr,
    chunk_data_lf,
    trailer_start,
    trailer_line,
    trailer_end_lf,
    error,
  };

  static constexpr std::uint64_t max_chunk_size = std::uint64_t(1) << 60;

  // ---- head --------------------------------------------------------------------------------------

  request_parse_result parse_head(std::string_view in) {
    const std::size_t limit = options_.max_head_size;
    if (buffer_size_ == 0) {
      // Empty lines before a request line are ignored (RFC 9112 section 2.2).
      std::size_t start = 0;
      while (start < in.size() && (in[start] == '\r' || in[start] == '\n')) ++start;
      const std::string_view rest = in.substr(start);
      const std::size_t end = find_head_end(rest.substr(0, limit), 0);
      if (end != std::string_view::npos) {
        if (!parse_head_text(rest.substr(0, end))) return {start + end, request_event::error};
        return {start + end, request_event::head};
      }
      if (const verdict v = check_partial_head(rest.substr(0, limit)); v.status != 0) return fail(v.status, v.message);
      if (rest.size() >= limit) return fail(431, "request head too large");
      if (rest.empty()) return {in.size(), request_event::need_more};
      ensure_buffer();
      std::memcpy(buffer_.get(), rest.data(), rest.size());
      buffer_size_ = rest.size();
      return {in.size(), request_event::need_more};
    }
    // Part of the head is already buffered: gather more, never past the limit.
    const std::size_t old_size = buffer_size_;
    const std::size_t take = std::min(in.size(), limit - old_size);
    std::memcpy(buffer_.get() + old_size, in.data(), take);
    buffer_size_ += take;
    const std::string_view gathered(buffer_.get(), buffer_size_);
    const std::size_t end = find_head_end(gathered, old_size >= 3 ? old_size - 3 : 0);
    if (end != std::string_view::npos) {
      buffer_size_ = 0;  // the views below stay valid: the buffer is only rewritten by the next head
      const std::size_t consumed = end - old_size;
      if (!parse_head_text(gathered.substr(0, end))) return {consumed, request_event::error};
      return {consumed, request_event::head};
    }
    if (const verdict v = check_partial_head(gathered); v.status != 0) return fail(v.status, v.message);
    if (buffer_size_ >= limit) return fail(431, "request head too large");
    return {take, request_event::need_more};
  }

  void ensure_buffer() {
    if (!buffer_) buffer_ = std::make_unique<char[]>(options_.max_head_size);
  }

  /// One past the empty line that ends a head ("\n\n" or "\n\r\n"), searching from `from`.
  static std::size_t find_head_end(std::string_view text, std::size_t from) noexcept {
    while (from < text.size()) {
      const void* found = std::memchr(text.data() + from, '\n', text.size() - from);
      if (found == nullptr) return std::string_view::npos;
      const std::size_t lf = std::size_t(static_cast<const char*>(found) - text.data());
      if (lf + 1 < text.size() && text[lf + 1] == '\n') return lf + 2;
      if (lf + 2 < text.size() && text[lf + 1] == '\r' && text[lf + 2] == '\n') return lf + 3;
      from = lf + 1;
    }
    return std::string_view::npos;
  }

  /// Splits off the next line (without its CR LF); `text` must hold a LF.
  static std::string_view take_line(std::string_view& text) noexcept {
    const std::size_t lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    text.remove_prefix(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  static constexpr bool is_tchar(char c) noexcept {
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || detail::is_digit(c) ||
           specials.find(c) != std::string_view::npos;
  }
  static bool is_token(std::string_view text) noexcept {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
  }
  // Field values: visible ASCII, space, tab and obs-text; no other control characters.
  static bool is_field_value(std::string_view text) noexcept {
    return std::all_of(text.begin(), text.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u == '\t' || (u >= 0x20 && u != 0x7f);
    });
  }
  // Request targets: anything visible, obs-text included; no spaces or control characters.
  static constexpr bool is_target_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  }

  // Parses a whole head (it ends with its empty line). False after recording an error.
  bool parse_head_text(std::string_view text) {
    start_request();
    if (!parse_request_line(take_line(text))) return false;
    for (;;) {
      const std::string_view line = take_line(text);
      if (line.empty()) break;
      if (!parse_header_line(line)) return false;
    }
    return finish_head();
  }

  void start_request() noexcept {
    headers_.clear();
    has_content_length_ = chunked_ = connection_close_ = connection_keep_alive_ = false;
    connection_upgrade_ = expects_continue_ = has_transfer_encoding_ = false;
    content_length_ = 0;
    body_bytes_ = 0;
    body_ = {};
  }

  struct verdict {
    int status = 0;  // 0: fine so far
    const char* message = "";
  };

  /// Checks a request line, or when `complete` is false the start of one, left to right, so that
  /// a bad byte gets the same verdict however much of the line has arrived (and garbage is refused
  /// at once instead of being gathered up to the size limit).
  static verdict check_request_line(std::string_view line, bool complete) noexcept {
    constexpr verdict fine{};
    constexpr verdict bad_line{400, "malformed request line"};
    std::size_t i = 0;
    while (i < line.size() && line[i] != ' ') {
      if (!is_tchar(line[i])) return {400, "malformed method"};
      ++i;
    }
    if (i == line.size()) return complete ? bad_line : fine;
    if (i == 0) return {400, "malformed method"};
    const std::size_t target_start = ++i;
    while (i < line.size() && line[i] != ' ') {
      if (!is_target_char(line[i])) return {400, "malformed request target"};
      ++i;
    }
    if (i == line.size()) return complete ? bad_line : fine;
    if (i == target_start) return {400, "malformed request target"};
    const std::string_view version = line.substr(i + 1);
    constexpr std::string_view shape = "HTTP/#.#";
    if (version.size() > shape.size()) return {400, "malformed HTTP version"};
    for (std::size_t j = 0; j < version.size(); ++j)
      if (shape[j] == '#' ? !detail::is_digit(version[j]) : version[j] != shape[j]) return {400, "malformed HTTP version"};
    if (!complete) return fine;
    if (version.size() != shape.size()) return {400, "malformed HTTP version"};
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) return {505, "unsupported HTTP version"};
    return fine;
  }

  /// The verdict on the start of a head that has not ended yet.
  static verdict check_partial_head(std::string_view text) noexcept {
    const std::size_t lf = text.find('\n');
    if (lf != std::string_view::npos) {
      std::string_view line = text.substr(0, lf);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return check_request_line(line, true);
    }
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);  // its LF may be next
    return check_request_line(text, false);
  }

  bool parse_request_line(std::string_view line) {
    if (const verdict v = check_request_line(line, true); v.status != 0) return error_in_head(v.status, v.message);
    const std::size_t first_space = line.find(' ');
    const std::size_t second_space = line.find(' ', first_space + 1);
    method_ = line.substr(0, first_space);
    target_ = line.substr(first_space + 1, second_space - first_space - 1);
    version_minor_ = line[second_space + 8] - '0';
    return true;
  }

  bool parse_header_line(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') return error_in_head(400, "obsolete header line folding");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return error_in_head(400, "header line without a colon");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return error_in_head(400, "malformed header name");
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!is_field_value(value)) return error_in_head(400, "control character in header value");
    headers_.push_back({name, value});
    return note_framing_header(name, value);
  }

  // Headers that decide framing and connection reuse are interpreted as they arrive.
  bool note_framing_header(std::string_view name, std::string_view value) {
    switch (name.size()) {
      case 6:
        if (detail::iequals(name, "expect")) expects_continue_ = detail::iequals(value, "100-continue");
        break;
      case 10:
        if (detail::iequals(name, "connection")) {
          connection_close_ |= detail::header_list_contains(value, "close");
          connection_keep_alive_ |= detail::header_list_contains(value, "keep-alive");
          connection_upgrade_ |= detail::header_list_contains(value, "upgrade");
        }
        break;
      case 14:
        if (detail::iequals(name, "content-length")) {
          const auto length = detail::parse_decimal(value, std::uint64_t(1) << 62);
          if (!length) return error_in_head(400, "malformed Content-Length");
          if (has_content_length_ && *length != content_length_)
            return error_in_head(400, "conflicting Content-Length headers");
          has_content_length_ = true;
          content_length_ = *length;
        }
        break;
      case 17:
        if (detail::iequals(name, "transfer-encoding")) return note_transfer_encoding(value);
        break;
      default:
        break;
    }
    return true;
  }

  // Only "chunked" is understood; it must come last and only once (several headers form one list).
  bool note_transfer_encoding(std::string_view value) {
    has_transfer_encoding_ = true;
    while (!value.empty()) {
      const std::size_t comma = value.find(',');
      std::string_view coding = value.substr(0, comma);
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
      if (!coding.empty()) {
        if (chunked_) return error_in_head(400, "transfer coding after chunked");
        if (!detail::iequals(coding, "chunked")) return error_in_head(501, "unsupported transfer coding");
        chunked_ = true;
      }
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
    return true;
  }

  bool finish_head() {
    if (has_transfer_encoding_) {
      // A request with both is how requests get smuggled past proxies: refuse it.
      if (has_content_length_) return error_in_head(400, "both Transfer-Encoding and Content-Length");
      if (version_minor_ == 0) return error_in_head(400, "Transfer-Encoding in an HTTP/1.0 request");
      if (!chunked_) return error_in_head(400, "Transfer-Encoding without chunked");
    }
    if (chunked_) {
      begin_chunk_size();
    } else if (content_length_ > 0) {
      remaining_ = content_length_;
      state_ = state::fixed_body;
    } else {
      state_ = state::done;
    }
    return true;
  }

  bool error_in_head(int status, const char* message) noexcept {
    fail(status, message);
    return false;
  }

  request_parse_result fail(int status, const char* message) noexcept {
    state_ = state::error;
    error_status_ = status;
    error_message_ = message;
    return {0, request_event::error};
  }

  // ---- bodies ------------------------------------------------------------------------------------

  request_parse_result parse_fixed_body(std::string_view in) noexcept {
    if (in.empty()) return {0, request_event::need_more};
    const std::size_t n = std::size_t(std::min<std::uint64_t>(remaining_, in.size()));
    deliver(in.substr(0, n));
    remaining_ -= n;
    if (remaining_ == 0) state_ = state::done;
    return {n, request_event::body};
  }

  void deliver(std::string_view piece) noexcept {
    body_ = piece;
    body_bytes_ += piece.size();
  }

  void begin_chunk_size() noexcept {
    state_ = state::chunk_size;
    remaining_ = 0;
    size_digits_ = 0;
  }

  static int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    const char lower = detail::ascii_lower(c);
    if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
    return -1;
  }

  // Chunk framing goes byte by byte; chunk data goes out as one span per call.
  request_parse_result parse_chunked(std::string_view in) noexcept {
    std::size_t pos = 0;
    while (pos < in.size()) {
      const char c = in[pos];
      switch (state_) {
        case state::chunk_size:
          if (const int digit = hex_value(c); digit >= 0) {
            if (remaining_ >= max_chunk_size >> 4) return fail(400, "chunk size too large");
            remaining_ = remaining_ * 16 + std::uint64_t(digit);
            ++size_digits_;
            break;
          }
          if (size_digits_ == 0) return fail(400, "malformed chunk size");
          framing_bytes_ = 0;
          if (c == ';') state_ = state::chunk_ext;
          else if (c == ' ' || c == '\t') state_ = state::chunk_size_ws;
          else if (c == '\r') state_ = state::chunk_size_lf;
          else if (c == '\n') end_chunk_size_line();
          else return fail(400, "malformed chunk size");
          break;
        case state::chunk_size_ws:
          if (c == ';') state_ = state::chunk_ext;
          else if (c == '\r') state_ = state::chunk_size_lf;
          else if (c == '\n') end_chunk_size_line();
          else if (c != ' ' && c != '\t') return fail(400, "malformed chunk size");
          break;
        case state::chunk_ext:
          // Extensions are skipped, within the head size limit.
          if (++framing_bytes_ > options_.max_head_size) return fail(400, "chunk extension too long");
          if (c == '\r') state_ = state::chunk_size_lf;
          else if (c == '\n') end_chunk_size_line();
          else if (c != '\t' && static_cast<unsigned char>(c) < 0x20) return fail(400, "control character in chunk extension");
          break;
        case state::chunk_size_lf:
          if (c != '\n') return fail(400, "chunk size line without LF");
          end_chunk_size_line();
          break;
        case state::chunk_data: {
          const std::size_t n = std::size_t(std::min<std::uint64_t>(remaining_, in.size() - pos));
          deliver(in.substr(pos, n));
          remaining_ -= n;
          if (remaining_ == 0) state_ = state::chunk_data_cr;
          return {pos + n, request_event::body};
        }
        case state::chunk_data_cr:
          if (c == '\r') state_ = state::chunk_data_lf;
          else if (c == '\n') begin_chunk_size();
          else return fail(400, "chunk data longer than its size");
          break;
        case state::chunk_data_lf:
          if (c != '\n') return fail(400, "chunk data without CR LF");
          begin_chunk_size();
          break;
        case state::trailer_start:
          if (c == '\n') return finish_chunked(pos + 1);
          if (c == '\r') {
            state_ = state::trailer_end_lf;
          } else {
            state_ = state::trailer_line;
            if (++framing_bytes_ > options_.max_head_size) return fail(431, "trailer section too large");
          }
          break;
        case state::trailer_line:
          if (++framing_bytes_ > options_.max_head_size) return fail(431, "trailer section too large");
          if (c == '\n') state_ = state::trailer_start;
          break;
        case state::trailer_end_lf:
          if (c != '\n') return fail(400, "trailer section without final CR LF");
          return finish_chunked(pos + 1);
        default:
          return fail(400, "internal parser state");  // unreachable
      }
      ++pos;
    }
    return {pos, request_event::need_more};
  }

  void end_chunk_size_line() noexcept {
    if (remaining_ > 0) {
      state_ = state::chunk_data;
    } else {
      state_ = state::trailer_start;  // the last chunk; trailers follow
      framing_bytes_ = 0;
    }
  }

  request_parse_result finish_chunked(std::size_t consumed) noexcept {
    state_ = state::head;
    ++completed_;
    return {consumed, request_event::complete};
  }

  request_parser_options options_;
  state state_ = state::head;

  // The head being gathered across slices; once parsed, the views below may point into it.
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_size_ = 0;

  std::string_view method_;
  std::string_view target_;
  int version_minor_ = 1;
  std::vector<request_header> headers_;
  std::uint64_t content_length_ = 0;
  bool has_content_length_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool connection_upgrade_ = false;
  bool expects_continue_ = false;

  std::uint64_t remaining_ = 0;       // body bytes left (Content-Length) or in the current chunk
  std::uint32_t size_digits_ = 0;     // hex digits of the chunk size read so far
  std::size_t framing_bytes_ = 0;     // chunk extension or trailer bytes, for the size limit
  std::string_view body_;
  std::uint64_t body_bytes_ = 0;
  std::uint64_t completed_ = 0;

  std::string_view error_message_;
  int error_status_ = 0;
};

}  // namespace uring_cannon::http
