// ucannon end to end: the built CLI against the built ucannon-server on 127.0.0.1, both started
// here and stopped at the end of each case. Every run is short and bounded.

#if defined(URING_CANNON_CLI_PATH) && defined(URING_CANNON_SERVER_PATH)

#include "support/child_process.hpp"
#include "support/json_reader.hpp"
#include "support/loopback.hpp"
#include "support/ucannon_runs.hpp"


#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using test_support::child_process;
using test_support::finished_process;
using test_support::parse_json;
using test_support::run_program;
using namespace std::chrono_literals;

namespace {

using server = test_support::bundled_server;
using temp_home = test_support::temp_dir;

finished_process ucannon(std::vector<std::string> args, const temp_home& home,
                         std::chrono::milliseconds limit = 20s, test_support::process_options options = {}) {
  return test_support::run_ucannon(std::move(args), home, limit, std::move(options));
}

/// Requests the server has answered so far (its /stats endpoint, which counts itself too).
std::uint64_t served(const server& s) { return test_support::server_stats(s.port())["requests"].u64(); }

/// ucannon's --json document, with the books every run must balance checked on the way.
test_support::json run_json(const std::string& out) {
  auto j = parse_json(out);
  const auto& books = j["accounting"];
  INFO(out);
  CHECK(books["requests_sent"].u64() ==
        books["answered"].u64() + books["abandoned"].u64() + books["in_flight"].u64());
  CHECK(books["requests_sent"].u64() >= j["requests"].u64());
  CHECK(books["answered"].u64() >= j["responses"].u64());
  return j;
}

/// The lines of `text`.
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("ucannon's JSON counts match what the server served", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto before = served(s);
  const auto r = ucannon({s.url("/health"), "-c", "8", "-d", "1", "--warmup", "0", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto after = served(s);
  const auto j = run_json(r.out);
  const auto responses = j["responses"].u64();
  CHECK(responses > 100);
  // Served = counted + the last stats request + what was still in flight when the run ended.
  CHECK(after - before - 1 >= responses);
  CHECK(after - before - 1 <= responses + 8);
  CHECK(j["requests"].u64() >= responses);
  CHECK(j["status"]["2xx"].u64() == responses);
  CHECK(j["latency_us"]["samples"].u64() == responses);
  CHECK(j["errors"]["connect"].u64() == 0);
  CHECK(j["errors"]["read"].u64() == 0);
  CHECK(j["errors"]["timeout"].u64() == 0);
  CHECK(j["mode"].text == "http");
  CHECK(j["connections"].u64() == 8);
  CHECK(j["target"].text == "127.0.0.1:" + std::to_string(s.port()) + "/health");
}

TEST_CASE("ucannon pipelines 16 deep", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/"), "-c", "4", "-d", "1", "-p", "16", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  CHECK(j["pipeline_depth"].u64() == 16);
  CHECK(j["responses"].u64() > 1000);
  CHECK(j["requests"].u64() - j["responses"].u64() <= 4 * 16);
  CHECK(j["errors"]["read"].u64() == 0);
}

TEST_CASE("ucannon -r 10 reconnects once per 10 responses", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/health"), "-c", "4", "-d", "1", "-r", "10", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  const auto responses = j["responses"].u64(), reconnects = j["reconnects"].u64();
  CHECK(responses > 100);
  CHECK(reconnects + 4 >= responses / 10);
  CHECK(reconnects <= responses / 10 + 4);
  CHECK(j["errors"]["read"].u64() == 0);
}

TEST_CASE("ucannon --raw rotates templates with placeholders, per-template latency", "[ucannon][integration]") {
  server s;
  temp_home home;
  const std::string host = "Host: 127.0.0.1:" + std::to_string(s.port()) + "\r\n";
  const test_support::temp_file a("GET /status/200?seq={SEQ:100} HTTP/1.1\r\n" + host + "\r\n");
  const test_support::temp_file b("GET /health?r={RAND:1:500} HTTP/1.1\r\n" + host + "\r\n");
  const test_support::temp_file c("GET /bin/64 HTTP/1.1\r\n" + host + "\r\n");
  const std::string files = a.path + "," + b.path + "," + c.path;
  const auto r = ucannon({"--raw", files, "-c", "3", "-d", "1", "-r", "5", "--per-tpl-latency", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  const auto& per = j["per_template"];
  REQUIRE(per.items.size() == 3);
  std::uint64_t sum = 0;
  for (const auto& t : per.items) {
    CHECK(t["responses"].u64() > 20);
    CHECK(t["2xx"].u64() == t["responses"].u64());
    CHECK(t["latency_us"]["p99"].is_integer());
    sum += t["responses"].u64();
  }
  CHECK(sum == j["responses"].u64());

  const auto text = ucannon({"-R", files, "-c", "3", "-d", "1", "-r", "5", "--per-tpl-latency"}, home);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("Templates: 3") != std::string::npos);
  CHECK(text.out.find("Per-template-ok: ") != std::string::npos);
}

TEST_CASE("ucannon --ws echoes frames", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/ws"), "--ws-msg", std::string(1000, 'w'), "-c", "4", "-d", "1", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  CHECK(j["mode"].text == "websocket");
  CHECK(j["ws_upgrades"].u64() == 4);
  CHECK(j["ws_frames"].u64() == j["responses"].u64());
  CHECK(j["responses"].u64() > 100);
  CHECK(j["bytes_read"].u64() >= j["responses"].u64() * 1000);
  CHECK(j["errors"]["read"].u64() == 0);

  const auto text = ucannon({s.url("/ws"), "--ws", "-c", "2", "-d", "1"}, home);
  REQUIRE(text.exit_code == 0);
  CHECK(std::regex_search(text.out, std::regex(R"(\n  \d+ frames sent in [0-9.]+s, \d+ frames received\n)")));
  CHECK(text.out.find("WS upgrades: 2") != std::string::npos);
}

TEST_CASE("an unexpected status class exits 1 with a warning", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/status/404"), "-c", "2", "-d", "1", "-s", "200"}, home);
  CHECK(r.exit_code == 1);
  CHECK(std::regex_search(r.out, std::regex(R"(WARNING: \d+/\d+ responses \(100\.0%\) had unexpected status \(expected 2xx\))")));
  const auto ok = ucannon({s.url("/status/404"), "-c", "2", "-d", "1", "-s", "404", "--json"}, home);
  CHECK(ok.exit_code == 0);
  CHECK(run_json(ok.out)["status"]["4xx"].u64() > 0);
}

TEST_CASE("large and chunked bodies are read whole", "[ucannon][integration]") {
  server s;
  temp_home home;
  // Without a warm-up every byte of every counted response falls inside the measurement.
  const auto big = ucannon({s.url("/bin/1M"), "-c", "2", "-d", "1", "--warmup", "0", "--json"}, home);
  REQUIRE(big.exit_code == 0);
  const auto j = run_json(big.out);
  CHECK(j["responses"].u64() > 10);
  CHECK(j["bytes_read"].u64() >= j["responses"].u64() * (1u << 20));
  CHECK(j["bandwidth_bps"].f64() > 10e6);
  CHECK(j["errors"]["read"].u64() == 0);

  const auto chunked = ucannon({s.url("/chunked/8?size=1000"), "-c", "2", "-d", "1", "--warmup", "0", "--json"}, home);
  REQUIRE(chunked.exit_code == 0);
  const auto k = run_json(chunked.out);
  CHECK(k["responses"].u64() > 100);
  CHECK(k["bytes_read"].u64() >= k["responses"].u64() * 8000);
  CHECK(k["errors"]["read"].u64() == 0);
}

TEST_CASE("the text report has gcannon's layout, line by line", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/"), "-c", "4", "-t", "2", "-d", "1", "-r", "100"}, home);
  REQUIRE(r.exit_code == 0);
  const std::string port = std::to_string(s.port());
  const std::vector<std::string> expected = {
      R"(ucannon v\d+\.\d+\.\d+)",
      R"(  Target:    127\.0\.0\.1:)" + port + "/",
      R"(  Threads:   2)",
      R"(  Conns:     4 \(2/thread\))",
      R"(  Pipeline:  1)",
      R"(  Req/conn:  100)",
      R"(  Expected:  200)",
      R"(  Duration:  1s)",
      "",
      "",
      R"(  Thread Stats   Avg      p50      p90      p99    p99\.9)",
      R"(    Latency +(\d+us|\d+\.\d\dms|\d+\.\d\ds)( +(\d+us|\d+\.\d\dms|\d+\.\d\ds)){4})",
      "",
      R"(  \d+ requests in \d+\.\d\ds, \d+ responses)",
      R"(  Throughput: [\d.]+[KM]? req/s)",
      R"(  Bandwidth:  [\d.]+(B|KB|MB|GB)/s)",
      R"(  Status codes: 2xx=\d+, 3xx=0, 4xx=0, 5xx=0)",
      R"(  Latency samples: \d+ / \d+ responses \(\d+\.\d%\))",
      R"(  Reconnects: \d+)",
  };
  const auto got = lines(r.out);
  REQUIRE(got.size() >= expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("line " << i << ": '" << got[i] << "'");
    CHECK(std::regex_match(got[i], std::regex(expected[i])));
  }
  // Http Arena's parser: the first line with "Latency" carries avg and p99 as fields 2 and 5.
  for (std::size_t i = 0; i < 11; ++i) CHECK(got[i].find("Latency") == std::string::npos);
}

TEST_CASE("ucannon --tui on a terminal draws coloured tables; NO_COLOR turns colour off", "[ucannon][integration]") {
  server s;
  temp_home home;
  test_support::process_options on_terminal;
  on_terminal.terminal = true;
  on_terminal.environment = {"TERM=xterm-256color"};
  const auto r = ucannon({s.url("/health"), "-c", "2", "-d", "2", "--tui", "-b", "5"}, home, 20s, on_terminal);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("\033[") != std::string::npos);
  CHECK(r.out.find("req/s") != std::string::npos);  // the live progress block was drawn
  CHECK(r.out.find("╭") != std::string::npos);

  on_terminal.environment.push_back("NO_COLOR=1");
  const auto plain = ucannon({s.url("/health"), "-c", "2", "-d", "1", "--tui"}, home, 20s, on_terminal);
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.out.find("\033[3") == std::string::npos);  // no colours (cursor movement is fine)
  CHECK(plain.out.find("╭") != std::string::npos);

  // Not a terminal: no escape codes at all.
  const auto piped = ucannon({s.url("/health"), "-c", "2", "-d", "1", "--tui"}, home);
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.out.find("\033[3") == std::string::npos);
}

TEST_CASE("each run is kept in the history; --clear-history clears it", "[ucannon][integration]") {
  server s;
  temp_home home;
  REQUIRE(ucannon({s.url("/health"), "-c", "1", "-d", "1", "--json"}, home).exit_code == 0);
  std::ifstream history(home.path + "/.ucannon/history.bin", std::ios::binary);
  CHECK(history.good());
  const auto cleared = ucannon({"--clear-history"}, home);
  CHECK(cleared.exit_code == 0);
  CHECK(cleared.out == "Run history cleared.\n");
}

TEST_CASE("bad flags and URLs give their messages and exit codes", "[ucannon][cli]") {
  temp_home home;
  struct bad_case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<bad_case> cases = {
      {{"http://127.0.0.1:1/", "--bogus"}, 1, "Usage: ucannon"},
      {{"-c", "10"}, 1, "Usage: ucannon"},
      {{"ftp://127.0.0.1/"}, 1, "Error: only http:// and https:// URLs supported"},
      {{"http://no-such-host.invalid/", "-d", "1"}, 1, "Error: cannot resolve host 'no-such-host.invalid'"},
      {{"http://127.0.0.1:1/", "--recv-buf", "100"}, 1, "Error: --recv-buf must be at least 512"},
      {{"http://127.0.0.1:1/", "-t", "0"}, 2, "-t"},
      {{"http://127.0.0.1:1/", "-c", "abc"}, 2, "abc"},
      {{"http://127.0.0.1:1/", "-d", "3x"}, 2, "3x"},
      {{"http://127.0.0.1:1/", "-p", "0"}, 2, "-p"},
      {{"-R", "/nonexistent/template.txt"}, 1, "/nonexistent/template.txt"},
  };
  for (const auto& c : cases) {
    INFO(c.args.front() << " ... expects " << c.message);
    const auto r = ucannon(c.args, home, 10s);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(r.out.empty());
  }
  const auto help = ucannon({"--help"}, home);
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--per-tpl-latency") != std::string::npos);
  const auto version = ucannon({"--version"}, home);
  CHECK(version.exit_code == 0);
  CHECK(std::regex_match(version.out, std::regex("ucannon \\d+\\.\\d+\\.\\d+\n")));
}

TEST_CASE("ucannon against a closed port reports connect errors and ends on time", "[ucannon][integration]") {
  temp_home home;
  const std::uint16_t port = test_support::closed_port();
  const auto started = std::chrono::steady_clock::now();
  const auto r = ucannon({"http://127.0.0.1:" + std::to_string(port) + "/", "-c", "2", "-d", "1", "--json"}, home);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  REQUIRE(r.exit_code == 4);  // nothing measured (gcannon exited 0 here)
  const auto j = run_json(r.out);
  CHECK(j["responses"].u64() == 0);
  CHECK(j["errors"]["connect"].u64() > 0);
}

TEST_CASE("SIGINT stops the run early and still prints its results", "[ucannon][integration]") {
  server s;
  temp_home home;
  child_process run(URING_CANNON_CLI_PATH, {s.url("/health"), "-c", "2", "-d", "60", "--json"},
                    {false, {home.home_env()}});
  std::this_thread::sleep_for(700ms);
  const auto started = std::chrono::steady_clock::now();
  run.signal(SIGINT);
  const auto code = run.wait(10s);
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const auto j = run_json(run.out());
  CHECK(j["responses"].u64() > 0);
  CHECK(j["elapsed_sec"].f64() < 5);
}

TEST_CASE("ucannon --rate runs an open loop at the asked rate", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/health"), "-c", "4", "-d", "1", "--rate", "1000", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  CHECK(j["rate"]["target"].f64() == Approx(1000));
  CHECK(j["rate"]["achieved"].f64() == Approx(1000).epsilon(0.03));
  CHECK(j["service_time_us"]["p50"].u64() <= j["latency_us"]["p50"].u64());
  CHECK(j["status_codes"]["200"].u64() == j["responses"].u64());
  CHECK(j["error_classes"]["parse_error"].u64() == 0);

  const auto text = ucannon({s.url("/health"), "-c", "2", "-d", "1", "--rate", "200"}, home);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("  Rate:      200 req/s (open loop)") != std::string::npos);
  CHECK(text.out.find("  Service time: ") != std::string::npos);
  CHECK(text.out.find("WARNING") == std::string::npos);  // an idle server keeps up with 200 req/s
}

