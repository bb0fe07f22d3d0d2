// What the coroutine layer costs: the same io_uring work written twice, once with uring_cannon
// coroutines and once as a hand-written liburing callback state machine (the way gcannon is
// written: per-connection state structs, user_data tags, a switch on the op kind), run side by
// side in one process and compared round by round.
//
// Workloads:
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
// Only the message phase is timed (connection set-up is not). Each variant checks its own work
// and the program exits 1 when a count, a byte or a descriptor does not add up.
//
//   g++ -std=c++20 -O2 -Iinclude benchmarks/coro_vs_callback.cpp -luring -o coro_vs_callback &&
//   ./coro_vs_callback --rounds 5 --chains 64 --ops 5000000 --conns 64 --messages 300000

#include <uring_cannon/detail/liburing_compat.hpp>
#include <uring_cannon/endpoint.hpp>
#include <uring_cannon/listener.hpp>
#include <uring_cannon/ops.hpp>
#include <uring_cannon/recv_stream.hpp>
#include <uring_cannon/scheduler.hpp>
#include <uring_cannon/task.hpp>
#include <uring_cannon/tcp_stream.hpp>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
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

struct config {
  unsigned rounds = 5;
  unsigned chains = 64;
  std::uint64_t ops = 5'000'000;
  unsigned conns = 64;
  std::uint64_t messages = 300'000;
  bool verbose = false;
};

struct measurement {
  double wall_ns = 0;
  double cpu_ns = 0;
};

