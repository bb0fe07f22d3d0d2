#pragma once
// What a load run is asked to do (load_config) and what it measured (load_results). The CLI fills
// a load_config from gcannon's flags; a C++ user fills one by hand and calls run_load().

#include <uring_cannon/latency_histogram.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace uring_cannon {

/// One piece of an open-loop rate schedule: the rate moves linearly from `from` to `to`
/// requests per second over `length` (from == to holds it, a step).
struct rate_step {
  double from = 0, to = 0;
  std::chrono::milliseconds length{0};
};

/// One load run. Defaults are gcannon's.
struct load_config {
  std::string url;                         ///< http://host[:port][/path] or http+unix:///sock:/path; may be empty with raw_files
  std::vector<std::string> raw_files;      ///< raw request templates (--raw); connections rotate through them on reconnect
  unsigned connections = 100;              ///< total, split over threads (the first connections % threads get one more)
  unsigned threads = 1;
  std::chrono::milliseconds duration = std::chrono::seconds(10);
  unsigned pipeline = 1;                   ///< requests in flight per connection, at most max_pipeline
  bool batch_refill = false;               ///< closed loop: send the next `pipeline` requests only once all are answered
                                           ///< (wrk's way; gcannon's replaces each answer at once)
  std::uint64_t requests_per_connection = 0;  ///< reconnect after this many responses; 0 = keep-alive forever
  int expected_status = 200;               ///< only its class (2xx...5xx) is compared
  bool websocket = false;                  ///< upgrade, then echo text frames
  std::string ws_message = "hello";
  std::uint32_t recv_buffer_size = 0;      ///< bytes per provided receive buffer (min 512); 0: automatic (see prepare_load)
  unsigned recv_buffers = 0;               ///< provided buffers per worker thread, a power of two; 0: automatic
  bool cqe_latency = false;                ///< stop the clock when the completion arrives, before parsing
  bool per_template_latency = false;       ///< a latency histogram per raw template
  std::chrono::milliseconds warmup = std::chrono::milliseconds(100);  ///< excluded from every count
  std::vector<double> percentiles;        ///< extra percentiles to report (--percentiles), each in (0, 100]
  std::vector<std::string> source_addresses;  ///< local addresses to spread connections over (--bind); empty = the kernel's choice
  double rate = 0;                         ///< open loop: requests per second in all (--rate); 0 = closed loop (gcannon)
  std::chrono::milliseconds connect_timeout{0};  ///< a connect not done in this long: a connect timeout; 0 = the kernel's
  std::chrono::milliseconds timeout{0};  ///< a response not complete this long after its request was sent: a timeout error, reconnect; 0 = off (gcannon)
  std::uint64_t max_responses = 0;       ///< -n: stop after exactly this many responses (no warm-up; `duration` is a cap); 0 = off
  std::chrono::milliseconds ramp{0};     ///< --ramp: closed loop opens the connections evenly over this time; open loop
                                         ///< grows the rate linearly from 0 to `rate` over it. No warm-up with a ramp
  std::vector<rate_step> rate_schedule;  ///< open loop: pieces run in order from the start, then `rate` holds (no warm-up)
  std::chrono::milliseconds report_interval{0};  ///< > 0: per-interval counts for load_runner::next_interval()
  bool insecure = false;                 ///< https: skip certificate and host name checks (--insecure)
  std::string ca_file;                   ///< https: trust the CAs in this PEM file (--cacert); empty: the system's

  /// The transitional part at the start (ramp or rate schedule) that the report sets apart.
  std::chrono::milliseconds ramp_length() const noexcept {
    if (!rate_schedule.empty()) {
      std::chrono::milliseconds total{0};
      for (const auto& step : rate_schedule) total += step.length;
      return total;
    }
    return ramp;
  }

  static constexpr unsigned max_pipeline = 64;
  static constexpr std::uint32_t min_recv_buffer_size = 512;
};

/// Responses by status class.
struct status_counts {
  std::uint64_t s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, other = 0;

