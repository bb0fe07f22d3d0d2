// The load engine against an in-process scripted server: counts that match the server's,
// pipelining, reconnects, templates, and every way a server can misbehave, each ending on time.

#include "support/allocation_counter.hpp"
#include "support/scripted_server.hpp"
#include "support/ucannon_runs.hpp"

#include <uring_cannon.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

namespace uc = uring_cannon;
using test_support::scripted_server;
using test_support::server_behaviour;
using test_support::temp_file;
using namespace std::chrono_literals;

namespace {

uc::load_config quick_config(std::string url, unsigned connections = 4) {
  uc::load_config c;
  c.url = std::move(url);
  c.connections = connections;
  c.threads = 1;
  c.duration = 400ms;
  c.warmup = 50ms;
  c.recv_buffers = 256;
  return c;
}

/// Runs `c`, and checks the books that every run must balance.
uc::load_results run(const uc::load_config& c) {
  auto plan = uc::prepare_load(c);
  REQUIRE(plan.ok());
  auto r = uc::run_load(std::move(*plan));
  const auto& books = r.accounting;
  INFO("sent " << books.requests_sent << " answered " << books.answered << " abandoned " << books.abandoned
               << " in flight " << books.in_flight);
  CHECK(books.balanced());
  CHECK(books.requests_sent >= r.requests);
  CHECK(books.answered >= r.responses);
  CHECK(books.in_flight <= std::uint64_t(c.connections) * std::min(c.pipeline, 64u));
  CHECK(r.ttfb.count() == r.latency.count());
  CHECK(r.ttfb.max_us() <= r.latency.max_us());
  CHECK(r.ttfb.sum_us() <= r.latency.sum_us());
  return r;
}


}  // namespace

TEST_CASE("prepare_load rejects what cannot run, with messages", "[load]") {
  uc::load_config c;
  c.url = "ftp://x/";
  CHECK(uc::prepare_load(c).error() == "Error: only http:// and https:// URLs supported");
  c.url = "http://127.0.0.1:1/";
  c.threads = 0;
  CHECK_FALSE(uc::prepare_load(c).ok());
  c.threads = 4;
  c.connections = 2;
  CHECK(uc::prepare_load(c).error().find("at least the number of threads") != std::string::npos);
  c.connections = 4;
  c.recv_buffer_size = 100;
  CHECK(uc::prepare_load(c).error() == "Error: --recv-buf must be at least 512");
  c.recv_buffer_size = 4096;
  c.url = "http://no-such-host.invalid/";
  CHECK(uc::prepare_load(c).error() == "Error: cannot resolve host 'no-such-host.invalid'");
  c.url.clear();
  CHECK_FALSE(uc::prepare_load(c).ok());
  c.url = "http://127.0.0.1:1/";
  c.pipeline = 1000;
  auto plan = uc::prepare_load(c);
  REQUIRE(plan.ok());
  CHECK(plan->config.pipeline == 64);  // gcannon caps silently
  CHECK(plan->target_text == "127.0.0.1:1/");
}

TEST_CASE("responses counted by the engine match what the server answered", "[load]") {
  scripted_server server;
  auto c = quick_config(server.url(), 8);
  const auto r = run(c);
  CHECK(r.responses > 100);
  CHECK(r.status.s2xx == r.responses);
  CHECK(r.latency.count() == r.responses);
  CHECK(r.errors.total() == 0);
  CHECK(r.reconnects == 0);
  // The warm-up is excluded, and at most one pipeline per connection is in flight at the end.
  CHECK(r.responses <= server.answered());
  CHECK(r.requests >= r.responses);
  CHECK(r.requests - r.responses <= c.connections * c.pipeline);
  // Every reply is 40 bytes; a reply split by TCP across the start or end of the measurement may
  // count its bytes without itself, or the other way round.
  CHECK(r.bytes_read + 40 * c.connections >= r.responses * 40);
  CHECK(r.bytes_read <= (r.responses + c.connections) * 40);
  CHECK(r.elapsed_sec == Approx(0.4).margin(0.05));
  CHECK(r.target == "127.0.0.1:" + std::to_string(server.port()) + "/");
  CHECK(r.exit_code(200) == 0);
}

TEST_CASE("pipelining keeps depth requests in flight per connection", "[load]") {
  scripted_server server;
  auto c = quick_config(server.url(), 2);
  c.pipeline = 16;
  const auto r = run(c);
  CHECK(r.responses > 100);
  CHECK(r.errors.total() == 0);
  CHECK(r.requests - r.responses <= 2 * 16);
  CHECK(r.latency.count() == r.responses);
}