TEST_CASE("ucannon --rate against a stalling endpoint: corrected latency shows the stall", "[ucannon][integration]") {
  server s;
  temp_home home;
  // /delay/20 answers after 20 ms; one connection at depth 1 can do 50 req/s, and 200 are asked.
  const auto r = ucannon({s.url("/delay/20"), "-c", "1", "-d", "1", "--rate", "200", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  CHECK(j["rate"]["achieved"].f64() < 100);
  CHECK(j["service_time_us"]["p99"].u64() < 60'000);
  CHECK(j["latency_us"]["p99"].u64() > 300'000);

  const auto text = ucannon({s.url("/delay/20"), "-c", "1", "-d", "1", "--rate", "200"}, home);
  CHECK(text.out.find("WARNING: the target rate was not reached") != std::string::npos);
}

TEST_CASE("ucannon --ws --rate paces WebSocket frames too", "[ucannon][integration]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/ws"), "--ws", "-c", "4", "-d", "1", "--rate", "800", "--json"}, home);
  REQUIRE(r.exit_code == 0);
  const auto j = run_json(r.out);
  CHECK(j["rate"]["achieved"].f64() == Approx(800).epsilon(0.03));
  CHECK(j["ws_upgrades"].u64() == 4);
  CHECK(j["responses"].u64() + 8 >= j["requests"].u64());
  CHECK(j["errors"]["read"].u64() == 0);
}

#endif
