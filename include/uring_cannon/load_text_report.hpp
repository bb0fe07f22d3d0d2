#pragma once
// ucannon's default text report, byte-compatible with gcannon 0.5.3's: a header block printed
// before the run (format_text_header) and the results after it (format_text_results).
//
// Scripts parse this text (Http Arena's gcannon wrapper does), so its shape is a contract:
//  * the number after "requests in " (or "frames sent in ") is the duration;
//  * the integers after "2xx=", "3xx=", "4xx=", "5xx="; the number before "responses" (or
//    "frames received"); "WS frames:"; "Reconnects: N"; the first token after "Bandwidth:";
//  * the 2nd and 5th whitespace-separated fields of the FIRST line containing "Latency" are the
//    average and p99, so nothing ucannon prints before the latency table contains that word;
//  * the comma list after "Per-template-ok: " (2xx responses per raw template, in --raw order).
// tests/approval/text_*.txt pin the exact bytes.
//
// Numbers print as gcannon prints them: latencies `NNNus`, `N.NNms`, `N.NNs`; counts `N`,
// `N.NNK`, `N.NNM`; bandwidth `NB/s`, `N.NNKB/s`, `N.NNMB/s`, `N.NNGB/s` (powers of 1024). The
// formatters are public and locale-independent (a program that calls setlocale() still prints
// "1.50ms", never "1,50ms"); load_json_report.hpp and load_tui.hpp share them.
//
// ucannon's additions appear only when asked for, so a plain run's text is gcannon's byte for
// byte: text_report_options::latency_details (--latency) adds a TTFB row under the latency row and
// a `Latency min/max/stddev:` line under the table; load_config::percentiles (--percentiles) adds
// a table of the requested percentiles, latency and TTFB, after gcannon's lines (before the
// unexpected-status warning, which stays last). Neither puts "Latency" before the latency row.
//
// The engine's finer facts print only when they say something, so a plain, clean, all-200 run is
// still gcannon's text:
//  * `  Status code counts: 200=N, 404=M` (codes ascending) under gcannon's `Status codes:` line,
//    when some response's status code was not 200 (status_code_counts_worth_showing()); HTTP only;
//  * `  Error classes: refused N, reset N, ...` (the non-zero classes of error_classes, in its
//    order) under gcannon's `Errors:` line;
//  * open loop (load_config::rate > 0): `  Rate:      N req/s (open loop)` at the end of the header
//    block; `  Service time: avg .., p50 .., p90 .., p99 .., p99.9 .., max ..` under the latency
//    table (whose row then holds the coordinated-omission-corrected latency, from each request's
//    intended send time); `  Rate: asked X req/s, sent Y req/s` under `Throughput:`; and, when
//    fewer than 98% of the asked requests went out, `  WARNING: the target rate was not reached
//    (sent Y of X req/s)` before the unexpected-status warning.
// None of them contains "Latency", "requests in", "responses", "2xx=" or the other words a
// consumer looks for.

#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/url.hpp>
#include <uring_cannon/rate_curve.hpp>
#include <uring_cannon/version.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace uring_cannon {

// ---- number formatters ---------------------------------------------------------------------------

