#pragma once
// A per-thread recycling allocator for coroutine frames: freed frames go to a size-class free
// list and are handed out again, so helper coroutines on a request path allocate nothing once
// warm. Under AddressSanitizer recycling is off, so use-after-free still gets caught.

#include <cstddef>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define URING_CANNON_RECYCLE_FRAMES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define URING_CANNON_RECYCLE_FRAMES 0
#endif
#endif
#ifndef URING_CANNON_RECYCLE_FRAMES
#define URING_CANNON_RECYCLE_FRAMES 1
#endif

namespace uring_cannon::detail {

class frame_allocator {
 public:
  static constexpr std::size_t granularity = 64;
  static constexpr std::size_t classes = 64;  // frames up to 4 KiB are recycled

  static void* allocate(std::size_t size) {
    if (URING_CANNON_RECYCLE_FRAMES) {
      const std::size_t cls = class_of(size);
      if (cls < classes && pool_alive()) {
        free_block*& head = pool().heads[cls];
        if (head != nullptr) {
          free_block* block = head;
          head = block->next;
          return block;
        }
        return ::operator new(bytes_of(cls));
      }
    }
    return ::operator new(size);
  }

  static void deallocate(void* frame, std::size_t size) noexcept {
    if (URING_CANNON_RECYCLE_FRAMES) {
      const std::size_t cls = class_of(size);
      if (cls < classes) {
        if (pool_alive()) {
          auto* block = static_cast<free_block*>(frame);
          block->next = pool().heads[cls];
          pool().heads[cls] = block;
        } else {
          ::operator delete(frame);
        }
        return;
      }
    }
    ::operator delete(frame);
  }

 private:
  struct free_block {
    free_block* next;
  };
  struct pool_type {
    free_block* heads[classes] = {};
    pool_type() { alive() = true; }
    ~pool_type() {
      alive() = false;
      for (std::size_t cls = 0; cls < classes; ++cls) {
        while (free_block* block = heads[cls]) {
          heads[cls] = block->next;
          ::operator delete(block);
        }
      }
    }
  };

  static constexpr std::size_t class_of(std::size_t size) noexcept { return (size + granularity - 1) / granularity; }
  static constexpr std::size_t bytes_of(std::size_t cls) noexcept { return cls * granularity; }
  // A trivially destructible flag outlives the pool, so frames freed during thread exit (after
  // the pool is gone) go straight back to the global allocator.
  static bool& alive() noexcept {
    static thread_local bool flag = false;
    return flag;
  }
  static bool pool_alive() noexcept {
    if (!alive()) (void)pool();  // first use on this thread constructs it
    return alive();
  }
  static pool_type& pool() noexcept {
    static thread_local pool_type instance;
    return instance;
  }
};

}  // namespace uring_cannon::detail
