#pragma once
// Shims for liburing helpers that older releases lack. Debian 12 ships liburing 2.3, which has
// io_uring_register_buf_ring but not io_uring_setup_buf_ring (2.4). Every shim is feature-tested:
// with a newer liburing the library's own helper is used.

#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#if __has_include(<liburing/io_uring_version.h>)
#include <liburing/io_uring_version.h>  // appeared in liburing 2.4, with io_uring_setup_buf_ring
#define URING_CANNON_HAVE_SETUP_BUF_RING 1
#else
#define URING_CANNON_HAVE_SETUP_BUF_RING 0
#endif

// Setup flags newer than the installed headers: the kernel rejects unknown ones with EINVAL, and
// the ring falls back, so defining them here is safe.
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_TASKRUN_FLAG
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

namespace uring_cannon::detail {

/// Maps and registers a provided-buffer ring of `entries` (a power of two) for group `group`.
/// Returns nullptr and sets `*error` to -errno on failure.
inline io_uring_buf_ring* setup_buf_ring(io_uring* ring, unsigned entries, std::uint16_t group,
                                         int* error) noexcept {
#if URING_CANNON_HAVE_SETUP_BUF_RING
  return io_uring_setup_buf_ring(ring, entries, group, 0, error);
#else
  const std::size_t bytes = entries * sizeof(io_uring_buf);
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (memory == MAP_FAILED) {
    *error = -errno;
    return nullptr;
  }
  auto* buf_ring = static_cast<io_uring_buf_ring*>(memory);
  io_uring_buf_ring_init(buf_ring);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uintptr_t>(memory);
  registration.ring_entries = entries;
  registration.bgid = group;
  if (int result = io_uring_register_buf_ring(ring, &registration, 0); result < 0) {
    ::munmap(memory, bytes);
    *error = result;
    return nullptr;
  }
  return buf_ring;
#endif
}

/// Unregisters and unmaps a ring made by setup_buf_ring.
inline void free_buf_ring(io_uring* ring, io_uring_buf_ring* buf_ring, unsigned entries,
                          std::uint16_t group) noexcept {
#if URING_CANNON_HAVE_SETUP_BUF_RING
  io_uring_free_buf_ring(ring, buf_ring, entries, group);
#else
  io_uring_unregister_buf_ring(ring, group);
  ::munmap(buf_ring, entries * sizeof(io_uring_buf));
#endif
}

}  // namespace uring_cannon::detail
