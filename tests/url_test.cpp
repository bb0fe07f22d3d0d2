#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <uring_cannon/url.hpp>
#include <vector>

namespace uc = uring_cannon;

namespace {

struct good_case {
  std::string text;
  std::string host;
  std::uint16_t port;
  std::string target;
  std::string unix_path;
  std::string host_header;
  std::string display;
};

const std::vector<good_case> good_urls = {
    {"http://127.0.0.1:8080/", "127.0.0.1", 8080, "/", "", "127.0.0.1:8080", "127.0.0.1:8080/"},
    {"http://127.0.0.1:8080", "127.0.0.1", 8080, "/", "", "127.0.0.1:8080", "127.0.0.1:8080/"},
    {"http://example.com", "example.com", 80, "/", "", "example.com", "example.com/"},
    {"http://example.com/x", "example.com", 80, "/x", "", "example.com", "example.com/x"},
    {"http://example.com:80/x", "example.com", 80, "/x", "", "example.com", "example.com/x"},
    {"http://example.com:443/x", "example.com", 443, "/x", "", "example.com", "example.com:443/x"},
    {"http://example.com:080/", "example.com", 80, "/", "", "example.com", "example.com/"},
    {"http://h:1/", "h", 1, "/", "", "h:1", "h:1/"},
    {"http://h:65535/", "h", 65535, "/", "", "h:65535", "h:65535/"},
    {"http://h/a/b?c=d&e=f", "h", 80, "/a/b?c=d&e=f", "", "h", "h/a/b?c=d&e=f"},
    {"http://h?q=1", "h", 80, "/?q=1", "", "h", "h/?q=1"},
    {"http://h:81?q=1", "h", 81, "/?q=1", "", "h:81", "h:81/?q=1"},
    {"http://h/x#frag", "h", 80, "/x", "", "h", "h/x"},
    {"http://h/x?y#frag?z", "h", 80, "/x?y", "", "h", "h/x?y"},
    {"http://h#frag", "h", 80, "/", "", "h", "h/"},
    {"http://h//double", "h", 80, "//double", "", "h", "h//double"},
    {"http://h/a:b@c", "h", 80, "/a:b@c", "", "h", "h/a:b@c"},
    {"HTTP://Upper.Example:8080/P", "Upper.Example", 8080, "/P", "", "Upper.Example:8080", "Upper.Example:8080/P"},
    {"http://my_host-1.local~x/", "my_host-1.local~x", 80, "/", "", "my_host-1.local~x", "my_host-1.local~x/"},
    {"http://[::1]:8080/", "::1", 8080, "/", "", "[::1]:8080", "[::1]:8080/"},
    {"http://[::1]/", "::1", 80, "/", "", "[::1]", "[::1]/"},
    {"http://[::1]:443", "::1", 443, "/", "", "[::1]", "[::1]:443/"},
    {"http://[fe80::1:2]?x", "fe80::1:2", 80, "/?x", "", "[fe80::1:2]", "[fe80::1:2]/?x"},
    {"http://[::ffff:1.2.3.4]:9/", "::ffff:1.2.3.4", 9, "/", "", "[::ffff:1.2.3.4]:9", "[::ffff:1.2.3.4]:9/"},
    {"http+unix:///tmp/s.sock:/x", "", 80, "/x", "/tmp/s.sock", "localhost", "unix:/tmp/s.sock:/x"},
    {"http+unix:///tmp/s.sock", "", 80, "/", "/tmp/s.sock", "localhost", "unix:/tmp/s.sock:/"},
    {"http+unix:///tmp/s.sock:", "", 80, "/", "/tmp/s.sock", "localhost", "unix:/tmp/s.sock:/"},
    {"http+unix:///tmp/s.sock:/a:b?c#d", "", 80, "/a:b?c", "/tmp/s.sock", "localhost", "unix:/tmp/s.sock:/a:b?c"},
    {"HTTP+UNIX:///run/x:/", "", 80, "/", "/run/x", "localhost", "unix:/run/x:/"},
};

struct bad_case {
  std::string text;
  std::string message;  // the exact message
};

const std::string too_long_path(108, 'p');

const std::vector<bad_case> bad_urls = {
    {"", "Error: empty URL"},
    {"ftp://example.com/", "Error: only http:// and https:// URLs supported"},
    {"ws://example.com/", "Error: only http:// and https:// URLs supported"},
    {"example.com:8080/", "Error: only http:// and https:// URLs supported"},
    {"http:/example.com/", "Error: only http:// and https:// URLs supported"},
    {"http://", "Error: empty host in URL"},
    {"http:///x", "Error: empty host in URL"},
    {"http://:8080/", "Error: empty host in URL"},
    {"http://?q", "Error: empty host in URL"},
    {"http://h:99999/", "Error: invalid port '99999' in URL (must be 1..65535)"},
    {"http://h:65536", "Error: invalid port '65536' in URL (must be 1..65535)"},
    {"http://h:0/", "Error: invalid port '0' in URL (must be 1..65535)"},
    {"http://h:8o/", "Error: invalid port '8o' in URL (must be 1..65535)"},
    {"http://h:-1/", "Error: invalid port '-1' in URL (must be 1..65535)"},
    {"http://h:1:2/", "Error: invalid port '1:2' in URL (must be 1..65535)"},
    {"http://h:99999999999999999999999/", "Error: invalid port '99999999999999999999999' in URL (must be 1..65535)"},
    {"http://h:/", "Error: empty port in URL (write host:port, or leave ':' out for 80)"},
    {"http://[::1]:/", "Error: empty port in URL (write host:port, or leave ':' out for 80)"},
    {"http://[::1]:0", "Error: invalid port '0' in URL (must be 1..65535)"},
    {"http://[::1", "Error: unterminated IPv6 literal '[::1' in URL"},
    {"http://[::1/x", "Error: unterminated IPv6 literal '[::1' in URL"},
    {"http://[::1:8080", "Error: unterminated IPv6 literal '[::1:8080' in URL"},
    {"http://[]/", "Error: invalid IPv6 literal '[]' in URL"},
    {"http://[xyz]/", "Error: invalid IPv6 literal '[xyz]' in URL"},
    {"http://[1.2.3.4]/", "Error: invalid IPv6 literal '[1.2.3.4]' in URL"},
    {"http://[::1]x/", "Error: unexpected 'x' after IPv6 literal '[::1]' in URL"},
    {"http://[::1]]/", "Error: unexpected ']' after IPv6 literal '[::1]' in URL"},
    {"http://::1/", "Error: IPv6 address '::1' in URL must be in brackets, e.g. http://[::1]:8080/"},
    {"http://user@h/", "Error: user info ('user@host') in URL is not supported"},
    {"http://user:pw@h:80/", "Error: user info ('user@host') in URL is not supported"},
    {"http://ho!st/", "Error: invalid character '!' in host 'ho!st' in URL"},
    {"http://h]/", "Error: invalid character ']' in host 'h]' in URL"},
    {"http://h\xc3\xa9/", "Error: invalid character '\\xc3' in host 'h\xc3\xa9' in URL"},
    {"http://h/a b", "Error: URL contains a space or control character (\\x20 at offset 10)"},
    {"http://h/\r\nX: y", "Error: URL contains a space or control character (\\x0d at offset 9)"},
    {"http://h/\n", "Error: URL contains a space or control character (\\x0a at offset 9)"},
    {"http://h/\t", "Error: URL contains a space or control character (\\x09 at offset 9)"},
    {std::string("http://h/\0x", 11), "Error: URL contains a space or control character (\\x00 at offset 9)"},
    {"http://h/\x7f", "Error: URL contains a space or control character (\\x7f at offset 9)"},
    {" http://h/", "Error: URL contains a space or control character (\\x20 at offset 0)"},
    {"http+unix://", "Error: empty unix socket path in URL (write http+unix:///path/to.sock:/target)"},
    {"http+unix://:/x", "Error: empty unix socket path in URL (write http+unix:///path/to.sock:/target)"},
    {"http+unix://rel.sock:/",
     "Error: unix socket path 'rel.sock' in URL must be absolute (write http+unix:///path/to.sock:/target)"},
    {"http+unix:///s.sock?x",
     "Error: unix socket path '/s.sock?x' in URL contains '?' or '#'; put the request target after ':' "
     "(http+unix:///path/to.sock:/target)"},
    {"http+unix:///s#x:/",
     "Error: unix socket path '/s#x' in URL contains '?' or '#'; put the request target after ':' "
     "(http+unix:///path/to.sock:/target)"},
    {"http+unix:///s.sock:x",
     "Error: request target 'x' after the unix socket path must start with '/' (http+unix:///path/to.sock:/target)"},
    {"http+unix:///s.sock:?q",
     "Error: request target '?q' after the unix socket path must start with '/' (http+unix:///path/to.sock:/target)"},
    {"http+unix:///" + too_long_path + ":/", "Error: unix socket path in URL is too long (109 bytes, at most 107)"},
};

}  // namespace

