// SPDX-License-Identifier: MIT
// Rows of the SQLite store to and from model values: which columns, in which order.
#ifndef WEBHOOKD_STORE_SQLITE_ROWS_HPP
#define WEBHOOKD_STORE_SQLITE_ROWS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/detail/json.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/store/records.hpp>
#include <webhookd/store/sqlite/statement.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace webhookd::store::sqlite {

// Every read below throws (std::runtime_error, nlohmann::json::exception) on a value
// the store could not have written; the store turns that into SQLITE_CORRUPT.

namespace detail {

[[noreturn]] inline void corrupt(const char* what) {
  throw std::runtime_error(std::string("sqlite_store: unreadable ") + what);
}

inline nlohmann::json parse_json(std::string_view text) {
  return nlohmann::json::parse(text.begin(), text.end());
}

} // namespace detail

/** A JSON array of the strings `get(item)` for each of `items`, bound as one
    parameter for `json_each`. Ids are plain ASCII as a rule and are copied as they
    are; any other string goes through the JSON library's escaping.
*/
template <class Range, class Get>
std::string json_string_array(const Range& items, Get get) {
  const auto plain = [](std::string_view v) {
    for (const char ch : v) {
      const auto u = static_cast<unsigned char>(ch);
      if (u < 0x20 || u >= 0x7f || ch == '"' || ch == '\\') return false;
    }
    return true;
  };
  std::string out = "[";
  for (const auto& item : items) {
    const std::string_view v = get(item);
    if (out.size() > 1) out += ',';
    if (plain(v)) {
      out.append(1, '"').append(v).append(1, '"');
    } else {
      // Invalid UTF-8 becomes U+FFFD: no stored id has it (they were all written
      // as JSON), so such an id matches nothing, as it should.
      out += nlohmann::json(std::string(v)).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
    }
  }
  out += ']';
  return out;
}

// --- statuses ---------------------------------------------------------------------

inline model::endpoint_status endpoint_status_of(std::string_view text) {
  const auto s = model::parse_endpoint_status(text);
  if (!s) detail::corrupt("endpoint status");
  return *s;
}

inline model::delivery_status delivery_status_of(std::string_view text) {
  const auto s = model::parse_delivery_status(text);
  if (!s) detail::corrupt("delivery status");
  return *s;
}

// --- endpoints --------------------------------------------------------------------

/// The columns `read_endpoint` reads, in its order.
inline constexpr std::string_view endpoint_columns =
    "id, status, version, secret, previous_secret, previous_secret_expires_at, "
    "consecutive_failed_deliveries, last_success_at, failing_since, resource";

/// The endpoint record of a row selected with `endpoint_columns` from column `first` on.
inline endpoint_record read_endpoint(const statement& s, int first = 0) {
  endpoint_record r;
  detail::parse_json(s.text(first + 9)).get_to(r.endpoint);
  r.endpoint.id = s.string(first);
  r.endpoint.status = endpoint_status_of(s.text(first + 1));
  r.version = static_cast<std::uint64_t>(s.int64(first + 2));
  r.endpoint.secret = s.string(first + 3);
  r.previous_secret = s.optional_string(first + 4);
  r.previous_secret_expires_at = s.optional_time(first + 5);
  r.health.consecutive_failed_deliveries = s.int32(first + 6);
  r.health.last_success_at = s.optional_time(first + 7);
  r.health.failing_since = s.optional_time(first + 8);
  return r;
}

/// The `resource` column of an endpoint: the model's JSON (without the secret,
/// which has its own column).
inline std::string endpoint_resource(const model::webhook_endpoint& e) {
  return nlohmann::json(e).dump();
}

/// The `topics` column: the subscriptions as a JSON array.
inline std::string endpoint_topics(const model::webhook_endpoint& e) {
  return nlohmann::json(e.topics).dump();
}

// --- events -----------------------------------------------------------------------

/// The `resource` column of an event.
inline std::string event_resource(const model::event& e) { return nlohmann::json(e).dump(); }

/// The event of a `resource` column.
inline model::event read_event(std::string_view resource) {
  return detail::parse_json(resource).get<model::event>();
}

// --- deliveries -------------------------------------------------------------------

/// The columns `read_delivery` reads, in its order.
inline constexpr std::string_view delivery_columns =
    "id, event_id, endpoint_id, status, attempts_count, next_attempt_at, extra";

/** The `extra` column of a delivery: what a delivery rarely carries (its `url`, its
    references' urls, `links`, `embedded`) as a JSON object, or NULL when it carries
    none of them, which keeps the rows of the hot table small. The references'
    types are the schema's (`"event"`, `"webhook-endpoint"`), as `model::from_json`
    reads them.
*/
inline std::optional<std::string> delivery_extra(const model::webhook_delivery& d) {
  if (d.url.empty() && d.event.url.empty() && d.webhook_endpoint.url.empty() && d.links.is_absent() &&
      !d.embedded)
    return std::nullopt;
  nlohmann::json j = nlohmann::json::object();
  if (!d.url.empty()) j["url"] = d.url;
  if (!d.event.url.empty()) j["eventUrl"] = d.event.url;
  if (!d.webhook_endpoint.url.empty()) j["endpointUrl"] = d.webhook_endpoint.url;
  model::detail::put_tristate(j, "links", d.links);
  if (d.embedded) j["embedded"] = *d.embedded;
  return j.dump();
}

/// The delivery of a row selected with `delivery_columns` from column `first` on.
inline model::webhook_delivery read_delivery(const statement& s, int first = 0) {
  model::webhook_delivery d;
  d.id = s.string(first);
  d.event = model::reference{s.string(first + 1), std::string(model::event::type_name), ""};
  d.webhook_endpoint = model::reference{s.string(first + 2),
                                        std::string(model::webhook_endpoint::type_name), ""};
  d.status = delivery_status_of(s.text(first + 3));
  d.attempts_count = s.int32(first + 4);
  d.next_attempt_at = s.optional_time(first + 5);
  if (!s.is_null(first + 6)) {
    const auto j = detail::parse_json(s.text(first + 6));
    if (const auto* v = model::detail::find(j, "url")) d.url = v->get<std::string>();
    if (const auto* v = model::detail::find(j, "eventUrl")) d.event.url = v->get<std::string>();
    if (const auto* v = model::detail::find(j, "endpointUrl"))
      d.webhook_endpoint.url = v->get<std::string>();
    d.links = model::detail::get_tristate<model::link_map>(j, "links");
    if (const auto* v = model::detail::find(j, "embedded"))
      d.embedded = v->get<model::webhook_delivery_embedded>();
  }
  return d;
}

// --- attempts ---------------------------------------------------------------------

/// The `resource` column of an attempt.
inline std::string attempt_resource(const model::webhook_delivery_attempt& a) {
  return nlohmann::json(a).dump();
}

/// The attempt of a `resource` column.
inline model::webhook_delivery_attempt read_attempt(std::string_view resource) {
  return detail::parse_json(resource).get<model::webhook_delivery_attempt>();
}

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_ROWS_HPP
