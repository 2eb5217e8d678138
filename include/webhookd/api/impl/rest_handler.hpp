// SPDX-License-Identifier: MIT
// rest_handler: routing, the conventions shared by every route, and each route.
#ifndef WEBHOOKD_API_IMPL_REST_HANDLER_HPP
#define WEBHOOKD_API_IMPL_REST_HANDLER_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/rest_handler.hpp>
#include <webhookd/api/rest/accept.hpp>
#include <webhookd/api/rest/authorizer.hpp>
#include <webhookd/api/rest/etag.hpp>
#include <webhookd/api/rest/include.hpp>
#include <webhookd/api/rest/pagination.hpp>
#include <webhookd/api/rest/problem.hpp>
#include <webhookd/api/rest/query.hpp>
#include <webhookd/api/rest/route.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/core/url.hpp>
#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/model/api_version.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/collection.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/delivery_request.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/event_validation.hpp>
#include <webhookd/signing/secret.hpp>

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::api {
namespace detail {

// One request in flight: what every step of its handling reads, and the sink that
// must be called once.
struct exchange {
  request req;
  response_sink done;
  std::string instance; // the request's absolute URL
  rest::route route;
  rest::query_parameters query;
  rest::include_set include;
  std::atomic<bool> answered{false};
};
using exchange_ptr = std::shared_ptr<exchange>;

// A JSON body and its ETag: the representation a request gets, and the tag a
// conditional request compares with.
struct representation {
  std::string body;
  std::string etag;
};

inline representation represent(const nlohmann::json& j) {
  representation r{j.dump(), {}};
  r.etag = rest::weak_etag(r.body);
  return r;
}

// `type/subtype` of a Content-Type, compared case-insensitively: JSON, or a `+json`
// suffix (application/merge-patch+json for PATCH).
inline bool is_json_media_type(std::string_view value) noexcept {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  std::string lower(value);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return lower == "application/json" ||
         (lower.starts_with("application/") && lower.ends_with("+json"));
}

template <class Store>
class rest_state : public std::enable_shared_from_this<rest_state<Store>> {
public:
  static constexpr bool blocking = store::is_blocking_store_v<Store>;

  rest_state(engine::engine<Store>& engine, Store& store, rest_options options,
             asio::any_io_executor executor)
      : engine_(engine), store_(store), options_(std::move(options)), executor_(std::move(executor)) {
    if (options_.clock == nullptr) options_.clock = &default_clock();
    while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
    options_.endpoint_validation.allow_http = options_.allow_http_webhook_urls;
    for (auto& d : options_.challenge_skip_domains) {
      for (auto& c : d)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      while (!d.empty() && d.front() == '.') d.erase(d.begin());
    }
  }

  void handle(request req, response_sink done) {
    auto ex = std::make_shared<exchange>();
    ex->req = std::move(req);
    ex->done = std::move(done);
    ex->instance = options_.base_url + ex->req.target;
    on_worker(ex, [this, ex] { start(ex); });
  }

private:
  // --- threads and answers ------------------------------------------------------------

  // Runs `f` where store calls may be made: inline for a non-blocking store, on the
  // blocking pool otherwise. Any exception becomes a 500.
  template <class F>
  void on_worker(const exchange_ptr& ex, F f) {
    auto guarded = [self = this->shared_from_this(), ex, f = std::move(f)]() mutable {
      try {
        f();
      } catch (const std::exception& e) {
        self->fail(ex, 500, std::string("unexpected error: ") + e.what());
      }
    };
    if constexpr (blocking) asio::post(executor_, std::move(guarded));
    else guarded();
  }

  void finish(const exchange_ptr& ex, response r) {
    if (ex->answered.exchange(true)) return;
    // SPEC.md Part 1 §16: the version served, on every response.
    r.headers.set("Api-Version", std::string(model::latest_api_version_string));
    auto done = std::move(ex->done);
    done(std::move(r));
  }

  void fail(const exchange_ptr& ex, int status, std::string_view detail,
            const model::validation_errors& errors = {}) {
    finish(ex, rest::problem_response(status, detail, ex->instance, errors));
  }

  void fail_store(const exchange_ptr& ex, const std::error_code& ec, std::string_view what) {
    if (ec == make_error_code(errc::not_found)) {
      fail(ex, 404, std::string(what) + " was not found");
    } else if (ec == store::make_error_code(store::store_errc::version_mismatch)) {
      fail(ex, 412, std::string(what) + " was changed meanwhile");
    } else {
      fail(ex, 500, "store error: " + ec.message());
    }
  }

  // `extra` headers replace the defaults (a Content-Type other than JSON, a Link).
  void answer_json(const exchange_ptr& ex, int status, const representation& rep,
                   std::string location = {}, const header_list& extra = {}) {
    response r;
    r.status = status;
    r.headers.set("Content-Type", "application/json");
    r.headers.set("ETag", rep.etag);
    if (!location.empty()) r.headers.set("Location", std::move(location));
    for (const auto& h : extra) r.headers.set(h.name, h.value);
    r.body = rep.body;
    finish(ex, std::move(r));
  }

  // A GET: 304 when If-None-Match matches (SPEC.md Part 2 §1.8), the body otherwise.
  void answer_get(const exchange_ptr& ex, const representation& rep,
                  const header_list& extra = {}) {
    if (const auto* inm = ex->req.headers.find("If-None-Match");
        inm && rest::etag_list_matches(*inm, rep.etag)) {
      response r;
      r.status = 304;
      r.headers.set("ETag", rep.etag);
      finish(ex, std::move(r));
      return;
    }
    answer_json(ex, 200, rep, {}, extra);
  }

  // A write on an existing resource: false (and 412 with the current ETag, empty
  // body) when If-Match does not match `current`.
  bool precondition_holds(const exchange_ptr& ex, const representation& current) {
    const auto* im = ex->req.headers.find("If-Match");
    if (im == nullptr || rest::etag_list_matches(*im, current.etag)) return true;
    response r;
    r.status = 412;
    r.headers.set("ETag", current.etag);
    finish(ex, std::move(r));
    return false;
  }

  // --- the steps every request goes through ------------------------------------------

  void start(const exchange_ptr& ex) {
    // HEAD is GET without the body (RFC 9110 §9.3.2): the transport leaves the body
    // out, the headers (ETag, Content-Length) stay those of the GET.
    if (ex->req.method == "HEAD") ex->req.method = "GET";
    const request& req = ex->req;

    // SPEC.md Part 1 §16: Api-Version is required.
    const auto* version = req.headers.find("Api-Version");
    if (version == nullptr) {
      fail(ex, 400, "the Api-Version header is required",
           model::validation_errors{{"Api-Version", "is required"}});
      return;
    }
    if (auto v = model::resolve_api_version(*version); !v) {
      fail(ex, 400, "the Api-Version header is invalid",
           model::validation_errors{{"Api-Version", v.error()}});
      return;
    }

    // Bearer token → scopes (401 without a valid token).
    std::optional<scope_set> granted;
    if (const auto* auth = req.headers.find("Authorization")) {
      if (auto token = bearer_token(*auth)) granted = options_.authorize(*token);
    }
    if (!granted) {
      auto r = rest::problem_response(401, "a valid bearer token is required", ex->instance);
      r.headers.set("WWW-Authenticate", req.headers.find("Authorization")
                                            ? "Bearer error=\"invalid_token\""
                                            : "Bearer");
      finish(ex, std::move(r));
      return;
    }

    // Route: 404 for an unknown path, 405 with Allow for a wrong method.
    auto route = rest::match_route(req.path());
    if (!route) {
      fail(ex, 404, "no resource at this path");
      return;
    }
    ex->route = std::move(*route);
    const auto allowed = rest::allowed_methods(ex->route.kind, options_.accept_events);
    if (std::find(allowed.begin(), allowed.end(), req.method) == allowed.end()) {
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
      auto r = rest::problem_response(405, "method " + req.method + " is not allowed here",
                                      ex->instance);
      r.headers.set("Allow", std::move(allow));
      finish(ex, std::move(r));
      return;
    }

    // Scope (403).
    const auto needed = rest::required_scopes(ex->route.kind, req.method);
    if (!has_any_scope(*granted, needed)) {
      std::string names;
      for (const auto s : needed) names += (names.empty() ? "" : " ") + std::string(s);
      auto r = rest::problem_response(403, "this operation needs the scope " + names,
                                      ex->instance);
      r.headers.set("WWW-Authenticate",
                    "Bearer error=\"insufficient_scope\", scope=\"" + names + "\"");
      finish(ex, std::move(r));
      return;
    }

    // Query: decoded, known parameters only; include.
    auto query = rest::query_parameters::parse(req.query());
    if (!query) {
      fail(ex, 400, "the query string is invalid", query.error());
      return;
    }
    ex->query = std::move(*query);
    model::validation_errors errors;
    const auto known = rest::known_parameters(ex->route.kind, req.method);
    for (const auto& p : ex->query.items()) {
      if (std::find(known.begin(), known.end(), std::string_view(p.name)) == known.end())
        errors.add(p.name, "unknown query parameter");
    }
    ex->include = rest::parse_include(ex->query, errors);
    if (!errors.empty()) {
      fail(ex, 400, "the query string is invalid", errors);
      return;
    }

    if (req.body.size() > options_.max_body_bytes) {
      fail(ex, 413, "the body is larger than " + std::to_string(options_.max_body_bytes) + " bytes");
      return;
    }

    dispatch(ex);
  }

  void dispatch(const exchange_ptr& ex) {
    using rest::route_kind;
    const std::string& m = ex->req.method;
    switch (ex->route.kind) {
    case route_kind::endpoints:
      if (m == "POST") create_endpoint(ex);
      else list_endpoints(ex);
      return;
    case route_kind::endpoint:
      if (m == "PATCH") patch_endpoint(ex);
      else if (m == "DELETE") delete_endpoint(ex);
      else get_endpoint(ex);
      return;
    case route_kind::rotate_secret: rotate_secret(ex); return;
    case route_kind::deliveries:
      if (m == "POST") create_delivery(ex);
      else list_deliveries(ex);
      return;
    case route_kind::delivery: get_delivery(ex); return;
    case route_kind::attempts: list_attempts(ex); return;
    case route_kind::attempt: get_attempt(ex); return;
    case route_kind::events:
      if (m == "POST") create_event(ex);
      else list_events(ex);
      return;
    case route_kind::event: get_event(ex); return;
    }
  }

  // The JSON body of a write: 415 unless it is JSON, 400 unless it parses.
  // `optional`: an empty body is accepted, whatever its Content-Type (returns null).
  std::optional<nlohmann::json> read_body(const exchange_ptr& ex, bool optional) {
    const auto* type = ex->req.headers.find("Content-Type");
    if (optional && ex->req.body.empty()) return nlohmann::json();
    if (type == nullptr || !is_json_media_type(*type)) {
      fail(ex, 415, "the body must be application/json");
      return std::nullopt;
    }
    auto body = model::parse_json_body(ex->req.body);
    if (!body) {
      fail(ex, 400, "the body is not valid JSON", body.error());
      return std::nullopt;
    }
    return std::move(*body);
  }

  // --- URLs, links, embedded ----------------------------------------------------------

  std::string collection_url(std::string_view collection) const {
    return options_.base_url + "/lucca-api/" + std::string(collection);
  }
  std::string resource_url(std::string_view collection, std::string_view id) const {
    return collection_url(collection) + "/" + rest::percent_encode(id);
  }
  // The collection URL as requested: what `links.prev`/`next` are built on.
  std::string request_collection_url(const exchange_ptr& ex) const {
    return options_.base_url + std::string(ex->req.path());
  }

  // Whatever URL the engine or another process stored, the API serves its own.
  void decorate(model::webhook_endpoint& e, const rest::include_set& inc, bool own_embedded) const {
    e.url = resource_url(model::webhook_endpoint::collection_type_name, e.id);
    if (inc.links) e.links = model::link_map{};
    else e.links.reset();
    if (inc.embedded && own_embedded) e.embedded = model::basic_embedded{};
    else e.embedded.reset();
  }
  void decorate(model::event& e, const rest::include_set& inc, bool own_embedded) const {
    e.url = resource_url(model::event::collection_type_name, e.id);
    if (inc.links) {
      model::link_map links;
      links.set("retry", collection_url(model::webhook_delivery::collection_type_name));
      e.links = std::move(links);
    } else {
      e.links.reset();
    }
    if (inc.embedded && own_embedded) e.embedded = model::basic_embedded{};
    else e.embedded.reset();
  }
  void decorate(model::webhook_delivery& d, const rest::include_set& inc, bool own_embedded) const {
    d.url = resource_url(model::webhook_delivery::collection_type_name, d.id);
    d.event.url = resource_url(model::event::collection_type_name, d.event.id);
    d.webhook_endpoint.url =
        resource_url(model::webhook_endpoint::collection_type_name, d.webhook_endpoint.id);
    if (inc.links) {
      model::link_map links;
      links.set("attempts", collection_url(model::webhook_delivery_attempt::collection_type_name) +
                                "?webhookDelivery.id=" + rest::percent_encode(d.id));
      d.links = std::move(links);
    } else {
      d.links.reset();
    }
    d.embedded.reset();
    if (inc.embedded && own_embedded) d.embedded = embedded_of(std::vector{d}, inc);
  }
  void decorate(model::webhook_delivery_attempt& a, const rest::include_set& inc,
                bool own_embedded) const {
    a.url = resource_url(model::webhook_delivery_attempt::collection_type_name, a.id);
    a.webhook_delivery.url =
        resource_url(model::webhook_delivery::collection_type_name, a.webhook_delivery.id);
    if (inc.links) a.links = model::link_map{};
    else a.links.reset();
    a.embedded.reset();
    if (inc.embedded && own_embedded) a.embedded = embedded_of(std::vector{a}, inc);
  }

  // The `embedded` member of a page (or of one resource): related resources, type →
  // id → object. What cannot be read is left out (SPEC.md Part 2 §1.5: may be partial).
  model::basic_embedded embedded_of(const std::vector<model::webhook_endpoint>&,
                                    const rest::include_set&) const {
    return {};
  }
  model::basic_embedded embedded_of(const std::vector<model::event>&,
                                    const rest::include_set&) const {
    return {};
  }
  void embed_event(model::embedded_map<model::event>& into, const std::string& id,
                   const rest::include_set& inc) const {
    if (into.count(id) != 0) return;
    if (auto ev = store_.get_event(id)) {
      decorate(*ev, inc, false);
      model::embed(into, std::move(*ev));
    }
  }
  model::webhook_delivery_embedded embedded_of(const std::vector<model::webhook_delivery>& items,
                                               const rest::include_set& inc) const {
    model::webhook_delivery_embedded out;
    for (const auto& d : items) embed_event(out.events, d.event.id, inc);
    return out;
  }
  model::webhook_delivery_attempt_embedded embedded_of(
      const std::vector<model::webhook_delivery_attempt>& items, const rest::include_set& inc) const {
    model::webhook_delivery_attempt_embedded out;
    for (const auto& a : items) {
      if (out.webhook_deliveries.count(a.webhook_delivery.id) != 0) continue;
      auto d = store_.get_delivery(a.webhook_delivery.id);
      if (!d) continue;
      decorate(*d, inc, false);
      embed_event(out.events, d->event.id, inc);
      model::embed(out.webhook_deliveries, std::move(*d));
    }
    return out;
  }

  template <class Resource>
  representation render(Resource r, const rest::include_set& inc) const {
    decorate(r, inc, true);
    return represent(nlohmann::json(r));
  }

  // --- collections --------------------------------------------------------------------

  static model::webhook_endpoint resource_of(store::endpoint_record r) {
    return std::move(r.endpoint);
  }
  template <class Resource>
  static Resource resource_of(Resource r) {
    return r;
  }

  // The page the query asks for (`page`, `limit`) under `filter`, read with the
  // store's member `list`; nullopt after answering 400 (bad query or cursor) or 500.
  template <class Filter, class List>
  auto read_page(const exchange_ptr& ex, const model::validation_errors& filter_errors,
                 const Filter& filter, List list, store::page_request& page_req)
      -> std::optional<std::decay_t<decltype(*std::invoke(list, std::declval<const Store&>(), filter,
                                                           page_req))>> {
    model::validation_errors errors = filter_errors;
    page_req = rest::parse_page_request(ex->query, errors);
    if (!errors.empty()) {
      fail(ex, 400, "the query string is invalid", errors);
      return std::nullopt;
    }
    const Store& store = store_;
    auto page = std::invoke(list, store, filter, page_req);
    if (!page) {
      if (page.error() == store::make_error_code(store::store_errc::invalid_cursor))
        fail(ex, 400, "the page cursor is invalid",
             model::validation_errors{{"page", "must be a cursor taken from links.prev or links.next"}});
      else fail_store(ex, page.error(), "the collection");
      return std::nullopt;
    }
    return std::move(*page);
  }

  // One page of a collection: `list` and `count` are the store's members for it.
  template <class Resource, class Filter, class List, class Count>
  void serve_collection(const exchange_ptr& ex, const model::validation_errors& filter_errors,
                        const Filter& filter, List list, Count count) {
    store::page_request page_req;
    auto page = read_page(ex, filter_errors, filter, list, page_req);
    if (!page) return;
    const Store& store = store_;
    model::collection<Resource> c;
    c.url = ex->instance;
    if (ex->include.total_count) {
      auto n = std::invoke(count, store, filter);
      if (!n) {
        fail_store(ex, n.error(), "the collection");
        return;
      }
      c.total_count = *n;
    }
    c.links = rest::page_links(request_collection_url(ex), ex->query, *page, page_req.limit);
    for (auto& item : page->items) {
      c.items.push_back(resource_of(std::move(item)));
      decorate(c.items.back(), ex->include, false);
    }
    if (ex->include.embedded) c.embedded = embedded_of(c.items, ex->include);
    answer_get(ex, represent(nlohmann::json(c)));
  }

  // One resource by the route's id; `get` is the store's member for it.
  template <class Get>
  void serve_one(const exchange_ptr& ex, Get get, std::string_view kind) {
    const Store& store = store_;
    auto found = std::invoke(get, store, std::string_view(ex->route.id));
    if (!found) {
      fail_store(ex, found.error(), std::string(kind) + " " + ex->route.id);
      return;
    }
    answer_get(ex, render(resource_of(std::move(*found)), ex->include));
  }

  // --- webhook-endpoints --------------------------------------------------------------

  void list_endpoints(const exchange_ptr& ex) {
    model::validation_errors errors;
    store::endpoint_filter filter;
    filter.status = rest::parse_filter<model::endpoint_status>(
        ex->query, "status", model::parse_endpoint_status,
        "must be a comma-separated list of active, suspended, inactive", errors);
    serve_collection<model::webhook_endpoint>(ex, errors, filter, &Store::list_endpoints,
                                              &Store::count_endpoints);
  }

  // The endpoint of the route, or nullopt after answering 404 (or 500).
  std::optional<store::endpoint_record> find_endpoint(const exchange_ptr& ex) {
    auto rec = store_.get_endpoint(ex->route.id);
    if (!rec) {
      fail_store(ex, rec.error(), "webhook-endpoint " + ex->route.id);
      return std::nullopt;
    }
    return std::move(*rec);
  }

  void get_endpoint(const exchange_ptr& ex) {
    serve_one(ex, &Store::get_endpoint, model::webhook_endpoint::type_name);
  }

  bool skips_challenge(const std::string& webhook_url) const {
    auto u = parse_url(webhook_url);
    if (!u) return false;
    for (const auto& d : options_.challenge_skip_domains) {
      if (d.empty()) continue;
      if (u->host == d) return true;
      if (u->host.size() > d.size() && u->host.ends_with(d) &&
          u->host[u->host.size() - d.size() - 1] == '.')
        return true;
    }
    return false;
  }

  // When `run`, the activation challenge unless the domain is allow-listed, then
  // `next(passed)` where store calls may be made (SPEC.md Part 1 §8, §10); otherwise
  // `next(false)` at once.
  template <class Next>
  void activate_if(bool run, const exchange_ptr& ex, const std::string& webhook_url, Next next) {
    if (!run || skips_challenge(webhook_url)) {
      next(run);
      return;
    }
    engine_.challenge(webhook_url, [self = this->shared_from_this(), ex,
                                    next = std::move(next)](engine::challenge_result r) mutable {
      self->on_worker(ex, [next = std::move(next), passed = r.passed]() mutable { next(passed); });
    });
  }

  void create_endpoint(const exchange_ptr& ex) {
    auto body = read_body(ex, false);
    if (!body) return;
    auto create = model::parse_endpoint_create(*body, options_.endpoint_validation);
    if (!create) {
      fail(ex, 400, "the webhook-endpoint is invalid", create.error());
      return;
    }
    const bool wants_active = create->requested_status == model::endpoint_status::active;
    const std::string webhook_url = create->webhook_url;
    auto store_it = [this, ex, create = std::move(*create)](bool passed) {
      const timestamp now = options_.clock->now();
      std::string id = next_id(now);
      std::string url = resource_url(model::webhook_endpoint::collection_type_name, id);
      store::endpoint_record rec;
      rec.endpoint = model::make_endpoint(create, std::move(id), std::move(url),
                                          signing::generate_secret(), now);
      if (passed) rec.endpoint.status = model::endpoint_status::active;
      auto stored = store_.create_endpoint(rec);
      if (!stored) {
        fail_store(ex, stored.error(), "webhook-endpoint");
        return;
      }
      answer_with_secret(ex, 201, std::move(stored->endpoint), true);
    };
    activate_if(wants_active, ex, webhook_url, std::move(store_it));
  }

  // The endpoint with its secret: the body of a creation or a rotation, and nothing
  // else (SPEC.md Part 1 §9, §11). The ETag is the one a GET gives (no secret).
  void answer_with_secret(const exchange_ptr& ex, int status, model::webhook_endpoint e,
                          bool located) {
    decorate(e, ex->include, true);
    representation rep = represent(nlohmann::json(e));
    rep.body = model::to_json_with_secret(e).dump();
    answer_json(ex, status, rep, located ? e.url : std::string{});
  }

  // The endpoint of a write, or nullopt after answering 404 or 412 (If-Match).
  std::optional<store::endpoint_record> writable_endpoint(const exchange_ptr& ex) {
    auto rec = find_endpoint(ex);
    if (rec && !precondition_holds(ex, render(rec->endpoint, ex->include))) return std::nullopt;
    return rec;
  }

  void patch_endpoint(const exchange_ptr& ex) {
    auto rec = writable_endpoint(ex);
    if (!rec) return;
    auto body = read_body(ex, false);
    if (!body) return;
    auto patch = model::parse_endpoint_patch(*body, options_.endpoint_validation);
    if (!patch) {
      fail(ex, 400, "the patch is invalid", patch.error());
      return;
    }
    model::webhook_endpoint updated = rec->endpoint;
    const bool url_changed = model::apply_patch(updated, *patch);
    const auto current = rec->endpoint.status;
    // What the client wants: its request, or the current status (a new URL of an
    // active endpoint must pass the challenge again to stay active).
    const auto wanted = patch->requested_status.value_or(current);
    const bool challenge = wanted == model::endpoint_status::active &&
                           (url_changed || current != model::endpoint_status::active);
    if (!challenge && patch->requested_status) updated.status = *patch->requested_status;
    const std::string target_url = updated.webhook_url;
    auto save = [this, ex, updated = std::move(updated), version = rec->version,
                 challenge, current](bool passed) mutable {
      if (challenge) {
        // Failing the challenge leaves a suspended endpoint suspended, anything
        // else inactive (SPEC.md Part 2 §2.2).
        updated.status = passed ? model::endpoint_status::active
                         : current == model::endpoint_status::suspended
                             ? model::endpoint_status::suspended
                             : model::endpoint_status::inactive;
      }
      auto stored = store_.update_endpoint(updated, version, options_.clock->now());
      if (!stored) {
        fail_store(ex, stored.error(), "webhook-endpoint " + updated.id);
        return;
      }
      // Held deliveries were scheduled again by the store: look at them now.
      if (stored->endpoint.status == model::endpoint_status::active &&
          current != model::endpoint_status::active)
        engine_.wake();
      answer_json(ex, 200, render(stored->endpoint, ex->include));
    };
    activate_if(challenge, ex, target_url, std::move(save));
  }

  void delete_endpoint(const exchange_ptr& ex) {
    auto rec = writable_endpoint(ex);
    if (!rec) return;
    auto deleted = store_.delete_endpoint(ex->route.id, rec->version, options_.clock->now());
    if (!deleted) {
      fail_store(ex, deleted.error(), "webhook-endpoint " + ex->route.id);
      return;
    }
    response r;
    r.status = 204;
    finish(ex, std::move(r));
  }

  void rotate_secret(const exchange_ptr& ex) {
    auto rec = writable_endpoint(ex);
    if (!rec) return;
    if (!read_body(ex, true)) return;
    auto rotated = engine_.rotate_secret(ex->route.id);
    if (!rotated) {
      fail_store(ex, rotated.error(), "webhook-endpoint " + ex->route.id);
      return;
    }
    answer_with_secret(ex, 200, std::move(rotated->endpoint), false);
  }

  // --- webhook-deliveries -------------------------------------------------------------

  void list_deliveries(const exchange_ptr& ex) {
    model::validation_errors errors;
    store::delivery_filter filter;
    filter.endpoint_id = rest::parse_string_filter(ex->query, "webhookEndpoint.id", errors);
    filter.event_id = rest::parse_string_filter(ex->query, "event.id", errors);
    filter.status = rest::parse_filter<model::delivery_status>(
        ex->query, "status", model::parse_delivery_status,
        "must be a comma-separated list of delivered, undelivered, failed", errors);
    serve_collection<model::webhook_delivery>(ex, errors, filter, &Store::list_deliveries,
                                              &Store::count_deliveries);
  }

  void get_delivery(const exchange_ptr& ex) {
    serve_one(ex, &Store::get_delivery, model::webhook_delivery::type_name);
  }

  void create_delivery(const exchange_ptr& ex) {
    auto body = read_body(ex, true);
    if (!body) return;
    model::delivery_create create;
    if (!body->is_null()) {
      auto parsed = model::parse_delivery_create(*body);
      if (!parsed) {
        fail(ex, 400, "the webhook-delivery is invalid", parsed.error());
        return;
      }
      create = std::move(*parsed);
    } else if (const auto* endpoint_id = ex->query.find("webhookEndpoint.id");
               endpoint_id && !endpoint_id->empty()) {
      // SPEC.md Part 1 §13: the query form of the OLD docs.
      create.webhook_endpoint_id = *endpoint_id;
      if (const auto* event_id = ex->query.find("event.id"); event_id && !event_id->empty())
        create.event_id = *event_id;
    } else {
      fail(ex, 400, "the webhook-delivery is invalid",
           model::validation_errors{{"webhookEndpoint", "is required"}});
      return;
    }
    if (auto ep = store_.get_endpoint(create.webhook_endpoint_id); !ep) {
      fail_store(ex, ep.error(), "webhook-endpoint " + create.webhook_endpoint_id);
      return;
    }
    if (create.event_id) {
      if (auto ev = store_.get_event(*create.event_id); !ev) {
        fail_store(ex, ev.error(), "event " + *create.event_id);
        return;
      }
    }
    auto made = create.event_id ? engine_.resend(*create.event_id, create.webhook_endpoint_id)
                                : engine_.send_test(create.webhook_endpoint_id);
    if (!made) {
      fail_store(ex, made.error().code, "webhook-delivery");
      return;
    }
    const representation rep = render(*made, ex->include);
    answer_json(ex, 201, rep,
                resource_url(model::webhook_delivery::collection_type_name, made->id));
  }

  // --- webhook-delivery-attempts ------------------------------------------------------

  void list_attempts(const exchange_ptr& ex) {
    model::validation_errors errors;
    store::attempt_filter filter;
    filter.delivery_id = rest::parse_string_filter(ex->query, "webhookDelivery.id", errors);
    filter.is_successful = rest::parse_filter<bool>(
        ex->query, "isSuccessful",
        [](std::string_view v) -> std::optional<bool> {
          if (v == "true") return true;
          if (v == "false") return false;
          return std::nullopt;
        },
        "must be true or false", errors);
    serve_collection<model::webhook_delivery_attempt>(ex, errors, filter, &Store::list_attempts,
                                                      &Store::count_attempts);
  }

  void get_attempt(const exchange_ptr& ex) {
    serve_one(ex, &Store::get_attempt, model::webhook_delivery_attempt::type_name);
  }

  // --- events -------------------------------------------------------------------------

  void list_events(const exchange_ptr& ex) {
    model::validation_errors errors;
    store::event_filter filter;
    filter.topic = rest::parse_string_filter(ex->query, "topic", errors);
    if (rest::accepts_media_type(ex->req.headers.value_or("Accept"), cloudevents_batch_type)) {
      serve_cloudevents_batch(ex, errors, filter);
      return;
    }
    serve_collection<model::event>(ex, errors, filter, &Store::list_events, &Store::count_events);
  }

  static constexpr std::string_view cloudevents_batch_type = "application/cloudevents-batch+json";

  // GET /events with `Accept: application/cloudevents-batch+json` (SPEC.md Part 2
  // §3.3): the page's events as a bare JSON array of CloudEvents 1.0 objects, as a
  // cloudEvents endpoint receives them. An array has no room for links, so the
  // page's prev/next go in a `Link` header (RFC 8288); filters and `limit` as usual.
  void serve_cloudevents_batch(const exchange_ptr& ex, const model::validation_errors& filter_errors,
                               const store::event_filter& filter) {
    store::page_request page_req;
    auto page = read_page(ex, filter_errors, filter, &Store::list_events, page_req);
    if (!page) return;
    nlohmann::json batch = nlohmann::json::array();
    for (auto& item : page->items)
      batch.push_back(encoding::cloudevent_json(resource_of(std::move(item)), options_.cloudevents));
    header_list extra;
    extra.set("Content-Type", std::string(cloudevents_batch_type));
    const auto links = rest::page_links(request_collection_url(ex), ex->query, *page, page_req.limit);
    std::string link;
    if (links.prev) link = "<" + links.prev->href + ">; rel=\"prev\"";
    if (links.next) link += (link.empty() ? "" : ", ") + ("<" + links.next->href + ">; rel=\"next\"");
    if (!link.empty()) extra.set("Link", std::move(link));
    answer_get(ex, represent(batch), extra);
  }

  void get_event(const exchange_ptr& ex) {
    serve_one(ex, &Store::get_event, model::event::type_name);
  }

  void create_event(const exchange_ptr& ex) {
    auto body = read_body(ex, false);
    if (!body) return;
    auto parsed = model::parse_event(*body);
    if (!parsed) {
      fail(ex, 400, "the event is invalid", parsed.error());
      return;
    }
    engine::publish_options opts;
    if (const auto* key = ex->req.headers.find("Idempotency-Key")) opts.idempotency_key = *key;
    auto published = engine_.publish(std::move(*parsed), opts);
    if (!published) {
      const auto& err = published.error();
      if (!err.errors.empty()) fail(ex, 400, "the event is invalid", err.errors);
      else if (err.code == store::make_error_code(store::store_errc::duplicate_id))
        fail(ex, 409, "an event with this id exists");
      else fail_store(ex, err.code, "event");
      return;
    }
    const representation rep = render(*published, ex->include);
    answer_json(ex, 201, rep, resource_url(model::event::collection_type_name, published->id));
  }

  std::string next_id(timestamp now) {
    std::lock_guard lock(ids_mutex_);
    return ids_.next(now);
  }

  engine::engine<Store>& engine_;
  Store& store_;
  rest_options options_;
  asio::any_io_executor executor_;
  std::mutex ids_mutex_;
  id_generator ids_;
};

// The handler's own pool for a blocking store. Tasks on it hold the state, never the
// pool, so the pool is joined by whoever drops the last handle, not by one of its
// threads.
struct rest_pool {
  explicit rest_pool(std::size_t threads) : pool(threads == 0 ? 1 : threads) {}
  ~rest_pool() { pool.join(); }
  asio::thread_pool pool;
};

} // namespace detail

template <class Store>
rest_handler<Store>::rest_handler(engine::engine<Store>& engine, Store& store, rest_options options) {
  if (!options.authorize) throw std::invalid_argument("rest_options::authorize is required");
  asio::any_io_executor ex;
  if constexpr (store::is_blocking_store_v<Store>) {
    if (options.blocking_executor) {
      ex = options.blocking_executor;
    } else {
      pool_ = std::make_shared<detail::rest_pool>(options.blocking_threads);
      ex = pool_->pool.get_executor();
    }
  }
  state_ = std::make_shared<detail::rest_state<Store>>(engine, store, std::move(options), std::move(ex));
}

template <class Store>
void rest_handler<Store>::operator()(request req, response_sink done) const {
  state_->handle(std::move(req), std::move(done));
}

} // namespace webhookd::api

#endif // WEBHOOKD_API_IMPL_REST_HANDLER_HPP
