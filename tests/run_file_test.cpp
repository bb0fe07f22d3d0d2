#include <uring_cannon/run_file.hpp>

#include <uring_cannon/load_json_report.hpp>
#include <uring_cannon/load_text_report.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

// A run with every field the reports print set to something that tells runs apart.
uc::saved_run sample_run(std::uint64_t seed, bool websocket = false) {
  uc::saved_run run;
  uc::load_config& c = run.config;
  c.url = "http://127.0.0.1:8080/x";
  c.connections = 10 + unsigned(seed);
  c.threads = 2;
  c.duration = 3s;
  c.pipeline = 4;
  c.websocket = websocket;
  c.percentiles = {50, 99.9};
  c.rate = 1000.5;
  c.source_addresses = {"127.0.0.1", "::1"};
  c.timeout = 250ms;
  uc::load_results& r = run.results;
  r.target = "127.0.0.1:8080/x";
  r.elapsed_sec = 3.0 + 0.001 * double(seed);
  r.requests = 1000 * seed + 7;
  r.responses = 1000 * seed;
  r.bytes_read = 64000 * seed;
  r.status.s2xx = 900 * seed;
  r.status.s4xx = 100 * seed;
  r.errors.connect = seed;
  r.errors.classes.connect_refused = seed;
  r.errors.read = 2;
  r.errors.classes.reset = 2;
  r.reconnects = 3 * seed;
  r.ws_upgrades = websocket ? 10 : 0;
  r.ws_frames = websocket ? r.responses : 0;
  for (std::uint64_t i = 0; i < r.responses; ++i) {
    r.latency.record_us(30 + (i * 7919 + seed) % 20'000);
    r.ttfb.record_us(20 + i % 500);
    r.service_time.record_us(25 + i % 900);
  }
  r.latency.record_us(6'000'000 + seed);  // one overflow sample
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 900 * seed;
  r.status_codes[404] = 100 * seed;
  r.accounting = {r.requests + 5, r.responses + 2, 3, 2};
  r.responses_per_second = std::vector<std::uint64_t>(seed + 1, 300 * seed);
  r.interrupted = seed == 3;
  return run;
}

void check_same(const uc::saved_run& a, const uc::saved_run& b) {
  // The reports print every field that matters; equal reports and equal histograms say it all.
  CHECK(uc::format_json(a.config, a.results, {.histogram = true}) ==
        uc::format_json(b.config, b.results, {.histogram = true}));
  CHECK(uc::format_text_results(a.config, a.results, {.latency_details = true}) ==
        uc::format_text_results(b.config, b.results, {.latency_details = true}));
  CHECK(a.results.latency == b.results.latency);
  CHECK(a.results.ttfb == b.results.ttfb);
  CHECK(a.results.service_time == b.results.service_time);
  CHECK(a.results.status_codes == b.results.status_codes);
  CHECK(a.results.elapsed_sec == b.results.elapsed_sec);
  CHECK(a.config.source_addresses == b.config.source_addresses);
  CHECK(a.config.timeout == b.config.timeout);
}

}  // namespace

TEST_CASE("run file: decode gives back what encode wrote", "[run_file]") {
  for (bool websocket : {false, true}) {
    const uc::saved_run run = sample_run(2, websocket);
    const std::string bytes = uc::encode_run(run.config, run.results);
    CHECK(bytes.rfind("ucRunFil", 0) == 0);
    const auto back = uc::decode_run(bytes);
    REQUIRE(back.ok());
    check_same(run, *back);
    CHECK(uc::encode_run(back->config, back->results) == bytes);  // stable
  }
  // Per-template results, an empty run and an empty status-code table survive too.
  uc::saved_run run = sample_run(1);
  run.results.per_template.resize(2);
  run.results.per_template[0].path = "a.raw";
  run.results.per_template[0].responses = 5;
  run.results.per_template[0].status.s2xx = 5;
  run.results.per_template[0].latency.record_us(77);
  run.config.per_template_latency = true;
  auto back = uc::decode_run(uc::encode_run(run.config, run.results));
  REQUIRE(back.ok());
  REQUIRE(back->results.per_template.size() == 2);
  CHECK(back->results.per_template[0].path == "a.raw");
  CHECK(back->results.per_template[0].latency == run.results.per_template[0].latency);
  check_same(run, *back);
  const uc::saved_run empty;
  back = uc::decode_run(uc::encode_run(empty.config, empty.results));
  REQUIRE(back.ok());
  check_same(empty, *back);
}

