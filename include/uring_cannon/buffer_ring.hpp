#pragma once
// Provided-buffer rings (IORING_REGISTER_PBUF_RING): the kernel picks a buffer when data arrives,
// so a receive holds no memory while it waits. A buffer_lease gives its buffer back to the ring
// when it dies.

#include <uring_cannon/detail/liburing_compat.hpp>
#include <uring_cannon/ring.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace uring_cannon {

/// `count` buffers of `buffer_size` bytes registered as buffer group `group`. Made and owned by a
/// scheduler (scheduler::make_buffer_ring), which outlives every lease and operation using it.
class buffer_ring {
 public:
  buffer_ring(ring& owner, std::uint16_t group, unsigned count, std::uint32_t buffer_size)
      : ring_(owner), group_(group), count_(count), buffer_size_(buffer_size) {
    if (count == 0 || (count & (count - 1)) != 0 || count > 32768)
      throw std::invalid_argument("buffer_ring: count must be a power of two up to 32768");
    if (buffer_size == 0) throw std::invalid_argument("buffer_ring: buffer_size must be positive");
    memory_.reset(static_cast<std::byte*>(std::aligned_alloc(64, round_up(std::size_t(count) * buffer_size, 64))));
    if (!memory_) throw std::bad_alloc();
    int error = 0;
    buf_ring_ = detail::setup_buf_ring(owner.native(), count, group, &error);
    if (buf_ring_ == nullptr)
      throw std::system_error(-error, std::system_category(),
                              "registering provided buffer ring " + std::to_string(group));
    for (unsigned bid = 0; bid < count; ++bid)
      io_uring_buf_ring_add(buf_ring_, buffer(std::uint16_t(bid)).data(), buffer_size, std::uint16_t(bid),
                            mask(), int(bid));
    io_uring_buf_ring_advance(buf_ring_, int(count));
    available_ = count;
  }
  buffer_ring(const buffer_ring&) = delete;
  buffer_ring& operator=(const buffer_ring&) = delete;
  ~buffer_ring() { detail::free_buf_ring(ring_.native(), buf_ring_, count_, group_); }

  std::uint16_t group() const noexcept { return group_; }
  unsigned count() const noexcept { return count_; }
  std::uint32_t buffer_size() const noexcept { return buffer_size_; }
  /// Buffers the kernel can still pick from.
  unsigned available() const noexcept { return available_; }

  std::span<std::byte> buffer(std::uint16_t bid) noexcept {
    return {memory_.get() + std::size_t(bid) * buffer_size_, buffer_size_};
  }

  /// Hands buffer `bid` back to the kernel.
  void give_back(std::uint16_t bid) noexcept {
    io_uring_buf_ring_add(buf_ring_, buffer(bid).data(), buffer_size_, bid, mask(), 0);
    io_uring_buf_ring_advance(buf_ring_, 1);
    if (++available_ == 1 && on_refill_ != nullptr) on_refill_(refill_context_);
  }

  /// Bookkeeping: a CQE reported that the kernel took a buffer.
  void note_taken() noexcept { --available_; }

  /// Called (by the scheduler) when the ring goes from empty to having a buffer again.
  void set_refill_callback(void (*callback)(void*), void* context) noexcept {
    on_refill_ = callback;
    refill_context_ = context;
  }

 private:
  struct free_deleter {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  static std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
  int mask() const noexcept { return io_uring_buf_ring_mask(count_); }

  ring& ring_;
  std::uint16_t group_;
  unsigned count_;
  std::uint32_t buffer_size_;
  unsigned available_ = 0;
  std::unique_ptr<std::byte, free_deleter> memory_;
  io_uring_buf_ring* buf_ring_ = nullptr;
  void (*on_refill_)(void*) = nullptr;
  void* refill_context_ = nullptr;
};

/// A received buffer, on loan from its ring until the lease dies. Move-only. An empty lease
/// (size 0) is what a receive returns at end of stream.
class buffer_lease {
 public:
  buffer_lease() noexcept = default;
  buffer_lease(buffer_ring& ring, std::uint16_t bid, std::uint32_t size) noexcept
      : ring_(&ring), bid_(bid), size_(size) {}
  buffer_lease(buffer_lease&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)), bid_(other.bid_), size_(std::exchange(other.size_, 0)) {}
  buffer_lease& operator=(buffer_lease&& other) noexcept {
    if (this != &other) {
      reset();
      ring_ = std::exchange(other.ring_, nullptr);
      bid_ = other.bid_;
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~buffer_lease() { reset(); }

  /// The bytes received.
  std::span<const std::byte> bytes() const noexcept {
    return ring_ ? ring_->buffer(bid_).first(size_) : std::span<const std::byte>{};
  }
  std::string_view chars() const noexcept {
    auto b = bytes();
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint16_t buffer_id() const noexcept { return bid_; }

  /// Gives the buffer back now.
  void reset() noexcept {
    if (ring_ != nullptr) std::exchange(ring_, nullptr)->give_back(bid_);
    size_ = 0;
  }

 private:
  buffer_ring* ring_ = nullptr;
  std::uint16_t bid_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace uring_cannon
