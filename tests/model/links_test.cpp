#include <webhookd/model/links.hpp> // must be self-contained

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
using webhookd::model::link;
using webhookd::model::link_map;

TEST(links, a_link_is_an_href_object) {
  EXPECT_EQ(json(link{"https://x/y"}), json::parse(R"({"href": "https://x/y"})"));
  EXPECT_EQ(json::parse(R"({"href": "https://x/y"})").get<link>(), link{"https://x/y"});
  EXPECT_THROW((void)json::object().get<link>(), json::out_of_range);
  EXPECT_THROW((void)json("https://x").get<link>(), json::type_error);
}

TEST(links, an_empty_map_is_an_empty_object) {
  EXPECT_EQ(json(link_map{}), json::object());
  EXPECT_TRUE(json::object().get<link_map>().empty());
}

TEST(links, inaccessible_links_are_null) {
  link_map m;
  m.set("attempts", "https://x/webhook-delivery-attempts?webhookDelivery.id=87");
  m.set_null("retry");
  const json expected = json::parse(R"({
      "attempts": {"href": "https://x/webhook-delivery-attempts?webhookDelivery.id=87"},
      "retry": null})");
  EXPECT_EQ(json(m), expected);
  EXPECT_EQ(expected.get<link_map>(), m);
  ASSERT_NE(m.find("attempts"), nullptr);
  EXPECT_EQ(m.find("attempts")->href, "https://x/webhook-delivery-attempts?webhookDelivery.id=87");
  EXPECT_EQ(m.find("retry"), nullptr);
  EXPECT_EQ(m.find("missing"), nullptr);
}

TEST(links, set_replaces) {
  link_map m;
  m.set("a", "1");
  m.set("a", "2");
  EXPECT_EQ(m.entries.size(), 1u);
  EXPECT_EQ(m.find("a")->href, "2");
}

TEST(links, refuses_malformed_input) {
  EXPECT_THROW((void)json::array().get<link_map>(), json::type_error);
  EXPECT_THROW((void)json::parse(R"({"a": "https://x"})").get<link_map>(), json::type_error);
  EXPECT_THROW((void)json::parse(R"({"a": {"href": 1}})").get<link_map>(), json::type_error);
}

} // namespace
