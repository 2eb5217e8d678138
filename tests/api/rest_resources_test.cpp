// Deliveries, attempts and events through the REST API; responses compared with the
// seeds' examples field by field; the blocking (SQLite) path.
#include <webhookd/api/rest_handler.hpp> // must be self-contained

#include "rest_fixture.hpp"

#if WEBHOOKD_TEST_SQLITE
#include <webhookd/store/sqlite_store.hpp>
#endif

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace webhookd::api::api_test {
namespace {

nlohmann::json seed(const std::string& name) {
  std::ifstream in(std::string(WEBHOOKD_TEST_FIXTURES) + "/seeds/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str());
}

// Compares the shape of `ours` with the seed's example: the same keys at every level,
// the same JSON types, the same `type` values. Ids, times and URLs differ. An empty
// object in the seed (`embedded: {}`, `links: {}`) admits any dictionary; a seed's
// timestamp may be null in ours where SPEC.md Part 1 §12 says so (`nextAttemptAt`);
// event `data` is the publisher's and is not compared.
void expect_same_shape(const nlohmann::json& ours, const nlohmann::json& example,
                       const std::string& path = "$") {
  if (example.is_object()) {
    ASSERT_TRUE(ours.is_object()) << path << ": " << ours.dump();
    if (example.empty() && (path.ends_with(".embedded") || path.ends_with(".links"))) return;
    std::set<std::string> a, b;
    for (const auto& [k, v] : ours.items()) a.insert(k);
    for (const auto& [k, v] : example.items()) b.insert(k);
    // Dictionaries keyed by id: compare one entry with one entry.
    if (path.ends_with(".embedded.event") || path.ends_with(".embedded.webhook-delivery")) {
      ASSERT_FALSE(ours.empty()) << path;
      expect_same_shape(ours.begin().value(), example.begin().value(), path + ".<id>");
      return;
    }
    EXPECT_EQ(a, b) << path;
    for (const auto& [k, v] : example.items()) {
      if (!ours.contains(k)) continue;
      if (k == "data") continue;
      if (k == "type") {
        EXPECT_EQ(ours[k], v) << path << ".type";
      }
      if (k == "nextAttemptAt" && ours[k].is_null()) continue;
      expect_same_shape(ours[k], v, path + "." + k);
    }
  } else if (example.is_array()) {
    ASSERT_TRUE(ours.is_array()) << path;
    if (!example.empty() && !ours.empty()) expect_same_shape(ours[0], example[0], path + "[0]");
  } else if (example.is_number()) {
    EXPECT_TRUE(ours.is_number()) << path << ": " << ours.dump();
  } else {
    EXPECT_EQ(ours.type_name(), std::string(example.type_name())) << path << ": " << ours.dump();
  }
}

// An `employee.updated` event shaped like the seed's, published through the engine.
model::event seed_like_event() {
  model::event e;
  e.topic = "employee.updated";
  e.occurred_at = default_clock().now();
  e.source = std::string(base);
  e.business_establishment =
      model::reference{"12", "business-establishment",
                       std::string(base) + "/lucca-api/business-establishments/12"};
  e.data = nlohmann::json{{"id", "416"}, {"type", "employee"}, {"givenName", "Edward"}};
  e.previous_attributes = nlohmann::json{{"givenName", "Ed"}};
  return e;
}

class seeded : public rest_fixture {
protected:
  // One active endpoint, one event delivered to it; their ids.
  void deliver_one() {
    auto created = create_endpoint("/hook", {"employee.created", "employee.updated"});
    ASSERT_EQ(created.status, 201);
    endpoint_id = created.json["id"];
    auto e = engine_->publish(seed_like_event());
    ASSERT_TRUE(e);
    event_id = e->id;
    ASSERT_TRUE(eventually([&] {
      auto r = get("/lucca-api/webhook-deliveries?status=delivered&event.id=" + event_id);
      return r.json["items"].size() == 1;
    }));
    auto d = get("/lucca-api/webhook-deliveries?event.id=" + event_id);
    delivery_id = d.json["items"][0]["id"];
    auto a = get("/lucca-api/webhook-delivery-attempts?webhookDelivery.id=" + delivery_id);
    ASSERT_EQ(a.json["items"].size(), 1u);
    attempt_id = a.json["items"][0]["id"];
  }

  std::string endpoint_id, event_id, delivery_id, attempt_id;
};

// --- the seeds --------------------------------------------------------------------------

TEST_F(seeded, endpoint_create_matches_seed_002) {
  nlohmann::json request = seed("002_endpoint_create_request.json");
  request["webhookUrl"] = receiver_.url("/hook"); // read-only members are sent and ignored
  auto created = call("POST", "/lucca-api/webhook-endpoints?include=links", request.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  expect_same_shape(created.json, seed("002_endpoint_create_response.json"));
  EXPECT_NE(created.json["id"], request["id"]);
  EXPECT_EQ(created.json["status"], "active");
  EXPECT_EQ(created.json["links"], nlohmann::json::object());
  EXPECT_EQ(created.json["topics"], request["topics"]);
}

TEST_F(seeded, attempt_matches_seed_000) {
  deliver_one();
  auto a = get("/lucca-api/webhook-delivery-attempts/" + attempt_id + "?include=embedded,links");
  ASSERT_EQ(a.status, 200) << a.body;
  expect_same_shape(a.json, seed("000_attempt_get_response.json"));
  const auto& j = a.json;
  EXPECT_EQ(j["isSuccessful"], true);
  EXPECT_EQ(j["responseStatusCode"], 200);
  EXPECT_EQ(j["webhookDelivery"]["id"], delivery_id);
  EXPECT_EQ(j["webhookDelivery"]["url"], std::string(base) + "/lucca-api/webhook-deliveries/" + delivery_id);
  // Embedded: keyed by type, then id; the delivery with its links, the event with its.
  const auto& d = j["embedded"]["webhook-delivery"][delivery_id];
  EXPECT_EQ(d["status"], "delivered");
  EXPECT_EQ(d["links"]["attempts"]["href"], std::string(base) +
                                                "/lucca-api/webhook-delivery-attempts?webhookDelivery.id=" +
                                                delivery_id);
  const auto& e = j["embedded"]["event"][event_id];
  EXPECT_EQ(e["links"]["retry"]["href"], std::string(base) + "/lucca-api/webhook-deliveries");
  EXPECT_EQ(e["previousAttributes"]["givenName"], "Ed");

  // Without include: no links, no embedded.
  auto plain = get("/lucca-api/webhook-delivery-attempts/" + attempt_id);
  EXPECT_FALSE(plain.json.contains("links"));
  EXPECT_FALSE(plain.json.contains("embedded"));
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts/" + attempt_id, {{"If-None-Match", plain.header("ETag")}}).status, 304);
}

TEST_F(seeded, deliveries_list_matches_seed_001) {
  deliver_one();
  ASSERT_EQ(call("POST", "/lucca-api/webhook-deliveries?webhookEndpoint.id=" + endpoint_id).status, 201);
  const std::string target = "/lucca-api/webhook-deliveries?limit=1&include=totalCount,links,embedded";
  auto list = get(target);
  ASSERT_EQ(list.status, 200);
  expect_same_shape(list.json, seed("001_deliveries_list_response.json"));
  EXPECT_EQ(list.json["url"], std::string(base) + target);
  EXPECT_EQ(list.json["totalCount"], 2);
  EXPECT_TRUE(list.json["links"]["prev"].is_null());
  const std::string next = list.json["links"]["next"]["href"];
  EXPECT_TRUE(next.starts_with(std::string(base) + "/lucca-api/webhook-deliveries?page=!")) << next;
  EXPECT_TRUE(next.ends_with("&limit=1&include=totalCount,links,embedded")) << next;
  auto second = get(next.substr(base.size()));
  EXPECT_EQ(second.json["items"].size(), 1u);
  EXPECT_TRUE(second.json["links"]["next"].is_null());
  EXPECT_FALSE(second.json["links"]["prev"].is_null());
  // The page's embedded holds the deliveries' events; items hold none.
  EXPECT_TRUE(list.json["embedded"]["event"].contains(event_id));
  EXPECT_FALSE(list.json["items"][0].contains("embedded"));
  EXPECT_EQ(list.json["items"][0]["event"]["type"], "event");
}

// --- webhook-deliveries -----------------------------------------------------------------

TEST_F(seeded, get_delivery_with_and_without_include) {
  deliver_one();
  const std::string path = "/lucca-api/webhook-deliveries/" + delivery_id;
  auto plain = get(path);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.json["type"], "webhook-delivery");
  EXPECT_EQ(plain.json["url"], std::string(base) + path);
  EXPECT_EQ(plain.json["attemptsCount"], 1);
  EXPECT_TRUE(plain.json["nextAttemptAt"].is_null());
  EXPECT_EQ(plain.json["webhookEndpoint"]["id"], endpoint_id);
  EXPECT_EQ(plain.json["event"]["url"], std::string(base) + "/lucca-api/events/" + event_id);
  EXPECT_FALSE(plain.json.contains("links"));
  EXPECT_FALSE(plain.json.contains("embedded"));
  auto full = get(path + "?include=embedded,links");
  EXPECT_EQ(full.json["embedded"]["event"][event_id]["topic"], "employee.updated");
  EXPECT_TRUE(full.json["links"].contains("attempts"));
  EXPECT_NE(full.header("ETag"), plain.header("ETag"));
  EXPECT_EQ(get(path + "?include=embedded,links", {{"If-None-Match", full.header("ETag")}}).status, 304);
}

TEST_F(seeded, delivery_filters) {
  deliver_one();
  // A test delivery to an endpoint that answers 500: failed after its retries.
  auto other = create_endpoint("/fail", {"employee.created"}, "inactive");
  const std::string other_id = other.json["id"];
  ASSERT_EQ(call("POST", "/lucca-api/webhook-deliveries?webhookEndpoint.id=" + other_id).status, 201);
  ASSERT_TRUE(eventually([&] {
    return get("/lucca-api/webhook-deliveries?status=failed").json["items"].size() == 1;
  }));

  auto count = [&](const std::string& q) {
    auto r = get("/lucca-api/webhook-deliveries?include=totalCount&" + q);
    EXPECT_EQ(r.status, 200) << q << " " << r.body;
    return r.json["totalCount"].get<int>();
  };
  EXPECT_EQ(count(""), 2);
  EXPECT_EQ(count("webhookEndpoint.id=" + endpoint_id), 1);
  EXPECT_EQ(count("webhookEndpoint.id=" + endpoint_id + "," + other_id), 2);
  EXPECT_EQ(count("-webhookEndpoint.id=" + endpoint_id), 1);
  EXPECT_EQ(count("event.id=" + event_id), 1);
  EXPECT_EQ(count("-event.id=" + event_id), 1);
  EXPECT_EQ(count("status=delivered"), 1);
  EXPECT_EQ(count("status=undelivered,failed"), 1);
  EXPECT_EQ(count("-status=delivered"), 1);
  EXPECT_EQ(count("status=failed"), 1);
  EXPECT_EQ(count("status=undelivered"), 0);
  auto failed = get("/lucca-api/webhook-delivery-attempts?isSuccessful=false&include=totalCount");
  EXPECT_EQ(failed.json["totalCount"], 3);
  EXPECT_EQ(failed.json["items"][0]["responseStatusCode"], 500);
  EXPECT_EQ(failed.json["items"][0]["errorResponseBody"], "down");
}

TEST_F(seeded, post_test_delivery_and_resend) {
  deliver_one();
  // A test event (topic ping) to the endpoint.
  auto test = call("POST", "/lucca-api/webhook-deliveries",
                   nlohmann::json{{"webhookEndpoint", {{"id", endpoint_id}}}}.dump());
  ASSERT_EQ(test.status, 201) << test.body;
  EXPECT_EQ(test.json["type"], "webhook-delivery");
  EXPECT_EQ(test.json["webhookEndpoint"]["id"], endpoint_id);
  EXPECT_EQ(test.json["status"], "undelivered");
  EXPECT_EQ(test.json["attemptsCount"], 0);
  const std::string test_id = test.json["id"];
  EXPECT_EQ(test.header("Location"), std::string(base) + "/lucca-api/webhook-deliveries/" + test_id);
  EXPECT_FALSE(test.header("ETag").empty());
  auto ping = get("/lucca-api/events/" + test.json["event"]["id"].get<std::string>());
  EXPECT_EQ(ping.json["topic"], "ping");

  // A manual re-send: same event, new delivery.
  auto again = call("POST", "/lucca-api/webhook-deliveries?include=embedded",
                    nlohmann::json{{"event", {{"id", event_id}}},
                                   {"webhookEndpoint", {{"id", endpoint_id}}}}.dump());
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json["event"]["id"], event_id);
  EXPECT_NE(again.json["id"], delivery_id);
  EXPECT_TRUE(again.json["embedded"]["event"].contains(event_id));

  // The query alias of the OLD docs.
  auto alias = call("POST", "/lucca-api/webhook-deliveries?webhookEndpoint.id=" + endpoint_id);
  EXPECT_EQ(alias.status, 201) << alias.body;
  auto alias_resend = call("POST", "/lucca-api/webhook-deliveries?webhookEndpoint.id=" + endpoint_id +
                                       "&event.id=" + event_id);
  EXPECT_EQ(alias_resend.json["event"]["id"], event_id);

  // All of them are delivered by the engine.
  EXPECT_TRUE(eventually([&] {
    return get("/lucca-api/webhook-deliveries?status=undelivered&include=totalCount").json["totalCount"] == 0;
  }));

  // Errors: unknown endpoint or event (404), bad bodies (400), not JSON (415).
  auto no_endpoint = call("POST", "/lucca-api/webhook-deliveries", R"({"webhookEndpoint":{"id":"nope"}})");
  EXPECT_EQ(no_endpoint.status, 404);
  EXPECT_EQ(no_endpoint.header("Content-Type"), "application/problem+json");
  auto no_event = call("POST", "/lucca-api/webhook-deliveries",
                       nlohmann::json{{"event", {{"id", "nope"}}},
                                      {"webhookEndpoint", {{"id", endpoint_id}}}}.dump());
  EXPECT_EQ(no_event.status, 404);
  auto unknown = call("POST", "/lucca-api/webhook-deliveries",
                      R"({"webhookEndpoint":{"id":"1","x":1},"other":2})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.json["errors"]["webhookEndpoint.x"][0], "unknown field");
  EXPECT_EQ(unknown.json["errors"]["other"][0], "unknown field");
  auto empty = call("POST", "/lucca-api/webhook-deliveries");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.json["errors"]["webhookEndpoint"][0], "is required");
  auto text = typed("POST", "/lucca-api/webhook-deliveries", "text/plain", "x");
  EXPECT_EQ(text.status, 415);
}

// --- webhook-delivery-attempts ----------------------------------------------------------

TEST_F(seeded, attempts_list_and_filters) {
  deliver_one();
  auto all = get("/lucca-api/webhook-delivery-attempts?include=totalCount,embedded");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json["type"], "webhook-delivery-attempts");
  EXPECT_EQ(all.json["totalCount"], 1);
  EXPECT_TRUE(all.json["embedded"]["webhook-delivery"].contains(delivery_id));
  EXPECT_TRUE(all.json["embedded"]["event"].contains(event_id));
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts?isSuccessful=true").json["items"].size(), 1u);
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts?isSuccessful=false").json["items"].size(), 0u);
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts?-isSuccessful=true").json["items"].size(), 0u);
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts?webhookDelivery.id=nope").json["items"].size(), 0u);
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts?-webhookDelivery.id=nope").json["items"].size(), 1u);
  auto one = get("/lucca-api/webhook-delivery-attempts/" + attempt_id);
  EXPECT_EQ(one.json["type"], "webhook-delivery-attempt");
  EXPECT_EQ(one.json["url"], std::string(base) + "/lucca-api/webhook-delivery-attempts/" + attempt_id);
  EXPECT_EQ(one.json["signature"].get<std::string>().size(), 44u);
}

// --- events -----------------------------------------------------------------------------

TEST_F(seeded, events_list_get_and_links) {
  deliver_one();
  publish("employee.created");
  auto all = get("/lucca-api/events?include=totalCount,links,embedded");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json["type"], "events");
  EXPECT_EQ(all.json["totalCount"], 2);
  EXPECT_EQ(all.json["embedded"], nlohmann::json::object());
  EXPECT_EQ(all.json["items"][0]["links"]["retry"]["href"], std::string(base) + "/lucca-api/webhook-deliveries");
  EXPECT_EQ(get("/lucca-api/events?topic=employee.updated").json["items"].size(), 1u);
  EXPECT_EQ(get("/lucca-api/events?topic=employee.updated,employee.created").json["items"].size(), 2u);
  EXPECT_EQ(get("/lucca-api/events?-topic=employee.updated").json["items"].size(), 1u);
  auto one = get("/lucca-api/events/" + event_id + "?include=embedded");
  EXPECT_EQ(one.json["type"], "event");
  EXPECT_EQ(one.json["url"], std::string(base) + "/lucca-api/events/" + event_id);
  EXPECT_EQ(one.json["embedded"], nlohmann::json::object());
  EXPECT_FALSE(one.json.contains("links"));
}

