// ucannon-server: the bundled HTTP/1.1 + WebSocket target for ucannon, the tests and the
// benchmarks. The serving logic and the endpoint list live in <uring_cannon/http_test_server.hpp>;
// this file parses flags, handles signals and prints.
//
//   ucannon-server [--host ADDR] [--port N] [--threads N] [--tls-cert FILE --tls-key FILE] [--quiet]
//
// It prints "listening on ADDR:PORT" as its first line on stdout (with the port the kernel picked
// for --port 0; " (TLS)" follows when it serves HTTPS), serves until SIGINT or SIGTERM, then
// prints "served N requests" and exits 0. Bad flags: a message on stderr and exit 2. A failure to
// bind or run, or a certificate or key that cannot be used: a message and exit 1.
#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/http_test_server.hpp>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace uc = uring_cannon;

namespace {

constexpr const char* usage_text =
    "usage: ucannon-server [--host ADDR] [--port N] [--threads N] [--tls-cert FILE --tls-key FILE] [--quiet]\n"
    "\n"
    "An io_uring HTTP/1.1 + WebSocket test server (one ring and one SO_REUSEPORT listener per thread).\n"
    "\n"
    "  --host ADDR      address to listen on (default 127.0.0.1; a name is resolved once)\n"
    "  --port N         port (default 8080; 0 picks a free one, printed on the first line)\n"
    "  --threads N      server threads (default 1)\n"
    "  --tls-cert FILE  serve HTTPS and WSS with this PEM certificate chain (leaf first)\n"
    "  --tls-key FILE   the PEM private key of that certificate (both flags or neither)\n"
    "  --quiet          no banner on stderr\n"
    "  --help           this text\n"
    "\n"
    "Endpoints: /  (JSON echo of the request)   /health   /stats   /bin/{size}[?chunked=true]\n"
    "  /chunked[/{count}][?size=&delay=]   /upload (POST, PUT)   /status/{code}   /delay/{ms}   /ws\n"
    "\n"
    "Prints \"listening on ADDR:PORT\" first, and \"served N requests\" when stopped by SIGINT or SIGTERM.\n";

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  std::string tls_cert;  ///< with tls_key: HTTPS
  std::string tls_key;
  bool quiet = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "ucannon-server: %s\n(see ucannon-server --help)\n", message.c_str());
  std::exit(2);
}

std::uint64_t parse_number(std::string_view flag, std::string_view text, std::uint64_t min, std::uint64_t max) {
  const auto value = uc::detail::parse_decimal(text, max);
  if (!value || *value < min)
    usage_error("invalid value '" + std::string(text) + "' for " + std::string(flag) + " (expected " +
                std::to_string(min) + " to " + std::to_string(max) + ")");
  return *value;
}

options parse_options(int argc, char** argv) {
  options parsed;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
      inline_value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
    }
    auto value = [&]() -> std::string_view {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) usage_error("missing value for " + std::string(arg));
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    } else if (arg == "--host") {
      parsed.host = std::string(value());
      if (parsed.host.empty()) usage_error("empty value for --host");
    } else if (arg == "--port" || arg == "-p") {
      parsed.port = std::uint16_t(parse_number(arg, value(), 0, 65535));
    } else if (arg == "--threads" || arg == "-t") {
      parsed.threads = unsigned(parse_number(arg, value(), 1, 1024));
    } else if (arg == "--tls-cert" || arg == "--tls-key") {
#ifndef URING_CANNON_WITH_TLS
      std::fputs("Error: this ucannon-server was built without TLS (OpenSSL)\n", stderr);
      std::exit(1);
#endif
      std::string& file = arg == "--tls-cert" ? parsed.tls_cert : parsed.tls_key;
      file = std::string(value());
      if (file.empty()) usage_error("empty value for " + std::string(arg));
    } else if (arg == "--quiet" || arg == "-q") {
      if (inline_value) usage_error("--quiet takes no value");
      parsed.quiet = true;
    } else {
      usage_error("unknown option '" + std::string(argv[i]) + "'");
    }
  }
  if (parsed.tls_cert.empty() != parsed.tls_key.empty())
    usage_error(parsed.tls_cert.empty() ? "--tls-key needs --tls-cert" : "--tls-cert needs --tls-key");
  return parsed;
}

/// The server's options, with the TLS context the flags ask for; exits 1 when it cannot be made.
uc::test_server::server_options server_options_for(const options& opts) {
  uc::test_server::server_options made{.threads = opts.threads};
  if (opts.tls_cert.empty()) return made;
#ifdef URING_CANNON_WITH_TLS
  auto tls = uc::tls_server_context::create({.cert_file = opts.tls_cert, .key_file = opts.tls_key});
  if (!tls) {
    std::fprintf(stderr, "Error: %s\n", tls.error().c_str());
    std::exit(1);
  }
  made.tls = std::move(*tls);
#endif
  return made;
}

// Once run() returns only the main thread is left, so a signal handler cannot race the reset.
std::atomic<uc::test_server::server*> running{nullptr};

extern "C" void on_stop_signal(int) {
  if (auto* server = running.load()) server->request_stop();
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  uc::test_server::server_options server_options = server_options_for(opts);
  const bool serves_tls = !opts.tls_cert.empty();

  const auto resolved = uc::endpoint::resolve(opts.host, opts.port);
  if (resolved.endpoints.empty()) {
    std::fprintf(stderr, "ucannon-server: cannot resolve '%s': %s\n", opts.host.c_str(), resolved.error.c_str());
    return 1;
  }
  try {
    uc::test_server::server server(resolved.endpoints.front(), std::move(server_options));

    // Signals are handled from the start, before anyone can learn the port.
    running = &server;
    struct unpublish {
      ~unpublish() { running = nullptr; }  // before the server goes away, however it goes
    } unpublished;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    std::printf("listening on %s%s\n", server.local_endpoint().to_string().c_str(), serves_tls ? " (TLS)" : "");
    std::fflush(stdout);
    if (!opts.quiet)
      std::fprintf(stderr, "ucannon-server: %u thread%s%s; stop with Ctrl-C\n", opts.threads, opts.threads == 1 ? "" : "s",
                   serves_tls ? ", HTTPS and WSS" : "");

    server.run();
    std::printf("served %llu requests\n", static_cast<unsigned long long>(server.requests_served()));
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ucannon-server: %s\n", e.what());
    return 1;
  }
  return 0;
}
