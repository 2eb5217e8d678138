// SPDX-License-Identifier: MIT
// event: one change in the host's data, as delivered to endpoints and served by the API.
#ifndef WEBHOOKD_MODEL_EVENT_HPP
#define WEBHOOKD_MODEL_EVENT_HPP

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

namespace webhookd::model {

/** An event: `topic` happened to a resource at `occurredAt` in the tenant `source`;
    `data` is that resource right after the change (SPEC.md Part 2 §3.1; seed 000).

    JSON: `id`, `type` (`"event"`), `url`, `apiVersion`, `topic`, `occurredAt`,
    `source`, `businessEstablishment` (a reference, or `null` when the resource has
    none), `data`, `previousAttributes` (only when set), `links` and `embedded` (only
    when present). `data` and `previousAttributes` are kept as JSON, untouched.

    Events a host publishes are checked with `validate_event` (event_validation.hpp).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct event {
  /// The resource's `type`.
  static constexpr std::string_view type_name = "event";
  /// The `type` of a collection of events.
  static constexpr std::string_view collection_type_name = "events";
  /// What `embedded` holds: events embed nothing of their own.
  using embedded_type = basic_embedded;

  std::string id;  ///< with `source`, globally unique; receivers dedupe on it
  std::string url; ///< absolute URL of this resource, read-only
  date api_version = latest_api_version; ///< the version of `data`'s schema
  std::string topic;       ///< `resource.action`, e.g. `employee.updated`
  timestamp occurred_at{}; ///< when the change happened
  std::string source;      ///< the tenant's base URL, e.g. `https://example.ilucca.net`
  std::optional<reference> business_establishment; ///< nullopt is written `null`
  nlohmann::json data = nlohmann::json::object();  ///< the changed resource
  std::optional<nlohmann::json> previous_attributes; ///< changed attribute → old value
  tristate<link_map> links;                          ///< absent unless asked for
  std::optional<embedded_type> embedded;             ///< absent unless asked for

  friend bool operator==(const event&, const event&) = default;
};

/// Writes the representation served by the API.
inline void to_json(nlohmann::json& j, const event& e) {
  j = nlohmann::json::object();
  j["id"] = e.id;
  j["type"] = std::string(event::type_name);
  j["url"] = e.url;
  j["apiVersion"] = format_date(e.api_version);
  j["topic"] = e.topic;
  detail::put_timestamp(j, "occurredAt", e.occurred_at);
  j["source"] = e.source;
  if (e.business_establishment) {
    j["businessEstablishment"] =
        detail::typed_reference_json(*e.business_establishment, business_establishment_type);
  } else {
    j["businessEstablishment"] = nullptr;
  }
  j["data"] = e.data;
  if (e.previous_attributes) j["previousAttributes"] = *e.previous_attributes;
  detail::put_tristate(j, "links", e.links);
  if (e.embedded) j["embedded"] = *e.embedded;
}

/** Reads a full representation.

    Required: `id`, `type` (`"event"`), `url`, `apiVersion`, `topic`, `occurredAt`,
    `source`, `data` (an object). Optional: `businessEstablishment` (absent or null:
    none), `previousAttributes`, `links`, `embedded`.

    @throws nlohmann::json::exception on a missing member or a malformed one.
*/
inline void from_json(const nlohmann::json& j, event& e) {
  detail::expect_resource(j, event::type_name);
  e.id = detail::get_string(j, "id");
  e.url = detail::get_string(j, "url");
  e.api_version = detail::get_date(j, "apiVersion");
  e.topic = detail::get_string(j, "topic");
  e.occurred_at = detail::get_timestamp(j, "occurredAt");
  e.source = detail::get_string(j, "source");
  e.business_establishment.reset();
  if (const auto* be = detail::find(j, "businessEstablishment"); be && !be->is_null())
    e.business_establishment = detail::get_typed_reference(*be, business_establishment_type);
  const auto& data = j.at("data");
  detail::expect_object(data, "data");
  e.data = data;
  e.previous_attributes.reset();
  if (const auto* pa = detail::find(j, "previousAttributes"); pa && !pa->is_null()) {
    detail::expect_object(*pa, "previousAttributes");
    e.previous_attributes = *pa;
  }
  e.links = detail::get_tristate<link_map>(j, "links");
  e.embedded.reset();
  if (const auto* em = detail::find(j, "embedded")) e.embedded = em->get<basic_embedded>();
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_EVENT_HPP
