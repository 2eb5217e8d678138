// SPDX-License-Identifier: MIT
// engine: dispatch of published events and the delivery loop over a delivery_store.
#ifndef WEBHOOKD_ENGINE_ENGINE_HPP
#define WEBHOOKD_ENGINE_ENGINE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/engine/events.hpp>
#include <webhookd/engine/metrics.hpp>
#include <webhookd/engine/options.hpp>
#include <webhookd/engine/publish_result.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/validation.hpp>
#include <webhookd/store/delivery_store.hpp>
#include <webhookd/store/records.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/strand.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace webhookd::engine {

/** The result of an activation challenge (SPEC.md Part 1 §8).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct challenge_result {
  bool passed = false;
  std::optional<int> status_code; ///< the answer's status, nullopt without an answer
  std::string reason;             ///< why it failed (empty when it passed)
};

namespace detail {
template <class Store>
class engine_state;
} // namespace detail

/** How one `publish` call is handled.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct publish_options {
  /** A key chosen by the publisher (e.g. its own event id). Publishing again with the
      same key within `idempotency_window` stores nothing and returns the first event,
      so a producer may retry a `publish` whose answer it did not see without fanning
      out twice. Empty: no key. */
  std::string idempotency_key;
  /// How long a key is remembered (SPEC.md: 24 h).
  std::chrono::milliseconds idempotency_window = store::default_idempotency_window;
};

/** Delivers published events to the endpoints subscribed to them (DESIGN.md "The
    path of one event").

    `publish` validates an event, fans it out to the endpoints whose topics match
    (`store.endpoints_for_topic`: `inactive` ones are skipped) and whose business
    establishments include the event's, and stores the event with one delivery per
    endpoint in one `enqueue`, durably, before any attempt (SPEC.md Part 1 §18). It
    then wakes the delivery loop.

    The loop runs on a strand of the executor it was given. It claims due deliveries
    under a lease (`claim_due`, at most `max_in_flight_per_endpoint` per endpoint
    across every process sharing the store, optionally FIFO), lets each one through
    its endpoint's gate (adaptive concurrency that halves on 429/502/503/504 and
    recovers on success; optional token-bucket rate limit), takes the event's body
    from an `encoding::encoded_event` shared by every delivery of the event (one
    encoding per event and content type), signs it with a fresh `Lucca-Timestamp`
    (signers are keyed once per endpoint secret), POSTs it through one
    `http::client`, classifies the outcome with `schedule::plan_after_attempt`, and
    records the attempts that completed meanwhile in one `record` call per batch.

    Retries: the store holds each delivery's `next_attempt_at`; the engine keeps the
    due times it wrote in a timer wheel (`detail::wake_schedule`) driven by one
    `asio::steady_timer`, and asks the store for `next_due_at` only every `max_idle`
    (work enqueued by other processes or left by an earlier run). The store stays the
    source of truth, so several processes can share it and a crash loses nothing.

    A 404/410 suspends the endpoint at once; the failure streak reported in
    `record_result::health` suspends it past the thresholds of
    `engine_options::suspension`.

    Threads: the engine starts none for a non-blocking store
    (`store::is_blocking_store_v` false, e.g. `store::memory_store`), whose calls are
    made inline on the strand. For a blocking store (SQLite, PostgreSQL) it starts
    `store_threads` threads that make the loop's store calls, so the executor's
    threads never wait on disk or network; `async_publish` runs there too, while the
    synchronous calls (`publish`, `send_test`, ...) use the calling thread.

    Virtual time: every timestamp and every due time comes from
    `engine_options::clock`; the timer only decides when to look again. With a
    `manual_clock`, advance it and call `wake()`.

    @par Example
    @code
    store::memory_store store;
    engine::engine_options options;
    engine::engine<store::memory_store> e(io.get_executor(), store, options);
    e.start();
    auto published = e.publish(event);   // stored with its deliveries, or an error
    io.run();
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for `publish`, `async_publish`,
    `send_test`, `resend`, `rotate_secret`, `challenge`, `wake`, `reactivate_endpoint`,
    `metrics`, `start` and `stop`, which may be called from any thread. Destroy the
    engine after `stop` completed, or once its `io_context` no longer runs; the
    destructor waits for store calls already running on the pool.
*/
template <store::delivery_store Store>
class engine {
public:
  /// What every handler of the engine runs on: an `asio::strand` over the executor
  /// the engine was given (over `io_context::executor_type` itself when that is what
  /// it wraps, which spares the engine's I/O many heap allocations); the given
  /// executor itself when it is a strand already, or when
  /// `engine_options::serial_executor` says that it runs one handler at a time.
  using executor_type = asio::any_io_executor;

