#include <webhookd/model/endpoint_request.hpp> // must be self-contained

#include <gtest/gtest.h>

#include "model_test_support.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace model = webhookd::model;
using model::endpoint_content_type;
using model::endpoint_status;
using model::endpoint_validation_options;
using model::parse_endpoint_create;
using model::parse_endpoint_patch;

using model_test::load_seed;

json valid_body() {
  return {{"webhookUrl", "https://i-am-aweso.me/lucca-webhooks/123"}, {"topics", {"employee.created"}}};
}

json with(json body, const std::string& member, json value) {
  body[member] = std::move(value);
  return body;
}

using model_test::messages;

// The body is refused with exactly these messages.
void expect_create_errors(const json& body, std::vector<std::string> expected,
                          const endpoint_validation_options& options = {}) {
  const auto r = parse_endpoint_create(body, options);
  ASSERT_FALSE(r) << body;
  EXPECT_EQ(messages(r.error()), expected) << body;
}

void expect_patch_errors(const json& body, std::vector<std::string> expected,
                         const endpoint_validation_options& options = {}) {
  const auto r = parse_endpoint_patch(body, options);
  ASSERT_FALSE(r) << body;
  EXPECT_EQ(messages(r.error()), expected) << body;
}

// --- create: defaults and the seed ----------------------------------------------------

TEST(endpoint_request, a_minimal_body_gets_the_defaults) {
  const auto r = parse_endpoint_create(valid_body());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->webhook_url, "https://i-am-aweso.me/lucca-webhooks/123");
  EXPECT_EQ(r->topics, std::vector<std::string>{"employee.created"});
  EXPECT_EQ(r->api_version, model::latest_api_version);
  EXPECT_EQ(r->requested_status, endpoint_status::active);
  EXPECT_EQ(r->content_type, endpoint_content_type::default_);
  EXPECT_FALSE(r->name.has_value());
  EXPECT_FALSE(r->business_establishments.has_value());
}

TEST(endpoint_request, the_seed_request_body_is_accepted_and_its_read_only_members_ignored) {
  const auto r = parse_endpoint_create(load_seed("002_endpoint_create_request.json"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->topics, (std::vector<std::string>{"employee.created", "employee.updated", "employee.deleted"}));
  EXPECT_EQ(r->requested_status, endpoint_status::active);
}

TEST(endpoint_request, read_only_members_are_ignored_whatever_their_value) {
  json body = valid_body();
  body["id"] = 5;
  body["type"] = "something-else";
  body["url"] = json::array();
  body["secret"] = "chosen-by-client";
  body["createdAt"] = "not a date";
  body["lastUpdatedAt"] = nullptr;
  body["links"] = nullptr;
  body["embedded"] = json::object();
  EXPECT_TRUE(parse_endpoint_create(body));
}

TEST(endpoint_request, the_body_must_be_an_object) {
  for (const json& body : {json::array(), json("x"), json(nullptr), json(3)})
    expect_create_errors(body, {"body: must be a JSON object"});
  expect_patch_errors(json::array(), {"body: must be a JSON object"});
}

TEST(endpoint_request, unknown_members_are_refused) {
  expect_create_errors(with(valid_body(), "foo", 1), {"foo: unknown field"});
  expect_create_errors(with(valid_body(), "WebhookUrl", "https://x.y"), {"WebhookUrl: unknown field"});
  expect_patch_errors(json{{"foo", 1}}, {"foo: unknown field"});
}

TEST(endpoint_request, every_violation_is_reported_together) {
  const json body = {{"webhookUrl", "http://i-am-aweso.me/hook"},
                     {"topics", {"employee.created", "Employee", "employee.created"}},
                     {"status", "suspended"},
                     {"apiVersion", "2023-01-01"},
                     {"contentType", "xml"},
                     {"name", ""},
                     {"businessEstablishments", json::array({json::object()})},
                     {"foo", true}};
  const auto r = parse_endpoint_create(body);
  ASSERT_FALSE(r);
  // Members are visited in the JSON object's (sorted) order.
  EXPECT_EQ(messages(r.error()), (std::vector<std::string>{
                                     "apiVersion: must not be before 2024-11-01",
                                     "businessEstablishments[0].id: is required",
                                     "contentType: must be one of default, cloudEvents",
                                     "foo: unknown field",
                                     "name: must not be empty",
                                     "status: cannot be set by clients (suspended is set by the engine)",
                                     "topics[1]: must match resource.action",
                                     "topics[2]: must be unique",
                                     "webhookUrl: must use https://",
                                 }));
  EXPECT_EQ(r.error().to_problem_errors()["webhookUrl"], json::array({"must use https://"}));
}

// --- webhookUrl -------------------------------------------------------------------------

TEST(endpoint_request, webhook_url_is_required) {
  json body = valid_body();
  body.erase("webhookUrl");
  expect_create_errors(body, {"webhookUrl: is required"});
  expect_create_errors(json::object(), {"webhookUrl: is required", "topics: is required"});
}

TEST(endpoint_request, webhook_url_must_use_https) {
  expect_create_errors(with(valid_body(), "webhookUrl", "http://i-am-aweso.me/hook"), {"webhookUrl: must use https://"});
  expect_create_errors(with(valid_body(), "webhookUrl", "ftp://i-am-aweso.me/hook"), {"webhookUrl: must use https://"});
  expect_create_errors(with(valid_body(), "webhookUrl", "wss://i-am-aweso.me/hook"), {"webhookUrl: must use https://"});
}

TEST(endpoint_request, plain_http_is_accepted_when_the_host_allows_it) {
  endpoint_validation_options dev;
  dev.allow_http = true;
  const auto r = parse_endpoint_create(with(valid_body(), "webhookUrl", "http://localhost:8080/hook"), dev);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->webhook_url, "http://localhost:8080/hook");
  // Other schemes stay refused.
  expect_create_errors(with(valid_body(), "webhookUrl", "ftp://x.y/"), {"webhookUrl: must use https://"}, dev);
}

