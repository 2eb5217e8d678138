#include <webhookd/store/sqlite/schema.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/core/error.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <string>

namespace {

namespace sqlite = webhookd::store::sqlite;
using namespace std::chrono_literals;


sqlite::connection open(const std::string& path) {
  auto c = sqlite::connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1s);
  EXPECT_TRUE(c.has_value());
  return std::move(*c);
}

TEST(sqlite_schema, migrations_are_numbered_one_by_one) {
  int expected = 1;
  for (const auto& m : sqlite::migrations) EXPECT_EQ(m.version, expected++);
  EXPECT_EQ(sqlite::schema_version, expected - 1);
}

TEST(sqlite_schema, a_new_file_is_migrated_to_the_current_version) {
  auto c = open(webhookd::testing::fresh_database_path());
  EXPECT_EQ(*sqlite::read_schema_version(c), 0);
  auto from = sqlite::migrate(c);
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(*from, 0);
  EXPECT_EQ(*sqlite::read_schema_version(c), sqlite::schema_version);
  EXPECT_EQ(*c.query_int("PRAGMA application_id"), 2003265892);
  EXPECT_EQ(*c.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 5);
  // Migrating again does nothing.
  auto again = sqlite::migrate(c);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, sqlite::schema_version);
}

TEST(sqlite_schema, an_old_version_gets_only_the_missing_steps) {
  auto c = open(webhookd::testing::fresh_database_path());
  ASSERT_TRUE(sqlite::migrate(c, 1).has_value());
  EXPECT_EQ(*sqlite::read_schema_version(c), 1);
  EXPECT_EQ(*c.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                         "name = 'deliveries_claimable'"),
            0);
  auto from = sqlite::migrate(c);
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(*from, 1);
  EXPECT_EQ(*c.query_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                         "name = 'deliveries_claimable'"),
            1);
}

TEST(sqlite_schema, a_newer_version_is_refused_and_nothing_changes) {
  auto c = open(webhookd::testing::fresh_database_path());
  const auto set = "PRAGMA user_version = " + std::to_string(sqlite::schema_version + 3);
  ASSERT_FALSE(c.exec(set.c_str()));
  auto r = sqlite::migrate(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), webhookd::errc::schema_too_new);
  EXPECT_EQ(*sqlite::read_schema_version(c), sqlite::schema_version + 3);
  EXPECT_EQ(*c.query_int("SELECT count(*) FROM sqlite_master"), 0);
  EXPECT_FALSE(c.in_transaction());
}

} // namespace
