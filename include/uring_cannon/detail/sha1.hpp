#pragma once
// SHA-1 (FIPS 180-4), here only because the WebSocket handshake is defined with it
// (Sec-WebSocket-Accept). SHA-1 is broken for collision resistance; do not use it for anything
// that needs a secure hash.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace uring_cannon::detail {

/// An incremental SHA-1: update() any number of times, then finish() once.
class sha1 {
 public:
  using digest = std::array<std::uint8_t, 20>;

  /// Hashes `size` more bytes of the message.
  void update(const void* data, std::size_t size) noexcept {
    if (size == 0) return;  // data may be null
    auto bytes = static_cast<const unsigned char*>(data);
    total_bytes_ += size;
    if (pending_ != 0) {  // top up a partial block first
      const std::size_t take = size < block_.size() - pending_ ? size : block_.size() - pending_;
      std::memcpy(block_.data() + pending_, bytes, take);
      pending_ += take;
      bytes += take;
      size -= take;
      if (pending_ < block_.size()) return;
      compress(block_.data());
      pending_ = 0;
    }
    for (; size >= block_.size(); bytes += block_.size(), size -= block_.size()) compress(bytes);
    if (size != 0) std::memcpy(block_.data(), bytes, size);
    pending_ = size;
  }
  void update(std::string_view text) noexcept { update(text.data(), text.size()); }

  /// Pads the message and returns its digest; the object must not be updated afterwards.
  digest finish() noexcept {
    const std::uint64_t bit_length = total_bytes_ * 8;
    block_[pending_++] = 0x80;
    if (pending_ > 56) {  // no room for the length: it goes in one more block
      std::memset(block_.data() + pending_, 0, block_.size() - pending_);
      compress(block_.data());
      pending_ = 0;
    }
    std::memset(block_.data() + pending_, 0, 56 - pending_);
    for (int i = 0; i < 8; ++i) block_[56 + i] = std::uint8_t(bit_length >> (56 - 8 * i));
    compress(block_.data());
    digest out{};
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t j = 0; j < 4; ++j) out[4 * i + j] = std::uint8_t(state_[i] >> (24 - 8 * j));
    return out;
  }

 private:
  static constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

  void compress(const unsigned char* block) noexcept {
    std::uint32_t w[80];
    for (int t = 0; t < 16; ++t)
      w[t] = std::uint32_t(block[4 * t]) << 24 | std::uint32_t(block[4 * t + 1]) << 16 |
             std::uint32_t(block[4 * t + 2]) << 8 | std::uint32_t(block[4 * t + 3]);
    for (int t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3], e = state_[4];
    for (int t = 0; t < 80; ++t) {
      std::uint32_t f, k;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      const std::uint32_t next = rotl(a, 5) + f + e + k + w[t];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = next;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
  }

  std::array<std::uint32_t, 5> state_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::array<unsigned char, 64> block_{};
  std::size_t pending_ = 0;  // bytes waiting in block_
  std::uint64_t total_bytes_ = 0;
};

/// The SHA-1 digest of `text` in one call.
inline sha1::digest sha1_digest(std::string_view text) noexcept {
  sha1 h;
  h.update(text);
  return h.finish();
}

}  // namespace uring_cannon::detail
