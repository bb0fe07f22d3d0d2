// ucannon against hostile servers: for each fault of tests/support/fault_server.hpp, the built CLI
// must report the breakage instead of becoming part of it. Every case checks that the run ends
// within its duration plus one second, that the failure lands in the right error class, that the
// books balance and every other count agrees with them, that nothing reached stderr (where a
// sanitizer would report), and the documented exit code.

#if defined(URING_CANNON_CLI_PATH)

#include "support/child_process.hpp"
#include "support/fault_server.hpp"
#include "support/json_reader.hpp"
#include "support/ucannon_runs.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using test_support::fault;
using test_support::fault_server;
using test_support::json;
using namespace std::chrono_literals;

namespace {

/// How many connections, threads and requests in flight per connection a run uses.
struct load_shape {
  unsigned connections = 2, threads = 1, pipeline = 1;
};

using test_support::temp_file;

/// The measured duration of every run, and how long past it a run may take to exit.
constexpr auto run_duration = 1s;
constexpr auto grace = 1s;

unsigned long long ull(std::uint64_t n) { return n; }

std::string join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (a.rfind("/tmp/", 0) == 0) out += out.empty() ? "FILE" : " FILE";
    else out += (out.empty() ? "" : " ") + a;
  }
  return out;
}

/// What one run reported.
struct report {
  json j;
  std::uint64_t requests = 0, responses = 0, connect = 0, read = 0, timeout = 0;
  std::uint64_t sent = 0, answered = 0, abandoned = 0, in_flight = 0;
};

/// Runs ucannon for one second with no warm-up and --json, and checks what holds for any run:
/// it ends on time, with `exit_code` (by default 0, or 4 with its one-line reason on stderr when
/// no response completed), nothing else on stderr, and books that balance and agree with the
/// other counts.
report run_ucannon(std::vector<std::string> args, load_shape shape = {}, int exit_code = -1) {
  test_support::temp_dir home;
  const std::vector<std::string> fixed = {"-c", std::to_string(shape.connections), "-t", std::to_string(shape.threads),
                                          "-p", std::to_string(shape.pipeline)};
  args.insert(args.end(), fixed.begin(), fixed.end());
  for (const char* flag : {"-d", "1", "--warmup", "0", "--json"}) args.emplace_back(flag);

  const auto started = std::chrono::steady_clock::now();
  const auto r = test_support::run_ucannon(args, home);
  const auto took = std::chrono::steady_clock::now() - started;
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(took < run_duration + grace);
  report o;
  o.j = test_support::parse_json(r.out);
  const bool nothing = o.j["responses"].u64() == 0;
  REQUIRE(r.exit_code == (exit_code >= 0 ? exit_code : nothing ? 4 : 0));
  // Sanitizer reports and crashes would land on stderr; a run that measured nothing says why there.
  if (nothing) {
    CHECK(r.err.rfind("Error: no request completed", 0) == 0);
    CHECK(r.err.find('\n') == r.err.size() - 1);
  } else {
    CHECK(r.err.empty());
  }

  const json& j = o.j;
  o.requests = j["requests"].u64();
  o.responses = j["responses"].u64();
  o.connect = j["errors"]["connect"].u64();
  o.read = j["errors"]["read"].u64();
  o.timeout = j["errors"]["timeout"].u64();
  const json& books = j["accounting"];
  o.sent = books["requests_sent"].u64();
  o.answered = books["answered"].u64();
  o.abandoned = books["abandoned"].u64();
  o.in_flight = books["in_flight"].u64();

  // Every request is answered, abandoned with its connection, or still in flight at the end.
  CHECK(o.sent == o.answered + o.abandoned + o.in_flight);
  // Without a warm-up every request and answer falls inside the measurement.
  CHECK(o.requests == o.sent);
  CHECK(o.responses == o.answered);
  CHECK(o.in_flight <= std::uint64_t(shape.connections) * shape.pipeline);
  CHECK(o.responses <= o.requests);
  CHECK(j["latency_us"]["samples"].u64() == o.responses);
  const json& status = j["status"];
  CHECK(status["2xx"].u64() + status["3xx"].u64() + status["4xx"].u64() + status["5xx"].u64() +
            status["other"].u64() ==
        o.responses);
  std::uint64_t per_second = 0;
  for (const auto& n : j["responses_per_second"].items) per_second += n.u64();
  CHECK(per_second <= o.responses);
  CHECK(j["interrupted"].kind == json::boolean);
  CHECK_FALSE(j["interrupted"].flag);
  CHECK(j["elapsed_sec"].f64() <= 1.1);
  if (std::getenv("UCANNON_FAULTS_REPORT") != nullptr)  // for the closing note: what each fault got
    std::printf("%s [%s]: %.2fs exit %d; requests %llu responses %llu; errors connect %llu read %llu timeout %llu; "
                "books sent %llu answered %llu abandoned %llu in_flight %llu; bytes %llu%s\n",
                Catch::getResultCapture().getCurrentTestName().c_str(), join(args).c_str(),
                std::chrono::duration<double>(took).count(), r.exit_code, ull(o.requests), ull(o.responses),
                ull(o.connect), ull(o.read), ull(o.timeout), ull(o.sent), ull(o.answered), ull(o.abandoned),
                ull(o.in_flight), ull(j["bytes_read"].u64()),
                j["mode"].text == "websocket" ? (" ws_upgrades " + std::to_string(j["ws_upgrades"].u64())).c_str() : "");
  return o;
}

