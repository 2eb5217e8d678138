#include <webhookd/model/delivery_request.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using webhookd::model::parse_delivery_create;

using model_test::messages;

void expect_errors(const json& body, std::vector<std::string> expected) {
  const auto r = parse_delivery_create(body);
  ASSERT_FALSE(r) << body;
  EXPECT_EQ(messages(r.error()), expected) << body;
}

TEST(delivery_request, an_endpoint_alone_asks_for_a_test_delivery) {
  const auto r = parse_delivery_create(json::parse(R"({"webhookEndpoint": {"id": "12"}})"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->webhook_endpoint_id, "12");
  EXPECT_FALSE(r->event_id.has_value());
  EXPECT_TRUE(r->is_test());
}

TEST(delivery_request, an_event_and_an_endpoint_ask_for_a_re_send) {
  const auto r = parse_delivery_create(json::parse(R"({"event": {"id": "2455623"}, "webhookEndpoint": {"id": "12"}})"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->webhook_endpoint_id, "12");
  EXPECT_EQ(r->event_id, "2455623");
  EXPECT_FALSE(r->is_test());
}

TEST(delivery_request, a_null_event_is_a_test_delivery) {
  const auto r = parse_delivery_create(json::parse(R"({"event": null, "webhookEndpoint": {"id": "12"}})"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_test());
}

TEST(delivery_request, a_delivery_representation_is_accepted_and_its_read_only_members_ignored) {
  std::ifstream in(std::string(WEBHOOKD_TEST_FIXTURES) + "/seeds/001_deliveries_list_response.json");
  ASSERT_TRUE(in);
  const json delivery = json::parse(in)["items"][0];
  const auto r = parse_delivery_create(delivery);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->event_id, "2455623");
  EXPECT_EQ(r->webhook_endpoint_id, "12");
}

TEST(delivery_request, the_endpoint_is_required) {
  expect_errors(json::object(), {"webhookEndpoint: is required"});
  expect_errors(json::parse(R"({"event": {"id": "1"}})"), {"webhookEndpoint: is required"});
  expect_errors(json::parse(R"({"webhookEndpoint": null})"), {"webhookEndpoint: must be an object with an id"});
  expect_errors(json::parse(R"({"webhookEndpoint": "12"})"), {"webhookEndpoint: must be an object with an id"});
}

TEST(delivery_request, references_need_a_non_empty_string_id) {
  expect_errors(json::parse(R"({"webhookEndpoint": {}})"), {"webhookEndpoint.id: is required"});
  expect_errors(json::parse(R"({"webhookEndpoint": {"id": ""}})"), {"webhookEndpoint.id: must be a non-empty string"});
  expect_errors(json::parse(R"({"webhookEndpoint": {"id": 12}})"), {"webhookEndpoint.id: must be a non-empty string"});
  expect_errors(json::parse(R"({"webhookEndpoint": {"id": "12"}, "event": {"id": null}})"),
                {"event.id: must be a non-empty string"});
}

TEST(delivery_request, unknown_members_are_refused_at_every_level) {
  expect_errors(json::parse(R"({"webhookEndpoint": {"id": "12"}, "topic": "ping"})"), {"topic: unknown field"});
  expect_errors(json::parse(R"({"webhookEndpoint": {"id": "12", "name": "x"}})"), {"webhookEndpoint.name: unknown field"});
}

TEST(delivery_request, every_violation_is_reported_together) {
  expect_errors(json::parse(R"({"event": {"idd": "1"}, "foo": 1, "webhookEndpoint": {"id": ""}})"),
                {"event.id: is required", "event.idd: unknown field", "foo: unknown field",
                 "webhookEndpoint.id: must be a non-empty string"});
}

TEST(delivery_request, the_body_must_be_an_object) {
  for (const json& body : {json::array(), json("x"), json(nullptr)}) expect_errors(body, {"body: must be a JSON object"});
}

TEST(delivery_request, hostile_shapes_never_throw) {
  const json values[] = {nullptr, 1, "x", json::array(), json::object(), json::parse(R"({"id": {"id": 1}})")};
  for (const char* member : {"webhookEndpoint", "event", "status"})
    for (const auto& v : values) EXPECT_NO_THROW((void)parse_delivery_create(json{{member, v}}));
}

} // namespace
