// SPDX-License-Identifier: MIT
// The REST API's routes: path matching, methods, scopes and query parameters per route.
#ifndef WEBHOOKD_API_REST_ROUTE_HPP
#define WEBHOOKD_API_REST_ROUTE_HPP

#include <webhookd/detail/config.hpp>

#include <webhookd/api/rest/authorizer.hpp>
#include <webhookd/api/rest/query.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd::api::rest {

/// The prefix of every route.
inline constexpr std::string_view api_prefix = "/lucca-api/";

/// What a path names.
enum class route_kind {
  endpoints,     ///< `/webhook-endpoints`
  endpoint,      ///< `/webhook-endpoints/{id}`
  rotate_secret, ///< `/webhook-endpoints/{id}/rotate-secret`
  deliveries,    ///< `/webhook-deliveries`
  delivery,      ///< `/webhook-deliveries/{id}`
  attempts,      ///< `/webhook-delivery-attempts`
  attempt,       ///< `/webhook-delivery-attempts/{id}`
  events,        ///< `/events`
  event,         ///< `/events/{id}`
};

/// A matched path: its kind and the id it names (percent-decoded; empty for a
/// collection).
struct route {
  route_kind kind = route_kind::endpoints;
  std::string id;
};

/** Matches a request path (undecoded, without the query). Ids are percent-decoded and
    must not be empty; anything else (a trailing slash, an unknown collection, a
    broken escape) is nullopt, answered 404.
*/
inline std::optional<route> match_route(std::string_view path) {
  if (!path.starts_with(api_prefix)) return std::nullopt;
  path.remove_prefix(api_prefix.size());
  std::vector<std::string_view> parts;
  while (true) {
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  struct collection {
    std::string_view name;
    route_kind list;
    route_kind item;
  };
  static constexpr collection collections[] = {
      {"webhook-endpoints", route_kind::endpoints, route_kind::endpoint},
      {"webhook-deliveries", route_kind::deliveries, route_kind::delivery},
      {"webhook-delivery-attempts", route_kind::attempts, route_kind::attempt},
      {"events", route_kind::events, route_kind::event},
  };
  for (const auto& c : collections) {
    if (parts[0] != c.name) continue;
    if (parts.size() == 1) return route{c.list, {}};
    if (parts.size() > 3 || parts[1].empty()) return std::nullopt;
    auto id = percent_decode(parts[1]);
    if (!id || id->empty()) return std::nullopt;
    if (parts.size() == 2) return route{c.item, std::move(*id)};
    if (c.list == route_kind::endpoints && parts[2] == "rotate-secret")
      return route{route_kind::rotate_secret, std::move(*id)};
    return std::nullopt;
  }
  return std::nullopt;
}

/// The methods a route serves (the `Allow` header of a 405).
inline std::vector<std::string_view> allowed_methods(route_kind kind, bool accept_events) {
  switch (kind) {
  case route_kind::endpoints: return {"GET", "HEAD", "POST"};
  case route_kind::endpoint: return {"GET", "HEAD", "PATCH", "DELETE"};
  case route_kind::rotate_secret: return {"POST"};
  case route_kind::deliveries: return {"GET", "HEAD", "POST"};
  case route_kind::events:
    if (accept_events) return {"GET", "HEAD", "POST"};
    return {"GET", "HEAD"};
  default: return {"GET", "HEAD"};
  }
}

/// The scopes of which a token needs one for `method` on `kind` (SPEC.md Part 2 §9).
inline std::vector<std::string_view> required_scopes(route_kind kind, std::string_view method) {
  std::string_view read = scopes::events_read;
  std::string_view write = scopes::events_write;
  if (kind == route_kind::endpoints || kind == route_kind::endpoint ||
      kind == route_kind::rotate_secret) {
    read = scopes::endpoints_read;
    write = scopes::endpoints_write;
  } else if (kind != route_kind::events && kind != route_kind::event) {
    read = scopes::deliveries_read;
    write = scopes::deliveries_write;
  }
  if (method == "GET") return {read, write};
  return {write};
}

/// The query parameters a route accepts; any other is a 400 naming it.
inline std::vector<std::string_view> known_parameters(route_kind kind, std::string_view method) {
  std::vector<std::string_view> known{"include"};
  auto filters = [&](std::initializer_list<std::string_view> names) {
    known.insert(known.end(), {"limit", "page"});
    for (const auto n : names) known.push_back(n);
  };
  switch (kind) {
  case route_kind::endpoints:
    if (method == "GET") filters({"status", "-status"});
    break;
  case route_kind::deliveries:
    if (method == "GET")
      filters({"webhookEndpoint.id", "-webhookEndpoint.id", "event.id", "-event.id", "status",
               "-status"});
    else known.insert(known.end(), {"webhookEndpoint.id", "event.id"});
    break;
  case route_kind::attempts:
    filters({"webhookDelivery.id", "-webhookDelivery.id", "isSuccessful", "-isSuccessful"});
    break;
  case route_kind::events:
    if (method == "GET") filters({"topic", "-topic"});
    break;
  default: break;
  }
  return known;
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_ROUTE_HPP
