#pragma once
// RAII io_uring: tries the fastest setup flags first and strips them one by one when the kernel
// refuses, probes the opcodes the library uses, and never fails to hand out an SQE.

#include <uring_cannon/detail/liburing_compat.hpp>

#include <sys/resource.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>

namespace uring_cannon {

/// What the running kernel gave us, for tests, diagnostics and the CLI's `--version` output.
struct ring_features {
  bool single_issuer = false;   ///< IORING_SETUP_SINGLE_ISSUER accepted
  bool defer_taskrun = false;   ///< IORING_SETUP_DEFER_TASKRUN accepted
  bool coop_taskrun = false;    ///< IORING_SETUP_COOP_TASKRUN accepted
  bool ext_arg = false;         ///< IORING_FEAT_EXT_ARG: waits with a timeout need no timeout SQE
  bool cqe_skip = false;        ///< IORING_FEAT_CQE_SKIP
  bool nodrop = false;          ///< IORING_FEAT_NODROP: CQ overflow is buffered, not lost
  bool socket_op = false;       ///< IORING_OP_SOCKET
  bool send_zc = false;         ///< IORING_OP_SEND_ZC (6.0, the same release as multishot recv)
  bool recv_multishot = false;  ///< multishot recv with provided buffers (kernel 6.0+)
  unsigned sq_entries = 0;
  unsigned cq_entries = 0;

  /// One line, e.g. "io_uring: single_issuer defer_taskrun ext_arg recv_multishot ...".
  std::string describe() const {
    std::string s = "io_uring:";
    auto add = [&](bool on, const char* name) {
      if (on) (s += ' ') += name;
    };
    add(single_issuer, "single_issuer");
    add(defer_taskrun, "defer_taskrun");
    add(coop_taskrun, "coop_taskrun");
    add(ext_arg, "ext_arg");
    add(cqe_skip, "cqe_skip");
    add(nodrop, "nodrop");
    add(socket_op, "socket_op");
    add(send_zc, "send_zc");
    add(recv_multishot, "recv_multishot");
    s += " sq=" + std::to_string(sq_entries) + " cq=" + std::to_string(cq_entries);
    return s;
  }
};

struct ring_options {
  unsigned entries = 1024;     ///< submission queue size
  unsigned cq_entries = 0;     ///< completion queue size; 0 means 8 x entries (multishot needs room)
  bool single_issuer = true;   ///< ask for SINGLE_ISSUER | DEFER_TASKRUN (the ring stays on one thread)
};

/// One io_uring instance. Not thread-safe: one ring belongs to one thread.
class ring {
 public:
  explicit ring(ring_options options = {}) {
    const unsigned cq = options.cq_entries ? options.cq_entries : options.entries * 8;
    // Strongest first; each EINVAL strips the newest flag. SUBMIT_ALL keeps a batch going past one
    // bad SQE (that SQE's error arrives as its CQE).
    const unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    const unsigned attempts[] = {
        options.single_issuer ? base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN : base,
        options.single_issuer ? base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN : base,
        base | IORING_SETUP_COOP_TASKRUN,
        base,
        IORING_SETUP_CQSIZE,
    };
    int result = -EINVAL;
    unsigned used = 0;
    for (unsigned flags : attempts) {
      io_uring_params params{};
      params.flags = flags;
      params.cq_entries = cq;
      result = io_uring_queue_init_params(options.entries, &ring_, &params);
      if (result == 0) {
        used = flags;
        features_.ext_arg = params.features & IORING_FEAT_EXT_ARG;
        features_.cqe_skip = params.features & IORING_FEAT_CQE_SKIP;
        features_.nodrop = params.features & IORING_FEAT_NODROP;
        features_.sq_entries = params.sq_entries;
        features_.cq_entries = params.cq_entries;
        break;
      }
      if (result != -EINVAL) break;
    }
    if (result < 0) throw std::system_error(-result, std::system_category(), setup_failure(-result));
    features_.single_issuer = used & IORING_SETUP_SINGLE_ISSUER;
    features_.defer_taskrun = used & IORING_SETUP_DEFER_TASKRUN;
    features_.coop_taskrun = used & IORING_SETUP_COOP_TASKRUN;
    if (io_uring_probe* probe = io_uring_get_probe_ring(&ring_)) {
      features_.socket_op = io_uring_opcode_supported(probe, IORING_OP_SOCKET);
      features_.send_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
      io_uring_free_probe(probe);
    }
    features_.recv_multishot = features_.send_zc;
  }

  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring() { io_uring_queue_exit(&ring_); }

  io_uring* native() noexcept { return &ring_; }
  const ring_features& features() const noexcept { return features_; }

  /// A free SQE. When the submission queue is full it is flushed to the kernel first, so callers
  /// never see "no SQE".
  io_uring_sqe* get_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  /// Makes sure the next `count` get_sqe calls come from one batch (a linked pair must not be
  /// split by a flush).
  void reserve(unsigned count) noexcept {
    if (io_uring_sq_space_left(&ring_) < count) io_uring_submit(&ring_);
  }

  /// Submits what is queued and processes deferred completions without waiting.
  int submit() noexcept { return io_uring_submit_and_get_events(&ring_); }

  /// Submits what is queued and waits for at least one completion, or until `timeout` passes
  /// (nullptr: no limit). Returns -ETIME on timeout, -EINTR on a signal.
  int submit_and_wait(__kernel_timespec* timeout) noexcept {
    if (timeout == nullptr) return io_uring_submit_and_wait(&ring_, 1);
    io_uring_cqe* cqe = nullptr;
    return io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout, nullptr);
  }

  /// Up to `max` ready completions, without consuming them (see cq_advance).
  unsigned peek_batch(io_uring_cqe** cqes, unsigned max) noexcept {
    return io_uring_peek_batch_cqe(&ring_, cqes, max);
  }
  void cq_advance(unsigned count) noexcept { io_uring_cq_advance(&ring_, count); }
  unsigned cq_ready() const noexcept { return io_uring_cq_ready(&ring_); }

 private:
  static std::string setup_failure(int error) {
    std::string message = "io_uring_setup failed";
    if (error == ENOMEM) {
      rlimit limit{};
      ::getrlimit(RLIMIT_MEMLOCK, &limit);
      message += " (ENOMEM: the locked-memory limit is " + std::to_string(limit.rlim_cur) +
                 " bytes; raise it with `ulimit -l` or use fewer/smaller rings)";
    } else if (error == ENOSYS || error == EPERM) {
      message += " (io_uring is unavailable or disabled: check kernel.io_uring_disabled)";
    }
    return message;
  }

  io_uring ring_{};
  ring_features features_{};
};

}  // namespace uring_cannon
