#pragma once
// A log-linear histogram (HdrHistogram's layout) for values that span many orders of magnitude:
// 1 ns to hours with a bounded relative error, where the two-tier latency_histogram stops at 5 s.
//
// Layout, as HdrHistogram with a lowest discernible value of 1: with d significant digits,
// sub_bucket_count = 2^ceil(log2(2 * 10^d)) (2048 for d = 3) and half = sub_bucket_count / 2.
// Values below sub_bucket_count have a bucket each (exact). Above, bucket k covers
// [half * 2^k, sub_bucket_count * 2^k) in steps of 2^k, so a bucket's width is at most
// 1/half of any value in it:
//   relative error: a value v is reported as some r in its bucket, |r - v| < v / half <= v * 10^-d
//   (for d = 3, below 0.098 %).
// Values above highest_trackable_value() are clamped to it (recorded in its bucket) and counted in
// clamped_count(); min_value()/max_value() still report the exact values recorded.
//
// Percentile semantics (HdrHistogram's): for q in [0, 1] (p = 100 q) and n samples,
//   rank = clamp(ceil(n * q), 1, n)
// and the result is the HIGHEST value equivalent to the bucket holding the sample of that rank,
// capped at max_value(). So for that sample s: s <= result and result - s < s / half; q = 1
// reports max_value() exactly. Empty histogram: 0.
// mean() and stddev() are computed from the buckets (each sample at its bucket's median value,
// as HdrHistogram does), so they carry the same relative error and merge exactly.
// Counts saturate at 2^64 - 1 rather than wrap.

#include <uring_cannon/detail/histogram_codec.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace uring_cannon {

/// HdrHistogram-style log-linear histogram of unsigned integer values (nanoseconds when fed
/// durations); see the header comment for layout, error bound and percentile semantics.
class log_linear_histogram {
 public:
  /// One hour in nanoseconds: the default highest trackable value.
  static constexpr std::uint64_t one_hour_ns = 3'600'000'000'000;
  /// Version written by to_binary()/to_json(); the readers accept exactly this version.
  static constexpr std::uint32_t format_version = 1;

  /// Values [lowest, highest] (both inclusive, all equivalent to the histogram) and their count.
  struct bucket {
    std::uint64_t lowest = 0;
    std::uint64_t highest = 0;
    std::uint64_t count = 0;
    friend bool operator==(const bucket&, const bucket&) = default;
  };

