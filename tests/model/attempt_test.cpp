#include <webhookd/model/attempt.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;
using webhookd::model::webhook_delivery_attempt;

using model_test::load_seed;

TEST(attempt, seed_000_round_trips_with_its_embedded_delivery_and_event) {
  const json seed = load_seed("000_attempt_get_response.json");
  const auto a = seed.get<webhook_delivery_attempt>();
  EXPECT_EQ(a.id, "874");
  EXPECT_EQ(a.webhook_delivery.id, "87");
  EXPECT_EQ(a.webhook_delivery.type, "webhook-delivery");
  EXPECT_TRUE(a.is_successful);
  EXPECT_EQ(a.response_status_code, 202);
  EXPECT_EQ(a.error_response_body, "");
  EXPECT_EQ(webhookd::format_rfc3339(a.created_at), "2024-04-03T09:23:56.235Z");
  ASSERT_TRUE(a.links.has_value());
  EXPECT_TRUE(a.links->empty());

  // The embedded resources are parsed into their model types.
  ASSERT_TRUE(a.embedded.has_value());
  ASSERT_EQ(a.embedded->webhook_deliveries.size(), 1u);
  const auto& d = a.embedded->webhook_deliveries.at("87");
  EXPECT_EQ(d.status, webhookd::model::delivery_status::delivered);
  EXPECT_EQ(d.attempts_count, 2);
  EXPECT_EQ(d.event.id, "123");
  EXPECT_FALSE(d.embedded.has_value());
  ASSERT_EQ(a.embedded->events.size(), 1u);
  const auto& e = a.embedded->events.at("123");
  EXPECT_EQ(e.topic, "employee.updated");
  EXPECT_EQ(e.data["familyName"], "Atkinson");
  EXPECT_TRUE(a.embedded->other.empty());
  EXPECT_TRUE(a.embedded->webhook_endpoints.empty());

  EXPECT_EQ(json(a), seed);
  // And each embedded resource round-trips on its own.
  EXPECT_EQ(json(d), seed["embedded"]["webhook-delivery"]["87"]);
  EXPECT_EQ(json(e), seed["embedded"]["event"]["123"]);
}

TEST(attempt, no_http_answer_is_a_null_status_code) {
  auto a = load_seed("000_attempt_get_response.json").get<webhook_delivery_attempt>();
  a.is_successful = false;
  a.response_status_code.reset();
  a.error_response_body = "timeout after 3000 ms";
  const json j = a;
  ASSERT_TRUE(j.contains("responseStatusCode"));
  EXPECT_TRUE(j["responseStatusCode"].is_null());
  EXPECT_EQ(j["errorResponseBody"], "timeout after 3000 ms");
  EXPECT_EQ(j.get<webhook_delivery_attempt>(), a);
}

TEST(attempt, links_and_embedded_are_left_out_when_not_asked_for) {
  auto a = load_seed("000_attempt_get_response.json").get<webhook_delivery_attempt>();
  a.links.reset();
  a.embedded.reset();
  const json j = a;
  EXPECT_FALSE(j.contains("links"));
  EXPECT_FALSE(j.contains("embedded"));
  a.embedded.emplace();
  EXPECT_EQ(json(a)["embedded"], json::object());
}

TEST(attempt, from_json_refuses_malformed_input) {
  const json full = load_seed("000_attempt_get_response.json");
  for (const char* member : {"id", "type", "url", "signature", "webhookDelivery", "isSuccessful",
                             "errorResponseBody", "createdAt"}) {
    json j = full;
    j.erase(member);
    EXPECT_THROW((void)j.get<webhook_delivery_attempt>(), json::exception) << member;
  }
  const std::pair<const char*, json> bad[] = {
      {"isSuccessful", "true"}, {"responseStatusCode", "202"}, {"responseStatusCode", 2.5},
      {"type", "webhook-delivery"},
  };
  for (const auto& [member, value] : bad) {
    json j = full;
    j[member] = value;
    EXPECT_THROW((void)j.get<webhook_delivery_attempt>(), json::exception) << member << " = " << value;
  }
  json j = full;
  j["embedded"]["webhook-delivery"]["87"].erase("status");
  EXPECT_THROW((void)j.get<webhook_delivery_attempt>(), json::exception);
}

} // namespace
