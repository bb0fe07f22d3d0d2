#pragma once
// A multishot receive: one SQE keeps delivering data into provided buffers for as long as the
// connection lives. Declare it where the connection's coroutine reads, and co_await next().

#include <uring_cannon/detail/multishot_stream.hpp>
#include <uring_cannon/io_result.hpp>

namespace uring_cannon {

class recv_stream : public detail::multishot_stream<recv_stream> {
 public:
  /// Receives from `fd` into buffers of `buffers`. Nothing is submitted before the first next().
  recv_stream(scheduler& s, int fd, buffer_ring& buffers) : multishot_stream(s, fd, &buffers) {}

  /// The next chunk of data; an empty lease at end of stream, or the error that ended it.
  auto next() noexcept {
    struct awaiter : next_awaiter {
      io_result<buffer_lease> await_resume() noexcept {
        const detail::cqe_record record = next_awaiter::await_resume();
        return static_cast<recv_stream*>(stream)->to_result(record);
      }
    };
    return awaiter{next_record()};
  }

  static void prepare(io_uring_sqe* sqe, op_slot& slot, recv_stream& self) noexcept {
    io_uring_prep_recv_multishot(sqe, self.fd(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = self.buffers()->group();
    slot.buffer_group = self.buffers()->group();
  }
  static void discard(detail::cqe_record record, buffer_ring* buffers) noexcept {
    if (record.flags & IORING_CQE_F_BUFFER)
      buffers->give_back(std::uint16_t(record.flags >> IORING_CQE_BUFFER_SHIFT));
  }

 private:
  io_result<buffer_lease> to_result(detail::cqe_record record) noexcept {
    if (record.res < 0) return io_result<buffer_lease>::failure(-record.res);
    if (!(record.flags & IORING_CQE_F_BUFFER)) return buffer_lease{};
    return buffer_lease(*buffers(), std::uint16_t(record.flags >> IORING_CQE_BUFFER_SHIFT), std::uint32_t(record.res));
  }
};

}  // namespace uring_cannon