TEST_CASE("run file: a foreign, truncated or corrupted file is an error, never a crash", "[run_file]") {
  const uc::saved_run run = sample_run(1);
  const std::string bytes = uc::encode_run(run.config, run.results);
  CHECK(uc::decode_run("").error().find("not a ucannon run file") != std::string::npos);
  CHECK(uc::decode_run("{\"version\": 1}").error().find("not a ucannon run file") != std::string::npos);
  CHECK(uc::decode_run(run.results.latency.to_binary()).error().find("not a ucannon run file") != std::string::npos);
  // Every truncation.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto r = uc::decode_run(std::string_view(bytes).substr(0, n));
    INFO(n);
    REQUIRE_FALSE(r.ok());
    if (n >= 8) CHECK(r.error().find("truncated") != std::string::npos);
  }
  // Trailing bytes.
  CHECK(uc::decode_run(bytes + "x").error().find("unexpected bytes") != std::string::npos);
  // Another version.
  std::string other = bytes;
  other[8] = 2;
  CHECK(uc::decode_run(other).error().find("version 2 is not supported") != std::string::npos);
  // Every single-byte flip is caught (the checksum, or the header before it).
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x20);
    INFO(i);
    CHECK_FALSE(uc::decode_run(flipped).ok());
  }
  std::string corrupt = bytes;
  corrupt[100] = static_cast<char>(corrupt[100] ^ 1);
  CHECK(uc::decode_run(corrupt).error().find("checksum") != std::string::npos);
}

TEST_CASE("run file: a body with a sound checksum but bad fields is refused", "[run_file]") {
  // Re-seal a body after changing it, as a buggy or hostile writer could.
  const uc::saved_run run = sample_run(1);
  std::string bytes = uc::encode_run(run.config, run.results);
  auto reseal = [](std::string b) {
    b.resize(b.size() - 8);
    uring_cannon::detail::put_u64(b, uring_cannon::detail::fnv1a64(b));
    return b;
  };
  // The url's length (the body's first field) claims more than there is.
  std::string huge = bytes;
  huge[20] = huge[21] = huge[22] = huge[23] = '\xff';
  CHECK(uc::decode_run(reseal(huge)).error().find("bad run file: truncated") != std::string::npos);
  // The last field (interrupted) is not a boolean.
  std::string not_bool = bytes;
  not_bool[not_bool.size() - 9] = 7;
  CHECK(uc::decode_run(reseal(not_bool)).error().find("boolean") != std::string::npos);
  CHECK(uc::decode_run(reseal(bytes)).ok());  // resealing alone changes nothing
}

