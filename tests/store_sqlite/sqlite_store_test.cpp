// The SQLite store beyond the conformance suite: durability across reopening, schema
// versions, damaged files, group commit under concurrent publishers, reads beside a
// long write, and recovery of a previous run's leases.
#include <webhookd/store/sqlite_store.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/schema.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

namespace store = webhookd::store;
namespace sqlite = webhookd::store::sqlite;
namespace model = webhookd::model;
using webhookd::errc;
using webhookd::timestamp;
using webhookd::testing::fresh_database_path;
using namespace std::chrono_literals;


const timestamp t0{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

sqlite::connection raw_connection(const std::string& path) {
  auto c = sqlite::connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5s);
  EXPECT_TRUE(c.has_value());
  return std::move(*c);
}

class sqlite_store_test : public ::testing::Test {
protected:
  std::string path_ = fresh_database_path();
  webhookd::id_generator ids_{42};

  std::string add_endpoint(store::sqlite_store& s) {
    store::endpoint_record r;
    r.endpoint.id = ids_.next(t0);
    r.endpoint.webhook_url = "https://receiver.example.com/hook";
    r.endpoint.topics = {"*"};
    r.endpoint.status = model::endpoint_status::active;
    r.endpoint.secret = "secret";
    r.endpoint.created_at = t0;
    r.endpoint.last_updated_at = t0;
    auto created = s.create_endpoint(r);
    EXPECT_TRUE(created.has_value());
    return r.endpoint.id;
  }

  store::enqueue_request fan_out(const std::vector<std::string>& endpoints) {
    store::enqueue_request r;
    r.event.emplace();
    r.event->id = ids_.next(t0);
    r.event->topic = "employee.created";
    r.event->occurred_at = t0;
    r.event->source = "https://example.ilucca.net";
    r.event->data = nlohmann::json{{"id", 7}, {"name", "Ada"}};
    for (const auto& ep : endpoints) {
      model::webhook_delivery d;
      d.id = ids_.next(t0);
      d.event = model::reference{r.event->id, "event", ""};
      d.webhook_endpoint = model::reference{ep, "webhook-endpoint", ""};
      d.next_attempt_at = t0;
      r.deliveries.push_back(std::move(d));
    }
    return r;
  }

  static store::claim_request claim(std::string owner, timestamp at, std::size_t max = 100) {
    store::claim_request c;
    c.now = at;
    c.max = max;
    c.owner = std::move(owner);
    c.lease_duration = 30s;
    return c;
  }
};

TEST_F(sqlite_store_test, declares_itself_blocking) {
  static_assert(store::is_blocking_store_v<store::sqlite_store>);
  static_assert(store::delivery_store<store::sqlite_store>);
}

TEST_F(sqlite_store_test, data_survives_closing_and_reopening) {
  std::string endpoint;
  store::enqueue_request published;
  {
    store::sqlite_store s(path_);
    endpoint = add_endpoint(s);
    published = fan_out({endpoint, endpoint});
    ASSERT_TRUE(s.enqueue(published, t0).has_value());
    ASSERT_TRUE(s.rotate_secret(endpoint, "second", t0 + 24h, t0).has_value());
  }
  store::sqlite_store s(path_);
  auto e = s.get_endpoint(endpoint);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->endpoint.secret, "second");
  EXPECT_EQ(e->previous_secret, "secret");
  EXPECT_EQ(e->version, 2u);
  EXPECT_EQ(*s.get_event(published.event->id), *published.event);
  for (const auto& d : published.deliveries) EXPECT_EQ(*s.get_delivery(d.id), d);
  auto claimed = s.claim_due(claim("w", t0));
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->size(), 2u);
}

TEST_F(sqlite_store_test, every_write_is_fsynced_before_it_returns_in_either_sync_mode) {
  for (const auto mode : {sqlite::commit_sync::after_commit, sqlite::commit_sync::in_commit}) {
    const std::string path = path_ + (mode == sqlite::commit_sync::in_commit ? "-in" : "-after");
    store::sqlite_store_options options;
    options.sync = mode;
    store::enqueue_request published;
    {
      store::sqlite_store s(path, options);
      const auto endpoint = add_endpoint(s);
      published = fan_out({endpoint});
      const auto before = s.write_counters();
      ASSERT_TRUE(s.enqueue(published, t0).has_value());
      const auto after = s.write_counters();
      EXPECT_EQ(after.transactions - before.transactions, 1u);
      // after_commit: the store's own fdatasync of the WAL, one per batch at least;
      // in_commit: SQLite's, inside COMMIT.
      if (mode == sqlite::commit_sync::after_commit) {
        EXPECT_GE(after.syncs - before.syncs, 1u);
      } else {
        EXPECT_EQ(after.syncs, 0u);
      }
    }
    store::sqlite_store reopened(path, options);
    EXPECT_EQ(*reopened.get_event(published.event->id), *published.event);
  }
}

