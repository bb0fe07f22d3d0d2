#pragma once
// gcannon's two-tier latency histogram: 1 µs buckets for 0-9 999 µs, 100 µs buckets for
// 10 ms-5 s, and one overflow count above. Recording is O(1) with no allocation, so one histogram
// per worker thread sits on the hot path; merge() folds them together at the end, and the
// serialized forms let histograms from several processes or machines merge exactly.
//
// Percentile semantics (the same as gcannon's, so ucannon prints the same numbers):
//   For a quantile q in [0, 1] (percentile p = 100 q) and n recorded samples, the target rank is
//     rank = min(floor(n * q) + 1, n)         (1-based; floor computed in double, as gcannon does)
//   The buckets are walked from the lowest; the result is the LOWER edge, in µs, of the first
//   bucket whose cumulative count reaches the rank. For a sample s at that rank the result r is
//   therefore r <= s < r + 1 in tier 1 and r <= s < r + 100 in tier 2. When the rank falls in the
//   overflow bucket the result is its lower edge, 5 000 000 (= tier2_end_us). An empty histogram
//   reports 0. (gcannon itself reports 5 000 000 for q = 1.0 even when nothing overflowed; the
//   clamp of the rank to n makes q = 1.0 report the bucket of the largest sample instead.)
//
// Arithmetic: counts, the sum and the overflow sum are uint64 that saturate at 2^64 - 1 rather
// than wrap. min/max/sum are exact recorded values, not bucket edges.

#include <uring_cannon/detail/histogram_codec.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <ratio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace uring_cannon {

/// Two-tier latency histogram in microseconds (gcannon's layout); see the header comment for the
/// exact percentile semantics.
class latency_histogram {
 public:
  static constexpr std::uint64_t tier1_end_us = 10'000;     ///< tier 1: [0, 10 000) µs, 1 µs wide
  static constexpr std::uint64_t tier2_step_us = 100;       ///< tier 2 bucket width
  static constexpr std::uint64_t tier2_end_us = 5'000'000;  ///< tier 2: [10 000, 5 000 000) µs
  static constexpr std::size_t tier1_buckets = tier1_end_us;
  static constexpr std::size_t tier2_buckets = (tier2_end_us - tier1_end_us) / tier2_step_us;
  /// Number of in-range buckets (the overflow count is kept apart).
  static constexpr std::size_t bucket_count = tier1_buckets + tier2_buckets;
  /// Version written by to_binary()/to_json(); the readers accept exactly this version.
  static constexpr std::uint32_t format_version = 1;
  /// Upper edge reported for the overflow bucket: it has no upper bound.
  static constexpr std::uint64_t unbounded_us = std::numeric_limits<std::uint64_t>::max();

  /// A half-open range of latencies [lower_us, upper_us) and how many samples fell in it.
  struct bucket {
    std::uint64_t lower_us = 0;
    std::uint64_t upper_us = 0;
    std::uint64_t count = 0;
    friend bool operator==(const bucket&, const bucket&) = default;
  };

  /// Forward range over a histogram's non-empty buckets (see non_empty_buckets()). It reads the
  /// histogram live: do not record into it while iterating.
  class bucket_range {
   public:
    class iterator {
     public:
      using iterator_concept = std::forward_iterator_tag;
      using iterator_category = std::forward_iterator_tag;
      using value_type = bucket;
      using difference_type = std::ptrdiff_t;
      using reference = bucket;
      using pointer = void;

      iterator() = default;
      bucket operator*() const noexcept {
        if (index_ == bucket_count) return {tier2_end_us, unbounded_us, h_->overflow_count_};
        const std::uint64_t lower = lower_edge_of(index_);
        return {lower, bucket_upper_us(lower), h_->counts_[index_]};
      }
      iterator& operator++() noexcept {
        ++index_;
        settle();
        return *this;
      }
      iterator operator++(int) noexcept {
        iterator before = *this;
        ++*this;
        return before;
      }
      friend bool operator==(const iterator& a, const iterator& b) noexcept {
        return a.index_ == b.index_;
      }