TEST_CASE("run file: merging sums the counts and merges the histograms bucket by bucket", "[run_file]") {
  const std::vector<uc::saved_run> runs{sample_run(1), sample_run(2), sample_run(3)};
  const auto merged = uc::merge_runs(runs);
  REQUIRE(merged.ok());
  const uc::load_results& m = merged->results;
  uc::latency_histogram latency, ttfb, service;
  std::uint64_t requests = 0, responses = 0, bytes = 0, s2xx = 0, s4xx = 0, connect = 0, refused = 0, read = 0,
                reconnects = 0, sent = 0, answered = 0, code404 = 0;
  double rates = 0;
  for (const auto& run : runs) {
    const uc::load_results& r = run.results;
    latency.merge(r.latency);
    ttfb.merge(r.ttfb);
    service.merge(r.service_time);
    requests += r.requests;
    responses += r.responses;
    bytes += r.bytes_read;
    s2xx += r.status.s2xx;
    s4xx += r.status.s4xx;
    connect += r.errors.connect;
    refused += r.errors.classes.connect_refused;
    read += r.errors.read;
    reconnects += r.reconnects;
    sent += r.accounting.requests_sent;
    answered += r.accounting.answered;
    code404 += r.status_codes[404];
    rates += r.requests_per_second();
  }
  CHECK(m.latency == latency);
  CHECK(m.ttfb == ttfb);
  CHECK(m.service_time == service);
  CHECK(m.latency.count() == 6000 + 3);
  CHECK(m.latency.overflow_count() == 3);
  CHECK(m.requests == requests);
  CHECK(m.responses == responses);
  CHECK(m.bytes_read == bytes);
  CHECK(m.status.s2xx == s2xx);
  CHECK(m.status.s4xx == s4xx);
  CHECK(m.errors.connect == connect);
  CHECK(m.errors.classes.connect_refused == refused);
  CHECK(m.errors.read == read);
  CHECK(m.reconnects == reconnects);
  CHECK(m.accounting.requests_sent == sent);
  CHECK(m.accounting.answered == answered);
  CHECK(m.accounting.balanced() == (sent == answered + m.accounting.abandoned + m.accounting.in_flight));
  CHECK(m.status_codes[404] == code404);
  CHECK(m.elapsed_sec == 3.003);  // the longest
  CHECK(m.interrupted);           // run 3 was
  // Second by second: run 1 has 2 seconds of 300, run 2 3 of 600, run 3 4 of 900.
  CHECK(m.responses_per_second == std::vector<std::uint64_t>{1800, 1800, 1500, 900});
  CHECK(merged->config.connections == 11 + 12 + 13);
  CHECK(merged->config.threads == 6);
  CHECK(merged->config.rate == 3 * 1000.5);
  CHECK(m.target == "127.0.0.1:8080/x");
  CHECK(uc::summed_requests_per_second(runs) == Approx(rates));
  CHECK(m.requests_per_second() <= uc::summed_requests_per_second(runs));

  // Merging a merge with one more run equals merging all at once (the file in between too).
  const auto partial = uc::merge_runs({runs[0], runs[1]});
  REQUIRE(partial.ok());
  const auto reread = uc::decode_run(uc::encode_run(partial->config, partial->results));
  REQUIRE(reread.ok());
  const auto again = uc::merge_runs({*reread, runs[2]});
  REQUIRE(again.ok());
  check_same(*merged, *again);

  // A single run merges to itself.
  const auto one = uc::merge_runs({runs[1]});
  REQUIRE(one.ok());
  check_same(runs[1], *one);
}

TEST_CASE("run file: runs that cannot be one report do not merge", "[run_file]") {
  CHECK(uc::merge_runs({}).error() == "no runs to merge");
  auto r = uc::merge_runs({sample_run(1), sample_run(2, true)});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("different modes: run 1 is HTTP, run 2 is WebSocket") != std::string::npos);
  uc::saved_run expects_404 = sample_run(2);
  expects_404.config.expected_status = 404;
  r = uc::merge_runs({sample_run(1), sample_run(1), expects_404});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("run 3 expects 404") != std::string::npos);
  uc::saved_run templates = sample_run(2);
  templates.results.per_template.resize(2);
  CHECK_FALSE(uc::merge_runs({sample_run(1), templates}).ok());
  // Different targets merge, and say so.
  uc::saved_run elsewhere = sample_run(2);
  elsewhere.results.target = "10.0.0.9:80/x";
  r = uc::merge_runs({sample_run(1), elsewhere, sample_run(3)});
  REQUIRE(r.ok());
  CHECK(r->results.target == "127.0.0.1:8080/x, 10.0.0.9:80/x");
}
