#include <webhookd/core/clock.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

TEST(clock, system_clock_reads_the_wall_clock) {
  const auto before = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto now = webhookd::default_clock().now();
  const auto after = std::chrono::system_clock::now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

TEST(clock, manual_clock_moves_only_when_told) {
  webhookd::manual_clock clock(webhookd::timestamp{1000ms});
  const webhookd::clock& as_base = clock;
  EXPECT_EQ(as_base.now(), webhookd::timestamp{1000ms});
  clock.advance(5min);
  EXPECT_EQ(as_base.now(), webhookd::timestamp{1000ms + 5min});
  clock.set(webhookd::timestamp{10ms});
  EXPECT_EQ(as_base.now(), webhookd::timestamp{10ms});
}

TEST(clock, manual_clock_is_safe_to_share_between_threads) {
  webhookd::manual_clock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) clock.advance(1ms);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.now(), webhookd::timestamp{4000ms});
}

} // namespace
