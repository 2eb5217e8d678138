#include <webhookd/http/resolver.hpp> // must be self-contained

#include "test_server.hpp"

#include <asio/io_context.hpp>

#include <gtest/gtest.h>

#include <optional>

namespace http = webhookd::http;
namespace test = webhookd::test;

TEST(resolver, literals_are_answered_without_lookup) {
  asio::io_context io;
  http::resolver r(io.get_executor());
  const auto a = r.cached("127.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->at(0).to_string(), "127.0.0.1");
  ASSERT_TRUE(r.cached("::1"));
  EXPECT_EQ(r.size(), 0u);
}

TEST(resolver, resolves_and_caches_names) {
  asio::io_context io;
  http::resolver r(io.get_executor());
  EXPECT_FALSE(r.cached("localhost"));
  std::optional<std::error_code> ec;
  http::address_list list;
  r.async_resolve("localhost", [&](std::error_code e, http::address_list l) {
    ec = e;
    list = std::move(l);
  });
  ASSERT_TRUE(test::run_until(io, [&] { return ec.has_value(); }));
  ASSERT_FALSE(*ec) << ec->message();
  ASSERT_TRUE(list);
  ASSERT_FALSE(list->empty());
  EXPECT_TRUE(list->front().is_loopback());
  EXPECT_EQ(r.cached("localhost"), list) << "the same answer, from the cache";

  // A cache hit still completes asynchronously.
  bool called = false;
  r.async_resolve("localhost", [&](std::error_code, http::address_list) { called = true; });
  EXPECT_FALSE(called);
  ASSERT_TRUE(test::run_until(io, [&] { return called; }));
}

TEST(resolver, zero_ttl_disables_the_cache) {
  asio::io_context io;
  http::resolver r(io.get_executor(), std::chrono::seconds{0});
  bool done = false;
  r.async_resolve("localhost", [&](std::error_code, http::address_list) { done = true; });
  ASSERT_TRUE(test::run_until(io, [&] { return done; }));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(r.cached("localhost"));
}

TEST(resolver, unknown_names_fail) {
  asio::io_context io;
  http::resolver r(io.get_executor());
  std::optional<std::error_code> ec;
  r.async_resolve("no-such-host.invalid", [&](std::error_code e, http::address_list) { ec = e; });
  ASSERT_TRUE(test::run_until(io, [&] { return ec.has_value(); }));
  EXPECT_TRUE(*ec);
}
