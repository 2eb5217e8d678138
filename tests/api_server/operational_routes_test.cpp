#include <webhookd/api/operational_routes.hpp> // must be self-contained

#include "client.hpp"

#include <webhookd/api/server.hpp>

#include <gtest/gtest.h>

#include <asio/ip/address.hpp>

#include <chrono>
#include <string>

namespace api = webhookd::api;
namespace test = webhookd::test;
using namespace std::chrono_literals;

namespace {

// /metrics and /healthz in front of a handler that answers 418, on a real server.
class operational_routes : public ::testing::Test {
protected:
  void SetUp() override {
    api::operational_options options;
    options.probe = [this] { return health; };
    auto inner = [](api::request, api::response_sink done) {
      api::response r;
      r.status = 418;
      done(std::move(r));
    };
    server = std::make_unique<api::server>(
        io.get_executor(), api::with_operational_routes(inner, metrics, options));
    ASSERT_FALSE(server->listen({asio::ip::make_address("127.0.0.1"), 0}));
  }

  test::wire_response get(std::string_view method, std::string_view target) {
    test::wire_client c(io);
    EXPECT_FALSE(c.connect(server->local_endpoint()));
    EXPECT_FALSE(c.send(std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    auto r = c.read_response(method == "HEAD");
    EXPECT_TRUE(r.has_value());
    return r ? *r : test::wire_response{};
  }

  asio::io_context io;
  webhookd::engine::metrics metrics;
  api::health_report health;
  std::unique_ptr<api::server> server;
};

TEST_F(operational_routes, metrics_are_the_prometheus_text_format_of_the_engine_counters) {
  metrics.published = 7;
  metrics.delivered = 5;
  metrics.in_flight = 2;
  metrics.attempt_latency.observe(3ms);   // bucket le=0.005
  metrics.attempt_latency.observe(70ms);  // le=0.1
  metrics.attempt_latency.observe(9s);    // above every bound
  const auto r = get("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& b = r.body;
  EXPECT_NE(b.find("# TYPE webhookd_events_published_total counter\nwebhookd_events_published_total 7\n"),
            std::string::npos) << b;
  EXPECT_NE(b.find("\nwebhookd_delivered_total 5\n"), std::string::npos);
  EXPECT_NE(b.find("# TYPE webhookd_in_flight gauge\nwebhookd_in_flight 2\n"), std::string::npos);
  // Cumulative buckets in seconds, then +Inf, sum and count.
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_bucket{le=\"0.001\"} 0\n"), std::string::npos) << b;
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos);
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_bucket{le=\"5\"} 2\n"), std::string::npos);
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_sum 9.073"), std::string::npos);
  EXPECT_NE(b.find("webhookd_attempt_duration_seconds_count 3\n"), std::string::npos);
  // Every sample line is `name[{labels}] value`, every metric has HELP and TYPE.
  std::size_t types = 0;
  for (std::size_t at = 0; (at = b.find("# TYPE ", at)) != std::string::npos; ++at) ++types;
  EXPECT_EQ(types, 17u);
}

TEST_F(operational_routes, healthz_says_ok_or_503_with_the_probe_detail) {
  auto r = get("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  health = {false, "store unreachable"};
  r = get("GET", "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "unhealthy: store unreachable\n");
  r = get("HEAD", "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(operational_routes, other_methods_are_refused_and_other_paths_pass_through) {
  auto r = get("POST", "/metrics");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  EXPECT_EQ(get("GET", "/lucca-api/events").status, 418);
  EXPECT_EQ(get("GET", "/metrics/extra").status, 418);
}

} // namespace
