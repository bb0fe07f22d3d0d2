// What the coroutine layer costs: the same io_uring work written twice, once with uring_cannon
// coroutines and once as a hand-written liburing callback state machine (the way gcannon is
// written: per-connection state structs, user_data tags, a switch on the op kind), run side by
// side in one process and compared round by round.
//
// Workloads:
//   http keep-alive  The headline: the load loop of an HTTP/1.1 load generator. C connections to a
//                    local responder (a child process, plain epoll) each send P pipelined GETs,
//                    then receive (multishot recv, provided buffers), parse (the library's
//                    response parser), record each response's latency (the library's latency
//                    histogram) and status, and refill as many requests as were answered
//                    (gcannon's closed loop), until N responses are in. CPU is the client thread's
//                    own (CLOCK_THREAD_CPUTIME_ID). A third column runs the real engine (run_load
//                    with -n N) against the same responder.
//   nop round trip   K chains, each submits a NOP, waits for its completion, submits the next.
//                    Pure framework overhead: the kernel does almost nothing.
//   loopback echo    C client connections and their C server ends, all on 127.0.0.1 in one ring.
//                    Each client sends a 64-byte message and waits for the full echo before the
//                    next. Both variants, per message: one SEND from the client, one multishot-recv
//                    CQE (provided buffer) at the server, one SEND of that same buffer back, one
//                    multishot-recv CQE at the client, whose bytes are compared with what was sent.
//
// Both variants use the same ring set-up (SINGLE_ISSUER | DEFER_TASKRUN where the kernel has them,
// 1024 SQ / 8192 CQ entries), one io_uring_submit_and_wait per loop turn and batched CQE drains.
// Only the message phase is timed (connection set-up is not; the engine's is). Each variant
// checks its own work and the program exits 1 when a count, a byte or a descriptor does not add up.
//
//   g++ -std=c++20 -O2 -Iinclude benchmarks/coro_vs_callback.cpp -luring -o coro_vs_callback &&
//   ./coro_vs_callback --rounds 5 --http-conns 64 --pipeline 1,16 --responses 100000
//   ./coro_vs_callback --workloads http --pipeline 1 --verbose

#include <uring_cannon/detail/liburing_compat.hpp>
#include <uring_cannon/endpoint.hpp>
#include <uring_cannon/http_request.hpp>
#include <uring_cannon/http_response_parser.hpp>
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/listener.hpp>
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/load_engine.hpp>
#include <uring_cannon/ops.hpp>
#include <uring_cannon/recv_stream.hpp>
#include <uring_cannon/scheduler.hpp>
#include <uring_cannon/task.hpp>
#include <uring_cannon/tcp_stream.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace uc = uring_cannon;

// ---- configuration and shared helpers --------------------------------------------------------

constexpr std::size_t message_size = 64;
constexpr unsigned ring_entries = 1024;
constexpr unsigned cq_entries = 8 * ring_entries;  // what uc::ring asks for by default
// One buffer group for every connection, in both variants. At most two buffers per connection
// are ever held (ping-pong), so the group never runs dry and -ENOBUFS cannot happen.
constexpr unsigned provided_buffer_count = 1024;
constexpr std::uint32_t provided_buffer_size = 2048;

class http_responder;

struct config {
  unsigned rounds = 5;
  // http
  unsigned http_conns = 64;
  std::vector<unsigned> pipelines = {1, 16};
  std::uint64_t responses = 100'000;  // per pipeline slot: a run at depth P collects P times this
  bool engine = true;
  bool pin = false;  // --pin: client and responder on CPUs of their own
  // nop, echo
  unsigned chains = 64;
  std::uint64_t ops = 5'000'000;
  unsigned conns = 64;
  std::uint64_t messages = 150'000;
  bool run_http = true, run_nop = true, run_echo = true;
  // --only: one variant alone, for a profiler (no ratios then).
  bool run_coroutines = true, run_callbacks = true;
  bool verbose = false;

  // Set per http series by the driver.
  unsigned pipeline = 1;
  http_responder* server = nullptr;
};

struct measurement {
  double wall_ns = 0;
  double cpu_ns = 0;          ///< the process (nop, echo) or the client thread (http)
  double server_cpu_ns = 0;   ///< http: the responder process
  double units = 0;           ///< http: responses counted
  double turns = 0;           ///< http: loop turns (one submit-and-wait each); 0 when not known
};

double ns_between(const timespec& a, const timespec& b) {
  return double(b.tv_sec - a.tv_sec) * 1e9 + double(b.tv_nsec - a.tv_nsec);
}

double cpu_clock_ns(clockid_t clock) {
  timespec now{};
  ::clock_gettime(clock, &now);
  return double(now.tv_sec) * 1e9 + double(now.tv_nsec);
}

/// Wall time and the CPU time of `cpu_clock`: the process for workloads that run on one thread,
/// the calling thread for the http loops (the process then also runs the engine's threads).
struct stopwatch {
  clockid_t cpu_clock;
  timespec wall_start{}, cpu_start{};
  explicit stopwatch(clockid_t cpu = CLOCK_PROCESS_CPUTIME_ID) : cpu_clock(cpu) {
    ::clock_gettime(CLOCK_MONOTONIC, &wall_start);
    ::clock_gettime(cpu_clock, &cpu_start);
  }
  measurement stop() const {
    timespec wall_end{}, cpu_end{};
    ::clock_gettime(cpu_clock, &cpu_end);
    ::clock_gettime(CLOCK_MONOTONIC, &wall_end);
    return {.wall_ns = ns_between(wall_start, wall_end), .cpu_ns = ns_between(cpu_start, cpu_end)};
  }
};

// A wedged run (a lost completion, a stuck connection) must fail loudly, not hang the benchmark.
void on_watchdog(int) {
  static const char message[] = "coro_vs_callback: a run stalled (watchdog fired)\n";
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
  std::_Exit(1);
}
struct watchdog {
  explicit watchdog(std::uint64_t units) { ::alarm(static_cast<unsigned>(60 + units / 10'000)); }
  ~watchdog() { ::alarm(0); }
};

/// Reports why a run does not count; the caller returns the result, and main exits 1.
std::nullopt_t fail(const char* variant, const std::string& why) {
  std::fprintf(stderr, "coro_vs_callback: %s: %s\n", variant, why.c_str());
  return std::nullopt;
}

std::size_t open_descriptor_count() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
  }
  return count;
}

/// The message a client sends as its `sequence`-th: distinct every time, so a stale or misrouted
/// echo cannot pass the byte comparison.
void write_message(std::byte* message, std::uint64_t sequence) {
  for (std::size_t i = 0; i < message_size; i += sizeof sequence) {
    const std::uint64_t word = sequence * 0x9e3779b97f4a7c15ULL + i;
    std::memcpy(message + i, &word, sizeof word);
  }
}

/// Keeps the calling thread on one CPU.
void pin_to_cpu(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  ::sched_setaffinity(0, sizeof one, &one);
}

void set_no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// ---- coroutine variant: nop round trip -------------------------------------------------------

struct nop_progress {
  std::uint64_t total = 0;
  std::uint64_t issued = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
};

uc::task<> nop_chain(uc::scheduler& s, nop_progress& progress) {
  while (progress.issued < progress.total) {
    ++progress.issued;
    auto done = co_await uc::nop(s);
    if (!done) {
      ++progress.failed;
      s.stop();
      co_return;
    }
    ++progress.completed;
  }
}

std::optional<measurement> nop_coroutines(const config& cfg) {
  const char* variant = "nop/coroutines";
  uc::scheduler s;
  nop_progress progress{.total = cfg.ops};
  for (unsigned i = 0; i < cfg.chains; ++i) s.spawn(nop_chain(s, progress));
  watchdog guard(cfg.ops);
  const stopwatch clock;
  s.run();
  const measurement took = clock.stop();
  if (progress.failed != 0) return fail(variant, std::to_string(progress.failed) + " NOPs failed");
  if (progress.completed != cfg.ops)
    return fail(variant, "completed " + std::to_string(progress.completed) + " of " + std::to_string(cfg.ops));
  if (s.stats().unknown != 0) return fail(variant, "CQEs with unknown user_data");
  return took;
}

// ---- coroutine variant: loopback echo --------------------------------------------------------

struct echo_progress {
  std::uint64_t total = 0;
  std::uint64_t started = 0;
  std::uint64_t echoed = 0;
  std::uint64_t failed = 0;
  const char* first_failure = nullptr;

