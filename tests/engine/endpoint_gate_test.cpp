#include <webhookd/engine/detail/endpoint_gate.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>

namespace webhookd::engine::detail {
namespace {

using namespace std::chrono_literals;

constexpr timestamp t0{1735689600000ms};

TEST(endpoint_gate, admits_up_to_its_concurrency) {
  endpoint_gate g(3, rate_limit{}, true, t0);
  EXPECT_TRUE(g.admit(t0).admitted);
  EXPECT_TRUE(g.admit(t0).admitted);
  EXPECT_TRUE(g.admit(t0).admitted);
  const auto refused = g.admit(t0);
  EXPECT_FALSE(refused.admitted);
  EXPECT_FALSE(refused.retry_at.has_value()); // wait for a completion, not a time
  g.complete(true, false);
  EXPECT_TRUE(g.admit(t0).admitted);
}

TEST(endpoint_gate, overload_halves_the_limit_down_to_one) {
  endpoint_gate g(8, rate_limit{}, true, t0);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(g.admit(t0).admitted);
  g.complete(false, true);
  EXPECT_EQ(g.limit(), 4u);
  g.complete(false, true);
  EXPECT_EQ(g.limit(), 2u);
  g.complete(false, true);
  g.complete(false, true);
  EXPECT_EQ(g.limit(), 1u);
  EXPECT_EQ(g.throttles(), 4u);
  // Four attempts are still out: nothing more goes until the limit allows it.
  EXPECT_EQ(g.in_flight(), 4u);
  EXPECT_FALSE(g.admit(t0).admitted);
  for (int i = 0; i < 4; ++i) g.complete(false, false); // plain failures do not recover
  EXPECT_EQ(g.limit(), 1u);
  EXPECT_TRUE(g.admit(t0).admitted);
  EXPECT_FALSE(g.admit(t0).admitted);
}

TEST(endpoint_gate, successes_recover_one_step_per_window) {
  endpoint_gate g(4, rate_limit{}, true, t0);
  ASSERT_TRUE(g.admit(t0).admitted);
  g.complete(false, true); // 4 -> 2
  ASSERT_TRUE(g.admit(t0).admitted);
  g.complete(false, true); // 2 -> 1
  ASSERT_EQ(g.limit(), 1u);
  auto succeed = [&] {
    ASSERT_TRUE(g.admit(t0).admitted);
    g.complete(true, false);
  };
  succeed(); // a window of 1 success: 1 -> 2
  EXPECT_EQ(g.limit(), 2u);
  succeed();
  EXPECT_EQ(g.limit(), 2u); // a window of 2 now
  succeed();
  EXPECT_EQ(g.limit(), 3u);
  for (int i = 0; i < 3; ++i) succeed();
  EXPECT_EQ(g.limit(), 4u);
  for (int i = 0; i < 10; ++i) succeed();
  EXPECT_EQ(g.limit(), 4u); // never above the maximum
}

TEST(endpoint_gate, without_adaptation_the_limit_stays) {
  endpoint_gate g(4, rate_limit{}, false, t0);
  ASSERT_TRUE(g.admit(t0).admitted);
  g.complete(false, true);
  EXPECT_EQ(g.limit(), 4u);
  EXPECT_EQ(g.throttles(), 0u);
}

TEST(endpoint_gate, token_bucket_spaces_attempts) {
  endpoint_gate g(100, rate_limit{10.0, 2.0}, true, t0); // 10/s, burst 2
  EXPECT_TRUE(g.admit(t0).admitted);
  EXPECT_TRUE(g.admit(t0).admitted);
  const auto refused = g.admit(t0);
  EXPECT_FALSE(refused.admitted);
  ASSERT_TRUE(refused.retry_at.has_value());
  EXPECT_GE(*refused.retry_at, t0 + 100ms);
  EXPECT_LE(*refused.retry_at, t0 + 102ms);
  EXPECT_FALSE(g.admit(t0 + 99ms).admitted);
  EXPECT_TRUE(g.admit(t0 + 100ms).admitted);
  // A long quiet spell saves no more than the burst.
  EXPECT_TRUE(g.admit(t0 + 10s).admitted);
  EXPECT_TRUE(g.admit(t0 + 10s).admitted);
  EXPECT_FALSE(g.admit(t0 + 10s).admitted);
}

TEST(endpoint_gate, abandon_gives_back_the_slot_without_judging) {
  endpoint_gate g(2, rate_limit{}, true, t0);
  ASSERT_TRUE(g.admit(t0).admitted);
  ASSERT_TRUE(g.admit(t0).admitted);
  g.abandon();
  EXPECT_EQ(g.in_flight(), 1u);
  EXPECT_EQ(g.limit(), 2u);
}

TEST(endpoint_gate, is_at_rest_only_when_nothing_would_be_lost) {
  endpoint_gate g(2, rate_limit{1.0, 1.0}, true, t0);
  EXPECT_TRUE(g.at_rest(t0));
  ASSERT_TRUE(g.admit(t0).admitted);
  EXPECT_FALSE(g.at_rest(t0)); // in flight
  g.complete(false, true);
  EXPECT_FALSE(g.at_rest(t0 + 5s)); // throttled
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(g.admit(t0 + std::chrono::seconds{10 + i}).admitted);
    g.complete(true, false);
  }
  EXPECT_EQ(g.limit(), 2u);
  EXPECT_FALSE(g.at_rest(t0 + 12s)); // the bucket is not full yet
  EXPECT_TRUE(g.at_rest(t0 + 14s));
}

TEST(endpoint_gate, overload_statuses) {
  for (int s : {429, 502, 503, 504}) EXPECT_TRUE(is_overload_status(s)) << s;
  for (int s : {200, 400, 404, 410, 500, 501}) EXPECT_FALSE(is_overload_status(s)) << s;
}

} // namespace
} // namespace webhookd::engine::detail