/// `value` with exactly `decimals` digits after the point, rounded correctly ("%.2f" without the
/// locale). Non-finite values print as 0, and a value that rounds to zero never prints as "-0.00".
inline std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) value = 0.0;
  char buffer[400];  // the largest double in fixed notation, plus decimals
  const int precision = std::clamp(decimals, 0, 17);
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, precision);
  if (ec != std::errc()) return "0";
  std::string text(buffer, end);
  if (text.front() == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

/// A latency as gcannon prints it: below 1 ms `NNNus`, below 1 s `N.NNms`, else `N.NNs`.
inline std::string format_latency(std::uint64_t us) {
  if (us < 1000) return std::to_string(us) + "us";
  if (us < 1'000'000) return format_fixed(static_cast<double>(us) / 1e3, 2) + "ms";
  return format_fixed(static_cast<double>(us) / 1e6, 2) + "s";
}

/// A count as gcannon prints it: below 1000 `N`, below a million `N.NNK`, else `N.NNM`.
inline std::string format_count(std::uint64_t n) {
  if (n >= 1'000'000) return format_fixed(static_cast<double>(n) / 1e6, 2) + "M";
  if (n >= 1000) return format_fixed(static_cast<double>(n) / 1e3, 2) + "K";
  return std::to_string(n);
}

/// Bytes per second as gcannon prints them, in powers of 1024: `NB/s`, `N.NNKB/s`, `N.NNMB/s`,
/// `N.NNGB/s` (nothing larger: 2 TB/s prints as 2048.00GB/s).
inline std::string format_bandwidth(double bytes_per_second) {
  if (!(bytes_per_second >= 0.0)) bytes_per_second = 0.0;
  constexpr double kib = 1024.0, mib = kib * 1024.0, gib = mib * 1024.0;
  if (bytes_per_second >= gib) return format_fixed(bytes_per_second / gib, 2) + "GB/s";
  if (bytes_per_second >= mib) return format_fixed(bytes_per_second / mib, 2) + "MB/s";
  if (bytes_per_second >= kib) return format_fixed(bytes_per_second / kib, 2) + "KB/s";
  return format_fixed(bytes_per_second, 0) + "B/s";
}

/// A configured duration (-d): whole seconds as `Ns` (gcannon's only form, so `2m` prints `120s`),
/// anything else as `Nms` (ucannon accepts `500ms`).
inline std::string format_duration_setting(std::chrono::milliseconds d) {
  const auto ms = d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

/// `value` truncated to an integer as gcannon's (uint64_t) casts do, but defined for every double:
/// negative and NaN give 0, values beyond the range give the largest uint64.
inline std::uint64_t truncate_to_u64(double value) noexcept {
  if (!(value > 0.0)) return 0;
  if (value >= 18446744073709551615.0) return UINT64_MAX;
  return static_cast<std::uint64_t>(value);
}

/// The average latency gcannon reports: the integer part of sum / samples (0 without samples).
inline std::uint64_t average_latency_us(const latency_histogram& h) noexcept {
  return h.count() == 0 ? 0 : h.sum_us() / h.count();
}

/// `min / max / stddev` of `h` as latencies ("38us / 21.90ms / 1.21ms"): the exact smallest and
/// largest samples, and the standard deviation rounded to whole microseconds. "0us / 0us / 0us"
/// when empty.
inline std::string format_latency_spread(const latency_histogram& h) {
  return format_latency(h.min_us()) + " / " + format_latency(h.max_us()) + " / " +
         format_latency(truncate_to_u64(h.stddev_us() + 0.5));
}

// ---- requested percentiles (--percentiles) -----------------------------------------------------

/// `p` as the shortest decimal that reads back as the same double, never with an exponent
/// ("99.9", "50", "0.001"): the key --json writes and the label the tables show. For a percentile
/// typed with at most 15 significant digits this is the text as typed, less superfluous zeros
/// ("99.90" and "099.9" both give "99.9"). "" for a value that is not finite.
inline std::string percentile_label(double p) {
  if (!std::isfinite(p)) return {};
  char buffer[400];  // the longest fixed form of a double up to 100, with room to spare
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, p, std::chars_format::fixed);
  if (ec != std::errc()) return {};
  return std::string(buffer, end);
}

/// The quantile (p / 100) that a percentile label stands for, read from its decimal text with the
/// point moved two places left: "99.9" gives exactly the double 0.999, the literal gcannon's p99.9
/// column uses, so a requested percentile that coincides with a fixed column reports the same
/// number (dividing the double 99.9 by 100 can land one ulp off and pick another rank). NaN for
/// text that is not a plain decimal.
inline double percentile_label_quantile(std::string_view label) {
  const std::size_t dot = std::min(label.find('.'), label.size());
  const std::string_view whole = label.substr(0, dot);
  const std::string_view fraction = dot < label.size() ? label.substr(dot + 1) : std::string_view{};
  if (whole.empty()) return std::nan("");
  std::string text;
  if (whole.size() <= 2) {
    text = "0.";
    text.append(2 - whole.size(), '0');
    text += whole;
  } else {
    text = whole.substr(0, whole.size() - 2);
    text += '.';
    text += whole.substr(whole.size() - 2);
  }
  text += fraction;
  double q = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), q, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nan("");
  return q;
}

