// ucannon-server over TLS end to end: the built binary with --tls-cert/--tls-key on 127.0.0.1,
// port 0, with a certificate made for the test, driven by a blocking OpenSSL client (SSL_set_fd
// on a plain socket) that verifies the server against the test CA. Every read is bounded
// (SO_RCVTIMEO, deadlines on the server's output) and the server is killed if a test leaves it.
#include <catch2/catch.hpp>

#if defined(URING_CANNON_WITH_TLS) && defined(URING_CANNON_SERVER_PATH)

#include "support/child_process.hpp"
#include "support/http_reply_reader.hpp"
#include "support/test_certificate.hpp"

#include <uring_cannon/websocket_frame.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ws = uring_cannon::websocket;
using namespace std::chrono_literals;

/// ucannon-server serving HTTPS with the test certificate; killed at the end of the scope.
class tls_server {
 public:
  explicit tls_server(const test_support::test_certificates& certs, std::vector<std::string> extra = {})
      : process_(URING_CANNON_SERVER_PATH, arguments(certs, std::move(extra))) {
    const std::string& out = process_.read_stdout_until("\n", 10s);
    first_line_ = out.substr(0, out.find('\n'));
    INFO("first line: " << first_line_ << "\nstderr: " << process_.err());
    const std::string prefix = "listening on 127.0.0.1:";
    REQUIRE(first_line_.rfind(prefix, 0) == 0);
    REQUIRE(first_line_.ends_with(" (TLS)"));
    port_ = std::uint16_t(std::stoi(first_line_.substr(prefix.size())));
    REQUIRE(port_ > 0);
  }

  std::uint16_t port() const noexcept { return port_; }
  /// Whether the process is still running, and no sanitizer has complained (when built with one).
  bool running() { return !process_.wait(0ms).has_value() && clean(process_.err()); }
  /// SIGTERM, then the exit code (-1: did not exit normally in time, or a sanitizer complained)
  /// and its stdout.
  std::pair<int, std::string> stop() {
    process_.signal(SIGTERM);
    const auto code = process_.wait(10s);
    INFO("stderr: " << process_.err());
    return {clean(process_.err()) ? code.value_or(-1) : -1, process_.out()};
  }

 private:
  static bool clean(const std::string& errors) {
    return errors.find("Sanitizer") == std::string::npos && errors.find("runtime error") == std::string::npos;
  }
  static std::vector<std::string> arguments(const test_support::test_certificates& certs, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--port", "0", "--quiet", "--tls-cert", certs.server_cert_file(),
                                     "--tls-key", certs.server_key_file()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  test_support::child_process process_;
  std::string first_line_;
  std::uint16_t port_ = 0;
};

struct ctx_deleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct session_deleter {
  void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, ctx_deleter>;
using session_ptr = std::unique_ptr<SSL_SESSION, session_deleter>;

/// A client context that trusts only the test CA and offers http/1.1.
ctx_ptr client_context(const test_support::test_certificates& certs, int max_version = 0) {
  ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(ctx != nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), certs.ca_file().c_str(), nullptr) == 1);
  REQUIRE(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) == 1);
  if (max_version != 0) REQUIRE(SSL_CTX_set_max_proto_version(ctx.get(), max_version) == 1);
  static constexpr unsigned char alpn[] = "\x08http/1.1";
  REQUIRE(SSL_CTX_set_alpn_protos(ctx.get(), alpn, sizeof alpn - 1) == 0);
  return ctx;
}

