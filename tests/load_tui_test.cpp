#include <uring_cannon/load_tui.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

bool has_escape(const std::string& s) { return s.find('\033') != std::string::npos; }

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Columns on screen once escape codes are gone (every character here is one column).
std::size_t visible_width(const std::string& line) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\033') {
      while (i < line.size() && line[i] != 'm' && line[i] != 'A' && line[i] != 'J') ++i;
      continue;
    }
    n += (static_cast<unsigned char>(line[i]) & 0xc0) != 0x80;
  }
  return n;
}

uc::load_config config() {
  uc::load_config c;
  c.connections = 64;
  c.duration = 5s;
  return c;
}

uc::load_results results() {
  uc::load_results r;
  r.target = "127.0.0.1:8080/";
  r.elapsed_sec = 5.0;
  r.requests = 734780;
  r.responses = 734780;
  r.bytes_read = 109'483'220;
  r.status.s2xx = 734780;
  for (std::uint64_t i = 0; i < 10000; ++i) {
    r.latency.record_us(300 + i % 400 + (i % 500 == 0 ? 4000 : 0));
    r.ttfb.record_us(100 + i % 100);
  }
  r.responses_per_second = {140000, 150000, 145000, 148000, 151000};
  return r;
}

std::vector<uc::run_record> history(std::size_t runs) {
  std::vector<uc::run_record> h;
  for (std::size_t i = 0; i < runs; ++i) {
    uc::run_record r = uc::make_run_record(config(), results(), static_cast<std::int64_t>(i));
    r.rps = 100000.0 + 1000.0 * static_cast<double>(i);
    r.latency_avg_us = 400 + i;
    h.push_back(r);
  }
  return h;
}

// A scoped environment variable.
struct env_var {
  std::string name;
  bool had = false;
  std::string old;
  env_var(const char* n, const char* value) : name(n) {
    if (const char* v = std::getenv(n)) had = true, old = v;
    if (value) ::setenv(n, value, 1);
    else ::unsetenv(n);
  }
  ~env_var() {
    if (had) ::setenv(name.c_str(), old.c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("use_colour: a terminal, NO_COLOR unset or empty, TERM not dumb", "[tui]") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  {
    env_var no_colour("NO_COLOR", nullptr);
    CHECK_FALSE(uc::use_colour(pipe_fds[1]));  // not a terminal
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);

  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    WARN("no pseudo-terminal here; the terminal half of use_colour is not tested");
    if (master >= 0) ::close(master);
    return;
  }
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  REQUIRE(slave >= 0);
  {
    env_var term("TERM", "xterm-256color");
    {
      env_var no_colour("NO_COLOR", nullptr);
      CHECK(uc::use_colour(slave));
    }
    {
      env_var no_colour("NO_COLOR", "");
      CHECK(uc::use_colour(slave));  // set but empty does not count
    }
    {
      env_var no_colour("NO_COLOR", "1");
      CHECK_FALSE(uc::use_colour(slave));
    }
  }
  {
    env_var term("TERM", "dumb");
    env_var no_colour("NO_COLOR", nullptr);
    CHECK_FALSE(uc::use_colour(slave));
  }
  ::close(slave);
  ::close(master);
}

TEST_CASE("the sparkline scales to the peak with ▁..█ and keeps the last values", "[tui]") {
  CHECK(uc::format_sparkline({}, 40).empty());
  CHECK(uc::format_sparkline({0, 0, 0}, 40) == "▁▁▁");
  CHECK(uc::format_sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 40) == "▁▂▃▄▅▆▇█");
  CHECK(uc::format_sparkline({10, 20, 40, 80}, 40) == "▁▂▄█");  // level = value * 7 / peak, rounded down
  CHECK(uc::format_sparkline({7, 1, 2, 3}, 3) == "▃▅█");  // the last three, scaled to their own peak
  std::vector<std::uint64_t> many(100, 5);
  CHECK(uc::format_sparkline(many, 40) == [] {
    std::string s;
    for (int i = 0; i < 40; ++i) s += "█";
    return s;
  }());
}

