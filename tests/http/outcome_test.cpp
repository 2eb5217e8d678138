#include <webhookd/http/outcome.hpp> // must be self-contained

#include <webhookd/core/error.hpp>

#include <gtest/gtest.h>

namespace http = webhookd::http;
using namespace std::chrono_literals;

TEST(outcome, answered_and_reason) {
  http::outcome o;
  o.status = 202;
  EXPECT_TRUE(o.answered());
  EXPECT_TRUE(o.success());
  EXPECT_EQ(o.reason(), "");
  o.status = 302;
  EXPECT_FALSE(o.success());
  http::outcome f;
  f.error = webhookd::make_error_code(webhookd::errc::timeout);
  EXPECT_FALSE(f.answered());
  EXPECT_EQ(f.reason(), "timeout");
  f.detail = "timeout after 3000 ms";
  EXPECT_EQ(f.reason(), "timeout after 3000 ms");
}

TEST(outcome, retry_after_seconds_and_dates) {
  const auto now = *webhookd::parse_rfc3339("2015-10-21T07:27:00Z");
  EXPECT_EQ(http::parse_retry_after("120", now), 120s);
  EXPECT_EQ(http::parse_retry_after(" 0 ", now), 0s);
  EXPECT_EQ(http::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 60s);
  EXPECT_EQ(http::parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now), 0s);
  EXPECT_FALSE(http::parse_retry_after("", now));
  EXPECT_FALSE(http::parse_retry_after("-5", now));
  EXPECT_FALSE(http::parse_retry_after("1.5", now));
  EXPECT_FALSE(http::parse_retry_after("Wed, 32 Oct 2015 07:28:00 GMT", now));
  EXPECT_FALSE(http::parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT", now));
  EXPECT_FALSE(http::parse_retry_after("tomorrow", now));
}