  /// Forward range over the non-empty buckets in ascending order (see non_empty_buckets()). It
  /// reads the histogram live: do not record into it while iterating.
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
        const std::uint64_t lowest = h_->value_at_index(index_);
        return {lowest, lowest + (h_->width_at_index(index_) - 1), h_->counts_[index_]};
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
      iterator(const log_linear_histogram* h, std::size_t index) noexcept : h_(h), index_(index) {
        settle();
      }
      void settle() noexcept {
        while (index_ < h_->counts_.size() && h_->counts_[index_] == 0) ++index_;
      }
      const log_linear_histogram* h_ = nullptr;
      std::size_t index_ = 0;
    };

    iterator begin() const noexcept {
      return iterator(h_, h_->count_ == 0 ? h_->counts_.size() : h_->first_slot());
    }
    iterator end() const noexcept { return iterator(h_, h_->counts_.size()); }

   private:
    friend class log_linear_histogram;
    explicit bucket_range(const log_linear_histogram* h) noexcept : h_(h) {}
    const log_linear_histogram* h_;
  };

  /// A histogram keeping `significant_digits` (1..5) decimal digits of every value from 0 up to
  /// `highest_trackable_value` (>= 2). Allocates its buckets once, here; throws
  /// std::invalid_argument on a bad configuration. Memory: 8 bytes * bucket_slots(); for 3 digits
  /// and one hour of nanoseconds, 33 792 slots (264 KiB).
  explicit log_linear_histogram(int significant_digits = 3,
                                std::uint64_t highest_trackable_value = one_hour_ns)
      : significant_digits_(significant_digits), highest_trackable_(highest_trackable_value) {
    if (significant_digits < 1 || significant_digits > 5)
      throw std::invalid_argument("log_linear_histogram: significant digits must be 1..5, not " +
                                  std::to_string(significant_digits));
    if (highest_trackable_value < 2)
      throw std::invalid_argument("log_linear_histogram: highest trackable value must be >= 2");
    std::uint64_t single_unit_limit = 2;
    for (int d = 0; d < significant_digits; ++d) single_unit_limit *= 10;
    const int magnitude = std::bit_width(single_unit_limit - 1);  // ceil(log2)
    half_magnitude_ = magnitude - 1;
    sub_bucket_count_ = std::uint64_t{1} << magnitude;
    half_count_ = sub_bucket_count_ / 2;
    sub_bucket_mask_ = sub_bucket_count_ - 1;
    // Buckets needed so that sub_bucket_count << (buckets - 1) exceeds the highest value.
    bucket_count_ = 1;
    for (std::uint64_t untrackable = sub_bucket_count_; untrackable <= highest_trackable_;
         untrackable <<= 1) {
      ++bucket_count_;
      if (untrackable > std::numeric_limits<std::uint64_t>::max() / 2) break;
    }
    counts_.assign(static_cast<std::size_t>(bucket_count_ + 1) * half_count_, 0);
    clamp_index_ = index_of(highest_trackable_);
  }

  // ---- recording -------------------------------------------------------------------------------

  /// Records one value (clamped to highest_trackable_value(), see clamped_count()).
  void record(std::uint64_t value) noexcept {
    std::size_t index;
    if (value > highest_trackable_) [[unlikely]] {
      clamped_ = detail::add_saturated(clamped_, 1);
      index = clamp_index_;
    } else {
      index = index_of(value);
    }
    // Saturate without a branch; no bucket count exceeds count_, so checking count_ is enough.
    const std::uint64_t one = count_ != std::numeric_limits<std::uint64_t>::max();
    counts_[index] += one;
    count_ += one;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  /// Records `count` samples of one value at once (count 0 records nothing).
  void record(std::uint64_t value, std::uint64_t count) noexcept {
    if (count == 0) return;
    std::size_t index = clamp_index_;
    if (value > highest_trackable_)
      clamped_ = detail::add_saturated(clamped_, count);
    else
      index = index_of(value);
    counts_[index] = detail::add_saturated(counts_[index], count);
    count_ = detail::add_saturated(count_, count);
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  /// Records one duration in nanoseconds (truncated); a negative duration counts as 0.
  template <class Rep, class Period>
  void record(std::chrono::duration<Rep, Period> value) noexcept {
    record(to_ns(value));
  }

  /// Records `count` samples of one duration in nanoseconds.
  template <class Rep, class Period>
  void record(std::chrono::duration<Rep, Period> value, std::uint64_t count) noexcept {
    record(to_ns(value), count);
  }

  // ---- configuration ---------------------------------------------------------------------------

  int significant_digits() const noexcept { return significant_digits_; }
  std::uint64_t highest_trackable_value() const noexcept { return highest_trackable_; }
  /// HdrHistogram's bucket count (the `Buckets` of the percentile distribution footer).
  int bucket_count() const noexcept { return bucket_count_; }
  /// HdrHistogram's sub-bucket count (the `SubBuckets` of the footer): 2^ceil(log2(2*10^d)).
  std::uint64_t sub_bucket_count() const noexcept { return sub_bucket_count_; }
  /// Number of counters allocated.
  std::size_t bucket_slots() const noexcept { return counts_.size(); }

  /// Smallest value that shares `value`'s bucket (values above the range: of the clamped bucket).
  std::uint64_t lowest_equivalent_value(std::uint64_t value) const noexcept {
    return value_at_index(index_of(std::min(value, highest_trackable_)));
  }
  /// Largest value that shares `value`'s bucket.
  std::uint64_t highest_equivalent_value(std::uint64_t value) const noexcept {
    const std::size_t index = index_of(std::min(value, highest_trackable_));
    return value_at_index(index) + (width_at_index(index) - 1);
  }

  // ---- queries ---------------------------------------------------------------------------------

  /// Number of samples, clamped ones included.
  std::uint64_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// Samples above highest_trackable_value() (recorded as that value).
  std::uint64_t clamped_count() const noexcept { return clamped_; }
  /// Smallest recorded value (exact); 0 when empty.
  std::uint64_t min_value() const noexcept { return count_ == 0 ? 0 : min_; }
  /// Largest recorded value (exact, even when clamped); 0 when empty.
  std::uint64_t max_value() const noexcept { return max_; }

  /// Mean from the buckets (each sample at its bucket's median value); 0 when empty.
  double mean() const noexcept {
    if (count_ == 0) return 0.0;
    double total = 0.0;
    for (std::size_t i = first_slot(); i <= last_slot(); ++i)
      if (counts_[i] != 0) total += static_cast<double>(counts_[i]) * median_at_index(i);
    return total / static_cast<double>(count_);
  }

  /// Population standard deviation from the buckets, like mean(); 0 when empty.
  double stddev() const noexcept {
    if (count_ == 0) return 0.0;
    const double m = mean();
    double total = 0.0;
    for (std::size_t i = first_slot(); i <= last_slot(); ++i) {
      if (counts_[i] == 0) continue;
      const double deviation = median_at_index(i) - m;
      total += deviation * deviation * static_cast<double>(counts_[i]);
    }
    return std::sqrt(total / static_cast<double>(count_));
  }

  /// Value at percentile `p` in [0, 100] (clamped; NaN reads as 0); see the header comment.
  std::uint64_t value_at_percentile(double p) const noexcept {
    return value_at_quantile(p / 100.0);
  }

  /// Value at quantile `q` in [0, 1]: value_at_percentile(100 q).
  std::uint64_t value_at_quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    const std::uint64_t rank = rank_of(q);
    std::uint64_t cumulative = 0;
    for (std::size_t i = first_slot(); i <= last_slot(); ++i) {
      cumulative = detail::add_saturated(cumulative, counts_[i]);
      if (cumulative >= rank) return std::min(value_at_index(i) + (width_at_index(i) - 1), max_);
    }
    return max_;
  }

  /// The non-empty buckets in ascending order; allocation-free.
  bucket_range non_empty_buckets() const noexcept { return bucket_range(this); }

  /// HdrHistogram's "percentile distribution" text, as its outputPercentileDistribution prints
  /// it (so HdrHistogram's plotting tools read it): a `Value Percentile TotalCount
  /// 1/(1-Percentile)` table stepping `ticks_per_half_distance` rows per halving of the distance
  /// to 100 %, then the `#[Mean ...]`, `#[Max ...]` and `#[Buckets ...]` footer. Values are
  /// divided by `value_unit_scaling_ratio` (1000 prints nanoseconds as microseconds) and printed
  /// with significant_digits() decimals. Row values follow value_at_percentile() (highest
  /// equivalent value, capped at the max); Max is max_value(). Numbers use the C locale's
  /// formatting (snprintf).
  void output_percentile_distribution(std::ostream& out, double value_unit_scaling_ratio = 1.0,
                                      int ticks_per_half_distance = 5) const {
    if (!(value_unit_scaling_ratio > 0.0))
      throw std::invalid_argument("log_linear_histogram: scaling ratio must be positive");
    if (ticks_per_half_distance < 1)
      throw std::invalid_argument("log_linear_histogram: ticks per half distance must be >= 1");
    char line[160];
    const int digits = significant_digits_;
    std::snprintf(line, sizeof line, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                  "1/(1-Percentile)");
    out << line;
    auto row = [&](std::size_t index, double level, std::uint64_t cumulative) {
      const double value =
          static_cast<double>(std::min(value_at_index(index) + (width_at_index(index) - 1), max_)) /
          value_unit_scaling_ratio;
      const double fraction = level / 100.0;
      if (level != 100.0)
        std::snprintf(line, sizeof line, "%12.*f %2.12f %10llu %14.2f\n", digits, value, fraction,
                      static_cast<unsigned long long>(cumulative), 1.0 / (1.0 - fraction));
      else
        std::snprintf(line, sizeof line, "%12.*f %2.12f %10llu\n", digits, value, fraction,
                      static_cast<unsigned long long>(cumulative));
      out << line;
    };
    if (count_ != 0) {
      // Walk the buckets; a bucket emits a row for every percentile level it reaches, except the
      // one holding the last sample, which emits one row and then the final 100 % row. Levels
      // stop once a step no longer moves them (huge counts put a bucket's percentile within
      // rounding of 100), which would otherwise loop forever.
      double level = 0.0;
      bool levels_left = true;
      std::uint64_t cumulative = 0;
      for (std::size_t i = first_slot(); i <= last_slot(); ++i) {
        if (counts_[i] == 0) continue;
        cumulative = detail::add_saturated(cumulative, counts_[i]);
        if (cumulative >= count_) {
          if (levels_left) row(i, level, cumulative);
          row(i, 100.0, cumulative);
          break;
        }
        while (levels_left &&
               100.0 * static_cast<double>(cumulative) / static_cast<double>(count_) >= level) {
          row(i, level, cumulative);
          const double next = next_percentile_level(level, ticks_per_half_distance);
          levels_left = next > level && next < 100.0;
          if (levels_left) level = next;
        }
      }
    }
    std::snprintf(line, sizeof line, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", digits,
                  mean() / value_unit_scaling_ratio, digits, stddev() / value_unit_scaling_ratio);
    out << line;
    std::snprintf(line, sizeof line, "#[Max     = %12.*f, Total count    = %12llu]\n", digits,
                  static_cast<double>(max_) / value_unit_scaling_ratio,
                  static_cast<unsigned long long>(count_));
    out << line;
    std::snprintf(line, sizeof line, "#[Buckets = %12d, SubBuckets     = %12llu]\n", bucket_count_,
                  static_cast<unsigned long long>(sub_bucket_count_));
    out << line;
  }

  // ---- combining -------------------------------------------------------------------------------

  /// True when both histograms have the same significant digits and highest trackable value,
  /// which merge() requires.
  bool same_configuration(const log_linear_histogram& other) const noexcept {
    return significant_digits_ == other.significant_digits_ &&
           highest_trackable_ == other.highest_trackable_;
  }

  /// Adds every sample of `other`; exact. Throws std::invalid_argument when the configurations
  /// differ (buckets would not line up).
  void merge(const log_linear_histogram& other) {
    if (!same_configuration(other))
      throw std::invalid_argument("log_linear_histogram::merge: configurations differ (" +
                                  std::to_string(significant_digits_) + " digits up to " +
                                  std::to_string(highest_trackable_) + " vs " +
                                  std::to_string(other.significant_digits_) + " digits up to " +
                                  std::to_string(other.highest_trackable_) + ")");
    if (other.count_ == 0) return;
    for (std::size_t i = other.first_slot(); i <= other.last_slot(); ++i)
      counts_[i] = detail::add_saturated(counts_[i], other.counts_[i]);
    count_ = detail::add_saturated(count_, other.count_);
    clamped_ = detail::add_saturated(clamped_, other.clamped_);
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  /// Forgets every sample; keeps the configuration and the storage.
  void reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), std::uint64_t{0});
    count_ = clamped_ = max_ = 0;
    min_ = std::numeric_limits<std::uint64_t>::max();
  }

  /// Same configuration and samples (every bucket, count, clamped count, min and max).
  friend bool operator==(const log_linear_histogram& a, const log_linear_histogram& b) noexcept {
    return a.same_configuration(b) && a.count_ == b.count_ && a.clamped_ == b.clamped_ &&
           a.min_value() == b.min_value() && a.max_ == b.max_ && a.counts_ == b.counts_;
  }

  // ---- serialization ---------------------------------------------------------------------------
  //
  // Binary (integers little-endian):
  //   "ucLogHst"  u32 version  u32 significant_digits  u64 highest_trackable_value
  //   u64 count  u64 min  u64 max  u64 clamped_count
  //   u32 entries, then per non-empty bucket (ascending): u32 slot index  u64 count
  //   u64 FNV-1a-64 of every preceding byte.
  // JSON (one line, sparse: each non-empty bucket as [lowest equivalent value, count]):
  //   {"format":"uring_cannon.log_linear_histogram","version":1,"significant_digits":3,
  //    "highest_trackable_value":H,"count":N,"min":A,"max":B,"clamped_count":C,
  //    "buckets":[[lowest,count],...]}
  // The readers throw std::runtime_error, with the reason in what(), on another format or
  // version, a bad configuration, truncation, trailing bytes, a bad checksum, unknown, duplicate
  // or missing JSON keys, and fields that contradict each other.

  /// The binary form described above.
  std::string to_binary() const {
    std::string out;
    out.append(binary_magic, sizeof binary_magic);
    detail::put_u32(out, format_version);
    detail::put_u32(out, static_cast<std::uint32_t>(significant_digits_));
    detail::put_u64(out, highest_trackable_);
    detail::put_u64(out, count_);
    detail::put_u64(out, min_value());
    detail::put_u64(out, max_);
    detail::put_u64(out, clamped_);
    const std::size_t entries_at = out.size();
    detail::put_u32(out, 0);
    std::uint32_t entries = 0;
    for (std::size_t i = first_slot(); count_ != 0 && i <= last_slot(); ++i) {
      if (counts_[i] == 0) continue;
      detail::put_u32(out, static_cast<std::uint32_t>(i));
      detail::put_u64(out, counts_[i]);
      ++entries;
    }
    for (int b = 0; b < 4; ++b)
      out[entries_at + static_cast<std::size_t>(b)] =
          static_cast<char>((entries >> (8 * b)) & 0xff);
    detail::put_u64(out, detail::fnv1a64(out));
    return out;
  }

  /// Reads to_binary()'s output; throws std::runtime_error on bad, foreign or truncated input.
  static log_linear_histogram from_binary(std::string_view bytes) {
    detail::byte_reader in{bytes, "log_linear_histogram"};
    if (bytes.size() < sizeof binary_magic ||
        std::memcmp(bytes.data(), binary_magic, sizeof binary_magic) != 0)
      fail("from_binary: not a uring_cannon log_linear_histogram (bad magic)");
    in.offset = sizeof binary_magic;
    const std::uint32_t version = in.u32();
    if (version != format_version)
      fail("from_binary: unsupported version " + std::to_string(version) + " (this build reads " +
           std::to_string(format_version) + ")");
    parts p;
    p.significant_digits = in.u32();
    p.highest_trackable = in.u64();
    p.count = in.u64();
    p.min = in.u64();
    p.max = in.u64();
    p.clamped = in.u64();
    const std::uint32_t entries = in.u32();
    in.need(std::size_t{entries} * 12 + 8);
    log_linear_histogram h = configured(p, "from_binary");
    if (entries > h.counts_.size()) fail("from_binary: more entries than buckets");
    p.entries.reserve(entries);
    for (std::uint32_t e = 0; e < entries; ++e) {
      const std::uint32_t index = in.u32();
      p.entries.push_back({index, in.u64()});
    }
    const std::size_t body = in.offset;
    if (in.u64() != detail::fnv1a64(bytes.substr(0, body))) fail("from_binary: checksum mismatch");
    if (in.offset != bytes.size()) fail("from_binary: trailing bytes after the histogram");
    fill(h, p, "from_binary");
    return h;
  }

  /// The sparse JSON form described above (one line, no trailing newline).
  std::string to_json() const {
    std::string out = R"({"format":")";
    out += json_format_name;
    out += R"(","version":)" + std::to_string(format_version);
    out += R"(,"significant_digits":)" + std::to_string(significant_digits_);
    out += R"(,"highest_trackable_value":)" + std::to_string(highest_trackable_);
    out += R"(,"count":)" + std::to_string(count_);
    out += R"(,"min":)" + std::to_string(min_value());
    out += R"(,"max":)" + std::to_string(max_);
    out += R"(,"clamped_count":)" + std::to_string(clamped_);
    out += R"(,"buckets":[)";
    bool first = true;
    for (const bucket& b : non_empty_buckets()) {
      if (!first) out += ',';
      first = false;
      out += '[' + std::to_string(b.lowest) + ',' + std::to_string(b.count) + ']';
    }
    out += "]}";
    return out;
  }

  /// Reads to_json()'s output (whitespace and key order free); throws std::runtime_error on
  /// anything else.
  static log_linear_histogram from_json(std::string_view text) {
    detail::json_cursor in{text, "log_linear_histogram"};
    parts p;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> values;  // (lowest, count)
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
            fail("from_json: not a uring_cannon log_linear_histogram (format differs)");
        } else if (key == "version") {
          take(1u << 1, key);
          const std::uint64_t version = in.number();
          if (version != format_version)
            fail("from_json: unsupported version " + std::to_string(version) +
                 " (this build reads " + std::to_string(format_version) + ")");
        } else if (key == "significant_digits") {
          take(1u << 2, key);
          const std::uint64_t digits = in.number();
          p.significant_digits = digits > 5 ? 0 : static_cast<std::uint32_t>(digits);
        } else if (key == "highest_trackable_value") {
          take(1u << 3, key);
          p.highest_trackable = in.number();
        } else if (key == "count") {
          take(1u << 4, key);
          p.count = in.number();
        } else if (key == "min") {
          take(1u << 5, key);
          p.min = in.number();
        } else if (key == "max") {
          take(1u << 6, key);
          p.max = in.number();
        } else if (key == "clamped_count") {
          take(1u << 7, key);
          p.clamped = in.number();
        } else if (key == "buckets") {
          take(1u << 8, key);
          in.expect('[');
          if (!in.consume(']')) {
            do {
              in.expect('[');
              const std::uint64_t lowest = in.number();
              in.expect(',');
              const std::uint64_t n = in.number();
              in.expect(']');
              if (values.size() == max_json_entries) fail("from_json: too many buckets");
              values.emplace_back(lowest, n);
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
    if (seen != (1u << 9) - 1) fail("from_json: missing keys");
    log_linear_histogram h = configured(p, "from_json");
    p.entries.reserve(values.size());
    for (const auto& [lowest, n] : values) {
      if (lowest > h.highest_trackable_ || h.lowest_equivalent_value(lowest) != lowest)
        fail("from_json: " + std::to_string(lowest) + " is not a bucket's lowest value");
      p.entries.push_back({static_cast<std::uint32_t>(h.index_of(lowest)), n});
    }
    fill(h, p, "from_json");
    return h;
  }

 private:
  static constexpr char binary_magic[8] = {'u', 'c', 'L', 'o', 'g', 'H', 's', 't'};
  static constexpr std::string_view json_format_name = "uring_cannon.log_linear_histogram";
  // 5 digits up to 2^64 - 1 is the largest layout: 48 * 2^17 slots.
  static constexpr std::size_t max_json_entries = std::size_t{48} << 17;

  // HdrHistogram's index: the bucket is how far the value's top bit sits above the sub-bucket
  // range; the slot within it is the value's top (magnitude) bits. Bucket 0 is stored whole,
  // every later bucket only its upper half (its lower half is the previous bucket's range).
  std::size_t index_of(std::uint64_t value) const noexcept {
    const int bucket = std::bit_width(value | sub_bucket_mask_) - (half_magnitude_ + 1);
    const std::uint64_t sub = value >> bucket;
    return static_cast<std::size_t>((static_cast<std::uint64_t>(bucket + 1) << half_magnitude_) +
                                    (sub - half_count_));
  }
  std::uint64_t value_at_index(std::size_t index) const noexcept {
    const auto bucket = static_cast<int>(index >> half_magnitude_) - 1;
    const std::uint64_t sub = (index & (half_count_ - 1)) + half_count_;
    if (bucket < 0) return sub - half_count_;
    return sub << bucket;
  }
  std::uint64_t width_at_index(std::size_t index) const noexcept {
    const auto bucket = static_cast<int>(index >> half_magnitude_) - 1;
    return std::uint64_t{1} << (bucket < 0 ? 0 : bucket);
  }
  // Slots outside [first_slot(), last_slot()] are zero: the walks skip them. Only meaningful
  // when count_ != 0.
  std::size_t first_slot() const noexcept { return index_of(std::min(min_, highest_trackable_)); }
  std::size_t last_slot() const noexcept { return index_of(std::min(max_, highest_trackable_)); }
  double median_at_index(std::size_t index) const noexcept {
    return static_cast<double>(value_at_index(index) + (width_at_index(index) >> 1));
  }

  std::uint64_t rank_of(double q) const noexcept {
    if (!(q > 0.0)) q = 0.0;  // NaN too
    if (q > 1.0) q = 1.0;
    const double wanted = std::ceil(static_cast<double>(count_) * q);
    const std::uint64_t rank = wanted >= 18446744073709551615.0
                                   ? std::numeric_limits<std::uint64_t>::max()
                                   : static_cast<std::uint64_t>(wanted);
    return std::clamp<std::uint64_t>(rank, 1, count_);
  }

  // HdrHistogram's percentile iterator steps: `ticks` rows per halving of the distance to 100 %.
  static double next_percentile_level(double level, int ticks) noexcept {
    const auto halvings = static_cast<long long>(std::log(100.0 / (100.0 - level)) / std::log(2.0));
    const double reporting_ticks =
        static_cast<double>(ticks) * std::pow(2.0, static_cast<double>(halvings + 1));
    return level + 100.0 / reporting_ticks;
  }

  template <class Rep, class Period>
  static std::uint64_t to_ns(std::chrono::duration<Rep, Period> value) noexcept {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(value).count();
    return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
  }

  [[noreturn]] static void fail(const std::string& what) {
    detail::throw_codec_error("log_linear_histogram", what);
  }

  // What both readers produce before the common validation.
  struct entry {
    std::uint32_t index;
    std::uint64_t count;
  };
  struct parts {
    std::uint32_t significant_digits = 0;
    std::uint64_t highest_trackable = 0, count = 0, min = 0, max = 0, clamped = 0;
    std::vector<entry> entries;
  };

  static log_linear_histogram configured(const parts& p, const std::string& where) {
    if (p.significant_digits < 1 || p.significant_digits > 5 || p.highest_trackable < 2)
      fail(where + ": bad configuration (" + std::to_string(p.significant_digits) +
           " digits up to " + std::to_string(p.highest_trackable) + ")");
    return log_linear_histogram(static_cast<int>(p.significant_digits), p.highest_trackable);
  }

  // Refuses any state record() could not have produced, so a corrupted file cannot yield a
  // histogram whose percentiles, min and max disagree.
  static void fill(log_linear_histogram& h, const parts& p, const std::string& where) {
    auto bad = [&](const char* why) { fail(where + ": inconsistent histogram (" + why + ")"); };
    std::uint64_t total = 0;
    for (std::size_t e = 0; e < p.entries.size(); ++e) {
      const entry& en = p.entries[e];
      if (en.index >= h.counts_.size() || en.index > h.clamp_index_)
        bad("bucket index out of range");
      if (e > 0 && en.index <= p.entries[e - 1].index) bad("buckets not in ascending order");
      if (en.count == 0) bad("empty bucket listed");
      h.counts_[en.index] = en.count;
      total = detail::add_saturated(total, en.count);
    }
    // Saturating sums are order-free, so even a saturated histogram adds up exactly; and no
    // bucket exceeding count_ is what keeps record()'s increments from wrapping.
    if (total != p.count) bad("bucket counts do not add up to count");
    if (p.count == 0) {
      if (p.min != 0 || p.max != 0 || p.clamped != 0) bad("empty histogram with non-zero fields");
    } else {
      if (p.min > p.max) bad("min above max");
      if (h.index_of(std::min(p.min, h.highest_trackable_)) != p.entries.front().index)
        bad("min is not in the lowest non-empty bucket");
      if (h.index_of(std::min(p.max, h.highest_trackable_)) != p.entries.back().index)
        bad("max is not in the highest non-empty bucket");
      if ((p.clamped != 0) != (p.max > h.highest_trackable_))
        bad("clamped count disagrees with max");
      if (p.clamped > p.entries.back().count) bad("more clamped samples than in the top bucket");
    }
    h.count_ = p.count;
    h.clamped_ = p.clamped;
    h.min_ = p.count == 0 ? std::numeric_limits<std::uint64_t>::max() : p.min;
    h.max_ = p.max;
  }


  int significant_digits_;
  std::uint64_t highest_trackable_;
  int half_magnitude_ = 0;
  std::uint64_t sub_bucket_count_ = 0;
  std::uint64_t half_count_ = 0;
  std::uint64_t sub_bucket_mask_ = 0;
  int bucket_count_ = 0;
  std::size_t clamp_index_ = 0;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t clamped_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace uring_cannon