struct stopwatch {
  timespec wall_start{}, cpu_start{};
  stopwatch() {
    ::clock_gettime(CLOCK_MONOTONIC, &wall_start);
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
  }
  static double ns_between(const timespec& a, const timespec& b) {
    return double(b.tv_sec - a.tv_sec) * 1e9 + double(b.tv_nsec - a.tv_nsec);
  }
  measurement stop() const {
    timespec wall_end{}, cpu_end{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
    ::clock_gettime(CLOCK_MONOTONIC, &wall_end);
    return {ns_between(wall_start, wall_end), ns_between(cpu_start, cpu_end)};
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

enum class op_kind : std::uint8_t { nop, client_send, client_recv, server_send, server_recv, cancel, close };

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

/// The event loop both callback workloads share: one submit_and_wait per turn, then the CQ in
/// batches, each CQE handed to `machine.handle` (a switch on the op kind) until `machine.done()`.
template <class Machine>
bool run_loop(raw_ring& r, Machine& machine) {
  io_uring_cqe* cqes[256];
  while (!machine.done()) {
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

struct echo_machine {
  raw_ring& r;
  io_uring_buf_ring* buffer_ring = nullptr;
  std::byte* buffer_memory = nullptr;
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
  std::byte* buffer(std::uint16_t id) const { return buffer_memory + std::size_t(id) * provided_buffer_size; }
  void give_back(std::uint16_t id) {
    io_uring_buf_ring_add(buffer_ring, buffer(id), provided_buffer_size, id,
                          io_uring_buf_ring_mask(provided_buffer_count), 0);
    io_uring_buf_ring_advance(buffer_ring, 1);
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
                           std::memcmp(buffer(id), c.message + c.bytes_received, length) == 0;
      give_back(id);
      if (!matches) return void(failure = "echo differs from the message sent");
      c.bytes_received += length;
      if (!(cqe.flags & IORING_CQE_F_MORE)) arm_recv(c.fd, op_kind::client_recv, index);  // the kernel ended it
      if (c.bytes_received == message_size && !c.send_in_flight) {
        ++echoed;
        next_message(c, index);
      }
      return;
    }
    if (cqe.flags & IORING_CQE_F_BUFFER) give_back(std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    if (c.finished && cqe.res == -ECANCELED) return;
    failure = cqe.res == 0 ? "server closed early" : "client recv failed";
  }

  // -- server side
  void server_send(server_conn& s, std::uint32_t index) {
    const received_chunk& chunk = s.queue[s.head];
    io_uring_prep_send(sqe(op_kind::server_send, index), s.fd, buffer(chunk.buffer_id) + s.head_sent,
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
    if (cqe.flags & IORING_CQE_F_BUFFER) give_back(std::uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    if (cqe.res < 0) return void(failure = "server recv failed");
    s.peer_closed = true;  // end of stream: the client is done
    if (!s.send_in_flight) close_socket(s.fd, index);
  }
  void on_server_send(server_conn& s, std::uint32_t index, int res) {
    s.send_in_flight = false;
    if (res <= 0) return void(failure = "server send failed");
    s.head_sent += std::uint32_t(res);
    if (s.head_sent < s.queue[s.head].length) return server_send(s, index);
    give_back(s.queue[s.head].buffer_id);
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
    int error = 0;
    io_uring_buf_ring* buffer_ring = uc::detail::setup_buf_ring(&r.ring, provided_buffer_count, 0, &error);
    if (buffer_ring == nullptr) return fail(variant, "registering the provided buffer ring failed");
    std::vector<std::byte> buffer_memory(std::size_t(provided_buffer_count) * provided_buffer_size);

    echo_machine machine{.r = r,
                         .buffer_ring = buffer_ring,
                         .buffer_memory = buffer_memory.data(),
                         .clients = std::vector<client_conn>(cfg.conns),
                         .servers = std::vector<server_conn>(cfg.conns),
                         .total = cfg.messages};
    for (std::uint16_t id = 0; id < provided_buffer_count; ++id)
      io_uring_buf_ring_add(buffer_ring, machine.buffer(id), provided_buffer_size, id,
                            io_uring_buf_ring_mask(provided_buffer_count), id);
    io_uring_buf_ring_advance(buffer_ring, provided_buffer_count);
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
    uc::detail::free_buf_ring(&r.ring, buffer_ring, provided_buffer_count, 0);
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

// ---- driver ----------------------------------------------------------------------------------

struct series {
  std::vector<measurement> coroutine, callback;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void print_ratio(const char* what, const series& s, double measurement::*field) {
  std::vector<double> ratios;
  for (std::size_t i = 0; i < s.coroutine.size(); ++i) ratios.push_back(s.coroutine[i].*field / s.callback[i].*field);
  std::printf("  %s ratio coroutine/callback: median %.3fx (min %.3f max %.3f)\n", what, median(ratios),
              *std::min_element(ratios.begin(), ratios.end()), *std::max_element(ratios.begin(), ratios.end()));
}

void report(const char* title, const series& s, double units, const char* unit) {
  std::printf("%s\n", title);
  auto line = [&](const char* name, const std::vector<measurement>& runs) {
    std::vector<double> wall, cpu;
    for (const auto& m : runs) {
      wall.push_back(m.wall_ns / units);
      cpu.push_back(m.cpu_ns / units);
    }
    std::printf("  %-13s: %7.1f ns/%s wall  %7.1f ns/%s cpu   (medians)\n", name, median(wall), unit, median(cpu), unit);
  };
  line("coroutines", s.coroutine);
  line("callbacks", s.callback);
  print_ratio("cpu ", s, &measurement::cpu_ns);
  print_ratio("wall", s, &measurement::wall_ns);
}

using variant_fn = std::optional<measurement> (*)(const config&);

/// Runs the pair `rounds` times, alternating which goes first, so drift on a shared machine hits
/// both alike. Each round's ratio compares two runs taken moments apart.
bool run_pair(const config& cfg, const char* name, variant_fn coroutine, variant_fn callback, series& out) {
  for (unsigned round = 0; round < cfg.rounds; ++round) {
    std::optional<measurement> a, b;
    if (round % 2 == 0) {
      a = coroutine(cfg);
      if (a) b = callback(cfg);
    } else {
      b = callback(cfg);
      if (b) a = coroutine(cfg);
    }
    if (!a || !b) return false;
    out.coroutine.push_back(*a);
    out.callback.push_back(*b);
    if (cfg.verbose)
      std::printf("  [%s round %u] coroutine %.0f ms wall %.0f ms cpu, callback %.0f ms wall %.0f ms cpu\n", name,
                  round, a->wall_ns / 1e6, a->cpu_ns / 1e6, b->wall_ns / 1e6, b->cpu_ns / 1e6);
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

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: coro_vs_callback [--rounds N] [--chains K] [--ops N] [--conns C] [--messages M] [--verbose]\n"
               "  --rounds N     interleaved rounds per workload (default 5)\n"
               "  --chains K     concurrent NOP chains (default 64)\n"
               "  --ops N        NOPs per run (default 5000000)\n"
               "  --conns C      loopback echo connections (default 64)\n"
               "  --messages M   64-byte echo round trips per run (default 300000)\n"
               "  --verbose      print every round\n");
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
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view value = argv[++i];
    bool ok = false;
    if (flag == "--rounds") ok = parse_number(value, cfg.rounds);
    else if (flag == "--chains") ok = parse_number(value, cfg.chains);
    else if (flag == "--ops") ok = parse_number(value, cfg.ops);
    else if (flag == "--conns") ok = parse_number(value, cfg.conns) && cfg.conns <= 4096;
    else if (flag == "--messages") ok = parse_number(value, cfg.messages);
    if (!ok) return std::nullopt;
  }
  return cfg;
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

  // One short untimed pass of each, so the first timed round does not pay for cold caches and
  // first-touch page faults.
  config warmup = cfg;
  warmup.ops = std::max<std::uint64_t>(1, cfg.ops / 10);
  warmup.messages = std::max<std::uint64_t>(1, cfg.messages / 10);
  if (!nop_coroutines(warmup) || !nop_callbacks(warmup) || !echo_coroutines(warmup) || !echo_callbacks(warmup))
    return 1;

  series nops, echoes;
  if (!run_pair(cfg, "nop", nop_coroutines, nop_callbacks, nops)) return 1;
  char title[160];
  std::snprintf(title, sizeof title, "\nnop round trip (%u chains, %llu ops, %u rounds interleaved)", cfg.chains,
                static_cast<unsigned long long>(cfg.ops), cfg.rounds);
  report(title, nops, double(cfg.ops), "op");
  std::fflush(stdout);

  if (!run_pair(cfg, "echo", echo_coroutines, echo_callbacks, echoes)) return 1;
  std::snprintf(title, sizeof title,
                "\nloopback echo, %zu-byte ping-pong (%u connections, %llu messages, %u rounds interleaved)",
                message_size, cfg.conns, static_cast<unsigned long long>(cfg.messages), cfg.rounds);
  report(title, echoes, double(cfg.messages), "msg");
  return 0;
}
