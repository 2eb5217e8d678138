#include <webhookd/model/endpoint.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;
using webhookd::model::endpoint_content_type;
using webhookd::model::endpoint_status;
using webhookd::model::webhook_endpoint;

using model_test::load_seed;

webhook_endpoint sample() {
  using namespace std::chrono;
  webhook_endpoint e;
  e.id = "456789412";
  e.url = "https://example.ilucca.net/lucca-api/webhook-endpoints/456789412";
  e.webhook_url = "https://i-am-aweso.me/lucca-webhooks/123";
  e.topics = {"employee.created", "employee.updated"};
  e.status = endpoint_status::active;
  e.secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
  e.created_at = webhookd::timestamp{sys_days{2023y / 4 / 23}} + 9h + 23min + 54s + 1ms;
  e.last_updated_at = e.created_at;
  return e;
}

TEST(endpoint, seed_002_create_response_round_trips_with_the_secret) {
  const json seed = load_seed("002_endpoint_create_response.json");
  const auto e = seed.get<webhook_endpoint>();
  EXPECT_EQ(e.id, "456789412");
  EXPECT_EQ(e.secret, "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta");
  EXPECT_EQ(e.status, endpoint_status::active);
  EXPECT_EQ(e.content_type, endpoint_content_type::default_);
  EXPECT_EQ(e.topics.size(), 3u);
  EXPECT_FALSE(e.name.has_value());
  EXPECT_FALSE(e.business_establishments.has_value());
  ASSERT_TRUE(e.links.has_value());
  EXPECT_TRUE(e.links->empty());
  EXPECT_EQ(webhookd::format_rfc3339(e.created_at), "2023-04-23T09:23:54.001Z");
  EXPECT_EQ(webhookd::model::to_json_with_secret(e), seed);
}

TEST(endpoint, seed_002_create_request_round_trips_with_null_links) {
  const json seed = load_seed("002_endpoint_create_request.json");
  const auto e = seed.get<webhook_endpoint>();
  EXPECT_TRUE(e.links.is_null());
  EXPECT_TRUE(e.secret.empty());
  EXPECT_EQ(json(e), seed);
}

TEST(endpoint, to_json_never_writes_the_secret) {
  const auto e = sample();
  ASSERT_FALSE(e.secret.empty());
  const json j = e;
  EXPECT_FALSE(j.contains("secret"));
  EXPECT_EQ(j.dump().find(e.secret), std::string::npos);
  // The 201 serializer is the one place it appears.
  EXPECT_EQ(webhookd::model::to_json_with_secret(e)["secret"], e.secret);
}

TEST(endpoint, optional_members_are_left_out_when_unset) {
  const json j = sample();
  EXPECT_FALSE(j.contains("name"));
  EXPECT_FALSE(j.contains("businessEstablishments")); // all establishments
  EXPECT_FALSE(j.contains("links"));
  EXPECT_FALSE(j.contains("embedded"));
  EXPECT_EQ(j["apiVersion"], "2024-11-01");
  EXPECT_EQ(j["contentType"], "default");
  EXPECT_EQ(j["type"], "webhook-endpoint");
}

TEST(endpoint, optional_members_are_written_when_set) {
  auto e = sample();
  e.name = "Payroll sync";
  e.business_establishments = {{"12", "", "https://x/business-establishments/12"}, {"13", "", ""}};
  e.content_type = endpoint_content_type::cloud_events;
  e.status = endpoint_status::suspended;
  e.embedded.emplace();
  e.links.emplace();
  const json j = e;
  EXPECT_EQ(j["name"], "Payroll sync");
  EXPECT_EQ(j["businessEstablishments"], json::parse(R"([
      {"id": "12", "type": "business-establishment", "url": "https://x/business-establishments/12"},
      {"id": "13", "type": "business-establishment"}])"));
  EXPECT_EQ(j["contentType"], "cloudEvents");
  EXPECT_EQ(j["status"], "suspended");
  EXPECT_EQ(j["embedded"], json::object());
  EXPECT_EQ(j["links"], json::object());
  auto back = j.get<webhook_endpoint>();
  back.secret = e.secret; // not written, so not read back
  for (auto& r : *e.business_establishments) r.type = "business-establishment";
  EXPECT_EQ(back, e);
}

TEST(endpoint, null_business_establishments_mean_all) {
  json j = sample();
  j["businessEstablishments"] = nullptr;
  EXPECT_FALSE(j.get<webhook_endpoint>().business_establishments.has_value());
  EXPECT_FALSE(json(j.get<webhook_endpoint>()).contains("businessEstablishments"));
}

TEST(endpoint, content_type_defaults_when_absent) {
  json j = sample();
  j["contentType"] = "cloudEvents";
  EXPECT_EQ(j.get<webhook_endpoint>().content_type, endpoint_content_type::cloud_events);
  j.erase("contentType");
  EXPECT_EQ(j.get<webhook_endpoint>().content_type, endpoint_content_type::default_);
}

TEST(endpoint, status_and_content_type_names) {
  using webhookd::model::parse_endpoint_content_type;
  using webhookd::model::parse_endpoint_status;
  for (auto s : {endpoint_status::active, endpoint_status::suspended, endpoint_status::inactive})
    EXPECT_EQ(parse_endpoint_status(webhookd::model::to_string(s)), s);
  EXPECT_EQ(webhookd::model::to_string(endpoint_status::inactive), "inactive");
  EXPECT_EQ(parse_endpoint_status("Active"), std::nullopt);
  EXPECT_EQ(parse_endpoint_content_type("cloudEvents"), endpoint_content_type::cloud_events);
  EXPECT_EQ(parse_endpoint_content_type("default"), endpoint_content_type::default_);
  EXPECT_EQ(parse_endpoint_content_type("cloudevents"), std::nullopt);
}

TEST(endpoint, a_default_endpoint_is_inactive_on_the_current_api_version) {
  const webhook_endpoint e;
  EXPECT_EQ(e.status, endpoint_status::inactive);
  EXPECT_EQ(e.api_version, webhookd::model::latest_api_version);
  EXPECT_EQ(e.content_type, endpoint_content_type::default_);
}

TEST(endpoint, from_json_requires_the_full_representation) {
  const json full = sample();
  for (const char* member : {"id", "type", "url", "apiVersion", "webhookUrl", "topics", "status", "createdAt",
                             "lastUpdatedAt"}) {
    json j = full;
    j.erase(member);
    EXPECT_THROW((void)j.get<webhook_endpoint>(), json::exception) << member;
  }
}

TEST(endpoint, from_json_refuses_malformed_members) {
  const json full = sample();
  const std::pair<const char*, json> bad[] = {
      {"type", "event"},
      {"status", "paused"},
      {"contentType", "xml"},
      {"topics", "employee.created"},
      {"topics", json::array({1})},
      {"createdAt", "2023-04-23"},
      {"apiVersion", "2024-11"},
      {"businessEstablishments", json::object()},
      {"businessEstablishments", json::array({json::object()})},
      {"links", "none"},
      {"embedded", json::array()},
      {"name", 3},
  };
  for (const auto& [member, value] : bad) {
    json j = full;
    j[member] = value;
    EXPECT_THROW((void)j.get<webhook_endpoint>(), json::exception) << member << " = " << value;
  }
}

} // namespace
