#pragma once
// The result of an I/O operation: a value, or the -errno the kernel reported. Checking is cheap
// and never throws; value() throws std::system_error for code that prefers exceptions.

#include <cstring>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace uring_cannon {

/// A value of type T, or an errno. `io_result<void>` carries only the errno.
template <class T = void>
class [[nodiscard]] io_result {
 public:
  io_result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  static io_result failure(int error) noexcept { return io_result(error, 0); }

  bool ok() const noexcept { return error_ == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The positive errno (ECONNREFUSED, ETIME, ...), or 0 on success.
  int error() const noexcept { return error_; }
  std::error_code error_code() const noexcept { return {error_, std::system_category()}; }

  T& value() & { check(); return value_; }
  T&& value() && { check(); return std::move(value_); }
  T* operator->() noexcept { return &value_; }
  T& operator*() noexcept { return value_; }

 private:
  io_result(int error, int) : value_(), error_(error) {}
  void check() const {
    if (error_ != 0) throw std::system_error(error_code());
  }
  T value_;
  int error_ = 0;
};

template <>
class [[nodiscard]] io_result<void> {
 public:
  io_result() noexcept = default;
  static io_result failure(int error) noexcept {
    io_result r;
    r.error_ = error;
    return r;
  }
  bool ok() const noexcept { return error_ == 0; }
  explicit operator bool() const noexcept { return ok(); }
  int error() const noexcept { return error_; }
  std::error_code error_code() const noexcept { return {error_, std::system_category()}; }
  void value() const {
    if (error_ != 0) throw std::system_error(error_code());
  }

 private:
  int error_ = 0;
};

/// Turns a CQE result (value >= 0, or -errno) into an io_result.
template <class T>
io_result<T> result_from_cqe(int res, T value) {
  if (res < 0) return io_result<T>::failure(-res);
  return io_result<T>(std::move(value));
}

/// The message for an errno, e.g. "Connection refused".
inline std::string error_message(int error) { return std::error_code(error, std::system_category()).message(); }

}  // namespace uring_cannon
