#pragma once
// Socket addresses: IPv4, IPv6 and Unix, parsed from literals or resolved once at start-up (never
// on a hot path: getaddrinfo blocks).

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uring_cannon {

class endpoint {
 public:
  endpoint() noexcept = default;
  endpoint(const sockaddr* address, socklen_t length) noexcept {
    length_ = std::min<socklen_t>(length, sizeof storage_);
    std::memcpy(&storage_, address, length_);
  }

  /// An IPv4 or IPv6 literal ("127.0.0.1", "::1"; brackets allowed) with a port.
  static std::optional<endpoint> from_literal(std::string_view host, std::uint16_t port) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string text(host);
    sockaddr_in v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(port);
      return endpoint(reinterpret_cast<sockaddr*>(&v4), sizeof v4);
    }
    sockaddr_in6 v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
      v6.sin6_family = AF_INET6;
      v6.sin6_port = htons(port);
      return endpoint(reinterpret_cast<sockaddr*>(&v6), sizeof v6);
    }
    return std::nullopt;
  }

  /// A Unix stream socket path (at most 107 bytes).
  static std::optional<endpoint> unix_socket(std::string_view path) {
    sockaddr_un un{};
    if (path.empty() || path.size() >= sizeof un.sun_path) return std::nullopt;
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.data(), path.size());
    return endpoint(reinterpret_cast<sockaddr*>(&un), socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + 1));
  }

  struct resolution {
    std::vector<endpoint> endpoints;
    std::string error;  ///< getaddrinfo's message when endpoints is empty
  };

  /// Literals directly, names through getaddrinfo (TCP, IPv4 and IPv6, in the resolver's order).
  static resolution resolve(std::string_view host, std::uint16_t port) {
    if (auto literal = from_literal(host, port)) return {{*literal}, {}};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string name(host), service = std::to_string(port);
    if (int rc = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &list); rc != 0)
      return {{}, ::gai_strerror(rc)};
    resolution result;
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) result.endpoints.emplace_back(ai->ai_addr, ai->ai_addrlen);
    ::freeaddrinfo(list);
    return result;
  }

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return length_; }
  int family() const noexcept { return storage_.ss_family; }
  bool valid() const noexcept { return length_ > 0; }

  std::uint16_t port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
  }

  /// "127.0.0.1:8080", "[::1]:8080" or "unix:/path".
  std::string to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
      return std::string(text) + ':' + std::to_string(port());
    }
    if (family() == AF_INET6) {
      ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
      return '[' + std::string(text) + "]:" + std::to_string(port());
    }
    if (family() == AF_UNIX) return "unix:" + std::string(reinterpret_cast<const sockaddr_un*>(&storage_)->sun_path);
    return "(none)";
  }

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace uring_cannon
