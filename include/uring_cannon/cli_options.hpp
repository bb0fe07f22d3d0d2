#pragma once
// ucannon's command line: gcannon's flags with gcannon's defaults and parsing rules, and its
// number-reading defects fixed. parse_cli() only reads words; it touches no file and no network
// (the URL, the raw files and the history are the caller's business), so it is cheap to test.
//
// The rules, gcannon's unless marked "ucannon":
//  * Arguments come in any order. A word that does not start with '-' is the URL; the last wins.
//  * A value flag takes the next word even when it starts with '-' (`-c -5` reads "-5" and
//    rejects it). ucannon: a long flag also takes `--flag=value`.
//  * An unknown flag, or neither a URL nor --raw: the usage line on stderr, exit 1.
//    `--recv-buf` below 512: `Error: --recv-buf must be at least 512`, exit 1.
//  * `-p` above 64 is silently capped at 64; ucannon caps `-b` above 100 at 100 the same way.
//  * `--clear-history`, `--help` and `--version` act where they stand: the words after them are
//    not read (gcannon clears its history the moment it reads the flag).
//  * ucannon: every number is validated. gcannon read them with atoi, so `-c abc` meant 0, `-t 0`
//    divided by zero, `-p 0` corrupted the heap and `-d 500ms` meant 500 s. Here a value that is
//    not a whole number in range, a negative number, an unknown duration unit or a missing value
//    is an `Error: ...` naming the flag and the value, exit 2.
//  * ucannon: a duration (-d, --timeout, --warmup, --connect-timeout) is a number with an optional
//    unit, ms, s (the default), m or h; s, m and h take a decimal part (`1.5s`, `0.5m`, `2.5h`)
//    as long as it comes to whole milliseconds (`1.0005s` is refused); ms stays whole.
//  * ucannon: `--rate N` (open loop, load_config::rate) is a plain decimal above 0 and at most
//    max_rate, `50000` or `12.5`: digits, optionally a point and more digits, no sign, no exponent.
//  * ucannon: `-c` below `-t` is an error (exit 2) rather than a silent clamp: every thread needs
//    at least one connection, and quietly running fewer threads than asked would skew a benchmark.
//  * ucannon: `--json` wins over `--tui` (gcannon drew its progress bar into the JSON stream).
//  * ucannon: `--percentiles 50,90,99.9` fills load_config::percentiles: a comma list of at most
//    20 plain decimals (digits, optionally a point and more digits; no sign, no exponent, no
//    empty item), each above 0 and at most 100, exit 2 otherwise. A repeat of an earlier value
//    ("99.9,99.90") is dropped; the last --percentiles wins. The reports key them by
//    percentile_label() (load_text_report.hpp): the text as typed, less superfluous zeros.
//  * ucannon: `--bind LIST` fills load_config::source_addresses (parse_source_addresses()): a
//    comma list of IPv4 or IPv6 addresses and IPv4 ranges `A.B.C.D-A.B.C.E` (same first three
//    octets, D <= E), at most max_source_addresses in all, none twice; exit 2 otherwise.
//  * ucannon: `--latency-out FILE` and `--histogram-out FILE` name files written after the run
//    (latency_export.hpp, run_file.hpp); parse_cli() only records the names.
//  * ucannon: `ucannon merge FILE... [--json] [--latency] [--histogram] [--latency-out FILE]
//    [--histogram-out FILE]`: when the first word is `merge`, the rest are run files to merge
//    (cli_options::merge). No file, or another flag: the merge usage line, exit 1.
//  * ucannon: `-n N` stops after exactly N responses; without -d the run may take up to a day.
//    `--ramp D` opens the connections evenly over D (closed loop) or grows the --rate from 0
//    over D. `--rate` also takes a schedule (parse_rate_schedule()). -n, --ramp and schedules
//    measure from the first request: with them an explicit --warmup is an error (exit 2).
//  * ucannon: `--assert EXPR` (load_thresholds.hpp), as many as wanted; a bad one exits 2.
//  * ucannon: `--interval D` prints a line per interval as the run goes; `--json-lines` makes those
//    lines JSON (an interval of 1s unless --interval says otherwise) and the final report one
//    JSON line too. `--report FILE` writes an HTML report after the run (load_html_report.hpp).

#include <uring_cannon/detail/ascii.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_thresholds.hpp>
#include <uring_cannon/or_error.hpp>
#include <uring_cannon/version.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace uring_cannon {

/// Everything the ucannon command line asks for.
struct cli_options {
  load_config config;          ///< the run itself (url, raw_files, -c -t -d -p -r -s, ...)
  bool json = false;           ///< --json (clears tui)
  bool tui = false;            ///< --tui
  bool clear_history = false;  ///< --clear-history: clear, print "Run history cleared.", exit 0
  bool help = false;           ///< --help / -h: print cli_help() on stdout, exit 0
  bool version = false;        ///< --version / -V: print cli_version() on stdout, exit 0
  int buckets = 10;            ///< -b / --buckets: TUI histogram bars, 1..max_buckets
  bool latency_details = false;  ///< --latency: TTFB row and min/max/stddev in the text report
  bool histogram = false;      ///< --histogram: the latency buckets in --json
  std::string latency_out;     ///< --latency-out FILE: HdrHistogram percentile text after the run
  std::string histogram_out;   ///< --histogram-out FILE: the run file (run_file.hpp) after the run
  std::string report;          ///< --report FILE: the HTML report after the run (or the merge)
  std::vector<threshold> thresholds;  ///< --assert, in the order given
  bool json_lines = false;     ///< --json-lines: interval lines and the final report as JSON lines
  bool merge = false;          ///< `ucannon merge ...`: merge merge_files instead of running
  std::vector<std::string> merge_files;  ///< the run files to merge, in the order given

