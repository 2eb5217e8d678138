#include <webhookd/store/sqlite/query.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/error.hpp>
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

TEST(sqlite_query, for_each_row_can_stop_early_and_rewinds) {
  auto c = webhookd::testing::open_fresh_connection();
  ASSERT_FALSE(c.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);"));
  std::vector<std::int64_t> seen;
  EXPECT_FALSE(sqlite::for_each_row(c, "SELECT x FROM t ORDER BY x", [&](sqlite::statement& s) {
    seen.push_back(s.int64(0));
    return seen.size() < 2;
  }));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2}));
  // The statement was reset: no read transaction stays open, and it runs again from the top.
  EXPECT_FALSE(c.in_transaction());
  seen.clear();
  EXPECT_FALSE(sqlite::for_each_row(c, "SELECT x FROM t ORDER BY x",
                                    [&](sqlite::statement& s) { seen.push_back(s.int64(0)); }));
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(*c.query_int("SELECT count(*) FROM t"), 3);
  EXPECT_FALSE(sqlite::execute(c, "DELETE FROM t WHERE x > ?", 1));
  EXPECT_EQ(c.changes(), 2);
}

} // namespace