TEST_CASE("tui: the progress block", "[tui]") {
  const uc::load_progress progress{3.4, 10.0, 440'760, 62'914'560, 0};
  const std::vector<std::uint64_t> rps{140000, 150000, 146920};

  SECTION("plain") {
    const std::string text = uc::format_tui_progress(progress, rps, false);
    CHECK_FALSE(has_escape(text));
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == static_cast<std::size_t>(uc::tui_progress_lines));
    CHECK(count_of(text, "\n") == static_cast<std::size_t>(uc::tui_progress_lines));
    CHECK(count_of(lines[0], "█") == 13);  // 34% of 40
    CHECK(count_of(lines[0], "░") == 27);
    CHECK(lines[0].find("  34%   3s / 10s") != std::string::npos);
    CHECK(lines[1] == "  146.92K req/s  │  440.76K responses  │  17.65MB/s");
    CHECK(lines[2].rfind("  Req/s ▇█▇ ", 0) == 0);
    CHECK(lines[2].find("peak 150.00K") != std::string::npos);
    CHECK(lines[3].empty());
  }
  SECTION("coloured") {
    const std::string text = uc::format_tui_progress(progress, rps, true);
    CHECK(has_escape(text));
    CHECK(text.find("\033[36m146.92K\033[0m req/s") != std::string::npos);
    CHECK(lines_of(text).size() == static_cast<std::size_t>(uc::tui_progress_lines));
    // The same text once the codes are gone.
    const auto plain = lines_of(uc::format_tui_progress(progress, rps, false));
    const auto coloured = lines_of(text);
    for (std::size_t i = 0; i < plain.size(); ++i) CHECK(visible_width(coloured[i]) == visible_width(plain[i]));
  }
  SECTION("errors, warm-up, the end, no data yet") {
    uc::load_progress p = progress;
    p.errors = 3;
    CHECK(uc::format_tui_progress(p, rps, false).find("│  3 errors\n") != std::string::npos);
    p.elapsed_sec = -0.05;
    const std::string warming = uc::format_tui_progress(p, {}, false);
    CHECK(warming.find("   0%   warming up\n") != std::string::npos);
    CHECK(count_of(warming, "█") == 0);
    CHECK(lines_of(warming)[2] == "  Req/s");
    p.elapsed_sec = 10.02;
    const std::string done = uc::format_tui_progress(p, rps, false);
    CHECK(count_of(lines_of(done)[0], "█") == 40);
    CHECK(done.find(" 100%   10s / 10s") != std::string::npos);
    p.elapsed_sec = 0.0 / 0.0;
    CHECK(count_of(uc::format_tui_progress(p, rps, false), "█") == 0 + 1);  // the sparkline's peak only
    p.duration_sec = 0.5;
    p.elapsed_sec = 0.25;
    CHECK(uc::format_tui_progress(p, {}, false).find("  50%   0s / 0.5s") != std::string::npos);
  }
  CHECK(uc::tui_progress_rewind() == "\033[4A\033[J");
}

TEST_CASE("the histogram has exactly -b bars, plus a tail row when samples lie beyond", "[tui]") {
  const uc::load_results r = results();
  for (int bars : {1, 5, 10, 37, 100}) {
    INFO(bars);
    const std::string text = uc::format_tui_histogram(r.latency, bars, false);
    CHECK(count_of(text, "    < ") == static_cast<std::size_t>(bars));
    CHECK(count_of(text, "    ≥ ") <= 1);
    CHECK_FALSE(has_escape(text));
    // Every row's share is printed; together they make 100%.
    double total = 0;
    for (const std::string& line : lines_of(text)) total += std::stod(line.substr(line.rfind(' ') + 1));
    CHECK(total == Approx(100.0).margin(0.01 * (bars + 1)));
  }
  CHECK(count_of(uc::format_tui_histogram(r.latency, 0, false), "    < ") == 1);     // clamped up
  CHECK(count_of(uc::format_tui_histogram(r.latency, 500, false), "    < ") == 100);  // clamped down
  CHECK(uc::format_tui_histogram(uc::latency_histogram(), 10, false) == "    no latency samples\n");

  // All alike: one full bar; the others empty.
  uc::latency_histogram same;
  same.record_us(250, 1000);
  const auto rows = lines_of(uc::format_tui_histogram(same, 4, false));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == "    <    251us  ██████████████████████████████  100.00%");
  CHECK(rows[1] == "    <    252us                                    0.00%");

  // Samples above p99.9 (here: overflow) land in the "≥" row.
  uc::latency_histogram tail;
  tail.record_us(100, 9999);
  tail.record_us(7'000'000, 1);
  const std::string tailed = uc::format_tui_histogram(tail, 2, false);
  CHECK(count_of(tailed, "    < ") == 2);
  CHECK(tailed.find("    ≥    102us  ▏                                 0.01%\n") != std::string::npos);

  const std::string coloured = uc::format_tui_histogram(r.latency, 10, true);
  CHECK(has_escape(coloured));
  CHECK(count_of(coloured, "    < ") == 10);
}

