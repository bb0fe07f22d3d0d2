// TLS through memory BIOs: two sessions pumped into each other in memory (versions, ALPN, SNI,
// verification, resumption, alerts, close), then a client whose ciphertext goes through the
// ring talking HTTP to a blocking OpenSSL server on 127.0.0.1.
#include <uring_cannon/tls.hpp>
#include <uring_cannon/tls_stream.hpp>

#include "support/allocation_counter.hpp"
#include "support/loopback.hpp"
#include "support/test_certificate.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

const test_support::test_certificates& certificates() {
  static const test_support::test_certificates made;
  return made;
}

uc::tls_client_context client_context(uc::tls_client_options options = {}) {
  if (options.ca_file.empty() && !options.insecure) options.ca_file = certificates().ca_file();
  auto made = uc::tls_client_context::create(options);
  INFO(made.error());
  REQUIRE(made);
  return std::move(*made);
}

uc::tls_server_context server_context(uc::tls_server_options options = {}) {
  if (options.cert_file.empty()) options.cert_file = certificates().server_cert_file();
  if (options.key_file.empty()) options.key_file = certificates().server_key_file();
  auto made = uc::tls_server_context::create(options);
  INFO(made.error());
  REQUIRE(made);
  return std::move(*made);
}

/// Moves everything `from` has to send into `to`, as a socket would.
void pump(uc::tls_session& from, uc::tls_session& to) {
  for (auto out = from.pending_ciphertext(); !out.empty(); out = from.pending_ciphertext()) {
    to.feed_ciphertext(out);
    from.consume_ciphertext(out.size());
  }
}

/// Runs both handshakes to the end (true) or to a failure of either side (false).
bool handshake_in_memory(uc::tls_session& client, uc::tls_session& server) {
  for (int round = 0; round < 8; ++round) {
    const auto c = client.handshake();
    pump(client, server);
    const auto s = server.handshake();
    pump(server, client);
    if (c == uc::tls_handshake_status::failed || s == uc::tls_handshake_status::failed) {
      (void)client.handshake();  // each side reads the alert the other sent
      pump(client, server);
      (void)server.handshake();
      return false;
    }
    if (c == uc::tls_handshake_status::done && s == uc::tls_handshake_status::done) return true;
  }
  return false;
}

/// A client and a server session over the given contexts, handshake not yet run.
struct session_pair {
  uc::tls_session client, server;
  session_pair(const uc::tls_client_context& c, const uc::tls_server_context& s, std::string_view name = "localhost") {
    auto started = client.start_client(c, name);
    INFO(started.error());
    REQUIRE(started);
    REQUIRE(server.start_server(s));
  }
  bool connect() { return handshake_in_memory(client, server); }
};

std::span<const std::byte> bytes_of(std::string_view text) { return uc::as_bytes(text); }

/// Reads all the plaintext `session` can produce now.
std::string read_all(uc::tls_session& session, uc::tls_read_status& last) {
  std::string text;
  std::array<std::byte, 4096> buffer;
  for (;;) {
    const auto r = session.read_plaintext(buffer);
    last = r.status;
    if (r.status != uc::tls_read_status::data) return text;
    text.append(reinterpret_cast<const char*>(buffer.data()), r.size);
  }
}