TEST_F(sqlite_store_test, a_previous_runs_leases_are_recoverable) {
  store::enqueue_request published;
  {
    store::sqlite_store s(path_);
    const auto endpoint = add_endpoint(s);
    published = fan_out({endpoint, endpoint});
    ASSERT_TRUE(s.enqueue(published, t0).has_value());
    auto claimed = s.claim_due(claim("host:1:run-1", t0, 1));
    ASSERT_TRUE(claimed.has_value());
    ASSERT_EQ(claimed->size(), 1u);
  } // the process "crashes" holding one lease
  store::sqlite_store s(path_);
  auto others = s.claim_due(claim("host:1:run-2", t0, 10));
  ASSERT_TRUE(others.has_value());
  ASSERT_EQ(others->size(), 1u); // the other one is still leased
  // Restarting under the same owner name hands the old leases back at once ...
  auto released = s.release("host:1:run-1");
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(*released, 1u);
  auto recovered = s.claim_due(claim("host:1:run-2", t0, 10));
  ASSERT_TRUE(recovered.has_value());
  ASSERT_EQ(recovered->size(), 1u);
  EXPECT_EQ(recovered->front().delivery.id, published.deliveries[0].id);
  // ... and without a release, an expired lease is claimable by anyone.
  auto after_expiry = s.claim_due(claim("host:2:run-1", t0 + 31s, 10));
  ASSERT_TRUE(after_expiry.has_value());
  EXPECT_EQ(after_expiry->size(), 2u);
}

// Claims read unleased deliveries and expired leases from two indexes; the result
// must still be the one due order (next_attempt_at, id) of requirement 6.
TEST_F(sqlite_store_test, claims_merge_expired_leases_into_the_due_order) {
  store::sqlite_store s(path_);
  const auto endpoint = add_endpoint(s);
  std::vector<std::string> ids;
  for (int i = 1; i <= 4; ++i) {
    auto r = fan_out({endpoint});
    r.deliveries[0].next_attempt_at = t0 + std::chrono::seconds{10 * i};
    ids.push_back(r.deliveries[0].id);
    ASSERT_TRUE(s.enqueue(r, t0).has_value());
  }
  auto claimed = [&](store::claim_request c) {
    auto r = s.claim_due(c);
    EXPECT_TRUE(r.has_value());
    std::vector<std::string> out;
    if (r)
      for (const auto& d : *r) out.push_back(d.delivery.id);
    return out;
  };
  auto short_lease = claim("first", t0 + 20s, 1);
  short_lease.lease_duration = 5s;
  EXPECT_EQ(claimed(short_lease), std::vector<std::string>{ids[0]}); // leased until +25 s
  auto long_lease = claim("first", t0 + 22s, 1);
  long_lease.lease_duration = 100s;
  EXPECT_EQ(claimed(long_lease), std::vector<std::string>{ids[1]}); // ids[0] is still leased
  // At +40 s: ids[0]'s lease has expired (due at +10 s), ids[1] is leased, ids[2]
  // was never leased (+30 s), ids[3] is due at +40 s.
  EXPECT_EQ(*s.next_due_at(t0 + 40s), t0 + 10s);
  EXPECT_EQ(claimed(claim("second", t0 + 40s, 2)), (std::vector<std::string>{ids[0], ids[2]}));
  EXPECT_EQ(claimed(claim("second", t0 + 40s, 10)), std::vector<std::string>{ids[3]});
  EXPECT_EQ(*s.next_due_at(t0 + 40s), t0 + 70s); // the +40 s claims' leases end at +70 s
  // With per-endpoint limits (every lease has expired at +200 s): the same order.
  auto limited = claim("third", t0 + 200s, 10);
  limited.max_in_flight_per_endpoint = 2;
  EXPECT_EQ(claimed(limited), (std::vector<std::string>{ids[0], ids[1]}));
}