TEST_CASE("tui: the final screen", "[tui]") {
  const uc::load_config c = config();
  const uc::load_results r = results();
  const auto runs = history(12);

  SECTION("plain: no escape codes at all, box drawing, every section") {
    const std::string text = uc::format_tui_results(c, r, runs, false, 10);
    CHECK_FALSE(has_escape(text));
    for (const char* piece : {"╭", "╮", "╰", "╯", "│", "├", "┼", "┤", "Latency", "Throughput", "Status Codes",
                              "Latency Distribution", "Run History (12 runs)", "Req/s", "Avg Latency", "146.96K",
                              "20.88MB/s", "734.78K req / 734.78K resp in 5.00s", "734780", "Latency samples: 10000"})
      CHECK(text.find(piece) != std::string::npos);
    CHECK(count_of(text, "    < ") == 10);
    CHECK(text.find("WARNING") == std::string::npos);
    // Box rows line up: every line of a table is as wide as its top border.
    const auto lines = lines_of(text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].find("╭") == std::string::npos) continue;
      const std::size_t width = visible_width(lines[i]);
      for (std::size_t j = i + 1; j < lines.size(); ++j) {
        CHECK(visible_width(lines[j]) == width);
        if (lines[j].find("╰") != std::string::npos) break;
      }
    }
  }
  SECTION("coloured: cyan percentiles, p99 yellow, p99.9 red, the current run green") {
    const std::string text = uc::format_tui_results(c, r, runs, true, 10);
    CHECK(has_escape(text));
    const std::string p50 = uc::format_latency(r.latency.quantile_us(0.5));
    const std::string p99 = uc::format_latency(r.latency.quantile_us(0.99));
    const std::string p999 = uc::format_latency(r.latency.quantile_us(0.999));
    CHECK(text.find("\033[36m " + std::string(8 - p50.size(), ' ') + p50 + " \033[0m") != std::string::npos);
    CHECK(text.find("\033[33m " + std::string(8 - p99.size(), ' ') + p99 + " \033[0m") != std::string::npos);
    CHECK(text.find("\033[31m " + std::string(8 - p999.size(), ' ') + p999 + " \033[0m") != std::string::npos);
    // The TTFB row is coloured the same way.
    const std::string ttfb_p99 = uc::format_latency(r.ttfb.quantile_us(0.99));
    CHECK(text.find("\033[33m " + std::string(8 - ttfb_p99.size(), ' ') + ttfb_p99 + " \033[0m") != std::string::npos);
    CHECK(text.find("\033[1m TTFB     \033[0m") != std::string::npos);
    CHECK(text.find("\033[32m███████\033[0m") != std::string::npos);  // the current run's bars
    CHECK(text.find("\033[36m███████\033[0m") != std::string::npos);  // older req/s bars
    CHECK(text.find("\033[33m███████\033[0m") != std::string::npos);  // older latency bars
  }
  SECTION("history charts: the last 10 runs, the current one marked; none without a previous run") {
    const std::string text = uc::format_tui_history(runs, false);
    CHECK(count_of(text, "now") == 2);  // one per chart
    CHECK(count_of(text, " -9") == 2);
    CHECK(count_of(text, "-10") == 0);
    CHECK(text.find("111.00K") != std::string::npos);  // the current run's req/s label
    CHECK(text.find("102.00K") != std::string::npos);  // the oldest shown
    CHECK(text.find("101.00K") == std::string::npos);  // run 1 is beyond the last 10
    CHECK(text.find("▒▒▒▒▒▒▒") != std::string::npos);  // older runs shaded when there is no colour
    CHECK(text.find("███████") != std::string::npos);  // the current run solid
    CHECK(uc::format_tui_history(history(1), false).empty());
    CHECK(uc::format_tui_history({}, false).empty());
    CHECK(uc::format_tui_results(c, r, {}, false, 10).find("Run History") == std::string::npos);
    const std::string two = uc::format_tui_history(history(2), false);
    CHECK(two.find("Run History (2 runs)") != std::string::npos);
    CHECK(count_of(two, " -1") == 2);
  }
  SECTION("identical runs still draw") {
    auto same = history(3);
    for (auto& run : same) run.rps = 5000, run.latency_avg_us = 0;
    const std::string text = uc::format_tui_history(same, false);
    CHECK(count_of(text, "now") == 2);
    CHECK(text.find("5.00K") != std::string::npos);
    same[0].rps = 0.0 / 0.0;  // what a damaged foreign file could hold
    same[1].rps = 1e300;
    CHECK(count_of(uc::format_tui_history(same, false), "now") == 2);
  }
}

