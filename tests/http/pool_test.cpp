#include <webhookd/http/pool.hpp> // must be self-contained

#include "helpers.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace http = webhookd::http;
namespace test = webhookd::test;
using namespace std::chrono_literals;

TEST(pool, caps_connections_per_origin_and_queues_the_rest) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    auto r = test::respond(200);
    r.delay = 30ms;
    return r;
  });
  auto options = test::loopback_options();
  options.max_connections_per_origin = 2;
  http::client c(io, options);
  std::vector<http::outcome> outs;
  for (int i = 0; i < 7; ++i)
    c.async_send(test::post(srv.url()), [&](http::outcome o) { outs.push_back(std::move(o)); });
  ASSERT_TRUE(test::run_until(io, [&] { return outs.size() == 7; }));
  for (const auto& o : outs) EXPECT_EQ(o.status, 200) << o.reason();
  EXPECT_EQ(srv.accepted(), 2u);
  EXPECT_EQ(srv.max_active(), 2u);
  EXPECT_EQ(srv.requests().size(), 7u);
  EXPECT_LE(c.open_connections(), 2u);
}

TEST(pool, origins_have_separate_caps) {
  asio::io_context io;
  auto delayed = [](const test::received_request&) {
    auto r = test::respond(200);
    r.delay = 20ms;
    return r;
  };
  test::server a(io, delayed), b(io, delayed);
  auto options = test::loopback_options();
  options.max_connections_per_origin = 1;
  http::client c(io, options);
  int done = 0;
  for (int i = 0; i < 3; ++i) {
    c.async_send(test::post(a.url()), [&](http::outcome o) { done += o.status == 200; });
    c.async_send(test::post(b.url()), [&](http::outcome o) { done += o.status == 200; });
  }
  ASSERT_TRUE(test::run_until(io, [&] { return done == 6; }));
  EXPECT_EQ(a.accepted(), 1u);
  EXPECT_EQ(b.accepted(), 1u);
}

TEST(pool, waiting_for_a_connection_does_not_count_against_the_deadline) {
  // One connection per origin and a receiver that takes 250 ms per request: the fifth
  // of five requests sent at once is answered ~1250 ms after it was sent, past its
  // 1000 ms deadline if that counted the wait, yet the receiver took 250 ms for it.
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    auto r = test::respond(200);
    r.delay = 250ms;
    return r;
  });
  auto options = test::loopback_options();
  options.max_connections_per_origin = 1;
  options.timeout = 1000ms;
  http::client c(io, options);
  std::vector<http::outcome> outs;
  for (int i = 0; i < 5; ++i)
    c.async_send(test::post(srv.url()), [&](http::outcome o) { outs.push_back(std::move(o)); });
  ASSERT_TRUE(test::run_until(io, [&] { return outs.size() == 5; }, 10s));
  for (const auto& o : outs) {
    EXPECT_EQ(o.status, 200) << o.reason();
    // The latency is the attempt's own, not the time queued.
    EXPECT_LT(o.latency, 1000ms);
  }
  EXPECT_EQ(srv.accepted(), 1u);
}

TEST(pool, queue_timeout_bounds_the_wait_for_a_connection) {
  // The one connection is held by a request the server never answers. A second
  // request waits for it at most queue_timeout (200 ms), then fails unsent, with a
  // reason that says so, long before the first one's 2 s deadline.
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    test::reply r;
    r.after = test::reply::then::hang;
    return r;
  });
  auto options = test::loopback_options();
  options.max_connections_per_origin = 1;
  options.timeout = 2000ms;
  options.queue_timeout = 200ms;
  http::client c(io, options);
  std::vector<http::outcome> outs;
  const auto record = [&](http::outcome o) { outs.push_back(std::move(o)); };
  c.async_send(test::post(srv.url()), record);
  c.async_send(test::post(srv.url()), record);
  ASSERT_TRUE(test::run_until(io, [&] { return outs.size() == 2; }, 10s));
  EXPECT_EQ(outs[0].error, webhookd::errc::timeout);
  EXPECT_EQ(outs[0].reason(), "no connection to the origin free within 200 ms");
  EXPECT_EQ(outs[1].error, webhookd::errc::timeout);
  EXPECT_EQ(outs[1].reason(), "timeout after 2000 ms");
  EXPECT_EQ(srv.requests().size(), 1u);
  EXPECT_EQ(c.open_connections(), 0u);
}

TEST(pool, idle_connections_expire) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(200); });
  auto options = test::loopback_options();
  options.idle_timeout = 100ms;
  http::client c(io, options);
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).status, 200);
  EXPECT_EQ(c.idle_connections(), 1u);
  // The sweep closes the connection without any further send.
  ASSERT_TRUE(test::run_until(io, [&] { return srv.active() == 0; }, 5s));
  EXPECT_EQ(c.idle_connections(), 0u);
  EXPECT_EQ(c.open_connections(), 0u);
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 200);
  EXPECT_FALSE(o.reused);
  EXPECT_EQ(srv.accepted(), 2u);
}

TEST(pool, server_closing_an_idle_connection_is_detected_before_reuse) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(200); });
  http::client c(io, test::loopback_options());
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).status, 200);
  srv.close_idle_connections();
  ASSERT_TRUE(test::run_until(io, [&] { return srv.active() == 0; }));
  test::run_for(io, 20ms);
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_FALSE(o.error) << o.reason();
  EXPECT_EQ(o.status, 200);
  EXPECT_FALSE(o.reused) << "the closed connection was discarded before writing";
  EXPECT_EQ(srv.accepted(), 2u);
  EXPECT_EQ(srv.requests().size(), 2u);
}

TEST(pool, server_idle_timeout_then_reuse) {
  asio::io_context io;
  test::server::options so;
  so.idle_close = 50ms;
  test::server srv(io, [](const test::received_request&) { return test::respond(200); }, so);
  http::client c(io, test::loopback_options());
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).status, 200);
  EXPECT_TRUE(test::send(io, c, test::post(srv.url())).reused) << "before the server's idle timeout";
  test::run_for(io, 150ms);
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 200) << o.reason();
  EXPECT_FALSE(o.reused);
  EXPECT_EQ(srv.accepted(), 2u);
}

TEST(pool, unit_reserve_release_and_waiters) {
  http::origin_pool p({2, 1000ms});
  struct w : http::origin_pool::waiter {
    int turns = 0;
    bool got_connection = false;
    void on_pool_turn(std::unique_ptr<http::connection> c) override {
      ++turns;
      got_connection = c != nullptr;
    }
  } first, second;
  EXPECT_TRUE(p.try_reserve());
  EXPECT_TRUE(p.try_reserve());
  EXPECT_FALSE(p.try_reserve());
  p.wait(first);
  p.wait(second);
  EXPECT_TRUE(p.cancel_wait(second));
  EXPECT_FALSE(p.cancel_wait(second));
  EXPECT_EQ(p.waiting(), 1u);
  p.closed(); // a slot frees: it goes to the first waiter
  EXPECT_EQ(first.turns, 1);
  EXPECT_FALSE(first.got_connection);
  EXPECT_EQ(p.open(), 2u);
  p.closed();
  p.closed();
  EXPECT_EQ(p.open(), 0u);
  EXPECT_TRUE(p.unused());
  EXPECT_EQ(second.turns, 0);
}
