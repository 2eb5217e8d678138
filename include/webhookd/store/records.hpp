// SPDX-License-Identifier: MIT
// The values a delivery_store exchanges: endpoint records, enqueue and claim requests,
// leases, attempt outcomes, filters, cursors and pages, purge and stats reports.
#ifndef WEBHOOKD_STORE_RECORDS_HPP
#define WEBHOOKD_STORE_RECORDS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/base64.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace webhookd::store {

// --- errors -----------------------------------------------------------------------

/** Errors that only a store raises (the shared ones, `errc::not_found` and
    `errc::lease_lost`, are in core/error.hpp).

    The values are stable: adapters may map them to and from database errors.
*/
enum class store_errc {
  /// A record with this id already exists (an endpoint, event, delivery or attempt).
  duplicate_id = 1,
  /// The record's version is not the one the caller expected (`If-Match`, HTTP 412).
  version_mismatch,
  /// The request breaks a rule of the store contract (named in the concept's docs),
  /// e.g. a delivery that references another event than the one enqueued with it.
  invalid_request,
  /// A page cursor is not one that `cursor::encode` made (HTTP 400 naming `page`).
  invalid_cursor,
};

namespace detail {

class store_error_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "webhookd.store"; }

  std::string message(int ev) const override {
    switch (static_cast<store_errc>(ev)) {
    case store_errc::duplicate_id: return "a record with this id already exists";
    case store_errc::version_mismatch: return "the record's version does not match";
    case store_errc::invalid_request: return "invalid store request";
    case store_errc::invalid_cursor: return "invalid page cursor";
    }
    return "unknown store error";
  }
};

} // namespace detail

/// The category of `store_errc`; its `name()` is `"webhookd.store"`.
inline const std::error_category& store_error_category() noexcept {
  static const detail::store_error_category category;
  return category;
}

/// Makes a `std::error_code` from a store error (found by ADL).
inline std::error_code make_error_code(store_errc e) noexcept {
  return {static_cast<int>(e), store_error_category()};
}

} // namespace webhookd::store

template <>
struct std::is_error_code_enum<webhookd::store::store_errc> : std::true_type {};

