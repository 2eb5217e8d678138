#include <webhookd/api/rest_handler.hpp> // must be self-contained

#include "rest_fixture.hpp"

#include <webhookd/api/rest/etag.hpp>
#include <webhookd/api/rest/include.hpp>
#include <webhookd/api/rest/pagination.hpp>
#include <webhookd/api/rest/problem.hpp>
#include <webhookd/api/rest/query.hpp>
#include <webhookd/api/rest/route.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace webhookd::api::api_test {
namespace {

// --- the small pieces -------------------------------------------------------------------

TEST(rest_query, percent_decoding) {
  EXPECT_EQ(rest::percent_decode("a%2Cb%20c+d"), "a,b c+d");
  EXPECT_EQ(rest::percent_decode("%e2%82%ac"), "\xe2\x82\xac");
  EXPECT_FALSE(rest::percent_decode("%"));
  EXPECT_FALSE(rest::percent_decode("%4"));
  EXPECT_FALSE(rest::percent_decode("%zz"));
  EXPECT_EQ(rest::percent_encode("a b&c=!,"), "a%20b%26c%3D!,");
}

TEST(rest_query, parameters_and_filters) {
  auto q = rest::query_parameters::parse("status=active,inactive&-status=suspended&x&&limit=5");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q->find("limit"), "5");
  EXPECT_EQ(*q->find("x"), "");
  model::validation_errors errors;
  auto f = rest::parse_filter<model::endpoint_status>(*q, "status", model::parse_endpoint_status,
                                                      "bad", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(f.include.size(), 2u);
  EXPECT_EQ(f.exclude, std::vector{model::endpoint_status::suspended});
  EXPECT_TRUE(f.matches(model::endpoint_status::active));
  EXPECT_FALSE(f.matches(model::endpoint_status::suspended));

  auto bad = rest::query_parameters::parse("status=nope");
  rest::parse_filter<model::endpoint_status>(*bad, "status", model::parse_endpoint_status, "bad",
                                             errors);
  EXPECT_EQ(errors.rules_for("status"), std::vector<std::string>{"bad"});
  EXPECT_FALSE(rest::query_parameters::parse("a=%zz"));
  EXPECT_EQ(q->encode({"x"}, {{"page", "!ab"}}), "page=!ab&status=active,inactive&-status=suspended&limit=5");
}

TEST(rest_query, limit) {
  model::validation_errors errors;
  auto q = [](const char* s) { return *rest::query_parameters::parse(s); };
  EXPECT_EQ(rest::parse_limit(q(""), 25, 100, errors), 25u);
  EXPECT_EQ(rest::parse_limit(q("limit=0"), 25, 100, errors), 0u);
  EXPECT_EQ(rest::parse_limit(q("limit=100"), 25, 100, errors), 100u);
  EXPECT_TRUE(errors.empty());
  for (const char* bad : {"limit=101", "limit=-1", "limit=", "limit=1e2", "limit=99999"})
    EXPECT_FALSE(rest::parse_limit(q(bad), 25, 100, errors)) << bad;
}

TEST(rest_etag, weak_comparison) {
  const auto tag = rest::weak_etag("{}");
  EXPECT_TRUE(tag.starts_with("W/\""));
  EXPECT_NE(tag, rest::weak_etag("{ }"));
  const std::string opaque(rest::etag_opaque(tag));
  EXPECT_TRUE(rest::etag_list_matches(tag, tag));
  EXPECT_TRUE(rest::etag_list_matches("\"" + opaque + "\"", tag));
  EXPECT_TRUE(rest::etag_list_matches("W/" + opaque, tag));
  EXPECT_TRUE(rest::etag_list_matches("W/\"x\", " + tag, tag));
  EXPECT_TRUE(rest::etag_list_matches("*", tag));
  EXPECT_FALSE(rest::etag_list_matches("W/\"x\"", tag));
  EXPECT_FALSE(rest::etag_list_matches("", tag));
}

TEST(rest_authorizer, bearer_and_static_tokens) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer  abc "), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer a b"));
  auto a = static_token_authorizer({{"t", {"x"}}});
  EXPECT_EQ(a("t"), scope_set{"x"});
  EXPECT_FALSE(a("u"));
  EXPECT_FALSE(a("tt"));
  EXPECT_FALSE(a(""));
}

