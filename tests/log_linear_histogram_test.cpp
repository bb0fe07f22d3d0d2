#include <uring_cannon/log_linear_histogram.hpp>

#include <uring_cannon/latency_histogram.hpp>  // a foreign format to reject

#include <algorithm>
#include <catch2/catch.hpp>

#include "support/histogram_bytes.hpp"
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using uring_cannon::log_linear_histogram;
using u64 = std::uint64_t;

constexpr u64 u64_max = std::numeric_limits<u64>::max();

struct samples {
  const char* name;
  std::vector<u64> values;
};

// Nanosecond-scale distributions spanning several orders of magnitude.
std::vector<samples> distributions() {
  std::mt19937_64 rng(424242);
  constexpr int n = 20'000;
  std::vector<samples> out;
  auto fill = [&](const char* name, auto&& draw) {
    samples s{name, {}};
    s.values.reserve(n);
    for (int i = 0; i < n; ++i) s.values.push_back(draw());
    out.push_back(std::move(s));
  };
  std::uniform_int_distribution<u64> uniform(0, 2'000'000'000);
  fill("uniform", [&] { return uniform(rng); });
  std::exponential_distribution<double> exponential(1.0 / 750'000.0);
  fill("exponential", [&] { return static_cast<u64>(exponential(rng)); });
  std::normal_distribution<double> fast(40'000.0, 5'000.0), slow(30'000'000.0, 4'000'000.0);
  std::bernoulli_distribution pick_slow(0.1);
  fill("bimodal",
       [&] { return static_cast<u64>(std::max(0.0, pick_slow(rng) ? slow(rng) : fast(rng))); });
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  fill("pareto", [&] {
    return static_cast<u64>(std::min(1e12, 900.0 / std::pow(1.0 - unit(rng), 1.0 / 0.9)));
  });
  return out;
}

log_linear_histogram histogram_of(const std::vector<u64>& values, int digits = 3,
                                  u64 highest = log_linear_histogram::one_hour_ns) {
  log_linear_histogram h(digits, highest);
  for (u64 v : values) h.record(v);
  return h;
}

using test_support::put_u64_at;
using test_support::replace_once;
using test_support::reseal;

std::vector<double> quantiles_to_check() { return test_support::quantiles_to_check(11); }

}  // namespace

TEST_CASE("log_linear_histogram: configuration", "[log_linear_histogram]") {
  const log_linear_histogram h;
  CHECK(h.significant_digits() == 3);
  CHECK(h.highest_trackable_value() == 3'600'000'000'000);
  CHECK(h.sub_bucket_count() == 2048);
  CHECK(h.bucket_count() == 32);
  CHECK(h.bucket_slots() == 33 * 1024);
  CHECK(log_linear_histogram(1, 1'000'000).sub_bucket_count() == 32);
  CHECK(log_linear_histogram(2, 1'000'000).sub_bucket_count() == 256);
  CHECK(log_linear_histogram(5, 1'000'000).sub_bucket_count() == 262'144);
  CHECK(log_linear_histogram(3, u64_max).bucket_count() == 54);
  CHECK_THROWS_AS(log_linear_histogram(0), std::invalid_argument);
  CHECK_THROWS_AS(log_linear_histogram(6), std::invalid_argument);
  CHECK_THROWS_AS(log_linear_histogram(3, 1), std::invalid_argument);
  CHECK(log_linear_histogram(3, 2).bucket_count() == 1);
}

TEST_CASE("log_linear_histogram: bucket edges bound the relative error", "[log_linear_histogram]") {
  for (int digits = 1; digits <= 4; ++digits) {
    CAPTURE(digits);
    const log_linear_histogram h(digits, u64_max);
    const u64 half = h.sub_bucket_count() / 2;
    std::mt19937_64 rng(static_cast<u64>(digits));
    for (int i = 0; i < 4'000; ++i) {
      const u64 v = rng() >> (rng() % 64);
      const u64 lo = h.lowest_equivalent_value(v), hi = h.highest_equivalent_value(v);
      CAPTURE(v, lo, hi);
      REQUIRE(lo <= v);
      REQUIRE(v <= hi);
      if (v < h.sub_bucket_count()) {
        REQUIRE(lo == v);
        REQUIRE(hi == v);
      } else {
        REQUIRE(hi - lo < lo / half);  // width <= lowest / half: error below v / half
        REQUIRE(1.0 / static_cast<double>(half) <= std::pow(10.0, -digits));
      }
      REQUIRE(h.lowest_equivalent_value(lo) == lo);
      REQUIRE(h.highest_equivalent_value(hi) == hi);
      if (hi != u64_max) REQUIRE(h.lowest_equivalent_value(hi + 1) == hi + 1);
    }
  }
}

TEST_CASE("log_linear_histogram: empty histogram reports zeros", "[log_linear_histogram]") {
  const log_linear_histogram h;
  CHECK(h.empty());
  CHECK(h.min_value() == 0);
  CHECK(h.max_value() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.stddev() == 0.0);
  CHECK(h.value_at_percentile(50) == 0);
  CHECK(h.non_empty_buckets().begin() == h.non_empty_buckets().end());
}

TEST_CASE("log_linear_histogram: percentiles match an exact sort", "[log_linear_histogram]") {
  for (const samples& s : distributions()) {
    std::vector<u64> sorted = s.values;
    std::sort(sorted.begin(), sorted.end());
    const auto n = sorted.size();
    for (int digits : {1, 2, 3, 4}) {
      CAPTURE(s.name, digits);
      const log_linear_histogram h = histogram_of(s.values, digits);
      const double half = static_cast<double>(h.sub_bucket_count() / 2);
      REQUIRE(h.count() == n);
      CHECK(h.min_value() == sorted.front());
      CHECK(h.max_value() == sorted.back());
      for (double q : quantiles_to_check()) {
        CAPTURE(q);
        const auto rank =
            std::clamp<u64>(static_cast<u64>(std::ceil(static_cast<double>(n) * q)), 1, n);
        const u64 exact = sorted[rank - 1];
        const u64 reported = h.value_at_quantile(q);
        CHECK(reported == std::min(h.highest_equivalent_value(exact), sorted.back()));
        CHECK(reported >= exact);
        CHECK(static_cast<double>(reported - exact) <
              std::max(1.0, static_cast<double>(exact) / half));
      }
      CHECK(h.value_at_percentile(100) == sorted.back());
      CHECK(h.value_at_percentile(50) == h.value_at_quantile(0.5));
      double sum = 0, squares = 0;
      for (u64 v : sorted) {
        sum += static_cast<double>(v);
        squares += static_cast<double>(v) * static_cast<double>(v);
      }
      const double mean = sum / static_cast<double>(n);
      double deviations = 0;
      for (u64 v : sorted)
        deviations += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
      const double stddev = std::sqrt(deviations / static_cast<double>(n));
      // Each sample stands at its bucket's median: at most v / (2 half) + 1 away.
      CHECK(std::abs(h.mean() - mean) <= mean / (2 * half) + 1);
      CHECK(std::abs(h.stddev() - stddev) <=
            std::sqrt(squares / static_cast<double>(n)) / (2 * half) + 1);
    }
  }
}

TEST_CASE("log_linear_histogram: hours and the clamp above the range", "[log_linear_histogram]") {
  using namespace std::chrono;
  log_linear_histogram h;
  h.record(nanoseconds(1));
  h.record(minutes(59));
  h.record(hours(2));  // above one hour: clamped
  h.record(nanoseconds(-3));
  CHECK(h.count() == 4);
  CHECK(h.clamped_count() == 1);
  CHECK(h.min_value() == 0);
  CHECK(h.max_value() == 7'200'000'000'000);
  const u64 top = h.highest_equivalent_value(h.highest_trackable_value());
  CHECK(h.value_at_quantile(1.0) == top);  // the clamped sample reads as the highest value
  CHECK(h.value_at_quantile(0.8) == top);  // rank ceil(3.2) = 4
  const u64 minutes59 = 59ull * 60 * 1'000'000'000;
  CHECK(h.value_at_quantile(0.6) == h.highest_equivalent_value(minutes59));
  CHECK(h.value_at_quantile(0.6) - minutes59 < minutes59 / 1024);
  CHECK(h.value_at_quantile(0.0) == 0);
  CHECK(h.value_at_quantile(0.3) == 1);
  h.record(u64_max, 2);
  CHECK(h.clamped_count() == 3);
  CHECK(h.max_value() == u64_max);
}

TEST_CASE("log_linear_histogram: counts past 2^32 do not wrap", "[log_linear_histogram]") {
  log_linear_histogram h;
  const u64 a = 5'000'000'000, b = 3'000'000'000;
  h.record(1'000, a);
  h.record(1'000'000'000, b);
  CHECK(h.count() == a + b);
  CHECK(h.value_at_quantile(0.5) == 1'000);
  CHECK(h.value_at_quantile(0.7) == 1'000'000'000);  // capped at the max
  const double mean = (1'000.0 * static_cast<double>(a) + 1e9 * static_cast<double>(b)) /
                      static_cast<double>(a + b);
  CHECK(h.mean() == Approx(mean).epsilon(1.0 / 1024));
  log_linear_histogram twice = h;
  twice.merge(h);
  CHECK(twice.count() == 2 * (a + b));
  CHECK(log_linear_histogram::from_binary(twice.to_binary()) == twice);
  CHECK(log_linear_histogram::from_json(twice.to_json()) == twice);
  log_linear_histogram full;
  full.record(5, u64_max);
  full.record(5, 3);
  full.merge(full);
  CHECK(full.count() == u64_max);
  CHECK(full.value_at_quantile(0.5) == 5);
}

TEST_CASE("log_linear_histogram: merge equals recording into one", "[log_linear_histogram]") {
  log_linear_histogram single;
  std::vector<log_linear_histogram> parts(3);
  std::mt19937_64 rng(5);
  for (const samples& s : distributions())
    for (u64 v : s.values) {
      single.record(v);
      parts[rng() % parts.size()].record(v);
    }
  single.record(u64_max);
  parts[0].record(u64_max);
  log_linear_histogram merged;
  for (const auto& p : parts) merged.merge(p);
  CHECK(merged == single);
  CHECK(merged.clamped_count() == 1);
  CHECK(merged.value_at_percentile(99.99) == single.value_at_percentile(99.99));
  CHECK_THROWS_WITH(merged.merge(log_linear_histogram(2)),
                    Catch::Contains("configurations differ"));
  CHECK_THROWS_AS(merged.merge(log_linear_histogram(3, 1'000'000)), std::invalid_argument);
  merged.reset();
  CHECK(merged == log_linear_histogram{});
  CHECK(merged.value_at_percentile(50) == 0);
}

TEST_CASE("log_linear_histogram: round trips through binary and JSON", "[log_linear_histogram]") {
  const auto all = distributions();
  for (const samples& s : all) {
    for (auto [digits, highest] :
         {std::pair{3, log_linear_histogram::one_hour_ns}, std::pair{1, u64{10'000'000}}}) {
      CAPTURE(s.name, digits);
      const log_linear_histogram h = histogram_of(s.values, digits, highest);
      CHECK(log_linear_histogram::from_binary(h.to_binary()) == h);
      CHECK(log_linear_histogram::from_json(h.to_json()) == h);
    }
  }
  const log_linear_histogram five_digits = histogram_of(all[1].values, 5, 100'000'000);
  CHECK(log_linear_histogram::from_binary(five_digits.to_binary()) == five_digits);
  CHECK(log_linear_histogram::from_json(five_digits.to_json()) == five_digits);
  const log_linear_histogram empty(2, 1000);
  CHECK(log_linear_histogram::from_binary(empty.to_binary()) == empty);
  CHECK(log_linear_histogram::from_json(empty.to_json()) == empty);
  log_linear_histogram small(2, 100'000);
  small.record(3);
  small.record(5'000, 2);
  small.record(200'000);
  CHECK(small.to_json() ==
        R"({"format":"uring_cannon.log_linear_histogram","version":1,"significant_digits":2,)"
        R"("highest_trackable_value":100000,"count":4,"min":3,"max":200000,"clamped_count":1,)"
        R"("buckets":[[3,1],[4992,2],[99840,1]]})");
  CHECK(small.lowest_equivalent_value(5'000) == 4'992);
  CHECK(log_linear_histogram::from_json(small.to_json()) == small);
}

TEST_CASE("log_linear_histogram: bad input is rejected", "[log_linear_histogram]") {
  log_linear_histogram h(3, 1'000'000'000);
  for (u64 v : {10u, 10u, 5'000u, 777'777u}) h.record(v);
  h.record(2'000'000'000);  // clamped
  const std::string binary = h.to_binary();
  const std::string json = h.to_json();
  REQUIRE(log_linear_histogram::from_binary(binary) == h);
  REQUIRE(log_linear_histogram::from_json(json) == h);

  for (std::size_t length = 0; length < binary.size(); ++length) {
    CAPTURE(length);
    CHECK_THROWS_AS(log_linear_histogram::from_binary(binary.substr(0, length)),
                    std::runtime_error);
  }
  for (std::size_t at = 0; at < binary.size(); ++at) {
    CAPTURE(at);
    std::string flipped = binary;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x04);
    CHECK_THROWS_AS(log_linear_histogram::from_binary(flipped), std::runtime_error);
  }
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(binary.substr(0, 40)),
                    Catch::Contains("truncated"));
  uring_cannon::latency_histogram foreign;
  foreign.record_us(10);
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(foreign.to_binary()),
                    Catch::Contains("bad magic"));
  CHECK_THROWS_WITH(log_linear_histogram::from_json(foreign.to_json()),
                    Catch::Contains("format differs"));
  CHECK_THROWS_WITH(uring_cannon::latency_histogram::from_json(json),
                    Catch::Contains("format differs"));

  // Header: magic 8, version 4, digits 4, highest 8, then count, min, max, clamped.
  std::string digits = binary;
  digits[12] = 7;
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(reseal(digits)),
                    Catch::Contains("bad configuration"));
  std::string count = binary;
  put_u64_at(count, 24, 9);
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(reseal(count)), Catch::Contains("add up"));
  std::string min = binary;
  put_u64_at(min, 32, 11);
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(reseal(min)), Catch::Contains("min"));
  std::string clamped = binary;
  put_u64_at(clamped, 48, 0);
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(reseal(clamped)), Catch::Contains("clamped"));
  std::string version = binary;
  version[8] = 9;
  CHECK_THROWS_WITH(log_linear_histogram::from_binary(reseal(version)),
                    Catch::Contains("unsupported version 9"));

  for (std::size_t length = 0; length < json.size(); ++length) {
    CAPTURE(length);
    CHECK_THROWS_AS(log_linear_histogram::from_json(json.substr(0, length)), std::runtime_error);
  }
  const std::pair<std::string, std::string> edits[] = {
      {R"("version":1)", R"("version":2)"},
      {R"("significant_digits":3)", R"("significant_digits":6)"},
      {R"("significant_digits":3)", R"("significant_digits":2)"},
      {R"("highest_trackable_value":1000000000)", R"("highest_trackable_value":1)"},
      {R"("count":5)", R"("count":4)"},
      {R"("min":10)", R"("min":5000)"},
      {R"("max":2000000000)", R"("max":777777)"},
      {R"("clamped_count":1)", R"("clamped_count":2)"},
      {"[10,2]", "[11,2]"},
      {"[10,2]", "[10,0]"},
      {R"("count":5)", R"("count":5,"count":5)"},
      {R"("count":5,)", ""},
      {R"("count":5)", R"("count":5,"note":"hi")"},
      {R"("count":5)", R"("count":true)"},
  };
  for (const auto& [from, to] : edits) {
    CAPTURE(from, to);
    CHECK_THROWS_AS(log_linear_histogram::from_json(replace_once(json, from, to)),
                    std::runtime_error);
  }
}

namespace {

struct distribution_row {
  double value;
  double percentile;
  u64 total_count;
  double inverted;  // NaN on the final 100 % row, which has no fourth column
};

struct distribution_text {
  std::vector<distribution_row> rows;
  double mean = 0, stddev = 0, max = 0;
  u64 total = 0;
  int buckets = 0, sub_buckets = 0;
};

distribution_text parse_distribution(const std::string& text) {
  distribution_text out;
  std::istringstream in(text);
  std::string line;
  REQUIRE(std::getline(in, line));
  CHECK(line == "       Value     Percentile TotalCount 1/(1-Percentile)");
  REQUIRE(std::getline(in, line));
  CHECK(line.empty());
  int footer = 0;
  while (std::getline(in, line)) {
    if (line.rfind("#[", 0) == 0) {
      ++footer;
      if (std::sscanf(line.c_str(), "#[Mean    = %lf, StdDeviation   = %lf]", &out.mean,
                      &out.stddev) == 2)
        continue;
      unsigned long long total = 0;
      if (std::sscanf(line.c_str(), "#[Max     = %lf, Total count    = %llu]", &out.max, &total) ==
          2) {
        out.total = total;
        continue;
      }
      REQUIRE(std::sscanf(line.c_str(), "#[Buckets = %d, SubBuckets     = %d]", &out.buckets,
                          &out.sub_buckets) == 2);
      continue;
    }
    REQUIRE(footer == 0);
    distribution_row row{};
    unsigned long long total = 0;
    const int fields = std::sscanf(line.c_str(), "%lf %lf %llu %lf", &row.value, &row.percentile,
                                   &total, &row.inverted);
    REQUIRE(fields >= 3);
    if (fields == 3) row.inverted = std::nan("");
    row.total_count = total;
    out.rows.push_back(row);
  }
  CHECK(footer == 3);
  return out;
}

}  // namespace

TEST_CASE("log_linear_histogram: HdrHistogram percentile distribution text",
          "[log_linear_histogram]") {
  const samples s = distributions()[1];  // exponential, ns
  const log_linear_histogram h = histogram_of(s.values);
  std::vector<u64> sorted = s.values;
  std::sort(sorted.begin(), sorted.end());
  std::ostringstream out;
  h.output_percentile_distribution(out, 1000.0);  // ns -> µs
  const distribution_text t = parse_distribution(out.str());

  REQUIRE(t.rows.size() > 20);
  // HdrHistogram's steps with 5 ticks per half distance.
  const double first_levels[] = {0.0,  0.1, 0.2,  0.3,   0.4, 0.5,   0.55, 0.6,
                                 0.65, 0.7, 0.75, 0.775, 0.8, 0.825, 0.85, 0.875};
  for (std::size_t i = 0; i < std::size(first_levels); ++i) {
    CAPTURE(i);
    CHECK(t.rows[i].percentile == Approx(first_levels[i]).margin(1e-12));
  }
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    CAPTURE(i, row.value, row.percentile, row.total_count);
    if (i > 0) {
      CHECK(row.percentile >= t.rows[i - 1].percentile);
      CHECK(row.value >= t.rows[i - 1].value);
      CHECK(row.total_count >= t.rows[i - 1].total_count);
    }
    // The row stands at the bucket holding the TotalCount-th sample, reached at this level.
    REQUIRE(row.total_count >= 1);
    REQUIRE(row.total_count <= sorted.size());
    CHECK(static_cast<double>(row.total_count) >=
          row.percentile * static_cast<double>(sorted.size()) - 1e-6);
    const u64 sample = sorted[row.total_count - 1];
    const u64 expected = std::min(h.highest_equivalent_value(sample), sorted.back());
    CHECK(std::llround(row.value * 1000.0) == static_cast<long long>(expected));
    if (i + 1 < t.rows.size())
      CHECK(row.inverted == Approx(1.0 / (1.0 - row.percentile)).margin(0.006));
  }
  const auto& last = t.rows.back();
  CHECK(last.percentile == 1.0);
  CHECK(std::isnan(last.inverted));
  CHECK(last.total_count == sorted.size());
  CHECK(std::llround(last.value * 1000.0) == static_cast<long long>(sorted.back()));
  CHECK(t.mean == Approx(h.mean() / 1000.0).margin(0.0005));
  CHECK(t.stddev == Approx(h.stddev() / 1000.0).margin(0.0005));
  CHECK(std::llround(t.max * 1000.0) == static_cast<long long>(sorted.back()));
  CHECK(t.total == sorted.size());
  CHECK(t.buckets == 32);
  CHECK(t.sub_buckets == 2048);

  std::ostringstream empty_out;
  log_linear_histogram(2, 1000).output_percentile_distribution(empty_out);
  const distribution_text empty = parse_distribution(empty_out.str());
  CHECK(empty.rows.empty());
  CHECK(empty.total == 0);
  CHECK(empty.sub_buckets == 256);

  std::ostringstream bad;
  CHECK_THROWS_AS(h.output_percentile_distribution(bad, 0.0), std::invalid_argument);
}