  void failure(uc::scheduler& s, const char* what) {
    ++failed;
    if (first_failure == nullptr) first_failure = what;
    s.stop();  // the peers of a failed connection would wait forever
  }
};

uc::task<> echo_client(uc::tcp_stream conn, uc::buffer_ring& buffers, echo_progress& progress) {
  uc::scheduler& s = conn.sched();
  auto incoming = conn.receiver(buffers);
  std::array<std::byte, message_size> message;
  while (progress.started < progress.total) {
    write_message(message.data(), ++progress.started);
    if (!co_await conn.send_all(message)) co_return progress.failure(s, "client send failed");
    std::size_t received = 0;
    while (received < message_size) {
      auto chunk = co_await incoming.next();
      if (!chunk) co_return progress.failure(s, "client recv failed");
      if (chunk->empty()) co_return progress.failure(s, "server closed early");
      if (received + chunk->size() > message_size ||
          std::memcmp(chunk->bytes().data(), message.data() + received, chunk->size()) != 0)
        co_return progress.failure(s, "echo differs from the message sent");
      received += chunk->size();
    }
    ++progress.echoed;
  }
}  // the stream cancels its multishot recv, the connection closes: the server sees end of stream

// The echo end of a connection: uc::echo_connection with failures counted (a silent return would
// leave its client waiting).
uc::task<> echo_server_end(uc::tcp_stream conn, uc::buffer_ring& buffers, echo_progress& progress) {
  uc::scheduler& s = conn.sched();
  auto incoming = conn.receiver(buffers);
  for (;;) {
    auto chunk = co_await incoming.next();
    if (!chunk) co_return progress.failure(s, "server recv failed");
    if (chunk->empty()) co_return;  // the client is done
    if (!co_await conn.send_all(chunk->bytes())) co_return progress.failure(s, "server send failed");
  }
}

uc::task<bool> connect_pairs(uc::scheduler& s, uc::listener& l, unsigned count, std::vector<uc::tcp_stream>& clients,
                             std::vector<uc::tcp_stream>& servers) {
  for (unsigned i = 0; i < count; ++i) {
    auto client = co_await uc::tcp_stream::connect(s, l.local_endpoint());
    if (!client) co_return false;
    auto accepted = co_await l.accept(s);
    if (!accepted) co_return false;
    set_no_delay(*accepted);
    clients.push_back(std::move(*client));
    servers.emplace_back(s, *accepted);
  }
  co_return true;
}

std::optional<measurement> echo_coroutines(const config& cfg) {
  const char* variant = "echo/coroutines";
  const std::size_t descriptors_before = open_descriptor_count();
  measurement took;
  {
    uc::scheduler s;
    auto& buffers = s.make_buffer_ring(provided_buffer_count, provided_buffer_size);
    auto l = uc::listener::bind(*uc::endpoint::from_literal("127.0.0.1", 0));
    std::vector<uc::tcp_stream> clients, servers;
    if (!s.block_on(connect_pairs(s, l, cfg.conns, clients, servers)))
      return fail(variant, "loopback connection set-up failed");

    echo_progress progress{.total = cfg.messages};
    for (unsigned i = 0; i < cfg.conns; ++i) {
      s.spawn(echo_client(std::move(clients[i]), buffers, progress));
      s.spawn(echo_server_end(std::move(servers[i]), buffers, progress));
    }
    watchdog guard(cfg.messages);
    const stopwatch clock;
    s.run();
    took = clock.stop();

    if (progress.failed != 0) return fail(variant, progress.first_failure);
    if (progress.echoed != cfg.messages)
      return fail(variant, "echoed " + std::to_string(progress.echoed) + " of " + std::to_string(cfg.messages));
    if (s.stats().unknown != 0) return fail(variant, "CQEs with unknown user_data");
    if (!s.settle() || buffers.available() != buffers.count())
      return fail(variant, "provided buffers not all returned");
  }
  if (open_descriptor_count() != descriptors_before)
    return fail(variant, "sockets left open after the run");
  return took;
}

// ---- callback variant: the ring, as a C programmer would set it up ---------------------------

enum class op_kind : std::uint8_t {
  nop,
  client_send,
  client_recv,
  server_send,
  server_recv,
  http_send,
  http_recv,
  cancel,
  close
};

constexpr std::uint64_t tag(op_kind kind, std::uint32_t index) { return (std::uint64_t(kind) << 32) | index; }
constexpr op_kind kind_of(std::uint64_t user_data) { return op_kind(user_data >> 32); }
constexpr std::uint32_t index_of(std::uint64_t user_data) { return std::uint32_t(user_data); }

struct raw_ring {
  io_uring ring{};
  bool defer_taskrun = false;
  int setup_error = 0;

  raw_ring() {
    // The same flags uc::ring tries first; without DEFER_TASKRUN both variants fall back alike.
    const unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    const unsigned attempts[] = {base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                 base | IORING_SETUP_COOP_TASKRUN, IORING_SETUP_CQSIZE};
    for (unsigned flags : attempts) {
      io_uring_params params{};
      params.flags = flags;
      params.cq_entries = cq_entries;
      setup_error = io_uring_queue_init_params(ring_entries, &ring, &params);
      if (setup_error == 0) {
        defer_taskrun = flags & IORING_SETUP_DEFER_TASKRUN;
        return;
      }
      if (setup_error != -EINVAL) return;
    }
  }
  raw_ring(const raw_ring&) = delete;
  raw_ring& operator=(const raw_ring&) = delete;
  ~raw_ring() {
    if (setup_error == 0) io_uring_queue_exit(&ring);
  }

  io_uring_sqe* sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    while (sqe == nullptr) {  // SQ full: flush and retry
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
  }
};

/// The event loop the callback workloads share: one submit_and_wait per turn, then the CQ in
/// batches, each CQE handed to `machine.handle` (a switch on the op kind) until `machine.done()`.
/// Counts its turns into `turns`. Not inlined, so a profiler can collect it alone (callgrind
/// --toggle-collect='*run_loop*', as 'uring_cannon::scheduler::turn*' for the coroutines).
template <class Machine>
[[gnu::noinline]] bool run_loop(raw_ring& r, Machine& machine, std::uint64_t* turns = nullptr) {
  io_uring_cqe* cqes[256];
  while (!machine.done()) {
    if (turns != nullptr) ++*turns;
    const int submitted = io_uring_submit_and_wait(&r.ring, 1);
    if (submitted < 0 && submitted != -EINTR && submitted != -EAGAIN) return false;
    for (;;) {
      const unsigned count = io_uring_peek_batch_cqe(&r.ring, cqes, 256);
      for (unsigned i = 0; i < count; ++i) machine.handle(*cqes[i]);
      io_uring_cq_advance(&r.ring, count);
      if (count < 256) break;
    }
  }
  return true;
}

// ---- callback variant: nop round trip --------------------------------------------------------

struct nop_machine {
  raw_ring& r;
  std::uint64_t total;
  std::uint64_t issued = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;

  void issue(std::uint32_t chain) {
    io_uring_sqe* sqe = r.sqe();
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, tag(op_kind::nop, chain));
    ++issued;
  }
  void handle(const io_uring_cqe& cqe) {
    switch (kind_of(cqe.user_data)) {
      case op_kind::nop:
        if (cqe.res < 0) ++failed;
        ++completed;
        if (issued < total) issue(index_of(cqe.user_data));
        break;
      default:
        ++failed;
        break;
    }
  }
  bool done() const { return completed >= total || failed != 0; }
};