/// One percentile the run was asked to report.
struct requested_percentile {
  std::string label;  ///< percentile_label(): the JSON key, and "p" + label in the tables
  double quantile;    ///< for latency_histogram::quantile_us()
};

/// load_config::percentiles as the reports show them: in the order given, each finite value in
/// (0, 100] once; later duplicates and anything out of range are left out (parse_cli rejects
/// those already; a hand-filled config may hold anything).
inline std::vector<requested_percentile> requested_percentiles(const load_config& config) {
  std::vector<requested_percentile> out;
  for (const double p : config.percentiles) {
    if (!(p > 0.0 && p <= 100.0)) continue;
    std::string label = percentile_label(p);
    const double q = percentile_label_quantile(label);
    if (label.empty() || std::isnan(q)) continue;
    bool seen = false;
    for (const auto& r : out) seen = seen || r.label == label;
    if (!seen) out.push_back({std::move(label), q});
  }
  return out;
}

// ---- the finer facts: status codes, error classes, the open-loop rate -------------------------

/// One counter of error_classes: its key in --json, its label in the text report, its count.
struct error_class_count {
  std::string_view key;    ///< "connect_refused", ...
  std::string_view label;  ///< "refused", ...
  std::uint64_t count;
};

/// Every counter of `c`, in error_classes' order (connect refused, connect timeout, connect other,
/// reset, parse error, unexpected close, read other, read timeout), zeros included.
inline std::array<error_class_count, 8> error_class_counts(const error_classes& c) noexcept {
  return {{{"connect_refused", "refused", c.connect_refused},
           {"connect_timeout", "connect timeout", c.connect_timeout},
           {"connect_other", "connect other", c.connect_other},
           {"reset", "reset", c.reset},
           {"parse_error", "parse error", c.parse_error},
           {"unexpected_close", "unexpected close", c.unexpected_close},
           {"read_other", "read other", c.read_other},
           {"read_timeout", "read timeout", c.read_timeout}}};
}

/// Responses with one status code.
struct status_code_count {
  unsigned code;
  std::uint64_t count;
};

/// The status codes of load_results::status_codes that answered at least once, ascending.
inline std::vector<status_code_count> seen_status_codes(const load_results& r) {
  std::vector<status_code_count> seen;
  for (std::size_t code = 0; code < r.status_codes.size(); ++code)
    if (r.status_codes[code]) seen.push_back({static_cast<unsigned>(code), r.status_codes[code]});
  return seen;
}

/// The text report's rule for `Status code counts:` (and the TUI's for its table): some response
/// had a status code other than 200. A plain all-200 run stays gcannon's text; a run that saw a
/// 404, a 204 or a mix shows every code it saw, 200 included. Never in WebSocket mode.
inline bool status_code_counts_worth_showing(const load_config& config, const load_results& r) noexcept {
  if (config.websocket) return false;
  for (std::size_t code = 0; code < r.status_codes.size(); ++code)
    if (code != 200 && r.status_codes[code]) return true;
  return false;
}

/// `200=734000, 404=780`: the codes seen, ascending.
inline std::string format_status_code_counts(const load_results& r) {
  std::string out;
  for (const status_code_count& s : seen_status_codes(r)) {
    if (!out.empty()) out += ", ";
    out += std::to_string(s.code) + "=" + std::to_string(s.count);
  }
  return out;
}

