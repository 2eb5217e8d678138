// SPDX-License-Identifier: MIT
// The delivery_store conformance suite: a typed GoogleTest suite any adapter instantiates.
#ifndef WEBHOOKD_TESTING_STORE_CONFORMANCE_HPP
#define WEBHOOKD_TESTING_STORE_CONFORMANCE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/clock.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/store/delivery_store.hpp>
#include <webhookd/store/memory_store.hpp>
#include <webhookd/store/records.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace webhookd::testing {

using store::any_version;
using store::attempt_filter;
using store::attempt_outcome;
using store::claim_request;
using store::claimed_delivery;
using store::cursor;
using store::delivery_filter;
using store::delivery_store;
using store::endpoint_filter;
using store::endpoint_health;
using store::endpoint_record;
using store::enqueue_request;
using store::event_filter;
using store::memory_store;
using store::page_direction;
using store::page_request;
using store::purge_report;
using store::purge_request;
using store::record_result;
using store::store_errc;
using store::store_stats;

/** Makes a fresh, empty store for each test of the conformance suite.

    The default builds `Store` with its default constructor. An adapter whose store
    needs arguments (a database file, a connection string) specialises it:

    @code
    template <>
    struct webhookd::testing::store_factory<my_store> {
      static std::unique_ptr<my_store> make() {
        return std::make_unique<my_store>(fresh_database());
      }
    };
    @endcode

    Every call must return a store that shares nothing with the stores it returned
    before (a new database, or a truncated schema).
*/
template <class Store>
struct store_factory {
  static std::unique_ptr<Store> make() { return std::make_unique<Store>(); }
};

/** The fixture of `delivery_store_conformance`: a fresh store, an id generator and
    helpers that build records the way the engine does.

    Records are built with empty `url`s and the canonical reference types, and every
    comparison is of whole model values, so an adapter must give back exactly what it
    was given.

    @par Instantiating the suite
    @code
    #include <webhookd/testing/store_conformance.hpp>
    using store_types = ::testing::Types<my_store>;
    INSTANTIATE_TYPED_TEST_SUITE_P(my, delivery_store_conformance, store_types);
    @endcode
*/
template <class Store>
class delivery_store_conformance : public ::testing::Test {
public:
  using status = model::delivery_status;
  using endpoint_status = model::endpoint_status;

  static constexpr timestamp t0 = timestamp{std::chrono::sys_days{std::chrono::year{2025} /
                                                                  std::chrono::January / 1}};

  std::unique_ptr<Store> store_ = store_factory<Store>::make();
  manual_clock clock_{t0};
  id_generator ids_{20250101};

  Store& store() { return *store_; }
  timestamp now() const { return clock_.now(); }
  std::string next_id() { return ids_.next(t0); }

  static endpoint_record make_endpoint(std::string id, std::vector<std::string> topics,
                                       endpoint_status st = endpoint_status::active) {
    endpoint_record r;
    r.endpoint.id = std::move(id);
    r.endpoint.name = "endpoint";
    r.endpoint.webhook_url = "https://receiver.example.com/hook";
    r.endpoint.topics = std::move(topics);
    r.endpoint.status = st;
    r.endpoint.secret = "first-secret";
    r.endpoint.created_at = t0;
    r.endpoint.last_updated_at = t0;
    return r;
  }

  static model::event make_event(std::string id, std::string topic = "employee.created") {
    model::event e;
    e.id = std::move(id);
    e.topic = std::move(topic);
    e.occurred_at = t0;
    e.source = "https://example.ilucca.net";
    e.data = nlohmann::json{{"id", 1}, {"name", "Ada"}};
    return e;
  }

  static model::webhook_delivery make_delivery(std::string id, const std::string& event_id,
                                               const std::string& endpoint_id, timestamp at) {
    model::webhook_delivery d;
    d.id = std::move(id);
    d.next_attempt_at = at;
    d.event = model::reference{event_id, std::string(model::event::type_name), ""};
    d.webhook_endpoint =
        model::reference{endpoint_id, std::string(model::webhook_endpoint::type_name), ""};
    return d;
  }

  /// Creates an active endpoint subscribed to everything; returns its id.
  std::string add_endpoint(endpoint_status st = endpoint_status::active) {
    auto created = store().create_endpoint(make_endpoint(next_id(), {"*"}, st));
    EXPECT_TRUE(created.has_value());
    return created->endpoint.id;
  }

  struct published {
    std::string event_id;
    std::vector<std::string> delivery_ids;
  };

  /// Enqueues one event with one delivery per endpoint, due at `at`.
  published publish(const std::vector<std::string>& endpoint_ids, timestamp at,
                    std::string topic = "employee.created") {
    enqueue_request request;
    request.event = make_event(next_id(), std::move(topic));
    published out{request.event->id, {}};
    for (const auto& ep : endpoint_ids) {
      request.deliveries.push_back(make_delivery(next_id(), out.event_id, ep, at));
      out.delivery_ids.push_back(request.deliveries.back().id);
    }
    auto r = store().enqueue(request, now());
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return out;
  }

  /// Enqueues, at `stored_at`, a new event with one delivery to `endpoint_id` due at
  /// `stored_at` and idempotency `key` for an hour; expects a new event, not a replay.
  model::event publish_with_key(const std::string& endpoint_id, const std::string& key,
                                timestamp stored_at) {
    enqueue_request request;
    request.event = make_event(next_id());
    request.deliveries.push_back(make_delivery(next_id(), request.event->id, endpoint_id, stored_at));
    request.idempotency_key = key;
    request.idempotency_window = std::chrono::hours{1};
    auto r = store().enqueue(request, stored_at);
    EXPECT_TRUE(r.has_value() && !r->replayed) << (r ? "replayed" : r.error().message());
    return *request.event;
  }

  std::vector<claimed_delivery> claim(std::string owner, timestamp at, std::size_t max = 100,
                                      std::chrono::milliseconds lease = std::chrono::seconds{30}) {
    claim_request request;
    request.now = at;
    request.max = max;
    request.owner = std::move(owner);
    request.lease_duration = lease;
    auto r = store().claim_due(request);
    EXPECT_TRUE(r.has_value());
    return r ? std::move(*r) : std::vector<claimed_delivery>{};
  }

  attempt_outcome outcome(const claimed_delivery& c, bool ok, status st,
                          std::optional<timestamp> next_at = std::nullopt) {
    attempt_outcome o;
    o.attempt.id = next_id();
    o.attempt.signature = "c2lnbmF0dXJl";
    o.attempt.webhook_delivery =
        model::reference{c.delivery.id, std::string(model::webhook_delivery::type_name), ""};
    o.attempt.is_successful = ok;
    if (ok) {
      o.attempt.response_status_code = 200;
    } else {
      o.attempt.response_status_code = 503;
      o.attempt.error_response_body = "unavailable";
    }
    o.attempt.created_at = now();
    o.lease = c.lease;
    o.status = st;
    o.next_attempt_at = next_at;
    return o;
  }

  std::vector<record_result> record(const std::vector<attempt_outcome>& outcomes) {
    auto r = store().record(std::span<const attempt_outcome>(outcomes), now());
    EXPECT_TRUE(r.has_value());
    return r ? std::move(*r) : std::vector<record_result>{};
  }

  static std::vector<std::string> ids_of(const std::vector<claimed_delivery>& claimed) {
    std::vector<std::string> out;
    for (const auto& c : claimed) out.push_back(c.delivery.id);
    return out;
  }

  template <class T>
  static std::vector<std::string> ids_of(const std::vector<T>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) {
      if constexpr (std::is_same_v<T, endpoint_record>) {
        out.push_back(i.endpoint.id);
      } else if constexpr (std::is_same_v<T, store::shared_endpoint_record>) {
        out.push_back(i->endpoint.id);
      } else {
        out.push_back(i.id);
      }
    }
    return out;
  }

  /// Every item of a collection, read forward page by page.
  template <class S, class Filter, class List>
  static auto all_pages(S& s, const Filter& filter, List list, std::size_t limit = 7) {
    page_request request;
    request.limit = limit;
    std::decay_t<decltype((s.*list)(filter, request)->items)> out;
    for (int guard = 0; guard < 100000; ++guard) {
      auto page = (s.*list)(filter, request);
      EXPECT_TRUE(page.has_value());
      if (!page) break;
      out.insert(out.end(), page->items.begin(), page->items.end());
      if (!page->next) break;
      request.cursor = page->next;
    }
    return out;
  }
};

TYPED_TEST_SUITE_P(delivery_store_conformance);

// --- the concept ----------------------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, models_the_delivery_store_concept) {
  static_assert(delivery_store<TypeParam>);
  EXPECT_TRUE(delivery_store<TypeParam>);
  auto stats = this->store().stats(this->now());
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(*stats, store_stats{}) << "store_factory must make an empty store";
}

// --- endpoints (requirements 1-4) -------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, creates_and_gets_endpoints) {
  auto record = this->make_endpoint(this->next_id(), {"employee.created", "leave.*"});
  auto created = this->store().create_endpoint(record);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->version, 1u);
  record.version = 1;
  EXPECT_EQ(*created, record);
  auto got = this->store().get_endpoint(record.endpoint.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, record);

  auto missing = this->store().get_endpoint("no-such-endpoint");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error(), errc::not_found);

  auto again = this->store().create_endpoint(record);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), store_errc::duplicate_id);
}

