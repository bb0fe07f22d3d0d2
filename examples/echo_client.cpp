// An io_uring echo client: N connections, each sending a message and waiting for its echo, as
// fast as it can for a few seconds; prints round trips per second and latency percentiles.
//   echo_client HOST:PORT [--conns N] [--seconds S] [--size BYTES]
#include <uring_cannon.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace uc = uring_cannon;

struct totals {
  std::uint64_t round_trips = 0;
  std::uint64_t errors = 0;
  uc::latency_histogram latency;
};

uc::task<> ping_pong(uc::scheduler& s, uc::endpoint server, const std::string& message, uc::buffer_ring& buffers,
                     totals& out) {
  auto connected = co_await uc::tcp_stream::connect(s, server);
  if (!connected) {
    ++out.errors;
    co_return;
  }
  uc::tcp_stream conn = std::move(*connected);
  auto incoming = conn.receiver(buffers);
  for (;;) {
    const auto sent_at = uc::clock::now();
    if (!co_await conn.send_all(message)) break;
    std::size_t echoed = 0;
    while (echoed < message.size()) {
      auto chunk = co_await incoming.next();
      if (!chunk || chunk->empty()) {
        ++out.errors;
        co_return;
      }
      echoed += chunk->size();
    }
    out.latency.record(uc::clock::now() - sent_at);
    ++out.round_trips;
  }
  ++out.errors;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: echo_client HOST:PORT [--conns N] [--seconds S] [--size BYTES]\n");
    return 2;
  }
  const std::string target = argv[1];
  int conns = 64, seconds = 3, size = 64;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--conns") == 0) conns = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--size") == 0) size = std::atoi(argv[i + 1]);
  }
  const auto colon = target.rfind(':');
  auto server = colon == std::string::npos
                    ? std::nullopt
                    : uc::endpoint::from_literal(target.substr(0, colon), std::uint16_t(std::atoi(target.c_str() + colon + 1)));
  if (!server || conns <= 0 || seconds <= 0 || size <= 0) {
    std::fprintf(stderr, "echo_client: bad arguments\n");
    return 2;
  }

  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(4096, 4096);
  const std::string message(std::size_t(size), 'x');
  totals out;
  for (int i = 0; i < conns; ++i) s.spawn(ping_pong(s, *server, message, buffers, out));
  const auto start = uc::clock::now();
  s.run_for(std::chrono::seconds(seconds));
  const double elapsed = std::chrono::duration<double>(uc::clock::now() - start).count();

  std::printf("%d connections, %d-byte messages, %.2fs\n", conns, size, elapsed);
  std::printf("  round trips: %llu (%.0f/s), errors: %llu\n", (unsigned long long)out.round_trips,
              double(out.round_trips) / elapsed, (unsigned long long)out.errors);
  std::printf("  latency us: p50 %llu  p99 %llu  p99.9 %llu  max %llu\n",
              (unsigned long long)out.latency.percentile_us(50), (unsigned long long)out.latency.percentile_us(99),
              (unsigned long long)out.latency.percentile_us(99.9), (unsigned long long)out.latency.max_us());
  return out.round_trips > 0 ? 0 : 1;
}
