#pragma once
// What a load run sends: gcannon's default GET built from a URL, pipelined copies of a request,
// and raw request templates read from files, with at most one `{RAND:min:max}` or `{SEQ:start}`
// placeholder filled in per request. Templates are parsed once; rendering one is a few memcpys into
// a caller's buffer, so the per-request path never allocates.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/detail/splitmix64.hpp>
#include <uring_cannon/or_error.hpp>
#include <uring_cannon/url.hpp>

namespace uring_cannon::http {

/// gcannon's default request, exactly: "GET <target> HTTP/1.1\r\nHost: <host_header>\r\n\r\n".
inline std::string build_get_request(const url& u) {
  std::string request;
  const std::string host = u.host_header();
  request.reserve(32 + u.target.size() + host.size());
  request.append("GET ").append(u.target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n\r\n");
  return request;
}

/// `copies` copies of `request` back to back: a pipelined batch that goes out in one send.
inline std::string repeat_request(std::string_view request, unsigned copies) {
  std::string batch;
  batch.reserve(request.size() * copies);
  for (unsigned i = 0; i < copies; ++i) batch.append(request);
  return batch;
}

/// A raw request read from a file, sent byte for byte except for at most one placeholder:
/// * `{RAND:min:max}`: a uniform random integer in [min, max], zero-padded to as many digits as
///   `max` is written with (`{RAND:1:100}` gives "001".."100");
/// * `{SEQ:start}`: start, start+1, ... from a counter all connections share, zero-padded to as many
///   digits as `start` is written with (`{SEQ:0001}` gives "0001", "0002", ...; values with more
///   digits print in full).
/// Any other `{` is plain text. Placeholders end on their own line: a '{RAND:' or '{SEQ:' with no
/// '}' before the next CR, LF or the end is unclosed.
class request_template {
 public:
  enum class placeholder_kind : std::uint8_t { none, rand, seq };

  /// An empty template (renders nothing); parse() or load() make useful ones.
  request_template() = default;

  /// Finds and checks the placeholder. Errors use gcannon's wording: "Error: bad {RAND:min:max}
  /// syntax: <placeholder> (<why>)", "Error: bad {SEQ:start} syntax: ...", "Error: unclosed
  /// placeholder in raw template"; also an empty text, and a second placeholder.
  static or_error<request_template> parse(std::string text) {
    using result = or_error<request_template>;
    if (text.empty()) return result::failure("Error: raw template is empty");
    request_template tpl;
    for (std::size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at + 1)) {
      const std::string_view rest = std::string_view(text).substr(at);
      const bool is_rand = rest.starts_with(rand_opener), is_seq = rest.starts_with(seq_opener);
      if (!is_rand && !is_seq) continue;
      if (tpl.kind_ != placeholder_kind::none)
        return result::failure("Error: more than one placeholder in raw template (the second is at byte " +
                               std::to_string(at) + "; only one {RAND:min:max} or {SEQ:start} is allowed)");
      const std::size_t close = rest.find_first_of("}\r\n");
      if (close == std::string_view::npos || rest[close] != '}')
        return result::failure("Error: unclosed placeholder in raw template");
      const std::string_view placeholder = rest.substr(0, close + 1);
      const std::size_t opener_size = (is_rand ? rand_opener : seq_opener).size();
      const std::string_view body = rest.substr(opener_size, close - opener_size);
      if (auto bad = is_rand ? tpl.parse_rand(body) : tpl.parse_seq(body); !bad.empty())
        return result::failure(
            std::string(is_rand ? "Error: bad {RAND:min:max} syntax: " : "Error: bad {SEQ:start} syntax: ") +
            shortened(placeholder) + " (" + bad + ")");
      tpl.offset_ = at;
      tpl.length_ = placeholder.size();
      at += close;
    }
    tpl.is_head_ = text.starts_with("HEAD ");
    tpl.text_ = std::move(text);
    return tpl;
  }

  /// Reads a whole file and parses it. A file that cannot be read gives "Error: cannot read raw
  /// template '<path>': <reason>"; a parse error gets " (file '<path>')" appended.
  static or_error<request_template> load(const std::string& path) {
    using result = or_error<request_template>;
    std::string text;
    if (int error = read_file(path, text); error != 0)
      return result::failure("Error: cannot read raw template '" + path + "': " + std::strerror(error));
    auto parsed = parse(std::move(text));
    if (!parsed) return result::failure(parsed.error() + " (file '" + path + "')");
    return parsed;
  }

  bool has_placeholder() const noexcept { return kind_ != placeholder_kind::none; }
  placeholder_kind kind() const noexcept { return kind_; }
  /// RAND: min; SEQ: start.
  std::uint64_t first() const noexcept { return first_; }
  /// RAND: max.
  std::uint64_t last() const noexcept { return last_; }
  /// The zero-padded width of a rendered value.
  std::size_t width() const noexcept { return width_; }

  /// The method is HEAD, so responses carry no body whatever their headers say.
  bool is_head() const noexcept { return is_head_; }

  /// The value of the request's Host header, if it has one (placeholder text included as written).
  std::optional<std::string> host_header() const { return find_host_header(text_); }

  /// The bytes render(value) writes.
  std::size_t rendered_size(std::uint64_t value) const noexcept {
    if (!has_placeholder()) return text_.size();
    char digits[max_decimal_digits];
    return text_.size() - length_ + std::max(width_, format_decimal_backwards(value, digits + sizeof digits));
  }

  /// An upper bound of rendered_size() over every 64-bit value: a buffer this big always suffices.
  std::size_t max_rendered_size() const noexcept {
    return has_placeholder() ? text_.size() - length_ + std::max(width_, max_decimal_digits) : text_.size();
  }

  /// Writes the request with the placeholder replaced by `value` (zero-padded to width()) into
  /// `out` and returns the bytes written; without a placeholder, copies the text. Returns 0 and
  /// writes nothing when `out` is smaller than rendered_size(value).
  std::size_t render(std::uint64_t value, std::span<char> out) const noexcept {
    if (!has_placeholder()) {
      if (out.size() < text_.size()) return 0;
      std::memcpy(out.data(), text_.data(), text_.size());
      return text_.size();
    }
    char digits[max_decimal_digits];
    const std::size_t count = format_decimal_backwards(value, digits + sizeof digits);
    const std::size_t padding = width_ > count ? width_ - count : 0;
    const std::size_t suffix_at = offset_ + length_, suffix_size = text_.size() - suffix_at;
    const std::size_t total = offset_ + padding + count + suffix_size;
    if (out.size() < total) return 0;
    char* cursor = out.data();
    std::memcpy(cursor, text_.data(), offset_);
    cursor += offset_;
    std::memset(cursor, '0', padding);
    cursor += padding;
    std::memcpy(cursor, digits + sizeof digits - count, count);
    cursor += count;
    std::memcpy(cursor, text_.data() + suffix_at, suffix_size);
    return total;
  }

  /// The value for one rendering: RAND, uniform in [min, max] drawn from `rng`; SEQ, start plus
  /// the next value of `seq_counter` (shared by every connection, starting at 0); 0 without a
  /// placeholder.
  std::uint64_t next_value(uring_cannon::detail::splitmix64& rng,
                           std::atomic<std::uint64_t>& seq_counter) const noexcept {
    switch (kind_) {
      case placeholder_kind::rand:
        return first_ + rng.below(last_ - first_ + 1);  // [0, 2^64) when the range is full
      case placeholder_kind::seq:
        return first_ + seq_counter.fetch_add(1, std::memory_order_relaxed);
      case placeholder_kind::none:
        break;
    }
    return 0;
  }

  /// The template as read, placeholder included.
  std::string_view text() const noexcept { return text_; }

 private:
  static constexpr std::string_view rand_opener = "{RAND:", seq_opener = "{SEQ:";

  /// Longest decimal form of a 64-bit value (18446744073709551615).
  static constexpr std::size_t max_decimal_digits = 20;

  /// Writes `value` in decimal so that it ends at `end`; returns the number of digits.
  static constexpr std::size_t format_decimal_backwards(std::uint64_t value, char* end) noexcept {
    std::size_t count = 0;
    do {
      *--end = char('0' + value % 10);
      value /= 10;
      ++count;
    } while (value != 0);
    return count;
  }

  /// The value of the first Host header in a request's header section, spaces around it trimmed.
  static std::optional<std::string> find_host_header(std::string_view request) {
    std::size_t line_start = request.find('\n');
    while (line_start != std::string_view::npos) {
      ++line_start;
      const std::size_t line_end = request.find('\n', line_start);
      std::string_view line =
          request.substr(line_start, line_end == std::string_view::npos ? line_end : line_end - line_start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;  // end of the header section
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos && uring_cannon::detail::iequals(line.substr(0, colon), "host")) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        return std::string(value);
      }
      line_start = line_end;
    }
    return std::nullopt;
  }

