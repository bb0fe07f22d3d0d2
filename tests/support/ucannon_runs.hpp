#pragma once
// What the end-to-end tests of the bundled programs share: ucannon-server on a free loopback
// port, a temporary directory (also used as $HOME, so runs never touch the real run history),
// a temporary file, and a bounded ucannon run.

#include "child_process.hpp"
#include "json_reader.hpp"
#include "loopback.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace test_support {

/// A temporary directory, removed with everything in it at the end of the scope.
struct temp_dir {
  std::string path;
  temp_dir() {
    char name[] = "/tmp/ucannon_test_XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  temp_dir(const temp_dir&) = delete;
  ~temp_dir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name) const { return path + "/" + name; }
  /// The environment entry that makes this directory a child's $HOME.
  std::string home_env() const { return "HOME=" + path; }
};

/// A temporary file holding `text` byte for byte, removed at the end of the scope.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/ucannon_file_XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << text;
  }
  temp_file(const temp_file&) = delete;
  ~temp_file() { std::remove(path.c_str()); }
};

/// A ucannon-server's /stats on 127.0.0.1:`port` ({"requests", "connections", "accepted"}), read
/// over a connection of its own, which /stats counts too.
inline json server_stats(std::uint16_t port) {
  const int fd = blocking_connect(*uring_cannon::endpoint::from_literal("127.0.0.1", port));
  write_all(fd, "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string reply;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, std::size_t(n));
  ::close(fd);
  return parse_json(reply.substr(reply.find("\r\n\r\n") + 4));
}

#ifdef URING_CANNON_SERVER_PATH
/// The built ucannon-server on a free 127.0.0.1 port, stopped (and reaped) at the end of the scope.
class bundled_server {
 public:
  bundled_server() : process_(URING_CANNON_SERVER_PATH, {"--port", "0", "--quiet"}) {
    const std::string& first = process_.read_stdout_until("\n", std::chrono::seconds(10));
    const std::string prefix = "listening on 127.0.0.1:";
    REQUIRE(first.rfind(prefix, 0) == 0);
    port_ = std::stoi(first.substr(prefix.size()));
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::uint16_t port() const noexcept { return std::uint16_t(port_); }

 private:
  child_process process_;
  int port_ = 0;
};
#endif

#ifdef URING_CANNON_CLI_PATH
/// Runs the built ucannon with `home` as its $HOME, to its end or `limit`.
inline finished_process run_ucannon(std::vector<std::string> args, const temp_dir& home,
                                    std::chrono::milliseconds limit = std::chrono::seconds(20),
                                    process_options options = {}) {
  options.environment.push_back(home.home_env());
  return run_program(URING_CANNON_CLI_PATH, std::move(args), limit, std::move(options));
}
#endif

}  // namespace test_support