TYPED_TEST_P(delivery_store_conformance, updates_endpoints_under_a_version_check) {
  const auto id = this->add_endpoint();
  auto current = *this->store().get_endpoint(id);
  model::webhook_endpoint patch = current.endpoint;
  patch.name = "renamed";
  patch.topics = {"employee.updated"};
  patch.secret = "ignored";                 // the secret only changes by rotation
  patch.created_at = this->t0 + std::chrono::hours{5}; // read-only
  this->clock_.advance(std::chrono::minutes{1});

  auto stale = this->store().update_endpoint(patch, current.version + 1, this->now());
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error(), store_errc::version_mismatch);

  auto updated = this->store().update_endpoint(patch, current.version, this->now());
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->version, 2u);
  EXPECT_EQ(updated->endpoint.name, "renamed");
  EXPECT_EQ(updated->endpoint.topics, std::vector<std::string>{"employee.updated"});
  EXPECT_EQ(updated->endpoint.secret, "first-secret");
  EXPECT_EQ(updated->endpoint.created_at, this->t0);
  EXPECT_EQ(updated->endpoint.last_updated_at, this->now());
  EXPECT_EQ(*this->store().get_endpoint(id), *updated);

  // The version read before is now stale; any_version always passes.
  EXPECT_EQ(this->store().update_endpoint(patch, current.version, this->now()).error(),
            store_errc::version_mismatch);
  auto forced = this->store().update_endpoint(patch, any_version, this->now());
  ASSERT_TRUE(forced.has_value());
  EXPECT_EQ(forced->version, 3u);

  patch.id = "no-such-endpoint";
  EXPECT_EQ(this->store().update_endpoint(patch, any_version, this->now()).error(),
            errc::not_found);
}

TYPED_TEST_P(delivery_store_conformance, rotates_secrets_keeping_the_previous_one) {
  const auto id = this->add_endpoint();
  const timestamp until = this->now() + std::chrono::hours{24};
  auto rotated = this->store().rotate_secret(id, "second-secret", until, this->now());
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(rotated->endpoint.secret, "second-secret");
  EXPECT_EQ(rotated->previous_secret, "first-secret");
  EXPECT_EQ(rotated->previous_secret_expires_at, until);
  EXPECT_EQ(rotated->version, 2u);
  EXPECT_EQ(*this->store().get_endpoint(id), *rotated);
  EXPECT_EQ(this->store().rotate_secret("nope", "x", until, this->now()).error(), errc::not_found);
}

TYPED_TEST_P(delivery_store_conformance, deleting_an_endpoint_fails_its_pending_deliveries) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  const auto p1 = this->publish({a, b}, this->now());
  // One of a's deliveries is delivered first; it must stay delivered.
  auto claimed = this->claim("w", this->now(), 1);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].delivery.id, p1.delivery_ids[0]);
  this->record({this->outcome(claimed[0], true, model::delivery_status::delivered)});
  const auto p2 = this->publish({a}, this->now());
  auto leased = this->claim("w", this->now(), 10);
  ASSERT_EQ(leased.size(), 2u); // p1's delivery to b, p2's to a

  const auto version = this->store().get_endpoint(a)->version;
  EXPECT_EQ(this->store().delete_endpoint(a, version + 7, this->now()).error(),
            store_errc::version_mismatch);
  ASSERT_TRUE(this->store().delete_endpoint(a, version, this->now()).has_value());
  EXPECT_EQ(this->store().get_endpoint(a).error(), errc::not_found);
  EXPECT_EQ(this->store().delete_endpoint(a, any_version, this->now()).error(), errc::not_found);

  auto first = *this->store().get_delivery(p1.delivery_ids[0]);
  EXPECT_EQ(first.status, model::delivery_status::delivered);
  auto pending = *this->store().get_delivery(p2.delivery_ids[0]);
  EXPECT_EQ(pending.status, model::delivery_status::failed);
  EXPECT_EQ(pending.next_attempt_at, std::nullopt);
  EXPECT_EQ(this->store().get_delivery(p1.delivery_ids[1])->status,
            model::delivery_status::undelivered); // b's is untouched
  EXPECT_TRUE(this->store().get_event(p2.event_id).has_value()); // history stays

  // The in-flight attempt to the deleted endpoint has lost its lease.
  const auto& to_a = leased[0].delivery.id == p2.delivery_ids[0] ? leased[0] : leased[1];
  auto r = this->record({this->outcome(to_a, true, model::delivery_status::delivered)});
  EXPECT_EQ(r[0].error, errc::lease_lost);
}

TYPED_TEST_P(delivery_store_conformance, finds_the_endpoints_of_a_topic) {
  auto& s = this->store();
  const auto exact = this->next_id(), wildcard = this->next_id(), all = this->next_id(),
             other = this->next_id(), inactive = this->next_id(), suspended = this->next_id();
  ASSERT_TRUE(s.create_endpoint(this->make_endpoint(exact, {"employee.created"})));
  ASSERT_TRUE(s.create_endpoint(this->make_endpoint(wildcard, {"leave.created", "employee.*"})));
  ASSERT_TRUE(s.create_endpoint(this->make_endpoint(all, {"*"})));
  ASSERT_TRUE(s.create_endpoint(this->make_endpoint(other, {"leave.created"})));
  ASSERT_TRUE(s.create_endpoint(
      this->make_endpoint(inactive, {"employee.created"}, model::endpoint_status::inactive)));
  ASSERT_TRUE(s.create_endpoint(
      this->make_endpoint(suspended, {"employee.created"}, model::endpoint_status::suspended)));
  auto found = s.endpoints_for_topic("employee.created");
  ASSERT_TRUE(found.has_value());
  auto ids = this->ids_of(*found);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{exact, wildcard, all, suspended}));
  EXPECT_EQ(this->ids_of(*s.endpoints_for_topic("leave.created")),
            (std::vector<std::string>{wildcard, all, other}));
}

// Subscriptions follow the endpoint: a wildcard covers every deeper topic, an update
// of `topics` changes what matches at once, and a deleted endpoint matches nothing.
TYPED_TEST_P(delivery_store_conformance, topic_matches_follow_updates_and_deletes) {
  auto& s = this->store();
  const auto deep = this->next_id(), exact = this->next_id();
  ASSERT_TRUE(s.create_endpoint(this->make_endpoint(deep, {"employee.*"})));
  ASSERT_TRUE(s.create_endpoint(this->make_endpoint(exact, {"employee.contract.created"})));
  EXPECT_EQ(this->ids_of(*s.endpoints_for_topic("employee.contract.created")),
            (std::vector<std::string>{deep, exact}));
  EXPECT_EQ(this->ids_of(*s.endpoints_for_topic("employee.created")),
            (std::vector<std::string>{deep}));
  EXPECT_TRUE(s.endpoints_for_topic("employees.created")->empty()); // not a dotted prefix

  model::webhook_endpoint patch = s.get_endpoint(deep)->endpoint;
  patch.topics = {"leave.*", "employee.updated"};
  ASSERT_TRUE(s.update_endpoint(patch, any_version, this->now()));
  EXPECT_TRUE(s.endpoints_for_topic("employee.created")->empty());
  EXPECT_EQ(this->ids_of(*s.endpoints_for_topic("employee.updated")),
            (std::vector<std::string>{deep}));
  EXPECT_EQ(this->ids_of(*s.endpoints_for_topic("leave.request.approved")),
            (std::vector<std::string>{deep}));

  ASSERT_TRUE(s.delete_endpoint(deep, any_version, this->now()));
  EXPECT_TRUE(s.endpoints_for_topic("leave.request.approved")->empty());
  EXPECT_EQ(this->ids_of(*s.endpoints_for_topic("employee.contract.created")),
            (std::vector<std::string>{exact}));
}

// What a fan-out and a claim hand out is the endpoint as it is at that call: a
// rotated secret or a new URL is what the next publish and the next claim see,
// whatever copies an adapter keeps between calls, and a record handed out earlier
// does not change under its holder.
TYPED_TEST_P(delivery_store_conformance, fan_outs_and_claims_see_endpoint_changes) {
  auto& s = this->store();
  const auto id = this->add_endpoint();
  const auto first_fan_out = s.endpoints_for_topic("employee.created");
  ASSERT_TRUE(first_fan_out.has_value());
  ASSERT_EQ(first_fan_out->size(), 1u);
  this->publish({id}, this->now());
  const auto first_claim = this->claim("w", this->now());
  ASSERT_EQ(first_claim.size(), 1u);
  EXPECT_EQ(first_claim[0].endpoint->endpoint.secret, "first-secret");

  const timestamp until = this->now() + std::chrono::hours{24};
  ASSERT_TRUE(s.rotate_secret(id, "second-secret", until, this->now()).has_value());
  model::webhook_endpoint patch = s.get_endpoint(id)->endpoint;
  patch.webhook_url = "https://elsewhere.example.com/hooks";
  const auto updated = s.update_endpoint(patch, any_version, this->now());
  ASSERT_TRUE(updated.has_value());

  const auto fan_out = s.endpoints_for_topic("employee.created");
  ASSERT_TRUE(fan_out.has_value());
  ASSERT_EQ(fan_out->size(), 1u);
  EXPECT_EQ(fan_out->front()->endpoint, updated->endpoint);
  EXPECT_EQ(fan_out->front()->version, updated->version);
  EXPECT_EQ(fan_out->front()->previous_secret, "first-secret");
  this->publish({id}, this->now());
  const auto claim = this->claim("w", this->now());
  ASSERT_EQ(claim.size(), 1u);
  EXPECT_EQ(claim[0].endpoint->endpoint.secret, "second-secret");
  EXPECT_EQ(claim[0].endpoint->endpoint.webhook_url, "https://elsewhere.example.com/hooks");
  EXPECT_EQ(claim[0].endpoint->previous_secret_expires_at, until);

  EXPECT_EQ(first_fan_out->front()->endpoint.secret, "first-secret");
  EXPECT_EQ(first_claim[0].endpoint->endpoint.secret, "first-secret");
}

