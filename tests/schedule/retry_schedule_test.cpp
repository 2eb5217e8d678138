#include <webhookd/schedule/retry_schedule.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

using namespace std::chrono_literals;
using webhookd::schedule::delay;
using webhookd::schedule::retry_schedule;

// A generator that always returns the same raw value: u = 0 (min), ~0.5 or ~1 (max).
struct fixed_generator {
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type value;
  result_type operator()() const { return value; }
};

constexpr fixed_generator lowest{0};
constexpr fixed_generator middle{std::uint64_t{1} << 63};
constexpr fixed_generator highest{std::numeric_limits<std::uint64_t>::max()};

TEST(retry_schedule, default_is_five_attempts_over_about_a_day) {
  const retry_schedule s;
  EXPECT_EQ(s, retry_schedule::lucca());
  EXPECT_EQ(s.delays(), (std::vector<delay>{5min, 30min, 3h, 20h}));
  EXPECT_DOUBLE_EQ(s.jitter(), 0.10);
  EXPECT_EQ(s.retry_after_cap(), 24h);
  EXPECT_EQ(s.max_attempts(), 5u);
  EXPECT_EQ(s.total(), 23h + 35min);
  EXPECT_EQ(s.to_string(), "5m,30m,3h,20h");
}

TEST(retry_schedule, whole_default_schedule_in_virtual_time) {
  // Without jitter's randomness (u = 0.5): the nominal times, then failed.
  const retry_schedule s;
  auto rng = middle;
  std::vector<delay> at; // since the first attempt
  delay elapsed{0};
  std::size_t attempts = 0;
  for (;;) {
    const auto d = s.next_delay(attempts, std::nullopt, rng);
    if (!d) break;
    elapsed += *d;
    at.push_back(elapsed);
    ++attempts; // the attempt is made, and fails
  }
  EXPECT_EQ(attempts, 5u);
  EXPECT_EQ(at, (std::vector<delay>{0ms, 5min, 35min, 3h + 35min, 23h + 35min}));
}

TEST(retry_schedule, first_attempt_is_at_once_and_exhaustion_gives_up) {
  const retry_schedule s;
  std::mt19937_64 rng(1);
  EXPECT_EQ(s.next_delay(0, std::nullopt, rng), delay{0});
  EXPECT_EQ(s.next_delay(5, std::nullopt, rng), std::nullopt);
  EXPECT_EQ(s.next_delay(6, 1h, rng), std::nullopt); // Retry-After buys no extra attempt
  EXPECT_EQ(s.nominal_delay(1), 5min);
  EXPECT_EQ(s.nominal_delay(4), 20h);
  EXPECT_EQ(s.nominal_delay(5), std::nullopt);
}

