#pragma once
// Runs the bundled programs (ucannon-server, ucannon) from integration tests: spawn with
// arguments, read their output with deadlines, signal them, and always reap them. Output can go
// to pipes or to a pseudo-terminal (to test what a program does on a terminal).

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace test_support {

struct process_options {
  bool terminal = false;                 ///< stdout and stderr on one pseudo-terminal instead of pipes
  std::vector<std::string> environment;  ///< extra NAME=value entries
};

class child_process {
 public:
  child_process(const std::string& program, std::vector<std::string> args, process_options options = {}) {
    int out[2], err[2];
    if (options.terminal) {
      int controller = -1, terminal = -1;
      if (::openpty(&controller, &terminal, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty");
      ::fcntl(controller, F_SETFD, FD_CLOEXEC);
      ::fcntl(terminal, F_SETFD, FD_CLOEXEC);
      out[0] = controller, out[1] = terminal;
      err[0] = -1, err[1] = ::dup(terminal);
    } else if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    args.insert(args.begin(), program);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The extra entries replace inherited ones of the same name (getenv returns the first match).
    std::vector<std::string> env_text = options.environment;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const auto name = entry.substr(0, entry.find('=') + 1);
      bool replaced = false;
      for (const auto& extra : options.environment) replaced = replaced || extra.rfind(name, 0) == 0;
      if (!replaced) env_text.emplace_back(entry);
    }
    std::vector<char*> env;
    for (auto& e : env_text) env.push_back(e.data());
    env.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    stdout_ = out[0];
    stderr_ = err[0];
    if (rc != 0) throw std::runtime_error("posix_spawn " + program);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
    if (stderr_ >= 0) ::close(stderr_);
  }

  /// Reads stdout until `stop_at` has appeared (or end of output, or the deadline); returns all
  /// stdout read so far.
  const std::string& read_stdout_until(std::string_view stop_at, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (stop_at.empty() || out_.find(stop_at) == std::string::npos) {
      if (!read_some(deadline)) break;
    }
    return out_;
  }

  void signal(int number) noexcept {
    if (pid_ > 0) ::kill(pid_, number);
  }

  /// Waits for the exit (reading all output meanwhile); the exit code, or nullopt when the
  /// process did not exit normally within `limit` (it is killed then).
  std::optional<int> wait(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (read_some(deadline)) {
    }
    int status = 0;
    while (pid_ > 0) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? std::optional<int>(WEXITSTATUS(status)) : std::nullopt;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }

 private:
  /// Reads whatever either stream has; false at end of both streams or at the deadline.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
    if (stdout_ < 0 && stderr_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (::poll(fds, 2, int(left.count())) <= 0) return false;
    drain(stdout_, fds[0].revents, out_);
    drain(stderr_, fds[1].revents, err_);
    return true;
  }
  static void drain(int& fd, short revents, std::string& into) {
    if (fd < 0 || revents == 0) return;
    char buffer[8192];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, std::size_t(n));
    } else {  // end of output (a pty reports EIO once the child is gone)
      ::close(fd);
      fd = -1;
    }
  }

  pid_t pid_ = -1;
  int stdout_ = -1, stderr_ = -1;
  std::string out_, err_;
};

/// What a program that ran to its end printed, and its exit code (-1: killed or timed out).
struct finished_process {
  int exit_code = -1;
  std::string out, err;
};

inline finished_process run_program(const std::string& program, std::vector<std::string> args,
                                    std::chrono::milliseconds limit, process_options options = {}) {
  child_process child(program, std::move(args), std::move(options));
  const auto code = child.wait(limit);
  return {code.value_or(-1), child.out(), child.err()};
}

}  // namespace test_support
