#pragma once
// The client half of tests that talk HTTP/1.1 to ucannon-server by hand: a loopback socket with
// timeouts, and a reader that takes whole replies off a byte stream (plain TCP or TLS, through
// the read_some() a subclass gives it).

#include <uring_cannon/detail/ascii.hpp>

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

/// A blocking TCP socket connected to 127.0.0.1:port, with 10 s send and receive timeouts and
/// Nagle off.
inline int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    FAIL("connect: " << std::strerror(error));
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/// What ucannon-server promises for byte i of a /bin or /chunked body: a 64-character alphabet,
/// written out here rather than taken from the server, so the tests check it.
inline bool is_body_pattern(std::string_view body, std::size_t offset = 0) {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < body.size(); ++i)
    if (body[i] != alphabet[(offset + i) % alphabet.size()]) return false;
  return true;
}

/// One HTTP/1.1 reply as the test saw it.
struct http_reply {
  int status = 0;
  std::vector<int> interim;                    ///< 1xx replies before this one
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  std::size_t chunks = 0;                      ///< chunks of a chunked body

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// A read buffer over a blocking byte stream, and HTTP/1.1 replies read off it.
class http_reply_reader {
 public:
  virtual ~http_reply_reader() = default;

  /// Reads one reply, recording and skipping 1xx ones (101 ends HTTP, so it is returned).
  /// `head_only`: the request was HEAD, so no body follows.
  http_reply read_reply(bool head_only = false) {
    http_reply r;
    for (;;) {
      const std::string head = take_until("\r\n\r\n");
      REQUIRE(head.rfind("HTTP/1.1 ", 0) == 0);
      r.status = std::stoi(head.substr(9, 3));
      r.headers.clear();
      for (std::size_t at = head.find("\r\n") + 2; at < head.size() - 2;) {
        const std::size_t end = head.find("\r\n", at);
        const std::string line = head.substr(at, end - at);
        const std::size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (char& c : name) c = uring_cannon::detail::ascii_lower(c);
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        at = end + 2;
      }
      if (r.status >= 200 || r.status == 101) break;
      r.interim.push_back(r.status);
    }
    if (head_only || r.status == 101 || r.status == 204 || r.status == 304) return r;
    if (r.header("transfer-encoding") == "chunked") {
      for (;;) {
        const std::size_t size = std::stoul(take_until("\r\n"), nullptr, 16);
        if (size == 0) {
          REQUIRE(take_until("\r\n") == "\r\n");
          break;
        }
        r.body += take(size);
        REQUIRE(take(2) == "\r\n");
        ++r.chunks;
      }
    } else {
      REQUIRE_FALSE(r.header("content-length").empty());
      r.body = take(std::stoull(r.header("content-length")));
    }
    return r;
  }

  /// Exactly `n` bytes.
  std::string take(std::size_t n) {
    while (buffer_.size() < n) fill();
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }
  /// Up to and including `delimiter`.
  std::string take_until(std::string_view delimiter) {
    std::size_t found;
    while ((found = buffer_.find(delimiter)) == std::string::npos) fill();
    return take(found + delimiter.size());
  }

 protected:
  /// Reads at least one byte into `into` (at most `size`); throws when the stream ended or failed.
  virtual std::size_t read_some(char* into, std::size_t size) = 0;
  /// Whether bytes are buffered that no reply has taken yet.
  bool buffered() const noexcept { return !buffer_.empty(); }

 private:
  void fill() {
    char chunk[65536];
    buffer_.append(chunk, read_some(chunk, sizeof chunk));
  }

  std::string buffer_;
};

}  // namespace test_support