TEST(rest_route, matching) {
  using rest::route_kind;
  EXPECT_EQ(rest::match_route("/lucca-api/webhook-endpoints")->kind, route_kind::endpoints);
  auto r = rest::match_route("/lucca-api/webhook-endpoints/a%2Fb");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, route_kind::endpoint);
  EXPECT_EQ(r->id, "a/b");
  EXPECT_EQ(rest::match_route("/lucca-api/webhook-endpoints/1/rotate-secret")->kind,
            route_kind::rotate_secret);
  EXPECT_EQ(rest::match_route("/lucca-api/events/9")->kind, route_kind::event);
  for (const char* bad : {"/", "/lucca-api", "/lucca-api/", "/lucca-api/webhook-endpoints/",
                          "/lucca-api/events/1/rotate-secret", "/lucca-api/nope",
                          "/lucca-api/webhook-endpoints/1/x", "/lucca-api/events/%zz"})
    EXPECT_FALSE(rest::match_route(bad)) << bad;
}

TEST(rest_include, parsing) {
  model::validation_errors errors;
  auto q = *rest::query_parameters::parse("include=links,totalCount&include=embedded");
  auto inc = rest::parse_include(q, errors);
  EXPECT_TRUE(inc.links && inc.total_count && inc.embedded);
  rest::parse_include(*rest::query_parameters::parse("include=everything"), errors);
  EXPECT_TRUE(errors.touches("include"));
}

TEST(rest_problem, shape) {
  auto j = rest::problem_json(400, "", "https://x/lucca-api/y",
                              model::validation_errors{{"webhookUrl", "must use https://"}});
  EXPECT_EQ(j["type"], "https://tools.ietf.org/html/rfc7231#section-6.5.1");
  EXPECT_EQ(j["status"], 400);
  EXPECT_EQ(j["instance"], "https://x/lucca-api/y");
  EXPECT_EQ(j["errors"]["webhookUrl"][0], "must use https://");
  EXPECT_FALSE(j.contains("detail"));
}

// --- conventions: Api-Version, tokens, scopes, routes -----------------------------------

