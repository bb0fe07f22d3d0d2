// ucannon-server end to end: the built binary on 127.0.0.1 with --port 0, driven by plain
// blocking sockets. Every read is bounded (SO_RCVTIMEO on sockets, deadlines on the server's
// output), and the server is killed if a test leaves it running.
#include <catch2/catch.hpp>

#ifndef URING_CANNON_SERVER_PATH

TEST_CASE("ucannon-server integration tests need the built server", "[ucannon-server]") {
  WARN("URING_CANNON_SERVER_PATH is not defined: ucannon-server was not built, nothing to test");
}

#else

#include "support/child_process.hpp"
#include "support/http_reply_reader.hpp"

#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/websocket_frame.hpp>
#include <uring_cannon/websocket_handshake.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace uc = uring_cannon;
namespace ws = uring_cannon::websocket;
using namespace std::chrono_literals;

/// The server binary, running until stop() or the end of the test; test_support::child_process
/// spawns, reads and reaps it, this adds what the server prints and how it is stopped.
class server_process {
 public:
  explicit server_process(std::vector<std::string> args = {"--port", "0", "--quiet"})
      : process_(URING_CANNON_SERVER_PATH, std::move(args)) {}

  /// Reads "listening on 127.0.0.1:PORT" and returns the port.
  std::uint16_t wait_for_port() {
    const std::string& out = process_.read_stdout_until("\n", 10s);
    first_line_ = out.substr(0, out.find('\n') + 1);  // the whole output when no line end came
    INFO("first line: " << first_line_);
    REQUIRE(first_line_.rfind("listening on 127.0.0.1:", 0) == 0);
    REQUIRE(first_line_.back() == '\n');
    const auto port = uc::detail::parse_decimal(std::string_view(first_line_).substr(23, first_line_.size() - 24), 65535);
    REQUIRE(port.has_value());
    REQUIRE(*port > 0);
    port_ = std::uint16_t(*port);
    return port_;
  }
  std::uint16_t port() const noexcept { return port_; }

  struct exit_report {
    int status = -1;     ///< exit code, or -1 when it did not exit normally in time
    std::string output;  ///< stdout after the "listening on" line
    std::string errors;  ///< stderr
  };

  /// Sends `signal` and waits (bounded) for the server to exit.
  exit_report stop(int signal = SIGTERM) {
    process_.signal(signal);
    return wait_for_exit();
  }

  /// Waits (bounded) for a server that should exit by itself (bad flags, --help), reading its
  /// output to the end.
  exit_report wait_for_exit() {
    const auto code = process_.wait(10s);
    return {code.value_or(-1), process_.out().substr(first_line_.size()), process_.err()};
  }

 private:
  test_support::child_process process_;
  std::string first_line_;
  std::uint16_t port_ = 0;
};

using reply = test_support::http_reply;

/// A blocking client connection; every read waits at most 10 s.
class client : public test_support::http_reply_reader {
 public:
  explicit client(std::uint16_t port) : fd_(test_support::connect_loopback(port)) {}
  client(const client&) = delete;
  ~client() override { ::close(fd_); }

  void send(std::string_view text) {
    while (!text.empty()) {
      const ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      text.remove_prefix(std::size_t(n));
    }
  }

  /// True when the server closed the connection (EOF) before sending anything more.
  bool closed_by_server() {
    if (buffered()) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

  int fd() const noexcept { return fd_; }

 protected:
  std::size_t read_some(char* into, std::size_t size) override {
    ssize_t n;
    do n = ::recv(fd_, into, size, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0) throw std::runtime_error("server closed the connection");
    if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
    return std::size_t(n);
  }

 private:
  int fd_ = -1;
};

std::string get(std::string_view target, std::string_view extra_headers = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers) + "\r\n";
}

using test_support::is_body_pattern;

