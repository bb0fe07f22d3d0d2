// ucannon: the gcannon-compatible HTTP/1.1 and WebSocket load generator. A thin shell: the flags
// become a load_config (cli_options.hpp), the engine runs it (load_engine.hpp), and the reports
// print it (load_text_report.hpp, load_json_report.hpp, load_tui.hpp, run_history.hpp).

#include <uring_cannon.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) { interrupted.store(true); }

void print(std::FILE* to, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), to);
  std::fflush(to);
}

/// Writes `bytes` to `path`; false (with a message on stderr) when it cannot.
bool write_file(const std::string& path, const std::string& bytes, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (out) return true;
  print(stderr, "Error: cannot write the " + std::string(what) + " to '" + path + "'\n");
  return false;
}

/// The command line as typed, for the HTML report.
std::string command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i] ? argv[i] : "";
  }
  return line;
}

/// --latency-out, --histogram-out and --report, after a run or a merge; false when a file could
/// not be written.
bool write_outputs(const uc::cli_options& options, const uc::load_config& config, const uc::load_results& results,
                   const std::vector<uc::run_record>& history, const uc::html_report_options& report) {
  bool ok = true;
  if (!options.report.empty())
    ok = write_file(options.report, uc::format_html_report(config, results, history, report), "report") && ok;
  if (!options.latency_out.empty())
    ok = write_file(options.latency_out, uc::format_latency_distribution(results.latency), "latency distribution") && ok;
  if (!options.histogram_out.empty())
    ok = write_file(options.histogram_out, uc::encode_run(config, results), "run file") && ok;
  return ok;
}

/// The report of one run (or of a merge): --json, the TUI's tables, or gcannon's text, with the
/// thresholds' verdicts (check_thresholds()); then the exit status (load_thresholds.hpp), saying
/// why on stderr when nothing was measured.
int report(const uc::cli_options& options, const uc::load_config& config, const uc::load_results& results,
           const std::vector<uc::threshold_result>& thresholds, const std::vector<uc::run_record>& history,
           bool colour) {
  if (options.json) {
    print(stdout, uc::format_json(config, results,
                                  {.histogram = options.histogram,
                                   .thresholds = options.thresholds.empty() ? nullptr : &thresholds,
                                   .one_line = options.json_lines}));
  } else {
    print(stdout, (options.tui ? uc::format_tui_results(config, results, history, colour, options.buckets)
                               : uc::format_text_results(config, results, {.latency_details = options.latency_details})) +
                      uc::format_threshold_text(thresholds));
  }
  if (const auto why = uc::nothing_measured_message(results); !why.empty()) print(stderr, why + "\n");
  else if (!uc::all_passed(thresholds)) print(stderr, "Error: a threshold failed (--assert)\n");
  return uc::run_exit_code(results, config.expected_status, thresholds);
}

/// `ucannon merge FILE...`: one report for runs made on several machines (run_file.hpp says how
/// each field combines). Exit 1 when a file cannot be read or the runs do not merge.
int merge(const uc::cli_options& options, const std::string& command) {
  std::vector<uc::saved_run> runs;
  for (const std::string& path : options.merge_files) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      print(stderr, "Error: cannot open '" + path + "'\n");
      return 1;
    }
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
      print(stderr, "Error: cannot read '" + path + "'\n");
      return 1;
    }
    auto run = uc::decode_run(bytes);
    if (!run) {
      print(stderr, "Error: " + path + ": " + run.error() + "\n");
      return 1;
    }
    runs.push_back(std::move(*run));
  }
  auto merged = uc::merge_runs(runs);
  if (!merged) {
    print(stderr, "Error: " + merged.error() + "\n");
    return 1;
  }
  print(stderr, "Merged " + std::to_string(runs.size()) + " runs; requests/s summed over the runs: " +
                    uc::format_fixed(uc::summed_requests_per_second(runs), 2) + "\n");
  const auto thresholds = uc::check_thresholds(options.thresholds, merged->results, merged->config.expected_status);
  const int status = report(options, merged->config, merged->results, thresholds, {}, false);
  if (!write_outputs(options, merged->config, merged->results, {},
                     {.command_line = command, .merged_runs = runs.size(), .thresholds = &thresholds}))
    return status != 0 ? status : 1;  // a file not written is an error, unless a graver one is already said
  return status;
}