TEST_F(rest_fixture, api_version_is_required_and_echoed) {
  auto missing = raw("GET", "/lucca-api/webhook-endpoints", {{"Authorization", "Bearer all"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.header("Api-Version"), version);
  EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(missing.json["errors"]["Api-Version"][0], "is required");
  EXPECT_EQ(missing.json["instance"], std::string(base) + "/lucca-api/webhook-endpoints");

  for (const char* bad : {"garbage", "2024-10-31", "2024-13-01", ""}) {
    auto r = raw("GET", "/lucca-api/webhook-endpoints",
                 {{"Api-Version", bad}, {"Authorization", "Bearer all"}});
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(r.json["errors"].contains("Api-Version")) << bad;
    EXPECT_EQ(r.header("Api-Version"), version);
  }
  auto later = raw("GET", "/lucca-api/webhook-endpoints",
                   {{"Api-Version", "2030-01-01"}, {"Authorization", "Bearer all"}});
  EXPECT_EQ(later.status, 200);
  EXPECT_EQ(later.header("Api-Version"), version);
}

TEST_F(rest_fixture, bearer_tokens_and_scopes) {
  auto none = raw("GET", "/lucca-api/webhook-endpoints", {{"Api-Version", "2024-11-01"}});
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(none.header("WWW-Authenticate").starts_with("Bearer"));
  EXPECT_EQ(none.header("Api-Version"), version);
  EXPECT_EQ(none.json["status"], 401);

  auto wrong = get("/lucca-api/webhook-endpoints", {}, "nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_TRUE(wrong.header("WWW-Authenticate").starts_with("Bearer"));
  auto basic = raw("GET", "/lucca-api/webhook-endpoints",
                   {{"Api-Version", "2024-11-01"}, {"Authorization", "Basic YTpi"}});
  EXPECT_EQ(basic.status, 401);

  // A valid token without the route's scope: 403, for every route.
  for (const char* path : {"/lucca-api/webhook-endpoints", "/lucca-api/webhook-deliveries",
                           "/lucca-api/webhook-delivery-attempts", "/lucca-api/events",
                           "/lucca-api/events/1", "/lucca-api/webhook-endpoints/1"}) {
    auto r = get(path, {}, "none");
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.header("Api-Version"), version);
  }
  // Read-only scopes read but do not write.
  EXPECT_EQ(get("/lucca-api/webhook-endpoints", {}, "ro").status, 200);
  EXPECT_EQ(get("/lucca-api/webhook-deliveries", {}, "ro").status, 200);
  EXPECT_EQ(get("/lucca-api/webhook-delivery-attempts", {}, "ro").status, 200);
  EXPECT_EQ(get("/lucca-api/events", {}, "ro").status, 200);
  EXPECT_EQ(call("POST", "/lucca-api/webhook-endpoints", "{}", {}, "ro").status, 403);
  EXPECT_EQ(call("PATCH", "/lucca-api/webhook-endpoints/1", "{}", {}, "ro").status, 403);
  EXPECT_EQ(call("DELETE", "/lucca-api/webhook-endpoints/1", {}, {}, "ro").status, 403);
  EXPECT_EQ(call("POST", "/lucca-api/webhook-endpoints/1/rotate-secret", {}, {}, "ro").status, 403);
  EXPECT_EQ(call("POST", "/lucca-api/webhook-deliveries", "{}", {}, "ro").status, 403);
  EXPECT_EQ(call("POST", "/lucca-api/events", "{}", {}, "ro").status, 403);
}

TEST_F(rest_fixture, unknown_paths_and_methods) {
  for (const char* path : {"/", "/lucca-api/nope", "/lucca-api/webhook-endpoints/",
                           "/lucca-api/webhook-endpoints/1/nope", "/other"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r.header("Api-Version"), version);
  }
  struct {
    const char* method;
    const char* path;
    const char* allow;
  } cases[] = {
      {"PUT", "/lucca-api/webhook-endpoints", "GET, HEAD, POST"},
      {"DELETE", "/lucca-api/webhook-endpoints", "GET, HEAD, POST"},
      {"POST", "/lucca-api/webhook-endpoints/1", "GET, HEAD, PATCH, DELETE"},
      {"GET", "/lucca-api/webhook-endpoints/1/rotate-secret", "POST"},
      {"PATCH", "/lucca-api/webhook-deliveries", "GET, HEAD, POST"},
      {"DELETE", "/lucca-api/webhook-deliveries/1", "GET, HEAD"},
      {"POST", "/lucca-api/webhook-delivery-attempts", "GET, HEAD"},
      {"PATCH", "/lucca-api/webhook-delivery-attempts/1", "GET, HEAD"},
      {"DELETE", "/lucca-api/events", "GET, HEAD, POST"},
      {"POST", "/lucca-api/events/1", "GET, HEAD"},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.path);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.header("Allow"), c.allow) << c.method << " " << c.path;
    EXPECT_EQ(r.header("Api-Version"), version);
  }
}

TEST_F(rest_fixture, unknown_ids_are_404) {
  for (const char* path : {"/lucca-api/webhook-endpoints/nope", "/lucca-api/webhook-deliveries/nope",
                           "/lucca-api/webhook-delivery-attempts/nope", "/lucca-api/events/nope"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.json["instance"], std::string(base) + path);
  }
  EXPECT_EQ(call("PATCH", "/lucca-api/webhook-endpoints/nope", "{}").status, 404);
  EXPECT_EQ(call("DELETE", "/lucca-api/webhook-endpoints/nope").status, 404);
  EXPECT_EQ(call("POST", "/lucca-api/webhook-endpoints/nope/rotate-secret").status, 404);
}

TEST_F(rest_fixture, query_errors_name_the_parameter) {
  struct {
    const char* target;
    const char* field;
  } cases[] = {
      {"/lucca-api/webhook-endpoints?limit=101", "limit"},
      {"/lucca-api/webhook-endpoints?limit=-1", "limit"},
      {"/lucca-api/webhook-endpoints?limit=abc", "limit"},
      {"/lucca-api/webhook-endpoints?page=nope", "page"},
      {"/lucca-api/webhook-endpoints?page=!!!", "page"},
      {"/lucca-api/webhook-endpoints?status=paused", "status"},
      {"/lucca-api/webhook-endpoints?-status=paused", "-status"},
      {"/lucca-api/webhook-endpoints?include=everything", "include"},
      {"/lucca-api/webhook-endpoints?sort=id", "sort"},
      {"/lucca-api/webhook-deliveries?status=sent", "status"},
      {"/lucca-api/webhook-deliveries?event.id=", "event.id"},
      {"/lucca-api/webhook-delivery-attempts?isSuccessful=yes", "isSuccessful"},
      {"/lucca-api/events?limit=1000", "limit"},
      {"/lucca-api/events/1?limit=1", "limit"},
      {"/lucca-api/events?topic=%zz", "topic"},
  };
  for (const auto& c : cases) {
    auto r = get(c.target);
    EXPECT_EQ(r.status, 400) << c.target;
    EXPECT_TRUE(r.json["errors"].contains(c.field)) << c.target << " " << r.body;
    EXPECT_EQ(r.json["instance"], std::string(base) + c.target);
  }
}

