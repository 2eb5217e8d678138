// SPDX-License-Identifier: MIT
// engine_options: retry schedule, response policy, limits, timeouts and hooks of an engine.
#ifndef WEBHOOKD_ENGINE_OPTIONS_HPP
#define WEBHOOKD_ENGINE_OPTIONS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/clock.hpp>
#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/engine/events.hpp>
#include <webhookd/http/client.hpp>
#include <webhookd/schedule/response_policy.hpp>
#include <webhookd/schedule/retry_schedule.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace webhookd::engine {

/** When the engine suspends an endpoint that keeps failing (SPEC.md Part 1 §10).

    404 and 410 suspend at once (the response policy's `failed_and_suspend`); these
    thresholds cover the slow path. Zero disables a rule.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct suspension_policy {
  /// Suspend after this many deliveries in a row ended `failed`.
  int consecutive_failed_deliveries = 5;
  /// Suspend when attempts have kept failing this long with no success in between.
  std::chrono::milliseconds failing_for{std::chrono::hours{24}};
};

/** A token bucket per endpoint: at most `per_second` attempts a second on average,
    `burst` at once after a quiet spell. `per_second` 0 (the default) disables it.

    Deliveries that wait for a token keep their lease, and at most
    `max_in_flight_per_endpoint` of an endpoint are held: keep `per_second` at least
    `max_in_flight_per_endpoint / lease_duration` so no lease runs out while waiting.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct rate_limit {
  double per_second = 0;
  double burst = 1;
};

/** Which signature headers the engine sends (SPEC.md Part 1 §1-2).

    - `lucca`: `Lucca-Timestamp` and `Lucca-Signature` (the default);
    - `standard_webhooks`: `webhook-id` (the event id), `webhook-timestamp` and
      `webhook-signature`, with one `v1,` signature per valid secret during a rotation;
    - `both`: all five headers, for receivers moving from one scheme to the other.

    The Standard Webhooks key is the endpoint secret's bytes, the same HMAC key as the
    Lucca scheme's: a receiver gives its library
    `signing::standard_webhooks_secret_for(secret)` (`whsec_` + base64 of those bytes).
*/
enum class signature_scheme { lucca, standard_webhooks, both };

/** Settings of an `engine`. The defaults are SPEC.md Part 1's.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct engine_options {
  /// Delays between attempts (SPEC.md Part 1 §5).
  schedule::retry_schedule retries = schedule::retry_schedule::lucca();
  /// The signature headers sent with every attempt.
  webhookd::engine::signature_scheme signature_scheme = webhookd::engine::signature_scheme::lucca;
  /// Status code → outcome table (SPEC.md Part 1 §4).
  schedule::response_policy policy = schedule::response_policy::lucca();
  /// Attempts in flight per endpoint, across processes sharing the store (§6).
  std::size_t max_in_flight_per_endpoint = 3;
  /// Strict per-endpoint order: the next delivery waits for the previous one (§6).
  bool fifo = false;
  /// Halve an endpoint's concurrency when it answers 429, 502, 503 or 504, and give
  /// it back one step per window of successes (see `detail::endpoint_gate`).
  bool adaptive_throttling = true;
  /// Attempts per second per endpoint (token bucket); off by default.
  webhookd::engine::rate_limit rate_limit;
  /// Deadline of one attempt, connect to last byte (§6); overrides `http.timeout`.
  /// It starts when the attempt has a connection: waiting behind other attempts to
  /// the same origin does not count. That wait is bounded so that an attempt still
  /// has `attempt_timeout` left on its lease when it starts (the client's
  /// `queue_timeout` is `lease_duration - attempt_timeout` unless `http` sets one).
  std::chrono::milliseconds attempt_timeout{3'000};
  /// How long a claim is leased; must exceed `attempt_timeout` comfortably.
  std::chrono::milliseconds lease_duration{std::chrono::seconds{30}};
  /// Deliveries claimed per store round trip.
  std::size_t claim_batch = 64;
  /// The most deliveries this engine holds at once: claimed and waiting for their
  /// endpoint's turn, on the wire, or waiting to be recorded. Claims pause at this
  /// many, so that work never piles up behind the connection pool with its leases
  /// (and attempt deadlines) running while other processes could take it. 0: no bound.
  std::size_t max_held = 1024;
  /// The executor given to the engine never runs two handlers at once: one thread
  /// runs its `io_context` (as with `io_context(1)`), or it is a strand. The engine
  /// then runs on it as it is instead of on a strand of its own, which saves every
  /// handler its trip through the strand's queue and lock (about 5 % of the CPU of
  /// a delivery in `bench/sender`). A strand is recognised without this flag. Wrong
  /// when several threads run the executor: the engine's state would race.
  bool serial_executor = false;
  /// Threads of the pool that runs the calls of a blocking store
  /// (`store::is_blocking_store_v`); none is started for a non-blocking store.
  std::size_t store_threads = 2;
  /// How often `metrics::queue_depth` and `metrics::held` are refreshed from
  /// `store.stats` (engine time; checked when the loop wakes).
  std::chrono::milliseconds stats_interval{std::chrono::seconds{1}};
  /// Lease owner name; empty: `wh-` and 12 random hex digits (unique per engine object).
  std::string owner;
  /// HTTP client settings (TLS trust, SSRF allow-list, body cap, pool).
  http::client_options http;
  /// Base of the resources' `url` fields, e.g. `https://example.ilucca.net/lucca-api`
  /// (no trailing slash): an event's url is `<base>/events/<id>`.
  std::string base_url;
  /// How CloudEvents bodies are written.
  encoding::cloudevents_options cloudevents;
  /// When an endpoint that keeps failing is suspended.
  suspension_policy suspension;
  /// The longest the loop sleeps without looking at the store again (catches work
  /// enqueued by other processes and jumps of a manual clock).
  std::chrono::milliseconds max_idle{std::chrono::seconds{1}};
  /// Events, deliveries and attempts older than this are purged (SPEC.md Part 1 §17);
  /// pending deliveries are kept. Zero disables the purge.
  std::chrono::milliseconds retention{std::chrono::days{61}};
  /// How often the loop purges (checked on the engine clock when the loop wakes).
  std::chrono::milliseconds purge_interval{std::chrono::hours{1}};
  /// How long the previous secret stays valid after `rotate_secret` (SPEC.md Part 1 §11).
  std::chrono::milliseconds secret_overlap{std::chrono::hours{24}};
  /// Operational events (may be empty). Called on the engine's strand.
  operational_event_handler on_event;
  /// The clock of every timestamp and schedule; must outlive the engine.
  const webhookd::clock* clock = &default_clock();
};

} // namespace webhookd::engine

#endif // WEBHOOKD_ENGINE_OPTIONS_HPP