/// `refused 2, reset 5`: the non-zero error classes, in error_classes' order ("" when none).
inline std::string format_error_classes(const error_classes& c) {
  std::string out;
  for (const error_class_count& e : error_class_counts(c)) {
    if (e.count == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(e.label) + " " + std::to_string(e.count);
  }
  return out;
}

/// A request rate as the shortest decimal that reads back as the same double, never with an
/// exponent ("50000", "12.5"): the --rate as typed, less superfluous zeros. "0" when not finite.
inline std::string format_rate(double per_second) {
  if (!std::isfinite(per_second)) return "0";
  char buffer[400];  // the longest fixed form of a double
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, per_second, std::chars_format::fixed);
  if (ec != std::errc()) return "0";
  return std::string(buffer, end);
}

/// The open-loop rate a run asked for on average over `elapsed_sec`: load_config::rate, or what
/// its ramp or schedule comes to over that time.
inline double asked_rate(const load_config& config, double elapsed_sec) {
  if (config.rate_schedule.empty() || elapsed_sec <= 0) return config.rate;
  return make_rate_curve(config).requests_by(elapsed_sec) / elapsed_sec;
}

/// An open-loop rate schedule as the header shows it: "0 -> 20000 req/s over 30s, then 20000 req/s".
inline std::string format_rate_schedule(const load_config& config) {
  std::string out;
  for (const auto& step : config.rate_schedule) {
    out += format_rate(step.from);
    if (step.to != step.from) out += " -> " + format_rate(step.to);
    out += " req/s for " + format_duration_setting(step.length) + ", ";
  }
  return out + "then " + format_rate(config.rate) + " req/s";
}

/// Below this share of load_config::rate, the run did not reach its target rate.
inline constexpr double rate_reached_share = 0.98;

/// Open loop only: fewer than 98% of the asked requests per second were sent (the target is
/// overloaded, or the generator is: too few connections for the rate, or too few threads).
inline bool rate_not_reached(const load_config& config, const load_results& r) noexcept {
  return config.rate > 0 && r.sent_per_second() < asked_rate(config, r.elapsed_sec) * rate_reached_share;
}

/// The open-loop warning (with its leading blank line) when rate_not_reached(); "" otherwise.
inline std::string format_rate_warning(const load_config& config, const load_results& r) {
  if (!rate_not_reached(config, r)) return {};
  return "\n  WARNING: the target rate was not reached (sent " + format_fixed(r.sent_per_second(), 2) + " of " +
         (config.rate_schedule.empty() ? format_rate(config.rate) : format_fixed(asked_rate(config, r.elapsed_sec), 2)) +
         " req/s)\n";
}

// ---- the report ------------------------------------------------------------------------------

/// ucannon's additions to the text report. Off by default: the text is then gcannon's.
struct text_report_options {
  /// --latency: a TTFB row under the latency row, and latency min / max / standard deviation on
  /// the line after the table.
  bool latency_details = false;
};

