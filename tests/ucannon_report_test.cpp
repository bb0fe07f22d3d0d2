// ucannon --report end to end: the built CLI against the built ucannon-server on 127.0.0.1 writes
// an HTML page, which headless Chromium then renders with no network (inside `unshare -n` where
// that works, and with a refusing proxy and resolver always). The rendered DOM must hold the
// plots, and its numbers must equal the run's --json document: each data-metric="PATH" element's
// text is, byte for byte, the literal --json writes at PATH (see load_html_report.hpp), so the
// comparison is exact, with no tolerance. A screenshot and the page are left in
// report-artifacts/ under the test's working directory (ctest: build/<preset>/tests), or in
// $URING_CANNON_TEST_ARTIFACTS (meson: its build folder's tests/report-artifacts), to look at.
//
// Chromium is optional: without it on $PATH the browser checks WARN and return; everything
// else still runs. Three browser runs at most (it takes seconds to start), each bounded.

#if defined(URING_CANNON_CLI_PATH) && defined(URING_CANNON_SERVER_PATH)

#include "support/headless_browser.hpp"
#include "support/json_reader.hpp"
#include "support/ucannon_runs.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

using test_support::element_by_id;
using test_support::elements_with;
using test_support::html_element;
using test_support::json;
using test_support::parse_json;
using test_support::run_ucannon;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Where the reports are left to look at (created), as an absolute path: $URING_CANNON_TEST_ARTIFACTS
/// (meson points it into its build folder, since it runs the tests in the source tree), else
/// report-artifacts/ in the working directory.
std::string artifacts_dir() {
  std::string dir;
  if (const char* chosen = std::getenv("URING_CANNON_TEST_ARTIFACTS"); chosen != nullptr && *chosen != '\0') {
    dir = chosen;
  } else {
    char cwd[PATH_MAX];
    REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
    dir = std::string(cwd) + "/report-artifacts";
  }
  REQUIRE((::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST));
  return dir;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  REQUIRE(read_file(path) == bytes);
}

/// file:// URL of an absolute path, with every byte outside [A-Za-z0-9/._~-] percent-encoded.
std::string file_url(const std::string& path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (const char c : path) {
    const auto b = static_cast<unsigned char>(c);
    if (std::isalnum(b) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
      url += c;
    } else {
      url += '%';
      url += hex[b >> 4];
      url += hex[b & 15];
    }
  }
  return url;
}

/// Every data-metric of `html` checked against `doc`; returns the paths seen.
std::set<std::string> check_metrics_equal_json(const std::string& html, const json& doc) {
  std::set<std::string> seen;
  for (const html_element& e : elements_with(html, "data-metric")) {
    const std::string path = e["data-metric"];
    INFO("data-metric " << path);
    std::string expected;
    REQUIRE_NOTHROW(expected = test_support::json_text_at(doc, path));
    CHECK(e.text == expected);
    seen.insert(path);
  }
  return seen;
}

/// The paths every report of an HTTP run must show.
void check_headline_paths(const std::set<std::string>& seen, const json& doc) {
  for (const char* path : {"rps", "responses", "requests", "bandwidth_bps", "bytes_read", "errors/connect",
                           "errors/read", "errors/timeout", "latency_us/p50", "latency_us/p90", "latency_us/p99",
                           "latency_us/p999", "latency_us/max", "status/2xx", "status_codes/200", "connections",
                           "threads", "duration_ms", "target"}) {
    INFO("expected on the page: " << path);
    CHECK(seen.count(path) == 1);
  }
  for (std::size_t i = 0; i < doc["responses_per_second"].items.size(); ++i)
    CHECK(seen.count("responses_per_second/" + std::to_string(i)) == 1);
}

std::size_t count_tags_with_class(const std::string& html, const std::string& tag, const std::string& cls) {
  std::size_t n = 0;
  for (const auto& e : test_support::html_elements(html))
    if (e.tag == tag && e.has("class") && (e["class"] == cls || e["class"].rfind(cls + " ", 0) == 0)) ++n;
  return n;
}

}  // namespace