  /// Long enough to recognise, short enough for one line of a message.
  static std::string shortened(std::string_view placeholder) {
    constexpr std::size_t limit = 64;
    if (placeholder.size() <= limit) return std::string(placeholder);
    return std::string(placeholder.substr(0, limit - 4)) + "...}";
  }

  /// A field that must be a 64-bit decimal; the reason it is not, or empty.
  static std::string check_number(std::string_view field, std::string_view name) {
    if (field.empty()) return "missing " + std::string(name);
    for (char c : field)
      if (!uring_cannon::detail::is_digit(c)) return std::string(name) + " is not a decimal number";
    if (!uring_cannon::detail::parse_decimal(field)) return std::string(name) + " is larger than 18446744073709551615";
    return {};
  }

  /// "min:max"; the reason it is bad, or empty.
  std::string parse_rand(std::string_view body) {
    const std::size_t colon = body.find(':');
    if (colon == std::string_view::npos) return "expected two numbers, min:max";
    const std::string_view min_text = body.substr(0, colon), max_text = body.substr(colon + 1);
    if (max_text.find(':') != std::string_view::npos) return "expected two numbers, min:max";
    if (auto bad = check_number(min_text, "min"); !bad.empty()) return bad;
    if (auto bad = check_number(max_text, "max"); !bad.empty()) return bad;
    first_ = *uring_cannon::detail::parse_decimal(min_text);
    last_ = *uring_cannon::detail::parse_decimal(max_text);
    if (first_ > last_) return "min is greater than max";
    kind_ = placeholder_kind::rand;
    width_ = max_text.size();
    return {};
  }

