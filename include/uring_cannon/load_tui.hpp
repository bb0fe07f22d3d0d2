#pragma once
// The pieces of ucannon's --tui, as pure functions that return text (the caller writes it), so
// every one is testable without a terminal:
//  * format_tui_progress(): the live block redrawn once a second: a progress bar with elapsed and
//    total time, the current req/s, responses so far, bandwidth (and errors, when there are any),
//    and a sparkline of req/s per second (the last 40 seconds, scaled to the peak);
//  * format_tui_results(): the final screen: box-drawn tables of latency percentiles (cyan, p99
//    yellow, p99.9 red) with a row for the time to first byte, the --percentiles asked for,
//    throughput and status codes (and, when load_text_report.hpp's rules say so, the responses
//    per status code, the errors by class, and the open-loop rate and service time); the
//    adaptive latency histogram
//    (latency_histogram::display_buckets); bar charts of req/s and average latency over the last
//    10 runs of the history, the current run highlighted; then the counters and any warning.
// With `colour` false nothing contains an escape code (characters alone carry the meaning: the
// current run's bars are solid, older ones shaded). use_colour() is what decides it: a terminal,
// NO_COLOR unset or empty (https://no-color.org), and TERM not "dumb". gcannon coloured always.

#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_text_report.hpp>
#include <uring_cannon/run_history.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace uring_cannon {

/// True when text written to `fd` should be coloured: `fd` is a terminal, NO_COLOR is unset or
/// empty, and TERM is not "dumb".
inline bool use_colour(int fd) {
  if (::isatty(fd) != 1) return false;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

/// Lines in format_tui_progress()'s block.
inline constexpr int tui_progress_lines = 4;

/// Written before a redraw on a terminal: cursor up over the previous progress block, then clear
/// to the end of the screen. (Cursor movement, not colour: it is right for a terminal even under
/// NO_COLOR, and wrong for a pipe or file, where each block is simply appended.)
inline std::string tui_progress_rewind() { return "\033[" + std::to_string(tui_progress_lines) + "A\033[J"; }

namespace detail::tui {

using report::pad_left;

namespace ansi {
inline constexpr std::string_view reset = "\033[0m", bold = "\033[1m", dim = "\033[2m", green = "\033[32m",
                                  cyan = "\033[36m", yellow = "\033[33m", red = "\033[31m", gray = "\033[90m",
                                  bold_red = "\033[1;31m";
}

// Wraps text in an SGR code and a reset, or leaves it alone when colour is off.
struct tui_paint {
  bool colour = false;
  std::string operator()(std::string_view text, std::string_view code) const {
    if (!colour || code.empty() || text.empty()) return std::string(text);
    std::string out(code);
    out += text;
    out += ansi::reset;
    return out;
  }
};

// Columns a UTF-8 string takes (every code point here is one column wide).
inline std::size_t display_width(std::string_view text) noexcept {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

inline std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

inline constexpr std::string_view spark_levels[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
inline constexpr std::string_view partial_blocks[8] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
inline constexpr std::size_t progress_bar_width = 40, sparkline_width = 40, histogram_bar_width = 30;
inline constexpr std::size_t chart_height = 10, chart_bar_width = 7, chart_column_width = 8, chart_runs = 10;
inline constexpr std::size_t rule_width = 56;

enum class tui_align { left, centre, right };

struct tui_cell {
  std::string text;
  std::string_view style = {};  // SGR codes, concatenated
  tui_align align = tui_align::right;
};

inline std::string align_cell(const tui_cell& cell, std::size_t width) {
  const std::size_t inner = width >= 2 ? width - 2 : 0, used = display_width(cell.text);
  const std::size_t gap = inner > used ? inner - used : 0;
  std::size_t left = 0;
  if (cell.align == tui_align::right) left = gap;
  else if (cell.align == tui_align::centre) left = gap / 2;
  // Appended piece by piece: g++ 12 at -O3 misreads `" " + std::string(...)` as an overlapping
  // memcpy (-Wrestrict, a known false positive).
  std::string out(left + 1, ' ');
  out += cell.text;
  out.append(gap - left + 1, ' ');
  return out;
}

// A rounded box with a rule between every row, indented four columns. `widths` are minimums: a
// column grows to fit its widest cell, so an unusually long number never breaks the box.
inline std::string box_table(std::vector<std::size_t> widths, const std::vector<std::vector<tui_cell>>& rows,
                             const tui_paint& paint) {
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c].text) + 2);
  auto rule = [&](std::string_view left, std::string_view middle, std::string_view right) {
    std::string line(left);
    for (std::size_t c = 0; c < widths.size(); ++c) {
      if (c > 0) line += middle;
      line += repeat("─", widths[c]);
    }
    line += right;
    return "    " + paint(line, ansi::gray) + "\n";
  };
  std::string out = rule("╭", "┬", "╮");
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (r > 0) out += rule("├", "┼", "┤");
    std::string line = "    ";
    for (std::size_t c = 0; c < widths.size(); ++c) {
      line += paint("│", ansi::gray);
      const tui_cell cell = c < rows[r].size() ? rows[r][c] : tui_cell{};
      line += paint(align_cell(cell, widths[c]), cell.style);
    }
    out += line + paint("│", ansi::gray) + "\n";
  }
  return out + rule("╰", "┴", "╯");
}