namespace webhookd::store {

// --- endpoints --------------------------------------------------------------------

/** The delivery health of an endpoint, kept by `record()` (SPEC.md Part 1 §10).

    The store only counts; the engine applies the suspension policy to these numbers
    (by default: 5 deliveries in a row ending `failed`, or attempts failing for 24 h
    with no success) and calls `suspend_endpoint`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct endpoint_health {
  /// Deliveries that ended `failed` since the last one that ended `delivered`.
  int consecutive_failed_deliveries = 0;
  /// When the last successful attempt was made; nullopt if none ever was.
  std::optional<timestamp> last_success_at;
  /// When the first failed attempt after the last successful one was made; nullopt
  /// while the last attempt succeeded (or none was made).
  std::optional<timestamp> failing_since;

  friend bool operator==(const endpoint_health&, const endpoint_health&) = default;
};

/** An endpoint as the store keeps it: the resource, plus what the API does not show.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct endpoint_record {
  /// The resource, with its current `secret`.
  model::webhook_endpoint endpoint;
  /// Optimistic-concurrency version: 1 on creation, +1 on every change of the
  /// resource or its secret (not on health changes). The REST layer derives the
  /// ETag from it and passes it back for `If-Match`.
  std::uint64_t version = 0;
  /// The secret replaced by the last rotation, still valid for signing until
  /// `previous_secret_expires_at` (SPEC.md Part 1 §11).
  std::optional<std::string> previous_secret;
  /// When `previous_secret` stops being used.
  std::optional<timestamp> previous_secret_expires_at;
  /// Counters kept by `record()`.
  endpoint_health health;

  friend bool operator==(const endpoint_record&, const endpoint_record&) = default;
};

/** An endpoint record shared by the store and its readers, immutable once handed out:
    a fan-out, a claim batch or a run of claims can all point to one copy instead of
    copying the record's strings for each delivery. */
using shared_endpoint_record = std::shared_ptr<const endpoint_record>;

/// `version` argument meaning "whatever the current version is" (no `If-Match`, or `*`).
inline constexpr std::uint64_t any_version = 0;

// --- enqueue ----------------------------------------------------------------------

/// How long an idempotency key returns the first event (SPEC.md: 24 h).
inline constexpr std::chrono::milliseconds default_idempotency_window = std::chrono::hours{24};

/** An event and the deliveries fanned out from it, stored in one step.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct enqueue_request {
  /// The event to store. nullopt adds `deliveries` to events already stored (a
  /// manual re-send, SPEC.md Part 1 §13): each delivery's event must then exist.
  std::optional<model::event> event;
  /// New deliveries: ids set by the caller, `status` undelivered, `attempts_count` 0,
  /// `next_attempt_at` when the first attempt is due (normally `now`).
  std::vector<model::webhook_delivery> deliveries;
  /// A key from the publisher: the same key within `idempotency_window` of its first
  /// use returns the first event and stores nothing. Only with `event`.
  std::optional<std::string> idempotency_key;
  /// The window of `idempotency_key`.
  std::chrono::milliseconds idempotency_window = default_idempotency_window;
  /// Schedule the deliveries even if their endpoint is not active: test deliveries
  /// (`POST /webhook-deliveries`) are sent "whatever the endpoint's status".
  bool ignore_endpoint_status = false;
  /// False: the caller does not read `enqueue_result::deliveries` of a new enqueue
  /// (the engine's `publish` only needs to know they were stored, all of them), so
  /// a store may leave that vector empty instead of copying every delivery back. A
  /// replay returns them whatever this says.
  bool return_deliveries = true;
};

/** What `enqueue` stored, or found under the idempotency key.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct enqueue_result {
  /// The event stored (or the first one stored under the key); null when the request
  /// carried none. Shared and read-only, so that a store that keeps its events in
  /// memory hands out its own copy instead of copying it back (`publish` returns it).
  std::shared_ptr<const model::event> event;
  /// The deliveries as stored (held ones have `next_attempt_at` nullopt), or, on an
  /// idempotent replay, the first event's deliveries as they are now. May be empty
  /// for a new enqueue whose request said `return_deliveries = false`.
  std::vector<model::webhook_delivery> deliveries;
  /// True when the idempotency key matched and nothing was stored.
  bool replayed = false;
};

// --- claims and leases ------------------------------------------------------------

/** A claim on a delivery: `owner` alone may record its attempt while `until` is in
    the future; after that, anyone may claim it again.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct lease {
  std::string owner; ///< the claiming process, e.g. `host:pid:start-time`
  timestamp until{}; ///< when the lease expires
  friend bool operator==(const lease&, const lease&) = default;
};

/** Which due deliveries to claim (SPEC.md Part 1 §6).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct claim_request {
  timestamp now{};                ///< deliveries with `next_attempt_at <= now` are due
  std::size_t max = 64;           ///< at most this many are claimed
  std::string owner;              ///< leases are taken for this owner
  std::chrono::milliseconds lease_duration{std::chrono::seconds{30}}; ///< until = now + this
  /// At most this many deliveries of one endpoint under a live lease (the ones already
  /// leased by anyone count); 0: no limit.
  std::size_t max_in_flight_per_endpoint = 0;
  /// Strict per-endpoint order: only an endpoint's oldest undelivered delivery (by id)
  /// may be claimed, and only when no delivery of that endpoint is under a live lease.
  bool fifo = false;

  /// What every store refuses as `store_errc::invalid_request`: no owner, or a lease
  /// that ends before it starts.
  bool valid() const noexcept { return !owner.empty() && lease_duration.count() > 0; }
};

/** A due delivery, leased to the claimer, with what is needed to send it.

    The endpoint and event are shared: every delivery of one claim batch that belongs
    to the same endpoint (event) points to the same snapshot, so the caller can encode
    a body once per event.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct claimed_delivery {
  model::webhook_delivery delivery;                 ///< as stored at the claim
  /// The endpoint as it is at the claim: its resource, secrets and version. Its
  /// `health` may be older (a store may reuse one snapshot across claims while the
  /// endpoint is unchanged); `record_result::health` is the current one.
  std::shared_ptr<const endpoint_record> endpoint;
  std::shared_ptr<const model::event> event;        ///< the event to send
  store::lease lease;                               ///< give it back in the outcome
};

// --- outcomes ---------------------------------------------------------------------

/** The result of one attempt, and what becomes of its delivery.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct attempt_outcome {
  /// The attempt row; `webhook_delivery.id` names the delivery, `id` makes the
  /// outcome idempotent.
  model::webhook_delivery_attempt attempt;
  /// The lease the attempt was made under (from `claimed_delivery::lease`).
  store::lease lease;
  /// The delivery's new status.
  model::delivery_status status = model::delivery_status::undelivered;
  /// When `status` is undelivered: the next attempt's due time. Ignored otherwise.
  std::optional<timestamp> next_attempt_at;
};

/** What an outcome left of its delivery: the fields the engine schedules from.

    A record returns this rather than the whole delivery, so that a store copies (or
    reads back) none of the delivery's ids and URLs for each outcome; `get_delivery`
    has the rest.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct delivery_state {
  model::delivery_status status = model::delivery_status::undelivered;
  int attempts_count = 0;
  /// When the next attempt is due; nullopt when finished or held.
  std::optional<timestamp> next_attempt_at;

  friend bool operator==(const delivery_state&, const delivery_state&) = default;
};

/// The state part of `d`.
inline delivery_state state_of(const model::webhook_delivery& d) {
  return {d.status, d.attempts_count, d.next_attempt_at};
}

/** What became of one outcome of a `record` batch.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct record_result {
  /// Empty: recorded (or recorded before). `errc::lease_lost`: the lease is no longer
  /// the outcome's; nothing changed. `errc::not_found`: no such delivery.
  std::error_code error;
  /// True when an attempt with this id was already stored: nothing changed.
  bool already_recorded = false;
  /// The delivery's state after the outcome (when `error` is empty).
  std::optional<delivery_state> delivery;
  /// The health of the delivery's endpoint after the outcome; nullopt when the
  /// endpoint no longer exists or `error` is set.
  std::optional<endpoint_health> health;
};

/** What an optional `record_then_claim` did: the outcomes' results, in order, and
    the deliveries the claim that followed them in the same transaction leased.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct record_and_claim_result {
  std::vector<record_result> recorded;
  std::vector<claimed_delivery> claimed;
};

// --- filters ----------------------------------------------------------------------

/** A filter on one property, as data: `?status=a,b` includes, `?-status=c` excludes.

    A value passes when `include` is empty or holds it, and `exclude` does not hold it.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class T>
struct value_filter {
  std::vector<T> include; ///< empty: any value
  std::vector<T> exclude; ///< never these

  /// True when neither list has a value.
  bool empty() const noexcept { return include.empty() && exclude.empty(); }

  /// Whether `v` passes the filter.
  template <class U>
  bool matches(const U& v) const {
    auto holds = [&](const std::vector<T>& list) {
      return std::find_if(list.begin(), list.end(), [&](const T& x) { return x == v; }) !=
             list.end();
    };
    return (include.empty() || holds(include)) && !holds(exclude);
  }

  friend bool operator==(const value_filter&, const value_filter&) = default;
};

/// Filters of `GET /webhook-endpoints` (SPEC.md Part 1 §14).
struct endpoint_filter {
  value_filter<model::endpoint_status> status;
};

/// Filters of `GET /events`.
struct event_filter {
  value_filter<std::string> topic; ///< exact topics
};

/// Filters of `GET /webhook-deliveries`.
struct delivery_filter {
  value_filter<std::string> endpoint_id; ///< `webhookEndpoint.id`
  value_filter<std::string> event_id;    ///< `event.id`
  value_filter<model::delivery_status> status;
};

/// Filters of `GET /webhook-delivery-attempts`.
struct attempt_filter {
  value_filter<std::string> delivery_id; ///< `webhookDelivery.id`
  value_filter<bool> is_successful;      ///< `isSuccessful`
};

// --- pages ------------------------------------------------------------------------

/// Which way a cursor reads from its key.
enum class page_direction {
  forward,  ///< the items after the key (`links.next`)
  backward, ///< the items before the key (`links.prev`)
};

/** A position in a collection: a key (the id of an item at a page's edge) and a
    direction. Collections are in ascending id order (creation order), and a page
    read from a cursor holds only items strictly after (forward) or before (backward)
    the key, so inserts between two requests never duplicate nor shift an item the
    client already saw (SPEC.md Part 2 §1.6).

    The wire form (`encode`) is opaque: `!` then base64url of a direction letter and
    the key.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct cursor {
  std::string key;
  page_direction direction = page_direction::forward;

  /// The opaque `page` value: `!` + base64url(`n`|`p` + key).
  std::string encode() const {
    std::string raw;
    raw.reserve(key.size() + 1);
    raw += direction == page_direction::forward ? 'n' : 'p';
    raw += key;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(raw.data());
    return "!" + base64_encode(std::span<const std::uint8_t>(bytes, raw.size()),
                               base64_alphabet::url);
  }

  /// Reads a `page` value made by `encode`, or fails with `store_errc::invalid_cursor`.
  static result<cursor> decode(std::string_view text) {
    const auto fail = unexpected(make_error_code(store_errc::invalid_cursor));
    if (text.size() < 2 || text.front() != '!') return fail;
    auto raw = base64_decode(text.substr(1), base64_alphabet::url);
    if (!raw || raw->size() < 2) return fail;
    const char d = raw->front();
    if (d != 'n' && d != 'p') return fail;
    return cursor{raw->substr(1), d == 'n' ? page_direction::forward : page_direction::backward};
  }

  friend bool operator==(const cursor&, const cursor&) = default;
};

/// Largest `limit` of a page (SPEC.md Part 1 §15).
inline constexpr std::size_t max_page_limit = 100;

/** Which page of a collection to read.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct page_request {
  std::optional<store::cursor> cursor; ///< nullopt: the first page
  std::size_t limit = 25;              ///< 0..100; 0 reads no item
};

/** One page of a collection, in ascending id order.

    `prev` is set when an item exists before the first item of the page, `next` when
    one exists after the last; both are nullopt on an empty page.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class T>
struct page {
  std::vector<T> items;
  std::optional<store::cursor> prev; ///< `links.prev`
  std::optional<store::cursor> next; ///< `links.next`
};

// --- retention and metrics --------------------------------------------------------

/** What `purge` removes (SPEC.md Part 1 §17).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct purge_request {
  /// Deliveries (with their attempts) and events created before this are removed.
  timestamp older_than{};
  /// Also remove undelivered deliveries (normally kept whatever their age).
  bool include_pending = false;
};

/// How many records `purge` removed.
struct purge_report {
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t attempts = 0;
  friend bool operator==(const purge_report&, const purge_report&) = default;
};

/** Queue depth and totals, for metrics (all counts at one instant).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct store_stats {
  std::int64_t due = 0;       ///< undelivered, due at `now`, not under a live lease
  std::int64_t scheduled = 0; ///< undelivered with a planned attempt (due or not)
  std::int64_t held = 0;      ///< undelivered, no attempt planned (endpoint not active)
  std::int64_t in_flight = 0; ///< undelivered under a live lease
  std::int64_t delivered = 0;
  std::int64_t failed = 0;
  std::int64_t events = 0;
  std::int64_t attempts = 0;
  std::int64_t endpoints = 0;
  friend bool operator==(const store_stats&, const store_stats&) = default;
};

} // namespace webhookd::store

#endif // WEBHOOKD_STORE_RECORDS_HPP
