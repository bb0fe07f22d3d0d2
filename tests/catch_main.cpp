// g++ sees Catch's inlined `delete` reach the replacement below, which frees with std::free, and
// takes it for a mismatched pair; the replacement's new allocates with std::malloc, so it is not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"

#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define URING_CANNON_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define URING_CANNON_UNDER_SANITIZER 1
#endif
#endif

namespace {
thread_local std::uint64_t allocations = 0;
}

namespace test_support {
#ifdef URING_CANNON_UNDER_SANITIZER
bool counting_allocations() noexcept { return false; }
#else
bool counting_allocations() noexcept { return true; }
#endif
std::uint64_t allocations_on_this_thread() noexcept { return allocations; }
}  // namespace test_support

#ifndef URING_CANNON_UNDER_SANITIZER
void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
