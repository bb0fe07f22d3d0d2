#include <uring_cannon.hpp>

#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

uc::task<int> accept_one(uc::scheduler& s, uc::listener& l) {
  auto fd = co_await l.accept(s);
  CO_REQUIRE(fd.ok());
  co_return *fd;
}

uc::task<std::string> echo_round_trip(uc::scheduler& s, uc::endpoint server, std::string message) {
  auto connected = co_await uc::tcp_stream::connect(s, server);
  CO_REQUIRE(connected.ok());
  uc::tcp_stream conn = std::move(*connected);
  auto& buffers = s.make_buffer_ring(4, 4096);
  auto sent = co_await conn.send(message);
  CO_REQUIRE(sent.ok());
  CO_REQUIRE(*sent == message.size());
  std::string reply;
  while (reply.size() < message.size()) {
    auto got = co_await conn.recv(buffers);
    CO_REQUIRE(got.ok());
    CO_REQUIRE_FALSE(got->empty());
    reply += got->chars();
  }
  co_return reply;
}

uc::task<> echo_server_once(uc::scheduler& s, uc::listener& l) {
  auto& buffers = s.make_buffer_ring(4, 4096);
  auto fd = co_await l.accept(s);
  CO_REQUIRE(fd.ok());
  uc::tcp_stream conn(s, *fd);
  for (;;) {
    auto got = co_await conn.recv(buffers);
    if (!got || got->empty()) break;
    auto sent = co_await conn.send_all(got->bytes());
    CO_REQUIRE(sent.ok());
  }
}

uc::task<> echo_pair(uc::scheduler& s, uc::listener& l, std::string* reply) {
  s.spawn(echo_server_once(s, l));
  *reply = co_await echo_round_trip(s, l.local_endpoint(), "hello over the ring");
}

}  // namespace

TEST_CASE("nop and sleep_for complete; sleep takes its time", "[ops]") {
  uc::scheduler s;
  auto t = [](uc::scheduler& s) -> uc::task<std::chrono::nanoseconds> {
    auto r = co_await uc::nop(s);
    CO_REQUIRE(r.ok());
    auto start = uc::clock::now();
    auto slept = co_await uc::sleep_for(s, 20ms);
    CO_REQUIRE(slept.ok());
    co_return uc::clock::now() - start;
  };
  auto elapsed = s.block_on(t(s));
  CHECK(elapsed >= 20ms);
  CHECK(elapsed < 500ms);
}

TEST_CASE("socket, connect, accept, send, recv, shutdown and close over loopback", "[ops]") {
  uc::scheduler s;
  auto l = test_support::loopback_listener();
  std::string reply;
  s.spawn(echo_pair(s, l, &reply));
  s.run_for(5s);
  CHECK(reply == "hello over the ring");
  CHECK(s.root_count() == 0);
}

TEST_CASE("the socket op makes a descriptor; close op closes it", "[ops]") {
  uc::scheduler s;
  if (!s.features().socket_op) return;  // kernel < 5.19
  auto t = [](uc::scheduler& s) -> uc::task<bool> {
    auto fd = co_await uc::socket(s, AF_INET, SOCK_STREAM);
    CO_REQUIRE(fd.ok());
    auto closed = co_await uc::close(s, *fd);
    CO_REQUIRE(closed.ok());
    auto again = co_await uc::close(s, *fd);
    co_return again.error() == EBADF;
  };
  CHECK(s.block_on(t(s)));
}

TEST_CASE("connect to a closed port reports ECONNREFUSED", "[ops]") {
  uc::scheduler s;
  uc::endpoint closed;
  {
    auto l = test_support::loopback_listener();
    closed = l.local_endpoint();
  }
  auto t = [](uc::scheduler& s, uc::endpoint e) -> uc::task<int> {
    auto c = co_await uc::tcp_stream::connect(s, e);
    co_return c.error();
  };
  CHECK(s.block_on(t(s, closed)) == ECONNREFUSED);
}

