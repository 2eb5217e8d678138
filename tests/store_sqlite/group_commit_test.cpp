#include <webhookd/store/sqlite/group_commit.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/store/sqlite/query.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <memory>
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
  EXPECT_EQ(n.rerun_batches, 1u); // the second batch, once, for both failures
}

TEST(sqlite_group_commit, a_failing_request_reruns_its_batch_with_savepoints) {
  fixture f;
  constexpr int threads = 5;
  std::atomic<int> submitted{0};
  std::atomic<bool> hold{true};
  sqlite::group_commit writer(with_table(f), 64, [&](std::size_t) {
    if (!hold.exchange(false)) return;
    // The first batch waits until the others are submitted, so that they share
    // the second one.
    while (submitted.load() < threads - 1) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(50ms);
  });
  // Each request counts its runs. The failing one runs twice: its batch is rolled
  // back and run again with savepoints; those queued before it run twice too, those
  // after it once. Every row but the failed request's is stored, once.
  std::vector<std::atomic<int>> runs(threads);
  std::vector<std::error_code> errors(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      if (t > 0) ++submitted;
      errors[static_cast<std::size_t>(t)] = writer.submit([&, t](sqlite::connection& c) {
        ++runs[static_cast<std::size_t>(t)];
        if (const auto ec = sqlite::execute(c, "INSERT INTO t VALUES (?)", t)) return ec;
        if (t == 4) return sqlite::execute(c, "INSERT INTO t VALUES (0)"); // duplicate key
        return std::error_code{};
      });
    });
    if (t == 0) std::this_thread::sleep_for(30ms); // the first one leads and holds
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(runs[0], 1); // alone in a batch that did not fail
  EXPECT_EQ(runs[4], 2);
  for (int t = 1; t < threads; ++t) {
    EXPECT_GE(runs[static_cast<std::size_t>(t)], 1) << t;
    EXPECT_LE(runs[static_cast<std::size_t>(t)], 2) << t;
    if (t == 4) {
      EXPECT_EQ(errors[4], sqlite::make_sqlite_error(SQLITE_CONSTRAINT_PRIMARYKEY));
    } else {
      EXPECT_FALSE(errors[static_cast<std::size_t>(t)]) << t;
    }
  }
  EXPECT_EQ(f.rows(), threads - 1); // 0..3; nothing of the failed request (its 4)
  auto c = f.open();
  EXPECT_EQ(*c.query_int("SELECT count(*) FROM t WHERE x = 4"), 0);
  const auto n = writer.counters();
  EXPECT_EQ(n.transactions, 2u);
  EXPECT_EQ(n.largest_batch, static_cast<std::uint64_t>(threads - 1));
  EXPECT_EQ(n.rerun_batches, 1u);
  EXPECT_EQ(n.failed_transactions, 0u);
}

TEST(sqlite_group_commit, batches_without_failures_run_once) {
  fixture f;
  sqlite::group_commit writer(with_table(f), 64);
  int runs = 0;
  for (int v = 0; v < 3; ++v) {
    EXPECT_FALSE(writer.submit([&, v](sqlite::connection& c) {
      ++runs;
      return sqlite::execute(c, "INSERT INTO t VALUES (?)", v);
    }));
  }
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(writer.counters().rerun_batches, 0u);
  EXPECT_EQ(f.rows(), 3);
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

TEST(sqlite_group_commit, after_commit_fsyncs_the_wal_before_callers_return) {
  fixture f;
  std::atomic<std::uint64_t> syncs_at_commit{0};
  std::unique_ptr<sqlite::group_commit> writer;
  writer = std::make_unique<sqlite::group_commit>(
      with_table(f), 64,
      [&](std::size_t) { syncs_at_commit = writer->counters().syncs; },
      sqlite::commit_sync::after_commit);
  for (int v = 0; v < 3; ++v) {
    EXPECT_FALSE(writer->submit(insert(v)));
    // Returned only after an fdatasync that came after this batch's COMMIT.
    EXPECT_GT(writer->counters().syncs, syncs_at_commit.load()) << v;
  }
  EXPECT_EQ(f.rows(), 3);
  const auto n = writer->counters();
  EXPECT_EQ(n.transactions, 3u);
  EXPECT_GE(n.syncs, 3u);
}

TEST(sqlite_group_commit, in_commit_leaves_the_fsync_to_sqlite) {
  fixture f;
  sqlite::group_commit writer(with_table(f), 64);
  EXPECT_FALSE(writer.submit(insert(1)));
  EXPECT_EQ(writer.counters().syncs, 0u);
  EXPECT_EQ(f.rows(), 1);
}

TEST(sqlite_group_commit, after_commit_needs_wal_mode) {
  fixture f;
  auto c = f.open();
  ASSERT_FALSE(c.exec("CREATE TABLE t (x INTEGER PRIMARY KEY)")); // rollback journal
  EXPECT_THROW(sqlite::group_commit(std::move(c), 64, {}, sqlite::commit_sync::after_commit),
               std::system_error);
}

} // namespace