  static constexpr int max_buckets = 100;
  static constexpr std::size_t max_percentiles = 20;  ///< entries in one --percentiles list
  static constexpr unsigned max_connections = 1'000'000;
  static constexpr unsigned max_threads = 1024;
  static constexpr std::uint32_t max_recv_buffer_size = 1u << 20;  ///< the count then shrinks to fit 64 MiB
  static constexpr double max_rate = 1e9;  ///< --rate, requests per second in all
  static constexpr std::size_t max_source_addresses = 4096;  ///< --bind, after ranges expand
};

/// Exit statuses of the command line itself. A finished run exits 0, or as run_exit_code() says
/// (load_thresholds.hpp): 1 unexpected statuses, 3 a failed --assert, 4 no response at all.
inline constexpr int cli_exit_usage = 1;      ///< gcannon's: unknown flag, no target, --recv-buf < 512
inline constexpr int cli_exit_bad_value = 2;  ///< ucannon's: a flag's value is invalid

/// parse_cli()'s answer: options to run with, or a message for stderr and an exit status.
struct cli_result {
  cli_options options;   ///< meaningful when ok()
  std::string message;   ///< for stderr, newline-terminated; empty when ok()
  int exit_code = 0;     ///< cli_exit_usage or cli_exit_bad_value when !ok()

  bool ok() const noexcept { return message.empty(); }
};

/// `ucannon <version>\n`.
inline std::string cli_version() { return std::string("ucannon ") + version_string + "\n"; }

/// The one-line usage that an unknown flag or a missing target prints to stderr.
inline std::string cli_usage() {
  return "Usage: ucannon <url> -c <conns> -t <threads> -d <duration> [-p <pipeline>] [-r <req/conn>] "
         "[-s <status>] [-R|--raw file1,file2,...] [--ws [--ws-msg <message>]] [--tui] [--json] "
         "[-b <buckets>] [--recv-buf <bytes>] [--cqe-latency] [--per-tpl-latency] [--timeout <duration>] "
         "[--connect-timeout <duration>] [--rate <req/s>] [--warmup <duration>] [--percentiles <list>] [--latency] [--histogram] "
         "[--bind <addresses>] [--latency-out <file>] [--histogram-out <file>] [-n <responses>] [--ramp <duration>] "
         "[--assert <expr>] [--interval <duration>] [--json-lines] [--report <file>] [--insecure] [--cacert <file>] [--batch-refill] "
         "[--clear-history] [--help] "
         "[--version]\n";
}

