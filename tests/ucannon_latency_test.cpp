// ucannon's latency reporting end to end: --percentiles, time to first byte (TTFB), --histogram
// and --latency, with the built CLI against the built ucannon-server on 127.0.0.1 (each case
// starts and stops its own). Every run is short and bounded. What must hold for every run, TTFB at
// or below the full-response latency, is checked on each JSON document by checked_json().

#if defined(URING_CANNON_CLI_PATH) && defined(URING_CANNON_SERVER_PATH)

#include "support/child_process.hpp"
#include "support/json_reader.hpp"
#include "support/ucannon_runs.hpp"

#include <uring_cannon/latency_histogram.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

using test_support::child_process;
using test_support::finished_process;
using test_support::json;
using test_support::parse_json;
using test_support::run_program;
using namespace std::chrono_literals;

namespace {

using latency_server = test_support::bundled_server;
using latency_home = test_support::temp_dir;
using test_support::run_ucannon;

bool has_key(const json& object, const std::string& key) {
  for (const auto& name : object.names)
    if (name == key) return true;
  return false;
}

/// The --json document of a run that must have succeeded with samples, with TTFB checked at or
/// below the full latency: each response's first byte comes before its last, so every order
/// statistic, the mean, min and max of TTFB are at most the latency's (bucket edges keep order).
json checked_json(const finished_process& run) {
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  json doc = parse_json(run.out);
  const json& latency = doc["latency_us"];
  const json& ttfb = doc["ttfb_us"];
  CHECK(latency["samples"].u64() > 0);
  for (const char* key : {"avg", "p50", "p90", "p99", "p999", "min", "max"}) {
    INFO(key);
    CHECK(ttfb[key].u64() <= latency[key].u64());
  }
  if (has_key(doc, "percentiles_us")) {
    const json& full = doc["percentiles_us"];
    const json& first = doc["ttfb_percentiles_us"];
    CHECK(first.keys() == full.keys());
    for (const auto& key : full.names) {
      INFO("percentile " << key);
      CHECK(first[key].u64() <= full[key].u64());
    }
  }
  return doc;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

}  // namespace

TEST_CASE("ucannon --percentiles: the reported values are the histogram's", "[ucannon][integration][latency]") {
  latency_server s;
  latency_home home;
  const auto doc = checked_json(run_ucannon({s.url("/health"), "-c", "4", "-d", "1", "--warmup", "0", "--json",
                                             "--percentiles", "50,90,99,99.9,75,99.99,100"},
                                            home));
  const json& latency = doc["latency_us"];
  const json& asked = doc["percentiles_us"];
  CHECK(asked.keys() == std::vector<std::string>{"50", "90", "99", "99.9", "75", "99.99", "100"});
  // Where a requested percentile is one of gcannon's fixed columns, it is the same number.
  CHECK(asked["50"].u64() == latency["p50"].u64());
  CHECK(asked["90"].u64() == latency["p90"].u64());
  CHECK(asked["99"].u64() == latency["p99"].u64());
  CHECK(asked["99.9"].u64() == latency["p999"].u64());
  // The others fall in order between them, and p100 is the bucket of the largest sample.
  CHECK(asked["50"].u64() <= asked["75"].u64());
  CHECK(asked["75"].u64() <= asked["90"].u64());
  CHECK(asked["99.9"].u64() <= asked["99.99"].u64());
  CHECK(asked["99.99"].u64() <= asked["100"].u64());
  CHECK(asked["100"].u64() == uring_cannon::latency_histogram::bucket_lower_us(latency["max"].u64()));
  const json& ttfb = doc["ttfb_us"];
  const json& ttfb_asked = doc["ttfb_percentiles_us"];
  CHECK(ttfb_asked["50"].u64() == ttfb["p50"].u64());
  CHECK(ttfb_asked["99.9"].u64() == ttfb["p999"].u64());
  CHECK(ttfb_asked["100"].u64() == uring_cannon::latency_histogram::bucket_lower_us(ttfb["max"].u64()));
  // gcannon's fields keep their meaning: min <= p50 <= max, and stddev is a plain number.
  CHECK(latency["min"].u64() <= latency["p50"].u64());
  CHECK(latency["p50"].u64() <= latency["max"].u64());
  CHECK(latency["stddev"].f64() >= 0.0);
}

TEST_CASE("ucannon text report: --latency and --percentiles, with the table row still first", "[ucannon][integration][latency]") {
  latency_server s;
  latency_home home;
  const auto run = run_ucannon({s.url("/health"), "-c", "2", "-d", "1", "--latency", "--percentiles", "50,99.9"}, home);
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const auto lines = lines_of(run.out);
  std::size_t row = lines.size();
  for (std::size_t i = 0; i < lines.size() && row == lines.size(); ++i)
    if (lines[i].find("Latency") != std::string::npos) row = i;
  REQUIRE(row + 2 < lines.size());
  // Http Arena's reading: the first line with "Latency" is the table row, avg and p99 in fields 2 and 5.
  CHECK(lines[row].rfind("    Latency ", 0) == 0);
  const auto latency = fields_of(lines[row]);
  REQUIRE(latency.size() == 6);
  // The TTFB row right under it, then min/max/stddev.
  CHECK(lines[row + 1].rfind("       TTFB ", 0) == 0);
  const auto ttfb = fields_of(lines[row + 1]);
  REQUIRE(ttfb.size() == 6);
  CHECK(lines[row + 2].rfind("  Latency min/max/stddev: ", 0) == 0);
  CHECK(fields_of(lines[row + 2]).size() == 7);  // "Latency" "min/max/stddev:" a / b / c

  // The percentile table after gcannon's lines repeats the table's numbers for p50 and p99.9.
  std::size_t table = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind("  Percentile ", 0) == 0) table = i;
  REQUIRE(table + 2 < lines.size());
  CHECK(table > row);
  CHECK(fields_of(lines[table]) == std::vector<std::string>{"Percentile", "Latency", "TTFB"});
  CHECK(fields_of(lines[table + 1]) == std::vector<std::string>{"p50", latency[2], ttfb[2]});
  CHECK(fields_of(lines[table + 2]) == std::vector<std::string>{"p99.9", latency[5], ttfb[5]});