std::optional<measurement> nop_callbacks(const config& cfg) {
  const char* variant = "nop/callbacks";
  raw_ring r;
  if (r.setup_error != 0) return fail(variant, "io_uring_queue_init_params failed");
  nop_machine machine{.r = r, .total = cfg.ops};
  watchdog guard(cfg.ops);
  const stopwatch clock;
  for (unsigned chain = 0; chain < cfg.chains && machine.issued < cfg.ops; ++chain) machine.issue(chain);
  const bool looped = run_loop(r, machine);
  const measurement took = clock.stop();
  if (!looped) return fail(variant, "io_uring_submit_and_wait failed");
  if (machine.failed != 0) return fail(variant, std::to_string(machine.failed) + " NOPs failed");
  if (machine.completed != cfg.ops)
    return fail(variant, "completed " + std::to_string(machine.completed) + " of " + std::to_string(cfg.ops));
  return took;
}

// ---- callback variant: loopback echo ---------------------------------------------------------

struct client_conn {
  int fd = -1;
  std::uint32_t bytes_sent = 0;      // of the current message (a partial send is resubmitted)
  std::uint32_t bytes_received = 0;  // of its echo
  bool send_in_flight = false;
  bool finished = false;
  alignas(64) std::byte message[message_size];
};

struct received_chunk {
  std::uint16_t buffer_id;
  std::uint32_t length;
};

struct server_conn {
  int fd = -1;
  bool send_in_flight = false;
  bool peer_closed = false;
  std::uint32_t head_sent = 0;  // bytes of queue[head] already echoed
  // Chunks received while an echo send is in flight wait here, in order. A client has at most
  // one message (64 bytes, so at most 64 chunks) outstanding.
  std::uint32_t head = 0, count = 0;
  received_chunk queue[message_size];
};

/// The provided buffers of a callback variant (group 0): registered and all handed to the kernel
/// on creation, unregistered when they go.
class provided_buffers {
 public:
  provided_buffers(raw_ring& r, unsigned count, std::size_t size)
      : r_(r), count_(count), size_(size), memory_(std::size_t(count) * size) {  // touched here
    int error = 0;
    ring_ = uc::detail::setup_buf_ring(&r.ring, count, 0, &error);
    if (ring_ == nullptr) return;
    for (unsigned id = 0; id < count; ++id)
      io_uring_buf_ring_add(ring_, buffer(std::uint16_t(id)), unsigned(size), std::uint16_t(id),
                            io_uring_buf_ring_mask(count), int(id));
    io_uring_buf_ring_advance(ring_, int(count));
  }
  provided_buffers(const provided_buffers&) = delete;
  provided_buffers& operator=(const provided_buffers&) = delete;
  ~provided_buffers() {
    if (ring_ != nullptr) uc::detail::free_buf_ring(&r_.ring, ring_, count_, 0);
  }

  bool registered() const noexcept { return ring_ != nullptr; }
  std::byte* buffer(std::uint16_t id) noexcept { return memory_.data() + std::size_t(id) * size_; }
  void give_back(std::uint16_t id) noexcept {
    io_uring_buf_ring_add(ring_, buffer(id), unsigned(size_), id, io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(ring_, 1);
  }

 private:
  raw_ring& r_;
  unsigned count_;
  std::size_t size_;
  std::vector<std::byte> memory_;
  io_uring_buf_ring* ring_ = nullptr;
};

struct echo_machine {
  raw_ring& r;
  provided_buffers& buffers;
  std::vector<client_conn> clients;
  std::vector<server_conn> servers;
  std::uint64_t total = 0;
  std::uint64_t started = 0;
  std::uint64_t echoed = 0;
  std::uint32_t ops_in_flight = 0;  // SQEs whose final CQE has not arrived
  std::uint32_t open_sockets = 0;
  const char* failure = nullptr;

  bool done() const { return failure != nullptr || (ops_in_flight == 0 && open_sockets == 0); }

  io_uring_sqe* sqe(op_kind kind, std::uint32_t index) {
    io_uring_sqe* sqe = r.sqe();
    io_uring_sqe_set_data64(sqe, tag(kind, index));
    ++ops_in_flight;
    return sqe;
  }
  void arm_recv(int fd, op_kind kind, std::uint32_t index) {
    io_uring_sqe* s = sqe(kind, index);
    io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = 0;
  }
  void close_socket(int fd, std::uint32_t index) {
    io_uring_prep_close(sqe(op_kind::close, index), fd);
    --open_sockets;
  }

