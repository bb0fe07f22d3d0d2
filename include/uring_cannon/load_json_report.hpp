#pragma once
// ucannon's --json output: gcannon 0.5.3's object, field for field (names, order, types and
// meaning), laid out as gcannon lays it out, followed by ucannon's own fields.
//
//   version         string   the tool's version (ucannon's, not gcannon's)
//   target          string   host[:port]/path, ":80" left out (load_results::target)
//   mode            string   "http" or "websocket"
//   connections, threads, pipeline_depth, duration_sec      integers
//   elapsed_sec     number   3 decimals, warm-up excluded
//   requests, responses                                     integers
//   rps, bandwidth_bps  number  2 decimals; bandwidth is bytes (not bits) per second
//   bytes_read      integer
//   latency_us      {avg, p50, p90, p99, p999, samples} integers (µs, lower bucket edges;
//                   avg is the integer part of the mean), then ucannon's "max", "overflow",
//                   "min" (exact recorded values) and "stddev" (number, 2 decimals; see
//                   latency_histogram::stddev_us)
//   ws_upgrades, ws_frames   integers, WebSocket mode only, right after latency_us
//   status          {2xx, 3xx, 4xx, 5xx, other}
//   errors          {connect, read, timeout}
//   reconnects      integer
//   per_template    with more than one template: [{responses, 2xx[, latency_us {avg, p50, p99}]}]
//                   latency_us under --per-tpl-latency. ucannon writes it for every template,
//                   zeros for one without samples, where gcannon left it out: one shape to read.
// ucannon's additions, after all of gcannon's fields:
//   tool            "ucannon"
//   duration_ms     integer, the exact -d (duration_sec is whole seconds: -d 500ms gives 1)
//   interrupted     boolean, stopped early (SIGINT)
//   accounting      {requests_sent, answered, abandoned, in_flight}: every request, warm-up included
//   responses_per_second  [integers], one per whole second of the run
//   ttfb_us         {avg, p50, p90, p99, p999, min, max} integers: send to the first byte of each
//                   response, with latency_us's semantics (one sample per latency sample)
//   status_codes    {"200": n, "404": m}: responses per status code, the codes that answered at
//                   least once, ascending; always there, {} when none (WebSocket mode, or none)
//   error_classes   {connect_refused, connect_timeout, connect_other, reset, parse_error,
//                   unexpected_close, read_other, read_timeout} integers, always: the errors of
//                   "errors" by finer class (connect = the three connect_*, read = reset +
//                   parse_error + unexpected_close + read_other, timeout = read_timeout)
//   rate            open loop (--rate) only: {"target": asked, "achieved": sent per second}, both
//                   numbers with 2 decimals; latency_us then runs from each request's intended
//                   send time (coordinated omission corrected)
//   service_time_us open loop only: {avg, p50, p90, p99, p999, max} integers, from the actual send
//   percentiles_us  with --percentiles: {"<percentile as written>": µs, ...} of the latency, in
//                   the order asked (keys from percentile_label(): "50", "99.9"); a percentile
//                   equal to a fixed column (50, 90, 99, 99.9) gives exactly that column's value
//   ttfb_percentiles_us   with --percentiles: the same percentiles of the time to first byte
//   max_responses   with -n: the asked count
//   ramp            with --ramp or a rate schedule: {"seconds": the ramp's length (3 decimals),
//                   "steady_responses", "steady_rps" (2 decimals), "steady_latency_us": {avg, p50,
//                   p90, p99, p999, max}}: the part after the ramp
//   tls             https:// only: {"version", "cipher" (of the first handshake), "handshakes",
//                   "resumed", "failed", "first_error" ("" when none), "kernel_tls": "not offered" or
//                   "offered, not used" (records are encrypted in user space either way)}, warm-up included
//   thresholds      with --assert: [{"assert": text, "measured": number (µs for latencies; 3
//                   decimals), "passed": boolean}], in the order given
//   histogram_us    with --histogram (json_report_options::histogram): [[lower_us, count], ...],
//                   the latency histogram's non-empty buckets in ascending order, the overflow
//                   bucket (lower edge 5000000) last; the counts add up to latency_us.samples
// Strings are escaped properly (gcannon wrote them raw); invalid UTF-8 becomes U+FFFD.

#include <uring_cannon/detail/utf8.hpp>
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_thresholds.hpp>
#include <uring_cannon/load_text_report.hpp>
#include <uring_cannon/version.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uring_cannon {

