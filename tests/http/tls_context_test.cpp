#include <webhookd/http/tls_context.hpp> // must be self-contained

#include "helpers.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <gtest/gtest.h>

#include <system_error>

namespace http = webhookd::http;
namespace test = webhookd::test;
using webhookd::errc;

namespace {

test::server::options tls_with(const test::cert_key& cert) {
  test::server::options o;
  o.tls = true;
  o.certificate = &cert;
  return o;
}

test::responder ok = [](const test::received_request&) { return test::respond(202); };

} // namespace

TEST(tls, verified_connection_with_keep_alive) {
  asio::io_context io;
  test::server srv(io, ok, tls_with(test::pki().server));
  auto options = test::loopback_options();
  options.allow_http = false;
  http::client c(io, options);
  for (int i = 0; i < 3; ++i) {
    const auto o = test::send(io, c, test::post(srv.url()));
    EXPECT_EQ(o.status, 202) << o.reason();
    EXPECT_EQ(o.reused, i > 0);
  }
  EXPECT_EQ(srv.accepted(), 1u);
}

TEST(tls, host_name_with_sni_and_ca_file) {
  asio::io_context io;
  test::server srv(io, ok, tls_with(test::pki().server));
  auto options = test::loopback_options();
  options.ca_pem.clear();
  options.ca_file = test::pki().ca_file;
  http::client c(io, options);
  const auto o = test::send(io, c, test::post(srv.url("/", "localhost")));
  EXPECT_EQ(o.status, 202) << o.reason();
}

TEST(tls, untrusted_certificate_is_refused_with_the_reason) {
  asio::io_context io;
  test::server srv(io, ok, tls_with(test::pki().untrusted));
  http::client c(io, test::loopback_options());
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::tls_verify_failed);
  EXPECT_EQ(o.reason().rfind("TLS: certificate verify failed (", 0), 0u) << o.reason();
  EXPECT_NE(o.reason().find("self-signed"), std::string::npos) << o.reason();
  EXPECT_TRUE(srv.requests().empty());
  EXPECT_EQ(c.open_connections(), 0u);
}

TEST(tls, system_store_alone_does_not_trust_the_test_ca) {
  asio::io_context io;
  test::server srv(io, ok, tls_with(test::pki().server));
  auto options = test::loopback_options();
  options.ca_pem.clear();
  options.use_system_trust_store = true;
  http::client c(io, options);
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).error, errc::tls_verify_failed);
}

TEST(tls, wrong_host_name_is_refused) {
  asio::io_context io;
  test::server srv(io, ok, tls_with(test::pki().wrong_host));
  http::client c(io, test::loopback_options());
  auto o = test::send(io, c, test::post(srv.url("/", "localhost")));
  EXPECT_EQ(o.error, errc::tls_verify_failed);
  EXPECT_NE(o.reason().find("mismatch"), std::string::npos) << o.reason();
  o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.error, errc::tls_verify_failed);
  EXPECT_NE(o.reason().find("mismatch"), std::string::npos) << o.reason();
  EXPECT_TRUE(srv.requests().empty());
}

TEST(tls, plain_server_on_an_https_url_is_a_handshake_failure) {
  // A plain HTTP server answers the ClientHello with a 400 and closes.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(io);
  const std::string answer = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
  acceptor.async_accept(peer, [&](const std::error_code& ec) {
    if (!ec) asio::async_write(peer, asio::buffer(answer), [&](const std::error_code&, std::size_t) { peer.close(); });
  });
  http::client c(io, test::loopback_options());
  const auto url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
  const auto o = test::send(io, c, test::post(url));
  EXPECT_EQ(o.error, errc::tls_handshake_failed) << o.reason();
}

TEST(tls, sessions_are_resumed_per_origin) {
  asio::io_context io;
  test::server srv(io, [](const test::received_request&) {
    auto r = test::respond(200, "", "Connection: close\r\n");
    r.after = test::reply::then::close;
    return r;
  }, tls_with(test::pki().server));
  http::client c(io, test::loopback_options());
  auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 200) << o.reason();
  EXPECT_FALSE(o.tls_resumed);
  o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 200) << o.reason();
  EXPECT_FALSE(o.reused);
  EXPECT_TRUE(o.tls_resumed);
  EXPECT_EQ(srv.accepted(), 2u);
}

TEST(tls, server_closing_an_idle_tls_connection) {
  asio::io_context io;
  test::server srv(io, ok, tls_with(test::pki().server));
  http::client c(io, test::loopback_options());
  EXPECT_EQ(test::send(io, c, test::post(srv.url())).status, 202);
  srv.close_idle_connections();
  ASSERT_TRUE(test::run_until(io, [&] { return srv.active() == 0; }));
  test::run_for(io, std::chrono::milliseconds{20});
  const auto o = test::send(io, c, test::post(srv.url()));
  EXPECT_EQ(o.status, 202) << o.reason();
  EXPECT_FALSE(o.reused);
  EXPECT_EQ(srv.accepted(), 2u);
}

TEST(tls_context, misconfiguration_throws_at_construction) {
  http::tls_options o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(http::tls_context{o}, std::system_error);
  http::tls_options p;
  p.ca_pem = "not a certificate";
  EXPECT_THROW(http::tls_context{p}, std::system_error);
  EXPECT_NO_THROW(http::tls_context{});
}
