// ucannon against https:// targets, end to end: nginx from Debian with a certificate this test
// makes, session resumption across -r reconnects, an untrusted certificate, and a TLS server that
// breaks the stream with a bad record after its first response.

#if defined(URING_CANNON_WITH_TLS) && defined(URING_CANNON_CLI_PATH)

#include "support/child_process.hpp"
#include "support/json_reader.hpp"
#include "support/loopback.hpp"
#include "support/test_certificate.hpp"
#include "support/ucannon_runs.hpp"

#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using test_support::parse_json;
using namespace std::chrono_literals;

namespace {

using temp_home = test_support::temp_dir;

test_support::finished_process ucannon(std::vector<std::string> args, const temp_home& home) {
  return test_support::run_ucannon(std::move(args), home, 20s);
}

/// The first of `names` found on PATH (or in /usr/sbin, where Debian puts nginx), or "".
std::string find_program(std::initializer_list<const char*> names) {
  for (const char* name : names)
    for (const std::string dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"})
      if (::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return {};
}

/// nginx serving HTTPS on a free 127.0.0.1 port with `cert`/`key`, from its own directory, in the
/// foreground; stopped at the end of the scope.
class nginx_tls {
 public:
  nginx_tls(const std::string& program, const test_support::temp_dir& dir, const std::string& cert,
            const std::string& key) {
    port_ = test_support::closed_port();  // a free port, released for nginx
    const std::string conf = dir.file("nginx.conf");
    std::ofstream(conf) << "daemon off;\nworker_processes 1;\npid " << dir.file("nginx.pid") << ";\nerror_log "
                        << dir.file("error.log") << ";\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n"
                        << "  client_body_temp_path " << dir.file("body") << ";\n  proxy_temp_path " << dir.file("proxy")
                        << ";\n  fastcgi_temp_path " << dir.file("fcgi") << ";\n  uwsgi_temp_path " << dir.file("uwsgi")
                        << ";\n  scgi_temp_path " << dir.file("scgi") << ";\n  keepalive_requests 1000000;\n"
                        << "  server {\n    listen 127.0.0.1:" << port_ << " ssl;\n    ssl_certificate " << cert
                        << ";\n    ssl_certificate_key " << key << ";\n    ssl_session_cache shared:tls:1m;\n"
                        << "    location = /small { return 200 \"Hello, World!\"; }\n  }\n}\n";
    process_.emplace(program, std::vector<std::string>{"-p", dir.path, "-c", conf, "-e", dir.file("error.log")});
    for (int i = 0; i < 200 && !accepting(); ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(accepting());
  }
  nginx_tls(const nginx_tls&) = delete;
  ~nginx_tls() {  // SIGTERM, not the SIGKILL child_process ends with: the master takes its workers along
    if (process_) {
      process_->signal(SIGTERM);
      (void)process_->wait(5s);
    }
  }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/small";
  }

 private:
  bool accepting() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const auto peer = *uring_cannon::endpoint::from_literal("127.0.0.1", port_);
    const bool ok = ::connect(fd, peer.data(), peer.size()) == 0;
    ::close(fd);
    return ok;
  }
  std::uint16_t port_ = 0;
  std::optional<test_support::child_process> process_;
};

/// A TLS server on a free loopback port that answers the first request on each connection and
/// then sends bytes that are not a TLS record: the client sees a broken stream mid-connection.
class breaking_tls_server {
 public:
  explicit breaking_tls_server(const test_support::test_certificates& certs)
      : listener_(test_support::loopback_listener()), port_(listener_.local_endpoint().port()) {
    ::signal(SIGPIPE, SIG_IGN);  // SSL_write to a client that already left must not end the test run
    ctx_ = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate_file(ctx_, certs.server_cert_file().c_str(), SSL_FILETYPE_PEM) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx_, certs.server_key_file().c_str(), SSL_FILETYPE_PEM) == 1);
    thread_ = std::thread([this] { serve(); });
  }
  ~breaking_tls_server() {
    stop_ = true;
    thread_.join();
    SSL_CTX_free(ctx_);
  }
  std::string url() const { return "https://localhost:" + std::to_string(port_) + "/"; }
  std::uint64_t broken() const { return broken_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listener_.fd(), nullptr, nullptr);
      if (fd < 0) continue;
      timeval limit{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      char request[4096];
      if (SSL_accept(ssl) == 1 && SSL_read(ssl, request, sizeof request) > 0) {
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
        SSL_write(ssl, reply.data(), int(reply.size()));
        const char garbage[] = "\x17\x03\x03\x00\x10not a real record";  // an application record that fails to decrypt
        (void)::send(fd, garbage, sizeof garbage - 1, MSG_NOSIGNAL);
        ++broken_;
        (void)SSL_read(ssl, request, sizeof request);  // the client's alert, or its close
      }
      SSL_free(ssl);
      ::close(fd);
    }
  }
  uring_cannon::listener listener_;
  std::uint16_t port_;
  SSL_CTX* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> broken_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("ucannon https: nginx with a test certificate and resumed sessions",
          "[ucannon][tls]") {
  const std::string nginx = find_program({"nginx"});
  if (nginx.empty()) {
    WARN("nginx not found: install Debian's nginx package to run the https check against it");
    return;
  }
  test_support::test_certificates certs;
  test_support::temp_dir dir;
  nginx_tls server(nginx, dir, certs.server_cert_file(), certs.server_key_file());
  temp_home home;

  const auto trusted = ucannon({server.url("localhost"), "-c", "4", "-d", "1", "--cacert", certs.ca_file(), "--json"}, home);
  INFO(trusted.out << trusted.err);
  REQUIRE(trusted.exit_code == 0);
  const auto j = parse_json(trusted.out);
  CHECK(j["responses"].u64() > 100);
  CHECK(j["status"]["2xx"].u64() == j["responses"].u64());
  CHECK(j["tls"]["handshakes"].u64() >= 4);
  CHECK(j["tls"]["version"].text.rfind("TLSv1.", 0) == 0);
  CHECK(j["tls"]["first_error"].text.empty());

  // -r 5: a reconnect every five responses, each resuming the session the last one left.
  const auto again = ucannon({server.url("localhost"), "-c", "2", "-d", "1", "-r", "5", "--cacert", certs.ca_file(),
                              "--json"}, home);
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  const auto k = parse_json(again.out);
  CHECK(k["reconnects"].u64() > 10);
  CHECK(k["tls"]["resumed"].u64() > k["tls"]["handshakes"].u64() / 2);
}