std::uint64_t stats_count(client& c) {
  c.send(get("/stats"));
  const reply r = c.read_reply();
  REQUIRE(r.status == 200);
  REQUIRE(r.body.rfind("{\"requests\": ", 0) == 0);
  return std::stoull(r.body.substr(13));
}

}  // namespace

TEST_CASE("ucannon-server: --port 0 prints the port; SIGTERM stops it with the served count", "[ucannon-server]") {
  server_process server;
  const std::uint16_t port = server.wait_for_port();
  {
    client c(port);
    for (int i = 0; i < 3; ++i) {
      c.send(get("/health"));
      CHECK(c.read_reply().body == "OK");
    }
  }
  const auto report = server.stop(SIGTERM);
  CHECK(report.status == 0);
  CHECK(report.output == "served 3 requests\n");
}

TEST_CASE("ucannon-server: SIGINT stops all threads of a multi-threaded server", "[ucannon-server]") {
  server_process server({"--port", "0", "--threads", "3", "--quiet"});
  const std::uint16_t port = server.wait_for_port();
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 12; ++i) clients.push_back(std::make_unique<client>(port));  // spread over the listeners
  for (auto& c : clients) c->send(get("/health") + get("/"));
  for (auto& c : clients) {
    CHECK(c->read_reply().status == 200);
    CHECK(c->read_reply().status == 200);
  }
  CHECK(stats_count(*clients.front()) == 25);  // summed over the threads, this request included
  const auto report = server.stop(SIGINT);
  CHECK(report.status == 0);
  CHECK(report.output == "served 25 requests\n");
}