TEST(retry_schedule, jitter_stays_within_ten_percent_and_spreads) {
  const retry_schedule s;
  std::mt19937_64 rng(2025);
  for (std::size_t n = 1; n <= 4; ++n) {
    const delay nominal = *s.nominal_delay(n);
    delay lo = delay::max(), hi = delay::min();
    for (int i = 0; i < 20000; ++i) {
      const delay d = *s.next_delay(n, std::nullopt, rng);
      ASSERT_GE(d.count(), static_cast<std::int64_t>(nominal.count() * 0.9) - 1);
      ASSERT_LE(d.count(), static_cast<std::int64_t>(nominal.count() * 1.1) + 1);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // The spread is used, not just a corner of it.
    EXPECT_LT(lo.count(), nominal.count() * 0.91);
    EXPECT_GT(hi.count(), nominal.count() * 1.09);
  }
}

TEST(retry_schedule, jitter_bounds_are_exact_at_the_generator_extremes) {
  const retry_schedule s;
  EXPECT_EQ(s.next_delay(1, std::nullopt, lowest), delay{270'000});   // 5 min - 10 %
  EXPECT_EQ(s.next_delay(1, std::nullopt, middle), delay{300'000});   // 5 min
  EXPECT_EQ(s.next_delay(1, std::nullopt, highest), delay{330'000});  // 5 min + 10 %
  EXPECT_EQ(s.next_delay(4, std::nullopt, lowest), 18h);
  EXPECT_EQ(s.next_delay(4, std::nullopt, highest), 22h);
}

TEST(retry_schedule, same_seed_same_schedule) {
  const retry_schedule s;
  std::mt19937_64 a(99), b(99);
  for (std::size_t n = 0; n <= 5; ++n) EXPECT_EQ(s.next_delay(n, {}, a), s.next_delay(n, {}, b));
}

TEST(retry_schedule, default_generator_overload_respects_bounds) {
  const retry_schedule s;
  for (int i = 0; i < 100; ++i) {
    const delay d = *s.next_delay(2);
    EXPECT_GE(d, 27min);
    EXPECT_LE(d, 33min);
  }
  EXPECT_EQ(s.next_delay(5), std::nullopt);
}

TEST(retry_schedule, retry_after_is_a_floor) {
  const retry_schedule s;
  // Shorter than the scheduled delay: the schedule wins.
  EXPECT_EQ(s.next_delay(1, 60s, middle), 5min);
  // Longer: the receiver's wish wins, without jitter.
  EXPECT_EQ(s.next_delay(1, 2h, lowest), 2h);
  EXPECT_EQ(s.next_delay(1, 2h, highest), 2h);
  // Negative counts as zero.
  EXPECT_EQ(s.next_delay(1, -5s, middle), 5min);
}

TEST(retry_schedule, retry_after_is_capped_at_24_hours_by_default) {
  const retry_schedule s;
  EXPECT_EQ(s.next_delay(1, 7 * 24h, middle), 24h);
  // The cap bounds the floor, not the schedule: 20 h + 10 % stays above 22 h.
  EXPECT_EQ(s.next_delay(4, 48h, middle), 24h);
  EXPECT_EQ(s.next_delay(4, 1h, highest), 22h);
}

TEST(retry_schedule, retry_after_cap_is_configurable) {
  const retry_schedule s({1s, 2s}, 0.0, 10min);
  EXPECT_EQ(s.retry_after_cap(), 10min);
  EXPECT_EQ(s.next_delay(1, 1h, middle), 10min);
  EXPECT_EQ(s.next_delay(1, 5min, middle), 5min);
  const retry_schedule no_floor({1s}, 0.0, 0ms);
  EXPECT_EQ(no_floor.next_delay(1, 1h, middle), 1s);
}

TEST(retry_schedule, lucca_old_has_fifteen_growing_retries) {
  const auto s = retry_schedule::lucca_old();
  ASSERT_EQ(s.delays().size(), 15u);
  EXPECT_EQ(s.max_attempts(), 16u);
  for (std::size_t i = 1; i < s.delays().size(); ++i) EXPECT_GT(s.delays()[i], s.delays()[i - 1]);
  EXPECT_EQ(s.total(), 77h + 8min);
  EXPECT_EQ(s.to_string(), "1m,2m,5m,10m,20m,30m,1h,2h,3h,4h,6h,8h,12h,16h,1d");
  EXPECT_EQ(s.next_delay(16, {}, middle), std::nullopt);
}

TEST(retry_schedule, aggressive_preset_runs_in_seconds_exactly) {
  const auto s = retry_schedule::aggressive();
  std::mt19937_64 rng(3);
  EXPECT_DOUBLE_EQ(s.jitter(), 0.0);
  std::vector<delay> got;
  for (std::size_t n = 1; auto d = s.next_delay(n, std::nullopt, rng); ++n) got.push_back(*d);
  EXPECT_EQ(got, (std::vector<delay>{1s, 2s, 4s, 8s}));
}

TEST(retry_schedule, any_list_and_the_empty_one) {
  const retry_schedule s({250ms, 0ms, 90s});
  EXPECT_EQ(s.next_delay(2, std::nullopt, highest), 0ms); // zero stays zero under jitter
  EXPECT_EQ(s.to_string(), "250ms,0s,1m30s");
  const retry_schedule none(std::vector<delay>{});
  EXPECT_EQ(none.max_attempts(), 1u);
  EXPECT_EQ(none.next_delay(0, std::nullopt, middle), 0ms);
  EXPECT_EQ(none.next_delay(1, std::nullopt, middle), std::nullopt);
  EXPECT_EQ(none.to_string(), "none");
}

TEST(retry_schedule, constructor_rejects_misconfiguration) {
  EXPECT_THROW(retry_schedule({1s}, 1.0), std::invalid_argument);
  EXPECT_THROW(retry_schedule({1s}, -0.1), std::invalid_argument);
  EXPECT_THROW(retry_schedule({1s, -1s}), std::invalid_argument);
  EXPECT_THROW(retry_schedule({1s}, 0.1, -1s), std::invalid_argument);
}

TEST(retry_schedule, parses_lists_of_delays) {
  const auto s = retry_schedule::parse("1s,5s,30m,3h");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->delays(), (std::vector<delay>{1s, 5s, 30min, 3h}));
  EXPECT_DOUBLE_EQ(s->jitter(), 0.10);

  const auto t = retry_schedule::parse(" 250ms , 1h30m,2d, 10min ", 0.0, 1h);
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_EQ(t->delays(), (std::vector<delay>{250ms, 90min, 48h, 10min}));
  EXPECT_EQ(t->retry_after_cap(), 1h);

  const auto none = retry_schedule::parse("none");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->delays().empty());
}

TEST(retry_schedule, to_string_round_trips) {
  for (const auto& s : {retry_schedule::lucca(), retry_schedule::lucca_old(),
                        retry_schedule::aggressive(), retry_schedule({1001ms, 3h + 1ms, 0ms})}) {
    const auto back = retry_schedule::parse(s.to_string(), s.jitter(), s.retry_after_cap());
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(*back, s);
  }
}

TEST(retry_schedule, parse_errors_name_the_bad_item) {
  struct bad_case {
    const char* text;
    std::size_t index;
    const char* item;
    const char* message;
  };
  const bad_case cases[] = {
      {"", 0, "", "retry schedule: empty (use \"none\" for no retries)"},
      {"   ", 0, "", "retry schedule: empty (use \"none\" for no retries)"},
      {"1s,5s,30x", 3, "30x",
       "retry schedule item 3 \"30x\": unknown unit \"x\" (expected ms, s, m, h or d)"},
      {"1s,,5s", 2, "", "retry schedule item 2 \"\": empty item"},
      {"1s,5s,", 3, "", "retry schedule item 3 \"\": empty item"},
      {"5", 1, "5", "retry schedule item 1 \"5\": missing unit after 5 (expected ms, s, m, h or d)"},
      {"1s,h", 2, "h", "retry schedule item 2 \"h\": expected a number, found \"h\""},
      {"-5s", 1, "-5s", "retry schedule item 1 \"-5s\": expected a number, found \"-5s\""},
      {"1.5h", 1, "1.5h", "retry schedule item 1 \"1.5h\": unexpected \".5h\" after 1"},
      {"1s, 2 s", 2, "2 s", "retry schedule item 2 \"2 s\": unexpected \" s\" after 2"},
      {"400d", 1, "400d", "retry schedule item 1 \"400d\": longer than 366 days"},
      {"9999999999999s", 1, "9999999999999s", "retry schedule item 1 \"9999999999999s\": number too large"},
      {"1S", 1, "1S", "retry schedule item 1 \"1S\": unknown unit \"S\" (expected ms, s, m, h or d)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto r = retry_schedule::parse(c.text);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().index, c.index);
    EXPECT_EQ(r.error().item, c.item);
    EXPECT_EQ(r.error().message(), c.message);
  }
  EXPECT_FALSE(retry_schedule::parse("1s", 1.5).has_value());
  EXPECT_FALSE(retry_schedule::parse("1s", 0.1, -1s).has_value());
}

} // namespace
