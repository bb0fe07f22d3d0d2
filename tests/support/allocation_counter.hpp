#pragma once
// The counting allocator of the zero-allocation tests. catch_main.cpp replaces the global
// operator new (once for the whole test binary) and counts calls per thread, except under
// AddressSanitizer and ThreadSanitizer, whose runtimes own operator new.

#include <cstdint>

namespace test_support {

/// True when allocations are counted in this build.
bool counting_allocations() noexcept;

/// Global operator new calls made on the calling thread so far.
std::uint64_t allocations_on_this_thread() noexcept;

}  // namespace test_support