  /// "start"; the reason it is bad, or empty.
  std::string parse_seq(std::string_view body) {
    if (body.find(':') != std::string_view::npos) return "expected one number, start";
    if (auto bad = check_number(body, "start"); !bad.empty()) return bad;
    first_ = *uring_cannon::detail::parse_decimal(body);
    kind_ = placeholder_kind::seq;
    width_ = body.size();
    return {};
  }

  /// The whole file into `text`; 0 or an errno.
  static int read_file(const std::string& path, std::string& text) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) return errno;
    errno = 0;
    char chunk[16384];
    int error = 0;
    for (;;) {
      const std::size_t got = std::fread(chunk, 1, sizeof chunk, file);
      text.append(chunk, got);
      if (got < sizeof chunk) {
        if (std::ferror(file)) error = errno != 0 ? errno : EIO;
        break;
      }
    }
    std::fclose(file);
    return error;
  }

  std::string text_;
  std::size_t offset_ = 0;  ///< where the placeholder starts in text_
  std::size_t length_ = 0;  ///< its length, braces included
  std::size_t width_ = 0;
  std::uint64_t first_ = 0, last_ = 0;
  placeholder_kind kind_ = placeholder_kind::none;
  bool is_head_ = false;
};

}  // namespace uring_cannon::http
