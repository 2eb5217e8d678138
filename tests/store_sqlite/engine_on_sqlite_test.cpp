// The engine on the SQLite store, to a loopback HTTPS receiver: a busy endpoint's
// outcomes and the next claim go to the store together (`record_then_claim`, one
// transaction), and every delivery still ends delivered exactly once.
#include "../engine/engine_fixture.hpp"
#include "temp_database.hpp"

#include <webhookd/store/sqlite_store.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace webhookd;
using namespace webhookd::engine::engine_test;
using webhookd::engine::engine;

TEST(engine_on_sqlite, records_and_claims_of_a_busy_endpoint_share_a_transaction) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  const std::string path = webhookd::testing::fresh_database_path();
  {
    auto s = std::make_unique<store::sqlite_store>(path);
    add_endpoint(*s, "ep1", srv.url("/hook"));
    auto options = test_options();
    options.max_in_flight_per_endpoint = 2; // the endpoint is at its limit all along
    engine<store::sqlite_store> e(io.get_executor(), *s, options);
    // Published before the start: a backlog the loop works through at the limit.
    constexpr int events = 40;
    std::vector<std::string> ids;
    for (int i = 0; i < events; ++i) {
      auto published = e.publish(employee_created());
      ASSERT_TRUE(published.has_value());
      ids.push_back(published->id);
    }
    e.start();
    ASSERT_TRUE(test::run_until(io, [&] { return e.metrics().delivered.load() >= events; },
                                std::chrono::seconds{60}));

    // Each delivery once: one attempt each, one request each at the receiver.
    std::set<std::string> seen;
    for (const auto& id : ids) {
      const auto ds = deliveries_of(*s, id);
      ASSERT_EQ(ds.size(), 1u);
      EXPECT_EQ(ds[0].status, model::delivery_status::delivered);
      EXPECT_EQ(ds[0].attempts_count, 1);
      EXPECT_EQ(attempts_of(*s, ds[0].id).size(), 1u);
      seen.insert(ds[0].id);
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(events));
    EXPECT_EQ(srv.requests().size(), static_cast<std::size_t>(events));
    EXPECT_LE(srv.max_active(), 2u);
    // The loop claimed with its records: after the first claim, the backlog was
    // taken by record_then_claim calls, nearly all of the record calls.
    const auto records = e.metrics().record_batches.load();
    const auto with_claims = e.metrics().claims_with_records.load();
    EXPECT_GT(with_claims, 0u);
    EXPECT_GE(with_claims * 2, records) << with_claims << " of " << records;

    bool stopped = false;
    e.stop(std::chrono::seconds{5}, [&] { stopped = true; });
    ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));
  }
}

} // namespace
