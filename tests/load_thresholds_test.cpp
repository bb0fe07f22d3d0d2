// Thresholds: parsing every metric and operator, checking them against a run, the verdict's exit
// status and the text it prints.

#include <uring_cannon/load_thresholds.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace uc = uring_cannon;
using namespace std::chrono_literals;

namespace {

uc::threshold rule(const char* text) {
  auto t = uc::parse_threshold(text);
  INFO(text << ": " << (t ? std::string() : t.error()));
  REQUIRE(t.ok());
  return *t;
}

/// 1000 responses in 2 s (p50 1 ms, p99 10 ms, max 50 ms), 10 of them 5xx, 30 errors.
uc::load_results sample_run() {
  uc::load_results r;
  r.elapsed_sec = 2;
  r.responses = 1000;
  r.requests = 1000;
  r.latency.record(1ms, 980);
  r.latency.record(10ms, 19);
  r.latency.record(50ms, 1);
  r.status.s2xx = 990;
  r.status.s5xx = 10;
  r.errors.read = 30;
  return r;
}

}  // namespace

TEST_CASE("parse_threshold reads every metric, operator and unit", "[thresholds]") {
  const auto p = rule("p99.9 <= 2.5ms");
  CHECK(p.text == "p99.9<=2.5ms");
  CHECK(p.metric == uc::threshold_metric::percentile);
  CHECK(p.percentile == 99.9);
  CHECK(p.op == uc::threshold_op::less_equal);
  CHECK(p.bound == 2500);
  CHECK(rule("mean<250us").bound == 250);
  CHECK(rule("max<1.5s").bound == 1'500'000);
  CHECK(rule("rps>=50000").op == uc::threshold_op::greater_equal);
  CHECK(rule("rps>12.5").bound == 12.5);
  CHECK(rule("errors<10").percent == false);
  CHECK(rule("errors<0.1%").percent == true);
  CHECK(rule("unexpected<1%").metric == uc::threshold_metric::unexpected);
  for (const char* bad : {"", "p99", "<5ms", "p99<", "p99<5", "p0<5ms", "p101<5ms", "rps>fast", "errors<101%",
                          "errors<-1", "latency<5ms", "p99<5ms%", "p99=5ms"}) {
    INFO(bad);
    CHECK(!uc::parse_threshold(bad).ok());
  }
}

TEST_CASE("every threshold kind passes and fails against a run", "[thresholds]") {
  const auto r = sample_run();
  struct expectation {
    const char* text;
    bool passes;
  };
  for (const auto& [text, passes] : {expectation{"p50<2ms", true}, {"p50<1ms", false}, {"p99<=10ms", true},
                                     {"p99<10ms", false}, {"mean<2ms", true}, {"mean<1ms", false},
                                     {"max<=50ms", true}, {"max<50ms", false}, {"rps>499", true}, {"rps>500", false},
                                     {"rps>=500", true}, {"errors<31", true}, {"errors<30", false},
                                     {"errors<3%", true}, {"errors<2.9%", false}, {"unexpected<=10", true},
                                     {"unexpected<1%", false}, {"unexpected<=1%", true}}) {
    INFO(text);
    const auto checked = uc::check_thresholds({rule(text)}, r, 200);
    REQUIRE(checked.size() == 1);
    CHECK(checked[0].passed == passes);
  }
  const auto errors = uc::check_thresholds({rule("errors<3%")}, r, 200);
  CHECK(errors[0].measured == Approx(100.0 * 30 / 1030));
}

TEST_CASE("a run without responses fails latency thresholds and exits 4", "[thresholds]") {
  uc::load_results empty;
  empty.errors.connect = 5;
  empty.errors.classes.connect_refused = 5;
  const auto checked = uc::check_thresholds({rule("p99<1s"), rule("errors<=5")}, empty, 200);
  CHECK(!checked[0].passed);  // nothing to vouch for
  CHECK(checked[1].passed);
  CHECK(uc::run_exit_code(empty, 200, checked) == uc::exit_nothing_measured);
  CHECK(uc::nothing_measured_message(empty).find("every connection failed (5 connect errors: 5 refused") !=
        std::string::npos);
}

TEST_CASE("the exit status: 4, then 3, then 1, else 0", "[thresholds]") {
  auto r = sample_run();  // 10 responses of an unexpected class
  CHECK(uc::run_exit_code(r, 200, uc::check_thresholds({rule("p99<1s")}, r, 200)) == uc::exit_unexpected_status);
  CHECK(uc::run_exit_code(r, 200, uc::check_thresholds({rule("p99<1ms")}, r, 200)) == uc::exit_threshold_failed);
  r.status.s5xx = 0;
  r.status.s2xx = 1000;
  CHECK(uc::run_exit_code(r, 200, uc::check_thresholds({rule("p99<1s")}, r, 200)) == 0);
  CHECK(uc::run_exit_code(r, 200, {}) == 0);
}

TEST_CASE("the text block names each threshold, its verdict and the measured value", "[thresholds]") {
  const auto r = sample_run();
  const auto text = uc::format_threshold_text(uc::check_thresholds({rule("p99<5ms"), rule("errors<5%")}, r, 200));
  CHECK(text ==
        "\n  Thresholds: 1 passed, 1 failed\n"
        "    FAIL  p99<5ms  (p99 was 10.00ms)\n"
        "    PASS  errors<5%  (errors was 2.913%)\n");
  CHECK(uc::format_threshold_text({}).empty());
}
