// SPDX-License-Identifier: MIT
// The default request body: the event object as compact JSON (application/json).
#ifndef WEBHOOKD_ENCODING_DEFAULT_BODY_HPP
#define WEBHOOKD_ENCODING_DEFAULT_BODY_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/encoding/compact_json.hpp>
#include <webhookd/encoding/counters.hpp>
#include <webhookd/model/event.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <string_view>

namespace webhookd::encoding {

/// The `Content-Type` of a default body: exactly `application/json`, no charset
/// (SPEC.md Part 1 §1; Lucca's n8n node compares it byte for byte).
inline constexpr std::string_view json_media_type = "application/json";

/** The event object a receiver gets (SPEC.md Part 1 §1, Part 2 §7.1): the event's
    representation (`id`, `type`, `url`, `apiVersion`, `topic`, `occurredAt`, `source`,
    `businessEstablishment`, `data`, `previousAttributes` when set) without `links` and
    `embedded`.

    `links` and `embedded` are left out on purpose: in the API they appear only when a
    request asks for them with `include` (SPEC.md Part 1 §15) and a receiver never asks;
    leaving them out also keeps the body free of navigation URLs, so one body serves
    every endpoint and stays the same for the event's whole life.

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) events.
*/
inline nlohmann::json default_body_json(const model::event& e) {
  nlohmann::json j = e;
  j.erase("links");
  j.erase("embedded");
  return j;
}

/// Serialises compact JSON (no whitespace). Invalid UTF-8 in strings of an event built
/// in code is replaced by U+FFFD rather than thrown about on the delivery path; events
/// parsed from JSON are valid UTF-8 already.
inline std::string dump_compact(const nlohmann::json& j) { return write_compact_json(j); }

/** The default request body of `e`: `default_body_json(e)` as compact JSON.

    Adds one to `bodies_encoded`. The delivery path calls it through `encoded_event`,
    once per event, whatever the number of endpoints.

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) events.
*/
inline std::string encode_default_body(const model::event& e) {
  // Written directly, without building `default_body_json(e)` first (which copies
  // `data`): byte for byte the same, members in that object's (sorted) key order.
  const std::string api_version = format_date(e.api_version);
  const std::string occurred_at = format_rfc3339(e.occurred_at);
  std::string out;
  out.reserve(160 + e.id.size() + e.url.size() + e.topic.size() + e.source.size() +
              detail::compact_size_hint(e.data) +
              (e.previous_attributes ? detail::compact_size_hint(*e.previous_attributes) : 0));
  out += "{\"apiVersion\":";
  detail::append_string(out, api_version);
  out += ",\"businessEstablishment\":";
  if (e.business_establishment) {
    detail::append_compact(out, model::detail::typed_reference_json(
                                    *e.business_establishment, model::business_establishment_type));
  } else {
    out += "null";
  }
  out += ",\"data\":";
  detail::append_compact(out, e.data);
  out += ",\"id\":";
  detail::append_string(out, e.id);
  out += ",\"occurredAt\":";
  detail::append_string(out, occurred_at);
  if (e.previous_attributes) {
    out += ",\"previousAttributes\":";
    detail::append_compact(out, *e.previous_attributes);
  }
  out += ",\"source\":";
  detail::append_string(out, e.source);
  out += ",\"topic\":";
  detail::append_string(out, e.topic);
  out += ",\"type\":\"event\",\"url\":";
  detail::append_string(out, e.url);
  out += '}';
  bodies_encoded.fetch_add(1, std::memory_order_relaxed);
  return out;
}

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_DEFAULT_BODY_HPP
