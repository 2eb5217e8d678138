// SPDX-License-Identifier: MIT
// The CloudEvents 1.0 structured-mode request body (application/cloudevents+json).
#ifndef WEBHOOKD_ENCODING_CLOUDEVENTS_HPP
#define WEBHOOKD_ENCODING_CLOUDEVENTS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/encoding/counters.hpp>
#include <webhookd/encoding/default_body.hpp>
#include <webhookd/model/event.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <string_view>

namespace webhookd::encoding {

/// The `Content-Type` of a CloudEvents structured-mode body.
inline constexpr std::string_view cloudevents_media_type = "application/cloudevents+json";
/// The CloudEvents `specversion` webhookd writes. (The Lucca OAS says `"1.0.3"`, which is
/// not a CloudEvents version: SPEC.md Part 2 §6.)
inline constexpr std::string_view cloudevents_spec_version = "1.0";
/// The default prefix of the CloudEvents `type`: `com.luccasoftware.employee.created`.
inline constexpr std::string_view default_cloudevents_type_prefix = "com.luccasoftware.";

/** How CloudEvents bodies are written.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct cloudevents_options {
  /// Prepended to the topic to make the CloudEvents `type`.
  std::string type_prefix{default_cloudevents_type_prefix};
};

/** The CloudEvents 1.0 structured-mode envelope of `e` (SPEC.md Part 1 §3):

    | attribute         | value                                         |
    |-------------------|-----------------------------------------------|
    | `specversion`     | `"1.0"`                                       |
    | `id`              | the event id (stable across retries: the dedupe key) |
    | `source`          | the event's `source`                          |
    | `type`            | `options.type_prefix` + topic                 |
    | `time`            | `occurredAt`, RFC 3339 with milliseconds, UTC |
    | `datacontenttype` | `"application/json"`                          |
    | `data`            | `default_body_json(e)`, the default event object |

    The Lucca extension attributes of the OAS `cloudevent` schema
    (`comluccasoftwaredeliveriescount`, `…firstdeliverytime`, `…webhookendpointurl`, …)
    are left out: they differ per delivery and per attempt, while this body is encoded
    once per event and shared by every delivery (DESIGN.md), and it is signed, so it
    cannot change between attempts.

    Preconditions: `e` passed `validate_event` (non-empty id, topic and source).

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) events.
*/
inline nlohmann::json cloudevent_json(const model::event& e, const cloudevents_options& options = {}) {
  nlohmann::json j = nlohmann::json::object();
  j["specversion"] = std::string(cloudevents_spec_version);
  j["id"] = e.id;
  j["source"] = e.source;
  j["type"] = options.type_prefix + e.topic;
  j["time"] = format_rfc3339(e.occurred_at);
  j["datacontenttype"] = std::string(json_media_type);
  j["data"] = default_body_json(e);
  return j;
}

/** The CloudEvents request body of `e`: `cloudevent_json(e, options)` as compact JSON.
    Adds one to `bodies_encoded`.

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) events.
*/
inline std::string encode_cloudevent(const model::event& e, const cloudevents_options& options = {}) {
  std::string body = dump_compact(cloudevent_json(e, options));
  bodies_encoded.fetch_add(1, std::memory_order_relaxed);
  return body;
}

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_CLOUDEVENTS_HPP