std::string openssl_error() {
  char text[256] = "no OpenSSL error queued";
  if (const unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

using reply = test_support::http_reply;

/// A blocking TLS client connection; every read waits at most 10 s.
class tls_client : public test_support::http_reply_reader {
 public:
  tls_client(std::uint16_t port, SSL_CTX* ctx, SSL_SESSION* resume = nullptr)
      : fd_(test_support::connect_loopback(port)) {
    ssl_ = SSL_new(ctx);
    REQUIRE(ssl_ != nullptr);
    REQUIRE(SSL_set_fd(ssl_, fd_) == 1);
    REQUIRE(SSL_set_tlsext_host_name(ssl_, "localhost") == 1);
    REQUIRE(SSL_set1_host(ssl_, "localhost") == 1);  // the name the certificate must carry
    if (resume != nullptr) REQUIRE(SSL_set_session(ssl_, resume) == 1);
    const int connected = SSL_connect(ssl_);
    INFO("SSL_connect: " << openssl_error() << ", verify: " << X509_verify_cert_error_string(SSL_get_verify_result(ssl_)));
    REQUIRE(connected == 1);
  }
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;
  ~tls_client() override {
    SSL_free(ssl_);
    ::close(fd_);
  }

  SSL* ssl() const noexcept { return ssl_; }

  void send(std::string_view text) {
    while (!text.empty()) {
      std::size_t written = 0;
      if (SSL_write_ex(ssl_, text.data(), text.size(), &written) != 1)
        throw std::runtime_error("SSL_write: " + openssl_error());
      text.remove_prefix(written);
    }
  }

  /// True when the server ended the stream (with close_notify when `cleanly`) before sending
  /// anything more.
  bool closed_by_server(bool cleanly = false) {
    if (buffered()) return false;
    char c;
    std::size_t got = 0;
    if (SSL_read_ex(ssl_, &c, 1, &got) == 1) return false;
    const int error = SSL_get_error(ssl_, 0);
    ERR_clear_error();
    return error == SSL_ERROR_ZERO_RETURN || (!cleanly && error == SSL_ERROR_SSL);
  }

  /// Sends close_notify.
  void close_notify() { REQUIRE(SSL_shutdown(ssl_) >= 0); }

 protected:
  std::size_t read_some(char* into, std::size_t size) override {
    std::size_t got = 0;
    if (SSL_read_ex(ssl_, into, size, &got) != 1)
      throw std::runtime_error("SSL_read: the server closed the connection or failed: " + openssl_error());
    return got;
  }

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

std::string get(std::string_view target, std::string_view extra_headers = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra_headers) + "\r\n";
}

using test_support::is_body_pattern;

struct stats {
  std::uint64_t requests = 0, connections = 0, accepted = 0;
};

stats read_stats(tls_client& c) {
  c.send(get("/stats"));
  const reply r = c.read_reply();
  REQUIRE(r.status == 200);
  auto number_after = [&](std::string_view key) {
    const std::size_t at = r.body.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoull(r.body.substr(at + key.size()));
  };
  return {number_after("\"requests\": "), number_after("\"connections\": "), number_after("\"accepted\": ")};
}

}  // namespace

TEST_CASE("ucannon-server TLS: GET / and /health over a verified handshake", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  tls_server server(certs);
  const ctx_ptr ctx = client_context(certs);
  tls_client c(server.port(), ctx.get());
  CHECK(SSL_get_verify_result(c.ssl()) == X509_V_OK);
  const unsigned char* alpn = nullptr;
  unsigned alpn_length = 0;
  SSL_get0_alpn_selected(c.ssl(), &alpn, &alpn_length);
  CHECK(std::string_view(reinterpret_cast<const char*>(alpn), alpn_length) == "http/1.1");

  c.send(get("/health"));
  reply r = c.read_reply();
  CHECK(r.status == 200);
  CHECK(r.body == "OK");

  c.send("POST /?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  r = c.read_reply();
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body == "{\"method\":\"POST\",\"target\":\"/?x=1\",\"version\":\"HTTP/1.1\",\"headers\":{\"Host\":\"h\","
                  "\"Content-Length\":\"5\"},\"body_length\":5}\n");

  c.send(get("/nowhere"));
  CHECK(c.read_reply().status == 404);

  // A clean close: our close_notify is answered with the server's.
  c.close_notify();
  CHECK(c.closed_by_server(true));
  CHECK(server.stop().first == 0);
}

TEST_CASE("ucannon-server TLS: pipelined requests in one record and across records", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  tls_server server(certs);
  const ctx_ptr ctx = client_context(certs);
  tls_client c(server.port(), ctx.get());

  std::string batch;
  for (int i = 0; i < 16; ++i) {
    if (i % 4 == 0) batch += get("/health");
    else if (i % 4 == 1) batch += get("/status/" + std::to_string(200 + i));
    else if (i % 4 == 2) batch += "POST /upload HTTP/1.1\r\nContent-Length: " + std::to_string(i) + "\r\n\r\n" + std::string(std::size_t(i), 'x');
    else batch += get("/bin/" + std::to_string(i));
  }
  auto check_batch = [&] {
    for (int i = 0; i < 16; ++i) {
      INFO("response " << i);
      const reply r = c.read_reply();
      if (i % 4 == 0) CHECK(r.body == "OK");
      else if (i % 4 == 1) CHECK(r.status == 200 + i);
      else if (i % 4 == 2) CHECK(r.body == std::to_string(i) + "\n");
      else CHECK(r.body.size() == std::size_t(i));
    }
  };
  c.send(batch);  // one record
  check_batch();
  for (std::size_t at = 0; at < batch.size(); at += 7) c.send(batch.substr(at, 7));  // many small records
  check_batch();

  // Around a delay and a streamed body the order holds, and an upload spans many records.
  c.send(get("/delay/20") + get("/status/202") + get("/bin/2M") + get("/status/203"));
  CHECK(c.read_reply().body == "delayed 20 ms\n");
  CHECK(c.read_reply().status == 202);
  const reply big = c.read_reply();
  CHECK(big.body.size() == 2u << 20);
  CHECK(is_body_pattern(big.body));
  CHECK(c.read_reply().status == 203);
  // Bodies that span many receives: the head's method and target are still what was sent when
  // the request completes, though the plaintext buffer they arrived in was refilled since.
  c.send("POST /upload HTTP/1.1\r\nContent-Length: 300000\r\n\r\n" + std::string(300000, 'u'));
  CHECK(c.read_reply().body == "300000\n");
  c.send("POST /bin/10?chunked=true HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'b'));
  const reply bin = c.read_reply();
  CHECK(bin.status == 200);
  CHECK(bin.chunks == 1);
  CHECK(bin.body == "ABCDEFGHIJ");
  CHECK(server.stop().first == 0);
}

TEST_CASE("ucannon-server TLS: /bin bodies arrive intact, inline, streamed and chunked", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  tls_server server(certs);
  const ctx_ptr ctx = client_context(certs);
  tls_client c(server.port(), ctx.get());

  for (const auto& [size, bytes] : {std::pair<const char*, std::size_t>{"1000", 1000}, {"64K", 64u << 10},
                                     {"1M", 1u << 20}, {"10M", 10u << 20}}) {
    INFO("/bin/" << size);
    c.send(get(std::string("/bin/") + size));
    const reply r = c.read_reply();
    CHECK(r.status == 200);
    CHECK(r.body.size() == bytes);
    CHECK(is_body_pattern(r.body));
  }
  c.send(get("/bin/200K?chunked=true"));
  const reply chunked = c.read_reply();
  CHECK(chunked.chunks == 4);
  CHECK(chunked.body.size() == 200u * 1024);
  CHECK(is_body_pattern(chunked.body));
  c.send(get("/chunked/3?size=5&delay=10"));
  CHECK(c.read_reply().body == "ABCDEFGHIJKLMNO");

  // Connection: close ends with the response, then close_notify.
  c.send(get("/bin/1M", "Connection: close\r\n"));
  const reply last = c.read_reply();
  CHECK(last.body.size() == 1u << 20);
  CHECK(last.header("connection") == "close");
  CHECK(c.closed_by_server(true));
  CHECK(server.stop().first == 0);
}

TEST_CASE("ucannon-server TLS: /stats counts requests and connections", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  tls_server server(certs);
  const ctx_ptr ctx = client_context(certs);
  tls_client a(server.port(), ctx.get());
  const stats first = read_stats(a);
  CHECK(first.requests == 1);
  CHECK(first.connections == 1);
  CHECK(first.accepted == 1);
  {
    tls_client b(server.port(), ctx.get());
    b.send(get("/health"));
    CHECK(b.read_reply().body == "OK");
    const stats second = read_stats(b);
    CHECK(second.requests == 3);
    CHECK(second.connections == 2);
    CHECK(second.accepted == 2);
  }
  const auto [code, out] = server.stop();
  CHECK(code == 0);
  CHECK(out.find("served 3 requests") != std::string::npos);
}

TEST_CASE("ucannon-server TLS: /ws upgrades and echoes over WSS", "[ucannon-server][tls][websocket]") {
  const test_support::test_certificates certs;
  tls_server server(certs);
  const ctx_ptr ctx = client_context(certs);
  tls_client c(server.port(), ctx.get());
  c.send(get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n"));
  const reply upgraded = c.read_reply();
  REQUIRE(upgraded.status == 101);
  CHECK(upgraded.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

  auto frame = [](ws::opcode op, std::string_view payload) {
    std::string out(ws::frame_size(payload.size(), true), '\0');
    out.resize(ws::encode_client_frame(out, op, payload, 0x0badf00du, true));
    return out;
  };
  ws::message_decoder decoder(ws::role::client);
  std::string pending;
  auto next_event = [&] {
    for (;;) {
      const auto [consumed, event] = decoder.decode(pending);
      pending.erase(0, consumed);
      if (event != ws::decode_event::need_more) return event;
      pending += c.take(1);
    }
  };

  c.send(frame(ws::opcode::text, "hello over TLS"));
  REQUIRE(next_event() == ws::decode_event::message);
  CHECK(decoder.message_opcode() == ws::opcode::text);
  CHECK(decoder.payload_view() == "hello over TLS");

  std::string binary(100000, '\0');  // more than one record each way
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = char(i * 7);
  c.send(frame(ws::opcode::binary, binary));
  REQUIRE(next_event() == ws::decode_event::message);
  CHECK(decoder.message_opcode() == ws::opcode::binary);
  CHECK(decoder.payload_view() == binary);

  c.send(frame(ws::opcode::ping, "p!"));
  REQUIRE(next_event() == ws::decode_event::pong);
  CHECK(decoder.payload_view() == "p!");

  std::array<char, ws::max_control_payload> close_payload{};
  const std::size_t close_size = ws::encode_close_payload(close_payload, 1000, "bye");
  c.send(frame(ws::opcode::close, std::string_view(close_payload.data(), close_size)));
  REQUIRE(next_event() == ws::decode_event::close);
  CHECK(decoder.close_code() == 1000);
  CHECK(c.closed_by_server(true));
  CHECK(server.stop().first == 0);
}

TEST_CASE("ucannon-server TLS: a second connection resumes the session", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  tls_server server(certs);
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    INFO("version " << std::hex << version);
    const ctx_ptr ctx = client_context(certs, version);
    session_ptr saved;
    {
      tls_client first(server.port(), ctx.get());
      CHECK(SSL_version(first.ssl()) == version);
      CHECK(SSL_session_reused(first.ssl()) == 0);
      first.send(get("/health"));  // a TLS 1.3 ticket arrives after the handshake: read past it
      CHECK(first.read_reply().body == "OK");
      saved.reset(SSL_get1_session(first.ssl()));
      REQUIRE(saved != nullptr);
      CHECK(SSL_SESSION_is_resumable(saved.get()) == 1);
      first.close_notify();
      CHECK(first.closed_by_server(true));
    }
    tls_client second(server.port(), ctx.get(), saved.get());
    CHECK(SSL_session_reused(second.ssl()) == 1);
    second.send(get("/health"));
    CHECK(second.read_reply().body == "OK");
  }
  CHECK(server.stop().first == 0);
}

TEST_CASE("ucannon-server TLS: what is not TLS is closed, and the server serves on", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  tls_server server(certs, {"--threads", "2"});
  const ctx_ptr ctx = client_context(certs);

  // A silent connection waits for its handshake (10 s at most) without holding anyone up.
  const int silent = test_support::connect_loopback(server.port());

  for (int attempt = 0; attempt < 3; ++attempt) {
    const int plain = test_support::connect_loopback(server.port());
    const std::string request = get("/health");
    REQUIRE(::send(plain, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size()));
    std::string received;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(plain, buffer, sizeof buffer, 0)) > 0) received.append(buffer, std::size_t(n));
    const int error = n < 0 ? errno : 0;
    ::close(plain);
    INFO("recv error: " << std::strerror(error));
    CHECK((error == 0 || error == ECONNRESET));  // closed, not left hanging (a timeout is EAGAIN)
    CHECK(received.find("HTTP/1.1") == std::string::npos);  // at most a TLS alert
  }

  // A client that does not trust the server's certificate fails its handshake; nothing breaks.
  {
    ctx_ptr untrusting(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(untrusting.get(), SSL_VERIFY_PEER, nullptr);
    const int fd = test_support::connect_loopback(server.port());
    SSL* ssl = SSL_new(untrusting.get());
    SSL_set_fd(ssl, fd);
    CHECK(SSL_connect(ssl) != 1);
    CHECK(SSL_get_verify_result(ssl) != X509_V_OK);
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
  }

  // Both threads still serve, and none of the failed connections was counted.
  std::vector<std::unique_ptr<tls_client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<tls_client>(server.port(), ctx.get()));
    clients.back()->send(get("/health"));
    CHECK(clients.back()->read_reply().body == "OK");
  }
  const stats now = read_stats(*clients.front());
  CHECK(now.accepted == 4);
  CHECK(now.requests == 5);
  ::close(silent);
  CHECK(server.running());
  CHECK(server.stop().first == 0);
}

