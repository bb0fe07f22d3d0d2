// format_html_report(): the page is one self-contained document (no script, no resource from
// anywhere), its plots hold exactly the points the results give, its numbers are the --json
// document's, and every string a user typed is escaped.
//
// How numbers are compared: each element with data-metric="PATH" must hold, as its whole text,
// the literal that format_json writes at PATH ('/'-separated keys and array indices), so "rps"
// compares "1234.57" with "1234.57" and "latency_us/p99" compares whole µs. No tolerance: the
// page and the JSON round the same way or the test fails.

#include <uring_cannon/load_html_report.hpp>
#include <uring_cannon/load_json_report.hpp>
#include <uring_cannon/load_thresholds.hpp>
#include <uring_cannon/rate_curve.hpp>

#include "support/headless_browser.hpp"
#include "support/json_reader.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace uc = uring_cannon;
using test_support::element_by_id;
using test_support::elements_with;
using test_support::html_element;
using test_support::html_elements;

namespace {

uc::load_config sample_config() {
  uc::load_config c;
  c.url = "http://127.0.0.1:8080/hello";
  c.connections = 64;
  c.threads = 2;
  c.pipeline = 4;
  c.duration = std::chrono::seconds(7);
  return c;
}

// Seven seconds of a run with a slow tail, some 404s and 503s, and a few errors. The elapsed
// time is not a whole number, so rps and bandwidth have real decimals to round.
uc::load_results sample_results() {
  uc::load_results r;
  r.target = "127.0.0.1:8080/hello";
  r.elapsed_sec = 7.0123;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const std::uint64_t us = 80 + (i * 7919) % 900 + (i % 500 == 0 ? 25'000 + i : 0);
    r.latency.record_us(us);
    r.service_time.record_us(us / 2 + 40);
    r.ttfb.record_us(us * 3 / 4);
  }
  r.latency.record_us(6'000'000);  // one overflow sample
  r.responses = 20001;
  r.requests = 20050;
  r.bytes_read = 20001ull * 137;
  r.responses_per_second = {2900, 2850, 3010, 2777, 2999, 2860, 2605};
  r.status.s2xx = 19801;
  r.status.s4xx = 150;
  r.status.s5xx = 50;
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 19801;
  r.status_codes[404] = 150;
  r.status_codes[503] = 50;
  r.errors.connect = 2;
  r.errors.read = 3;
  r.errors.timeout = 1;
  r.errors.classes.connect_refused = 2;
  r.errors.classes.reset = 2;
  r.errors.classes.unexpected_close = 1;
  r.errors.classes.read_timeout = 1;
  r.reconnects = 9;
  r.accounting = {20090, 20060, 20, 10};
  return r;
}

std::vector<uc::run_record> sample_history(std::size_t runs, const uc::load_config& c, const uc::load_results& r) {
  std::vector<uc::run_record> history;
  for (std::size_t i = 0; i < runs; ++i) {
    uc::run_record rec = uc::make_run_record(c, r, 1'700'000'000 + static_cast<std::int64_t>(i) * 60);
    rec.rps *= 1.0 + 0.01 * static_cast<double>(i);
    history.push_back(rec);
  }
  return history;
}

/// Checks every data-metric of `html` against format_json's document; returns the paths seen.
std::set<std::string> check_metrics_equal_json(const std::string& html, const std::string& json_text) {
  const test_support::json doc = test_support::parse_json(json_text);
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

std::vector<std::pair<double, double>> polyline_points(const html_element& e) {
  std::vector<std::pair<double, double>> out;
  std::istringstream in(e["points"]);
  for (std::string pair; in >> pair;) {
    const auto comma = pair.find(',');
    REQUIRE(comma != std::string::npos);
    out.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return out;
}

std::vector<html_element> with_class(const std::string& html, const std::string& tag, const std::string& cls) {
  std::vector<html_element> out;
  for (auto& e : html_elements(html)) {
    if (e.tag != tag || !e.has("class")) continue;
    std::istringstream classes(e["class"]);
    for (std::string c; classes >> c;)
      if (c == cls) {
        out.push_back(e);
        break;
      }
  }
  return out;
}

// The elements between <svg id="id"> and its </svg> (the plots do not nest svg elements).
std::string svg_source(const std::string& html, const std::string& id) {
  const auto start = html.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  const auto end = html.find("</svg>", start);
  return html.substr(start, end - start + 6);
}

void check_plot_is_labelled(const std::string& html, const std::string& id) {
  INFO("plot " << id);
  const auto svg = element_by_id(html, id);
  REQUIRE(svg.has_value());
  CHECK(svg->tag == "svg");
  CHECK((*svg)["role"] == "img");
  CHECK((*svg)["aria-labelledby"] == id + "-title " + id + "-desc");
  const auto title = element_by_id(html, id + "-title");
  const auto desc = element_by_id(html, id + "-desc");
  REQUIRE(title.has_value());
  REQUIRE(desc.has_value());
  CHECK(title->tag == "title");
  CHECK(desc->tag == "desc");
  CHECK(title->text.size() > 5);
  CHECK(desc->text.size() > 20);
}

}  // namespace

TEST_CASE("html report: one self-contained document with no script and no outside resource", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const std::string html = uc::format_html_report(c, r, sample_history(3, c, r), {.command_line = "ucannon x"});
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(html.size() > 10'000);
  CHECK(html.substr(html.size() - 8) == "</html>\n");
  for (const char* banned : {"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "<base"}) {
    INFO(banned);
    CHECK(html.find(banned) == std::string::npos);
  }
  // No attribute points anywhere; the only url() in the style is a same-document pattern.
  for (const html_element& e : html_elements(html))
    for (const auto& [name, value] : e.attributes) {
      INFO("<" << e.tag << " " << name << "=\"" << value << "\">");
      CHECK(name != "src");
      CHECK(name != "srcset");
      CHECK(name != "action");
      if (name == "href" || name == "xlink:href") CHECK(value.rfind('#', 0) == 0);
    }
  for (std::size_t at = html.find("url("); at != std::string::npos; at = html.find("url(", at + 1))
    CHECK(html.compare(at, 5, "url(#") == 0);

  // Headings: one h1 first, and never a level skipped on the way down.
  int previous = 0, h1s = 0;
  for (const html_element& e : html_elements(html)) {
    if (e.tag.size() != 2 || e.tag[0] != 'h' || e.tag[1] < '1' || e.tag[1] > '6') continue;
    const int level = e.tag[1] - '0';
    INFO("heading " << e.tag << " " << e.text);
    CHECK(level <= previous + 1);
    h1s += level == 1;
    previous = level;
  }
  CHECK(h1s == 1);

  for (const char* section : {"settings", "summary", "throughput", "latency", "histogram", "status", "errors", "history"})
    CHECK(element_by_id(html, section).has_value());
  for (const char* plot : {"rps-plot", "percentile-plot", "histogram-plot", "history-plot"}) check_plot_is_labelled(html, plot);

  // The same inputs give the same bytes (no clock reading of its own).
  CHECK(uc::format_html_report(c, r, sample_history(3, c, r), {.command_line = "ucannon x"}) == html);
}

TEST_CASE("html report: every data-metric number equals the JSON report's text", "[report]") {
  auto c = sample_config();
  c.percentiles = {99.99, 75, 99.9};
  auto r = sample_results();
  const std::string html = uc::format_html_report(c, r, {});
  const auto seen = check_metrics_equal_json(html, uc::format_json(c, r));
  for (const char* path :
       {"target", "mode", "connections", "threads", "pipeline_depth", "duration_ms", "elapsed_sec", "version", "rps",
        "responses", "requests", "bandwidth_bps", "bytes_read", "reconnects", "errors/connect", "errors/read",
        "errors/timeout", "latency_us/avg", "latency_us/p50", "latency_us/p90", "latency_us/p99", "latency_us/p999",
        "latency_us/max", "latency_us/min", "latency_us/stddev", "latency_us/samples", "latency_us/overflow",
        "ttfb_us/p50", "ttfb_us/p999", "ttfb_us/max", "status/2xx", "status/4xx", "status/5xx", "status_codes/200",
        "status_codes/404", "status_codes/503", "error_classes/connect_refused", "error_classes/read_timeout",
        "accounting/requests_sent", "accounting/in_flight", "percentiles_us/99.99", "percentiles_us/75",
        "percentiles_us/99.9", "ttfb_percentiles_us/99.99"}) {
    INFO("expected on the page: " << path);
    CHECK(seen.count(path) == 1);
  }
  for (std::size_t i = 0; i < r.responses_per_second.size(); ++i)
    CHECK(seen.count("responses_per_second/" + std::to_string(i)) == 1);
  CHECK(seen.count("rate/target") == 0);  // closed loop
  CHECK(seen.count("service_time_us/p50") == 0);
  // A value that needs rounding: the page's rps is the JSON's 2-decimal text, not more digits.
  CHECK(element_by_id(html, "rps")->text == uc::format_fixed(r.requests_per_second(), 2));
  CHECK(element_by_id(html, "p99")->text == std::to_string(r.latency.quantile_us(0.99)));
  CHECK(element_by_id(html, "errors-total")->text == "6");

  SECTION("raw templates with their own latency") {
    c.raw_files = {"/tmp/a.raw", "/tmp/b.raw"};
    c.per_template_latency = true;
    r.per_template.resize(2);
    r.per_template[0] = {"/tmp/a.raw", 12000, {}, {}};
    r.per_template[0].status.s2xx = 11990;
    r.per_template[0].latency.record_us(321, 12000);
    r.per_template[1] = {"/tmp/b.raw", 8001, {}, {}};
    r.per_template[1].latency.record_us(4321, 8001);
    const std::string page = uc::format_html_report(c, r, {});
    const auto paths = check_metrics_equal_json(page, uc::format_json(c, r));
    CHECK(paths.count("per_template/0/2xx") == 1);
    CHECK(paths.count("per_template/1/latency_us/p99") == 1);
    CHECK(element_by_id(page, "templates").has_value());
  }
}

TEST_CASE("html report: the throughput plot has one point per second of the run", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const std::string svg = svg_source(uc::format_html_report(c, r, {}), "rps-plot");
  REQUIRE_FALSE(svg.empty());
  const auto points = with_class(svg, "circle", "point");
  REQUIRE(points.size() == r.responses_per_second.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK(points[i]["data-second"] == std::to_string(i + 1));
    CHECK(points[i]["data-value"] == std::to_string(r.responses_per_second[i]));
  }
  const auto line = with_class(svg, "polyline", "series");
  REQUIRE(line.size() == 1);
  const auto xy = polyline_points(line[0]);
  CHECK(xy.size() == r.responses_per_second.size());
  CHECK(line[0]["data-points"] == std::to_string(r.responses_per_second.size()));
  // Left to right in time; a busier second is drawn higher (smaller y).
  for (std::size_t i = 1; i < xy.size(); ++i) CHECK(xy[i].first > xy[i - 1].first);
  CHECK(xy[2].second < xy[6].second);  // 3010 above 2605
  CHECK(svg.find("class=\"reference\"") == std::string::npos);  // no target line in closed loop

  SECTION("a run shorter than a second has no plot, and says so") {
    auto short_run = sample_results();
    short_run.responses_per_second.clear();
    const std::string html = uc::format_html_report(c, short_run, {});
    CHECK_FALSE(element_by_id(html, "rps-plot").has_value());
    CHECK(html.find("measured no whole second") != std::string::npos);
  }
}

TEST_CASE("html report: the percentile plot walks the tail by nines on a log axis", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const std::string html = uc::format_html_report(c, r, {});
  const std::string svg = svg_source(html, "percentile-plot");
  REQUIRE_FALSE(svg.empty());
  const auto series = with_class(svg, "polyline", "series");
  REQUIRE(series.size() == 1);  // closed loop: latency only
  CHECK(series[0]["data-series"] == "latency");
  // 20 001 samples: 5 decades (0% .. 99.999%), 20 points per decade and the first.
  const auto xy = polyline_points(series[0]);
  CHECK(xy.size() == 5 * 20 + 1);
  CHECK(series[0]["data-points"] == std::to_string(xy.size()));
  for (std::size_t i = 1; i < xy.size(); ++i) {
    CHECK(xy[i].first > xy[i - 1].first);
    CHECK(xy[i].second <= xy[i - 1].second);  // latency never falls as the percentile rises
  }
  for (const char* tick : {">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<", ">99.999%<"}) {
    INFO(tick);
    CHECK(svg.find(tick) != std::string::npos);
  }
  CHECK(svg.find(">99.9999%<") == std::string::npos);

  // A marker at each percentile of the table, holding the histogram's value there.
  const auto markers = with_class(svg, "circle", "marker");
  REQUIRE(markers.size() == 8);  // p50 p75 p90 p95 p99 p99.9 p99.99 p99.999
  const test_support::json doc = test_support::parse_json(uc::format_json(c, r));
  for (const auto& [quantile, key] : std::vector<std::pair<std::string, std::string>>{
           {"0.5", "p50"}, {"0.9", "p90"}, {"0.99", "p99"}, {"0.999", "p999"}}) {
    bool found = false;
    for (const auto& m : markers)
      if (m["data-quantile"] == quantile) {
        found = true;
        CHECK(m["data-value"] == doc["latency_us"][key].text);
      }
    INFO(quantile);
    CHECK(found);
  }
  // The table repeats the plot: p99.99 is there as text.
  CHECK(html.find("<th scope=\"row\">p99.99</th><td>" + std::to_string(r.latency.quantile_us(0.9999)) + "</td>") !=
        std::string::npos);
}

TEST_CASE("html report: open loop draws corrected latency and service time apart without colour", "[report]") {
  auto c = sample_config();
  c.rate = 3000;
  const auto r = sample_results();
  const std::string html = uc::format_html_report(c, r, {});
  const std::string svg = svg_source(html, "percentile-plot");
  const auto series = with_class(svg, "polyline", "series");
  REQUIRE(series.size() == 2);
  CHECK(series[0]["data-series"] == "latency");
  CHECK(series[1]["data-series"] == "service_time");
  CHECK(series[0]["class"] == "series s1");
  CHECK(series[1]["class"] == "series s2");
  // s2 is dashed and s1 is not; the markers differ in shape (circles, squares); each line is named.
  CHECK(html.find("svg .s2 { stroke: #8a3a00; stroke-dasharray: 8 5; }") != std::string::npos);
  CHECK(html.find("svg .s1 { stroke: #1d4f91; }") != std::string::npos);
  CHECK(with_class(svg, "circle", "marker").size() == 8);
  CHECK(with_class(svg, "rect", "marker").size() == 8);
  for (const auto& m : with_class(svg, "rect", "marker")) CHECK(m["data-series"] == "service_time");
  CHECK(svg.find(">corrected latency</text>") != std::string::npos);
  CHECK(svg.find(">service time</text>") != std::string::npos);
  // Service time stays below the corrected latency in this run, and the plot shows it.
  const auto corrected = polyline_points(series[0]), service = polyline_points(series[1]);
  REQUIRE(corrected.size() == service.size());
  CHECK(service.back().second > corrected.back().second);
  // The throughput plot shows the target rate as a dashed reference line.
  CHECK(svg_source(html, "rps-plot").find("class=\"reference\"") != std::string::npos);

  const auto seen = check_metrics_equal_json(html, uc::format_json(c, r));
  for (const char* path : {"rate/target", "rate/achieved", "service_time_us/p50", "service_time_us/p99",
                           "service_time_us/p999", "service_time_us/max"}) {
    INFO(path);
    CHECK(seen.count(path) == 1);
  }
}

TEST_CASE("html report: histogram bars are the histogram's display buckets", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const std::string html = uc::format_html_report(c, r, {});
  const auto bars = with_class(svg_source(html, "histogram-plot"), "rect", "bar");
  const auto expected = r.latency.display_buckets(uc::histogram_report_bars);
  REQUIRE(bars.size() == expected.size());
  std::uint64_t drawn = 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    CHECK(bars[i]["data-lower-us"] == std::to_string(expected[i].lower_us));
    CHECK(bars[i]["data-upper-us"] == std::to_string(expected[i].upper_us));
    CHECK(bars[i]["data-count"] == std::to_string(expected[i].count));
    drawn += std::stoull(bars[i]["data-count"]);
  }
  CHECK(drawn > 0);
  CHECK(drawn < r.latency.count());  // the tail beyond p99.9 and the overflow sample are not bars
  const auto beyond = element_by_id(html, "histogram-beyond");
  REQUIRE(beyond.has_value());
  CHECK(beyond->text.rfind(std::to_string(r.latency.count() - drawn) + " samples above", 0) == 0);
}

TEST_CASE("html report: every string a user typed is escaped", "[report]") {
  const std::string hostile = "http://x/\"><script>alert(1)</script>&'";
  auto c = sample_config();
  c.url = hostile;
  c.raw_files = {"/tmp/<img src=x onerror=alert(2)>.raw"};
  auto r = sample_results();
  r.target = "x/<script>alert(3)</script>";
  auto history = sample_history(2, c, r);
  history[0].target = "<script>alert(4)</script>";
  const std::string command = "ucannon '" + hostile + "' --report \"<b>.html\"";
  const std::string html = uc::format_html_report(c, r, history, {.command_line = command});
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;") != std::string::npos);
  // Read back as text, each string is exactly what the user typed.
  CHECK(element_by_id(html, "command-line")->text == command);
  CHECK(element_by_id(html, "setting-url")->text == hostile);
  bool target_seen = false;
  for (const auto& e : elements_with(html, "data-metric"))
    if (e["data-metric"] == "target") target_seen = e.text == r.target;
  CHECK(target_seen);
  check_metrics_equal_json(html, uc::format_json(c, r));

  SECTION("html_escape") {
    CHECK(uc::html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
    CHECK(uc::html_escape("tab\tline\n") == "tab\tline\n");
    CHECK(uc::html_escape("µs ✓ 😀") == "µs ✓ 😀");  // well-formed UTF-8 stays
    CHECK(uc::html_escape(std::string("a\x01z", 3)) == "a\xEF\xBF\xBDz");            // control character
    CHECK(uc::html_escape(std::string("a\xff\xc3(z", 5)) == "a\xEF\xBF\xBD\xEF\xBF\xBD(z");  // invalid UTF-8
    CHECK(uc::html_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
    CHECK(uc::html_escape("\xC2\x85") == "\xEF\xBF\xBD");                              // a C1 control
  }
}

TEST_CASE("html report: the history shows the newest ten runs, this run last", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const auto history = sample_history(15, c, r);
  const std::string html = uc::format_html_report(c, r, history);
  std::vector<html_element> rows;
  for (const auto& e : elements_with(html, "data-run"))
    if (e.tag == "tr") rows.push_back(e);
  REQUIRE(rows.size() == 10);
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i]["data-run"] == std::to_string(5 + i));
  CHECK(rows.back()["class"] == "current");
  CHECK_FALSE(rows.front().has("class"));
  const auto bars = with_class(svg_source(html, "history-plot"), "rect", "run-bar");
  REQUIRE(bars.size() == 10);
  CHECK(bars.back()["class"] == "run-bar current");  // hatched, and labelled "this run"
  CHECK(svg_source(html, "history-plot").find(">this run</text>") != std::string::npos);
  // The newest run was 1% faster than the one before: the table says so.
  const std::string change = uc::detail::html_report::change(history[14].rps, history[13].rps);
  CHECK(change.rfind("+", 0) == 0);
  CHECK(html.find("<td>" + change + "</td>") != std::string::npos);
  CHECK(html.find("2023-11-14 22:27:20 UTC") != std::string::npos);  // history[14]'s end, UTC

  SECTION("a single run: its row, nothing to compare") {
    const std::string one = uc::format_html_report(c, r, sample_history(1, c, r));
    CHECK(elements_with(one, "data-run").size() == 1);
    CHECK_FALSE(element_by_id(one, "history-plot").has_value());
  }
  SECTION("no history: no section") {
    CHECK_FALSE(element_by_id(uc::format_html_report(c, r, {}), "history").has_value());
  }
}

TEST_CASE("html report: a merge says how many runs it merged", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const std::string merged = uc::format_html_report(c, r, {}, {.command_line = "", .merged_runs = 3});
  const auto note = element_by_id(merged, "merged-note");
  REQUIRE(note.has_value());
  CHECK((*note)["data-merged-runs"] == "3");
  CHECK(note->text.rfind("Merged from 3 runs", 0) == 0);
  CHECK_FALSE(element_by_id(merged, "command-line").has_value());  // none given
  CHECK_FALSE(element_by_id(uc::format_html_report(c, r, {}), "merged-note").has_value());
}

TEST_CASE("html report: an empty run renders without plots of nothing", "[report]") {
  const uc::load_config c = sample_config();
  const uc::load_results r;
  const std::string html = uc::format_html_report(c, r, {});
  for (const char* plot : {"rps-plot", "percentile-plot", "histogram-plot", "history-plot"})
    CHECK_FALSE(element_by_id(html, plot).has_value());
  CHECK(html.find("No latency was recorded.") != std::string::npos);
  CHECK(html.find("No status codes were counted.") != std::string::npos);
  check_metrics_equal_json(html, uc::format_json(c, r));
}

TEST_CASE("html report: WebSocket mode shows frames and no status codes", "[report]") {
  auto c = sample_config();
  c.websocket = true;
  auto r = sample_results();
  r.status = {};
  r.status_codes.clear();
  r.ws_upgrades = 64;
  r.ws_frames = 20001;
  const std::string html = uc::format_html_report(c, r, {});
  CHECK_FALSE(element_by_id(html, "status").has_value());
  const auto seen = check_metrics_equal_json(html, uc::format_json(c, r));
  CHECK(seen.count("ws_upgrades") == 1);
  CHECK(seen.count("ws_frames") == 1);
  CHECK(seen.count("mode") == 1);
}

namespace {

std::vector<uc::threshold_result> checked_thresholds(const std::vector<std::string>& texts, const uc::load_results& r) {
  std::vector<uc::threshold> rules;
  for (const auto& text : texts) {
    auto rule = uc::parse_threshold(text);
    REQUIRE(rule.ok());
    rules.push_back(*rule);
  }
  return uc::check_thresholds(rules, r, 200);
}

// The index of `id` in the page, for checking the order of sections.
std::size_t position_of_id(const std::string& html, const std::string& id) {
  const auto at = html.find(" id=\"" + id + "\"");
  REQUIRE(at != std::string::npos);
  return at;
}

}  // namespace

TEST_CASE("html report: thresholds get a section with PASS/FAIL in words and the JSON's numbers", "[report]") {
  const auto c = sample_config();
  const auto r = sample_results();
  const auto checked = checked_thresholds({"p99<10s", "rps>1000000000", "errors<=0.1%", "mean<1ms"}, r);
  REQUIRE(checked.size() == 4);
  REQUIRE_FALSE(checked[1].passed);
  const std::string html = uc::format_html_report(c, r, {}, {.command_line = "", .thresholds = &checked});
  const std::string json = uc::format_json(c, r, {.thresholds = &checked});

  const auto seen = check_metrics_equal_json(html, json);
  for (std::size_t i = 0; i < checked.size(); ++i) {
    INFO("threshold " << i);
    CHECK(seen.count("thresholds/" + std::to_string(i) + "/measured") == 1);
    CHECK(seen.count("thresholds/" + std::to_string(i) + "/passed") == 1);
  }
  // The measured rps has real decimals: the page holds the JSON's 3-decimal literal.
  for (const auto& e : elements_with(html, "data-metric")) {
    if (e["data-metric"] == "thresholds/1/measured") CHECK(e.text == uc::format_fixed(r.requests_per_second(), 3));
    if (e["data-metric"] == "thresholds/1/passed") CHECK(e.text == "false");
    if (e["data-metric"] == "thresholds/0/passed") CHECK(e.text == "true");
  }

  // One row per assertion, in order, its verdict a word as well as a class.
  std::vector<html_element> rows;
  for (const auto& e : elements_with(html, "data-threshold")) rows.push_back(e);
  REQUIRE(rows.size() == 4);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i);
    CHECK(rows[i]["data-threshold"] == std::to_string(i));
    CHECK(rows[i]["class"] == (checked[i].passed ? "pass" : "fail"));
  }
  std::size_t passes = 0, fails = 0;
  for (const auto& e : html_elements(html)) {
    if (e.tag != "strong") continue;
    passes += e.text == "✓ PASS";
    fails += e.text == "✗ FAIL";
  }
  CHECK(passes == 3);
  CHECK(fails == 1);
  // The readable measured value is the text report's.
  CHECK(html.find("<td>" + uc::format_threshold_value(checked[0]) + "</td>") != std::string::npos);
  CHECK(html.find("<code>rps&gt;1000000000</code>") != std::string::npos);

  // The verdict, in the section and as a link at the top of the page.
  const std::string verdict = "3 of 4 thresholds held; ucannon exits with status 3.";
  CHECK(element_by_id(html, "threshold-verdict")->text == verdict);
  const auto alert = element_by_id(html, "threshold-alert");
  REQUIRE(alert.has_value());
  CHECK(alert->text == verdict);
  CHECK((*alert)["href"] == "#thresholds");
  // Near the top: right after the summary, before the plots.
  CHECK(position_of_id(html, "threshold-alert") < position_of_id(html, "settings"));
  CHECK(position_of_id(html, "summary") < position_of_id(html, "thresholds"));
  CHECK(position_of_id(html, "thresholds") < position_of_id(html, "throughput"));

  SECTION("all held") {
    const auto held = checked_thresholds({"p99<10s", "rps>1"}, r);
    const std::string page = uc::format_html_report(c, r, {}, {.command_line = "", .thresholds = &held});
    CHECK(element_by_id(page, "threshold-verdict")->text == "2 of 2 thresholds held.");
    check_metrics_equal_json(page, uc::format_json(c, r, {.thresholds = &held}));
  }
  SECTION("one threshold on a run that measured nothing: the exit status is 4") {
    const uc::load_results empty;
    const auto none = checked_thresholds({"p99<10s"}, empty);
    const std::string page = uc::format_html_report(c, empty, {}, {.command_line = "", .thresholds = &none});
    CHECK(element_by_id(page, "threshold-verdict")->text ==
          "0 of 1 threshold held; ucannon exits with status 4 (nothing was measured).");
    check_metrics_equal_json(page, uc::format_json(c, empty, {.thresholds = &none}));
  }
  SECTION("none given, or an empty list: no section") {
    const std::vector<uc::threshold_result> nothing;
    for (const std::string& page : {uc::format_html_report(c, r, {}),
                                    uc::format_html_report(c, r, {}, {.command_line = "", .thresholds = &nothing})}) {
      CHECK_FALSE(element_by_id(page, "thresholds").has_value());
      CHECK_FALSE(element_by_id(page, "threshold-alert").has_value());
      CHECK(elements_with(page, "data-threshold").empty());
    }
  }
  SECTION("the assertion text is escaped all the same") {
    auto hostile = checked;
    hostile[0].rule.text = "p99<1s\"><script>alert(1)</script>";
    const std::string page = uc::format_html_report(c, r, {}, {.command_line = "", .thresholds = &hostile});
    CHECK(page.find("<script") == std::string::npos);
    bool found = false;
    for (const auto& e : html_elements(page))
      if (e.tag == "code" && e.text == hostile[0].rule.text) found = true;
    CHECK(found);
  }
}

TEST_CASE("html report: a ramp gets its steady-state numbers and a marker on the throughput plot", "[report]") {
  auto c = sample_config();
  c.ramp = std::chrono::milliseconds(2250);
  c.warmup = std::chrono::milliseconds(0);
  auto r = sample_results();
  r.ramp_sec = 2.25;
  r.steady_responses = 13'001;
  for (std::uint64_t i = 0; i < 13'000; ++i) r.steady_latency.record_us(70 + (i * 31) % 700);
  r.steady_latency.record_us(40'000);

  const std::string html = uc::format_html_report(c, r, {});
  const std::string json = uc::format_json(c, r);
  const auto seen = check_metrics_equal_json(html, json);
  for (const char* path : {"ramp/seconds", "ramp/steady_responses", "ramp/steady_rps", "ramp/steady_latency_us/avg",
                           "ramp/steady_latency_us/p50", "ramp/steady_latency_us/p90", "ramp/steady_latency_us/p99",
                           "ramp/steady_latency_us/p999", "ramp/steady_latency_us/max"}) {
    INFO("expected on the page: " << path);
    CHECK(seen.count(path) == 1);
  }
  CHECK(element_by_id(html, "ramp").has_value());
  CHECK(position_of_id(html, "summary") < position_of_id(html, "ramp"));
  CHECK(position_of_id(html, "ramp") < position_of_id(html, "throughput"));
  CHECK(html.find("connections open evenly over it") != std::string::npos);  // the --ramp setting

  // The marker: a vertical line between the points of seconds 2 and 3, with its words.
  const std::string svg = svg_source(html, "rps-plot");
  const auto marker = element_by_id(svg, "ramp-end");
  REQUIRE(marker.has_value());
  CHECK(marker->tag == "line");
  CHECK((*marker)["data-seconds"] == "2.250");
  CHECK((*marker)["x1"] == (*marker)["x2"]);
  CHECK((*marker)["y1"] != (*marker)["y2"]);
  const auto points = with_class(svg, "circle", "point");
  REQUIRE(points.size() == 7);
  const double x = std::stod((*marker)["x1"]);
  CHECK(x > std::stod(points[1]["cx"]));
  CHECK(x < std::stod(points[2]["cx"]));
  CHECK(svg.find(">end of ramp (2.25 s)</text>") != std::string::npos);
  CHECK(element_by_id(html, "rps-plot-desc")->text.find("end of the ramp") != std::string::npos);

  SECTION("without a ramp: no section, no marker") {
    auto plain = sample_results();
    const std::string page = uc::format_html_report(sample_config(), plain, {});
    CHECK_FALSE(element_by_id(page, "ramp").has_value());
    CHECK_FALSE(element_by_id(page, "ramp-end").has_value());
    CHECK(page.find("end of ramp") == std::string::npos);
    CHECK(page.find("data-metric=\"ramp/") == std::string::npos);
  }
}

TEST_CASE("html report: -n and a rate schedule in the settings, the schedule drawn as asked per second", "[report]") {
  auto c = sample_config();
  c.max_responses = 20'001;
  c.rate = 5000;
  c.rate_schedule = {{2000, 6000, std::chrono::seconds(1)}, {3000, 3000, std::chrono::seconds(1)}};
  c.warmup = std::chrono::milliseconds(0);
  auto r = sample_results();
  r.ramp_sec = 2;
  r.steady_responses = 14'000;
  r.steady_latency.record_us(500, 14'000);
  const std::string html = uc::format_html_report(c, r, {});
  const auto seen = check_metrics_equal_json(html, uc::format_json(c, r));
  CHECK(seen.count("max_responses") == 1);
  CHECK(seen.count("rate/target") == 1);
  CHECK(seen.count("ramp/steady_rps") == 1);
  // The schedule as the text header shows it, escaped ("->" holds a '>').
  CHECK(html.find(uc::html_escape(uc::format_rate_schedule(c))) != std::string::npos);
  CHECK(html.find("2000 -&gt; 6000 req/s for 1s, 3000 req/s for 1s, then 5000 req/s") != std::string::npos);
  CHECK(html.find("until <span data-metric=\"max_responses\">20001</span> responses") != std::string::npos);
  // Sent per second compared with what the schedule asked on average over the run.
  CHECK(html.find("(asked " + uc::format_fixed(uc::asked_rate(c, r.elapsed_sec), 2) + " on average)") !=
        std::string::npos);

  const std::string svg = svg_source(html, "rps-plot");
  CHECK(svg.find("<line class=\"reference\"") == std::string::npos);  // not the flat --rate line
  const auto asked = with_class(svg, "polyline", "reference");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0]["data-series"] == "asked_rate");
  // Each second: what the curve asks in it. 2000 -> 6000 over the first second averages 4000.
  const uc::rate_curve curve = uc::make_rate_curve(c);
  std::string expected;
  for (std::size_t i = 0; i < r.responses_per_second.size(); ++i)
    expected += (i ? " " : "") + uc::format_fixed(curve.requests_by(double(i + 1)) - curve.requests_by(double(i)), 2);
  CHECK(asked[0]["data-values"] == expected);
  CHECK(expected.rfind("4000.00 3000.00 5000.00 5000.00", 0) == 0);
  // Steps: two points a second, level within a second; 3000 is drawn below 4000 and 5000.
  const auto xy = polyline_points(asked[0]);
  REQUIRE(xy.size() == 2 * r.responses_per_second.size());
  for (std::size_t i = 0; i < xy.size(); i += 2) CHECK(xy[i].second == xy[i + 1].second);
  CHECK(xy[2].second > xy[0].second);
  CHECK(xy[2].second > xy[4].second);
  CHECK(svg.find(">asked rate</text>") != std::string::npos);
  CHECK(element_by_id(html, "ramp-end").has_value());

  SECTION("an open-loop --ramp not yet turned into a schedule is drawn as one") {
    auto ramped = sample_config();
    ramped.rate = 4000;
    ramped.ramp = std::chrono::seconds(2);
    const std::string page = uc::format_html_report(ramped, r, {});
    const auto line = with_class(svg_source(page, "rps-plot"), "polyline", "reference");
    REQUIRE(line.size() == 1);
    CHECK(line[0]["data-values"].rfind("1000.00 3000.00 4000.00", 0) == 0);
    CHECK(page.find("0 -&gt; 4000 req/s for 2s, then 4000 req/s") != std::string::npos);
  }
  SECTION("without -n the setting says off") {
    auto plain = sample_config();
    const std::string page = uc::format_html_report(plain, sample_results(), {});
    CHECK(page.find("off (the run lasts -d)") != std::string::npos);
    CHECK(page.find("data-metric=\"max_responses\"") == std::string::npos);
  }
}
