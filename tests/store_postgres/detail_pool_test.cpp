#include <webhookd/store/postgres/pool.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <atomic>

namespace {

namespace pg = webhookd::store::postgres;

TEST(postgres_pool, gives_up_with_the_connection_error_after_its_tries) {
  pg::pool p("host=127.0.0.1 port=1 connect_timeout=2", 2);
  std::atomic<int> bodies{0};
  auto r = p.run("BEGIN", pg::retry_mode::idempotent,
                 [&](pg::connection&, const pg::attempt_context&) -> webhookd::result<int> {
                   ++bodies;
                   return 1;
                 });
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(pg::is_connection_error(r.error()));
  EXPECT_EQ(bodies.load(), 0) << "a body ran without a connection";
  EXPECT_TRUE(p.idle_backend_pids().empty());
}

} // namespace
