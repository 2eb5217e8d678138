// SPDX-License-Identifier: MIT
// Validation of the events a host publishes, as model values or as JSON.
#ifndef WEBHOOKD_MODEL_EVENT_VALIDATION_HPP
#define WEBHOOKD_MODEL_EVENT_VALIDATION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/api_version.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/topic.hpp>
#include <webhookd/model/validation.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace webhookd::model {

/// Longest event id accepted, in bytes.
inline constexpr std::size_t max_event_id_length = 255;
/// Longest event source accepted, in bytes.
inline constexpr std::size_t max_event_source_length = 2048;

namespace detail {

// RFC 3986 absolute URI, loosely: scheme ":" then at least one character, ASCII
// without spaces or control characters. Enough to refuse a bare host name or a
// relative path, which is what a mistaken `source` looks like.
inline constexpr bool is_absolute_uri(std::string_view s) noexcept {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = s[i];
    if (!(alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
  }
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
  }
  return true;
}

// Ids end up in URLs (`/events/{id}`) and in CloudEvents `id`: the URL-safe
// "unreserved" characters of RFC 3986 cover ULIDs, UUIDs and numeric ids.
inline constexpr bool is_valid_event_id(std::string_view id) noexcept {
  if (id.size() > max_event_id_length) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

inline bool in_year_range(timestamp t) noexcept {
  using namespace std::chrono;
  const auto y = year_month_day{floor<days>(t)}.year();
  return y >= year{0} && y <= year{9999};
}

} // namespace detail

/** Checks an event a host is about to publish; reports every broken rule at once.

    Rules (SPEC.md Part 2 §3; where it is silent, chosen here):
    - `id`: may be empty, and the engine then assigns one; otherwise at most 255
      characters of `A-Z a-z 0-9 - . _ ~` (it goes into URLs and CloudEvents `id`);
    - `topic`: required, a concrete topic, `resource.action` or `ping`/`confirmation`;
      a wildcard (`employee.*`, `*`) is a subscription pattern, not an event's topic;
    - `occurredAt`: required (the Unix epoch, a default-constructed timestamp, counts
      as missing), in the years 0000-9999;
    - `source`: required, an absolute URI of at most 2048 bytes (the tenant's base URL,
      e.g. `https://example.ilucca.net`; CloudEvents `source`);
    - `apiVersion`: a date in the years 0000-9999; no lower bound, as an event keeps the
      version of its `data` (the seed's event is `2024-01-01`);
    - `data`: a JSON object; `previousAttributes`, when set, a JSON object;
    - `businessEstablishment`, when set, has an id.
    `url`, `links` and `embedded` are the engine's and REST layer's business and are not
    checked.

    @returns nothing, or the errors (`topic: must be a concrete topic (no wildcards)`).

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) events.
*/
inline result<void, validation_errors> validate_event(const event& e) {
  validation_errors errors;
  if (e.id.size() > max_event_id_length) {
    errors.add("id", "must be at most " + std::to_string(max_event_id_length) + " characters");
  } else if (!detail::is_valid_event_id(e.id)) {
    errors.add("id", "must contain only letters, digits, '-', '.', '_' and '~'");
  }

  if (e.topic.empty()) {
    errors.add("topic", "is required");
  } else if (is_wildcard_topic(e.topic)) {
    errors.add("topic", "must be a concrete topic (no wildcards)");
  } else if (e.topic.size() > max_topic_length) {
    errors.add("topic", "must be at most " + std::to_string(max_topic_length) + " characters");
  } else if (!is_concrete_topic(e.topic)) {
    errors.add("topic", "must match resource.action");
  }

  if (e.occurred_at == timestamp{}) {
    errors.add("occurredAt", "is required");
  } else if (!detail::in_year_range(e.occurred_at)) {
    errors.add("occurredAt", "must be within the years 0000-9999");
  }

  if (e.source.empty()) {
    errors.add("source", "is required");
  } else if (e.source.size() > max_event_source_length) {
    errors.add("source",
               "must be at most " + std::to_string(max_event_source_length) + " characters");
  } else if (!detail::is_absolute_uri(e.source)) {
    errors.add("source", "must be an absolute URI");
  }

  if (!detail::in_year_range(timestamp{e.api_version}))
    errors.add("apiVersion", "must be a YYYY-MM-DD date");

  if (!e.data.is_object()) errors.add("data", "must be an object");
  if (e.previous_attributes && !e.previous_attributes->is_object())
    errors.add("previousAttributes", "must be an object");

  if (e.business_establishment && e.business_establishment->id.empty())
    errors.add("businessEstablishment.id", "is required");

  if (!errors.empty()) return unexpected(std::move(errors));
  return {};
}

/** Reads and validates an event given as JSON by a host (e.g. received on its own
    API before being published).

    Members: `topic`, `occurredAt` (an RFC 3339 date-time, any offset, converted to
    UTC), `source` and `data` are required; `id`, `apiVersion` (`YYYY-MM-DD`, default
    `2024-11-01`), `businessEstablishment` (`{"id"}` or null) and `previousAttributes`
    (an object or null) are optional; `type`, `url`, `links` and `embedded` are ignored;
    anything else is `unknown field`. Then every rule of `validate_event` applies.
    All errors are reported together. Never throws a JSON exception.
*/
inline result<event, validation_errors> parse_event(const nlohmann::json& body) {
  validation_errors errors;
  if (!body.is_object()) {
    errors.add(std::string(body_field), "must be a JSON object");
    return unexpected(std::move(errors));
  }
  event e;
  e.data = nullptr; // "missing" until read, so validate_event does not double-report
  const auto string_member = [&](const std::string& key, const nlohmann::json& v,
                                 std::string& out) {
    if (v.is_string()) {
      out = v.get<std::string>();
    } else {
      errors.add(key, "must be a string");
    }
  };
  // What a member of the wrong JSON type parses to.
  const result<date> date_error = unexpected(make_error_code(errc::invalid_timestamp));
  const result<timestamp> time_error = unexpected(make_error_code(errc::invalid_timestamp));
  for (const auto& [key, v] : body.items()) {
    if (key == "id") {
      string_member(key, v, e.id);
    } else if (key == "topic") {
      string_member(key, v, e.topic);
    } else if (key == "source") {
      string_member(key, v, e.source);
    } else if (key == "apiVersion") {
      const auto d = v.is_string() ? parse_date(v.get_ref<const std::string&>()) : date_error;
      if (d) {
        e.api_version = *d;
      } else {
        errors.add(key, "must be a YYYY-MM-DD date");
      }
    } else if (key == "occurredAt") {
      const auto t = v.is_string() ? parse_rfc3339(v.get_ref<const std::string&>()) : time_error;
      if (t) {
        e.occurred_at = *t;
      } else {
        errors.add(key, "must be an RFC 3339 date-time");
      }
    } else if (key == "data") {
      if (v.is_object()) {
        e.data = v;
      } else {
        errors.add(key, "must be an object");
      }
    } else if (key == "previousAttributes") {
      if (v.is_object()) {
        e.previous_attributes = v;
      } else if (!v.is_null()) {
        errors.add(key, "must be an object or null");
      }
    } else if (key == "businessEstablishment") {
      if (!v.is_null()) {
        if (auto r = detail::parse_reference_input(v, key, errors)) {
          r->type = std::string(business_establishment_type);
          e.business_establishment = std::move(*r);
        }
      }
    } else if (key != "type" && key != "url" && key != "links" && key != "embedded") {
      errors.add(key, "unknown field");
    }
  }
  for (const char* required : {"topic", "occurredAt", "source", "data"})
    if (!body.contains(required)) errors.add(required, "is required");

  // The model-level rules, for the members that were read without error.
  if (auto checked = validate_event(e); !checked) {
    for (const auto& err : checked.error())
      if (!errors.touches(err.field) && body.contains(err.field.substr(0, err.field.find('.'))))
        errors.add(err.field, err.rule);
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return e;
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_EVENT_VALIDATION_HPP
