// SPDX-License-Identifier: MIT
// webhook_endpoint: a receiver declared by a client, and its JSON representation.
#ifndef WEBHOOKD_MODEL_ENDPOINT_HPP
#define WEBHOOKD_MODEL_ENDPOINT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/api_version.hpp>
#include <webhookd/model/detail/json.hpp>
#include <webhookd/model/embedded.hpp>
#include <webhookd/model/links.hpp>
#include <webhookd/model/reference.hpp>
#include <webhookd/model/tristate.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd::model {

/// Whether an endpoint receives events (SPEC.md Part 1 §10, Part 2 §2.2).
enum class endpoint_status {
  active,    ///< `"active"`: deliveries are attempted
  suspended, ///< `"suspended"`: set by the engine; deliveries are kept, not attempted
  inactive,  ///< `"inactive"`: no deliveries are created
};

/// The body an endpoint receives (SPEC.md Part 1 §3).
enum class endpoint_content_type {
  default_,     ///< `"default"`: the event object, `application/json`
  cloud_events, ///< `"cloudEvents"`: CloudEvents 1.0 structured mode
};

/// `"active"`, `"suspended"` or `"inactive"`.
inline constexpr std::string_view to_string(endpoint_status s) noexcept {
  switch (s) {
  case endpoint_status::active: return "active";
  case endpoint_status::suspended: return "suspended";
  case endpoint_status::inactive: return "inactive";
  }
  return "inactive";
}

/// `"default"` or `"cloudEvents"`.
inline constexpr std::string_view to_string(endpoint_content_type c) noexcept {
  return c == endpoint_content_type::cloud_events ? "cloudEvents" : "default";
}

/// The status named `text`, or nullopt.
inline constexpr std::optional<endpoint_status> parse_endpoint_status(std::string_view text) noexcept {
  if (text == "active") return endpoint_status::active;
  if (text == "suspended") return endpoint_status::suspended;
  if (text == "inactive") return endpoint_status::inactive;
  return std::nullopt;
}

/// The content type named `text` (`default`, `cloudEvents`), or nullopt.
inline constexpr std::optional<endpoint_content_type> parse_endpoint_content_type(
    std::string_view text) noexcept {
  if (text == "default") return endpoint_content_type::default_;
  if (text == "cloudEvents") return endpoint_content_type::cloud_events;
  return std::nullopt;
}

inline void to_json(nlohmann::json& j, endpoint_status s) { j = std::string(to_string(s)); }
inline void to_json(nlohmann::json& j, endpoint_content_type c) { j = std::string(to_string(c)); }

/// @throws nlohmann::json::exception unless `j` is one of the status names.
inline void from_json(const nlohmann::json& j, endpoint_status& s) {
  if (!j.is_string()) detail::throw_type(j, "status", "must be a string");
  const auto v = parse_endpoint_status(j.get_ref<const std::string&>());
  if (!v) detail::throw_invalid(j, "status", "must be one of active, suspended, inactive");
  s = *v;
}

/// @throws nlohmann::json::exception unless `j` is `"default"` or `"cloudEvents"`.
inline void from_json(const nlohmann::json& j, endpoint_content_type& c) {
  if (!j.is_string()) detail::throw_type(j, "contentType", "must be a string");
  const auto v = parse_endpoint_content_type(j.get_ref<const std::string&>());
  if (!v) detail::throw_invalid(j, "contentType", "must be one of default, cloudEvents");
  c = *v;
}