TEST_F(seeded, events_list_as_a_cloudevents_batch) {
  deliver_one();
  publish("employee.updated");
  publish("employee.created");
  const std::vector<header_field> accept{{"Accept", "application/cloudevents-batch+json"}};
  auto batch = get("/lucca-api/events", accept);
  ASSERT_EQ(batch.status, 200);
  EXPECT_EQ(batch.header("Content-Type"), "application/cloudevents-batch+json");
  ASSERT_TRUE(batch.json.is_array());
  ASSERT_EQ(batch.json.size(), 3u);
  // The same events, in the same order, as the JSON collection lists them.
  const auto listed = get("/lucca-api/events").json["items"];
  ASSERT_EQ(listed.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& ce = batch.json[i];
    EXPECT_EQ(ce["specversion"], "1.0");
    EXPECT_EQ(ce["id"], listed[i]["id"]);
    EXPECT_EQ(ce["type"], "com.luccasoftware." + listed[i]["topic"].get<std::string>());
    EXPECT_EQ(ce["source"], listed[i]["source"]);
    EXPECT_EQ(ce["time"], listed[i]["occurredAt"]);
    EXPECT_EQ(ce["datacontenttype"], "application/json");
    EXPECT_EQ(ce["data"]["id"], listed[i]["id"]); // the default event object
  }
  EXPECT_EQ(batch.json[0]["id"], event_id);
  EXPECT_FALSE(batch.header("ETag").empty());
  EXPECT_TRUE(batch.header("Link").empty()); // one page

  // Filters and pages as for the JSON collection; the links go in a Link header.
  auto page = get("/lucca-api/events?-topic=ping&limit=1", accept);
  ASSERT_EQ(page.json.size(), 1u);
  const std::string link = page.header("Link");
  EXPECT_NE(link.find("rel=\"next\""), std::string::npos) << link;
  EXPECT_NE(link.find("-topic=ping"), std::string::npos) << link;
  EXPECT_EQ(get("/lucca-api/events?topic=employee.updated", accept).json.size(),
            get("/lucca-api/events?topic=employee.updated").json["items"].size());
  // q=0 refuses it, and a wildcard gets the default collection.
  EXPECT_EQ(get("/lucca-api/events", {{"Accept", "application/cloudevents-batch+json;q=0, */*"}})
                .json["type"], "events");
  EXPECT_EQ(get("/lucca-api/events", {{"Accept", "*/*"}}).json["type"], "events");
}