TEST_CASE("tui: a table grows to fit a long cell", "[tui]") {
  uc::load_results r = results();
  r.requests = r.responses = 9'999'999'999'999;
  r.elapsed_sec = 123456.78;
  const auto lines = lines_of(uc::format_tui_results(config(), r, {}, false, 10));
  bool seen_total = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("Total") == std::string::npos) continue;
    seen_total = true;
    CHECK(lines[i].find("10000000.00M req / 10000000.00M resp in 123456.78s │") != std::string::npos);
    CHECK(visible_width(lines[i]) == visible_width(lines[i - 1]));
    CHECK(visible_width(lines[i]) == visible_width(lines[i + 1]));
  }
  CHECK(seen_total);
}

TEST_CASE("tui: the final screen's conditional parts", "[tui]") {
  uc::load_config c = config();
  uc::load_results r = results();
  r.status.s2xx = 734000;
  r.status.s5xx = 700;
  r.status.other = 80;
  r.reconnects = 9;
  r.errors = {1, 2, 3, {}};
  r.interrupted = true;
  r.latency.record_us(6'000'000, 2);
  c.raw_files = {"a", "b"};
  c.per_template_latency = true;
  r.per_template.resize(2);
  r.per_template[0].responses = 10;
  r.per_template[0].status.s2xx = 9;
  r.per_template[0].latency.record_us(120, 10);
  r.per_template[1].responses = 11;
  r.per_template[1].status.s2xx = 11;
  r.per_template[1].latency.record_us(220, 11);

  const std::string text = uc::format_tui_results(c, r, {}, false, 10);
  for (const char* piece : {"other", "Latency overflow (>5s): 2", "Reconnects: 9", "Errors: connect 1, read 2, timeout 3",
                            "Interrupted: measured 5.00s of 5s", "Per-template: 10, 11", "Per-template-ok: 9, 11",
                            "Per-Template Latency", "#0", "#1", "120us", "220us",
                            "WARNING: 780/734780 responses (0.1%) had unexpected status (expected 2xx)"})
    CHECK(text.find(piece) != std::string::npos);
  CHECK(count_of(text, "    ≥ ") == 1);  // the overflow samples
  const std::string coloured = uc::format_tui_results(c, r, {}, true, 10);
  CHECK(coloured.find("\033[1;31mWARNING\033[0m") != std::string::npos);

  c.websocket = true;
  r.ws_upgrades = 64;
  r.ws_frames = 734700;
  const std::string ws = uc::format_tui_results(c, r, {}, false, 10);
  CHECK(ws.find("WebSocket") != std::string::npos);
  CHECK(ws.find("Upgrades") != std::string::npos);
  CHECK(ws.find("734700") != std::string::npos);
  CHECK(ws.find("Status Codes") == std::string::npos);
  CHECK(ws.find("734.78K sent / 734.78K received in 5.00s") != std::string::npos);
}

// The cells of the table row whose first cell is `name` (trimmed), or {} when there is none.
std::vector<std::string> table_row(const std::string& text, const std::string& name) {
  for (const std::string& line : lines_of(text)) {
    std::vector<std::string> cells;
    for (std::size_t at = line.find("│"); at != std::string::npos;) {
      const std::size_t next = line.find("│", at + 1);
      if (next == std::string::npos) break;
      std::string cell = line.substr(at + std::string("│").size(), next - at - std::string("│").size());
      const auto first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
      cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
      at = next;
    }
    if (!cells.empty() && cells[0] == name) return cells;
  }
  return {};
}

