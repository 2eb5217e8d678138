// SPDX-License-Identifier: MIT
// The HTTP(S) client that puts deliveries on the wire.
#ifndef WEBHOOKD_HTTP_CLIENT_HPP
#define WEBHOOKD_HTTP_CLIENT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/http/address_guard.hpp>
#include <webhookd/http/connection.hpp>
#include <webhookd/http/outcome.hpp>
#include <webhookd/http/pool.hpp>
#include <webhookd/http/request.hpp>
#include <webhookd/http/resolver.hpp>
#include <webhookd/http/response_parser.hpp>
#include <webhookd/http/tls_context.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution_context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace webhookd::http {

/// Settings of a `client`. The defaults are SPEC.md Part 1's.
struct client_options {
  /// One deadline per attempt covering resolve, connect, TLS, write and the whole
  /// answer (SPEC.md Part 1 §6). It starts once the send has a connection (or a
  /// free slot to open one): time spent queued behind this client's other sends to
  /// the origin is not the receiver's, and does not count.
  std::chrono::milliseconds timeout{3'000};
  /// How long a send may wait for a connection to its origin when all
  /// `max_connections_per_origin` are busy; past it the send fails with
  /// `errc::timeout` without having been sent. Zero: no limit (each busy connection
  /// frees up within `timeout`, so the queue always moves).
  std::chrono::milliseconds queue_timeout{0};
  /// Bytes of an answer's body kept in the outcome (SPEC.md Part 1 §7).
  std::size_t body_cap = 4096;
  /// Body bytes beyond the cap read and discarded to keep a connection alive; past
  /// that the connection is dropped.
  std::size_t max_drain = 64 * 1024;
  /// Bytes of status line and headers an answer may have.
  std::size_t max_header_bytes = 16 * 1024;
  /// Header fields an answer may have.
  std::size_t max_headers = 100;
  /// Accept `http://` targets (development only); otherwise they fail with
  /// `errc::scheme_not_allowed`.
  bool allow_http = false;
  /// Check resolved addresses against the SSRF guard (`address_guard`).
  bool guard_addresses = true;
  /// Networks the guard lets through although they are blocked by default (e.g.
  /// `127.0.0.0/8` for tests and the demo).
  std::vector<network> allowed_networks;
  /// Connections open at once to one origin.
  std::size_t max_connections_per_origin = 16;
  /// An idle kept-alive connection is closed after this long.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Trust the system's CA store.
  bool use_system_trust_store = true;
  /// A PEM file of extra trusted CA certificates.
  std::string ca_file;
  /// Extra trusted CA certificates as PEM text.
  std::string ca_pem;
  /// Resume TLS sessions per origin.
  bool tls_session_resumption = true;
  /// How long resolved names are cached.
  std::chrono::seconds dns_ttl{30};
  /// Size of each connection's read buffer.
  std::size_t read_buffer_size = 16 * 1024;
};

namespace detail {
class client_state;
} // namespace detail

/** Sends HTTP/1.1 requests over pooled, verified connections; every failure becomes
    an `outcome`, never an exception.

    What one `async_send` does:
    1. refuses `http://` unless `allow_http` (`errc::scheme_not_allowed`);
    2. takes an idle kept-alive connection to the origin, checked to still be open;
       or, below the per-origin cap, opens one: resolves the host (cached for
       `dns_ttl`), drops every address the SSRF guard refuses
       (`errc::blocked_address` when none is left), connects, and for `https://`
       performs a verified TLS 1.2+ handshake with SNI (resuming the origin's
       session when it can); at the cap, it waits for a connection in FIFO order;
    3. writes the request's header block and shared body in one gathered write;
    4. parses the answer with llhttp (Content-Length, chunked or close-delimited),
       keeping `body_cap` bytes of the body; redirects are not followed;
    5. gives the connection back for reuse when the answer allows it.

    If a kept-alive connection fails while the request is being written and not one
    byte of it was accepted, the request goes out once more on a new connection;
    otherwise it is never repeated (a POST may have been processed).

    A deadline of `timeout` covers steps 2 to 4 from the moment the send has a
    connection or a slot to open one; the wait for one, at the cap, is bounded by
    `queue_timeout` instead. `stop()` ends every send in progress with
    `errc::cancelled`.

    The client starts no threads (but see `resolver` about name lookups). All its
    handlers run on the executor it was given; give it a strand when the
    `io_context` runs on several threads.

    @par Example
    @code
    http::client_options options;
    options.allowed_networks.push_back(*http::network::parse("127.0.0.0/8"));
    http::client client(io.get_executor(), options);
    http::request req("POST", *parse_url("https://127.0.0.1:8443/hook"), body);
    req.set("Content-Type", "application/json");
    client.async_send(std::move(req), [](http::outcome o) {
      if (o.success()) ...; else log(o.status, o.reason());
    });
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (use one strand).
*/
class client {
public:
  using executor_type = asio::any_io_executor;

  /// @throws std::system_error when the TLS trust settings cannot be loaded.
  explicit client(const executor_type& ex, client_options options = {});

  /// @throws std::system_error when the TLS trust settings cannot be loaded.
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit client(ExecutionContext& context, client_options options = {})
      : client(executor_type(context.get_executor()), std::move(options)) {}

  client(const client&) = delete;
  client& operator=(const client&) = delete;
  client(client&&) noexcept = default;
  client& operator=(client&&) noexcept = default;

  /// Stops the client (see `stop()`).
  ~client();

  executor_type get_executor() const noexcept;

  /** Sends `req` and reports what happened.

      @param req the request; its `Content-Length` and final blank line are added here.
      @param token the completion token.

      @par Completion signature
      @code void(http::outcome result) @endcode
      Transport failures are part of the outcome rather than a separate
      `std::error_code` argument: a failed send is a normal result to record.

      @par Per-operation cancellation
      Terminal cancellation is supported: the send ends with `errc::cancelled` and its
      connection, if any, is closed.
  */
  template <asio::completion_token_for<void(outcome)> CompletionToken =
                asio::default_completion_token_t<executor_type>>
  auto async_send(request req,
                  CompletionToken&& token = asio::default_completion_token_t<executor_type>());

  /** Stops the client: every send in progress completes with `errc::cancelled`,
      every connection is closed, and later sends complete with `errc::cancelled`.
      Idempotent. */
  void stop();

  /// Connections open or being opened, across all origins.
  std::size_t open_connections() const noexcept;
  /// Idle kept-alive connections, across all origins.
  std::size_t idle_connections() const noexcept;
  /// Sends in progress.
  std::size_t in_flight() const noexcept;

  const client_options& options() const noexcept;

private:
  std::shared_ptr<detail::client_state> state_;
};

} // namespace webhookd::http

#include <webhookd/http/impl/client.hpp>

#endif // WEBHOOKD_HTTP_CLIENT_HPP
