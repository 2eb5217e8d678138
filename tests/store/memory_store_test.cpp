#include <webhookd/store/memory_store.hpp> // must be self-contained

#include <webhookd/core/id.hpp>

#include <webhookd/testing/store_conformance.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
