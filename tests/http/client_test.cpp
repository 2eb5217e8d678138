#include <webhookd/http/client.hpp> // must be self-contained

#include "helpers.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace http = webhookd::http;
namespace test = webhookd::test;
using webhookd::errc;
using namespace std::chrono_literals;

namespace {

test::reply raw(std::string bytes, test::reply::then after = test::reply::then::keep_alive) {
  test::reply r;
  r.bytes = std::move(bytes);
  r.after = after;
  return r;
}

} // namespace

TEST(client, posts_the_request_and_reports_the_answer) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return test::respond(503, "busy", "Retry-After: 120\r\n");
  });
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post(srv.url("/hook?x=1"), R"({"id":"42"})"));
  EXPECT_FALSE(o.error) << o.reason();
  EXPECT_EQ(o.status, 503);
  EXPECT_EQ(o.body, "busy");
  EXPECT_EQ(o.retry_after.value_or(""), "120");
  EXPECT_FALSE(o.reused);
  EXPECT_GT(o.latency.count(), 0);
  ASSERT_EQ(srv.requests().size(), 1u);
  const auto& got = srv.requests()[0];
  EXPECT_EQ(got.body, R"({"id":"42"})");
  EXPECT_EQ(got.head.rfind("POST /hook?x=1 HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(got.head.find("\r\nHost: 127.0.0.1:" + std::to_string(srv.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(got.head.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(got.head.find("\r\nContent-Length: 11\r\n"), std::string::npos);
}

TEST(client, reuses_kept_alive_connections) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(202); });
  http::client c(io, test::loopback_options());
  for (int i = 0; i < 5; ++i) {
    const auto o = test::send(io, c, test::post(srv.url()));
    EXPECT_EQ(o.status, 202) << o.reason();
    EXPECT_EQ(o.reused, i > 0);
  }
  EXPECT_EQ(srv.accepted(), 1u);
  EXPECT_EQ(c.idle_connections(), 1u);
}

TEST(client, chunked_answer) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return raw("HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  });
  http::client c(io, test::loopback_options());
  auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 500) << o.reason();
  EXPECT_EQ(o.body, "hello world");
  o = test::send(io, c, test::post(srv.url()));
  EXPECT_TRUE(o.reused) << "a complete chunked answer keeps the connection";
  EXPECT_EQ(srv.accepted(), 1u);
}

TEST(client, close_delimited_answer) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return raw("HTTP/1.1 200 OK\r\n\r\nuntil the end", test::reply::then::close);
  });
  http::client c(io, test::loopback_options());
  auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_FALSE(o.error) << o.reason();
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.body, "until the end");
  o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 200);
  EXPECT_FALSE(o.reused);
  EXPECT_EQ(srv.accepted(), 2u);
}

TEST(client, slow_receiver_hits_the_deadline) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return raw("", test::reply::then::hang); });
  auto options = test::loopback_options();
  options.timeout = 200ms;
  http::client c(io, options);
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::timeout);
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.reason(), "timeout after 200 ms");
  EXPECT_EQ(c.open_connections(), 0u) << "the timed-out connection is closed";
}

TEST(client, headers_then_stall_hits_the_deadline) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", test::reply::then::hang);
  });
  auto options = test::loopback_options();
  options.timeout = 200ms;
  http::client c(io, options);
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::timeout) << "an incomplete answer is no answer";
}

TEST(client, reset_before_headers) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return raw("", test::reply::then::reset); });
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.error, std::errc::connection_reset) << o.error.message();
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(srv.requests().size(), 1u) << "not retried";
}

TEST(client, reset_after_headers) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", test::reply::then::reset);
  });
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_TRUE(o.error == std::errc::connection_reset || o.error == errc::connection_closed) << o.error.message();
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(srv.requests().size(), 1u);
}

TEST(client, reset_on_a_reused_connection_is_not_retried) {
  asio::io_context io;
  int n = 0;
  test::server srv(io, [&](const test::received_request&) {
    return ++n == 1 ? test::respond(200) : raw("", test::reply::then::reset);
  });
  http::client c(io, test::loopback_options());
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).status, 200);
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_TRUE(o.reused);
  EXPECT_EQ(o.error, std::errc::connection_reset) << o.error.message();
  EXPECT_EQ(srv.requests().size(), 2u) << "the receiver may have processed it: never sent twice";
  EXPECT_EQ(srv.accepted(), 1u);
}

TEST(client, garbage_instead_of_http) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return raw("SSH-2.0-OpenSSH_9.2\r\n\r\n", test::reply::then::hang);
  });
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::protocol_error);
  EXPECT_EQ(c.open_connections(), 0u);
}

TEST(client, oversized_headers_are_refused) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return test::respond(200, "", "X-Big: " + std::string(20000, 'a') + "\r\n");
  });
  http::client c(io, test::loopback_options());
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).error, errc::headers_too_large);
}

TEST(client, ten_mib_body_is_capped_and_memory_stays_bounded) {
  asio::io_context io;
  constexpr std::size_t ten_mib = 10 * 1024 * 1024;
  test::server srv(io, [](const test::received_request&) {
    auto r = raw("HTTP/1.1 413 Too Large\r\nContent-Length: " + std::to_string(ten_mib) + "\r\n\r\n");
    r.filler = ten_mib;
    return r;
  });
  auto options = test::loopback_options();
  http::client c(io, options);
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  const auto before = mallinfo2().uordblks;
#endif
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_FALSE(o.error) << o.reason();
  EXPECT_EQ(o.status, 413);
  EXPECT_EQ(o.body.size(), options.body_cap);
  EXPECT_EQ(o.body, std::string(options.body_cap, 'x'));
  EXPECT_TRUE(o.body_truncated);
  EXPECT_EQ(c.open_connections(), 0u) << "too much to drain: the connection is dropped";
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  const auto after = mallinfo2().uordblks;
  EXPECT_LT(after > before ? after - before : 0, 1024u * 1024u) << "the body is not buffered";
#endif
}

