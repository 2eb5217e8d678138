// SPDX-License-Identifier: MIT
// An embedded HTTP/1.1 server (plain or TLS) that hands each request to a
// request_handler: the transport of webhookd's REST API.
#ifndef WEBHOOKD_API_SERVER_HPP
#define WEBHOOKD_API_SERVER_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/message.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <system_error>

namespace webhookd::api {

/** Limits and timeouts of the embedded server.

    Every limit protects the server from one kind of client: too much data (sizes),
    too slow a client (timeouts), too many clients (`max_connections`). A refused
    request is answered with its status and `Connection: close`, then the connection is
    closed.
*/
struct server_options {
  /// Bytes of the request line and header section; beyond: 431 and close.
  std::size_t max_header_bytes = 8 * 1024;
  /// Bytes of a request body; beyond: 413 and close. A `Content-Length` is checked
  /// before the body is read (and before `100 Continue` is sent); a chunked body is
  /// counted as its chunks arrive.
  std::size_t max_body_bytes = 1024 * 1024;
  /// The whole request head must arrive within this, counted from its first byte (from
  /// the accept for a connection's first request, TLS handshake included); else 408
  /// and close. A new connection that sends nothing at all is closed silently.
  std::chrono::milliseconds header_timeout{10'000};
  /// The whole body must arrive within this, counted from the end of the head; else
  /// 408 and close.
  std::chrono::milliseconds body_timeout{30'000};
  /// A kept-alive connection idle this long between requests is closed silently.
  std::chrono::milliseconds idle_timeout{60'000};
  /// Connections served at once. At the limit the server stops accepting: further
  /// clients wait in the kernel's listen queue until a connection closes.
  std::size_t max_connections = 1024;
  /// Requests served on one connection before it is closed (the last response says
  /// `Connection: close`); 0 = unlimited.
  std::size_t max_requests_per_connection = 0;
  /// A response must be written within this (a client that does not read is dropped).
  std::chrono::milliseconds write_timeout{30'000};
  /// After a response with `Connection: close`, bytes the client still sends are read
  /// and discarded for at most this long before the socket is closed, so that the
  /// response is not lost to a TCP reset.
  std::chrono::milliseconds linger_timeout{2'000};
  /// Size of each connection's read buffer (the only per-connection buffer).
  std::size_t read_buffer_bytes = 16 * 1024;
};

namespace detail {
class server_core;
} // namespace detail

/** An HTTP/1.1 server that hands every request to a `request_handler`.

    Transport only: it accepts connections (plain TCP, or TLS with the given
    `asio::ssl::context`), parses requests with llhttp, calls the handler, and writes
    the response it gets through the `response_sink`, adding `Content-Length`, `Date`
    and `Connection`.

    - HTTP/1.1 keep-alive; HTTP/1.0 closes unless the client asks for keep-alive;
      `Connection: close` is honoured.
    - Pipelined requests are handled one after the other and answered in order.
    - Chunked request bodies; `Expect: 100-continue` is answered with
      `100 Continue` when the declared body is within the limits, with 413 otherwise.
    - HEAD is answered without a body (with the `Content-Length` of the GET answer).
    - Malformed requests get 400 (413, 431, 501, 505 as fits) and the connection is
      closed; a handler that throws, or drops its sink without calling it, gives 500.
    - The handler may answer later and from any thread: the response is posted back
      to the connection's strand. A sink called after its connection closed, or a
      second time, does nothing.
    - Limits and timeouts as in `server_options`.

    The server starts no thread: every connection lives on its own strand of the
    executor given to the constructor, so the host may run that `io_context` on one
    thread or several. The handler may then be called concurrently for different
    connections.

    @par Example
    @code
    asio::io_context io;
    webhookd::api::server srv(io.get_executor(), [](webhookd::api::request req,
                                                    webhookd::api::response_sink done) {
      done({200, {}, "you asked for " + req.target});
    });
    if (auto ec = srv.listen({asio::ip::make_address("127.0.0.1"), 8080})) throw std::system_error(ec);
    io.run();
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: `stop` and `connection_count` may be called
    from any thread; `listen` and `local_endpoint` not concurrently with other calls.
*/
class server {
public:
  /// The executor the server and its connections run on.
  using executor_type = asio::any_io_executor;

  /** A plain HTTP server.

      @param ex the executor (of an `io_context`) everything runs on.
      @param handler called for every request; must not be empty.
      @param options limits and timeouts.
  */
  server(const executor_type& ex, request_handler handler, server_options options = {});

  /** An HTTPS server. `tls` (server certificate, key, protocol settings) is used for
      every connection and must outlive the server and its connections. The TLS
      handshake must complete within `header_timeout`.
  */
  server(const executor_type& ex, asio::ssl::context& tls, request_handler handler,
         server_options options = {});

  /** Closes the listener and every connection without waiting: requests in progress
      are abandoned, and the handler is not called again. Use `stop` for a graceful
      end. Sinks still held by handlers stay safe to call. The `io_context` must
      outlive the server (as for any Asio I/O object).
  */
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /** Binds to `at`, listens and starts accepting. Port 0 picks a free port (see
      `local_endpoint`).

      Call it once, before `stop`.

      @returns the error of the failed step (open, bind, listen), or an empty code;
      `asio::error::already_open` when the server already listens.
  */
  std::error_code listen(const asio::ip::tcp::endpoint& at);

  /// The address the server listens on (the chosen port when `listen` was given 0);
  /// a default endpoint before `listen`.
  asio::ip::tcp::endpoint local_endpoint() const;

  /** Stops gracefully, then calls `done`.

      The listener closes at once, and so do idle connections. A request being
      received or handled goes on: its response is written with `Connection: close`,
      then its connection closes. Whatever is still open when `deadline` passes is
      closed. `done` is called once no connection remains, on the server's strand
      (never inside `stop`). Calling `stop` again adds another `done` to call; after
      the stop completed it calls `done` right away (posted).

      @param deadline how long requests in progress may take to finish.
      @param done called once the server is stopped (may be empty).
  */
  void stop(std::chrono::milliseconds deadline, std::function<void()> done);

  /// Connections open now (accepted and not yet closed).
  std::size_t connection_count() const noexcept;

  /// The options the server was made with.
  const server_options& options() const noexcept;

  /// The executor given to the constructor.
  executor_type get_executor() const noexcept;

private:
  std::shared_ptr<detail::server_core> core_;
};

} // namespace webhookd::api

#include <webhookd/api/impl/server.hpp>

#endif // WEBHOOKD_API_SERVER_HPP
