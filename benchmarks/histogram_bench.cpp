// Cost of recording into and querying the histograms. Values are drawn before timing starts, so
// the random number generator is not measured; each figure is the best of several runs, and a
// bare array increment (what gcannon's hist_record costs at least) runs beside it for a ratio.
//
//   g++ -std=c++20 -O2 -Iinclude benchmarks/histogram_bench.cpp -o histogram_bench &&
//   ./histogram_bench

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/log_linear_histogram.hpp>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
namespace uc = uring_cannon;

volatile std::uint64_t sink;  // results land here so the measured work cannot be dropped

constexpr std::size_t sample_count = std::size_t{1} << 20;
constexpr int runs = 7;

template <class F>
double best_ns_per_op(std::size_t ops_per_run, F&& run) {
  double best = 1e300;
  for (int r = 0; r < runs; ++r) {
    const auto start = clock_type::now();
    run();
    const std::chrono::duration<double, std::nano> took = clock_type::now() - start;
    best = std::min(best, took.count() / static_cast<double>(ops_per_run));
  }
  return best;
}

struct workload {
  const char* name;
  std::vector<std::uint64_t> us;  // microseconds
  std::vector<std::uint64_t> ns;  // the same latencies in nanoseconds
};

std::vector<workload> workloads() {
  std::mt19937_64 rng(1);
  std::vector<workload> out;
  auto make = [&](const char* name, auto&& draw_ns) {
    workload w{name, {}, {}};
    w.us.reserve(sample_count);
    w.ns.reserve(sample_count);
    for (std::size_t i = 0; i < sample_count; ++i) {
      const std::uint64_t ns = draw_ns();
      w.ns.push_back(ns);
      w.us.push_back(ns / 1000);
    }
    out.push_back(std::move(w));
  };
  // A loopback HTTP run: log-normal around 400 µs with a long tail; most samples share a few
  // hundred buckets.
  std::lognormal_distribution<double> typical(std::log(400'000.0), 0.35);
  make("typical latency (lognormal ~400us)",
       [&] { return static_cast<std::uint64_t>(std::min(typical(rng), 1e12)); });
  // Spread over both tiers and past 5 s: every record touches a different cache line.
  std::uniform_int_distribution<std::uint64_t> wide(0, 6'000'000'000);
  make("uniform 0..6 s", [&] { return wide(rng); });
  return out;
}

}  // namespace

int main() {
  std::printf("histogram_bench: %zu pre-generated samples per run, best of %d runs\n\n",
              sample_count, runs);
  std::printf("%-36s %12s %12s %12s %12s\n", "record, ns/sample", "bare ++arr", "two-tier",
              "two-tier dur", "log-linear");
  for (const workload& w : workloads()) {
    // What gcannon's hist_record costs at least: one increment, no count/sum/min/max.
    std::vector<std::uint64_t> bare(uc::latency_histogram::bucket_count + 1, 0);
    const double bare_ns = best_ns_per_op(sample_count, [&] {
      for (std::uint64_t us : w.us) {
        const std::size_t i = us < 10'000 ? us : us < 5'000'000 ? us / 100 + 9'900 : 59'900;
        ++bare[i];
      }
    });
    sink = bare[w.us[0] < 10'000 ? w.us[0] : 0];

    uc::latency_histogram two_tier;
    const double two_tier_ns = best_ns_per_op(sample_count, [&] {
      for (std::uint64_t us : w.us) two_tier.record_us(us);
    });
    sink = two_tier.count();

    uc::latency_histogram from_duration;
    const double duration_ns = best_ns_per_op(sample_count, [&] {
      for (std::uint64_t ns : w.ns)
        from_duration.record(std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
    });
    sink = from_duration.count();

    uc::log_linear_histogram log_linear;  // 3 digits, up to one hour of ns
    const double log_linear_ns = best_ns_per_op(sample_count, [&] {
      for (std::uint64_t ns : w.ns) log_linear.record(ns);
    });
    sink = log_linear.count();

    std::printf("%-36s %12.2f %12.2f %12.2f %12.2f\n", w.name, bare_ns, two_tier_ns, duration_ns,
                log_linear_ns);
    std::printf("%-36s %12s %12.2f %12.2f %12.2f\n", "  ratio to bare ++arr", "1.00",
                two_tier_ns / bare_ns, duration_ns / bare_ns, log_linear_ns / bare_ns);
  }

  std::printf("\n%-36s %12s %12s\n", "query, us/call (typical latency)", "two-tier", "log-linear");
  const workload w = workloads().front();
  uc::latency_histogram two_tier;
  uc::log_linear_histogram log_linear;
  for (std::size_t i = 0; i < sample_count; ++i) {
    two_tier.record_us(w.us[i]);
    log_linear.record(w.ns[i]);
  }
  constexpr std::size_t queries = 2'000;
  const double quantiles[] = {0.5, 0.9, 0.99, 0.999};
  const double p_two_tier = best_ns_per_op(queries, [&] {
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < queries; ++i) acc += two_tier.quantile_us(quantiles[i % 4]);
    sink = acc;
  });
  const double p_log_linear = best_ns_per_op(queries, [&] {
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < queries; ++i) acc += log_linear.value_at_quantile(quantiles[i % 4]);
    sink = acc;
  });
  std::printf("%-36s %12.2f %12.2f\n", "percentile (p50/p90/p99/p99.9)", p_two_tier / 1000.0,
              p_log_linear / 1000.0);

  constexpr std::size_t merges = 200;
  uc::latency_histogram merged;
  uc::log_linear_histogram merged_log;
  const double m_two_tier = best_ns_per_op(merges, [&] {
    for (std::size_t i = 0; i < merges; ++i) merged.merge(two_tier);
    sink = merged.count();
  });
  const double m_log_linear = best_ns_per_op(merges, [&] {
    for (std::size_t i = 0; i < merges; ++i) merged_log.merge(log_linear);
    sink = merged_log.count();
  });
  std::printf("%-36s %12.2f %12.2f\n", "merge one full histogram", m_two_tier / 1000.0,
              m_log_linear / 1000.0);
  const double s_two_tier = best_ns_per_op(20, [&] {
    for (int i = 0; i < 20; ++i) sink = two_tier.to_binary().size();
  });
  const double s_log_linear = best_ns_per_op(20, [&] {
    for (int i = 0; i < 20; ++i) sink = log_linear.to_binary().size();
  });
  std::printf("%-36s %12.2f %12.2f\n", "to_binary", s_two_tier / 1000.0, s_log_linear / 1000.0);
  return 0;
}