TEST_F(sqlite_store_test, refuses_a_schema_newer_than_it_knows_and_leaves_the_file_alone) {
  {
    auto c = raw_connection(path_);
    ASSERT_FALSE(c.exec("CREATE TABLE future (x); INSERT INTO future VALUES (1);"));
    const auto set = "PRAGMA user_version = " + std::to_string(sqlite::schema_version + 1);
    ASSERT_FALSE(c.exec(set.c_str()));
  }
  const auto before = file_bytes(path_);
  auto opened = store::sqlite_store::open(path_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error(), errc::schema_too_new);
  EXPECT_EQ(opened.error().message(), "store schema is newer than this webhookd");
  try {
    store::sqlite_store s(path_);
    ADD_FAILURE() << "opened a newer schema";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::schema_too_new);
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos);
  }
  EXPECT_EQ(file_bytes(path_), before);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal")); // not switched to WAL either
}

TEST_F(sqlite_store_test, migrates_an_old_schema_keeping_its_data) {
  const std::string endpoint = ids_.next(t0), event = ids_.next(t0), delivery = ids_.next(t0);
  {
    auto c = raw_connection(path_);
    auto migrated = sqlite::migrate(c, 1);
    ASSERT_TRUE(migrated.has_value());
    EXPECT_EQ(*migrated, 0);
    EXPECT_EQ(*sqlite::read_schema_version(c), 1);
    model::webhook_endpoint e;
    e.id = endpoint;
    e.webhook_url = "https://receiver.example.com/hook";
    e.topics = {"*"};
    e.status = model::endpoint_status::active;
    e.created_at = t0;
    e.last_updated_at = t0;
    model::event ev;
    ev.id = event;
    ev.topic = "employee.created";
    ev.occurred_at = t0;
    ASSERT_FALSE(sqlite::execute(
        c,
        "INSERT INTO endpoints (id, status, version, topics, secret, resource) "
        "VALUES (?, 'active', 1, '[\"*\"]', 'secret', ?)",
        endpoint, sqlite::endpoint_resource(e)));
    ASSERT_FALSE(sqlite::execute(
        c, "INSERT INTO events (id, topic, created_at, resource) VALUES (?, ?, ?, ?)", event,
        ev.topic, t0, sqlite::event_resource(ev)));
    ASSERT_FALSE(sqlite::execute(
        c,
        "INSERT INTO deliveries (id, event_id, endpoint_id, status, attempts_count, "
        "next_attempt_at, ignore_endpoint_status, created_at) "
        "VALUES (?, ?, ?, 'undelivered', 0, ?, 0, ?)",
        delivery, event, endpoint, t0, t0));
  }
  store::sqlite_store s(path_);
  {
    auto c = raw_connection(path_);
    EXPECT_EQ(*sqlite::read_schema_version(c), sqlite::schema_version);
    EXPECT_EQ(*c.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'deliveries_claimable'"), 1);
  }
  EXPECT_EQ(s.get_endpoint(endpoint)->endpoint.secret, "secret");
  EXPECT_EQ(s.get_event(event)->topic, "employee.created");
  auto claimed = s.claim_due(claim("w", t0));
  ASSERT_TRUE(claimed.has_value());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().delivery.id, delivery);
  EXPECT_EQ(claimed->front().event->id, event);
}

TEST_F(sqlite_store_test, a_file_that_is_not_a_database_is_refused_with_a_clear_error) {
  std::string garbage;
  for (int i = 0; i < 512; ++i) garbage += "this is not an SQLite database. ";
  write_file(path_, garbage);
  auto opened = store::sqlite_store::open(path_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().category(), sqlite::error_category());
  EXPECT_EQ(opened.error().value(), SQLITE_NOTADB);
  EXPECT_EQ(opened.error().message(), "file is not a database");
  EXPECT_EQ(file_bytes(path_), garbage);

  auto nowhere = store::sqlite_store::open((std::filesystem::path(path_) / "no" / "dir.db").string());
  ASSERT_FALSE(nowhere.has_value());
  EXPECT_EQ(nowhere.error(), std::errc::no_such_file_or_directory); // SQLITE_CANTOPEN
  EXPECT_THROW(store::sqlite_store{"/nonexistent-dir/x/y.db"}, std::system_error);
}