inline std::string section_title(std::string_view title, const tui_paint& paint) {
  return "\n  " + paint(title, ansi::bold) + "\n\n";
}

// One vertical bar chart of the history: value labels above the bars, a y axis with the top,
// middle and bottom of an adaptive range, the current (last) run highlighted and marked "now".
template <class Value, class Label>
std::string history_chart(std::string_view title, const std::vector<run_record>& runs, Value value, Label label,
                          std::string_view bar_colour, const tui_paint& paint) {
  const std::size_t n = runs.size();
  std::vector<double> values;
  for (const run_record& r : runs) {
    const double v = value(r);
    values.push_back(std::isfinite(v) && v > 0 ? v : 0.0);  // a foreign file may hold anything
  }
  // Zoom on the spread of the values (at least 5% of the top) with 15% headroom either side, so
  // a 2% change between runs is visible, as gcannon's charts do.
  const auto [low_it, high_it] = std::minmax_element(values.begin(), values.end());
  double lo = *low_it, hi = *high_it;
  const double span = std::max(hi - lo, hi * 0.05), pad = span * 0.15;
  lo = std::max(0.0, lo - pad);
  hi = hi + pad;
  const double range = hi - lo > 0 ? hi - lo : 1.0;

  std::vector<std::size_t> filled;
  for (double v : values) {
    const double rows = std::floor((v - lo) / range * static_cast<double>(chart_height) + 0.5);
    filled.push_back(static_cast<std::size_t>(std::clamp(rows, 1.0, static_cast<double>(chart_height))));
  }

  std::string out = "\n    " + paint(title, ansi::bold) + "\n";
  const std::string axis = paint("│", ansi::gray);
  for (std::size_t row = chart_height + 1; row >= 1; --row) {
    std::string line;
    if (row == chart_height) line = "    " + pad_left(label(hi), 7) + " " + axis;
    else if (row == chart_height / 2) line = "    " + pad_left(label((hi + lo) / 2), 7) + " " + axis;
    else line = "            " + axis;
    for (std::size_t i = 0; i < n; ++i) {
      const bool current = i + 1 == n;
      const std::string_view colour = current ? ansi::green : bar_colour;
      if (row == filled[i] + 1) {
        line += paint(pad_left(label(values[i]), chart_bar_width), colour) + " ";
      } else if (row <= filled[i]) {
        // Without colour the current run stands out by its solid fill.
        const std::string_view fill = current || paint.colour ? "█" : "▒";
        line += paint(repeat(fill, chart_bar_width), colour) + " ";
      } else {
        line += std::string(chart_column_width, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += "    " + pad_left(label(lo), 7) + " " + paint("└" + repeat("─", n * chart_column_width), ansi::gray) + "\n";
  std::string marks = "             ";
  for (std::size_t i = 0; i < n; ++i) {
    const std::string mark = i + 1 == n ? "now" : "-" + std::to_string(n - 1 - i);
    marks += pad_left(mark, chart_bar_width - 2) + std::string(chart_column_width - chart_bar_width + 2, ' ');
  }
  while (!marks.empty() && marks.back() == ' ') marks.pop_back();
  return out + paint(marks, ansi::gray) + "\n";
}

}  // namespace detail::tui

/// A sparkline of `values` (▁▂▃▄▅▆▇█, one character per value, scaled so the largest is █), of at
/// most `width` characters: the last `width` values.
inline std::string format_sparkline(const std::vector<std::uint64_t>& values, std::size_t width) {
  namespace ui = detail::tui;
  const std::size_t first = values.size() > width ? values.size() - width : 0;
  std::uint64_t peak = 0;
  for (std::size_t i = first; i < values.size(); ++i) peak = std::max(peak, values[i]);
  std::string out;
  for (std::size_t i = first; i < values.size(); ++i) {
    const auto level = peak == 0 ? 0 : static_cast<std::size_t>(static_cast<double>(values[i]) * 7.0 / static_cast<double>(peak));
    out += ui::spark_levels[std::min<std::size_t>(level, 7)];
  }
  return out;
}

/// The live progress block (tui_progress_lines lines, each newline-terminated):
///   ████████████░░░░░░░░░░░░░░░░░░░░░░░░░░░░   30%   3s / 10s
///   146.92K req/s  │  440.76K responses  │  20.88MB/s
///   Req/s ▅▆▇█▇▇                                     peak 150.12K
///   (blank)
/// `rps_per_second` holds one count per whole second so far (its last entry is "current req/s").
/// During the warm-up (negative elapsed) the bar is empty and reads "warming up".
inline std::string format_tui_progress(const load_progress& progress, const std::vector<std::uint64_t>& rps_per_second,
                                       bool colour) {
  namespace ui = detail::tui;
  const ui::tui_paint paint{colour};
  const double duration = std::isfinite(progress.duration_sec) && progress.duration_sec > 0 ? progress.duration_sec : 0;
  const double elapsed = std::isfinite(progress.elapsed_sec) ? std::clamp(progress.elapsed_sec, 0.0, duration) : 0.0;
  const double fraction = duration > 0 ? elapsed / duration : 0;
  const auto filled = static_cast<std::size_t>(fraction * ui::progress_bar_width);
  auto seconds = [](double s) {
    return std::abs(s - std::round(s)) < 1e-9 ? std::to_string(static_cast<long long>(std::round(s))) + "s"
                                              : format_fixed(s, 1) + "s";
  };

  std::string out = "  " + paint(ui::repeat("█", filled), ui::ansi::green) +
                    paint(ui::repeat("░", ui::progress_bar_width - filled), ui::ansi::gray);
  out += "  " + ui::pad_left(std::to_string(static_cast<int>(fraction * 100)), 3) + "%   ";
  out += progress.elapsed_sec < 0 ? std::string("warming up") : seconds(std::floor(elapsed)) + " / " + seconds(duration);
  out += "\n";

  const std::string bar = "  " + paint("│", ui::ansi::gray) + "  ";
  const std::uint64_t current = rps_per_second.empty() ? 0 : rps_per_second.back();
  out += "  " + paint(format_count(current), ui::ansi::cyan) + " req/s" + bar + format_count(progress.responses) +
         " responses" + bar +
         format_bandwidth(progress.elapsed_sec > 0 ? static_cast<double>(progress.bytes_read) / progress.elapsed_sec : 0);
  if (progress.errors) out += bar + paint(format_count(progress.errors) + " errors", ui::ansi::red);
  out += "\n";

  out += "  " + paint("Req/s", ui::ansi::gray);
  if (!rps_per_second.empty()) {
    const std::string spark = format_sparkline(rps_per_second, ui::sparkline_width);
    const std::size_t shown = ui::display_width(spark);
    const std::uint64_t peak = *std::max_element(rps_per_second.begin(), rps_per_second.end());
    out += " " + paint(spark, ui::ansi::green) + std::string(ui::sparkline_width - shown, ' ') + "  " +
           paint("peak", ui::ansi::gray) + " " + paint(format_count(peak), ui::ansi::cyan);
  }
  out += "\n\n";
  return out;
}

/// The adaptive latency histogram: exactly `bars` rows (clamped to 1..100) from
/// latency_histogram::display_buckets, each labelled with its exclusive upper edge
/// ("<   1.20ms"), a bar scaled to the fullest row, and its share of all samples; then one "≥" row
/// for the samples beyond the last bar (above p99.9, overflow included) when there are any.
inline std::string format_tui_histogram(const latency_histogram& h, int bars, bool colour) {
  namespace ui = detail::tui;
  const ui::tui_paint paint{colour};
  if (h.count() == 0) return "    " + paint("no latency samples", ui::ansi::gray) + "\n";
  const auto buckets = h.display_buckets(bars);
  std::uint64_t fullest = 0, in_bars = 0;
  for (const auto& b : buckets) {
    fullest = std::max(fullest, b.count);
    in_bars += b.count;
  }
  const std::uint64_t beyond = h.count() - std::min(in_bars, h.count());
  fullest = std::max(fullest, beyond);
  auto row = [&](std::string_view sign, std::uint64_t edge, std::uint64_t count) {
    const std::size_t eighths =
        fullest == 0 ? 0
                     : static_cast<std::size_t>(static_cast<double>(count) / static_cast<double>(fullest) *
                                                static_cast<double>(ui::histogram_bar_width * 8));
    std::string bar = ui::repeat("█", eighths / 8) + std::string(ui::partial_blocks[eighths % 8]);
    if (count > 0 && bar.empty()) bar = std::string(ui::partial_blocks[1]);  // never hide a non-empty bar
    const std::size_t width = ui::display_width(bar);
    return "    " + std::string(sign) + " " + ui::pad_left(format_latency(edge), 8) + "  " +
           paint(bar, ui::ansi::green) + std::string(ui::histogram_bar_width - width, ' ') + "  " +
           ui::pad_left(format_fixed(100.0 * static_cast<double>(count) / static_cast<double>(h.count()), 2), 6) +
           "%\n";
  };
  std::string out;
  for (const auto& b : buckets) out += row("<", b.upper_us, b.count);
  if (beyond > 0) out += row("≥", buckets.empty() ? 0 : buckets.back().upper_us, beyond);
  return out;
}

/// "Run History (N runs)" and two bar charts, req/s and average latency, of the last 10 of
/// `runs` (oldest first, the current run last and highlighted). "" with fewer than two runs:
/// there is nothing to compare.
inline std::string format_tui_history(const std::vector<run_record>& runs, bool colour) {
  namespace ui = detail::tui;
  if (runs.size() < 2) return {};
  const ui::tui_paint paint{colour};
  const std::vector<run_record> shown(runs.end() - static_cast<std::ptrdiff_t>(std::min(runs.size(), ui::chart_runs)),
                                      runs.end());
  std::string out = "\n  " + paint("Run History", ui::ansi::bold) +
                    paint(" (" + std::to_string(runs.size()) + " runs)", ui::ansi::gray) + "\n";
  out += ui::history_chart(
      "Req/s", shown, [](const run_record& r) { return r.rps; },
      [](double v) { return format_count(truncate_to_u64(v)); }, ui::ansi::cyan, paint);
  out += ui::history_chart(
      "Avg Latency", shown, [](const run_record& r) { return static_cast<double>(r.latency_avg_us); },
      [](double v) { return format_latency(truncate_to_u64(v)); }, ui::ansi::yellow, paint);
  return out;
}

/// The final --tui screen. `history` is the run history as it now stands, oldest first, with this
/// run last (what append_history() returns); pass {} to draw no charts. `buckets` is -b.
inline std::string format_tui_results(const load_config& config, const load_results& r,
                                      const std::vector<run_record>& history, bool colour, int buckets) {
  namespace ui = detail::tui;
  using ui::tui_align;
  using ui::tui_cell;
  namespace ansi = ui::ansi;
  const ui::tui_paint paint{colour};
  const latency_histogram& h = r.latency;
  const std::string rule = "  " + paint(ui::repeat("─", ui::rule_width), ansi::gray) + "\n";

  std::string out = "\n  " + paint("ucannon", ansi::bold) + paint(" ── ", ansi::gray) + paint("Results", ansi::bold) + "\n";
  out += rule;

  // Percentiles of the full response and of its first byte: cyan, p99 yellow, p99.9 red.
  out += ui::section_title("Latency", paint);
  std::vector<std::vector<tui_cell>> rows(1);
  rows[0].push_back({});
  for (const char* name : {"Avg", "p50", "p90", "p99", "p99.9"}) rows[0].push_back({name, ansi::bold, tui_align::centre});
  auto percentile_row = [&](const char* name, const latency_histogram& l) {
    rows.push_back({{name, ansi::bold, tui_align::left},
                    {format_latency(average_latency_us(l)), ansi::cyan},
                    {format_latency(l.quantile_us(0.5)), ansi::cyan},
                    {format_latency(l.quantile_us(0.9)), ansi::cyan},
                    {format_latency(l.quantile_us(0.99)), ansi::yellow},
                    {format_latency(l.quantile_us(0.999)), ansi::red}});
  };
  percentile_row("Latency", h);
  percentile_row("TTFB", r.ttfb);
  if (config.rate > 0) percentile_row("Service", r.service_time);  // open loop: from the actual send
  out += ui::box_table({10, 10, 10, 10, 10, 10}, rows, paint);

  // The percentiles asked for with --percentiles, one row each (a list of any length fits).
  if (const auto wanted = requested_percentiles(config); !wanted.empty()) {
    out += ui::section_title("Percentiles", paint);
    std::vector<std::vector<tui_cell>> table(1);
    for (const char* name : {"Percentile", "Latency", "TTFB"})
      table[0].push_back({name, ansi::bold, tui_align::centre});
    for (const auto& p : wanted)
      table.push_back({{"p" + p.label, ansi::bold, tui_align::left},
                       {format_latency(h.quantile_us(p.quantile)), ansi::cyan},
                       {format_latency(r.ttfb.quantile_us(p.quantile)), ansi::cyan}});
    out += ui::box_table({14, 12, 12}, table, paint);
  }

  // Throughput.
  out += ui::section_title("Throughput", paint);
  const std::string total = format_count(r.requests) + (config.websocket ? " sent / " : " req / ") +
                            format_count(r.responses) + (config.websocket ? " received in " : " resp in ") +
                            format_fixed(r.elapsed_sec, 2) + "s";
  std::vector<std::vector<tui_cell>> throughput{
      {{"Req/s", ansi::bold, tui_align::centre},
       {format_count(truncate_to_u64(r.requests_per_second())), ansi::cyan, tui_align::left}},
      {{"Bandwidth", ansi::bold, tui_align::centre}, {format_bandwidth(r.bytes_per_second()), ansi::cyan, tui_align::left}},
      {{"Total", ansi::bold, tui_align::centre}, {total, {}, tui_align::left}}};
  if (config.rate > 0)
    throughput.push_back({{"Rate", ansi::bold, tui_align::centre},
                          {"asked " + format_rate(config.rate) + " req/s, sent " + format_fixed(r.sent_per_second(), 2) +
                               " req/s",
                           rate_not_reached(config, r) ? ansi::yellow : std::string_view{}, tui_align::left}});
  out += ui::box_table({14, 38}, throughput, paint);

  // Status classes, or the WebSocket counters.
  if (config.websocket) {
    out += ui::section_title("WebSocket", paint);
    out += ui::box_table({13, 13, 13},
                             {{{"Upgrades", ansi::green, tui_align::centre},
                               {"Frames sent", ansi::cyan, tui_align::centre},
                               {"Received", ansi::cyan, tui_align::centre}},
                              {{std::to_string(r.ws_upgrades)}, {std::to_string(r.requests)}, {std::to_string(r.ws_frames)}}},
                             paint);
  } else {
    out += ui::section_title("Status Codes", paint);
    std::vector<std::size_t> widths{13, 13, 13, 13};
    std::vector<std::vector<tui_cell>> status(2);
    status[0] = {{"2xx", ansi::green, tui_align::centre},
                 {"3xx", ansi::cyan, tui_align::centre},
                 {"4xx", ansi::yellow, tui_align::centre},
                 {"5xx", ansi::red, tui_align::centre}};
    status[1] = {{std::to_string(r.status.s2xx)},
                 {std::to_string(r.status.s3xx)},
                 {std::to_string(r.status.s4xx)},
                 {std::to_string(r.status.s5xx)}};
    if (r.status.other) {
      widths.push_back(13);
      status[0].push_back({"other", ansi::gray, tui_align::centre});
      status[1].push_back({std::to_string(r.status.other)});
    }
    out += ui::box_table(widths, status, paint);
    if (status_code_counts_worth_showing(config, r)) {
      out += "\n";
      std::vector<std::vector<tui_cell>> codes{{{"Code", ansi::bold, tui_align::centre},
                                                {"Responses", ansi::bold, tui_align::centre}}};
      for (const status_code_count& sc : seen_status_codes(r)) {
        const std::string_view colour = sc.code / 100 == 2   ? ansi::green
                                        : sc.code / 100 == 3 ? ansi::cyan
                                        : sc.code / 100 == 4 ? ansi::yellow
                                        : sc.code / 100 == 5 ? ansi::red
                                                             : ansi::gray;
        codes.push_back({{std::to_string(sc.code), colour, tui_align::centre}, {std::to_string(sc.count)}});
      }
      out += ui::box_table({10, 14}, codes, paint);
    }
  }

  // The errors by class, when there were any.
  if (!format_error_classes(r.errors.classes).empty()) {
    out += ui::section_title("Errors", paint);
    std::vector<std::vector<tui_cell>> classes{{{"Class", ansi::bold, tui_align::centre},
                                                {"Count", ansi::bold, tui_align::centre}}};
    for (const error_class_count& e : error_class_counts(r.errors.classes))
      if (e.count) classes.push_back({{std::string(e.label), {}, tui_align::left}, {std::to_string(e.count), ansi::red}});
    out += ui::box_table({18, 12}, classes, paint);
  }

  out += ui::section_title("Latency Distribution", paint);
  out += format_tui_histogram(h, buckets, colour);
  out += format_tui_history(history, colour);

  // The counters gcannon's text report shows, quietly.
  out += "\n";
  const double sampled = r.responses ? 100.0 * static_cast<double>(h.count()) / static_cast<double>(r.responses) : 0.0;
  out += "  " + paint("Latency samples: " + std::to_string(h.count()) + " / " + std::to_string(r.responses) + " (" +
                          format_fixed(sampled, 1) + "%)",
                      ansi::gray) +
         "\n";
  if (h.count()) out += "  " + paint("Latency min/max/stddev: " + format_latency_spread(h), ansi::gray) + "\n";
  if (h.overflow_count())
    out += "  " + paint("Latency overflow (>5s): " + std::to_string(h.overflow_count()), ansi::yellow) + "\n";
  if (r.reconnects) out += "  " + paint("Reconnects: " + std::to_string(r.reconnects), ansi::gray) + "\n";
  if (r.errors.total())
    out += "  " +
           paint("Errors: connect " + std::to_string(r.errors.connect) + ", read " + std::to_string(r.errors.read) +
                     ", timeout " + std::to_string(r.errors.timeout),
                 ansi::red) +
           "\n";
  if (r.interrupted)
    out += "  " +
           paint("Interrupted: measured " + format_fixed(r.elapsed_sec, 2) + "s of " +
                     format_duration_setting(config.duration),
                 ansi::yellow) +
           "\n";

  if (r.per_template.size() > 1) {
    std::string all = "Per-template: ", ok = "Per-template-ok: ";
    for (std::size_t i = 0; i < r.per_template.size(); ++i) {
      if (i > 0) {
        all += ", ";
        ok += ", ";
      }
      all += std::to_string(r.per_template[i].responses);
      ok += std::to_string(r.per_template[i].status.s2xx);
    }
    out += "  " + paint(all, ansi::gray) + "\n  " + paint(ok, ansi::gray) + "\n";

    if (config.per_template_latency) {
      out += ui::section_title("Per-Template Latency", paint);
      std::vector<std::vector<tui_cell>> tpl(1);
      for (const char* name : {"Tpl", "Avg", "p50", "p99", "p99.9"}) tpl[0].push_back({name, ansi::bold, tui_align::centre});
      for (std::size_t i = 0; i < r.per_template.size(); ++i) {
        const latency_histogram& t = r.per_template[i].latency;
        if (t.count() == 0) continue;
        tpl.push_back({{"#" + std::to_string(i), ansi::bold},
                       {format_latency(average_latency_us(t)), ansi::cyan},
                       {format_latency(t.quantile_us(0.5)), ansi::cyan},
                       {format_latency(t.quantile_us(0.99)), ansi::yellow},
                       {format_latency(t.quantile_us(0.999)), ansi::red}});
      }
      out += ui::box_table({10, 10, 10, 10, 10}, tpl, paint);
    }
  }

  if (rate_not_reached(config, r))
    out += "\n  " + paint("WARNING", ansi::bold_red) +
           paint(": the target rate was not reached (sent " + format_fixed(r.sent_per_second(), 2) + " of " +
                     format_rate(config.rate) + " req/s)",
                 ansi::red) +
           "\n";

  const std::uint64_t unexpected = r.unexpected_status(config.expected_status);
  const std::uint64_t answered = std::max(r.responses, r.status.total());
  if (unexpected > 0 && answered > 0)
    out += "\n  " + paint("WARNING", ansi::bold_red) +
           paint(": " + std::to_string(unexpected) + "/" + std::to_string(answered) + " responses (" +
                     format_fixed(100.0 * static_cast<double>(unexpected) / static_cast<double>(answered), 1) +
                     "%) had unexpected status (expected " + std::to_string(config.expected_status / 100) + "xx)",
                 ansi::red) +
           "\n";

  out += "\n" + rule + "\n";
  return out;
}

}  // namespace uring_cannon
