#include <webhookd/core/time.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace {

using namespace std::chrono;
using webhookd::timestamp;

timestamp at(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms = 0) {
  return timestamp{sys_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi} +
         seconds{s} + milliseconds{ms};
}

TEST(time, formats_whole_seconds_as_lucca_timestamp) {
  EXPECT_EQ(webhookd::format_rfc3339_seconds(at(2025, 1, 1, 8, 34, 23)), "2025-01-01T08:34:23Z");
  // Sub-second digits are truncated, never rounded up into the next second.
  EXPECT_EQ(webhookd::format_rfc3339_seconds(at(2025, 1, 1, 8, 34, 23, 999)),
            "2025-01-01T08:34:23Z");
  EXPECT_EQ(webhookd::format_rfc3339_seconds(timestamp{}), "1970-01-01T00:00:00Z");
}

TEST(time, formats_milliseconds_for_resources) {
  EXPECT_EQ(webhookd::format_rfc3339(at(2023, 4, 23, 9, 23, 54, 1)), "2023-04-23T09:23:54.001Z");
  EXPECT_EQ(webhookd::format_rfc3339(at(2024, 2, 29, 23, 59, 59, 999)), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(webhookd::format_rfc3339(at(9999, 12, 31, 0, 0, 0)), "9999-12-31T00:00:00.000Z");
}

TEST(time, write_does_not_need_a_string) {
  char buffer[webhookd::rfc3339_seconds_length + 1] = {};
  char* end = webhookd::write_rfc3339_seconds(buffer, at(2001, 2, 3, 4, 5, 6));
  EXPECT_EQ(end - buffer, 20);
  EXPECT_STREQ(buffer, "2001-02-03T04:05:06Z");
}

TEST(time, parses_both_forms_and_fractions_of_any_length) {
  EXPECT_EQ(*webhookd::parse_rfc3339("2025-01-01T08:34:23Z"), at(2025, 1, 1, 8, 34, 23));
  EXPECT_EQ(*webhookd::parse_rfc3339("2023-04-23T09:23:54.001Z"), at(2023, 4, 23, 9, 23, 54, 1));
  EXPECT_EQ(*webhookd::parse_rfc3339("2023-04-23T09:23:54.1Z"), at(2023, 4, 23, 9, 23, 54, 100));
  // The seeds carry four digits (2024-04-15T23:12:54.0001Z): kept to the millisecond.
  EXPECT_EQ(*webhookd::parse_rfc3339("2024-04-15T23:12:54.0001Z"), at(2024, 4, 15, 23, 12, 54));
  EXPECT_EQ(*webhookd::parse_rfc3339("2024-04-15T23:12:54.123456789Z"),
            at(2024, 4, 15, 23, 12, 54, 123));
  EXPECT_EQ(*webhookd::parse_rfc3339("2024-04-15t23:12:54z"), at(2024, 4, 15, 23, 12, 54));
}

TEST(time, applies_offsets) {
  EXPECT_EQ(*webhookd::parse_rfc3339("2025-01-01T10:34:23+02:00"), at(2025, 1, 1, 8, 34, 23));
  EXPECT_EQ(*webhookd::parse_rfc3339("2024-12-31T23:04:23-09:30"), at(2025, 1, 1, 8, 34, 23));
  EXPECT_EQ(*webhookd::parse_rfc3339("2025-01-01T08:34:23-00:00"), at(2025, 1, 1, 8, 34, 23));
}

TEST(time, rejects_what_is_not_rfc3339) {
  for (const char* bad : {"", "2025-01-01", "2025-01-01T08:34:23", "2025-01-01 08:34:23Z",
                          "2025-1-01T08:34:23Z", "2025-01-01T08:34Z", "2025-13-01T08:34:23Z",
                          "2023-02-29T08:34:23Z", "2025-01-32T08:34:23Z", "2025-01-01T24:00:00Z",
                          "2025-01-01T08:60:00Z", "2025-01-01T08:34:60Z", "2025-01-01T08:34:23.Z",
                          "2025-01-01T08:34:23+0200", "2025-01-01T08:34:23+24:00",
                          "2025-01-01T08:34:23Zjunk", " 2025-01-01T08:34:23Z", "２025-01-01T08:34:23Z"}) {
    const auto r = webhookd::parse_rfc3339(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error(), webhookd::errc::invalid_timestamp) << bad;
  }
}

TEST(time, leap_days_are_valid_only_in_leap_years) {
  EXPECT_TRUE(webhookd::parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(webhookd::parse_rfc3339("2000-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(webhookd::parse_rfc3339("1900-02-29T00:00:00Z").has_value());
}

TEST(time, random_instants_round_trip_through_both_forms) {
  std::mt19937_64 rng(20261123);
  const auto lo = at(1970, 1, 1, 0, 0, 0).time_since_epoch().count();
  const auto hi = at(9999, 12, 31, 23, 59, 59, 999).time_since_epoch().count();
  std::uniform_int_distribution<std::int64_t> dist(lo, hi);
  for (int i = 0; i < 20000; ++i) {
    const timestamp t{milliseconds{dist(rng)}};
    ASSERT_EQ(*webhookd::parse_rfc3339(webhookd::format_rfc3339(t)), t);
    ASSERT_EQ(*webhookd::parse_rfc3339(webhookd::format_rfc3339_seconds(t)), floor<seconds>(t));
  }
}

TEST(time, dates) {
  const auto d = webhookd::parse_date("2024-11-01");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(webhookd::format_date(*d), "2024-11-01");
  EXPECT_FALSE(webhookd::parse_date("2024-11-31").has_value());
  EXPECT_FALSE(webhookd::parse_date("2024-11-01T00:00:00Z").has_value());
  EXPECT_FALSE(webhookd::parse_date("20241101").has_value());
}

} // namespace
