// SPDX-License-Identifier: MIT
// Endpoint request bodies: validation of POST (create) and PATCH (JSON merge patch).
#ifndef WEBHOOKD_MODEL_ENDPOINT_REQUEST_HPP
#define WEBHOOKD_MODEL_ENDPOINT_REQUEST_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/core/url.hpp>
#include <webhookd/model/api_version.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/reference.hpp>
#include <webhookd/model/topic.hpp>
#include <webhookd/model/tristate.hpp>
#include <webhookd/model/validation.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::model {

/** The host's policy for endpoint request bodies.

    The defaults are the contract of SPEC.md Part 1 §9; the limits where it is silent
    are sanity caps that keep one endpoint from costing unbounded memory or matching
    time.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct endpoint_validation_options {
  /// Accept plain `http://` webhook URLs (development only).
  bool allow_http = false;
  /// Accept the `x.*` and `*` wildcard topics (an extension of the Lucca API).
  bool allow_wildcards = true;
  /// Longest `webhookUrl`, in bytes.
  std::size_t max_url_length = 2048;
  /// Longest `name`, in characters (code points).
  std::size_t max_name_length = 255;
  /// Most `topics` in one endpoint.
  std::size_t max_topics = 100;
  /// Most `businessEstablishments` in one endpoint.
  std::size_t max_business_establishments = 1000;
};

/** A validated `POST /webhook-endpoints` body (SPEC.md Part 1 §9-10), defaults applied.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct endpoint_create {
  std::optional<std::string> name;
  date api_version = latest_api_version;  ///< resolved (a later date reads as 2024-11-01)
  std::string webhook_url;                ///< as sent; a valid absolute https:// URL
  std::vector<std::string> topics;        ///< non-empty, unique, valid patterns
  /// nullopt: all establishments (the member was absent or null).
  std::optional<std::vector<reference>> business_establishments;
  /// `active` (also when omitted: the activation challenge runs) or `inactive`.
  endpoint_status requested_status = endpoint_status::active;
  endpoint_content_type content_type = endpoint_content_type::default_;

  friend bool operator==(const endpoint_create&, const endpoint_create&) = default;
};

/** A validated `PATCH /webhook-endpoints/{id}` body: a JSON merge patch (RFC 7396).

    An absent member leaves the field unchanged. `null` is accepted only where it means
    something: `name` (remove the name) and `businessEstablishments` (all
    establishments); elsewhere it is an error, as those fields cannot be removed.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct endpoint_patch {
  tristate<std::string> name;                       ///< null: remove the name
  std::optional<date> api_version;                  ///< resolved
  std::optional<std::string> webhook_url;
  std::optional<std::vector<std::string>> topics;   ///< replaces the whole list
  tristate<std::vector<reference>> business_establishments; ///< null: all
  std::optional<endpoint_status> requested_status;  ///< `active` or `inactive` only
  std::optional<endpoint_content_type> content_type;

  /// True if the patch changes nothing.
  bool empty() const noexcept {
    return name.is_absent() && !api_version && !webhook_url && !topics &&
           business_establishments.is_absent() && !requested_status && !content_type;
  }

  friend bool operator==(const endpoint_patch&, const endpoint_patch&) = default;
};

namespace detail {

// Members of a representation that a request body may carry but that clients cannot
// set: ignored (SPEC.md Part 1 §9; the seed's own request example sends them).
inline bool is_read_only_endpoint_field(std::string_view key) noexcept {
  return key == "id" || key == "type" || key == "url" || key == "secret" ||
         key == "createdAt" || key == "lastUpdatedAt" || key == "links" || key == "embedded";
}

inline std::optional<std::string> check_webhook_url(const nlohmann::json& v,
                                                    const endpoint_validation_options& options,
                                                    validation_errors& errors) {
  static constexpr const char* field = "webhookUrl";
  if (!v.is_string()) {
    errors.add(field, "must be a string");
    return std::nullopt;
  }
  const auto& text = v.get_ref<const std::string&>();
  if (text.empty()) {
    errors.add(field, "must not be empty");
    return std::nullopt;
  }
  if (text.size() > options.max_url_length) {
    errors.add(field, "must be at most " + std::to_string(options.max_url_length) + " characters");
    return std::nullopt;
  }
  const auto parsed = parse_url(text);
  if (!parsed) {
    errors.add(field, parsed.error().rule);
    return std::nullopt;
  }
  if (!parsed->is_https() && !options.allow_http) {
    errors.add(field, "must use https://");
    return std::nullopt;
  }
  return text;
}

inline std::optional<std::string> check_name(const nlohmann::json& v,
                                             const endpoint_validation_options& options,
                                             validation_errors& errors) {
  static constexpr const char* field = "name";
  if (!v.is_string()) {
    errors.add(field, "must be a string or null");
    return std::nullopt;
  }
  const auto& text = v.get_ref<const std::string&>();
  if (text.empty()) {
    errors.add(field, "must not be empty");
    return std::nullopt;
  }
  if (utf8_length(text) > options.max_name_length) {
    errors.add(field, "must be at most " + std::to_string(options.max_name_length) + " characters");
    return std::nullopt;
  }
  if (has_control(text)) {
    errors.add(field, "must not contain control characters");
    return std::nullopt;
  }
  return text;
}

inline std::optional<std::vector<std::string>> check_topics(
    const nlohmann::json& v, const endpoint_validation_options& options, validation_errors& errors) {
  static constexpr std::string_view field = "topics";
  if (!v.is_array()) {
    errors.add(std::string(field), "must be an array of strings");
    return std::nullopt;
  }
  if (v.empty()) {
    errors.add(std::string(field), "must not be empty");
    return std::nullopt;
  }
  if (v.size() > options.max_topics) {
    errors.add(std::string(field), "must have at most " + std::to_string(options.max_topics) + " items");
    return std::nullopt;
  }
  bool ok = true;
  std::vector<std::string> topics;
  topics.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& t = v[i];
    const std::string path = item_path(field, i);
    if (!t.is_string()) {
      errors.add(path, "must be a string");
      ok = false;
      continue;
    }
    const auto& topic = t.get_ref<const std::string&>();
    if (topic.size() > max_topic_length) {
      errors.add(path, "must be at most " + std::to_string(max_topic_length) + " characters");
      ok = false;
    } else if (is_wildcard_topic(topic) && !options.allow_wildcards) {
      errors.add(path, "must be a concrete topic (wildcards are not enabled)");
      ok = false;
    } else if (!is_topic_pattern(topic)) {
      errors.add(path, "must match resource.action");
      ok = false;
    } else if (std::find(topics.begin(), topics.end(), topic) != topics.end()) {
      errors.add(path, "must be unique");
      ok = false;
    }
    topics.push_back(topic);
  }
  if (!ok) return std::nullopt;
  return topics;
}

inline std::optional<std::vector<reference>> check_business_establishments(
    const nlohmann::json& v, const endpoint_validation_options& options, validation_errors& errors) {
  static constexpr std::string_view field = "businessEstablishments";
  if (!v.is_array()) {
    errors.add(std::string(field), "must be an array of references or null");
    return std::nullopt;
  }
  if (v.empty()) {
    errors.add(std::string(field), "must not be empty (null means all establishments)");
    return std::nullopt;
  }
  if (v.size() > options.max_business_establishments) {
    errors.add(std::string(field),
               "must have at most " + std::to_string(options.max_business_establishments) + " items");
    return std::nullopt;
  }
  bool ok = true;
  std::vector<reference> refs;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string path = item_path(field, i);
    auto r = parse_reference_input(v[i], path, errors);
    if (!r) {
      ok = false;
      continue;
    }
    const bool duplicate = std::any_of(refs.begin(), refs.end(),
                                       [&](const reference& other) { return other.id == r->id; });
    if (duplicate) {
      errors.add(path, "must be unique");
      ok = false;
      continue;
    }
    r->type = std::string(business_establishment_type);
    refs.push_back(std::move(*r));
  }
  if (!ok) return std::nullopt;
  return refs;
}

// Walks every member of an endpoint body; shared by create and patch, whose only
// difference is which members are required. Never throws nlohmann exceptions: every
// access is type-checked first.
inline endpoint_patch parse_endpoint_members(const nlohmann::json& body,
                                             const endpoint_validation_options& options,
                                             validation_errors& errors) {
  endpoint_patch p;
  for (const auto& [key, v] : body.items()) {
    if (key == "name") {
      if (v.is_null()) {
        p.name = nullptr;
      } else if (auto name = check_name(v, options, errors)) {
        p.name = std::move(*name);
      }
    } else if (key == "webhookUrl") {
      if (v.is_null()) {
        errors.add(key, "must not be null");
      } else {
        p.webhook_url = check_webhook_url(v, options, errors);
      }
    } else if (key == "topics") {
      if (v.is_null()) {
        errors.add(key, "must not be null");
      } else {
        p.topics = check_topics(v, options, errors);
      }
    } else if (key == "apiVersion") {
      if (!v.is_string()) {
        errors.add(key, v.is_null() ? "must not be null" : "must be a string");
      } else if (auto d = resolve_api_version(v.get_ref<const std::string&>())) {
        p.api_version = *d;
      } else {
        errors.add(key, d.error());
      }
    } else if (key == "contentType") {
      const auto ct = v.is_string() ? parse_endpoint_content_type(v.get_ref<const std::string&>())
                                    : std::nullopt;
      if (ct) {
        p.content_type = *ct;
      } else {
        errors.add(key, "must be one of default, cloudEvents");
      }
    } else if (key == "status") {
      const auto s = v.is_string() ? parse_endpoint_status(v.get_ref<const std::string&>())
                                   : std::nullopt;
      if (s == endpoint_status::suspended) {
        // SPEC.md Part 1 §10: suspension is the engine's decision alone.
        errors.add(key, "cannot be set by clients (suspended is set by the engine)");
      } else if (s) {
        p.requested_status = *s;
      } else {
        errors.add(key, "must be one of active, inactive");
      }
    } else if (key == "businessEstablishments") {
      if (v.is_null()) {
        p.business_establishments = nullptr;
      } else if (auto refs = check_business_establishments(v, options, errors)) {
        p.business_establishments = std::move(*refs);
      }
    } else if (!is_read_only_endpoint_field(key)) {
      errors.add(key, "unknown field");
    }
  }
  return p;
}

} // namespace detail

/** Validates the body of `POST /webhook-endpoints` (SPEC.md Part 1 §9-10).

    Rules, each reported as `field: rule`, all of them at once:
    - the body is a JSON object (`body: must be a JSON object`);
    - `webhookUrl` is required: a string of at most `max_url_length` bytes, an
      absolute URL with a host, no user information and no fragment (the rule text of
      `parse_url`), using `https://` unless `allow_http`;
    - `topics` is required: a non-empty array (at most `max_topics`) of unique strings,
      each `resource.action` (`[a-z0-9-]+(\.[a-z0-9-]+)+`), `ping`, `confirmation`, or
      with `allow_wildcards` a `x.*` prefix or `*`;
    - `name` is optional: null (no name) or a non-empty string of at most
      `max_name_length` characters without control characters;
    - `apiVersion` is optional (default `2024-11-01`): a `YYYY-MM-DD` date, not before
      `2024-11-01`; a later date resolves to `2024-11-01`;
    - `contentType` is optional (default `default`): `default` or `cloudEvents`;
    - `status` is optional (default `active`, which runs the activation challenge):
      `active` or `inactive`; `suspended` is refused, it is set by the engine;
    - `businessEstablishments` is optional: null (all establishments) or a non-empty
      array of unique references `{"id": "…"}` (`businessEstablishments[0].id: is
      required`);
    - read-only members (`id`, `type`, `url`, `secret`, `createdAt`, `lastUpdatedAt`,
      `links`, `embedded`) are ignored; any other member is `unknown field`.

    Never throws a JSON exception.

    @par Example
    @code
    auto req = parse_endpoint_create(body, {.allow_http = dev_mode});
    if (!req) return problem(400, req.error().to_problem_errors());
    @endcode
*/
inline result<endpoint_create, validation_errors> parse_endpoint_create(
    const nlohmann::json& body, const endpoint_validation_options& options = {}) {
  validation_errors errors;
  if (!body.is_object()) {
    errors.add(std::string(body_field), "must be a JSON object");
    return unexpected(std::move(errors));
  }
  endpoint_patch p = detail::parse_endpoint_members(body, options, errors);
  if (!body.contains("webhookUrl")) errors.add("webhookUrl", "is required");
  if (!body.contains("topics")) errors.add("topics", "is required");
  if (!errors.empty()) return unexpected(std::move(errors));

  endpoint_create c;
  if (p.name.has_value()) c.name = std::move(*p.name);
  if (p.api_version) c.api_version = *p.api_version;
  c.webhook_url = std::move(*p.webhook_url);
  c.topics = std::move(*p.topics);
  if (p.business_establishments.has_value())
    c.business_establishments = std::move(*p.business_establishments);
  if (p.requested_status) c.requested_status = *p.requested_status;
  if (p.content_type) c.content_type = *p.content_type;
  return c;
}