/// Prints the intervals the runner has finished: JSON lines, or text lines (not under the TUI,
/// which draws its own progress).
void print_intervals(uc::load_runner& runner, const uc::cli_options& options) {
  while (auto interval = runner.next_interval()) {
    if (options.json_lines) print(stdout, uc::format_interval_json(*interval));
    else if (!options.json && !options.tui) print(stdout, uc::format_interval_text(*interval));
  }
}

/// Runs the plan, drawing the live TUI block once a second when asked, and stopping early on
/// SIGINT (the results of what ran are still printed).
uc::load_results drive(uc::load_plan plan, const uc::cli_options& options, bool tui, bool colour) {
  struct sigaction action {}, previous_int {}, previous_term {};
  action.sa_handler = on_interrupt;
  action.sa_flags = SA_RESTART;  // stdio and waits carry on; the flag is polled below
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous_int);
  ::sigaction(SIGTERM, &action, &previous_term);

  uc::load_runner runner(std::move(plan));
  runner.start();
  std::vector<std::uint64_t> per_second;  // responses in each whole second, for the sparkline
  std::uint64_t counted = 0;
  bool drawn = false;
  auto next_frame = uc::clock::now() + 1s;
  bool stopping = false;
  while (!runner.wait_for(50ms)) {
    print_intervals(runner, options);
    if (interrupted.load() && !stopping) {
      runner.request_stop();
      stopping = true;
    }
    if (tui && uc::clock::now() >= next_frame) {
      next_frame += 1s;
      const auto progress = runner.progress();
      if (progress.elapsed_sec >= 0) {
        per_second.push_back(progress.responses - counted);
        counted = progress.responses;
      }
      print(stdout, (drawn ? uc::tui_progress_rewind() : std::string()) +
                        uc::format_tui_progress(progress, per_second, colour));
      drawn = true;
    }
  }
  if (drawn) print(stdout, uc::tui_progress_rewind());
  ::sigaction(SIGINT, &previous_int, nullptr);  // a second Ctrl-C while reporting ends the program
  ::sigaction(SIGTERM, &previous_term, nullptr);
  auto results = runner.results();
  print_intervals(runner, options);  // the last, short interval
  return results;
}

int run(const uc::cli_options& options, const std::string& command) {
  const auto history_path = uc::default_history_path();
  if (options.clear_history) {
    if (auto cleared = uc::clear_history(history_path); !cleared) {
      print(stderr, cleared.error() + "\n");
      return 1;
    }
    print(stdout, "Run history cleared.\n");
    return 0;
  }

  auto plan = uc::prepare_load(options.config);
  if (!plan) {
    print(stderr, plan.error() + "\n");
    return 1;
  }
  const bool colour = options.tui && uc::use_colour(STDOUT_FILENO);
  if (!options.json) print(stdout, uc::format_text_header(plan->config, plan->target_text, options.tui));

  const uc::load_config config = plan->config;
  const auto results = drive(std::move(*plan), options, options.tui && !options.json, colour);

  // The history is a convenience: a run whose history cannot be written still reports.
  std::vector<uc::run_record> history;
  if (auto saved = uc::append_history(history_path, uc::make_run_record(config, results))) history = std::move(*saved);

  const auto thresholds = uc::check_thresholds(options.thresholds, results, config.expected_status);
  const int status = report(options, config, results, thresholds, history, colour);
  if (!write_outputs(options, config, results, history, {.command_line = command, .thresholds = &thresholds}))
    return status != 0 ? status : 1;  // a file not written is an error, unless a graver one is already said
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = uc::parse_cli(argc, argv);
  if (!parsed.ok()) {
    print(stderr, parsed.message);
    return parsed.exit_code;
  }
  if (parsed.options.help) {
    print(stdout, uc::cli_help());
    return 0;
  }
  if (parsed.options.version) {
    print(stdout, uc::cli_version());
    return 0;
  }
  try {
    const std::string command = command_line(argc, argv);
    return parsed.options.merge ? merge(parsed.options, command) : run(parsed.options, command);
  } catch (const std::exception& e) {
    print(stderr, std::string("Error: ") + e.what() + "\n");
    return 1;
  }
}
