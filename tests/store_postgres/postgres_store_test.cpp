#include <webhookd/store/postgres_store.hpp> // must be self-contained

#include "pg_test_support.hpp"

#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/testing/store_conformance.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace webhookd::testing {

using postgres_store_types = ::testing::Types<store::postgres_store>;
INSTANTIATE_TYPED_TEST_SUITE_P(postgres, delivery_store_conformance, postgres_store_types);

} // namespace webhookd::testing

namespace {

namespace store = webhookd::store;
namespace model = webhookd::model;
namespace pgt = webhookd::testing::pg;
using webhookd::timestamp;
using namespace std::chrono_literals;

constexpr timestamp t0 = timestamp{std::chrono::sys_days{std::chrono::year{2025} /
                                                         std::chrono::March / 1}};

static_assert(store::is_blocking_store_v<store::postgres_store>);

// Two store objects on one schema: two engine processes sharing a database.
class postgres_store_test : public ::testing::Test {
protected:
  void SetUp() override {
    if (!pgt::conninfo()) GTEST_SKIP() << pgt::no_cluster_message;
    conninfo_ = pgt::fresh_schema(&schema_);
    a_ = pgt::open_store(conninfo_);
    b_ = pgt::open_store(conninfo_);
  }

  std::string add_endpoint(store::postgres_store& s) {
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

  // One event with a delivery per endpoint, due at `at`; @returns the delivery ids.
  std::vector<std::string> publish(store::postgres_store& s,
                                   const std::vector<std::string>& endpoints, timestamp at) {
    store::enqueue_request request;
    request.event.emplace();
    request.event->id = ids_.next(t0);
    request.event->topic = "employee.created";
    request.event->occurred_at = t0;
    request.event->source = "https://example.ilucca.net";
    std::vector<std::string> out;
    for (const auto& ep : endpoints) {
      model::webhook_delivery d;
      d.id = ids_.next(t0);
      d.next_attempt_at = at;
      d.event = model::reference{request.event->id, "event", ""};
      d.webhook_endpoint = model::reference{ep, "webhook-endpoint", ""};
      request.deliveries.push_back(d);
      out.push_back(d.id);
    }
    auto r = s.enqueue(request, at);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return out;
  }

  static store::attempt_outcome outcome(const store::claimed_delivery& c, std::string attempt_id,
                                        model::delivery_status st, timestamp at) {
    store::attempt_outcome o;
    o.attempt.id = std::move(attempt_id);
    o.attempt.signature = "sig";
    o.attempt.webhook_delivery = model::reference{c.delivery.id, "webhook-delivery", ""};
    o.attempt.is_successful = st == model::delivery_status::delivered;
    o.attempt.response_status_code = o.attempt.is_successful ? 200 : 503;
    o.attempt.created_at = at;
    o.lease = c.lease;
    o.status = st;
    if (st == model::delivery_status::undelivered) o.next_attempt_at = at + 1min;
    return o;
  }

  // Terminates the server processes of every idle connection of `s`.
  static int terminate_backends(store::postgres_store& s) {
    int n = 0;
    for (const int pid : s.connections().idle_backend_pids()) {
      auto r = pgt::admin("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
      n += r.boolean(0, 0) ? 1 : 0;
    }
    // pg_terminate_backend only signals: wait until the processes are gone.
    for (int i = 0; i < 200; ++i) {
      auto left = pgt::admin("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY('{" +
                            join_pids(s) + "}'::int[])");
      if (left.integer(0, 0) == 0) break;
      std::this_thread::sleep_for(10ms);
    }
    return n;
  }

  static std::string join_pids(store::postgres_store& s) {
    std::string out;
    for (const int pid : s.connections().idle_backend_pids()) {
      if (!out.empty()) out += ',';
      out += std::to_string(pid);
    }
    return out;
  }

  std::string conninfo_, schema_;
  std::unique_ptr<store::postgres_store> a_, b_;
  webhookd::id_generator ids_{42};
};

TEST_F(postgres_store_test, two_processes_never_claim_the_same_delivery) {
  std::vector<std::string> endpoints;
  for (int i = 0; i < 5; ++i) endpoints.push_back(add_endpoint(*a_));
  std::set<std::string> published;
  for (int i = 0; i < 60; ++i)
    for (auto& id : publish(i % 2 ? *a_ : *b_, endpoints, t0)) published.insert(id);

  std::mutex m;
  std::vector<std::string> claimed;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 6; ++t) {
    workers.emplace_back([&, t] {
      store::postgres_store& s = t % 2 ? *a_ : *b_;
      store::claim_request request;
      request.now = t0;
      request.max = 9;
      request.owner = "process-" + std::to_string(t);
      request.lease_duration = 5min;
      for (;;) {
        auto r = s.claim_due(request);
        if (!r) {
          ++failures;
          return;
        }
        if (r->empty()) return;
        std::lock_guard lock(m);
        for (const auto& c : *r) claimed.push_back(c.delivery.id);
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(claimed.size(), published.size());
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()), published)
      << "a delivery was claimed twice, or missed";
}

TEST_F(postgres_store_test, per_endpoint_limits_count_every_processes_leases) {
  std::vector<std::string> endpoints;
  for (int i = 0; i < 3; ++i) endpoints.push_back(add_endpoint(*a_));
  for (int i = 0; i < 20; ++i) publish(*a_, endpoints, t0);

  for (const bool fifo : {false, true}) {
    const std::size_t limit = fifo ? 1 : 2;
    if (fifo) {
      ASSERT_TRUE(a_->release("p0").has_value());
      ASSERT_TRUE(a_->release("p1").has_value());
      ASSERT_TRUE(a_->release("p2").has_value());
      ASSERT_TRUE(a_->release("p3").has_value());
    }
    std::mutex m;
    std::map<std::string, int> per_endpoint;
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&, t] {
        store::postgres_store& s = t % 2 ? *a_ : *b_;
        store::claim_request request;
        request.now = t0;
        request.max = 4;
        request.owner = "p" + std::to_string(t);
        request.lease_duration = 5min;
        request.max_in_flight_per_endpoint = fifo ? 0 : limit;
        request.fifo = fifo;
        for (int round = 0; round < 10; ++round) {
          auto r = s.claim_due(request);
          if (!r) {
            ++failures;
            return;
          }
          std::lock_guard lock(m);
          for (const auto& c : *r) ++per_endpoint[c.delivery.webhook_endpoint.id];
        }
      });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(failures.load(), 0);
    for (const auto& ep : endpoints)
      EXPECT_EQ(per_endpoint[ep], static_cast<int>(limit))
          << (fifo ? "fifo" : "limit") << ": endpoint " << ep;
  }
}

TEST_F(postgres_store_test, a_dead_processes_deliveries_are_taken_over_when_its_lease_expires) {
  const auto ep = add_endpoint(*a_);
  const auto ids = publish(*a_, {ep, ep, ep}, t0);

  store::claim_request request;
  request.now = t0;
  request.owner = "a";
  request.lease_duration = 30s;
  auto by_a = a_->claim_due(request);
  ASSERT_TRUE(by_a.has_value());
  ASSERT_EQ(by_a->size(), 3u);
  a_.reset(); // "a" dies without a word

  request.owner = "b";
  request.now = t0 + 29s;
  EXPECT_TRUE(b_->claim_due(request)->empty()) << "a live lease was taken";
  EXPECT_EQ(*b_->next_due_at(t0 + 29s), t0 + 30s);
  request.now = t0 + 30s;
  auto by_b = b_->claim_due(request);
  ASSERT_TRUE(by_b.has_value());
  ASSERT_EQ(by_b->size(), 3u);

  // The late outcome of "a" is refused; that of "b" counts.
  auto late = b_->record(std::vector{outcome((*by_a)[0], "late", model::delivery_status::delivered,
                                             t0 + 31s)},
                         t0 + 31s);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ((*late)[0].error, webhookd::errc::lease_lost);
  auto done = b_->record(std::vector{outcome((*by_b)[0], "done", model::delivery_status::delivered,
                                             t0 + 31s)},
                         t0 + 31s);
  ASSERT_TRUE(done.has_value());
  EXPECT_FALSE((*done)[0].error);
  EXPECT_EQ(b_->get_delivery((*by_b)[0].delivery.id)->attempts_count, 1);
}

TEST_F(postgres_store_test, refuses_a_schema_newer_than_it_knows_and_touches_nothing) {
  const std::string schema = pgt::unique_name("webhookd_newer");
  pgt::admin("CREATE SCHEMA " + schema + "; CREATE TABLE " + schema +
            ".webhookd_schema_version (version bigint NOT NULL); INSERT INTO " + schema +
            ".webhookd_schema_version VALUES (" +
            std::to_string(store::postgres::schema_version + 1) + ")");
  auto s = store::postgres_store::open(
      {*pgt::conninfo() + " options='-c search_path=" + schema + "'", 2});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error(), webhookd::errc::schema_too_new);
  auto tables = pgt::admin("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema + "'");
  EXPECT_EQ(tables.integer(0, 0), 1) << "tables were created in a schema it does not know";
  auto version = pgt::admin("SELECT version FROM " + schema + ".webhookd_schema_version");
  EXPECT_EQ(version.integer(0, 0), store::postgres::schema_version + 1);

  // An existing, current schema is left as it is by a second open.
  pgt::admin("UPDATE " + schema + ".webhookd_schema_version SET version = 0");
  ASSERT_TRUE(store::postgres_store::open(
                  {*pgt::conninfo() + " options='-c search_path=" + schema + "'", 2})
                  .has_value());
  version = pgt::admin("SELECT version FROM " + schema + ".webhookd_schema_version");
  EXPECT_EQ(version.integer(0, 0), store::postgres::schema_version);
}

TEST_F(postgres_store_test, survives_terminated_backends_without_losing_an_outcome) {
  const auto ep = add_endpoint(*a_);
  for (int i = 0; i < 4; ++i) publish(*a_, {ep, ep}, t0);
  store::claim_request request;
  request.now = t0;
  request.owner = "a";
  auto claimed = a_->claim_due(request);
  ASSERT_TRUE(claimed.has_value());
  ASSERT_EQ(claimed->size(), 8u);

  ASSERT_GT(terminate_backends(*a_), 0);
  std::vector<store::attempt_outcome> outcomes;
  for (std::size_t i = 0; i < claimed->size(); ++i)
    outcomes.push_back(outcome((*claimed)[i], "attempt-" + std::to_string(i),
                               i % 2 ? model::delivery_status::delivered
                                     : model::delivery_status::undelivered,
                               t0 + 1s));
  auto recorded = a_->record(outcomes, t0 + 1s);
  ASSERT_TRUE(recorded.has_value()) << recorded.error().message();
  for (const auto& r : *recorded) EXPECT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(*a_->count_attempts({}), 8);

  // Every kind of call gets through on the next connection.
  ASSERT_GT(terminate_backends(*a_), 0);
  publish(*a_, {ep}, t0 + 2s);
  ASSERT_GT(terminate_backends(*a_), 0);
  EXPECT_EQ(a_->stats(t0 + 2s)->attempts, 8);
  ASSERT_GT(terminate_backends(*a_), 0);
  auto page = a_->list_deliveries({}, {});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->items.size(), 9u);
  ASSERT_GT(terminate_backends(*a_), 0);
  EXPECT_TRUE(a_->create_endpoint([&] {
                  auto r = *a_->get_endpoint(ep);
                  r.endpoint.id = ids_.next(t0);
                  return r;
                }())
                  .has_value());
  ASSERT_GT(terminate_backends(*a_), 0);
  request.now = t0 + 2min;
  auto again = a_->claim_due(request);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->size(), 5u); // 4 retries + the new one