std::string read_all(uc::tls_session& session) {
  uc::tls_read_status ignored;
  return read_all(session, ignored);
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

TEST_CASE("tls in-memory handshake and data in both directions", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  session_pair p(cctx, sctx);
  REQUIRE_FALSE(p.client.handshake_done());
  REQUIRE(p.connect());
  CHECK(p.client.handshake_done());
  CHECK(p.server.handshake_done());
  CHECK(p.client.protocol_version() == "TLSv1.3");
  CHECK_FALSE(p.client.cipher().empty());
  CHECK(p.client.cipher() == p.server.cipher());
  CHECK_FALSE(p.client.session_reused());
  CHECK(p.client.error_text().empty());

  REQUIRE(p.client.write_plaintext("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  pump(p.client, p.server);
  CHECK(read_all(p.server) == "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  REQUIRE(p.server.write_plaintext("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  pump(p.server, p.client);
  CHECK(read_all(p.client) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK(cctx.full_handshakes() == 1);
  CHECK(cctx.resumptions() == 0);
}

TEST_CASE("tls 1.2 and 1.3 both negotiate when forced", "[tls]") {
  const auto [version, name] = GENERATE(std::pair{uc::tls_version::tls1_2, "TLSv1.2"},
                                        std::pair{uc::tls_version::tls1_3, "TLSv1.3"});
  SECTION("forced by the client") {
    auto cctx = client_context({.min_version = version, .max_version = version});
    auto sctx = server_context();
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.protocol_version() == name);
    CHECK(p.server.protocol_version() == name);
  }
  SECTION("forced by the server") {
    auto cctx = client_context();
    auto sctx = server_context({.min_version = version, .max_version = version});
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.protocol_version() == name);
  }
}

TEST_CASE("tls versions that do not overlap fail with a named reason", "[tls]") {
  auto cctx = client_context({.min_version = uc::tls_version::tls1_3});
  auto sctx = server_context({.max_version = uc::tls_version::tls1_2});
  session_pair p(cctx, sctx);
  REQUIRE_FALSE(p.connect());
  INFO(p.client.error_text() << " / " << p.server.error_text());
  CHECK(p.server.error_text() == "TLS: unsupported protocol");
  CHECK(p.client.error_text() == "TLS: received fatal alert: protocol version");
}

TEST_CASE("tls ALPN settles on http/1.1, and on nothing when nothing is in common", "[tls]") {
  auto sctx = server_context();
  SECTION("http/1.1 offered") {
    auto cctx = client_context();
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.negotiated_alpn() == "http/1.1");
    CHECK(p.server.negotiated_alpn() == "http/1.1");
  }
  SECTION("the server's first choice wins among several offered") {
    auto cctx = client_context({.alpn = "h2, http/1.1"});
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.negotiated_alpn() == "http/1.1");
  }
  SECTION("only h2 offered") {
    auto cctx = client_context({.alpn = "h2"});
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.negotiated_alpn().empty());
  }
  SECTION("no ALPN offered") {
    auto cctx = client_context({.alpn = ""});
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.negotiated_alpn().empty());
  }
  SECTION("a malformed list is refused when the context is made") {
    auto made = uc::tls_client_context::create({.alpn = "http/1.1,,h2"});
    REQUIRE_FALSE(made);
    CHECK(contains(made.error(), "ALPN"));
  }
}

TEST_CASE("tls SNI reaches the server for names, not for addresses", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  SECTION("a host name") {
    session_pair p(cctx, sctx, "localhost");
    REQUIRE(p.connect());
    CHECK(p.server.server_name() == "localhost");
    CHECK(p.client.server_name() == "localhost");
  }
  SECTION("an IP address is verified against the certificate's IP entry, and sends no SNI") {
    session_pair p(cctx, sctx, "127.0.0.1");
    INFO(p.client.error_text());
    REQUIRE(p.connect());
    CHECK(p.server.server_name().empty());
  }
}