/// Checks a run against a server that fails every request with a broken response: nothing
/// counted as answered, every connection that failed reopened, each failure a read error that
/// abandoned between one request and a whole pipeline.
void check_every_request_failed(const report& r, const fault_server& server, load_shape shape) {
  CHECK(r.responses == 0);
  CHECK(r.connect == 0);
  CHECK(r.timeout == 0);
  CHECK(r.read > shape.connections);  // more failures than connections: they were reopened
  CHECK(r.abandoned >= r.read);
  CHECK(r.abandoned <= r.read * shape.pipeline);
  CHECK(r.j["reconnects"].u64() == 0);  // an error is not a planned reconnect
  CHECK(server.accepted() >= r.read);
  CHECK(server.faults() >= r.read);
}

std::string target(const fault_server& server) { return server.url("/"); }

}  // namespace

TEST_CASE("fault: a reset in the middle of a response is a read error", "[ucannon][faults]") {
  fault_server server(fault::reset_mid_response);
  const load_shape shape{4, 2, 4};
  const auto r = run_ucannon({target(server)}, shape);
  check_every_request_failed(r, server, shape);
}

TEST_CASE("fault: a close right after the headers is a read error", "[ucannon][faults]") {
  fault_server server(fault::close_after_headers);
  const auto r = run_ucannon({target(server)});
  check_every_request_failed(r, server, {});
  CHECK(r.abandoned == r.read);
}

TEST_CASE("fault: a body delimited by the close is a response, not an error", "[ucannon][faults]") {
  fault_server server(fault::close_delimited_body);
  const auto r = run_ucannon({target(server)});
  CHECK(r.responses > 10);
  CHECK(r.j["status"]["2xx"].u64() == r.responses);
  CHECK(r.read + r.connect + r.timeout == 0);
  CHECK(r.abandoned == 0);
  CHECK(server.accepted() >= r.responses);  // one response per connection
  CHECK(r.j["bytes_read"].u64() >= r.responses * 80);
}

// A close that completes one response (close-delimited body or "Connection: close") while more
// pipelined requests wait loses those requests: a read error, with the requests abandoned.
TEST_CASE("fault: a close that strands pipelined requests is counted as an error", "[ucannon][faults]") {
  fault_server server(fault::close_delimited_body);
  const load_shape shape{2, 1, 4};
  const auto r = run_ucannon({target(server)}, shape);
  CHECK(r.responses > 10);
  CHECK(r.abandoned > 0);  // three requests stranded by every close
  CHECK(r.read * 3 == r.abandoned);
}

