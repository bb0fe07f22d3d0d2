#pragma once
// The generation-tagged op table. Every SQE's user_data packs (kind, generation, slot index).
// A slot stays taken until its operation's *final* CQE has arrived, so the kernel never writes
// into memory that was handed to someone else. When an operation's owner goes away early, the
// slot's generation moves on: the CQEs still to come no longer match and are dropped as stale.

#include <linux/time_types.h>
#include <sys/socket.h>

#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

namespace uring_cannon {

/// What a CQE belongs to; the top byte of its user_data.
enum class cqe_kind : std::uint8_t {
  none = 0,
  op = 1,            ///< the operation in the slot
  link_timeout = 2,  ///< the linked timeout guarding the operation in the slot
  cancel = 3,        ///< an internal IORING_OP_ASYNC_CANCEL's own CQE: counted, dropped
  close = 4,         ///< an internal close of a socket whose owner is gone: counted, dropped
  wakeup = 5,        ///< the scheduler's cross-thread wakeup (an eventfd poll)
  // 0xff is liburing's LIBURING_UDATA_TIMEOUT (all ones): never produced here.
};

/// (kind, generation, slot) packed into 64 bits: 8 | 24 | 32.
struct op_id {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  ///< 24 bits used

  static constexpr std::uint32_t generation_mask = 0xffffff;

  std::uint64_t user_data(cqe_kind kind) const noexcept {
    return (std::uint64_t(kind) << 56) | (std::uint64_t(generation & generation_mask) << 32) | slot;
  }
  static cqe_kind kind_of(std::uint64_t user_data) noexcept { return cqe_kind(user_data >> 56); }
  static op_id from_user_data(std::uint64_t user_data) noexcept {
    return {std::uint32_t(user_data), std::uint32_t(user_data >> 32) & generation_mask};
  }
  friend bool operator==(op_id, op_id) = default;
};

class completion;

/// Kernel-facing state of one operation: memory the kernel reads after prep (addresses,
/// timespecs) lives here, not in a coroutine frame that might be destroyed.
struct op_slot {
  completion* owner = nullptr;     ///< null while free or draining (owner gone)
  std::uint32_t generation = 1;
  std::uint16_t pending = 0;       ///< final CQEs still to come (2 with a linked timeout)
  std::uint16_t buffer_group = 0;  ///< for returning a stale CQE's provided buffer
  bool primary_done = false;       ///< the operation's own final CQE has arrived
  bool cancel_sent = false;
  bool result_is_fd = false;       ///< a stale result is a descriptor nobody will close: close it
  std::uint32_t next_free = 0;
  __kernel_timespec timeout{};       ///< IORING_OP_TIMEOUT / link timeout
  sockaddr_storage address{};        ///< connect / accept
  socklen_t address_length = 0;
};

/// Slots in chunks that never move (an SQE prepared this turn may point into one).
class op_table {
 public:
  static constexpr std::uint32_t chunk_size = 1024;
  static constexpr std::uint32_t npos = 0xffffffff;

  /// Takes a free slot for `owner`, growing the table when all are taken.
  op_id acquire(completion* owner, std::uint16_t pending) {
    if (free_head_ == npos) [[unlikely]] grow();  // kept out of line: acquire() inlines into every op
    const std::uint32_t index = free_head_;
    op_slot& slot = (*this)[index];
    free_head_ = slot.next_free;
    slot.owner = owner;
    slot.pending = pending;
    slot.primary_done = false;
    slot.cancel_sent = false;
    slot.result_is_fd = false;
    ++in_use_;
    return {index, slot.generation};
  }

  /// Returns a slot whose final CQEs have all arrived.
  void release(std::uint32_t index) noexcept {
    op_slot& slot = (*this)[index];
    assert(slot.pending == 0);
    slot.owner = nullptr;
    slot.generation = (slot.generation + 1) & op_id::generation_mask;
    slot.next_free = free_head_;
    free_head_ = index;
    --in_use_;
  }

  /// Cuts the owner loose: CQEs still to come are stale from now on.
  void orphan(std::uint32_t index) noexcept {
    op_slot& slot = (*this)[index];
    slot.owner = nullptr;
    slot.generation = (slot.generation + 1) & op_id::generation_mask;
  }

  op_slot& operator[](std::uint32_t index) noexcept { return chunks_[index / chunk_size][index % chunk_size]; }
  bool valid(std::uint32_t index) const noexcept { return index < chunks_.size() * chunk_size; }
  /// True when `id` still names the live operation in its slot.
  bool current(op_id id) noexcept { return valid(id.slot) && (*this)[id.slot].generation == id.generation; }
  std::uint32_t in_use() const noexcept { return in_use_; }
  std::size_t capacity() const noexcept { return chunks_.size() * chunk_size; }

 private:
  [[gnu::noinline]] void grow() {
    const auto base = static_cast<std::uint32_t>(chunks_.size() * chunk_size);
    chunks_.push_back(std::make_unique<op_slot[]>(chunk_size));
    op_slot* chunk = chunks_.back().get();
    for (std::uint32_t i = chunk_size; i-- > 0;) {
      chunk[i].next_free = free_head_;
      free_head_ = base + i;
    }
  }

  std::vector<std::unique_ptr<op_slot[]>> chunks_;
  std::uint32_t free_head_ = npos;
  std::uint32_t in_use_ = 0;
};

}  // namespace uring_cannon
