#pragma once
// ucannon --report FILE.html: one self-contained page that shows a run (or a merge of runs) with
// its settings, headline numbers, tables and plots.
//
// The plots are SVG written here by hand, not drawn by a charting library or a script:
//  * no dependency: the library stays header-only, and nothing is fetched (no CDN, no fonts);
//  * exact numbers: each point is a number this code computed from the histograms, with the
//    same functions the text and JSON reports use, never resampled or smoothed by a library;
//  * it opens offline, years later, in any browser, with scripts off (there are none);
//  * it prints: SVG scales to paper, and a print style drops the page chrome.
//
// The page is accessible: every number is text in a table next to its plot; each <svg> has
// role="img" with a <title> and a <desc> that says what the plot shows in words; series differ by
// dash pattern, marker shape and a text label, not by colour alone; colours keep a contrast of at
// least 4.5:1 on white; headings go h1, h2, h3 in order; lang="en".
//
// Every string that came from a user (URL, template paths, the command line, history targets,
// assertions) is escaped with html_escape() (which also turns invalid UTF-8 and control
// characters into U+FFFD).
//
// The contract with tools and tests that read the page:
//  * data-metric="PATH": the element's whole text is the value the --json document
//    (format_json) holds at PATH, byte for byte as format_json writes it (same rounding: "rps"
//    with 2 decimals, latencies in whole µs). PATH is a '/'-separated list of object keys and
//    array indices: "rps", "latency_us/p99", "status_codes/200", "responses_per_second/0",
//    "percentiles_us/99.99", "per_template/1/2xx", "ramp/steady_latency_us/p99",
//    "thresholds/0/measured", "thresholds/0/passed" ("true"/"false"). Strings are HTML-escaped as
//    usual; read the text (the DOM's textContent) to compare. Units and readable forms stand
//    outside the element.
//  * ids: the sections (settings, summary, thresholds, ramp, throughput, latency, histogram,
//    status, errors, templates, history) and plots (rps-plot, percentile-plot, histogram-plot,
//    history-plot); headline cells: rps, responses, bandwidth, errors-total, p50, p90, p99, p999,
//    max; threshold-verdict ("2 of 3 thresholds held; ucannon exits with status 3.") and
//    threshold-alert (the same words, a link in the page header); each threshold is a
//    <tr data-threshold="i" class="pass|fail"> whose result cell says PASS or FAIL in words.
//  * in the plots: each point of responses per second is a <circle class="point" data-second
//    data-value>; a ramp's end is <line id="ramp-end" data-seconds> (its length, as
//    "ramp/seconds" writes it) with a text label; an open-loop --rate is a dashed
//    <line class="reference">, a rate schedule dashed steps, <polyline class="reference"
//    data-series="asked_rate" data-values>, the requests the schedule asks in each second (2
//    decimals); each percentile series is a <polyline class="series" data-series
//    data-points>, with a marker (class="marker", data-series, data-quantile, data-value) at each
//    percentile the table lists; each histogram bar is a <rect class="bar" data-lower-us
//    data-upper-us data-count> (latency_histogram::display_buckets(histogram_report_bars)); each
//    history bar is a <rect class="run-bar" data-run>.
//  * id="merged-note" (data-merged-runs="N") when the page is a merge; history rows are
//    <tr data-run="i">, oldest first.
// The page holds no clock reading of its own: the same inputs give the same bytes.

#include <uring_cannon/detail/utf8.hpp>
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_text_report.hpp>
#include <uring_cannon/load_thresholds.hpp>
#include <uring_cannon/rate_curve.hpp>
#include <uring_cannon/run_history.hpp>
#include <uring_cannon/version.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace uring_cannon {

/// What the HTML report says that the config and the results do not.
struct html_report_options {
  std::string command_line;     ///< the command as typed (argv joined by spaces); "" leaves it out
  std::size_t merged_runs = 0;  ///< > 0: the page shows `ucannon merge` of this many run files
  /// --assert: the run's checked thresholds (check_thresholds()), shown in a "Thresholds" section
  /// near the top; nullptr or empty leaves the section out. Must outlive the call.
  const std::vector<threshold_result>* thresholds = nullptr;
};

/// Bars in the report's latency histogram (see latency_histogram::display_buckets()).
inline constexpr int histogram_report_bars = 50;

/// At most this many runs of the history are shown (the newest).
inline constexpr std::size_t history_report_runs = 10;

/// `text` made safe as HTML text or as a double-quoted attribute value: & < > " ' become
/// entities; bytes that are not well-formed UTF-8 and control characters other than tab and
/// newline become U+FFFD (HTML forbids them, and a page must not break on a hostile URL).
inline std::string html_escape(std::string_view text) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
          if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) out += replacement;
          else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A well-formed sequence is copied as it is, except a C1 control character (one replacement
    // for the sequence); any other byte becomes U+FFFD.
    const auto sequence = detail::utf8_sequence_at(text.substr(i));
    if (sequence.length != 0 && sequence.code < 0xa0) {
      out += replacement;
      i += sequence.length;
    } else if (sequence.length != 0) {
      out.append(text.substr(i, sequence.length));
      i += sequence.length;
    } else {
      out += replacement;
      ++i;
    }
  }
  return out;
}

