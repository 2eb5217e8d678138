#include <webhookd/model/event_validation.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace model = webhookd::model;

using model_test::messages;

model::event valid_event() {
  using namespace std::chrono;
  model::event e;
  e.id = "01J9Z5X3ABCDEFGHJKMNPQRSTV";
  e.topic = "employee.updated";
  e.occurred_at = webhookd::timestamp{sys_days{2024y / 2 / 1}} + 9h + 34min + 23s + 1ms;
  e.source = "https://example.ilucca.net";
  e.data = {{"id", "416"}, {"type", "employee"}, {"givenName", "Edward"}};
  return e;
}

std::vector<std::string> event_errors(const model::event& e) {
  const auto r = model::validate_event(e);
  return r ? std::vector<std::string>{} : messages(r.error());
}

TEST(event_validation, a_complete_event_passes) {
  auto e = valid_event();
  EXPECT_TRUE(model::validate_event(e));
  e.business_establishment = model::reference{"12", "business-establishment", ""};
  e.previous_attributes = json{{"givenName", "Ed"}};
  EXPECT_TRUE(model::validate_event(e));
}

TEST(event_validation, an_empty_id_is_left_for_the_engine_to_assign) {
  auto e = valid_event();
  e.id.clear();
  EXPECT_TRUE(model::validate_event(e));
}

TEST(event_validation, ids_are_url_safe_and_capped) {
  auto e = valid_event();
  for (const char* ok : {"123", "78fa5d8c-3436-49aa-82cc-ab1a64c48ed9", "a.b_c~d"}) {
    e.id = ok;
    EXPECT_TRUE(model::validate_event(e)) << ok;
  }
  for (const char* bad : {"a/b", "a b", "a?b", "id#1", "\xC3\xA9"}) {
    e.id = bad;
    EXPECT_EQ(event_errors(e), std::vector<std::string>{"id: must contain only letters, digits, '-', '.', '_' and '~'"})
        << bad;
  }
  e.id = std::string(256, 'a');
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"id: must be at most 255 characters"});
}

TEST(event_validation, the_topic_must_be_concrete) {
  auto e = valid_event();
  e.topic = "";
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"topic: is required"});
  for (const char* wildcard : {"employee.*", "*"}) {
    e.topic = wildcard;
    EXPECT_EQ(event_errors(e), std::vector<std::string>{"topic: must be a concrete topic (no wildcards)"}) << wildcard;
  }
  for (const char* bad : {"employee", "Employee.created", "employee created"}) {
    e.topic = bad;
    EXPECT_EQ(event_errors(e), std::vector<std::string>{"topic: must match resource.action"}) << bad;
  }
  e.topic = "a." + std::string(254, 'b');
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"topic: must be at most 255 characters"});
  for (const char* ok : {"ping", "confirmation", "test.created"}) {
    e.topic = ok;
    EXPECT_TRUE(model::validate_event(e)) << ok;
  }
}

TEST(event_validation, occurred_at_is_required) {
  auto e = valid_event();
  e.occurred_at = webhookd::timestamp{};
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"occurredAt: is required"});
  using namespace std::chrono;
  e.occurred_at = webhookd::timestamp{sys_days{year{10000} / 1 / 1}};
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"occurredAt: must be within the years 0000-9999"});
}

TEST(event_validation, the_source_is_an_absolute_uri) {
  auto e = valid_event();
  for (const char* ok : {"https://example.ilucca.net", "urn:lucca:tenant:example", "http://localhost:8080/x"}) {
    e.source = ok;
    EXPECT_TRUE(model::validate_event(e)) << ok;
  }
  e.source = "";
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"source: is required"});
  for (const char* bad : {"example.ilucca.net", "/lucca-api", "https://exa mple.net", "https:", "1http://x",
                          ":x", "https://ex\xC3\xA9.net"}) {
    e.source = bad;
    EXPECT_EQ(event_errors(e), std::vector<std::string>{"source: must be an absolute URI"}) << bad;
  }
  e.source = "https://x/" + std::string(2048, 'a');
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"source: must be at most 2048 characters"});
}

TEST(event_validation, data_and_previous_attributes_are_objects) {
  auto e = valid_event();
  e.data = json::array();
  e.previous_attributes = json("x");
  EXPECT_EQ(event_errors(e), (std::vector<std::string>{"data: must be an object", "previousAttributes: must be an object"}));
  e.data = nullptr;
  e.previous_attributes.reset();
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"data: must be an object"});
}