TEST_CASE("ucannon-server: every endpoint", "[ucannon-server]") {
  server_process server;
  client c(server.wait_for_port());

  SECTION("/ echoes the request as JSON") {
    c.send("POST /?x=1 HTTP/1.1\r\nHost: h\r\nX-Quote: a\"b\r\nContent-Length: 5\r\n\r\nhello");
    const reply r = c.read_reply();
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    CHECK(r.body == "{\"method\":\"POST\",\"target\":\"/?x=1\",\"version\":\"HTTP/1.1\",\"headers\":{\"Host\":\"h\","
                    "\"X-Quote\":\"a\\\"b\",\"Content-Length\":\"5\"},\"body_length\":5}\n");
  }
  SECTION("/health") {
    c.send(get("/health"));
    const reply r = c.read_reply();
    CHECK(r.status == 200);
    CHECK(r.body == "OK");
  }
  SECTION("/bin/{size}: byte counts and K/M suffixes, streamed and inline") {
    c.send(get("/bin/1000"));
    reply r = c.read_reply();
    CHECK(r.body.size() == 1000);
    CHECK(is_body_pattern(r.body));
    c.send(get("/bin/1K"));
    CHECK(c.read_reply().body.size() == 1024);
    c.send(get("/bin/3M"));  // streamed from the shared buffer in pieces
    r = c.read_reply();
    CHECK(r.body.size() == 3u << 20);
    CHECK(is_body_pattern(r.body));
    c.send(get("/bin/0"));
    r = c.read_reply();
    CHECK(r.header("content-length") == "0");
    c.send(get("/bin/12Q"));
    CHECK(c.read_reply().status == 400);
  }
  SECTION("/bin/{size}?chunked=true") {
    c.send(get("/bin/100?chunked=true"));
    reply r = c.read_reply();
    CHECK(r.header("transfer-encoding") == "chunked");
    CHECK(r.body.size() == 100);
    c.send(get("/bin/200K?chunked=true"));
    r = c.read_reply();
    CHECK(r.body.size() == 200u * 1024);
    CHECK(r.chunks == 4);  // 64 KiB chunks
    CHECK(is_body_pattern(r.body));
  }
  SECTION("/chunked/{count}?size=&delay=") {
    const auto start = std::chrono::steady_clock::now();
    c.send(get("/chunked/3?size=5&delay=30"));
    reply r = c.read_reply();
    CHECK(std::chrono::steady_clock::now() - start >= 60ms);
    CHECK(r.chunks == 3);
    CHECK(r.body == "ABCDEFGHIJKLMNO");
    c.send(get("/chunked"));
    r = c.read_reply();
    CHECK(r.chunks == 1);
    CHECK(r.body.size() == 64);
    c.send(get("/chunked/2000?size=1K"));  // large enough to be streamed
    r = c.read_reply();
    CHECK(r.chunks == 2000);
    CHECK(r.body.size() == 2000u * 1024);
    CHECK(is_body_pattern(r.body));
    c.send(get("/chunked/x"));
    CHECK(c.read_reply().status == 400);
  }
  SECTION("/upload counts Content-Length and chunked bodies") {
    c.send("POST /upload HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world");
    CHECK(c.read_reply().body == "11\n");
    c.send("PUT /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext\r\nabc\r\n0\r\nT: x\r\n\r\n");
    CHECK(c.read_reply().body == "8\n");
    const std::string big(300000, 'u');  // many receives
    c.send("POST /upload HTTP/1.1\r\nContent-Length: 300000\r\n\r\n" + big);
    CHECK(c.read_reply().body == "300000\n");
    // More than the whole receive-buffer ring: the method and target must not be read back from
    // a buffer that was given back and reused meanwhile (this once answered 405).
    const std::string huge(20u << 20, 'h');
    c.send("POST /upload HTTP/1.1\r\nContent-Length: " + std::to_string(huge.size()) + "\r\n\r\n" + huge);
    const reply uploaded = c.read_reply();
    CHECK(uploaded.status == 200);
    CHECK(uploaded.body == std::to_string(huge.size()) + "\n");
    c.send(get("/upload"));
    const reply r = c.read_reply();
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "POST, PUT");
  }
  SECTION("/upload answers Expect: 100-continue") {
    c.send("POST /upload HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    CHECK(c.take_until("\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send("data");
    CHECK(c.read_reply().body == "4\n");
  }
  SECTION("/status/{code}") {
    c.send(get("/status/404"));
    reply r = c.read_reply();
    CHECK(r.status == 404);
    CHECK(r.body == "404 Not Found\n");
    c.send(get("/status/503"));
    CHECK(c.read_reply().status == 503);
    c.send(get("/status/299"));
    CHECK(c.read_reply().status == 299);
    c.send(get("/status/204"));
    r = c.read_reply();
    CHECK(r.status == 204);
    CHECK(r.header("content-length").empty());
    c.send(get("/status/103"));
    r = c.read_reply();
    CHECK(r.interim == std::vector<int>{103});
    CHECK(r.status == 200);
    c.send(get("/status/600") + get("/status/101"));
    CHECK(c.read_reply().status == 400);
    CHECK(c.read_reply().status == 400);
  }
  SECTION("/delay/{ms}") {
    const auto start = std::chrono::steady_clock::now();
    c.send(get("/delay/80"));
    const reply r = c.read_reply();
    CHECK(r.status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= 80ms);
    c.send(get("/delay/99999999"));
    CHECK(c.read_reply().status == 400);
  }
  SECTION("/stats counts every request served") {
    for (int i = 0; i < 5; ++i) {
      c.send(get("/nope"));
      CHECK(c.read_reply().status == 404);
    }
    CHECK(stats_count(c) == 6);
    CHECK(stats_count(c) == 7);
  }
  SECTION("HEAD gets the GET head without the body") {
    c.send("HEAD /bin/1M HTTP/1.1\r\n\r\n");
    reply r = c.read_reply(true);
    CHECK(r.status == 200);
    CHECK(r.header("content-length") == "1048576");
    c.send("HEAD /health HTTP/1.1\r\n\r\n");
    r = c.read_reply(true);
    CHECK(r.header("content-length") == "2");
    // Had a body been sent, this would read it instead of the next response.
    c.send(get("/status/201"));
    CHECK(c.read_reply().status == 201);
  }
}