  /** An engine over `store`, which must outlive it.
      @throws std::system_error when the TLS trust settings cannot be loaded.
  */
  engine(const asio::any_io_executor& ex, Store& store, engine_options options = {});

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Abandons the loop: nothing is recorded after this; leases run out by themselves.
  ~engine();

  /// The engine's strand (or the host's serial executor: see `executor_type`).
  executor_type get_executor() const noexcept;

  /// Releases leases left by an earlier run of the same owner, then starts claiming.
  void start();

  /** Stops gracefully: no new claims; attempts in flight may finish for up to
      `deadline` and are recorded; then the rest is cancelled (not recorded), every
      lease of this engine is released and `on_stopped` runs on the strand. An engine
      cannot be started again. */
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds{5},
            std::function<void()> on_stopped = {});

  /// The result of `publish`: the stored event (read-only, shared with the store
  /// where it can be), or why it was refused.
  using publish_result = webhookd::engine::publish_result;

  /** Validates `e`, gives it an id (`id_generator`) and a `url` (`base_url/events/id`)
      when they are empty, and stores it with one delivery per subscribed endpoint
      (`undelivered`, 0 attempts, `next_attempt_at` now). Synchronous: the store is
      called on this thread (do not call it from an executor thread with a blocking
      store; use `async_publish`).
      @returns the stored event (the first one, when `options.idempotency_key` was
      seen within its window), or why it was refused (nothing is then stored).
  */
  publish_result publish(model::event e, const publish_options& options = {});

  /** As `publish`, without blocking the caller: the store is called on the store
      pool (blocking stores) or on the strand, and `token` completes with the
      `publish_result` on its associated executor (default: the engine's strand).

      Completion signature: `void(publish_result)`.
  */
  template <class CompletionToken>
  auto async_publish(model::event e, publish_options options, CompletionToken&& token);

  /** Sends a test event (topic `ping`, `data` = `{"webhookEndpoint":{"id"}}`) to one
      endpoint now, whatever its status (SPEC.md Part 1 §13). Synchronous.
      @returns the new delivery, or `errc::not_found` for an unknown endpoint.
  */
  result<model::webhook_delivery, publish_error> send_test(std::string_view endpoint_id);

  /** Sends a stored event again to one endpoint as a new delivery (manual retry, same
      event id), whatever the endpoint's status (SPEC.md Part 1 §13). Synchronous.
      @returns the new delivery, or `errc::not_found` for an unknown event or endpoint.
  */
  result<model::webhook_delivery, publish_error> resend(std::string_view event_id,
                                                        std::string_view endpoint_id);

  /** Runs the activation challenge against `webhook_url`: an unsigned
      `GET {webhookUrl}?echo=<v>&challenge=<v>` (32 CSPRNG bytes, base64url; `&` when
      the URL has a query already), no redirects, `attempt_timeout`. It passes when
      the answer is 200 and its body is the value, one trailing newline ignored
      (SPEC.md Part 1 §8). Changes nothing in the store: the caller decides the
      endpoint's status. `done` runs on the engine's strand.
  */
  void challenge(std::string_view webhook_url, std::function<void(challenge_result)> done);

  /** Gives an endpoint a new secret (48 CSPRNG bytes, base64url) and keeps the old one
      valid for `secret_overlap` (SPEC.md Part 1 §11). Later attempts are signed with
      the new secret. Synchronous.
      @returns the updated record, holding the new secret (show it once), or
      `errc::not_found`.
  */
  result<store::endpoint_record> rotate_secret(std::string_view endpoint_id);

  /// Looks at the store now (e.g. after another process enqueued, or a manual clock moved).
  void wake();

  /** Makes a suspended or inactive endpoint `active` again (no activation challenge);
      its held deliveries are scheduled now, oldest first, and `endpoint_reactivated`
      is reported. */
  result<store::endpoint_record> reactivate_endpoint(std::string_view endpoint_id);

  /// The engine's counters.
  const webhookd::engine::metrics& metrics() const noexcept;

  /// The owner name of this engine's leases.
  const std::string& owner() const noexcept;

private:
  std::shared_ptr<detail::engine_state<Store>> state_;
};

} // namespace webhookd::engine

#include <webhookd/engine/impl/engine.hpp>

#endif // WEBHOOKD_ENGINE_ENGINE_HPP