TEST_F(sqlite_store_test, damaged_pages_give_errors_not_crashes) {
  std::vector<std::string> events;
  {
    store::sqlite_store s(path_);
    const auto endpoint = add_endpoint(s);
    for (int i = 0; i < 50; ++i) {
      auto r = fan_out({endpoint});
      r.event->data["padding"] = std::string(2000, 'x'); // several pages of events
      ASSERT_TRUE(s.enqueue(r, t0).has_value());
      events.push_back(r.event->id);
    }
  } // closed: the WAL is checkpointed into the file
  auto bytes = file_bytes(path_);
  ASSERT_GT(bytes.size(), 8192u);
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
  write_file(path_, bytes);

  auto opened = store::sqlite_store::open(path_);
  if (!opened) {
    EXPECT_FALSE(opened.error().message().empty());
    return;
  }
  store::sqlite_store& s = **opened;
  int failures = 0;
  for (const auto& id : events) failures += s.get_event(id).has_value() ? 0 : 1;
  auto page = s.list_events(store::event_filter{}, store::page_request{});
  failures += page.has_value() ? 0 : 1;
  auto stats = s.stats(t0);
  if (!stats) {
    EXPECT_FALSE(stats.error().message().empty());
  }
  EXPECT_GT(failures, 0) << "every page but the first was overwritten";
}

TEST_F(sqlite_store_test, an_unreadable_row_is_an_error_not_an_exception) {
  store::enqueue_request published;
  store::sqlite_store s(path_);
  const auto endpoint = add_endpoint(s);
  published = fan_out({endpoint});
  ASSERT_TRUE(s.enqueue(published, t0).has_value());
  {
    auto c = raw_connection(path_);
    ASSERT_FALSE(sqlite::execute(c, "UPDATE events SET resource = '{not json' WHERE id = ?",
                                 published.event->id));
  }
  auto e = s.get_event(published.event->id);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error(), sqlite::make_sqlite_error(SQLITE_CORRUPT));
  // On the write path too: a claim needs the event, and fails as a whole.
  auto claimed = s.claim_due(claim("w", t0));
  ASSERT_FALSE(claimed.has_value());
  EXPECT_EQ(claimed.error(), sqlite::make_sqlite_error(SQLITE_CORRUPT));
  // Nothing was leased by the failed claim.
  EXPECT_EQ(s.stats(t0)->in_flight, 0);
}

TEST_F(sqlite_store_test, concurrent_publishers_all_land_in_fewer_commits) {
  constexpr int threads = 8;
  constexpr int per_thread = 25;
  std::atomic<bool> first_commit{true};
  store::sqlite_store_options options;
  // Hold the first batch a moment so that the other publishers queue behind it;
  // the fsyncs alone batch them too, but not deterministically.
  options.before_commit = [&](std::size_t) {
    if (first_commit.exchange(false)) std::this_thread::sleep_for(100ms);
  };
  store::sqlite_store s(path_, options);
  std::vector<std::string> endpoints;
  for (int i = 0; i < 3; ++i) endpoints.push_back(add_endpoint(s));
  first_commit = true;
  const auto before = s.write_counters();

  std::vector<store::enqueue_request> requests;
  for (int i = 0; i < threads * per_thread; ++i) requests.push_back(fan_out(endpoints));
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        if (!s.enqueue(requests[static_cast<std::size_t>(t * per_thread + i)], t0)) ++failures;
    });
  }
  for (auto& th : pool) th.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*s.count_events(store::event_filter{}), threads * per_thread);
  EXPECT_EQ(*s.count_deliveries(store::delivery_filter{}), threads * per_thread * 3);
  const auto after = s.write_counters();
  const auto transactions = after.transactions - before.transactions;
  EXPECT_EQ(after.requests - before.requests, static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_LT(transactions, static_cast<std::uint64_t>(threads * per_thread))
      << "every enqueue paid its own commit";
  EXPECT_GE(after.largest_batch, 2u);
  EXPECT_EQ(after.failed_transactions, 0u);
  // Every event that was acknowledged is there after a reopen.
  store::sqlite_store reopened(path_);
  EXPECT_EQ(*reopened.count_deliveries(store::delivery_filter{}), threads * per_thread * 3);
}

