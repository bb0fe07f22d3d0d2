// ucannon in CI jobs and capacity tests, end to end: thresholds and their exit codes, runs that
// measured nothing, -n, --json-lines intervals and ramps, against the built ucannon-server.

#if defined(URING_CANNON_CLI_PATH) && defined(URING_CANNON_SERVER_PATH)

#include "support/json_reader.hpp"
#include "support/loopback.hpp"
#include "support/scripted_server.hpp"
#include "support/ucannon_runs.hpp"

#include <uring_cannon/endpoint.hpp>

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using test_support::finished_process;
using test_support::parse_json;
using namespace std::chrono_literals;

namespace {

using server = test_support::bundled_server;
using temp_home = test_support::temp_dir;

finished_process ucannon(std::vector<std::string> args, const temp_home& home, std::chrono::milliseconds limit = 20s) {
  return test_support::run_ucannon(std::move(args), home, limit);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("ucannon --assert: thresholds that hold exit 0, a failed one exits 3 and says which", "[ucannon][assert]") {
  server s;
  temp_home home;
  const auto url = s.url("/");
  const auto passing = ucannon({url, "-c", "2", "-d", "1", "--json", "--assert", "p99<5s", "--assert", "rps>1",
                                "--assert", "errors<1%", "--assert", "unexpected<=0"},
                               home);
  INFO(passing.out << passing.err);
  REQUIRE(passing.exit_code == 0);
  const auto j = parse_json(passing.out);
  REQUIRE(j["thresholds"].items.size() == 4);
  for (const auto& t : j["thresholds"].items) CHECK(t["passed"].flag);
  CHECK(j["thresholds"].items[1]["assert"].text == "rps>1");
  CHECK(j["thresholds"].items[1]["measured"].f64() == Approx(j["rps"].f64()).margin(0.01));

  const auto failing = ucannon({url, "-c", "2", "-d", "1", "--assert", "p99<5s", "--assert", "rps>1000000000"}, home);
  INFO(failing.out << failing.err);
  CHECK(failing.exit_code == uring_cannon::exit_threshold_failed);
  CHECK(failing.out.find("Thresholds: 1 passed, 1 failed") != std::string::npos);
  CHECK(failing.out.find("FAIL  rps>1000000000  (rps was ") != std::string::npos);
  CHECK(failing.out.find("PASS  p99<5s") != std::string::npos);
  CHECK(failing.err.find("a threshold failed") != std::string::npos);

  // A failed threshold outranks unexpected statuses (1): the CI job asked about the threshold.
  const auto both = ucannon({s.url("/status/500"), "-c", "1", "-d", "500ms", "--assert", "unexpected<1%"}, home);
  CHECK(both.exit_code == uring_cannon::exit_threshold_failed);
  const auto status_only = ucannon({s.url("/status/500"), "-c", "1", "-d", "500ms", "--assert", "p99<5s"}, home);
  CHECK(status_only.exit_code == uring_cannon::exit_unexpected_status);

  const auto bad = ucannon({url, "--assert", "p99<5"}, home);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("needs a unit") != std::string::npos);
}

TEST_CASE("ucannon exits 4 when nothing was measured: every connection refused, or no answer", "[ucannon][assert]") {
  temp_home home;
  const auto refused = ucannon({"http://127.0.0.1:" + std::to_string(test_support::closed_port()) + "/", "-c", "2", "-d", "500ms"}, home);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == uring_cannon::exit_nothing_measured);
  CHECK(refused.err.find("every connection failed") != std::string::npos);
  CHECK(refused.err.find("refused") != std::string::npos);

  test_support::scripted_server silent(test_support::server_behaviour::silent);
  const auto unanswered = ucannon({silent.url(), "-c", "2", "-d", "500ms", "--json"}, home);
  CHECK(unanswered.exit_code == uring_cannon::exit_nothing_measured);
  CHECK(unanswered.err.find("no request completed") != std::string::npos);
  CHECK(parse_json(unanswered.out)["responses"].u64() == 0);  // the report is still printed
}

TEST_CASE("ucannon -n stops at exactly N responses, counted by the server too", "[ucannon][count]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/"), "-n", "5001", "-c", "6", "-t", "2", "-p", "4", "--json"}, home);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = parse_json(r.out);
  CHECK(j["responses"].u64() == 5001);
  CHECK(j["requests"].u64() == 5001);
  CHECK(j["max_responses"].u64() == 5001);
  CHECK(j["accounting"]["in_flight"].u64() == 0);
  CHECK(test_support::server_stats(s.port())["requests"].u64() == 5001 + 1);  // and the /stats request itself
}

