// Helpers shared by the tests of http/.
#ifndef WEBHOOKD_TESTS_HTTP_HELPERS_HPP
#define WEBHOOKD_TESTS_HTTP_HELPERS_HPP

#include <webhookd/http/client.hpp>

#include "certs.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

namespace webhookd::test {

/// Client options for loopback tests: 127.0.0.0/8 and ::1 allowed, plain HTTP
/// allowed, the test CA trusted (and not the system store).
inline http::client_options loopback_options() {
  http::client_options o;
  o.allowed_networks = {*http::network::parse("127.0.0.0/8"), *http::network::parse("::1")};
  o.allow_http = true;
  o.use_system_trust_store = false;
  o.ca_pem = pki().ca.cert_pem;
  return o;
}

inline http::request post(const std::string& target, std::string body = R"({"id":"1"})") {
  auto u = parse_url(target);
  EXPECT_TRUE(u.has_value()) << target;
  http::request r("POST", *u, std::make_shared<const std::string>(std::move(body)));
  r.set("Content-Type", "application/json");
  return r;
}

/// Sends and runs `io` until the outcome arrives.
inline http::outcome send(asio::io_context& io, http::client& c, http::request r) {
  std::optional<http::outcome> out;
  c.async_send(std::move(r), [&](http::outcome o) { out = std::move(o); });
  EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
  return out.value_or(http::outcome{});
}

} // namespace webhookd::test

#endif
