#include <uring_cannon/op_table.hpp>

#include <catch2/catch.hpp>

namespace uc = uring_cannon;

TEST_CASE("user_data packs kind, generation and slot and unpacks them", "[op_table]") {
  const uc::op_id id{123456, 0xabcdef};
  const auto user_data = id.user_data(uc::cqe_kind::link_timeout);
  CHECK(uc::op_id::kind_of(user_data) == uc::cqe_kind::link_timeout);
  CHECK(uc::op_id::from_user_data(user_data) == id);
  CHECK(user_data != ~std::uint64_t(0));  // never liburing's internal timeout marker
}

TEST_CASE("released slots come back with a new generation", "[op_table]") {
  uc::op_table table;
  auto first = table.acquire(nullptr, 1);
  CHECK(table.in_use() == 1);
  CHECK(table.current(first));
  table[first.slot].pending = 0;
  table.release(first.slot);
  CHECK(table.in_use() == 0);
  CHECK_FALSE(table.current(first));
  auto second = table.acquire(nullptr, 1);
  CHECK(second.slot == first.slot);  // LIFO reuse: the hot slot stays in cache
  CHECK(second.generation != first.generation);
}

TEST_CASE("an orphaned slot stays taken until drained", "[op_table]") {
  uc::op_table table;
  auto id = table.acquire(nullptr, 2);
  table.orphan(id.slot);
  CHECK_FALSE(table.current(id));
  CHECK(table.in_use() == 1);
  auto other = table.acquire(nullptr, 1);
  CHECK(other.slot != id.slot);
}

TEST_CASE("the table grows in stable chunks", "[op_table]") {
  uc::op_table table;
  auto first = table.acquire(nullptr, 1);
  uc::op_slot* address = &table[first.slot];
  for (unsigned i = 0; i < 3 * uc::op_table::chunk_size; ++i) (void)table.acquire(nullptr, 1);
  CHECK(&table[first.slot] == address);
  CHECK(table.capacity() >= 3 * uc::op_table::chunk_size + 1);
  CHECK(table.in_use() == 3 * uc::op_table::chunk_size + 1);
}