TEST_CASE("ucannon-server TLS: unusable certificate or key flags", "[ucannon-server][tls]") {
  const test_support::test_certificates certs;
  struct row {
    std::vector<std::string> args;
    int status;
    std::string message;  ///< in stderr
  };
  const std::string missing = certs.dir() + "/missing.pem";
  const row rows[] = {
      {{"--tls-cert", missing, "--tls-key", certs.server_key_file()}, 1,
       "Error: TLS: cannot read certificate file '" + missing + "'"},
      {{"--tls-cert", certs.server_cert_file(), "--tls-key", missing}, 1, "Error: TLS: cannot read key file"},
      {{"--tls-cert", certs.server_key_file(), "--tls-key", certs.server_key_file()}, 1,
       "Error: TLS: no usable certificate"},
      {{"--tls-cert", certs.server_cert_file(), "--tls-key", certs.self_signed_key_file()}, 1, "does not match"},
      {{"--tls-cert", certs.server_cert_file()}, 2, "--tls-cert needs --tls-key"},
      {{"--tls-key", certs.server_key_file()}, 2, "--tls-key needs --tls-cert"},
  };
  for (const row& r : rows) {
    std::vector<std::string> args = {"--port", "0", "--quiet"};
    args.insert(args.end(), r.args.begin(), r.args.end());
    INFO(r.message);
    const auto run = test_support::run_program(URING_CANNON_SERVER_PATH, args, 10s);
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    CHECK(run.exit_code == r.status);
    CHECK(run.err.find(r.message) != std::string::npos);
    CHECK(run.out.find("listening on") == std::string::npos);
  }
}

#endif
