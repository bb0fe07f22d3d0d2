#pragma once
// A run's latency distribution in HdrHistogram's "percentile distribution" text (ucannon
// --latency-out), so HdrHistogram's plotters and scripts written for wrk2 read it.
//
// Written straight from latency_histogram's own buckets, not by refilling a log_linear_histogram:
// the two-tier buckets are exact to 1 µs below 10 ms and 100 µs above, and overflow samples are
// known only by their count and sum, so re-bucketing would add a second rounding error and invent
// values above 5 s. Each row therefore shows exactly the number ucannon's reports show for that
// percentile (latency_histogram::quantile_us(): the lower edge of the bucket holding the sample of
// rank min(floor(n q) + 1, n)), and TotalCount is the number of samples up to and including that
// bucket.
//
//   # ucannon latency distribution; values in milliseconds (exact to 1 us below 10 ms, ...)
//          Value     Percentile TotalCount 1/(1-Percentile)
//
//          0.402 0.000000000000          1           1.00
//          ...
//          2.310 1.000000000000      10000
//   #[Mean    =        0.455, StdDeviation   =        0.120]
//   #[Max     =        2.310, Total count    =        10000]
//   #[Buckets =        59901, SubBuckets     =            1]
//
// Rows step as HdrHistogram's do: `ticks_per_half_distance` levels per halving of the distance to
// 100 % (0, 10, ..., 50, 55, ...), one row per level, then a 100 % row. Values are milliseconds
// with three decimals (whole microseconds, exactly); the unit is stated in the first line. Mean
// is exact, StdDeviation is latency_histogram::stddev_us(), Max the exact largest sample. The
// footer's Buckets counts every bucket, the overflow one included, and SubBuckets is 1: each
// bucket stands alone (the two-tier layout has no HdrHistogram sub-buckets). An overflow sample
// (5 s or more) shows as 5000.000, the overflow bucket's lower edge, as in the reports.

#include <uring_cannon/latency_histogram.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace uring_cannon {

namespace detail::latency_export {

// HdrHistogram's percentile iterator: `ticks` levels per halving of the distance to 100 %.
inline double next_level(double level, int ticks) noexcept {
  const double halvings = std::floor(std::log2(100.0 / (100.0 - level)));
  return level + 100.0 / (static_cast<double>(ticks) * std::pow(2.0, halvings + 1.0));
}

// latency_histogram's rank for quantile q (see its header comment).
inline std::uint64_t rank_of(std::uint64_t n, double q) noexcept {
  const double below = static_cast<double>(n) * q;
  const std::uint64_t target = below >= 18446744073709551615.0 ? n : static_cast<std::uint64_t>(below);
  return target >= n ? n : target + 1;
}

inline std::string row(std::uint64_t value_us, double level, std::uint64_t cumulative) {
  char line[160];
  const double fraction = level / 100.0;
  const double ms = static_cast<double>(value_us) / 1000.0;
  if (level < 100.0)
    std::snprintf(line, sizeof line, "%12.3f %2.12f %10llu %14.2f\n", ms, fraction,
                  static_cast<unsigned long long>(cumulative), 1.0 / (1.0 - fraction));
  else
    std::snprintf(line, sizeof line, "%12.3f %2.12f %10llu\n", ms, fraction, static_cast<unsigned long long>(cumulative));
  return line;
}

}  // namespace detail::latency_export

/// `h` as HdrHistogram's percentile distribution text, values in milliseconds; see the header
/// comment. `ticks_per_half_distance` (HdrHistogram's outputPercentileDistribution argument,
/// 5 there and here) must be 1 or more. An empty histogram gives the header and footer only.
inline std::string format_latency_distribution(const latency_histogram& h, int ticks_per_half_distance = 5) {
  using namespace detail::latency_export;
  if (ticks_per_half_distance < 1) throw std::invalid_argument("format_latency_distribution: ticks must be >= 1");
  std::string out =
      "# ucannon latency distribution; values in milliseconds (exact to 1 us below 10 ms, to 100 us up to 5 s; "
      "5000.000 = 5 s or more), each the lower edge of its bucket as in ucannon's reports\n";
  char line[160];
  std::snprintf(line, sizeof line, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  out += line;
  const std::uint64_t n = h.count();
  if (n != 0) {
    double level = 0.0;
    std::uint64_t cumulative = 0;
    for (const latency_histogram::bucket b : h.non_empty_buckets()) {
      cumulative += b.count;
      // Every level whose rank falls in this bucket gets a row; the level of the last sample is
      // the last before the 100 % row. Levels stop when a step no longer moves them.
      bool done = false;
      while (!done && rank_of(n, level / 100.0) <= cumulative) {
        out += row(b.lower_us, level, cumulative);
        const double next = next_level(level, ticks_per_half_distance);
        done = rank_of(n, level / 100.0) >= n || !(next > level && next < 100.0);
        level = next;
      }
      if (done || cumulative >= n) break;
    }
    out += row(h.quantile_us(1.0), 100.0, n);
  }
  std::snprintf(line, sizeof line, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.mean_us() / 1000.0,
                h.stddev_us() / 1000.0);
  out += line;
  std::snprintf(line, sizeof line, "#[Max     = %12.3f, Total count    = %12llu]\n",
                static_cast<double>(h.max_us()) / 1000.0, static_cast<unsigned long long>(n));
  out += line;
  std::snprintf(line, sizeof line, "#[Buckets = %12llu, SubBuckets     = %12d]\n",
                static_cast<unsigned long long>(latency_histogram::bucket_count + 1), 1);
  out += line;
  return out;
}

}  // namespace uring_cannon