TEST(endpoint_request, webhook_url_must_be_an_absolute_url_with_a_host) {
  expect_create_errors(with(valid_body(), "webhookUrl", "i-am-aweso.me/hook"), {"webhookUrl: must be an absolute URL"});
  expect_create_errors(with(valid_body(), "webhookUrl", "/hook"), {"webhookUrl: must be an absolute URL"});
  expect_create_errors(with(valid_body(), "webhookUrl", "https:///hook"), {"webhookUrl: must have a host"});
  expect_create_errors(with(valid_body(), "webhookUrl", "https://user:pw@i-am-aweso.me/"),
                       {"webhookUrl: must not contain user information"});
  expect_create_errors(with(valid_body(), "webhookUrl", "https://i-am-aweso.me/a#b"),
                       {"webhookUrl: must not contain a fragment"});
  expect_create_errors(with(valid_body(), "webhookUrl", "https://i-am-aweso.me/a b"),
                       {"webhookUrl: must not contain spaces or control characters"});
}

TEST(endpoint_request, webhook_url_must_be_a_non_empty_string) {
  expect_create_errors(with(valid_body(), "webhookUrl", 42), {"webhookUrl: must be a string"});
  expect_create_errors(with(valid_body(), "webhookUrl", json::object()), {"webhookUrl: must be a string"});
  expect_create_errors(with(valid_body(), "webhookUrl", ""), {"webhookUrl: must not be empty"});
  expect_create_errors(with(valid_body(), "webhookUrl", nullptr), {"webhookUrl: must not be null"});
}

TEST(endpoint_request, webhook_url_length_is_capped) {
  const std::string base = "https://i-am-aweso.me/";
  const std::string at_cap = base + std::string(2048 - base.size(), 'a');
  EXPECT_TRUE(parse_endpoint_create(with(valid_body(), "webhookUrl", at_cap)));
  expect_create_errors(with(valid_body(), "webhookUrl", at_cap + "a"), {"webhookUrl: must be at most 2048 characters"});
  endpoint_validation_options small;
  small.max_url_length = 30;
  expect_create_errors(with(valid_body(), "webhookUrl", "https://i-am-aweso.me/0123456789"),
                       {"webhookUrl: must be at most 30 characters"}, small);
}

// --- topics -----------------------------------------------------------------------------

TEST(endpoint_request, topics_are_required_and_non_empty) {
  json body = valid_body();
  body.erase("topics");
  expect_create_errors(body, {"topics: is required"});
  expect_create_errors(with(valid_body(), "topics", json::array()), {"topics: must not be empty"});
  expect_create_errors(with(valid_body(), "topics", nullptr), {"topics: must not be null"});
}

TEST(endpoint_request, topics_must_be_an_array_of_strings) {
  expect_create_errors(with(valid_body(), "topics", "employee.created"), {"topics: must be an array of strings"});
  expect_create_errors(with(valid_body(), "topics", json::object()), {"topics: must be an array of strings"});
  expect_create_errors(with(valid_body(), "topics", json::array({"employee.created", 3, nullptr})),
                       {"topics[1]: must be a string", "topics[2]: must be a string"});
}

