// SPDX-License-Identifier: MIT
// The delivery_store concept: what a host implements to keep endpoints, events,
// deliveries and attempts where it likes.
#ifndef WEBHOOKD_STORE_DELIVERY_STORE_HPP
#define WEBHOOKD_STORE_DELIVERY_STORE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/store/records.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace webhookd::store {

/** Whether calls to `Store` may block the calling thread (disk, network).

    The engine calls a non-blocking store inline on its strand and a blocking one on
    a small worker pool. A store declares it with `static constexpr bool is_blocking`;
    a store that says nothing is taken to block, the safe default.
*/
template <class Store>
inline constexpr bool is_blocking_store_v = true;

/// A store that declares `is_blocking`.
template <class Store>
  requires requires { std::bool_constant<Store::is_blocking>{}; }
inline constexpr bool is_blocking_store_v<Store> = Store::is_blocking;

/** Keeps webhook endpoints: the REST layer's CRUD and the engine's fan-out.

    Requirements 1-4 of `delivery_store`.
*/
template <class S>
concept endpoint_store = requires(S& s, const S& cs, const endpoint_record& record,
                                  const model::webhook_endpoint& endpoint, std::string_view id,
                                  std::uint64_t version, timestamp now,
                                  const endpoint_filter& filter, const page_request& page_req) {
  // Stores a new endpoint (version 1); duplicate_id if the id is taken.
  { s.create_endpoint(record) } -> std::same_as<result<endpoint_record>>;
  // The endpoint with this id, or errc::not_found.
  { cs.get_endpoint(id) } -> std::same_as<result<endpoint_record>>;
  // Replaces the writable fields of `endpoint` (merge done by the caller) if the
  // version matches (any_version: always); bumps the version; holds or releases the
  // endpoint's pending deliveries when its status leaves or returns to active.
  { s.update_endpoint(endpoint, version, now) } -> std::same_as<result<endpoint_record>>;
  // Installs a new secret; the old one is kept until the given expiry.
  { s.rotate_secret(id, id, now, now) } -> std::same_as<result<endpoint_record>>;
  // Sets the status to suspended (engine only) and holds the pending deliveries.
  { s.suspend_endpoint(id, now) } -> std::same_as<result<endpoint_record>>;
  // Removes the endpoint if the version matches; its pending deliveries become failed.
  { s.delete_endpoint(id, version, now) } -> std::same_as<result<void>>;
  // The endpoints that are not inactive and subscribe to a topic (fan-out).
  { cs.endpoints_for_topic(id) } -> std::same_as<result<std::vector<shared_endpoint_record>>>;
  // One page of endpoints, and their number, under a filter.
  { cs.list_endpoints(filter, page_req) } -> std::same_as<result<page<endpoint_record>>>;
  { cs.count_endpoints(filter) } -> std::same_as<result<std::int64_t>>;
};

/** Takes in events with their deliveries, durably, in one step.

    Requirement 5 of `delivery_store`.
*/
template <class S>
concept event_sink = requires(S& s, const enqueue_request& request, timestamp now) {
  // Stores the event and all its deliveries, or nothing.
  { s.enqueue(request, now) } -> std::same_as<result<enqueue_result>>;
};

/** Hands out due deliveries under leases.

    Requirements 6-8 of `delivery_store`.
*/
template <class S>
concept delivery_source = requires(S& s, const S& cs, const claim_request& request,
                                   std::string_view owner, timestamp now) {
  // Leases up to request.max due deliveries that no live lease holds, atomically.
  { s.claim_due(request) } -> std::same_as<result<std::vector<claimed_delivery>>>;
  // Gives back every lease of an owner; returns how many there were.
  { s.release(owner) } -> std::same_as<result<std::size_t>>;
  // A lower bound of the next moment claim_due could return something; nullopt: never.
  { cs.next_due_at(now) } -> std::same_as<result<std::optional<timestamp>>>;
};

/** Takes the outcomes of attempts, many at once, idempotently.

    Requirement 9 of `delivery_store`.
*/
template <class S>
concept outcome_sink = requires(S& s, std::span<const attempt_outcome> outcomes, timestamp now) {
  // Per outcome: the attempt row, the delivery's new state, the lease released, the
  // endpoint's health; lease_lost for an outcome whose lease is gone.
  { s.record(outcomes, now) } -> std::same_as<result<std::vector<record_result>>>;
};

