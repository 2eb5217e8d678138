// SPDX-License-Identifier: MIT
// postgres_store: a delivery_store in PostgreSQL, shared by several engine processes.
#ifndef WEBHOOKD_STORE_POSTGRES_STORE_HPP
#define WEBHOOKD_STORE_POSTGRES_STORE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/topic.hpp>
#include <webhookd/store/delivery_store.hpp>
#include <webhookd/store/detail/contract.hpp>
#include <webhookd/store/postgres/codec.hpp>
#include <webhookd/store/postgres/connection.hpp>
#include <webhookd/store/postgres/error.hpp>
#include <webhookd/store/postgres/pool.hpp>
#include <webhookd/store/postgres/schema.hpp>
#include <webhookd/store/records.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace webhookd::store {

/** How to reach the database of a `postgres_store`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct postgres_options {
  /// A libpq connection string or URI, e.g. `"host=db dbname=webhookd user=webhookd"`.
  /// The tables live in the connection's current schema: to keep several stores in
  /// one database, give each a schema with `options='-c search_path=name'`.
  std::string conninfo;
  /// How many connections the store opens at most (calls beyond wait for one).
  std::size_t pool_size = 4;
};

/** A `delivery_store` in PostgreSQL: durable, and shared by any number of engine
    processes on any number of machines.

    **Sharing the queue.** Due work is claimed with `SELECT ... FOR UPDATE SKIP LOCKED`
    and leased: the lease (`lease_owner`, `lease_until`) is written in the claiming
    transaction, so a delivery is held by one process at a time, and a process that
    dies simply lets its leases run out, after which any other claims the work
    (`delivery_store` requirement 6). A claim with per-endpoint limits or FIFO must
    count the leases of every process, which row locks on the deliveries cannot
    serialise (two claimers would each count the other's uncommitted leases as
    absent). Such a claim therefore first takes a transaction-level advisory lock per
    endpoint with `pg_try_advisory_xact_lock`, skipping the endpoints another claimer
    holds — `SKIP LOCKED` at the endpoint's grain — and counts leases under it.

    **Batches.** A batch costs the same few statements whatever its size: each column
    travels as one array parameter, unpacked by `unnest`. `enqueue` validates the whole
    request with one query and stores the event and all its deliveries with one
    statement, in one transaction; `record` locks the outcomes' endpoints and
    deliveries, reads which attempts exist, computes every new state, and writes the
    attempts, deliveries and health with one statement. Row locks are taken endpoints
    first, then deliveries, each by id, so the store's own transactions do not deadlock;
    a deadlock against a host's transactions is retried.

    **Lost connections.** Calls run on a small pool of connections
    (`postgres::pool`). A connection found broken is reset and the call runs again
    when that is safe: always when the break came before COMMIT; after an unanswered
    COMMIT only for the idempotent calls — `record` (by attempt id: a second run
    reports `already_recorded`), `enqueue` (by ids: rows found identical to the
    request are its own, committed by the lost try, and count as success), claims
    (a lost claim's leases expire), releases, purges and reads. Endpoint changes under
    a version check are not re-run after an unanswered COMMIT; they fail with the
    connection error and the caller reads the endpoint again.

    **Schema.** Created or migrated by `open`, by version number, under an
    advisory lock (`postgres::ensure_schema`); a database whose schema is newer than
    this code is refused with `errc::schema_too_new`, untouched. Ids are
    `text COLLATE "C"`, times bigint milliseconds (exact round trip).

    **Values.** Events and endpoints are kept as their JSON (the model's `to_json`)
    beside the columns queries use, so they come back as given, except that JSON
    normalises references whose type the schema fixes (an event's
    `businessEstablishment` is always of type `business-establishment`). Deliveries
    and attempts are plain columns.

    Calls block on the network: `is_blocking` is true and the engine runs them on its
    worker pool.

    @par Example
    @code
    auto store = webhookd::store::postgres_store::open({"host=db dbname=webhookd"});
    if (!store) return fail(store.error()); // e.g. errc::schema_too_new
    webhookd::engine engine(executor, **store, options);
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class postgres_store {
public:
  /// Calls wait on the database: the engine calls them on a worker pool.
  static constexpr bool is_blocking = true;

  /** Connects, creates or migrates the schema, and returns the store.
      @returns the store, `errc::schema_too_new`, or the connection's error (an error
      code of `postgres::postgres_category()`).
  */
  static result<std::unique_ptr<postgres_store>> open(postgres_options options) {
    std::unique_ptr<postgres_store> store(new postgres_store(std::move(options)));
    if (auto made = postgres::ensure_schema(store->pool_); !made) return unexpected(made.error());
    return store;
  }

  postgres_store(const postgres_store&) = delete;
  postgres_store& operator=(const postgres_store&) = delete;

  /// The connection pool, for diagnostics and tests (e.g. the backends' pids).
  postgres::pool& connections() noexcept { return pool_; }

  // --- endpoints (requirements 1-4) ---------------------------------------------------

  /// Stores a new endpoint with version 1. @returns it, or `store_errc::duplicate_id`.
  result<endpoint_record> create_endpoint(const endpoint_record& record) {
    if (record.endpoint.id.empty()) return fail(store_errc::invalid_request);
    endpoint_record stored = record;
    stored.version = 1;
    // In a transaction although it is one statement: a connection found broken at
    // BEGIN can be retried, whereas an INSERT that went unanswered may have committed.
    return run<endpoint_record>(
        "BEGIN", postgres::retry_mode::before_commit,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<endpoint_record> {
          postgres::params p;
          const std::string sql =
              "INSERT INTO webhookd_endpoints (" + std::string(postgres::codec::endpoint_columns) +
              ") VALUES (" + p.add(stored.endpoint.id) + ", " +
              p.add(model::to_string(stored.endpoint.status)) + ", 1, " +
              p.add(postgres::codec::endpoint_doc(stored.endpoint)) + ", " +
              p.add(stored.previous_secret) +
              ", " + add_int(p, postgres::codec::millis(stored.previous_secret_expires_at)) + ", " +
              p.add(std::int64_t{stored.health.consecutive_failed_deliveries}) + ", " +
              add_int(p, postgres::codec::millis(stored.health.last_success_at)) + ", " +
              add_int(p, postgres::codec::millis(stored.health.failing_since)) +
              ") ON CONFLICT (id) DO NOTHING";
          auto r = c.exec(sql, p);
          if (!r) return unexpected(r.error());
          if (r->affected() == 0) return fail(store_errc::duplicate_id);
          return stored;
        });
  }

  /// The endpoint with this id, or `errc::not_found`.
  result<endpoint_record> get_endpoint(std::string_view id) const {
    return run<endpoint_record>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<endpoint_record> {
          auto e = select_endpoint(c, id, false);
          if (!e) return unexpected(e.error());
          if (!*e) return fail(errc::not_found);
          return std::move(**e);
        });
  }

  /** Replaces the writable fields of the endpoint `endpoint.id` with `endpoint`'s.

      Keeps `id`, `url`, `secret`, `created_at` and health; sets `last_updated_at` to
      `now`; adds 1 to the version. Leaving `active` holds the pending deliveries,
      returning to it schedules them at `now`.
      @returns the new record, `errc::not_found` or `store_errc::version_mismatch`.
  */
  result<endpoint_record> update_endpoint(const model::webhook_endpoint& endpoint,
                                          std::uint64_t version, timestamp now) {
    return change_endpoint(endpoint.id, version, now, [&](endpoint_record& r) {
      model::webhook_endpoint& e = r.endpoint;
      detail::apply_endpoint_update(e, endpoint, now);
      return true;
    });
  }

  /// Makes `secret` current and keeps the old one until `previous_until`.
  result<endpoint_record> rotate_secret(std::string_view id, std::string_view secret,
                                        timestamp previous_until, timestamp now) {
    if (secret.empty()) return fail(store_errc::invalid_request);
    return change_endpoint(id, any_version, now, [&](endpoint_record& r) {
      r.previous_secret = std::move(r.endpoint.secret);
      r.previous_secret_expires_at = previous_until;
      r.endpoint.secret = std::string(secret);
      r.endpoint.last_updated_at = now;
      return true;
    });
  }

  /// Suspends the endpoint and holds its pending deliveries (a no-op if suspended).
  result<endpoint_record> suspend_endpoint(std::string_view id, timestamp now) {
    return change_endpoint(id, any_version, now, [&](endpoint_record& r) {
      if (r.endpoint.status == model::endpoint_status::suspended) return false;
      r.endpoint.status = model::endpoint_status::suspended;
      r.endpoint.last_updated_at = now;
      return true;
    });
  }

  /// Removes the endpoint; its undelivered deliveries become failed, leases dropped.
  result<void> delete_endpoint(std::string_view id, std::uint64_t version, timestamp) {
    return run<void>(
        "BEGIN", postgres::retry_mode::before_commit,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<void> {
          auto e = select_endpoint(c, id, true);
          if (!e) return unexpected(e.error());
          if (!*e) return fail(errc::not_found);
          if (version != any_version && version != (*e)->version)
            return fail(store_errc::version_mismatch);
          postgres::params p;
          const auto key = p.add(id);
          auto failed = c.exec("UPDATE webhookd_deliveries SET status = 'failed', "
                               "next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL "
                               "WHERE endpoint_id = " + key + " AND status = 'undelivered'",
                               p);
          if (!failed) return unexpected(failed.error());
          auto gone = c.exec("DELETE FROM webhookd_endpoints WHERE id = " + key, p);
          if (!gone) return unexpected(gone.error());
          return {};
        });
  }

  /// The endpoints that are not inactive and subscribe to `topic`, in id order.
  result<std::vector<shared_endpoint_record>> endpoints_for_topic(std::string_view topic) const {
    using out_type = std::vector<shared_endpoint_record>;
    return run<out_type>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<out_type> {
          auto r = c.exec("SELECT " + std::string(postgres::codec::endpoint_columns) +
                          " FROM webhookd_endpoints WHERE status <> 'inactive' ORDER BY id");
          if (!r) return unexpected(r.error());
          out_type out;
          for (int i = 0; i < r->size(); ++i) {
            auto e = postgres::codec::read_endpoint(*r, i);
            const auto& topics = e.endpoint.topics;
            if (std::any_of(topics.begin(), topics.end(), [&](const std::string& pattern) {
                  return model::topic_matches(pattern, topic);
                }))
              out.push_back(std::make_shared<const endpoint_record>(std::move(e)));
          }
          return out;
        });
  }

  /// One page of endpoints.
  result<page<endpoint_record>> list_endpoints(const endpoint_filter& filter,
                                               const page_request& request) const {
    postgres::params p;
    std::string where = "TRUE";
    where_in(where, p, "status", filter.status, status_text<model::endpoint_status>);
    return list_page<endpoint_record>("webhookd_endpoints", postgres::codec::endpoint_columns,
                                      where, p,
                                      request, [](const postgres::rows& r, int i) {
                                        return postgres::codec::read_endpoint(r, i);
                                      });
  }

  /// How many endpoints pass `filter`.
  result<std::int64_t> count_endpoints(const endpoint_filter& filter) const {
    postgres::params p;
    std::string where = "TRUE";
    where_in(where, p, "status", filter.status, status_text<model::endpoint_status>);
    return count("webhookd_endpoints", where, p);
  }

  // --- enqueue (requirement 5) --------------------------------------------------------

  /// Stores an event and its deliveries, all or nothing (see `delivery_store` 5).
  result<enqueue_result> enqueue(const enqueue_request& request, timestamp now) {
    if (request.idempotency_key && !request.event) return fail(store_errc::invalid_request);
    return run<enqueue_result>(
        "BEGIN", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context& context) {
          return enqueue_in(c, context, request, now);
        });
  }

  // --- claims (requirements 6-8) ------------------------------------------------------

  /// Leases up to `request.max` due deliveries (see `delivery_store` 6).
  result<std::vector<claimed_delivery>> claim_due(const claim_request& request) {
    if (!request.valid())
      return fail(store_errc::invalid_request);
    using out_type = std::vector<claimed_delivery>;
    if (request.max == 0) return out_type{};
    // A claim whose COMMIT went unanswered may have leased deliveries nobody will
    // send: they come back when the leases expire, so running it again is safe.
    return run<out_type>(
        "BEGIN", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) {
          return claim_in(c, request);
        });
  }

  /// Drops every lease held by `owner`. @returns how many.
  result<std::size_t> release(std::string_view owner) {
    return run<std::size_t>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<std::size_t> {
          postgres::params p;
          auto r = c.exec("UPDATE webhookd_deliveries SET lease_owner = NULL, lease_until = NULL "
                          "WHERE lease_owner = " + p.add(owner) + " AND status = 'undelivered'",
                          p);
          if (!r) return unexpected(r.error());
          return static_cast<std::size_t>(r->affected());
        });
  }

  /// A lower bound of the next time `claim_due` could return something.
  result<std::optional<timestamp>> next_due_at(timestamp now) const {
    using out_type = std::optional<timestamp>;
    return run<out_type>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<out_type> {
          postgres::params p;
          const auto at = p.add(postgres::codec::millis(now));
          // The earliest free one comes first in the `due` index; leased ones (few: at
          // most what is in flight) are due again when their lease ends.
          auto r = c.exec(
              "SELECT least("
              "(SELECT next_attempt_at FROM webhookd_deliveries WHERE status = 'undelivered' "
              "AND next_attempt_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= " + at +
                  ") ORDER BY next_attempt_at LIMIT 1), "
              "(SELECT min(greatest(next_attempt_at, lease_until)) FROM webhookd_deliveries "
              "WHERE lease_owner IS NOT NULL AND status = 'undelivered' AND "
              "next_attempt_at IS NOT NULL AND lease_until > " + at + "))",
              p);
          if (!r) return unexpected(r.error());
          return postgres::codec::from_millis(r->opt_integer(0, 0));
        });
  }

  // --- outcomes (requirement 9) -------------------------------------------------------

  /// Records attempts and their deliveries' new state (see `delivery_store` 9).
  result<std::vector<record_result>> record(std::span<const attempt_outcome> outcomes,
                                            timestamp /*now*/) {
    using out_type = std::vector<record_result>;
    if (outcomes.empty()) return out_type{};
    return run<out_type>(
        "BEGIN", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) {
          return record_in(c, outcomes);
        });
  }

  /// `record(outcomes, now)`, then `claim_due(request)`, in one transaction: one
  /// round trip of BEGIN..COMMIT instead of two for the engine's record-and-claim
  /// cycle (the optional member of `delivery_store`). The claim sees the leases the
  /// outcomes dropped. Both halves are safe to run again (see `record`, `claim_due`).
  result<record_and_claim_result> record_then_claim(std::span<const attempt_outcome> outcomes,
                                                    const claim_request& request,
                                                    timestamp /*now*/) {
    if (!request.valid()) return fail(store_errc::invalid_request);
    return run<record_and_claim_result>(
        "BEGIN", postgres::retry_mode::idempotent,
        [&](postgres::connection& c,
            const postgres::attempt_context&) -> result<record_and_claim_result> {
          record_and_claim_result out;
          if (!outcomes.empty()) {
            auto recorded = record_in(c, outcomes);
            if (!recorded) return unexpected(recorded.error());
            out.recorded = std::move(*recorded);
          }
          if (request.max > 0) {
            auto claimed = claim_in(c, request);
            if (!claimed) return unexpected(claimed.error());
            out.claimed = std::move(*claimed);
          }
          return out;
        });
  }

  // --- history (requirement 10) -------------------------------------------------------

  /// The event with this id, or `errc::not_found`.
  result<model::event> get_event(std::string_view id) const {
    return run<model::event>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<model::event> {
          postgres::params p;
          auto r = c.exec("SELECT doc FROM webhookd_events WHERE id = " + p.add(id), p);
          if (!r) return unexpected(r.error());
          if (r->empty()) return fail(errc::not_found);
          return postgres::codec::read_event(r->text(0, 0));
        });
  }

  /// The delivery with this id, or `errc::not_found`.
  result<model::webhook_delivery> get_delivery(std::string_view id) const {
    using out_type = model::webhook_delivery;
    return run<out_type>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<out_type> {
          postgres::params p;
          auto r = c.exec("SELECT " + std::string(postgres::codec::delivery_columns) +
                              " FROM webhookd_deliveries WHERE id = " + p.add(id),
                          p);
          if (!r) return unexpected(r.error());
          if (r->empty()) return fail(errc::not_found);
          return postgres::codec::read_delivery(*r, 0);
        });
  }

  /// The attempt with this id, or `errc::not_found`.
  result<model::webhook_delivery_attempt> get_attempt(std::string_view id) const {
    using out_type = model::webhook_delivery_attempt;
    return run<out_type>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<out_type> {
          postgres::params p;
          auto r = c.exec("SELECT " + std::string(postgres::codec::attempt_columns) +
                              " FROM webhookd_attempts WHERE id = " + p.add(id),
                          p);
          if (!r) return unexpected(r.error());
          if (r->empty()) return fail(errc::not_found);
          return postgres::codec::read_attempt(*r, 0);
        });
  }

  /// One page of events.
  result<page<model::event>> list_events(const event_filter& filter,
                                         const page_request& request) const {
    postgres::params p;
    std::string where = "TRUE";
    where_in(where, p, "topic", filter.topic, same_text);
    return list_page<model::event>("webhookd_events", "id, doc", where, p, request,
                                   [](const postgres::rows& r, int i) {
                                     return postgres::codec::read_event(r.text(i, 1));
                                   });
  }

  /// One page of deliveries.
  result<page<model::webhook_delivery>> list_deliveries(const delivery_filter& filter,
                                                        const page_request& request) const {
    postgres::params p;
    const std::string where = delivery_where(filter, p);
    return list_page<model::webhook_delivery>(
        "webhookd_deliveries", postgres::codec::delivery_columns, where, p, request,
        [](const postgres::rows& r, int i) { return postgres::codec::read_delivery(r, i); });
  }

  /// One page of attempts.
  result<page<model::webhook_delivery_attempt>> list_attempts(const attempt_filter& filter,
                                                              const page_request& request) const {
    postgres::params p;
    const std::string where = attempt_where(filter, p);
    return list_page<model::webhook_delivery_attempt>(
        "webhookd_attempts", postgres::codec::attempt_columns, where, p, request,
        [](const postgres::rows& r, int i) { return postgres::codec::read_attempt(r, i); });
  }

  /// How many events pass `filter`.
  result<std::int64_t> count_events(const event_filter& filter) const {
    postgres::params p;
    std::string where = "TRUE";
    where_in(where, p, "topic", filter.topic, same_text);
    return count("webhookd_events", where, p);
  }

  /// How many deliveries pass `filter`.
  result<std::int64_t> count_deliveries(const delivery_filter& filter) const {
    postgres::params p;
    const std::string where = delivery_where(filter, p);
    return count("webhookd_deliveries", where, p);
  }

  /// How many attempts pass `filter`.
  result<std::int64_t> count_attempts(const attempt_filter& filter) const {
    postgres::params p;
    const std::string where = attempt_where(filter, p);
    return count("webhookd_attempts", where, p);
  }

  // --- maintenance (requirement 11) ---------------------------------------------------

  /// Removes old finished deliveries with their attempts, then old events left bare.
  result<purge_report> purge(const purge_request& request) {
    return run<purge_report>(
        "BEGIN", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<purge_report> {
          postgres::params p;
          const auto cutoff = p.add(postgres::codec::millis(request.older_than));
          const auto pending = p.add(request.include_pending);
          auto d = c.exec(
              "WITH gone AS (DELETE FROM webhookd_deliveries WHERE created_at < " + cutoff +
                  " AND (status <> 'undelivered' OR " + pending + "::boolean) RETURNING id), "
                  "attempts AS (DELETE FROM webhookd_attempts WHERE delivery_id IN "
                  "(SELECT id FROM gone) RETURNING 1) "
                  "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM attempts)",
              p);
          if (!d) return unexpected(d.error());
          postgres::params q;
          auto e = c.exec("DELETE FROM webhookd_events e WHERE created_at < " +
                              q.add(postgres::codec::millis(request.older_than)) +
                              " AND NOT EXISTS (SELECT 1 FROM webhookd_deliveries d "
                              "WHERE d.event_id = e.id)",
                          q);
          if (!e) return unexpected(e.error());
          auto k = c.exec("DELETE FROM webhookd_idempotency_keys k WHERE NOT EXISTS "
                          "(SELECT 1 FROM webhookd_events e WHERE e.id = k.event_id)");
          if (!k) return unexpected(k.error());
          purge_report report;
          report.deliveries = d->integer(0, 0);
          report.attempts = d->integer(0, 1);
          report.events = e->affected();
          return report;
        });
  }

  /// Queue depth and totals at `now` (one statement: one snapshot).
  result<store_stats> stats(timestamp now) const {
    return run<store_stats>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<store_stats> {
          postgres::params p;
          const auto at = p.add(postgres::codec::millis(now));
          const std::string live = "(lease_until IS NOT NULL AND lease_until > " + at + ")";
          auto r = c.exec(
              "SELECT "
              "count(*) FILTER (WHERE status = 'undelivered' AND next_attempt_at <= " + at +
                  " AND NOT " + live + "), "
                  "count(*) FILTER (WHERE status = 'undelivered' AND next_attempt_at IS NOT NULL), "
                  "count(*) FILTER (WHERE status = 'undelivered' AND next_attempt_at IS NULL), "
                  "count(*) FILTER (WHERE status = 'undelivered' AND " + live + "), "
                  "count(*) FILTER (WHERE status = 'delivered'), "
                  "count(*) FILTER (WHERE status = 'failed'), "
                  "(SELECT count(*) FROM webhookd_events), "
                  "(SELECT count(*) FROM webhookd_attempts), "
                  "(SELECT count(*) FROM webhookd_endpoints) "
                  "FROM webhookd_deliveries",
              p);
          if (!r) return unexpected(r.error());
          store_stats s;
          s.due = r->integer(0, 0);
          s.scheduled = r->integer(0, 1);
          s.held = r->integer(0, 2);
          s.in_flight = r->integer(0, 3);
          s.delivered = r->integer(0, 4);
          s.failed = r->integer(0, 5);
          s.events = r->integer(0, 6);
          s.attempts = r->integer(0, 7);
          s.endpoints = r->integer(0, 8);
          return s;
        });
  }