TYPED_TEST_P(delivery_store_conformance, lists_and_counts_endpoints_by_status) {
  using es = model::endpoint_status;
  std::vector<std::string> active, others;
  for (int i = 0; i < 9; ++i) {
    const es st = i % 3 == 0 ? es::active : (i % 3 == 1 ? es::suspended : es::inactive);
    (st == es::active ? active : others).push_back(this->add_endpoint(st));
  }
  endpoint_filter only_active;
  only_active.status.include = {es::active};
  EXPECT_EQ(*this->store().count_endpoints(only_active), 3);
  EXPECT_EQ(this->ids_of(this->all_pages(this->store(), only_active, &TypeParam::list_endpoints, 2)),
            active);
  endpoint_filter not_active;
  not_active.status.exclude = {es::active};
  EXPECT_EQ(*this->store().count_endpoints(not_active), 6);
  EXPECT_EQ(this->ids_of(this->all_pages(this->store(), not_active, &TypeParam::list_endpoints, 4)),
            others);
  EXPECT_EQ(*this->store().count_endpoints(endpoint_filter{}), 9);
}

// --- enqueue (requirement 5) ------------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, enqueues_an_event_with_its_deliveries) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  enqueue_request request;
  request.event = this->make_event(this->next_id());
  request.deliveries = {this->make_delivery(this->next_id(), request.event->id, a, this->now()),
                        this->make_delivery(this->next_id(), request.event->id, b, this->now())};
  auto r = this->store().enqueue(request, this->now());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_FALSE(r->replayed);
  ASSERT_NE(r->event, nullptr);
  EXPECT_EQ(*r->event, *request.event);
  EXPECT_EQ(r->deliveries, request.deliveries);
  EXPECT_EQ(*this->store().get_event(request.event->id), *request.event);
  for (const auto& d : request.deliveries) EXPECT_EQ(*this->store().get_delivery(d.id), d);

  // An event nobody subscribes to is stored too.
  enqueue_request lonely;
  lonely.event = this->make_event(this->next_id(), "nobody.cares");
  ASSERT_TRUE(this->store().enqueue(lonely, this->now()).has_value());
  EXPECT_EQ(*this->store().count_events(event_filter{}), 2);

  // Not asked to return the deliveries, a store still stores every one of them.
  enqueue_request quiet;
  quiet.event = this->make_event(this->next_id());
  quiet.deliveries = {this->make_delivery(this->next_id(), quiet.event->id, a, this->now()),
                      this->make_delivery(this->next_id(), quiet.event->id, b, this->now())};
  quiet.return_deliveries = false;
  auto q = this->store().enqueue(quiet, this->now());
  ASSERT_TRUE(q.has_value()) << q.error().message();
  ASSERT_NE(q->event, nullptr);
  EXPECT_EQ(*q->event, *quiet.event);
  EXPECT_TRUE(q->deliveries.empty() || q->deliveries == quiet.deliveries);
  for (const auto& d : quiet.deliveries) EXPECT_EQ(*this->store().get_delivery(d.id), d);
}

TYPED_TEST_P(delivery_store_conformance, enqueue_stores_nothing_when_any_part_fails) {
  const auto a = this->add_endpoint();
  auto& s = this->store();
  auto expect_nothing_stored = [&] {
    EXPECT_EQ(*s.count_events(event_filter{}), 0);
    EXPECT_EQ(*s.count_deliveries(delivery_filter{}), 0);
  };
  const std::string event_id = this->next_id();
  auto base = [&] {
    enqueue_request r;
    r.event = this->make_event(event_id);
    r.deliveries.push_back(this->make_delivery(this->next_id(), event_id, a, this->now()));
    return r;
  };

  auto unknown_endpoint = base();
  unknown_endpoint.deliveries.push_back(
      this->make_delivery(this->next_id(), event_id, "no-such-endpoint", this->now()));
  EXPECT_EQ(s.enqueue(unknown_endpoint, this->now()).error(), errc::not_found);
  expect_nothing_stored();

  auto twice_in_batch = base();
  twice_in_batch.deliveries.push_back(twice_in_batch.deliveries.front());
  EXPECT_EQ(s.enqueue(twice_in_batch, this->now()).error(), store_errc::duplicate_id);
  expect_nothing_stored();

  auto other_event = base();
  other_event.deliveries.push_back(
      this->make_delivery(this->next_id(), "another-event", a, this->now()));
  EXPECT_EQ(s.enqueue(other_event, this->now()).error(), store_errc::invalid_request);
  expect_nothing_stored();

  auto already_attempted = base();
  already_attempted.deliveries.back().attempts_count = 1;
  EXPECT_EQ(s.enqueue(already_attempted, this->now()).error(), store_errc::invalid_request);
  auto not_scheduled = base();
  not_scheduled.deliveries.back().next_attempt_at.reset();
  EXPECT_EQ(s.enqueue(not_scheduled, this->now()).error(), store_errc::invalid_request);
  expect_nothing_stored();

  // A delivery id that exists already: the new event must not be stored either.
  auto first = base();
  ASSERT_TRUE(s.enqueue(first, this->now()).has_value());
  enqueue_request clash;
  clash.event = this->make_event(this->next_id());
  clash.deliveries = {
      this->make_delivery(this->next_id(), clash.event->id, a, this->now()),
      this->make_delivery(first.deliveries.front().id, clash.event->id, a, this->now())};
  EXPECT_EQ(s.enqueue(clash, this->now()).error(), store_errc::duplicate_id);
  EXPECT_EQ(s.get_event(clash.event->id).error(), errc::not_found);
  EXPECT_EQ(s.get_delivery(clash.deliveries.front().id).error(), errc::not_found);

  // An event id that exists already.
  auto same_event = base();
  EXPECT_EQ(s.enqueue(same_event, this->now()).error(), store_errc::duplicate_id);
  EXPECT_EQ(*s.count_events(event_filter{}), 1);
  EXPECT_EQ(*s.count_deliveries(delivery_filter{}), 1);
}

TYPED_TEST_P(delivery_store_conformance, idempotency_key_returns_the_first_event_for_a_day) {
  const auto a = this->add_endpoint();
  auto request_with_key = [&] {
    enqueue_request r;
    r.event = this->make_event(this->next_id());
    r.deliveries.push_back(this->make_delivery(this->next_id(), r.event->id, a, this->now()));
    r.idempotency_key = "publish-42";
    return r;
  };
  const auto first = request_with_key();
  auto stored = this->store().enqueue(first, this->now());
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->replayed);

  this->clock_.advance(std::chrono::hours{23});
  auto replay = this->store().enqueue(request_with_key(), this->now());
  ASSERT_TRUE(replay.has_value());
  EXPECT_TRUE(replay->replayed);
  ASSERT_NE(replay->event, nullptr);
  EXPECT_EQ(*replay->event, *first.event);
  EXPECT_EQ(this->ids_of(replay->deliveries), this->ids_of(first.deliveries));
  EXPECT_EQ(*this->store().count_events(event_filter{}), 1);
  EXPECT_EQ(*this->store().count_deliveries(delivery_filter{}), 1);

  this->clock_.advance(std::chrono::hours{1}); // 24 h after the first: a new event
  const auto later = request_with_key();
  auto fresh = this->store().enqueue(later, this->now());
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->replayed);
  ASSERT_NE(fresh->event, nullptr);
  EXPECT_EQ(fresh->event->id, later.event->id);
  EXPECT_EQ(*this->store().count_events(event_filter{}), 2);
}

TYPED_TEST_P(delivery_store_conformance, enqueue_adds_deliveries_to_a_stored_event) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a}, this->now());
  enqueue_request resend;
  resend.deliveries.push_back(this->make_delivery(this->next_id(), p.event_id, a, this->now()));
  auto r = this->store().enqueue(resend, this->now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->event, nullptr);
  delivery_filter of_event;
  of_event.event_id.include = {p.event_id};
  EXPECT_EQ(*this->store().count_deliveries(of_event), 2);

  enqueue_request unknown;
  unknown.deliveries.push_back(this->make_delivery(this->next_id(), "no-event", a, this->now()));
  EXPECT_EQ(this->store().enqueue(unknown, this->now()).error(), errc::not_found);
}

// --- suspension (requirement 2) ---------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, holds_deliveries_while_suspended_and_releases_oldest_first) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  const auto early = this->publish({a}, this->now() + std::chrono::minutes{30});
  ASSERT_TRUE(this->store().suspend_endpoint(a, this->now()).has_value());
  EXPECT_EQ(this->store().get_endpoint(a)->endpoint.status, model::endpoint_status::suspended);
  EXPECT_EQ(this->store().get_delivery(early.delivery_ids[0])->next_attempt_at, std::nullopt);
  const auto late = this->publish({a, b}, this->now());
  EXPECT_EQ(this->store().get_delivery(late.delivery_ids[0])->next_attempt_at, std::nullopt);
  EXPECT_EQ(this->store().get_delivery(late.delivery_ids[0])->status,
            model::delivery_status::undelivered);

  this->clock_.advance(std::chrono::hours{1});
  EXPECT_EQ(this->ids_of(this->claim("w", this->now())),
            std::vector<std::string>{late.delivery_ids[1]}); // only b's
  EXPECT_EQ(this->store().stats(this->now())->held, 2);

  // Reactivation (PATCH status=active after the challenge): both scheduled now, oldest first.
  auto current = *this->store().get_endpoint(a);
  auto patch = current.endpoint;
  patch.status = model::endpoint_status::active;
  ASSERT_TRUE(this->store().update_endpoint(patch, current.version, this->now()).has_value());
  EXPECT_EQ(this->store().get_delivery(early.delivery_ids[0])->next_attempt_at, this->now());
  EXPECT_EQ(this->ids_of(this->claim("w", this->now())),
            (std::vector<std::string>{early.delivery_ids[0], late.delivery_ids[0]}));
}