// --- webhook-endpoints ------------------------------------------------------------------

TEST_F(rest_fixture, create_endpoint_runs_the_challenge_and_shows_the_secret_once) {
  auto created = create_endpoint();
  ASSERT_EQ(created.status, 201) << created.body;
  const auto& j = created.json;
  EXPECT_EQ(j["status"], "active");
  EXPECT_EQ(j["type"], "webhook-endpoint");
  EXPECT_EQ(j["apiVersion"], "2024-11-01");
  EXPECT_EQ(j["contentType"], "default");
  const std::string id = j["id"];
  const std::string url = std::string(base) + "/lucca-api/webhook-endpoints/" + id;
  EXPECT_EQ(j["url"], url);
  EXPECT_EQ(created.header("Location"), url);
  EXPECT_EQ(j["secret"].get<std::string>().size(), 64u);
  EXPECT_FALSE(j.contains("links"));
  EXPECT_FALSE(j.contains("embedded"));
  EXPECT_TRUE(created.header("ETag").starts_with("W/\""));

  auto got = get("/lucca-api/webhook-endpoints/" + id);
  EXPECT_EQ(got.status, 200);
  EXPECT_FALSE(got.json.contains("secret"));
  EXPECT_EQ(got.header("ETag"), created.header("ETag"));
  EXPECT_EQ(got.header("Content-Type"), "application/json");
  auto listed = get("/lucca-api/webhook-endpoints");
  ASSERT_EQ(listed.json["items"].size(), 1u);
  EXPECT_FALSE(listed.json["items"][0].contains("secret"));
}

TEST_F(rest_fixture, create_endpoint_status_follows_the_challenge) {
  auto failed = create_endpoint("/wrong");
  ASSERT_EQ(failed.status, 201);
  EXPECT_EQ(failed.json["status"], "inactive");
  auto omitted = create_endpoint("/hook", {"employee.created"}, "");
  EXPECT_EQ(omitted.json["status"], "active");
  auto inactive = create_endpoint("/hook", {"employee.created"}, "inactive");
  EXPECT_EQ(inactive.json["status"], "inactive");
  // The receiver saw challenges for the three that asked for active only.
  std::size_t challenges = 0;
  asio::post(io_, [&] {
    for (const auto& r : receiver_.requests()) challenges += r.head.starts_with("GET ");
  });
  EXPECT_TRUE(eventually([&] { return challenges == 2; }, 2s)) << challenges;
}