/// The --help text: every flag, its default, the duration syntax and the exit statuses.
inline std::string cli_help() {
  std::string text = std::string("ucannon ") + version_string +
                     " - io_uring HTTP/1.1 and WebSocket load generator, a drop-in for gcannon\n\n";
  text += R"(Usage: ucannon <url> [options]
       ucannon -R file1,file2,... [options]

Target
  <url>                 http://host[:port][/path], or https:// (TLS; port 443 by default);
                        the last word not starting with '-' wins
  -k, --insecure        https: skip the certificate and host name checks
  --cacert FILE         https: trust the CA certificates in FILE (PEM)      the system's
  -R, --raw F1,F2,...   raw request files, each sent byte for byte (pipelined -p times);
                        connections rotate through them on reconnect. Placeholders:
                        {RAND:min:max} and {SEQ:start}. Without <url>, host and port come from
                        the first file's Host header

Load                                                                      default
  -c N                  total connections, split evenly over the threads    100
  -t N                  worker threads, one io_uring each (at most -c)      1
  -d D                  duration of the measurement                         10s
  -p N                  pipeline depth; above 64 is capped at 64            1
  --batch-refill        closed loop: send the next -p requests only when    off
                        all are answered (wrk's way), instead of replacing
                        each answer at once (gcannon's)
  -r N                  responses per connection, then it is reopened;      0 (keep-alive)
                        0 = never
  -s CODE               expected status; only its class (2xx..5xx) counts   200
  --ws                  WebSocket echo mode: upgrade, then text frames      off
  --ws-msg TEXT         WebSocket payload; implies --ws                     hello
  --recv-buf BYTES      size of each receive buffer, 512..1048576           auto
                        (auto: 2 buffers per connection, 64..4096 a thread,
                        each 4 KiB..64 KiB as a 16 MiB ring allows)
  --rate N              open loop: N requests per second in all, evenly     off
                        spaced over the connections (decimals allowed, e.g.
                        50000 or 12.5; without it, gcannon's closed loop).
                        Latency is then measured from each request's
                        intended send time, so a stalled server shows in it
                        (coordinated omission corrected, as wrk2 does); the
                        report adds the service time (from the actual send)
                        and the rate reached, with a warning below 98%
                        A schedule moves the rate first: A:B:D goes from A
                        to B req/s linearly over D, R@D holds R for D; items
                        run in order, comma-separated, and a last plain R is
                        held after them (else the last item's end rate), e.g.
                        1000:20000:30s or 1000@10s,2000@10s,4000
  --ramp D              grow the load from zero over D: the connections     off
                        open evenly over D (closed loop), or the --rate
                        rises linearly from 0 over D. The report gives the
                        part after the ramp on its own
  -n N                  stop after exactly N responses (-d, if given, is    off
                        a cap; without it, a day)
  --timeout D           a response not complete D after its request: a      0 (off)
                        timeout error, and the connection is reopened
  --connect-timeout D   a connect not done in D: a connect timeout error    0 (the kernel's)
  --warmup D            excluded from every count and histogram; 0 = none   100ms
                        (none with -n, --ramp or a rate schedule, which
                        measure from the first request)
  --cqe-latency         stop the latency clock when the completion          off
                        arrives, before parsing
  --per-tpl-latency     a latency histogram per raw template                off
  --bind LIST           local addresses to spread the connections over,    the kernel's
                        e.g. 10.0.0.2,10.0.0.3 or 127.0.0.1-127.0.0.16
                        (IPv4 ranges vary the last octet; IPv6 addresses in
                        the list; at most 4096), so one process can hold
                        more connections than one address's ephemeral ports

Output
  (default)             gcannon's text report
  --json                one JSON object on stdout, nothing else; wins over --tui
  --tui                 live progress bar and req/s sparkline, then result tables, the latency
                        histogram and run-history charts. Colour only on a terminal; NO_COLOR
                        (set and non-empty) or TERM=dumb turn it off
  -b, --buckets N       histogram bars in --tui, 1..100 (more: 100)         10
  --percentiles LIST    extra percentiles, e.g. 50,90,99.9,99.99 (at most   none
                        20, each above 0 and at most 100): a table of
                        latency and time to first byte (TTFB) after the text
                        report and in --tui; "percentiles_us" (and
                        "ttfb_percentiles_us") in --json, keyed as written
  --latency             text report: a TTFB row under the latency row and   off
                        a line of latency min/max/stddev (without it the
                        text is gcannon's; --json and --tui always have them)
  --histogram           --json: "histogram_us", the non-empty latency       off
                        buckets as [lower_us, count] (they sum to samples)
  --latency-out FILE    after the run, write the latency distribution to
                        FILE in HdrHistogram's percentile text (milliseconds)
  --histogram-out FILE  after the run, write FILE: the whole run, exact (its
                        histograms and every count), for `ucannon merge`
  --interval D          print a line per interval D as the run goes         off
                        (requests/s, p50, p99, errors of that interval)
  --json-lines          --json as JSON lines: one object per interval (1s
                        unless --interval), then the final report as one line
  --report FILE         after the run, write FILE: a self-contained HTML
                        report with plots (opens offline)
  --assert EXPR         a threshold the run must meet, else exit 3; as many
                        as wanted: pN<D (p99<5ms, p99.9<=20ms), mean<D,
                        max<D (D in us, ms or s), rps>N, errors<N or
                        errors<P% (of responses + errors), unexpected<N or
                        unexpected<P% (responses of an unexpected status
                        class, of all responses); ops < <= > >=
  --clear-history       delete the run history (~/.ucannon/history.bin) and exit
  -h, --help            print this help and exit
  -V, --version         print the version and exit

Fleet runs
  ucannon merge FILE... [--json] [--latency] [--histogram] [--latency-out F] [--histogram-out F]
                [--report F] [--assert EXPR]...
                        merge the --histogram-out files of runs made at the same time on
                        several machines into one report (text, or --json): histograms merged
                        bucket by bucket, counts summed, elapsed the longest run's,
                        connections, threads and --rate summed. Runs of different modes
                        (HTTP, WebSocket) or expected status classes do not merge (exit 1)

Numbers and durations
  Value flags take the next word even when it starts with '-'; long flags also accept
  --flag=value. Numbers are whole and non-negative (--rate and --percentiles also take a
  decimal point). A duration is a number with an optional unit: ms, s (the default), m or h,
  e.g. 5, 5s, 1.5s, 500ms, 0.5m, 2m, 1h; s, m and h take decimals down to whole milliseconds,
  ms is whole. gcannon read these with atoi (so "-c abc" meant 0 and "-d 500ms" meant 500 s);
  ucannon rejects them instead.

Exit status (when several apply, the first in this order: 4, 3, 1)
  0  the run finished, every response had the expected status class, every --assert held
  1  some response had an unexpected status class; or an unknown flag, no <url> and no --raw,
     --recv-buf below 512, a URL that is not http:// or https://, an unresolvable host or an unreadable file
  2  an invalid value: not a whole number, out of range (-c/-t/-p/-b below 1, -s outside
     100..599, -d 0, --rate 0, ...), an unknown duration unit, a missing value, a bad
     --percentiles list, a bad --bind list, a bad --assert or rate schedule, --warmup with -n,
     --ramp or a schedule, or -c below -t (each thread needs a connection)
  3  an --assert threshold failed (the report says which)
  4  no response completed: every connection failed, or the server answered nothing
)";
  return text;
}

namespace detail {

inline constexpr std::uint64_t cli_max_duration_ms = 8760ull * 3600 * 1000;  // a year: no overflow anywhere

// The value of `digits` (all decimal digits, at most 18 of them) as an integer.
constexpr std::uint64_t cli_digits_value(std::string_view digits) noexcept {
  std::uint64_t v = 0;
  for (char c : digits) v = v * 10 + std::uint64_t(c - '0');
  return v;
}

// "5", "5s", "1.5s", "500ms", "0.5m", "2m", "2.5h" (units case-insensitive, as gcannon's 'S' and
// 'M') -> ms. A decimal part must come to whole milliseconds, and ms takes none.
inline std::optional<std::uint64_t> cli_duration_ms(std::string_view text) noexcept {
  std::size_t digits = 0;
  while (digits < text.size() && is_digit(text[digits])) ++digits;
  std::string_view whole = text.substr(0, digits), fraction;
  std::size_t end = digits;
  if (end < text.size() && text[end] == '.') {
    std::size_t more = end + 1;
    while (more < text.size() && is_digit(text[more])) ++more;
    fraction = text.substr(end + 1, more - end - 1);
    if (fraction.empty()) return std::nullopt;  // "5." and "5.s": say what you mean
    end = more;
  }
  const std::string_view unit = text.substr(end);
  std::uint64_t scale = 0;
  if (unit.empty() || iequals(unit, "s")) scale = 1000;
  else if (iequals(unit, "ms")) scale = 1;
  else if (iequals(unit, "m")) scale = 60'000;
  else if (iequals(unit, "h")) scale = 3'600'000;
  else return std::nullopt;
  const auto value = parse_decimal(whole, cli_max_duration_ms / scale);
  if (!value) return std::nullopt;
  std::uint64_t ms = *value * scale;
  if (!fraction.empty()) {
    // Trailing zeros say nothing; what is left must be a whole number of milliseconds.
    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
    if (fraction.size() > 9) return std::nullopt;  // finer than 1 ms for every unit
    std::uint64_t denominator = 1;
    for (std::size_t i = 0; i < fraction.size(); ++i) denominator *= 10;
    const std::uint64_t numerator = cli_digits_value(fraction) * scale;  // < 10^9 * 3.6e6: no overflow
    if (numerator % denominator != 0) return std::nullopt;
    ms += numerator / denominator;
    if (ms > cli_max_duration_ms) return std::nullopt;
  }
  return ms;
}

// A plain decimal: digits, optionally a point and more digits, at most 16 characters (so at most
// 15 significant digits, which a double keeps exactly); no sign, no exponent, no spaces.
inline std::optional<double> cli_plain_decimal(std::string_view text) noexcept {
  if (text.empty() || text.size() > 16) return std::nullopt;
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  auto all_digits = [](std::string_view t) {
    if (t.empty()) return false;
    for (char c : t)
      if (!is_digit(c)) return false;
    return true;
  };
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction))) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// --rate: a plain decimal above 0 and at most max_rate.
inline std::optional<double> cli_rate(std::string_view text) noexcept {
  const auto rate = cli_plain_decimal(text);
  if (!rate || !(*rate > 0.0 && *rate <= cli_options::max_rate)) return std::nullopt;
  return rate;
}

// One --percentiles item: digits, optionally a point and more digits, at most 16 characters
// (so at most 15 significant digits, which a double keeps exactly), above 0 and at most 100.
inline std::optional<double> cli_percentile(std::string_view item) noexcept {
  const auto p = cli_plain_decimal(item);
  if (!p || !(*p > 0.0 && *p <= 100.0)) return std::nullopt;
  return p;
}

// "50,90,99.9" -> {50, 90, 99.9}, repeats dropped; nullopt for any bad item or too many.
inline std::optional<std::vector<double>> cli_percentile_list(std::string_view text) {
  std::vector<double> list;
  std::size_t items = 0;
  for (;;) {
    const auto comma = text.find(',');
    const auto p = cli_percentile(text.substr(0, comma));
    if (!p || ++items > cli_options::max_percentiles) return std::nullopt;
    bool repeat = false;
    for (double seen : list) repeat = repeat || seen == *p;
    if (!repeat) list.push_back(*p);
    if (comma == std::string_view::npos) return list;
    text.remove_prefix(comma + 1);
  }
}

inline std::string cli_value_error(std::string_view flag, std::string_view expects, std::string_view value) {
  return "Error: " + std::string(flag) + " expects " + std::string(expects) + ", got '" + std::string(value) +
         "'\n";
}

}  // namespace detail

/// Reads a duration as ucannon's -d, --timeout, --connect-timeout and --warmup do: a number with
/// an optional unit, ms, s (default), m or h, at most a year; s, m and h take a decimal part that
/// comes to whole milliseconds ("1.5s", "0.5m"), ms is whole. Zero is accepted (callers that need
/// more say so).
inline or_error<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto ms = detail::cli_duration_ms(text);
  if (!ms) {
    // Appended piece by piece: g++ 12 at -O3 misreads `"'" + std::string(...)` as an overlapping
    // memcpy (-Wrestrict, a known false positive).
    std::string message(1, '\'');
    message += text;
    message += "' is not a duration such as 10, 10s, 1.5s, 500ms, 2m or 1h";
    return or_error<std::chrono::milliseconds>::failure(std::move(message));
  }
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
}

namespace detail {

// An IPv4 address in dotted decimal, as 4 bytes; nullopt for anything else.
inline std::optional<in_addr> cli_ipv4(std::string_view text) {
  in_addr address{};
  if (text.empty() || text.size() > 15 || ::inet_pton(AF_INET, std::string(text).c_str(), &address) != 1)
    return std::nullopt;
  return address;
}

// An IPv6 address, bare or in brackets, in its canonical text form; nullopt for anything else.
inline std::optional<std::string> cli_ipv6(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  in6_addr address{};
  if (text.empty() || text.size() > 45 || ::inet_pton(AF_INET6, std::string(text).c_str(), &address) != 1)
    return std::nullopt;
  char canonical[INET6_ADDRSTRLEN];
  if (!::inet_ntop(AF_INET6, &address, canonical, sizeof canonical)) return std::nullopt;
  return std::string(canonical);
}

inline std::string cli_ipv4_text(in_addr address) {
  char text[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &address, text, sizeof text) ? std::string(text) : std::string();
}

}  // namespace detail

/// Reads --rate's value: a plain rate `50000` (no schedule), or a schedule of comma-separated
/// items run in order, `A:B:D` (linear from A to B req/s over D) and `R@D` (R req/s for D), with
/// an optional last plain `R` held afterwards (without it, the last item's end rate is held). Rates
/// are plain decimals, at most cli_options::max_rate; schedule rates may be 0, the held rate may
/// not. Durations as parse_duration(), above 0.
inline or_error<std::pair<double, std::vector<rate_step>>> parse_rate_schedule(std::string_view text) {
  using result = or_error<std::pair<double, std::vector<rate_step>>>;
  std::vector<rate_step> steps;
  std::optional<double> held;
  auto rate_of = [](std::string_view t) -> std::optional<double> {
    const auto r = detail::cli_plain_decimal(t);
    if (!r || *r > cli_options::max_rate) return std::nullopt;
    return r;
  };
  auto length_of = [](std::string_view t) -> std::optional<std::chrono::milliseconds> {
    const auto ms = detail::cli_duration_ms(t);
    if (!ms || *ms == 0) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
  };
  if (text.empty()) return result::failure("an empty rate");
  for (;;) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const bool last = comma == std::string_view::npos;
    const auto bad = [&](std::string why) { return result::failure("'" + std::string(item) + "': " + std::move(why)); };
    if (const auto at = item.find('@'); at != std::string_view::npos) {
      const auto r = rate_of(item.substr(0, at));
      const auto d = length_of(item.substr(at + 1));
      if (!r || !d) return bad("expected RATE@DURATION such as 2000@10s");
      steps.push_back({*r, *r, *d});
    } else if (const auto colon = item.find(':'); colon != std::string_view::npos) {
      const auto second = item.find(':', colon + 1);
      const auto from = rate_of(item.substr(0, colon));
      const auto to = second == std::string_view::npos ? std::nullopt : rate_of(item.substr(colon + 1, second - colon - 1));
      const auto d = second == std::string_view::npos ? std::nullopt : length_of(item.substr(second + 1));
      if (!from || !to || !d) return bad("expected FROM:TO:DURATION such as 1000:20000:30s");
      steps.push_back({*from, *to, *d});
    } else {
      const auto r = rate_of(item);
      if (!r || *r <= 0 || !last)
        return bad(last ? "expected a rate above 0 such as 50000 or 12.5"
                        : "a plain rate is only allowed last (the rate held after the schedule)");
      held = r;
    }
    if (last) break;
    text.remove_prefix(comma + 1);
  }
  const double rate = held ? *held : steps.back().to;
  if (rate <= 0) return result::failure("the rate held after the schedule must be above 0 (add a last plain rate)");
  return std::pair(rate, std::move(steps));
}

/// Reads --bind's value into load_config::source_addresses' form: a comma list whose items are
/// IPv4 addresses (`10.0.0.2`), IPv4 ranges over the last octet (`127.0.0.1-127.0.0.16`, both
/// ends included, same first three octets, low end first) and IPv6 addresses (`::1`, or `[::1]`),
/// in the order given, ranges expanded, each in its canonical text form. At most
/// cli_options::max_source_addresses addresses, none twice, no empty item; otherwise the message
/// says which item is wrong and why.
inline or_error<std::vector<std::string>> parse_source_addresses(std::string_view text) {
  using result = or_error<std::vector<std::string>>;
  std::vector<std::string> addresses;
  auto add = [&](std::string address, std::string_view item) -> std::string {
    for (const std::string& seen : addresses)
      if (seen == address) return "address " + address + " is listed twice (item '" + std::string(item) + "')";
    if (addresses.size() == cli_options::max_source_addresses)
      return "more than " + std::to_string(cli_options::max_source_addresses) + " addresses";
    addresses.push_back(std::move(address));
    return {};
  };
  if (text.empty()) return result::failure("an empty address list");
  for (;;) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    std::string problem;
    if (item.empty()) {
      problem = "an empty item in the list";
    } else if (const auto dash = item.find('-'); dash != std::string_view::npos) {
      const auto low = detail::cli_ipv4(item.substr(0, dash));
      const auto high = detail::cli_ipv4(item.substr(dash + 1));
      if (!low || !high) {
        problem = "'" + std::string(item) + "' is not a range such as 127.0.0.1-127.0.0.16";
      } else {
        const std::uint32_t from = ntohl(low->s_addr), to = ntohl(high->s_addr);
        if ((from >> 8) != (to >> 8))
          problem = "range '" + std::string(item) + "' must keep the first three octets (only the last one varies)";
        else if (from > to)
          problem = "range '" + std::string(item) + "' runs backwards";
        for (std::uint32_t a = from; problem.empty() && a <= to; ++a)
          problem = add(detail::cli_ipv4_text(in_addr{htonl(a)}), item);
      }
    } else if (const auto v4 = detail::cli_ipv4(item)) {
      problem = add(detail::cli_ipv4_text(*v4), item);
    } else if (auto v6 = detail::cli_ipv6(item)) {
      problem = add(std::move(*v6), item);
    } else {
      problem = "'" + std::string(item) + "' is not an IPv4 or IPv6 address";
    }
    if (!problem.empty()) return result::failure(std::move(problem));
    if (comma == std::string_view::npos) return addresses;
    text.remove_prefix(comma + 1);
  }
}