TYPED_TEST_P(delivery_store_conformance, test_deliveries_ignore_the_endpoint_status) {
  const auto a = this->add_endpoint(model::endpoint_status::suspended);
  enqueue_request ping;
  ping.event = this->make_event(this->next_id(), "ping");
  ping.deliveries.push_back(this->make_delivery(this->next_id(), ping.event->id, a, this->now()));
  ping.ignore_endpoint_status = true;
  ASSERT_TRUE(this->store().enqueue(ping, this->now()).has_value());
  EXPECT_EQ(this->ids_of(this->claim("w", this->now())),
            std::vector<std::string>{ping.deliveries[0].id});
}

// --- claims (requirements 6-8) ----------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, claims_due_deliveries_in_due_order_up_to_max) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  const timestamp t = this->now();
  const auto later = this->publish({a}, t + std::chrono::seconds{20});
  const auto sooner = this->publish({a, b}, t + std::chrono::seconds{10});
  const auto future = this->publish({b}, t + std::chrono::hours{1});

  EXPECT_TRUE(this->claim("w", t).empty());
  auto first = this->claim("w", t + std::chrono::seconds{30}, 2);
  EXPECT_EQ(this->ids_of(first), sooner.delivery_ids); // same due time: id order
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].lease.owner, "w");
  EXPECT_EQ(first[0].lease.until, t + std::chrono::seconds{60});
  ASSERT_TRUE(first[0].endpoint && first[0].event);
  EXPECT_EQ(first[0].endpoint->endpoint.id, a);
  EXPECT_EQ(first[0].event->id, sooner.event_id);
  EXPECT_EQ(first[1].endpoint->endpoint.id, b);
  EXPECT_EQ(*first[0].event, *this->store().get_event(sooner.event_id));
  EXPECT_EQ(first[0].delivery, *this->store().get_delivery(first[0].delivery.id));

  EXPECT_EQ(this->ids_of(this->claim("w", t + std::chrono::seconds{30})), later.delivery_ids);
  EXPECT_TRUE(this->claim("w", t + std::chrono::seconds{30}).empty());
  (void)future;

  claim_request none;
  none.now = t + std::chrono::hours{2};
  none.owner = "w";
  none.max = 0;
  EXPECT_TRUE(this->store().claim_due(none)->empty());
}

TYPED_TEST_P(delivery_store_conformance, a_lease_is_exclusive_until_it_expires) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a}, this->now());
  auto mine = this->claim("first", this->now(), 10, std::chrono::seconds{30});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_TRUE(this->claim("second", this->now()).empty());
  EXPECT_TRUE(this->claim("first", this->now() + std::chrono::milliseconds{29999}).empty());
  this->clock_.advance(std::chrono::seconds{30}); // until <= now: expired
  auto theirs = this->claim("second", this->now());
  ASSERT_EQ(this->ids_of(theirs), p.delivery_ids);
  EXPECT_EQ(theirs[0].lease.owner, "second");
  EXPECT_TRUE(this->claim("first", this->now()).empty());
}

TYPED_TEST_P(delivery_store_conformance, release_gives_an_owners_leases_back) {
  const auto a = this->add_endpoint();
  this->publish({a}, this->now());
  this->publish({a}, this->now());
  ASSERT_EQ(this->claim("stopping", this->now(), 1).size(), 1u);
  ASSERT_EQ(this->claim("other", this->now(), 1).size(), 1u);
  auto released = this->store().release("stopping");
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(*released, 1u);
  EXPECT_EQ(this->claim("next", this->now()).size(), 1u); // "other" keeps its lease
  EXPECT_EQ(*this->store().release("nobody"), 0u);
}

TYPED_TEST_P(delivery_store_conformance, next_due_at_is_when_a_claim_can_succeed) {
  EXPECT_EQ(*this->store().next_due_at(this->now()), std::nullopt);
  const auto a = this->add_endpoint();
  const timestamp t = this->now();
  this->publish({a}, t + std::chrono::minutes{5});
  this->publish({a}, t + std::chrono::minutes{10});
  EXPECT_EQ(*this->store().next_due_at(t), t + std::chrono::minutes{5});
  auto claimed = this->claim("w", t + std::chrono::minutes{5}, 1, std::chrono::minutes{30});
  ASSERT_EQ(claimed.size(), 1u);
  // The other one is due at +10 min; the leased one not before its lease ends.
  EXPECT_EQ(*this->store().next_due_at(t + std::chrono::minutes{5}), t + std::chrono::minutes{10});
  ASSERT_EQ(this->claim("w", t + std::chrono::minutes{10}, 1).size(), 1u);
  const auto bound = *this->store().next_due_at(t + std::chrono::minutes{10});
  ASSERT_TRUE(bound.has_value());
  EXPECT_LE(*bound, t + std::chrono::minutes{35});
  EXPECT_GT(*bound, t + std::chrono::minutes{10});
}

// --- record (requirement 9) -------------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, record_stores_the_attempt_and_the_new_state) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a, a, a}, this->now());
  auto claimed = this->claim("w", this->now());
  ASSERT_EQ(claimed.size(), 3u);
  const timestamp retry_at = this->now() + std::chrono::minutes{5};
  const std::vector<attempt_outcome> outcomes = {
      this->outcome(claimed[0], true, model::delivery_status::delivered),
      this->outcome(claimed[1], false, model::delivery_status::undelivered, retry_at),
      this->outcome(claimed[2], false, model::delivery_status::failed)};
  auto results = this->record(outcomes);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_FALSE(r.error) << r.error.message();
    EXPECT_FALSE(r.already_recorded);
  }

  auto delivered = *this->store().get_delivery(p.delivery_ids[0]);
  EXPECT_EQ(delivered.status, model::delivery_status::delivered);
  EXPECT_EQ(delivered.attempts_count, 1);
  EXPECT_EQ(delivered.next_attempt_at, std::nullopt);
  EXPECT_EQ(results[0].delivery, store::state_of(delivered));
  auto retried = *this->store().get_delivery(p.delivery_ids[1]);
  EXPECT_EQ(retried.status, model::delivery_status::undelivered);
  EXPECT_EQ(retried.attempts_count, 1);
  EXPECT_EQ(retried.next_attempt_at, retry_at);
  EXPECT_EQ(results[1].delivery, store::state_of(retried)); // the engine schedules the retry from it
  auto failed = *this->store().get_delivery(p.delivery_ids[2]);
  EXPECT_EQ(failed.status, model::delivery_status::failed);
  EXPECT_EQ(failed.next_attempt_at, std::nullopt);
  EXPECT_EQ(results[2].delivery, store::state_of(failed));
  for (const auto& o : outcomes) EXPECT_EQ(*this->store().get_attempt(o.attempt.id), o.attempt);

  // The retry comes back when due, with a fresh lease, and counts a second attempt.
  EXPECT_TRUE(this->claim("w", this->now()).empty());
  this->clock_.set(retry_at);
  auto again = this->claim("w", this->now());
  ASSERT_EQ(this->ids_of(again), std::vector<std::string>{p.delivery_ids[1]});
  this->record({this->outcome(again[0], true, model::delivery_status::delivered)});
  EXPECT_EQ(this->store().get_delivery(p.delivery_ids[1])->attempts_count, 2);
  EXPECT_EQ(this->store().get_attempt("no-such-attempt").error(), errc::not_found);
}

TYPED_TEST_P(delivery_store_conformance, recording_the_same_attempt_twice_changes_nothing) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a}, this->now());
  auto claimed = this->claim("w", this->now());
  ASSERT_EQ(claimed.size(), 1u);
  const auto o = this->outcome(claimed[0], false, model::delivery_status::undelivered,
                               this->now() + std::chrono::minutes{5});
  ASSERT_FALSE(this->record({o})[0].error);
  const auto after_first = *this->store().get_delivery(p.delivery_ids[0]);
  const auto health_first = this->store().get_endpoint(a)->health;

  // A retried call, and the same outcome twice in one batch.
  auto again = this->record({o, o});
  ASSERT_EQ(again.size(), 2u);
  for (const auto& r : again) {
    EXPECT_FALSE(r.error);
    EXPECT_TRUE(r.already_recorded);
  }
  EXPECT_EQ(*this->store().get_delivery(p.delivery_ids[0]), after_first);
  EXPECT_EQ(after_first.attempts_count, 1);
  EXPECT_EQ(this->store().get_endpoint(a)->health, health_first);
  EXPECT_EQ(*this->store().count_attempts(attempt_filter{}), 1);
}

TYPED_TEST_P(delivery_store_conformance, record_rejects_an_outcome_whose_lease_is_lost) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a}, this->now());
  auto slow = this->claim("slow", this->now(), 1, std::chrono::seconds{30});
  ASSERT_EQ(slow.size(), 1u);
  this->clock_.advance(std::chrono::seconds{31});
  auto fast = this->claim("fast", this->now(), 1, std::chrono::seconds{30});
  ASSERT_EQ(fast.size(), 1u);

  auto late = this->record({this->outcome(slow[0], true, model::delivery_status::delivered)});
  EXPECT_EQ(late[0].error, errc::lease_lost);
  EXPECT_EQ(this->store().get_delivery(p.delivery_ids[0])->attempts_count, 0);
  EXPECT_EQ(*this->store().count_attempts(attempt_filter{}), 0);

  // A forged lease (right owner, wrong expiry) is not the lease either.
  auto forged = this->outcome(fast[0], true, model::delivery_status::delivered);
  forged.lease.until += std::chrono::seconds{1};
  EXPECT_EQ(this->record({forged})[0].error, errc::lease_lost);

  auto ok = this->record({this->outcome(fast[0], true, model::delivery_status::delivered)});
  EXPECT_FALSE(ok[0].error);
  // Once recorded the lease is gone: a second, different attempt under it is refused.
  EXPECT_EQ(this->record({this->outcome(fast[0], true, model::delivery_status::delivered)})[0].error,
            errc::lease_lost);

  attempt_outcome unknown = this->outcome(fast[0], true, model::delivery_status::delivered);
  unknown.attempt.webhook_delivery.id = "no-such-delivery";
  EXPECT_EQ(this->record({unknown})[0].error, errc::not_found);
}

