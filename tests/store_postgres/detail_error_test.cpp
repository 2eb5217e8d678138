#include <webhookd/store/postgres/error.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>
#include <system_error>

namespace {

namespace pg = webhookd::store::postgres;

TEST(postgres_error, keeps_the_sqlstate_and_names_it) {
  const auto ec = pg::sqlstate_code("40P01");
  EXPECT_EQ(ec.category(), pg::postgres_category());
  EXPECT_STREQ(pg::postgres_category().name(), "webhookd.postgres");
  EXPECT_TRUE(pg::is_sqlstate(ec, pg::sqlstate::deadlock_detected));
  EXPECT_FALSE(pg::is_sqlstate(ec, pg::sqlstate::serialization_failure));
  EXPECT_NE(ec.message().find("40P01"), std::string::npos) << ec.message();
  EXPECT_NE(pg::sqlstate_code("23505"), pg::sqlstate_code("23503"));
}

TEST(postgres_error, tells_a_lost_connection_from_a_bad_request) {
  EXPECT_TRUE(pg::is_connection_error(pg::sqlstate_code("08006")));
  EXPECT_TRUE(pg::is_connection_error(pg::sqlstate_code("08001")));
  EXPECT_TRUE(pg::is_connection_error(pg::sqlstate_code(pg::sqlstate::admin_shutdown)));
  EXPECT_FALSE(pg::is_connection_error(pg::sqlstate_code("23505")));
  EXPECT_FALSE(pg::is_connection_error(pg::sqlstate_code("42P01")));
  EXPECT_FALSE(pg::is_connection_error(std::make_error_code(std::errc::connection_reset)));
}

} // namespace
