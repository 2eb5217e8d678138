#include <webhookd/store/memory_store.hpp> // must be self-contained

#include <webhookd/core/id.hpp>

#include <webhookd/testing/store_conformance.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace webhookd::testing {

using memory_store_types = ::testing::Types<store::memory_store>;
INSTANTIATE_TYPED_TEST_SUITE_P(memory, delivery_store_conformance, memory_store_types);

} // namespace webhookd::testing

namespace {

namespace store = webhookd::store;
namespace model = webhookd::model;
using webhookd::timestamp;

struct blocking_store {
  static constexpr bool is_blocking = true;
};

TEST(memory_store, is_called_inline) {
  static_assert(!store::is_blocking_store_v<store::memory_store>);
  struct says_nothing {};
  static_assert(store::is_blocking_store_v<says_nothing>);
  static_assert(store::is_blocking_store_v<blocking_store>);
}

TEST(cursor, round_trips_through_its_opaque_form) {
  for (const auto d : {store::page_direction::forward, store::page_direction::backward}) {
    const store::cursor c{"01JGZ5R8W3XKQ0000000000000", d};
    const auto text = c.encode();
    EXPECT_EQ(text.front(), '!');
    auto back = store::cursor::decode(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, c);
  }
}

TEST(cursor, rejects_what_it_did_not_make) {
  for (const char* bad : {"", "!", "abc", "!!!!", "!eA", "!" /* empty key */, "!bg"}) {
    auto c = store::cursor::decode(bad);
    ASSERT_FALSE(c.has_value()) << bad;
    EXPECT_EQ(c.error(), store::store_errc::invalid_cursor);
  }
  EXPECT_FALSE(store::cursor::decode("!" + std::string("eA")).has_value()); // 'x' direction
}

TEST(value_filter, includes_then_excludes) {
  store::value_filter<std::string> f;
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.matches(std::string("a")));
  f.include = {"a", "b"};
  EXPECT_TRUE(f.matches(std::string("a")));
  EXPECT_FALSE(f.matches(std::string("c")));
  f.exclude = {"a"};
  EXPECT_FALSE(f.matches(std::string("a")));
  EXPECT_TRUE(f.matches(std::string("b")));
}

TEST(store_errc, has_its_own_category) {
  const std::error_code ec = store::store_errc::version_mismatch;
  EXPECT_STREQ(ec.category().name(), "webhookd.store");
  EXPECT_EQ(ec.message(), "the record's version does not match");
  EXPECT_NE(ec, make_error_code(webhookd::errc::not_found));
}

// Claims, records, reads and purges from several threads at once: the sanitizer
// build checks the locking.
TEST(memory_store, survives_mixed_concurrent_use) {
  store::memory_store s;
  webhookd::id_generator ids{1};
  const timestamp t0{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};
  store::endpoint_record ep;
  ep.endpoint.id = ids.next(t0);
  ep.endpoint.topics = {"*"};
  ep.endpoint.status = model::endpoint_status::active;
  ASSERT_TRUE(s.create_endpoint(ep).has_value());

  std::atomic<bool> stop{false};
  std::atomic<int> recorded{0};
  std::thread producer([&] {
    for (int i = 0; i < 300; ++i) {
      store::enqueue_request r;
      r.event.emplace();
      r.event->id = ids.next(t0);
      model::webhook_delivery d;
      d.id = ids.next(t0);
      d.event.id = r.event->id;
      d.webhook_endpoint.id = ep.endpoint.id;
      d.next_attempt_at = t0;
      r.deliveries.push_back(d);
      ASSERT_TRUE(s.enqueue(r, t0).has_value());
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&, w] {
      store::claim_request c;
      c.now = t0;
      c.max = 5;
      c.owner = "w" + std::to_string(w);
      while (!stop.load()) {
        auto claimed = s.claim_due(c);
        ASSERT_TRUE(claimed.has_value());
        std::vector<store::attempt_outcome> outcomes;
        for (const auto& cd : *claimed) {
          store::attempt_outcome o;
          o.attempt.id = ids.next(t0);
          o.attempt.webhook_delivery.id = cd.delivery.id;
          o.attempt.is_successful = true;
          o.lease = cd.lease;
          o.status = model::delivery_status::delivered;
          outcomes.push_back(o);
        }
        auto r = s.record(outcomes, t0);
        ASSERT_TRUE(r.has_value());
        for (const auto& x : *r) {
          EXPECT_FALSE(x.error);
          ++recorded;
        }
        (void)s.list_deliveries({}, {});
        (void)s.stats(t0);
      }
    });
  }
  producer.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (recorded.load() < 300 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(recorded.load(), 300);
  EXPECT_EQ(s.stats(t0)->delivered, 300);
  store::purge_request p;
  p.older_than = t0 + std::chrono::hours{1};
  EXPECT_EQ(*s.purge(p), (store::purge_report{300, 300, 300}));
}

} // namespace