TEST(client, a_body_within_the_drain_limit_keeps_the_connection) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(400, std::string(20000, 'e')); });
  http::client c(io, test::loopback_options());
  auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.body.size(), 4096u);
  EXPECT_TRUE(o.body_truncated);
  o = test::send(io, c, test::post(srv.url()));
  EXPECT_TRUE(o.reused);
  EXPECT_EQ(srv.accepted(), 1u);
}

TEST(client, redirects_are_not_followed) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    return test::respond(302, "", "Location: http://127.0.0.1:1/elsewhere\r\n");
  });
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_FALSE(o.error);
  EXPECT_EQ(o.status, 302);
  EXPECT_FALSE(o.success());
  EXPECT_EQ(srv.requests().size(), 1u);
}

TEST(client, plain_http_is_refused_unless_enabled) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(200); });
  auto options = test::loopback_options();
  options.allow_http = false;
  http::client strict(io, options);
  const auto o = test::send(io, strict, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::scheme_not_allowed);
  EXPECT_EQ(srv.accepted(), 0u);

  options.allow_http = true;
  http::client lax(io, options);
  EXPECT_EQ(test::send(io, lax, test::post(srv.url())).status, 200);
}

TEST(client, blocked_addresses_are_refused_before_connecting) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(200); });
  auto options = test::loopback_options();
  options.allowed_networks.clear();
  http::client guarded(io, options);
  auto o = test::send(io, guarded, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::blocked_address);
  EXPECT_EQ(o.reason(), "address blocked: 127.0.0.1 is loopback");
  // A name that resolves to loopback is refused the same way (checked after resolution).
  o = test::send(io, guarded, test::post(srv.url("/", "localhost")));
  EXPECT_EQ(o.error, errc::blocked_address);
  EXPECT_NE(o.reason().find("loopback"), std::string::npos) << o.reason();
  // Every class of address, as a literal in the URL.
  for (const char* host : {"10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
                           "224.0.0.1", "0.0.0.0", "[::1]", "[fd00::1]", "[fe80::1]", "[ff02::1]", "[::]",
                           "[::ffff:127.0.0.1]", "[::ffff:10.0.0.1]"}) {
    o = test::send(io, guarded, test::post(std::string("http://") + host + ":9/"));
    EXPECT_EQ(o.error, errc::blocked_address) << host << ": " << o.reason();
  }
  EXPECT_EQ(srv.accepted(), 0u);

  // The allow-list lets the test server through, by address and by name.
  http::client allowed(io, test::loopback_options());
  EXPECT_EQ(test::send(io, allowed, test::post(srv.url())).status, 200);
  EXPECT_EQ(test::send(io, allowed, test::post(srv.url("/", "localhost"))).status, 200);
}

TEST(client, connection_refused) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    test::server gone(io, [](const test::received_request&) { return test::respond(200); });
    port = gone.port();
  }
  test::run_for(io, 10ms);
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(o.error, std::errc::connection_refused) << o.reason();
  EXPECT_EQ(o.reason(), "connection refused");
  EXPECT_EQ(c.open_connections(), 0u);
}

TEST(client, stop_cancels_sends_in_progress) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return raw("", test::reply::then::hang); });
  http::client c(io, test::loopback_options());
  std::optional<http::outcome> out;
  c.async_send(test::post(srv.url()), [&](http::outcome o) { out = std::move(o); });
  ASSERT_TRUE(test::run_until(io, [&] { return srv.requests().size() == 1; }));
  c.stop();
  ASSERT_TRUE(test::run_until(io, [&] { return out.has_value(); }));
  EXPECT_EQ(out->error, errc::cancelled);
  EXPECT_EQ(c.open_connections(), 0u);
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).error, errc::cancelled);
}

TEST(client, per_operation_cancellation) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return raw("", test::reply::then::hang); });
  http::client c(io, test::loopback_options());
  asio::cancellation_signal signal;
  std::optional<http::outcome> out;
  c.async_send(test::post(srv.url()),
               asio::bind_cancellation_slot(signal.slot(), [&](http::outcome o) { out = std::move(o); }));
  ASSERT_TRUE(test::run_until(io, [&] { return srv.requests().size() == 1; }));
  signal.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(test::run_until(io, [&] { return out.has_value(); }));
  EXPECT_EQ(out->error, errc::cancelled);
}

TEST(client, completion_is_never_inline) {
  asio::io_context io;
  auto options = test::loopback_options();
  options.allow_http = false;
  http::client c(io, options);
  bool called = false;
  c.async_send(test::post("http://127.0.0.1:9/"), [&](http::outcome) { called = true; });
  EXPECT_FALSE(called);
  io.run();
  EXPECT_TRUE(called);
}

TEST(client, outlives_nothing_it_depends_on) {
  // The client is destroyed while a send is in progress: the send completes with
  // `cancelled` and nothing dangles.
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return raw("", test::reply::then::hang); });
  std::optional<http::outcome> out;
  {
    http::client c(io, test::loopback_options());
    c.async_send(test::post(srv.url()), [&](http::outcome o) { out = std::move(o); });
    ASSERT_TRUE(test::run_until(io, [&] { return srv.requests().size() == 1; }));
  }
  ASSERT_TRUE(test::run_until(io, [&] { return out.has_value(); }));
  EXPECT_EQ(out->error, errc::cancelled);
}