     private:
      friend class bucket_range;
      iterator(const latency_histogram* h, std::size_t index) noexcept : h_(h), index_(index) {
        settle();
      }
      // Index bucket_count is the overflow bucket; bucket_count + 1 is the end.
      void settle() noexcept {
        if (index_ < bucket_count) {
          const std::size_t last =
              h_->count_ == 0 ? 0 : std::min(h_->last_index(), bucket_count - 1);
          while (index_ <= last && h_->counts_[index_] == 0) ++index_;
          if (index_ > last || h_->count_ == 0) index_ = bucket_count;
        }
        if (index_ == bucket_count && h_->overflow_count_ == 0) index_ = bucket_count + 1;
      }
      const latency_histogram* h_ = nullptr;
      std::size_t index_ = bucket_count + 1;
    };

    iterator begin() const noexcept {
      return h_->count_ == 0 ? end() : iterator(h_, h_->first_index());
    }
    iterator end() const noexcept {
      iterator e;
      e.h_ = h_;
      return e;
    }

   private:
    friend class latency_histogram;
    explicit bucket_range(const latency_histogram* h) noexcept : h_(h) {}
    const latency_histogram* h_;
  };

  /// Allocates the bucket storage (about 480 KB) once; nothing allocates afterwards.
  latency_histogram() : counts_(bucket_count, 0) {}

  // ---- recording -------------------------------------------------------------------------------

  /// Records one sample of `us` microseconds.
  void record_us(std::uint64_t us) noexcept {
    if (us >= tier2_end_us) [[unlikely]] {
      record_overflow(us, 1);
      return;
    }
    // Saturate without a branch (a bulk record or merge may have reached the top). No bucket
    // count exceeds count_, so checking count_ alone keeps both from wrapping.
    const std::uint64_t one = count_ != std::numeric_limits<std::uint64_t>::max();
    counts_[index_of(us)] += one;
    count_ += one;
    sum_us_ = detail::add_saturated(sum_us_, us);
    min_us_ = std::min(min_us_, us);
    max_us_ = std::max(max_us_, us);
  }

  /// Records `count` samples of `us` microseconds at once (count 0 records nothing).
  void record_us(std::uint64_t us, std::uint64_t count) noexcept {
    if (count == 0) return;
    if (us >= tier2_end_us) {
      record_overflow(us, count);
      return;
    }
    auto& slot = counts_[index_of(us)];
    slot = detail::add_saturated(slot, count);
    count_ = detail::add_saturated(count_, count);
    sum_us_ = detail::add_saturated(sum_us_, detail::mul_saturated(us, count));
    min_us_ = std::min(min_us_, us);
    max_us_ = std::max(max_us_, us);
  }

  /// Records one latency, truncated to whole microseconds; a negative duration counts as 0.
  template <class Rep, class Period>
  void record(std::chrono::duration<Rep, Period> latency) noexcept {
    record_us(to_us(latency));
  }

  /// Records `count` samples of one latency, truncated to whole microseconds.
  template <class Rep, class Period>
  void record(std::chrono::duration<Rep, Period> latency, std::uint64_t count) noexcept {
    record_us(to_us(latency), count);
  }

  // ---- queries ---------------------------------------------------------------------------------