/** Reads the history for the REST layer: get by id, cursor pages, counts.

    Requirement 10 of `delivery_store`.
*/
template <class S>
concept history_reader = requires(const S& cs, std::string_view id, const page_request& page_req,
                                  const event_filter& events, const delivery_filter& deliveries,
                                  const attempt_filter& attempts) {
  // One record by id, or errc::not_found.
  { cs.get_event(id) } -> std::same_as<result<model::event>>;
  { cs.get_delivery(id) } -> std::same_as<result<model::webhook_delivery>>;
  { cs.get_attempt(id) } -> std::same_as<result<model::webhook_delivery_attempt>>;
  // One page, in ascending id order, under a filter.
  { cs.list_events(events, page_req) } -> std::same_as<result<page<model::event>>>;
  { cs.list_deliveries(deliveries, page_req) } -> std::same_as<result<page<model::webhook_delivery>>>;
  { cs.list_attempts(attempts, page_req) }
      -> std::same_as<result<page<model::webhook_delivery_attempt>>>;
  // How many records pass a filter (totalCount).
  { cs.count_events(events) } -> std::same_as<result<std::int64_t>>;
  { cs.count_deliveries(deliveries) } -> std::same_as<result<std::int64_t>>;
  { cs.count_attempts(attempts) } -> std::same_as<result<std::int64_t>>;
};

/** Retention and metrics.

    Requirement 11 of `delivery_store`.
*/
template <class S>
concept store_maintenance = requires(S& s, const S& cs, const purge_request& request,
                                     timestamp now) {
  // Removes old history; never an undelivered delivery unless asked.
  { s.purge(request) } -> std::same_as<result<purge_report>>;
  // Queue depth and totals.
  { cs.stats(now) } -> std::same_as<result<store_stats>>;
};

