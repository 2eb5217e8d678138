#include <webhookd/http/connection.hpp> // must be self-contained

#include "test_server.hpp"

#include <asio/connect.hpp>
#include <asio/io_context.hpp>

#include <gtest/gtest.h>

namespace http = webhookd::http;
namespace test = webhookd::test;

TEST(connection, idle_check_sees_the_server_close) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) { return test::respond(200); });
  http::connection c(io.get_executor(), "http://127.0.0.1");
  c.socket().connect({asio::ip::make_address("127.0.0.1"), srv.port()});
  ASSERT_TRUE(test::run_until(io, [&] { return srv.accepted() == 1; }));
  EXPECT_TRUE(c.usable_when_idle());
  srv.stop();
  ASSERT_TRUE(test::run_until(io, [&] { return srv.active() == 0; }));
  test::run_for(io, std::chrono::milliseconds{20});
  EXPECT_FALSE(c.usable_when_idle());
  c.close();
  EXPECT_FALSE(c.is_open());
  EXPECT_FALSE(c.usable_when_idle());
}