  /// Number of samples, the overflow ones included.
  std::uint64_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// Samples at or above tier2_end_us (5 s).
  std::uint64_t overflow_count() const noexcept { return overflow_count_; }
  /// Exact sum of all recorded values in µs, the overflow ones included.
  std::uint64_t sum_us() const noexcept { return sum_us_; }
  /// Sum of the overflow samples in µs (kept so stddev and merges stay meaningful above 5 s).
  std::uint64_t overflow_sum_us() const noexcept { return overflow_sum_us_; }
  /// Smallest recorded value (exact); 0 when empty.
  std::uint64_t min_us() const noexcept { return count_ == 0 ? 0 : min_us_; }
  /// Largest recorded value (exact); 0 when empty.
  std::uint64_t max_us() const noexcept { return max_us_; }
  /// Exact mean, sum_us() / count(); 0 when empty.
  double mean_us() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_us_) / static_cast<double>(count_);
  }

  /// Population standard deviation, computed from the buckets at query time (so record stays
  /// cheap and merges stay exact): tier-1 samples count at their exact value, tier-2 samples at
  /// their bucket's midpoint (error <= 50 µs each), overflow samples at the overflow mean.
  double stddev_us() const noexcept {
    if (count_ == 0) return 0.0;
    const double mean = mean_us();
    double total = 0.0;
    for (std::size_t i = first_index(); i <= last_index() && i < bucket_count; ++i) {
      if (counts_[i] == 0) continue;
      const double value = i < tier1_buckets ? static_cast<double>(i)
                                             : static_cast<double>(lower_edge_of(i)) +
                                                   static_cast<double>(tier2_step_us - 1) / 2.0;
      const double deviation = value - mean;
      total += deviation * deviation * static_cast<double>(counts_[i]);
    }
    if (overflow_count_ != 0) {
      const double deviation =
          static_cast<double>(overflow_sum_us_) / static_cast<double>(overflow_count_) - mean;
      total += deviation * deviation * static_cast<double>(overflow_count_);
    }
    return std::sqrt(total / static_cast<double>(count_));
  }

  /// Value at percentile `p` in [0, 100] (clamped; NaN reads as 0): the lower edge of the bucket
  /// holding the sample of rank min(floor(n * p / 100) + 1, n). See the header comment.
  std::uint64_t percentile_us(double p) const noexcept { return quantile_us(p / 100.0); }

  /// Same as percentile_us() with q = p / 100. Pass gcannon's literals (0.5, 0.9, 0.99, 0.999) to
  /// reproduce its numbers bit for bit.
  std::uint64_t quantile_us(double q) const noexcept {
    if (count_ == 0) return 0;
    const std::uint64_t rank = rank_of(q);
    std::uint64_t cumulative = 0;
    const std::size_t last = std::min(last_index(), bucket_count - 1);
    for (std::size_t i = first_index(); i <= last; ++i) {
      cumulative = detail::add_saturated(cumulative, counts_[i]);
      if (cumulative >= rank) return lower_edge_of(i);
    }
    return tier2_end_us;
  }

  /// Lower edge (inclusive) of the bucket that holds `us`; tier2_end_us for the overflow bucket.
  static constexpr std::uint64_t bucket_lower_us(std::uint64_t us) noexcept {
    if (us < tier1_end_us) return us;
    if (us < tier2_end_us) return us - (us - tier1_end_us) % tier2_step_us;
    return tier2_end_us;
  }

  /// Upper edge (exclusive) of the bucket that holds `us`; unbounded_us for the overflow bucket.
  static constexpr std::uint64_t bucket_upper_us(std::uint64_t us) noexcept {
    if (us < tier1_end_us) return us + 1;
    if (us < tier2_end_us) return bucket_lower_us(us) + tier2_step_us;
    return unbounded_us;
  }

  /// The non-empty buckets in ascending order, the overflow bucket last
  /// ({tier2_end_us, unbounded_us, overflow_count()}). Allocation-free; see bucket_range.
  bucket_range non_empty_buckets() const noexcept { return bucket_range(this); }

  /// `bars` equal-width bars (clamped to [1, 100]) spanning p0 .. p99.9, as gcannon's TUI draws
  /// them. The span is [lower edge of the p0 bucket, upper edge of the p99.9 bucket), bar i covers
  /// [lo + i*w, lo + (i+1)*w) with w = max(1, ceil(span / bars)), and each histogram bucket counts
  /// in the bar holding its lower edge, so the bar counts add up exactly to the samples whose
  /// bucket is at or below the p99.9 bucket. Overflow samples are never in a bar (when p99.9
  /// overflows, the span ends at 5 s). Empty histogram: an empty vector.
  std::vector<bucket> display_buckets(int bars) const {
    std::vector<bucket> result;
    if (count_ == 0) return result;
    const auto n = static_cast<std::uint64_t>(std::clamp(bars, 1, 100));
    const std::uint64_t lo = quantile_us(0.0);
    const std::uint64_t p999 = quantile_us(0.999);
    const std::uint64_t hi = p999 >= tier2_end_us ? tier2_end_us : bucket_upper_us(p999);
    const std::uint64_t span = hi > lo ? hi - lo : 1;
    const std::uint64_t width = std::max<std::uint64_t>(1, (span + n - 1) / n);
    result.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i)
      result.push_back({lo + i * width, lo + (i + 1) * width, 0});
    if (lo >= tier2_end_us) return result;
    for (std::size_t i = index_of(lo); i < bucket_count && lower_edge_of(i) < hi; ++i) {
      auto& bar = result[(lower_edge_of(i) - lo) / width];
      bar.count = detail::add_saturated(bar.count, counts_[i]);
    }
    return result;
  }

  // ---- combining -------------------------------------------------------------------------------

  /// Adds every sample of `other` (e.g. per-thread histograms into one). Exact: the result equals
  /// recording both sample sets into one histogram.
  void merge(const latency_histogram& other) noexcept {
    if (other.count_ == 0) return;
    const std::size_t last = std::min(other.last_index(), bucket_count - 1);
    for (std::size_t i = other.first_index(); i <= last; ++i)
      counts_[i] = detail::add_saturated(counts_[i], other.counts_[i]);
    count_ = detail::add_saturated(count_, other.count_);
    sum_us_ = detail::add_saturated(sum_us_, other.sum_us_);
    overflow_count_ = detail::add_saturated(overflow_count_, other.overflow_count_);
    overflow_sum_us_ = detail::add_saturated(overflow_sum_us_, other.overflow_sum_us_);
    min_us_ = std::min(min_us_, other.min_us_);
    max_us_ = std::max(max_us_, other.max_us_);
  }

  /// Forgets every sample; keeps the storage.
  void reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), std::uint64_t{0});
    count_ = sum_us_ = overflow_count_ = overflow_sum_us_ = max_us_ = 0;
    min_us_ = std::numeric_limits<std::uint64_t>::max();
  }

  /// Same samples (every bucket, count, sum, overflow sum, min and max).
  friend bool operator==(const latency_histogram& a, const latency_histogram& b) noexcept {
    return a.count_ == b.count_ && a.sum_us_ == b.sum_us_ && a.min_us() == b.min_us() &&
           a.max_us_ == b.max_us_ && a.overflow_count_ == b.overflow_count_ &&
           a.overflow_sum_us_ == b.overflow_sum_us_ && a.counts_ == b.counts_;
  }

  // ---- serialization ---------------------------------------------------------------------------
  //
  // Binary (all integers little-endian, so it moves between machines):
  //   "ucLatHst"  u32 version  u32 tier1_end_us  u32 tier2_step_us  u32 tier2_end_us
  //   u64 count  u64 sum_us  u64 min_us  u64 max_us  u64 overflow_count  u64 overflow_sum_us
  //   u32 entries, then per non-empty bucket (ascending index): u32 index  u64 count
  //   u64 FNV-1a-64 of every preceding byte.
  // JSON (one line, sparse: only non-empty buckets, each as [lower_us, count]):
  //   {"format":"uring_cannon.latency_histogram","version":1,"tier1_end_us":10000,
  //    "tier2_step_us":100,"tier2_end_us":5000000,"count":N,"sum_us":S,"min_us":A,"max_us":B,
  //    "overflow_count":O,"overflow_sum_us":OS,"buckets":[[lower_us,count],...]}
  // The readers throw std::runtime_error, with the reason in what(), on anything else: another
  // format or version, a different bucket layout, truncation, trailing bytes, a bad checksum,
  // unknown/duplicate/missing JSON keys, and fields that contradict each other (bucket counts that
  // do not add up to count, min/max/sum outside their buckets, ...).

  /// The binary form described above.
  std::string to_binary() const {
    std::string out;
    out.append(binary_magic, sizeof binary_magic);
    detail::put_u32(out, format_version);
    detail::put_u32(out, static_cast<std::uint32_t>(tier1_end_us));
    detail::put_u32(out, static_cast<std::uint32_t>(tier2_step_us));
    detail::put_u32(out, static_cast<std::uint32_t>(tier2_end_us));
    for (std::uint64_t field :
         {count_, sum_us_, min_us(), max_us_, overflow_count_, overflow_sum_us_})
      detail::put_u64(out, field);
    const std::size_t entries_at = out.size();
    detail::put_u32(out, 0);
    std::uint32_t entries = 0;
    if (count_ != 0) {
      const std::size_t last = std::min(last_index(), bucket_count - 1);
      for (std::size_t i = first_index(); i <= last; ++i) {
        if (counts_[i] == 0) continue;
        detail::put_u32(out, static_cast<std::uint32_t>(i));
        detail::put_u64(out, counts_[i]);
        ++entries;
      }
    }
    for (int b = 0; b < 4; ++b)
      out[entries_at + b] = static_cast<char>((entries >> (8 * b)) & 0xff);
    detail::put_u64(out, detail::fnv1a64(out));
    return out;
  }

  /// Reads to_binary()'s output; throws std::runtime_error on bad, foreign or truncated input.
  static latency_histogram from_binary(std::string_view bytes) {
    detail::byte_reader in{bytes, "latency_histogram"};
    if (bytes.size() < sizeof binary_magic ||
        std::memcmp(bytes.data(), binary_magic, sizeof binary_magic) != 0)
      fail("from_binary: not a uring_cannon latency_histogram (bad magic)");
    in.offset = sizeof binary_magic;
    const std::uint32_t version = in.u32();
    if (version != format_version)
      fail("from_binary: unsupported version " + std::to_string(version) + " (this build reads " +
           std::to_string(format_version) + ")");
    if (in.u32() != tier1_end_us || in.u32() != tier2_step_us || in.u32() != tier2_end_us)
      fail("from_binary: different bucket layout");
    parts p;
    p.count = in.u64();
    p.sum_us = in.u64();
    p.min_us = in.u64();
    p.max_us = in.u64();
    p.overflow_count = in.u64();
    p.overflow_sum_us = in.u64();
    const std::uint32_t entries = in.u32();
    if (entries > bucket_count) fail("from_binary: more entries than buckets");
    in.need(std::size_t{entries} * 12 + 8);
    p.entries.reserve(entries);
    for (std::uint32_t e = 0; e < entries; ++e) {
      const std::uint32_t index = in.u32();
      p.entries.push_back({index, in.u64()});
    }
    const std::size_t body = in.offset;
    if (in.u64() != detail::fnv1a64(bytes.substr(0, body))) fail("from_binary: checksum mismatch");
    if (in.offset != bytes.size()) fail("from_binary: trailing bytes after the histogram");
    return from_parts(p, "from_binary");
  }

  /// The sparse JSON form described above (one line, no trailing newline).
  std::string to_json() const {
    std::string out = R"({"format":")";
    out += json_format_name;
    out += R"(","version":)" + std::to_string(format_version);
    out += R"(,"tier1_end_us":)" + std::to_string(tier1_end_us);
    out += R"(,"tier2_step_us":)" + std::to_string(tier2_step_us);
    out += R"(,"tier2_end_us":)" + std::to_string(tier2_end_us);
    out += R"(,"count":)" + std::to_string(count_);
    out += R"(,"sum_us":)" + std::to_string(sum_us_);
    out += R"(,"min_us":)" + std::to_string(min_us());
    out += R"(,"max_us":)" + std::to_string(max_us_);
    out += R"(,"overflow_count":)" + std::to_string(overflow_count_);
    out += R"(,"overflow_sum_us":)" + std::to_string(overflow_sum_us_);
    out += R"(,"buckets":[)";
    bool first = true;
    for (const bucket& b : non_empty_buckets()) {
      if (b.lower_us >= tier2_end_us) break;  // the overflow has its own fields
      if (!first) out += ',';
      first = false;
      out += '[' + std::to_string(b.lower_us) + ',' + std::to_string(b.count) + ']';
    }
    out += "]}";
    return out;
  }

  /// Reads to_json()'s output (whitespace and key order free); throws std::runtime_error on
  /// anything else.
  static latency_histogram from_json(std::string_view text) {
    detail::json_cursor in{text, "latency_histogram"};
    parts p;
    std::uint32_t seen = 0;
    auto take = [&](std::uint32_t bit, std::string_view key) {
      if (seen & bit) fail("from_json: duplicate key \"" + std::string(key) + "\"");
      seen |= bit;
    };
    in.expect('{');
    if (!in.consume('}')) {
      do {
        const std::string_view key = in.string();
        in.expect(':');
        if (key == "format") {
          take(1u << 0, key);
          if (in.string() != json_format_name)
            fail("from_json: not a uring_cannon latency_histogram (format differs)");
        } else if (key == "version") {
          take(1u << 1, key);
          const std::uint64_t version = in.number();
          if (version != format_version)
            fail("from_json: unsupported version " + std::to_string(version) +
                 " (this build reads " + std::to_string(format_version) + ")");
        } else if (key == "tier1_end_us") {
          take(1u << 2, key);
          if (in.number() != tier1_end_us) fail("from_json: different bucket layout");
        } else if (key == "tier2_step_us") {
          take(1u << 3, key);
          if (in.number() != tier2_step_us) fail("from_json: different bucket layout");
        } else if (key == "tier2_end_us") {
          take(1u << 4, key);
          if (in.number() != tier2_end_us) fail("from_json: different bucket layout");
        } else if (key == "count") {
          take(1u << 5, key);
          p.count = in.number();
        } else if (key == "sum_us") {
          take(1u << 6, key);
          p.sum_us = in.number();
        } else if (key == "min_us") {
          take(1u << 7, key);
          p.min_us = in.number();
        } else if (key == "max_us") {
          take(1u << 8, key);
          p.max_us = in.number();
        } else if (key == "overflow_count") {
          take(1u << 9, key);
          p.overflow_count = in.number();
        } else if (key == "overflow_sum_us") {
          take(1u << 10, key);
          p.overflow_sum_us = in.number();
        } else if (key == "buckets") {
          take(1u << 11, key);
          in.expect('[');
          if (!in.consume(']')) {
            do {
              in.expect('[');
              const std::uint64_t lower = in.number();
              in.expect(',');
              const std::uint64_t n = in.number();
              in.expect(']');
              if (lower >= tier2_end_us || bucket_lower_us(lower) != lower)
                fail("from_json: " + std::to_string(lower) + " is not a bucket's lower edge");
              if (p.entries.size() == bucket_count) fail("from_json: more entries than buckets");
              p.entries.push_back({static_cast<std::uint32_t>(index_of(lower)), n});
            } while (in.consume(','));
            in.expect(']');
          }
        } else {
          fail("from_json: unknown key \"" + std::string(key) + "\"");
        }
      } while (in.consume(','));
      in.expect('}');
    }
    in.end();
    if (seen != (1u << 12) - 1) fail("from_json: missing keys");
    return from_parts(p, "from_json");
  }

 private:
  static constexpr char binary_magic[8] = {'u', 'c', 'L', 'a', 't', 'H', 's', 't'};
  static constexpr std::string_view json_format_name = "uring_cannon.latency_histogram";

  // tier 2 starts at index tier1_buckets: index = tier1_buckets + (us - tier1_end_us) / step,
  // folded so the hot path is one multiply-shift and a conditional move.
  static constexpr std::size_t index_of(std::uint64_t us) noexcept {
    return us < tier1_end_us
               ? static_cast<std::size_t>(us)
               : static_cast<std::size_t>(us / tier2_step_us +
                                          (tier1_buckets - tier1_end_us / tier2_step_us));
  }
  static constexpr std::uint64_t lower_edge_of(std::size_t index) noexcept {
    return index < tier1_buckets ? index : tier1_end_us + (index - tier1_buckets) * tier2_step_us;
  }
  // The in-range buckets that can be non-zero lie between min's and max's (an overflowing max
  // gives bucket_count, which callers cap).
  std::size_t first_index() const noexcept {
    return min_us_ >= tier2_end_us ? bucket_count : index_of(min_us_);
  }
  std::size_t last_index() const noexcept {
    return max_us_ >= tier2_end_us ? bucket_count : index_of(max_us_);
  }

  std::uint64_t rank_of(double q) const noexcept {
    if (!(q > 0.0)) q = 0.0;  // NaN too
    if (q > 1.0) q = 1.0;
    const double below = static_cast<double>(count_) * q;
    const std::uint64_t target = below >= 18446744073709551615.0
                                     ? std::numeric_limits<std::uint64_t>::max()
                                     : static_cast<std::uint64_t>(below);
    return target >= count_ ? count_ : target + 1;
  }

  void record_overflow(std::uint64_t us, std::uint64_t count) noexcept {
    overflow_count_ = detail::add_saturated(overflow_count_, count);
    overflow_sum_us_ = detail::add_saturated(overflow_sum_us_, detail::mul_saturated(us, count));
    count_ = detail::add_saturated(count_, count);
    sum_us_ = detail::add_saturated(sum_us_, detail::mul_saturated(us, count));
    min_us_ = std::min(min_us_, us);
    max_us_ = std::max(max_us_, us);
  }

  // Floating durations are range-checked before the conversion, which would otherwise be
  // undefined for values beyond 2^64.
  template <class Rep, class Period>
  static std::uint64_t to_us(std::chrono::duration<Rep, Period> latency) noexcept {
    if constexpr (std::is_integral_v<Rep>) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
      return us < 0 ? 0 : static_cast<std::uint64_t>(us);
    } else {
      const double us = std::chrono::duration<double, std::micro>(latency).count();
      if (!(us > 0.0)) return 0;
      if (us >= 18446744073709551615.0) return std::numeric_limits<std::uint64_t>::max();
      return static_cast<std::uint64_t>(us);
    }
  }

  [[noreturn]] static void fail(const std::string& what) {
    detail::throw_codec_error("latency_histogram", what);
  }

  // What both readers produce before the common validation.
  struct entry {
    std::uint32_t index;
    std::uint64_t count;
  };
  struct parts {
    std::uint64_t count = 0, sum_us = 0, min_us = 0, max_us = 0, overflow_count = 0,
                  overflow_sum_us = 0;
    std::vector<entry> entries;
  };

  // Refuses any state record_us() could not have produced, so a corrupted file cannot yield a
  // histogram whose percentiles, min/max and mean disagree.
  static latency_histogram from_parts(const parts& p, const std::string& where) {
    auto bad = [&](const char* why) { fail(where + ": inconsistent histogram (" + why + ")"); };
    latency_histogram h;
    std::uint64_t total = p.overflow_count, low_sum = 0, high_sum = 0;
    for (std::size_t e = 0; e < p.entries.size(); ++e) {
      const entry& en = p.entries[e];
      if (en.index >= bucket_count) bad("bucket index out of range");
      if (e > 0 && en.index <= p.entries[e - 1].index) bad("buckets not in ascending order");
      if (en.count == 0) bad("empty bucket listed");
      h.counts_[en.index] = en.count;
      total = detail::add_saturated(total, en.count);
      const std::uint64_t lower = lower_edge_of(en.index);
      low_sum = detail::add_saturated(low_sum, detail::mul_saturated(lower, en.count));
      high_sum = detail::add_saturated(high_sum, detail::mul_saturated(bucket_upper_us(lower) - 1, en.count));
    }
    // Saturating sums are order-free, so even a saturated histogram adds up exactly; and no
    // bucket exceeding count_ is what keeps record_us()'s increments from wrapping.
    if (total != p.count) bad("bucket counts do not add up to count");
    if (p.count == 0) {
      if (p.sum_us != 0 || p.min_us != 0 || p.max_us != 0 || p.overflow_sum_us != 0)
        bad("empty histogram with non-zero fields");
    } else {
      if (p.min_us > p.max_us) bad("min above max");
      const std::size_t first = p.min_us >= tier2_end_us ? bucket_count : index_of(p.min_us);
      const std::size_t last = p.max_us >= tier2_end_us ? bucket_count : index_of(p.max_us);
      const std::size_t lowest = p.entries.empty() ? bucket_count : p.entries.front().index;
      const std::size_t highest = p.entries.empty() ? bucket_count : p.entries.back().index;
      if (first != lowest) bad("min is not in the lowest non-empty bucket");
      if ((p.overflow_count != 0) != (last == bucket_count) ||
          (p.overflow_count == 0 && last != highest))
        bad("max is not in the highest non-empty bucket");
      if (p.overflow_count == 0 && p.overflow_sum_us != 0) bad("overflow sum without overflow");
      if (p.overflow_sum_us < detail::mul_saturated(p.overflow_count, tier2_end_us))
        bad("overflow sum below 5 s per overflow sample");
      if (p.sum_us != std::numeric_limits<std::uint64_t>::max()) {
        if (p.sum_us < p.overflow_sum_us) bad("sum below overflow sum");
        const std::uint64_t in_range = p.sum_us - p.overflow_sum_us;
        if (in_range < low_sum ||
            (high_sum != std::numeric_limits<std::uint64_t>::max() && in_range > high_sum))
          bad("sum outside its buckets' bounds");
      }
    }
    h.count_ = p.count;
    h.sum_us_ = p.sum_us;
    h.overflow_count_ = p.overflow_count;
    h.overflow_sum_us_ = p.overflow_sum_us;
    h.min_us_ = p.count == 0 ? std::numeric_limits<std::uint64_t>::max() : p.min_us;
    h.max_us_ = p.max_us;
    return h;
  }


  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_us_ = 0;
  std::uint64_t overflow_count_ = 0;
  std::uint64_t overflow_sum_us_ = 0;
  std::uint64_t min_us_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_us_ = 0;
};

}  // namespace uring_cannon