TEST_CASE("ucannon-server: 16 pipelined requests in one write are answered in order", "[ucannon-server]") {
  server_process server;
  client c(server.wait_for_port());
  std::string batch;
  for (int i = 0; i < 16; ++i) {
    if (i % 4 == 0) batch += get("/health");
    else if (i % 4 == 1) batch += get("/status/" + std::to_string(200 + i));
    else if (i % 4 == 2) batch += "POST /upload HTTP/1.1\r\nContent-Length: " + std::to_string(i) + "\r\n\r\n" + std::string(std::size_t(i), 'x');
    else batch += get("/bin/" + std::to_string(i));
  }
  c.send(batch);
  for (int i = 0; i < 16; ++i) {
    INFO("response " << i);
    const reply r = c.read_reply();
    if (i % 4 == 0) CHECK(r.body == "OK");
    else if (i % 4 == 1) CHECK(r.status == 200 + i);
    else if (i % 4 == 2) CHECK(r.body == std::to_string(i) + "\n");
    else CHECK(r.body.size() == std::size_t(i));
  }
  // Pipelined around a delay and a streamed body, the order still holds.
  c.send(get("/delay/20") + get("/status/202") + get("/bin/2M") + get("/status/203"));
  CHECK(c.read_reply().body == "delayed 20 ms\n");
  CHECK(c.read_reply().status == 202);
  CHECK(c.read_reply().body.size() == 2u << 20);
  CHECK(c.read_reply().status == 203);
}

TEST_CASE("ucannon-server: keep-alive and close", "[ucannon-server]") {
  server_process server;
  const std::uint16_t port = server.wait_for_port();

  SECTION("HTTP/1.1 keeps the connection open") {
    client c(port);
    for (int i = 0; i < 3; ++i) {
      c.send(get("/health"));
      const reply r = c.read_reply();
      CHECK(r.header("connection").empty());
    }
  }
  SECTION("Connection: close is answered, then the server closes") {
    client c(port);
    c.send(get("/health", "Connection: close\r\n") + get("/health"));  // the second is never answered
    const reply r = c.read_reply();
    CHECK(r.body == "OK");
    CHECK(r.header("connection") == "close");
    CHECK(c.closed_by_server());
  }
  SECTION("HTTP/1.0 closes unless it asks for keep-alive") {
    client c(port);
    c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    reply r = c.read_reply();
    CHECK(r.header("connection") == "keep-alive");
    c.send("GET /chunked/2?size=3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");  // no chunked coding for 1.0
    r = c.read_reply();
    CHECK(r.header("content-length") == "6");
    CHECK(r.body == "ABCDEF");
    c.send("GET /health HTTP/1.0\r\n\r\n");
    r = c.read_reply();
    CHECK(r.header("connection") == "close");
    CHECK(c.closed_by_server());
  }
  SECTION("a close after a streamed body") {
    client c(port);
    c.send(get("/bin/1M", "Connection: close\r\n"));
    CHECK(c.read_reply().body.size() == 1u << 20);
    CHECK(c.closed_by_server());
  }
}

TEST_CASE("ucannon-server: malformed requests get 400 and a close", "[ucannon-server]") {
  server_process server;
  const std::uint16_t port = server.wait_for_port();
  const char* garbage[] = {
      "garbage\r\n\r\n",
      "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
      "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00",  // TLS to a plain-text port: refused without waiting for a line end
  };
  for (const char* request : garbage) {
    INFO(request);
    client c(port);
    c.send(get("/health"));  // a good request first: answered normally
    CHECK(c.read_reply().body == "OK");
    c.send(request);
    const reply r = c.read_reply();
    CHECK(r.status == 400);
    CHECK(r.header("connection") == "close");
    CHECK(c.closed_by_server());
  }
  client c(port);
  c.send("GET / HTTP/2.0\r\n\r\n");
  CHECK(c.read_reply().status == 505);
  client big(port);
  big.send("GET / HTTP/1.1\r\nX: " + std::string(20000, 'x') + "\r\n\r\n");
  CHECK(big.read_reply().status == 431);
}

