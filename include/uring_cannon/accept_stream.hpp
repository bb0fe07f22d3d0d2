#pragma once
// A multishot accept: one SQE keeps accepting connections on a listening socket.

#include <uring_cannon/detail/multishot_stream.hpp>
#include <uring_cannon/io_result.hpp>

#include <unistd.h>

namespace uring_cannon {

class accept_stream : public detail::multishot_stream<accept_stream> {
 public:
  /// Accepts on `listening_fd`. Nothing is submitted before the first next().
  accept_stream(scheduler& s, int listening_fd) : multishot_stream(s, listening_fd, nullptr) {}

  /// The next accepted descriptor (yours to close), or the error the kernel reported.
  auto next() noexcept {
    struct awaiter : next_awaiter {
      io_result<int> await_resume() noexcept {
        const detail::cqe_record record = next_awaiter::await_resume();
        return result_from_cqe(record.res, record.res);
      }
    };
    return awaiter{next_record()};
  }

  static void prepare(io_uring_sqe* sqe, op_slot& slot, accept_stream& self) noexcept {
    io_uring_prep_multishot_accept(sqe, self.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    slot.result_is_fd = true;
  }
  static void discard(detail::cqe_record record, buffer_ring*) noexcept {
    if (record.res >= 0) ::close(record.res);
  }
};

}  // namespace uring_cannon
