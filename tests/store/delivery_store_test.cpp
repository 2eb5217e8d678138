#include <webhookd/store/delivery_store.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

// Compile-time checks of the delivery_store concept: an archetype that meets it and
// nothing more (the same code is in docs/concepts/delivery_store.md), and one broken
// type per requirement. The functions are declared only: a concept never calls them.

namespace {

using namespace webhookd::store;
using webhookd::result;
using webhookd::timestamp;
namespace model = webhookd::model;

// --- the archetype ----------------------------------------------------------------------

struct store_archetype {
  // endpoint_store
  result<endpoint_record> create_endpoint(const endpoint_record&);
  result<endpoint_record> get_endpoint(std::string_view id) const;
  result<endpoint_record> update_endpoint(const model::webhook_endpoint&, std::uint64_t version,
                                          timestamp now);
  result<endpoint_record> rotate_secret(std::string_view id, std::string_view secret,
                                        timestamp previous_until, timestamp now);
  result<endpoint_record> suspend_endpoint(std::string_view id, timestamp now);
  result<void> delete_endpoint(std::string_view id, std::uint64_t version, timestamp now);
  result<std::vector<shared_endpoint_record>> endpoints_for_topic(std::string_view topic) const;
  result<page<endpoint_record>> list_endpoints(const endpoint_filter&, const page_request&) const;
  result<std::int64_t> count_endpoints(const endpoint_filter&) const;

  // event_sink
  result<enqueue_result> enqueue(const enqueue_request&, timestamp now);

  // delivery_source
  result<std::vector<claimed_delivery>> claim_due(const claim_request&);
  result<std::size_t> release(std::string_view owner);
  result<std::optional<timestamp>> next_due_at(timestamp now) const;

  // outcome_sink
  result<std::vector<record_result>> record(std::span<const attempt_outcome>, timestamp now);

  // history_reader
  result<model::event> get_event(std::string_view id) const;
  result<model::webhook_delivery> get_delivery(std::string_view id) const;
  result<model::webhook_delivery_attempt> get_attempt(std::string_view id) const;
  result<page<model::event>> list_events(const event_filter&, const page_request&) const;
  result<page<model::webhook_delivery>> list_deliveries(const delivery_filter&,
                                                        const page_request&) const;
  result<page<model::webhook_delivery_attempt>> list_attempts(const attempt_filter&,
                                                              const page_request&) const;
  result<std::int64_t> count_events(const event_filter&) const;
  result<std::int64_t> count_deliveries(const delivery_filter&) const;
  result<std::int64_t> count_attempts(const attempt_filter&) const;

