#pragma once
// The target of a load run, as the user typed it: `http://host[:port][/path][?query]` or
// `http+unix:///path/to.sock:/target`. Parsing is strict and every rejection says what is wrong,
// because a typo in a URL should stop a benchmark before it starts, not skew it. Names are not
// resolved here (endpoint::resolve does that, once, at start-up).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/or_error.hpp>

namespace uring_cannon {

/// A parsed `http://`, `https://` or `http+unix://` URL.
struct url {
  /// "127.0.0.1", "example.com" or "::1" (IPv6 without brackets); empty for a Unix socket.
  std::string host;
  /// 1..65535; 80 when the URL names none (and for Unix sockets, where it is unused).
  std::uint16_t port = 80;
  /// The request target: path and "?query", always starting with '/'; the fragment is dropped.
  std::string target = "/";
  /// The socket path of an `http+unix://` URL; empty otherwise.
  std::string unix_path;
  /// True for `https://` (TLS; the port defaults to 443).
  bool tls = false;

  /// The port a URL of this scheme leaves out: 443 for https, else 80.
  std::uint16_t default_port() const noexcept { return tls ? 443 : 80; }

  /// True for `http+unix://` URLs.
  bool is_unix() const noexcept { return !unix_path.empty(); }

  /// The value of the Host header: "host" for ports 80 and 443 (gcannon's rule, whatever the
  /// scheme), else "host:port"; IPv6 in brackets ("[::1]:8080"); "localhost" for a Unix socket.
  std::string host_header() const {
    if (is_unix()) return "localhost";
    std::string text = bracketed_host();
    if (port != 80 && port != 443) text += ':' + std::to_string(port);
    return text;
  }

  /// gcannon's "Target:" text: "127.0.0.1:8080/", "example.com/x" (only the default port is left
  /// out), "[::1]:8080/", or "unix:/path/s.sock:/x".
  std::string display() const {
    if (is_unix()) return "unix:" + unix_path + ':' + target;
    std::string text = bracketed_host();
    if (port != default_port()) text += ':' + std::to_string(port);
    return text + target;
  }

  /// The URL as text, with every field explicit; parse_url() of it gives back the same fields.
  std::string to_string() const {
    if (is_unix()) return "http+unix://" + unix_path + ':' + target;
    return (tls ? "https://" : "http://") + bracketed_host() + ':' + std::to_string(port) + target;
  }

  friend bool operator==(const url&, const url&) = default;

 private:
  std::string bracketed_host() const { return host.find(':') == std::string::npos ? host : '[' + host + ']'; }
};

namespace detail::url_syntax {

/// A byte as a message can show it: itself when printable, else "\xNN".
inline std::string printable_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7f) return std::string(1, c);
  static constexpr char hex[] = "0123456789abcdef";
  return std::string{'\\', 'x', hex[byte >> 4], hex[byte & 0xf]};
}

/// Characters of a registered host name (RFC 3986 unreserved; percent-encoding is not supported).
constexpr bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

inline bool is_ipv6_literal(std::string_view text) {
  in6_addr address{};
  const std::string copy(text);
  return ::inet_pton(AF_INET6, copy.c_str(), &address) == 1;
}

/// Splits off and drops a "#fragment".
constexpr std::string_view without_fragment(std::string_view text) noexcept { return text.substr(0, text.find('#')); }

inline or_error<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty())
    return or_error<std::uint16_t>::failure("Error: empty port in URL (write host:port, or leave ':' out for 80)");
  const auto value = parse_decimal(text, 65535);
  if (!value || *value == 0)
    return or_error<std::uint16_t>::failure("Error: invalid port '" + std::string(text) +
                                            "' in URL (must be 1..65535)");
  return static_cast<std::uint16_t>(*value);
}

