// SPDX-License-Identifier: MIT
// rest_handler: the Lucca webhooks REST API over a delivery_store and an engine.
#ifndef WEBHOOKD_API_REST_HANDLER_HPP
#define WEBHOOKD_API_REST_HANDLER_HPP

#include <webhookd/detail/config.hpp>

#include <webhookd/api/message.hpp>
#include <webhookd/api/rest/authorizer.hpp>
#include <webhookd/core/clock.hpp>
#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/model/endpoint_request.hpp>
#include <webhookd/store/delivery_store.hpp>

#include <asio/any_io_executor.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace webhookd::api {

/** Settings of a `rest_handler`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct rest_options {
  /** The public origin of the API, e.g. `https://example.ilucca.net` (no trailing
      slash): resources' `url` fields, `Location`, links and problem `instance`s are
      `base_url` + `/lucca-api/...` and the request target. */
  std::string base_url;

  /// Checks bearer tokens; required (the constructor throws `std::invalid_argument`
  /// without one). `static_token_authorizer` serves demos and tests.
  authorizer authorize;

  /// Accept `http://` webhook URLs (development only; SPEC.md Part 1 §9).
  bool allow_http_webhook_urls = false;

  /** Domains whose endpoints skip the activation challenge (SPEC.md Part 1 §8): a
      webhook URL whose host is one of them, or a subdomain of one, is made `active`
      at once when it asks to be. */
  std::vector<std::string> challenge_skip_domains;

  /** Serve `POST /lucca-api/events` (scope `events.readwrite`), an extension that
      publishes the body's event through the engine; 405 otherwise. */
  bool accept_events = false;

  /// How `GET /lucca-api/events` writes each event when asked for
  /// `Accept: application/cloudevents-batch+json` (the CloudEvents `type` prefix); keep
  /// it equal to the engine's, so the listing shows what cloudEvents endpoints receive.
  encoding::cloudevents_options cloudevents;

  /// The rest of the endpoint body rules (`allow_http` is taken from
  /// `allow_http_webhook_urls`).
  model::endpoint_validation_options endpoint_validation;

  /** Where store calls and the engine's synchronous calls run when the store blocks
      (`store::is_blocking_store_v<Store>`, e.g. SQLite): requests are answered from
      there. Empty: a pool of `blocking_threads` threads owned by the handler. Unused
      for non-blocking stores, whose requests are served on the caller's thread (and,
      after an activation challenge, on the engine's strand). */
  asio::any_io_executor blocking_executor;

  /// Threads of the handler's own pool (blocking stores, no `blocking_executor`).
  std::size_t blocking_threads = 2;

  /// Request bodies larger than this are refused with 413.
  std::size_t max_body_bytes = 1024 * 1024;

  /// Where `createdAt` and `lastUpdatedAt` come from.
  const webhookd::clock* clock = &default_clock();
};

namespace detail {
template <class Store>
class rest_state;
struct rest_pool;
} // namespace detail

/** The Lucca webhooks REST API (SPEC.md Part 1 and Part 2 §1-5, §9), as an
    `api::request_handler`: mount it on the embedded `api::server` or call it from a
    host's own HTTP stack.

    Routes, under `/lucca-api`:

    | method | path | scope |
    |---|---|---|
    | GET, POST | `/webhook-endpoints` | `webhook-endpoints.readonly`\|`.readwrite`; POST `.readwrite` |
    | GET, PATCH, DELETE | `/webhook-endpoints/{id}` | as above; writes `.readwrite` |
    | POST | `/webhook-endpoints/{id}/rotate-secret` | `webhook-endpoints.readwrite` |
    | GET, POST | `/webhook-deliveries` | `webhook-deliveries.readonly`\|`.readwrite`; POST `.readwrite` |
    | GET | `/webhook-deliveries/{id}` | `webhook-deliveries.readonly`\|`.readwrite` |
    | GET | `/webhook-delivery-attempts`, `/webhook-delivery-attempts/{id}` | `webhook-deliveries.readonly`\|`.readwrite` |
    | GET | `/events`, `/events/{id}` | `events.readonly`\|`events.readwrite` |
    | POST | `/events` (with `accept_events`) | `events.readwrite` |

    Every request needs `Api-Version` (a date not before `2024-11-01`; later dates
    resolve to it) and `Authorization: Bearer <token>`; every response carries
    `Api-Version: 2024-11-01`. Errors are `application/problem+json` whose `errors`
    name each field and rule. Resources and collections carry weak ETags
    (`If-None-Match` → 304, `If-Match` mismatch on writes → 412). Collections page
    with `limit` (0..100, default 25) and `page` cursors; `include=embedded,links,
    totalCount` expands responses. docs/api.md gives every rule.

    Endpoint creation and a PATCH that changes `webhookUrl` or asks for `active` run
    the activation challenge (`engine::challenge`) before answering: the endpoint is
    `active` if it passed, `inactive` otherwise (SPEC.md Part 1 §10).

    The handler is a cheap handle on shared state: copies serve the same API. The
    engine and the store must outlive every request. With a blocking store and no
    `blocking_executor`, dropping the last handle joins the handler's pool: requests
    running there finish first, and one still waiting for an activation challenge is
    then never answered (stop the server first).

    @par Example
    @code
    api::rest_options options;
    options.base_url = "https://example.ilucca.net";
    options.authorize = api::static_token_authorizer({{"t", {"webhook-endpoints.readwrite"}}});
    api::rest_handler<store::memory_store> rest(engine, store, options);
    api::server server(io.get_executor(), rest, api::server_options{});
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (requests may be handled
    concurrently from any thread).
*/
template <class Store>
class rest_handler {
public:
  /** A handler serving `store` and `engine` (which must use the same store).
      @throws std::invalid_argument if `options.authorize` is empty.
  */
  rest_handler(engine::engine<Store>& engine, Store& store, rest_options options);

  /** Handles one request; `done` is called exactly once, inline or later from
      another thread (the blocking pool, the engine's strand). */
  void operator()(request req, response_sink done) const;

private:
  std::shared_ptr<detail::rest_pool> pool_; // blocking stores without blocking_executor
  std::shared_ptr<detail::rest_state<Store>> state_;
};

} // namespace webhookd::api

#include <webhookd/api/impl/rest_handler.hpp>

#endif // WEBHOOKD_API_REST_HANDLER_HPP
