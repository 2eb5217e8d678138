// SPDX-License-Identifier: MIT
// memory_store: the reference delivery_store, in memory, thread-safe.
#ifndef WEBHOOKD_STORE_MEMORY_STORE_HPP
#define WEBHOOKD_STORE_MEMORY_STORE_HPP

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
#include <webhookd/store/records.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhookd::store {

/** The reference `delivery_store`: everything in memory, nothing survives the process.

    It implements every requirement of `delivery_store` as plainly as possible, and is
    what the conformance suite compares other adapters with. It suits tests, demos and
    hosts that accept losing undelivered events on a crash (use the SQLite or
    PostgreSQL store otherwise).

    Records live in ordered maps keyed by id (ids sort in creation order, so a map's
    order is the collections' order). Two indexes keep claims cheap: the scheduled
    undelivered deliveries ordered by (`next_attempt_at`, id), and the undelivered
    deliveries of each endpoint ordered by id (for holds, releases, FIFO and
    per-endpoint limits). One reader-writer lock guards everything: reads share it,
    writes hold it alone, so every call is atomic with respect to every other.

    Calls never block on I/O: `is_blocking` is false and the engine calls them inline.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class memory_store {
public:
  /// Calls only take a lock held for in-memory work: the engine may call inline.
  static constexpr bool is_blocking = false;

  memory_store() = default;
  memory_store(const memory_store&) = delete;
  memory_store& operator=(const memory_store&) = delete;

  // --- endpoints (requirements 1-4) ---------------------------------------------------

  /// Stores a new endpoint with version 1. @returns it, or `store_errc::duplicate_id`.
  result<endpoint_record> create_endpoint(const endpoint_record& record) {
    if (record.endpoint.id.empty()) return fail(store_errc::invalid_request);
    std::unique_lock lock(mutex_);
    if (endpoints_.contains(record.endpoint.id)) return fail(store_errc::duplicate_id);
    endpoint_record stored = record;
    stored.version = 1;
    const auto it = endpoints_.emplace(stored.endpoint.id, stored).first;
    index_topics(it->first, it->second.endpoint.topics);
    return stored;
  }

  /// The endpoint with this id, or `errc::not_found`.
  result<endpoint_record> get_endpoint(std::string_view id) const {
    std::shared_lock lock(mutex_);
    const auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return fail(errc::not_found);
    return it->second;
  }

  /** Replaces the writable fields of the endpoint `endpoint.id` with `endpoint`'s.

      Keeps `id`, `url`, `secret`, `created_at` and health; sets `last_updated_at` to
      `now`; adds 1 to the version. Leaving `active` holds the pending deliveries,
      returning to it schedules them at `now`.
      @returns the new record, `errc::not_found` or `store_errc::version_mismatch`.
  */
  result<endpoint_record> update_endpoint(const model::webhook_endpoint& endpoint,
                                          std::uint64_t version, timestamp now) {
    std::unique_lock lock(mutex_);
    const auto it = endpoints_.find(endpoint.id);
    if (it == endpoints_.end()) return fail(errc::not_found);
    endpoint_record& r = it->second;
    if (version != any_version && version != r.version) return fail(store_errc::version_mismatch);
    const auto old_status = r.endpoint.status;
    model::webhook_endpoint& e = r.endpoint;
    unindex_topics(it->first, e.topics);
    detail::apply_endpoint_update(e, endpoint, now);
    index_topics(it->first, e.topics);
    ++r.version;
    apply_status_change(e.id, old_status, e.status, now);
    return r;
  }

  /// Makes `secret` current and keeps the old one until `previous_until`.
  result<endpoint_record> rotate_secret(std::string_view id, std::string_view secret,
                                        timestamp previous_until, timestamp now) {
    if (secret.empty()) return fail(store_errc::invalid_request);
    std::unique_lock lock(mutex_);
    const auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return fail(errc::not_found);
    endpoint_record& r = it->second;
    r.previous_secret = std::move(r.endpoint.secret);
    r.previous_secret_expires_at = previous_until;
    r.endpoint.secret = std::string(secret);
    r.endpoint.last_updated_at = now;
    ++r.version;
    return r;
  }

  /// Suspends the endpoint and holds its pending deliveries (a no-op if suspended).
  result<endpoint_record> suspend_endpoint(std::string_view id, timestamp now) {
    std::unique_lock lock(mutex_);
    const auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return fail(errc::not_found);
    endpoint_record& r = it->second;
    if (r.endpoint.status == model::endpoint_status::suspended) return r;
    const auto old_status = r.endpoint.status;
    r.endpoint.status = model::endpoint_status::suspended;
    r.endpoint.last_updated_at = now;
    ++r.version;
    apply_status_change(r.endpoint.id, old_status, r.endpoint.status, now);
    return r;
  }

  /// Removes the endpoint; its undelivered deliveries become failed, leases dropped.
  result<void> delete_endpoint(std::string_view id, std::uint64_t version, timestamp) {
    std::unique_lock lock(mutex_);
    const auto it = endpoints_.find(id);
    if (it == endpoints_.end()) return fail(errc::not_found);
    if (version != any_version && version != it->second.version)
      return fail(store_errc::version_mismatch);
    if (const auto p = pending_.find(id); p != pending_.end()) {
      for (const auto delivery_id : p->second) {
        delivery_row& row = deliveries_.find(delivery_id)->second;
        unschedule(row);
        row.delivery.status = model::delivery_status::failed;
        count_finished(row.delivery.status, 1);
        drop_lease(row);
      }
      pending_.erase(p);
    }
    unindex_topics(it->first, it->second.endpoint.topics);
    {
      std::lock_guard snapshots_lock(snapshots_mutex_);
      snapshots_.erase(it->first); // a new endpoint under this id starts at version 1 again
    }
    endpoints_.erase(it);
    return {};
  }

  /// The endpoints that are not inactive and subscribe to `topic`, in id order.
  ///
  /// Looks up the few patterns that can match `topic` (`*`, the topic itself, and
  /// `a.*`, `a.b.*`... for each of its dotted prefixes) in the subscription index,
  /// so a publish costs the same with ten endpoints or a hundred thousand.
  result<std::vector<shared_endpoint_record>> endpoints_for_topic(std::string_view topic) const {
    std::shared_lock lock(mutex_);
    std::vector<std::string_view> candidates;
    const auto add = [&](std::string_view pattern) {
      if (const auto it = subscribers_.find(pattern); it != subscribers_.end())
        candidates.insert(candidates.end(), it->second.begin(), it->second.end());
    };
    add(model::all_topics);
    add(topic);
    std::string prefix_pattern;
    for (std::size_t dot = topic.find('.'); dot != std::string_view::npos;
         dot = topic.find('.', dot + 1)) {
      prefix_pattern.assign(topic.substr(0, dot + 1));
      prefix_pattern += '*';
      add(prefix_pattern);
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

    std::vector<shared_endpoint_record> out;
    out.reserve(candidates.size());
    for (const std::string_view id : candidates) {
      const auto found = endpoints_.find(id);
      const endpoint_record& r = found->second;
      if (r.endpoint.status == model::endpoint_status::inactive) continue;
      // The index finds candidates; the rule itself decides (edge cases such as a
      // topic ending with '.').
      const auto& topics = r.endpoint.topics;
      if (std::any_of(topics.begin(), topics.end(),
                      [&](const std::string& p) { return model::topic_matches(p, topic); }))
        out.push_back(snapshot_of(found->first, r));
    }
    return out;
  }

  /// One page of endpoints.
  result<page<endpoint_record>> list_endpoints(const endpoint_filter& filter,
                                               const page_request& request) const {
    std::shared_lock lock(mutex_);
    return list_page(
        endpoints_, request,
        [&](const endpoint_record& r) { return filter.status.matches(r.endpoint.status); },
        [](const endpoint_record& r) { return r; });
  }

  /// How many endpoints pass `filter`.
  result<std::int64_t> count_endpoints(const endpoint_filter& filter) const {
    std::shared_lock lock(mutex_);
    return count_if(endpoints_, [&](const endpoint_record& r) {
      return filter.status.matches(r.endpoint.status);
    });
  }

  // --- enqueue (requirement 5) --------------------------------------------------------

  /// Stores an event and its deliveries, all or nothing (see `delivery_store` 5).
  result<enqueue_result> enqueue(const enqueue_request& request, timestamp now) {
    return enqueue_from(request, now);
  }

  /// The same, taking the request's event and deliveries over instead of copying
  /// them (the engine's publish hands its request over).
  result<enqueue_result> enqueue(enqueue_request&& request, timestamp now) {
    return enqueue_from(request, now, std::true_type{});
  }

  // --- claims (requirements 6-8) ------------------------------------------------------

  /// Leases up to `request.max` due deliveries (see `delivery_store` 6).
  result<std::vector<claimed_delivery>> claim_due(const claim_request& request) {
    if (!request.valid())
      return fail(store_errc::invalid_request);
    std::unique_lock lock(mutex_);
    return claim_locked(request);
  }

  /// Drops every lease held by `owner`. @returns how many.
  result<std::size_t> release(std::string_view owner) {
    std::unique_lock lock(mutex_);
    std::vector<delivery_row*> mine;
    for (const auto& [endpoint_id, rows] : leased_)
      for (delivery_row* row : rows)
        if (row->lease->owner == owner) mine.push_back(row);
    for (delivery_row* row : mine) drop_lease(*row);
    return mine.size();
  }

  /// A lower bound of the next time `claim_due` could return something.
  result<std::optional<timestamp>> next_due_at(timestamp now) const {
    std::shared_lock lock(mutex_);
    std::optional<timestamp> best;
    for (const auto& [key, row_ptr] : due_) {
      const timestamp at = key.first;
      if (best && at >= *best) break;
      const delivery_row& row = *row_ptr;
      const timestamp t = live(row, now) ? std::max(at, row.lease->until) : at;
      if (!best || t < *best) best = t;
    }
    return best;
  }

  // --- outcomes (requirement 9) -------------------------------------------------------

  /// Records attempts and their deliveries' new state (see `delivery_store` 9).
  result<std::vector<record_result>> record(std::span<const attempt_outcome> outcomes,
                                            timestamp /*now*/) {
    std::unique_lock lock(mutex_);
    return record_locked(outcomes);
  }

  /// `record(outcomes, now)`, then `claim_due(request)`, under one lock (the optional
  /// member of `delivery_store`; the reference for stores whose calls are round trips).
  result<record_and_claim_result> record_then_claim(std::span<const attempt_outcome> outcomes,
                                                    const claim_request& request, timestamp /*now*/) {
    if (!request.valid())
      return fail(store_errc::invalid_request);
    std::unique_lock lock(mutex_);
    auto recorded = record_locked(outcomes);
    return record_and_claim_result{std::move(recorded), claim_locked(request)};
  }

  // --- history (requirement 10) -------------------------------------------------------

  /// The event with this id, or `errc::not_found`.
  result<model::event> get_event(std::string_view id) const {
    std::shared_lock lock(mutex_);
    const auto it = events_.find(id);
    if (it == events_.end()) return fail(errc::not_found);
    return *it->second.event;
  }

  /// The delivery with this id, or `errc::not_found`.
  result<model::webhook_delivery> get_delivery(std::string_view id) const {
    std::shared_lock lock(mutex_);
    const auto it = deliveries_.find(id);
    if (it == deliveries_.end()) return fail(errc::not_found);
    return it->second.delivery;
  }

  /// The attempt with this id, or `errc::not_found`.
  result<model::webhook_delivery_attempt> get_attempt(std::string_view id) const {
    std::shared_lock lock(mutex_);
    const auto it = attempts_.find(id);
    if (it == attempts_.end()) return fail(errc::not_found);
    return attempt_of(it->first, it->second);
  }

  /// One page of events.
  result<page<model::event>> list_events(const event_filter& filter,
                                         const page_request& request) const {
    std::shared_lock lock(mutex_);
    return list_page(
        events_, request, [&](const event_row& r) { return pass(filter, r); },
        [](const event_row& r) { return *r.event; });
  }

  /// One page of deliveries.
  result<page<model::webhook_delivery>> list_deliveries(const delivery_filter& filter,
                                                        const page_request& request) const {
    std::shared_lock lock(mutex_);
    return list_page(
        deliveries_, request, [&](const delivery_row& r) { return pass(filter, r); },
        [](const delivery_row& r) { return r.delivery; });
  }

  /// One page of attempts.
  result<page<model::webhook_delivery_attempt>> list_attempts(const attempt_filter& filter,
                                                              const page_request& request) const {
    std::shared_lock lock(mutex_);
    return list_page(
        attempts_, request, [&](const attempt_row& a) { return pass(filter, a); },
        [](const std::string& id, const attempt_row& a) { return attempt_of(id, a); });
  }

  /// How many events pass `filter`.
  result<std::int64_t> count_events(const event_filter& filter) const {
    std::shared_lock lock(mutex_);
    return count_if(events_, [&](const event_row& r) { return pass(filter, r); });
  }

  /// How many deliveries pass `filter`.
  result<std::int64_t> count_deliveries(const delivery_filter& filter) const {
    std::shared_lock lock(mutex_);
    return count_if(deliveries_, [&](const delivery_row& r) { return pass(filter, r); });
  }

  /// How many attempts pass `filter`.
  result<std::int64_t> count_attempts(const attempt_filter& filter) const {
    std::shared_lock lock(mutex_);
    return count_if(attempts_, [&](const attempt_row& a) { return pass(filter, a); });
  }

  // --- maintenance (requirement 11) ---------------------------------------------------

  /// Removes old finished deliveries with their attempts, then old events left bare.
  /// Walks the rows older than `request.older_than` only, oldest first: its cost is
  /// what it removes (and the old pending deliveries it keeps), not the history kept.
  result<purge_report> purge(const purge_request& request) {
    std::unique_lock lock(mutex_);
    purge_report report;
    for (delivery_row* next = deliveries_by_age_.first;
         next != nullptr && next->created_at < request.older_than;) {
      delivery_row& row = *next;
      next = row.newer;
      const bool pending = row.delivery.status == model::delivery_status::undelivered;
      if (pending && !request.include_pending) continue;
      const auto it = deliveries_.find(row.delivery.id);
      WEBHOOKD_ASSERT(it != deliveries_.end() && &it->second == &row);
      for (const std::string* attempt_id = row.last_attempt; attempt_id != nullptr;) {
        const auto at = attempts_.find(*attempt_id);
        WEBHOOKD_ASSERT(at != attempts_.end());
        attempt_id = at->second.previous;
        attempts_.erase(at);
        ++report.attempts;
      }
      row.last_attempt = nullptr;
      if (pending) {
        unschedule(row);
        drop_lease(row);
        if (const auto p = pending_.find(row.delivery.webhook_endpoint.id); p != pending_.end()) {
          p->second.erase(it->first);
          if (p->second.empty()) pending_.erase(p);
        }
      }
      unlink_from_event(row);
      deliveries_by_age_.erase(row);
      count_finished(row.delivery.status, -1);
      deliveries_.erase(it);
      ++report.deliveries;
    }
    // An event goes with its last delivery, and its idempotency key with it.
    for (event_row* next = events_by_age_.first;
         next != nullptr && next->created_at < request.older_than;) {
      event_row& row = *next;
      next = row.newer;
      if (row.deliveries.first != nullptr) continue;
      if (row.idempotency_key != nullptr) {
        const auto key = idempotency_.find(*row.idempotency_key);
        WEBHOOKD_ASSERT(key != idempotency_.end() && key->second.event_id == row.event->id);
        idempotency_.erase(key);
      }
      events_by_age_.erase(row);
      events_.erase(events_.find(row.event->id));
      ++report.events;
    }
    return report;
  }

  /// Queue depth and totals at `now`.
  result<store_stats> stats(timestamp now) const {
    // From the indexes and two counters, never a walk of the whole history: a host
    // keeping millions of finished deliveries reads its gauges every second.
    std::shared_lock lock(mutex_);
    store_stats s;
    std::int64_t undelivered = 0;
    for (const auto& [endpoint_id, ids] : pending_) undelivered += static_cast<std::int64_t>(ids.size());
    s.scheduled = static_cast<std::int64_t>(due_.size());
    s.held = undelivered - s.scheduled;
    for (auto it = due_.begin(); it != due_.end() && it->first.first <= now; ++it)
      if (!live(*it->second, now)) ++s.due;
    for (const auto& [endpoint_id, rows] : leased_)
      for (const delivery_row* row : rows)
        if (live(*row, now)) ++s.in_flight;
    s.delivered = delivered_count_;
    s.failed = failed_count_;
    s.events = static_cast<std::int64_t>(events_.size());
    s.attempts = static_cast<std::int64_t>(attempts_.size());
    s.endpoints = static_cast<std::int64_t>(endpoints_.size());
    return s;
  }

private:
  /** A doubly linked list threaded through rows that are map values (map nodes do
      not move, and a row leaves its lists before it leaves its map): indexing a row
      this way allocates nothing. `Prev` and `Next` name the row's links for this list. */
  template <class Row, Row* Row::*Prev, Row* Row::*Next>
  struct row_list {
    Row* first = nullptr;
    Row* last = nullptr;

    /// Links `row` after `before`, or first when `before` is null.
    void insert_after(Row* before, Row& row) noexcept {
      row.*Prev = before;
      row.*Next = before != nullptr ? before->*Next : first;
      if (row.*Next != nullptr) (row.*Next)->*Prev = &row;
      else last = &row;
      if (before != nullptr) before->*Next = &row;
      else first = &row;
    }
    void push_back(Row& row) noexcept { insert_after(last, row); }
    /// Links `row` in `created_at` order, after the rows as old as it (the list is kept
    /// so): a row stored at `now` is nearly always the newest, one stored with a clock
    /// set back walks back to its place.
    void insert_by_age(Row& row) noexcept {
      Row* before = last;
      while (before != nullptr && row.created_at < before->created_at) before = before->*Prev;
      insert_after(before, row);
    }
    void erase(Row& row) noexcept {
      if (row.*Prev != nullptr) (row.*Prev)->*Next = row.*Next;
      else first = row.*Next;
      if (row.*Next != nullptr) (row.*Next)->*Prev = row.*Prev;
      else last = row.*Prev;
      row.*Prev = row.*Next = nullptr;
    }
  };

  struct event_row;

  // The deliveries of an event and the attempts of a delivery are lists threaded
  // through the rows themselves, so that storing a delivery or an attempt indexes it
  // without allocating; so are events and deliveries in creation order, which `purge`
  // walks from the oldest, stopping at the first row young enough to keep.
  struct delivery_row {
    model::webhook_delivery delivery;
    std::shared_ptr<const model::event> event; // its event's, handed to claims
    timestamp created_at;
    std::optional<store::lease> lease;
    bool ignore_endpoint_status = false;
    event_row* of_event = nullptr; // and its neighbours in that event's list
    delivery_row* previous_of_event = nullptr;
    delivery_row* next_of_event = nullptr;
    const std::string* last_attempt = nullptr; // its newest attempt's key in `attempts_`
    delivery_row* older = nullptr; // neighbours in `deliveries_by_age_`
    delivery_row* newer = nullptr;
  };

  struct event_row {
    std::shared_ptr<const model::event> event; // immutable once stored: shared with claims
    timestamp created_at;
    // Its deliveries, in the order stored.
    row_list<delivery_row, &delivery_row::previous_of_event, &delivery_row::next_of_event> deliveries{};
    event_row* older = nullptr; // neighbours in `events_by_age_`
    event_row* newer = nullptr;
    const std::string* idempotency_key = nullptr; // its key in `idempotency_`, if any
  };

  static void link_to_event(delivery_row& row, event_row& event) noexcept {
    row.of_event = &event;
    event.deliveries.push_back(row);
  }

  static void unlink_from_event(delivery_row& row) noexcept {
    row.of_event->deliveries.erase(row);
    row.of_event = nullptr;
  }

  // An attempt as the store keeps it, about 600 bytes and four heap strings smaller
  // than the resource (every delivery leaves one, and the memory store keeps them
  // all): its id is its key in `attempts_`, and its `webhook_delivery` reference is
  // read back from its delivery's row, which it points to (attempts are removed with
  // their delivery, never after it). An attempt that names its delivery otherwise,
  // or that carries links or embedded resources, is kept whole in `whole`.
  struct attempt_row {
    const delivery_row* delivery = nullptr;
    std::string url;
    std::string signature;
    std::string error_response_body;
    timestamp created_at{};
    std::optional<int> response_status_code;
    bool is_successful = false;
    std::unique_ptr<const model::webhook_delivery_attempt> whole;
    const std::string* previous = nullptr; // the delivery's attempt before this one (key)
  };

  static attempt_row attempt_row_of(const model::webhook_delivery_attempt& a,
                                    const delivery_row& delivery) {
    attempt_row r;
    r.delivery = &delivery;
    const model::reference& ref = a.webhook_delivery;
    const bool reads_back = ref.id == delivery.delivery.id && ref.url == delivery.delivery.url &&
                            ref.type == model::webhook_delivery::type_name &&
                            a.links.is_absent() && !a.embedded;
    if (!reads_back) {
      r.whole = std::make_unique<const model::webhook_delivery_attempt>(a);
      return r;
    }
    r.url = a.url;
    r.signature = a.signature;
    r.error_response_body = a.error_response_body;
    r.created_at = a.created_at;
    r.response_status_code = a.response_status_code;
    r.is_successful = a.is_successful;
    return r;
  }

  static model::webhook_delivery_attempt attempt_of(const std::string& id, const attempt_row& r) {
    if (r.whole) return *r.whole;
    model::webhook_delivery_attempt a;
    a.id = id;
    a.url = r.url;
    a.signature = r.signature;
    a.webhook_delivery = model::reference{r.delivery->delivery.id,
                                          std::string(model::webhook_delivery::type_name),
                                          r.delivery->delivery.url};
    a.is_successful = r.is_successful;
    a.response_status_code = r.response_status_code;
    a.error_response_body = r.error_response_body;
    a.created_at = r.created_at;
    return a;
  }

  struct idempotency_row {
    std::string event_id;
    timestamp expires_at;
  };

  template <class Map>
  using id_map = std::map<std::string, Map, std::less<>>;

  // `enqueue` for a request to copy from or (`Owned`) to take over.
  template <class Owned = std::false_type>
  result<enqueue_result> enqueue_from(std::conditional_t<Owned::value, enqueue_request&,
                                                         const enqueue_request&>
                                          request,
                                      timestamp now, Owned owned = {}) {
    std::unique_lock lock(mutex_);
    if (request.idempotency_key && !request.event) return fail(store_errc::invalid_request);

    // An idempotent replay: the first event and its deliveries, nothing stored.
    if (request.idempotency_key) {
      const auto k = idempotency_.find(*request.idempotency_key);
      if (k != idempotency_.end() && now < k->second.expires_at) {
        const auto ev = events_.find(k->second.event_id);
        if (ev != events_.end()) {
          enqueue_result out;
          out.event = ev->second.event;
          out.replayed = true;
          std::vector<const delivery_row*> rows;
          for (const delivery_row* r = ev->second.deliveries.first; r != nullptr; r = r->next_of_event)
            rows.push_back(r);
          std::sort(rows.begin(), rows.end(), [](const delivery_row* a, const delivery_row* b) {
            return a->delivery.id < b->delivery.id;
          });
          out.deliveries.reserve(rows.size());
          for (const delivery_row* r : rows) out.deliveries.push_back(r->delivery);
          return out;
        }
      }
    }

    // Validate everything before changing anything.
    if (request.event) {
      if (request.event->id.empty()) return fail(store_errc::invalid_request);
      if (has_id(events_, request.event->id)) return fail(store_errc::duplicate_id);
    }
    if (const auto ec = detail::check_new_deliveries(
            request, [&](const std::string& id) { return has_id(deliveries_, id); },
            [&](const std::string& id) { return has_id(events_, id); },
            [&](const std::string& id) { return endpoints_.contains(id); }))
      return unexpected(ec);

    // Apply.
    enqueue_result out;
    // The request's event (the deliveries' event, nearly always): its row and key.
    event_row* new_event = nullptr;
    std::string_view new_event_key;
    if (request.event) {
      auto ev = std::make_shared<const model::event>(take(*request.event, owned));
      const auto stored_event = emplace_last(events_, ev->id, event_row{ev, now});
      new_event = &stored_event->second;
      new_event_key = stored_event->first;
      events_by_age_.insert_by_age(*new_event);
      out.event = ev;
      if (request.idempotency_key) {
        // A key reused after its window leaves the event it named: only the event a
        // key names points to it, so purging either event never reads a freed key.
        if (const auto old = idempotency_.find(*request.idempotency_key); old != idempotency_.end())
          if (const auto named = events_.find(old->second.event_id); named != events_.end())
            named->second.idempotency_key = nullptr;
        const auto key = idempotency_.insert_or_assign(
            *request.idempotency_key, idempotency_row{ev->id, now + request.idempotency_window});
        new_event->idempotency_key = &key.first->first;
      }
    }
    if (request.return_deliveries) out.deliveries.reserve(request.deliveries.size());
    for (auto& request_delivery : request.deliveries) {
      delivery_row row{take(request_delivery, owned), nullptr, now, std::nullopt,
                       request.ignore_endpoint_status};
      const model::webhook_delivery& d = row.delivery;
      const bool of_new_event = new_event != nullptr && d.event.id == new_event_key;
      const auto event_it = of_new_event ? events_.end() : events_.find(d.event.id);
      event_row& event = of_new_event ? *new_event : event_it->second;
      row.event = event.event;
      const auto& endpoint = endpoints_.find(d.webhook_endpoint.id)->second;
      if (!request.ignore_endpoint_status &&
          endpoint.endpoint.status != model::endpoint_status::active)
        row.delivery.next_attempt_at.reset();
      std::string id = d.id;
      const std::size_t before = deliveries_.size();
      const auto it = emplace_last(deliveries_, std::move(id), std::move(row));
      WEBHOOKD_ASSERT(deliveries_.size() == before + 1);
      (void)before;
      const model::webhook_delivery& stored = it->second.delivery;
      const std::string_view key = it->first;
      auto& of_endpoint = pending_[stored.webhook_endpoint.id];
      of_endpoint.insert(of_endpoint.end(), key);
      link_to_event(it->second, event);
      deliveries_by_age_.insert_by_age(it->second);
      if (stored.next_attempt_at)
        emplace_last(due_, due_key{*stored.next_attempt_at, stored.id}, &it->second);
      if (request.return_deliveries) out.deliveries.push_back(stored);
    }
    return out;
  }


  // Ids grow with time, so a new record's key nearly always sorts after every key of
  // its map: hinting the end makes that insert one comparison instead of a descent
  // comparing 26-byte ids at every level. Any other key still lands in its place.
  // @returns the element's iterator (the existing one for a key already there).
  template <class Map, class Key, class Value>
  static typename Map::iterator emplace_last(Map& map, Key&& key, Value&& value) {
    return map.try_emplace(map.end(), std::forward<Key>(key), std::forward<Value>(value));
  }

  // Whether `map` holds `id`; one comparison for an id after every key (a new one).
  template <class Map>
  static bool has_id(const Map& map, std::string_view id) {
    return !map.empty() && !(map.rbegin()->first < id) && map.contains(id);
  }

  // `x` moved when the caller handed it over, copied otherwise.
  template <class T>
  static T take(T& x, std::true_type) {
    return std::move(x);
  }
  template <class T>
  static T take(const T& x, std::false_type) {
    return x;
  }


  static unexpected<std::error_code> fail(errc e) { return unexpected(make_error_code(e)); }
  static unexpected<std::error_code> fail(store_errc e) { return unexpected(make_error_code(e)); }

  static bool live(const delivery_row& row, timestamp now) noexcept {
    return row.lease && row.lease->until > now;
  }

  static bool pass(const event_filter& f, const event_row& r) { return f.topic.matches(r.event->topic); }

  static bool pass(const delivery_filter& f, const delivery_row& r) {
    return f.endpoint_id.matches(r.delivery.webhook_endpoint.id) &&
           f.event_id.matches(r.delivery.event.id) && f.status.matches(r.delivery.status);
  }

  static bool pass(const attempt_filter& f, const attempt_row& a) {
    if (a.whole)
      return f.delivery_id.matches(a.whole->webhook_delivery.id) &&
             f.is_successful.matches(a.whole->is_successful);
    return f.delivery_id.matches(a.delivery->delivery.id) && f.is_successful.matches(a.is_successful);
  }

  template <class Map, class Pass>
  static std::int64_t count_if(const Map& map, Pass pass_fn) {
    std::int64_t n = 0;
    for (const auto& kv : map) n += pass_fn(kv.second) ? 1 : 0;
    return n;
  }

  // A page of `map` (ascending keys) under a filter, per `delivery_store` 10.
  // `project` makes an item of a row, or of its key and row.
  template <class Map, class Project>
  using projected_t = typename std::conditional_t<
      std::is_invocable_v<const Project&, const typename Map::key_type&,
                          const typename Map::mapped_type&>,
      std::invoke_result<const Project&, const typename Map::key_type&,
                         const typename Map::mapped_type&>,
      std::invoke_result<const Project&, const typename Map::mapped_type&>>::type;

  template <class Map, class Project>
  static projected_t<Map, Project> project_row(const Project& project,
                                               const typename Map::value_type& kv) {
    if constexpr (std::is_invocable_v<const Project&, const typename Map::key_type&,
                                      const typename Map::mapped_type&>)
      return project(kv.first, kv.second);
    else
      return project(kv.second);
  }

  template <class Map, class Pass, class Project>
  static auto list_page(const Map& map, const page_request& request, Pass pass_fn, Project project)
      -> result<page<projected_t<Map, Project>>> {
    using item_type = projected_t<Map, Project>;
    if (request.limit > max_page_limit) return fail(store_errc::invalid_request);
    page<item_type> out;
    if (request.limit == 0) return out;
    std::vector<typename Map::const_iterator> picked;
    if (!request.cursor || request.cursor->direction == page_direction::forward) {
      auto it = request.cursor ? map.upper_bound(request.cursor->key) : map.begin();
      for (; it != map.end() && picked.size() < request.limit; ++it)
        if (pass_fn(it->second)) picked.push_back(it);
    } else {
      auto it = map.lower_bound(request.cursor->key);
      while (it != map.begin() && picked.size() < request.limit) {
        --it;
        if (pass_fn(it->second)) picked.push_back(it);
      }
      std::reverse(picked.begin(), picked.end());
    }
    if (picked.empty()) return out;
    for (auto it : picked) out.items.push_back(project_row<Map>(project, *it));
    // prev: a passing item before the first; next: one after the last.
    for (auto it = picked.front(); it != map.begin();) {
      --it;
      if (pass_fn(it->second)) {
        out.prev = cursor{picked.front()->first, page_direction::backward};
        break;
      }
    }
    for (auto it = std::next(picked.back()); it != map.end(); ++it) {
      if (pass_fn(it->second)) {
        out.next = cursor{picked.back()->first, page_direction::forward};
        break;
      }
    }
    return out;
  }

  // `id` is the key of the endpoint's node in `endpoints_`, which outlives its entries.
  void index_topics(std::string_view id, const std::vector<std::string>& topics) {
    for (const std::string& pattern : topics) subscribers_[pattern].insert(id);
  }

  void unindex_topics(std::string_view id, const std::vector<std::string>& topics) {
    for (const std::string& pattern : topics) {
      const auto it = subscribers_.find(pattern);
      if (it == subscribers_.end()) continue;
      it->second.erase(id);
      if (it->second.empty()) subscribers_.erase(it);
    }
  }

  // Every row with a lease, live or expired, is in `leased_` under its endpoint, so
  // per-endpoint limits count a handful of rows instead of every pending delivery.
  void grant(delivery_row& row, const lease& l) {
    row.lease = l;
    leased_[row.delivery.webhook_endpoint.id].insert(&row);
  }

  void drop_lease(delivery_row& row) {
    if (!row.lease) return;
    row.lease.reset();
    if (const auto it = leased_.find(row.delivery.webhook_endpoint.id); it != leased_.end()) {
      it->second.erase(&row);
      if (it->second.empty()) leased_.erase(it);
    }
  }

  std::size_t live_leases(std::string_view endpoint_id, timestamp now) const {
    const auto it = leased_.find(endpoint_id);
    if (it == leased_.end()) return 0;
    return static_cast<std::size_t>(std::count_if(
        it->second.begin(), it->second.end(), [now](const delivery_row* r) { return live(*r, now); }));
  }

  void unschedule(delivery_row& row) {
    if (row.delivery.next_attempt_at) {
      due_.erase(due_key{*row.delivery.next_attempt_at, row.delivery.id});
      row.delivery.next_attempt_at.reset();
    }
  }

  void schedule(delivery_row& row, timestamp at) {
    unschedule(row);
    row.delivery.next_attempt_at = at;
    emplace_last(due_, due_key{at, row.delivery.id}, &row);
  }

  // Holds or releases the pending deliveries of an endpoint whose status changed
  // (`delivery_store` 2).
  void apply_status_change(const std::string& endpoint_id, model::endpoint_status from,
                           model::endpoint_status to, timestamp now) {
    const bool was_active = from == model::endpoint_status::active;
    const bool is_active = to == model::endpoint_status::active;
    if (was_active == is_active) return;
    const auto p = pending_.find(endpoint_id);
    if (p == pending_.end()) return;
    for (const auto id : p->second) {
      delivery_row& row = deliveries_.find(id)->second;
      if (row.ignore_endpoint_status) continue;
      if (is_active) {
        if (!row.delivery.next_attempt_at) schedule(row, now);
      } else {
        unschedule(row);
      }
    }
  }

  record_result record_one(const attempt_outcome& o) {
    record_result r;
    const std::string& delivery_id = o.attempt.webhook_delivery.id;
    const auto d = deliveries_.find(delivery_id);
    auto health_of = [&](const std::string& endpoint_id) -> std::optional<endpoint_health> {
      const auto e = endpoints_.find(endpoint_id);
      if (e == endpoints_.end()) return std::nullopt;
      return e->second.health;
    };
    if (o.attempt.id.empty()) {
      r.error = make_error_code(store_errc::invalid_request);
      return r;
    }
    if (has_id(attempts_, o.attempt.id)) {
      r.already_recorded = true;
      if (d != deliveries_.end()) {
        r.delivery = state_of(d->second.delivery);
        r.health = health_of(d->second.delivery.webhook_endpoint.id);
      }
      return r;
    }
    if (d == deliveries_.end()) {
      r.error = make_error_code(errc::not_found);
      return r;
    }
    delivery_row& row = d->second;
    if (!row.lease || *row.lease != o.lease) {
      r.error = make_error_code(errc::lease_lost);
      return r;
    }

    const auto attempt = emplace_last(attempts_, o.attempt.id, attempt_row_of(o.attempt, row));
    attempt->second.previous = row.last_attempt;
    row.last_attempt = &attempt->first;
    drop_lease(row);
    row.delivery.attempts_count += 1;
    row.delivery.status = o.status;
    count_finished(o.status, 1);
    const std::string& endpoint_id = row.delivery.webhook_endpoint.id;
    const auto e = endpoints_.find(endpoint_id);
    if (o.status == model::delivery_status::undelivered) {
      const bool hold = !row.ignore_endpoint_status &&
                        (e == endpoints_.end() ||
                         e->second.endpoint.status != model::endpoint_status::active);
      if (o.next_attempt_at && !hold) {
        schedule(row, *o.next_attempt_at);
      } else {
        unschedule(row);
      }
    } else {
      unschedule(row);
      if (const auto p = pending_.find(endpoint_id); p != pending_.end()) {
        p->second.erase(delivery_id);
        if (p->second.empty()) pending_.erase(p);
      }
    }
    if (e != endpoints_.end()) {
      endpoint_health& h = e->second.health;
      detail::apply_outcome_to_health(h, o);
      r.health = h;
    }
    r.delivery = state_of(row.delivery);
    return r;
  }

  // `record`'s work, the lock held by the caller.
  std::vector<record_result> record_locked(std::span<const attempt_outcome> outcomes) {
    std::vector<record_result> out;
    out.reserve(outcomes.size());
    for (const auto& o : outcomes) out.push_back(record_one(o));
    return out;
  }

  // `claim_due`'s work, the lock held by the caller.
  std::vector<claimed_delivery> claim_locked(const claim_request& request) {
    const timestamp now = request.now;
    const lease granted{request.owner, now + request.lease_duration};
    std::vector<claimed_delivery> out;
    std::map<std::string, std::size_t, std::less<>> in_flight; // per endpoint, this claim
    // Endpoints that can take nothing more in this claim (their counts only grow).
    // Every due row belongs to an endpoint with pending deliveries: once all of those
    // are full, the rest of the queue cannot yield anything, and the scan stops
    // instead of walking a backlog that waits behind the limits.
    std::size_t full = 0;
    const auto is_full = [&](std::size_t n) {
      return (request.fifo && n > 0) ||
             (request.max_in_flight_per_endpoint > 0 && n >= request.max_in_flight_per_endpoint);
    };

    for (auto it = due_.begin(); it != due_.end() && it->first.first <= now &&
                                 out.size() < request.max && full < pending_.size();
         ++it) {
      delivery_row& row = *it->second;
      if (live(row, now)) continue;
      const std::string& endpoint_id = row.delivery.webhook_endpoint.id;
      if (request.fifo || request.max_in_flight_per_endpoint > 0) {
        auto f = in_flight.find(endpoint_id);
        if (f == in_flight.end()) {
          f = in_flight.emplace(endpoint_id, live_leases(endpoint_id, now)).first;
          if (is_full(f->second)) ++full;
        }
        if (is_full(f->second)) continue;
        if (request.fifo && *pending_.find(endpoint_id)->second.begin() != row.delivery.id) continue;
        if (is_full(++f->second)) ++full;
      }
      grant(row, granted);
      out.push_back(claimed_delivery{row.delivery,
                                     snapshot_of(endpoint_id, endpoints_.find(endpoint_id)->second),
                                     row.event, granted});
    }
    return out;
  }

  // `current` (the record of `endpoint_id`) as claims and fan-outs hand it out: one
  // shared copy, made again when the version moved. Every change of the resource or
  // its secrets adds 1 to the version and health changes do not (delivery_store 1),
  // so the copy differs from the record in its `health` alone, which record results
  // carry instead. Called under `mutex_` (shared or exclusive); `snapshots_mutex_`
  // orders the readers that share it.
  shared_endpoint_record snapshot_of(std::string_view endpoint_id,
                                     const endpoint_record& current) const {
    std::lock_guard lock(snapshots_mutex_);
    auto it = snapshots_.find(endpoint_id);
    if (it == snapshots_.end()) it = snapshots_.emplace(std::string(endpoint_id), nullptr).first;
    if (!it->second || it->second->version != current.version)
      it->second = std::make_shared<const endpoint_record>(current);
    return it->second;
  }

  mutable std::shared_mutex mutex_;
  id_map<endpoint_record> endpoints_;
  // What `snapshot_of` handed out last, per endpoint; its version is checked on every
  // use, so an endpoint change needs no invalidation to be seen.
  mutable std::mutex snapshots_mutex_;
  mutable id_map<shared_endpoint_record> snapshots_;
  id_map<event_row> events_;
  id_map<delivery_row> deliveries_;
  id_map<attempt_row> attempts_;
  id_map<idempotency_row> idempotency_;
  // Events and deliveries by age, for `purge`.
  row_list<event_row, &event_row::older, &event_row::newer> events_by_age_;
  row_list<delivery_row, &delivery_row::older, &delivery_row::newer> deliveries_by_age_;
  // The indexes below hold ids as views of strings that the records' maps own (a
  // map's keys, a row's delivery id): map nodes do not move, and an index entry is
  // removed before or with the record it names, so adding a delivery or an attempt
  // copies no id.
  using id_views = std::set<std::string_view>;
  using due_key = std::pair<timestamp, std::string_view>; // a view of the row's delivery id
  // Scheduled undelivered deliveries, by (next_attempt_at, id): the claim order. Rows
  // are map nodes, whose addresses are stable.
  std::map<due_key, delivery_row*> due_;
  // Rows holding a lease (live or expired), per endpoint.
  id_map<std::set<delivery_row*>> leased_;
  // Undelivered deliveries of each endpoint, by id (creation order).
  id_map<id_views> pending_;
  // Endpoint ids (keys of `endpoints_`) by each topic pattern they subscribe to.
  id_map<id_views> subscribers_;
  // (The deliveries of each event and the attempts of each delivery are lists through
  // the rows: see `delivery_row`.)
  // Deliveries stored as delivered and as failed, for `stats` (undelivered ones are
  // counted from `pending_`).
  std::int64_t delivered_count_ = 0;
  std::int64_t failed_count_ = 0;
  void count_finished(model::delivery_status status, std::int64_t by) noexcept {
    if (status == model::delivery_status::delivered) delivered_count_ += by;
    if (status == model::delivery_status::failed) failed_count_ += by;
  }
};

static_assert(delivery_store<memory_store>);

} // namespace webhookd::store

#endif // WEBHOOKD_STORE_MEMORY_STORE_HPP