namespace detail::html_report {

// ---- small builders ----------------------------------------------------------------------------

inline std::string u(std::uint64_t v) { return std::to_string(v); }

// "1 row", "7 rows".
inline std::string rows_of(std::size_t n) { return u(n) + (n == 1 ? " row" : " rows"); }

// `<span data-metric="path">text</span>`: the text must be format_json's text for `path`.
inline std::string metric(std::string_view path, std::string_view json_text, std::string_view id = {}) {
  std::string out = "<span data-metric=\"" + html_escape(path) + "\"";
  if (!id.empty()) out += " id=\"" + std::string(id) + "\"";
  return out + ">" + html_escape(json_text) + "</span>";
}

// A table row: a header cell and data cells (already HTML).
inline std::string row(std::string_view header, std::initializer_list<std::string_view> cells) {
  std::string out = "<tr><th scope=\"row\">" + std::string(header) + "</th>";
  for (std::string_view cell : cells) out += "<td>" + std::string(cell) + "</td>";
  return out + "</tr>\n";
}

inline std::string table_head(std::initializer_list<std::string_view> headers) {
  std::string out = "<thead><tr>";
  for (std::string_view h : headers) out += "<th scope=\"col\">" + std::string(h) + "</th>";
  return out + "</tr></thead>\n";
}

// An SVG coordinate: one decimal is finer than a pixel and keeps the file small.
inline std::string at(double v) { return format_fixed(v, 1); }

// The smallest of 1, 2, 2.5, 5 times a power of ten that is >= v (and >= `floor`), so axis ticks
// at fifths of it are round numbers.
inline double nice_ceiling(double v, double floor = 5) {
  if (!(v > floor)) return floor;
  const double power = std::pow(10.0, std::floor(std::log10(v)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (step * power >= v * (1 - 1e-12)) return step * power;
  return 10 * power;
}

// The drawing area of every plot, in SVG user units (the svg scales to the page width).
struct frame {
  static constexpr double width = 760, height = 330;
  static constexpr double left = 78, right = 130, top = 18, bottom = 62;
  static constexpr double x0 = left, x1 = width - right, y0 = height - bottom, y1 = top;
  static double x(double fraction) { return x0 + (x1 - x0) * std::clamp(fraction, 0.0, 1.0); }
  static double y(double fraction) { return y0 - (y0 - y1) * std::clamp(fraction, 0.0, 1.0); }
};

inline std::string svg_open(std::string_view id, std::string_view title, std::string_view description) {
  const std::string name(id);
  return "<svg id=\"" + name + "\" class=\"plot\" role=\"img\" aria-labelledby=\"" + name + "-title " + name +
         "-desc\" viewBox=\"0 0 " + at(frame::width) + " " + at(frame::height) +
         "\" preserveAspectRatio=\"xMidYMid meet\">\n<title id=\"" + name + "-title\">" + html_escape(title) +
         "</title>\n<desc id=\"" + name + "-desc\">" + html_escape(description) + "</desc>\n";
}

inline std::string text(double x, double y, std::string_view anchor, std::string_view content,
                        std::string_view cls = "tick") {
  return "<text class=\"" + std::string(cls) + "\" x=\"" + at(x) + "\" y=\"" + at(y) + "\" text-anchor=\"" +
         std::string(anchor) + "\">" + html_escape(content) + "</text>\n";
}

inline std::string line(double xa, double ya, double xb, double yb, std::string_view cls) {
  return "<line class=\"" + std::string(cls) + "\" x1=\"" + at(xa) + "\" y1=\"" + at(ya) + "\" x2=\"" + at(xb) +
         "\" y2=\"" + at(yb) + "\"/>\n";
}

// A y axis from 0 to `top` with gridlines at fifths, labelled by `label`, and the axis titles.
template <class Label>
std::string y_axis(double top, Label label, std::string_view y_title, std::string_view x_title) {
  std::string out;
  for (int i = 0; i <= 5; ++i) {
    const double y = frame::y(i / 5.0);
    out += line(frame::x0, y, frame::x1, y, i == 0 ? "axis" : "grid");
    out += text(frame::x0 - 8, y + 4, "end", label(top * i / 5.0));
  }
  out += line(frame::x0, frame::y0, frame::x0, frame::y1, "axis");
  out += "<text class=\"axis-title\" transform=\"translate(16 " + at((frame::y0 + frame::y1) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(y_title) + "</text>\n";
  out += text((frame::x0 + frame::x1) / 2, frame::height - 14, "middle", x_title, "axis-title");
  return out;
}

inline std::string latency_label(double us) { return format_latency(truncate_to_u64(us + 0.5)); }
inline std::string count_label(double n) { return format_count(truncate_to_u64(n + 0.5)); }

inline std::string section_open(std::string_view id, std::string_view heading) {
  const std::string name(id);
  return "<section id=\"" + name + "\" aria-labelledby=\"" + name + "-h\">\n<h2 id=\"" + name + "-h\">" +
         std::string(heading) + "</h2>\n";
}

// ---- settings ----------------------------------------------------------------------------------

// The config with an open-loop --ramp as the first piece of its rate schedule, as prepare_load()
// runs it: the page then shows the same schedule for a config taken before or after it.
inline load_config with_ramp_scheduled(load_config config) {
  if (config.rate > 0 && config.ramp.count() > 0 && config.rate_schedule.empty())
    config.rate_schedule.push_back({0, config.rate, config.ramp});
  return config;
}

inline std::string milliseconds_setting(std::chrono::milliseconds d, std::string_view zero) {
  if (d.count() <= 0) return std::string(zero);
  return u(static_cast<std::uint64_t>(d.count())) + " ms";
}

inline std::string settings_section(const load_config& config, const load_results& r,
                                    const html_report_options& options) {
  std::string out = section_open("settings", "Settings");
  out += "<table class=\"settings\">\n" + table_head({"Setting", "Flag", "Value"}) + "<tbody>\n";
  auto setting = [&](std::string_view name, std::string_view flag, const std::string& value_html) {
    out += "<tr><th scope=\"row\">" + std::string(name) + "</th><td><code>" + std::string(flag) +
           "</code></td><td>" + value_html + "</td></tr>\n";
  };
  if (!config.url.empty()) setting("URL", "", "<code id=\"setting-url\">" + html_escape(config.url) + "</code>");
  setting("Target", "", metric("target", r.target));
  setting("Mode", config.websocket ? "--ws" : "", metric("mode", config.websocket ? "websocket" : "http"));
  setting("Connections", "-c", metric("connections", u(config.connections)));
  setting("Threads", "-t", metric("threads", u(config.threads)));
  setting("Duration", "-d",
          metric("duration_ms", u(static_cast<std::uint64_t>(std::max<std::int64_t>(0, config.duration.count())))) +
              " ms (" + format_duration_setting(config.duration) + ")" +
              (config.max_responses > 0 ? ", at most: -n ends the run" : ""));
  setting("Stop after", "-n",
          config.max_responses > 0
              ? "until " + metric("max_responses", u(config.max_responses)) + " responses (" +
                    format_count(config.max_responses) + "), counted from the first request"
              : std::string("off (the run lasts -d)"));
  setting("Pipeline depth", "-p", metric("pipeline_depth", u(config.pipeline)));
  setting("Requests per connection", "-r",
          config.requests_per_connection > 0 ? u(config.requests_per_connection) : "unlimited (keep-alive)");
  const load_config scheduled = with_ramp_scheduled(config);
  if (config.rate <= 0)
    setting("Rate", "--rate", "closed loop (each connection waits for its responses)");
  else if (scheduled.rate_schedule.empty())
    setting("Rate", "--rate", metric("rate/target", format_fixed(config.rate, 2)) + " req/s (open loop)");
  else
    setting("Rate schedule", "--rate",
            html_escape(format_rate_schedule(scheduled)) + " (open loop; the final rate is " +
                metric("rate/target", format_fixed(config.rate, 2)) + " req/s)");
  if (config.ramp.count() > 0)
    setting("Ramp", "--ramp",
            html_escape(format_duration_setting(config.ramp)) +
                (config.rate > 0 ? ": the rate grows from 0 to " + html_escape(format_rate(config.rate)) + " req/s"
                                 : std::string(": the connections open evenly over it")) +
                "; the report sets it apart");
  else
    setting("Ramp", "--ramp", "none");
  setting("Response timeout", "--timeout", milliseconds_setting(config.timeout, "off"));
  setting("Connect timeout", "--connect-timeout", milliseconds_setting(config.connect_timeout, "the kernel's"));
  setting("Warm-up", "--warmup", milliseconds_setting(config.warmup, "none"));
  setting("Expected status", "-s", u(static_cast<std::uint64_t>(std::max(0, config.expected_status))));
  if (!config.raw_files.empty()) {
    std::string files = "<ol class=\"templates\">";
    for (const std::string& f : config.raw_files) files += "<li><code>" + html_escape(f) + "</code></li>";
    setting("Raw templates", "--raw", files + "</ol>");
  }
  if (!config.percentiles.empty()) {
    std::string list;
    for (const auto& p : requested_percentiles(config)) list += (list.empty() ? "" : ", ") + html_escape(p.label);
    setting("Extra percentiles", "--percentiles", list);
  }
  setting("Measured", "", metric("elapsed_sec", format_fixed(r.elapsed_sec, 3)) + " s" +
                              (r.interrupted ? " (interrupted before the end)" : ""));
  setting("Tool", "", "ucannon " + metric("version", version_string));
  out += "</tbody></table>\n";
  if (!options.command_line.empty())
    out += "<p>Command line: <code id=\"command-line\">" + html_escape(options.command_line) + "</code></p>\n";
  return out + "</section>\n";
}

// ---- headline numbers --------------------------------------------------------------------------

inline std::string summary_section(const load_config& config, const load_results& r) {
  const latency_histogram& h = r.latency;
  std::string out = section_open("summary", "Summary");
  out += "<table class=\"summary\">\n" + table_head({"Measure", "Value", "As the text report prints it"}) +
         "<tbody>\n";
  out += row("Requests per second", {metric("rps", format_fixed(r.requests_per_second(), 2), "rps"),
                                     format_count(truncate_to_u64(r.requests_per_second())) + " req/s"});
  out += row("Responses", {metric("responses", u(r.responses), "responses"), format_count(r.responses)});
  out += row("Requests sent", {metric("requests", u(r.requests)), format_count(r.requests)});
  // A schedule asks for different rates over the run: compare with what it asked on average.
  const load_config plan = with_ramp_scheduled(config);
  const bool scheduled = !plan.rate_schedule.empty();
  const std::string asked = scheduled ? format_fixed(asked_rate(plan, r.elapsed_sec), 2) : format_rate(config.rate);
  if (config.rate > 0)
    out += row("Requests sent per second (asked " + html_escape(asked) + (scheduled ? " on average" : "") + ")",
               {metric("rate/achieved", format_fixed(r.sent_per_second(), 2)),
                format_fixed(r.sent_per_second(), 2) + " req/s"});
  out += row("Bytes read per second",
             {metric("bandwidth_bps", format_fixed(r.bytes_per_second(), 2), "bandwidth"),
              format_bandwidth(r.bytes_per_second())});
  out += row("Bytes read", {metric("bytes_read", u(r.bytes_read)), ""});
  out += row("Errors", {"<span id=\"errors-total\">" + u(r.errors.total()) + "</span>",
                        "connect " + metric("errors/connect", u(r.errors.connect)) + ", read " +
                            metric("errors/read", u(r.errors.read)) + ", timeout " +
                            metric("errors/timeout", u(r.errors.timeout))});
  out += row("Reconnects (-r)", {metric("reconnects", u(r.reconnects)), ""});
  if (config.websocket) {
    out += row("WebSocket upgrades", {metric("ws_upgrades", u(r.ws_upgrades)), ""});
    out += row("WebSocket frames", {metric("ws_frames", u(r.ws_frames)), ""});
  }
  const std::string_view what = config.rate > 0 ? "corrected latency" : "latency";
  auto latency_row = [&](std::string_view name, std::string_view key, std::uint64_t us, std::string_view id) {
    out += row(std::string(name) + " " + std::string(what) + " (µs)",
               {metric("latency_us/" + std::string(key), u(us), id), format_latency(us)});
  };
  latency_row("Average", "avg", average_latency_us(h), "");
  latency_row("p50", "p50", h.quantile_us(0.5), "p50");
  latency_row("p90", "p90", h.quantile_us(0.9), "p90");
  latency_row("p99", "p99", h.quantile_us(0.99), "p99");
  latency_row("p99.9", "p999", h.quantile_us(0.999), "p999");
  latency_row("Maximum", "max", h.max_us(), "max");
  latency_row("Minimum", "min", h.min_us(), "");
  out += row("Standard deviation of the " + std::string(what) + " (µs)",
             {metric("latency_us/stddev", format_fixed(h.stddev_us(), 2)),
              format_latency(truncate_to_u64(h.stddev_us() + 0.5))});
  out += row("Latency samples", {metric("latency_us/samples", u(h.count())), ""});
  out += row("Samples over 5 s", {metric("latency_us/overflow", u(h.overflow_count())), ""});
  out += "</tbody></table>\n";
  if (config.rate > 0)
    out += "<p>Open loop: latency runs from each request's intended send time (coordinated omission "
           "corrected); the service time runs from its actual send.</p>\n";
  const std::uint64_t unexpected = r.unexpected_status(config.expected_status);
  if (unexpected > 0)
    out += "<p class=\"warning\" id=\"unexpected-status\"><strong>Warning:</strong> " + u(unexpected) +
           " responses had a status outside " + u(static_cast<std::uint64_t>(std::max(0, config.expected_status / 100))) +
           "xx.</p>\n";
  if (rate_not_reached(plan, r))
    out += "<p class=\"warning\" id=\"rate-not-reached\"><strong>Warning:</strong> the target rate was not "
           "reached (sent " + format_fixed(r.sent_per_second(), 2) + " of " + html_escape(asked) + " req/s" +
           (scheduled ? " on average" : "") + ").</p>\n";
  return out + "</section>\n";
}

// ---- thresholds (--assert) ----------------------------------------------------------------------

inline std::size_t thresholds_held(const std::vector<threshold_result>& checked) {
  return static_cast<std::size_t>(
      std::count_if(checked.begin(), checked.end(), [](const threshold_result& t) { return t.passed; }));
}

// "2 of 3 thresholds held; ucannon exits with status 3." The status is the run's own
// (run_exit_code), so a run that measured nothing says 4, as the CLI does.
inline std::string threshold_verdict(const load_config& config, const load_results& r,
                                     const std::vector<threshold_result>& checked) {
  const std::size_t held = thresholds_held(checked);
  std::string out = u(held) + " of " + u(checked.size()) + (checked.size() == 1 ? " threshold" : " thresholds") +
                    " held";
  if (held == checked.size()) return out + ".";
  const int status = run_exit_code(r, config.expected_status, checked);
  out += "; ucannon exits with status " + u(static_cast<std::uint64_t>(status));
  if (status == exit_nothing_measured) out += " (nothing was measured)";
  return out + ".";
}

// The unit after the measured value as the JSON holds it: " µs", "%"...
inline std::string_view threshold_json_unit(const threshold& rule) {
  switch (rule.metric) {
    case threshold_metric::percentile:
    case threshold_metric::mean:
    case threshold_metric::max: return " µs";
    case threshold_metric::rps: return " responses/s";
    case threshold_metric::errors:
    case threshold_metric::unexpected: return rule.percent ? "%" : "";
  }
  return "";
}

inline std::string thresholds_section(const load_config& config, const load_results& r,
                                      const std::vector<threshold_result>& checked) {
  const bool all_held = thresholds_held(checked) == checked.size();
  std::string out = section_open("thresholds", "Thresholds");
  out += "<p class=\"" + std::string(all_held ? "note" : "warning") + "\"><strong id=\"threshold-verdict\">" +
         html_escape(threshold_verdict(config, r, checked)) + "</strong></p>\n";
  out += "<table class=\"thresholds\">\n" +
         table_head({"Assertion (--assert)", "Result", "Measured", "As --json writes it"}) + "<tbody>\n";
  for (std::size_t i = 0; i < checked.size(); ++i) {
    const threshold_result& t = checked[i];
    const std::string path = "thresholds/" + u(i) + "/";
    const std::string_view unit = threshold_json_unit(t.rule);
    // The verdict is a word (and a sign), so it does not rest on colour.
    out += "<tr data-threshold=\"" + u(i) + "\" class=\"" + (t.passed ? "pass" : "fail") +
           "\"><th scope=\"row\"><code>" + html_escape(t.rule.text) + "</code></th><td><strong>" +
           (t.passed ? "✓ PASS" : "✗ FAIL") + "</strong></td><td>" + html_escape(format_threshold_value(t)) +
           "</td><td>" + metric(path + "measured", format_fixed(t.measured, 3)) + std::string(unit) + ", passed " +
           metric(path + "passed", t.passed ? "true" : "false") + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  if (config.rate > 0)
    out += "<p>Latency thresholds look at the corrected latency (from each request's intended send).</p>\n";
  return out + "</section>\n";
}

// ---- ramp and steady state -------------------------------------------------------------------------

inline std::string ramp_section(const load_config& config, const load_results& r) {
  const latency_histogram& steady = r.steady_latency;
  const latency_histogram& whole = r.latency;
  const std::string_view what = config.rate > 0 ? "corrected latency" : "latency";
  std::string out = section_open("ramp", "Ramp and steady state");
  const load_config plan = with_ramp_scheduled(config);
  out += "<p>The first " + metric("ramp/seconds", format_fixed(r.ramp_sec, 3)) + " s of the run were its ramp";
  if (config.rate > 0 && !plan.rate_schedule.empty())
    out += " (the rate schedule: " + html_escape(format_rate_schedule(plan)) + ")";
  else if (config.ramp.count() > 0)
    out += " (the connections opened evenly over " + html_escape(format_duration_setting(config.ramp)) + ")";
  out += ". The steady state is the " + html_escape(format_fixed(std::max(0.0, r.elapsed_sec - r.ramp_sec), 3)) +
         " s after it; the other sections count the whole run, ramp included.</p>\n";
  out += "<table class=\"summary\" id=\"ramp-table\">\n" +
         table_head({"Measure", "After the ramp", "Whole run"}) + "<tbody>\n";
  out += row("Responses", {metric("ramp/steady_responses", u(r.steady_responses)), u(r.responses)});
  out += row("Requests per second", {metric("ramp/steady_rps", format_fixed(r.steady_requests_per_second(), 2)),
                                     format_fixed(r.requests_per_second(), 2)});
  auto latency_row = [&](std::string_view name, std::string_view key, std::uint64_t steady_us,
                         std::uint64_t whole_us) {
    out += row(std::string(name) + " " + std::string(what) + " (µs)",
               {metric("ramp/steady_latency_us/" + std::string(key), u(steady_us)), u(whole_us)});
  };
  latency_row("Average", "avg", average_latency_us(steady), average_latency_us(whole));
  latency_row("p50", "p50", steady.quantile_us(0.5), whole.quantile_us(0.5));
  latency_row("p90", "p90", steady.quantile_us(0.9), whole.quantile_us(0.9));
  latency_row("p99", "p99", steady.quantile_us(0.99), whole.quantile_us(0.99));
  latency_row("p99.9", "p999", steady.quantile_us(0.999), whole.quantile_us(0.999));
  latency_row("Maximum", "max", steady.max_us(), whole.max_us());
  return out + "</tbody></table>\n</section>\n";
}

// ---- responses per second ----------------------------------------------------------------------

inline std::string throughput_section(const load_config& config, const load_results& r) {
  const std::vector<std::uint64_t>& per_second = r.responses_per_second;
  std::string out = section_open("throughput", "Responses per second");
  if (per_second.empty())
    return out + "<p>The run measured no whole second, so there is nothing to plot.</p>\n</section>\n";

  const auto [low, high] = std::minmax_element(per_second.begin(), per_second.end());
  const std::size_t n = per_second.size();
  // A rate schedule: the requests it asks in each second, drawn instead of the flat --rate line.
  const load_config plan = with_ramp_scheduled(config);
  std::vector<double> asked;
  if (config.rate > 0 && !plan.rate_schedule.empty()) {
    const rate_curve curve = make_rate_curve(plan);
    for (std::size_t i = 0; i < n; ++i)
      asked.push_back(curve.requests_by(static_cast<double>(i + 1)) - curve.requests_by(static_cast<double>(i)));
  }
  double peak = static_cast<double>(*high);
  if (config.rate > 0) peak = std::max(peak, config.rate);
  for (double a : asked) peak = std::max(peak, a);
  const double top = nice_ceiling(peak);
  // One second per point, at the middle of its second; a single second sits in the middle.
  auto x_of = [&](std::size_t i) { return frame::x((static_cast<double>(i) + 0.5) / static_cast<double>(n)); };
  auto y_of = [&](double v) { return frame::y(v / top); };

  std::string description = "Responses received in each of the " + u(n) + " whole seconds of the run: lowest " +
                            u(*low) + ", highest " + u(*high) + ".";
  if (!asked.empty())
    description += " The dashed steps are the requests the schedule asked for in each second (" +
                   format_rate_schedule(plan) + ").";
  else if (config.rate > 0)
    description += " The dashed line is the target rate, " + format_rate(config.rate) + " per second.";
  if (r.ramp_sec > 0)
    description += " A dashed vertical line marks the end of the ramp, " + format_fixed(r.ramp_sec, 2) +
                   " s into the run; the part after it is the steady state.";
  description += " The table below lists every second.";
  out += svg_open("rps-plot", "Responses per second over the run", description);
  out += y_axis(top, count_label, "responses per second", "second of the run");
  const std::size_t label_every = std::max<std::size_t>(1, (n + 9) / 10);
  for (std::size_t i = 0; i < n; i += label_every) out += text(x_of(i), frame::y0 + 18, "middle", u(i + 1));
  if (!asked.empty()) {
    // A step across each whole second: the count is asked over the second, and the steps stay
    // visible where the measured line runs right through them.
    std::string points, values;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string y = at(y_of(asked[i]));
      points += (i ? " " : "") + at(frame::x(static_cast<double>(i) / static_cast<double>(n))) + "," + y + " " +
                at(frame::x(static_cast<double>(i + 1) / static_cast<double>(n))) + "," + y;
      values += (i ? " " : "") + format_fixed(asked[i], 2);
    }
    out += "<polyline class=\"reference\" data-series=\"asked_rate\" data-values=\"" + values + "\" points=\"" +
           points + "\"/>\n";
    out += text(frame::x1 + 6, y_of(asked.back()) + 4, "start", "asked rate", "series-label");
  } else if (config.rate > 0) {
    const double y = y_of(config.rate);
    out += line(frame::x0, y, frame::x1, y, "reference");
    out += text(frame::x1 + 6, y + 4, "start", "target " + count_label(config.rate) + "/s", "series-label");
  }
  if (r.ramp_sec > 0) {
    // Second i is drawn over [i, i + 1) of the axis, so a time t sits at t / n of its width.
    const double x = frame::x(r.ramp_sec / static_cast<double>(n));
    const bool label_left = x > (frame::x0 + frame::x1) / 2;
    out += "<line class=\"ramp-end\" id=\"ramp-end\" data-seconds=\"" + format_fixed(r.ramp_sec, 3) + "\" x1=\"" +
           at(x) + "\" y1=\"" + at(frame::y0) + "\" x2=\"" + at(x) + "\" y2=\"" + at(frame::y1) + "\"/>\n";
    // Above the plotting area, where no point or line can be.
    out += text(label_left ? x - 5 : x + 5, frame::y1 - 5, label_left ? "end" : "start",
                "end of ramp (" + format_fixed(r.ramp_sec, 2) + " s)", "ramp-label");
  }
  std::string points;
  for (std::size_t i = 0; i < n; ++i)
    points += (i ? " " : "") + at(x_of(i)) + "," + at(y_of(static_cast<double>(per_second[i])));
  out += "<polyline class=\"series s1\" data-series=\"responses_per_second\" data-points=\"" + u(n) +
         "\" points=\"" + points + "\"/>\n";
  for (std::size_t i = 0; i < n; ++i)
    out += "<circle class=\"point s1\" data-second=\"" + u(i + 1) + "\" data-value=\"" + u(per_second[i]) +
           "\" cx=\"" + at(x_of(i)) + "\" cy=\"" + at(y_of(static_cast<double>(per_second[i]))) +
           "\" r=\"3.5\"><title>second " + u(i + 1) + ": " + u(per_second[i]) + " responses</title></circle>\n";
  out += "</svg>\n";

  out += "<details><summary>Responses in each second (" + rows_of(n) + ")</summary>\n<table class=\"series-table\">\n" +
         table_head({"Second", "Responses"}) + "<tbody>\n";
  for (std::size_t i = 0; i < n; ++i)
    out += row(u(i + 1), {metric("responses_per_second/" + u(i), u(per_second[i]))});
  return out + "</tbody></table>\n</details>\n</section>\n";
}

// ---- latency by percentile -----------------------------------------------------------------------

// One percentile of the table under the plot, and where format_json prints it (if it does).
struct percentile_row {
  std::string label;                     // "p99.9", "min", "max"
  double quantile;                       // for quantile_us(); < 0 for min, > 1 for max
  std::string json_key;                  // the key in latency_us / ttfb_us / service_time_us, or ""
};

// Decades of the tail axis: enough to reach the quantile of the last sample (1/(1-q) = n), at
// least two (0% to 99%), at most six (99.9999%).
inline int tail_decades(std::uint64_t samples) {
  const double d = std::ceil(std::log10(static_cast<double>(std::max<std::uint64_t>(samples, 1))));
  return static_cast<int>(std::clamp(d, 2.0, 6.0));
}

// "0", "90", "99", "99.9", "99.99": the percentile whose 1/(1-q) is 10^decade.
inline std::string nines_label(int decade) {
  if (decade <= 0) return "0";
  if (decade == 1) return "90";
  return "99" + (decade > 2 ? "." + std::string(static_cast<std::size_t>(decade - 2), '9') : std::string());
}

inline std::vector<percentile_row> percentile_rows(int decades) {
  std::vector<percentile_row> rows = {{"min", -1, "min"},        {"p50", 0.5, "p50"},   {"p75", 0.75, ""},
                                      {"p90", 0.9, "p90"},        {"p95", 0.95, ""},     {"p99", 0.99, "p99"},
                                      {"p99.9", 0.999, "p999"}};
  for (int d = 4; d <= decades; ++d) {
    const std::string label = nines_label(d);
    rows.push_back({"p" + label, percentile_label_quantile(label), ""});
  }
  rows.push_back({"max", 2, "max"});
  return rows;
}

inline std::uint64_t row_value(const latency_histogram& h, const percentile_row& p) {
  if (p.quantile < 0) return h.min_us();
  if (p.quantile > 1) return h.max_us();
  return h.quantile_us(p.quantile);
}

// One curve of the percentile plot.
struct percentile_series {
  std::string key;     // data-series: "latency", "service_time"
  std::string label;   // the words next to the line and in the legend
  const latency_histogram* histogram;
  std::string cls;     // s1 (solid, circles) or s2 (dashed, squares)
  std::string json_object;  // "latency_us" or "service_time_us"
};

// 20 points per decade of 1/(1-q), from q = 0 to the last decade.
inline constexpr int points_per_decade = 20;

inline std::string marker(const percentile_series& s, double x, double y, const percentile_row& p, std::uint64_t v) {
  const std::string common = " class=\"marker " + s.cls + "\" data-series=\"" + s.key + "\" data-quantile=\"" +
                             format_rate(p.quantile) + "\" data-value=\"" + u(v) + "\"";
  const std::string tip = "<title>" + html_escape(s.label) + " " + p.label + ": " + format_latency(v) + "</title>";
  if (s.cls == "s1") return "<circle" + common + " cx=\"" + at(x) + "\" cy=\"" + at(y) + "\" r=\"4\">" + tip + "</circle>\n";
  return "<rect" + common + " x=\"" + at(x - 4) + "\" y=\"" + at(y - 4) + "\" width=\"8\" height=\"8\">" + tip + "</rect>\n";
}

inline std::string latency_section(const load_config& config, const load_results& r) {
  std::string out = section_open("latency", "Latency by percentile");
  std::vector<percentile_series> series = {
      {"latency", config.rate > 0 ? "corrected latency" : "latency", &r.latency, "s1", "latency_us"}};
  if (config.rate > 0) series.push_back({"service_time", "service time", &r.service_time, "s2", "service_time_us"});
  std::uint64_t samples = 0, highest = 0;
  for (const auto& s : series) {
    samples = std::max(samples, s.histogram->count());
    highest = std::max(highest, s.histogram->quantile_us(1.0));
  }
  if (r.latency.empty()) return out + "<p>No latency was recorded.</p>\n</section>\n";

  const int decades = tail_decades(samples);
  const auto rows = percentile_rows(decades);
  const double top = nice_ceiling(static_cast<double>(highest));
  auto x_of = [&](double q) { return frame::x(std::log10(1.0 / (1.0 - q)) / decades); };
  auto y_of = [&](double us) { return frame::y(us / top); };

  std::string description = "Latency (y, linear) at each percentile (x, log scale of 1/(1-q), so each step to the "
                            "right adds a nine: 0%, 90%, 99%, 99.9%...). ";
  for (const auto& s : series)
    description += s.label + ": p50 " + format_latency(s.histogram->quantile_us(0.5)) + ", p99 " +
                   format_latency(s.histogram->quantile_us(0.99)) + ", max " + format_latency(s.histogram->max_us()) +
                   ". ";
  if (series.size() > 1)
    description += "Corrected latency is the solid line with round markers; service time is the dashed line with "
                   "square markers. ";
  description += "The table below lists the same percentiles.";
  out += svg_open("percentile-plot", "Latency by percentile", description);
  out += y_axis(top, latency_label, "latency", "percentile (log scale of 1/(1-q))");
  for (int d = 0; d <= decades; ++d) {
    const double x = frame::x(static_cast<double>(d) / decades);
    if (d > 0) out += line(x, frame::y0, x, frame::y1, "grid");
    out += text(x, frame::y0 + 18, "middle", nines_label(d) + "%");
  }
  for (std::size_t k = 0; k < series.size(); ++k) {
    const percentile_series& s = series[k];
    const int count = decades * points_per_decade + 1;
    std::string points;
    double last_y = frame::y0;
    for (int i = 0; i < count; ++i) {
      const double x_fraction = static_cast<double>(i) / points_per_decade;
      const double q = 1.0 - std::pow(10.0, -x_fraction);
      last_y = y_of(static_cast<double>(s.histogram->quantile_us(q)));
      if (i > 0) points += ' ';
      points += at(frame::x(x_fraction / decades)) + "," + at(last_y);
    }
    out += "<polyline class=\"series " + s.cls + "\" data-series=\"" + s.key + "\" data-points=\"" + u(count) +
           "\" points=\"" + points + "\"/>\n";
    // Direct label at the line's end, nudged apart when both curves end at the same height.
    out += text(frame::x1 + 8, last_y + 4 + (k == 1 ? 14.0 : 0.0), "start", s.label, "series-label");
    for (const percentile_row& p : rows) {
      if (p.quantile < 0 || p.quantile > 1) continue;
      const std::uint64_t v = s.histogram->quantile_us(p.quantile);
      out += marker(s, x_of(p.quantile), y_of(static_cast<double>(v)), p, v);
    }
  }
  out += "</svg>\n";
  if (series.size() > 1)
    out += "<ul class=\"legend\"><li><svg class=\"swatch\" aria-hidden=\"true\" viewBox=\"0 0 40 12\"><line "
           "class=\"series s1\" x1=\"0\" y1=\"6\" x2=\"40\" y2=\"6\"/><circle class=\"marker s1\" cx=\"20\" cy=\"6\" "
           "r=\"4\"/></svg> corrected latency (from each request's intended send)</li><li><svg class=\"swatch\" "
           "aria-hidden=\"true\" viewBox=\"0 0 40 12\"><line class=\"series s2\" x1=\"0\" y1=\"6\" x2=\"40\" "
           "y2=\"6\"/><rect class=\"marker s2\" x=\"16\" y=\"2\" width=\"8\" height=\"8\"/></svg> service time (from "
           "the actual send)</li></ul>\n";

  // The table: latency, service time (open loop) and time to first byte at the same percentiles.
  out += "<table class=\"percentiles\">\n<thead><tr><th scope=\"col\">Percentile</th>";
  for (const auto& s : series) out += "<th scope=\"col\">" + html_escape(s.label) + " (µs)</th>";
  out += "<th scope=\"col\">time to first byte (µs)</th></tr></thead>\n<tbody>\n";
  for (const percentile_row& p : rows) {
    out += "<tr><th scope=\"row\">" + p.label + "</th>";
    auto cell = [&](const latency_histogram& h, std::string_view object, bool keyed) {
      const std::string v = u(row_value(h, p));
      out += "<td>" + (keyed ? metric(std::string(object) + "/" + p.json_key, v) : html_escape(v)) + "</td>";
    };
    for (const auto& s : series)
      cell(*s.histogram, s.json_object, !p.json_key.empty() && !(s.key == "service_time" && p.json_key == "min"));
    cell(r.ttfb, "ttfb_us", !p.json_key.empty());
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";

  if (const auto wanted = requested_percentiles(config); !wanted.empty()) {
    out += "<h3 id=\"requested-percentiles\">Requested percentiles (--percentiles)</h3>\n<table class=\"percentiles\">\n" +
           table_head({"Percentile", "latency (µs)", "time to first byte (µs)"}) + "<tbody>\n";
    for (const auto& p : wanted)
      out += row("p" + html_escape(p.label), {metric("percentiles_us/" + p.label, u(r.latency.quantile_us(p.quantile))),
                                              metric("ttfb_percentiles_us/" + p.label, u(r.ttfb.quantile_us(p.quantile)))});
    out += "</tbody></table>\n";
  }
  return out + "</section>\n";
}

// ---- latency histogram ---------------------------------------------------------------------------

inline std::string histogram_section(const load_config& config, const load_results& r) {
  const latency_histogram& h = r.latency;
  std::string out = section_open("histogram", "Latency histogram");
  if (h.empty()) return out + "<p>No latency was recorded.</p>\n</section>\n";
  const auto bars = h.display_buckets(histogram_report_bars);
  std::uint64_t drawn = 0, tallest = 0;
  for (const auto& b : bars) drawn += b.count, tallest = std::max(tallest, b.count);
  const std::uint64_t beyond = h.count() - drawn;
  const double top = nice_ceiling(static_cast<double>(tallest));
  const std::uint64_t lo = bars.front().lower_us, hi = bars.back().upper_us;
  const double slot = (frame::x1 - frame::x0) / static_cast<double>(bars.size());

  const std::string what = config.rate > 0 ? "corrected latency" : "latency";
  std::string description = "How many responses took each " + what + ", in " + u(bars.size()) +
                            " equal bars from " + format_latency(lo) + " to " + format_latency(hi) +
                            " (p0 to p99.9). ";
  if (beyond > 0) description += u(beyond) + " slower samples are beyond the last bar. ";
  description += "The table below lists every bar.";
  out += svg_open("histogram-plot", "Latency histogram", description);
  out += y_axis(top, count_label, "responses", what + " (each bar " +
                                                    format_latency(bars.front().upper_us - bars.front().lower_us) +
                                                    " wide)");
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double height = (frame::y0 - frame::y1) * static_cast<double>(b.count) / top;
    out += "<rect class=\"bar\" data-lower-us=\"" + u(b.lower_us) + "\" data-upper-us=\"" + u(b.upper_us) +
           "\" data-count=\"" + u(b.count) + "\" x=\"" + at(frame::x0 + slot * static_cast<double>(i) + 0.5) +
           "\" y=\"" + at(frame::y0 - height) + "\" width=\"" + at(std::max(slot - 1.0, 0.5)) + "\" height=\"" +
           at(height) + "\"><title>" + format_latency(b.lower_us) + " to " + format_latency(b.upper_us) + ": " +
           u(b.count) + "</title></rect>\n";
  }
  for (std::size_t i = 0; i <= bars.size(); i += std::max<std::size_t>(1, bars.size() / 5)) {
    const std::uint64_t edge = i < bars.size() ? bars[i].lower_us : hi;
    out += text(frame::x0 + slot * static_cast<double>(i), frame::y0 + 18, "middle", format_latency(edge));
  }
  out += "</svg>\n";
  if (beyond > 0)
    out += "<p id=\"histogram-beyond\">" + u(beyond) + " samples above " + format_latency(hi) +
           " are not drawn; the percentile plot shows that tail.</p>\n";
  out += "<details><summary>Every bar (" + rows_of(bars.size()) + ")</summary>\n<table class=\"series-table\">\n" +
         table_head({"From (µs)", "Below (µs)", "Responses"}) + "<tbody>\n";
  for (const auto& b : bars) out += row(u(b.lower_us), {u(b.upper_us), u(b.count)});
  return out + "</tbody></table>\n</details>\n</section>\n";
}

// ---- statuses, errors, templates -----------------------------------------------------------------

inline std::string status_section(const load_config& config, const load_results& r) {
  std::string out = section_open("status", "Status codes");
  out += "<table class=\"counts\">\n" + table_head({"Class", "Responses"}) + "<tbody>\n";
  out += row("2xx", {metric("status/2xx", u(r.status.s2xx))});
  out += row("3xx", {metric("status/3xx", u(r.status.s3xx))});
  out += row("4xx", {metric("status/4xx", u(r.status.s4xx))});
  out += row("5xx", {metric("status/5xx", u(r.status.s5xx))});
  out += row("other", {metric("status/other", u(r.status.other))});
  out += "</tbody></table>\n<p>Expected: " + u(static_cast<std::uint64_t>(std::max(0, config.expected_status))) +
         " (its class).</p>\n";
  const auto codes = seen_status_codes(r);
  if (codes.empty()) return out + "<p>No status codes were counted.</p>\n</section>\n";
  out += "<h3 id=\"status-codes-h\">By code</h3>\n<table class=\"counts\" id=\"status-codes\">\n" +
         table_head({"Code", "Responses"}) + "<tbody>\n";
  for (const status_code_count& c : codes) out += row(u(c.code), {metric("status_codes/" + u(c.code), u(c.count))});
  return out + "</tbody></table>\n</section>\n";
}

inline std::string errors_section(const load_results& r) {
  std::string out = section_open("errors", "Errors");
  out += "<table class=\"counts\">\n" + table_head({"Kind", "Errors"}) + "<tbody>\n";
  out += row("connect", {metric("errors/connect", u(r.errors.connect))});
  out += row("read", {metric("errors/read", u(r.errors.read))});
  out += row("timeout", {metric("errors/timeout", u(r.errors.timeout))});
  out += "</tbody></table>\n<h3 id=\"error-classes-h\">By class</h3>\n<table class=\"counts\" id=\"error-classes\">\n" +
         table_head({"Class", "Errors"}) + "<tbody>\n";
  for (const error_class_count& e : error_class_counts(r.errors.classes))
    out += row(std::string(e.label), {metric("error_classes/" + std::string(e.key), u(e.count))});
  out += "</tbody></table>\n<h3 id=\"accounting-h\">Every request</h3>\n<p>Warm-up included; sent = answered + "
         "abandoned + in flight.</p>\n<table class=\"counts\" id=\"accounting\">\n" +
         table_head({"Requests", "Count"}) + "<tbody>\n";
  const load_accounting& books = r.accounting;
  out += row("sent", {metric("accounting/requests_sent", u(books.requests_sent))});
  out += row("answered", {metric("accounting/answered", u(books.answered))});
  out += row("abandoned", {metric("accounting/abandoned", u(books.abandoned))});
  out += row("in flight at the end", {metric("accounting/in_flight", u(books.in_flight))});
  return out + "</tbody></table>\n</section>\n";
}

inline std::string templates_section(const load_config& config, const load_results& r) {
  if (r.per_template.size() <= 1) return {};
  std::string out = section_open("templates", "Raw templates");
  out += "<table class=\"counts\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">File</th><th "
         "scope=\"col\">Responses</th><th scope=\"col\">2xx</th>";
  if (config.per_template_latency)
    out += "<th scope=\"col\">avg (µs)</th><th scope=\"col\">p50 (µs)</th><th scope=\"col\">p99 (µs)</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < r.per_template.size(); ++i) {
    const template_results& t = r.per_template[i];
    const std::string base = "per_template/" + u(i) + "/";
    out += "<tr><th scope=\"row\">" + u(i) + "</th><td><code>" + html_escape(t.path) + "</code></td><td>" +
           metric(base + "responses", u(t.responses)) + "</td><td>" + metric(base + "2xx", u(t.status.s2xx)) + "</td>";
    if (config.per_template_latency)
      out += "<td>" + metric(base + "latency_us/avg", u(average_latency_us(t.latency))) + "</td><td>" +
             metric(base + "latency_us/p50", u(t.latency.quantile_us(0.5))) + "</td><td>" +
             metric(base + "latency_us/p99", u(t.latency.quantile_us(0.99))) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n</section>\n";
}

// ---- history ---------------------------------------------------------------------------------------

// "2024-05-01 12:00:00 UTC"; the raw number when the time cannot be broken down.
inline std::string utc_time(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  char buffer[64];
  if (::gmtime_r(&t, &parts) == nullptr || std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &parts) == 0)
    return std::to_string(unix_seconds);
  return buffer;
}

// "+3.2%" / "-0.4%" / "" (no earlier run, or it had no throughput).
inline std::string change(double now, double before) {
  if (!(before > 0) || !std::isfinite(now)) return "";
  const double percent = 100.0 * (now - before) / before;
  const std::string text = format_fixed(percent, 1);
  return (percent >= 0 && text.front() != '-' ? "+" : "") + text + "%";
}

inline std::string history_section(const std::vector<run_record>& history) {
  if (history.empty()) return {};
  const std::size_t shown = std::min(history.size(), history_report_runs);
  const std::vector<run_record> runs(history.end() - static_cast<std::ptrdiff_t>(shown), history.end());
  std::string out = section_open("history", "Recent runs");
  out += "<p>The last " + u(shown) + " of " + u(history.size()) +
         " runs in the run history, oldest first; the last row is this run.</p>\n";
  if (runs.size() >= 2) {
    double peak = 0;
    for (const run_record& run : runs) peak = std::max(peak, std::isfinite(run.rps) ? run.rps : 0.0);
    const double top = nice_ceiling(peak);
    const double slot = (frame::x1 - frame::x0) / static_cast<double>(runs.size());
    std::string description = "Requests per second of the last " + u(runs.size()) + " runs, oldest on the left; ";
    description += "the hatched bar marked \"this run\" is this run: " +
                   format_count(truncate_to_u64(runs.back().rps)) + " req/s";
    const std::string delta = change(runs.back().rps, runs[runs.size() - 2].rps);
    description += delta.empty() ? "." : " (" + delta + " against the run before).";
    out += svg_open("history-plot", "Requests per second of recent runs", description);
    out += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
           "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" class=\"hatch-back\"/><line x1=\"0\" "
           "y1=\"0\" x2=\"0\" y2=\"6\" class=\"hatch-line\"/></pattern></defs>\n";
    out += y_axis(top, count_label, "requests per second", "run (oldest to newest)");
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const double value = std::isfinite(runs[i].rps) && runs[i].rps > 0 ? runs[i].rps : 0.0;
      const double height = (frame::y0 - frame::y1) * value / top;
      const double x = frame::x0 + slot * static_cast<double>(i);
      const bool current = i + 1 == runs.size();
      out += "<rect class=\"run-bar" + std::string(current ? " current" : "") + "\" data-run=\"" +
             u(history.size() - shown + i) + "\" x=\"" + at(x + slot * 0.15) + "\" y=\"" + at(frame::y0 - height) +
             "\" width=\"" + at(slot * 0.7) + "\" height=\"" + at(height) + "\"><title>" +
             html_escape(utc_time(runs[i].timestamp)) + ": " + format_count(truncate_to_u64(value)) +
             " req/s</title></rect>\n";
      out += text(x + slot / 2, frame::y0 - height - 6, "middle", count_label(value), "value");
      out += text(x + slot / 2, frame::y0 + 18, "middle", current ? "this run" : u(i + 1));
    }
    out += "</svg>\n";
  }
  out += "<table class=\"history\">\n" +
         table_head({"Run", "Ended", "Target", "-c / -t / -p", "-d", "req/s", "change", "avg latency", "p99",
                     "errors"}) +
         "<tbody>\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const run_record& run = runs[i];
    const bool current = i + 1 == runs.size();
    out += "<tr data-run=\"" + u(history.size() - shown + i) + "\"" + (current ? " class=\"current\"" : "") +
           "><th scope=\"row\">" + (current ? std::string("this run") : u(i + 1)) + "</th><td>" +
           html_escape(utc_time(run.timestamp)) + "</td><td><code>" + html_escape(run.target) + "</code></td><td>" +
           u(run.connections) + " / " + u(run.threads) + " / " + u(run.pipeline) + "</td><td>" +
           format_duration_setting(std::chrono::milliseconds(run.duration_ms)) + "</td><td>" +
           format_fixed(run.rps, 2) + "</td><td>" + (i > 0 ? change(run.rps, runs[i - 1].rps) : std::string()) +
           "</td><td>" + format_latency(run.latency_avg_us) + "</td><td>" + format_latency(run.latency_p99_us) +
           "</td><td>" + u(run.connect_errors + run.read_errors + run.timeout_errors) + "</td></tr>\n";
  }
  return out + "</tbody></table>\n</section>\n";
}

// ---- the page --------------------------------------------------------------------------------------

// Colours: text #1a1a1a, series #1d4f91 and #8a3a00, grid #d0d0d0; each line colour has a contrast
// above 6:1 on white, and the series also differ by dash and marker.
inline constexpr std::string_view style = R"css(
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1a1a1a;
       background: #fff; margin: 0 auto; padding: 1.5rem; max-width: 1100px; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; border-bottom: 2px solid #1d4f91; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #bbb; padding: .25rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #eef2f7; }
td { font-variant-numeric: tabular-nums; }
#ramp-table td,
.summary td:nth-child(2), .counts td, .percentiles td, .series-table td, .history td:nth-child(6) { text-align: right; }
.thresholds tr.fail td:nth-child(2) { color: #8a1c00; }
.thresholds tr.pass td:nth-child(2) { color: #1d5f2a; }
.warning { border-left: 4px solid #8a3a00; padding: .3rem .7rem; background: #fff4ec; }
.note { border-left: 4px solid #1d4f91; padding: .3rem .7rem; background: #eef2f7; }
svg.plot { display: block; width: 100%; max-width: 760px; height: auto; margin: .5rem 0; }
svg text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: #1a1a1a; }
svg .axis-title { font-size: 13px; }
svg .series-label { font-size: 12px; font-weight: 600; }
svg .axis { stroke: #1a1a1a; stroke-width: 1; }
svg .grid { stroke: #d0d0d0; stroke-width: 1; }
svg .reference { fill: none; stroke: #555; stroke-width: 1.5; stroke-dasharray: 3 4; }
svg .ramp-end { stroke: #1a1a1a; stroke-width: 1.5; stroke-dasharray: 7 4; }
svg .ramp-label { font-size: 12px; font-style: italic; }
svg .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; }
svg .s1 { stroke: #1d4f91; }
svg .s2 { stroke: #8a3a00; stroke-dasharray: 8 5; }
svg .point.s1, svg .marker.s1 { fill: #1d4f91; stroke: #fff; stroke-width: 1; }
svg .marker.s2 { fill: #fff; stroke: #8a3a00; stroke-width: 2; stroke-dasharray: none; }
svg .bar { fill: #1d4f91; }
svg .run-bar { fill: #7d99bf; stroke: #1d4f91; }
svg .run-bar.current { fill: url(#hatch); stroke: #1a1a1a; stroke-width: 2; }
svg .hatch-back { fill: #fff; }
svg .hatch-line { stroke: #1d4f91; stroke-width: 3; }
.legend { list-style: none; padding: 0; display: flex; gap: 1.5rem; flex-wrap: wrap; }
.legend svg.swatch { width: 40px; height: 12px; vertical-align: middle; }
.history thead th, .history td:not(:nth-child(3)) { white-space: nowrap; }
tr.current th, tr.current td { font-weight: 600; background: #f3f6fa; }
details { margin: .4rem 0 1rem; }
summary { cursor: pointer; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section { break-inside: avoid-page; }
  details > *:not(summary) { display: none; }
}
)css";

}  // namespace detail::html_report

/// The --report page for one run, or for a merge of runs (options.merged_runs > 0): a complete,
/// self-contained HTML document (inline CSS and SVG, no script, no external resource). `history`
/// is the run history as append_history() returns it, oldest first, this run last; pass {} for
/// none (a merge). The header comment gives the page's contract (data-metric paths, ids).
inline std::string format_html_report(const load_config& config, const load_results& results,
                                      const std::vector<run_record>& history, const html_report_options& options = {}) {
  namespace page = detail::html_report;
  const std::string target = html_escape(results.target.empty() ? config.url : results.target);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"ucannon " + std::string(version_string) + "\">\n";
  out += "<title>ucannon report: " + target + "</title>\n<style>" + std::string(page::style) + "</style>\n</head>\n";
  out += "<body>\n<header>\n<h1>ucannon report</h1>\n<p class=\"subtitle\">" + target + " — " +
         html_escape(format_count(truncate_to_u64(results.requests_per_second()))) + " req/s, p99 " +
         html_escape(format_latency(results.latency.quantile_us(0.99))) + "</p>\n";
  if (options.merged_runs > 0)
    out += "<p class=\"note\" id=\"merged-note\" data-merged-runs=\"" + page::u(options.merged_runs) +
           "\">Merged from " + page::u(options.merged_runs) + " run" + (options.merged_runs == 1 ? "" : "s") +
           " (ucannon merge): counts are sums and the percentiles come from the merged histograms.</p>\n";
  const bool has_thresholds = options.thresholds != nullptr && !options.thresholds->empty();
  if (has_thresholds)
    out += "<p class=\"" + std::string(all_passed(*options.thresholds) ? "note" : "warning") +
           "\">Thresholds (--assert): <a href=\"#thresholds\" id=\"threshold-alert\">" +
           html_escape(page::threshold_verdict(config, results, *options.thresholds)) + "</a></p>\n";
  out += "</header>\n<main>\n";
  out += page::settings_section(config, results, options);
  out += page::summary_section(config, results);
  if (has_thresholds) out += page::thresholds_section(config, results, *options.thresholds);
  if (results.ramp_sec > 0) out += page::ramp_section(config, results);
  out += page::throughput_section(config, results);
  out += page::latency_section(config, results);
  out += page::histogram_section(config, results);
  if (!config.websocket) out += page::status_section(config, results);
  out += page::errors_section(results);
  out += page::templates_section(config, results);
  out += page::history_section(history);
  out += "</main>\n<footer><p>Written by ucannon " + std::string(version_string) +
         ". Every number on this page is text; the plots repeat the tables.</p></footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace uring_cannon