TEST_CASE("ucannon https: a broken record mid-stream is a counted read error, and the run goes on",
          "[ucannon][tls]") {
  test_support::test_certificates certs;
  breaking_tls_server server(certs);
  temp_home home;
  const auto r = ucannon({server.url(), "-c", "1", "-d", "1", "--warmup", "0", "--cacert", certs.ca_file(), "--json"},
                         home);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = parse_json(r.out);
  CHECK(j["responses"].u64() >= 2);                  // one per connection before the break
  CHECK(j["errors"]["read"].u64() >= 2);             // each break is a read error ...
  CHECK(j["error_classes"]["read_other"].u64() == j["errors"]["read"].u64());
  CHECK(j["tls"]["first_error"].text.find("TLS") == 0);  // ... with its words kept
  CHECK(server.broken() >= j["errors"]["read"].u64());
}

#ifdef URING_CANNON_SERVER_PATH
TEST_CASE("ucannon https and wss against ucannon-server --tls-cert: trust, bodies, resumption and WebSocket echo",
          "[ucannon][tls]") {
  test_support::test_certificates certs;
  test_support::child_process server(URING_CANNON_SERVER_PATH,
                                     {"--port", "0", "--quiet", "--tls-cert", certs.server_cert_file(), "--tls-key",
                                      certs.server_key_file()});
  const std::string first = server.read_stdout_until("\n", 10s);
  const std::string prefix = "listening on 127.0.0.1:";
  REQUIRE(first.rfind(prefix, 0) == 0);
  const std::string port = std::to_string(std::stoi(first.substr(prefix.size())));
  const std::string base = "https://localhost:" + port;
  temp_home home;

  // Not trusted: the system's CAs do not know the test CA. A clear error, and exit 4.
  const auto untrusted = ucannon({base + "/", "-c", "2", "-d", "500ms"}, home);
  CHECK(untrusted.exit_code == 4);
  CHECK(untrusted.err.find("certificate verify failed") != std::string::npos);
  CHECK(untrusted.out.find("TLS error: TLS: certificate verify failed") != std::string::npos);

  const auto insecure = ucannon({"https://127.0.0.1:" + port + "/", "-c", "2", "-d", "500ms", "--insecure", "--json"}, home);
  CHECK(insecure.exit_code == 0);
  CHECK(parse_json(insecure.out)["responses"].u64() > 0);

  test_support::temp_dir dir;
  const auto bad_ca = ucannon({base + "/", "--cacert", dir.file("missing.pem")}, home);
  CHECK(bad_ca.exit_code == 1);
  CHECK(bad_ca.err.find("missing.pem") != std::string::npos);

  // No warm-up: a body that began during one would count as a response without all its bytes.
  const auto bodies = ucannon({base + "/bin/64K", "-c", "4", "-d", "1", "-r", "3", "--warmup", "0", "--cacert",
                               certs.ca_file(), "--json"}, home);
  INFO(bodies.out << bodies.err);
  REQUIRE(bodies.exit_code == 0);
  const auto j = parse_json(bodies.out);
  CHECK(j["responses"].u64() > 10);
  CHECK(j["errors"]["read"].u64() == 0);
  CHECK(j["bytes_read"].u64() >= j["responses"].u64() * 65536);  // decrypted HTTP bytes
  CHECK(j["tls"]["version"].text == "TLSv1.3");
  CHECK(j["tls"]["resumed"].u64() > 0);

  const auto ws = ucannon({base + "/ws", "--ws", "-c", "2", "-p", "4", "-d", "1", "--cacert", certs.ca_file(), "--json"},
                          home);
  INFO(ws.out << ws.err);
  REQUIRE(ws.exit_code == 0);
  const auto w = parse_json(ws.out);
  CHECK(w["ws_upgrades"].u64() == 2);
  CHECK(w["responses"].u64() > 100);
  CHECK(w["errors"]["read"].u64() == 0);
  CHECK(w["tls"]["handshakes"].u64() == 2);
}
#endif

#endif