  // A plain run prints none of it: its text is gcannon's.
  const auto plain = run_ucannon({s.url("/health"), "-c", "2", "-d", "1"}, home);
  REQUIRE(plain.exit_code == 0);
  for (const char* absent : {"TTFB", "Percentile", "min/max/stddev"}) CHECK(plain.out.find(absent) == std::string::npos);
}

TEST_CASE("ucannon TTFB: a slow chunked body's first byte comes far ahead of its end", "[ucannon][integration][latency]") {
  latency_server s;
  latency_home home;
  // Ten chunks 20 ms apart: the head and first chunk at once, the last one 180 ms later.
  const auto doc = checked_json(
      run_ucannon({s.url("/chunked/10?size=100&delay=20"), "-c", "2", "-d", "2", "--json", "--percentiles", "50"}, home));
  const json& latency = doc["latency_us"];
  const json& ttfb = doc["ttfb_us"];
  INFO("latency p50 " << latency["p50"].u64() << ", ttfb p50 " << ttfb["p50"].u64());
  CHECK(latency["samples"].u64() >= 4);
  CHECK(latency["min"].u64() >= 180'000);
  CHECK(latency["p50"].u64() >= 180'000);
  CHECK(ttfb["p50"].u64() < 100'000);
  CHECK(doc["ttfb_percentiles_us"]["50"].u64() == ttfb["p50"].u64());
}

TEST_CASE("ucannon --histogram: the buckets sum to the samples", "[ucannon][integration][latency]") {
  latency_server s;
  latency_home home;
  const auto doc = checked_json(run_ucannon({s.url("/health"), "-c", "4", "-d", "1", "--json", "--histogram"}, home));
  const json& latency = doc["latency_us"];
  const json& buckets = doc["histogram_us"];
  REQUIRE(buckets.kind == json::array);
  REQUIRE_FALSE(buckets.items.empty());
  std::uint64_t total = 0, previous = 0;
  for (std::size_t i = 0; i < buckets.items.size(); ++i) {
    const json& b = buckets.items[i];
    REQUIRE(b.items.size() == 2);
    CHECK(b.items[1].u64() > 0);
    if (i > 0) CHECK(b.items[0].u64() > previous);
    previous = b.items[0].u64();
    total += b.items[1].u64();
  }
  CHECK(total == latency["samples"].u64());
  using uring_cannon::latency_histogram;
  CHECK(buckets.items.front().items[0].u64() == latency_histogram::bucket_lower_us(latency["min"].u64()));
  CHECK(buckets.items.back().items[0].u64() == latency_histogram::bucket_lower_us(latency["max"].u64()));

  // Without --histogram the document has no buckets.
  const auto plain = checked_json(run_ucannon({s.url("/health"), "-c", "2", "-d", "1", "--json"}, home));
  CHECK_FALSE(has_key(plain, "histogram_us"));
  CHECK_FALSE(has_key(plain, "percentiles_us"));
}

TEST_CASE("ucannon TTFB stays at or below latency when pipelined, reconnecting, on WebSocket and with --cqe-latency",
          "[ucannon][integration][latency]") {
  latency_server s;
  latency_home home;
  const std::vector<std::vector<std::string>> runs = {
      {s.url("/health"), "-c", "2", "-d", "1", "-p", "8", "--json", "--percentiles", "50,99,99.9"},
      {s.url("/bin/64K"), "-c", "2", "-d", "1", "-r", "5", "--json", "--percentiles", "50,99.9"},
      {s.url("/ws"), "--ws", "-c", "2", "-d", "1", "-p", "4", "--json", "--percentiles", "50,99.9"},
      {s.url("/health"), "-c", "2", "-d", "1", "--cqe-latency", "--json", "--percentiles", "50,99.9"}};
  for (const auto& args : runs) {
    INFO(args[0] << " " << args[args.size() - 4]);
    const auto doc = checked_json(run_ucannon(args, home));
    CHECK(doc["responses"].u64() > 0);
  }
}

TEST_CASE("ucannon: a bad --percentiles list is exit 2 before anything runs", "[ucannon][integration][latency]") {
  latency_home home;
  // Port 1 on loopback: nothing would answer, but nothing gets that far.
  for (const char* bad : {"101", "abc", "", "50,,90", "50,", "1e2", "0", "-5", ".5",
                          "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21"}) {
    INFO("--percentiles '" << bad << "'");
    const auto run = run_ucannon({"http://127.0.0.1:1/", "-d", "1", "--json", "--percentiles", bad}, home);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK(run.err.rfind("Error: --percentiles expects ", 0) == 0);
    CHECK(run.err.find(std::string("got '") + bad + "'") != std::string::npos);
  }
  const auto missing = run_ucannon({"http://127.0.0.1:1/", "--percentiles"}, home);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "Error: --percentiles needs a value\n");
}

#endif  // URING_CANNON_CLI_PATH && URING_CANNON_SERVER_PATH