TEST_CASE("requests_per_connection (-r) reopens the connection after every N responses", "[load]") {
  scripted_server server;
  auto c = quick_config(server.url(), 4);
  c.requests_per_connection = 10;
  c.pipeline = 4;
  const auto r = run(c);
  CHECK(r.responses > 100);
  CHECK(r.errors.total() == 0);
  // Each reconnect follows exactly 10 responses; connections mid-way at either end differ by one.
  CHECK(r.reconnects >= r.responses / 10 - c.connections);
  CHECK(r.reconnects <= r.responses / 10 + c.connections);
  CHECK(server.accepted() >= r.reconnects);
}

TEST_CASE("an unexpected status class is counted and sets the exit code", "[load]") {
  scripted_server server(server_behaviour::answer, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  auto c = quick_config(server.url(), 2);
  const auto r = run(c);
  CHECK(r.responses > 0);
  CHECK(r.status.s4xx == r.responses);
  CHECK(r.unexpected_status(200) == r.responses);
  CHECK(r.exit_code(200) == 1);
  CHECK(r.exit_code(404) == 0);
}

TEST_CASE("a closed port gives connect errors and the run ends on time", "[load]") {
  const std::uint16_t port = test_support::closed_port();
  auto c = quick_config("http://127.0.0.1:" + std::to_string(port) + "/", 2);
  const auto started = uc::clock::now();
  const auto r = run(c);
  CHECK(uc::clock::now() - started < 2s);
  CHECK(r.responses == 0);
  CHECK(r.errors.connect > 0);
}

TEST_CASE("a silent server gives timeout errors, not a hang", "[load]") {
  scripted_server server(server_behaviour::silent);
  auto c = quick_config(server.url(), 2);
  c.timeout = 100ms;
  c.duration = 500ms;
  const auto started = uc::clock::now();
  const auto r = run(c);
  CHECK(uc::clock::now() - started < 3s);
  CHECK(r.responses == 0);
  CHECK(r.errors.timeout >= 2);
  CHECK(r.errors.read == 0);
}

TEST_CASE("without a timeout a silent server still ends the run on time", "[load]") {
  scripted_server server(server_behaviour::silent);
  auto c = quick_config(server.url(), 2);
  REQUIRE(c.timeout.count() == 0);  // off by default, as in gcannon
  const auto started = uc::clock::now();
  const auto r = run(c);
  CHECK(uc::clock::now() - started < 2s);
  CHECK(r.responses == 0);
  CHECK(r.errors.total() == 0);
  CHECK(r.requests == 0);  // the only requests went out during the warm-up
}

TEST_CASE("a malformed response is a read error, and the connection is reopened", "[load]") {
  scripted_server server(server_behaviour::garbage);
  auto c = quick_config(server.url(), 2);
  const auto r = run(c);
  CHECK(r.responses == 0);
  CHECK(r.errors.read > 2);                // every connection failed more than once: it was reopened
  CHECK(server.accepted() > 2);
}

TEST_CASE("a server that hangs up mid-request is a read error", "[load]") {
  scripted_server server(server_behaviour::hang_up);
  auto c = quick_config(server.url(), 2);
  const auto r = run(c);
  CHECK(r.responses == 0);
  CHECK(r.errors.read > 2);
}

TEST_CASE("a body delimited by the connection's close is a response", "[load]") {
  scripted_server server(server_behaviour::answer_then_close, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
  auto c = quick_config(server.url(), 2);
  const auto r = run(c);
  CHECK(r.responses > 10);
  CHECK(r.status.s2xx == r.responses);
  CHECK(r.errors.read == 0);
}

TEST_CASE("raw templates rotate on reconnect and are counted per template", "[load]") {
  scripted_server server;
  temp_file a("GET /a?id={SEQ:1000} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  temp_file b("GET /b?r={RAND:1:99} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  temp_file plain("GET /c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  auto c = quick_config(server.url(), 3);
  c.raw_files = {a.path, b.path, plain.path};
  c.requests_per_connection = 5;
  c.per_template_latency = true;
  const auto r = run(c);
  REQUIRE(r.per_template.size() == 3);
  std::uint64_t sum = 0;
  for (const auto& t : r.per_template) {
    CHECK(t.responses > 10);
    CHECK(t.latency.count() == t.responses);
    CHECK(t.status.s2xx == t.responses);
    sum += t.responses;
  }
  CHECK(sum == r.responses);
  CHECK(r.per_template[0].path == a.path);
}

TEST_CASE("a template gives the target when there is no URL", "[load]") {
  scripted_server server;
  temp_file t("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n\r\n");
  uc::load_config c = quick_config("", 2);
  c.raw_files = {t.path};
  const auto r = run(c);
  CHECK(r.responses > 10);
  CHECK(r.per_template.empty());  // one template: no per-template breakdown
}

TEST_CASE("request_stop ends a long run early and keeps what ran", "[load]") {
  scripted_server server;
  auto c = quick_config(server.url(), 2);
  c.duration = 60s;
  auto plan = uc::prepare_load(c);
  REQUIRE(plan.ok());
  uc::load_runner runner(std::move(*plan));
  const auto started = uc::clock::now();
  runner.start();
  CHECK_FALSE(runner.wait_for(300ms));
  const auto live = runner.progress();
  CHECK(live.responses > 0);
  CHECK(live.duration_sec == Approx(60));
  runner.request_stop();
  CHECK(runner.wait_for(2s));
  const auto r = runner.results();
  CHECK(uc::clock::now() - started < 3s);
  CHECK(r.interrupted);
  CHECK(r.responses >= live.responses);
  CHECK(r.elapsed_sec < 1.0);
}

TEST_CASE("threads split the connections and their counts merge", "[load]") {
  scripted_server server;
  auto c = quick_config(server.url(), 5);
  c.threads = 2;
  const auto r = run(c);
  CHECK(r.responses > 100);
  CHECK(r.latency.count() == r.responses);
  CHECK(server.accepted() == 5);
}

TEST_CASE("the engine makes no heap allocation per request", "[load][alloc]") {
  if (!test_support::counting_allocations()) {
    WARN("allocation counting is off under the sanitizers (their runtimes own operator new)");
    return;
  }
  scripted_server server;
  // One worker on this thread, for a short and a long run: the set-up allocates the same in both,
  // so whatever the long run allocates beyond the short one is the cost of its extra requests.
  auto measure = [&](std::chrono::milliseconds duration) {
    auto c = quick_config(server.url(), 8);
    c.duration = duration;
    c.pipeline = 4;
    auto plan = uc::prepare_load(c);
    REQUIRE(plan.ok());
    uc::detail::load_live_counters live;
    uc::detail::load_shared shared(plan->config, uc::clock::now() + c.warmup);
    uc::detail::load_worker worker(*plan, shared, 0, c.connections, live);
    uc::scheduler* published = nullptr;
    std::mutex publishing;
    const auto before = test_support::allocations_on_this_thread();
    worker.run(published, publishing);
    return std::pair(test_support::allocations_on_this_thread() - before, worker.counters().accounting.answered);
  };
  const auto [short_allocations, short_responses] = measure(200ms);
  const auto [long_allocations, long_responses] = measure(800ms);
  INFO("short run: " << short_allocations << " allocations, " << short_responses << " responses; long run: "
                     << long_allocations << " allocations, " << long_responses << " responses");
  REQUIRE(long_responses > short_responses + 5000);
  CHECK(long_allocations <= short_allocations + 16);  // a few timing-dependent queue growths, not one per request
}

TEST_CASE("open loop: requests go out at the asked rate, spread over the connections", "[load][rate]") {
  scripted_server server;
  auto c = quick_config(server.url(), 4);
  c.rate = 2000;
  c.duration = 1s;
  const auto r = run(c);
  INFO("sent " << r.sent_per_second() << " req/s");
  CHECK(r.sent_per_second() == Approx(2000).epsilon(0.02));
  CHECK(r.responses == Approx(r.requests).margin(8));
  CHECK(r.errors.total() == 0);
  CHECK(r.service_time.count() == r.latency.count());
  CHECK(r.service_time.sum_us() <= r.latency.sum_us());  // corrected latency is never shorter
}

TEST_CASE("open loop: a stalled server shows in the corrected latency, not in the service time", "[load][rate]") {
  // The server answers every request, but each answer waits behind the one before: with one
  // connection at depth 1, requests queue up at the client, late, and are measured from when
  // they were meant to go.
  scripted_server server(server_behaviour::answer_slowly);
  auto c = quick_config(server.url(), 1);
  c.rate = 200;  // one every 5 ms, answered only every 20 ms
  c.duration = 1s;
  const auto r = run(c);
  REQUIRE(r.responses > 10);
  CHECK(r.sent_per_second() < 0.5 * 200);  // the asked rate could not be kept
  CHECK(r.service_time.quantile_us(0.99) < 60'000);
  CHECK(r.latency.quantile_us(0.99) > 300'000);  // late requests waited for their turn
}

TEST_CASE("errors are classified: refused, parse error, unexpected close, read timeout", "[load][errors]") {
  SECTION("refused") {
    std::uint16_t port;
    {
      auto l = test_support::loopback_listener();
      port = l.local_endpoint().port();
    }
    const auto r = run(quick_config("http://127.0.0.1:" + std::to_string(port) + "/", 2));
    CHECK(r.errors.connect > 0);
    CHECK(r.errors.classes.connect_refused == r.errors.connect);
  }
  SECTION("a full accept queue is a connect timeout") {
    // A listener that never accepts, its queue already full: the kernel drops further SYNs, so
    // a connect can only time out.
    const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(l >= 0);
    auto any = *uc::endpoint::from_literal("127.0.0.1", 0);
    REQUIRE(::bind(l, any.data(), any.size()) == 0);
    REQUIRE(::listen(l, 0) == 0);
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&bound), &length);
    const auto port = ntohs(bound.sin_port);
    auto target = *uc::endpoint::from_literal("127.0.0.1", port);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      ::connect(fd, target.data(), target.size());
      fillers.push_back(fd);
    }
    auto c = quick_config("http://127.0.0.1:" + std::to_string(port) + "/", 2);
    c.connect_timeout = 100ms;
    const auto r = run(c);
    for (int fd : fillers) ::close(fd);
    ::close(l);
    CHECK(r.errors.connect > 0);
    CHECK(r.errors.classes.connect_timeout == r.errors.connect);
  }
  SECTION("garbage is a parse error") {
    scripted_server server(server_behaviour::garbage);
    const auto r = run(quick_config(server.url(), 2));
    CHECK(r.errors.read > 0);
    CHECK(r.errors.classes.parse_error == r.errors.read);
  }
  SECTION("a hang-up with requests outstanding is an unexpected close") {
    scripted_server server(server_behaviour::hang_up);
    const auto r = run(quick_config(server.url(), 2));
    CHECK(r.errors.read > 0);
    CHECK(r.errors.classes.unexpected_close + r.errors.classes.reset == r.errors.read);
  }
  SECTION("silence is a read timeout") {
    scripted_server server(server_behaviour::silent);
    auto c = quick_config(server.url(), 2);
    c.timeout = 100ms;
    const auto r = run(c);
    CHECK(r.errors.timeout > 0);
    CHECK(r.errors.classes.read_timeout == r.errors.timeout);
  }
}

TEST_CASE("responses are counted per status code", "[load]") {
  scripted_server server(server_behaviour::answer, "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
  const auto r = run(quick_config(server.url(), 2));
  REQUIRE(r.status_codes.size() == 1000);
  CHECK(r.status_codes[418] == r.responses);
  CHECK(r.status.s4xx == r.responses);
}

TEST_CASE("source addresses (--bind) spread connections over local addresses", "[load][bind]") {
  scripted_server server;
  auto c = quick_config(server.url(), 6);
  c.source_addresses = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  const auto r = run(c);
  CHECK(r.responses > 100);
  CHECK(r.errors.total() == 0);
  CHECK(server.peer_addresses() == std::set<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4"});

  c.source_addresses = {"not-an-address"};
  CHECK(uc::prepare_load(c).error().find("--bind") != std::string::npos);
  c.source_addresses = {"::1"};
  CHECK(uc::prepare_load(c).error().find("address family") != std::string::npos);
}

TEST_CASE("source addresses (--bind) hold more connections than one local address has ports", "[load][bind][many]") {
  // About 28 000 ephemeral ports per (local address, target) pair: 30 000 connections need two
  // source addresses, and twice as many descriptors (both ends are in this process).
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_max < 62'000) {
    WARN("skipped: 30 000 loopback connections need 62 000 descriptors; the hard limit here is " << limit.rlim_max);
    return;
  }
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  scripted_server server;
  auto c = quick_config(server.url(), 30'000);
  c.threads = 2;
  c.duration = 2s;
  c.warmup = 3s;  // connecting takes a while
  c.recv_buffers = 4096;
  c.source_addresses = {"127.0.0.2", "127.0.0.3"};
  const auto r = run(c);
  CHECK(r.errors.connect == 0);
  CHECK(server.accepted() >= 30'000);
}

TEST_CASE("rate_curve: a steady rate, a linear ramp from zero and steps put each request where its area says",
          "[load][rate]") {
  using uc::rate_curve;
  const rate_curve steady(1000, {});
  CHECK(steady.time_of(0) == 0);
  CHECK(steady.time_of(1500) == Approx(1.5));
  // From 0 to 2000 req/s over 2 s: 2000 requests in the ramp, request g at sqrt(g / 500).
  const rate_curve ramp(2000, {{0, 2000, 2s}});
  CHECK(ramp.time_of(0) == 0);
  CHECK(ramp.time_of(500) == Approx(1.0));
  CHECK(ramp.time_of(2000) == Approx(2.0));
  CHECK(ramp.time_of(4000) == Approx(3.0));  // then 2000 req/s
  // Steps: 100 req/s for 1 s, 300 req/s for 1 s, then 50 req/s.
  const rate_curve steps(50, {{100, 100, 1s}, {300, 300, 1s}});
  CHECK(steps.time_of(50) == Approx(0.5));
  CHECK(steps.time_of(250) == Approx(1.5));
  CHECK(steps.time_of(450) == Approx(3.0));
  // A falling rate: 1000 down to 0 over 1 s holds 500 requests; the 375th is at 0.5 s.
  const rate_curve falling(10, {{1000, 0, 1s}});
  CHECK(falling.time_of(375) == Approx(0.5));
  CHECK(falling.time_of(500) == Approx(1.0));
}

TEST_CASE("max_responses (-n): exactly N responses over several threads, pipelines and reconnects, then the run ends",
          "[load][count]") {
  scripted_server server;
  auto c = quick_config(server.url(), 8);
  c.threads = 2;
  c.pipeline = 4;
  c.requests_per_connection = 7;
  c.duration = 20s;  // a cap the run must not reach
  c.max_responses = 5003;
  const auto started = uc::clock::now();
  const auto r = run(c);
  CHECK(uc::clock::now() - started < 10s);
  CHECK(r.responses == 5003);
  CHECK(r.latency.count() == 5003);
  CHECK(r.accounting.requests_sent == 5003);  // no request beyond the budget went out
  CHECK(r.accounting.in_flight == 0);
  CHECK(!r.interrupted);
  CHECK(r.elapsed_sec < 10);
}

TEST_CASE("max_responses (-n): requests lost with a connection go back to the budget", "[load][count]") {
  // The server answers the first request on each connection, then closes with the rest unanswered.
  scripted_server server(server_behaviour::answer_then_close);
  auto c = quick_config(server.url(), 4);
  c.pipeline = 4;
  c.duration = 20s;
  c.max_responses = 600;
  const auto r = run(c);
  CHECK(r.responses == 600);
  CHECK(r.accounting.answered == 600);
  CHECK(r.accounting.abandoned > 0);
  CHECK(r.accounting.requests_sent == 600 + r.accounting.abandoned);
}

TEST_CASE("max_responses (-n) in open loop: the rate paces, the count ends the run", "[load][count][rate]") {
  scripted_server server;
  auto c = quick_config(server.url(), 4);
  c.rate = 4000;
  c.duration = 20s;
  c.max_responses = 800;
  const auto r = run(c);
  CHECK(r.responses == 800);
  CHECK(r.elapsed_sec == Approx(0.2).margin(0.1));
}

TEST_CASE("max_responses (-n) in open loop with a pipeline: a spent budget waits for the answers, never spins",
          "[load][count][rate]") {
  // Each reply comes 20 ms after the previous one, so requests are still in flight when the
  // budget runs out; the connection must then wait for them instead of looping for room.
  scripted_server server(server_behaviour::answer_slowly);
  auto c = quick_config(server.url(), 4);
  c.rate = 4000;
  c.pipeline = 4;
  c.duration = 10s;
  c.max_responses = 200;
  const auto started = uc::clock::now();
  const auto r = run(c);
  CHECK(r.responses == 200);
  CHECK(uc::clock::now() - started < 5s);
}

TEST_CASE("batch_refill sends whole batches; gcannon's refill keeps the pipeline full", "[load]") {
  // One reply every 20 ms, one write each: gcannon's loop replaces each answer at once, so its
  // pipeline is always full; a batch refill waits for all four and sends four together.
  scripted_server server(server_behaviour::answer_slowly);
  auto c = quick_config(server.url(), 1);
  c.pipeline = 4;
  const auto replacing = run(c);
  CHECK(replacing.accounting.in_flight == 4);
  CHECK(replacing.accounting.answered >= 8);
  c.batch_refill = true;
  const auto batched = run(c);
  CHECK(batched.accounting.requests_sent % 4 == 0);
  CHECK(batched.accounting.answered >= 8);
  CHECK(batched.accounting.requests_sent < replacing.accounting.requests_sent);
}

TEST_CASE("ramp: in a closed loop opens the connections evenly over the ramp", "[load][ramp]") {
  scripted_server server;
  auto c = quick_config(server.url(), 20);
  c.threads = 2;
  c.ramp = 1s;
  c.duration = 1500ms;
  auto plan = uc::prepare_load(c);
  REQUIRE(plan.ok());
  CHECK(plan->config.warmup == 0ms);
  uc::load_runner runner(std::move(*plan));
  runner.start();
  std::this_thread::sleep_for(500ms);
  const auto halfway = server.accepted();
  const auto r = runner.results();
  INFO("connections open half-way through the ramp: " << halfway);
  CHECK(halfway >= 8);
  CHECK(halfway <= 12);
  CHECK(server.accepted() == 20);
  CHECK(r.ramp_sec == Approx(1.0));
  CHECK(r.steady_responses > 0);
  CHECK(r.steady_responses < r.responses);
  CHECK(r.steady_latency.count() == r.steady_responses);
}

TEST_CASE("ramp: in open loop grows the rate from zero; a schedule steps it", "[load][ramp][rate]") {
  scripted_server server;
  auto c = quick_config(server.url(), 8);
  c.rate = 2000;
  c.ramp = 1s;
  c.duration = 2s;
  const auto r = run(c);
  // Half of 2000 req/s during the ramp, then 2000 req/s for a second.
  INFO("sent " << r.requests << ", per second " << r.responses_per_second[0] << " " << r.responses_per_second[1]);
  CHECK(r.requests == Approx(3000).epsilon(0.03));
  REQUIRE(r.responses_per_second.size() == 2);
  CHECK(r.responses_per_second[0] == Approx(1000).epsilon(0.05));
  CHECK(r.responses_per_second[1] == Approx(2000).epsilon(0.03));
  CHECK(r.steady_requests_per_second() == Approx(2000).epsilon(0.03));

  c.ramp = 0ms;
  c.rate = 1000;
  c.rate_schedule = {{500, 500, 500ms}, {3000, 3000, 500ms}};
  const auto stepped = run(c);
  CHECK(stepped.requests == Approx(250 + 1500 + 1000).epsilon(0.03));
  CHECK(stepped.ramp_sec == Approx(1.0));
}

TEST_CASE("report_interval: the intervals add up to the run's totals", "[load][interval]") {
  scripted_server server;
  auto c = quick_config(server.url(), 4);
  c.threads = 2;
  c.pipeline = 2;
  c.duration = 1s;
  c.report_interval = 200ms;
  auto plan = uc::prepare_load(c);
  REQUIRE(plan.ok());
  uc::load_runner runner(std::move(*plan));
  runner.start();
  std::vector<uc::load_interval> intervals;
  auto drain = [&] {
    while (auto i = runner.next_interval()) intervals.push_back(std::move(*i));
  };
  while (!runner.wait_for(20ms)) drain();
  const auto r = runner.results();
  drain();
  REQUIRE(intervals.size() >= 5);
  CHECK(intervals.size() <= 6);
  std::uint64_t requests = 0, responses = 0, samples = 0;
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    CHECK(intervals[i].index == i);
    requests += intervals[i].requests;
    responses += intervals[i].responses;
    samples += intervals[i].latency.count();
  }
  CHECK(requests == r.requests);
  CHECK(responses == r.responses);
  CHECK(samples == r.latency.count());
  CHECK(intervals[1].responses > 0);
  CHECK(intervals[1].start_sec == Approx(0.2));
  CHECK(intervals.back().responses > 0);  // no empty remainder after the last boundary
  CHECK(intervals.back().end_sec <= r.elapsed_sec + 0.001);
}
