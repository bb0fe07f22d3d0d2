#pragma once
// The result of parsing or validating user input: a value, or a message a person can act on
// ("bad {SEQ:start} syntax: ..."). io_result carries errnos from the kernel; this carries words.

#include <stdexcept>
#include <string>
#include <utility>

namespace uring_cannon {

/// A T, or the reason there is none.
template <class T>
class [[nodiscard]] or_error {
 public:
  or_error(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  static or_error failure(std::string message) { return or_error(std::move(message), 0); }

  bool ok() const noexcept { return error_.empty(); }
  explicit operator bool() const noexcept { return ok(); }
  /// The message, empty on success.
  const std::string& error() const noexcept { return error_; }

  T& value() & { check(); return value_; }
  const T& value() const& { check(); return value_; }
  T&& value() && { check(); return std::move(value_); }
  T* operator->() noexcept { return &value_; }
  const T* operator->() const noexcept { return &value_; }
  T& operator*() noexcept { return value_; }
  const T& operator*() const noexcept { return value_; }

 private:
  or_error(std::string message, int) : value_(), error_(message.empty() ? "error" : std::move(message)) {}
  void check() const {
    if (!error_.empty()) throw std::invalid_argument(error_);
  }
  T value_;
  std::string error_;
};

}  // namespace uring_cannon
