// Loopback echo under load: many concurrent connections on one thread, and the proof that a
// request loop allocates nothing once it is warm.
#include <uring_cannon.hpp>

#include "support/allocation_counter.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>

namespace uc = uring_cannon;
using namespace std::chrono_literals;


namespace {

struct client_stats {
  int connected = 0;
  int finished = 0;
  int failed = 0;
};

uc::task<> barrier_wait(uc::scheduler& s, const int& connected, int target) {
  while (connected < target) (void)co_await uc::sleep_for(s, 1ms);
}

uc::task<> echo_client(uc::scheduler& s, uc::endpoint server, uc::buffer_ring& buffers, int total, int rounds,
                       client_stats& stats) {
  auto connected = co_await uc::tcp_stream::connect(s, server, 10s);
  if (!connected) {
    ++stats.failed;
    co_return;
  }
  uc::tcp_stream conn = std::move(*connected);
  ++stats.connected;
  co_await barrier_wait(s, stats.connected, total - stats.failed);  // all open at once
  auto incoming = conn.receiver(buffers);
  for (int i = 0; i < rounds; ++i) {
    if (!co_await conn.send_all("ping-0123456789")) break;
    std::size_t got = 0;
    while (got < 15) {
      auto chunk = co_await incoming.next();
      if (!chunk || chunk->empty()) {
        ++stats.failed;
        co_return;
      }
      got += chunk->size();
    }
  }
  ++stats.finished;
}

/// Runs an echo server in a child process (its own fd table: 10 000 connections on each side
/// would not fit one process's limit here) until the parent kills it.
pid_t fork_echo_server(uc::listener& l) {
  pid_t child = ::fork();
  if (child == 0) {
    {
      uc::scheduler s;
      auto& buffers = s.make_buffer_ring(4096, 2048);
      s.spawn(uc::echo_server(s, l, buffers));
      s.run_for(60s);
    }
    std::_Exit(0);
  }
  return child;
}

uc::task<bool> one_round_trip(uc::tcp_stream& conn, uc::recv_stream& incoming) {
  if (!co_await conn.send_all("0123456789abcdef")) co_return false;
  std::size_t got = 0;
  while (got < 16) {
    auto chunk = co_await incoming.next();
    if (!chunk || chunk->empty()) co_return false;
    got += chunk->size();
  }
  co_return true;
}

struct steady_state {
  std::uint64_t round_trips = 0;
  std::uint64_t allocations_at_mark = 0;
  std::uint64_t round_trips_at_mark = 0;
  std::uint64_t allocations_at_end = 0;
  bool marked = false;
};

[[maybe_unused]] uc::task<> counted_client(uc::scheduler& s, uc::endpoint server, uc::buffer_ring& buffers, steady_state& state,
                          std::uint64_t warmup, std::uint64_t total) {
  auto connected = co_await uc::tcp_stream::connect(s, server);
  if (!connected) co_return;
  uc::tcp_stream conn = std::move(*connected);
  auto incoming = conn.receiver(buffers);
  while (state.round_trips < total) {
    if (!co_await one_round_trip(conn, incoming)) co_return;  // a helper coroutine per request
    if (++state.round_trips == warmup) {
      state.marked = true;
      state.allocations_at_mark = test_support::allocations_on_this_thread();
      state.round_trips_at_mark = state.round_trips;
    }
    if (state.round_trips == total) {
      state.allocations_at_end = test_support::allocations_on_this_thread();  // before connections wind down
      s.stop();
    }
  }
}

}  // namespace

TEST_CASE("10 000 concurrent echo connections on one thread", "[echo][load]") {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  const int connections = files.rlim_cur >= 10'200 ? 10'000 : int(files.rlim_cur) - 200;
  if (connections < 10'000) WARN("RLIMIT_NOFILE allows only " << connections << " connections");

  auto l = uc::listener::bind(*uc::endpoint::from_literal("127.0.0.1", 0), {.backlog = 65535});
  const pid_t server = fork_echo_server(l);
  REQUIRE(server > 0);

  client_stats stats;
  const auto start = uc::clock::now();
  {
    uc::scheduler s({.ring = {.entries = 4096}});
    auto& buffers = s.make_buffer_ring(8192, 256);
    for (int i = 0; i < connections; ++i)
      s.spawn(echo_client(s, l.local_endpoint(), buffers, connections, 3, stats));
    s.run_for(40s);
    CHECK(s.stats().unknown == 0);
  }
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  INFO("connected " << stats.connected << ", finished " << stats.finished << ", failed " << stats.failed);
  CHECK(stats.connected == connections);
  CHECK(stats.finished == connections);
  CHECK(stats.failed == 0);
  CHECK(uc::clock::now() - start < 45s);
}

TEST_CASE("a warm request loop makes zero heap allocations per request", "[echo][alloc]") {
  if (!test_support::counting_allocations()) {
    WARN("allocation counting is off under the sanitizers (their runtimes own operator new)");
    return;
  }
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(1024, 2048);
  auto l = test_support::loopback_listener();
  s.spawn(uc::echo_server(s, l, buffers));
  steady_state state;
  constexpr std::uint64_t warmup = 2'000, total = 22'000;
  for (int i = 0; i < 32; ++i) s.spawn(counted_client(s, l.local_endpoint(), buffers, state, warmup, total));
  s.run_for(30s);
  REQUIRE(state.marked);
  const std::uint64_t requests = state.round_trips - state.round_trips_at_mark;
  const std::uint64_t allocated = state.allocations_at_end - state.allocations_at_mark;
  INFO(allocated << " allocations over " << requests << " requests");
  CHECK(requests >= total - warmup);
  CHECK(allocated == 0);
}
