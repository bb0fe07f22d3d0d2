#pragma once
// Pass/fail thresholds on a finished run, for CI jobs ("fail the build if p99 regresses") and
// capacity searches: `--assert 'p99<5ms'`, `--assert 'errors<0.1%'`, `--assert 'rps>50000'`.
//
// An assertion is METRIC OP VALUE, no spaces needed (spaces around the parts are allowed):
//   pN      latency percentile N (p50, p99, p99.9, p100), VALUE a duration: 250us, 5ms, 1.5s
//   mean    latency mean;  max: the largest latency    (durations, as pN)
//   rps     responses per second                        (a plain decimal, e.g. 50000 or 12.5)
//   errors  connect + read + timeout errors: a count, or with % a share of responses + errors
//   unexpected  responses whose status class is not the expected one: a count, or with % a
//           share of the responses
// OP is <, <=, > or >=. Latency is the corrected latency (from the intended send in open loop).
//
// Why a run fails, and the exit status that says so (ucannon's; gcannon had only 0 and 1):
//   4  nothing was measured: no response (or echo) completed, e.g. every connection failed
//   3  a threshold failed
//   1  some response had an unexpected status class (gcannon's)
// The first that applies wins: a run with no response fails every latency threshold anyway, and
// a threshold is what a CI job asked about.

#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_text_report.hpp>
#include <uring_cannon/or_error.hpp>

#include <charconv>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace uring_cannon {

inline constexpr int exit_unexpected_status = 1;  ///< gcannon's: a response of another status class
inline constexpr int exit_threshold_failed = 3;   ///< an --assert did not hold
inline constexpr int exit_nothing_measured = 4;   ///< no response completed (every connection failed, ...)

/// What an assertion measures.
enum class threshold_metric { percentile, mean, max, rps, errors, unexpected };
/// How the measured value must compare with the bound.
enum class threshold_op { less, less_equal, greater, greater_equal };

/// One parsed --assert.
struct threshold {
  std::string text;                 ///< as typed, spaces removed: "p99<5ms"
  threshold_metric metric = threshold_metric::percentile;
  double percentile = 0;            ///< for percentile: in (0, 100]
  threshold_op op = threshold_op::less;
  double bound = 0;                 ///< microseconds for latency metrics; a count, a rate or a percentage
  bool percent = false;             ///< errors and unexpected: the bound is a share in percent
};

/// A threshold checked against a run.
struct threshold_result {
  threshold rule;
  double measured = 0;              ///< in the bound's unit
  bool passed = false;
};

namespace detail {

inline std::optional<double> threshold_number(std::string_view text) noexcept {
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0)) return std::nullopt;
  return value;
}

// "250us", "5ms", "1.5s" -> microseconds. A unit is required: "p99<5" would be a guess.
inline std::optional<double> threshold_duration_us(std::string_view text) noexcept {
  double scale = 0;
  if (text.ends_with("us")) scale = 1, text.remove_suffix(2);
  else if (text.ends_with("ms")) scale = 1e3, text.remove_suffix(2);
  else if (text.ends_with("s")) scale = 1e6, text.remove_suffix(1);
  else return std::nullopt;
  const auto n = threshold_number(text);
  if (!n) return std::nullopt;
  return *n * scale;
}

inline bool threshold_holds(double measured, threshold_op op, double bound) noexcept {
  switch (op) {
    case threshold_op::less: return measured < bound;
    case threshold_op::less_equal: return measured <= bound;
    case threshold_op::greater: return measured > bound;
    case threshold_op::greater_equal: return measured >= bound;
  }
  return false;
}

}  // namespace detail

/// Reads one --assert expression; the message says what was expected.
inline or_error<threshold> parse_threshold(std::string_view text) {
  threshold t;
  for (char c : text)
    if (c != ' ' && c != '\t') t.text += c;
  const std::string_view s = t.text;
  const auto op_at = s.find_first_of("<>");
  auto fail = [&](std::string why) {
    return or_error<threshold>::failure("'" + std::string(text) + "': " + std::move(why));
  };
  if (op_at == std::string_view::npos || op_at == 0)
    return fail("expected METRIC<VALUE or METRIC>VALUE, e.g. p99<5ms, errors<0.1%, rps>50000");
  const std::string_view metric = s.substr(0, op_at);
  const bool or_equal = op_at + 1 < s.size() && s[op_at + 1] == '=';
  t.op = s[op_at] == '<' ? (or_equal ? threshold_op::less_equal : threshold_op::less)
                         : (or_equal ? threshold_op::greater_equal : threshold_op::greater);
  std::string_view value = s.substr(op_at + (or_equal ? 2 : 1));
  if (value.empty()) return fail("no value after the comparison");

  if (metric.size() > 1 && metric.front() == 'p') {
    const auto p = detail::threshold_number(metric.substr(1));
    if (!p || !(*p > 0 && *p <= 100)) return fail("a percentile must be above 0 and at most 100, e.g. p99 or p99.9");
    t.metric = threshold_metric::percentile;
    t.percentile = *p;
  } else if (metric == "mean") {
    t.metric = threshold_metric::mean;
  } else if (metric == "max") {
    t.metric = threshold_metric::max;
  } else if (metric == "rps") {
    t.metric = threshold_metric::rps;
  } else if (metric == "errors") {
    t.metric = threshold_metric::errors;
  } else if (metric == "unexpected") {
    t.metric = threshold_metric::unexpected;
  } else {
    return fail("unknown metric '" + std::string(metric) + "' (pN, mean, max, rps, errors, unexpected)");
  }

  switch (t.metric) {
    case threshold_metric::percentile:
    case threshold_metric::mean:
    case threshold_metric::max: {
      const auto us = detail::threshold_duration_us(value);
      if (!us) return fail("a latency bound needs a unit: us, ms or s (e.g. 250us, 5ms, 1.5s)");
      t.bound = *us;
      break;
    }
    case threshold_metric::rps: {
      const auto n = detail::threshold_number(value);
      if (!n) return fail("rps takes a number of responses per second, e.g. 50000");
      t.bound = *n;
      break;
    }
    case threshold_metric::errors:
    case threshold_metric::unexpected: {
      t.percent = value.back() == '%';
      if (t.percent) value.remove_suffix(1);
      const auto n = detail::threshold_number(value);
      if (!n || (t.percent && *n > 100)) return fail("a count such as 0 or 10, or a share such as 0.1%");
      t.bound = *n;
      break;
    }
  }
  return t;
}