/// "host", "host:port", "[v6]" or "[v6]:port" into the host and port of `out`.
inline or_error<bool> parse_authority(std::string_view authority, url& out) {
  using result = or_error<bool>;
  if (authority.find('@') != std::string_view::npos)
    return result::failure("Error: user info ('user@host') in URL is not supported");
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return result::failure("Error: unterminated IPv6 literal '" + std::string(authority) + "' in URL");
    const std::string_view literal = authority.substr(1, close - 1);
    if (!is_ipv6_literal(literal))
      return result::failure("Error: invalid IPv6 literal '" + std::string(authority.substr(0, close + 1)) +
                             "' in URL");
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return result::failure("Error: unexpected '" + printable_byte(rest.front()) + "' after IPv6 literal '" +
                             std::string(authority.substr(0, close + 1)) + "' in URL");
    out.host = std::string(literal);
    has_port = !rest.empty();
    if (has_port) port_text = rest.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos && is_ipv6_literal(authority))
      return result::failure("Error: IPv6 address '" + std::string(authority) +
                             "' in URL must be in brackets, e.g. http://[" + std::string(authority) + "]:8080/");
    const std::string_view name = authority.substr(0, colon);
    if (name.empty()) return result::failure("Error: empty host in URL");
    for (char c : name)
      if (!is_host_char(c))
        return result::failure("Error: invalid character '" + printable_byte(c) + "' in host '" + std::string(name) +
                               "' in URL");
    out.host = std::string(name);
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return result::failure(port.error());
    out.port = *port;
  }
  return true;
}

/// "/path?query#fragment" or "?query" after the authority into a request target.
inline std::string target_from(std::string_view rest) {
  rest = without_fragment(rest);
  if (rest.empty() || rest.front() != '/') return '/' + std::string(rest);
  return std::string(rest);
}

/// What follows "http+unix://": "/path/to.sock" or "/path/to.sock:/target".
inline or_error<url> parse_unix_rest(std::string_view rest) {
  using result = or_error<url>;
  const std::size_t colon = rest.find(':');
  const std::string_view path = rest.substr(0, colon);
  if (path.empty())
    return result::failure("Error: empty unix socket path in URL (write http+unix:///path/to.sock:/target)");
  if (path.front() != '/')
    return result::failure("Error: unix socket path '" + std::string(path) +
                           "' in URL must be absolute (write http+unix:///path/to.sock:/target)");
  if (path.find_first_of("?#") != std::string_view::npos)
    return result::failure(
        "Error: unix socket path '" + std::string(path) +
        "' in URL contains '?' or '#'; put the request target after ':' (http+unix:///path/to.sock:/target)");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return result::failure("Error: unix socket path in URL is too long (" + std::to_string(path.size()) +
                           " bytes, at most " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + ")");
  url out;
  out.unix_path = std::string(path);
  if (colon != std::string_view::npos) {
    const std::string_view target = without_fragment(rest.substr(colon + 1));
    if (!target.empty() && target.front() != '/')
      return result::failure("Error: request target '" + std::string(target) +
                             "' after the unix socket path must start with '/' (http+unix:///path/to.sock:/target)");
    if (!target.empty()) out.target = std::string(target);
  }
  return out;
}

constexpr bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace detail::url_syntax

/// Parses `http://host[:port][/path][?query][#fragment]` (IPv6 hosts in brackets, port 1..65535,
/// default 80, fragment dropped), the same with `https://` (default port 443) or `http+unix:///path/to.sock[:/target]` (the socket path ends at
/// the first ':'; the target defaults to "/"). Schemes are case-insensitive. Anything else fails
/// with a message starting "Error: " that names the problem.
inline or_error<url> parse_url(std::string_view text) {
  using result = or_error<url>;
  namespace syntax = detail::url_syntax;
  if (text.empty()) return result::failure("Error: empty URL");
  // A space or CR/LF would end up inside the request line: refuse rather than guess an encoding.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte <= 0x20 || byte == 0x7f)
      return result::failure("Error: URL contains a space or control character (" + syntax::printable_byte(text[i]) +
                             " at offset " + std::to_string(i) + ")");
  }
  constexpr std::string_view unix_scheme = "http+unix://", http_scheme = "http://", https_scheme = "https://";
  if (syntax::starts_with_ignoring_case(text, unix_scheme))
    return syntax::parse_unix_rest(text.substr(unix_scheme.size()));
  const bool tls = syntax::starts_with_ignoring_case(text, https_scheme);
  if (!tls && !syntax::starts_with_ignoring_case(text, http_scheme))
    return result::failure("Error: only http:// and https:// URLs supported");

  const std::string_view rest = text.substr(tls ? https_scheme.size() : http_scheme.size());
  const std::size_t authority_end = rest.find_first_of("/?#");
  url out;
  out.tls = tls;
  out.port = out.default_port();
  if (auto authority = syntax::parse_authority(rest.substr(0, authority_end), out); !authority)
    return result::failure(authority.error());
  if (authority_end != std::string_view::npos) out.target = syntax::target_from(rest.substr(authority_end));
  return out;
}

}  // namespace uring_cannon