namespace detail {

// `ucannon merge FILE... [--json] [--latency] [--histogram] [--latency-out F] [--histogram-out F]`
// (argv[1] is "merge").
inline cli_result parse_merge_cli(int argc, const char* const* argv) {
  cli_result result;
  cli_options& o = result.options;
  o.merge = true;
  auto usage_error = [&](std::string why) {
    result.message = "Error: " + why + "\nUsage: ucannon merge <run-file>... [--json] [--latency] [--histogram] "
                     "[--latency-out <file>] [--histogram-out <file>] [--report <file>] [--assert <expr>]...\n";
    result.exit_code = cli_exit_usage;
    return result;
  };
  for (int i = 2; i < argc; ++i) {
    const std::string_view word = argv[i] ? argv[i] : "";
    if (word.empty()) return usage_error("an empty file name");
    if (word.front() != '-') {
      o.merge_files.emplace_back(word);
      continue;
    }
    std::string_view flag = word;
    std::optional<std::string_view> attached;
    if (const auto eq = word.find('='); word.size() > 2 && word[1] == '-' && eq != std::string_view::npos) {
      flag = word.substr(0, eq);
      attached = word.substr(eq + 1);
    }
    if (flag == "--json" || flag == "--latency" || flag == "--histogram" || flag == "--help" || flag == "-h") {
      if (attached) return usage_error(std::string(flag) + " takes no value");
      (flag == "--json" ? o.json : flag == "--latency" ? o.latency_details : flag == "--histogram" ? o.histogram : o.help) = true;
      if (o.help) return result;
    } else if (flag == "--latency-out" || flag == "--histogram-out" || flag == "--report" || flag == "--assert") {
      std::string_view value;
      if (attached) value = *attached;
      else if (i + 1 < argc && argv[i + 1]) value = argv[++i];
      if (value.empty()) return usage_error(std::string(flag) + (flag == "--assert" ? " needs a threshold" : " needs a file name"));
      if (flag == "--assert") {
        auto rule = parse_threshold(value);
        if (!rule) {
          result.message = "Error: --assert " + rule.error() + "\n";
          result.exit_code = cli_exit_bad_value;
          return result;
        }
        o.thresholds.push_back(std::move(*rule));
      } else {
        (flag == "--latency-out" ? o.latency_out : flag == "--report" ? o.report : o.histogram_out) = std::string(value);
      }
    } else {
      return usage_error("unknown option '" + std::string(word) + "' for merge");
    }
  }
  if (o.merge_files.empty()) return usage_error("merge needs at least one run file (written by --histogram-out)");
  return result;
}

}  // namespace detail

