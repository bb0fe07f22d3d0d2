// The smallest real program against uring_cannon: used to prove each way of consuming the library.
#include <uring_cannon.hpp>

#include <cstdio>

namespace uc = uring_cannon;

uc::task<int> round_trips(uc::scheduler& s, int n) {
  int done = 0;
  for (int i = 0; i < n; ++i)
    if (co_await uc::nop(s)) ++done;
  co_return done;
}

int main() {
  uc::scheduler s;
  const int done = s.block_on(round_trips(s, 100));
  uc::latency_histogram h;
  h.record_us(42);
  std::printf("uring_cannon %s: %d nops, p50 %llu us\n", uc::version_string, done,
              static_cast<unsigned long long>(h.percentile_us(50)));
  return done == 100 && h.percentile_us(50) == 42 ? 0 : 1;
}
