#include <webhookd/store/sqlite/connection.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/error.hpp>
#include <webhookd/store/sqlite/query.hpp>
#include <webhookd/store/sqlite/statement.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace {

namespace sqlite = webhookd::store::sqlite;
using webhookd::timestamp;
using namespace std::chrono_literals;

TEST(sqlite_connection, caches_prepared_statements_by_text) {
  auto c = webhookd::testing::open_fresh_connection();
  auto a = c.prepare("SELECT 1");
  auto b = c.prepare(std::string("SELECT ") + "1");
  auto other = c.prepare("SELECT 2");
  ASSERT_TRUE(a && b && other);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *other);
  auto bad = c.prepare("SELEC nonsense");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), sqlite::make_sqlite_error(SQLITE_ERROR));
}

} // namespace
