#pragma once
// task<T>: a lazy coroutine that starts when awaited and hands control back to its awaiter by
// symmetric transfer, so chains of co_await never grow the stack. Values and exceptions travel
// to the awaiter. Frames come from a per-thread recycling allocator.

#include <uring_cannon/detail/frame_allocator.hpp>

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace uring_cannon {

template <class T = void>
class task;

namespace detail {

/// Told when a task with no awaiter (a scheduler's root task) finishes.
struct root_observer {
  virtual void root_finished(std::coroutine_handle<> root) noexcept = 0;

 protected:
  ~root_observer() = default;
};

class promise_base {
 public:
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
      promise_base& promise = self.promise();
      if (promise.continuation_) return promise.continuation_;
      if (promise.observer_ != nullptr) promise.observer_->root_finished(self);
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  static void* operator new(std::size_t size) { return frame_allocator::allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    frame_allocator::deallocate(frame, size);
  }

  void set_continuation(std::coroutine_handle<> continuation) noexcept { continuation_ = continuation; }
  void set_observer(root_observer* observer) noexcept { observer_ = observer; }
  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::coroutine_handle<> continuation_;
  root_observer* observer_ = nullptr;
  std::exception_ptr exception_;
};

template <class T>
class promise final : public promise_base {
 public:
  task<T> get_return_object() noexcept;
  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.emplace(std::forward<U>(value));
  }
  T take_result() {
    rethrow_if_failed();
    assert(value_.has_value());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class promise<void> final : public promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take_result() const { rethrow_if_failed(); }
};

}  // namespace detail

/// A lazily started coroutine producing a T. Move-only; destroying an unfinished task destroys
/// its frame (and with it any operation awaiter inside, which cancels its I/O safely).
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type handle) noexcept : handle_(handle) {}
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { destroy(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }
  bool done() const noexcept { return handle_ && handle_.done(); }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle_type handle;
      bool await_ready() const noexcept { return !handle || handle.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        handle.promise().set_continuation(awaiting);
        return handle;
      }
      T await_resume() { return handle.promise().take_result(); }
    };
    assert(handle_ && "awaiting an empty task");
    return awaiter{handle_};
  }

  /// Gives up ownership of the frame (schedulers take root tasks this way).
  handle_type release() noexcept { return std::exchange(handle_, {}); }
  handle_type handle() const noexcept { return handle_; }

 private:
  void destroy() noexcept {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  handle_type handle_;
};

namespace detail {
template <class T>
task<T> promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}
inline task<void> promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace uring_cannon