/** A webhook-endpoint: where, what and how a client wants to receive events
    (SPEC.md Part 2 §2.1; seed 002).

    The value holds the `secret` because the engine signs with it and the store keeps
    it, but `to_json` never writes it: the secret is shown once, in the 201 answer to
    its creation, which `to_json_with_secret` produces (SPEC.md Part 1 §9).

    JSON: `id`, `type`, `url`, `name` (only when set), `apiVersion`, `webhookUrl`,
    `topics`, `businessEstablishments` (only when restricted; `null` or absent on input
    both mean "all establishments"), `status`, `contentType`, `createdAt`,
    `lastUpdatedAt`, `links` and `embedded` (only when present).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct webhook_endpoint {
  /// The resource's `type`.
  static constexpr std::string_view type_name = "webhook-endpoint";
  /// The `type` of a collection of endpoints.
  static constexpr std::string_view collection_type_name = "webhook-endpoints";
  /// What `embedded` holds: endpoints embed nothing of their own.
  using embedded_type = basic_embedded;

  std::string id;                  ///< read-only
  std::string url;                 ///< absolute URL of this resource, read-only
  std::optional<std::string> name; ///< optional label
  date api_version = latest_api_version; ///< pins the schema of the events' `data`
  std::string webhook_url;         ///< where events are POSTed
  std::vector<std::string> topics; ///< topics and patterns subscribed to
  /// The establishments whose events are sent; nullopt means all, future ones included.
  std::optional<std::vector<reference>> business_establishments;
  endpoint_status status = endpoint_status::inactive;
  endpoint_content_type content_type = endpoint_content_type::default_;
  std::string secret;              ///< signing key; never written by `to_json`
  timestamp created_at{};          ///< read-only
  timestamp last_updated_at{};     ///< read-only
  tristate<link_map> links;        ///< absent unless asked for
  std::optional<embedded_type> embedded; ///< absent unless asked for

  friend bool operator==(const webhook_endpoint&, const webhook_endpoint&) = default;
};

/** Writes the representation served by GET: never the `secret`. */
inline void to_json(nlohmann::json& j, const webhook_endpoint& e) {
  j = nlohmann::json::object();
  j["id"] = e.id;
  j["type"] = std::string(webhook_endpoint::type_name);
  j["url"] = e.url;
  if (e.name) j["name"] = *e.name;
  j["apiVersion"] = format_date(e.api_version);
  j["webhookUrl"] = e.webhook_url;
  j["topics"] = e.topics;
  if (e.business_establishments) {
    auto& list = j["businessEstablishments"] = nlohmann::json::array();
    for (const auto& r : *e.business_establishments)
      list.push_back(detail::typed_reference_json(r, business_establishment_type));
  }
  j["status"] = e.status;
  j["contentType"] = e.content_type;
  detail::put_timestamp(j, "createdAt", e.created_at);
  detail::put_timestamp(j, "lastUpdatedAt", e.last_updated_at);
  detail::put_tristate(j, "links", e.links);
  if (e.embedded) j["embedded"] = *e.embedded;
}

/** The representation with the `secret`: the body of the 201 that answers the
    endpoint's creation (and of a secret rotation), and nothing else.

    @par Example
    @code
    response.body = to_json_with_secret(created).dump();
    @endcode
*/
inline nlohmann::json to_json_with_secret(const webhook_endpoint& e) {
  nlohmann::json j = e;
  j["secret"] = e.secret;
  return j;
}

/** Reads a full representation (a store record, an API response).

    Required: `id`, `type` (`"webhook-endpoint"`), `url`, `apiVersion`, `webhookUrl`,
    `topics`, `status`, `createdAt`, `lastUpdatedAt`. Optional: `name`,
    `businessEstablishments` (absent or null: all), `contentType` (absent: `default`;
    the NEW Lucca docs dropped it), `secret` (present only in a 201), `links`,
    `embedded`. Request bodies are read with `parse_endpoint_create` instead, which
    validates and names every broken rule.

    @throws nlohmann::json::exception on a missing member or a malformed one.
*/
inline void from_json(const nlohmann::json& j, webhook_endpoint& e) {
  detail::expect_resource(j, webhook_endpoint::type_name);
  e.id = detail::get_string(j, "id");
  e.url = detail::get_string(j, "url");
  e.name = detail::get_optional_string(j, "name");
  e.api_version = detail::get_date(j, "apiVersion");
  e.webhook_url = detail::get_string(j, "webhookUrl");
  const auto& topics = j.at("topics");
  if (!topics.is_array()) detail::throw_type(topics, "topics", "must be an array of strings");
  e.topics.clear();
  for (const auto& t : topics) {
    if (!t.is_string()) detail::throw_type(t, "topics", "must be an array of strings");
    e.topics.push_back(t.get<std::string>());
  }
  e.business_establishments.reset();
  if (const auto* list = detail::find(j, "businessEstablishments"); list && !list->is_null()) {
    if (!list->is_array())
      detail::throw_type(*list, "businessEstablishments", "must be an array or null");
    e.business_establishments.emplace();
    for (const auto& r : *list)
      e.business_establishments->push_back(
          detail::get_typed_reference(r, business_establishment_type));
  }
  e.status = j.at("status").get<endpoint_status>();
  const auto* ct = detail::find(j, "contentType");
  e.content_type = ct ? ct->get<endpoint_content_type>() : endpoint_content_type::default_;
  e.secret = detail::get_optional_string(j, "secret").value_or(std::string{});
  e.created_at = detail::get_timestamp(j, "createdAt");
  e.last_updated_at = detail::get_timestamp(j, "lastUpdatedAt");
  e.links = detail::get_tristate<link_map>(j, "links");
  e.embedded.reset();
  if (const auto* em = detail::find(j, "embedded")) e.embedded = em->get<basic_embedded>();
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_ENDPOINT_HPP