TYPED_TEST_P(delivery_store_conformance, an_expired_lease_nobody_took_can_still_record) {
  const auto a = this->add_endpoint();
  this->publish({a}, this->now());
  auto claimed = this->claim("w", this->now(), 1, std::chrono::seconds{3});
  ASSERT_EQ(claimed.size(), 1u);
  this->clock_.advance(std::chrono::seconds{10});
  auto r = this->record({this->outcome(claimed[0], true, model::delivery_status::delivered)});
  EXPECT_FALSE(r[0].error);
  EXPECT_TRUE(this->claim("other", this->now()).empty());
}

TYPED_TEST_P(delivery_store_conformance, record_keeps_the_endpoint_health) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a, a, a}, this->now());
  auto c = this->claim("w", this->now());
  ASSERT_EQ(c.size(), 3u);
  const timestamp t_fail = this->now();
  auto r1 = this->record({this->outcome(c[0], false, model::delivery_status::failed)});
  ASSERT_TRUE(r1[0].health.has_value());
  EXPECT_EQ(r1[0].health->consecutive_failed_deliveries, 1);
  EXPECT_EQ(r1[0].health->failing_since, t_fail);
  EXPECT_EQ(r1[0].health->last_success_at, std::nullopt);

  this->clock_.advance(std::chrono::minutes{1});
  auto r2 = this->record({this->outcome(c[1], false, model::delivery_status::undelivered,
                                        this->now() + std::chrono::hours{1})});
  EXPECT_EQ(r2[0].health->consecutive_failed_deliveries, 1); // not finished yet
  EXPECT_EQ(r2[0].health->failing_since, t_fail);            // the streak's start

  this->clock_.advance(std::chrono::minutes{1});
  auto r3 = this->record({this->outcome(c[2], true, model::delivery_status::delivered)});
  const endpoint_health expected{0, this->now(), std::nullopt};
  EXPECT_EQ(r3[0].health, expected);
  EXPECT_EQ(this->store().get_endpoint(a)->health, expected);
  (void)p;
}

TYPED_TEST_P(delivery_store_conformance, a_retry_on_a_suspended_endpoint_is_held) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a}, this->now());
  auto c = this->claim("w", this->now());
  ASSERT_EQ(c.size(), 1u);
  ASSERT_TRUE(this->store().suspend_endpoint(a, this->now()).has_value()); // e.g. a 410 elsewhere
  auto r = this->record({this->outcome(c[0], false, model::delivery_status::undelivered,
                                       this->now() + std::chrono::minutes{5})});
  EXPECT_FALSE(r[0].error);
  auto d = *this->store().get_delivery(p.delivery_ids[0]);
  EXPECT_EQ(d.status, model::delivery_status::undelivered);
  EXPECT_EQ(d.next_attempt_at, std::nullopt);
  EXPECT_EQ(d.attempts_count, 1);
}

// --- per-endpoint limits (requirement 6, SPEC.md Part 1 §6) ------------------------------

TYPED_TEST_P(delivery_store_conformance, fifo_claims_only_the_oldest_delivery_of_an_endpoint) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  std::vector<std::string> to_a;
  for (int i = 0; i < 3; ++i) {
    auto p = this->publish({a, b}, this->now());
    to_a.push_back(p.delivery_ids[0]);
  }
  claim_request fifo;
  fifo.now = this->now();
  fifo.owner = "w";
  fifo.fifo = true;
  fifo.lease_duration = std::chrono::hours{1};
  auto first = *this->store().claim_due(fifo);
  ASSERT_EQ(first.size(), 2u); // one per endpoint
  EXPECT_EQ(first[0].delivery.id, to_a[0]);
  EXPECT_TRUE(this->store().claim_due(fifo)->empty()); // both endpoints busy

  // a's head is retried later: a waits for it, b goes on.
  const auto& head_a = first[0];
  const auto& head_b = first[1];
  this->record({this->outcome(head_a, false, model::delivery_status::undelivered,
                              this->now() + std::chrono::minutes{5}),
                this->outcome(head_b, true, model::delivery_status::delivered)});
  auto second = *this->store().claim_due(fifo);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].delivery.webhook_endpoint.id, b);

  fifo.now += std::chrono::minutes{5};
  auto third = *this->store().claim_due(fifo);
  ASSERT_EQ(third.size(), 1u); // b's second is still leased; a's head is due again
  EXPECT_EQ(third[0].delivery.id, to_a[0]);
  this->record({this->outcome(third[0], true, model::delivery_status::delivered)});
  auto fourth = *this->store().claim_due(fifo);
  ASSERT_EQ(fourth.size(), 1u);
  EXPECT_EQ(fourth[0].delivery.id, to_a[1]);
}

TYPED_TEST_P(delivery_store_conformance, limits_deliveries_in_flight_per_endpoint) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  for (int i = 0; i < 5; ++i) this->publish({a, b}, this->now());
  claim_request limited;
  limited.now = this->now();
  limited.owner = "one";
  limited.max_in_flight_per_endpoint = 3;
  auto first = *this->store().claim_due(limited);
  EXPECT_EQ(first.size(), 6u);
  limited.owner = "two"; // other processes' leases count too
  auto second = *this->store().claim_due(limited);
  EXPECT_TRUE(second.empty());
  this->record({this->outcome(first[0], true, model::delivery_status::delivered)});
  auto third = *this->store().claim_due(limited);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].delivery.webhook_endpoint.id, first[0].delivery.webhook_endpoint.id);
}

// Work due after a long backlog of an endpoint at its limit is still found, in due
// order, however small the claim.
TYPED_TEST_P(delivery_store_conformance, a_busy_endpoints_backlog_hides_no_other_work) {
  const auto busy = this->add_endpoint();
  const auto quiet = this->add_endpoint();
  for (int i = 0; i < 20; ++i) this->publish({busy}, this->now());
  this->clock_.advance(std::chrono::seconds{1});
  const auto q1 = this->publish({quiet}, this->now());
  const auto q2 = this->publish({quiet}, this->now());
  claim_request limited;
  limited.now = this->now();
  limited.owner = "one";
  limited.max_in_flight_per_endpoint = 3;
  limited.max = 4;
  auto first = *this->store().claim_due(limited);
  ASSERT_EQ(first.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(first[i].delivery.webhook_endpoint.id, busy);
  EXPECT_EQ(first[3].delivery.id, q1.delivery_ids[0]);
  limited.max = 64;
  auto second = *this->store().claim_due(limited);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].delivery.id, q2.delivery_ids[0]);
}

// --- history (requirement 10) -----------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, filters_and_counts_deliveries) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  const auto c = this->add_endpoint();
  const auto p1 = this->publish({a, b, c}, this->now());
  const auto p2 = this->publish({a, b}, this->now());
  auto claimed = this->claim("w", this->now(), 1);
  ASSERT_EQ(claimed.size(), 1u); // p1 -> a
  this->record({this->outcome(claimed[0], true, model::delivery_status::delivered)});
  auto& s = this->store();
  auto list = [&](const delivery_filter& f) {
    return this->ids_of(this->all_pages(s, f, &TypeParam::list_deliveries, 2));
  };

  delivery_filter by_endpoint;
  by_endpoint.endpoint_id.include = {a, c};
  EXPECT_EQ(list(by_endpoint),
            (std::vector<std::string>{p1.delivery_ids[0], p1.delivery_ids[2], p2.delivery_ids[0]}));
  EXPECT_EQ(*s.count_deliveries(by_endpoint), 3);

  delivery_filter not_b_of_p2;
  not_b_of_p2.endpoint_id.exclude = {b};
  not_b_of_p2.event_id.include = {p2.event_id};
  EXPECT_EQ(list(not_b_of_p2), std::vector<std::string>{p2.delivery_ids[0]});
  EXPECT_EQ(*s.count_deliveries(not_b_of_p2), 1);

  delivery_filter pending;
  pending.status.exclude = {model::delivery_status::delivered, model::delivery_status::failed};
  EXPECT_EQ(*s.count_deliveries(pending), 4);
  delivery_filter delivered;
  delivered.status.include = {model::delivery_status::delivered};
  EXPECT_EQ(list(delivered), std::vector<std::string>{p1.delivery_ids[0]});

  delivery_filter none;
  none.event_id.include = {"no-such-event"};
  EXPECT_TRUE(list(none).empty());
  EXPECT_EQ(*s.count_deliveries(none), 0);
  EXPECT_EQ(*s.count_deliveries(delivery_filter{}), 5);
}

TYPED_TEST_P(delivery_store_conformance, filters_and_counts_attempts) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a, a}, this->now());
  auto c = this->claim("w", this->now());
  ASSERT_EQ(c.size(), 2u);
  const auto o1 = this->outcome(c[0], false, model::delivery_status::undelivered, this->now());
  const auto o2 = this->outcome(c[1], true, model::delivery_status::delivered);
  this->record({o1, o2});
  auto again = this->claim("w", this->now());
  ASSERT_EQ(again.size(), 1u);
  const auto o3 = this->outcome(again[0], true, model::delivery_status::delivered);
  this->record({o3});

  auto& s = this->store();
  auto list = [&](const attempt_filter& f) {
    return this->ids_of(this->all_pages(s, f, &TypeParam::list_attempts, 1));
  };
  attempt_filter of_first;
  of_first.delivery_id.include = {p.delivery_ids[0]};
  EXPECT_EQ(list(of_first), (std::vector<std::string>{o1.attempt.id, o3.attempt.id}));
  attempt_filter successful;
  successful.is_successful.include = {true};
  EXPECT_EQ(list(successful), (std::vector<std::string>{o2.attempt.id, o3.attempt.id}));
  EXPECT_EQ(*s.count_attempts(successful), 2);
  attempt_filter unsuccessful;
  unsuccessful.is_successful.exclude = {true};
  EXPECT_EQ(list(unsuccessful), std::vector<std::string>{o1.attempt.id});
  EXPECT_EQ(*s.count_attempts(attempt_filter{}), 3);
}