namespace {

// Random sequences of every mutation (enqueue, claims with limits and FIFO, records
// of every status, releases, holds, deletions, purges) with time moving back and
// forth: the indexes of claimable and leased rows must stay consistent with the
// rows. The sanitizer build turns any dangling index entry into a failure.
TEST(memory_store, indexes_stay_consistent_under_random_operations) {
  std::mt19937 rng(4242);
  for (int round = 0; round < 20; ++round) {
    store::memory_store s;
    webhookd::id_generator ids{static_cast<std::uint64_t>(round)};
    const timestamp t0{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};
    timestamp now = t0;
    std::vector<std::string> endpoints;
    for (int i = 0; i < 3; ++i) {
      store::endpoint_record ep;
      ep.endpoint.id = ids.next(t0);
      ep.endpoint.topics = {"*"};
      ep.endpoint.status = model::endpoint_status::active;
      ASSERT_TRUE(s.create_endpoint(ep).has_value());
      endpoints.push_back(ep.endpoint.id);
    }
    std::vector<store::claimed_delivery> held;
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    for (int step = 0; step < 400; ++step) {
      now += std::chrono::milliseconds{static_cast<int>(rng() % 4000) - 1000};
      switch (pick(9)) {
      case 0:
      case 1: { // enqueue an event for one or more endpoints (deleted ones fail whole)
        store::enqueue_request r;
        r.event.emplace();
        r.event->id = ids.next(t0);
        for (const auto& ep : endpoints) {
          if (rng() % 2) continue;
          model::webhook_delivery d;
          d.id = ids.next(t0);
          d.event.id = r.event->id;
          d.webhook_endpoint.id = ep;
          d.next_attempt_at = now + std::chrono::milliseconds{rng() % 3000};
          r.deliveries.push_back(d);
        }
        (void)s.enqueue(r, now);
        break;
      }
      case 2:
      case 3: { // claim with random limits
        store::claim_request c;
        c.now = now;
        c.max = 1 + pick(5);
        c.owner = "w" + std::to_string(pick(2));
        c.lease_duration = std::chrono::milliseconds{500 + rng() % 5000};
        c.max_in_flight_per_endpoint = pick(3);
        c.fifo = rng() % 4 == 0;
        auto claimed = s.claim_due(c);
        ASSERT_TRUE(claimed.has_value());
        for (auto& cd : *claimed) {
          EXPECT_EQ(cd.delivery.status, model::delivery_status::undelivered);
          held.push_back(std::move(cd));
        }
        break;
      }
      case 4: { // record a held claim with a random outcome
        if (held.empty()) break;
        const std::size_t i = pick(held.size());
        store::attempt_outcome o;
        o.attempt.id = ids.next(t0);
        o.attempt.webhook_delivery.id = held[i].delivery.id;
        o.lease = held[i].lease;
        const auto k = pick(3);
        o.status = k == 0 ? model::delivery_status::delivered
                   : k == 1 ? model::delivery_status::failed
                            : model::delivery_status::undelivered;
        o.attempt.is_successful = k == 0;
        if (k == 2) o.next_attempt_at = now + std::chrono::milliseconds{rng() % 3000};
        ASSERT_TRUE(s.record(std::span<const store::attempt_outcome>(&o, 1), now).has_value());
        held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      case 5: // give a worker's leases back
        (void)s.release("w" + std::to_string(pick(2)));
        break;
      case 6: { // hold or release an endpoint's deliveries
        const auto& id = endpoints[pick(endpoints.size())];
        if (auto rec = s.get_endpoint(id)) {
          auto ep = rec->endpoint;
          ep.status = rng() % 2 ? model::endpoint_status::active : model::endpoint_status::suspended;
          (void)s.update_endpoint(ep, store::any_version, now);
        }
        break;
      }
      case 7: { // delete an endpoint now and then, or purge (pending included)
        if (rng() % 8 == 0) {
          (void)s.delete_endpoint(endpoints[pick(endpoints.size())], store::any_version, now);
        } else {
          store::purge_request p;
          p.older_than = now - std::chrono::milliseconds{rng() % 5000};
          p.include_pending = rng() % 2 == 0;
          ASSERT_TRUE(s.purge(p).has_value());
        }
        break;
      }
      default: { // reads that walk the indexes
        auto next = s.next_due_at(now);
        ASSERT_TRUE(next.has_value());
        auto st = s.stats(now);
        ASSERT_TRUE(st.has_value());
        EXPECT_LE(st->due, st->scheduled);
        break;
      }
      }
    }
  }
}

} // namespace