TEST(endpoint_request, topics_must_match_resource_dot_action) {
  expect_create_errors(with(valid_body(), "topics", {"employee.created", "leave.updated", "Employee.created"}),
                       {"topics[2]: must match resource.action"});
  for (const char* bad : {"employee", "", "employee.", "employee created", "employee.*.x", "**"})
    expect_create_errors(with(valid_body(), "topics", {bad}), {"topics[0]: must match resource.action"});
}

TEST(endpoint_request, topics_must_be_unique) {
  expect_create_errors(with(valid_body(), "topics", {"employee.created", "leave.created", "employee.created"}),
                       {"topics[2]: must be unique"});
}

TEST(endpoint_request, special_topics_and_wildcards_are_accepted) {
  const auto r = parse_endpoint_create(
      with(valid_body(), "topics", {"ping", "confirmation", "employee.*", "*", "leave-request.updated"}));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->topics.size(), 5u);
}

TEST(endpoint_request, wildcards_are_refused_when_disabled) {
  endpoint_validation_options strict;
  strict.allow_wildcards = false;
  expect_create_errors(with(valid_body(), "topics", {"employee.*", "*", "employee.created"}),
                       {"topics[0]: must be a concrete topic (wildcards are not enabled)",
                        "topics[1]: must be a concrete topic (wildcards are not enabled)"},
                       strict);
}

TEST(endpoint_request, topic_count_and_length_are_capped) {
  json many = json::array();
  for (int i = 0; i < 101; ++i) many.push_back("thing-" + std::to_string(i) + ".created");
  expect_create_errors(with(valid_body(), "topics", many), {"topics: must have at most 100 items"});
  many.erase(many.begin());
  EXPECT_TRUE(parse_endpoint_create(with(valid_body(), "topics", many)));
  expect_create_errors(with(valid_body(), "topics", {"a." + std::string(254, 'b')}),
                       {"topics[0]: must be at most 255 characters"});
}

// --- apiVersion, contentType, status, name ---------------------------------------------------

TEST(endpoint_request, api_version_must_be_a_date_not_before_2024_11_01) {
  expect_create_errors(with(valid_body(), "apiVersion", "2024-10-31"), {"apiVersion: must not be before 2024-11-01"});
  expect_create_errors(with(valid_body(), "apiVersion", "latest"), {"apiVersion: must be a YYYY-MM-DD date"});
  expect_create_errors(with(valid_body(), "apiVersion", 20241101), {"apiVersion: must be a string"});
  expect_create_errors(with(valid_body(), "apiVersion", nullptr), {"apiVersion: must not be null"});
}