/** Where webhookd keeps endpoints, events, deliveries and attempts.

    The engine is `template <delivery_store Store> class engine`; the REST layer reads
    through the same object. `memory_store` is the reference implementation; the
    SQLite and PostgreSQL adapters implement the same contract, and
    `testing/store_conformance.hpp` checks any implementation against it.

    Every call is synchronous and returns `result<T>`: an error code is a failure of
    the store (I/O, constraint) or one of the errors named below, never an exception.
    A failed call changes nothing. Ids are opaque strings compared as bytes (in SQL:
    `COLLATE "C"`); the caller makes them (`id_generator`), so they sort in creation
    order. Time is always passed in (`now`), never read from a clock, so leases and
    windows are testable in virtual time.

    Requirements, each with its reason:

    1. **Endpoints are versioned records.** `create_endpoint` stores version 1
       (`store_errc::duplicate_id` if the id exists); every change of the resource or
       its secret adds 1; `update_endpoint` and `delete_endpoint` take the version the
       caller read (`any_version` to skip the check) and fail with
       `store_errc::version_mismatch` otherwise. *Why:* the REST layer's ETags and
       `If-Match` (SPEC.md Part 1 §16) need a compare-and-set that a second writer
       (another API node, the engine suspending the endpoint) cannot slip past.
       `update_endpoint` keeps `id`, `secret`, `created_at`, sets `last_updated_at` to
       `now`, and leaves health alone.
    2. **Held deliveries follow the endpoint's status.** Invariant: an undelivered
       delivery of an endpoint that is not `active` has `next_attempt_at` nullopt
       (it is *held*), unless it was enqueued with `ignore_endpoint_status`.
       `suspend_endpoint` and an update away from `active` hold them; an update back
       to `active` schedules every held one at `now`, so claims take them oldest
       first (requirement 6). `enqueue` and `record` hold instead of scheduling when
       the endpoint is not active. *Why:* SPEC.md Part 1 §10 — a suspended endpoint
       keeps its deliveries and resumes them in order; doing it in the store makes it
       one transaction, so no other process can schedule a retry in between.
    3. **Deleting an endpoint fails its pending deliveries.** `delete_endpoint` removes
       the endpoint; its undelivered deliveries become `failed` with no next attempt
       and no lease; deliveries, events and attempts stay until purged. *Why:* SPEC.md
       Part 1 §10 (DELETE), and an in-flight attempt must then get `lease_lost`.
    4. **Secrets rotate with an overlap.** `rotate_secret(id, secret, previous_until,
       now)` moves the current secret to `previous_secret`, valid until
       `previous_until`. *Why:* Standard Webhooks mode signs with both during the
       overlap (SPEC.md Part 1 §11), across processes, so it lives in the store.
       `endpoints_for_topic(topic)` returns the endpoints whose status is not
       `inactive` and one of whose topics matches (`model::topic_matches`) — the
       fan-out of `publish` — as shared records that nobody changes afterwards (a
       store may hand the same copy to many calls while the endpoint is unchanged:
       `publish` runs it for every event).
    5. **`enqueue` is atomic and validated.** The event and all its deliveries are
       stored in one transaction, or nothing is: a duplicate event, delivery id
       (`store_errc::duplicate_id`), an unknown endpoint or event (`errc::not_found`),
       a delivery that names another event, is not undelivered, has attempts or no
       `next_attempt_at` (`store_errc::invalid_request`) fail the whole request. With
       an idempotency key seen within its window, nothing is stored and the first
       event is returned with `replayed`. *Why:* a delivery is durable before its first
       attempt (SPEC.md Part 1 §18), one round trip serves a whole fan-out, and a
       publisher that retries after a timeout must not fan out twice.
    6. **`claim_due` leases atomically.** It returns up to `max` undelivered deliveries
       with `next_attempt_at <= now` whose lease is absent or expired (`until <= now`),
       ordered by (`next_attempt_at`, id), and leases each to (`owner`,
       `now + lease_duration`) in the same step. `max_in_flight_per_endpoint` and
       `fifo` restrict it per endpoint (see `claim_request`). Each claimed delivery
       comes with its endpoint and event. *Why:* several processes may share a store
       (`FOR UPDATE SKIP LOCKED` in PostgreSQL): no delivery may be claimed twice
       under live leases, and a crashed process's work must come back by itself when
       its leases expire. Per-endpoint limits must count every process's leases, so
       they are applied here (SPEC.md Part 1 §6).
    7. **Leases can be given back.** `release(owner)` drops every lease of `owner`,
       leaving the deliveries due as they were. *Why:* a graceful stop hands its work
       over at once; on start, a process that reuses its owner name releases what a
       previous run left (recovery is that plus the normal claim loop: expired leases
       are claimable, requirement 6).
    8. **`next_due_at(now)` is a lower bound.** No claim at a time before it returns
       anything (ignoring limits and FIFO); nullopt when nothing is scheduled. *Why:*
       the engine arms its timer from it instead of polling.
    9. **`record` is idempotent and lease-checked.** For each outcome, in one
       transaction: if an attempt with that id exists, nothing changes
       (`already_recorded`); else if the delivery does not exist, `errc::not_found`;
       else if the delivery's lease is not exactly the outcome's lease (released,
       re-claimed by anyone, or the delivery deleted), `errc::lease_lost` and nothing
       changes; else the attempt is stored, `attempts_count` grows by 1, the status and
       `next_attempt_at` are set (nullopt unless undelivered; held per requirement 2),
       the lease is dropped and the endpoint's health updated (`endpoint_health`).
       A lease that expired but was not claimed again is still the outcome's. Errors
       of single outcomes are in their `record_result`; the call fails only when the
       store does. *Why:* a retried `record` (timeout after commit) must not count an
       attempt twice, and two processes that both sent the same delivery (a lease ran
       out) must not both write its outcome.
    10. **Listings are cursor pages in creation order.** `list_*` return items in
        ascending id order, at most `limit` (0 to 100; larger is
        `store_errc::invalid_request`), from the cursor's key exclusive, with `prev` /
        `next` cursors (see `page`); filters are `value_filter`s; `count_*` count what
        the filter passes. A cursor on a key that no longer exists still works. *Why:*
        SPEC.md Part 1 §14-15: items that exist while a client pages are seen exactly
        once, whatever is inserted meanwhile.
    11. **Retention never loses pending work.** `purge` removes deliveries created
        before the cutoff whose status is not undelivered (all of them with
        `include_pending`), their attempts, and events created before the cutoff with
        no delivery left. `stats(now)` counts at one instant. *Why:* SPEC.md Part 1
        §17-18.

    Complexity: claims, records and single reads should cost O(log n) or one indexed
    query per item; listings O(limit) plus the seek.

    Optional: `record_then_claim(outcomes, claim_request, now)` returning
    `result<record_and_claim_result>` (see `records_then_claims`). A store whose writes
    are round trips (a commit, a server) may offer it: `record` then `claim_due` in one
    transaction, the claim seeing the leases the outcomes dropped. The engine then
    claims with its records, one round trip per cycle instead of two, which is what
    bounds a busy endpoint at its in-flight limit.

    @par Thread safety
    Implementations must be safe to call from several threads at once
    (Shared objects: Safe), and several processes may share one database.

    @see memory_store, testing/store_conformance.hpp, docs/concepts/delivery_store.md
*/
/// A store offering the optional one-transaction `record_then_claim` (see above).
template <class S>
concept records_then_claims =
    requires(S& s, std::span<const attempt_outcome> outcomes, const claim_request& request,
             timestamp now) {
      { s.record_then_claim(outcomes, request, now) } -> std::same_as<result<record_and_claim_result>>;
    };

template <class S>
concept delivery_store = endpoint_store<S> && event_sink<S> && delivery_source<S> &&
                         outcome_sink<S> && history_reader<S> && store_maintenance<S>;

} // namespace webhookd::store

#endif // WEBHOOKD_STORE_DELIVERY_STORE_HPP