  void count(int status) noexcept {
    switch (status / 100) {
      case 2: ++s2xx; break;
      case 3: ++s3xx; break;
      case 4: ++s4xx; break;
      case 5: ++s5xx; break;
      default: ++other; break;
    }
  }
  std::uint64_t total() const noexcept { return s2xx + s3xx + s4xx + s5xx + other; }
  /// Responses whose class differs from `expected`'s.
  std::uint64_t unexpected(int expected) const noexcept {
    switch (expected / 100) {
      case 2: return total() - s2xx;
      case 3: return total() - s3xx;
      case 4: return total() - s4xx;
      case 5: return total() - s5xx;
      default: return total() - other;
    }
  }
  void merge(const status_counts& o) noexcept {
    s2xx += o.s2xx; s3xx += o.s3xx; s4xx += o.s4xx; s5xx += o.s5xx; other += o.other;
  }
};

/// The finer classes behind error_counts: every error is in exactly one.
struct error_classes {
  std::uint64_t connect_refused = 0;   ///< ECONNREFUSED
  std::uint64_t connect_timeout = 0;   ///< connect not done within connect_timeout (or the kernel's)
  std::uint64_t connect_other = 0;     ///< any other failure to open a connection (unreachable, EMFILE, ...)
  std::uint64_t reset = 0;             ///< ECONNRESET or EPIPE while reading or sending
  std::uint64_t parse_error = 0;       ///< a malformed response or WebSocket frame, or a refused upgrade
  std::uint64_t unexpected_close = 0;  ///< the server closed with requests outstanding
  std::uint64_t read_other = 0;        ///< any other recv or send failure
  std::uint64_t read_timeout = 0;      ///< a response not complete within load_config::timeout

  void merge(const error_classes& o) noexcept {
    connect_refused += o.connect_refused; connect_timeout += o.connect_timeout; connect_other += o.connect_other;
    reset += o.reset; parse_error += o.parse_error; unexpected_close += o.unexpected_close;
    read_other += o.read_other; read_timeout += o.read_timeout;
  }
};

/// Errors that ended or disturbed a connection; each one is followed by a reconnect.
struct error_counts {
  std::uint64_t connect = 0;  ///< socket or connect failed (refused, unreachable, timed out)
  std::uint64_t read = 0;     ///< recv/send failed, peer closed with requests outstanding, malformed response or refused upgrade
  std::uint64_t timeout = 0;  ///< a response (or the upgrade) not complete load_config::timeout after its request was sent
  error_classes classes;      ///< the same errors, finer: connect = refused + timeout + other, read = reset +
                              ///< parse + unexpected close + other, timeout = read_timeout
  void merge(const error_counts& o) noexcept {
    connect += o.connect; read += o.read; timeout += o.timeout;
    classes.merge(o.classes);
  }
  std::uint64_t total() const noexcept { return connect + read + timeout; }
};

/// What TLS did over a run (https:// targets), warm-up included: connection events, not throughput.
struct tls_counts {
  std::uint64_t handshakes = 0;  ///< completed handshakes
  std::uint64_t resumed = 0;     ///< of those, resumed sessions (reconnects with -r, after errors)
  std::uint64_t failed = 0;      ///< handshakes that failed (each also a connect error)
  std::string version;           ///< "TLSv1.3": the protocol of the first completed handshake
  std::string cipher;            ///< and its cipher suite
  std::string first_error;       ///< the words of the first TLS failure (a handshake or a record), "" if none
  bool kernel_tls_offered = false;  ///< the kernel offers kTLS (the records are still encrypted in user space)

  void merge(const tls_counts& o) {
    handshakes += o.handshakes, resumed += o.resumed, failed += o.failed;
    if (version.empty()) version = o.version, cipher = o.cipher;
    if (first_error.empty()) first_error = o.first_error;
    kernel_tls_offered = kernel_tls_offered || o.kernel_tls_offered;
  }
};

/// Counts for one raw template.
struct template_results {
  std::string path;                 ///< the file it came from
  std::uint64_t responses = 0;
  status_counts status;
  latency_histogram latency;        ///< recorded only with per_template_latency
};