TEST_CASE("parse_url accepts good URLs and fills every field", "[url]") {
  for (const auto& c : good_urls) {
    INFO(c.text);
    const auto parsed = uc::parse_url(c.text);
    REQUIRE(parsed.ok());
    CHECK(parsed->host == c.host);
    CHECK(parsed->port == c.port);
    CHECK(parsed->target == c.target);
    CHECK(parsed->unix_path == c.unix_path);
    CHECK(parsed->is_unix() == !c.unix_path.empty());
    CHECK(parsed->host_header() == c.host_header);
    CHECK(parsed->display() == c.display);
  }
}

TEST_CASE("parse_url rejects bad URLs with a specific message", "[url]") {
  for (const auto& c : bad_urls) {
    INFO(c.text);
    const auto parsed = uc::parse_url(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error() == c.message);
    CHECK(parsed.error().rfind("Error: ", 0) == 0);
  }
}

TEST_CASE("the longest unix socket path that fits sun_path is accepted", "[url]") {
  const std::string path = "/" + std::string(106, 'p');
  const auto parsed = uc::parse_url("http+unix://" + path + ":/");
  REQUIRE(parsed.ok());
  CHECK(parsed->unix_path == path);
  CHECK(parsed->unix_path.size() == 107);
}

TEST_CASE("to_string renders a URL that parses back to the same fields", "[url]") {
  for (const auto& c : good_urls) {
    INFO(c.text);
    const auto parsed = uc::parse_url(c.text);
    REQUIRE(parsed.ok());
    const auto again = uc::parse_url(parsed->to_string());
    REQUIRE(again.ok());
    CHECK(*again == *parsed);
  }
  CHECK(uc::parse_url("http://[::1]/x")->to_string() == "http://[::1]:80/x");
  CHECK(uc::parse_url("http+unix:///s")->to_string() == "http+unix:///s:/");
}

