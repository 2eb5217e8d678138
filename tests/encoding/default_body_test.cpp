#include <webhookd/encoding/default_body.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace encoding = webhookd::encoding;
using webhookd::model::event;

json seed_event_json() {
  std::ifstream in(std::string(WEBHOOKD_TEST_FIXTURES) + "/seeds/000_attempt_get_response.json");
  if (!in) throw std::runtime_error("missing fixture");
  return json::parse(in)["embedded"]["event"]["123"];
}

TEST(default_body, content_type_is_exactly_application_json) {
  EXPECT_EQ(encoding::json_media_type, "application/json");
}

TEST(default_body, is_the_event_object_without_links_and_embedded) {
  const json seed = seed_event_json();
  auto e = seed.get<event>();
  e.embedded.emplace();
  ASSERT_TRUE(e.links.has_value());

  json expected = seed;
  expected.erase("links");
  const std::string body = encoding::encode_default_body(e);
  EXPECT_EQ(json::parse(body), expected);
  EXPECT_EQ(encoding::default_body_json(e), expected);
  EXPECT_EQ(body.find("\"links\""), std::string::npos);
  EXPECT_EQ(body.find("\"embedded\""), std::string::npos);
  EXPECT_EQ(body.find("\"retry\""), std::string::npos);
}

TEST(default_body, keeps_every_member_of_the_event) {
  const json body = json::parse(encoding::encode_default_body(seed_event_json().get<event>()));
  for (const char* member : {"id", "type", "url", "apiVersion", "topic", "occurredAt", "source",
                             "businessEstablishment", "data", "previousAttributes"})
    EXPECT_TRUE(body.contains(member)) << member;
  EXPECT_EQ(body["type"], "event");
  EXPECT_EQ(body["occurredAt"], "2024-02-01T09:34:23.001Z");
}

TEST(default_body, is_compact) {
  const std::string body = encoding::encode_default_body(seed_event_json().get<event>());
  EXPECT_EQ(body, json::parse(body).dump()); // no whitespace between tokens
  EXPECT_EQ(body.find('\n'), std::string::npos);
  EXPECT_EQ(body.find("\": "), std::string::npos);
  EXPECT_EQ(body.front(), '{');
}

TEST(default_body, an_event_without_establishment_says_null) {
  event e;
  e.id = "1";
  e.topic = "employee.created";
  e.source = "https://example.ilucca.net";
  EXPECT_TRUE(json::parse(encoding::encode_default_body(e))["businessEstablishment"].is_null());
}

TEST(default_body, invalid_utf8_in_a_built_event_is_replaced_not_thrown) {
  event e;
  e.id = "1";
  e.topic = "employee.created";
  e.source = "https://example.ilucca.net";
  e.data = {{"name", std::string("caf\xE9")}}; // Latin-1, not UTF-8
  std::string body;
  ASSERT_NO_THROW(body = encoding::encode_default_body(e));
  EXPECT_EQ(json::parse(body)["data"]["name"], "caf\xEF\xBF\xBD"); // U+FFFD
}

TEST(default_body, non_ascii_text_is_sent_as_utf8) {
  event e;
  e.data = {{"givenName", "Zo\xC3\xAB"}};
  EXPECT_NE(encoding::encode_default_body(e).find("Zo\xC3\xAB"), std::string::npos);
}

TEST(default_body, the_direct_writer_matches_the_json_object_dumped_byte_for_byte) {
  // encode_default_body writes the members itself; default_body_json is the reference.
  const json seed = seed_event_json();
  std::vector<event> cases;
  cases.push_back(seed.get<event>()); // with a business establishment and links
  event e = seed.get<event>();
  e.business_establishment.reset();
  e.previous_attributes = json{{"name", "Old"}, {"tags", {1, 2.5, true, nullptr}}};
  e.data = {{"note", "caf\u00e9 \"quoted\" \\ back\nline"}, {"n", -3}, {"u", 18446744073709551615ull},
            {"nested", {{"z", {}}, {"a", json::array()}}}};
  e.source = "https://example.ilucca.net/\u00e9";
  cases.push_back(e);
  e.data = json::object();
  e.previous_attributes.reset();
  e.id = "bad\xff utf8";
  cases.push_back(e);
  for (const auto& c : cases)
    EXPECT_EQ(encoding::encode_default_body(c),
              encoding::write_compact_json(encoding::default_body_json(c)));
}

} // namespace
