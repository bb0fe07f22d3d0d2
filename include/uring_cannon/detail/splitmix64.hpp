#pragma once
// SplitMix64 (Steele, Lea and Flood; the constants are Vigna's public-domain reference): one add
// and a few multiply-xorshifts per draw. Statistically fine for choosing {RAND} values, cheap enough
// for a per-request hot path, and each connection can own one without sharing state. Not for
// anything secret.

#include <cstdint>

namespace uring_cannon::detail {

/// A 64-bit pseudo-random generator; meets UniformRandomBitGenerator, so <random> accepts it.
class splitmix64 {
 public:
  using result_type = std::uint64_t;

  constexpr explicit splitmix64(std::uint64_t seed = 0) noexcept : state_(seed) {}

  /// The next 64 random bits.
  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15u;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  }
  constexpr result_type operator()() noexcept { return next(); }

  /// Uniform in [0, bound), without modulo bias; `bound` 0 means the whole 64-bit range.
  constexpr std::uint64_t below(std::uint64_t bound) noexcept {
    if (bound == 0) return next();
    // Draws under 2^64 mod bound would make the low residues likelier; skipping them (at most
    // half of all draws, usually almost none) leaves every residue the same number of chances.
    const std::uint64_t skip = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t draw = next();
      if (draw >= skip) return draw % bound;
    }
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return UINT64_MAX; }

 private:
  std::uint64_t state_;
};

}  // namespace uring_cannon::detail