/// `text` as a JSON string literal, quotes included: `"` `\` and control characters escaped, and
/// each byte that is not part of well-formed UTF-8 replaced by U+FFFD, so the output always parses.
inline std::string json_quote(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A well-formed multi-byte sequence is copied; any other byte becomes U+FFFD.
    if (const auto sequence = detail::utf8_sequence_at(text.substr(i)); sequence.length != 0) {
      out.append(text.substr(i, sequence.length));
      i += sequence.length;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
  return out;
}

/// -d in whole seconds for "duration_sec" (an integer in gcannon): exact for whole seconds,
/// otherwise rounded to the nearest second and at least 1, so a consumer can divide by it.
inline std::uint64_t json_duration_sec(std::chrono::milliseconds d) noexcept {
  const auto ms = d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count());
  if (ms % 1000 == 0) return ms / 1000;
  const std::uint64_t rounded = (ms + 500) / 1000;
  return rounded == 0 ? 1 : rounded;
}

/// ucannon's optional additions to the --json document.
struct json_report_options {
  bool histogram = false;  ///< --histogram: "histogram_us", the non-empty latency buckets
  const std::vector<threshold_result>* thresholds = nullptr;  ///< --assert: "thresholds"
  bool one_line = false;   ///< --json-lines: the whole object on one line
};

namespace detail::json_report {

// {"50": n, "99.9": n} for the requested percentiles of `h`.
// `json` (as format_json writes it: no newline inside a string, since json_quote escapes them)
// with its newlines and the indentation after them taken out, and one newline at the end.
inline std::string one_line(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (json[i] != '\n') {
      out += json[i];
      continue;
    }
    while (i + 1 < json.size() && json[i + 1] == ' ') ++i;
  }
  return out + "\n";
}

/// One --interval as a JSON line: {"interval": index, "start_sec", "end_sec", "requests",
/// "responses", "errors", "bytes_read", "rps", "latency_us": {"p50", "p99", "max", "samples"}}.
inline std::string interval_line(const load_interval& i) {
  auto u = [](std::uint64_t v) { return std::to_string(v); };
  const double length = i.end_sec - i.start_sec;
  return "{\"interval\": " + u(i.index) + ", \"start_sec\": " + format_fixed(i.start_sec, 3) + ", \"end_sec\": " +
         format_fixed(i.end_sec, 3) + ", \"requests\": " + u(i.requests) + ", \"responses\": " + u(i.responses) +
         ", \"errors\": " + u(i.errors) + ", \"bytes_read\": " + u(i.bytes_read) + ", \"rps\": " +
         format_fixed(length > 0 ? double(i.responses) / length : 0, 2) + ", \"latency_us\": {\"p50\": " +
         u(i.latency.quantile_us(0.5)) + ", \"p99\": " + u(i.latency.quantile_us(0.99)) + ", \"max\": " +
         u(i.latency.max_us()) + ", \"samples\": " + u(i.latency.count()) + "}}\n";
}

inline std::string percentile_object(const std::vector<requested_percentile>& wanted, const latency_histogram& h) {
  std::string o = "{";
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (i > 0) o += ", ";
    o += json_quote(wanted[i].label) + ": " + std::to_string(h.quantile_us(wanted[i].quantile));
  }
  return o + "}";
}

// [[lower_us, count], ...], one bucket per line.
inline std::string bucket_array(const latency_histogram& h) {
  std::string o = "[";
  bool first = true;
  for (const latency_histogram::bucket b : h.non_empty_buckets()) {
    o += first ? "\n    [" : ",\n    [";
    o += std::to_string(b.lower_us) + ", " + std::to_string(b.count) + "]";
    first = false;
  }
  return o + (first ? "]" : "\n  ]");
}

}  // namespace detail::json_report

/// One --interval as a line of JSON (--json-lines): {"interval": index, "start_sec", "end_sec"
/// (3 decimals, since the measurement began), "requests", "responses", "errors", "bytes_read",
/// "rps" (2 decimals), "latency_us": {"p50", "p99", "max", "samples"}}. The intervals of a run
/// add up to its totals.
inline std::string format_interval_json(const load_interval& i) { return detail::json_report::interval_line(i); }