TEST_CASE("fault: garbage instead of a status line is a read error", "[ucannon][faults]") {
  fault_server server(fault::garbage_status_line);
  const load_shape shape{4, 2, 4};
  const auto r = run_ucannon({target(server)}, shape);
  check_every_request_failed(r, server, shape);
}

TEST_CASE("fault: a status line that never ends is a read error past the parser's limit", "[ucannon][faults]") {
  fault_server server(fault::endless_status_line);
  const auto r = run_ucannon({target(server)});
  check_every_request_failed(r, server, {});
  const auto bytes = r.j["bytes_read"].u64();
  CHECK(bytes >= r.read * 64 * 1024);              // each error came only past the 64 KiB limit,
  CHECK(bytes <= (r.read + 2) * 1024 * 1024);      // and long before the 8 MiB the server had
}

TEST_CASE("fault: a status line that stalls is a timeout with --timeout, and the run ends without", "[ucannon][faults]") {
  fault_server server(fault::stalled_status_line);
  SECTION("with --timeout 200ms: timeout errors") {
    const auto r = run_ucannon({target(server), "--timeout", "200ms"});
    CHECK(r.responses == 0);
    CHECK(r.timeout >= 2);
    CHECK(r.timeout <= 2 * 5);  // at most one per 200 ms per connection
    CHECK(r.read + r.connect == 0);
    CHECK(r.abandoned == r.timeout);
  }
  SECTION("without: no error, the requests still in flight at the end") {
    const auto r = run_ucannon({target(server)});
    CHECK(r.responses == 0);
    CHECK(r.read + r.connect + r.timeout == 0);
    CHECK(r.requests == 2);
    CHECK(r.in_flight == 2);
  }
}

TEST_CASE("fault: a status line trickled forever is a timeout with --timeout", "[ucannon][faults]") {
  fault_server server(fault::trickled_status_line);
  // One byte every 3 ms would reach the 64 KiB limit only after three minutes; --timeout bounds
  // the whole response, not the gaps between its bytes.
  const auto r = run_ucannon({target(server), "--timeout", "200ms"});
  CHECK(r.responses == 0);
  CHECK(r.read + r.connect == 0);
  CHECK(r.timeout >= 2);
  CHECK(r.timeout <= 2 * 5);
  CHECK(r.abandoned == r.timeout);
}

TEST_CASE("fault: headers that never end (megabytes of them) are a read error", "[ucannon][faults]") {
  fault_server server(fault::endless_headers);
  const auto r = run_ucannon({target(server)});
  check_every_request_failed(r, server, {});
  CHECK(r.j["bytes_read"].u64() >= r.read * 64 * 1024);
}

TEST_CASE("fault: a Content-Length larger than the body, then close, is a read error", "[ucannon][faults]") {
  fault_server server(fault::short_body);
  const auto r = run_ucannon({target(server)});
  check_every_request_failed(r, server, {});
  CHECK(r.abandoned == r.read);
}

TEST_CASE("fault: a chunk size that overflows 64 bits is a read error", "[ucannon][faults]") {
  fault_server server(fault::chunk_size_overflow);
  const load_shape shape{2, 1, 2};
  const auto r = run_ucannon({target(server)}, shape);
  check_every_request_failed(r, server, shape);
}