TEST_F(sqlite_store_test, reads_proceed_while_a_long_write_batch_runs) {
  std::mutex m;
  std::condition_variable cv;
  bool block = false, in_commit = false, resume = false;
  store::sqlite_store_options options;
  options.before_commit = [&](std::size_t) {
    std::unique_lock lock(m);
    if (!block) return;
    in_commit = true;
    cv.notify_all();
    cv.wait(lock, [&] { return resume; });
  };
  store::sqlite_store s(path_, options);
  const auto endpoint = add_endpoint(s);
  const auto first = fan_out({endpoint});
  ASSERT_TRUE(s.enqueue(first, t0).has_value());

  {
    std::lock_guard lock(m);
    block = true;
  }
  const auto second = fan_out({endpoint});
  std::thread writer([&] { EXPECT_TRUE(s.enqueue(second, t0).has_value()); });
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return in_commit; }));
  }
  // The writer holds its transaction open; every read still answers, from the last
  // committed state.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(*s.get_event(first.event->id), *first.event);
  EXPECT_EQ(s.get_event(second.event->id).error(), errc::not_found);
  EXPECT_EQ(*s.count_deliveries(store::delivery_filter{}), 1);
  EXPECT_EQ(s.list_events(store::event_filter{}, store::page_request{})->items.size(), 1u);
  EXPECT_EQ(s.stats(t0)->due, 1);
  EXPECT_EQ(s.endpoints_for_topic("employee.created")->size(), 1u);
  EXPECT_EQ(*s.next_due_at(t0), t0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  {
    std::lock_guard lock(m);
    resume = true;
    block = false;
  }
  cv.notify_all();
  writer.join();
  EXPECT_EQ(*s.get_event(second.event->id), *second.event); // visible once committed
}

TEST_F(sqlite_store_test, a_failing_request_rolls_back_alone_in_its_batch) {
  std::atomic<bool> first_commit{false};
  store::sqlite_store_options options;
  options.before_commit = [&](std::size_t) {
    if (first_commit.exchange(false)) std::this_thread::sleep_for(150ms);
  };
  store::sqlite_store s(path_, options);
  const auto endpoint = add_endpoint(s);
  const auto taken = fan_out({endpoint});
  ASSERT_TRUE(s.enqueue(taken, t0).has_value());

  // One publisher holds a batch open; three queue behind it, one of which reuses an
  // event id. They share a transaction; only the bad one fails.
  first_commit = true;
  std::vector<store::enqueue_request> good{fan_out({endpoint}), fan_out({endpoint}), fan_out({endpoint})};
  auto bad = fan_out({endpoint});
  bad.event->id = taken.event->id;
  const auto before = s.write_counters();
  std::thread lead([&] { EXPECT_TRUE(s.enqueue(good[0], t0).has_value()); });
  std::this_thread::sleep_for(30ms);
  std::atomic<int> ok{0};
  std::error_code bad_error;
  std::vector<std::thread> followers;
  followers.emplace_back([&] { ok += s.enqueue(good[1], t0).has_value() ? 1 : 0; });
  followers.emplace_back([&] { ok += s.enqueue(good[2], t0).has_value() ? 1 : 0; });
  followers.emplace_back([&] {
    auto r = s.enqueue(bad, t0);
    if (!r) bad_error = r.error();
  });
  for (auto& f : followers) f.join();
  lead.join();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(bad_error, store::store_errc::duplicate_id);
  for (const auto& g : good) EXPECT_TRUE(s.get_event(g.event->id).has_value());
  EXPECT_EQ(s.get_delivery(bad.deliveries[0].id).error(), errc::not_found);
  const auto after = s.write_counters();
  EXPECT_EQ(after.requests - before.requests, 4u);
  EXPECT_LE(after.transactions - before.transactions, 2u); // the lead's, then the rest
}

TEST_F(sqlite_store_test, reads_work_while_another_process_holds_the_write_lock) {
  store::sqlite_store_options options;
  options.busy_timeout = 200ms;
  store::sqlite_store s(path_, options);
  const auto endpoint = add_endpoint(s);
  const auto first = fan_out({endpoint});
  ASSERT_TRUE(s.enqueue(first, t0).has_value());
  auto other = raw_connection(path_);
  ASSERT_FALSE(other.exec("BEGIN IMMEDIATE; DELETE FROM attempts;"));
  EXPECT_EQ(*s.get_event(first.event->id), *first.event);
  EXPECT_EQ(*s.count_events(store::event_filter{}), 1);
  // A write waits busy_timeout for the lock, then fails cleanly (and changes nothing).
  auto blocked = s.enqueue(fan_out({endpoint}), t0);
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error(), std::errc::device_or_resource_busy);
  EXPECT_GE(s.write_counters().failed_transactions, 1u);
  ASSERT_FALSE(other.exec("ROLLBACK"));
  EXPECT_TRUE(s.enqueue(fan_out({endpoint}), t0).has_value());
  EXPECT_EQ(*s.count_events(store::event_filter{}), 2);
}

} // namespace