/// The --json document for one run (gcannon's layout, newline-terminated).
inline std::string format_json(const load_config& config, const load_results& r,
                               const json_report_options& options = {}) {
  const latency_histogram& h = r.latency;
  auto u = [](std::uint64_t v) { return std::to_string(v); };
  std::string o = "{\n";
  o += "  \"version\": " + json_quote(version_string) + ",\n";
  o += "  \"target\": " + json_quote(r.target) + ",\n";
  o += std::string("  \"mode\": \"") + (config.websocket ? "websocket" : "http") + "\",\n";
  o += "  \"connections\": " + u(config.connections) + ",\n";
  o += "  \"threads\": " + u(config.threads) + ",\n";
  o += "  \"pipeline_depth\": " + u(config.pipeline) + ",\n";
  o += "  \"duration_sec\": " + u(json_duration_sec(config.duration)) + ",\n";
  o += "  \"elapsed_sec\": " + format_fixed(r.elapsed_sec, 3) + ",\n";
  o += "  \"requests\": " + u(r.requests) + ",\n";
  o += "  \"responses\": " + u(r.responses) + ",\n";
  o += "  \"rps\": " + format_fixed(r.requests_per_second(), 2) + ",\n";
  o += "  \"bandwidth_bps\": " + format_fixed(r.bytes_per_second(), 2) + ",\n";
  o += "  \"bytes_read\": " + u(r.bytes_read) + ",\n";
  o += "  \"latency_us\": {\"avg\": " + u(average_latency_us(h)) + ", \"p50\": " + u(h.quantile_us(0.5)) +
       ", \"p90\": " + u(h.quantile_us(0.9)) + ", \"p99\": " + u(h.quantile_us(0.99)) + ", \"p999\": " +
       u(h.quantile_us(0.999)) + ", \"samples\": " + u(h.count()) + ", \"max\": " + u(h.max_us()) +
       ", \"overflow\": " + u(h.overflow_count()) + ", \"min\": " + u(h.min_us()) + ", \"stddev\": " +
       format_fixed(h.stddev_us(), 2) + "},\n";
  if (config.websocket) {
    o += "  \"ws_upgrades\": " + u(r.ws_upgrades) + ",\n";
    o += "  \"ws_frames\": " + u(r.ws_frames) + ",\n";
  }
  o += "  \"status\": {\"2xx\": " + u(r.status.s2xx) + ", \"3xx\": " + u(r.status.s3xx) + ", \"4xx\": " +
       u(r.status.s4xx) + ", \"5xx\": " + u(r.status.s5xx) + ", \"other\": " + u(r.status.other) + "},\n";
  o += "  \"errors\": {\"connect\": " + u(r.errors.connect) + ", \"read\": " + u(r.errors.read) +
       ", \"timeout\": " + u(r.errors.timeout) + "},\n";
  o += "  \"reconnects\": " + u(r.reconnects);
  if (r.per_template.size() > 1) {
    o += ",\n  \"per_template\": [";
    for (std::size_t i = 0; i < r.per_template.size(); ++i) {
      const template_results& t = r.per_template[i];
      o += i > 0 ? ",\n    " : "\n    ";
      o += "{\"responses\": " + u(t.responses) + ", \"2xx\": " + u(t.status.s2xx);
      if (config.per_template_latency)
        o += ", \"latency_us\": {\"avg\": " + u(average_latency_us(t.latency)) + ", \"p50\": " +
             u(t.latency.quantile_us(0.5)) + ", \"p99\": " + u(t.latency.quantile_us(0.99)) + "}";
      o += "}";
    }
    o += "\n  ]";
  }
  o += ",\n  \"tool\": \"ucannon\"";
  o += ",\n  \"duration_ms\": " + u(static_cast<std::uint64_t>(config.duration.count() < 0 ? 0 : config.duration.count()));
  o += std::string(",\n  \"interrupted\": ") + (r.interrupted ? "true" : "false");
  const load_accounting& books = r.accounting;
  o += ",\n  \"accounting\": {\"requests_sent\": " + u(books.requests_sent) + ", \"answered\": " + u(books.answered) +
       ", \"abandoned\": " + u(books.abandoned) + ", \"in_flight\": " + u(books.in_flight) + "}";
  o += ",\n  \"responses_per_second\": [";
  for (std::size_t i = 0; i < r.responses_per_second.size(); ++i) {
    if (i > 0) o += ", ";
    o += u(r.responses_per_second[i]);
  }
  o += "]";
  const latency_histogram& t = r.ttfb;
  o += ",\n  \"ttfb_us\": {\"avg\": " + u(average_latency_us(t)) + ", \"p50\": " + u(t.quantile_us(0.5)) +
       ", \"p90\": " + u(t.quantile_us(0.9)) + ", \"p99\": " + u(t.quantile_us(0.99)) + ", \"p999\": " +
       u(t.quantile_us(0.999)) + ", \"min\": " + u(t.min_us()) + ", \"max\": " + u(t.max_us()) + "}";
  o += ",\n  \"status_codes\": {";
  bool first_code = true;
  for (const status_code_count& sc : seen_status_codes(r)) {
    o += first_code ? "\"" : ", \"";
    o += u(sc.code) + "\": " + u(sc.count);
    first_code = false;
  }
  o += "}";
  o += ",\n  \"error_classes\": {";
  bool first_class = true;
  for (const error_class_count& e : error_class_counts(r.errors.classes)) {
    o += first_class ? "\"" : ", \"";
    o += std::string(e.key) + "\": " + u(e.count);
    first_class = false;
  }
  o += "}";
  if (config.rate > 0) {
    o += ",\n  \"rate\": {\"target\": " + format_fixed(config.rate, 2) + ", \"achieved\": " +
         format_fixed(r.sent_per_second(), 2) + "}";
    const latency_histogram& st = r.service_time;
    o += ",\n  \"service_time_us\": {\"avg\": " + u(average_latency_us(st)) + ", \"p50\": " + u(st.quantile_us(0.5)) +
         ", \"p90\": " + u(st.quantile_us(0.9)) + ", \"p99\": " + u(st.quantile_us(0.99)) + ", \"p999\": " +
         u(st.quantile_us(0.999)) + ", \"max\": " + u(st.max_us()) + "}";
  }
  if (const auto wanted = requested_percentiles(config); !wanted.empty()) {
    o += ",\n  \"percentiles_us\": " + detail::json_report::percentile_object(wanted, h);
    o += ",\n  \"ttfb_percentiles_us\": " + detail::json_report::percentile_object(wanted, t);
  }
  if (config.max_responses > 0) o += ",\n  \"max_responses\": " + u(config.max_responses);
  if (r.tls) {
    const tls_counts& t = r.tls_stats;
    o += ",\n  \"tls\": {\"version\": " + json_quote(t.version) + ", \"cipher\": " + json_quote(t.cipher) +
         ", \"handshakes\": " + u(t.handshakes) + ", \"resumed\": " + u(t.resumed) + ", \"failed\": " + u(t.failed) +
         ", \"first_error\": " + json_quote(t.first_error) +
         ", \"kernel_tls\": " + (t.kernel_tls_offered ? "\"offered, not used\"" : "\"not offered\"") + "}";
  }
  if (r.ramp_sec > 0) {
    const latency_histogram& st = r.steady_latency;
    o += ",\n  \"ramp\": {\"seconds\": " + format_fixed(r.ramp_sec, 3) + ", \"steady_responses\": " +
         u(r.steady_responses) + ", \"steady_rps\": " + format_fixed(r.steady_requests_per_second(), 2) +
         ", \"steady_latency_us\": {\"avg\": " + u(average_latency_us(st)) + ", \"p50\": " + u(st.quantile_us(0.5)) +
         ", \"p90\": " + u(st.quantile_us(0.9)) + ", \"p99\": " + u(st.quantile_us(0.99)) + ", \"p999\": " +
         u(st.quantile_us(0.999)) + ", \"max\": " + u(st.max_us()) + "}}";
  }
  if (options.thresholds) {
    o += ",\n  \"thresholds\": [";
    for (std::size_t i = 0; i < options.thresholds->size(); ++i) {
      const threshold_result& t = (*options.thresholds)[i];
      o += (i > 0 ? ", " : "") + std::string("{\"assert\": ") + json_quote(t.rule.text) + ", \"measured\": " +
           format_fixed(t.measured, 3) + ", \"passed\": " + (t.passed ? "true" : "false") + "}";
    }
    o += "]";
  }
  if (options.histogram) o += ",\n  \"histogram_us\": " + detail::json_report::bucket_array(h);
  o += "\n}\n";
  return options.one_line ? detail::json_report::one_line(o) : o;
}

}  // namespace uring_cannon