  // -- client side
  void client_send(client_conn& c, std::uint32_t index) {
    io_uring_prep_send(sqe(op_kind::client_send, index), c.fd, c.message + c.bytes_sent, message_size - c.bytes_sent,
                       MSG_NOSIGNAL);
    c.send_in_flight = true;
  }
  void next_message(client_conn& c, std::uint32_t index) {
    if (started == total) {
      // Done: cancel the multishot recv by its user_data, and close; the server end sees EOF.
      c.finished = true;
      io_uring_prep_cancel64(sqe(op_kind::cancel, index), tag(op_kind::client_recv, index), 0);
      close_socket(c.fd, index);
      return;
    }
    write_message(c.message, ++started);
    c.bytes_sent = 0;
    c.bytes_received = 0;
    client_send(c, index);
  }
  void on_client_send(client_conn& c, std::uint32_t index, int res) {
    c.send_in_flight = false;
    if (res <= 0) return void(failure = "client send failed");
    c.bytes_sent += std::uint32_t(res);
    if (c.bytes_sent < message_size) return client_send(c, index);
    if (c.bytes_received == message_size) {
      ++echoed;
      next_message(c, index);
    }
  }
  void on_client_recv(client_conn& c, std::uint32_t index, const io_uring_cqe& cqe) {
    if (cqe.res > 0) {
      const auto id = std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      const auto length = std::uint32_t(cqe.res);
      const bool matches = !c.finished && c.bytes_received + length <= message_size &&
                           std::memcmp(buffers.buffer(id), c.message + c.bytes_received, length) == 0;
      buffers.give_back(id);
      if (!matches) return void(failure = "echo differs from the message sent");
      c.bytes_received += length;
      if (!(cqe.flags & IORING_CQE_F_MORE)) arm_recv(c.fd, op_kind::client_recv, index);  // the kernel ended it
      if (c.bytes_received == message_size && !c.send_in_flight) {
        ++echoed;
        next_message(c, index);
      }
      return;
    }
    if (cqe.flags & IORING_CQE_F_BUFFER) buffers.give_back(std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    if (c.finished && cqe.res == -ECANCELED) return;
    failure = cqe.res == 0 ? "server closed early" : "client recv failed";
  }

  // -- server side
  void server_send(server_conn& s, std::uint32_t index) {
    const received_chunk& chunk = s.queue[s.head];
    io_uring_prep_send(sqe(op_kind::server_send, index), s.fd, buffers.buffer(chunk.buffer_id) + s.head_sent,
                       chunk.length - s.head_sent, MSG_NOSIGNAL);
    s.send_in_flight = true;
  }
  void on_server_recv(server_conn& s, std::uint32_t index, const io_uring_cqe& cqe) {
    if (cqe.res > 0) {
      if (s.count == message_size) return void(failure = "server queue overflow");
      s.queue[(s.head + s.count++) % message_size] = {std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT),
                                                      std::uint32_t(cqe.res)};
      if (!s.send_in_flight) server_send(s, index);
      if (!(cqe.flags & IORING_CQE_F_MORE)) arm_recv(s.fd, op_kind::server_recv, index);
      return;
    }
    if (cqe.flags & IORING_CQE_F_BUFFER) buffers.give_back(std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    if (cqe.res < 0) return void(failure = "server recv failed");
    s.peer_closed = true;  // end of stream: the client is done
    if (!s.send_in_flight) close_socket(s.fd, index);
  }
  void on_server_send(server_conn& s, std::uint32_t index, int res) {
    s.send_in_flight = false;
    if (res <= 0) return void(failure = "server send failed");
    s.head_sent += std::uint32_t(res);
    if (s.head_sent < s.queue[s.head].length) return server_send(s, index);
    buffers.give_back(s.queue[s.head].buffer_id);
    s.head = (s.head + 1) % message_size;
    --s.count;
    s.head_sent = 0;
    if (s.count > 0) return server_send(s, index);
    if (s.peer_closed) close_socket(s.fd, index);
  }

  void handle(const io_uring_cqe& cqe) {
    if (!(cqe.flags & IORING_CQE_F_MORE)) --ops_in_flight;
    const std::uint32_t index = index_of(cqe.user_data);
    switch (kind_of(cqe.user_data)) {
      case op_kind::client_send: on_client_send(clients[index], index, cqe.res); break;
      case op_kind::client_recv: on_client_recv(clients[index], index, cqe); break;
      case op_kind::server_send: on_server_send(servers[index], index, cqe.res); break;
      case op_kind::server_recv: on_server_recv(servers[index], index, cqe); break;
      case op_kind::cancel: break;  // 0, or -ENOENT when the recv had already ended: both fine
      case op_kind::close:
        if (cqe.res < 0) failure = "close failed";
        break;
      default: failure = "CQE with unknown user_data"; break;
    }
  }
};

/// Plain blocking set-up (untimed): a loopback listener, then `count` connected pairs.
bool connect_pairs_blocking(unsigned count, std::vector<client_conn>& clients, std::vector<server_conn>& servers) {
  const int listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool ok = listening >= 0 && ::bind(listening, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::listen(listening, 4096) == 0 &&
            ::getsockname(listening, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  for (unsigned i = 0; ok && i < count; ++i) {
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok = client >= 0 && ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    const int server = ok ? ::accept4(listening, nullptr, nullptr, SOCK_CLOEXEC) : -1;
    ok = ok && server >= 0;
    if (client >= 0) set_no_delay(client);
    if (server >= 0) set_no_delay(server);
    clients[i].fd = client;
    servers[i].fd = server;
  }
  if (listening >= 0) ::close(listening);
  return ok;
}

std::optional<measurement> echo_callbacks(const config& cfg) {
  const char* variant = "echo/callbacks";
  const std::size_t descriptors_before = open_descriptor_count();
  measurement took;
  {
    raw_ring r;
    if (r.setup_error != 0) return fail(variant, "io_uring_queue_init_params failed");
    provided_buffers buffers(r, provided_buffer_count, provided_buffer_size);
    if (!buffers.registered()) return fail(variant, "registering the provided buffer ring failed");

    echo_machine machine{.r = r,
                         .buffers = buffers,
                         .clients = std::vector<client_conn>(cfg.conns),
                         .servers = std::vector<server_conn>(cfg.conns),
                         .total = cfg.messages};
    const bool connected = connect_pairs_blocking(cfg.conns, machine.clients, machine.servers);
    machine.open_sockets = 2 * cfg.conns;

    bool looped = false;
    if (connected) {
      watchdog guard(cfg.messages);
      const stopwatch clock;
      for (std::uint32_t i = 0; i < cfg.conns; ++i) {
        machine.arm_recv(machine.servers[i].fd, op_kind::server_recv, i);
        machine.arm_recv(machine.clients[i].fd, op_kind::client_recv, i);
        machine.next_message(machine.clients[i], i);
      }
      looped = run_loop(r, machine);
      took = clock.stop();
    }
    if (!connected || !looped || machine.failure != nullptr) {
      for (auto& c : machine.clients) if (c.fd >= 0) ::close(c.fd);  // the process exits 1 anyway
      for (auto& s : machine.servers) if (s.fd >= 0) ::close(s.fd);
      return fail(variant, !connected ? "loopback connection set-up failed"
                           : !looped  ? "io_uring_submit_and_wait failed"
                                      : machine.failure);
    }
    if (machine.echoed != cfg.messages)
      return fail(variant, "echoed " + std::to_string(machine.echoed) + " of " + std::to_string(cfg.messages));
  }
  if (open_descriptor_count() != descriptors_before)
    return fail(variant, "sockets left open after the run");
  return took;
}

// ---- http keep-alive: the responder both variants (and the engine) load ------------------------

/// The target of the http workload: a child process (plain epoll, one thread) answering every
/// request (everything up to an empty line) with one fixed response, pipelined requests with as
/// many responses in one send. Cheap per request, so the client under test is what limits the
/// loop; its CPU is reported next to the client's so a reader can see whether it did. A process
/// rather than a thread: the client's CPU clock then holds the client alone, and the benchmark runs
/// under valgrind (which serializes threads, and a thread blocked in io_uring_enter there would
/// never let the responder run).
class http_responder {
 public:
  static constexpr std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";

  http_responder() = default;
  http_responder(const http_responder&) = delete;
  http_responder& operator=(const http_responder&) = delete;
  ~http_responder() { stop(); }

  /// Listens on 127.0.0.1 (a free port) and forks the responder, pinned to `cpu` unless it is
  /// negative; false when a system call failed. Call it before this process starts threads.
  bool start(int cpu) {
    void* shared = ::mmap(nullptr, sizeof(shared_counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) return false;
    counters_ = new (shared) shared_counters;
    int quit[2];
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    const int listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listening < 0 || ::bind(listening, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listening, 4096) != 0 ||
        ::getsockname(listening, reinterpret_cast<sockaddr*>(&address), &length) != 0 || ::pipe2(quit, O_CLOEXEC) != 0) {
      if (listening >= 0) ::close(listening);
      return false;
    }
    port_ = ntohs(address.sin_port);
    child_ = ::fork();
    if (child_ == 0) {
      ::close(quit[1]);
      if (cpu >= 0) pin_to_cpu(cpu);
      std::_Exit(serve(listening, quit[0]) ? 0 : 1);
    }
    ::close(listening);
    ::close(quit[0]);
    quit_fd_ = quit[1];
    return child_ > 0 && ::clock_getcpuclockid(child_, &cpu_clock_) == 0;
  }

  /// Ends the responder: it sees its pipe close (as it would if this process died).
  void stop() {
    if (quit_fd_ >= 0) ::close(std::exchange(quit_fd_, -1));
    if (child_ > 0) ::waitpid(std::exchange(child_, -1), nullptr, 0);
    if (counters_ != nullptr) ::munmap(std::exchange(counters_, nullptr), sizeof(shared_counters));
  }

  std::uint16_t port() const noexcept { return port_; }
  /// Responses sent since start().
  std::uint64_t answered() const noexcept { return counters_->answered.load(std::memory_order_acquire); }
  /// The responder's CPU time so far.
  double cpu_ns() const { return cpu_clock_ns(cpu_clock_); }

  /// Waits until every connection the clients closed is closed there too, so one run's teardown
  /// does not run into the next one's clock. False after `limit`.
  bool wait_until_idle(std::chrono::milliseconds limit = std::chrono::seconds(2)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (counters_->open.load(std::memory_order_acquire) != 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }

 private:
  static constexpr unsigned replies_per_send = 256;

  /// In memory both processes map.
  struct shared_counters {
    std::atomic<std::uint64_t> answered{0};
    std::atomic<std::uint32_t> open{0};
  };
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

  struct peer {
    bool open = false;
    std::uint8_t matched = 0;  // bytes of "\r\n\r\n" seen at the end of what came so far
  };

  /// The child's loop, until `quit` reads as closed.
  bool serve(int listening, int quit) {
    const std::string replies = uc::http::repeat_request(response, replies_per_send);  // any text repeats alike
    std::vector<peer> peers;  // by descriptor
    const int poller = ::epoll_create1(EPOLL_CLOEXEC);
    auto watch = [&](int fd) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      return ::epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event) == 0;
    };
    auto drop = [&](int fd) {
      ::epoll_ctl(poller, EPOLL_CTL_DEL, fd, nullptr);
      ::close(fd);
      peers[std::size_t(fd)] = {};
      counters_->open.fetch_sub(1, std::memory_order_release);
    };
    if (poller < 0 || !watch(listening) || !watch(quit)) return false;

    epoll_event events[256];
    char data[16384];
    for (;;) {
      const int count = ::epoll_wait(poller, events, 256, -1);
      if (count < 0 && errno != EINTR) return false;
      for (int i = 0; i < count; ++i) {
        const int fd = events[i].data.fd;
        if (fd == quit) return true;
        if (fd == listening) {
          for (int accepted; (accepted = ::accept4(listening, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
            set_no_delay(accepted);
            if (std::size_t(accepted) >= peers.size()) peers.resize(std::size_t(accepted) + 1);
            peers[std::size_t(accepted)] = {.open = true};
            counters_->open.fetch_add(1, std::memory_order_release);
            if (!watch(accepted)) drop(accepted);
          }
          continue;
        }
        const ssize_t got = ::recv(fd, data, sizeof data, MSG_DONTWAIT);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (got <= 0) {  // the client is done (or reset)
          drop(fd);
          continue;
        }
        unsigned requests = count_requests(data, std::size_t(got), peers[std::size_t(fd)].matched);
        counters_->answered.fetch_add(requests, std::memory_order_release);
        if (!answer(fd, requests, replies)) drop(fd);
      }
    }
  }

  /// Sends `requests` responses; the socket blocks, so a partial send just goes on.
  static bool answer(int fd, unsigned requests, const std::string& replies) {
    while (requests > 0) {
      const unsigned n = std::min(requests, replies_per_send);
      requests -= n;
      const char* at = replies.data();
      for (std::size_t left = n * response.size(); left > 0;) {
        const ssize_t sent = ::send(fd, at, left, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        at += sent;
        left -= std::size_t(sent);
      }
    }
    return true;
  }

  /// Requests that end in `data`: each ends at an empty line, "\r\n\r\n", which may be split
  /// between reads (`matched` carries the part seen).
  static unsigned count_requests(const char* data, std::size_t size, std::uint8_t& matched) noexcept {
    unsigned count = 0;
    for (std::size_t i = 0; i < size; ++i) {
      const char c = data[i];
      if (c == '\r') {
        matched = matched == 2 ? 3 : 1;
      } else if (c == '\n' && matched == 3) {
        ++count;
        matched = 0;
      } else {
        matched = c == '\n' && matched == 1 ? 2 : 0;
      }
    }
    return count;
  }

  shared_counters* counters_ = nullptr;
  std::uint16_t port_ = 0;
  pid_t child_ = -1;
  int quit_fd_ = -1;
  clockid_t cpu_clock_ = CLOCK_PROCESS_CPUTIME_ID;
};

// ---- http keep-alive: what both variants share -------------------------------------------------

/// The send times of one connection's requests in flight, oldest first (responses come back in
/// request order). Requests of one batch share its timestamp, as in gcannon and the engine.
class send_times {
 public:
  void push(uc::clock::time_point sent, unsigned n) noexcept {
    for (unsigned i = 0; i < n; ++i) times_[(head_ + size_++) % capacity] = sent;
  }
  uc::clock::time_point pop() noexcept {
    const auto sent = times_[head_];
    head_ = (head_ + 1) % capacity;
    --size_;
    return sent;
  }
  unsigned size() const noexcept { return size_; }

 private:
  static constexpr unsigned capacity = uc::load_config::max_pipeline;
  std::array<uc::clock::time_point, capacity> times_{};
  unsigned head_ = 0, size_ = 0;
};

/// One run of the loop: the requests, the budget of responses all connections draw from, and
/// what came back. The parse-and-record step is this one function for both variants, so they
/// differ only in how the I/O is driven.
struct http_work {
  std::string batch;              // `pipeline` copies of the request, back to back
  std::size_t request_size = 0;
  unsigned pipeline = 1;
  std::uint64_t total = 0;        // responses to collect
  std::uint64_t issued = 0;       // requests handed to the connections so far
  std::uint64_t answered = 0;
  std::uint64_t other_status = 0; // responses whose status was not 200
  uc::latency_histogram latency;
  const char* first_failure = nullptr;

  http_work(const std::string& request, unsigned depth, std::uint64_t responses)
      : batch(uc::http::repeat_request(request, depth)), request_size(request.size()), pipeline(depth),
        total(responses) {}

  /// Up to `wanted` requests from the budget (fewer, or none, near the end).
  unsigned take(unsigned wanted) noexcept {
    const auto n = unsigned(std::min<std::uint64_t>(wanted, total - issued));
    issued += n;
    return n;
  }
  /// The bytes of `n` requests.
  std::span<const std::byte> requests(unsigned n) const noexcept {
    return std::as_bytes(std::span<const char>(batch.data(), n * request_size));
  }

  /// Parses one received chunk that arrived at `arrived`, recording the latency and status of
  /// every response it completes. Returns how many it completed, or -1 for a malformed response
  /// or one nobody asked for.
  int read_responses(uc::http::response_parser& parser, std::string_view data, uc::clock::time_point arrived,
                     send_times& in_flight) noexcept {
    int completed = 0;
    while (!data.empty()) {
      const auto r = parser.parse(data);
      data.remove_prefix(r.consumed);
      if (r.event == uc::http::parse_event::need_more) break;
      if (r.event == uc::http::parse_event::error || in_flight.size() == 0) return -1;
      latency.record(arrived - in_flight.pop());
      if (parser.last_response().status != 200) ++other_status;
      ++answered;
      ++completed;
    }
    return completed;
  }

  void failure(const char* what) noexcept {
    if (first_failure == nullptr) first_failure = what;
  }

  /// Why the finished run does not count; nothing when it does.
  std::optional<std::string> check(std::uint64_t server_answered) const {
    if (first_failure != nullptr) return first_failure;
    if (answered != total) return "answered " + std::to_string(answered) + " of " + std::to_string(total);
    if (issued != total) return "sent " + std::to_string(issued) + " requests for " + std::to_string(total);
    if (other_status != 0) return std::to_string(other_status) + " responses without status 200";
    if (latency.count() != total) return "the histogram holds " + std::to_string(latency.count()) + " samples";
    if (server_answered != total) return "the responder answered " + std::to_string(server_answered) + " requests";
    return std::nullopt;
  }
};

/// Wall, client-thread CPU and responder CPU around one run.
struct http_stopwatch {
  const http_responder& server;
  stopwatch client{CLOCK_THREAD_CPUTIME_ID};
  double server_start = server.cpu_ns();

  measurement stop(std::uint64_t responses) const {
    measurement m = client.stop();
    m.server_cpu_ns = server.cpu_ns() - server_start;
    m.units = double(responses);
    return m;
  }
};

std::string http_request_for(const http_responder& server) {
  return uc::http::build_get_request(*uc::parse_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"));
}

// One buffer group per run, the same for all three columns (the engine is given it too): 4 KiB
// buffers (gcannon's size; a batch of 64 responses fits in one), four per connection, so the
// group does not run dry in practice (each variant copes with -ENOBUFS if it does).
constexpr std::uint32_t http_buffer_size = 4096;
unsigned http_buffer_count(const config& cfg) {
  unsigned count = 256;
  while (count < 4 * cfg.http_conns && count < 32768) count *= 2;
  return count;
}

// ---- http keep-alive: coroutine variant --------------------------------------------------------

/// One connection of the load loop, straight-line: send the pipeline, then receive, parse, record,
/// and refill as many requests as were answered, until the budget is spent and every answer is in.
uc::task<> http_client(uc::tcp_stream conn, uc::buffer_ring& buffers, http_work& work) {
  uc::scheduler& s = conn.sched();
  auto give_up = [&](const char* why) {
    work.failure(why);
    s.stop();  // the other connections would go on without this one's share
  };
  auto incoming = conn.receiver(buffers);
  uc::http::response_parser parser;
  send_times in_flight;
  for (unsigned refill = work.take(work.pipeline); refill > 0 || in_flight.size() > 0;) {
    if (refill > 0) {
      in_flight.push(uc::clock::now(), refill);
      if (!co_await conn.send_all(work.requests(refill))) co_return give_up("send failed");
    }
    auto chunk = co_await incoming.next();
    if (!chunk) co_return give_up("recv failed");
    if (chunk->empty()) co_return give_up("the responder closed a connection");
    const int completed = work.read_responses(parser, chunk->chars(), uc::clock::now(), in_flight);
    if (completed < 0) co_return give_up("a malformed or unrequested response");
    chunk->reset();  // the buffer goes back before the send, as in the engine
    refill = work.take(unsigned(completed));
  }
}  // the stream cancels its multishot recv and the socket closes through the ring

uc::task<bool> connect_all(uc::scheduler& s, uc::endpoint target, unsigned count, std::vector<uc::tcp_stream>& out) {
  for (unsigned i = 0; i < count; ++i) {
    auto conn = co_await uc::tcp_stream::connect(s, target);
    if (!conn) co_return false;
    out.push_back(std::move(*conn));
  }
  co_return true;
}

std::optional<measurement> http_coroutines(const config& cfg) {
  const char* variant = "http/coroutines";
  http_responder& server = *cfg.server;
  const std::size_t descriptors_before = open_descriptor_count();
  measurement took;
  {
    uc::scheduler s;
    auto& buffers = s.make_buffer_ring(http_buffer_count(cfg), http_buffer_size);
    for (std::uint16_t id = 0; id < buffers.count(); ++id)  // first touch outside the clock
      std::memset(buffers.buffer(id).data(), 0, buffers.buffer_size());
    std::vector<uc::tcp_stream> conns;
    if (!s.block_on(connect_all(s, *uc::endpoint::from_literal("127.0.0.1", server.port()), cfg.http_conns, conns)))
      return fail(variant, "connecting to the responder failed");

    http_work work(http_request_for(server), cfg.pipeline, cfg.responses);
    for (auto& conn : conns) s.spawn(http_client(std::move(conn), buffers, work));
    const std::uint64_t answered_before = server.answered(), turns_before = s.stats().turns;
    watchdog guard(cfg.responses);
    const http_stopwatch clock{server};
    s.run();
    took = clock.stop(work.answered);
    took.turns = double(s.stats().turns - turns_before);

    if (auto problem = work.check(server.answered() - answered_before)) return fail(variant, *problem);
    if (s.stats().unknown != 0) return fail(variant, "CQEs with unknown user_data");
    if (!s.settle() || buffers.available() != buffers.count())
      return fail(variant, "provided buffers not all returned");
  }
  if (!server.wait_until_idle()) return fail(variant, "the responder did not see every connection close");
  if (open_descriptor_count() != descriptors_before) return fail(variant, "sockets left open after the run");
  return took;
}

// ---- http keep-alive: callback variant ---------------------------------------------------------

struct http_conn {
  int fd = -1;
  std::uint32_t send_size = 0;  // the batch being sent (a partial send is resubmitted)
  std::uint32_t sent = 0;
  unsigned owed = 0;            // requests answered while a send was in flight: refilled after it
  bool send_in_flight = false;
  bool finished = false;
  send_times in_flight;
  uc::http::response_parser parser;
};

struct http_machine {
  raw_ring& r;
  provided_buffers& buffers;
  std::vector<http_conn> conns;
  http_work& work;
  std::uint32_t ops_in_flight = 0;  // SQEs whose final CQE has not arrived
  std::uint32_t open_sockets = 0;
  const char* failure = nullptr;

  bool done() const { return failure != nullptr || (ops_in_flight == 0 && open_sockets == 0); }

  io_uring_sqe* sqe(op_kind kind, std::uint32_t index) {
    io_uring_sqe* sqe = r.sqe();
    io_uring_sqe_set_data64(sqe, tag(kind, index));
    ++ops_in_flight;
    return sqe;
  }
  void arm_recv(http_conn& c, std::uint32_t index) {
    io_uring_sqe* s = sqe(op_kind::http_recv, index);
    io_uring_prep_recv_multishot(s, c.fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = 0;
  }

  void start(http_conn& c, std::uint32_t index) {
    arm_recv(c, index);
    send_batch(c, index, work.take(work.pipeline));
  }
  void send_batch(http_conn& c, std::uint32_t index, unsigned n) {
    if (n == 0) return finish_if_idle(c, index);
    c.in_flight.push(uc::clock::now(), n);
    c.send_size = std::uint32_t(n * work.request_size);
    c.sent = 0;
    submit_send(c, index);
  }
  void submit_send(http_conn& c, std::uint32_t index) {
    io_uring_prep_send(sqe(op_kind::http_send, index), c.fd, work.batch.data() + c.sent, c.send_size - c.sent,
                       MSG_NOSIGNAL);
    c.send_in_flight = true;
  }
  void refill(http_conn& c, std::uint32_t index) { send_batch(c, index, work.take(std::exchange(c.owed, 0))); }
  void finish_if_idle(http_conn& c, std::uint32_t index) {
    if (c.send_in_flight || c.in_flight.size() > 0 || c.finished) return;
    // Done: cancel the multishot recv by its user_data, and close.
    c.finished = true;
    io_uring_prep_cancel64(sqe(op_kind::cancel, index), tag(op_kind::http_recv, index), 0);
    io_uring_prep_close(sqe(op_kind::close, index), c.fd);
    --open_sockets;
  }

  void on_send(http_conn& c, std::uint32_t index, int res) {
    c.send_in_flight = false;
    if (res <= 0) return void(failure = "send failed");
    c.sent += std::uint32_t(res);
    if (c.sent < c.send_size) return submit_send(c, index);
    refill(c, index);
  }
  void on_recv(http_conn& c, std::uint32_t index, const io_uring_cqe& cqe) {
    if (cqe.res > 0) {
      const auto id = std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      const int completed = work.read_responses(
          c.parser, {reinterpret_cast<const char*>(buffers.buffer(id)), std::size_t(cqe.res)}, uc::clock::now(), c.in_flight);
      buffers.give_back(id);
      if (completed < 0) return void(failure = "a malformed or unrequested response");
      if (!(cqe.flags & IORING_CQE_F_MORE)) arm_recv(c, index);  // the kernel ended it
      c.owed += unsigned(completed);
      if (!c.send_in_flight) refill(c, index);
      return;
    }
    if (cqe.flags & IORING_CQE_F_BUFFER) buffers.give_back(std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    // Every buffer goes back as its CQE is handled, so by the next submit the group is full again.
    if (cqe.res == -ENOBUFS) return arm_recv(c, index);
    if (c.finished && cqe.res == -ECANCELED) return;
    failure = cqe.res == 0 ? "the responder closed a connection" : "recv failed";
  }

  void handle(const io_uring_cqe& cqe) {
    if (!(cqe.flags & IORING_CQE_F_MORE)) --ops_in_flight;
    const std::uint32_t index = index_of(cqe.user_data);
    switch (kind_of(cqe.user_data)) {
      case op_kind::http_send: on_send(conns[index], index, cqe.res); break;
      case op_kind::http_recv: on_recv(conns[index], index, cqe); break;
      case op_kind::cancel: break;  // 0, or -ENOENT when the recv had already ended: both fine
      case op_kind::close:
        if (cqe.res < 0) failure = "close failed";
        break;
      default: failure = "CQE with unknown user_data"; break;
    }
  }
};

/// Plain blocking connects (untimed).
bool connect_blocking(std::uint16_t port, std::vector<http_conn>& conns) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool ok = true;
  for (auto& c : conns) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    set_no_delay(c.fd);
    ok = ok && ::connect(c.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  return ok;
}

std::optional<measurement> http_callbacks(const config& cfg) {
  const char* variant = "http/callbacks";
  http_responder& server = *cfg.server;
  const std::size_t descriptors_before = open_descriptor_count();
  measurement took;
  {
    raw_ring r;
    if (r.setup_error != 0) return fail(variant, "io_uring_queue_init_params failed");
    provided_buffers buffers(r, http_buffer_count(cfg), http_buffer_size);
    if (!buffers.registered()) return fail(variant, "registering the provided buffer ring failed");

    http_work work(http_request_for(server), cfg.pipeline, cfg.responses);
    http_machine machine{.r = r,
                         .buffers = buffers,
                         .conns = std::vector<http_conn>(cfg.http_conns),
                         .work = work};
    const bool connected = connect_blocking(server.port(), machine.conns);
    machine.open_sockets = cfg.http_conns;

    bool looped = false;
    const std::uint64_t answered_before = server.answered();
    if (connected) {
      watchdog guard(cfg.responses);
      const http_stopwatch clock{server};
      std::uint64_t turns = 0;
      for (std::uint32_t i = 0; i < cfg.http_conns; ++i) machine.start(machine.conns[i], i);
      looped = run_loop(r, machine, &turns);
      took = clock.stop(work.answered);
      took.turns = double(turns);
    }
    if (!connected || !looped || machine.failure != nullptr) {
      for (auto& c : machine.conns)
        if (c.fd >= 0 && !c.finished) ::close(c.fd);  // the process exits 1 anyway
      return fail(variant, !connected ? "connecting to the responder failed"
                           : !looped  ? "io_uring_submit_and_wait failed"
                                      : machine.failure);
    }
    if (auto problem = work.check(server.answered() - answered_before)) return fail(variant, *problem);
  }
  if (!server.wait_until_idle()) return fail(variant, "the responder did not see every connection close");
  if (open_descriptor_count() != descriptors_before) return fail(variant, "sockets left open after the run");
  return took;
}

// ---- http keep-alive: the engine ---------------------------------------------------------------

/// ucannon's engine (run_load with -n: one worker thread, the same connections, pipeline and
/// buffers, exactly as many responses, no warm-up) against the same responder. Its worker is a
/// thread the engine owns: its CPU is this process's minus this (waiting) thread's. That includes
/// what the engine does once per run and the two loops above do outside their clocks: start the
/// worker, set up its ring, connect, close.
std::optional<measurement> http_engine(const config& cfg) {
  const char* variant = "http/engine";
  http_responder& server = *cfg.server;
  uc::load_config load;
  load.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  load.connections = cfg.http_conns;
  load.threads = 1;
  load.pipeline = cfg.pipeline;
  load.max_responses = cfg.responses;
  load.duration = std::chrono::minutes(10);  // a cap; the watchdog fires long before
  load.recv_buffers = http_buffer_count(cfg);
  load.recv_buffer_size = http_buffer_size;
  auto plan = uc::prepare_load(load);
  if (!plan) return fail(variant, plan.error());

  const std::uint64_t answered_before = server.answered();
  watchdog guard(cfg.responses);
  const double process_start = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID), self_start = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
  const http_stopwatch clock{server};
  uc::load_results results;
  try {
    results = uc::run_load(std::move(*plan));
  } catch (const std::exception& e) {
    return fail(variant, e.what());
  }
  measurement took = clock.stop(results.responses);
  const double self = cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID) - self_start;
  took.cpu_ns = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - process_start - self;

  const auto total = std::to_string(cfg.responses);
  if (results.responses != cfg.responses)
    return fail(variant, "counted " + std::to_string(results.responses) + " responses of " + total);
  if (results.status.s2xx != results.responses) return fail(variant, "responses without status 2xx");
  if (results.errors.total() != 0) return fail(variant, std::to_string(results.errors.total()) + " errors");
  if (results.latency.count() != results.responses) return fail(variant, "histogram count differs from responses");
  if (!results.accounting.balanced()) return fail(variant, "the engine's request accounting does not balance");
  if (const auto answered = server.answered() - answered_before; answered != cfg.responses)
    return fail(variant, "the responder answered " + std::to_string(answered) + " requests for " + total);
  if (!server.wait_until_idle()) return fail(variant, "the responder did not see every connection close");
  return took;
}

// ---- driver ----------------------------------------------------------------------------------

struct series {
  std::vector<measurement> coroutine, callback, engine;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void print_ratio(const char* what, const std::vector<measurement>& a, const std::vector<measurement>& b,
                 double measurement::*field) {
  if (a.empty() || b.empty()) return;
  std::vector<double> ratios;
  // Per unit: a run's figures divided by the responses it counted (http); nop and echo pairs
  // count the same units on both sides.
  auto per_unit = [&](const measurement& m) { return m.units > 0 ? m.*field / m.units : m.*field; };
  for (std::size_t i = 0; i < a.size(); ++i) ratios.push_back(per_unit(a[i]) / per_unit(b[i]));
  std::printf("  %s: median %.3fx (min %.3f max %.3f)\n", what, median(ratios),
              *std::min_element(ratios.begin(), ratios.end()), *std::max_element(ratios.begin(), ratios.end()));
}

void report(const char* title, const series& s, double units, const char* unit) {
  std::printf("%s\n", title);
  auto line = [&](const char* name, const std::vector<measurement>& runs) {
    if (runs.empty()) return;
    std::vector<double> wall, cpu;
    for (const auto& m : runs) {
      wall.push_back(m.wall_ns / units);
      cpu.push_back(m.cpu_ns / units);
    }
    std::printf("  %-13s: %7.1f ns/%s wall  %7.1f ns/%s cpu   (medians)\n", name, median(wall), unit, median(cpu), unit);
  };
  line("coroutines", s.coroutine);
  line("callbacks", s.callback);
  print_ratio("cpu  ratio coroutine/callback", s.coroutine, s.callback, &measurement::cpu_ns);
  print_ratio("wall ratio coroutine/callback", s.coroutine, s.callback, &measurement::wall_ns);
}

void report_http(const char* title, const series& s) {
  std::printf("%s\n", title);
  auto line = [&](const char* name, const std::vector<measurement>& runs) {
    if (runs.empty()) return;
    std::vector<double> wall, cpu, server, busy, rate, batch;
    for (const auto& m : runs) {
      if (m.turns > 0) batch.push_back(m.units / m.turns);
      wall.push_back(m.wall_ns / m.units);
      cpu.push_back(m.cpu_ns / m.units);
      server.push_back(m.server_cpu_ns / m.units);
      busy.push_back(100 * m.server_cpu_ns / m.wall_ns);
      rate.push_back(m.units * 1e9 / m.wall_ns);
    }
    std::printf("  %-11s: %8.0f resp/s  %7.1f ns/resp client cpu   (responder %6.1f ns/resp cpu, %3.0f%% busy)", name,
                median(rate), median(cpu), median(server), median(busy));
    if (!batch.empty()) std::printf("  %5.1f resp/turn", median(batch));
    std::printf("\n");
  };
  line("coroutines", s.coroutine);
  line("callbacks", s.callback);
  line("engine", s.engine);
  print_ratio("client cpu/resp coroutine/callback", s.coroutine, s.callback, &measurement::cpu_ns);
  print_ratio("wall/resp       coroutine/callback", s.coroutine, s.callback, &measurement::wall_ns);
  print_ratio("client cpu/resp engine/callback   ", s.engine, s.callback, &measurement::cpu_ns);
}

using variant_fn = std::optional<measurement> (*)(const config&);

void print_round(const char* name, unsigned round, const measurement& a, const measurement& b) {
  std::printf("  [%s round %u] coroutine %.0f ms wall %.0f ms cpu, callback %.0f ms wall %.0f ms cpu\n", name, round,
              a.wall_ns / 1e6, a.cpu_ns / 1e6, b.wall_ns / 1e6, b.cpu_ns / 1e6);
}

/// Runs the pair `rounds` times, alternating which goes first, so drift on a shared machine hits
/// both alike. Each round's ratio compares two runs taken moments apart. With `engine`, the http
/// engine runs third in each round.
bool run_pair(const config& cfg, const char* name, variant_fn coroutine, variant_fn callback, series& out,
              bool engine = false) {
  for (unsigned round = 0; round < cfg.rounds; ++round) {
    std::optional<measurement> a, b;
    auto run_a = [&] { return !cfg.run_coroutines || (a = coroutine(cfg)); };
    auto run_b = [&] { return !cfg.run_callbacks || (b = callback(cfg)); };
    if (!(round % 2 == 0 ? run_a() && run_b() : run_b() && run_a())) return false;
    if (a) out.coroutine.push_back(*a);
    if (b) out.callback.push_back(*b);
    if (cfg.verbose && a && b) print_round(name, round, *a, *b);
    if (engine) {
      auto e = http_engine(cfg);
      if (!e) return false;
      out.engine.push_back(*e);
      if (cfg.verbose)
        std::printf("  [%s round %u] engine %.0f ms wall %.0f ms cpu\n", name, round, e->wall_ns / 1e6, e->cpu_ns / 1e6);
    }
  }
  return true;
}

std::string machine_description() {
  utsname names{};
  ::uname(&names);
  std::string cpu = "unknown cpu";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return cpu + ", " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " cpus online, kernel " + names.release;
}

template <class T>
bool parse_number(std::string_view text, T& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value > 0;
}

/// "1,16" into depths, each 1..max_pipeline.
bool parse_pipelines(std::string_view text, std::vector<unsigned>& depths) {
  depths.clear();
  for (;;) {
    const std::size_t comma = text.find(',');
    unsigned depth = 0;
    if (!parse_number(text.substr(0, comma), depth) || depth > uc::load_config::max_pipeline) return false;
    depths.push_back(depth);
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

/// "http,echo" into the workloads to run.
bool parse_workloads(std::string_view text, config& cfg) {
  cfg.run_http = cfg.run_nop = cfg.run_echo = false;
  for (;;) {
    const std::size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    if (name == "http") cfg.run_http = true;
    else if (name == "nop") cfg.run_nop = true;
    else if (name == "echo") cfg.run_echo = true;
    else return false;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: coro_vs_callback [--workloads http,nop,echo] [--rounds N] [--http-conns C] [--pipeline P[,P...]]\n"
               "                        [--responses N] [--no-engine] [--pin] [--chains K] [--ops N] [--conns C] [--messages M]\n"
               "                        [--only coroutines|callbacks|engine] [--verbose]\n"
               "  --workloads W    which to run, comma-separated (default http,nop,echo)\n"
               "  --rounds N       interleaved rounds per workload (default 5)\n"
               "  --http-conns C   http keep-alive connections (default 64)\n"
               "  --pipeline P     http pipeline depths, one series each (default 1,16; at most 64)\n"
               "  --responses N    http responses per run at pipeline 1; P times as many at depth P (default 100000)\n"
               "  --no-engine      leave out the http engine column\n"
               "  --pin            put the http client and the responder on a CPU each (default: the kernel places them)\n"
               "  --chains K       concurrent NOP chains (default 64)\n"
               "  --ops N          NOPs per run (default 5000000)\n"
               "  --conns C        loopback echo connections (default 64)\n"
               "  --messages M     64-byte echo round trips per run (default 150000)\n"
               "  --only V         run one variant alone (to profile it; no ratios)\n"
               "  --verbose        print every round\n");
}

std::optional<config> parse_arguments(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (flag == "--verbose") {
      cfg.verbose = true;
      continue;
    }
    if (flag == "--no-engine") {
      cfg.engine = false;
      continue;
    }
    if (flag == "--pin") {
      cfg.pin = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view value = argv[++i];
    bool ok = false;
    if (flag == "--rounds") ok = parse_number(value, cfg.rounds);
    else if (flag == "--only") {
      ok = value == "coroutines" || value == "callbacks" || value == "engine";
      cfg.run_coroutines = value == "coroutines";
      cfg.run_callbacks = value == "callbacks";
      cfg.engine = value == "engine";
    }
    else if (flag == "--workloads") ok = parse_workloads(value, cfg);
    else if (flag == "--http-conns") ok = parse_number(value, cfg.http_conns) && cfg.http_conns <= 4096;
    else if (flag == "--pipeline") ok = parse_pipelines(value, cfg.pipelines);
    else if (flag == "--responses") ok = parse_number(value, cfg.responses);
    else if (flag == "--chains") ok = parse_number(value, cfg.chains);
    else if (flag == "--ops") ok = parse_number(value, cfg.ops);
    else if (flag == "--conns") ok = parse_number(value, cfg.conns) && cfg.conns <= 4096;
    else if (flag == "--messages") ok = parse_number(value, cfg.messages);
    if (!ok) return std::nullopt;
  }
  return cfg;
}

/// The headline: the http loop at each pipeline depth, against one responder.
bool run_http_series(config cfg) {
  // --pin: the client and the responder each on a CPU of their own, the same ones for every run.
  // Left to the kernel, a loopback pair is often woken onto one CPU (each then about 50% busy),
  // sometimes not, and the batch sizes (so the kernel's cost per response) follow. On a quiet
  // machine pinning steadies that; on a busy one it pins the pair under other work, which is
  // noisier, hence not the default. The engine's worker thread inherits the client's CPU.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const bool pin = cfg.pin && ::sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) >= 2;
  int client_cpu = -1, responder_cpu = -1;
  for (int cpu = 0; pin && cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) (client_cpu < 0 ? client_cpu : responder_cpu) = cpu;
  http_responder server;
  if (!server.start(responder_cpu)) {
    std::fprintf(stderr, "coro_vs_callback: starting the http responder failed: %s\n", std::strerror(errno));
    return false;
  }
  struct restore_affinity {
    const cpu_set_t& mask;
    bool active;
    ~restore_affinity() {
      if (active) ::sched_setaffinity(0, sizeof mask, &mask);
    }
  } restore{allowed, pin};
  if (pin) {
    pin_to_cpu(client_cpu);
    std::printf("\nhttp: client pinned to cpu %d, responder to cpu %d\n", client_cpu, responder_cpu);
  }
  cfg.server = &server;
  const std::uint64_t per_slot = cfg.responses;
  for (unsigned depth : cfg.pipelines) {
    // A response costs about 1/P as much at depth P: P times as many keep the runs alike in length.
    cfg.pipeline = depth;
    cfg.responses = per_slot * depth;
    // One short untimed pass of each, so the first timed round does not pay for cold caches.
    config warmup = cfg;
    warmup.responses = std::max<std::uint64_t>(1, cfg.responses / 10);
    if ((cfg.run_coroutines && !http_coroutines(warmup)) || (cfg.run_callbacks && !http_callbacks(warmup)) ||
        (cfg.engine && !http_engine(warmup)))
      return false;
    series runs;
    if (!run_pair(cfg, "http", http_coroutines, http_callbacks, runs, cfg.engine)) return false;
    char title[200];
    std::snprintf(title, sizeof title,
                  "\nhttp keep-alive load loop, pipeline %u (%u connections, %llu responses, %u rounds interleaved)",
                  depth, cfg.http_conns, static_cast<unsigned long long>(cfg.responses), cfg.rounds);
    report_http(title, runs);
    std::fflush(stdout);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse_arguments(argc, argv);
  if (!parsed) {
    usage(stderr);
    return 2;
  }
  const config& cfg = *parsed;
  ::signal(SIGALRM, on_watchdog);
  ::signal(SIGPIPE, SIG_IGN);

  std::printf("machine: %s\n", machine_description().c_str());
  {
    uc::scheduler probe;
    raw_ring raw;
    std::printf("coroutine ring: %s\ncallback ring: %s\n", probe.features().describe().c_str(),
                raw.setup_error != 0 ? "setup failed" : raw.defer_taskrun ? "single_issuer defer_taskrun" : "no defer_taskrun");
  }
  std::fflush(stdout);

  if (cfg.run_http && !run_http_series(cfg)) return 1;

  // One short untimed pass of each, so the first timed round does not pay for cold caches and
  // first-touch page faults.
  config warmup = cfg;
  warmup.ops = std::max<std::uint64_t>(1, cfg.ops / 10);
  warmup.messages = std::max<std::uint64_t>(1, cfg.messages / 10);
  char title[160];
  if (cfg.run_nop) {
    series nops;
    if ((cfg.run_coroutines && !nop_coroutines(warmup)) || (cfg.run_callbacks && !nop_callbacks(warmup))) return 1;
    if (!run_pair(cfg, "nop", nop_coroutines, nop_callbacks, nops)) return 1;
    std::snprintf(title, sizeof title, "\nnop round trip (%u chains, %llu ops, %u rounds interleaved)", cfg.chains,
                  static_cast<unsigned long long>(cfg.ops), cfg.rounds);
    report(title, nops, double(cfg.ops), "op");
    std::fflush(stdout);
  }
  if (cfg.run_echo) {
    series echoes;
    if ((cfg.run_coroutines && !echo_coroutines(warmup)) || (cfg.run_callbacks && !echo_callbacks(warmup))) return 1;
    if (!run_pair(cfg, "echo", echo_coroutines, echo_callbacks, echoes)) return 1;
    std::snprintf(title, sizeof title,
                  "\nloopback echo, %zu-byte ping-pong (%u connections, %llu messages, %u rounds interleaved)",
                  message_size, cfg.conns, static_cast<unsigned long long>(cfg.messages), cfg.rounds);
    report(title, echoes, double(cfg.messages), "msg");
  }
  return 0;
}