/** Validates the body of `PATCH /webhook-endpoints/{id}`, a JSON merge patch.

    Same rules as `parse_endpoint_create` for every member present, nothing required;
    `null` is accepted for `name` and `businessEstablishments` only
    (`webhookUrl: must not be null`). An empty object is a valid patch that changes
    nothing. Never throws a JSON exception.
*/
inline result<endpoint_patch, validation_errors> parse_endpoint_patch(
    const nlohmann::json& body, const endpoint_validation_options& options = {}) {
  validation_errors errors;
  if (!body.is_object()) {
    errors.add(std::string(body_field), "must be a JSON object");
    return unexpected(std::move(errors));
  }
  endpoint_patch p = detail::parse_endpoint_members(body, options, errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  return p;
}

/** A new endpoint from a validated creation request.

    The endpoint starts `inactive` whatever was requested: it becomes `active` only
    when the activation challenge passes (SPEC.md Part 1 §10); `create.requested_status`
    tells the caller whether to run it. `created_at` and `last_updated_at` are `now`.
*/
inline webhook_endpoint make_endpoint(const endpoint_create& create, std::string id,
                                      std::string url, std::string secret, timestamp now) {
  webhook_endpoint e;
  e.id = std::move(id);
  e.url = std::move(url);
  e.name = create.name;
  e.api_version = create.api_version;
  e.webhook_url = create.webhook_url;
  e.topics = create.topics;
  e.business_establishments = create.business_establishments;
  e.status = endpoint_status::inactive;
  e.content_type = create.content_type;
  e.secret = std::move(secret);
  e.created_at = now;
  e.last_updated_at = now;
  return e;
}

/** Applies a merge patch to `endpoint`: every member except the status.

    The status is left alone because a request for `active` runs the activation
    challenge first (SPEC.md Part 1 §10); the caller applies `requested_status` once it
    knows the outcome. `last_updated_at` is left to the caller too, who owns the clock.

    @returns true if `webhookUrl` changed, which re-runs the challenge.
*/
inline bool apply_patch(webhook_endpoint& endpoint, const endpoint_patch& patch) {
  if (patch.name.is_null()) {
    endpoint.name.reset();
  } else if (patch.name.has_value()) {
    endpoint.name = *patch.name;
  }
  if (patch.api_version) endpoint.api_version = *patch.api_version;
  bool url_changed = false;
  if (patch.webhook_url && *patch.webhook_url != endpoint.webhook_url) {
    endpoint.webhook_url = *patch.webhook_url;
    url_changed = true;
  }
  if (patch.topics) endpoint.topics = *patch.topics;
  if (patch.business_establishments.is_null()) {
    endpoint.business_establishments.reset();
  } else if (patch.business_establishments.has_value()) {
    endpoint.business_establishments = *patch.business_establishments;
  }
  if (patch.content_type) endpoint.content_type = *patch.content_type;
  return url_changed;
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_ENDPOINT_REQUEST_HPP