/// The value `rule` looks at in `r` (microseconds for latency metrics).
inline double measure_threshold(const threshold& rule, const load_results& r, int expected_status) noexcept {
  const auto share = [](std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? (part == 0 ? 0.0 : 100.0) : 100.0 * double(part) / double(whole);
  };
  switch (rule.metric) {
    case threshold_metric::percentile: return double(r.latency.percentile_us(rule.percentile));
    case threshold_metric::mean: return r.latency.mean_us();
    case threshold_metric::max: return double(r.latency.max_us());
    case threshold_metric::rps: return r.requests_per_second();
    case threshold_metric::errors: {
      const auto errors = r.errors.total();
      return rule.percent ? share(errors, r.responses + errors) : double(errors);
    }
    case threshold_metric::unexpected: {
      const auto unexpected = r.unexpected_status(expected_status);
      return rule.percent ? share(unexpected, r.responses) : double(unexpected);
    }
  }
  return 0;
}

/// Checks every rule against `r`. A latency rule on a run with no response fails: there is
/// nothing to vouch for.
inline std::vector<threshold_result> check_thresholds(const std::vector<threshold>& rules, const load_results& r,
                                                      int expected_status) {
  std::vector<threshold_result> out;
  for (const auto& rule : rules) {
    threshold_result checked{rule, measure_threshold(rule, r, expected_status), false};
    const bool latency = rule.metric == threshold_metric::percentile || rule.metric == threshold_metric::mean ||
                         rule.metric == threshold_metric::max;
    checked.passed = !(latency && r.latency.empty()) && detail::threshold_holds(checked.measured, rule.op, rule.bound);
    out.push_back(std::move(checked));
  }
  return out;
}

inline bool all_passed(const std::vector<threshold_result>& results) noexcept {
  for (const auto& t : results)
    if (!t.passed) return false;
  return true;
}

/// The measured value as the text report shows it: latencies as gcannon prints them ("7.20ms"),
/// rps with two decimals, counts whole, shares with three decimals and a %.
inline std::string format_threshold_value(const threshold_result& t) {
  switch (t.rule.metric) {
    case threshold_metric::percentile:
    case threshold_metric::mean:
    case threshold_metric::max: return format_latency(truncate_to_u64(t.measured));
    case threshold_metric::rps: return format_fixed(t.measured, 2);
    case threshold_metric::errors:
    case threshold_metric::unexpected:
      return t.rule.percent ? format_fixed(t.measured, 3) + "%" : std::to_string(truncate_to_u64(t.measured));
  }
  return {};
}

/// The text report's block: a line per threshold, `  PASS  p99<5ms  (p99 was 3.21ms)`, after a
/// blank line and a `Thresholds:` heading. "" without thresholds.
inline std::string format_threshold_text(const std::vector<threshold_result>& results) {
  if (results.empty()) return {};
  std::size_t failed = 0;
  for (const auto& t : results) failed += t.passed ? 0 : 1;
  std::string out = "\n  Thresholds: " + std::to_string(results.size() - failed) + " passed, " +
                    std::to_string(failed) + " failed\n";
  for (const auto& t : results) {
    const std::string_view metric(t.rule.text.data(), t.rule.text.find_first_of("<>"));
    out += std::string(t.passed ? "    PASS  " : "    FAIL  ") + t.rule.text + "  (" + std::string(metric) +
           " was " + format_threshold_value(t) + ")\n";
  }
  return out;
}

/// Nothing measured: no response or echo completed. The message says why, for stderr.
inline std::string nothing_measured_message(const load_results& r) {
  if (r.responses > 0) return {};
  const auto& e = r.errors;
  if (!r.tls_stats.first_error.empty() && r.tls_stats.handshakes == 0)
    return "Error: no request completed: every TLS handshake failed (" + r.tls_stats.first_error + ")";
  if (e.connect > 0 && e.read == 0 && e.timeout == 0)
    return "Error: no request completed: every connection failed (" + std::to_string(e.connect) +
           " connect errors: " + std::to_string(e.classes.connect_refused) + " refused, " +
           std::to_string(e.classes.connect_timeout) + " timed out, " + std::to_string(e.classes.connect_other) +
           " other)";
  if (e.total() > 0)
    return "Error: no request completed (" + std::to_string(e.connect) + " connect, " + std::to_string(e.read) +
           " read, " + std::to_string(e.timeout) + " timeout errors)";
  return "Error: no request completed: the server answered nothing within the run";
}

/// The exit status of a finished run: exit_nothing_measured, exit_threshold_failed,
/// exit_unexpected_status or 0, the first that applies.
inline int run_exit_code(const load_results& r, int expected_status, const std::vector<threshold_result>& thresholds) {
  if (r.responses == 0) return exit_nothing_measured;
  if (!all_passed(thresholds)) return exit_threshold_failed;
  return r.exit_code(expected_status);
}

}  // namespace uring_cannon