private:
  explicit postgres_store(postgres_options options)
      : pool_(std::move(options.conninfo), options.pool_size) {}

  static unexpected<std::error_code> fail(errc e) { return unexpected(make_error_code(e)); }
  static unexpected<std::error_code> fail(store_errc e) { return unexpected(make_error_code(e)); }

  static std::string add_int(postgres::params& p, std::optional<std::int64_t> v) {
    return v ? p.add(*v) : p.add_null();
  }

  template <class Enum>
  static std::string status_text(const Enum& s) {
    return std::string(model::to_string(s));
  }
  static std::string same_text(const std::string& s) { return s; }

  // Runs a body on the pool; a stored document that does not parse (a row written by
  // hand, say) becomes an error instead of an exception escaping a store call.
  template <class T, class Body>
  result<T> run(std::string_view begin, postgres::retry_mode mode, Body&& body) const {
    try {
      return pool_.run(begin, mode, [&](postgres::connection& c,
                                        const postgres::attempt_context& context) -> result<T> {
        return body(c, context);
      });
    } catch (const nlohmann::json::exception&) {
      return unexpected(std::make_error_code(std::errc::bad_message));
    }
  }

  // `AND column = ANY(include) AND NOT column = ANY(exclude)` for a value_filter.
  template <class T, class ToText>
  static void where_in(std::string& where, postgres::params& p, std::string_view column,
                       const value_filter<T>& filter, ToText to_text) {
    auto array_of = [&](const std::vector<T>& values) {
      postgres::array_builder a;
      for (const auto& v : values) a.push(std::string_view(to_text(v)));
      return p.add(a.str()) + "::text[]";
    };
    if (!filter.include.empty())
      where += " AND " + std::string(column) + " = ANY(" + array_of(filter.include) + ")";
    if (!filter.exclude.empty())
      where += " AND NOT (" + std::string(column) + " = ANY(" + array_of(filter.exclude) + "))";
  }

  static std::string delivery_where(const delivery_filter& filter, postgres::params& p) {
    std::string where = "TRUE";
    where_in(where, p, "endpoint_id", filter.endpoint_id, same_text);
    where_in(where, p, "event_id", filter.event_id, same_text);
    where_in(where, p, "status", filter.status, status_text<model::delivery_status>);
    return where;
  }

  static std::string attempt_where(const attempt_filter& filter, postgres::params& p) {
    std::string where = "TRUE";
    where_in(where, p, "delivery_id", filter.delivery_id, same_text);
    auto bool_text = [](bool b) { return std::string(b ? "true" : "false"); };
    where_in(where, p, "is_successful::text", filter.is_successful, bool_text);
    return where;
  }

  result<std::int64_t> count(std::string_view table, const std::string& where,
                             const postgres::params& p) const {
    return run<std::int64_t>(
        "", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<std::int64_t> {
          auto r = c.exec("SELECT count(*) FROM " + std::string(table) + " WHERE " + where, p);
          if (!r) return unexpected(r.error());
          return r->integer(0, 0);
        });
  }

  // A page of `table` (ascending ids) under a filter, per `delivery_store` 10: the
  // items and whether any passing item lies beyond each edge, read in one snapshot.
  template <class T, class Read>
  result<page<T>> list_page(std::string_view table, std::string_view columns,
                            const std::string& where, const postgres::params& filter_params,
                            const page_request& request, Read read) const {
    if (request.limit > max_page_limit) return fail(store_errc::invalid_request);
    if (request.limit == 0) return page<T>{};
    return run<page<T>>(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", postgres::retry_mode::idempotent,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<page<T>> {
          postgres::params p = filter_params;
          const bool backward =
              request.cursor && request.cursor->direction == page_direction::backward;
          std::string sql = "SELECT " + std::string(columns) + " FROM " + std::string(table) +
                            " WHERE " + where;
          if (request.cursor)
            sql += std::string(backward ? " AND id < " : " AND id > ") + p.add(request.cursor->key);
          sql += backward ? " ORDER BY id DESC" : " ORDER BY id";
          sql += " LIMIT " + p.add(static_cast<std::int64_t>(request.limit));
          auto r = c.exec(sql, p);
          if (!r) return unexpected(r.error());
          page<T> out;
          if (r->empty()) return out;
          std::vector<std::string> ids;
          for (int i = 0; i < r->size(); ++i) {
            out.items.push_back(read(*r, i));
            ids.push_back(r->str(i, 0));
          }
          if (backward) {
            std::reverse(out.items.begin(), out.items.end());
            std::reverse(ids.begin(), ids.end());
          }
          postgres::params q = filter_params;
          const std::string t(table);
          auto edges = c.exec("SELECT EXISTS (SELECT 1 FROM " + t + " WHERE " + where +
                                  " AND id < " + q.add(ids.front()) + "), EXISTS (SELECT 1 FROM " +
                                  t + " WHERE " + where + " AND id > " + q.add(ids.back()) + ")",
                              q);
          if (!edges) return unexpected(edges.error());
          if (edges->boolean(0, 0)) out.prev = cursor{ids.front(), page_direction::backward};
          if (edges->boolean(0, 1)) out.next = cursor{ids.back(), page_direction::forward};
          return out;
        });
  }

  // The endpoint `id`, locked FOR UPDATE when `lock`; nullopt when there is none.
  static result<std::optional<endpoint_record>> select_endpoint(postgres::connection& c,
                                                                std::string_view id, bool lock) {
    postgres::params p;
    auto r = c.exec("SELECT " + std::string(postgres::codec::endpoint_columns) +
                        " FROM webhookd_endpoints WHERE id = " + p.add(id) +
                        (lock ? " FOR UPDATE" : ""),
                    p);
    if (!r) return unexpected(r.error());
    if (r->empty()) return std::optional<endpoint_record>{};
    return std::optional<endpoint_record>(postgres::codec::read_endpoint(*r, 0));
  }

  // Reads the endpoint under a row lock, lets `change` edit it (false: leave it as
  // it is), writes it back with version + 1, and holds or schedules its pending
  // deliveries if it left or returned to `active` (`delivery_store` 2) — one
  // transaction, so no other process can schedule a retry in between.
  template <class Change>
  result<endpoint_record> change_endpoint(std::string_view id, std::uint64_t version,
                                          timestamp now, Change change) {
    return run<endpoint_record>(
        "BEGIN", postgres::retry_mode::before_commit,
        [&](postgres::connection& c, const postgres::attempt_context&) -> result<endpoint_record> {
          auto found = select_endpoint(c, id, true);
          if (!found) return unexpected(found.error());
          if (!*found) return fail(errc::not_found);
          endpoint_record r = std::move(**found);
          if (version != any_version && version != r.version)
            return fail(store_errc::version_mismatch);
          const auto old_status = r.endpoint.status;
          if (!change(r)) return r;
          ++r.version;
          postgres::params p;
          const auto key = p.add(r.endpoint.id);
          auto u = c.exec("UPDATE webhookd_endpoints SET status = " +
                              p.add(model::to_string(r.endpoint.status)) +
                              ", version = " + p.add(static_cast<std::int64_t>(r.version)) +
                              ", doc = " + p.add(postgres::codec::endpoint_doc(r.endpoint)) +
                              ", previous_secret = " + p.add(r.previous_secret) +
                              ", previous_secret_expires_at = " +
                              add_int(p, postgres::codec::millis(r.previous_secret_expires_at)) +
                              " WHERE id = " + key,
                          p);
          if (!u) return unexpected(u.error());
          const bool was_active = old_status == model::endpoint_status::active;
          const bool is_active = r.endpoint.status == model::endpoint_status::active;
          if (was_active != is_active) {
            postgres::params q;
            const std::string sql =
                is_active ? "UPDATE webhookd_deliveries SET next_attempt_at = " +
                                q.add(postgres::codec::millis(now)) + " WHERE endpoint_id = " +
                                q.add(r.endpoint.id) +
                                " AND status = 'undelivered' AND NOT ignore_endpoint_status "
                                "AND next_attempt_at IS NULL"
                          : "UPDATE webhookd_deliveries SET next_attempt_at = NULL "
                            "WHERE endpoint_id = " + q.add(r.endpoint.id) +
                                " AND status = 'undelivered' AND NOT ignore_endpoint_status "
                                "AND next_attempt_at IS NOT NULL";
            auto d = c.exec(sql, q);
            if (!d) return unexpected(d.error());
          }
          return r;
        });
  }

  // The stored deliveries of `ids` (or of `event_id`), by id.
  static result<std::vector<model::webhook_delivery>> select_deliveries(
      postgres::connection& c, std::string_view condition_column, const std::string& value,
      bool as_array) {
    postgres::params p;
    const std::string cond = std::string(condition_column) +
                             (as_array ? " = ANY(" + p.add(value) + "::text[])"
                                       : " = " + p.add(value));
    auto r = c.exec("SELECT " + std::string(postgres::codec::delivery_columns) +
                        " FROM webhookd_deliveries WHERE " + cond + " ORDER BY id",
                    p);
    if (!r) return unexpected(r.error());
    std::vector<model::webhook_delivery> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(postgres::codec::read_delivery(*r, i));
    return out;
  }

  result<enqueue_result> enqueue_in(postgres::connection& c,
                                    const postgres::attempt_context& context,
                                    const enqueue_request& request, timestamp now) {
    // An idempotent replay: the first event and its deliveries, nothing stored.
    if (request.idempotency_key) {
      postgres::params p;
      auto k = c.exec("SELECT k.event_id, e.doc FROM webhookd_idempotency_keys k "
                      "JOIN webhookd_events e ON e.id = k.event_id WHERE k.key = " +
                          p.add(*request.idempotency_key) +
                          " AND k.expires_at > " + p.add(postgres::codec::millis(now)),
                      p);
      if (!k) return unexpected(k.error());
      if (!k->empty()) {
        enqueue_result out;
        out.event = std::make_shared<const model::event>(postgres::codec::read_event(k->text(0, 1)));
        out.replayed = true;
        auto ds = select_deliveries(c, "event_id", k->str(0, 0), false);
        if (!ds) return unexpected(ds.error());
        out.deliveries = std::move(*ds);
        return out;
      }
    }

    // Validate everything before changing anything, in memory_store's order, from one
    // statement: the event, the delivery ids, the endpoints (and events). The endpoints
    // are locked FOR KEY SHARE: a delete or a status change (FOR UPDATE) waits for the
    // enqueue, or the enqueue for it, so its deliveries are held or failed as they
    // should; `record`'s health updates (FOR NO KEY UPDATE) do not wait.
    if (request.event && request.event->id.empty()) return fail(store_errc::invalid_request);
    postgres::array_builder delivery_ids, endpoint_ids, event_ids;
    for (const auto& d : request.deliveries) {
      delivery_ids.push(d.id);
      endpoint_ids.push(d.webhook_endpoint.id);
      event_ids.push(d.event.id);
    }
    postgres::params p;
    const std::string event_id = request.event ? request.event->id : std::string();
    auto found = c.exec(
        "WITH ep AS (SELECT id, status FROM webhookd_endpoints WHERE id = ANY(" +
            p.add(endpoint_ids.str()) + "::text[]) ORDER BY id FOR KEY SHARE) "
            "SELECT 'endpoint', id, status FROM ep UNION ALL "
            "SELECT 'event', id, NULL FROM webhookd_events WHERE id = " + p.add(event_id) +
            " OR (" + p.add(!request.event) + "::boolean AND id = ANY(" + p.add(event_ids.str()) +
            "::text[])) UNION ALL "
            "SELECT 'delivery', id, NULL FROM webhookd_deliveries WHERE id = ANY(" +
            p.add(delivery_ids.str()) + "::text[])",
        p);
    if (!found) return unexpected(found.error());
    std::set<std::string, std::less<>> events, deliveries;
    std::map<std::string, model::endpoint_status, std::less<>> endpoints;
    for (int i = 0; i < found->size(); ++i) {
      const auto kind = found->text(i, 0);
      if (kind == "event") events.insert(found->str(i, 1));
      else if (kind == "delivery") deliveries.insert(found->str(i, 1));
      else
        endpoints.emplace(found->str(i, 1), model::parse_endpoint_status(found->text(i, 2))
                                                .value_or(model::endpoint_status::inactive));
    }
    // A try whose COMMIT went unanswered may have stored this very request: its rows,
    // if identical, are the success that was not heard.
    if (context.maybe_committed && ((request.event && events.contains(event_id)) ||
                                    (!request.deliveries.empty() && !deliveries.empty())))
      return already_enqueued(c, request);
    if (request.event && events.contains(event_id)) return fail(store_errc::duplicate_id);
    if (const auto ec = detail::check_new_deliveries(
            request, [&](const std::string& id) { return deliveries.contains(id); },
            [&](const std::string& id) { return events.contains(id); },
            [&](const std::string& id) { return endpoints.contains(id); }))
      return unexpected(ec);

    // Apply: the event and all its deliveries in one statement, then the key.
    enqueue_result out;
    postgres::params q;
    std::string sql;
    if (request.event) {
      sql = "WITH new_event AS (INSERT INTO webhookd_events (id, topic, created_at, doc) VALUES (" +
            q.add(request.event->id) + ", " + q.add(request.event->topic) + ", " +
            q.add(postgres::codec::millis(now)) + ", " +
            q.add(postgres::codec::event_doc(*request.event)) + ")) ";
      out.event = std::make_shared<const model::event>(*request.event);
    }
    if (!request.deliveries.empty()) {
      postgres::array_builder id, url, ev, ev_type, ev_url, ep, ep_type, ep_url, next, extra;
      for (const auto& d : request.deliveries) {
        model::webhook_delivery stored = d;
        const auto status = endpoints.find(d.webhook_endpoint.id)->second;
        if (!request.ignore_endpoint_status && status != model::endpoint_status::active)
          stored.next_attempt_at.reset();
        id.push(d.id);
        url.push(d.url);
        ev.push(d.event.id);
        ev_type.push(d.event.type);
        ev_url.push(d.event.url);
        ep.push(d.webhook_endpoint.id);
        ep_type.push(d.webhook_endpoint.type);
        ep_url.push(d.webhook_endpoint.url);
        next.push_int(postgres::codec::millis(stored.next_attempt_at));
        const auto x = postgres::codec::extra_doc(d);
        extra.push(x ? std::optional<std::string_view>(*x) : std::nullopt);
        out.deliveries.push_back(std::move(stored));
      }
      sql += "INSERT INTO webhookd_deliveries (id, url, event_id, event_type, event_url, "
             "endpoint_id, endpoint_type, endpoint_url, status, next_attempt_at, attempts_count, "
             "ignore_endpoint_status, created_at, extra) "
             "SELECT u.id, u.url, u.ev, u.ev_type, u.ev_url, u.ep, u.ep_type, u.ep_url, "
             "'undelivered', u.next, 0, " + q.add(request.ignore_endpoint_status) + "::boolean, " +
             q.add(postgres::codec::millis(now)) + "::bigint, u.extra FROM unnest(" +
             q.add(id.str()) + "::text[], " + q.add(url.str()) + "::text[], " + q.add(ev.str()) +
             "::text[], " + q.add(ev_type.str()) + "::text[], " + q.add(ev_url.str()) +
             "::text[], " + q.add(ep.str()) + "::text[], " + q.add(ep_type.str()) + "::text[], " +
             q.add(ep_url.str()) + "::text[], " + q.add(next.str()) + "::bigint[], " +
             q.add(extra.str()) +
             "::text[]) AS u(id, url, ev, ev_type, ev_url, ep, ep_type, ep_url, next, extra)";
    } else if (request.event) {
      sql += "SELECT 1";
    }
    if (!sql.empty()) {
      auto stored = c.exec(sql, q);
      if (!stored) return unique_to_duplicate(stored.error());
    }
    if (request.idempotency_key) {
      // Taken over only once expired; a key another publisher stored since our check
      // sends the whole call round again, to replay it.
      postgres::params q;
      auto k = c.exec("INSERT INTO webhookd_idempotency_keys AS k (key, event_id, expires_at) "
                      "VALUES (" + q.add(*request.idempotency_key) + ", " +
                          q.add(request.event->id) + ", " +
                          q.add(postgres::codec::millis(now + request.idempotency_window)) +
                          ") ON CONFLICT (key) DO UPDATE SET event_id = EXCLUDED.event_id, "
                          "expires_at = EXCLUDED.expires_at WHERE k.expires_at <= " +
                          q.add(postgres::codec::millis(now)),
                      q);
      if (!k) return unexpected(k.error());
      if (k->affected() == 0)
        return unexpected(postgres::sqlstate_code(postgres::sqlstate::serialization_failure));
    }
    return out;
  }

  // Another transaction inserted the same id since our check: the same answer as if
  // we had seen it.
  static unexpected<std::error_code> unique_to_duplicate(const std::error_code& ec) {
    if (postgres::is_sqlstate(ec, postgres::sqlstate::unique_violation))
      return fail(store_errc::duplicate_id);
    return unexpected(ec);
  }

  // After an unanswered COMMIT: success if the stored rows are the request's own.
  static result<enqueue_result> already_enqueued(postgres::connection& c,
                                                 const enqueue_request& request) {
    enqueue_result out;
    if (request.event) {
      postgres::params p;
      auto e = c.exec("SELECT doc FROM webhookd_events WHERE id = " + p.add(request.event->id), p);
      if (!e) return unexpected(e.error());
      if (e->empty() || postgres::codec::read_event(e->text(0, 0)) != *request.event)
        return fail(store_errc::duplicate_id);
      out.event = std::make_shared<const model::event>(*request.event);
    }
    postgres::array_builder ids;
    for (const auto& d : request.deliveries) ids.push(d.id);
    auto stored = select_deliveries(c, "id", ids.str(), true);
    if (!stored) return unexpected(stored.error());
    std::map<std::string_view, const model::webhook_delivery*> by_id;
    for (const auto& d : *stored) by_id.emplace(d.id, &d);
    for (const auto& d : request.deliveries) {
      const auto it = by_id.find(d.id);
      // The parts a delivery never changes; its state may have moved on since.
      if (it == by_id.end() || it->second->url != d.url || it->second->event != d.event ||
          it->second->webhook_endpoint != d.webhook_endpoint || it->second->links != d.links ||
          it->second->embedded != d.embedded)
        return fail(store_errc::duplicate_id);
      out.deliveries.push_back(*it->second);
    }
    return out;
  }

  result<std::vector<claimed_delivery>> claim_in(postgres::connection& c,
                                                 const claim_request& request) {
    postgres::params p;
    const auto now = p.add(postgres::codec::millis(request.now));
    const auto until = p.add(postgres::codec::millis(request.now + request.lease_duration));
    const auto owner = p.add(request.owner);
    const auto max = p.add(static_cast<std::int64_t>(request.max));
    const std::string free = "(lease_until IS NULL OR lease_until <= " + now + ")";
    const std::string due = "status = 'undelivered' AND next_attempt_at <= " + now + " AND " + free;
    std::string picked;
    if (!request.fifo && request.max_in_flight_per_endpoint == 0) {
      // Plain claim: the first `max` free due rows in claim order, skipping the ones
      // another transaction holds right now.
      picked = "SELECT id FROM webhookd_deliveries WHERE " + due +
               " ORDER BY next_attempt_at, id LIMIT " + max + " FOR UPDATE SKIP LOCKED";
    } else {
      // Limited claim: serialise per endpoint across processes, then count. The
      // endpoints come from their own (small) table, each probed for due free work
      // through `endpoint_due` (stopping at the first row; the ORDER BY is that
      // index's, so the planner does not scan the table per endpoint when most rows
      // look due); OFFSET 0 keeps the lock out of the subquery, so only endpoints
      // with work are locked.
      postgres::params q;
      const auto qnow = q.add(postgres::codec::millis(request.now));
      auto locked = c.exec(
          "SELECT w.id FROM (SELECT e.id FROM webhookd_endpoints e CROSS JOIN LATERAL "
          "(SELECT 1 FROM webhookd_deliveries d WHERE d.endpoint_id = e.id AND "
          "d.status = 'undelivered' AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= " +
              qnow + " AND (d.lease_until IS NULL OR d.lease_until <= " + qnow +
              ") ORDER BY d.endpoint_id, d.next_attempt_at, d.id LIMIT 1) due OFFSET 0) w "
              "WHERE pg_try_advisory_xact_lock(2003332965, "
              "hashtext(coalesce(current_schema(), '') || w.id))",
          q);
      if (!locked) return unexpected(locked.error());
      if (locked->empty()) return std::vector<claimed_delivery>{};
      postgres::array_builder eps;
      for (int i = 0; i < locked->size(); ++i) eps.push(locked->text(i, 0));
      const auto endpoints = p.add(eps.str()) + "::text[]";
      // Per endpoint: the leases held by anyone (`live`), then at most the room left
      // (or, with FIFO, the oldest undelivered delivery when none is in flight) of its
      // first due free deliveries in claim order; the batch keeps the claim order.
      // With FIFO one delivery at most, else the room under the limit, if any.
      const std::string room =
          request.fifo ? std::string("1")
          : request.max_in_flight_per_endpoint == 0
              ? std::string("ALL")
              : "greatest(" +
                    p.add(static_cast<std::int64_t>(request.max_in_flight_per_endpoint)) +
                    "::bigint - live.n, 0)";
      const std::string fifo_rule =
          request.fifo
              ? " AND live.n = 0 AND d.id = (SELECT o.id FROM webhookd_deliveries o WHERE "
                "o.endpoint_id = ep.id AND o.status = 'undelivered' ORDER BY o.id LIMIT 1)"
              : "";
      picked =
          "SELECT c.id FROM unnest(" + endpoints + ") AS ep(id) "
          "CROSS JOIN LATERAL (SELECT count(*) AS n FROM webhookd_deliveries l "
          "WHERE l.endpoint_id = ep.id AND l.status = 'undelivered' AND l.lease_until > " + now +
          ") live CROSS JOIN LATERAL (SELECT d.id, d.next_attempt_at FROM webhookd_deliveries d "
          "WHERE d.endpoint_id = ep.id AND d.status = 'undelivered' AND "
          "d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= " + now + " AND " +
          "(d.lease_until IS NULL OR d.lease_until <= " + now + ")" + fifo_rule +
          " ORDER BY d.endpoint_id, d.next_attempt_at, d.id LIMIT " + room +
          ") c ORDER BY c.next_attempt_at, c.id LIMIT " + max;
    }
    // The UPDATE re-checks `due` on the row it locks: a row recorded or re-leased
    // meanwhile is left out rather than leased twice. The ids go in as an array, so
    // the rows are found through the primary key, never by scanning what is due.
    auto leased = c.exec("WITH picked AS (" + picked + ") UPDATE webhookd_deliveries d SET "
                         "lease_owner = " + owner + ", lease_until = " + until +
                             " WHERE d.id = ANY(ARRAY(SELECT id FROM picked)) "
                             "AND d.status = 'undelivered' "
                             "AND d.next_attempt_at <= " + now +
                             " AND (d.lease_until IS NULL OR d.lease_until <= " + now +
                             ") RETURNING " +
                             postgres::codec::prefixed(postgres::codec::delivery_columns, "d"),
                         p);
    if (!leased) return unexpected(leased.error());
    std::vector<claimed_delivery> out;
    if (leased->empty()) return out;

    // The endpoints and events of the batch, one snapshot each, shared.
    postgres::array_builder endpoint_ids, event_ids;
    for (int i = 0; i < leased->size(); ++i) {
      endpoint_ids.push(leased->text(i, 5));
      event_ids.push(leased->text(i, 2));
    }
    postgres::params q;
    auto related = c.exec(
        "SELECT " + postgres::codec::prefixed(postgres::codec::endpoint_columns, "e") +
            ", NULL FROM webhookd_endpoints e WHERE e.id = ANY(" + q.add(endpoint_ids.str()) +
            "::text[]) UNION ALL SELECT v.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
            "v.doc FROM webhookd_events v WHERE v.id = ANY(" + q.add(event_ids.str()) +
            "::text[])",
        q);
    if (!related) return unexpected(related.error());
    std::map<std::string, std::shared_ptr<const endpoint_record>, std::less<>> endpoints;
    std::map<std::string, std::shared_ptr<const model::event>, std::less<>> events;
    for (int i = 0; i < related->size(); ++i) {
      if (related->null(i, 9)) {
        endpoints.emplace(related->str(i, 0),
                          std::make_shared<const endpoint_record>(
                              postgres::codec::read_endpoint(*related, i)));
      } else {
        events.emplace(related->str(i, 0),
                       std::make_shared<const model::event>(
                           postgres::codec::read_event(related->text(i, 9))));
      }
    }
    const lease granted{request.owner, request.now + request.lease_duration};
    for (int i = 0; i < leased->size(); ++i) {
      auto d = postgres::codec::read_delivery(*leased, i);
      const auto e = endpoints.find(d.webhook_endpoint.id);
      const auto v = events.find(d.event.id);
      // Cannot happen while deletes fail pending deliveries; never hand out half a job.
      if (e == endpoints.end() || v == events.end()) continue;
      out.push_back(claimed_delivery{std::move(d), e->second, v->second, granted});
    }
    std::sort(out.begin(), out.end(), [](const claimed_delivery& a, const claimed_delivery& b) {
      return std::tie(*a.delivery.next_attempt_at, a.delivery.id) <
             std::tie(*b.delivery.next_attempt_at, b.delivery.id);
    });
    return out;
  }

  struct delivery_state {
    model::webhook_delivery delivery;
    std::optional<lease> held;
    bool ignore_endpoint_status = false;
    bool changed = false;
  };

  result<std::vector<record_result>> record_in(postgres::connection& c,
                                               std::span<const attempt_outcome> outcomes) {
    postgres::array_builder delivery_ids, attempt_ids;
    for (const auto& o : outcomes) {
      delivery_ids.push(o.attempt.webhook_delivery.id);
      attempt_ids.push(o.attempt.id);
    }
    // Lock order, as everywhere: endpoints, then deliveries, each by id.
    postgres::params p;
    const auto dids = p.add(delivery_ids.str()) + "::text[]";
    auto endpoints_rows = c.exec(
        "SELECT " + std::string(postgres::codec::endpoint_columns) +
            " FROM webhookd_endpoints WHERE id IN (SELECT endpoint_id FROM webhookd_deliveries "
            "WHERE id = ANY(" + dids + ")) ORDER BY id FOR NO KEY UPDATE",
        p);
    if (!endpoints_rows) return unexpected(endpoints_rows.error());
    auto delivery_rows = c.exec("SELECT " + std::string(postgres::codec::delivery_columns) +
                                    ", ignore_endpoint_status FROM webhookd_deliveries WHERE id = "
                                    "ANY(" + dids + ") ORDER BY id FOR UPDATE",
                                p);
    if (!delivery_rows) return unexpected(delivery_rows.error());
    // Read after the locks: an attempt committed by a concurrent `record` of the same
    // outcome is seen, and reported as already recorded rather than as a lost lease.
    postgres::params q;
    auto attempt_rows = c.exec(
        "SELECT id FROM webhookd_attempts WHERE id = ANY(" + q.add(attempt_ids.str()) + "::text[])",
        q);
    if (!attempt_rows) return unexpected(attempt_rows.error());

    std::map<std::string, endpoint_record, std::less<>> endpoints;
    for (int i = 0; i < endpoints_rows->size(); ++i) {
      auto e = postgres::codec::read_endpoint(*endpoints_rows, i);
      endpoints.emplace(e.endpoint.id, std::move(e));
    }
    std::map<std::string, delivery_state, std::less<>> deliveries;
    for (int i = 0; i < delivery_rows->size(); ++i) {
      delivery_state s{postgres::codec::read_delivery(*delivery_rows, i),
                       postgres::codec::read_lease(*delivery_rows, i),
                       delivery_rows->boolean(i, postgres::codec::delivery_column_count), false};
      deliveries.emplace(s.delivery.id, std::move(s));
    }
    std::set<std::string, std::less<>> attempts;
    for (int i = 0; i < attempt_rows->size(); ++i) attempts.insert(attempt_rows->str(i, 0));

    std::vector<record_result> out;
    std::vector<const attempt_outcome*> stored;
    std::set<std::string, std::less<>> touched_endpoints;
    out.reserve(outcomes.size());
    for (const auto& o : outcomes) {
      record_result r;
      const std::string& delivery_id = o.attempt.webhook_delivery.id;
      const auto d = deliveries.find(delivery_id);
      auto health_of = [&](const std::string& endpoint_id) -> std::optional<endpoint_health> {
        const auto e = endpoints.find(endpoint_id);
        if (e == endpoints.end()) return std::nullopt;
        return e->second.health;
      };
      if (o.attempt.id.empty()) {
        r.error = make_error_code(store_errc::invalid_request);
      } else if (attempts.contains(o.attempt.id)) {
        r.already_recorded = true;
        if (d != deliveries.end()) {
          r.delivery = state_of(d->second.delivery);
          r.health = health_of(d->second.delivery.webhook_endpoint.id);
        }
      } else if (d == deliveries.end()) {
        r.error = make_error_code(errc::not_found);
      } else if (!d->second.held || *d->second.held != o.lease) {
        r.error = make_error_code(errc::lease_lost);
      } else {
        delivery_state& s = d->second;
        attempts.insert(o.attempt.id);
        stored.push_back(&o);
        s.held.reset();
        s.changed = true;
        s.delivery.attempts_count += 1;
        s.delivery.status = o.status;
        const std::string& endpoint_id = s.delivery.webhook_endpoint.id;
        const auto e = endpoints.find(endpoint_id);
        const bool hold = !s.ignore_endpoint_status &&
                          (e == endpoints.end() ||
                           e->second.endpoint.status != model::endpoint_status::active);
        if (o.status == model::delivery_status::undelivered && o.next_attempt_at && !hold) {
          s.delivery.next_attempt_at = o.next_attempt_at;
        } else {
          s.delivery.next_attempt_at.reset();
        }
        if (e != endpoints.end()) {
          endpoint_health& h = e->second.health;
          detail::apply_outcome_to_health(h, o);
          r.health = h;
          touched_endpoints.insert(endpoint_id);
        }
        r.delivery = state_of(s.delivery);
      }
      out.push_back(std::move(r));
    }
    if (stored.empty()) return out;

    // Write the attempts, the deliveries' new states and the endpoints' health in one
    // statement: data-modifying CTEs all run, whatever the final SELECT reads.
    postgres::params w;
    std::string sql;
    {
      postgres::array_builder id, url, sig, did, dtype, durl, ok, code, body, created, extra;
      for (const auto* o : stored) {
        const auto& a = o->attempt;
        id.push(a.id);
        url.push(a.url);
        sig.push(a.signature);
        did.push(a.webhook_delivery.id);
        dtype.push(a.webhook_delivery.type);
        durl.push(a.webhook_delivery.url);
        ok.push_bool(a.is_successful);
        code.push_int(a.response_status_code ? std::optional<std::int64_t>(*a.response_status_code)
                                             : std::nullopt);
        body.push(a.error_response_body);
        created.push_int(postgres::codec::millis(a.created_at));
        const auto x = postgres::codec::extra_doc(a);
        extra.push(x ? std::optional<std::string_view>(*x) : std::nullopt);
      }
      sql = "WITH new_attempts AS (INSERT INTO webhookd_attempts (" +
            std::string(postgres::codec::attempt_columns) + ") SELECT * FROM unnest(" +
            w.add(id.str()) + "::text[], " + w.add(url.str()) + "::text[], " + w.add(sig.str()) +
            "::text[], " + w.add(did.str()) + "::text[], " + w.add(dtype.str()) + "::text[], " +
            w.add(durl.str()) + "::text[], " + w.add(ok.str()) + "::boolean[], " +
            w.add(code.str()) + "::integer[], " + w.add(body.str()) + "::text[], " +
            w.add(created.str()) + "::bigint[], " + w.add(extra.str()) + "::text[]))";
    }
    {
      postgres::array_builder id, status, next, count;
      for (const auto& [key, s] : deliveries) {
        if (!s.changed) continue;
        id.push(key);
        status.push(model::to_string(s.delivery.status));
        next.push_int(postgres::codec::millis(s.delivery.next_attempt_at));
        count.push_int(s.delivery.attempts_count);
      }
      sql += ", new_states AS (UPDATE webhookd_deliveries d SET status = u.status, "
             "next_attempt_at = u.next, attempts_count = u.count, lease_owner = NULL, "
             "lease_until = NULL FROM unnest(" + w.add(id.str()) + "::text[], " +
             w.add(status.str()) + "::text[], " + w.add(next.str()) + "::bigint[], " +
             w.add(count.str()) + "::integer[]) AS u(id, status, next, count) WHERE d.id = u.id)";
    }
    if (!touched_endpoints.empty()) {
      postgres::array_builder id, failed, success, failing;
      for (const auto& key : touched_endpoints) {
        const auto& h = endpoints.find(key)->second.health;
        id.push(key);
        failed.push_int(h.consecutive_failed_deliveries);
        success.push_int(postgres::codec::millis(h.last_success_at));
        failing.push_int(postgres::codec::millis(h.failing_since));
      }
      sql += ", new_health AS (UPDATE webhookd_endpoints e SET "
             "consecutive_failed_deliveries = u.failed, last_success_at = u.success, "
             "failing_since = u.failing FROM unnest(" + w.add(id.str()) + "::text[], " +
             w.add(failed.str()) + "::integer[], " + w.add(success.str()) + "::bigint[], " +
             w.add(failing.str()) + "::bigint[]) AS u(id, failed, success, failing) "
             "WHERE e.id = u.id)";
    }
    sql += " SELECT 1";
    if (auto written = c.exec(sql, w); !written) return unexpected(written.error());
    return out;
  }

  mutable postgres::pool pool_;
};

static_assert(delivery_store<postgres_store>);

} // namespace webhookd::store

#endif // WEBHOOKD_STORE_POSTGRES_STORE_HPP