TEST_CASE("tls verification: trusted, untrusted, self-signed, insecure, wrong host", "[tls]") {
  auto sctx = server_context();
  SECTION("a certificate from the trusted CA is accepted") {
    auto cctx = client_context();
    CHECK(cctx.verifies());
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
  }
  SECTION("a certificate from a CA the system does not trust is refused, and says so") {
    auto made = uc::tls_client_context::create({});  // the system's store knows nothing of our CA
    REQUIRE(made);
    session_pair p(*made, sctx);
    REQUIRE_FALSE(p.connect());
    CHECK(p.client.error_text() == "TLS: certificate verify failed: unable to get local issuer certificate");
    // The client's alert reached the server, which names it.
    CHECK(p.server.error_text() == "TLS: received fatal alert: unknown CA");
  }
  SECTION("a self-signed certificate is refused, and says so") {
    auto stranger = server_context({.cert_file = certificates().self_signed_cert_file(),
                                    .key_file = certificates().self_signed_key_file()});
    auto cctx = client_context();
    session_pair p(cctx, stranger);
    REQUIRE_FALSE(p.connect());
    INFO(p.client.error_text());
    CHECK(contains(p.client.error_text(), "TLS: certificate verify failed: self"));
    CHECK(contains(p.client.error_text(), "signed certificate"));
  }
  SECTION("insecure accepts an untrusted certificate") {
    auto cctx = client_context({.insecure = true});
    CHECK_FALSE(cctx.verifies());
    auto stranger = server_context({.cert_file = certificates().self_signed_cert_file(),
                                    .key_file = certificates().self_signed_key_file()});
    session_pair p(cctx, stranger, "some.other.name");
    REQUIRE(p.connect());
    CHECK(p.client.error_text().empty());
  }
  SECTION("a certificate for another name is refused") {
    auto cctx = client_context();
    session_pair p(cctx, sctx, "example.com");
    REQUIRE_FALSE(p.connect());
    CHECK(p.client.error_text() == "TLS: certificate verify failed: hostname mismatch");
  }
  SECTION("a certificate for another address is refused") {
    auto cctx = client_context();
    session_pair p(cctx, sctx, "127.0.0.2");
    REQUIRE_FALSE(p.connect());
    CHECK(p.client.error_text() == "TLS: certificate verify failed: IP address mismatch");
  }
  SECTION("verification needs a name") {
    auto cctx = client_context();
    uc::tls_session s;
    auto started = s.start_client(cctx, "");
    REQUIRE_FALSE(started);
    CHECK(contains(started.error(), "server name"));
    CHECK(s.handshake() == uc::tls_handshake_status::failed);  // no unverified connection by mistake
  }
}

TEST_CASE("tls contexts report unusable files clearly", "[tls]") {
  SECTION("a CA file that does not exist") {
    auto made = uc::tls_client_context::create({.ca_file = certificates().dir() + "/missing.pem"});
    REQUIRE_FALSE(made);
    CHECK(made.error() == "TLS: cannot read CA file '" + certificates().dir() + "/missing.pem': No such file or directory");
  }
  SECTION("a CA file with no certificate in it") {
    const std::string path = certificates().dir() + "/not_a_ca.pem";
    std::ofstream(path) << "this is not a certificate\n";
    auto made = uc::tls_client_context::create({.ca_file = path});
    REQUIRE_FALSE(made);
    CHECK(contains(made.error(), "TLS: no usable certificate in CA file '" + path + "'"));
  }
  SECTION("a server key that does not match its certificate") {
    auto made = uc::tls_server_context::create(
        {.cert_file = certificates().server_cert_file(), .key_file = certificates().self_signed_key_file()});
    REQUIRE_FALSE(made);
    CHECK(made.error() == "TLS: the key in '" + certificates().self_signed_key_file() +
                              "' does not match the certificate in '" + certificates().server_cert_file() + "'");
  }
  SECTION("a missing server certificate") {
    auto made = uc::tls_server_context::create({.cert_file = "/nonexistent/cert.pem", .key_file = "/nonexistent/key.pem"});
    REQUIRE_FALSE(made);
    CHECK(made.error() == "TLS: cannot read certificate file '/nonexistent/cert.pem': No such file or directory");
  }
  SECTION("versions the wrong way round") {
    auto made = uc::tls_client_context::create({.min_version = uc::tls_version::tls1_3,
                                                .max_version = uc::tls_version::tls1_2});
    REQUIRE_FALSE(made);
    CHECK(contains(made.error(), "minimum version"));
  }
}

