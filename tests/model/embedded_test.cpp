#include <webhookd/model/embedded.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace {

using nlohmann::json;
using webhookd::model::basic_embedded;

TEST(embedded, empty_is_an_empty_object) {
  EXPECT_EQ(json(basic_embedded{}), json::object());
  EXPECT_EQ(json::object().get<basic_embedded>(), basic_embedded{});
}

TEST(embedded, unknown_kinds_round_trip_as_json) {
  const json in = json::parse(R"({
      "employee": {"416": {"id": "416", "type": "employee", "givenName": "Edward"}},
      "business-establishment": {"12": {"id": "12"}, "13": {"id": "13"}}})");
  const auto e = in.get<basic_embedded>();
  ASSERT_EQ(e.other.size(), 2u);
  EXPECT_EQ(e.other.at("employee").at("416")["givenName"], "Edward");
  EXPECT_EQ(json(e), in);
}

TEST(embedded, refuses_malformed_dictionaries) {
  EXPECT_THROW((void)json::array().get<basic_embedded>(), json::type_error);
  EXPECT_THROW((void)json::parse(R"({"employee": []})").get<basic_embedded>(), json::type_error);
  EXPECT_THROW((void)json::parse(R"({"employee": {"1": 5}})").get<basic_embedded>(), json::type_error);
}

struct item {
  std::string id;
  int n = 0;
};

TEST(embedded, embed_keys_by_id_and_replaces) {
  webhookd::model::embedded_map<item> m;
  webhookd::model::embed(m, item{"a", 1});
  webhookd::model::embed(m, item{"b", 2});
  webhookd::model::embed(m, item{"a", 3});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a").n, 3);
}

} // namespace