  // Recording the same outcomes again (a retried batch) changes nothing.
  ASSERT_GT(terminate_backends(*a_), 0);
  auto twice = a_->record(outcomes, t0 + 1s);
  ASSERT_TRUE(twice.has_value());
  for (const auto& r : *twice) EXPECT_TRUE(r.already_recorded);
  EXPECT_EQ(*a_->count_attempts({}), 8);
}

// Polls pg_stat_activity until `where` matches a backend; @returns its pid, or 0.
int wait_for_backend(const std::string& where) {
  for (int i = 0; i < 1000; ++i) {
    auto r = pgt::admin("SELECT pid FROM pg_stat_activity WHERE " + where + " LIMIT 1");
    if (!r.empty()) return static_cast<int>(r.integer(0, 0));
    std::this_thread::sleep_for(5ms);
  }
  return 0;
}

TEST_F(postgres_store_test, an_enqueue_whose_commit_went_unanswered_finds_its_rows) {
  // The COMMIT of the "slow" connection waits in a deferred trigger, where it is
  // terminated: the client cannot know whether it committed. Meanwhile another
  // process stores the very same rows; the retry must take them as its own.
  pgt::admin("CREATE FUNCTION " + schema_ + ".slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF current_setting('application_name') = 'webhookd_slow_commit' THEN "
            "PERFORM pg_sleep(2); END IF; RETURN NULL; END $$; "
            "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON " + schema_ +
            ".webhookd_events DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " +
            schema_ + ".slow_commit()");
  auto slow = pgt::open_store(conninfo_ + " application_name=webhookd_slow_commit", 1);
  const auto ep = add_endpoint(*a_);
  store::enqueue_request request;
  request.event.emplace();
  request.event->id = ids_.next(t0);
  request.event->topic = "employee.created";
  for (int i = 0; i < 2; ++i) {
    model::webhook_delivery d;
    d.id = ids_.next(t0);
    d.next_attempt_at = t0;
    d.event = model::reference{request.event->id, "event", ""};
    d.webhook_endpoint = model::reference{ep, "webhook-endpoint", ""};
    request.deliveries.push_back(d);
  }

  webhookd::result<store::enqueue_result> by_slow = webhookd::unexpected(std::error_code{});
  webhookd::result<store::enqueue_result> by_b = webhookd::unexpected(std::error_code{});
  std::thread first([&] { by_slow = slow->enqueue(request, t0); });
  const int committing = wait_for_backend(
      "application_name = 'webhookd_slow_commit' AND state = 'active' AND query = 'COMMIT'");
  if (committing == 0) {
    first.join();
    FAIL() << "the slow COMMIT was not seen";
  }
  std::thread second([&] { by_b = b_->enqueue(request, t0); });
  // The second waits on the first's uncommitted ids; then the first one dies.
  EXPECT_NE(wait_for_backend("wait_event_type = 'Lock' AND query LIKE '%INSERT INTO "
                             "webhookd_events%' AND application_name <> 'webhookd_slow_commit'"),
            0);
  pgt::admin("SELECT pg_terminate_backend(" + std::to_string(committing) + ")");
  second.join();
  first.join();

  ASSERT_TRUE(by_b.has_value()) << by_b.error().message();
  ASSERT_TRUE(by_slow.has_value()) << by_slow.error().message();
  EXPECT_FALSE(by_slow->replayed);
  ASSERT_NE(by_slow->event, nullptr);
  EXPECT_EQ(*by_slow->event, *request.event);
  ASSERT_EQ(by_slow->deliveries.size(), 2u);
  EXPECT_EQ(by_slow->deliveries[0].id, request.deliveries[0].id);
  EXPECT_EQ(*a_->count_events({}), 1);
  EXPECT_EQ(*a_->count_deliveries({}), 2);

  // Outside that case, the same ids are what they always are: duplicates.
  auto again = b_->enqueue(request, t0);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), store::store_errc::duplicate_id);
}

