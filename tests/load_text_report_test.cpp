// The text report: its number formats, an approval test of whole reports against committed
// baselines (tests/approval/text_*.txt), and the parsing that real consumers (Http Arena's
// gcannon wrapper) do on it. Set UCANNON_UPDATE_APPROVALS=1 to rewrite the baselines after a
// deliberate change, then review the diff.

#include <uring_cannon/load_text_report.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#ifndef URING_CANNON_SOURCE_DIR
#define URING_CANNON_SOURCE_DIR "."
#endif

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

// Deterministic latencies: a spread around 400 µs with a tail into tier 2.
void fill_latency(uc::latency_histogram& h, std::uint64_t samples, std::uint64_t base) {
  for (std::uint64_t i = 0; i < samples; ++i) {
    const std::uint64_t us = base + (i * 7919) % 200 + (i % 100 == 0 ? 1500 : 0) + (i % 1000 == 0 ? 20000 : 0);
    h.record_us(us);
  }
}

uc::load_config http_config() {
  uc::load_config c;
  c.url = "http://127.0.0.1:8080/";
  c.connections = 64;
  c.threads = 1;
  c.duration = 5s;
  return c;
}

uc::load_results http_results() {
  uc::load_results r;
  r.target = "127.0.0.1:8080/";
  r.elapsed_sec = 5.0004;
  r.requests = 734780;
  r.responses = 734780;
  r.bytes_read = 109'483'220;
  r.status.s2xx = 734780;
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 734780;  // all 200: the text stays gcannon's
  fill_latency(r.latency, 734780, 300);
  return r;
}

struct scenario {
  const char* name;
  uc::load_config config;
  uc::load_results results;
  std::string header_target;
  bool tui = false;
  uc::text_report_options options = {};
};

scenario http_scenario() { return {"text_http.txt", http_config(), http_results(), "127.0.0.1:8080/"}; }

scenario ws_scenario() {
  scenario s{"text_ws.txt", http_config(), {}, "localhost:8080/ws", true};
  s.config.websocket = true;
  s.config.threads = 4;
  s.config.connections = 512;
  s.config.pipeline = 16;
  s.config.cqe_latency = true;
  uc::load_results& r = s.results;
  r.target = "localhost:8080/ws";
  r.elapsed_sec = 5.0;
  r.requests = 292742792;
  r.responses = 292742776;
  r.ws_frames = 292742776;
  r.ws_upgrades = 512;
  r.status.s2xx = 292742776;
  r.bytes_read = 2'049'199'432;
  fill_latency(r.latency, 100000, 120);
  return s;
}

scenario templates_scenario() {
  scenario s{"text_templates.txt", http_config(), {}, "localhost:8080/"};
  s.config.raw_files = {"get.raw", "post.raw", "json.raw", "db.raw"};
  s.config.requests_per_connection = 5;
  s.config.per_template_latency = true;
  s.config.threads = 3;
  s.config.connections = 100;  // 33.3 per thread prints as 33
  uc::load_results& r = s.results;
  r.target = "localhost:8080/";
  r.elapsed_sec = 5.02;
  r.requests = 32720;
  r.responses = 32718;
  r.bytes_read = 2'329'000;
  r.status.s2xx = 32718;
  r.reconnects = 6547;
  r.errors = {2, 5, 1, {}};
  r.per_template.resize(4);
  const std::uint64_t counts[4] = {8177, 8181, 8181, 8179};
  for (std::size_t i = 0; i < 4; ++i) {
    r.per_template[i].path = s.config.raw_files[i];
    r.per_template[i].responses = counts[i];
    r.per_template[i].status.s2xx = counts[i] - (i == 1 ? 3 : 0);
    r.per_template[i].status.s4xx = i == 1 ? 3 : 0;
    if (i != 2) fill_latency(r.per_template[i].latency, counts[i], 200 + 100 * i);  // #2 has no samples
    r.latency.merge(r.per_template[i].latency);
  }
  return s;
}

scenario warning_scenario() {
  scenario s{"text_warning.txt", http_config(), http_results(), "127.0.0.1:8080/status/404"};
  s.config.duration = 1500ms;
  uc::load_results& r = s.results;
  r.target = "127.0.0.1:8080/status/404";
  r.status = {};
  r.status_codes.clear();  // an engine that counted no codes: no line for them
  r.status.s2xx = 1000;
  r.status.s4xx = 733000;
  r.status.other = 780;
  r.latency = uc::latency_histogram();
  fill_latency(r.latency, 734777, 300);
  r.latency.record_us(6'000'000, 3);  // overflow: 734780 samples in all
  r.interrupted = true;
  r.elapsed_sec = 1.234;
  return s;
}

