// --json: parsed back with a small strict JSON reader (support/json_reader.hpp) that keeps key order and the raw
// text of numbers, so the test checks gcannon's field names, order, types and values exactly.

#include "support/json_reader.hpp"

#include <uring_cannon/load_json_report.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

using test_support::json;
using test_support::parse_json;

// ---- fixtures ----------------------------------------------------------------------------------

uc::load_config base_config() {
  uc::load_config c;
  c.connections = 8;
  c.threads = 1;
  c.duration = 2s;
  return c;
}

uc::load_results base_results() {
  uc::load_results r;
  r.target = "127.0.0.1:8080/";
  r.elapsed_sec = 2.0004;
  r.requests = 264264;
  r.responses = 264264;
  r.bytes_read = 39375336;
  r.status.s2xx = 264000;
  r.status.s3xx = 1;
  r.status.s4xx = 200;
  r.status.s5xx = 60;
  r.status.other = 3;
  r.errors = {4, 5, 6, {}};
  r.errors.classes.connect_refused = 3;
  r.errors.classes.connect_other = 1;
  r.errors.classes.reset = 2;
  r.errors.classes.parse_error = 2;
  r.errors.classes.unexpected_close = 1;
  r.errors.classes.read_timeout = 6;
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 263000;
  r.status_codes[201] = 1000;
  r.status_codes[302] = 1;
  r.status_codes[404] = 200;
  r.status_codes[503] = 60;
  r.status_codes[999] = 3;
  r.reconnects = 7;
  for (std::uint64_t i = 0; i < 264264; ++i) {
    r.latency.record_us(40 + i % 50 + (i % 1000 == 0 ? 150 : 0));
    r.ttfb.record_us(20 + i % 30 + (i % 1000 == 0 ? 100 : 0));
  }
  r.responses_per_second = {132000, 132264};
  r.accounting = {264300, 264280, 12, 8};
  return r;
}

const std::vector<std::string> gcannon_http_keys = {
    "version",  "target",    "mode",          "connections", "threads",    "pipeline_depth",
    "duration_sec", "elapsed_sec", "requests", "responses",   "rps",        "bandwidth_bps",
    "bytes_read", "latency_us", "status",      "errors",      "reconnects"};