TEST_CASE("tui: the latency table has a TTFB row; min/max/stddev below", "[tui]") {
  const uc::load_results r = results();
  const std::string text = uc::format_tui_results(config(), r, {}, false, 10);
  for (const auto& [name, h] : {std::pair<std::string, const uc::latency_histogram*>{"Latency", &r.latency},
                                std::pair<std::string, const uc::latency_histogram*>{"TTFB", &r.ttfb}}) {
    INFO(name);
    CHECK(table_row(text, name) == std::vector<std::string>{name, uc::format_latency(uc::average_latency_us(*h)),
                                                            uc::format_latency(h->quantile_us(0.5)),
                                                            uc::format_latency(h->quantile_us(0.9)),
                                                            uc::format_latency(h->quantile_us(0.99)),
                                                            uc::format_latency(h->quantile_us(0.999))});
  }
  CHECK(table_row(text, "") == std::vector<std::string>{"", "Avg", "p50", "p90", "p99", "p99.9"});
  CHECK(text.find("  Latency min/max/stddev: 300us / 4.60ms / " +
                  uc::format_latency(uc::truncate_to_u64(r.latency.stddev_us() + 0.5)) + "\n") != std::string::npos);
  CHECK(text.find("Percentile") == std::string::npos);  // none asked for
  // No samples, no min/max/stddev line.
  uc::load_results empty = results();
  empty.latency = uc::latency_histogram();
  CHECK(uc::format_tui_results(config(), empty, {}, false, 10).find("min/max/stddev") == std::string::npos);
}

TEST_CASE("tui: --percentiles adds a table, one row per percentile", "[tui]") {
  uc::load_config c = config();
  c.percentiles = {50, 99.99, 99.999999, 100};
  const uc::load_results r = results();
  const std::string text = uc::format_tui_results(c, r, {}, false, 10);
  CHECK(text.find("  Percentiles\n") != std::string::npos);
  CHECK(table_row(text, "Percentile") == std::vector<std::string>{"Percentile", "Latency", "TTFB"});
  const std::vector<std::pair<std::string, double>> expected{{"p50", 0.5}, {"p99.99", 0.9999}, {"p99.999999", 0.99999999},
                                                             {"p100", 1.0}};
  for (const auto& [label, q] : expected) {
    INFO(label);
    CHECK(table_row(text, label) == std::vector<std::string>{label, uc::format_latency(r.latency.quantile_us(q)),
                                                             uc::format_latency(r.ttfb.quantile_us(q))});
  }
  // Every table, this one included, stays a clean box.
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("╭") == std::string::npos) continue;
    const std::size_t width = visible_width(lines[i]);
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      CHECK(visible_width(lines[j]) == width);
      if (lines[j].find("╰") != std::string::npos) break;
    }
  }
  // It comes right after the latency table.
  CHECK(text.find("  Latency\n") < text.find("  Percentiles\n"));
  CHECK(text.find("  Percentiles\n") < text.find("  Throughput\n"));
}

namespace {

// Every box in `text` is as wide on every line as its top border.
void check_boxes_line_up(const std::string& text) {
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("╭") == std::string::npos) continue;
    const std::size_t width = visible_width(lines[i]);
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      INFO(lines[j]);
      CHECK(visible_width(lines[j]) == width);
      if (lines[j].find("╰") != std::string::npos) break;
    }
  }
}

}  // namespace

TEST_CASE("tui: a clean closed-loop run shows none of the finer facts", "[tui]") {
  uc::load_results r = results();
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 734780;
  for (std::uint64_t i = 0; i < 100; ++i) r.service_time.record_us(100);  // recorded, but closed loop
  const std::string text = uc::format_tui_results(config(), r, {}, false, 10);
  for (const char* absent : {"Service", "Rate", "Code ", "Errors", "Class", "WARNING"}) {
    INFO(absent);
    CHECK(text.find(absent) == std::string::npos);
  }
}

