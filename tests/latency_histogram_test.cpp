#include <uring_cannon/latency_histogram.hpp>

#include <algorithm>
#include <catch2/catch.hpp>

#include "support/histogram_bytes.hpp"
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using uring_cannon::latency_histogram;
using u64 = std::uint64_t;

constexpr u64 u64_max = std::numeric_limits<u64>::max();

// gcannon 0.5.3's hist_percentile, restated: 0-based target = (uint64)(count * pct), first bucket
// whose cumulative count exceeds it, lower edge; 5 000 000 when the walk runs off the end.
u64 gcannon_percentile(const std::vector<u64>& sorted, double pct) {
  if (sorted.empty()) return 0;
  const auto target = static_cast<u64>(static_cast<double>(sorted.size()) * pct);
  if (target >= sorted.size()) return latency_histogram::tier2_end_us;
  return latency_histogram::bucket_lower_us(sorted[target]);
}

struct samples {
  const char* name;
  std::vector<u64> values;
};

std::vector<samples> distributions() {
  std::mt19937_64 rng(20240611);
  constexpr int n = 20'000;
  std::vector<samples> out;
  auto fill = [&](const char* name, auto&& draw) {
    samples s{name, {}};
    s.values.reserve(n);
    for (int i = 0; i < n; ++i) s.values.push_back(draw());
    out.push_back(std::move(s));
  };
  std::uniform_int_distribution<u64> uniform(0, 30'000);
  fill("uniform", [&] { return uniform(rng); });
  std::exponential_distribution<double> exponential(1.0 / 800.0);
  fill("exponential", [&] { return static_cast<u64>(exponential(rng)); });
  std::normal_distribution<double> fast(300.0, 40.0), slow(25'000.0, 3'000.0);
  std::bernoulli_distribution pick_slow(0.2);
  fill("bimodal",
       [&] { return static_cast<u64>(std::max(0.0, pick_slow(rng) ? slow(rng) : fast(rng))); });
  // Pareto, alpha 0.7, from 50 µs: a heavy tail that reaches the overflow bucket.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  fill("pareto", [&] {
    return static_cast<u64>(std::min(1e13, 50.0 / std::pow(1.0 - unit(rng), 1.0 / 0.7)));
  });
  return out;
}

latency_histogram histogram_of(const std::vector<u64>& values) {
  latency_histogram h;
  for (u64 v : values) h.record_us(v);
  return h;
}

using test_support::put_u64_at;
using test_support::replace_once;
using test_support::reseal;

std::vector<double> quantiles_to_check() { return test_support::quantiles_to_check(7); }

}  // namespace

TEST_CASE("latency_histogram: empty histogram reports zeros", "[latency_histogram]") {
  const latency_histogram h;
  CHECK(h.empty());
  CHECK(h.count() == 0);
  CHECK(h.min_us() == 0);
  CHECK(h.max_us() == 0);
  CHECK(h.sum_us() == 0);
  CHECK(h.mean_us() == 0.0);
  CHECK(h.stddev_us() == 0.0);
  CHECK(h.percentile_us(0) == 0);
  CHECK(h.percentile_us(50) == 0);
  CHECK(h.percentile_us(100) == 0);
  CHECK(h.non_empty_buckets().begin() == h.non_empty_buckets().end());
  CHECK(h.display_buckets(10).empty());
}

