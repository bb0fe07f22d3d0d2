// cpu_of: runs a command and reports the CPU time and peak memory the kernel charged to it, from
// wait4's rusage. The benchmark scripts use it to measure what a load generator costs: the figure
// a generator's own report cannot give, because a generator that burns more CPU for the same
// throughput leaves less of the machine to the server it is testing.
//
//   cpu_of REPORT_FILE COMMAND [ARGS...]
//
// The command's stdin, stdout and stderr are left alone, so its own report still parses. When it
// has ended, one line goes to REPORT_FILE ("-" for stderr):
//
//   user_us=N sys_us=N maxrss_kib=N wall_us=N status=N
//
// user and sys cover every thread of the command, io_uring's worker threads included; status is
// its exit status, or 128 + the signal that ended it. cpu_of exits with that status too (127 when
// the command cannot be started).
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace {

volatile sig_atomic_t child_pid = 0;

// A SIGINT or SIGTERM sent to cpu_of alone (a script's cleanup knows only our pid) is passed on:
// the command ends, and cpu_of stays to collect its rusage rather than leave it running.
extern "C" void forward_signal(int signal) {
  if (child_pid > 0) ::kill(child_pid, signal);
}

long long microseconds(const timeval& t) { return static_cast<long long>(t.tv_sec) * 1000000 + t.tv_usec; }

int status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fputs("usage: cpu_of REPORT_FILE COMMAND [ARGS...]   (REPORT_FILE - for stderr)\n", stderr);
    return 2;
  }
  const auto started = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("cpu_of: fork");
    return 127;
  }
  if (child == 0) {
    ::execvp(argv[2], argv + 2);
    std::fprintf(stderr, "cpu_of: cannot run %s: %s\n", argv[2], std::strerror(errno));
    ::_exit(127);
  }
  child_pid = child;
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  int wait_status = 0;
  rusage usage{};
  while (::wait4(child, &wait_status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("cpu_of: wait4");
      return 127;
    }
  }
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  const int status = status_of(wait_status);

  std::FILE* report = std::strcmp(argv[1], "-") == 0 ? stderr : std::fopen(argv[1], "w");
  if (report == nullptr) {
    std::fprintf(stderr, "cpu_of: cannot write %s: %s\n", argv[1], std::strerror(errno));
    return status == 0 ? 1 : status;
  }
  std::fprintf(report, "user_us=%lld sys_us=%lld maxrss_kib=%ld wall_us=%lld status=%d\n",
               microseconds(usage.ru_utime), microseconds(usage.ru_stime), usage.ru_maxrss,
               static_cast<long long>(wall.count()), status);
  if (report != stderr) std::fclose(report);
  return status;
}
