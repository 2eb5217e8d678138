#include <webhookd/model/collection.hpp> // must be self-contained

#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;
using webhookd::model::collection;
using webhookd::model::webhook_delivery;

using model_test::load_seed;

TEST(collection, seed_001_round_trips) {
  const json seed = load_seed("001_deliveries_list_response.json");
  const auto c = seed.get<collection<webhook_delivery>>();
  EXPECT_EQ(c.url, "https://example.ilucca.net/lucca-api/webhook-deliveries?limit=25");
  EXPECT_EQ(c.total_count, 29);
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c.items[0].id, "78fa5d8c-3436-49aa-82cc-ab1a64c48ed9");
  EXPECT_FALSE(c.links.prev.has_value());
  ASSERT_TRUE(c.links.next.has_value());
  EXPECT_EQ(c.links.next->href, "https://example.ilucca.net/lucca-api/webhook-deliveries?page=!43df&limit=25");
  ASSERT_TRUE(c.embedded.has_value());
  EXPECT_EQ(*c.embedded, webhookd::model::webhook_delivery_embedded{});
  EXPECT_EQ(json(c), seed);
}

TEST(collection, prev_and_next_are_always_written) {
  collection<webhook_delivery> c;
  c.url = "https://x/lucca-api/webhook-deliveries";
  const json j = c;
  EXPECT_EQ(j, json::parse(R"({"type": "webhook-deliveries", "url": "https://x/lucca-api/webhook-deliveries",
      "items": [], "links": {"prev": null, "next": null}})"));
}

TEST(collection, total_count_and_embedded_appear_only_when_set) {
  collection<webhook_delivery> c;
  EXPECT_FALSE(json(c).contains("totalCount"));
  EXPECT_FALSE(json(c).contains("embedded"));
  c.total_count = 0;
  c.embedded.emplace();
  EXPECT_EQ(json(c)["totalCount"], 0);
  EXPECT_EQ(json(c)["embedded"], json::object());
}

TEST(collection, type_follows_the_resource) {
  EXPECT_EQ(json(collection<webhookd::model::webhook_endpoint>{})["type"], "webhook-endpoints");
  EXPECT_EQ(collection<webhook_delivery>::type_name, "webhook-deliveries");
}

TEST(collection, endpoints_in_a_collection_never_carry_the_secret) {
  collection<webhookd::model::webhook_endpoint> c;
  c.items.emplace_back().secret = "s3cr3t";
  EXPECT_EQ(json(c).dump().find("s3cr3t"), std::string::npos);
}

TEST(collection, from_json_refuses_malformed_input) {
  const json full = load_seed("001_deliveries_list_response.json");
  for (const char* member : {"type", "url", "items", "links"}) {
    json j = full;
    j.erase(member);
    EXPECT_THROW((void)j.get<collection<webhook_delivery>>(), json::exception) << member;
  }
  const std::pair<const char*, json> bad[] = {
      {"type", "webhook-endpoints"}, {"totalCount", -1},  {"totalCount", "29"},
      {"items", json::object()},     {"links", json::array()},
  };
  for (const auto& [member, value] : bad) {
    json j = full;
    j[member] = value;
    EXPECT_THROW((void)j.get<collection<webhook_delivery>>(), json::exception) << member << " = " << value;
  }
  json j = full;
  j.erase("totalCount");
  EXPECT_FALSE(j.get<collection<webhook_delivery>>().total_count.has_value());
}

} // namespace
