#include <webhookd/model/api_version.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace {

using webhookd::model::latest_api_version;
using webhookd::model::resolve_api_version;

TEST(api_version, latest_is_2024_11_01) {
  EXPECT_EQ(webhookd::format_date(latest_api_version), "2024-11-01");
  EXPECT_EQ(webhookd::model::latest_api_version_string, "2024-11-01");
}

TEST(api_version, the_version_itself_resolves_to_itself) {
  const auto v = resolve_api_version("2024-11-01");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, latest_api_version);
}

TEST(api_version, a_later_date_resolves_to_the_closest_earlier_version) {
  for (const char* later : {"2024-11-02", "2025-01-01", "2099-12-31"}) {
    const auto v = resolve_api_version(later);
    ASSERT_TRUE(v) << later;
    EXPECT_EQ(*v, latest_api_version) << later;
  }
}

TEST(api_version, an_earlier_date_is_refused) {
  for (const char* earlier : {"2024-10-31", "2024-01-01", "1970-01-01"}) {
    const auto v = resolve_api_version(earlier);
    ASSERT_FALSE(v) << earlier;
    EXPECT_EQ(v.error(), "must not be before 2024-11-01");
  }
}

TEST(api_version, malformed_text_is_refused) {
  for (const char* bad : {"", "latest", "2024-11-1", "2024-13-01", "2024-02-30", "2024-11-01T00:00:00Z",
                          " 2024-11-01", "20241101"}) {
    const auto v = resolve_api_version(bad);
    ASSERT_FALSE(v) << bad;
    EXPECT_EQ(v.error(), "must be a YYYY-MM-DD date") << bad;
  }
}

} // namespace
