// SPDX-License-Identifier: MIT
// webhook_delivery_attempt: one POST of a delivery to its endpoint, and its JSON form.
#ifndef WEBHOOKD_MODEL_ATTEMPT_HPP
#define WEBHOOKD_MODEL_ATTEMPT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/detail/json.hpp>
#include <webhookd/model/embedded.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/links.hpp>
#include <webhookd/model/reference.hpp>
#include <webhookd/model/tristate.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace webhookd::model {

/** The `embedded` member of an attempt: its delivery (`"webhook-delivery"`), the
    delivery's event (`"event"`), optionally the endpoint (`"webhook-endpoint"`), and
    any other kind as JSON (seed 000).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct webhook_delivery_attempt_embedded {
  embedded_map<webhook_delivery> webhook_deliveries; ///< `"webhook-delivery"`
  embedded_map<event> events;                        ///< `"event"`
  embedded_map<webhook_endpoint> webhook_endpoints;  ///< `"webhook-endpoint"`
  embedded_other other;                              ///< every other kind

  friend bool operator==(const webhook_delivery_attempt_embedded&,
                         const webhook_delivery_attempt_embedded&) = default;
};

/// Writes the dictionary (`{}` when empty).
inline void to_json(nlohmann::json& j, const webhook_delivery_attempt_embedded& e) {
  j = nlohmann::json::object();
  detail::put_embedded(j, webhook_delivery::type_name, e.webhook_deliveries);
  detail::put_embedded(j, event::type_name, e.events);
  detail::put_embedded(j, webhook_endpoint::type_name, e.webhook_endpoints);
  detail::put_other(j, e.other);
}

/// Reads the dictionary; known kinds into their model types.
/// @throws nlohmann::json::exception on a malformed dictionary or resource.
inline void from_json(const nlohmann::json& j, webhook_delivery_attempt_embedded& e) {
  detail::expect_object(j, "embedded");
  e = {};
  for (const auto& [kind, dict] : j.items()) {
    if (kind == webhook_delivery::type_name) {
      detail::get_embedded(dict, kind, e.webhook_deliveries);
    } else if (kind == event::type_name) {
      detail::get_embedded(dict, kind, e.events);
    } else if (kind == webhook_endpoint::type_name) {
      detail::get_embedded(dict, kind, e.webhook_endpoints);
    } else {
      detail::get_other(dict, kind, e.other);
    }
  }
}

/** A webhook-delivery-attempt: one POST of a delivery's event to the endpoint
    (SPEC.md Part 1 §7, Part 2 §5; seed 000).

    JSON: `id`, `type`, `url`, `signature` (the `Lucca-Signature` sent),
    `webhookDelivery` (type `"webhook-delivery"`), `isSuccessful`,
    `responseStatusCode` (`null` when no HTTP answer came: timeout, refused
    connection, TLS failure — a documented extension, SPEC.md Part 1 §7),
    `errorResponseBody` (the capped body of a non-2xx answer, or a short reason when
    there was no answer; `""` on success), `createdAt`, `links` and `embedded` (only
    when present).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct webhook_delivery_attempt {
  /// The resource's `type`.
  static constexpr std::string_view type_name = "webhook-delivery-attempt";
  /// The `type` of a collection of attempts.
  static constexpr std::string_view collection_type_name = "webhook-delivery-attempts";
  /// What `embedded` holds.
  using embedded_type = webhook_delivery_attempt_embedded;

  std::string id;        ///< read-only
  std::string url;       ///< absolute URL of this resource, read-only
  std::string signature; ///< the signature header value sent with this attempt
  reference webhook_delivery; ///< the delivery (type `"webhook-delivery"`)
  bool is_successful = false;
  std::optional<int> response_status_code; ///< nullopt (written `null`): no HTTP answer
  std::string error_response_body;
  timestamp created_at{};                  ///< when the attempt was made
  tristate<link_map> links;                ///< absent unless asked for
  std::optional<embedded_type> embedded;   ///< absent unless asked for

  friend bool operator==(const webhook_delivery_attempt&,
                         const webhook_delivery_attempt&) = default;
};

/// Writes the representation served by the API.
inline void to_json(nlohmann::json& j, const webhook_delivery_attempt& a) {
  j = nlohmann::json::object();
  j["id"] = a.id;
  j["type"] = std::string(webhook_delivery_attempt::type_name);
  j["url"] = a.url;
  j["signature"] = a.signature;
  j["webhookDelivery"] =
      detail::typed_reference_json(a.webhook_delivery, webhook_delivery::type_name);
  j["isSuccessful"] = a.is_successful;
  if (a.response_status_code) {
    j["responseStatusCode"] = *a.response_status_code;
  } else {
    j["responseStatusCode"] = nullptr;
  }
  j["errorResponseBody"] = a.error_response_body;
  detail::put_timestamp(j, "createdAt", a.created_at);
  detail::put_tristate(j, "links", a.links);
  if (a.embedded) j["embedded"] = *a.embedded;
}

/** Reads a full representation.

    Required: `id`, `type` (`"webhook-delivery-attempt"`), `url`, `signature`,
    `webhookDelivery`, `isSuccessful`, `errorResponseBody`, `createdAt`. Optional:
    `responseStatusCode` (absent or null: no HTTP answer), `links`, `embedded`.

    @throws nlohmann::json::exception on a missing member or a malformed one.
*/
inline void from_json(const nlohmann::json& j, webhook_delivery_attempt& a) {
  detail::expect_resource(j, webhook_delivery_attempt::type_name);
  a.id = detail::get_string(j, "id");
  a.url = detail::get_string(j, "url");
  a.signature = detail::get_string(j, "signature");
  a.webhook_delivery =
      detail::get_typed_reference(j.at("webhookDelivery"), webhook_delivery::type_name);
  a.is_successful = detail::get_bool(j, "isSuccessful");
  a.response_status_code.reset();
  if (const auto* code = detail::find(j, "responseStatusCode"); code && !code->is_null())
    a.response_status_code = detail::get_int(j, "responseStatusCode");
  a.error_response_body = detail::get_string(j, "errorResponseBody");
  a.created_at = detail::get_timestamp(j, "createdAt");
  a.links = detail::get_tristate<link_map>(j, "links");
  a.embedded.reset();
  if (const auto* em = detail::find(j, "embedded"))
    a.embedded = em->get<webhook_delivery_attempt_embedded>();
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_ATTEMPT_HPP
