#pragma once
// Helpers the two histogram tests share: the quantiles they probe, and surgery on serialised
// forms (patch a field, then reseal the checksum so the change reaches the semantic checks).

#include <uring_cannon/detail/histogram_codec.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace test_support {

/// Fixed quantiles, the extremes included, plus 40 random ones drawn with `seed`.
inline std::vector<double> quantiles_to_check(unsigned seed) {
  std::vector<double> qs = {0.0, 0.0001, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 40; ++i) qs.push_back(unit(rng));
  return qs;
}

/// Rewrites the trailing 8-byte checksum of a binary histogram.
inline std::string reseal(std::string bytes) {
  bytes.resize(bytes.size() - 8);
  const std::uint64_t sum = uring_cannon::detail::fnv1a64(bytes);
  uring_cannon::detail::put_u64(bytes, sum);
  return bytes;
}

/// Overwrites the little-endian u64 at `offset`.
inline void put_u64_at(std::string& bytes, std::size_t offset, std::uint64_t v) {
  for (std::size_t b = 0; b < 8; ++b) bytes[offset + b] = static_cast<char>((v >> (8 * b)) & 0xff);
}

/// `text` with the first `from` replaced by `to`; `from` must occur.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace test_support