TEST(event_validation, a_business_establishment_needs_an_id) {
  auto e = valid_event();
  e.business_establishment = model::reference{};
  EXPECT_EQ(event_errors(e), std::vector<std::string>{"businessEstablishment.id: is required"});
}

TEST(event_validation, every_violation_is_reported_together) {
  model::event e;
  e.data = json::array();
  EXPECT_EQ(event_errors(e), (std::vector<std::string>{"topic: is required", "occurredAt: is required",
                                                       "source: is required", "data: must be an object"}));
}

// --- parse_event ------------------------------------------------------------------------

json valid_json() {
  return json::parse(R"({
      "id": "123", "apiVersion": "2024-11-01", "topic": "employee.updated",
      "occurredAt": "2024-02-01T10:34:23.001+01:00", "source": "https://example.ilucca.net",
      "businessEstablishment": {"id": "12"}, "data": {"id": "416"},
      "previousAttributes": {"givenName": "Ed"}})");
}

TEST(event_validation, parse_event_reads_a_published_event) {
  const auto r = model::parse_event(valid_json());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->id, "123");
  EXPECT_EQ(r->topic, "employee.updated");
  EXPECT_EQ(webhookd::format_rfc3339(r->occurred_at), "2024-02-01T09:34:23.001Z"); // converted to UTC
  ASSERT_TRUE(r->business_establishment.has_value());
  EXPECT_EQ(r->business_establishment->type, "business-establishment");
  EXPECT_EQ(r->data, json({{"id", "416"}}));
  EXPECT_EQ(r->previous_attributes, json({{"givenName", "Ed"}}));
}

TEST(event_validation, parse_event_defaults_and_ignores) {
  json j = valid_json();
  j.erase("id");
  j.erase("apiVersion");
  j.erase("businessEstablishment");
  j["previousAttributes"] = nullptr;
  j["type"] = "event";
  j["url"] = 3;
  j["links"] = nullptr;
  j["embedded"] = json::object();
  const auto r = model::parse_event(j);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->id.empty());
  EXPECT_EQ(r->api_version, model::latest_api_version);
  EXPECT_FALSE(r->business_establishment.has_value());
  EXPECT_FALSE(r->previous_attributes.has_value());
  // An event keeps the version of its data, older ones included (the seed's is 2024-01-01).
  j["apiVersion"] = "2024-01-01";
  EXPECT_TRUE(model::parse_event(j));
}

TEST(event_validation, parse_event_reports_every_violation_once) {
  const json j = {{"topic", 5}, {"occurredAt", "yesterday"}, {"source", "example.net"}, {"data", "x"},
                  {"apiVersion", "2024-1-1"}, {"businessEstablishment", json::object()}, {"previousAttributes", 1},
                  {"id", "a b"}, {"color", "red"}};
  const auto r = model::parse_event(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(messages(r.error()), (std::vector<std::string>{
                                     "apiVersion: must be a YYYY-MM-DD date",
                                     "businessEstablishment.id: is required",
                                     "color: unknown field",
                                     "data: must be an object",
                                     "occurredAt: must be an RFC 3339 date-time",
                                     "previousAttributes: must be an object or null",
                                     "topic: must be a string",
                                     "id: must contain only letters, digits, '-', '.', '_' and '~'",
                                     "source: must be an absolute URI",
                                 }));
}

TEST(event_validation, parse_event_requires_topic_occurred_at_source_and_data) {
  const auto r = model::parse_event(json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(messages(r.error()), (std::vector<std::string>{"topic: is required", "occurredAt: is required",
                                                            "source: is required", "data: is required"}));
}

TEST(event_validation, parse_event_refuses_wildcard_topics) {
  json j = valid_json();
  j["topic"] = "employee.*";
  const auto r = model::parse_event(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(messages(r.error()), std::vector<std::string>{"topic: must be a concrete topic (no wildcards)"});
}

TEST(event_validation, parse_event_never_throws) {
  const json values[] = {nullptr, true, 0, "x", json::array(), json::object(), json::parse(R"({"id": []})")};
  for (const char* member : {"id", "topic", "occurredAt", "source", "data", "apiVersion", "businessEstablishment",
                             "previousAttributes", "other"}) {
    for (const auto& v : values) {
      json j = valid_json();
      j[member] = v;
      EXPECT_NO_THROW((void)model::parse_event(j)) << member << " = " << v;
    }
  }
  for (const json& body : {json::array(), json("x"), json(nullptr)}) {
    const auto r = model::parse_event(body);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "body: must be a JSON object");
  }
}

} // namespace
