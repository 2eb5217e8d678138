#include <webhookd/model/event.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;
using webhookd::model::event;

using model_test::load_seed;

json seed_event() { return load_seed("000_attempt_get_response.json")["embedded"]["event"]["123"]; }

TEST(event, the_seed_event_round_trips) {
  const json seed = seed_event();
  const auto e = seed.get<event>();
  EXPECT_EQ(e.id, "123");
  EXPECT_EQ(e.topic, "employee.updated");
  EXPECT_EQ(webhookd::format_date(e.api_version), "2024-01-01");
  EXPECT_EQ(webhookd::format_rfc3339(e.occurred_at), "2024-02-01T09:34:23.001Z");
  EXPECT_EQ(e.source, "https://example.ilucca.net");
  ASSERT_TRUE(e.business_establishment.has_value());
  EXPECT_EQ(e.business_establishment->id, "12");
  EXPECT_EQ(e.business_establishment->type, "business-establishment");
  EXPECT_EQ(e.data["givenName"], "Edward");
  // data is kept as JSON: its 4-digit fractions are not reformatted.
  EXPECT_EQ(e.data["createdAt"], "2024-04-15T23:12:54.0001Z");
  ASSERT_TRUE(e.previous_attributes.has_value());
  EXPECT_EQ((*e.previous_attributes)["givenName"], "Ed");
  ASSERT_TRUE(e.links.has_value());
  ASSERT_NE(e.links->find("retry"), nullptr);
  EXPECT_EQ(e.links->find("retry")->href, "https://example.ilucca.net/lucca-api/webhook-deliveries");
  EXPECT_FALSE(e.embedded.has_value());
  EXPECT_EQ(json(e), seed);
}

TEST(event, no_business_establishment_is_written_null) {
  auto e = seed_event().get<event>();
  e.business_establishment.reset();
  const json j = e;
  ASSERT_TRUE(j.contains("businessEstablishment"));
  EXPECT_TRUE(j["businessEstablishment"].is_null());
  EXPECT_FALSE(j.get<event>().business_establishment.has_value());
}

TEST(event, previous_attributes_links_and_embedded_are_left_out_when_unset) {
  auto e = seed_event().get<event>();
  e.previous_attributes.reset();
  e.links.reset();
  const json j = e;
  EXPECT_FALSE(j.contains("previousAttributes"));
  EXPECT_FALSE(j.contains("links"));
  EXPECT_FALSE(j.contains("embedded"));
  e.embedded.emplace();
  EXPECT_EQ(json(e)["embedded"], json::object());
  EXPECT_EQ(json(e).get<event>(), e);
}

TEST(event, timestamps_with_offsets_are_read_as_utc_and_written_in_z_form) {
  json j = seed_event();
  j["occurredAt"] = "2024-02-01T10:34:23.0015+01:00";
  EXPECT_EQ(json(j.get<event>())["occurredAt"], "2024-02-01T09:34:23.001Z");
}

TEST(event, a_default_event_has_an_empty_object_as_data) {
  const event e;
  EXPECT_TRUE(e.data.is_object());
  EXPECT_EQ(e.api_version, webhookd::model::latest_api_version);
}

TEST(event, from_json_requires_the_full_representation) {
  const json full = seed_event();
  for (const char* member : {"id", "type", "url", "apiVersion", "topic", "occurredAt", "source", "data"}) {
    json j = full;
    j.erase(member);
    EXPECT_THROW((void)j.get<event>(), json::exception) << member;
  }
  json j = full;
  j.erase("businessEstablishment");
  j.erase("previousAttributes");
  j.erase("links");
  EXPECT_NO_THROW((void)j.get<event>());
}

TEST(event, from_json_refuses_malformed_members) {
  const json full = seed_event();
  const std::pair<const char*, json> bad[] = {
      {"type", "webhook-delivery"}, {"data", json::array()},       {"data", "x"},
      {"previousAttributes", 1},    {"occurredAt", "2024-02-01"}, {"businessEstablishment", "12"},
      {"topic", 1},
  };
  for (const auto& [member, value] : bad) {
    json j = full;
    j[member] = value;
    EXPECT_THROW((void)j.get<event>(), json::exception) << member << " = " << value;
  }
}

} // namespace
