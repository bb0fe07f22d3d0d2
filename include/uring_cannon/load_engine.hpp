#pragma once
// The load engine: what ucannon runs, as a library. prepare_load() checks a load_config and
// resolves its target once; load_runner runs it on `threads` worker threads, each with its own
// scheduler, ring, buffers and counters (nothing shared on the hot path), and merges the counts
// at the end. Every connection is one coroutine written as a straight loop: connect, (upgrade),
// send the pipelined batch, read and parse responses, record latency, refill, reconnect.
//
//   auto plan = uc::prepare_load(config);          // or_error: bad URL, unresolvable host, ...
//   uc::load_results r = uc::run_load(*plan);       // blocks for warm-up + duration
//
// Counting is race-free without resetting anything: every worker stamps each event with the time
// it happened and counts only events at or after the end of the warm-up.

#include <uring_cannon/detail/splitmix64.hpp>
#include <uring_cannon/endpoint.hpp>
#include <uring_cannon/http_request.hpp>
#include <uring_cannon/http_response_parser.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/or_error.hpp>
#include <uring_cannon/rate_curve.hpp>
#include <uring_cannon/scheduler.hpp>
#include <uring_cannon/tcp_stream.hpp>
#include <uring_cannon/url.hpp>
#include <uring_cannon/websocket_frame.hpp>
#include <uring_cannon/websocket_handshake.hpp>
#ifdef URING_CANNON_WITH_TLS
#include <uring_cannon/tls_stream.hpp>
#endif

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace uring_cannon {

/// A load run made ready: the configuration checked, the target resolved, the templates loaded.
/// Workers share it read-only.
struct load_plan {
  load_config config;
  endpoint target;
  std::string target_text;                          ///< "host:port/path" as gcannon prints it
  std::string host_header;
  std::string request_target = "/";                 ///< path and query of the URL
  std::string get_request;                          ///< the default request (no templates)
  std::vector<http::request_template> templates;    ///< raw templates, in --raw order
  std::vector<endpoint> sources;                    ///< local addresses, connection i binding to sources[i % n]
  bool tls = false;                                 ///< https://: every connection runs TLS
  std::string server_name;                          ///< the name TLS sends (SNI) and checks the certificate against
#ifdef URING_CANNON_WITH_TLS
  std::shared_ptr<tls_client_context> tls_context;  ///< shared by the workers (it is thread-safe)
#endif
};

namespace detail {

/// "host[:port]" from a Host header value; the port defaults to 80.
inline or_error<url> url_from_host_header(std::string_view host) {
  return parse_url("http://" + std::string(host) + "/");
}

inline std::string check_load_config(const load_config& c) {
  if (c.threads == 0) return "Error: threads (-t) must be at least 1";
  if (c.connections == 0) return "Error: connections (-c) must be at least 1";
  if (c.connections < c.threads) return "Error: connections (-c) must be at least the number of threads (-t)";
  if (c.pipeline == 0) return "Error: pipeline depth (-p) must be at least 1";
  if (c.duration.count() <= 0) return "Error: duration (-d) must be positive";
  if (c.recv_buffer_size != 0 && c.recv_buffer_size < load_config::min_recv_buffer_size)
    return "Error: --recv-buf must be at least 512";
  if ((c.recv_buffers & (c.recv_buffers - 1)) != 0 || c.recv_buffers > 32768)
    return "Error: receive buffer count must be a power of two up to 32768";
  if (c.timeout.count() < 0) return "Error: timeout must not be negative";
  if (c.warmup.count() < 0) return "Error: warm-up must not be negative";
  if (c.rate < 0 || !std::isfinite(c.rate)) return "Error: --rate must be a positive number of requests per second";
  if (c.connect_timeout.count() < 0) return "Error: connect timeout must not be negative";
  if (c.url.empty() && c.raw_files.empty()) return "Error: a URL or --raw templates are required";
  if (c.ramp.count() < 0) return "Error: --ramp must not be negative";
  if (c.report_interval.count() < 0) return "Error: --interval must not be negative";
  if (!c.rate_schedule.empty() && c.rate <= 0) return "Error: a rate schedule needs a final rate above 0";
  if (!c.rate_schedule.empty() && c.ramp.count() > 0)
    return "Error: --ramp does not combine with a rate schedule (start the schedule at 0 instead, e.g. 0:20000:30s)";
  for (const auto& step : c.rate_schedule)
    if (!(step.from >= 0 && step.to >= 0 && std::isfinite(step.from) && std::isfinite(step.to)) || step.length.count() <= 0)
      return "Error: each step of a rate schedule needs rates of 0 or more and a length above 0";
  return {};
}

}  // namespace detail

namespace detail {

/// The provided receive buffers of each worker when the configuration leaves them automatic
/// (0). Every receive completion takes a buffer, whatever it holds, so the count follows the
/// connections: two each, a power of two from 64 to 4096 (a ring the kernel runs out of ends the
/// multishot receives until buffers come back, which costs a re-arm, not data). The size then
/// fills a 16 MiB ring, from 4 KiB to 64 KiB: large bodies arrive in few, large completions (one
/// CQE, one parse call and one window update per 64 KiB rather than per 4 KiB), and a few
/// connections do not hold 16 MiB of buffers they would cycle through cold. A size given by hand
/// keeps the automatic count within 64 MiB.
inline void choose_receive_buffers(load_config& c) noexcept {
  constexpr std::uint64_t ring_budget = 16u << 20, hand_sized_budget = 64u << 20;
  const std::uint64_t per_thread = (std::uint64_t(c.connections) + c.threads - 1) / std::max(1u, c.threads);
  if (c.recv_buffers == 0) {
    std::uint64_t count = std::clamp<std::uint64_t>(std::bit_ceil(std::uint64_t(2 * per_thread)), 64, 4096);
    if (c.recv_buffer_size != 0)
      while (count > 64 && count * c.recv_buffer_size > hand_sized_budget) count /= 2;
    c.recv_buffers = unsigned(count);
  }
  if (c.recv_buffer_size == 0) {
    std::uint64_t size = 64u << 10;
    while (size > 4096 && size * c.recv_buffers > ring_budget) size /= 2;
    c.recv_buffer_size = std::uint32_t(size);
  }
}

}  // namespace detail

/// Checks `config`, loads its templates and resolves its target (once, here, not per connection).
/// The messages are gcannon's where gcannon has one ("Error: cannot resolve host 'x'").
inline or_error<load_plan> prepare_load(load_config config) {
  if (auto problem = detail::check_load_config(config); !problem.empty())
    return or_error<load_plan>::failure(std::move(problem));
  config.pipeline = std::min(config.pipeline, load_config::max_pipeline);
  detail::choose_receive_buffers(config);
  // An open-loop ramp is the schedule's first piece; a ramp, a schedule and -n measure from the
  // first request, so they have no warm-up.
  if (config.rate > 0 && config.ramp.count() > 0 && config.rate_schedule.empty())
    config.rate_schedule.push_back({0, config.rate, config.ramp});
  if (config.rate <= 0) config.rate_schedule.clear();
  if (config.ramp.count() > 0 || !config.rate_schedule.empty() || config.max_responses > 0)
    config.warmup = std::chrono::milliseconds(0);

  load_plan plan;
  for (const auto& path : config.raw_files) {
    auto loaded = http::request_template::load(path);
    if (!loaded) return or_error<load_plan>::failure(loaded.error());
    plan.templates.push_back(std::move(*loaded));
  }

  url where;
  if (!config.url.empty()) {
    auto parsed = parse_url(config.url);
    if (!parsed) return or_error<load_plan>::failure(parsed.error());
    where = std::move(*parsed);
  } else {
    auto host = plan.templates.front().host_header();
    if (!host) return or_error<load_plan>::failure("Error: no URL given and '" + config.raw_files.front() +
                                                   "' has no Host: header");
    auto parsed = detail::url_from_host_header(*host);
    if (!parsed) return or_error<load_plan>::failure("Error: bad Host: header '" + *host + "' in '" +
                                                     config.raw_files.front() + "'");
    where = std::move(*parsed);
  }

  if (where.is_unix()) {
    auto peer = endpoint::unix_socket(where.unix_path);
    if (!peer) return or_error<load_plan>::failure("Error: Unix socket path too long: '" + where.unix_path + "'");
    plan.target = *peer;
  } else {
    auto resolved = endpoint::resolve(where.host, where.port);
    if (resolved.endpoints.empty()) return or_error<load_plan>::failure("Error: cannot resolve host '" + where.host + "'");
    plan.target = resolved.endpoints.front();
  }
  for (const auto& address : config.source_addresses) {
    auto local = endpoint::from_literal(address, 0);
    if (!local) return or_error<load_plan>::failure("Error: --bind: '" + address + "' is not an IPv4 or IPv6 address");
    if (local->family() != plan.target.family())
      return or_error<load_plan>::failure("Error: --bind: '" + address + "' is not of the target's address family");
    plan.sources.push_back(*local);
  }
  if (where.tls) {
#ifdef URING_CANNON_WITH_TLS
    auto context = tls_client_context::create({.insecure = config.insecure, .ca_file = config.ca_file});
    if (!context) return or_error<load_plan>::failure("Error: " + context.error());
    plan.tls = true;
    plan.server_name = where.host;
    plan.tls_context = std::make_shared<tls_client_context>(std::move(*context));
#else
    return or_error<load_plan>::failure("Error: https:// needs TLS, and this build has none (built without OpenSSL)");
#endif
  }
  plan.target_text = where.display();
  plan.host_header = where.host_header();
  plan.request_target = where.target;
  plan.get_request = http::build_get_request(where);
  plan.config = std::move(config);
  return plan;
}

namespace detail {

/// Counts one worker keeps for itself; merged into load_results at the end.
struct load_counters {
  std::uint64_t requests = 0, responses = 0, bytes_read = 0, reconnects = 0, ws_upgrades = 0, ws_frames = 0;
  std::uint64_t steady_responses = 0;
  latency_histogram steady_latency;  // recorded only with a ramp
  status_counts status;
  error_counts errors;
  latency_histogram latency, ttfb, service_time;
  std::vector<std::uint64_t> status_codes;  // indexed by code
  std::vector<template_results> per_template;
  std::vector<std::uint64_t> per_second;
  load_accounting accounting;
  tls_counts tls;
};

/// What a worker publishes for the live display: single writer, relaxed stores.
struct alignas(64) load_live_counters {
  std::atomic<std::uint64_t> responses{0}, bytes_read{0}, errors{0};
};

/// The requests in flight on one connection, oldest first (responses come back in request
/// order): when each was meant to be sent (open loop) and when it was. In a closed loop the two
/// are the same, and requests of one batch share them.
class send_time_queue {
 public:
  struct entry {
    clock::time_point intended, sent;
  };
  void push(clock::time_point intended, clock::time_point sent, unsigned n = 1) noexcept {
    for (unsigned i = 0; i < n; ++i) entries_[(head_ + size_++) % entries_.size()] = {intended, sent};
  }
  const entry& front() const noexcept { return entries_[head_]; }
  entry pop() noexcept {
    const entry e = entries_[head_];
    head_ = (head_ + 1) % entries_.size();
    --size_;
    return e;
  }
  unsigned size() const noexcept { return size_; }
  void clear() noexcept { head_ = size_ = 0; }

 private:
  std::array<entry, load_config::max_pipeline> entries_{};
  unsigned head_ = 0, size_ = 0;
};

/// Open loop: when a connection's requests are meant to go. Connection `index` of `connections`
/// takes every connections-th request of the run's schedule, starting with request `index`, so
/// the connections share the rate evenly and their sends interleave.
class send_pacer {
 public:
  send_pacer() = default;
  send_pacer(const rate_curve& curve, unsigned connections, unsigned index, clock::time_point start) noexcept
      : curve_(&curve), start_(start), connections_(connections), next_index_(index), next_(at(index)) {}

  /// How many requests are due by `now`, at most `room`.
  unsigned due(clock::time_point now, std::uint64_t room) const noexcept {
    unsigned n = 0;
    while (n < room && at(next_index_ + std::uint64_t(n) * connections_) <= now) ++n;
    return n;
  }
  clock::time_point next() const noexcept { return next_; }
  /// The next request went out; returns when it was meant to.
  clock::time_point take() noexcept {
    next_index_ += connections_;
    return std::exchange(next_, at(next_index_));
  }

 private:
  clock::time_point at(std::uint64_t g) const noexcept {
    return start_ + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(curve_->time_of(double(g))));
  }
  const rate_curve* curve_ = nullptr;
  clock::time_point start_{};
  std::uint64_t connections_ = 1, next_index_ = 0;
  clock::time_point next_{};
};

/// -n: the run's responses as tickets. A connection claims a ticket before each request it sends,
/// and gives back the tickets of requests lost with a connection, so exactly `limit` responses
/// are counted however the requests spread over threads and connections.
class response_budget {
 public:
  explicit response_budget(std::uint64_t limit) noexcept : limit_(limit), unclaimed_(std::int64_t(limit)) {}
  bool limited() const noexcept { return limit_ > 0; }
  /// Up to `n` tickets (all `n` without a limit).
  unsigned claim(unsigned n) noexcept {
    if (!limited() || n == 0) return n;
    std::int64_t left = unclaimed_.load(std::memory_order_relaxed);
    while (left > 0) {
      const auto take = std::min<std::int64_t>(left, n);
      if (unclaimed_.compare_exchange_weak(left, left - take, std::memory_order_relaxed)) return unsigned(take);
    }
    return 0;
  }
  bool available() const noexcept { return !limited() || unclaimed_.load(std::memory_order_relaxed) > 0; }
  void give_back(std::uint64_t n) noexcept {
    if (limited() && n > 0) unclaimed_.fetch_add(std::int64_t(n), std::memory_order_relaxed);
  }
  /// Counts one response; true when it is the last one the run wants.
  bool answered() noexcept { return limited() && answered_.fetch_add(1, std::memory_order_relaxed) + 1 == limit_; }

 private:
  std::uint64_t limit_;
  std::atomic<std::int64_t> unclaimed_;
  std::atomic<std::uint64_t> answered_{0};
};

/// What one worker measured in one --interval, handed to the runner.
struct interval_counts {
  std::uint64_t requests = 0, responses = 0, errors = 0, bytes_read = 0;
  latency_histogram latency;

  void merge(const interval_counts& o) {
    requests += o.requests, responses += o.responses, errors += o.errors, bytes_read += o.bytes_read;
    latency.merge(o.latency);
  }
};

/// A worker's finished intervals, waiting for the runner: interval k of every worker is merged
/// into the run's interval k.
struct interval_mailbox {
  std::mutex lock;
  std::vector<interval_counts> finished;  ///< index k: the worker's interval k
  bool closed = false;                    ///< the worker ended; its last entry holds everything after
};

/// What every worker of one run shares: the measured window, the template sequence counter, the
/// open-loop rate curve and the -n budget.
struct load_shared {
  load_shared(const load_config& c, clock::time_point start)
      : measure_start(start), measure_end(start + c.duration), curve(c.rate, c.rate_schedule),
        budget(c.max_responses) {}
  clock::time_point measure_start, measure_end;
  std::atomic<std::uint64_t> sequence{0};
  rate_curve curve;
  response_budget budget;
  std::function<void()> budget_spent;  ///< called once, on the worker that counts the last -n response
};

/// One connection's state outside its coroutine frame: what the timeout sweep looks at, and the
/// memory its sends read. The worker owns these, so a send still in flight when the scheduler
/// tears the coroutines down never reads freed memory.
struct connection_state {
  int fd = -1;
  unsigned outstanding = 0;  ///< requests waiting for an answer
  bool upgrading = false;    ///< the WebSocket handshake is waiting for its answer
  clock::time_point waiting_since{};  ///< when the oldest unanswered request (or the upgrade) was sent
  bool timed_out = false;
  std::vector<char> send_buffer;           ///< rendered requests or masked frames
  std::array<char, 256> control{};         ///< pong and close frames
  std::string upgrade;                     ///< the WebSocket upgrade request
#ifdef URING_CANNON_WITH_TLS
  tls_session tls;                         ///< https: its ciphertext buffer is what sends read
  std::size_t tls_sending = 0;             ///< ciphertext bytes handed to the last send
  bool tls_ended = false;                  ///< the end of the stream was fed to the session
  std::vector<std::byte> plain;            ///< decrypted bytes, one record at a time
#endif
};

/// One worker thread's share of the connections.
class load_worker {
 public:
  /// `plan` must come from prepare_load() (its config is checked and its pipeline capped).
  /// `mailbox` receives the worker's --interval counts (when config.report_interval > 0).
  load_worker(const load_plan& plan, load_shared& shared, unsigned first_connection, unsigned connections,
              load_live_counters& live, interval_mailbox* mailbox = nullptr)
      : plan_(plan), config_(plan.config), shared_(shared), first_connection_(first_connection),
        connections_(connections), measure_start_(shared.measure_start), measure_end_(shared.measure_end),
        steady_start_(shared.measure_start + config_.ramp_length()), sequence_(shared.sequence), live_(live),
        mailbox_(config_.report_interval.count() > 0 ? mailbox : nullptr),
        rng_(0x9e3779b97f4a7c15ULL * (first_connection + 1) ^ std::uint64_t(clock::now().time_since_epoch().count())) {
    // One count per second; -n runs may be long, so beyond an hour the vector grows (once a second).
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(config_.duration).count();
    counters_.per_second.assign(std::size_t(std::min<std::int64_t>(seconds, 3600)) + 1, 0);
    if (!config_.websocket) counters_.status_codes.assign(1000, 0);
    if (plan_.templates.size() > 1) {
      counters_.per_template.resize(plan_.templates.size());
      for (std::size_t i = 0; i < plan_.templates.size(); ++i) counters_.per_template[i].path = config_.raw_files[i];
    }
    const std::size_t send_size = config_.websocket
        ? websocket::frame_size(config_.ws_message.size(), true) * config_.pipeline
        : scratch_size();
    for (auto& c : connections_) c.send_buffer.resize(send_size);
    // Requests without a placeholder are sent straight from these: `pipeline` copies back to back.
    if (plan_.templates.empty()) {
      batches_.push_back(http::repeat_request(plan_.get_request, config_.pipeline));
    } else {
      for (const auto& t : plan_.templates)
        batches_.push_back(t.has_placeholder() ? std::string() : http::repeat_request(t.text(), config_.pipeline));
    }
  }

  /// Runs every connection until the measurement ends or stop() is called. On this thread only.
  void run(scheduler*& published, std::mutex& publishing) {
    scheduler s;
    struct retract {  // runs before ~scheduler, on a normal return and when unwinding
      scheduler*& published;
      std::mutex& publishing;
      ~retract() {
        std::lock_guard lock(publishing);
        published = nullptr;
      }
    } retract_on_exit{published, publishing};
    {
      std::lock_guard lock(publishing);
      published = &s;
    }
    sched_ = &s;
    if (!s.features().recv_multishot)
      throw std::runtime_error("this kernel lacks multishot receive with provided buffers (Linux 6.0 or later)");
    buffers_ = &s.make_buffer_ring(config_.recv_buffers, config_.recv_buffer_size);
    for (unsigned i = 0; i < connections_.size(); ++i)
      s.spawn(config_.websocket ? websocket_connection(i) : http_connection(i));
    if (config_.timeout.count() > 0) s.spawn(sweep_timeouts());
    if (mailbox_) s.spawn(deliver_intervals());
    if (!stop_requested_.load()) s.run_until(measure_end_);
    ended_ = std::min(clock::now(), measure_end_);
    for (const auto& c : connections_) counters_.accounting.in_flight += c.outstanding;
    sched_ = nullptr;
    publish();
    if (mailbox_) {  // what came after the last whole interval, unless nothing did
      const bool nothing_since = counters_.requests == delivered_.requests &&
                                 counters_.responses == delivered_.responses &&
                                 counters_.errors.total() == delivered_.errors && interval_latency_.empty();
      if (!nothing_since || delivered_intervals_ == 0) deliver_interval();
      std::lock_guard lock(mailbox_->lock);
      mailbox_->closed = true;
    }
  }

  // seq_cst, and publishing is under the runner's mutex: a stop is never missed by both sides.
  void stop() noexcept { stop_requested_.store(true); }
  load_counters& counters() noexcept { return counters_; }
  clock::time_point ended() const noexcept { return ended_; }

 private:
  bool measuring(clock::time_point t) const noexcept { return t >= measure_start_; }

  /// Hands the runner what this worker counted since its last interval.
  void deliver_interval() {
    interval_counts done;
    done.requests = counters_.requests - delivered_.requests;
    done.responses = counters_.responses - delivered_.responses;
    done.errors = counters_.errors.total() - delivered_.errors;
    done.bytes_read = counters_.bytes_read - delivered_.bytes_read;
    delivered_.requests = counters_.requests, delivered_.responses = counters_.responses;
    delivered_.errors = counters_.errors.total(), delivered_.bytes_read = counters_.bytes_read;
    std::swap(done.latency, interval_latency_);
    ++delivered_intervals_;
    std::lock_guard lock(mailbox_->lock);
    mailbox_->finished.push_back(std::move(done));
  }

  /// --interval: one delivery at the end of each interval of the measurement.
  task<> deliver_intervals() {
    for (auto boundary = measure_start_ + config_.report_interval;; boundary += config_.report_interval) {
      const auto wait = boundary - clock::now();
      if (wait > clock::duration::zero()) (void)co_await sleep_for(*sched_, wait);
      deliver_interval();
    }
  }

  void publish() noexcept {
    live_.responses.store(counters_.responses, std::memory_order_relaxed);
    live_.bytes_read.store(counters_.bytes_read, std::memory_order_relaxed);
    live_.errors.store(counters_.errors.total(), std::memory_order_relaxed);
  }

  /// One answer, completed by bytes that arrived at `arrived` (which decides whether it counts,
  /// as for those bytes), parsed at `done` (where its latency ends). WebSocket frames have no
  /// status (`status` < 0).
  void count_response(clock::time_point arrived, clock::time_point done, send_time_queue::entry request,
                      clock::time_point first_byte, int status, std::size_t tpl) noexcept {
    ++counters_.accounting.answered;
    if (!measuring(arrived)) return;
    const auto sent_at = request.intended;  // open loop: coordinated omission corrected
    counters_.ttfb.record(first_byte - request.sent);
    // Closed loop: a request goes out when it is meant to, so the service time is the latency;
    // results() copies it rather than every response recording it twice.
    if (config_.rate > 0) counters_.service_time.record(done - request.sent);
    ++counters_.responses;
    if (status >= 0) {
      counters_.status.count(status);
      if (std::size_t(status) < counters_.status_codes.size()) ++counters_.status_codes[std::size_t(status)];
    }
    counters_.latency.record(done - sent_at);
    if (mailbox_) interval_latency_.record(done - sent_at);
    if (arrived >= steady_start_) {
      ++counters_.steady_responses;
      if (steady_start_ > measure_start_) counters_.steady_latency.record(done - sent_at);
    }
    const auto second = std::size_t((arrived - measure_start_) / std::chrono::seconds(1));
    if (second >= counters_.per_second.size()) counters_.per_second.resize(second + 1);
    ++counters_.per_second[second];
    if (shared_.budget.answered() && shared_.budget_spent) shared_.budget_spent();
    if (!counters_.per_template.empty()) {
      auto& t = counters_.per_template[tpl];
      ++t.responses;
      if (status >= 0) t.status.count(status);
      if (config_.per_template_latency) t.latency.record(done - sent_at);
    }
  }

  /// Publishes what the timeout sweep needs: how many requests wait, and since when the oldest.
  static void track(connection_state& w, const send_time_queue& in_flight) noexcept {
    w.outstanding = in_flight.size();
    if (in_flight.size() > 0) w.waiting_since = in_flight.front().sent;
  }

  /// Why a connection ended, counted once when it does.
  enum class ending { planned, closed_by_peer, timeout, reset, parse_error, unexpected_close, read_other, drained };

  /// The class of a failed recv or send.
  static ending failure(int error) noexcept {
    return error == ECONNRESET || error == EPIPE ? ending::reset : ending::read_other;
  }
  /// A close by the server: an error only when it strands requests.
  static ending closed(const send_time_queue& in_flight) noexcept {
    return in_flight.size() > 0 ? ending::unexpected_close : ending::closed_by_peer;
  }

  void count_ending(ending e, connection_state& w) noexcept {
    const auto now = clock::now();
    if (w.timed_out) e = ending::timeout;
    w.fd = -1;
    counters_.accounting.abandoned += w.outstanding;
    shared_.budget.give_back(w.outstanding);
    w.outstanding = 0;
    w.upgrading = false;
    if (!measuring(now)) return;
    auto& errors = counters_.errors;
    switch (e) {
      case ending::planned: ++counters_.reconnects; break;
      case ending::closed_by_peer:
      case ending::drained: break;
      case ending::timeout: ++errors.timeout, ++errors.classes.read_timeout; break;
      case ending::reset: ++errors.read, ++errors.classes.reset; break;
      case ending::parse_error: ++errors.read, ++errors.classes.parse_error; break;
      case ending::unexpected_close: ++errors.read, ++errors.classes.unexpected_close; break;
      case ending::read_other: ++errors.read, ++errors.classes.read_other; break;
    }
    publish();
  }

  /// The bytes to hand the kernel for `plain`: themselves, or (https) their TLS records, which
  /// stay in the session until the next call (sends on a connection go one at a time).
  std::span<const std::byte> outgoing(connection_state& w, std::span<const std::byte> plain) {
#ifdef URING_CANNON_WITH_TLS
    if (plan_.tls) {
      w.tls.consume_ciphertext(std::exchange(w.tls_sending, 0));  // the previous send completed
      if (!w.tls.write_plaintext(plain)) {  // a broken session: end the connection, its reader counts it
        note_tls_failure(w.tls.error_text());
        if (w.fd >= 0) ::shutdown(w.fd, SHUT_RDWR);
        return {};
      }
      const auto records = w.tls.pending_ciphertext();
      w.tls_sending = records.size();
      return records;
    }
#else
    (void)w;
#endif
    return plain;
  }

#ifdef URING_CANNON_WITH_TLS
  /// https: the handshake on a fresh connection (resuming the last session when it can); a
  /// failure counts as a connect error and its words are kept for the report.
  task<bool> secure(tcp_stream& conn, connection_state& w) {
    std::string failed;  // the words of a failure, counted below as a connect error
    if (auto started = w.tls.start_client(*plan_.tls_context, plan_.server_name); !started)
      failed = started.error();
    else if (auto done = co_await handshake(conn, w); !done)
      failed = done.error();
    if (failed.empty()) co_return true;
    ++counters_.tls.failed;
    note_tls_failure(failed);
    if (measuring(clock::now())) {
      ++counters_.errors.connect;
      ++counters_.errors.classes.connect_other;
      publish();
    }
    (void)co_await sleep_for(*sched_, std::chrono::milliseconds(10));  // a refusing server is not a busy loop
    co_return false;
  }

  /// The handshake of a started session, bounded by the connect timeout (else the response
  /// timeout), and what it tells the report.
  task<or_error<bool>> handshake(tcp_stream& conn, connection_state& w) {
    w.tls_sending = 0;
    w.tls_ended = false;
    if (w.plain.empty()) w.plain.resize(16 * 1024);
    const auto limit = config_.connect_timeout.count() > 0 ? std::chrono::nanoseconds(config_.connect_timeout)
                       : config_.timeout.count() > 0       ? std::chrono::nanoseconds(config_.timeout)
                                                           : std::chrono::nanoseconds(-1);
    auto done = co_await tls_handshake(*sched_, conn.fd(), w.tls, *buffers_, limit);
    if (!done) co_return done;
    ++counters_.tls.handshakes;
    if (w.tls.session_reused()) ++counters_.tls.resumed;
    if (counters_.tls.version.empty()) {
      counters_.tls.version = std::string(w.tls.protocol_version());
      counters_.tls.cipher = std::string(w.tls.cipher());
      counters_.tls.kernel_tls_offered = kernel_tls_available();
    }
    co_return true;
  }

  void note_tls_failure(const std::string& words) {
    if (counters_.tls.first_error.empty()) counters_.tls.first_error = words;
  }

#endif

  /// Connects, counting failures and backing off after them so a refused port is not a busy loop.
  task<std::optional<tcp_stream>> open_connection(connection_state& w) {
    while (!shared_.budget.available()) (void)co_await sleep_for(*sched_, std::chrono::milliseconds(10));
    const auto limit = config_.connect_timeout.count() > 0 ? std::chrono::nanoseconds(config_.connect_timeout)
                                                           : std::chrono::nanoseconds(-1);
    std::optional<endpoint> local;
    if (!plan_.sources.empty())
      local = plan_.sources[(first_connection_ + std::size_t(&w - connections_.data())) % plan_.sources.size()];
    auto made = co_await tcp_stream::connect(*sched_, plan_.target, limit, local);
    if (!made) {
      if (measuring(clock::now())) {
        auto& errors = counters_.errors;
        ++errors.connect;
        if (made.error() == ECONNREFUSED) ++errors.classes.connect_refused;
        else if (made.error() == ETIME || made.error() == ETIMEDOUT) ++errors.classes.connect_timeout;
        else ++errors.classes.connect_other;
        publish();
      }
      (void)co_await sleep_for(*sched_, std::chrono::milliseconds(10));
      co_return std::nullopt;
    }
    w.fd = made->fd();
    w.timed_out = false;
    co_return std::move(*made);
  }

  /// Writes `n` requests of template `tpl` into `scratch` (or points at the prepared batch).
  std::span<const char> render_batch(std::size_t tpl, unsigned n, std::vector<char>& scratch) noexcept {
    const std::string& ready = batches_[tpl];
    if (!ready.empty()) return {ready.data(), ready.size() / config_.pipeline * n};
    const auto& t = plan_.templates[tpl];
    std::size_t used = 0;
    for (unsigned i = 0; i < n; ++i)
      used += t.render(t.next_value(rng_, sequence_), std::span<char>(scratch).subspan(used));
    return {scratch.data(), used};
  }

  std::size_t scratch_size() const {
    std::size_t largest = 0;
    for (const auto& t : plan_.templates) largest = std::max(largest, t.max_rendered_size());
    return largest * config_.pipeline;
  }

  /// Open loop: queues the requests due by `now`, as far as the pipeline has room and `budget`
  /// (requests left on this connection) allows; returns how many, to be sent in one batch.
  unsigned queue_due(send_pacer& pacer, send_time_queue& in_flight, std::uint64_t budget,
                     clock::time_point now) noexcept {
    const unsigned due =
        shared_.budget.claim(pacer.due(now, std::min<std::uint64_t>(config_.pipeline - in_flight.size(), budget)));
    for (unsigned i = 0; i < due; ++i) in_flight.push(pacer.take(), now);
    return due;
  }

  /// Closed loop: how many requests to send after `answered` more came back, at most `left`.
  /// gcannon's way replaces each answer at once; with batch_refill the next batch waits until the
  /// whole pipeline has been answered (wrk's way), so a server that answers pipelined requests one
  /// write at a time gets full batches rather than a few requests per write.
  unsigned closed_loop_refill(unsigned answered, const send_time_queue& in_flight, std::uint64_t left) const noexcept {
    if (config_.batch_refill) return in_flight.size() == 0 ? unsigned(std::min<std::uint64_t>(config_.pipeline, left)) : 0;
    return unsigned(std::min<std::uint64_t>(answered, left));
  }

  send_pacer make_pacer(unsigned index) const noexcept {
    if (config_.rate <= 0) return {};
    return send_pacer(shared_.curve, config_.connections, first_connection_ + index, measure_start_ - config_.warmup);
  }

  /// Closed-loop --ramp: connection `index` opens its share of the way through the ramp.
  task<> wait_for_ramp(unsigned index) {
    if (config_.rate > 0 || config_.ramp.count() <= 0) co_return;
    const auto at = measure_start_ + config_.ramp * (first_connection_ + index) / config_.connections;
    if (const auto wait = at - clock::now(); wait > clock::duration::zero()) (void)co_await sleep_for(*sched_, wait);
  }

  /// What one received chunk held, for an HTTP connection.
  struct responses_seen {
    unsigned completed = 0;
    bool keep_alive = true;  ///< false once a response said the server closes
    bool failed = false;     ///< malformed, or an answer nobody asked for
    clock::time_point parsed{};  ///< when parsing ended (the latency's end), if it completed any

    /// Adds what the next piece of the same chunk held (https: one chunk decrypts to pieces).
    void add(const responses_seen& piece) noexcept {
      completed += piece.completed;
      if (piece.completed > 0) parsed = piece.parsed;
      keep_alive = piece.keep_alive;
      failed = piece.failed;
    }
  };

  /// Parses one chunk that arrived at `now`, counting each response it completes. The clock is
  /// read once, after the whole chunk is parsed, and ends the latency of every response in it:
  /// a read per chunk rather than per response (at -p 16 the reads cost 6% of the client). The
  /// price is a one-sided bias: a response ends late by the parsing of those after it in the
  /// chunk, about 20 ns each for short responses (0.3 us for the first of 16).
  responses_seen read_responses(http::response_parser& parser, std::string_view data, clock::time_point now,
                                clock::time_point& first_byte, send_time_queue& in_flight, std::size_t tpl) noexcept {
    responses_seen seen;
    if (measuring(now)) counters_.bytes_read += data.size();
    std::array<short, load_config::max_pipeline> statuses;  // at most one per request in flight
    clock::time_point first_began{};  // when the chunk's first response began; the later ones began at `now`
    while (!data.empty()) {
      if (parser.idle()) first_byte = now;  // these bytes start the next response
      const auto r = parser.parse(data);
      data.remove_prefix(r.consumed);
      if (r.event == http::parse_event::need_more) break;
      if (r.event == http::parse_event::error || seen.completed == in_flight.size()) {
        seen.failed = true;
        break;
      }
      if (seen.completed == 0) first_began = first_byte;
      statuses[seen.completed++] = short(parser.last_response().status);
      if (!parser.last_response().keep_alive) {
        seen.keep_alive = false;
        break;
      }
    }
    if (seen.completed == 0) return seen;
    seen.parsed = config_.cqe_latency ? now : clock::now();
    for (unsigned i = 0; i < seen.completed; ++i)
      count_response(now, seen.parsed, in_flight.pop(), i == 0 ? first_began : now, statuses[i], tpl);
    return seen;
  }

  /// The end of the stream: it may complete a body delimited by the close.
  ending read_end_of_stream(http::response_parser& parser, connection_state& w, clock::time_point now,
                            clock::time_point first_byte, send_time_queue& in_flight, std::size_t tpl) noexcept {
    if (!w.timed_out && in_flight.size() > 0 &&
        parser.finish().event == http::parse_event::response_complete) {
      count_response(now, now, in_flight.pop(), first_byte, parser.last_response().status, tpl);
      track(w, in_flight);
    }
    return closed(in_flight);
  }

  /// What handing one received chunk to a connection came to.
  enum class received { more, ended, failed };

  /// Hands a received chunk to `use`: as it is, or (https) decrypted, piece by piece, until `use`
  /// returns false or nothing is left. An empty chunk is the end of the stream (it holds no
  /// buffer); any other chunk's buffer goes back to the ring before this returns. `failed`: https
  /// only, an alert or a bad record, whose words are kept for the report.
  template <class Use>
  received feed(connection_state& w, buffer_lease& chunk, Use&& use) {
#ifdef URING_CANNON_WITH_TLS
    if (plan_.tls) return decrypt(w, chunk, use);
#endif
    (void)w;
    if (chunk.empty()) return received::ended;
    use(chunk.chars());
    chunk.reset();  // the buffer goes back before we send
    return received::more;
  }

#ifdef URING_CANNON_WITH_TLS
  /// https: feed(). A stream cut without close_notify after the server closed is an ordinary end
  /// (many servers skip it).
  template <class Use>
  received decrypt(connection_state& w, buffer_lease& chunk, Use& use) {
    if (chunk.empty()) w.tls_ended = true;
    detail::feed_received(w.tls, chunk);
    chunk.reset();  // the session copied the bytes: the buffer goes back now
    for (;;) {
      const tls_read_result r = w.tls.read_plaintext(w.plain);
      if (r.status == tls_read_status::would_block) return received::more;
      if (r.status == tls_read_status::closed || (r.status == tls_read_status::error && w.tls_ended))
        return received::ended;
      if (r.status == tls_read_status::error) {
        note_tls_failure(w.tls.error_text());
        return received::failed;
      }
      if (!use(std::string_view(reinterpret_cast<const char*>(w.plain.data()), r.size))) return received::more;
    }
  }
#endif

  task<> http_connection(unsigned index) {
    connection_state& w = connections_[index];
    http::response_parser parser;
    send_time_queue in_flight;
    clock::time_point first_byte{};  // when the response being parsed began to arrive
    std::vector<char>& scratch = w.send_buffer;
    const std::size_t template_count = std::max<std::size_t>(plan_.templates.size(), 1);
    std::size_t tpl = (first_connection_ + index) % template_count;
    const std::uint64_t per_connection = config_.requests_per_connection ? config_.requests_per_connection : UINT64_MAX;
    const bool open_loop = config_.rate > 0;
    send_pacer pacer = make_pacer(index);
    bool first = true;
    co_await wait_for_ramp(index);

    for (;;) {
      if (!first) tpl = (tpl + 1) % template_count;  // rotate templates on every reconnect
      first = false;
      auto opened = co_await open_connection(w);
      if (!opened) continue;
      tcp_stream conn = std::move(*opened);
#ifdef URING_CANNON_WITH_TLS
      if (plan_.tls && !co_await secure(conn, w)) {
        w.fd = -1;
        continue;
      }
#endif
      parser.reset();
      parser.expect_head_responses(!plan_.templates.empty() && plan_.templates[tpl].is_head());
      in_flight.clear();
      std::uint64_t sent = 0, answered = 0;

      // Sends the last `n` requests queued in in_flight (their entries say when each was meant
      // to go): one send for the batch.
      auto send_queued = [&](unsigned n, clock::time_point now) {
        sent += n;
        track(w, in_flight);
        counters_.accounting.requests_sent += n;
        if (measuring(now)) counters_.requests += n;
        return conn.send_all(outgoing(w, std::as_bytes(render_batch(tpl, n, scratch))));
      };

      // Closed loop (gcannon): a full pipeline, refilled by as many as were answered, with one
      // multishot recv armed. Open loop: requests go out at their intended times as far as the
      // pipeline has room, a late one measured from when it was meant to go; between sends the
      // connection waits with a one-shot recv whose linked timeout ends at the next intended time.
      auto incoming = conn.receiver(*buffers_);  // armed by its first next(), closed loop only
      ending why = ending::closed_by_peer;
      if (!open_loop) {
        const auto now = clock::now();
        const auto n = shared_.budget.claim(unsigned(std::min<std::uint64_t>(config_.pipeline, per_connection)));
        if (n == 0) {
          count_ending(ending::drained, w);
          continue;
        }
        in_flight.push(now, now, n);
        if (auto done = co_await send_queued(n, now); !done) {
          count_ending(failure(done.error()), w);
          continue;
        }
      }
      for (;;) {
        bool room = false;
        clock::duration wait{};
        if (open_loop) {
          const auto now = clock::now();
          const unsigned due = queue_due(pacer, in_flight, per_connection - sent, now);
          if (due > 0) {
            if (auto done = co_await send_queued(due, now); !done) {
              why = failure(done.error());
              break;
            }
          }
          if (in_flight.size() == 0 && !shared_.budget.available()) {
            why = ending::drained;
            break;
          }
          // With -n spent, no request will go out: wait for the answers without a deadline.
          room = in_flight.size() < config_.pipeline && sent < per_connection && shared_.budget.available();
          wait = pacer.next() - clock::now();
          if (room && wait <= clock::duration::zero()) continue;
        }
        // Plain statements, not `c ? co_await a : co_await b` (see websocket_connection).
        io_result<buffer_lease> chunk = io_result<buffer_lease>::failure(EAGAIN);
        if (!open_loop) chunk = co_await incoming.next();
        else if (room) chunk = co_await conn.recv(*buffers_).with_timeout(wait);
        else chunk = co_await conn.recv(*buffers_);
        const auto arrived = clock::now();
        if (!chunk && open_loop && chunk.error() == ETIME) continue;  // time for the next request
        if (!chunk) {
          why = failure(chunk.error());
          break;
        }
        responses_seen seen;
        const received got = feed(w, *chunk, [&](std::string_view data) {
          seen.add(read_responses(parser, data, arrived, first_byte, in_flight, tpl));
          return !seen.failed && seen.keep_alive;
        });
        answered += seen.completed;
        track(w, in_flight);
        publish();
        if (seen.failed || got == received::failed) {
          why = seen.failed ? ending::parse_error : ending::read_other;
          break;
        }
        if (got == received::ended) {
          why = read_end_of_stream(parser, w, arrived, first_byte, in_flight, tpl);
          break;
        }
        if (answered >= per_connection) {
          why = ending::planned;
          break;
        }
        if (!seen.keep_alive) {  // the server said it closes: requests in flight behind it are lost
          why = closed(in_flight);
          break;
        }
        const auto refill =
            open_loop ? 0u : shared_.budget.claim(closed_loop_refill(seen.completed, in_flight, per_connection - sent));
        if (refill > 0) {
          // The parse time stamps the refill too, a clock read saved per chunk. It is early by
          // the counting of the chunk's responses (about 20 ns each): the latency of these
          // requests grows by that, against the microseconds until the ring's next submit,
          // which no stamp taken here can see.
          const auto now = seen.completed > 0 && !config_.cqe_latency ? seen.parsed : clock::now();
          in_flight.push(now, now, refill);
          if (auto done = co_await send_queued(refill, now); !done) {
            why = failure(done.error());
            break;
          }
        }
        if (!open_loop && in_flight.size() == 0) {  // -n: no ticket left for this connection
          why = ending::drained;
          break;
        }
      }
      count_ending(why, w);
    }
  }

  /// What one slice of WebSocket bytes held.
  struct frames_seen {
    unsigned echoes = 0;     ///< messages that answered a frame in flight
    std::size_t pong = 0;    ///< bytes of a pong to send (in control), 0 for none
    bool closed = false;     ///< the server sent a close frame
    bool failed = false;     ///< a protocol error
    clock::time_point parsed{};  ///< when decoding ended (the latency's end), if it found echoes
  };

  /// Decodes `data`, counting the messages that answer frames in flight. Messages that arrive
  /// with nothing in flight (a greeting sent with the 101, say) are frames but not answers. As
  /// in read_responses(), one clock read after the slice ends the latency of all its echoes.
  frames_seen read_frames(websocket::message_decoder& decoder, std::string_view data, clock::time_point arrived,
                          send_time_queue& in_flight, connection_state& w) {
    frames_seen seen;
    const std::uint64_t frames_before = decoder.frames();
    while (!data.empty() && !seen.closed && !seen.failed) {
      const auto r = decoder.decode(std::span<const char>(data.data(), data.size()));
      data.remove_prefix(r.consumed);
      switch (r.event) {
        case websocket::decode_event::need_more: data = {}; break;
        case websocket::decode_event::message:
          if (seen.echoes < in_flight.size()) ++seen.echoes;
          break;
        case websocket::decode_event::ping:  // answer the latest ping (RFC 6455 5.5.3)
          seen.pong = websocket::encode_client_frame(w.control, websocket::opcode::pong, decoder.payload(),
                                                     std::uint32_t(rng_.next()));
          break;
        case websocket::decode_event::pong: break;
        case websocket::decode_event::close: seen.closed = true; break;
        case websocket::decode_event::error: seen.failed = true; break;
      }
    }
    if (measuring(arrived)) counters_.ws_frames += decoder.frames() - frames_before;
    if (seen.echoes == 0) return seen;
    seen.parsed = config_.cqe_latency ? arrived : clock::now();
    for (unsigned i = 0; i < seen.echoes; ++i) count_response(arrived, seen.parsed, in_flight.pop(), arrived, -1, 0);
    return seen;
  }

  task<> websocket_connection(unsigned index) {
    connection_state& w = connections_[index];
    send_time_queue in_flight;
    const std::string& message = config_.ws_message;
    websocket::message_decoder decoder(websocket::role::client);
    const std::uint64_t per_connection = config_.requests_per_connection ? config_.requests_per_connection : UINT64_MAX;
    // Open loop receives with one-shot recvs (their timeouts pace the sends); a closed loop keeps
    // one multishot recv armed. The two never mix on one connection.
    const bool open_loop = config_.rate > 0;
    send_pacer pacer = make_pacer(index);
    co_await wait_for_ramp(index);

    for (;;) {
      auto opened = co_await open_connection(w);
      if (!opened) continue;
      tcp_stream conn = std::move(*opened);
#ifdef URING_CANNON_WITH_TLS
      if (plan_.tls && !co_await secure(conn, w)) {
        w.fd = -1;
        continue;
      }
#endif
      auto incoming = conn.receiver(*buffers_);
      in_flight.clear();
      decoder.reset();
      std::uint64_t sent = 0, answered = 0;
      ending why = ending::closed_by_peer;

      // The upgrade: one request, answered by 101 and a matching Sec-WebSocket-Accept.
      const std::string key = websocket::make_key(rng_.next(), rng_.next());
      w.upgrade = websocket::client_upgrade_request(plan_.host_header, plan_.request_target, key);
      websocket::handshake_response_parser handshake(key);
      w.upgrading = true;
      w.waiting_since = clock::now();
      if (auto done = co_await conn.send_all(outgoing(w, as_bytes(w.upgrade))); !done) {
        count_ending(failure(done.error()), w);
        continue;
      }
      bool upgraded = false;
      frames_seen greeting;  // frames the server sent right behind its 101
      why = ending::parse_error;  // a refused upgrade, unless the stream ended first
      for (;;) {
        // Plain statements, not `c ? co_await a : co_await b`: built with g++ 12, that form lost
        // the echo of the first open-loop frame here (the receive never completed).
        io_result<buffer_lease> chunk = io_result<buffer_lease>::failure(EAGAIN);
        if (open_loop) chunk = co_await conn.recv(*buffers_);
        else chunk = co_await incoming.next();
        if (!chunk) {
          why = failure(chunk.error());
          break;
        }
        const auto now = clock::now();
        bool decided = false;  // the answer to the upgrade is complete
        auto read_answer = [&](std::string_view data) {
          if (measuring(now)) counters_.bytes_read += data.size();
          const auto r = handshake.parse(std::span<const char>(data.data(), data.size()));
          if (r.event == websocket::handshake_event::need_more) return true;
          upgraded = r.event == websocket::handshake_event::accepted;
          if (upgraded) greeting = read_frames(decoder, data.substr(r.consumed), now, in_flight, w);
          decided = true;
          return false;
        };
        const received got = feed(w, *chunk, read_answer);
        if (decided) break;
        if (got != received::more) {
          why = got == received::failed ? ending::read_other : ending::unexpected_close;
          break;
        }
      }
      if (!upgraded || greeting.failed || greeting.closed) {
        count_ending(upgraded && greeting.closed ? ending::unexpected_close : why, w);
        (void)co_await sleep_for(*sched_, std::chrono::milliseconds(10));  // a server that refuses upgrades is not a busy loop
        continue;
      }
      w.upgrading = false;
      ++counters_.ws_upgrades;  // a connection event, not throughput: warm-up upgrades count too
      if (greeting.pong > 0) {
        if (auto done = co_await conn.send_all(outgoing(w, std::as_bytes(std::span<const char>(w.control.data(), greeting.pong)))); !done) {
          count_ending(failure(done.error()), w);
          continue;
        }
      }
      why = ending::closed_by_peer;

      // Sends the last `n` frames queued in in_flight: one send for the batch.
      auto send_queued = [&](unsigned n, clock::time_point now) {
        std::size_t used = 0;
        for (unsigned i = 0; i < n; ++i)
          used += websocket::encode_client_frame(std::span<char>(w.send_buffer).subspan(used), websocket::opcode::text,
                                                 std::span<const char>(message.data(), message.size()),
                                                 std::uint32_t(rng_.next()));
        sent += n;
        track(w, in_flight);
        counters_.accounting.requests_sent += n;
        if (measuring(now)) counters_.requests += n;
        return conn.send_all(outgoing(w, std::as_bytes(std::span<const char>(w.send_buffer.data(), used))));
      };

      if (!open_loop) {
        const auto now = clock::now();
        const auto n = shared_.budget.claim(unsigned(std::min<std::uint64_t>(config_.pipeline, per_connection)));
        if (n == 0) {
          count_ending(ending::drained, w);
          continue;
        }
        in_flight.push(now, now, n);
        if (auto done = co_await send_queued(n, now); !done) {
          count_ending(failure(done.error()), w);
          continue;
        }
      }
      for (;;) {
        if (open_loop && in_flight.size() == 0 && !shared_.budget.available()) {
          why = ending::drained;
          break;
        }
        if (open_loop) {  // send what is due, as the pipeline has room
          const auto now = clock::now();
          const unsigned due = queue_due(pacer, in_flight, per_connection - sent, now);
          if (due > 0) {
            if (auto done = co_await send_queued(due, now); !done) {
              why = failure(done.error());
              break;
            }
          }
        }
        const bool room = open_loop && in_flight.size() < config_.pipeline && sent < per_connection &&
                          shared_.budget.available();
        const auto wait = pacer.next() - clock::now();
        if (room && wait <= clock::duration::zero()) continue;
        io_result<buffer_lease> chunk = io_result<buffer_lease>::failure(EAGAIN);
        if (!open_loop) chunk = co_await incoming.next();
        else if (room) chunk = co_await conn.recv(*buffers_).with_timeout(wait);
        else chunk = co_await conn.recv(*buffers_);
        if (!chunk && open_loop && chunk.error() == ETIME) continue;  // time for the next frame
        if (!chunk) {
          why = failure(chunk.error());
          break;
        }
        const auto now = clock::now();
        frames_seen seen;
        const received got = feed(w, *chunk, [&](std::string_view data) {
          if (measuring(now)) counters_.bytes_read += data.size();
          const frames_seen part = read_frames(decoder, data, now, in_flight, w);
          seen.echoes += part.echoes;
          if (part.echoes > 0) seen.parsed = part.parsed;
          if (part.pong > 0) seen.pong = part.pong;
          seen.closed = seen.closed || part.closed;
          seen.failed = seen.failed || part.failed;
          return !(part.closed || part.failed);
        });
        const bool ended = got == received::ended, tls_broke = got == received::failed;
        answered += seen.echoes;
        track(w, in_flight);
        publish();
        if (seen.failed || tls_broke) {
          why = seen.failed ? ending::parse_error : ending::read_other;
          break;
        }
        if (ended && !seen.closed) {
          why = closed(in_flight);
          break;
        }
        if (seen.closed) {  // answer the close, as the closing handshake asks, and reconnect
          const std::size_t size = websocket::encode_client_frame(w.control, websocket::opcode::close,
                                                                  decoder.payload().first(std::min<std::size_t>(2, decoder.payload().size())),
                                                                  std::uint32_t(rng_.next()));
          (void)co_await conn.send_all(outgoing(w, std::as_bytes(std::span<const char>(w.control.data(), size))));
          why = closed(in_flight);
          break;
        }
        if (seen.pong > 0) {
          if (auto done = co_await conn.send_all(outgoing(w, std::as_bytes(std::span<const char>(w.control.data(), seen.pong)))); !done) {
            why = failure(done.error());
            break;
          }
        }
        if (answered >= per_connection) {
          why = ending::planned;
          break;
        }
        if (open_loop) continue;
        const auto refill = shared_.budget.claim(closed_loop_refill(seen.echoes, in_flight, per_connection - sent));
        if (refill > 0) {
          // The decode time stamps the refill, as in http_connection(), unless a pong went out
          // (and waited for its completion) in between.
          const auto sent_at = seen.echoes > 0 && seen.pong == 0 && !config_.cqe_latency ? seen.parsed : clock::now();
          in_flight.push(sent_at, sent_at, refill);
          if (auto done = co_await send_queued(refill, sent_at); !done) {
            why = failure(done.error());
            break;
          }
        }
        if (in_flight.size() == 0) {  // -n: no ticket left for this connection
          why = ending::drained;
          break;
        }
      }
      count_ending(why, w);
    }
  }

  /// One loop-level timer instead of a timeout per operation: a connection whose oldest request
  /// (or upgrade) has waited longer than config.timeout for its answer is shut down; its reader
  /// sees the end of stream and counts a timeout. A response that trickles in slower than that
  /// times out too.
  task<> sweep_timeouts() {
    const auto period = std::clamp<clock::duration>(config_.timeout / 4, std::chrono::milliseconds(10),
                                                    std::chrono::milliseconds(250));
    for (;;) {
      (void)co_await sleep_for(*sched_, period);
      const auto now = clock::now();
      for (auto& w : connections_) {
        if (w.fd >= 0 && (w.outstanding > 0 || w.upgrading) && !w.timed_out && now - w.waiting_since > config_.timeout) {
          w.timed_out = true;
          ::shutdown(w.fd, SHUT_RDWR);
        }
      }
    }
  }

  const load_plan& plan_;
  const load_config& config_;
  load_shared& shared_;
  unsigned first_connection_;
  std::vector<connection_state> connections_;
  clock::time_point measure_start_, measure_end_, steady_start_, ended_{};
  std::atomic<std::uint64_t>& sequence_;
  load_live_counters& live_;
  interval_mailbox* mailbox_;
  struct {
    std::uint64_t requests = 0, responses = 0, errors = 0, bytes_read = 0;
  } delivered_;                          // the counts at the last delivery
  latency_histogram interval_latency_;   // since the last delivery
  std::size_t delivered_intervals_ = 0;
  splitmix64 rng_;
  std::vector<std::string> batches_;
  load_counters counters_;
  scheduler* sched_ = nullptr;
  buffer_ring* buffers_ = nullptr;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace detail

/// Runs a plan on its worker threads. start(), then watch progress() and call request_stop()
/// from any thread if you like, then results().
class load_runner {
 public:
  explicit load_runner(load_plan plan) : plan_(std::move(plan)) {}
  load_runner(const load_runner&) = delete;
  load_runner& operator=(const load_runner&) = delete;
  ~load_runner() {
    if (!workers_.empty()) stop_workers();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  const load_plan& plan() const noexcept { return plan_; }

  /// Starts the workers. The warm-up begins now; the measurement after it.
  void start() {
    const auto& c = plan_.config;
    started_ = clock::now();
    measure_start_ = started_ + c.warmup;
    measure_end_ = measure_start_ + c.duration;
    shared_ = std::make_unique<detail::load_shared>(c, measure_start_);
    shared_->budget_spent = [this] { stop_workers(); };
    const unsigned threads = c.threads;
    live_ = std::make_unique<detail::load_live_counters[]>(threads);
    schedulers_ = std::make_unique<scheduler*[]>(threads);
    mailboxes_ = std::make_unique<detail::interval_mailbox[]>(threads);
    unsigned first = 0;
    for (unsigned i = 0; i < threads; ++i) {
      const unsigned share = c.connections / threads + (i < c.connections % threads ? 1 : 0);
      workers_.push_back(std::make_unique<detail::load_worker>(plan_, *shared_, first, share, live_[i], &mailboxes_[i]));
      first += share;
    }
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i] {
        try {
          workers_[i]->run(schedulers_[i], publishing_);
        } catch (...) {
          {
            std::lock_guard lock(mutex_);
            if (!failure_) failure_ = std::current_exception();
          }
          stop_workers();  // one failed: the run is over, report it now rather than at the deadline
        }
        std::lock_guard lock(mutex_);
        ++finished_;
        done_.notify_all();
      });
    }
  }

  /// Counts so far, summed over the workers (each publishes after every batch it reads).
  load_progress progress() const noexcept {
    load_progress p;
    p.elapsed_sec = std::chrono::duration<double>(clock::now() - measure_start_).count();
    p.duration_sec = std::chrono::duration<double>(plan_.config.duration).count();
    for (unsigned i = 0; i < workers_.size(); ++i) {
      p.responses += live_[i].responses.load(std::memory_order_relaxed);
      p.bytes_read += live_[i].bytes_read.load(std::memory_order_relaxed);
      p.errors += live_[i].errors.load(std::memory_order_relaxed);
    }
    return p;
  }

  /// Ends the run early; results() then reports what ran. Safe from any thread once start()
  /// has returned (not from a signal handler: set a flag there and call this from a normal thread).
  void request_stop() noexcept {
    stopped_early_.store(true, std::memory_order_relaxed);
    stop_workers();
  }

  /// --interval (load_config::report_interval): the next interval that every worker has finished,
  /// oldest first, or nothing yet. The intervals of a run add up to its totals exactly: the last
  /// one, delivered when the workers end, holds what came after the last whole interval.
  std::optional<load_interval> next_interval() {
    const auto& c = plan_.config;
    if (c.report_interval.count() <= 0 || workers_.empty()) return std::nullopt;
    bool any = false, all_closed = true;
    for (unsigned i = 0; i < workers_.size(); ++i) {
      std::lock_guard lock(mailboxes_[i].lock);
      const auto& box = mailboxes_[i];
      if (box.finished.size() > intervals_taken_) any = true;
      else if (!box.closed) return std::nullopt;  // this worker has not finished the interval yet
      all_closed = all_closed && box.closed;
    }
    if (!any) return std::nullopt;  // every worker is done and everything was taken
    detail::interval_counts sum;
    for (unsigned i = 0; i < workers_.size(); ++i) {
      std::lock_guard lock(mailboxes_[i].lock);
      auto& box = mailboxes_[i];
      if (box.finished.size() > intervals_taken_) {
        sum.merge(box.finished[intervals_taken_]);
        const detail::interval_counts gone = std::move(box.finished[intervals_taken_]);  // its histogram's memory goes back now
      }
    }
    load_interval out;
    out.index = intervals_taken_++;
    const double length = std::chrono::duration<double>(c.report_interval).count();
    out.start_sec = length * double(out.index);
    auto now = clock::now();
    if (all_closed) {  // the run is over: the last interval ends where the workers did
      now = measure_start_;
      for (const auto& worker : workers_) now = std::max(now, worker->ended());
    }
    out.end_sec = std::min(out.start_sec + length,
                           std::max(out.start_sec, std::chrono::duration<double>(now - measure_start_).count()));
    out.requests = sum.requests;
    out.responses = sum.responses;
    out.errors = sum.errors;
    out.bytes_read = sum.bytes_read;
    out.latency = std::move(sum.latency);
    return out;
  }

  /// Waits up to `limit` for the workers to finish; true when they have.
  bool wait_for(clock::duration limit) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, limit, [&] { return finished_ == workers_.size(); });
  }

  /// Waits for the workers and merges what they counted. Rethrows a worker's exception.
  load_results results() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    if (failure_) std::rethrow_exception(failure_);
    load_results r;
    r.target = plan_.target_text;
    r.tls = plan_.tls;
    auto ended = measure_start_;
    for (auto& worker : workers_) {
      auto& c = worker->counters();
      ended = std::max(ended, worker->ended());
      r.requests += c.requests;
      r.responses += c.responses;
      r.bytes_read += c.bytes_read;
      r.reconnects += c.reconnects;
      r.ws_upgrades += c.ws_upgrades;
      r.ws_frames += c.ws_frames;
      r.status.merge(c.status);
      r.errors.merge(c.errors);
      r.latency.merge(c.latency);
      r.ttfb.merge(c.ttfb);
      if (plan_.config.rate > 0) r.service_time.merge(c.service_time);
      if (!c.status_codes.empty()) {
        if (r.status_codes.empty()) r.status_codes.assign(c.status_codes.size(), 0);
        for (std::size_t i = 0; i < c.status_codes.size(); ++i) r.status_codes[i] += c.status_codes[i];
      }
      r.accounting.merge(c.accounting);
      if (r.per_template.empty()) {
        r.per_template = c.per_template;
      } else {
        for (std::size_t i = 0; i < r.per_template.size(); ++i) {
          r.per_template[i].responses += c.per_template[i].responses;
          r.per_template[i].status.merge(c.per_template[i].status);
          r.per_template[i].latency.merge(c.per_template[i].latency);
        }
      }
      r.steady_responses += c.steady_responses;
      r.tls_stats.merge(c.tls);
      r.steady_latency.merge(c.steady_latency);
      if (r.responses_per_second.size() < c.per_second.size()) r.responses_per_second.resize(c.per_second.size());
      for (std::size_t i = 0; i < c.per_second.size(); ++i) r.responses_per_second[i] += c.per_second[i];
    }
    if (plan_.config.rate <= 0) r.service_time = r.latency;
    r.elapsed_sec = std::chrono::duration<double>(ended - measure_start_).count();
    r.ramp_sec = std::min(r.elapsed_sec, std::chrono::duration<double>(plan_.config.ramp_length()).count());
    r.interrupted = stopped_early_.load(std::memory_order_relaxed) && ended < measure_end_;
    // Only whole seconds that the run lived through.
    r.responses_per_second.resize(std::min(r.responses_per_second.size(), std::size_t(std::ceil(r.elapsed_sec))));
    return r;
  }

 private:
  void stop_workers() noexcept {
    std::lock_guard lock(publishing_);  // a published scheduler stays alive while this is held
    for (unsigned i = 0; i < workers_.size(); ++i) {
      workers_[i]->stop();
      if (schedulers_[i] != nullptr) schedulers_[i]->request_stop();
    }
  }

  load_plan plan_;
  clock::time_point started_{}, measure_start_{}, measure_end_{};
  std::unique_ptr<detail::load_shared> shared_;
  std::unique_ptr<detail::load_live_counters[]> live_;
  std::unique_ptr<detail::interval_mailbox[]> mailboxes_;
  std::size_t intervals_taken_ = 0;
  std::unique_ptr<scheduler*[]> schedulers_;  // each worker's, while it runs; under publishing_
  std::mutex publishing_;
  std::vector<std::unique_ptr<detail::load_worker>> workers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t finished_ = 0;
  std::exception_ptr failure_;
  std::atomic<bool> stopped_early_{false};
};

/// Runs `plan` to the end and returns what it measured.
inline load_results run_load(load_plan plan) {
  load_runner runner(std::move(plan));
  runner.start();
  return runner.results();
}

}  // namespace uring_cannon