TYPED_TEST_P(delivery_store_conformance, filters_and_counts_events_by_topic) {
  const auto e1 = this->publish({}, this->now(), "employee.created");
  const auto e2 = this->publish({}, this->now(), "leave.created");
  const auto e3 = this->publish({}, this->now(), "employee.updated");
  auto& s = this->store();
  event_filter employees;
  employees.topic.include = {"employee.created", "employee.updated"};
  EXPECT_EQ(this->ids_of(this->all_pages(s, employees, &TypeParam::list_events, 1)),
            (std::vector<std::string>{e1.event_id, e3.event_id}));
  event_filter not_leave;
  not_leave.topic.exclude = {"leave.created"};
  EXPECT_EQ(*s.count_events(not_leave), 2);
  EXPECT_EQ(this->ids_of(this->all_pages(s, event_filter{}, &TypeParam::list_events)),
            (std::vector<std::string>{e1.event_id, e2.event_id, e3.event_id}));
}

TYPED_TEST_P(delivery_store_conformance, cursors_page_forward_and_back) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(this->publish({}, this->now()).event_id);
  auto& s = this->store();
  page_request request;
  request.limit = 2;
  auto p1 = *s.list_events(event_filter{}, request);
  EXPECT_EQ(this->ids_of(p1.items), (std::vector<std::string>{ids[0], ids[1]}));
  EXPECT_FALSE(p1.prev.has_value());
  ASSERT_TRUE(p1.next.has_value());

  request.cursor = p1.next;
  auto p2 = *s.list_events(event_filter{}, request);
  EXPECT_EQ(this->ids_of(p2.items), (std::vector<std::string>{ids[2], ids[3]}));
  ASSERT_TRUE(p2.prev && p2.next);

  request.cursor = p2.next;
  auto p3 = *s.list_events(event_filter{}, request);
  EXPECT_EQ(this->ids_of(p3.items), std::vector<std::string>{ids[4]});
  EXPECT_FALSE(p3.next.has_value());
  ASSERT_TRUE(p3.prev.has_value());

  // Back again: the same pages (the wire form of the cursors round-trips too).
  request.cursor = *cursor::decode(p3.prev->encode());
  auto back2 = *s.list_events(event_filter{}, request);
  EXPECT_EQ(this->ids_of(back2.items), this->ids_of(p2.items));
  ASSERT_TRUE(back2.prev.has_value());
  request.cursor = back2.prev;
  auto back1 = *s.list_events(event_filter{}, request);
  EXPECT_EQ(this->ids_of(back1.items), this->ids_of(p1.items));
  EXPECT_FALSE(back1.prev.has_value());
  ASSERT_TRUE(back1.next.has_value());
  EXPECT_EQ(*back1.next, *p1.next);

  // A backward page at the start is not padded with later items.
  request.cursor = cursor{ids[1], page_direction::backward};
  EXPECT_EQ(this->ids_of(s.list_events(event_filter{}, request)->items),
            std::vector<std::string>{ids[0]});
  // A cursor on a key that is not stored (purged) still positions the page.
  request.cursor = cursor{ids[1] + "~", page_direction::forward};
  EXPECT_EQ(this->ids_of(s.list_events(event_filter{}, request)->items),
            (std::vector<std::string>{ids[2], ids[3]}));
}

TYPED_TEST_P(delivery_store_conformance, page_limits_are_0_to_100) {
  for (int i = 0; i < 3; ++i) this->publish({}, this->now());
  auto& s = this->store();
  page_request none;
  none.limit = 0;
  auto empty = s.list_events(event_filter{}, none);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->items.empty());
  page_request too_many;
  too_many.limit = 101;
  EXPECT_EQ(s.list_events(event_filter{}, too_many).error(), store_errc::invalid_request);
  EXPECT_EQ(s.list_deliveries(delivery_filter{}, too_many).error(), store_errc::invalid_request);
  EXPECT_EQ(s.list_attempts(attempt_filter{}, too_many).error(), store_errc::invalid_request);
  EXPECT_EQ(s.list_endpoints(endpoint_filter{}, too_many).error(), store_errc::invalid_request);
  page_request max;
  max.limit = 100;
  EXPECT_EQ(s.list_events(event_filter{}, max)->items.size(), 3u);
}

// --- maintenance (requirement 11) -------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, purge_removes_old_history_but_not_pending_work) {
  const auto a = this->add_endpoint();
  const auto old_done = this->publish({a}, this->now());
  const auto old_pending = this->publish({a}, this->now() + std::chrono::hours{1});
  const auto old_mixed = this->publish({a, a}, this->now());
  auto c = this->claim("w", this->now());
  ASSERT_EQ(c.size(), 3u); // old_done, old_mixed x2
  this->record({this->outcome(c[0], true, model::delivery_status::delivered),
                this->outcome(c[1], false, model::delivery_status::failed),
                this->outcome(c[2], false, model::delivery_status::undelivered,
                              this->now() + std::chrono::hours{2})});
  this->clock_.advance(std::chrono::hours{24} * 61);
  const auto recent = this->publish({a}, this->now());
  auto rc = this->claim("w", this->now(), 10, std::chrono::hours{100});
  ASSERT_EQ(rc.size(), 3u); // old_pending, old_mixed[1] and recent
  for (const auto& x : rc)
    if (x.delivery.id == recent.delivery_ids[0])
      this->record({this->outcome(x, true, model::delivery_status::delivered)});

  purge_request request;
  request.older_than = this->now() - std::chrono::hours{24} * 60;
  auto report = this->store().purge(request);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(*report, (purge_report{1, 2, 2}));
  auto& s = this->store();
  EXPECT_EQ(s.get_event(old_done.event_id).error(), errc::not_found);
  EXPECT_EQ(s.get_delivery(old_done.delivery_ids[0]).error(), errc::not_found);
  EXPECT_EQ(s.get_delivery(old_mixed.delivery_ids[0]).error(), errc::not_found);
  EXPECT_TRUE(s.get_event(old_mixed.event_id).has_value()); // a delivery of it is pending
  EXPECT_TRUE(s.get_delivery(old_mixed.delivery_ids[1]).has_value());
  EXPECT_TRUE(s.get_delivery(old_pending.delivery_ids[0]).has_value());
  EXPECT_TRUE(s.get_delivery(recent.delivery_ids[0]).has_value());
  EXPECT_EQ(*s.count_attempts(attempt_filter{}), 2); // old_mixed[1]'s and recent's

  request.include_pending = true;
  auto all_old = *s.purge(request);
  EXPECT_EQ(all_old, (purge_report{2, 2, 1}));
  EXPECT_EQ(*s.count_deliveries(delivery_filter{}), 1);
  EXPECT_EQ(*s.count_events(event_filter{}), 1);
  EXPECT_TRUE(this->claim("w", this->now() + std::chrono::hours{1000}).empty());
}

// Attempts recorded as the engine records them (the reference carries the delivery's
// own URL) read back unchanged, stay in order per delivery, and all go with their
// delivery when it is purged; an event stays while any delivery of it does.
TYPED_TEST_P(delivery_store_conformance, purge_takes_every_attempt_of_a_delivery) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a, a, a}, this->now());
  const auto engine_outcome = [&](const claimed_delivery& c, bool ok, model::delivery_status st,
                                  std::optional<timestamp> next_at = std::nullopt) {
    auto o = this->outcome(c, ok, st, next_at);
    o.attempt.url = "https://example.test/webhook-delivery-attempts/" + o.attempt.id;
    o.attempt.webhook_delivery.url = c.delivery.url;
    return o;
  };
  auto c = this->claim("w", this->now());
  ASSERT_EQ(c.size(), 3u);
  std::map<std::string, claimed_delivery> by_id;
  for (const auto& x : c) by_id.emplace(x.delivery.id, x);
  // d0, the one attempted three times, is the middle delivery of its event's three;
  // the purge takes it and d1 (the last), and leaves d2 (the first, still pending).
  const auto& d0 = p.delivery_ids[1];
  const auto& d1 = p.delivery_ids[2];
  const auto& d2 = p.delivery_ids[0];
  std::vector<attempt_outcome> of_d0{
      engine_outcome(by_id.at(d0), false, model::delivery_status::undelivered, this->now())};
  this->record({of_d0.back(), this->outcome(by_id.at(d1), false, model::delivery_status::failed),
                engine_outcome(by_id.at(d2), false, model::delivery_status::undelivered,
                               this->now() + std::chrono::hours{1})});
  for (const bool last : {false, true}) {
    auto again = this->claim("w", this->now());
    ASSERT_EQ(this->ids_of(again), (std::vector<std::string>{d0}));
    of_d0.push_back(last ? engine_outcome(again[0], true, model::delivery_status::delivered)
                         : engine_outcome(again[0], false, model::delivery_status::undelivered, this->now()));
    this->record({of_d0.back()});
  }

  auto& s = this->store();
  for (const auto& o : of_d0) {
    auto got = s.get_attempt(o.attempt.id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, o.attempt);
  }
  attempt_filter of_first;
  of_first.delivery_id.include = {d0};
  EXPECT_EQ(this->ids_of(this->all_pages(s, of_first, &TypeParam::list_attempts, 2)),
            (std::vector<std::string>{of_d0[0].attempt.id, of_d0[1].attempt.id,
                                      of_d0[2].attempt.id}));
  EXPECT_EQ(*s.count_attempts(of_first), 3);

  this->clock_.advance(std::chrono::hours{24} * 61);
  purge_request request;
  request.older_than = this->now() - std::chrono::hours{24} * 60;
  EXPECT_EQ(*s.purge(request), (purge_report{0, 2, 4})); // d0 with its 3, d1 with its 1
  for (const auto& o : of_d0) EXPECT_EQ(s.get_attempt(o.attempt.id).error(), errc::not_found);
  EXPECT_TRUE(s.get_event(p.event_id).has_value()); // d2 is still pending
  EXPECT_EQ(*s.count_attempts(attempt_filter{}), 1);
  request.include_pending = true;
  EXPECT_EQ(*s.purge(request), (purge_report{1, 1, 1}));
  EXPECT_EQ(s.get_event(p.event_id).error(), errc::not_found);
  EXPECT_EQ(*s.count_attempts(attempt_filter{}), 0);
}