TEST_F(seeded, post_events_publishes) {
  auto created = create_endpoint("/hook", {"leave.created"});
  const std::string id = created.json["id"];
  nlohmann::json body{{"topic", "leave.created"},
                      {"occurredAt", "2024-02-01T09:34:23.001Z"},
                      {"source", std::string(base)},
                      {"data", {{"id", "9"}, {"type", "leave"}}}};
  auto r = call("POST", "/lucca-api/events", body.dump(), {{"Idempotency-Key", "k1"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string event = r.json["id"];
  EXPECT_EQ(r.header("Location"), std::string(base) + "/lucca-api/events/" + event);
  EXPECT_EQ(r.json["topic"], "leave.created");
  auto replay = call("POST", "/lucca-api/events", body.dump(), {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(replay.json["id"], event);
  EXPECT_TRUE(eventually([&] {
    return get("/lucca-api/webhook-deliveries?status=delivered&event.id=" + event).json["items"].size() == 1;
  }));
  auto bad = call("POST", "/lucca-api/events", R"({"topic":"Not A Topic"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.json["errors"].contains("topic")) << bad.body;
  EXPECT_TRUE(bad.json["errors"].contains("data")) << bad.body;
}

class events_closed : public rest_fixture {
  void configure(rest_options& o) override { o.accept_events = false; }
};

TEST_F(events_closed, post_events_is_405_unless_enabled) {
  auto r = call("POST", "/lucca-api/events", R"({"topic":"leave.created"})");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

// --- a suspended endpoint comes back with PATCH -----------------------------------------

TEST_F(seeded, patch_reactivates_a_suspended_endpoint) {
  auto created = create_endpoint();
  const std::string id = created.json["id"];
  ASSERT_TRUE(store_->suspend_endpoint(id, default_clock().now()));
  auto held = publish();
  EXPECT_EQ(get("/lucca-api/webhook-endpoints/" + id).json["status"], "suspended");
  auto d = get("/lucca-api/webhook-deliveries?event.id=" + held.id);
  ASSERT_EQ(d.json["items"].size(), 1u);
  EXPECT_TRUE(d.json["items"][0]["nextAttemptAt"].is_null());
  auto on = call("PATCH", "/lucca-api/webhook-endpoints/" + id, R"({"status":"active"})");
  EXPECT_EQ(on.json["status"], "active");
  EXPECT_TRUE(eventually([&] {
    return get("/lucca-api/webhook-deliveries?status=delivered&event.id=" + held.id).json["items"].size() == 1;
  }));
}

// --- keep-alive -------------------------------------------------------------------------

TEST_F(rest_fixture, one_connection_serves_many_requests) {
  for (int i = 0; i < 20; ++i) EXPECT_EQ(get("/lucca-api/webhook-endpoints").status, 200);
  EXPECT_EQ(get("/lucca-api/nope").status, 404);
  EXPECT_EQ(create_endpoint().status, 201);
  EXPECT_EQ(client_->connections(), 1u);
}

// --- the blocking path ------------------------------------------------------------------

#if WEBHOOKD_TEST_SQLITE
// Database files of this run, in one directory removed at exit.
struct sqlite_dir {
  sqlite_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "webhookd-rest-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~sqlite_dir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::string fresh_sqlite_path() {
  static sqlite_dir dir;
  static int n = 0;
  return dir.path + "/rest-" + std::to_string(++n) + ".db";
}
} // namespace

template <>
struct store_factory<store::sqlite_store> {
  static std::unique_ptr<store::sqlite_store> make() {
    return std::make_unique<store::sqlite_store>(fresh_sqlite_path());
  }
};

namespace {
using sqlite_fixture = basic_rest_fixture<store::sqlite_store>;

TEST_F(sqlite_fixture, serves_the_api_off_the_caller_thread) {
  auto created = create_endpoint();
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["status"], "active");
  const std::string id = created.json["id"];
  EXPECT_EQ(get("/lucca-api/webhook-endpoints/" + id).json["id"], id);
  auto renamed = call("PATCH", "/lucca-api/webhook-endpoints/" + id, R"({"name":"n"})");
  EXPECT_EQ(renamed.json["name"], "n");
  auto e = publish();
  auto test = call("POST", "/lucca-api/webhook-deliveries",
                   nlohmann::json{{"webhookEndpoint", {{"id", id}}}}.dump());
  EXPECT_EQ(test.status, 201) << test.body;
  EXPECT_TRUE(eventually([&] {
    return get("/lucca-api/webhook-deliveries?status=delivered&include=totalCount").json["totalCount"] == 2;
  }));
  auto rotated = call("POST", "/lucca-api/webhook-endpoints/" + id + "/rotate-secret");
  EXPECT_EQ(rotated.status, 200);
  EXPECT_EQ(get("/lucca-api/events/" + e.id).json["id"], e.id);

  // The handler returns before the store is called: the answer comes from its pool.
  request req;
  req.method = "GET";
  req.target = "/lucca-api/webhook-endpoints";
  req.headers.add("Api-Version", "2024-11-01");
  req.headers.add("Authorization", "Bearer all");
  std::promise<std::thread::id> answered_on;
  (*handler_)(req, [&](response r) {
    EXPECT_EQ(r.status, 200);
    answered_on.set_value(std::this_thread::get_id());
  });
  auto f = answered_on.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
  EXPECT_EQ(call("DELETE", "/lucca-api/webhook-endpoints/" + id).status, 204);
}
#endif

} // namespace
} // namespace webhookd::api::api_test