TEST_CASE("https:// URLs: TLS, port 443 by default and left out of the target text", "[url]") {
  const auto u = uc::parse_url("HTTPS://example.com/x?y");
  REQUIRE(u.ok());
  CHECK(u->tls);
  CHECK(u->port == 443);
  CHECK(u->host_header() == "example.com");
  CHECK(u->display() == "example.com/x?y");
  CHECK(u->to_string() == "https://example.com:443/x?y");
  CHECK(*uc::parse_url(u->to_string()) == *u);
  const auto other = uc::parse_url("https://[::1]:8443/");
  REQUIRE(other.ok());
  CHECK(other->tls);
  CHECK(other->display() == "[::1]:8443/");
  CHECK(other->host_header() == "[::1]:8443");
  CHECK(!uc::parse_url("http://example.com/")->tls);
  CHECK(uc::parse_url("https://example.com:80/")->display() == "example.com:80/");
}

TEST_CASE("host_header and display on hand-built URLs", "[url]") {
  uc::url u;
  u.host = "example.com";
  CHECK(u.host_header() == "example.com");
  CHECK(u.display() == "example.com/");
  u.port = 443;
  CHECK(u.host_header() == "example.com");
  CHECK(u.display() == "example.com:443/");
  u.port = 8443;
  u.target = "/a?b";
  CHECK(u.host_header() == "example.com:8443");
  CHECK(u.display() == "example.com:8443/a?b");
  u.host = "2001:db8::1";
  CHECK(u.host_header() == "[2001:db8::1]:8443");
  CHECK(u.display() == "[2001:db8::1]:8443/a?b");
  u.unix_path = "/run/app.sock";
  CHECK(u.is_unix());
  CHECK(u.host_header() == "localhost");
  CHECK(u.display() == "unix:/run/app.sock:/a?b");
}