// Purge goes by each row's creation time, not the order rows were stored in (a
// clock set back stores an older row last), and an idempotency key goes with its
// event only: a key reused by a later event keeps answering with that event.
TYPED_TEST_P(delivery_store_conformance, purge_goes_by_creation_time_and_keeps_reused_keys) {
  const auto a = this->add_endpoint();
  auto& s = this->store();
  const timestamp t = this->now();
  const model::event first = this->publish_with_key(a, "reused", t);
  // The key's window has ended: a new event.
  const model::event second = this->publish_with_key(a, "reused", t + std::chrono::hours{2});
  const auto at_t = this->publish({a}, t);
  {
    // Stored last, created an hour before everything else (a clock set back).
    enqueue_request r;
    r.event = this->make_event(this->next_id());
    r.deliveries.push_back(this->make_delivery(this->next_id(), r.event->id, a, t));
    ASSERT_TRUE(s.enqueue(r, t - std::chrono::hours{1}).has_value());
    ASSERT_TRUE(s.get_event(r.event->id).has_value());
    purge_request request;
    request.include_pending = true;
    request.older_than = t; // created before t: that one only
    EXPECT_EQ(*s.purge(request), (purge_report{1, 1, 0}));
    EXPECT_EQ(s.get_event(r.event->id).error(), errc::not_found);
  }
  EXPECT_TRUE(s.get_event(at_t.event_id).has_value());

  purge_request request;
  request.include_pending = true;
  request.older_than = t + std::chrono::hours{1}; // the first event and `at_t`
  EXPECT_EQ(*s.purge(request), (purge_report{2, 2, 0}));
  EXPECT_EQ(s.get_event(first.id).error(), errc::not_found);
  EXPECT_EQ(s.get_event(at_t.event_id).error(), errc::not_found);

  enqueue_request again;
  again.event = this->make_event(this->next_id());
  again.deliveries.push_back(this->make_delivery(this->next_id(), again.event->id, a, t));
  again.idempotency_key = "reused";
  auto replay = s.enqueue(again, t + std::chrono::hours{2} + std::chrono::minutes{30});
  ASSERT_TRUE(replay.has_value());
  EXPECT_TRUE(replay->replayed);
  ASSERT_NE(replay->event, nullptr);
  EXPECT_EQ(replay->event->id, second.id);
}

// A key reused after its window names the later event; purging that later event
// first (the earlier one still has a pending delivery) and the earlier one after
// leaves the store whole, and the key free for a new event.
TYPED_TEST_P(delivery_store_conformance, purge_of_events_sharing_a_key_in_either_order) {
  const auto a = this->add_endpoint();
  auto& s = this->store();
  const timestamp t = this->now();
  const model::event earlier = this->publish_with_key(a, "shared", t);
  const model::event later = this->publish_with_key(a, "shared", t + std::chrono::hours{2});
  auto claimed = this->claim("w", t + std::chrono::hours{2});
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& c : claimed) {
    if (c.delivery.event.id == later.id)
      this->record({this->outcome(c, true, model::delivery_status::delivered)});
    else
      this->record({this->outcome(c, false, model::delivery_status::undelivered,
                                  t + std::chrono::hours{1000})});
  }
  purge_request request;
  request.older_than = t + std::chrono::hours{3};
  EXPECT_EQ(*s.purge(request), (purge_report{1, 1, 1})); // `later`; `earlier` is pending
  EXPECT_TRUE(s.get_event(earlier.id).has_value());
  request.include_pending = true;
  EXPECT_EQ(*s.purge(request), (purge_report{1, 1, 1}));
  EXPECT_EQ(s.get_event(earlier.id).error(), errc::not_found);
  // Both windows over.
  const model::event fresh = this->publish_with_key(a, "shared", t + std::chrono::hours{4});
  EXPECT_TRUE(s.get_event(fresh.id).has_value());
}

TYPED_TEST_P(delivery_store_conformance, record_then_claim_claims_what_the_record_freed) {
  if constexpr (!store::records_then_claims<TypeParam>) {
    GTEST_SKIP() << "the store has no record_then_claim (optional)";
  } else {
    const auto a = this->add_endpoint();
    this->publish({a, a, a}, this->now());
    claim_request request;
    request.now = this->now();
    request.owner = "w";
    request.max_in_flight_per_endpoint = 2;
    auto first = *this->store().claim_due(request);
    ASSERT_EQ(first.size(), 2u);
    ASSERT_TRUE(this->store().claim_due(request)->empty()) << "a is at its limit";

    // One outcome delivered, one under a lease that is not the store's: the first
    // frees a slot the claim in the same call takes; the second is refused alone.
    std::vector<attempt_outcome> outcomes{
        this->outcome(first[0], true, model::delivery_status::delivered),
        this->outcome(first[1], true, model::delivery_status::delivered)};
    outcomes[1].lease.owner = "someone else";
    auto r = this->store().record_then_claim(std::span<const attempt_outcome>(outcomes),
                                             request, this->now());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    ASSERT_EQ(r->recorded.size(), 2u);
    EXPECT_FALSE(r->recorded[0].error);
    EXPECT_EQ(r->recorded[1].error, errc::lease_lost);
    ASSERT_EQ(r->claimed.size(), 1u);
    EXPECT_NE(r->claimed[0].delivery.id, first[0].delivery.id);
    EXPECT_NE(r->claimed[0].delivery.id, first[1].delivery.id);
    EXPECT_EQ(this->store().get_delivery(first[0].delivery.id)->status,
              model::delivery_status::delivered);

    // Replayed (a retry after a lost answer): nothing counted twice, nothing claimed
    // beyond the limit.
    auto again = this->store().record_then_claim(std::span<const attempt_outcome>(outcomes),
                                                 request, this->now());
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(again->recorded[0].already_recorded);
    EXPECT_TRUE(again->claimed.empty());
    EXPECT_EQ(this->store().get_delivery(first[0].delivery.id)->attempts_count, 1);
  }
}

TYPED_TEST_P(delivery_store_conformance, stats_count_the_queue) {
  const auto a = this->add_endpoint();
  const auto b = this->add_endpoint();
  this->publish({a, a, a, b}, this->now());
  this->publish({a}, this->now() + std::chrono::hours{1});
  auto c = this->claim("w", this->now(), 3);
  ASSERT_EQ(c.size(), 3u);
  this->record({this->outcome(c[0], true, model::delivery_status::delivered),
                this->outcome(c[1], false, model::delivery_status::failed)});
  ASSERT_TRUE(this->store().suspend_endpoint(b, this->now()).has_value());
  store_stats expected;
  expected.due = 0;       // b's is held, c[2] is in flight, the last is not due yet
  expected.scheduled = 2; // c[2] and the +1 h one
  expected.held = 1;
  expected.in_flight = 1;
  expected.delivered = 1;
  expected.failed = 1;
  expected.events = 2;
  expected.attempts = 2;
  expected.endpoints = 2;
  EXPECT_EQ(*this->store().stats(this->now()), expected);
  expected.due = 2;
  expected.in_flight = 0; // the lease has run out
  EXPECT_EQ(*this->store().stats(this->now() + std::chrono::hours{2}), expected);

  // Deleting b fails its held delivery; purging drops the finished ones.
  ASSERT_TRUE(this->store().delete_endpoint(b, store::any_version, this->now()).has_value());
  expected.held = 0;
  expected.failed = 2;
  expected.endpoints = 1;
  EXPECT_EQ(*this->store().stats(this->now() + std::chrono::hours{2}), expected);
  purge_request purge;
  purge.older_than = this->now() + std::chrono::hours{3};
  ASSERT_TRUE(this->store().purge(purge).has_value());
  expected.delivered = 0;
  expected.failed = 0;
  expected.attempts = 0;
  EXPECT_EQ(*this->store().stats(this->now() + std::chrono::hours{2}), expected);
}

// --- concurrency ------------------------------------------------------------------------

TYPED_TEST_P(delivery_store_conformance, concurrent_claims_never_share_a_delivery) {
  constexpr int deliveries = 240;
  constexpr int threads = 4;
  std::vector<std::string> endpoints;
  for (int i = 0; i < 4; ++i) endpoints.push_back(this->add_endpoint());
  for (int i = 0; i < deliveries / 4; ++i) this->publish(endpoints, this->now());

  std::mutex m;
  std::vector<std::string> claimed;
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  const timestamp at = this->now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      claim_request request;
      request.now = at;
      request.max = 7;
      request.owner = "worker-" + std::to_string(t);
      request.lease_duration = std::chrono::minutes{5};
      for (;;) {
        auto r = this->store().claim_due(request);
        if (!r) {
          ++failures;
          return;
        }
        if (r->empty()) return;
        std::lock_guard lock(m);
        for (const auto& c : *r) {
          claimed.push_back(c.delivery.id);
          if (c.lease.owner != request.owner) ++failures;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(deliveries));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), claimed.size())
      << "a delivery was claimed twice under live leases";
}

