// SPDX-License-Identifier: MIT
// webhook_delivery: the job of sending one event to one endpoint, and its JSON form.
#ifndef WEBHOOKD_MODEL_DELIVERY_HPP
#define WEBHOOKD_MODEL_DELIVERY_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
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

/// Where a delivery stands (SPEC.md Part 1 §12, Part 2 §4.2).
enum class delivery_status {
  delivered,   ///< `"delivered"`: an attempt got a 2xx answer
  undelivered, ///< `"undelivered"`: not delivered yet; an attempt is planned or held
  failed,      ///< `"failed"`: no further attempt will be made
};

/// `"delivered"`, `"undelivered"` or `"failed"`.
inline constexpr std::string_view to_string(delivery_status s) noexcept {
  switch (s) {
  case delivery_status::delivered: return "delivered";
  case delivery_status::undelivered: return "undelivered";
  case delivery_status::failed: return "failed";
  }
  return "failed";
}

/// The delivery status named `text`, or nullopt.
inline constexpr std::optional<delivery_status> parse_delivery_status(std::string_view text) noexcept {
  if (text == "delivered") return delivery_status::delivered;
  if (text == "undelivered") return delivery_status::undelivered;
  if (text == "failed") return delivery_status::failed;
  return std::nullopt;
}

inline void to_json(nlohmann::json& j, delivery_status s) { j = std::string(to_string(s)); }

/// @throws nlohmann::json::exception unless `j` is one of the status names.
inline void from_json(const nlohmann::json& j, delivery_status& s) {
  if (!j.is_string()) detail::throw_type(j, "status", "must be a string");
  const auto v = parse_delivery_status(j.get_ref<const std::string&>());
  if (!v) detail::throw_invalid(j, "status", "must be one of delivered, undelivered, failed");
  s = *v;
}

/** The `embedded` member of a delivery: its event (`"event"`), optionally its
    endpoint (`"webhook-endpoint"`), and any other kind as JSON.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct webhook_delivery_embedded {
  embedded_map<event> events;                       ///< `"event"`
  embedded_map<webhook_endpoint> webhook_endpoints; ///< `"webhook-endpoint"`
  embedded_other other;                             ///< every other kind

  friend bool operator==(const webhook_delivery_embedded&,
                         const webhook_delivery_embedded&) = default;
};

/// Writes the dictionary (`{}` when empty).
inline void to_json(nlohmann::json& j, const webhook_delivery_embedded& e) {
  j = nlohmann::json::object();
  detail::put_embedded(j, event::type_name, e.events);
  detail::put_embedded(j, webhook_endpoint::type_name, e.webhook_endpoints);
  detail::put_other(j, e.other);
}

/// Reads the dictionary; known kinds into their model types.
/// @throws nlohmann::json::exception on a malformed dictionary or resource.
inline void from_json(const nlohmann::json& j, webhook_delivery_embedded& e) {
  detail::expect_object(j, "embedded");
  e = {};
  for (const auto& [kind, dict] : j.items()) {
    if (kind == event::type_name) {
      detail::get_embedded(dict, kind, e.events);
    } else if (kind == webhook_endpoint::type_name) {
      detail::get_embedded(dict, kind, e.webhook_endpoints);
    } else {
      detail::get_other(dict, kind, e.other);
    }
  }
}

/** A webhook-delivery: the sending of one event to one endpoint, made of attempts
    (SPEC.md Part 1 §12, Part 2 §4.1; seeds 000 and 001).

    JSON: `id`, `type`, `url`, `nextAttemptAt` (`null` when no attempt is planned:
    delivered, failed, or held while the endpoint is suspended), `attemptsCount`,
    `status`, `event` (a reference whose type is always `"event"`), `webhookEndpoint`
    (type `"webhook-endpoint"`), `links` (e.g. `attempts`) and `embedded` (only when
    present).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct webhook_delivery {
  /// The resource's `type`.
  static constexpr std::string_view type_name = "webhook-delivery";
  /// The `type` of a collection of deliveries.
  static constexpr std::string_view collection_type_name = "webhook-deliveries";
  /// What `embedded` holds.
  using embedded_type = webhook_delivery_embedded;

  std::string id;  ///< read-only
  std::string url; ///< absolute URL of this resource, read-only
  std::optional<timestamp> next_attempt_at;  ///< nullopt is written `null`
  int attempts_count = 0;                    ///< attempts made so far
  delivery_status status = delivery_status::undelivered;
  reference event;            ///< the event sent (type `"event"`)
  reference webhook_endpoint; ///< the endpoint it is sent to
  tristate<link_map> links;   ///< absent unless asked for
  std::optional<embedded_type> embedded; ///< absent unless asked for

  friend bool operator==(const webhook_delivery&, const webhook_delivery&) = default;
};

/// Writes the representation served by the API.
inline void to_json(nlohmann::json& j, const webhook_delivery& d) {
  j = nlohmann::json::object();
  j["id"] = d.id;
  j["type"] = std::string(webhook_delivery::type_name);
  j["url"] = d.url;
  if (d.next_attempt_at) {
    detail::put_timestamp(j, "nextAttemptAt", *d.next_attempt_at);
  } else {
    j["nextAttemptAt"] = nullptr;
  }
  j["attemptsCount"] = d.attempts_count;
  j["status"] = d.status;
  j["event"] = detail::typed_reference_json(d.event, event::type_name);
  j["webhookEndpoint"] =
      detail::typed_reference_json(d.webhook_endpoint, webhook_endpoint::type_name);
  detail::put_tristate(j, "links", d.links);
  if (d.embedded) j["embedded"] = *d.embedded;
}

/** Reads a full representation.

    Required: `id`, `type` (`"webhook-delivery"`), `url`, `attemptsCount`, `status`,
    `event`, `webhookEndpoint`. Optional: `nextAttemptAt` (absent or null: none
    planned), `links`, `embedded`. The references' types are set to `"event"` and
    `"webhook-endpoint"` whatever the input said (the OAS types the event reference
    with a topic; SPEC.md Part 2 §4.1 follows the seeds).

    @throws nlohmann::json::exception on a missing member or a malformed one.
*/
inline void from_json(const nlohmann::json& j, webhook_delivery& d) {
  detail::expect_resource(j, webhook_delivery::type_name);
  d.id = detail::get_string(j, "id");
  d.url = detail::get_string(j, "url");
  d.next_attempt_at = detail::get_optional_timestamp(j, "nextAttemptAt");
  d.attempts_count = detail::get_int(j, "attemptsCount");
  if (d.attempts_count < 0) detail::throw_invalid(j, "attemptsCount", "must not be negative");
  d.status = j.at("status").get<delivery_status>();
  d.event = detail::get_typed_reference(j.at("event"), event::type_name);
  d.webhook_endpoint =
      detail::get_typed_reference(j.at("webhookEndpoint"), webhook_endpoint::type_name);
  d.links = detail::get_tristate<link_map>(j, "links");
  d.embedded.reset();
  if (const auto* em = detail::find(j, "embedded"))
    d.embedded = em->get<webhook_delivery_embedded>();
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_DELIVERY_HPP