TEST(endpoint_request, a_later_api_version_resolves_to_2024_11_01) {
  const auto r = parse_endpoint_create(with(valid_body(), "apiVersion", "2026-03-15"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->api_version, model::latest_api_version);
}

TEST(endpoint_request, content_type_is_default_or_cloud_events) {
  const auto ce = parse_endpoint_create(with(valid_body(), "contentType", "cloudEvents"));
  ASSERT_TRUE(ce);
  EXPECT_EQ(ce->content_type, endpoint_content_type::cloud_events);
  const auto def = parse_endpoint_create(with(valid_body(), "contentType", "default"));
  ASSERT_TRUE(def);
  EXPECT_EQ(def->content_type, endpoint_content_type::default_);
  for (const json& bad : {json("json"), json("CloudEvents"), json(1), json(nullptr)})
    expect_create_errors(with(valid_body(), "contentType", bad), {"contentType: must be one of default, cloudEvents"});
}

TEST(endpoint_request, status_is_active_or_inactive) {
  const auto inactive = parse_endpoint_create(with(valid_body(), "status", "inactive"));
  ASSERT_TRUE(inactive);
  EXPECT_EQ(inactive->requested_status, endpoint_status::inactive);
  const auto active = parse_endpoint_create(with(valid_body(), "status", "active"));
  ASSERT_TRUE(active);
  EXPECT_EQ(active->requested_status, endpoint_status::active);
  for (const json& bad : {json("paused"), json("ACTIVE"), json(true), json(nullptr)})
    expect_create_errors(with(valid_body(), "status", bad), {"status: must be one of active, inactive"});
}

TEST(endpoint_request, suspended_cannot_be_set_by_clients) {
  expect_create_errors(with(valid_body(), "status", "suspended"),
                       {"status: cannot be set by clients (suspended is set by the engine)"});
  expect_patch_errors(json{{"status", "suspended"}},
                      {"status: cannot be set by clients (suspended is set by the engine)"});
}

TEST(endpoint_request, name_is_an_optional_non_empty_string) {
  const auto named = parse_endpoint_create(with(valid_body(), "name", "Payroll sync"));
  ASSERT_TRUE(named);
  EXPECT_EQ(named->name, "Payroll sync");
  const auto null_name = parse_endpoint_create(with(valid_body(), "name", nullptr));
  ASSERT_TRUE(null_name);
  EXPECT_FALSE(null_name->name.has_value());
  expect_create_errors(with(valid_body(), "name", ""), {"name: must not be empty"});
  expect_create_errors(with(valid_body(), "name", 12), {"name: must be a string or null"});
  expect_create_errors(with(valid_body(), "name", "line\nbreak"), {"name: must not contain control characters"});
}

TEST(endpoint_request, name_length_is_counted_in_characters) {
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "\xC3\xA9"; // 255 x "é", 510 bytes
  EXPECT_TRUE(parse_endpoint_create(with(valid_body(), "name", accented)));
  expect_create_errors(with(valid_body(), "name", accented + "e"), {"name: must be at most 255 characters"});
  expect_create_errors(with(valid_body(), "name", std::string(256, 'n')), {"name: must be at most 255 characters"});
}

// --- businessEstablishments -------------------------------------------------------------

TEST(endpoint_request, business_establishments_null_or_absent_mean_all) {
  const auto null = parse_endpoint_create(with(valid_body(), "businessEstablishments", nullptr));
  ASSERT_TRUE(null);
  EXPECT_FALSE(null->business_establishments.has_value());
  EXPECT_FALSE(parse_endpoint_create(valid_body())->business_establishments.has_value());
}

TEST(endpoint_request, business_establishments_are_references_by_id) {
  const auto r = parse_endpoint_create(with(valid_body(), "businessEstablishments",
                                            json::parse(R"([{"id": "12"},
                                                {"id": "13", "type": "business-establishment", "url": "https://x/13"}])")));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(r->business_establishments.has_value());
  ASSERT_EQ(r->business_establishments->size(), 2u);
  EXPECT_EQ((*r->business_establishments)[0], (model::reference{"12", "business-establishment", ""}));
  EXPECT_EQ((*r->business_establishments)[1].id, "13");
  EXPECT_TRUE((*r->business_establishments)[1].url.empty()); // read-only, not taken from the client
}

TEST(endpoint_request, business_establishments_rules) {
  expect_create_errors(with(valid_body(), "businessEstablishments", json::array()),
                       {"businessEstablishments: must not be empty (null means all establishments)"});
  expect_create_errors(with(valid_body(), "businessEstablishments", "12"),
                       {"businessEstablishments: must be an array of references or null"});
  expect_create_errors(with(valid_body(), "businessEstablishments", json::parse(R"([{}, {"id": 12}, "13",
                           {"id": "14", "name": "x"}, {"id": "15"}, {"id": "15"}])")),
                       {"businessEstablishments[0].id: is required",
                        "businessEstablishments[1].id: must be a non-empty string",
                        "businessEstablishments[2]: must be an object with an id",
                        "businessEstablishments[3].name: unknown field",
                        "businessEstablishments[5]: must be unique"});
}

// --- never throws -------------------------------------------------------------------------

TEST(endpoint_request, hostile_shapes_never_throw) {
  const json values[] = {nullptr, true, 0, -1, 1.5, "", "x", json::array(), json::object(),
                         json::array({nullptr, json::object(), json::array()}),
                         json::parse(R"({"id": {"id": []}})"), std::string(5000, 'a')};
  for (const char* member : {"name", "webhookUrl", "topics", "apiVersion", "contentType", "status",
                             "businessEstablishments", "id", "foo"}) {
    for (const auto& v : values) {
      EXPECT_NO_THROW((void)parse_endpoint_create(with(valid_body(), member, v))) << member << " = " << v;
      EXPECT_NO_THROW((void)parse_endpoint_patch(json{{member, v}})) << member << " = " << v;
    }
  }
}

// --- patch ------------------------------------------------------------------------------

TEST(endpoint_request, an_empty_patch_changes_nothing) {
  const auto p = parse_endpoint_patch(json::object());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->empty());
}

TEST(endpoint_request, a_patch_holds_only_what_it_names) {
  const auto p = parse_endpoint_patch(json{{"topics", {"leave.created"}}, {"status", "inactive"}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_FALSE(p->empty());
  EXPECT_EQ(p->topics, std::vector<std::string>{"leave.created"});
  EXPECT_EQ(p->requested_status, endpoint_status::inactive);
  EXPECT_FALSE(p->webhook_url.has_value());
  EXPECT_TRUE(p->name.is_absent());
  EXPECT_TRUE(p->business_establishments.is_absent());
  EXPECT_FALSE(p->api_version.has_value());
  EXPECT_FALSE(p->content_type.has_value());
}

TEST(endpoint_request, patch_null_is_allowed_only_where_it_means_something) {
  const auto p = parse_endpoint_patch(json{{"name", nullptr}, {"businessEstablishments", nullptr}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_TRUE(p->name.is_null());
  EXPECT_TRUE(p->business_establishments.is_null());
  expect_patch_errors(json{{"webhookUrl", nullptr}, {"topics", nullptr}, {"apiVersion", nullptr},
                           {"contentType", nullptr}, {"status", nullptr}},
                      {"apiVersion: must not be null", "contentType: must be one of default, cloudEvents",
                       "status: must be one of active, inactive", "topics: must not be null",
                       "webhookUrl: must not be null"});
}

TEST(endpoint_request, patch_members_follow_the_create_rules) {
  expect_patch_errors(json{{"webhookUrl", "http://x.y/"}, {"topics", json::array()}},
                      {"topics: must not be empty", "webhookUrl: must use https://"});
  expect_patch_errors(json{{"id", "1"}, {"secret", "x"}, {"nope", 1}}, {"nope: unknown field"});
}

webhookd::timestamp t0() {
  using namespace std::chrono;
  return webhookd::timestamp{sys_days{2025y / 1 / 1}};
}

TEST(endpoint_request, make_endpoint_starts_inactive) {
  const auto c = parse_endpoint_create(with(with(valid_body(), "name", "n"), "contentType", "cloudEvents"));
  ASSERT_TRUE(c);
  const auto e = model::make_endpoint(*c, "ep1", "https://x/lucca-api/webhook-endpoints/ep1", "secret", t0());
  EXPECT_EQ(e.status, endpoint_status::inactive); // active only once the challenge passes
  EXPECT_EQ(e.id, "ep1");
  EXPECT_EQ(e.name, "n");
  EXPECT_EQ(e.webhook_url, c->webhook_url);
  EXPECT_EQ(e.topics, c->topics);
  EXPECT_EQ(e.content_type, endpoint_content_type::cloud_events);
  EXPECT_EQ(e.secret, "secret");
  EXPECT_EQ(e.created_at, t0());
  EXPECT_EQ(e.last_updated_at, t0());
}

TEST(endpoint_request, apply_patch_merges_and_reports_a_new_webhook_url) {
  auto c = parse_endpoint_create(with(with(valid_body(), "name", "n"), "businessEstablishments",
                                      json::parse(R"([{"id": "12"}])")));
  ASSERT_TRUE(c);
  auto e = model::make_endpoint(*c, "ep1", "u", "s", t0());
  e.status = endpoint_status::active;

  auto p = parse_endpoint_patch(json{{"name", nullptr}, {"topics", {"leave.created"}}, {"status", "inactive"}});
  ASSERT_TRUE(p);
  EXPECT_FALSE(model::apply_patch(e, *p));
  EXPECT_FALSE(e.name.has_value());
  EXPECT_EQ(e.topics, std::vector<std::string>{"leave.created"});
  EXPECT_EQ(e.status, endpoint_status::active); // the caller applies the status
  ASSERT_TRUE(e.business_establishments.has_value()); // absent: unchanged

  p = parse_endpoint_patch(json{{"businessEstablishments", nullptr}, {"webhookUrl", "https://new.example/h"}});
  ASSERT_TRUE(p);
  EXPECT_TRUE(model::apply_patch(e, *p));
  EXPECT_FALSE(e.business_establishments.has_value());
  EXPECT_EQ(e.webhook_url, "https://new.example/h");

  // The same URL again is no change.
  EXPECT_FALSE(model::apply_patch(e, *p));

  p = parse_endpoint_patch(json{{"name", "again"}, {"contentType", "cloudEvents"}, {"apiVersion", "2030-01-01"}});
  ASSERT_TRUE(p);
  model::apply_patch(e, *p);
  EXPECT_EQ(e.name, "again");
  EXPECT_EQ(e.content_type, endpoint_content_type::cloud_events);
  EXPECT_EQ(e.api_version, model::latest_api_version);
}

} // namespace
