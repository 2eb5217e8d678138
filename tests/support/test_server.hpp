// A scriptable loopback HTTP/1.1 server (plain or TLS) for tests: counts accepted
// connections and answers each request as a test function says.
#ifndef WEBHOOKD_TESTS_SUPPORT_TEST_SERVER_HPP
#define WEBHOOKD_TESTS_SUPPORT_TEST_SERVER_HPP

#include "certs.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd::test {

/// A request as the server received it.
struct received_request {
  std::string head;            ///< request line and headers, up to the blank line
  std::string body;
  std::size_t connection = 0;  ///< 1-based index of the connection it came on
};

/// What the server does with one request.
struct reply {
  enum class then {
    keep_alive, ///< wait for the next request on the connection
    close,      ///< close the connection (FIN)
    reset,      ///< abort the connection (RST)
    hang,       ///< keep the connection open and never answer again
  };
  std::string bytes;                  ///< raw bytes to write (may be empty)
  std::size_t filler = 0;             ///< then this many 'x' bytes, 64 KiB at a time
  std::chrono::milliseconds delay{0}; ///< wait this long before writing
  then after = then::keep_alive;
};

/// `HTTP/1.1 <status>` with Content-Length and `extra_headers` (each ending in CRLF).
reply respond(int status, std::string body = {}, std::string extra_headers = {});

using responder = std::function<reply(const received_request&)>;

/** Listens on 127.0.0.1 (an ephemeral port) on the given io_context. */
class server {
public:
  struct options {
    bool tls = false;
    const cert_key* certificate = nullptr;  ///< TLS only; default: pki().server
    /// Close a kept-alive connection that stays idle this long (0: never).
    std::chrono::milliseconds idle_close{0};
  };

  server(asio::io_context& io, responder r);
  server(asio::io_context& io, responder r, options o);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const;
  /// `http(s)://<host>:<port><path>`.
  std::string url(std::string_view path = "/", std::string_view host = "127.0.0.1") const;

  std::size_t accepted() const;    ///< connections accepted so far
  std::size_t active() const;      ///< connections open now
  std::size_t max_active() const;  ///< most connections open at once
  const std::vector<received_request>& requests() const;

  /// Closes every connection the server holds idle (FIN), keeping the listener.
  void close_idle_connections();
  void stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

/// Runs `io` until `done()` holds or `limit` passes; returns `done()`.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds{30});

/// Runs `io` for `d` (timers and I/O progress meanwhile).
void run_for(asio::io_context& io, std::chrono::milliseconds d);

} // namespace webhookd::test

#endif