TEST_CASE("tui: status codes, error classes and the open loop in the tables", "[tui]") {
  uc::load_config c = config();
  c.rate = 200000;
  uc::load_results r = results();  // 734 780 sent in 5 s: 146 956 req/s, short of 200 000
  r.status.s2xx = 734000;
  r.status.s4xx = 700;
  r.status.s5xx = 80;
  r.status_codes.assign(1000, 0);
  r.status_codes[200] = 733000;
  r.status_codes[204] = 1000;
  r.status_codes[404] = 700;
  r.status_codes[503] = 80;
  r.errors = {3, 4, 2, {}};
  r.errors.classes.connect_refused = 2;
  r.errors.classes.connect_timeout = 1;
  r.errors.classes.reset = 3;
  r.errors.classes.unexpected_close = 1;
  r.errors.classes.read_timeout = 2;
  for (std::uint64_t i = 0; i < 1000; ++i) r.service_time.record_us(50 + i % 10);

  const std::string text = uc::format_tui_results(c, r, {}, false, 10);
  CHECK_FALSE(has_escape(text));
  // The latency table: the service time under the corrected latency.
  const uc::latency_histogram& st = r.service_time;
  CHECK(table_row(text, "Service") == std::vector<std::string>{"Service", uc::format_latency(uc::average_latency_us(st)),
                                                               uc::format_latency(st.quantile_us(0.5)),
                                                               uc::format_latency(st.quantile_us(0.9)),
                                                               uc::format_latency(st.quantile_us(0.99)),
                                                               uc::format_latency(st.quantile_us(0.999))});
  CHECK(text.find("│ TTFB ") < text.find("│ Service "));
  // The throughput table: asked and sent.
  CHECK(table_row(text, "Rate") == std::vector<std::string>{"Rate", "asked 200000 req/s, sent 146956.00 req/s"});
  // Responses per code, ascending, under the classes.
  CHECK(table_row(text, "Code") == std::vector<std::string>{"Code", "Responses"});
  CHECK(table_row(text, "200") == std::vector<std::string>{"200", "733000"});
  CHECK(table_row(text, "204") == std::vector<std::string>{"204", "1000"});
  CHECK(table_row(text, "404") == std::vector<std::string>{"404", "700"});
  CHECK(table_row(text, "503") == std::vector<std::string>{"503", "80"});
  CHECK(text.find("│   200    │") < text.find("│   503    │"));
  CHECK(text.find("Status Codes") < text.find("│ Code "));
  // The errors by class, non-zero only, in error_classes' order.
  CHECK(text.find("  Errors\n") != std::string::npos);
  CHECK(table_row(text, "Class") == std::vector<std::string>{"Class", "Count"});
  CHECK(table_row(text, "refused") == std::vector<std::string>{"refused", "2"});
  CHECK(table_row(text, "connect timeout") == std::vector<std::string>{"connect timeout", "1"});
  CHECK(table_row(text, "reset") == std::vector<std::string>{"reset", "3"});
  CHECK(table_row(text, "unexpected close") == std::vector<std::string>{"unexpected close", "1"});
  CHECK(table_row(text, "read timeout") == std::vector<std::string>{"read timeout", "2"});
  CHECK(table_row(text, "parse error").empty());
  CHECK(table_row(text, "read other").empty());
  CHECK(text.find("│ refused ") < text.find("│ read timeout "));
  CHECK(text.find("Errors: connect 3, read 4, timeout 2") != std::string::npos);  // the counter line stays
  // Both warnings, the rate first.
  const auto rate_warning = text.find("WARNING: the target rate was not reached (sent 146956.00 of 200000 req/s)");
  const auto status_warning = text.find("WARNING: 780/734780 responses");
  CHECK(rate_warning != std::string::npos);
  CHECK(status_warning != std::string::npos);
  CHECK(rate_warning < status_warning);
  check_boxes_line_up(text);

  // Coloured: the short rate in yellow, the error counts red, codes by class.
  const std::string coloured = uc::format_tui_results(c, r, {}, true, 10);
  CHECK(coloured.find("\033[33m asked 200000 req/s") != std::string::npos);
  CHECK(coloured.find("\033[32m   200    \033[0m") != std::string::npos);
  CHECK(coloured.find("\033[31m   503    \033[0m") != std::string::npos);
  CHECK(coloured.find("\033[1;31mWARNING\033[0m\033[31m: the target rate") != std::string::npos);
  check_boxes_line_up(coloured);

  // The rate reached: no warning, no yellow; closed loop: no Rate or Service rows.
  c.rate = 140000;
  const std::string reached = uc::format_tui_results(c, r, {}, true, 10);
  CHECK(reached.find("the target rate") == std::string::npos);
  CHECK(reached.find("\033[33m asked") == std::string::npos);
  c.rate = 0;
  const std::string closed = uc::format_tui_results(c, r, {}, false, 10);
  CHECK(table_row(closed, "Rate").empty());
  CHECK(table_row(closed, "Service").empty());
  CHECK(table_row(closed, "Code").size() == 2);  // the codes and classes do not depend on the loop
  CHECK(table_row(closed, "Class").size() == 2);
}
