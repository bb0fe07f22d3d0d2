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

/// Runs the plan, drawing the live TUI block once a second when asked, and stopping early on
/// SIGINT (the results of what ran are still printed).
uc::load_results drive(uc::load_plan plan, bool tui, bool colour) {
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
  return runner.results();
}

int run(const uc::cli_options& options) {
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
  const auto results = drive(std::move(*plan), options.tui && !options.json, colour);

  // The history is a convenience: a run whose history cannot be written still reports.
  std::vector<uc::run_record> history;
  if (auto saved = uc::append_history(history_path, uc::make_run_record(config, results))) history = std::move(*saved);

  if (options.json) print(stdout, uc::format_json(config, results, {.histogram = options.histogram}));
  else if (options.tui) print(stdout, uc::format_tui_results(config, results, history, colour, options.buckets));
  else print(stdout, uc::format_text_results(config, results, {.latency_details = options.latency_details}));
  return results.exit_code(config.expected_status);
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
    return run(parsed.options);
  } catch (const std::exception& e) {
    print(stderr, std::string("Error: ") + e.what() + "\n");
    return 1;
  }
}