TEST_CASE("ucannon-server: /ws upgrades and echoes", "[ucannon-server][websocket]") {
  server_process server;
  client c(server.wait_for_port());
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  c.send("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const std::string head = c.take_until("\r\n\r\n");
  REQUIRE(head.rfind("HTTP/1.1 101 ", 0) == 0);
  CHECK(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);

  auto frame = [](ws::opcode op, std::string_view payload, bool fin = true) {
    std::string out(ws::frame_size(payload.size(), true), '\0');
    const std::size_t n = ws::encode_client_frame(out, op, payload, 0x12345678u, fin);
    out.resize(n);
    return out;
  };
  ws::message_decoder decoder(ws::role::client);
  std::string pending;
  auto next_event = [&]() {
    for (;;) {
      const auto [consumed, event] = decoder.decode(pending);
      pending.erase(0, consumed);
      if (event != ws::decode_event::need_more) return event;
      pending += c.take(1);
    }
  };

  c.send(frame(ws::opcode::text, "hello"));
  REQUIRE(next_event() == ws::decode_event::message);
  CHECK(decoder.message_opcode() == ws::opcode::text);
  CHECK(decoder.payload_view() == "hello");

  const std::string binary(70000, '\x01');  // a 64-bit length, and several receives
  c.send(frame(ws::opcode::binary, binary));
  REQUIRE(next_event() == ws::decode_event::message);
  CHECK(decoder.message_opcode() == ws::opcode::binary);
  CHECK(decoder.payload_view() == binary);

  c.send(frame(ws::opcode::text, "frag", false) + frame(ws::opcode::ping, "p!") +
         frame(ws::opcode::continuation, "mented"));
  REQUIRE(next_event() == ws::decode_event::pong);
  CHECK(decoder.payload_view() == "p!");
  REQUIRE(next_event() == ws::decode_event::message);
  CHECK(decoder.payload_view() == "fragmented");

  std::array<char, ws::max_control_payload> close_payload{};
  const std::size_t close_size = ws::encode_close_payload(close_payload, 1000, "bye");
  c.send(frame(ws::opcode::close, std::string_view(close_payload.data(), close_size)));
  REQUIRE(next_event() == ws::decode_event::close);
  CHECK(decoder.close_code() == 1000);
  CHECK(c.closed_by_server());
}

TEST_CASE("ucannon-server: /ws refuses what is not an upgrade", "[ucannon-server][websocket]") {
  server_process server;
  client c(server.wait_for_port());
  c.send(get("/ws"));
  CHECK(c.read_reply().status == 426);
  c.send(get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"));  // no key
  CHECK(c.read_reply().status == 400);
  c.send(get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 8\r\n"));
  const reply r = c.read_reply();
  CHECK(r.status == 426);
  CHECK(r.header("sec-websocket-version") == "13");
}

TEST_CASE("ucannon-server: flags", "[ucannon-server]") {
  struct row {
    std::vector<std::string> args;
    int status;
  };
  const row rows[] = {
      {{"--threads", "0"}, 2},
      {{"--port", "70000"}, 2},
      {{"--port", "12x"}, 2},
      {{"--port"}, 2},
      {{"--bogus"}, 2},
      {{"--quiet=1"}, 2},
      {{"--host", "no.such.host.invalid", "--port", "0"}, 1},
      {{"--help"}, 0},
  };
  for (const row& r : rows) {
    INFO(r.args.front());
    server_process server(r.args);
    const auto report = server.wait_for_exit();
    INFO("stderr: " << report.errors);
    CHECK(report.status == r.status);
    if (r.status == 0) CHECK(report.output.find("usage: ucannon-server") != std::string::npos);
  }
}

#endif
