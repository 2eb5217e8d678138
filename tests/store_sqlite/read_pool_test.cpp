#include <webhookd/store/sqlite/read_pool.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/query.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <string>

namespace {

namespace sqlite = webhookd::store::sqlite;
using namespace std::chrono_literals;


TEST(sqlite_read_pool, reuses_idle_connections_and_opens_more_when_busy) {
  const auto path = webhookd::testing::fresh_database_path();
  auto writer = sqlite::connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1s);
  ASSERT_TRUE(writer.has_value());
  ASSERT_FALSE(writer->exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);"));

  sqlite::read_pool pool(path, 1s, 1);
  sqlite::connection* first = nullptr;
  {
    auto a = pool.acquire();
    ASSERT_TRUE(a.has_value());
    first = &**a;
    auto b = pool.acquire(); // a is busy: a second connection
    ASSERT_TRUE(b.has_value());
    EXPECT_NE(&**b, first);
    EXPECT_EQ(*(*b)->query_int("SELECT count(*) FROM t"), 1);
  } // both returned; one is kept (max_idle = 1)
  auto again = pool.acquire();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)->query_int("SELECT x FROM t").value_or(0), 1);
}

TEST(sqlite_read_pool, reader_connections_cannot_write) {
  const auto path = webhookd::testing::fresh_database_path();
  auto writer = sqlite::connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1s);
  ASSERT_TRUE(writer.has_value());
  ASSERT_FALSE(writer->exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x);"));
  sqlite::read_pool pool(path, 1s, 2);
  auto r = pool.acquire();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(sqlite::execute(**r, "INSERT INTO t VALUES (1)"),
            sqlite::make_sqlite_error(SQLITE_READONLY));
}

TEST(sqlite_read_pool, a_missing_file_is_an_error) {
  sqlite::read_pool pool("/nonexistent-dir/none.db", 1s, 2);
  auto r = pool.acquire();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
}

} // namespace
