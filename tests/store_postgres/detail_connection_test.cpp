#include <webhookd/store/postgres/connection.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace {

namespace pg = webhookd::store::postgres;

TEST(postgres_array_builder, quotes_every_text_element) {
  pg::array_builder a;
  a.push("plain");
  a.push(R"(q"b\)");
  a.push(std::nullopt);
  a.push("NULL");
  a.push("");
  EXPECT_EQ(a.str(), R"({"plain","q\"b\\",NULL,"NULL",""})");
  pg::array_builder n;
  n.push_int(-3);
  n.push_int(std::nullopt);
  n.push_bool(true);
  EXPECT_EQ(n.str(), "{-3,NULL,t}");
  EXPECT_EQ(pg::array_builder{}.str(), "{}");
}

TEST(postgres_params, numbers_placeholders_in_order) {
  pg::params p;
  EXPECT_EQ(p.add("a"), "$1");
  EXPECT_EQ(p.add(std::int64_t{7}), "$2");
  EXPECT_EQ(p.add_null(), "$3");
  EXPECT_EQ(p.add(true), "$4");
  const auto values = p.pointers();
  ASSERT_EQ(values.size(), 4u);
  EXPECT_STREQ(values[0], "a");
  EXPECT_STREQ(values[1], "7");
  EXPECT_EQ(values[2], nullptr);
  EXPECT_STREQ(values[3], "t");
}

TEST(postgres_connection, reports_a_refused_connection_as_a_connection_error) {
  // Port 1 on loopback: nothing listens there.
  pg::connection c("host=127.0.0.1 port=1 connect_timeout=2");
  EXPECT_FALSE(c.ok());
  auto r = c.exec("SELECT 1");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(pg::is_connection_error(r.error()));
  EXPECT_FALSE(c.last_error().empty());
}

} // namespace