TEST_CASE("latency_histogram: tier boundaries", "[latency_histogram]") {
  STATIC_REQUIRE(latency_histogram::bucket_count == 59'900);
  CHECK(latency_histogram::bucket_lower_us(0) == 0);
  CHECK(latency_histogram::bucket_upper_us(0) == 1);
  CHECK(latency_histogram::bucket_lower_us(9'999) == 9'999);
  CHECK(latency_histogram::bucket_upper_us(9'999) == 10'000);
  CHECK(latency_histogram::bucket_lower_us(10'000) == 10'000);
  CHECK(latency_histogram::bucket_upper_us(10'000) == 10'100);
  CHECK(latency_histogram::bucket_lower_us(10'099) == 10'000);
  CHECK(latency_histogram::bucket_lower_us(10'100) == 10'100);
  CHECK(latency_histogram::bucket_lower_us(4'999'999) == 4'999'900);
  CHECK(latency_histogram::bucket_upper_us(4'999'999) == 5'000'000);
  CHECK(latency_histogram::bucket_lower_us(5'000'000) == 5'000'000);
  CHECK(latency_histogram::bucket_upper_us(5'000'000) == latency_histogram::unbounded_us);

  struct expectation {
    u64 us;
    u64 reported;
    bool overflow;
  };
  const expectation cases[] = {{9'999, 9'999, false},        {10'000, 10'000, false},
                               {10'099, 10'000, false},      {4'999'999, 4'999'900, false},
                               {5'000'000, 5'000'000, true}, {5'000'001, 5'000'000, true},
                               {u64_max, 5'000'000, true}};
  for (const auto& c : cases) {
    CAPTURE(c.us);
    latency_histogram h;
    h.record_us(c.us);
    CHECK(h.count() == 1);
    CHECK(h.overflow_count() == (c.overflow ? 1u : 0u));
    CHECK(h.percentile_us(0) == c.reported);
    CHECK(h.percentile_us(50) == c.reported);
    CHECK(h.percentile_us(100) == c.reported);
    CHECK(h.min_us() == c.us);
    CHECK(h.max_us() == c.us);
    CHECK(h.sum_us() == c.us);
    const std::vector<latency_histogram::bucket> listed(h.non_empty_buckets().begin(),
                                                        h.non_empty_buckets().end());
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].lower_us == c.reported);
    CHECK(listed[0].upper_us == latency_histogram::bucket_upper_us(c.us));
    CHECK(listed[0].count == 1);
  }

  latency_histogram all;
  for (u64 us : {9'999u, 10'000u, 4'999'999u, 5'000'000u, 7'000'000u}) all.record_us(us);
  CHECK(all.overflow_count() == 2);
  CHECK(all.overflow_sum_us() == 12'000'000);
  CHECK(all.quantile_us(0.0) == 9'999);   // rank 1
  CHECK(all.quantile_us(0.2) == 10'000);  // rank 2
  CHECK(all.quantile_us(0.4) == 4'999'900);
  CHECK(all.quantile_us(0.6) == 5'000'000);
  CHECK(all.quantile_us(1.0) == 5'000'000);
  const std::vector<latency_histogram::bucket> listed(all.non_empty_buckets().begin(),
                                                      all.non_empty_buckets().end());
  const std::vector<latency_histogram::bucket> expected = {
      {9'999, 10'000, 1},
      {10'000, 10'100, 1},
      {4'999'900, 5'000'000, 1},
      {5'000'000, latency_histogram::unbounded_us, 2}};
  CHECK(listed == expected);
}

TEST_CASE("latency_histogram: gcannon's rank rule on 1..100", "[latency_histogram]") {
  latency_histogram h;
  for (u64 us = 1; us <= 100; ++us) h.record_us(us);
  // rank = floor(100 q) + 1: p50 is the 51st sample, not the 50th.
  CHECK(h.percentile_us(50) == 51);
  CHECK(h.percentile_us(90) == 91);
  CHECK(h.percentile_us(99) == 100);
  CHECK(h.percentile_us(99.9) == 100);
  CHECK(h.percentile_us(0) == 1);
  CHECK(h.percentile_us(100) == 100);  // clamped to the last sample (gcannon: 5 000 000)
  CHECK(h.percentile_us(-5) == 1);
  CHECK(h.percentile_us(250) == 100);
  CHECK(h.percentile_us(std::nan("")) == 1);
  CHECK(h.mean_us() == Approx(50.5));
  CHECK(h.sum_us() == 5050);
}

TEST_CASE("latency_histogram: percentiles match an exact sort", "[latency_histogram]") {
  for (const samples& s : distributions()) {
    CAPTURE(s.name);
    const latency_histogram h = histogram_of(s.values);
    std::vector<u64> sorted = s.values;
    std::sort(sorted.begin(), sorted.end());
    const auto n = sorted.size();
    REQUIRE(h.count() == n);
    for (double q : quantiles_to_check()) {
      CAPTURE(q);
      const auto index =
          std::min<std::size_t>(static_cast<std::size_t>(static_cast<double>(n) * q), n - 1);
      const u64 exact = sorted[index];
      const u64 reported = h.quantile_us(q);
      CHECK(reported == latency_histogram::bucket_lower_us(exact));
      // Within the tier's resolution, never above the sample.
      CHECK(reported <= exact);
      if (exact < latency_histogram::tier1_end_us)
        CHECK(exact - reported < 1);
      else if (exact < latency_histogram::tier2_end_us)
        CHECK(exact - reported < 100);
      else
        CHECK(reported == latency_histogram::tier2_end_us);
      if (q < 1.0) CHECK(reported == gcannon_percentile(sorted, q));
    }
    u64 sum = 0, overflow = 0;
    for (u64 v : sorted) {
      sum += v;
      overflow += v >= latency_histogram::tier2_end_us ? 1 : 0;
    }
    CHECK(h.sum_us() == sum);
    CHECK(h.min_us() == sorted.front());
    CHECK(h.max_us() == sorted.back());
    CHECK(h.overflow_count() == overflow);
    if (std::string(s.name) == "pareto") CHECK(overflow > 0);  // the tail reached the overflow
    const double mean = static_cast<double>(sum) / static_cast<double>(n);
    CHECK(h.mean_us() == Approx(mean));
    if (overflow == 0) {
      double squares = 0;
      for (u64 v : sorted)
        squares += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
      const double exact_stddev = std::sqrt(squares / static_cast<double>(n));
      // Tier-2 samples stand at their bucket's midpoint: at most 50 µs off each.
      CHECK(std::abs(h.stddev_us() - exact_stddev) <= 50.0);
    }
  }
}

TEST_CASE("latency_histogram: stddev of tier-1 samples is exact", "[latency_histogram]") {
  latency_histogram h;
  h.record_us(10);
  h.record_us(20);
  CHECK(h.stddev_us() == Approx(5.0));
  h.record_us(15, 2);
  CHECK(h.stddev_us() == Approx(std::sqrt(12.5)));
}

TEST_CASE("latency_histogram: durations truncate to microseconds", "[latency_histogram]") {
  latency_histogram h;
  h.record(std::chrono::nanoseconds(1'999));
  h.record(std::chrono::milliseconds(12));
  h.record(std::chrono::nanoseconds(-5));
  h.record(std::chrono::duration<double, std::milli>(0.5), 3);
  CHECK(h.count() == 6);
  CHECK(h.min_us() == 0);
  CHECK(h.max_us() == 12'000);
  CHECK(h.sum_us() == 1 + 12'000 + 0 + 3 * 500);
  CHECK(h.quantile_us(0.0) == 0);
}

TEST_CASE("latency_histogram: merge equals recording everything into one", "[latency_histogram]") {
  const auto all = distributions();
  latency_histogram single;
  std::vector<latency_histogram> parts(4);
  std::mt19937_64 rng(99);
  for (const samples& s : all)
    for (u64 v : s.values) {
      single.record_us(v);
      parts[rng() % parts.size()].record_us(v);
    }
  latency_histogram merged;
  for (const auto& p : parts) merged.merge(p);
  CHECK(merged == single);
  CHECK(merged.count() == single.count());
  CHECK(merged.percentile_us(99.9) == single.percentile_us(99.9));
  CHECK(merged.stddev_us() == Approx(single.stddev_us()));

  latency_histogram other = single;
  other.record_us(3);
  CHECK_FALSE(other == single);
  merged.merge(latency_histogram{});
  CHECK(merged == single);

  merged.reset();
  CHECK(merged == latency_histogram{});
  CHECK(merged.count() == 0);
  CHECK(merged.percentile_us(50) == 0);
}

TEST_CASE("latency_histogram: counts past 2^32 do not wrap", "[latency_histogram]") {
  latency_histogram h;
  const u64 a = 5'000'000'000, b = 3'000'000'000, c = u64{1} << 33;
  h.record_us(1'234, a);
  h.record_us(20'000, b);
  h.record_us(6'000'000, c);
  const u64 n = a + b + c;
  CHECK(h.count() == n);
  CHECK(h.overflow_count() == c);
  CHECK(h.sum_us() == 1'234 * a + 20'000 * b + 6'000'000 * c);
  CHECK(h.quantile_us(0.25) == 1'234);   // rank ~4.1e9 < a
  CHECK(h.quantile_us(0.40) == 20'000);  // rank ~6.6e9, between a and a + b
  CHECK(h.quantile_us(0.50) == 5'000'000);
  const std::vector<latency_histogram::bucket> listed(h.non_empty_buckets().begin(),
                                                      h.non_empty_buckets().end());
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].count == a);
  CHECK(listed[1].count == b);
  CHECK(listed[2].count == c);

  latency_histogram twice = h;
  twice.merge(h);
  CHECK(twice.count() == 2 * n);
  CHECK(twice.quantile_us(0.25) == 1'234);
  CHECK(latency_histogram::from_binary(twice.to_binary()) == twice);
  CHECK(latency_histogram::from_json(twice.to_json()) == twice);

  latency_histogram full;
  full.record_us(1, u64_max);
  full.record_us(1);
  full.merge(full);
  CHECK(full.count() == u64_max);  // saturated, not wrapped
  CHECK(full.quantile_us(0.5) == 1);
  latency_histogram big_sum;
  big_sum.record_us(6'000'000, u64_max / 2);
  CHECK(big_sum.sum_us() == u64_max);
  CHECK(big_sum.overflow_sum_us() == u64_max);
}

TEST_CASE("latency_histogram: round trips through binary and JSON", "[latency_histogram]") {
  for (const samples& s : distributions()) {
    CAPTURE(s.name);
    const latency_histogram h = histogram_of(s.values);
    const latency_histogram from_binary = latency_histogram::from_binary(h.to_binary());
    const latency_histogram from_json = latency_histogram::from_json(h.to_json());
    CHECK(from_binary == h);
    CHECK(from_json == h);
    CHECK(from_json.percentile_us(99) == h.percentile_us(99));
    CHECK(from_binary.stddev_us() == h.stddev_us());
  }
  const latency_histogram empty;
  CHECK(latency_histogram::from_binary(empty.to_binary()) == empty);
  CHECK(latency_histogram::from_json(empty.to_json()) == empty);

  latency_histogram small;
  small.record_us(7);
  small.record_us(12'345, 2);
  small.record_us(9'000'000);
  CHECK(small.to_json() ==
        R"({"format":"uring_cannon.latency_histogram","version":1,"tier1_end_us":10000,)"
        R"("tier2_step_us":100,"tier2_end_us":5000000,"count":4,"sum_us":9024697,"min_us":7,)"
        R"("max_us":9000000,"overflow_count":1,"overflow_sum_us":9000000,)"
        R"("buckets":[[7,1],[12300,2]]})");
  // Whitespace and key order are free.
  const std::string spaced = R"( { "buckets" : [ [ 12300 , 2 ] , [7,1] ] ,
      "version":1, "format":"uring_cannon.latency_histogram", "tier1_end_us":10000,
      "tier2_step_us":100,"tier2_end_us":5000000,"count":4,"sum_us":9024697,"min_us":7,
      "max_us":9000000,"overflow_count":1,"overflow_sum_us":9000000 } )";
  CHECK_THROWS_WITH(latency_histogram::from_json(spaced), Catch::Contains("ascending"));
  const std::string reordered =
      replace_once(spaced, "[ [ 12300 , 2 ] , [7,1] ]", "[[7,1],[12300,2]]");
  CHECK(latency_histogram::from_json(reordered) == small);
}

TEST_CASE("latency_histogram: bad binary input is rejected", "[latency_histogram]") {
  latency_histogram h;
  for (u64 us : {3u, 3u, 90u, 15'000u, 6'000'000u}) h.record_us(us);
  const std::string good = h.to_binary();
  REQUIRE(latency_histogram::from_binary(good) == h);

  for (std::size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    CHECK_THROWS_AS(latency_histogram::from_binary(good.substr(0, length)), std::runtime_error);
  }
  CHECK_THROWS_WITH(latency_histogram::from_binary(good.substr(0, 30)),
                    Catch::Contains("truncated"));
  CHECK_THROWS_WITH(latency_histogram::from_binary(good + '\0'), Catch::Contains("trailing"));
  for (std::size_t at = 0; at < good.size(); ++at) {
    CAPTURE(at);
    std::string flipped = good;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    CHECK_THROWS_AS(latency_histogram::from_binary(flipped), std::runtime_error);
  }
  CHECK_THROWS_WITH(latency_histogram::from_binary("ucLogHst" + good.substr(8)),
                    Catch::Contains("bad magic"));
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(good + std::string(8, '\0'))),
                    Catch::Contains("trailing"));

  std::string version = good;
  version[8] = 2;
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(version)),
                    Catch::Contains("unsupported version 2"));
  std::string layout = good;
  layout[16] = 50;  // tier-2 step
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(layout)), Catch::Contains("layout"));

  // Header: magic 8, version/layout 16, then count, sum, min, max, overflow count, overflow sum.
  constexpr std::size_t count_at = 24, sum_at = 32, min_at = 40, max_at = 48;
  std::string count = good;
  put_u64_at(count, count_at, 6);
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(count)), Catch::Contains("add up"));
  std::string min = good;
  put_u64_at(min, min_at, 4);
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(min)), Catch::Contains("min"));
  std::string max = good;
  put_u64_at(max, max_at, 4'000'000);
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(max)), Catch::Contains("max"));
  std::string sum = good;
  put_u64_at(sum, sum_at, h.sum_us() + 1'000);
  CHECK_THROWS_WITH(latency_histogram::from_binary(reseal(sum)), Catch::Contains("sum"));
}

TEST_CASE("latency_histogram: bad JSON input is rejected", "[latency_histogram]") {
  latency_histogram h;
  for (u64 us : {3u, 3u, 90u, 15'000u, 6'000'000u}) h.record_us(us);
  const std::string good = h.to_json();
  REQUIRE(latency_histogram::from_json(good) == h);

  for (std::size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    CHECK_THROWS_AS(latency_histogram::from_json(good.substr(0, length)), std::runtime_error);
  }
  const std::pair<std::string, std::string> edits[] = {
      {"uring_cannon.latency_histogram", "uring_cannon.log_linear_histogram"},
      {R"("version":1)", R"("version":2)"},
      {R"("tier2_step_us":100)", R"("tier2_step_us":50)"},
      {R"("count":5)", R"("count":6)"},
      {R"("count":5)", R"("count":-5)"},
      {R"("count":5)", R"("count":5.0)"},
      {R"("count":5)", R"("count":05)"},
      {R"("count":5)", R"("count":99999999999999999999)"},
      {R"("count":5)", R"("count":5,"count":5)"},
      {R"("count":5,)", ""},
      {R"("count":5)", R"("count":5,"extra":1)"},
      {R"("min_us":3)", R"("min_us":4)"},
      {R"("max_us":6000000)", R"("max_us":4000000)"},
      {"[15000,1]", "[15050,1]"},
      {"[15000,1]", "[15000,0]"},
      {"[3,2],[90,1]", "[90,1],[3,2]"},
      {R"("sum_us":6015096)", R"("sum_us":6016096)"},
      {R"({"format")", R"({"form\u0061t")"},
  };
  for (const auto& [from, to] : edits) {
    CAPTURE(from, to);
    CHECK_THROWS_AS(latency_histogram::from_json(replace_once(good, from, to)), std::runtime_error);
  }
  CHECK_THROWS_WITH(latency_histogram::from_json(good + "x"), Catch::Contains("trailing"));
  CHECK_THROWS_WITH(
      latency_histogram::from_json(replace_once(good, R"("version":1)", R"("version":2)")),
      Catch::Contains("unsupported version 2"));
  CHECK_THROWS_WITH(
      latency_histogram::from_json(replace_once(good, R"("count":5)", R"("count":5,"extra":1)")),
      Catch::Contains("unknown key \"extra\""));
  CHECK_THROWS_WITH(latency_histogram::from_json(replace_once(good, R"("count":5,)", "")),
                    Catch::Contains("missing"));
  CHECK_THROWS_WITH(latency_histogram::from_json("[]"), Catch::Contains("expected '{'"));
}

TEST_CASE("latency_histogram: display buckets span p0..p99.9", "[latency_histogram]") {
  for (const samples& s : distributions()) {
    const latency_histogram h = histogram_of(s.values);
    const u64 lo = h.quantile_us(0.0);
    const u64 p999 = h.quantile_us(0.999);
    const u64 hi = p999 >= latency_histogram::tier2_end_us
                       ? latency_histogram::tier2_end_us
                       : latency_histogram::bucket_upper_us(p999);
    const auto in_span = static_cast<u64>(
        std::count_if(s.values.begin(), s.values.end(), [&](u64 v) { return v < hi; }));
    std::vector<u64> edges;  // every sample's bucket lower edge, sorted
    for (u64 v : s.values) edges.push_back(latency_histogram::bucket_lower_us(v));
    std::sort(edges.begin(), edges.end());
    for (int n : {1, 7, 10, 37, 100}) {
      CAPTURE(s.name, n);
      const auto bars = h.display_buckets(n);
      REQUIRE(bars.size() == static_cast<std::size_t>(n));
      CHECK(bars.front().lower_us == lo);
      CHECK(bars.back().upper_us >= hi);
      u64 total = 0;
      const u64 width = bars.front().upper_us - bars.front().lower_us;
      CHECK(width >= 1);
      for (std::size_t i = 0; i < bars.size(); ++i) {
        CHECK(bars[i].upper_us - bars[i].lower_us == width);
        if (i > 0) CHECK(bars[i].lower_us == bars[i - 1].upper_us);
        // Each sample counts in the bar holding its bucket's lower edge.
        const auto from = std::lower_bound(edges.begin(), edges.end(), bars[i].lower_us);
        const auto to =
            std::lower_bound(edges.begin(), edges.end(), std::min(bars[i].upper_us, hi));
        CHECK(bars[i].count == static_cast<u64>(std::max<std::ptrdiff_t>(0, to - from)));
        total += bars[i].count;
      }
      CHECK(total == in_span);
    }
  }
  latency_histogram h;
  h.record_us(100);
  CHECK(h.display_buckets(0).size() == 1);
  CHECK(h.display_buckets(1000).size() == 100);
  const auto one = h.display_buckets(5);
  CHECK(one.front().lower_us == 100);
  CHECK(one.front().count == 1);
}

TEST_CASE("latency_histogram: bucket iteration is a forward range", "[latency_histogram]") {
  STATIC_REQUIRE(std::forward_iterator<latency_histogram::bucket_range::iterator>);
  const auto all = distributions();
  const auto& s = all[2];
  const latency_histogram h = histogram_of(s.values);
  std::vector<u64> edges;
  u64 total = 0;
  for (const auto& b : h.non_empty_buckets()) {
    CHECK(b.count > 0);
    CHECK(b.upper_us == latency_histogram::bucket_upper_us(b.lower_us));
    if (!edges.empty()) CHECK(b.lower_us > edges.back());
    edges.push_back(b.lower_us);
    total += b.count;
  }
  CHECK(total == h.count());
  std::vector<u64> expected;
  for (u64 v : s.values) expected.push_back(latency_histogram::bucket_lower_us(v));
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  CHECK(edges == expected);
}
