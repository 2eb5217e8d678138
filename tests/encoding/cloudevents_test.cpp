#include <webhookd/encoding/cloudevents.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;
namespace encoding = webhookd::encoding;
using webhookd::model::event;

event seed_event() {
  std::ifstream in(std::string(WEBHOOKD_TEST_FIXTURES) + "/seeds/000_attempt_get_response.json");
  if (!in) throw std::runtime_error("missing fixture");
  return json::parse(in)["embedded"]["event"]["123"].get<event>();
}

// CloudEvents 1.0 (cloudevents/spec, spec.md and formats/json-format.md), structured mode.
void expect_valid_cloudevent(const json& ce) {
  ASSERT_TRUE(ce.is_object());
  // Required context attributes.
  for (const char* required : {"id", "source", "specversion", "type"}) {
    ASSERT_TRUE(ce.contains(required)) << required;
    ASSERT_TRUE(ce[required].is_string()) << required;
    EXPECT_FALSE(ce[required].get<std::string>().empty()) << required;
  }
  EXPECT_EQ(ce["specversion"], "1.0");
  // Attribute names: lower-case ASCII letters and digits only (20 characters or fewer
  // is recommended).
  for (const auto& [name, value] : ce.items()) {
    EXPECT_LE(name.size(), 20u) << name;
    for (const char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << name;
  }
  // Optional attributes, when present, have their types.
  if (ce.contains("time")) {
    ASSERT_TRUE(ce["time"].is_string());
    EXPECT_TRUE(webhookd::parse_rfc3339(ce["time"].get<std::string>())) << ce["time"];
  }
  if (ce.contains("datacontenttype")) {
    EXPECT_TRUE(ce["datacontenttype"].is_string());
  }
  // source is a URI-reference; ours are absolute.
  EXPECT_NE(ce["source"].get<std::string>().find(':'), std::string::npos);
  // JSON format: data and data_base64 are mutually exclusive.
  EXPECT_FALSE(ce.contains("data") && ce.contains("data_base64"));
}

TEST(cloudevents, content_type_is_application_cloudevents_json) {
  EXPECT_EQ(encoding::cloudevents_media_type, "application/cloudevents+json");
}

TEST(cloudevents, the_body_is_a_valid_cloudevents_1_0_structured_event) {
  const std::string body = encoding::encode_cloudevent(seed_event());
  expect_valid_cloudevent(json::parse(body));
  EXPECT_EQ(body, json::parse(body).dump()); // compact
}

TEST(cloudevents, attributes_map_from_the_event) {
  const event e = seed_event();
  const json ce = json::parse(encoding::encode_cloudevent(e));
  EXPECT_EQ(ce["specversion"], "1.0");
  EXPECT_EQ(ce["id"], "123");
  EXPECT_EQ(ce["type"], "com.luccasoftware.employee.updated");
  EXPECT_EQ(ce["source"], "https://example.ilucca.net");
  EXPECT_EQ(ce["time"], "2024-02-01T09:34:23.001Z");
  EXPECT_EQ(ce["datacontenttype"], "application/json");
}

TEST(cloudevents, data_is_the_default_event_object) {
  const event e = seed_event();
  const json ce = json::parse(encoding::encode_cloudevent(e));
  EXPECT_EQ(ce["data"], encoding::default_body_json(e));
  EXPECT_EQ(ce["data"], json::parse(encoding::encode_default_body(e)));
  EXPECT_FALSE(ce["data"].contains("links"));
}

TEST(cloudevents, only_the_standard_attributes_are_written) {
  const json ce = encoding::cloudevent_json(seed_event());
  std::set<std::string> names;
  for (const auto& [name, value] : ce.items()) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"specversion", "id", "source", "type", "time", "datacontenttype", "data"}));
}

TEST(cloudevents, the_type_prefix_is_configurable) {
  encoding::cloudevents_options options;
  options.type_prefix = "net.example.hr.";
  const json ce = encoding::cloudevent_json(seed_event(), options);
  EXPECT_EQ(ce["type"], "net.example.hr.employee.updated");
  EXPECT_EQ(encoding::cloudevents_options{}.type_prefix, "com.luccasoftware.");
  options.type_prefix.clear();
  EXPECT_EQ(encoding::cloudevent_json(seed_event(), options)["type"], "employee.updated");
}

TEST(cloudevents, a_minimal_event_is_still_valid) {
  event e;
  e.id = "01J9Z5X3ABCDEFGHJKMNPQRSTV";
  e.topic = "ping";
  e.source = "https://example.ilucca.net";
  expect_valid_cloudevent(json::parse(encoding::encode_cloudevent(e)));
}

} // namespace