TEST(postgres_store, creates_its_schema_once_when_processes_start_together) {
  if (!pgt::conninfo()) GTEST_SKIP() << pgt::no_cluster_message;
  const std::string db = pgt::unique_name("webhookd_fresh");
  pgt::admin("CREATE DATABASE " + db);
  {
    const std::string conninfo = *pgt::conninfo() + " dbname=" + db;
    std::vector<std::thread> starters;
    std::atomic<int> opened{0};
    std::vector<std::string> errors(6);
    for (int i = 0; i < 6; ++i) {
      starters.emplace_back([&, i] {
        auto s = store::postgres_store::open({conninfo, 1});
        if (s) {
          ++opened;
          auto stats = (*s)->stats(t0);
          if (!stats) errors[static_cast<std::size_t>(i)] = stats.error().message();
        } else {
          errors[static_cast<std::size_t>(i)] = s.error().message();
        }
      });
    }
    for (auto& t : starters) t.join();
    EXPECT_EQ(opened.load(), 6);
    for (const auto& e : errors) EXPECT_EQ(e, "");
    auto version = pgt::admin("SELECT version FROM webhookd_schema_version", db);
    ASSERT_EQ(version.size(), 1);
    EXPECT_EQ(version.integer(0, 0), store::postgres::schema_version);
  }
  pgt::admin("DROP DATABASE " + db + " WITH (FORCE)");
}