/// Parses ucannon's command line (argv[0] is the program name and is skipped). Never throws on
/// bad input: a bad command line comes back as !ok() with its message and exit status.
inline cli_result parse_cli(int argc, const char* const* argv) {
  cli_result result;
  cli_options& o = result.options;
  load_config& c = o.config;
  bool url_given = false, duration_given = false, warmup_given = false;
  if (argc > 1 && argv[1] && std::string_view(argv[1]) == "merge") return detail::parse_merge_cli(argc, argv);

  auto fail = [&](std::string message, int code) {
    result.message = std::move(message);
    result.exit_code = code;
    return result;
  };
  auto usage_error = [&](std::string why) { return fail("Error: " + why + "\n" + cli_usage(), cli_exit_usage); };

  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i] ? argv[i] : "";
    if (word.empty() || word.front() != '-') {
      c.url = std::string(word);
      url_given = !word.empty();
      continue;
    }
    std::string_view flag = word;
    std::optional<std::string_view> attached;  // --flag=value
    if (word.size() > 2 && word[1] == '-') {
      if (const auto eq = word.find('='); eq != std::string_view::npos) {
        flag = word.substr(0, eq);
        attached = word.substr(eq + 1);
      }
    }

    // Flags without a value.
    bool* toggle = nullptr;
    if (flag == "--ws") toggle = &c.websocket;
    else if (flag == "--tui") toggle = &o.tui;
    else if (flag == "--json") toggle = &o.json;
    else if (flag == "--cqe-latency") toggle = &c.cqe_latency;
    else if (flag == "--per-tpl-latency") toggle = &c.per_template_latency;
    else if (flag == "--latency") toggle = &o.latency_details;
    else if (flag == "--histogram") toggle = &o.histogram;
    else if (flag == "--json-lines") toggle = &o.json_lines;
    else if (flag == "--insecure" || flag == "-k") toggle = &c.insecure;
    else if (flag == "--batch-refill") toggle = &c.batch_refill;
    else if (flag == "--clear-history") toggle = &o.clear_history;
    else if (flag == "--help" || flag == "-h") toggle = &o.help;
    else if (flag == "--version" || flag == "-V") toggle = &o.version;
    if (toggle) {
      if (attached) return fail("Error: " + std::string(flag) + " takes no value, got '" + std::string(word) + "'\n",
                                cli_exit_bad_value);
      *toggle = true;
      if (o.help || o.version || o.clear_history) return result;  // acts where it stands
      continue;
    }

    const bool known = flag == "-c" || flag == "-t" || flag == "-d" || flag == "-p" || flag == "-r" ||
                       flag == "-s" || flag == "--raw" || flag == "-R" || flag == "--ws-msg" ||
                       flag == "-b" || flag == "--buckets" || flag == "--recv-buf" ||
                       flag == "--timeout" || flag == "--warmup" || flag == "--percentiles" ||
                       flag == "--rate" || flag == "--connect-timeout" || flag == "--bind" ||
                       flag == "--latency-out" || flag == "--histogram-out" || flag == "-n" || flag == "--ramp" ||
                       flag == "--assert" || flag == "--interval" || flag == "--report" || flag == "--cacert";
    if (!known) return usage_error("unknown option '" + std::string(word) + "'");

    std::string_view value;
    if (attached) {
      value = *attached;
    } else if (i + 1 < argc && argv[i + 1]) {
      value = argv[++i];
    } else {
      return fail("Error: " + std::string(flag) + " needs a value\n", cli_exit_bad_value);
    }

    auto number = [&](std::uint64_t min, std::uint64_t max) -> std::optional<std::uint64_t> {
      const auto n = detail::parse_decimal(value, max);
      if (!n || *n < min) return std::nullopt;
      return n;
    };
    // 1 or more, where anything above `cap` (however many digits) counts as `cap`: gcannon's -p rule.
    auto capped = [&](std::uint64_t cap) -> std::optional<std::uint64_t> {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
      const auto n = detail::parse_decimal(value);
      if (n && *n == 0) return std::nullopt;
      return (!n || *n > cap) ? cap : *n;
    };
    auto bad = [&](std::string_view expects) { return fail(detail::cli_value_error(flag, expects, value), cli_exit_bad_value); };

    if (flag == "-c") {
      const auto n = number(1, cli_options::max_connections);
      if (!n) return bad("a number of connections from 1 to 1000000");
      c.connections = static_cast<unsigned>(*n);
    } else if (flag == "-t") {
      const auto n = number(1, cli_options::max_threads);
      if (!n) return bad("a number of threads from 1 to 1024");
      c.threads = static_cast<unsigned>(*n);
    } else if (flag == "-d" || flag == "--timeout" || flag == "--warmup" || flag == "--connect-timeout") {
      const auto ms = detail::cli_duration_ms(value);
      const bool zero_ok = flag != "-d";  // --warmup 0: none; --timeout 0: off; --connect-timeout 0: the kernel's
      if (!ms || (*ms == 0 && !zero_ok))
        return bad(zero_ok ? "a duration such as 0, 100ms, 1.5s or 2m"
                           : "a duration above 0 such as 10, 10s, 1.5s, 500ms, 2m or 1h");
      const std::chrono::milliseconds d(static_cast<std::chrono::milliseconds::rep>(*ms));
      duration_given = duration_given || flag == "-d";
      warmup_given = warmup_given || flag == "--warmup";
      (flag == "-d"                ? c.duration
       : flag == "--timeout"       ? c.timeout
       : flag == "--warmup"        ? c.warmup
                                   : c.connect_timeout) = d;
    } else if (flag == "--rate") {
      if (const auto rate = detail::cli_rate(value)) {
        c.rate = *rate;
        c.rate_schedule.clear();
      } else if (value.find_first_of(":@,") != std::string_view::npos) {
        auto schedule = parse_rate_schedule(value);
        if (!schedule)
          return fail("Error: --rate expects a rate such as 50000 or a schedule such as 1000:20000:30s or "
                      "1000@10s,2000@10s,4000, got '" + std::string(value) + "': " + schedule.error() + "\n",
                      cli_exit_bad_value);
        c.rate = schedule->first;
        c.rate_schedule = std::move(schedule->second);
      } else {
        return bad("a rate in requests per second above 0 and at most 1000000000, such as 50000 or 12.5");
      }
    } else if (flag == "-n") {
      const auto n = number(1, std::uint64_t(1) << 53);
      if (!n) return bad("a number of responses of 1 or more");
      c.max_responses = *n;
    } else if (flag == "--ramp" || flag == "--interval") {
      const auto ms = detail::cli_duration_ms(value);
      if (!ms || *ms == 0) return bad("a duration above 0 such as 500ms, 30s or 2m");
      (flag == "--ramp" ? c.ramp : c.report_interval) = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
    } else if (flag == "--assert") {
      auto rule = parse_threshold(value);
      if (!rule) return fail("Error: --assert " + rule.error() + "\n", cli_exit_bad_value);
      o.thresholds.push_back(std::move(*rule));
    } else if (flag == "--report" || flag == "--cacert") {
      if (value.empty()) return bad("a file name");
      (flag == "--report" ? o.report : c.ca_file) = std::string(value);
    } else if (flag == "-p") {
      const auto n = capped(load_config::max_pipeline);
      if (!n) return bad("a pipeline depth of 1 or more (above 64 counts as 64)");
      c.pipeline = static_cast<unsigned>(*n);
    } else if (flag == "-r") {
      const auto n = detail::parse_decimal(value);
      if (!n) return bad("a number of responses per connection (0 = unlimited)");
      c.requests_per_connection = *n;
    } else if (flag == "-s") {
      const auto n = number(100, 599);
      if (!n) return bad("an HTTP status code from 100 to 599");
      c.expected_status = static_cast<int>(*n);
    } else if (flag == "--raw" || flag == "-R") {
      // Empty items are skipped, as gcannon's strtok did ("a.raw,b.raw," is two files).
      std::vector<std::string> files;
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        if (comma != 0) files.emplace_back(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      if (files.empty()) return bad("a comma-separated list of raw request files");
      c.raw_files = std::move(files);  // the last --raw wins, as in gcannon
    } else if (flag == "--percentiles") {
      auto list = detail::cli_percentile_list(value);
      if (!list)
        return bad("a comma-separated list of at most 20 percentiles, each above 0 and at most 100, "
                   "such as 50,90,99.9");
      c.percentiles = std::move(*list);  // the last --percentiles wins
    } else if (flag == "--bind") {
      auto addresses = parse_source_addresses(value);
      if (!addresses)
        return fail("Error: --bind expects a comma list of addresses or ranges such as 10.0.0.2,127.0.0.1-127.0.0.16: " +
                        addresses.error() + "\n",
                    cli_exit_bad_value);
      c.source_addresses = std::move(*addresses);  // the last --bind wins
    } else if (flag == "--latency-out" || flag == "--histogram-out") {
      if (value.empty()) return bad("a file name");
      (flag == "--latency-out" ? o.latency_out : o.histogram_out) = std::string(value);
    } else if (flag == "--ws-msg") {
      c.ws_message = std::string(value);
      c.websocket = true;
    } else if (flag == "-b" || flag == "--buckets") {
      const auto n = capped(cli_options::max_buckets);
      if (!n) return bad("a number of histogram bars from 1 to 100 (more counts as 100)");
      o.buckets = static_cast<int>(*n);
    } else if (flag == "--recv-buf") {
      // A too-small buffer keeps gcannon's message and status; anything else is a bad value.
      const auto n = detail::parse_decimal(value, cli_options::max_recv_buffer_size);
      if (!n) return bad("a buffer size in bytes from 512 to 1048576");
      if (*n < load_config::min_recv_buffer_size)
        return fail("Error: --recv-buf must be at least 512\n", cli_exit_usage);
      c.recv_buffer_size = static_cast<std::uint32_t>(*n);
    }
  }

  if (!url_given && c.raw_files.empty()) return usage_error("no target: give a URL or --raw files");
  if (c.connections < c.threads)
    return fail("Error: -c " + std::to_string(c.connections) + " is less than -t " + std::to_string(c.threads) +
                    ": each thread needs at least one connection\n",
                cli_exit_bad_value);
  if (warmup_given && (c.max_responses > 0 || c.ramp.count() > 0 || !c.rate_schedule.empty()))
    return fail("Error: --warmup does not combine with -n, --ramp or a rate schedule: they measure from the first "
                "request\n",
                cli_exit_bad_value);
  if (c.ramp.count() > 0 && !c.rate_schedule.empty())
    return fail("Error: --ramp does not combine with a rate schedule: start the schedule at 0 instead, e.g. "
                "--rate 0:20000:30s\n",
                cli_exit_bad_value);
  if (c.max_responses > 0 && !duration_given) c.duration = std::chrono::hours(24);
  if (o.json_lines) {
    o.json = true;
    if (c.report_interval.count() == 0) c.report_interval = std::chrono::seconds(1);
  }
  if (o.json) o.tui = false;
  return result;
}

}  // namespace uring_cannon
