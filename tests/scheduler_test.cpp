#include <uring_cannon.hpp>

#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

uc::task<> count_nops(uc::scheduler& s, int n, int* done) {
  for (int i = 0; i < n; ++i) {
    auto r = co_await uc::nop(s);
    CO_REQUIRE(r.ok());
  }
  ++*done;
}

uc::task<> sleep_forever(uc::scheduler& s) {
  for (;;) (void)co_await uc::sleep_for(s, 1h);
}

uc::task<> fail_after_nop(uc::scheduler& s) {
  (void)co_await uc::nop(s);
  throw std::logic_error("root failed");
}

uc::task<> read_once(uc::scheduler& s, int fd, uc::buffer_ring& buffers, bool* resumed) {
  auto r = co_await uc::recv(s, fd, buffers);
  *resumed = true;
}

uc::task<std::string> read_text(uc::scheduler& s, int fd, uc::buffer_ring& buffers) {
  auto r = co_await uc::recv(s, fd, buffers);
  CO_REQUIRE(r.ok());
  co_return std::string(r->chars());
}

uc::task<> one_nop(uc::scheduler& s) { (void)co_await uc::nop(s); }

}  // namespace

TEST_CASE("run() drives spawned roots to completion", "[scheduler]") {
  uc::scheduler s;
  int done = 0;
  for (int i = 0; i < 100; ++i) s.spawn(count_nops(s, 50, &done));
  s.run();
  CHECK(done == 100);
  CHECK(s.root_count() == 0);
  CHECK(s.ops_in_flight() == 0);
  CHECK(s.stats().routed == 100 * 50);
  CHECK(s.stats().unknown == 0);
}

TEST_CASE("run_for returns on time with roots still waiting, and the destructor cancels them", "[scheduler]") {
  auto start = uc::clock::now();
  {
    uc::scheduler s;
    s.spawn(sleep_forever(s));
    s.run_for(50ms);
    auto elapsed = uc::clock::now() - start;
    CHECK(elapsed >= 50ms);
    CHECK(elapsed < 1s);
    CHECK(s.root_count() == 1);
    CHECK(s.ops_in_flight() == 1);
  }
  CHECK(uc::clock::now() - start < 2s);  // the cancelled timeout drained quickly
}

TEST_CASE("request_stop from another thread wakes a blocked run()", "[scheduler]") {
  uc::scheduler s;
  s.spawn(sleep_forever(s));
  std::thread stopper([&] {
    std::this_thread::sleep_for(30ms);
    s.request_stop();
  });
  auto start = uc::clock::now();
  s.run();
  stopper.join();
  CHECK(uc::clock::now() - start < 1s);
  CHECK(s.root_count() == 1);
}

TEST_CASE("an exception escaping a root task comes out of run()", "[scheduler]") {
  uc::scheduler s;
  s.spawn(fail_after_nop(s));
  CHECK_THROWS_WITH(s.run(), "root failed");
}

TEST_CASE("destroying a coroutine with a recv in flight: late CQE dropped, buffer returned, slot reused",
          "[scheduler][stale]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(8, 4096);
  test_support::socket_pair pair;
  bool resumed = false;
  {
    auto reader = read_once(s, pair.ring_side, buffers, &resumed);
    reader.handle().resume();  // runs to the recv and suspends
    s.block_on(one_nop(s));    // submits the recv; it now waits in the kernel
    CHECK(s.ops_in_flight() == 1);
    // Data arrives and the owner dies before the loop routes the completion.
    test_support::write_all(pair.plain_side, "late");
  }
  CHECK_FALSE(resumed);
  // Drain: the recv completes or is cancelled; either way its CQE is stale now.
  CHECK(s.settle());
  CHECK(s.stats().stale >= 1);
  CHECK(buffers.available() == buffers.count());  // any buffer the stale CQE carried came back
  if (s.stats().stale_buffers_returned == 0) {
    // The cancel won the race; the data is still in the socket. The next reader gets it.
    CHECK(s.block_on(read_text(s, pair.ring_side, buffers)) == "late");
  } else {
    test_support::write_all(pair.plain_side, "next");
    CHECK(s.block_on(read_text(s, pair.ring_side, buffers)) == "next");
  }
  CHECK(buffers.available() == buffers.count());
  CHECK(s.stats().unknown == 0);
}

TEST_CASE("closes queued by the last finishing task reach the kernel before run() returns", "[scheduler]") {
  test_support::socket_pair pair;
  {
    uc::scheduler s;
    auto owner = [](uc::scheduler& s, int fd) -> uc::task<> {
      uc::tcp_stream conn(s, fd);
      (void)co_await uc::nop(s);
    };  // conn's destructor queues an internal close as the task ends
    s.spawn(owner(s, pair.take_ring_side()));
    s.run();
    CHECK(s.settle());
  }
  char byte = 0;
  CHECK(::recv(pair.plain_side, &byte, 1, 0) == 0);  // the peer saw the close: end of stream
}