TEST_CASE("ucannon --json-lines: one object per interval, adding up to the final report", "[ucannon][interval]") {
  server s;
  temp_home home;
  const auto r = ucannon({s.url("/"), "-c", "4", "-t", "2", "-d", "2", "--interval", "500ms", "--json-lines"}, home);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() >= 5);
  std::uint64_t requests = 0, responses = 0, errors = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const auto interval = parse_json(lines[i]);
    CHECK(interval["interval"].u64() == i);
    requests += interval["requests"].u64();
    responses += interval["responses"].u64();
    errors += interval["errors"].u64();
    CHECK(interval["latency_us"]["samples"].u64() == interval["responses"].u64());
  }
  CHECK(lines.size() - 1 <= 5);  // four whole intervals and at most one short one
  const auto final = parse_json(lines.back());
  CHECK(final["version"].text.size() > 0);
  CHECK(requests == final["requests"].u64());
  CHECK(responses == final["responses"].u64());
  CHECK(errors == 0);
  CHECK(parse_json(lines[1])["rps"].f64() > 0);
}

TEST_CASE("ucannon --ramp opens the connections evenly, as the server counts them", "[ucannon][ramp]") {
  server s;
  temp_home home;
  std::vector<std::pair<double, std::int64_t>> open;  // (seconds since ucannon started, connections)
  auto run = std::async(std::launch::async, [&] {
    return ucannon({s.url("/"), "-c", "20", "-t", "2", "--ramp", "2s", "-d", "3s", "--json"}, home);
  });
  const auto start = std::chrono::steady_clock::now();
  while (run.wait_for(100ms) != std::future_status::ready) {
    const auto seen = test_support::server_stats(s.port())["connections"].u64() - 1;  // less the /stats connection
    open.emplace_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                      std::int64_t(seen));
  }
  const auto r = run.get();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(open.size() > 20);
  std::int64_t most = 0;
  for (const auto& [when, count] : open) most = std::max(most, count);
  CHECK(most == 20);
  // Growth, not a jump: some sample saw between a quarter and three quarters of them open.
  bool partway = false;
  for (const auto& [when, count] : open) partway = partway || (count >= 5 && count <= 15);
  CHECK(partway);
  const auto j = parse_json(r.out);
  CHECK(j["ramp"]["seconds"].f64() == Approx(2.0));
  CHECK(j["ramp"]["steady_responses"].u64() > 0);
  CHECK(j["ramp"]["steady_responses"].u64() < j["responses"].u64());
}

TEST_CASE("ucannon --rate with --ramp or a schedule sends what the schedule asks, within 3%", "[ucannon][ramp]") {
  server s;
  temp_home home;
  // 0 -> 2000 req/s over 1 s (1000 requests), then 2000 req/s for 1 s.
  const auto ramp = ucannon({s.url("/"), "-c", "8", "--rate", "2000", "--ramp", "1s", "-d", "2s", "--json"}, home);
  INFO(ramp.out << ramp.err);
  REQUIRE(ramp.exit_code == 0);
  const auto j = parse_json(ramp.out);
  CHECK(j["requests"].u64() == Approx(3000).epsilon(0.03));
  CHECK(j["ramp"]["steady_rps"].f64() == Approx(2000).epsilon(0.03));

  // 500 req/s for 0.5 s, 500 -> 1500 over 1 s, then 3000 req/s for 0.5 s.
  const auto steps = ucannon({s.url("/"), "-c", "8", "--rate", "500@500ms,500:1500:1s,3000", "-d", "2s", "--json"}, home);
  INFO(steps.out << steps.err);
  REQUIRE(steps.exit_code == 0);
  CHECK(parse_json(steps.out)["requests"].u64() == Approx(250 + 1000 + 1500).epsilon(0.03));

  const auto bad = ucannon({s.url("/"), "--rate", "1000@10s,5,2000"}, home);
  CHECK(bad.exit_code == 2);
  const auto warm = ucannon({s.url("/"), "--ramp", "1s", "--warmup", "1s"}, home);
  CHECK(warm.exit_code == 2);
}

#endif