TEST_CASE("send_all delivers many megabytes to a slow reader through partial sends", "[ops]") {
  uc::scheduler s;
  test_support::socket_pair pair;
  int small = 4096;
  ::setsockopt(pair.ring_side, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  std::vector<std::byte> payload(8 << 20);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte(i * 7 + i / 4096);
  std::vector<std::byte> received;
  std::thread reader([&] {
    std::vector<std::byte> chunk(1500);
    while (received.size() < payload.size()) {
      ssize_t n = ::recv(pair.plain_side, chunk.data(), chunk.size(), 0);
      if (n <= 0) break;
      received.insert(received.end(), chunk.begin(), chunk.begin() + n);
      if (received.size() % 64 == 0) std::this_thread::yield();
    }
  });
  auto t = [](uc::scheduler& s, int fd, std::span<const std::byte> data) -> uc::task<std::size_t> {
    auto sent = co_await uc::send_all(s, fd, data);
    CO_REQUIRE(sent.ok());
    co_return *sent;
  };
  CHECK(s.block_on(t(s, pair.ring_side, payload)) == payload.size());
  reader.join();
  CHECK(received.size() == payload.size());
  const bool identical = received == payload;  // not CHECK(a == b): Catch2 cannot print std::byte
  CHECK(identical);
}

TEST_CASE("a linked timeout fails a recv that never completes with ETIME", "[ops][timeout]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(4, 1024);
  test_support::socket_pair pair;
  auto t = [](uc::scheduler& s, int fd, uc::buffer_ring& b) -> uc::task<int> {
    auto r = co_await uc::recv(s, fd, b).with_timeout(30ms);
    co_return r.error();
  };
  auto start = uc::clock::now();
  CHECK(s.block_on(t(s, pair.ring_side, buffers)) == ETIME);
  CHECK(uc::clock::now() - start >= 30ms);
  CHECK(s.settle());  // the timeout's own CQE drained the slot
}

TEST_CASE("a linked timeout that does not fire leaves the result alone", "[ops][timeout]") {
  uc::scheduler s;
  auto t = [](uc::scheduler& s) -> uc::task<bool> {
    auto r = co_await uc::nop(s).with_timeout(1s);
    co_return r.ok();
  };
  CHECK(s.block_on(t(s)));
}

TEST_CASE("cancel_fd cancels the operations pending on a descriptor", "[ops][cancel]") {
  uc::scheduler s;
  auto& buffers = s.make_buffer_ring(4, 1024);
  test_support::socket_pair pair;
  int reader_error = 0;
  auto reader = [](uc::scheduler& s, int fd, uc::buffer_ring& b, int* error) -> uc::task<> {
    auto r = co_await uc::recv(s, fd, b);
    *error = r.error();
  };
  auto canceller = [](uc::scheduler& s, int fd) -> uc::task<int> {
    (void)co_await uc::nop(s);  // let the recv reach the kernel first
    auto n = co_await uc::cancel_fd(s, fd);
    CO_REQUIRE(n.ok());
    co_return *n;
  };
  s.spawn(reader(s, pair.ring_side, buffers, &reader_error));
  CHECK(s.block_on(canceller(s, pair.ring_side)) == 1);
  s.run_for(1s);
  CHECK(reader_error == ECANCELED);
  CHECK(s.settle());
}

TEST_CASE("multishot accept takes many connections from one SQE", "[ops][accept]") {
  uc::scheduler s;
  auto l = test_support::loopback_listener();
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(test_support::blocking_connect(l.local_endpoint()));
  auto t = [](uc::scheduler& s, uc::listener& l) -> uc::task<int> {
    auto accepts = l.accepts(s);
    int accepted = 0;
    while (accepted < 5) {
      auto fd = co_await accepts.next();
      CO_REQUIRE(fd.ok());
      ::close(*fd);
      ++accepted;
    }
    co_return accepted;
  };
  CHECK(s.block_on(t(s, l)) == 5);
  for (int fd : clients) ::close(fd);
  CHECK(s.settle());  // the abandoned multishot accept was cancelled and drained
}

TEST_CASE("accept_one through a single-shot accept", "[ops][accept]") {
  uc::scheduler s;
  auto l = test_support::loopback_listener();
  int client = test_support::blocking_connect(l.local_endpoint());
  int fd = s.block_on(accept_one(s, l));
  CHECK(fd >= 0);
  ::close(fd);
  ::close(client);
}