TEST_F(rest_fixture, create_endpoint_validation) {
  auto bad = call("POST", "/lucca-api/webhook-endpoints",
                  R"({"webhookUrl":"http://x.example/h","topics":[],"status":"suspended","nope":1})");
  ASSERT_EQ(bad.status, 400);
  EXPECT_EQ(bad.header("Content-Type"), "application/problem+json");
  const auto& e = bad.json["errors"];
  EXPECT_EQ(e["webhookUrl"][0], "must use https://");
  EXPECT_EQ(e["topics"][0], "must not be empty");
  EXPECT_TRUE(e.contains("status"));
  EXPECT_EQ(e["nope"][0], "unknown field");
  EXPECT_EQ(bad.json["instance"], std::string(base) + "/lucca-api/webhook-endpoints");

  auto missing = call("POST", "/lucca-api/webhook-endpoints", "{}");
  EXPECT_EQ(missing.json["errors"]["webhookUrl"][0], "is required");
  EXPECT_EQ(missing.json["errors"]["topics"][0], "is required");

  auto not_json = call("POST", "/lucca-api/webhook-endpoints", "{");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_TRUE(not_json.json["errors"].contains("body"));

  auto text = typed("POST", "/lucca-api/webhook-endpoints", "text/plain", "{}");
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(text.header("Api-Version"), version);
  auto no_type = typed("POST", "/lucca-api/webhook-endpoints", "", "{}");
  EXPECT_EQ(no_type.status, 415);
  auto charset = typed("POST", "/lucca-api/webhook-endpoints", "application/json; charset=utf-8", "{}");
  EXPECT_EQ(charset.status, 400);
}

TEST_F(rest_fixture, http_webhook_urls_are_refused_by_default) {
  auto r = call("POST", "/lucca-api/webhook-endpoints",
                R"({"webhookUrl":"http://127.0.0.1:1/h","topics":["ping"],"status":"inactive"})");
  EXPECT_EQ(r.status, 400);
}

class rest_dev_fixture : public rest_fixture {
  void configure(rest_options& o) override {
    o.allow_http_webhook_urls = true;
    o.challenge_skip_domains = {"Zapier.com"};
    o.max_body_bytes = 512;
  }
};

TEST_F(rest_dev_fixture, large_bodies_are_413) {
  auto r = call("POST", "/lucca-api/webhook-endpoints",
                R"({"name":")" + std::string(600, 'x') + R"("})");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.header("Api-Version"), version);
}

TEST_F(rest_dev_fixture, http_urls_and_allow_listed_domains) {
  auto r = call("POST", "/lucca-api/webhook-endpoints",
                R"({"webhookUrl":"http://127.0.0.1:1/h","topics":["ping"],"status":"inactive"})");
  EXPECT_EQ(r.status, 201) << r.body;
  // No challenge for an allow-listed domain (and its subdomains): active at once.
  for (const char* url : {"https://zapier.com/h", "https://hooks.zapier.com/h"}) {
    nlohmann::json body{{"webhookUrl", url}, {"topics", {"ping"}}};
    auto z = call("POST", "/lucca-api/webhook-endpoints", body.dump());
    EXPECT_EQ(z.status, 201);
    EXPECT_EQ(z.json["status"], "active") << url;
  }
  nlohmann::json other{{"webhookUrl", "https://notzapier.com.invalid/h"}, {"topics", {"ping"}}};
  auto n = call("POST", "/lucca-api/webhook-endpoints", other.dump());
  EXPECT_EQ(n.json["status"], "inactive");
}

TEST_F(rest_fixture, patch_endpoint_is_a_merge_patch) {
  auto created = create_endpoint();
  const std::string id = created.json["id"];
  const std::string path = "/lucca-api/webhook-endpoints/" + id;
  auto renamed = call("PATCH", path, R"({"name":"billing","topics":["employee.updated"]})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json["name"], "billing");
  EXPECT_EQ(renamed.json["topics"], nlohmann::json({"employee.updated"}));
  EXPECT_EQ(renamed.json["webhookUrl"], created.json["webhookUrl"]);
  EXPECT_EQ(renamed.json["status"], "active");
  EXPECT_FALSE(renamed.json.contains("secret"));
  EXPECT_NE(renamed.header("ETag"), created.header("ETag"));

  auto unnamed = call("PATCH", path, R"({"name":null})");
  EXPECT_FALSE(unnamed.json.contains("name"));

  auto off = call("PATCH", path, R"({"status":"inactive"})");
  EXPECT_EQ(off.json["status"], "inactive");
  auto on = call("PATCH", path, R"({"status":"active"})");
  EXPECT_EQ(on.json["status"], "active");

  // A new URL re-runs the challenge: this one fails it.
  auto moved = call("PATCH", path, nlohmann::json{{"webhookUrl", receiver_.url("/wrong")}}.dump());
  EXPECT_EQ(moved.json["status"], "inactive");
  EXPECT_EQ(moved.json["webhookUrl"], receiver_.url("/wrong"));
  auto back = call("PATCH", path,
                   nlohmann::json{{"webhookUrl", receiver_.url("/hook")}, {"status", "active"}}.dump());
  EXPECT_EQ(back.json["status"], "active");

  auto suspended = call("PATCH", path, R"({"status":"suspended"})");
  EXPECT_EQ(suspended.status, 400);
  EXPECT_TRUE(suspended.json["errors"].contains("status"));
  auto null_url = call("PATCH", path, R"({"webhookUrl":null})");
  EXPECT_EQ(null_url.json["errors"]["webhookUrl"][0], "must not be null");
  auto text = typed("PATCH", path, "text/plain", "{}");
  EXPECT_EQ(text.status, 415);
  auto merge = typed("PATCH", path, "application/merge-patch+json", "{}");
  EXPECT_EQ(merge.status, 200);
}

TEST_F(rest_fixture, conditional_requests_on_endpoints) {
  auto created = create_endpoint();
  const std::string path = "/lucca-api/webhook-endpoints/" + created.json["id"].get<std::string>();
  const std::string etag = created.header("ETag");

  auto same = get(path, {{"If-None-Match", etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.header("ETag"), etag);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.header("Api-Version"), version);
  EXPECT_EQ(get(path, {{"If-None-Match", "*"}}).status, 304);
  EXPECT_EQ(get(path, {{"If-None-Match", "W/\"other\""}}).status, 200);
  // The bare opaque value, as the Lucca docs write it, matches too.
  const std::string opaque(rest::etag_opaque(etag));
  EXPECT_EQ(get(path, {{"If-None-Match", "W/" + opaque}}).status, 304);

  auto stale = call("PATCH", path, R"({"name":"x"})", {{"If-Match", "W/\"stale\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.header("ETag"), etag);
  EXPECT_TRUE(stale.body.empty());
  EXPECT_EQ(stale.header("Api-Version"), version);

  auto fresh = call("PATCH", path, R"({"name":"x"})", {{"If-Match", etag}});
  EXPECT_EQ(fresh.status, 200);
  const std::string etag2 = fresh.header("ETag");
  EXPECT_NE(etag2, etag);
  EXPECT_EQ(call("PATCH", path, R"({"name":"y"})", {{"If-Match", etag}}).status, 412);
  EXPECT_EQ(call("PATCH", path, R"({"name":"y"})", {{"If-Match", "*"}}).status, 200);

  auto current = get(path);
  EXPECT_EQ(call("DELETE", path, {}, {{"If-Match", "W/\"stale\""}}).status, 412);
  EXPECT_EQ(call("POST", path + "/rotate-secret", {}, {{"If-Match", "W/\"stale\""}}).status, 412);
  auto deleted = call("DELETE", path, {}, {{"If-Match", current.header("ETag")}});
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_EQ(deleted.header("Api-Version"), version);
  EXPECT_EQ(get(path).status, 404);
  EXPECT_EQ(call("DELETE", path, {}, {{"If-Match", "*"}}).status, 404);
}

TEST_F(rest_fixture, delete_fails_pending_deliveries) {
  auto created = create_endpoint();
  const std::string id = created.json["id"];
  // Held: the endpoint is suspended, so the delivery waits, undelivered.
  ASSERT_TRUE(store_->suspend_endpoint(id, default_clock().now()));
  const auto e = publish();
  auto pending = get("/lucca-api/webhook-deliveries?event.id=" + e.id);
  ASSERT_EQ(pending.json["items"].size(), 1u);
  EXPECT_EQ(pending.json["items"][0]["status"], "undelivered");
  EXPECT_EQ(call("DELETE", "/lucca-api/webhook-endpoints/" + id).status, 204);
  auto after = get("/lucca-api/webhook-deliveries?event.id=" + e.id);
  ASSERT_EQ(after.json["items"].size(), 1u);
  EXPECT_EQ(after.json["items"][0]["status"], "failed");
  EXPECT_TRUE(after.json["items"][0]["nextAttemptAt"].is_null());
  // History stays: the event and the delivery are still served.
  EXPECT_EQ(get("/lucca-api/events/" + e.id).status, 200);
}

TEST_F(rest_fixture, rotate_secret_shows_the_new_secret_once) {
  auto created = create_endpoint();
  const std::string path = "/lucca-api/webhook-endpoints/" + created.json["id"].get<std::string>();
  auto rotated = call("POST", path + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(rotated.json["secret"].get<std::string>().size(), 64u);
  EXPECT_NE(rotated.json["secret"], created.json["secret"]);
  EXPECT_EQ(rotated.json["type"], "webhook-endpoint");
  auto got = get(path);
  EXPECT_FALSE(got.json.contains("secret"));
  EXPECT_EQ(got.header("ETag"), rotated.header("ETag"));
  // The engine signs with what the store holds: the new secret.
  auto rec = store_->get_endpoint(created.json["id"].get<std::string>());
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->endpoint.secret, rotated.json["secret"]);
  // A body, if any, must be JSON.
  auto text = typed("POST", path + "/rotate-secret", "text/plain", "x");
  EXPECT_EQ(text.status, 415);
}

TEST_F(rest_fixture, list_endpoints_with_status_filter_and_pages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto c = create_endpoint("/hook", {"employee.created"}, i % 2 ? "inactive" : "active");
    ids.push_back(c.json["id"]);
  }
  auto active = get("/lucca-api/webhook-endpoints?status=active");
  EXPECT_EQ(active.json["items"].size(), 3u);
  auto not_active = get("/lucca-api/webhook-endpoints?-status=active");
  EXPECT_EQ(not_active.json["items"].size(), 2u);
  auto both = get("/lucca-api/webhook-endpoints?status=active,inactive&include=totalCount");
  EXPECT_EQ(both.json["totalCount"], 5);

  // Pages of 2, forward then back, every parameter carried by the links.
  const std::string first_target = "/lucca-api/webhook-endpoints?include=totalCount&limit=2&status=active,inactive";
  auto page = get(first_target);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.json["url"], std::string(base) + first_target);
  EXPECT_EQ(page.json["type"], "webhook-endpoints");
  EXPECT_TRUE(page.json["links"]["prev"].is_null());
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    ++pages;
    for (const auto& item : page.json["items"]) seen.push_back(item["id"]);
    EXPECT_EQ(page.json["totalCount"], 5);
    const auto& next = page.json["links"]["next"];
    if (next.is_null()) break;
    std::string href = next["href"];
    ASSERT_TRUE(href.starts_with(std::string(base) + "/lucca-api/webhook-endpoints?page=!")) << href;
    EXPECT_NE(href.find("limit=2"), std::string::npos) << href;
    EXPECT_NE(href.find("include=totalCount"), std::string::npos) << href;
    EXPECT_NE(href.find("status=active,inactive"), std::string::npos) << href;
    page = get(href.substr(base.size()));
    ASSERT_EQ(page.status, 200);
    EXPECT_FALSE(page.json["links"]["prev"].is_null());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);
  std::string prev = page.json["links"]["prev"]["href"];
  auto back = get(prev.substr(base.size()));
  ASSERT_EQ(back.json["items"].size(), 2u);
  EXPECT_EQ(back.json["items"][0]["id"], ids[2]);

  auto empty = get("/lucca-api/webhook-endpoints?limit=0&include=totalCount");
  EXPECT_EQ(empty.json["items"].size(), 0u);
  EXPECT_EQ(empty.json["totalCount"], 5);
  auto defaults = get("/lucca-api/webhook-endpoints");
  EXPECT_FALSE(defaults.json.contains("totalCount"));
  EXPECT_FALSE(defaults.json.contains("embedded"));
  EXPECT_TRUE(defaults.json["links"]["next"].is_null());
}

TEST_F(rest_fixture, collections_have_etags) {
  create_endpoint();
  auto list = get("/lucca-api/webhook-endpoints");
  const std::string etag = list.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(get("/lucca-api/webhook-endpoints", {{"If-None-Match", etag}}).status, 304);
  create_endpoint();
  EXPECT_EQ(get("/lucca-api/webhook-endpoints", {{"If-None-Match", etag}}).status, 200);
  for (const char* path : {"/lucca-api/webhook-deliveries", "/lucca-api/webhook-delivery-attempts",
                           "/lucca-api/events"}) {
    auto r = get(path);
    EXPECT_FALSE(r.header("ETag").empty()) << path;
    EXPECT_EQ(get(path, {{"If-None-Match", r.header("ETag")}}).status, 304) << path;
  }
}

TEST_F(rest_fixture, head_is_get_without_the_body) {
  create_endpoint();
  const auto full = get("/lucca-api/webhook-endpoints");
  ASSERT_EQ(full.status, 200);
  const auto head = call("HEAD", "/lucca-api/webhook-endpoints");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("ETag"), full.header("ETag"));
  EXPECT_EQ(head.header("Content-Length"), std::to_string(full.body.size()));
  EXPECT_EQ(head.header("Api-Version"), version);
}

} // namespace
} // namespace webhookd::api::api_test
