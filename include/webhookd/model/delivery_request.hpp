// SPDX-License-Identifier: MIT
// Delivery request bodies: validation of POST /webhook-deliveries (test event or re-send).
#ifndef WEBHOOKD_MODEL_DELIVERY_REQUEST_HPP
#define WEBHOOKD_MODEL_DELIVERY_REQUEST_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/model/validation.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace webhookd::model {

/** A validated `POST /webhook-deliveries` body (SPEC.md Part 1 §13).

    Without `event_id`: send a test event (topic `ping`) to the endpoint now, whatever
    its status. With it: re-send that stored event as a new delivery (a manual retry;
    same event id, so receivers dedupe).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct delivery_create {
  std::string webhook_endpoint_id;     ///< `webhookEndpoint.id`
  std::optional<std::string> event_id; ///< `event.id`, or nullopt for a test event

  /// True for a test delivery (no event given).
  bool is_test() const noexcept { return !event_id.has_value(); }

  friend bool operator==(const delivery_create&, const delivery_create&) = default;
};

namespace detail {

// Members of a delivery representation that a client may echo back but cannot set.
inline bool is_read_only_delivery_field(std::string_view key) noexcept {
  return key == "id" || key == "type" || key == "url" || key == "nextAttemptAt" ||
         key == "attemptsCount" || key == "status" || key == "links" || key == "embedded";
}

} // namespace detail

/** Validates the body of `POST /webhook-deliveries`.

    Rules, all reported at once as `field: rule`:
    - the body is a JSON object;
    - `webhookEndpoint` is required: an object whose `id` is a non-empty string
      (`webhookEndpoint.id: is required`); its `type` and `url` are ignored, any other
      member is `webhookEndpoint.<name>: unknown field`;
    - `event` is optional, `null` meaning absent; the same rules as `webhookEndpoint`;
    - the read-only members of a delivery (`id`, `type`, `url`, `nextAttemptAt`,
      `attemptsCount`, `status`, `links`, `embedded`) are ignored; any other member is
      `unknown field`.

    Whether the endpoint and event exist is the caller's question (404). The query
    form `?webhookEndpoint.id=` is the REST layer's alias for the same request. Never
    throws a JSON exception.
*/
inline result<delivery_create, validation_errors> parse_delivery_create(const nlohmann::json& body) {
  validation_errors errors;
  if (!body.is_object()) {
    errors.add(std::string(body_field), "must be a JSON object");
    return unexpected(std::move(errors));
  }
  delivery_create c;
  bool has_endpoint = false;
  for (const auto& [key, v] : body.items()) {
    if (key == "webhookEndpoint") {
      has_endpoint = true;
      if (auto r = detail::parse_reference_input(v, key, errors)) c.webhook_endpoint_id = r->id;
    } else if (key == "event") {
      if (v.is_null()) continue;
      if (auto r = detail::parse_reference_input(v, key, errors)) c.event_id = r->id;
    } else if (!detail::is_read_only_delivery_field(key)) {
      errors.add(key, "unknown field");
    }
  }
  if (!has_endpoint) errors.add("webhookEndpoint", "is required");
  if (!errors.empty()) return unexpected(std::move(errors));
  return c;
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_DELIVERY_REQUEST_HPP