TEST_CASE("tls a second connection with the same client context resumes", "[tls]") {
  const auto version = GENERATE(uc::tls_version::tls1_2, uc::tls_version::tls1_3);
  auto cctx = client_context({.min_version = version, .max_version = version});
  auto sctx = server_context();
  {
    session_pair first(cctx, sctx);
    REQUIRE(first.connect());
    CHECK_FALSE(first.client.session_reused());
    // TLS 1.3 tickets come after the handshake: one read takes them in.
    uc::tls_read_status last;
    CHECK(read_all(first.client, last).empty());
    CHECK(last == uc::tls_read_status::would_block);
  }
  for (int again = 0; again < 2; ++again) {
    session_pair next(cctx, sctx);
    REQUIRE(next.connect());
    CHECK(next.client.session_reused());
    CHECK(next.server.session_reused());
    (void)read_all(next.client);
  }
  CHECK(cctx.full_handshakes() == 1);
  CHECK(cctx.resumptions() == 2);

  SECTION("not after the session is forgotten") {
    cctx.forget_session();
    session_pair p(cctx, sctx);
    REQUIRE(p.connect());
    CHECK_FALSE(p.client.session_reused());
  }
  SECTION("not for another server name") {
    session_pair p(cctx, sctx, "127.0.0.1");
    REQUIRE(p.connect());
    CHECK_FALSE(p.client.session_reused());
  }
  SECTION("after a move of the context") {
    uc::tls_client_context moved = std::move(cctx);
    session_pair p(moved, sctx);
    REQUIRE(p.connect());
    CHECK(p.client.session_reused());
    CHECK(moved.resumptions() == 3);
  }
}

TEST_CASE("tls a restarted session resumes too and keeps working", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  uc::tls_session client, server;
  for (int connection = 0; connection < 3; ++connection) {
    REQUIRE(client.start_client(cctx, "localhost"));
    REQUIRE(server.start_server(sctx));
    REQUIRE(handshake_in_memory(client, server));
    CHECK(client.session_reused() == (connection > 0));
    REQUIRE(client.write_plaintext("ping"));
    pump(client, server);
    CHECK(read_all(server) == "ping");
    REQUIRE(server.write_plaintext("pong"));
    pump(server, client);
    CHECK(read_all(client) == "pong");
  }
}

TEST_CASE("tls a tampered record draws a fatal alert that the other side names", "[tls]") {
  const auto version = GENERATE(uc::tls_version::tls1_2, uc::tls_version::tls1_3);
  auto cctx = client_context({.max_version = version});
  auto sctx = server_context();
  session_pair p(cctx, sctx);
  REQUIRE(p.connect());
  (void)read_all(p.client);

  REQUIRE(p.client.write_plaintext("GET / HTTP/1.1\r\n\r\n"));
  auto out = p.client.pending_ciphertext();
  std::vector<std::byte> record(out.begin(), out.end());
  p.client.consume_ciphertext(out.size());
  record.back() ^= std::byte{0x01};  // the tag no longer matches
  p.server.feed_ciphertext(record);
  uc::tls_read_status last;
  CHECK(read_all(p.server, last).empty());
  CHECK(last == uc::tls_read_status::error);
  CHECK(p.server.failed());
  CHECK(p.server.error_text() == "TLS: decryption failed or bad record mac");

  pump(p.server, p.client);  // the server's alert
  CHECK(read_all(p.client, last).empty());
  CHECK(last == uc::tls_read_status::error);
  CHECK(p.client.error_text() == "TLS: received fatal alert: bad record mac");
  // A failed session stays failed.
  CHECK_FALSE(p.client.write_plaintext("more"));
  CHECK(p.client.read_plaintext(std::span<std::byte>()).status == uc::tls_read_status::error);
}

