// ucannon --histogram-out, --latency-out and `ucannon merge` end to end: two real runs against
// the built ucannon-server on 127.0.0.1, merged into one report that must equal their sums.

#if defined(URING_CANNON_CLI_PATH) && defined(URING_CANNON_SERVER_PATH)

#include "support/child_process.hpp"
#include "support/json_reader.hpp"
#include "support/ucannon_runs.hpp"

#include <uring_cannon/run_file.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <algorithm>
#include <string>
#include <vector>

using test_support::child_process;
using test_support::finished_process;
using test_support::parse_json;
using test_support::run_program;
using namespace std::chrono_literals;
namespace uc = uring_cannon;

namespace {

using server = test_support::bundled_server;
using test_support::temp_dir;

finished_process ucannon(std::vector<std::string> args, const temp_dir& home) {
  return test_support::run_ucannon(std::move(args), home);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("ucannon merge: two runs' files merge into their sums", "[ucannon][integration][merge]") {
  server s;
  temp_dir dir;
  std::vector<test_support::json> runs;
  for (const char* name : {"a", "b"}) {
    const auto r = ucannon({s.url("/health"), "-c", "4", "-d", "500ms", "--warmup", "0", "--json", "--histogram",
                            "--histogram-out", dir.file(std::string(name) + ".run"), "--latency-out",
                            dir.file(std::string(name) + ".hgrm")},
                           dir);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    runs.push_back(parse_json(r.out));
  }
  // The run file holds exactly what the run reported.
  const auto a = uc::decode_run(read_file(dir.file("a.run")));
  REQUIRE(a.ok());
  CHECK(a->results.responses == runs[0]["responses"].u64());
  CHECK(a->results.latency.count() == runs[0]["latency_us"]["samples"].u64());
  CHECK(read_file(dir.file("a.hgrm")).find("#[Max     = ") != std::string::npos);

  const auto merged = ucannon({"merge", dir.file("a.run"), dir.file("b.run"), "--json", "--histogram"}, dir);
  INFO(merged.err);
  REQUIRE(merged.exit_code == 0);
  CHECK(merged.err.find("Merged 2 runs") != std::string::npos);
  const auto m = parse_json(merged.out);
  auto sum = [&](auto field) { return field(runs[0]) + field(runs[1]); };
  CHECK(m["requests"].u64() == sum([](const auto& j) { return j["requests"].u64(); }));
  CHECK(m["responses"].u64() == sum([](const auto& j) { return j["responses"].u64(); }));
  CHECK(m["bytes_read"].u64() == sum([](const auto& j) { return j["bytes_read"].u64(); }));
  CHECK(m["status"]["2xx"].u64() == sum([](const auto& j) { return j["status"]["2xx"].u64(); }));
  CHECK(m["status_codes"]["200"].u64() == sum([](const auto& j) { return j["status_codes"]["200"].u64(); }));
  CHECK(m["latency_us"]["samples"].u64() == sum([](const auto& j) { return j["latency_us"]["samples"].u64(); }));
  CHECK(m["accounting"]["requests_sent"].u64() ==
        sum([](const auto& j) { return j["accounting"]["requests_sent"].u64(); }));
  CHECK(m["connections"].u64() == 8);
  CHECK(m["latency_us"]["max"].u64() ==
        std::max(runs[0]["latency_us"]["max"].u64(), runs[1]["latency_us"]["max"].u64()));
  CHECK(m["latency_us"]["min"].u64() ==
        std::min(runs[0]["latency_us"]["min"].u64(), runs[1]["latency_us"]["min"].u64()));
  CHECK(m["elapsed_sec"].f64() == std::max(runs[0]["elapsed_sec"].f64(), runs[1]["elapsed_sec"].f64()));

  // The histogram: every bucket's count is the sum of the two runs' counts for it.
  std::map<std::uint64_t, std::uint64_t> expected;
  for (const auto& run : runs)
    for (const auto& b : run["histogram_us"].items) expected[b.items[0].u64()] += b.items[1].u64();
  std::map<std::uint64_t, std::uint64_t> got;
  for (const auto& b : m["histogram_us"].items) got[b.items[0].u64()] += b.items[1].u64();
  CHECK(got == expected);

  // The text report is format_text_results() of the merged run.
  const auto text = ucannon({"merge", dir.file("a.run"), dir.file("b.run")}, dir);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find(std::to_string(m["responses"].u64()) + " responses\n") != std::string::npos);
  CHECK(text.out.find("  Thread Stats   Avg") != std::string::npos);
}

TEST_CASE("ucannon merge: bad files and mismatched modes exit 1 with a message", "[ucannon][integration][merge]") {
  server s;
  temp_dir dir;
  REQUIRE(ucannon({s.url("/health"), "-c", "2", "-d", "200ms", "--warmup", "0", "--histogram-out",
                   dir.file("http.run")},
                  dir)
              .exit_code == 0);
  const auto http = uc::decode_run(read_file(dir.file("http.run")));
  REQUIRE(http.ok());
  uc::saved_run ws = *http;
  ws.config.websocket = true;
  std::ofstream(dir.file("ws.run"), std::ios::binary) << uc::encode_run(ws.config, ws.results);
  std::ofstream(dir.file("junk.run"), std::ios::binary) << "hello, not a run file\n";
  std::string truncated = read_file(dir.file("http.run"));
  truncated.resize(truncated.size() / 2);
  std::ofstream(dir.file("short.run"), std::ios::binary) << truncated;

  auto r = ucannon({"merge", dir.file("http.run"), dir.file("ws.run")}, dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("different modes") != std::string::npos);
  CHECK(r.out.empty());
  r = ucannon({"merge", dir.file("http.run"), dir.file("junk.run")}, dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("junk.run: not a ucannon run file") != std::string::npos);
  r = ucannon({"merge", dir.file("short.run")}, dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("truncated") != std::string::npos);
  r = ucannon({"merge", dir.file("missing.run")}, dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot open") != std::string::npos);
  r = ucannon({"merge"}, dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("Usage: ucannon merge") != std::string::npos);
  r = ucannon({s.url("/"), "--bind", "10.0.0.9-10.0.0.1"}, dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("runs backwards") != std::string::npos);
}

#endif
