#include <webhookd/model/delivery.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;
using webhookd::model::delivery_status;
using webhookd::model::webhook_delivery;

using model_test::load_seed;

json seed_delivery() { return load_seed("001_deliveries_list_response.json")["items"][0]; }

TEST(delivery, the_seed_delivery_round_trips) {
  const json seed = seed_delivery();
  const auto d = seed.get<webhook_delivery>();
  EXPECT_EQ(d.id, "78fa5d8c-3436-49aa-82cc-ab1a64c48ed9");
  ASSERT_TRUE(d.next_attempt_at.has_value());
  EXPECT_EQ(webhookd::format_rfc3339(*d.next_attempt_at), "2023-08-29T09:12:33.001Z");
  EXPECT_EQ(d.attempts_count, 2);
  EXPECT_EQ(d.status, delivery_status::delivered);
  EXPECT_EQ(d.event.id, "2455623");
  EXPECT_EQ(d.event.type, "event");
  EXPECT_EQ(d.webhook_endpoint.id, "12");
  EXPECT_EQ(d.webhook_endpoint.type, "webhook-endpoint");
  ASSERT_TRUE(d.links.has_value());
  EXPECT_NE(d.links->find("attempts"), nullptr);
  EXPECT_EQ(json(d), seed);
}

TEST(delivery, no_planned_attempt_is_written_null) {
  auto d = seed_delivery().get<webhook_delivery>();
  d.next_attempt_at.reset();
  const json j = d;
  ASSERT_TRUE(j.contains("nextAttemptAt"));
  EXPECT_TRUE(j["nextAttemptAt"].is_null());
  EXPECT_FALSE(j.get<webhook_delivery>().next_attempt_at.has_value());
  json absent = j;
  absent.erase("nextAttemptAt");
  EXPECT_FALSE(absent.get<webhook_delivery>().next_attempt_at.has_value());
}

TEST(delivery, the_event_reference_always_has_type_event) {
  json j = seed_delivery();
  j["event"]["type"] = "employee.created"; // how the OAS types it
  const auto d = j.get<webhook_delivery>();
  EXPECT_EQ(d.event.type, "event");
  EXPECT_EQ(json(d)["event"]["type"], "event");

  webhook_delivery built;
  built.event = {"5", "", ""};
  built.webhook_endpoint = {"12", "", ""};
  EXPECT_EQ(json(built)["event"], json::parse(R"({"id": "5", "type": "event"})"));
  EXPECT_EQ(json(built)["webhookEndpoint"], json::parse(R"({"id": "12", "type": "webhook-endpoint"})"));
}

TEST(delivery, a_new_delivery_is_undelivered_with_no_attempts) {
  const webhook_delivery d;
  EXPECT_EQ(d.status, delivery_status::undelivered);
  EXPECT_EQ(d.attempts_count, 0);
}

TEST(delivery, status_names) {
  for (auto s : {delivery_status::delivered, delivery_status::undelivered, delivery_status::failed}) {
    EXPECT_EQ(webhookd::model::parse_delivery_status(webhookd::model::to_string(s)), s);
    EXPECT_EQ(json(s).get<delivery_status>(), s);
  }
  EXPECT_EQ(json(delivery_status::undelivered), "undelivered");
  EXPECT_EQ(webhookd::model::parse_delivery_status("pending"), std::nullopt);
}

TEST(delivery, embedded_events_are_read_into_the_model) {
  json j = seed_delivery();
  j["embedded"] = {{"event", {{"2455623", load_seed("000_attempt_get_response.json")["embedded"]["event"]["123"]}}}};
  j["embedded"]["event"]["2455623"]["id"] = "2455623";
  j["embedded"]["employee"] = {{"416", {{"id", "416"}}}};
  const auto d = j.get<webhook_delivery>();
  ASSERT_TRUE(d.embedded.has_value());
  ASSERT_EQ(d.embedded->events.size(), 1u);
  EXPECT_EQ(d.embedded->events.at("2455623").topic, "employee.updated");
  EXPECT_EQ(d.embedded->other.at("employee").at("416")["id"], "416");
  EXPECT_EQ(json(d), j);
}

TEST(delivery, embedded_endpoints_never_carry_the_secret) {
  webhook_delivery d;
  d.embedded.emplace();
  webhookd::model::webhook_endpoint e;
  e.id = "12";
  e.secret = "s3cr3t";
  webhookd::model::embed(d.embedded->webhook_endpoints, e);
  const json j = d;
  EXPECT_FALSE(j["embedded"]["webhook-endpoint"]["12"].contains("secret"));
}

TEST(delivery, empty_embedded_is_an_empty_object) {
  webhook_delivery d;
  d.embedded.emplace();
  EXPECT_EQ(json(d)["embedded"], json::object());
}

TEST(delivery, from_json_refuses_malformed_input) {
  const json full = seed_delivery();
  for (const char* member : {"id", "type", "url", "attemptsCount", "status", "event", "webhookEndpoint"}) {
    json j = full;
    j.erase(member);
    EXPECT_THROW((void)j.get<webhook_delivery>(), json::exception) << member;
  }
  const std::pair<const char*, json> bad[] = {
      {"attemptsCount", -1},   {"attemptsCount", "2"}, {"status", "sent"},  {"nextAttemptAt", 5},
      {"event", json::object()}, {"type", "event"},     {"embedded", json::parse(R"({"event": {"1": {}}})")},
  };
  for (const auto& [member, value] : bad) {
    json j = full;
    j[member] = value;
    EXPECT_THROW((void)j.get<webhook_delivery>(), json::exception) << member << " = " << value;
  }
}

} // namespace