TYPED_TEST_P(delivery_store_conformance, concurrent_outcomes_for_one_attempt_count_once) {
  const auto a = this->add_endpoint();
  const auto p = this->publish({a}, this->now());
  auto c = this->claim("w", this->now());
  ASSERT_EQ(c.size(), 1u);
  const auto o = this->outcome(c[0], false, model::delivery_status::undelivered,
                               this->now() + std::chrono::minutes{5});
  std::atomic<int> fresh{0}, errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&] {
      auto r = this->store().record(std::span<const attempt_outcome>(&o, 1), this->now());
      if (!r || (*r)[0].error) {
        ++errors;
      } else if (!(*r)[0].already_recorded) {
        ++fresh;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(this->store().get_delivery(p.delivery_ids[0])->attempts_count, 1);
}

TYPED_TEST_P(delivery_store_conformance, paging_during_concurrent_inserts_skips_and_repeats_nothing) {
  std::vector<std::string> before;
  for (int i = 0; i < 60; ++i) before.push_back(this->publish({}, this->now()).event_id);

  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      enqueue_request request;
      request.event = this->make_event(this->next_id());
      if (!this->store().enqueue(request, this->now())) writer_failed = true;
    }
  });
  std::vector<std::string> seen;
  page_request request;
  request.limit = 7;
  for (int guard = 0; guard < 10000; ++guard) {
    auto page = this->store().list_events(event_filter{}, request);
    ASSERT_TRUE(page.has_value());
    for (const auto& e : page->items) seen.push_back(e.id);
    if (!page->next) break;
    request.cursor = page->next;
  }
  writer.join();
  EXPECT_FALSE(writer_failed.load());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "an item was repeated";
  for (const auto& id : before)
    EXPECT_TRUE(std::binary_search(seen.begin(), seen.end(), id)) << "skipped " << id;

  // And everything, once the writer is done, forward and backward.
  auto all = this->ids_of(this->all_pages(this->store(), event_filter{}, &TypeParam::list_events, 9));
  ASSERT_EQ(all.size(), 260u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  std::vector<std::string> backward;
  page_request back;
  back.limit = 9;
  back.cursor = cursor{all.back() + "~", page_direction::backward};
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = this->store().list_events(event_filter{}, back);
    ASSERT_TRUE(page.has_value());
    auto ids = this->ids_of(page->items);
    backward.insert(backward.begin(), ids.begin(), ids.end());
    if (!page->prev) break;
    back.cursor = page->prev;
  }
  EXPECT_EQ(backward, all);
}

// --- the reference ----------------------------------------------------------------------

/// The sequence that `matches_the_reference_implementation` runs on two stores.
template <class Fixture, class S>
void run_reference_scenario(Fixture& f, S& s, id_generator& ids, timestamp t0) {
  using es = model::endpoint_status;
  using ds = model::delivery_status;
  auto id = [&] { return ids.next(t0); };
  std::vector<std::string> endpoints;
  for (int i = 0; i < 4; ++i) {
    auto r = Fixture::make_endpoint(id(), {i == 3 ? "leave.*" : "*"}, i == 2 ? es::inactive : es::active);
    ASSERT_TRUE(s.create_endpoint(r).has_value());
    endpoints.push_back(r.endpoint.id);
  }
  timestamp now = t0;
  for (int round = 0; round < 6; ++round) {
    const std::string topic = round % 2 ? "leave.created" : "employee.created";
    auto subscribers = *s.endpoints_for_topic(topic);
    enqueue_request request;
    request.event = Fixture::make_event(id(), topic);
    for (const auto& e : subscribers)
      request.deliveries.push_back(Fixture::make_delivery(id(), request.event->id, e->endpoint.id, now));
    if (round == 4) request.idempotency_key = "k";
    ASSERT_TRUE(s.enqueue(request, now).has_value());
    if (round == 2) {
      ASSERT_TRUE(s.suspend_endpoint(endpoints[1], now).has_value());
    }

    claim_request claim;
    claim.now = now;
    claim.max = 3;
    claim.owner = "ref";
    auto claimed = *s.claim_due(claim);
    std::vector<attempt_outcome> outcomes;
    for (std::size_t i = 0; i < claimed.size(); ++i) {
      attempt_outcome o;
      o.attempt.id = id();
      o.attempt.signature = "sig";
      o.attempt.webhook_delivery = model::reference{
          claimed[i].delivery.id, std::string(model::webhook_delivery::type_name), ""};
      o.attempt.is_successful = (i + static_cast<std::size_t>(round)) % 3 == 0;
      o.attempt.response_status_code = o.attempt.is_successful ? 200 : 500;
      o.attempt.created_at = now;
      o.lease = claimed[i].lease;
      o.status = o.attempt.is_successful ? ds::delivered
                 : claimed[i].delivery.attempts_count >= 1 ? ds::failed
                                                            : ds::undelivered;
      if (o.status == ds::undelivered) o.next_attempt_at = now + std::chrono::minutes{1};
      outcomes.push_back(std::move(o));
    }
    ASSERT_TRUE(s.record(std::span<const attempt_outcome>(outcomes), now).has_value());
    now += std::chrono::minutes{2};
  }
  auto reactivated = (*s.get_endpoint(endpoints[1])).endpoint;
  reactivated.status = es::active;
  ASSERT_TRUE(s.update_endpoint(reactivated, any_version, now).has_value());
  ASSERT_TRUE(s.delete_endpoint(endpoints[3], any_version, now).has_value());
  purge_request purge;
  purge.older_than = t0 + std::chrono::minutes{3};
  ASSERT_TRUE(s.purge(purge).has_value());
  (void)f;
}

TYPED_TEST_P(delivery_store_conformance, matches_the_reference_implementation) {
  memory_store reference;
  id_generator ids_a{7}, ids_b{7};
  run_reference_scenario(*this, this->store(), ids_a, this->t0);
  run_reference_scenario(*this, reference, ids_b, this->t0);
  const timestamp at = this->t0 + std::chrono::hours{1};

  EXPECT_EQ(*this->store().stats(at), *reference.stats(at));
  EXPECT_EQ(this->all_pages(this->store(), endpoint_filter{}, &TypeParam::list_endpoints),
            this->all_pages(reference, endpoint_filter{}, &memory_store::list_endpoints));
  EXPECT_EQ(this->all_pages(this->store(), event_filter{}, &TypeParam::list_events),
            this->all_pages(reference, event_filter{}, &memory_store::list_events));
  EXPECT_EQ(this->all_pages(this->store(), delivery_filter{}, &TypeParam::list_deliveries),
            this->all_pages(reference, delivery_filter{}, &memory_store::list_deliveries));
  EXPECT_EQ(this->all_pages(this->store(), attempt_filter{}, &TypeParam::list_attempts),
            this->all_pages(reference, attempt_filter{}, &memory_store::list_attempts));
  EXPECT_EQ(*this->store().next_due_at(at), *reference.next_due_at(at));
  claim_request claim;
  claim.now = at;
  claim.owner = "after";
  EXPECT_EQ(this->ids_of(*this->store().claim_due(claim)), this->ids_of(*reference.claim_due(claim)));
}

REGISTER_TYPED_TEST_SUITE_P(delivery_store_conformance,
                            models_the_delivery_store_concept,
                            creates_and_gets_endpoints,
                            updates_endpoints_under_a_version_check,
                            topic_matches_follow_updates_and_deletes,
                            fan_outs_and_claims_see_endpoint_changes,
                            rotates_secrets_keeping_the_previous_one,
                            deleting_an_endpoint_fails_its_pending_deliveries,
                            finds_the_endpoints_of_a_topic,
                            lists_and_counts_endpoints_by_status,
                            enqueues_an_event_with_its_deliveries,
                            enqueue_stores_nothing_when_any_part_fails,
                            idempotency_key_returns_the_first_event_for_a_day,
                            enqueue_adds_deliveries_to_a_stored_event,
                            holds_deliveries_while_suspended_and_releases_oldest_first,
                            test_deliveries_ignore_the_endpoint_status,
                            claims_due_deliveries_in_due_order_up_to_max,
                            a_lease_is_exclusive_until_it_expires,
                            release_gives_an_owners_leases_back,
                            next_due_at_is_when_a_claim_can_succeed,
                            record_stores_the_attempt_and_the_new_state,
                            recording_the_same_attempt_twice_changes_nothing,
                            record_rejects_an_outcome_whose_lease_is_lost,
                            an_expired_lease_nobody_took_can_still_record,
                            record_keeps_the_endpoint_health,
                            a_retry_on_a_suspended_endpoint_is_held,
                            fifo_claims_only_the_oldest_delivery_of_an_endpoint,
                            limits_deliveries_in_flight_per_endpoint,
                            a_busy_endpoints_backlog_hides_no_other_work,
                            filters_and_counts_deliveries,
                            filters_and_counts_attempts,
                            filters_and_counts_events_by_topic,
                            cursors_page_forward_and_back,
                            page_limits_are_0_to_100,
                            purge_removes_old_history_but_not_pending_work,
                            purge_takes_every_attempt_of_a_delivery,
                            purge_goes_by_creation_time_and_keeps_reused_keys,
                            purge_of_events_sharing_a_key_in_either_order,
                            record_then_claim_claims_what_the_record_freed,
                            stats_count_the_queue,
                            concurrent_claims_never_share_a_delivery,
                            concurrent_outcomes_for_one_attempt_count_once,
                            paging_during_concurrent_inserts_skips_and_repeats_nothing,
                            matches_the_reference_implementation);

} // namespace webhookd::testing

#endif // WEBHOOKD_TESTING_STORE_CONFORMANCE_HPP