TEST_CASE("tls garbage instead of a record is an error with words", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  session_pair p(cctx, sctx);
  REQUIRE(p.connect());
  p.client.feed_ciphertext(bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  uc::tls_read_status last;
  CHECK(read_all(p.client, last).empty());
  CHECK(last == uc::tls_read_status::error);
  INFO(p.client.error_text());
  CHECK(p.client.error_text().rfind("TLS: ", 0) == 0);
  CHECK_FALSE(contains(p.client.error_text(), "unknown error"));
  CHECK(p.client.error_text().size() > 10);
}

TEST_CASE("tls close_notify reads as closed; a cut stream as an error after its data", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  session_pair p(cctx, sctx);
  REQUIRE(p.connect());
  REQUIRE(p.server.write_plaintext("last words"));
  SECTION("close_notify") {
    REQUIRE(p.server.write_close_notify());
    pump(p.server, p.client);
    uc::tls_read_status last;
    CHECK(read_all(p.client, last) == "last words");
    CHECK(last == uc::tls_read_status::closed);
    CHECK_FALSE(p.client.failed());
  }
  SECTION("end of stream without close_notify") {
    pump(p.server, p.client);
    p.client.feed_end_of_stream();
    uc::tls_read_status last;
    CHECK(read_all(p.client, last) == "last words");
    CHECK(last == uc::tls_read_status::error);
    CHECK(p.client.error_text() == "TLS: the peer closed the connection without close_notify");
  }
  SECTION("end of stream during the handshake") {
    session_pair q(cctx, sctx);
    CHECK(q.client.handshake() == uc::tls_handshake_status::want_io);
    q.client.feed_end_of_stream();
    CHECK(q.client.handshake() == uc::tls_handshake_status::failed);
    CHECK(q.client.error_text() == "TLS: the peer closed the connection during the handshake");
  }
}

TEST_CASE("tls pending ciphertext stays put until consumed, later output waits behind it", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  session_pair p(cctx, sctx);
  REQUIRE(p.connect());
  REQUIRE(p.client.write_plaintext("first"));
  const auto first = p.client.pending_ciphertext();
  const std::vector<std::byte> first_copy(first.begin(), first.end());
  REQUIRE(p.client.write_plaintext("second"));  // as if while a send of `first` is in flight
  const auto again = p.client.pending_ciphertext();
  CHECK(again.data() == first.data());
  CHECK(again.size() == first.size());
  CHECK(std::memcmp(again.data(), first_copy.data(), first_copy.size()) == 0);
  p.server.feed_ciphertext(first.first(3));  // a partial send
  p.client.consume_ciphertext(3);
  pump(p.client, p.server);
  CHECK(read_all(p.server) == "firstsecond");
  CHECK(p.client.pending_ciphertext().empty());
}

TEST_CASE("tls large writes span records; the steady state allocates nothing of ours", "[tls]") {
  auto cctx = client_context();
  auto sctx = server_context();
  session_pair p(cctx, sctx);
  REQUIRE(p.connect());
  std::string big(100'000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 997) big[i] = char('a' + i % 26);
  REQUIRE(p.client.write_plaintext(big));
  CHECK(p.client.pending_ciphertext().size() > big.size());  // seven records, each with overhead
  pump(p.client, p.server);
  CHECK(read_all(p.server) == big);

  const std::string request(1200, 'r');
  std::array<std::byte, 16384> plain;
  auto round_trip = [&] {
    bool ok = p.client.write_plaintext(request);
    pump(p.client, p.server);
    ok = ok && p.server.read_plaintext(plain).size == request.size();
    ok = ok && p.server.write_plaintext(request);
    pump(p.server, p.client);
    ok = ok && p.client.read_plaintext(plain).size == request.size();
    return ok;
  };
  for (int i = 0; i < 10; ++i) REQUIRE(round_trip());  // warm
  const auto before = test_support::allocations_on_this_thread();
  bool all_ok = true;
  for (int i = 0; i < 1000; ++i) all_ok = round_trip() && all_ok;
  const auto made = test_support::allocations_on_this_thread() - before;
  CHECK(all_ok);
  if (test_support::counting_allocations()) CHECK(made == 0);
}

TEST_CASE("tls version names parse", "[tls]") {
  CHECK(*uc::parse_tls_version("1.2") == uc::tls_version::tls1_2);
  CHECK(*uc::parse_tls_version("TLSv1.3") == uc::tls_version::tls1_3);
  auto bad = uc::parse_tls_version("1.1");
  REQUIRE_FALSE(bad);
  CHECK(contains(bad.error(), "1.1"));
}

TEST_CASE("tls kernel_tls_available agrees with the kernel's list", "[tls]") {
  std::ifstream file("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string word;
  bool listed = false;
  while (file >> word) listed = listed || word == "tls";
  CHECK(uc::kernel_tls_available() == listed);
}

// ---- over loopback, the ciphertext moved by io_uring ---------------------------------------------

namespace {

/// What the blocking test server saw on one connection.
struct served_connection {
  std::string request;
  std::string server_name;
  std::string alpn;
  bool reused = false;
  std::string error;
};

/// A TLS server on 127.0.0.1 with a plain thread and blocking sockets (SSL_set_fd: fine for a
/// test server). It serves `connections` connections: reads one request head, answers with
/// `body`, sends close_notify and closes. Every wait is bounded.
class blocking_tls_server {
 public:
  blocking_tls_server(const uc::tls_server_context& ctx, int connections, std::string body)
      : ctx_(ctx), listener_(test_support::loopback_listener()), body_(std::move(body)) {
    served_.resize(std::size_t(connections));
    thread_ = std::thread([this] {
      for (auto& served : served_) serve_one(served);
    });
  }
  ~blocking_tls_server() { join(); }
  uc::endpoint endpoint() const { return listener_.local_endpoint(); }
  /// Read these after join().
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<served_connection>& served() const { return served_; }

 private:
  void serve_one(served_connection& served) {
    pollfd ready{listener_.fd(), POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) {
      served.error = "no connection";
      return;
    }
    const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      served.error = "accept failed";
      return;
    }
    timeval limit{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    SSL* ssl = SSL_new(ctx_.native());
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      served.server_name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : "";
      const unsigned char* alpn = nullptr;
      unsigned alpn_length = 0;
      SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
      served.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
      served.reused = SSL_session_reused(ssl) == 1;
      char buffer[4096];
      while (served.request.find("\r\n\r\n") == std::string::npos) {
        const int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0) break;
        served.request.append(buffer, std::size_t(n));
      }
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
      if (SSL_write(ssl, response.data(), int(response.size())) != int(response.size())) served.error = "write failed";
      SSL_shutdown(ssl);
    } else {
      char text[256];
      ERR_error_string_n(ERR_get_error(), text, sizeof text);
      served.error = text;
    }
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
  }

  const uc::tls_server_context& ctx_;
  uc::listener listener_;
  std::string body_;
  std::vector<served_connection> served_;
  std::thread thread_;
};

struct fetched {
  std::string handshake_error;
  std::string response;
  std::string protocol;
  std::string alpn;
  bool reused = false;
  bool closed_cleanly = false;
};

/// Connects, handshakes, sends one request and reads the response until close_notify, all
/// through the ring.
uc::task<fetched> fetch(uc::scheduler& s, uc::endpoint server, const uc::tls_client_context& ctx,
                        std::string server_name, uc::buffer_ring& buffers) {
  fetched result;
  auto connected = co_await uc::tcp_stream::connect(s, server, 5s);
  CO_REQUIRE(connected);
  uc::tcp_stream conn = std::move(*connected);
  uc::tls_session tls;  // outlives every operation of this frame: each is awaited to its end
  CO_REQUIRE(tls.start_client(ctx, server_name));
  auto shaken = co_await uc::tls_handshake(s, conn.fd(), tls, buffers, 5s);
  if (!shaken) {
    result.handshake_error = shaken.error();
    co_return result;
  }
  result.protocol = std::string(tls.protocol_version());
  result.alpn = std::string(tls.negotiated_alpn());
  result.reused = tls.session_reused();
  const std::string_view request = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
  auto sent = co_await uc::tls_send(s, conn.fd(), tls, uc::as_bytes(request));
  CO_REQUIRE(sent);
  CO_REQUIRE(*sent == request.size());
  auto incoming = conn.receiver(buffers);
  std::array<std::byte, 4096> plain;
  for (;;) {
    auto got = co_await uc::tls_recv(tls, incoming, plain);
    CO_REQUIRE(got);
    if (*got == 0) break;
    result.response.append(reinterpret_cast<const char*>(plain.data()), *got);
  }
  result.closed_cleanly = true;
  co_return result;
}

/// Runs `t` on `s` for at most `limit`; nothing if it did not finish.
template <class T>
std::optional<T> run_bounded(uc::scheduler& s, uc::task<T> t, std::chrono::seconds limit) {
  std::optional<T> out;
  s.spawn([](uc::task<T> inner, std::optional<T>& into) -> uc::task<> {
    into.emplace(co_await std::move(inner));
  }(std::move(t), out));
  s.run_for(limit);
  return out;
}

}  // namespace

TEST_CASE("tls over loopback an io_uring client and a blocking server exchange HTTP, then resume", "[tls]") {
  const auto version = GENERATE(uc::tls_version::tls1_2, uc::tls_version::tls1_3);
  auto cctx = client_context({.max_version = version});
  auto sctx = server_context();
  const std::string body(50'000, 'b');  // several records and several receives
  blocking_tls_server server(sctx, 2, body);
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(64, 4096);

  for (int connection = 0; connection < 2; ++connection) {
    auto got = run_bounded(s, fetch(s, server.endpoint(), cctx, "localhost", buffers), 10s);
    REQUIRE(got.has_value());
    INFO(got->handshake_error);
    REQUIRE(got->handshake_error.empty());
    CHECK(got->protocol == (version == uc::tls_version::tls1_2 ? "TLSv1.2" : "TLSv1.3"));
    CHECK(got->alpn == "http/1.1");
    CHECK(got->reused == (connection == 1));
    CHECK(got->closed_cleanly);
    CHECK(got->response == "HTTP/1.1 200 OK\r\nContent-Length: 50000\r\n\r\n" + body);
  }
  server.join();
  REQUIRE(server.served().size() == 2);
  for (const auto& served : server.served()) {
    CHECK(served.error.empty());
    CHECK(served.request == "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    CHECK(served.server_name == "localhost");
    CHECK(served.alpn == "http/1.1");
  }
  CHECK_FALSE(server.served()[0].reused);
  CHECK(server.served()[1].reused);
  CHECK(cctx.resumptions() == 1);
}

TEST_CASE("tls over loopback an untrusted server fails the handshake with a clear message", "[tls]") {
  auto cctx = uc::tls_client_context::create({});  // the system's store: our CA is unknown
  REQUIRE(cctx);
  auto sctx = server_context();
  blocking_tls_server server(sctx, 1, "never sent");
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(16, 4096);
  auto got = run_bounded(s, fetch(s, server.endpoint(), *cctx, "localhost", buffers), 10s);
  REQUIRE(got.has_value());
  CHECK(got->handshake_error == "TLS: certificate verify failed: unable to get local issuer certificate");
  server.join();
  INFO(server.served()[0].error);
  CHECK(contains(server.served()[0].error, "unknown ca"));  // our alert reached the server
}

TEST_CASE("tls over loopback a silent server times the handshake out", "[tls]") {
  auto cctx = client_context();
  auto silent = test_support::loopback_listener();  // the kernel completes the connect; nobody speaks
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(16, 4096);
  auto attempt = [&]() -> uc::task<std::string> {
    auto connected = co_await uc::tcp_stream::connect(s, silent.local_endpoint(), 5s);
    CO_REQUIRE(connected);
    uc::tls_session tls;
    CO_REQUIRE(tls.start_client(cctx, "localhost"));
    auto shaken = co_await uc::tls_handshake(s, connected->fd(), tls, buffers, 200ms);
    co_return shaken ? std::string("no error") : shaken.error();
  };
  const auto started = std::chrono::steady_clock::now();
  auto got = run_bounded(s, attempt(), 10s);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(got.has_value());
  CHECK(*got == "TLS handshake timed out");
  CHECK(took >= 150ms);
  CHECK(took < 5s);
}

TEST_CASE("tls over loopback a server that closes during the handshake is reported", "[tls]") {
  auto cctx = client_context();
  auto listener = test_support::loopback_listener();
  std::thread closer([&] {
    pollfd ready{listener.fd(), POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) return;
    const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    char hello[512];
    timeval limit{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    (void)::recv(fd, hello, sizeof hello, 0);  // take the ClientHello so the close is a clean FIN
    ::shutdown(fd, SHUT_WR);
    (void)::recv(fd, hello, sizeof hello, 0);
    ::close(fd);
  });
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(16, 4096);
  auto got = run_bounded(s, fetch(s, listener.local_endpoint(), cctx, "localhost", buffers), 10s);
  closer.join();
  REQUIRE(got.has_value());
  CHECK(got->handshake_error == "TLS: the peer closed the connection during the handshake");
}
