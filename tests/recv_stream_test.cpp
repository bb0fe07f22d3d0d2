#include <uring_cannon.hpp>

#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

TEST_CASE("multishot recv delivers a stream in order and reports end of stream", "[recv_stream]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(16, 512);
  test_support::socket_pair pair;
  std::string sent;
  for (int i = 0; i < 2000; ++i) sent += std::to_string(i) + ',';
  std::thread writer([&] {
    test_support::write_all(pair.plain_side, sent);
    ::shutdown(pair.plain_side, SHUT_WR);
  });
  auto t = [](uc::scheduler& s, int fd, uc::buffer_ring& b) -> uc::task<std::string> {
    auto rx = uc::recv_stream(s, fd, b);
    std::string got;
    for (;;) {
      auto chunk = co_await rx.next();
      CO_REQUIRE(chunk.ok());
      if (chunk->empty()) break;
      got += chunk->chars();
    }
    co_return got;
  };
  CHECK(s.block_on(t(s, pair.ring_side, buffers)) == sent);
  writer.join();
  CHECK(buffers.available() == buffers.count());
}

TEST_CASE("multishot recv survives buffer exhaustion without losing data or spinning", "[recv_stream]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(4, 512);  // far less than the data in flight
  test_support::socket_pair pair;
  std::string sent;
  for (int i = 0; i < 20000; ++i) sent += char('a' + i % 26);
  test_support::write_all(pair.plain_side, sent);
  ::shutdown(pair.plain_side, SHUT_WR);
  auto t = [](uc::scheduler& s, int fd, uc::buffer_ring& b) -> uc::task<std::string> {
    auto rx = uc::recv_stream(s, fd, b);
    std::string got;
    std::vector<uc::buffer_lease> held;
    for (;;) {
      auto chunk = co_await rx.next();
      CO_REQUIRE(chunk.ok());
      if (chunk->empty()) break;
      got += chunk->chars();
      held.push_back(std::move(*chunk));
      // Hold every buffer until the ring is dry, then give them all back at once: the stream
      // must re-arm only when buffers return.
      if (b.available() == 0 && rx.queued() == 0) {
        (void)co_await uc::nop(s);
        held.clear();
      }
    }
    co_return got;
  };
  const auto turns_before = s.stats().turns;
  CHECK(s.block_on(t(s, pair.ring_side, buffers)) == sent);
  CHECK(buffers.available() == buffers.count());
  // Bounded work: a spinning re-arm would take thousands of turns.
  CHECK(s.stats().turns - turns_before < 20000 / 512 * 8);
}

TEST_CASE("queued completions are read one by one after the coroutine was busy", "[recv_stream]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(64, 512);
  test_support::socket_pair pair;
  auto t = [](uc::scheduler& s, int plain, int fd, uc::buffer_ring& b) -> uc::task<std::string> {
    auto rx = uc::recv_stream(s, fd, b);
    test_support::write_all(plain, "first");
    auto a = co_await rx.next();
    CO_REQUIRE(a.ok());
    std::string got(a->chars());
    // While this coroutine sleeps, more chunks arrive and queue up in the stream.
    for (int i = 0; i < 3; ++i) {
      test_support::write_all(plain, "|more");
      (void)co_await uc::sleep_for(s, 5ms);
    }
    while (got.size() < 5 + 3 * 5) {
      auto c = co_await rx.next();
      CO_REQUIRE(c.ok());
      got += c->chars();
    }
    co_return got;
  };
  CHECK(s.block_on(t(s, pair.plain_side, pair.ring_side, buffers)) == "first|more|more|more");
}

TEST_CASE("destroying a stream with queued data returns its buffers", "[recv_stream]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(8, 512);
  test_support::socket_pair pair;
  auto t = [](uc::scheduler& s, int plain, int fd, uc::buffer_ring& b) -> uc::task<> {
    auto rx = uc::recv_stream(s, fd, b);
    test_support::write_all(plain, "one");
    auto a = co_await rx.next();
    CO_REQUIRE(a.ok());
    test_support::write_all(plain, "two");
    (void)co_await uc::sleep_for(s, 10ms);  // "two" lands in the queue, unread
  };
  s.block_on(t(s, pair.plain_side, pair.ring_side, buffers));
  CHECK(s.settle());
  CHECK(buffers.available() == buffers.count());
}