const std::vector<std::string> ucannon_extra_keys = {"tool", "duration_ms", "interrupted", "accounting",
                                                     "responses_per_second", "ttfb_us", "status_codes",
                                                     "error_classes"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("json report: the test's own JSON reader is strict", "[json_report]") {
  CHECK_THROWS(parse_json("{\"a\": 1,}"));
  CHECK_THROWS(parse_json("{\"a\": 1} x"));
  CHECK_THROWS(parse_json("{\"a\": \"\x01\"}"));
  CHECK_THROWS(parse_json("{\"a\": 1, \"a\": 2}"));
  CHECK_THROWS(parse_json("[01]"));
  CHECK(parse_json("{\"a\": [1, 2.50, \"x\\u0041\", true, null]}")["a"].items[2].text == "xA");
}

TEST_CASE("HTTP mode: gcannon's fields, in gcannon's order, with gcannon's types", "[json_report]") {
  const uc::load_config c = base_config();
  const uc::load_results r = base_results();
  const std::string text = uc::format_json(c, r);
  CHECK(text.back() == '\n');
  const json doc = parse_json(text);
  REQUIRE(doc.kind == json::object);
  CHECK(doc.keys() == concat(gcannon_http_keys, ucannon_extra_keys));

  CHECK(doc["version"].kind == json::string);
  CHECK(doc["version"].text == uc::version_string);
  CHECK(doc["target"].text == "127.0.0.1:8080/");
  CHECK(doc["mode"].text == "http");
  CHECK(doc["connections"].u64() == 8);
  CHECK(doc["threads"].u64() == 1);
  CHECK(doc["pipeline_depth"].u64() == 1);
  CHECK(doc["duration_sec"].u64() == 2);
  CHECK(doc["elapsed_sec"].kind == json::number);
  CHECK(doc["elapsed_sec"].text == "2.000");
  CHECK(doc["requests"].u64() == 264264);
  CHECK(doc["responses"].u64() == 264264);
  CHECK(doc["rps"].decimals() == 2);
  CHECK(doc["rps"].text == uc::format_fixed(264264 / 2.0004, 2));
  CHECK(doc["bandwidth_bps"].decimals() == 2);
  CHECK(doc["bandwidth_bps"].f64() == Approx(39375336 / 2.0004).epsilon(1e-9));
  CHECK(doc["bytes_read"].u64() == 39375336);

  const json& lat = doc["latency_us"];
  CHECK(lat.keys() == std::vector<std::string>{"avg", "p50", "p90", "p99", "p999", "samples", "max", "overflow", "min",
                                               "stddev"});
  for (std::size_t i = 0; i + 1 < lat.names.size(); ++i) {
    INFO(lat.names[i]);
    CHECK(lat.values[i].is_integer());
  }
  CHECK(lat["min"].u64() == 40);
  CHECK(lat["stddev"].kind == json::number);
  CHECK(lat["stddev"].decimals() == 2);
  CHECK(lat["stddev"].text == uc::format_fixed(r.latency.stddev_us(), 2));
  CHECK(lat["stddev"].f64() > 14.0);  // 40..89 evenly, plus a tail: at least sqrt((50^2 - 1) / 12)
  CHECK(lat["avg"].u64() == uc::average_latency_us(r.latency));
  CHECK(lat["p50"].u64() == r.latency.quantile_us(0.5));
  CHECK(lat["p90"].u64() == r.latency.quantile_us(0.9));
  CHECK(lat["p99"].u64() == r.latency.quantile_us(0.99));
  CHECK(lat["p999"].u64() == r.latency.quantile_us(0.999));
  CHECK(lat["samples"].u64() == 264264);
  CHECK(lat["max"].u64() == 190);  // 40 + 150 at every 1000th sample
  CHECK(lat["overflow"].u64() == 0);

  const json& status = doc["status"];
  CHECK(status.keys() == std::vector<std::string>{"2xx", "3xx", "4xx", "5xx", "other"});
  CHECK(status["2xx"].u64() == 264000);
  CHECK(status["3xx"].u64() == 1);
  CHECK(status["4xx"].u64() == 200);
  CHECK(status["5xx"].u64() == 60);
  CHECK(status["other"].u64() == 3);
  const json& errors = doc["errors"];
  CHECK(errors.keys() == std::vector<std::string>{"connect", "read", "timeout"});
  CHECK(errors["connect"].u64() == 4);
  CHECK(errors["read"].u64() == 5);
  CHECK(errors["timeout"].u64() == 6);
  CHECK(doc["reconnects"].u64() == 7);

  CHECK(doc["tool"].text == "ucannon");
  CHECK(doc["duration_ms"].u64() == 2000);
  CHECK(doc["interrupted"].kind == json::boolean);
  CHECK_FALSE(doc["interrupted"].flag);
  const json& books = doc["accounting"];
  CHECK(books.keys() == std::vector<std::string>{"requests_sent", "answered", "abandoned", "in_flight"});
  CHECK(books["requests_sent"].u64() == 264300);
  CHECK(books["answered"].u64() == 264280);
  CHECK(books["abandoned"].u64() == 12);
  CHECK(books["in_flight"].u64() == 8);
  const json& per_second = doc["responses_per_second"];
  REQUIRE(per_second.items.size() == 2);
  CHECK(per_second.items[0].u64() == 132000);
  CHECK(per_second.items[1].u64() == 132264);

  const json& ttfb = doc["ttfb_us"];
  CHECK(ttfb.keys() == std::vector<std::string>{"avg", "p50", "p90", "p99", "p999", "min", "max"});
  CHECK(ttfb["avg"].u64() == uc::average_latency_us(r.ttfb));
  CHECK(ttfb["p50"].u64() == r.ttfb.quantile_us(0.5));
  CHECK(ttfb["p90"].u64() == r.ttfb.quantile_us(0.9));
  CHECK(ttfb["p99"].u64() == r.ttfb.quantile_us(0.99));
  CHECK(ttfb["p999"].u64() == r.ttfb.quantile_us(0.999));
  CHECK(ttfb["min"].u64() == 20);
  CHECK(ttfb["max"].u64() == 140);  // 20 + 100 + 2000 % 30
  CHECK(ttfb["p50"].u64() < lat["p50"].u64());
}

TEST_CASE("the layout is gcannon's: two-space indent, one field per line", "[json_report]") {
  const std::string text = uc::format_json(base_config(), base_results());
  CHECK(text.rfind("{\n  \"version\": \"", 0) == 0);
  CHECK(text.find("\n  \"elapsed_sec\": 2.000,\n") != std::string::npos);
  CHECK(text.find("\n  \"status\": {\"2xx\": 264000, \"3xx\": 1, \"4xx\": 200, \"5xx\": 60, \"other\": 3},\n") !=
        std::string::npos);
  CHECK(text.find("\n  \"errors\": {\"connect\": 4, \"read\": 5, \"timeout\": 6},\n") != std::string::npos);
  CHECK(text.find("\n  \"reconnects\": 7,\n") != std::string::npos);
  CHECK(text.find("\n  \"responses_per_second\": [132000, 132264],\n  \"ttfb_us\": {\"avg\": ") != std::string::npos);
  CHECK(text.substr(text.size() - 4) == "}\n}\n");
}

TEST_CASE("WebSocket mode adds ws_upgrades and ws_frames right after latency_us", "[json_report]") {
  uc::load_config c = base_config();
  c.websocket = true;
  uc::load_results r = base_results();
  r.ws_upgrades = 8;
  r.ws_frames = 264264;
  const json doc = parse_json(uc::format_json(c, r));
  std::vector<std::string> keys = gcannon_http_keys;
  keys.insert(keys.begin() + 14, {"ws_upgrades", "ws_frames"});
  CHECK(doc.keys() == concat(keys, ucannon_extra_keys));
  CHECK(doc["mode"].text == "websocket");
  CHECK(doc["ws_upgrades"].u64() == 8);
  CHECK(doc["ws_frames"].u64() == 264264);
}

TEST_CASE("per_template follows reconnects when there are several templates", "[json_report]") {
  uc::load_config c = base_config();
  c.raw_files = {"a.raw", "b.raw", "c.raw"};
  uc::load_results r = base_results();
  r.per_template.resize(3);
  for (std::size_t i = 0; i < 3; ++i) {
    r.per_template[i].responses = 100 + i;
    r.per_template[i].status.s2xx = 90 + i;
    if (i != 1) r.per_template[i].latency.record_us(50 * (i + 1), 10);
  }

  SECTION("without --per-tpl-latency: responses and 2xx") {
    const json doc = parse_json(uc::format_json(c, r));
    std::vector<std::string> keys = gcannon_http_keys;
    keys.push_back("per_template");
    CHECK(doc.keys() == concat(keys, ucannon_extra_keys));
    const json& tpl = doc["per_template"];
    REQUIRE(tpl.kind == json::array);
    REQUIRE(tpl.items.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(tpl.items[i].keys() == std::vector<std::string>{"responses", "2xx"});
      CHECK(tpl.items[i]["responses"].u64() == 100 + i);
      CHECK(tpl.items[i]["2xx"].u64() == 90 + i);
    }
  }
  SECTION("with --per-tpl-latency: latency_us {avg, p50, p99} for every template") {
    c.per_template_latency = true;
    const json doc = parse_json(uc::format_json(c, r));
    const json& tpl = doc["per_template"];
    REQUIRE(tpl.items.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(tpl.items[i].keys() == std::vector<std::string>{"responses", "2xx", "latency_us"});
      const json& lat = tpl.items[i]["latency_us"];
      CHECK(lat.keys() == std::vector<std::string>{"avg", "p50", "p99"});
      const std::uint64_t expected = i == 1 ? 0 : 50 * (i + 1);
      CHECK(lat["avg"].u64() == expected);
      CHECK(lat["p50"].u64() == expected);
      CHECK(lat["p99"].u64() == expected);
    }
  }
  SECTION("one template: no per_template") {
    r.per_template.resize(1);
    CHECK(parse_json(uc::format_json(c, r)).keys() == concat(gcannon_http_keys, ucannon_extra_keys));
  }
}

TEST_CASE("strings are escaped and always valid JSON", "[json_report]") {
  uc::load_results r = base_results();
  r.target = std::string("h\"o\\st:81/p\na\tth\x01\x7f/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80/") +
             "\xff\xc0\xaf\xed\xa0\x80\xe2\x82";
  const json doc = parse_json(uc::format_json(base_config(), r));
  // Well-formed text survives; each of the 8 stray bytes becomes U+FFFD.
  std::string expected = "h\"o\\st:81/p\na\tth\x01\x7f/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80/";
  for (int i = 0; i < 8; ++i) expected += "\xef\xbf\xbd";
  CHECK(doc["target"].text == expected);
  CHECK(uc::json_quote("a\"b") == "\"a\\\"b\"");
  CHECK(uc::json_quote("\x1f") == "\"\\u001f\"");
  CHECK(uc::json_quote("\xc3") == "\"\\ufffd\"");
  CHECK(uc::json_quote("\xe0\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // overlong
  CHECK(uc::json_quote("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
}

TEST_CASE("duration_sec stays an integer for sub-second and odd durations", "[json_report]") {
  CHECK(uc::json_duration_sec(10s) == 10);
  CHECK(uc::json_duration_sec(2min) == 120);
  CHECK(uc::json_duration_sec(500ms) == 1);
  CHECK(uc::json_duration_sec(100ms) == 1);
  CHECK(uc::json_duration_sec(1400ms) == 1);
  CHECK(uc::json_duration_sec(1500ms) == 2);
  CHECK(uc::json_duration_sec(0ms) == 0);
  uc::load_config c = base_config();
  c.duration = 1500ms;
  const json doc = parse_json(uc::format_json(c, base_results()));
  CHECK(doc["duration_sec"].u64() == 2);
  CHECK(doc["duration_ms"].u64() == 1500);
}

TEST_CASE("json report: an empty, interrupted run", "[json_report]") {
  uc::load_results r;
  r.target = "x/";
  r.interrupted = true;
  const json doc = parse_json(uc::format_json(base_config(), r));
  CHECK(doc["elapsed_sec"].text == "0.000");
  CHECK(doc["rps"].text == "0.00");
  CHECK(doc["bandwidth_bps"].text == "0.00");
  CHECK(doc["latency_us"]["avg"].u64() == 0);
  CHECK(doc["latency_us"]["p999"].u64() == 0);
  CHECK(doc["interrupted"].flag);
  CHECK(doc["responses_per_second"].items.empty());
  CHECK(doc["latency_us"]["min"].u64() == 0);
  CHECK(doc["latency_us"]["stddev"].text == "0.00");
  for (const char* key : {"avg", "p50", "p999", "min", "max"}) CHECK(doc["ttfb_us"][key].u64() == 0);
  const json with_histogram = parse_json(uc::format_json(base_config(), r, {.histogram = true}));
  CHECK(with_histogram["histogram_us"].kind == json::array);
  CHECK(with_histogram["histogram_us"].items.empty());
}

TEST_CASE("json report: --percentiles: percentiles_us and ttfb_percentiles_us, keyed as written, in the order asked", "[json_report]") {
  uc::load_config c = base_config();
  const uc::load_results r = base_results();
  c.percentiles = {99.9, 50, 75, 99.99, 100, 0.1, 50};
  const json doc = parse_json(uc::format_json(c, r));
  CHECK(doc.keys() == concat(concat(gcannon_http_keys, ucannon_extra_keys), {"percentiles_us", "ttfb_percentiles_us"}));
  const std::vector<std::string> labels{"99.9", "50", "75", "99.99", "100", "0.1"};
  for (const char* name : {"percentiles_us", "ttfb_percentiles_us"}) {
    const json& object = doc[name];
    const uc::latency_histogram& h = std::string(name) == "percentiles_us" ? r.latency : r.ttfb;
    INFO(name);
    CHECK(object.keys() == labels);
    // Where a requested percentile coincides with a fixed column, the numbers are the same.
    CHECK(object["99.9"].u64() == h.quantile_us(0.999));
    CHECK(object["50"].u64() == h.quantile_us(0.5));
    CHECK(object["75"].u64() == h.quantile_us(0.75));
    CHECK(object["99.99"].u64() == h.quantile_us(0.9999));
    CHECK(object["100"].u64() == h.max_us());  // tier 1: the bucket is the value
    CHECK(object["0.1"].u64() == h.quantile_us(0.001));
  }
  CHECK(doc["percentiles_us"]["99.9"].u64() == doc["latency_us"]["p999"].u64());
  CHECK(doc["percentiles_us"]["50"].u64() == doc["latency_us"]["p50"].u64());
  CHECK(doc["ttfb_percentiles_us"]["50"].u64() == doc["ttfb_us"]["p50"].u64());
}

TEST_CASE("json report: --histogram: histogram_us lists the non-empty buckets, overflow last, summing to samples", "[json_report]") {
  const uc::load_config c = base_config();
  uc::load_results r = base_results();
  r.latency.record_us(12'345);          // tier 2: counted at its bucket's lower edge, 12 300
  r.latency.record_us(7'000'000, 2);    // overflow: lower edge 5 000 000
  CHECK(parse_json(uc::format_json(c, r)).keys() == concat(gcannon_http_keys, ucannon_extra_keys));
  const std::string text = uc::format_json(c, r, {.histogram = true});
  const json doc = parse_json(text);
  CHECK(doc.keys() == concat(concat(gcannon_http_keys, ucannon_extra_keys), {"histogram_us"}));
  const json& buckets = doc["histogram_us"];
  REQUIRE(buckets.kind == json::array);
  REQUIRE(buckets.items.size() == 50 + 1 + 1 + 1);  // 40..89, 190, 12300, overflow
  std::uint64_t total = 0, previous = 0;
  for (std::size_t i = 0; i < buckets.items.size(); ++i) {
    const json& b = buckets.items[i];
    REQUIRE(b.kind == json::array);
    REQUIRE(b.items.size() == 2);
    CHECK(b.items[1].u64() > 0);
    if (i > 0) CHECK(b.items[0].u64() > previous);
    previous = b.items[0].u64();
    total += b.items[1].u64();
  }
  CHECK(total == doc["latency_us"]["samples"].u64());
  CHECK(buckets.items.front().items[0].u64() == 40);
  CHECK(buckets.items[50].items[0].u64() == 190);
  CHECK(buckets.items[51].items[0].u64() == 12'300);
  CHECK(buckets.items[51].items[1].u64() == 1);
  CHECK(buckets.items.back().items[0].u64() == uc::latency_histogram::tier2_end_us);
  CHECK(buckets.items.back().items[1].u64() == 2);
  // One bucket per line, the array closed at the end of the document.
  CHECK(text.find("\n  \"histogram_us\": [\n    [40, ") != std::string::npos);
  CHECK(text.find("\n    [5000000, 2]\n  ]\n}\n") != std::string::npos);
}

TEST_CASE("json report: status_codes and error_classes, always there, after gcannon's fields", "[json_report]") {
  const uc::load_results r = base_results();
  const std::string text = uc::format_json(base_config(), r);
  const json doc = parse_json(text);
  const json& codes = doc["status_codes"];
  REQUIRE(codes.kind == json::object);
  CHECK(codes.keys() == std::vector<std::string>{"200", "201", "302", "404", "503", "999"});  // ascending, non-zero
  for (const json& v : codes.values) CHECK(v.is_integer());
  CHECK(codes["200"].u64() == 263000);
  CHECK(codes["201"].u64() == 1000);
  CHECK(codes["302"].u64() == 1);
  CHECK(codes["404"].u64() == 200);
  CHECK(codes["503"].u64() == 60);
  CHECK(codes["999"].u64() == 3);

  const json& classes = doc["error_classes"];
  REQUIRE(classes.kind == json::object);
  CHECK(classes.keys() == std::vector<std::string>{"connect_refused", "connect_timeout", "connect_other", "reset",
                                                   "parse_error", "unexpected_close", "read_other", "read_timeout"});
  for (const json& v : classes.values) CHECK(v.is_integer());
  CHECK(classes["connect_refused"].u64() == 3);
  CHECK(classes["connect_timeout"].u64() == 0);
  CHECK(classes["connect_other"].u64() == 1);
  CHECK(classes["reset"].u64() == 2);
  CHECK(classes["parse_error"].u64() == 2);
  CHECK(classes["unexpected_close"].u64() == 1);
  CHECK(classes["read_other"].u64() == 0);
  CHECK(classes["read_timeout"].u64() == 6);
  // gcannon's errors are the sums of the finer classes.
  CHECK(doc["errors"]["connect"].u64() ==
        classes["connect_refused"].u64() + classes["connect_timeout"].u64() + classes["connect_other"].u64());
  CHECK(doc["errors"]["read"].u64() == classes["reset"].u64() + classes["parse_error"].u64() +
                                           classes["unexpected_close"].u64() + classes["read_other"].u64());
  CHECK(doc["errors"]["timeout"].u64() == classes["read_timeout"].u64());

  // One line each, right after ttfb_us.
  CHECK(text.find("\n  \"status_codes\": {\"200\": 263000, \"201\": 1000, \"302\": 1, \"404\": 200, \"503\": 60, "
                  "\"999\": 3},\n  \"error_classes\": {\"connect_refused\": 3, \"connect_timeout\": 0, "
                  "\"connect_other\": 1, \"reset\": 2, \"parse_error\": 2, \"unexpected_close\": 1, "
                  "\"read_other\": 0, \"read_timeout\": 6}\n}\n") != std::string::npos);

  // No codes counted (an empty vector, or all zeros): {}. Not a closed-loop field: no rate.
  uc::load_results empty;
  empty.target = "x/";
  const json none = parse_json(uc::format_json(base_config(), empty));
  CHECK(none["status_codes"].kind == json::object);
  CHECK(none["status_codes"].keys().empty());
  for (const json& v : none["error_classes"].values) CHECK(v.u64() == 0);
  empty.status_codes.assign(1000, 0);
  CHECK(uc::format_json(base_config(), empty).find("\n  \"status_codes\": {},\n") != std::string::npos);
  CHECK(none.keys() == concat(gcannon_http_keys, ucannon_extra_keys));
}

TEST_CASE("json report: open loop adds rate and service_time_us after error_classes", "[json_report]") {
  uc::load_config c = base_config();
  c.rate = 132500.5;
  uc::load_results r = base_results();
  for (std::uint64_t i = 0; i < 1000; ++i) r.service_time.record_us(30 + i % 20);
  r.service_time.record_us(77);

  const std::string text = uc::format_json(c, r);
  const json doc = parse_json(text);
  CHECK(doc.keys() == concat(concat(gcannon_http_keys, ucannon_extra_keys), {"rate", "service_time_us"}));
  const json& rate = doc["rate"];
  CHECK(rate.keys() == std::vector<std::string>{"target", "achieved"});
  CHECK(rate["target"].kind == json::number);
  CHECK(rate["target"].text == "132500.50");
  CHECK(rate["achieved"].decimals() == 2);
  CHECK(rate["achieved"].text == uc::format_fixed(264264 / 2.0004, 2));  // requests sent per second
  CHECK(rate["achieved"].text == uc::format_fixed(r.sent_per_second(), 2));

  const json& st = doc["service_time_us"];
  CHECK(st.keys() == std::vector<std::string>{"avg", "p50", "p90", "p99", "p999", "max"});
  for (const json& v : st.values) CHECK(v.is_integer());
  CHECK(st["avg"].u64() == uc::average_latency_us(r.service_time));
  CHECK(st["p50"].u64() == r.service_time.quantile_us(0.5));
  CHECK(st["p90"].u64() == r.service_time.quantile_us(0.9));
  CHECK(st["p99"].u64() == r.service_time.quantile_us(0.99));
  CHECK(st["p999"].u64() == r.service_time.quantile_us(0.999));
  CHECK(st["max"].u64() == 77);
  CHECK(st["p50"].u64() < doc["latency_us"]["p50"].u64());  // latency here runs from the intended send
  CHECK(text.find(",\n  \"rate\": {\"target\": 132500.50, \"achieved\": ") != std::string::npos);

  // With every optional field: rate and service time come before percentiles and the histogram.
  c.percentiles = {50};
  const json all = parse_json(uc::format_json(c, r, {.histogram = true}));
  CHECK(all.keys() == concat(concat(gcannon_http_keys, ucannon_extra_keys),
                             {"rate", "service_time_us", "percentiles_us", "ttfb_percentiles_us", "histogram_us"}));

  // An empty open-loop run: zeros, still numbers.
  uc::load_results empty;
  empty.target = "x/";
  const json zero = parse_json(uc::format_json(c, empty));
  CHECK(zero["rate"]["achieved"].text == "0.00");
  for (const json& v : zero["service_time_us"].values) CHECK(v.u64() == 0);

  // Closed loop: neither.
  c.rate = 0;
  const json closed = parse_json(uc::format_json(c, r));
  for (const std::string& key : closed.keys()) {
    CHECK(key != "rate");
    CHECK(key != "service_time_us");
  }
}