TEST_CASE("ucannon report: a run's page renders in headless Chromium with the JSON's numbers",
          "[ucannon][report][integration]") {
  test_support::bundled_server server;
  test_support::temp_dir dir;
  const std::string page_path = dir.file("run.html");
  const std::string url = server.url("/health?a=1&b=2");  // '&' must reach the page escaped
  const auto run = run_ucannon({url, "-c", "4", "-t", "1", "-d", "1s", "--json", "--report", page_path}, dir);
  {
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    REQUIRE(run.exit_code == 0);
  }
  const json doc = parse_json(run.out);  // --report leaves --json's stdout as it was
  REQUIRE(doc["responses"].u64() > 0);

  // The file as written.
  const std::string html = read_file(page_path);
  REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
  check_headline_paths(check_metrics_equal_json(html, doc), doc);
  CHECK(html.find("a=1&amp;b=2") != std::string::npos);
  const auto command = element_by_id(html, "command-line");
  REQUIRE(command.has_value());
  CHECK(command->text.find("--report " + page_path) != std::string::npos);
  CHECK(element_by_id(html, "history").has_value());  // this run, in a fresh $HOME's history
  CHECK_FALSE(element_by_id(html, "merged-note").has_value());

  const std::string artifacts = artifacts_dir();
  const std::string kept_page = artifacts + "/report.html";
  write_file(kept_page, html);

  const std::string chromium = test_support::find_chromium();
  if (chromium.empty()) {
    WARN("chromium not found: install Debian's chromium package to run the browser check");
    return;
  }

  // 1. The DOM Chromium built from the file: plots present, numbers equal to the JSON.
  test_support::temp_dir profile;
  const auto dom = test_support::run_headless_chromium(chromium, file_url(kept_page), {"--dump-dom"},
                                                       profile.file("dom"), 60s);
  INFO("chromium exit " << dom.exit_code);
  REQUIRE(dom.exit_code == 0);
  REQUIRE(dom.out.find("</html>") != std::string::npos);
  for (const char* plot : {"rps-plot", "percentile-plot", "histogram-plot"}) {
    INFO(plot);
    const auto svg = element_by_id(dom.out, plot);
    REQUIRE(svg.has_value());
    CHECK(svg->tag == "svg");
    CHECK((*svg)["role"] == "img");
    CHECK(element_by_id(dom.out, std::string(plot) + "-title").has_value());
    CHECK(element_by_id(dom.out, std::string(plot) + "-desc").has_value());
  }
  CHECK(count_tags_with_class(dom.out, "circle", "point") == doc["responses_per_second"].items.size());
  CHECK(count_tags_with_class(dom.out, "polyline", "series") == 2);  // per second, and latency by percentile
  CHECK(count_tags_with_class(dom.out, "rect", "bar") > 0);
  const auto rendered = check_metrics_equal_json(dom.out, doc);
  check_headline_paths(rendered, doc);
  CHECK(rendered == check_metrics_equal_json(html, doc));  // the browser kept every number

  // 2. What it looks like: a PNG of the page, kept next to it.
  const std::string png = artifacts + "/report.png";
  std::remove(png.c_str());
  const auto shot = test_support::run_headless_chromium(
      chromium, file_url(kept_page), {"--screenshot=" + png, "--window-size=1280,2400"}, profile.file("shot"), 60s);
  INFO("chromium exit " << shot.exit_code);
  CHECK(shot.exit_code == 0);
  const std::string image = read_file(png);
  REQUIRE(image.size() > 20'000);  // a blank 1280x2400 page compresses to a few KB
  CHECK(image.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
}

TEST_CASE("ucannon report: a ramp and a failed threshold show on the rendered page as in the JSON",
          "[ucannon][report][integration]") {
  test_support::bundled_server server;
  test_support::temp_dir dir;
  const std::string page_path = dir.file("ramp.html");
  const auto run = run_ucannon({server.url("/health"), "-c", "4", "-t", "1", "--ramp", "1s", "-d", "2s", "--assert",
                                "p99<10s", "--assert", "rps>1000000000", "--json", "--report", page_path},
                               dir);
  {
    INFO("stdout: " << run.out << "\nstderr: " << run.err);
    REQUIRE(run.exit_code == 3);  // rps>1000000000 cannot hold
  }
  const json doc = parse_json(run.out);
  REQUIRE(doc["responses"].u64() > 0);
  REQUIRE(doc["thresholds"].items.size() == 2);
  CHECK(doc["thresholds"].items[0]["passed"].flag);
  CHECK_FALSE(doc["thresholds"].items[1]["passed"].flag);
  CHECK(doc["ramp"]["seconds"].text == "1.000");

  // The paths this run adds, on the page as written and in the DOM Chromium builds from it.
  auto check_ramp_and_thresholds = [&](const std::string& html) {
    const auto seen = check_metrics_equal_json(html, doc);
    check_headline_paths(seen, doc);
    for (const char* path : {"thresholds/0/measured", "thresholds/0/passed", "thresholds/1/measured",
                             "thresholds/1/passed", "ramp/seconds", "ramp/steady_responses", "ramp/steady_rps",
                             "ramp/steady_latency_us/avg", "ramp/steady_latency_us/p50", "ramp/steady_latency_us/p90",
                             "ramp/steady_latency_us/p99", "ramp/steady_latency_us/p999",
                             "ramp/steady_latency_us/max"}) {
      INFO("expected on the page: " << path);
      CHECK(seen.count(path) == 1);
    }
    std::vector<std::string> verdicts;
    for (const auto& row : elements_with(html, "data-threshold")) verdicts.push_back(row["class"]);
    CHECK(verdicts == std::vector<std::string>{"pass", "fail"});
    const auto verdict = element_by_id(html, "threshold-verdict");
    REQUIRE(verdict.has_value());
    CHECK(verdict->text == "1 of 2 thresholds held; ucannon exits with status 3.");
    const auto marker = element_by_id(html, "ramp-end");
    REQUIRE(marker.has_value());
    CHECK((*marker)["data-seconds"] == doc["ramp"]["seconds"].text);
    return seen;
  };
  const std::string html = read_file(page_path);
  const auto written = check_ramp_and_thresholds(html);
  write_file(artifacts_dir() + "/ramp.html", html);

  const std::string chromium = test_support::find_chromium();
  if (chromium.empty()) {
    WARN("chromium not found: install Debian's chromium package to run the browser check");
    return;
  }
  test_support::temp_dir profile;
  const auto dom = test_support::run_headless_chromium(chromium, file_url(page_path), {"--dump-dom"},
                                                       profile.file("dom"), 60s);
  INFO("chromium exit " << dom.exit_code);
  REQUIRE(dom.exit_code == 0);
  REQUIRE(dom.out.find("</html>") != std::string::npos);
  CHECK(check_ramp_and_thresholds(dom.out) == written);  // the browser kept every number
}

TEST_CASE("ucannon report: a merge's page says how many runs it merged and keeps stdout as it was",
          "[ucannon][report][integration]") {
  test_support::bundled_server server;
  test_support::temp_dir dir;
  for (const char* name : {"a", "b"}) {
    const auto r = run_ucannon({server.url("/health"), "-c", "2", "-d", "500ms", "--warmup", "0", "--histogram-out",
                                dir.file(std::string(name) + ".run")},
                               dir);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  const std::string a = dir.file("a.run"), b = dir.file("b.run");
  const auto merged = run_ucannon({"merge", a, b, "--json", "--report", dir.file("m.html")}, dir);
  {
    INFO("stdout: " << merged.out << "\nstderr: " << merged.err);
    REQUIRE(merged.exit_code == 0);
  }
  const json doc = parse_json(merged.out);
  const std::string html = read_file(dir.file("m.html"));
  const auto note = element_by_id(html, "merged-note");
  REQUIRE(note.has_value());
  CHECK((*note)["data-merged-runs"] == "2");
  CHECK(note->text.rfind("Merged from 2 runs", 0) == 0);
  CHECK_FALSE(element_by_id(html, "history").has_value());  // a merge has no history of its own
  check_headline_paths(check_metrics_equal_json(html, doc), doc);
  write_file(artifacts_dir() + "/merge.html", html);

  // The text report of a merge is deterministic: --report must not change a byte of it.
  const auto plain = run_ucannon({"merge", a, b}, dir);
  const auto with_report = run_ucannon({"merge", a, b, "--report", dir.file("m2.html")}, dir);
  REQUIRE(plain.exit_code == 0);
  REQUIRE(with_report.exit_code == 0);
  CHECK(with_report.out == plain.out);
  CHECK(read_file(dir.file("m2.html")).find("Merged from 2 runs") != std::string::npos);
}

TEST_CASE("ucannon report: a page that cannot be written is an error", "[ucannon][report][integration]") {
  test_support::bundled_server server;
  test_support::temp_dir dir;
  const std::string path = dir.file("missing-dir/run.html");
  const auto run = run_ucannon({server.url("/health"), "-c", "1", "-d", "200ms", "--warmup", "0", "--report", path}, dir);
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("Error: cannot write the report to '" + path + "'") != std::string::npos);
}

#endif
