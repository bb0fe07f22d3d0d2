#include <uring_cannon/latency_export.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace uc = uring_cannon;

namespace {

struct exported_row {
  double value_ms, fraction;
  std::uint64_t total_count;
};

struct exported {
  std::vector<exported_row> rows;
  double mean_ms = -1, stddev_ms = -1, max_ms = -1;
  std::uint64_t total = 0, buckets = 0;
  bool header = false;
};

// Reads the text back as an HdrHistogram tool would: comment lines, the column header, rows.
exported parse(const std::string& text) {
  exported e;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.rfind("# ", 0) == 0) continue;
    if (line.find("Value") != std::string::npos && line.find("1/(1-Percentile)") != std::string::npos) {
      e.header = true;
      continue;
    }
    if (std::sscanf(line.c_str(), "#[Mean = %lf, StdDeviation = %lf]", &e.mean_ms, &e.stddev_ms) == 2) continue;
    unsigned long long n = 0;
    if (std::sscanf(line.c_str(), "#[Max = %lf, Total count = %llu]", &e.max_ms, &n) == 2) {
      e.total = n;
      continue;
    }
    if (std::sscanf(line.c_str(), "#[Buckets = %llu", &n) == 1) {
      e.buckets = n;
      continue;
    }
    exported_row row{};
    REQUIRE(std::sscanf(line.c_str(), "%lf %lf %llu", &row.value_ms, &row.fraction, &n) == 3);
    row.total_count = n;
    e.rows.push_back(row);
  }
  return e;
}

std::uint64_t to_us(double ms) { return static_cast<std::uint64_t>(std::llround(ms * 1000.0)); }

void check_against(const uc::latency_histogram& h) {
  const std::string text = uc::format_latency_distribution(h);
  INFO(text);
  CHECK(text.rfind("# ucannon latency distribution; values in milliseconds", 0) == 0);
  const exported e = parse(text);
  CHECK(e.header);
  CHECK(e.total == h.count());
  CHECK(to_us(e.max_ms) == h.max_us());
  CHECK(e.mean_ms == Approx(h.mean_us() / 1000.0).margin(0.0005));
  CHECK(e.stddev_ms == Approx(h.stddev_us() / 1000.0).margin(0.0005));
  CHECK(e.buckets == uc::latency_histogram::bucket_count + 1);
  REQUIRE(e.rows.size() >= 2);
  CHECK(e.rows.front().fraction == 0.0);
  CHECK(e.rows.back().fraction == 1.0);
  CHECK(e.rows.back().total_count == h.count());
  for (std::size_t i = 0; i < e.rows.size(); ++i) {
    const exported_row& row = e.rows[i];
    INFO("row " << i);
    // The value is the histogram's own percentile; the fraction is printed with 12 decimals, so
    // read it from either side of the printed rounding.
    const std::uint64_t us = to_us(row.value_ms);
    CHECK(us >= h.quantile_us(std::max(0.0, row.fraction - 1e-12)));
    CHECK(us <= h.quantile_us(std::min(1.0, row.fraction + 1e-12)));
    // TotalCount: every sample up to and including the value's bucket.
    std::uint64_t up_to = 0;
    for (const auto b : h.non_empty_buckets())
      if (b.lower_us <= us) up_to += b.count;
    CHECK(row.total_count == up_to);
    CHECK(double(row.total_count) >= row.fraction * double(h.count()));
    if (i > 0) {
      CHECK(row.fraction > e.rows[i - 1].fraction);
      CHECK(row.value_ms >= e.rows[i - 1].value_ms);
    }
  }
}

}  // namespace

TEST_CASE("latency export: the HdrHistogram text reads back to the histogram's percentiles", "[latency_export]") {
  uc::latency_histogram h;
  for (std::uint64_t i = 0; i < 100'000; ++i) h.record_us(40 + (i * 2654435761u) % 30'000);
  h.record_us(7'000'000);  // an overflow sample shows as the overflow bucket's edge
  check_against(h);
  const exported e = parse(uc::format_latency_distribution(h));
  // The rows at round levels carry the reports' numbers.
  for (double q : {0.5, 0.75, 0.9}) {  // levels HdrHistogram's stepping reaches exactly
    bool found = false;
    for (const auto& row : e.rows)
      if (std::fabs(row.fraction - q) < 1e-12) {
        found = true;
        CHECK(to_us(row.value_ms) == h.quantile_us(q));
      }
    INFO(q);
    CHECK(found);
  }
  CHECK(to_us(e.rows.back().value_ms) == uc::latency_histogram::tier2_end_us);
  CHECK(to_us(e.max_ms) == 7'000'000);
}

TEST_CASE("latency export: one sample, one bucket and an empty histogram", "[latency_export]") {
  uc::latency_histogram one;
  one.record_us(1234);
  check_against(one);
  CHECK(parse(uc::format_latency_distribution(one)).rows.size() == 2);  // the 0 % row and the 100 % row

  uc::latency_histogram same;
  same.record_us(15'050, 1'000'000);  // a tier-2 bucket: its lower edge, 15.000 ms
  check_against(same);
  CHECK(uc::format_latency_distribution(same).find("      15.000 1.000000000000    1000000\n") != std::string::npos);

  const uc::latency_histogram empty;
  const exported e = parse(uc::format_latency_distribution(empty));
  CHECK(e.rows.empty());
  CHECK(e.total == 0);
  CHECK(e.max_ms == 0.0);
  CHECK_THROWS_AS(uc::format_latency_distribution(one, 0), std::invalid_argument);
}