// ucannon's additions all on: --latency and --percentiles, with a time to first byte recorded.
scenario latency_scenario() {
  scenario s{"text_latency.txt", http_config(), http_results(), "127.0.0.1:8080/"};
  s.config.percentiles = {50, 90, 99.9, 99.99, 100, 0.5};
  s.options.latency_details = true;
  fill_latency(s.results.ttfb, 734780, 100);
  return s;
}

// Open loop at 50 000 req/s that reached only 40 000, against a server that answered with three
// codes and failed in several ways: every open-loop line, both warnings.
scenario open_loop_scenario() {
  scenario s{"text_open_loop.txt", http_config(), {}, "127.0.0.1:8080/delay/5"};
  s.config.rate = 50000;
  s.config.connections = 256;
  s.config.threads = 2;
  uc::load_results& r = s.results;
  r.target = "127.0.0.1:8080/delay/5";
  r.elapsed_sec = 5.0;
  r.requests = 200000;  // 40 000 req/s: 80% of the target
  r.responses = 199990;
  r.bytes_read = 29'000'000;
  r.status.s2xx = 199000;
  r.status.s4xx = 900;
  r.status.s5xx = 90;
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 198000;
  r.status_codes[204] = 1000;
  r.status_codes[404] = 900;
  r.status_codes[503] = 90;
  r.errors.connect = 3;
  r.errors.read = 7;
  r.errors.timeout = 2;
  r.errors.classes.connect_refused = 2;
  r.errors.classes.connect_timeout = 1;
  r.errors.classes.reset = 4;
  r.errors.classes.unexpected_close = 3;
  r.errors.classes.read_timeout = 2;
  r.reconnects = 0;
  fill_latency(r.latency, 199990, 5300);     // corrected: from the intended send
  fill_latency(r.service_time, 199990, 5050);  // from the actual send
  return s;
}

std::string report(const scenario& s) {
  return uc::format_text_header(s.config, s.header_target, s.tui) +
         uc::format_text_results(s.config, s.results, s.options);
}

// The version changes with every release; the baselines say "vX.Y.Z".
std::string normalise(std::string text) {
  const std::string version = std::string("ucannon v") + uc::version_string;
  for (std::size_t at = text.find(version); at != std::string::npos; at = text.find(version, at))
    text.replace(at, version.size(), "ucannon vX.Y.Z");
  return text;
}

std::string baseline_path(const char* name) { return std::string(URING_CANNON_SOURCE_DIR) + "/tests/approval/" + name; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

// What Http Arena's wrapper reads out of gcannon's text, done the way it does it.
struct arena_reading {
  std::string duration, avg, p99, bandwidth, per_template_ok;
  std::uint64_t s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, responses = 0, ws_frames = 0, reconnects = 0;
};

std::uint64_t integer_after(const std::string& text, const std::string& label) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(label + "([0-9]+)"))) return UINT64_MAX;
  return std::stoull(m[1]);
}

arena_reading read_like_http_arena(const std::string& text) {
  arena_reading a;
  std::smatch m;
  if (std::regex_search(text, m, std::regex("(?:requests|frames sent) in ([0-9.]+)s"))) a.duration = m[1];
  a.s2xx = integer_after(text, "2xx=");
  a.s3xx = integer_after(text, "3xx=");
  a.s4xx = integer_after(text, "4xx=");
  a.s5xx = integer_after(text, "5xx=");
  if (std::regex_search(text, m, std::regex("([0-9]+) (?:responses|frames received)"))) a.responses = std::stoull(m[1]);
  a.ws_frames = integer_after(text, "WS frames:\\s+");
  a.reconnects = integer_after(text, "Reconnects: ");
  for (const std::string& line : lines_of(text)) {
    if (line.find("Latency") != std::string::npos) {
      const auto f = fields_of(line);
      if (f.size() >= 5) {
        a.avg = f[1];
        a.p99 = f[4];
      }
      break;
    }
  }
  if (std::regex_search(text, m, std::regex("Bandwidth:\\s+(\\S+)"))) a.bandwidth = m[1];
  if (std::regex_search(text, m, std::regex("Per-template-ok: (.*)"))) a.per_template_ok = m[1];
  return a;
}

}  // namespace