namespace detail::report {

inline std::string pad_left(std::string_view text, std::size_t width) {
  std::string out;
  if (text.size() < width) out.assign(width - text.size(), ' ');
  out += text;
  return out;
}

inline std::string pad_right(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

// A row of gcannon's table: `label` (already padded to 14 columns), then avg, p50, p90, p99 and
// p99.9, each right-aligned in 6 columns three spaces apart.
inline std::string latency_table_row(std::string_view label, const latency_histogram& h) {
  std::string row(label);
  row += pad_left(format_latency(average_latency_us(h)), 6);
  for (double q : {0.5, 0.9, 0.99, 0.999}) row += "   " + pad_left(format_latency(h.quantile_us(q)), 6);
  return row + "\n";
}

}  // namespace detail::report

/// The banner's mode tags: " [WS, TUI, CQE, TPL]" with only the modes that are on, or "".
inline std::string text_mode_tags(const load_config& config, bool tui) {
  std::string tags;
  auto add = [&](bool on, const char* tag) {
    if (!on) return;
    tags += tags.empty() ? " [" : ", ";
    tags += tag;
  };
  add(config.websocket, "WS");
  add(tui, "TUI");
  add(config.cqe_latency, "CQE");
  add(config.per_template_latency, "TPL");
  if (!tags.empty()) tags += ']';
  return tags;
}

/// One --interval as a text line: `  [  2.0s]  123.45K req/s  p50 402us  p99 1.20ms  errors 0`.
inline std::string format_interval_text(const load_interval& i) {
  const double length = i.end_sec - i.start_sec;
  std::string when = format_fixed(i.end_sec, 1) + "s";
  if (when.size() < 7) when.insert(0, 7 - when.size(), ' ');
  return "  [" + when + "]  " + format_count(truncate_to_u64(length > 0 ? double(i.responses) / length : 0)) +
         " req/s  p50 " + format_latency(i.latency.quantile_us(0.5)) + "  p99 " +
         format_latency(i.latency.quantile_us(0.99)) + "  errors " + std::to_string(i.errors) + "\n";
}

/// True when the run's URL is https:// (the header says how certificates are checked).
inline bool target_is_https(const load_config& config) {
  const auto target = parse_url(config.url);
  return target.ok() && target->tls;
}

/// The block printed before the run, ending in a blank line. `target` is shown as given; gcannon
/// shows `host:port/path` with the port always present (":80" too), unlike load_results::target.
/// Pass `tui` = true when the TUI is on (it only adds the tag).
inline std::string format_text_header(const load_config& config, const std::string& target, bool tui = false) {
  const unsigned threads = config.threads == 0 ? 1 : config.threads;
  std::string out = std::string("ucannon v") + version_string + text_mode_tags(config, tui) + "\n";
  out += "  Target:    " + target + "\n";
  out += "  Threads:   " + std::to_string(config.threads) + "\n";
  out += "  Conns:     " + std::to_string(config.connections) + " (" +
         format_fixed(static_cast<double>(config.connections) / threads, 0) + "/thread)\n";
  out += "  Pipeline:  " + std::to_string(config.pipeline) + (config.batch_refill ? " (refilled in whole batches)" : "") + "\n";
  out += "  Req/conn:  " +
         (config.requests_per_connection > 0 ? std::to_string(config.requests_per_connection)
                                             : std::string("unlimited (keep-alive)")) +
         "\n";
  if (config.raw_files.size() > 1) out += "  Templates: " + std::to_string(config.raw_files.size()) + "\n";
  out += "  Expected:  " + std::to_string(config.expected_status) + "\n";
  if (target_is_https(config))
    out += std::string("  TLS:       ") +
           (config.insecure ? "certificates not checked (--insecure)"
            : config.ca_file.empty() ? "certificates checked against the system's CAs"
                                     : "certificates checked against " + config.ca_file) +
           "\n";
  if (config.max_responses > 0)
    out += "  Duration:  until " + std::to_string(config.max_responses) + " responses (at most " +
           format_duration_setting(config.duration) + ")\n";
  else
    out += "  Duration:  " + format_duration_setting(config.duration) + "\n";
  if (config.rate > 0 && !config.rate_schedule.empty())
    out += "  Rate:      " + format_rate_schedule(config) + " (open loop)\n";
  else if (config.rate > 0)
    out += "  Rate:      " + format_rate(config.rate) + " req/s (open loop)\n";
  else if (config.ramp.count() > 0)
    out += "  Ramp:      connections opened evenly over " + format_duration_setting(config.ramp) + "\n";
  out += "\n";
  return out;
}

/// gcannon's warning line (with its leading blank line) when some response's status class differs
/// from the expected one; "" otherwise. The run's exit status is then 1 (load_results::exit_code).
inline std::string format_unexpected_status_warning(const load_config& config, const load_results& results) {
  const std::uint64_t unexpected = results.unexpected_status(config.expected_status);
  const std::uint64_t total = std::max(results.responses, results.status.total());
  if (unexpected == 0 || total == 0) return {};
  return "\n  WARNING: " + std::to_string(unexpected) + "/" + std::to_string(total) + " responses (" +
         format_fixed(100.0 * static_cast<double>(unexpected) / static_cast<double>(total), 1) +
         "%) had unexpected status (expected " + std::to_string(config.expected_status / 100) + "xx)\n";
}

/// The table of load_config::percentiles (see requested_percentiles()), latency and time to first
/// byte, with a blank line before it; "" when none were asked for:
///
///   Percentile    Latency       TTFB
///   p50             402us      120us
///   p99.99        21.80ms     3.10ms
inline std::string format_text_percentiles(const load_config& config, const load_results& r) {
  const auto wanted = requested_percentiles(config);
  if (wanted.empty()) return {};
  std::size_t label_width = 12;
  for (const auto& p : wanted) label_width = std::max(label_width, p.label.size() + 3);
  using detail::report::pad_left;
  using detail::report::pad_right;
  std::string out = "\n  " + pad_right("Percentile", label_width) + pad_left("Latency", 9) + "  " +
                    pad_left("TTFB", 9) + "\n";
  for (const auto& p : wanted) {
    out += "  " + pad_right("p" + p.label, label_width);
    out += pad_left(format_latency(r.latency.quantile_us(p.quantile)), 9) + "  ";
    out += pad_left(format_latency(r.ttfb.quantile_us(p.quantile)), 9) + "\n";
  }
  return out;
}

/// The report printed after the run: a blank line, the latency table, the counts, and then each
/// only when non-zero or enabled: latency overflow, reconnects, errors, "Interrupted" (ucannon),
/// the per-template counts, the per-template latency table, the requested percentiles (ucannon)
/// and the unexpected-status warning. `options` adds ucannon's latency details (see there); the
/// finer facts (status codes, error classes, the open-loop lines) appear by the rules at the top.
inline std::string format_text_results(const load_config& config, const load_results& r,
                                       const text_report_options& options = {}) {
  const latency_histogram& h = r.latency;
  std::string out = "\n";
  out += "  Thread Stats   Avg      p50      p90      p99    p99.9\n";
  out += detail::report::latency_table_row("    Latency   ", h);
  if (options.latency_details) {
    out += detail::report::latency_table_row("       TTFB   ", r.ttfb);
    out += "  Latency min/max/stddev: " + format_latency_spread(h) + "\n";
  }
  if (config.rate > 0) {
    const latency_histogram& s = r.service_time;
    out += "  Service time: avg " + format_latency(average_latency_us(s)) + ", p50 " +
           format_latency(s.quantile_us(0.5)) + ", p90 " + format_latency(s.quantile_us(0.9)) + ", p99 " +
           format_latency(s.quantile_us(0.99)) + ", p99.9 " + format_latency(s.quantile_us(0.999)) + ", max " +
           format_latency(s.max_us()) + "\n";
  }
  out += "\n";

  const std::string elapsed = format_fixed(r.elapsed_sec, 2);
  if (config.websocket)
    out += "  " + std::to_string(r.requests) + " frames sent in " + elapsed + "s, " + std::to_string(r.responses) +
           " frames received\n";
  else
    out += "  " + std::to_string(r.requests) + " requests in " + elapsed + "s, " + std::to_string(r.responses) +
           " responses\n";
  out += "  Throughput: " + format_count(truncate_to_u64(r.requests_per_second())) + " req/s\n";
  if (config.rate > 0 && config.rate_schedule.empty())
    out += "  Rate: asked " + format_rate(config.rate) + " req/s, sent " + format_fixed(r.sent_per_second(), 2) +
           " req/s\n";
  else if (config.rate > 0)
    out += "  Rate: asked " + format_fixed(asked_rate(config, r.elapsed_sec), 2) + " req/s on average, sent " +
           format_fixed(r.sent_per_second(), 2) + " req/s\n";
  if (r.ramp_sec > 0) {
    const latency_histogram& s = r.steady_latency;
    out += "  After the " + format_fixed(r.ramp_sec, 2) + "s ramp: " +
           format_count(truncate_to_u64(r.steady_requests_per_second())) + " req/s, p50 " +
           format_latency(s.quantile_us(0.5)) + ", p99 " + format_latency(s.quantile_us(0.99)) + " (" +
           std::to_string(r.steady_responses) + " responses)\n";
  }
  out += "  Bandwidth:  " + format_bandwidth(r.bytes_per_second()) + "\n";

  if (config.websocket) {
    out += "  WS upgrades: " + std::to_string(r.ws_upgrades) + "\n";
    out += "  WS frames:   " + std::to_string(r.ws_frames) + "\n";
  } else {
    out += "  Status codes: 2xx=" + std::to_string(r.status.s2xx) + ", 3xx=" + std::to_string(r.status.s3xx) +
           ", 4xx=" + std::to_string(r.status.s4xx) + ", 5xx=" + std::to_string(r.status.s5xx);
    if (r.status.other) out += ", other=" + std::to_string(r.status.other);
    out += "\n";
    if (status_code_counts_worth_showing(config, r))
      out += "  Status code counts: " + format_status_code_counts(r) + "\n";
  }

  const double sampled = r.responses ? 100.0 * static_cast<double>(h.count()) / static_cast<double>(r.responses) : 0.0;
  out += "  Latency samples: " + std::to_string(h.count()) + " / " + std::to_string(r.responses) + " responses (" +
         format_fixed(sampled, 1) + "%)\n";
  if (h.overflow_count()) out += "  Latency overflow (>5s): " + std::to_string(h.overflow_count()) + "\n";
  if (r.reconnects) out += "  Reconnects: " + std::to_string(r.reconnects) + "\n";
  if (r.tls) {
    const tls_counts& t = r.tls_stats;
    out += "  TLS: " + (t.version.empty() ? std::string("no handshake completed") : t.version + " " + t.cipher) +
           ", " + std::to_string(t.handshakes) + " handshakes, " + std::to_string(t.resumed) + " resumed";
    if (t.failed) out += ", " + std::to_string(t.failed) + " failed";
    if (t.handshakes > 0)
      out += t.kernel_tls_offered ? "; encrypted in user space (the kernel's TLS is not used)"
                                  : "; encrypted in user space (this kernel offers no kernel TLS)";
    out += "\n";
    if (!t.first_error.empty()) out += "  TLS error: " + t.first_error + "\n";
  }
  if (r.errors.total())
    out += "  Errors: connect " + std::to_string(r.errors.connect) + ", read " + std::to_string(r.errors.read) +
           ", timeout " + std::to_string(r.errors.timeout) + "\n";
  if (const std::string classes = format_error_classes(r.errors.classes); !classes.empty())
    out += "  Error classes: " + classes + "\n";
  if (r.interrupted)
    out += "  Interrupted: measured " + elapsed + "s of " + format_duration_setting(config.duration) + "\n";

  if (r.per_template.size() > 1) {
    std::string all = "  Per-template: ", ok = "  Per-template-ok: ";
    for (std::size_t i = 0; i < r.per_template.size(); ++i) {
      if (i > 0) {
        all += ',';
        ok += ',';
      }
      all += std::to_string(r.per_template[i].responses);
      ok += std::to_string(r.per_template[i].status.s2xx);
    }
    out += all + "\n" + ok + "\n";

    if (config.per_template_latency) {
      out += "\n  Per-template latency:\n";
      out += "   Tpl       Avg       p50       p90       p99     p99.9\n";
      for (std::size_t i = 0; i < r.per_template.size(); ++i) {
        const latency_histogram& t = r.per_template[i].latency;
        if (t.count() == 0) continue;  // as gcannon: a template without samples has no row
        out += "    " + detail::report::pad_right("#" + std::to_string(i), 4) + " " +
               detail::report::pad_left(format_latency(average_latency_us(t)), 8);
        for (double q : {0.5, 0.9, 0.99, 0.999}) out += "  " + detail::report::pad_left(format_latency(t.quantile_us(q)), 8);
        out += "\n";
      }
    }
  }

  out += format_text_percentiles(config, r);
  out += format_rate_warning(config, r);
  out += format_unexpected_status_warning(config, r);
  return out;
}

}  // namespace uring_cannon