/// A live look at a run in progress (the TUI and progress line read it once a second).
struct load_progress {
  double elapsed_sec = 0;           ///< since the warm-up ended (negative during warm-up)
  double duration_sec = 0;          ///< the planned measured duration
  std::uint64_t responses = 0;      ///< so far, warm-up excluded
  std::uint64_t bytes_read = 0;
  std::uint64_t errors = 0;         ///< connect + read + timeout
};

/// One --interval of a run in progress (load_runner::next_interval): what was counted in it.
struct load_interval {
  std::size_t index = 0;            ///< 0 for the first interval of the measurement
  double start_sec = 0, end_sec = 0;  ///< since the measurement began; the last may be short
  std::uint64_t requests = 0, responses = 0, errors = 0, bytes_read = 0;
  latency_histogram latency;
};

/// Every request of the run and what became of it, warm-up included. For any run,
/// requests_sent == answered + abandoned + in_flight: no request is lost from the books.
struct load_accounting {
  std::uint64_t requests_sent = 0;  ///< requests (or frames) handed to the kernel
  std::uint64_t answered = 0;       ///< of those, answered by a response (or echo)
  std::uint64_t abandoned = 0;      ///< in flight on a connection that ended (error, timeout, close)
  std::uint64_t in_flight = 0;      ///< still unanswered when the run ended

  bool balanced() const noexcept { return requests_sent == answered + abandoned + in_flight; }
  void merge(const load_accounting& o) noexcept {
    requests_sent += o.requests_sent; answered += o.answered; abandoned += o.abandoned; in_flight += o.in_flight;
  }
};

/// What a run measured, after the warm-up, merged over every thread.
struct load_results {
  std::string target;               ///< "host:port/path" as gcannon prints it (":80" left out)
  double elapsed_sec = 0;           ///< measured time, warm-up excluded
  std::uint64_t requests = 0;       ///< requests (or WebSocket frames) sent
  std::uint64_t responses = 0;      ///< complete responses (or frames) received
  std::uint64_t bytes_read = 0;
  status_counts status;
  error_counts errors;
  std::uint64_t reconnects = 0;     ///< connections closed and reopened after -r responses (errors are counted apart)
  std::uint64_t ws_upgrades = 0;    ///< successful WebSocket handshakes, warm-up included
  std::uint64_t ws_frames = 0;      ///< WebSocket frames received
  latency_histogram latency;
  latency_histogram ttfb;           ///< send to the first byte of each response (WebSocket: of each echo)
  latency_histogram service_time;   ///< from the actual send (open loop: `latency` runs from the intended send)
  std::vector<std::uint64_t> status_codes;  ///< responses per status code, indexed by code (size 1000 or empty)
  std::vector<template_results> per_template;  ///< one per raw template when there are several
  load_accounting accounting;       ///< the books of every request, warm-up included
  std::vector<std::uint64_t> responses_per_second;  ///< one entry per whole second of the run
  double ramp_sec = 0;              ///< the ramp or rate schedule at the start (load_config::ramp_length)
  std::uint64_t steady_responses = 0;  ///< responses after the ramp (all of them without one)
  latency_histogram steady_latency;    ///< latency after the ramp (recorded only with a ramp)
  bool interrupted = false;         ///< stopped early (SIGINT or request_stop)
  bool tls = false;                 ///< the target was https://
  tls_counts tls_stats;             ///< with tls

  /// Requests sent per second (compare with load_config::rate in open loop).
  double sent_per_second() const noexcept { return elapsed_sec > 0 ? double(requests) / elapsed_sec : 0; }
  double requests_per_second() const noexcept { return elapsed_sec > 0 ? double(responses) / elapsed_sec : 0; }
  /// Responses per second after the ramp.
  double steady_requests_per_second() const noexcept {
    return elapsed_sec > ramp_sec ? double(steady_responses) / (elapsed_sec - ramp_sec) : 0;
  }
  double bytes_per_second() const noexcept { return elapsed_sec > 0 ? double(bytes_read) / elapsed_sec : 0; }
  std::uint64_t unexpected_status(int expected) const noexcept { return status.unexpected(expected); }
  /// gcannon's exit code: 1 when any response had an unexpected status class, else 0.
  int exit_code(int expected) const noexcept { return unexpected_status(expected) > 0 ? 1 : 0; }
};

}  // namespace uring_cannon
