// instrumented_store: a delivery_store adapter that wraps another store and counts and
// times every call, the smallest useful example of writing an adapter.
#ifndef WEBHOOKD_EXAMPLES_INSTRUMENTED_STORE_HPP
#define WEBHOOKD_EXAMPLES_INSTRUMENTED_STORE_HPP

#include <webhookd/store/delivery_store.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace example {

namespace store = webhookd::store;

/// The operations of the concept that the delivery loop uses most.
enum class operation : std::size_t { enqueue, claim_due, record, release, next_due_at, other, count };

/** Forwards every call of the `delivery_store` concept to `Inner`, counting the calls
    and the time they took per operation.

    Everything an adapter must do is done by the inner store; this one only has to
    keep the same signatures (the concept names them all) and say whether it blocks
    (`is_blocking`, forwarded: the engine runs blocking stores on a worker pool).
    `conformance_test.cpp` proves it with the suite every adapter runs.

    @par Thread safety
    As `Inner`; the counters are atomic.
*/
template <store::delivery_store Inner>
class instrumented_store {
public:
  static constexpr bool is_blocking = store::is_blocking_store_v<Inner>;

  template <class... Args>
  explicit instrumented_store(Args&&... args) : inner_(std::forward<Args>(args)...) {}

  struct counter {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> nanoseconds{0};
  };
  const counter& stats(operation op) const { return counters_[static_cast<std::size_t>(op)]; }
  Inner& inner() noexcept { return inner_; }

  // --- endpoints ---
  auto create_endpoint(const store::endpoint_record& r) { return timed(operation::other, [&] { return inner_.create_endpoint(r); }); }
  auto get_endpoint(std::string_view id) const { return timed(operation::other, [&] { return inner_.get_endpoint(id); }); }
  auto update_endpoint(const webhookd::model::webhook_endpoint& e, std::uint64_t v, webhookd::timestamp now) {
    return timed(operation::other, [&] { return inner_.update_endpoint(e, v, now); });
  }
  auto rotate_secret(std::string_view id, std::string_view secret, webhookd::timestamp until, webhookd::timestamp now) {
    return timed(operation::other, [&] { return inner_.rotate_secret(id, secret, until, now); });
  }
  auto suspend_endpoint(std::string_view id, webhookd::timestamp now) { return timed(operation::other, [&] { return inner_.suspend_endpoint(id, now); }); }
  auto delete_endpoint(std::string_view id, std::uint64_t v, webhookd::timestamp now) {
    return timed(operation::other, [&] { return inner_.delete_endpoint(id, v, now); });
  }
  auto endpoints_for_topic(std::string_view topic) const { return timed(operation::other, [&] { return inner_.endpoints_for_topic(topic); }); }
  auto list_endpoints(const store::endpoint_filter& f, const store::page_request& p) const {
    return timed(operation::other, [&] { return inner_.list_endpoints(f, p); });
  }
  auto count_endpoints(const store::endpoint_filter& f) const { return timed(operation::other, [&] { return inner_.count_endpoints(f); }); }

  // --- the delivery loop ---
  auto enqueue(const store::enqueue_request& r, webhookd::timestamp now) { return timed(operation::enqueue, [&] { return inner_.enqueue(r, now); }); }
  auto claim_due(const store::claim_request& r) { return timed(operation::claim_due, [&] { return inner_.claim_due(r); }); }
  auto release(std::string_view owner) { return timed(operation::release, [&] { return inner_.release(owner); }); }
  auto next_due_at(webhookd::timestamp now) const { return timed(operation::next_due_at, [&] { return inner_.next_due_at(now); }); }
  auto record(std::span<const store::attempt_outcome> o, webhookd::timestamp now) {
    return timed(operation::record, [&] { return inner_.record(o, now); });
  }

  // --- history and maintenance ---
  auto get_event(std::string_view id) const { return timed(operation::other, [&] { return inner_.get_event(id); }); }
  auto get_delivery(std::string_view id) const { return timed(operation::other, [&] { return inner_.get_delivery(id); }); }
  auto get_attempt(std::string_view id) const { return timed(operation::other, [&] { return inner_.get_attempt(id); }); }
  auto list_events(const store::event_filter& f, const store::page_request& p) const { return timed(operation::other, [&] { return inner_.list_events(f, p); }); }
  auto list_deliveries(const store::delivery_filter& f, const store::page_request& p) const {
    return timed(operation::other, [&] { return inner_.list_deliveries(f, p); });
  }
  auto list_attempts(const store::attempt_filter& f, const store::page_request& p) const {
    return timed(operation::other, [&] { return inner_.list_attempts(f, p); });
  }
  auto count_events(const store::event_filter& f) const { return timed(operation::other, [&] { return inner_.count_events(f); }); }
  auto count_deliveries(const store::delivery_filter& f) const { return timed(operation::other, [&] { return inner_.count_deliveries(f); }); }
  auto count_attempts(const store::attempt_filter& f) const { return timed(operation::other, [&] { return inner_.count_attempts(f); }); }
  auto purge(const store::purge_request& r) { return timed(operation::other, [&] { return inner_.purge(r); }); }
  auto stats(webhookd::timestamp now) const { return timed(operation::other, [&] { return inner_.stats(now); }); }

private:
  template <class F>
  auto timed(operation op, F&& f) const {
    const auto start = std::chrono::steady_clock::now();
    auto r = f();
    counter& c = counters_[static_cast<std::size_t>(op)];
    c.calls.fetch_add(1, std::memory_order_relaxed);
    c.nanoseconds.fetch_add(static_cast<std::uint64_t>(
                                std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count()),
                            std::memory_order_relaxed);
    return r;
  }

  Inner inner_;
  mutable std::array<counter, static_cast<std::size_t>(operation::count)> counters_{};
};

} // namespace example

#endif
