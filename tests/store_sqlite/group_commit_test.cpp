#include <webhookd/store/sqlite/group_commit.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/query.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

namespace sqlite = webhookd::store::sqlite;
using namespace std::chrono_literals;


struct fixture {
  std::string path = webhookd::testing::fresh_database_path();

  sqlite::connection open() const {
    auto c = sqlite::connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1s);
    EXPECT_TRUE(c.has_value());
    return std::move(*c);
  }

  std::int64_t rows() const {
    auto c = open();
    return *c.query_int("SELECT count(*) FROM t");
  }
};

// A write request that inserts `v`.
auto insert(int v) {
  return [v](sqlite::connection& c) { return sqlite::execute(c, "INSERT INTO t VALUES (?)", v); };
}

sqlite::connection with_table(const fixture& f) {
  auto c = f.open();
  EXPECT_FALSE(c.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER PRIMARY KEY)"));
  return c;
}

TEST(sqlite_group_commit, a_lone_write_commits_in_its_own_transaction) {
  fixture f;
  sqlite::group_commit writer(with_table(f), 64);
  const auto ec = writer.submit(insert(1));
  EXPECT_FALSE(ec);
  EXPECT_EQ(f.rows(), 1); // visible to another connection: committed
  const auto n = writer.counters();
  EXPECT_EQ(n.transactions, 1u);
  EXPECT_EQ(n.requests, 1u);
  EXPECT_EQ(n.largest_batch, 1u);
}

TEST(sqlite_group_commit, concurrent_writes_share_transactions_and_failures_stay_alone) {
  fixture f;
  std::atomic<bool> hold{true};
  std::atomic<std::size_t> batches{0};
  sqlite::group_commit writer(with_table(f), 64, [&](std::size_t) {
    ++batches;
    if (hold.exchange(false)) std::this_thread::sleep_for(150ms); // let the others queue
  });
  constexpr int threads = 8;
  std::vector<std::error_code> errors(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto request = [t](sqlite::connection& c) -> std::error_code {
        if (const auto ec = sqlite::execute(c, "INSERT INTO t VALUES (?)", 100 + t)) return ec;
        if (t == 3) return std::make_error_code(std::errc::invalid_argument); // rolled back alone
        if (t == 5) throw std::runtime_error("a bug in a request");
        return {};
      };
      errors[static_cast<std::size_t>(t)] = writer.submit(request);
    });
    if (t == 0) std::this_thread::sleep_for(30ms); // the first one leads and holds
  }
  for (auto& th : pool) th.join();
  for (int t = 0; t < threads; ++t) {
    if (t == 3) {
      EXPECT_EQ(errors[3], std::errc::invalid_argument);
    } else if (t == 5) {
      EXPECT_EQ(errors[5], sqlite::make_sqlite_error(SQLITE_CORRUPT));
    } else {
      EXPECT_FALSE(errors[static_cast<std::size_t>(t)]) << t;
    }
  }
  EXPECT_EQ(f.rows(), threads - 2);
  const auto n = writer.counters();
  EXPECT_EQ(n.requests, static_cast<std::uint64_t>(threads));
  EXPECT_EQ(n.transactions, batches.load());
  EXPECT_LE(n.transactions, 2u); // the leader's, then everything that queued behind it
  EXPECT_EQ(n.largest_batch, static_cast<std::uint64_t>(threads - 1));
}

TEST(sqlite_group_commit, a_failed_commit_fails_every_request_of_the_batch) {
  fixture f;
  sqlite::group_commit writer(with_table(f), 64);
  auto other = f.open();
  // Another connection holds the write lock: BEGIN IMMEDIATE times out.
  ASSERT_FALSE(other.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (7);"));
  const auto ec = writer.submit(insert(1));
  EXPECT_EQ(ec, std::errc::device_or_resource_busy);
  EXPECT_EQ(writer.counters().failed_transactions, 1u);
  ASSERT_FALSE(other.exec("COMMIT"));
  EXPECT_FALSE(writer.submit(insert(2)));
  EXPECT_EQ(f.rows(), 2);
}

TEST(sqlite_group_commit, batches_are_capped) {
  fixture f;
  std::atomic<bool> hold{true};
  sqlite::group_commit writer(with_table(f), 2, [&](std::size_t) {
    if (hold.exchange(false)) std::this_thread::sleep_for(100ms);
  });
  std::vector<std::thread> pool;
  for (int t = 0; t < 6; ++t) {
    pool.emplace_back([&, t] {
      EXPECT_FALSE(writer.submit(insert(t)));
    });
    if (t == 0) std::this_thread::sleep_for(20ms);
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(f.rows(), 6);
  EXPECT_LE(writer.counters().largest_batch, 2u);
  EXPECT_GE(writer.counters().transactions, 3u);
}

} // namespace