  // store_maintenance
  result<purge_report> purge(const purge_request&);
  result<store_stats> stats(timestamp now) const;
};

static_assert(endpoint_store<store_archetype>);
static_assert(event_sink<store_archetype>);
static_assert(delivery_source<store_archetype>);
static_assert(outcome_sink<store_archetype>);
static_assert(history_reader<store_archetype>);
static_assert(store_maintenance<store_archetype>);
static_assert(delivery_store<store_archetype>);
static_assert(is_blocking_store_v<store_archetype>);

// --- one broken type per requirement ----------------------------------------------------
// Each derives from the archetype and hides one member with a wrong one, so exactly
// one requirement fails; the small concept that names it fails too.

struct missing_create_endpoint : store_archetype { void create_endpoint() = delete; };
struct get_endpoint_not_const : store_archetype {
  result<endpoint_record> get_endpoint(std::string_view id); // reads must work on const
};
struct update_endpoint_without_version : store_archetype {
  result<endpoint_record> update_endpoint(const model::webhook_endpoint&, timestamp now);
};
struct missing_rotate_secret : store_archetype { void rotate_secret() = delete; };
struct missing_suspend_endpoint : store_archetype { void suspend_endpoint() = delete; };
struct delete_endpoint_returns_bool : store_archetype {
  bool delete_endpoint(std::string_view id, std::uint64_t version, timestamp now);
};
struct missing_endpoints_for_topic : store_archetype { void endpoints_for_topic() = delete; };
struct list_endpoints_returns_vector : store_archetype {
  result<std::vector<endpoint_record>> list_endpoints(const endpoint_filter&,
                                                      const page_request&) const;
};
struct missing_count_endpoints : store_archetype { void count_endpoints() = delete; };

struct enqueue_one_at_a_time : store_archetype {
  result<enqueue_result> enqueue(const model::event&, timestamp now); // not batch-shaped
};

struct claim_due_without_lease : store_archetype {
  result<std::vector<claimed_delivery>> claim_due(timestamp now, std::size_t max);
};
struct missing_release : store_archetype { void release() = delete; };
struct missing_next_due_at : store_archetype { void next_due_at() = delete; };

struct record_one_at_a_time : store_archetype {
  result<record_result> record(const attempt_outcome&, timestamp now);
};
struct record_throws_instead : store_archetype {
  std::vector<record_result> record(std::span<const attempt_outcome>, timestamp now);
};

struct missing_get_event : store_archetype { void get_event() = delete; };
struct missing_get_delivery : store_archetype { void get_delivery() = delete; };
struct missing_get_attempt : store_archetype { void get_attempt() = delete; };
struct list_events_without_cursor : store_archetype {
  result<std::vector<model::event>> list_events(const event_filter&, std::size_t limit) const;
};
struct missing_list_deliveries : store_archetype { void list_deliveries() = delete; };
struct missing_list_attempts : store_archetype { void list_attempts() = delete; };
struct missing_count_events : store_archetype { void count_events() = delete; };
struct count_deliveries_returns_size_t : store_archetype {
  result<std::size_t> count_deliveries(const delivery_filter&) const;
};
struct missing_count_attempts : store_archetype { void count_attempts() = delete; };

struct missing_purge : store_archetype { void purge() = delete; };
struct stats_not_const : store_archetype { result<store_stats> stats(timestamp now); };

static_assert(!endpoint_store<missing_create_endpoint>);
static_assert(!endpoint_store<get_endpoint_not_const>);
static_assert(!endpoint_store<update_endpoint_without_version>);
static_assert(!endpoint_store<missing_rotate_secret>);
static_assert(!endpoint_store<missing_suspend_endpoint>);
static_assert(!endpoint_store<delete_endpoint_returns_bool>);
static_assert(!endpoint_store<missing_endpoints_for_topic>);
static_assert(!endpoint_store<list_endpoints_returns_vector>);
static_assert(!endpoint_store<missing_count_endpoints>);
static_assert(!event_sink<enqueue_one_at_a_time>);
static_assert(!delivery_source<claim_due_without_lease>);
static_assert(!delivery_source<missing_release>);
static_assert(!delivery_source<missing_next_due_at>);
static_assert(!outcome_sink<record_one_at_a_time>);
static_assert(!outcome_sink<record_throws_instead>);
static_assert(!history_reader<missing_get_event>);
static_assert(!history_reader<missing_get_delivery>);
static_assert(!history_reader<missing_get_attempt>);
static_assert(!history_reader<list_events_without_cursor>);
static_assert(!history_reader<missing_list_deliveries>);
static_assert(!history_reader<missing_list_attempts>);
static_assert(!history_reader<missing_count_events>);
static_assert(!history_reader<count_deliveries_returns_size_t>);
static_assert(!history_reader<missing_count_attempts>);
static_assert(!store_maintenance<missing_purge>);
static_assert(!store_maintenance<stats_not_const>);

static_assert(!delivery_store<missing_create_endpoint>);
static_assert(!delivery_store<get_endpoint_not_const>);
static_assert(!delivery_store<update_endpoint_without_version>);
static_assert(!delivery_store<missing_rotate_secret>);
static_assert(!delivery_store<missing_suspend_endpoint>);
static_assert(!delivery_store<delete_endpoint_returns_bool>);
static_assert(!delivery_store<missing_endpoints_for_topic>);
static_assert(!delivery_store<list_endpoints_returns_vector>);
static_assert(!delivery_store<missing_count_endpoints>);
static_assert(!delivery_store<enqueue_one_at_a_time>);
static_assert(!delivery_store<claim_due_without_lease>);
static_assert(!delivery_store<missing_release>);
static_assert(!delivery_store<missing_next_due_at>);
static_assert(!delivery_store<record_one_at_a_time>);
static_assert(!delivery_store<record_throws_instead>);
static_assert(!delivery_store<missing_get_event>);
static_assert(!delivery_store<missing_get_delivery>);
static_assert(!delivery_store<missing_get_attempt>);
static_assert(!delivery_store<list_events_without_cursor>);
static_assert(!delivery_store<missing_list_deliveries>);
static_assert(!delivery_store<missing_list_attempts>);
static_assert(!delivery_store<missing_count_events>);
static_assert(!delivery_store<count_deliveries_returns_size_t>);
static_assert(!delivery_store<missing_count_attempts>);
static_assert(!delivery_store<missing_purge>);
static_assert(!delivery_store<stats_not_const>);

// Unrelated types are not stores.
static_assert(!delivery_store<int>);
static_assert(!delivery_store<endpoint_record>);

// is_blocking is optional and defaults to true (the safe choice).
struct non_blocking_archetype : store_archetype { static constexpr bool is_blocking = false; };
static_assert(delivery_store<non_blocking_archetype>);
static_assert(!is_blocking_store_v<non_blocking_archetype>);

TEST(delivery_store, concept_checks_compile) {
  SUCCEED() << "the static_asserts of this file are the test";
}

} // namespace