TEST_CASE("latencies print as NNNus, N.NNms, N.NNs", "[text_report]") {
  CHECK(uc::format_latency(0) == "0us");
  CHECK(uc::format_latency(435) == "435us");
  CHECK(uc::format_latency(999) == "999us");
  CHECK(uc::format_latency(1000) == "1.00ms");
  CHECK(uc::format_latency(1680) == "1.68ms");
  CHECK(uc::format_latency(1685) == "1.69ms");  // 1.685 is above ...5 in binary: rounds up
  CHECK(uc::format_latency(999'999) == "1000.00ms");  // as gcannon's %.2f
  CHECK(uc::format_latency(1'000'000) == "1.00s");
  CHECK(uc::format_latency(5'000'000) == "5.00s");
  CHECK(uc::format_latency(123'456'789) == "123.46s");
}

TEST_CASE("counts print as N, N.NNK, N.NNM", "[text_report]") {
  CHECK(uc::format_count(0) == "0");
  CHECK(uc::format_count(999) == "999");
  CHECK(uc::format_count(1000) == "1.00K");
  CHECK(uc::format_count(146'920) == "146.92K");
  CHECK(uc::format_count(999'999) == "1000.00K");
  CHECK(uc::format_count(1'000'000) == "1.00M");
  CHECK(uc::format_count(58'500'000) == "58.50M");
  CHECK(uc::format_count(5'000'000'000) == "5000.00M");
}

TEST_CASE("bandwidth prints in powers of 1024", "[text_report]") {
  CHECK(uc::format_bandwidth(0) == "0B/s");
  CHECK(uc::format_bandwidth(1023) == "1023B/s");
  CHECK(uc::format_bandwidth(1023.6) == "1024B/s");  // %.0f, still below the KB threshold
  CHECK(uc::format_bandwidth(1024) == "1.00KB/s");
  CHECK(uc::format_bandwidth(464'076.8) == "453.20KB/s");
  CHECK(uc::format_bandwidth(1024.0 * 1024) == "1.00MB/s");
  CHECK(uc::format_bandwidth(21'893'857.28) == "20.88MB/s");
  CHECK(uc::format_bandwidth(1024.0 * 1024 * 1024 * 3.5) == "3.50GB/s");
  CHECK(uc::format_bandwidth(-5) == "0B/s");
}

TEST_CASE("format_fixed rounds like %.Nf and ignores the locale", "[text_report]") {
  CHECK(uc::format_fixed(5.0004, 2) == "5.00");
  CHECK(uc::format_fixed(2.0, 3) == "2.000");
  CHECK(uc::format_fixed(132110.0849, 2) == "132110.08");
  CHECK(uc::format_fixed(0.05, 1) == "0.1");
  CHECK(uc::format_fixed(-0.001, 2) == "0.00");
  CHECK(uc::format_fixed(1.0 / 0.0, 2) == "0.00");
  CHECK(uc::format_fixed(12.5, 0) == "12");  // round half to even, as printf
  // A program that switched LC_NUMERIC to a comma locale still gets points.
  if (std::setlocale(LC_NUMERIC, "de_DE.UTF-8") || std::setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
    CHECK(uc::format_fixed(1.5, 2) == "1.50");
    CHECK(uc::format_latency(1500) == "1.50ms");
    std::setlocale(LC_NUMERIC, "C");
  }
}

TEST_CASE("configured durations print as gcannon's Ns, or ucannon's Nms", "[text_report]") {
  CHECK(uc::format_duration_setting(5s) == "5s");
  CHECK(uc::format_duration_setting(2min) == "120s");
  CHECK(uc::format_duration_setting(500ms) == "500ms");
  CHECK(uc::format_duration_setting(1500ms) == "1500ms");
}

TEST_CASE("doubles truncate to integers safely", "[text_report]") {
  CHECK(uc::truncate_to_u64(146920.99) == 146920);
  CHECK(uc::truncate_to_u64(-3.0) == 0);
  CHECK(uc::truncate_to_u64(0.0 / 0.0) == 0);
  CHECK(uc::truncate_to_u64(1e30) == UINT64_MAX);
  uc::load_results r;
  r.responses = 10;
  r.elapsed_sec = 1e-300;  // an absurd rate still prints
  CHECK(uc::format_text_results(http_config(), r).find("  Throughput: 18446744073709.55M req/s\n") != std::string::npos);
}

TEST_CASE("the average is the integer part of sum / samples", "[text_report]") {
  uc::latency_histogram h;
  CHECK(uc::average_latency_us(h) == 0);
  h.record_us(10);
  h.record_us(11);
  CHECK(uc::average_latency_us(h) == 10);
}

TEST_CASE("text report: the header block", "[text_report]") {
  uc::load_config c = http_config();
  CHECK(uc::format_text_header(c, "127.0.0.1:8080/") ==
        std::string("ucannon v") + uc::version_string +
            "\n"
            "  Target:    127.0.0.1:8080/\n"
            "  Threads:   1\n"
            "  Conns:     64 (64/thread)\n"
            "  Pipeline:  1\n"
            "  Req/conn:  unlimited (keep-alive)\n"
            "  Expected:  200\n"
            "  Duration:  5s\n"
            "\n");
  CHECK(uc::text_mode_tags(c, false).empty());
  c.websocket = c.cqe_latency = c.per_template_latency = true;
  CHECK(uc::text_mode_tags(c, true) == " [WS, TUI, CQE, TPL]");
  CHECK(uc::text_mode_tags(c, false) == " [WS, CQE, TPL]");
  c.websocket = false;
  c.cqe_latency = false;
  CHECK(uc::text_mode_tags(c, true) == " [TUI, TPL]");
  c.requests_per_connection = 10;
  c.raw_files = {"a", "b"};
  const std::string h = uc::format_text_header(c, "x:1/");
  CHECK(h.find("  Req/conn:  10\n") != std::string::npos);
  CHECK(h.find("  Templates: 2\n") != std::string::npos);
  c.raw_files = {"a"};
  CHECK(uc::format_text_header(c, "x:1/").find("Templates") == std::string::npos);
}

TEST_CASE("text report approval: whole reports match the committed baselines", "[text_report]") {
  const bool update = std::getenv("UCANNON_UPDATE_APPROVALS") && *std::getenv("UCANNON_UPDATE_APPROVALS");
  for (const scenario& s : {http_scenario(), ws_scenario(), templates_scenario(), warning_scenario(), latency_scenario(),
                            open_loop_scenario()}) {
    INFO(s.name);
    const std::string actual = normalise(report(s));
    if (update) {
      std::ofstream(baseline_path(s.name), std::ios::binary) << actual;
      WARN("rewrote " << baseline_path(s.name));
    }
    std::ifstream in(baseline_path(s.name), std::ios::binary);
    REQUIRE(in.good());
    const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto want = lines_of(expected), got = lines_of(actual);
    for (std::size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
      INFO("line " << i + 1);
      CHECK((i < got.size() ? got[i] : "<missing>") == (i < want.size() ? want[i] : "<missing>"));
    }
    CHECK(actual == expected);  // byte for byte, trailing newline included
  }
}

TEST_CASE("Http Arena's parsing rules hold", "[text_report]") {
  SECTION("HTTP") {
    const scenario s = http_scenario();
    const std::string text = report(s);
    const auto a = read_like_http_arena(text);
    CHECK(a.duration == "5.00");
    CHECK(a.s2xx == 734780);
    CHECK(a.s3xx == 0);
    CHECK(a.s4xx == 0);
    CHECK(a.s5xx == 0);
    CHECK(a.responses == 734780);
    CHECK(a.avg == uc::format_latency(uc::average_latency_us(s.results.latency)));
    CHECK(a.p99 == uc::format_latency(s.results.latency.quantile_us(0.99)));
    CHECK(a.bandwidth == uc::format_bandwidth(s.results.bytes_per_second()));
    CHECK(a.reconnects == UINT64_MAX);  // absent when zero
    CHECK(a.per_template_ok.empty());
  }
  SECTION("WebSocket") {
    const scenario s = ws_scenario();
    const auto a = read_like_http_arena(report(s));
    CHECK(a.duration == "5.00");
    CHECK(a.responses == 292742776);
    CHECK(a.ws_frames == 292742776);
    CHECK(a.avg == uc::format_latency(uc::average_latency_us(s.results.latency)));
    CHECK(a.p99 == uc::format_latency(s.results.latency.quantile_us(0.99)));
  }
  SECTION("ucannon's additions on: the same readings") {
    const scenario plain = http_scenario(), extended = latency_scenario();
    const auto a = read_like_http_arena(report(plain)), b = read_like_http_arena(report(extended));
    CHECK(b.duration == a.duration);
    CHECK(b.s2xx == a.s2xx);
    CHECK(b.responses == a.responses);
    CHECK(b.avg == a.avg);
    CHECK(b.p99 == a.p99);
    CHECK(b.bandwidth == a.bandwidth);
  }
  SECTION("open loop with errors and several codes: gcannon's readings, from gcannon's lines") {
    const scenario s = open_loop_scenario();
    const auto a = read_like_http_arena(report(s));
    CHECK(a.duration == "5.00");
    CHECK(a.s2xx == 199000);
    CHECK(a.s3xx == 0);
    CHECK(a.s4xx == 900);
    CHECK(a.s5xx == 90);
    CHECK(a.responses == 199990);
    CHECK(a.avg == uc::format_latency(uc::average_latency_us(s.results.latency)));  // the corrected latency
    CHECK(a.p99 == uc::format_latency(s.results.latency.quantile_us(0.99)));
    CHECK(a.bandwidth == uc::format_bandwidth(s.results.bytes_per_second()));
    CHECK(a.reconnects == UINT64_MAX);
    CHECK(a.per_template_ok.empty());
  }
  SECTION("templates") {
    const scenario s = templates_scenario();
    const std::string text = report(s);
    const auto a = read_like_http_arena(text);
    CHECK(a.reconnects == 6547);
    CHECK(a.per_template_ok == "8177,8178,8181,8179");
    CHECK(text.find("  Per-template: 8177,8181,8181,8179\n") != std::string::npos);
    CHECK(a.p99 == uc::format_latency(s.results.latency.quantile_us(0.99)));
  }
}

TEST_CASE("nothing before the latency table contains the word Latency", "[text_report]") {
  for (scenario s : {http_scenario(), ws_scenario(), templates_scenario(), warning_scenario(), latency_scenario(),
                     open_loop_scenario()}) {
    s.config.cqe_latency = s.config.per_template_latency = true;  // every mode tag on
    s.tui = true;
    s.options.latency_details = true;  // and every addition
    s.config.percentiles = {99.9, 50};
    const auto lines = lines_of(report(s));
    std::size_t first = lines.size();
    for (std::size_t i = 0; i < lines.size() && first == lines.size(); ++i)
      if (lines[i].find("Latency") != std::string::npos) first = i;
    REQUIRE(first < lines.size());
    INFO(s.name);
    CHECK(lines[first - 1] == "  Thread Stats   Avg      p50      p90      p99    p99.9");
    CHECK(lines[first].rfind("    Latency ", 0) == 0);
    CHECK(fields_of(lines[first]).size() == 6);
  }
}

TEST_CASE("text report: conditional lines appear only when there is something to say", "[text_report]") {
  const scenario plain = http_scenario();
  const std::string text = uc::format_text_results(plain.config, plain.results);
  for (const char* absent : {"overflow", "Reconnects", "Errors", "Interrupted", "Per-template", "WARNING", "other=",
                             "WS "})
    CHECK(text.find(absent) == std::string::npos);
  CHECK(text.find("  Latency samples: 734780 / 734780 responses (100.0%)\n") != std::string::npos);

  const scenario noisy = warning_scenario();
  const std::string warned = uc::format_text_results(noisy.config, noisy.results);
  CHECK(warned.find("  Status codes: 2xx=1000, 3xx=0, 4xx=733000, 5xx=0, other=780\n") != std::string::npos);
  CHECK(warned.find("  Latency overflow (>5s): 3\n") != std::string::npos);
  CHECK(warned.find("  Interrupted: measured 1.23s of 1500ms\n") != std::string::npos);
  CHECK(warned.find("\n\n  WARNING: 733780/734780 responses (99.9%) had unexpected status (expected 2xx)\n") !=
        std::string::npos);
  CHECK(noisy.results.exit_code(noisy.config.expected_status) == 1);

  // Expecting 4xx: the 2xx and "other" responses are the unexpected ones.
  uc::load_config expect_404 = noisy.config;
  expect_404.expected_status = 404;
  CHECK(uc::format_unexpected_status_warning(expect_404, noisy.results) ==
        "\n  WARNING: 1780/734780 responses (0.2%) had unexpected status (expected 4xx)\n");
  CHECK(uc::format_unexpected_status_warning(plain.config, plain.results).empty());
}

TEST_CASE("a template without samples has no row in the per-template latency table", "[text_report]") {
  const scenario s = templates_scenario();
  const std::string text = uc::format_text_results(s.config, s.results);
  CHECK(text.find("    #0 ") != std::string::npos);
  CHECK(text.find("    #1 ") != std::string::npos);
  CHECK(text.find("    #2 ") == std::string::npos);
  CHECK(text.find("    #3 ") != std::string::npos);
  uc::load_config no_tpl_latency = s.config;
  no_tpl_latency.per_template_latency = false;
  CHECK(uc::format_text_results(no_tpl_latency, s.results).find("Per-template latency") == std::string::npos);
}

TEST_CASE("text report: an empty run prints zeros, not garbage", "[text_report]") {
  uc::load_config c = http_config();
  uc::load_results r;
  const std::string text = uc::format_text_results(c, r);
  CHECK(text.find("    Latency      0us      0us      0us      0us      0us\n") != std::string::npos);
  CHECK(text.find("  0 requests in 0.00s, 0 responses\n") != std::string::npos);
  CHECK(text.find("  Throughput: 0 req/s\n") != std::string::npos);
  CHECK(text.find("  Bandwidth:  0B/s\n") != std::string::npos);
  CHECK(text.find("  Latency samples: 0 / 0 responses (0.0%)\n") != std::string::npos);
}

TEST_CASE("text report: a plain run's text is gcannon's even with a TTFB recorded", "[text_report]") {
  const scenario with_ttfb = latency_scenario();
  const scenario plain = http_scenario();
  const std::string text = uc::format_text_results(plain.config, with_ttfb.results);
  CHECK(text == uc::format_text_results(plain.config, plain.results));
  for (const char* absent : {"TTFB", "min/max/stddev", "Percentile"}) CHECK(text.find(absent) == std::string::npos);
}

TEST_CASE("text report: --latency adds a TTFB row and latency min/max/stddev", "[text_report]") {
  uc::load_results r;
  r.responses = 4;
  for (std::uint64_t us : {100, 200, 300, 400}) r.latency.record_us(us);
  for (std::uint64_t us : {10, 20, 30, 40}) r.ttfb.record_us(us);
  const std::string text = uc::format_text_results(http_config(), r, {.latency_details = true});
  CHECK(text.rfind("\n"
                   "  Thread Stats   Avg      p50      p90      p99    p99.9\n"
                   "    Latency    250us    300us    400us    400us    400us\n"
                   "       TTFB     25us     30us     40us     40us     40us\n"
                   "  Latency min/max/stddev: 100us / 400us / 112us\n"  // sqrt(12500) = 111.8
                   "\n"
                   "  0 requests in",
                   0) == 0);
  // The TTFB row lines up with the latency row, field for field.
  const auto lines = lines_of(text);
  REQUIRE(lines.size() > 4);
  CHECK(lines[2].size() == lines[3].size());
  CHECK(fields_of(lines[3]).size() == 6);
  CHECK(fields_of(lines[3])[0] == "TTFB");

  CHECK(uc::format_latency_spread(r.latency) == "100us / 400us / 112us");
  CHECK(uc::format_latency_spread(uc::latency_histogram{}) == "0us / 0us / 0us");
  // Without samples: zeros.
  const std::string empty = uc::format_text_results(http_config(), uc::load_results{}, {.latency_details = true});
  CHECK(empty.find("       TTFB      0us      0us      0us      0us      0us\n") != std::string::npos);
  CHECK(empty.find("  Latency min/max/stddev: 0us / 0us / 0us\n") != std::string::npos);
}

TEST_CASE("text report: the table of requested percentiles", "[text_report]") {
  uc::load_config c = http_config();
  uc::load_results r;
  r.responses = 10000;
  for (std::uint64_t us = 0; us < 10000; ++us) r.latency.record_us(us);
  for (std::uint64_t us = 0; us < 10000; ++us) r.ttfb.record_us(us / 10);
  c.percentiles = {50, 99.99, 0.5, 100, 99.9999};
  const std::string table = uc::format_text_percentiles(c, r);
  CHECK(table ==
        "\n"
        "  Percentile    Latency       TTFB\n"
        "  p50            5.00ms      500us\n"
        "  p99.99        10.00ms      999us\n"  // 9999us: rank 10000 of 10000, as the literal 0.9999 gives
        "  p0.5             50us        5us\n"
        "  p100          10.00ms      999us\n"
        "  p99.9999      10.00ms      999us\n");
  // After gcannon's lines and before the warning, which stays last.
  r.status.s4xx = 10000;
  const std::string text = uc::format_text_results(c, r);
  const auto at_table = text.find("  Percentile "), at_samples = text.find("Latency samples"),
             at_warning = text.find("WARNING");
  CHECK(at_samples < at_table);
  CHECK(at_table < at_warning);
  CHECK(at_warning != std::string::npos);
  // A long label widens the first column.
  c.percentiles = {99.99999999999};
  CHECK(uc::format_text_percentiles(c, r).find("  p99.99999999999    10.00ms      999us\n") != std::string::npos);
  c.percentiles.clear();
  CHECK(uc::format_text_percentiles(c, r).empty());
}

TEST_CASE("percentile labels are the shortest exact decimal, and read back as the literal quantile", "[text_report]") {
  CHECK(uc::percentile_label(50) == "50");
  CHECK(uc::percentile_label(99.9) == "99.9");
  CHECK(uc::percentile_label(99.99) == "99.99");
  CHECK(uc::percentile_label(100) == "100");
  CHECK(uc::percentile_label(0.5) == "0.5");
  CHECK(uc::percentile_label(1e-7) == "0.0000001");  // never an exponent
  CHECK(uc::percentile_label(0.0 / 0.0).empty());

  CHECK(uc::percentile_label_quantile("50") == 0.5);
  CHECK(uc::percentile_label_quantile("90") == 0.9);
  CHECK(uc::percentile_label_quantile("99") == 0.99);
  CHECK(uc::percentile_label_quantile("99.9") == 0.999);
  CHECK(uc::percentile_label_quantile("99.99") == 0.9999);
  CHECK(uc::percentile_label_quantile("100") == 1.0);
  CHECK(uc::percentile_label_quantile("0.5") == 0.005);
  CHECK(uc::percentile_label_quantile("5") == 0.05);
  for (const char* bad : {"", ".5", "abc", "1e2", "5.5.5", "-1"}) {
    INFO(bad);
    CHECK(std::isnan(uc::percentile_label_quantile(bad)));
  }
  // Why the label and not p / 100: 99.99 / 100 is one ulp below 0.9999, which picks another rank.
  CHECK(99.99 / 100.0 != 0.9999);
  uc::latency_histogram h;
  for (std::uint64_t us = 0; us < 10000; ++us) h.record_us(us);
  CHECK(h.quantile_us(99.99 / 100.0) == 9998);
  uc::load_config c;
  c.percentiles = {99.99};
  CHECK(h.quantile_us(uc::requested_percentiles(c).at(0).quantile) == 9999);
}

TEST_CASE("requested_percentiles keeps the order, drops repeats and values out of range", "[text_report]") {
  uc::load_config c;
  c.percentiles = {99.9, 50, 0, -1, 101, 0.0 / 0.0, 1.0 / 0.0, 99.9, 100, 1e-3};
  const auto wanted = uc::requested_percentiles(c);
  std::vector<std::string> labels;
  for (const auto& p : wanted) labels.push_back(p.label);
  CHECK(labels == std::vector<std::string>{"99.9", "50", "100", "0.001"});
  CHECK(wanted[0].quantile == 0.999);
  CHECK(wanted[3].quantile == 0.00001);
  CHECK(uc::requested_percentiles(uc::load_config{}).empty());
}

TEST_CASE("text report: the finer facts appear only when there is something to say", "[text_report]") {
  const scenario plain = http_scenario();
  REQUIRE(plain.results.status_codes.at(200) == 734780);  // the codes are there, all 200
  const std::string text = uc::format_text_header(plain.config, "x") + uc::format_text_results(plain.config, plain.results);
  for (const char* absent : {"Status code counts", "Error classes", "Rate", "Service time", "open loop", "WARNING"})
    CHECK(text.find(absent) == std::string::npos);

  // Status code counts: as soon as a code other than 200 answered, every code seen, ascending.
  uc::load_results r = plain.results;
  r.status_codes[404] = 7;
  r.status_codes[201] = 3;
  std::string with_codes = uc::format_text_results(plain.config, r);
  CHECK(with_codes.find("  Status codes: 2xx=734780, 3xx=0, 4xx=0, 5xx=0\n"
                        "  Status code counts: 200=734780, 201=3, 404=7\n") != std::string::npos);
  // All 204: one code, not 200, worth a line.
  r.status_codes.assign(1000, 0);
  r.status_codes[204] = 10;
  CHECK(uc::format_text_results(plain.config, r).find("  Status code counts: 204=10\n") != std::string::npos);
  // Odd codes (class "other") are listed too; an empty vector says nothing.
  r.status_codes[999] = 1;
  r.status_codes[0] = 2;
  CHECK(uc::format_status_code_counts(r) == "0=2, 204=10, 999=1");
  r.status_codes.clear();
  CHECK(uc::format_text_results(plain.config, r).find("Status code counts") == std::string::npos);
  // WebSocket mode has no status codes line at all.
  r.status_codes.assign(1000, 0);
  r.status_codes[101] = 4;
  uc::load_config ws = plain.config;
  ws.websocket = true;
  CHECK_FALSE(uc::status_code_counts_worth_showing(ws, r));
  CHECK(uc::status_code_counts_worth_showing(plain.config, r));
  CHECK(uc::format_text_results(ws, r).find("Status code") == std::string::npos);

  // Error classes: right after gcannon's Errors line, the non-zero ones in error_classes' order.
  uc::load_results e = plain.results;
  e.errors.connect = 1;
  e.errors.read = 8;
  e.errors.timeout = 9;
  std::string errors = uc::format_text_results(plain.config, e);
  CHECK(errors.find("Error classes") == std::string::npos);  // classes not filled in: nothing to add
  e.errors.classes.connect_other = 1;
  e.errors.classes.parse_error = 5;
  e.errors.classes.read_other = 3;
  e.errors.classes.read_timeout = 9;
  errors = uc::format_text_results(plain.config, e);
  CHECK(errors.find("  Errors: connect 1, read 8, timeout 9\n"
                    "  Error classes: connect other 1, parse error 5, read other 3, read timeout 9\n") !=
        std::string::npos);
  uc::error_classes every;
  every.connect_refused = 1, every.connect_timeout = 2, every.connect_other = 3, every.reset = 4;
  every.parse_error = 5, every.unexpected_close = 6, every.read_other = 7, every.read_timeout = 8;
  CHECK(uc::format_error_classes(every) ==
        "refused 1, connect timeout 2, connect other 3, reset 4, parse error 5, unexpected close 6, read other 7, "
        "read timeout 8");
  CHECK(uc::format_error_classes({}).empty());
}

TEST_CASE("text report: open loop adds the asked rate, the service time and a warning when short", "[text_report]") {
  uc::load_config c = http_config();
  c.rate = 12.5;
  uc::load_results r;
  r.elapsed_sec = 4.0;
  r.requests = 50;  // 12.5 req/s: reached
  r.responses = 50;
  for (std::uint64_t us : {100, 200, 300, 400}) r.latency.record_us(us * 10);
  for (std::uint64_t us : {100, 200, 300, 400}) r.service_time.record_us(us);

  const std::string header = uc::format_text_header(c, "127.0.0.1:8080/");
  CHECK(header.find("  Duration:  5s\n  Rate:      12.5 req/s (open loop)\n\n") != std::string::npos);
  CHECK(header.find("Latency") == std::string::npos);
  c.rate = 50000;
  CHECK(uc::format_text_header(c, "x").find("  Rate:      50000 req/s (open loop)\n") != std::string::npos);
  c.rate = 12.5;

  const std::string text = uc::format_text_results(c, r);
  CHECK(text.rfind("\n"
                   "  Thread Stats   Avg      p50      p90      p99    p99.9\n"
                   "    Latency   2.50ms   3.00ms   4.00ms   4.00ms   4.00ms\n"
                   "  Service time: avg 250us, p50 300us, p90 400us, p99 400us, p99.9 400us, max 400us\n"
                   "\n",
                   0) == 0);
  CHECK(text.find("  Throughput: 12 req/s\n  Rate: asked 12.5 req/s, sent 12.50 req/s\n  Bandwidth:") !=
        std::string::npos);
  CHECK(text.find("WARNING") == std::string::npos);
  CHECK_FALSE(uc::rate_not_reached(c, r));

  // With --latency the service time comes after gcannon's table and ucannon's details.
  const std::string detailed = uc::format_text_results(c, r, {.latency_details = true});
  CHECK(detailed.find("  Latency min/max/stddev: 1.00ms / 4.00ms / 1.12ms\n  Service time: ") != std::string::npos);

  // 98% of the target is enough; below it, a warning before the unexpected-status one.
  c.rate = 1000;
  r.requests = 3920;  // 980 req/s
  CHECK_FALSE(uc::rate_not_reached(c, r));
  CHECK(uc::format_rate_warning(c, r).empty());
  r.requests = 3919;
  CHECK(uc::rate_not_reached(c, r));
  CHECK(uc::format_rate_warning(c, r) == "\n  WARNING: the target rate was not reached (sent 979.75 of 1000 req/s)\n");
  r.status.s5xx = 1;
  const std::string warned = uc::format_text_results(c, r);
  const auto rate_warning = warned.find("WARNING: the target rate"), status_warning = warned.find("had unexpected status");
  CHECK(rate_warning != std::string::npos);
  CHECK(rate_warning < status_warning);
  CHECK(status_warning != std::string::npos);
  CHECK(warned.substr(warned.size() - 15) == "(expected 2xx)\n");  // gcannon's warning stays last

  // Closed loop: none of it, even with a service time recorded.
  c.rate = 0;
  const std::string closed = uc::format_text_header(c, "x") + uc::format_text_results(c, r);
  for (const char* absent : {"Rate", "Service time", "open loop", "target rate"}) CHECK(closed.find(absent) == std::string::npos);
  CHECK_FALSE(uc::rate_not_reached(c, r));
}

TEST_CASE("text report: rates print as the shortest exact decimal", "[text_report]") {
  CHECK(uc::format_rate(50000) == "50000");
  CHECK(uc::format_rate(12.5) == "12.5");
  CHECK(uc::format_rate(0.001) == "0.001");
  CHECK(uc::format_rate(1e9) == "1000000000");
  CHECK(uc::format_rate(99999.99) == "99999.99");
  CHECK(uc::format_rate(1.0 / 0.0) == "0");
}
