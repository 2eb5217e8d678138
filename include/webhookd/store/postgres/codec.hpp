// SPDX-License-Identifier: MIT
// How postgres_store's rows map to the model: column lists, readers and value encodings.
#ifndef WEBHOOKD_STORE_POSTGRES_CODEC_HPP
#define WEBHOOKD_STORE_POSTGRES_CODEC_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/store/postgres/connection.hpp>
#include <webhookd/store/records.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace webhookd::store::postgres::codec {

/// A timestamp as stored: milliseconds since the Unix epoch (exact both ways).
inline std::int64_t millis(timestamp t) noexcept { return t.time_since_epoch().count(); }
/// A stored time back as a timestamp.
inline timestamp from_millis(std::int64_t ms) noexcept {
  return timestamp{std::chrono::milliseconds{ms}};
}
inline std::optional<std::int64_t> millis(const std::optional<timestamp>& t) noexcept {
  if (!t) return std::nullopt;
  return millis(*t);
}
inline std::optional<timestamp> from_millis(const std::optional<std::int64_t>& ms) noexcept {
  if (!ms) return std::nullopt;
  return from_millis(*ms);
}

/// A column list with every name prefixed by `alias.` (for RETURNING and joins).
inline std::string prefixed(std::string_view columns, std::string_view alias) {
  std::string out;
  std::string_view rest = columns;
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) break;
    const auto end = rest.find(',');
    const auto name = rest.substr(0, end);
    if (!out.empty()) out += ", ";
    out += alias;
    out += '.';
    out += name;
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  return out;
}

// --- endpoints ------------------------------------------------------------------------

/// The columns `read_endpoint` expects, in order.
inline constexpr std::string_view endpoint_columns =
    "id, status, version, doc, previous_secret, previous_secret_expires_at, "
    "consecutive_failed_deliveries, last_success_at, failing_since";

/// The resource's JSON, with its secret (`doc`).
inline std::string endpoint_doc(const model::webhook_endpoint& e) {
  return model::to_json_with_secret(e).dump();
}

/** The endpoint record of row `i`, from `endpoint_columns` starting at `at`.
    @throws nlohmann::json::exception if the stored document is not an endpoint.
*/
inline endpoint_record read_endpoint(const rows& r, int i, int at = 0) {
  endpoint_record out;
  out.endpoint = nlohmann::json::parse(r.text(i, at + 3)).get<model::webhook_endpoint>();
  out.version = static_cast<std::uint64_t>(r.integer(i, at + 2));
  out.previous_secret = r.opt_str(i, at + 4);
  out.previous_secret_expires_at = from_millis(r.opt_integer(i, at + 5));
  out.health.consecutive_failed_deliveries = static_cast<int>(r.integer(i, at + 6));
  out.health.last_success_at = from_millis(r.opt_integer(i, at + 7));
  out.health.failing_since = from_millis(r.opt_integer(i, at + 8));
  return out;
}

// --- events ---------------------------------------------------------------------------

/// The event's JSON (`doc`).
inline std::string event_doc(const model::event& e) { return nlohmann::json(e).dump(); }

/** The event in `doc` text.
    @throws nlohmann::json::exception if it is not an event.
*/
inline model::event read_event(std::string_view doc) {
  return nlohmann::json::parse(doc).get<model::event>();
}

// --- deliveries -----------------------------------------------------------------------

/// The columns `read_delivery` expects, in order.
inline constexpr std::string_view delivery_columns =
    "id, url, event_id, event_type, event_url, endpoint_id, endpoint_type, endpoint_url, "
    "status, next_attempt_at, attempts_count, lease_owner, lease_until, extra";
/// How many columns `delivery_columns` names.
inline constexpr int delivery_column_count = 14;

/// `links` and `embedded`, which the engine never sets, as JSON (nullopt when unset).
template <class Resource>
std::optional<std::string> extra_doc(const Resource& r) {
  if (!r.links.is_present() && !r.embedded) return std::nullopt;
  return nlohmann::json(r).dump();
}

/** The delivery of row `i`, from `delivery_columns` starting at `at`.
    @throws nlohmann::json::exception if `extra` is malformed.
*/
inline model::webhook_delivery read_delivery(const rows& r, int i, int at = 0) {
  model::webhook_delivery d;
  d.id = r.str(i, at + 0);
  d.url = r.str(i, at + 1);
  d.event = model::reference{r.str(i, at + 2), r.str(i, at + 3), r.str(i, at + 4)};
  d.webhook_endpoint = model::reference{r.str(i, at + 5), r.str(i, at + 6), r.str(i, at + 7)};
  d.status = model::parse_delivery_status(r.text(i, at + 8)).value_or(model::delivery_status::failed);
  d.next_attempt_at = from_millis(r.opt_integer(i, at + 9));
  d.attempts_count = static_cast<int>(r.integer(i, at + 10));
  if (!r.null(i, at + 13)) {
    const auto extra = nlohmann::json::parse(r.text(i, at + 13)).get<model::webhook_delivery>();
    d.links = extra.links;
    d.embedded = extra.embedded;
  }
  return d;
}

/// The lease of row `i` (`lease_owner`, `lease_until` of `delivery_columns`), if any.
inline std::optional<lease> read_lease(const rows& r, int i, int at = 0) {
  if (r.null(i, at + 11) || r.null(i, at + 12)) return std::nullopt;
  return lease{r.str(i, at + 11), from_millis(r.integer(i, at + 12))};
}

// --- attempts -------------------------------------------------------------------------

/// The columns `read_attempt` expects, in order.
inline constexpr std::string_view attempt_columns =
    "id, url, signature, delivery_id, delivery_type, delivery_url, is_successful, "
    "response_status_code, error_response_body, created_at, extra";

/** The attempt of row `i`, from `attempt_columns`.
    @throws nlohmann::json::exception if `extra` is malformed.
*/
inline model::webhook_delivery_attempt read_attempt(const rows& r, int i) {
  model::webhook_delivery_attempt a;
  a.id = r.str(i, 0);
  a.url = r.str(i, 1);
  a.signature = r.str(i, 2);
  a.webhook_delivery = model::reference{r.str(i, 3), r.str(i, 4), r.str(i, 5)};
  a.is_successful = r.boolean(i, 6);
  if (!r.null(i, 7)) a.response_status_code = static_cast<int>(r.integer(i, 7));
  a.error_response_body = r.str(i, 8);
  a.created_at = from_millis(r.integer(i, 9));
  if (!r.null(i, 10)) {
    const auto extra =
        nlohmann::json::parse(r.text(i, 10)).get<model::webhook_delivery_attempt>();
    a.links = extra.links;
    a.embedded = extra.embedded;
  }
  return a;
}

} // namespace webhookd::store::postgres::codec

#endif // WEBHOOKD_STORE_POSTGRES_CODEC_HPP
