#include <webhookd/store/sqlite/statement.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>
#include <webhookd/store/sqlite/query.hpp>

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

TEST(sqlite_statement, binds_and_reads_every_column_type) {
  auto c = webhookd::testing::open_fresh_connection();
  ASSERT_FALSE(c.exec("CREATE TABLE t (s TEXT, i INTEGER, b INTEGER, at INTEGER, n TEXT)"));
  const timestamp at{std::chrono::milliseconds{1735689600123}};
  const std::optional<std::string> none;
  ASSERT_FALSE(sqlite::execute(c, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", std::string("a\0b", 3),
                               std::int64_t{1} << 40, true, at, none));
  int rows = 0;
  const auto ec = sqlite::for_each_row(c, "SELECT s, i, b, at, n FROM t", [&](sqlite::statement& s) {
    ++rows;
    EXPECT_EQ(s.string(0), std::string("a\0b", 3)); // text with a NUL byte, as bytes
    EXPECT_EQ(s.int64(1), std::int64_t{1} << 40);
    EXPECT_TRUE(s.boolean(2));
    EXPECT_EQ(s.time(3), at);
    EXPECT_TRUE(s.is_null(4));
    EXPECT_EQ(s.optional_string(4), std::nullopt);
    EXPECT_EQ(s.optional_time(4), std::nullopt);
  });
  EXPECT_FALSE(ec);
  EXPECT_EQ(rows, 1);
}

TEST(sqlite_statement, a_binding_error_is_reported_by_step) {
  auto c = webhookd::testing::open_fresh_connection();
  auto s = c.prepare("SELECT ?");
  ASSERT_TRUE(s.has_value());
  sqlite::statement_use use(**s);
  use->bind(2, std::int64_t{1}); // there is no parameter 2
  const auto r = use->step();
  EXPECT_FALSE(r.row);
  EXPECT_EQ(r.error, sqlite::make_sqlite_error(SQLITE_RANGE));
}

} // namespace
