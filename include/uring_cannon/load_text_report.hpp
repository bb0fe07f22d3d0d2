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

#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/version.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

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

// ---- the report ------------------------------------------------------------------------------

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
  out += "  Pipeline:  " + std::to_string(config.pipeline) + "\n";
  out += "  Req/conn:  " +
         (config.requests_per_connection > 0 ? std::to_string(config.requests_per_connection)
                                             : std::string("unlimited (keep-alive)")) +
         "\n";
  if (config.raw_files.size() > 1) out += "  Templates: " + std::to_string(config.raw_files.size()) + "\n";
  out += "  Expected:  " + std::to_string(config.expected_status) + "\n";
  out += "  Duration:  " + format_duration_setting(config.duration) + "\n";
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

/// The report printed after the run: a blank line, the latency table, the counts, and then each
/// only when non-zero or enabled: latency overflow, reconnects, errors, "Interrupted" (ucannon),
/// the per-template counts, the per-template latency table, and the unexpected-status warning.
inline std::string format_text_results(const load_config& config, const load_results& r) {
  const latency_histogram& h = r.latency;
  std::string out = "\n";
  out += "  Thread Stats   Avg      p50      p90      p99    p99.9\n";
  out += "    Latency   " + detail::report::pad_left(format_latency(average_latency_us(h)), 6);
  for (double q : {0.5, 0.9, 0.99, 0.999}) out += "   " + detail::report::pad_left(format_latency(h.quantile_us(q)), 6);
  out += "\n\n";

  const std::string elapsed = format_fixed(r.elapsed_sec, 2);
  if (config.websocket)
    out += "  " + std::to_string(r.requests) + " frames sent in " + elapsed + "s, " + std::to_string(r.responses) +
           " frames received\n";
  else
    out += "  " + std::to_string(r.requests) + " requests in " + elapsed + "s, " + std::to_string(r.responses) +
           " responses\n";
  out += "  Throughput: " + format_count(truncate_to_u64(r.requests_per_second())) + " req/s\n";
  out += "  Bandwidth:  " + format_bandwidth(r.bytes_per_second()) + "\n";

  if (config.websocket) {
    out += "  WS upgrades: " + std::to_string(r.ws_upgrades) + "\n";
    out += "  WS frames:   " + std::to_string(r.ws_frames) + "\n";
  } else {
    out += "  Status codes: 2xx=" + std::to_string(r.status.s2xx) + ", 3xx=" + std::to_string(r.status.s3xx) +
           ", 4xx=" + std::to_string(r.status.s4xx) + ", 5xx=" + std::to_string(r.status.s5xx);
    if (r.status.other) out += ", other=" + std::to_string(r.status.other);
    out += "\n";
  }

  const double sampled = r.responses ? 100.0 * static_cast<double>(h.count()) / static_cast<double>(r.responses) : 0.0;
  out += "  Latency samples: " + std::to_string(h.count()) + " / " + std::to_string(r.responses) + " responses (" +
         format_fixed(sampled, 1) + "%)\n";
  if (h.overflow_count()) out += "  Latency overflow (>5s): " + std::to_string(h.overflow_count()) + "\n";
  if (r.reconnects) out += "  Reconnects: " + std::to_string(r.reconnects) + "\n";
  if (r.errors.total())
    out += "  Errors: connect " + std::to_string(r.errors.connect) + ", read " + std::to_string(r.errors.read) +
           ", timeout " + std::to_string(r.errors.timeout) + "\n";
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

  out += format_unexpected_status_warning(config, r);
  return out;
}

}  // namespace uring_cannon