TEST_F(postgres_store_test, keeps_ids_in_byte_order_and_times_to_the_millisecond) {
  // "B" < "_" < "a" in bytes, not in most locales' collations.
  for (const char* id : {"a", "_", "B"}) {
    store::endpoint_record r;
    r.endpoint.id = id;
    r.endpoint.topics = {"*"};
    r.endpoint.created_at = timestamp{std::chrono::milliseconds{-1'234'567}};
    r.endpoint.last_updated_at = t0 + 1ms;
    ASSERT_TRUE(a_->create_endpoint(r).has_value());
  }
  auto page = a_->list_endpoints({}, {});
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].endpoint.id, "B");
  EXPECT_EQ(page->items[1].endpoint.id, "_");
  EXPECT_EQ(page->items[2].endpoint.id, "a");
  EXPECT_EQ(page->items[0].endpoint.created_at, timestamp{std::chrono::milliseconds{-1'234'567}});
  EXPECT_EQ(page->items[0].endpoint.last_updated_at, t0 + 1ms);
}

TEST_F(postgres_store_test, stores_any_text_exactly) {
  // Quotes, backslashes, braces and commas travel inside array literals.
  const std::string odd = R"(a "quoted" \back\slash {brace}, NULL ü)";
  store::endpoint_record r;
  r.endpoint.id = odd;
  r.endpoint.name = odd;
  r.endpoint.topics = {odd, "*"};
  r.endpoint.status = model::endpoint_status::active;
  ASSERT_TRUE(a_->create_endpoint(r).has_value());
  store::enqueue_request request;
  request.event.emplace();
  request.event->id = odd + "event";
  request.event->topic = odd;
  request.event->data = nlohmann::json{{"text", odd}, {"pi", 3.25}};
  model::webhook_delivery d;
  d.id = odd + "delivery";
  d.url = odd;
  d.next_attempt_at = t0;
  d.event = model::reference{request.event->id, "event", odd};
  d.webhook_endpoint = model::reference{odd, "webhook-endpoint", ""};
  request.deliveries.push_back(d);
  ASSERT_TRUE(a_->enqueue(request, t0).has_value());
  EXPECT_EQ(*a_->get_event(request.event->id), *request.event);
  EXPECT_EQ(*a_->get_delivery(d.id), d);
  EXPECT_EQ(a_->get_endpoint(odd)->endpoint, r.endpoint);
  store::delivery_filter f;
  f.endpoint_id.include = {odd};
  EXPECT_EQ(*a_->count_deliveries(f), 1);
}

} // namespace
