#include <uring_cannon/task.hpp>
#include <uring_cannon/scheduler.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace uc = uring_cannon;

namespace {

uc::task<int> answer() { co_return 42; }
uc::task<std::unique_ptr<int>> move_only_value() { co_return std::make_unique<int>(7); }
uc::task<int> add_one(int n) { co_return co_await answer() + n - 41; }

uc::task<int> thrower() {
  throw std::runtime_error("deep failure");
  co_return 0;
}
uc::task<int> middle() { co_return co_await thrower(); }
uc::task<std::string> outer() {
  try {
    co_await middle();
  } catch (const std::runtime_error& e) {
    co_return std::string("caught: ") + e.what();
  }
  co_return "not caught";
}

uc::task<int> leaf(int n) { co_return n; }
uc::task<long> long_chain(int count) {
  long sum = 0;
  for (int i = 0; i < count; ++i) sum += co_await leaf(1);
  co_return sum;
}

uc::task<int> recursive(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await recursive(depth - 1);
}

struct flag_on_destroy {
  bool* flag;
  ~flag_on_destroy() { *flag = true; }
};
uc::task<> holds_guard(bool* destroyed) {
  flag_on_destroy guard{destroyed};
  co_return;
}

}  // namespace

TEST_CASE("task returns values, including move-only ones", "[task]") {
  uc::scheduler s;
  CHECK(s.block_on(answer()) == 42);
  CHECK(s.block_on(add_one(1)) == 2);
  CHECK(*s.block_on(move_only_value()) == 7);
}

TEST_CASE("exceptions travel through nested tasks to the awaiter", "[task]") {
  uc::scheduler s;
  CHECK(s.block_on(outer()) == "caught: deep failure");
  CHECK_THROWS_WITH(s.block_on(middle()), "deep failure");
}

// GCC turns symmetric transfer into a tail call only when optimising and without ASan; clang
// always does. Where it cannot, a million-deep chain would overflow the stack by design.
#if defined(__clang__) || (defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__))
constexpr bool tail_calls_guaranteed = true;
#else
constexpr bool tail_calls_guaranteed = false;
#endif

TEST_CASE("a million synchronous co_awaits do not grow the stack (symmetric transfer)", "[task]") {
  if (!tail_calls_guaranteed) {
    WARN("this compiler configuration does not guarantee tail calls; deep chain not checked");
    return;
  }
  uc::scheduler s;
  CHECK(s.block_on(long_chain(1'000'000)) == 1'000'000);
}

TEST_CASE("recursion through nested tasks", "[task]") {
  uc::scheduler s;
  CHECK(s.block_on(recursive(2000)) == 2000);
}

TEST_CASE("a task destroyed before it starts runs nothing and leaks nothing", "[task]") {
  bool destroyed = false;
  {
    auto t = holds_guard(&destroyed);
    CHECK(t.valid());
    CHECK_FALSE(t.done());
  }
  CHECK_FALSE(destroyed);  // the body never ran, so the guard was never constructed
}

TEST_CASE("task is move-only and moving transfers the frame", "[task]") {
  static_assert(!std::is_copy_constructible_v<uc::task<int>>);
  auto a = answer();
  auto b = std::move(a);
  CHECK_FALSE(a.valid());
  CHECK(b.valid());
  uc::scheduler s;
  CHECK(s.block_on(std::move(b)) == 42);
}