TEST_CASE("fault: a response trickled a byte at a time completes, slowly, without errors", "[ucannon][faults]") {
  fault_server server(fault::trickled_response);
  // 58 bytes, 3 ms apart: each response takes about 174 ms, well inside a 1 s --timeout.
  const auto r = run_ucannon({target(server), "--timeout", "1s"});
  CHECK(r.responses >= 4);
  CHECK(r.j["status"]["2xx"].u64() == r.responses);
  CHECK(r.read + r.connect + r.timeout == 0);
  CHECK(r.abandoned == 0);
  CHECK(r.j["latency_us"]["p50"].u64() >= 120'000);
  CHECK(server.accepted() == 2);                    // keep-alive throughout
}

TEST_CASE("fault: a response slower than --timeout is a timeout even while bytes arrive", "[ucannon][faults]") {
  fault_server server(fault::trickled_response);
  const auto r = run_ucannon({target(server), "--timeout", "100ms"});
  CHECK(r.responses == 0);
  CHECK(r.timeout >= 2);
  CHECK(r.read + r.connect == 0);
  CHECK(r.abandoned == r.timeout);
}

TEST_CASE("fault: a response that never comes is a timeout with --timeout, and the run ends without", "[ucannon][faults]") {
  fault_server server(fault::no_response);
  SECTION("with --timeout 200ms") {
    const auto r = run_ucannon({target(server), "--timeout", "200ms"});
    CHECK(r.responses == 0);
    CHECK(r.timeout >= 2);
    CHECK(r.timeout <= 2 * 5);
    CHECK(r.read + r.connect == 0);
    CHECK(r.abandoned == r.timeout);
    CHECK(server.accepted() >= r.timeout);  // each timed-out connection was reopened
  }
  SECTION("without a timeout") {
    const load_shape shape{2, 2, 8};
    const auto r = run_ucannon({target(server)}, shape);
    CHECK(r.responses == 0);
    CHECK(r.read + r.connect + r.timeout == 0);
    CHECK(r.requests == 16);
    CHECK(r.in_flight == 16);
  }
}

TEST_CASE("fault: WebSocket answers that never come are timeouts with --timeout", "[ucannon][faults]") {
  SECTION("the upgrade is never answered") {
    fault_server server(fault::no_response);
    const auto r = run_ucannon({target(server), "--ws", "--timeout", "200ms"});
    CHECK(r.j["ws_upgrades"].u64() == 0);
    CHECK(r.timeout >= 2);
    CHECK(r.timeout <= 2 * 5);
    CHECK(r.read + r.connect == 0);
    CHECK(r.requests == 0);  // the upgrade request is not a frame
    CHECK(r.responses == 0);
  }
  SECTION("a valid 101, then frames are never echoed") {
    fault_server server(fault::ws_no_echo);
    const auto r = run_ucannon({target(server), "--ws", "--timeout", "200ms"});
    const auto upgrades = r.j["ws_upgrades"].u64();
    CHECK(r.timeout >= 2);
    CHECK(r.timeout <= 2 * 5);
    CHECK(r.read + r.connect == 0);
    CHECK(r.responses == 0);
    CHECK(r.abandoned == r.timeout);
    CHECK(upgrades >= r.timeout);
    CHECK(upgrades <= r.timeout + 2);
    CHECK(r.in_flight == 2);
  }
  SECTION("without a timeout the run ends with the frames in flight") {
    fault_server server(fault::ws_no_echo);
    const auto r = run_ucannon({target(server), "--ws"}, {2, 1, 4});
    CHECK(r.j["ws_upgrades"].u64() == 2);
    CHECK(r.read + r.connect + r.timeout == 0);
    CHECK(r.requests == 8);
    CHECK(r.in_flight == 8);
  }
}

TEST_CASE("fault: a 101 without a valid Sec-WebSocket-Accept is a read error, never an upgrade", "[ucannon][faults]") {
  fault_server server(fault::ws_bad_accept);
  const auto r = run_ucannon({target(server), "--ws"});
  CHECK(r.j["mode"].text == "websocket");
  CHECK(r.j["ws_upgrades"].u64() == 0);
  CHECK(r.j["ws_frames"].u64() == 0);
  CHECK(r.responses == 0);
  CHECK(r.requests == 0);  // no frame is sent on a connection that was not upgraded
  CHECK(r.read > 2);
  CHECK(r.connect + r.timeout == 0);
  CHECK(server.accepted() >= r.read);
  // A refused upgrade backs off 10 ms before reconnecting: no busy loop.
  CHECK(r.read <= 2 * 150);
}

TEST_CASE("fault: invalid WebSocket frames after a valid 101 are read errors", "[ucannon][faults]") {
  const auto which = GENERATE(fault::ws_bad_opcode, fault::ws_oversized_control, fault::ws_masked_frame,
                              fault::ws_length_top_bit, fault::ws_length_too_big, fault::ws_truncated_frame);
  INFO("fault " << int(which));
  fault_server server(which);
  const auto r = run_ucannon({target(server), "--ws"});
  const auto upgrades = r.j["ws_upgrades"].u64();
  CHECK(r.responses == 0);
  CHECK(r.j["ws_frames"].u64() == 0);  // the bad frames are not frames received
  CHECK(r.read > 2);
  CHECK(r.connect + r.timeout == 0);
  CHECK(upgrades >= r.read);      // every failure followed an upgrade ...
  CHECK(upgrades <= r.read + 2);  // ... and every upgrade but the last ones failed
  CHECK(r.requests >= r.read);
  CHECK(r.abandoned == r.read);   // one frame in flight on each
}

TEST_CASE("fault: an invalid frame right behind a valid 101 fails the upgrade", "[ucannon][faults]") {
  fault_server server(fault::ws_bad_greeting);
  const auto r = run_ucannon({target(server), "--ws"});
  CHECK(r.j["ws_upgrades"].u64() == 0);  // the connection failed before it carried a frame of ours
  CHECK(r.j["ws_frames"].u64() == 0);
  CHECK(r.requests == 0);
  CHECK(r.responses == 0);
  CHECK(r.read > 2);
  CHECK(r.read <= 2 * 150);  // the 10 ms back-off of a failed upgrade
  CHECK(r.connect + r.timeout == 0);
  CHECK(server.faults() >= r.read);
}

TEST_CASE("fault: a port where nothing listens gives connect errors", "[ucannon][faults]") {
  const auto port = test_support::closed_port();
  const auto r = run_ucannon({"http://127.0.0.1:" + std::to_string(port) + "/"});
  CHECK(r.connect > 2);
  CHECK(r.connect <= 2 * 150);  // 10 ms back-off after each: no busy loop
  CHECK(r.read + r.timeout == 0);
  CHECK(r.requests == 0);
  CHECK(r.responses == 0);
  CHECK(r.j["bytes_read"].u64() == 0);
}

TEST_CASE("fault: a listener that accepts and never reads fills the buffers; --timeout ends each wait", "[ucannon][faults]") {
  fault_server server(fault::accept_never_read);
  // 16 MiB per connection in one pipelined batch: far more than the socket buffers hold.
  temp_file upload("POST /upload HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                   "\r\nContent-Length: 1048576\r\n\r\n" + std::string(1 << 20, 'u'));
  const load_shape shape{2, 1, 16};
  SECTION("with --timeout 200ms") {
    const auto r = run_ucannon({"--raw", upload.path, "--timeout", "200ms"}, shape);
    CHECK(r.responses == 0);
    CHECK(r.timeout >= 2);
    CHECK(r.timeout <= 2 * 5);
    CHECK(r.read + r.connect == 0);
    CHECK(r.abandoned == r.timeout * 16);
    CHECK(server.accepted() >= r.timeout);
  }
  SECTION("without a timeout") {
    const auto r = run_ucannon({"--raw", upload.path}, shape);
    CHECK(r.responses == 0);
    CHECK(r.read + r.connect + r.timeout == 0);
    CHECK(r.requests == 32);
    CHECK(r.in_flight == 32);
    CHECK(server.accepted() == 2);
  }
}

#endif
