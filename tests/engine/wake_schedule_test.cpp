#include <webhookd/engine/detail/wake_schedule.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace webhookd::engine::detail {
namespace {

using namespace std::chrono_literals;

constexpr timestamp wheel_t0{1735689600000ms};

TEST(wake_schedule, wakes_at_the_earliest_due_time) {
  wake_schedule w(wheel_t0);
  EXPECT_FALSE(w.next().has_value());
  w.add(wheel_t0 + 5min, "01JGZ5R8W3XKQ0000000000001");
  w.add(wheel_t0 + 30s, "01JGZ5R8W3XKQ0000000000002");
  EXPECT_EQ(w.next(), wheel_t0 + 30s);
  EXPECT_EQ(w.deliveries(), 2u);
  EXPECT_EQ(w.fire(wheel_t0 + 29s), 0u);
  EXPECT_EQ(w.fire(wheel_t0 + 30s), 1u);
  EXPECT_EQ(w.next(), wheel_t0 + 5min);
  EXPECT_EQ(w.fire(wheel_t0 + 1h), 1u);
  EXPECT_EQ(w.deliveries(), 0u);
  EXPECT_FALSE(w.next().has_value());
}

TEST(wake_schedule, recycles_entries) {
  wake_schedule w(wheel_t0);
  for (int round = 0; round < 3; ++round) {
    const timestamp base = wheel_t0 + std::chrono::hours{round};
    for (int i = 0; i < 100; ++i) w.add(base + std::chrono::milliseconds{i + 1}, std::to_string(i));
    EXPECT_EQ(w.deliveries(), 100u);
    EXPECT_EQ(w.fire(base + 1s), 100u);
  }
  EXPECT_EQ(w.deliveries(), 0u);
}

TEST(wake_schedule, store_hint_is_replaced_not_added) {
  wake_schedule w(wheel_t0);
  w.hint_store(wheel_t0 + 10s);
  w.hint_store(wheel_t0 + 20s);
  EXPECT_EQ(w.next(), wheel_t0 + 20s);
  EXPECT_EQ(w.deliveries(), 0u);
  EXPECT_EQ(w.fire(wheel_t0 + 20s), 1u);
  EXPECT_FALSE(w.next().has_value());
}

TEST(wake_schedule, gate_hint_keeps_the_earliest) {
  wake_schedule w(wheel_t0);
  w.hint_gate(wheel_t0 + 10s);
  w.hint_gate(wheel_t0 + 20s);
  EXPECT_EQ(w.next(), wheel_t0 + 10s);
  w.hint_gate(wheel_t0 + 5s);
  EXPECT_EQ(w.next(), wheel_t0 + 5s);
  EXPECT_EQ(w.fire(wheel_t0 + 5s), 1u);
  w.hint_gate(wheel_t0 + 20s); // fired: a later hint is taken again
  EXPECT_EQ(w.next(), wheel_t0 + 20s);
}

TEST(wake_schedule, long_ids_are_cut_to_the_capacity) {
  wake_schedule w(wheel_t0);
  w.add(wheel_t0 + 1s, std::string(100, 'x'));
  EXPECT_EQ(w.deliveries(), 1u);
  EXPECT_EQ(w.fire(wheel_t0 + 1s), 1u);
}

TEST(wake_schedule, destroying_with_pending_entries_is_clean) {
  auto w = std::make_unique<wake_schedule>(wheel_t0);
  w->add(wheel_t0 + 1s, "a");
  w->hint_store(wheel_t0 + 2s);
  w->hint_gate(wheel_t0 + 3s);
  w.reset(); // the sanitizer build checks no entry is touched after it is gone
  SUCCEED();
}

} // namespace
} // namespace webhookd::engine::detail
