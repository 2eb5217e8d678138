// SPDX-License-Identifier: MIT
// One connection to a receiver: plain TCP or TLS over TCP.
#ifndef WEBHOOKD_HTTP_CONNECTION_HPP
#define WEBHOOKD_HTTP_CONNECTION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/http/tls_context.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <sys/socket.h>
#include <sys/types.h>

namespace webhookd::http {

/** A TCP connection, with or without TLS, and the buffer its answers are read into.

    The client's pool owns connections while they are idle and hands them to one
    request at a time (no pipelining). All operations must be made from the
    connection's executor (the client's).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class connection {
public:
  using executor_type = asio::any_io_executor;
  using socket_type = asio::ip::tcp::socket;
  using tls_stream_type = asio::ssl::stream<socket_type>;
  using clock_type = std::chrono::steady_clock;

  /// Default size of the buffer answers are read into.
  static constexpr std::size_t default_buffer_size = 16 * 1024;

  /// A plain TCP connection (not yet connected) for `origin`.
  connection(const executor_type& ex, std::string origin,
             std::size_t buffer_size = default_buffer_size)
      : origin_(std::move(origin)), buffer_size_(buffer_size) {
    plain_.emplace(ex);
  }

  /// A TLS connection (not yet connected) for `origin`, using `tls`'s settings.
  connection(const executor_type& ex, tls_context& tls, std::string origin,
             std::size_t buffer_size = default_buffer_size)
      : origin_(std::move(origin)), buffer_size_(buffer_size) {
    tls_.emplace(ex, tls.native());
  }

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  ~connection() {
    if (tls_ && SSL_is_init_finished(tls_->native_handle()))
      SSL_set_shutdown(tls_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }

  executor_type get_executor() noexcept { return socket().get_executor(); }

  /// The TCP socket (the lowest layer).
  socket_type& socket() noexcept { return tls_ ? tls_->next_layer() : *plain_; }

  bool is_tls() const noexcept { return tls_.has_value(); }

  /// The OpenSSL handle of a TLS connection, null for plain TCP.
  SSL* ssl() noexcept { return tls_ ? tls_->native_handle() : nullptr; }

  /// The pool key this connection belongs to (`scheme://host:port`).
  const std::string& origin() const noexcept { return origin_; }

  /** Performs the TLS client handshake. Precondition: `is_tls()`.

      @par Completion signature
      @code void(std::error_code ec) @endcode
  */
  template <class CompletionToken>
  auto async_handshake(CompletionToken&& token) {
    WEBHOOKD_ASSERT(tls_);
    return tls_->async_handshake(asio::ssl::stream_base::client,
                                 std::forward<CompletionToken>(token));
  }

  /** Writes all of `buffers` (a gathered write on plain TCP).

      @par Completion signature
      @code void(std::error_code ec, std::size_t bytes_transferred) @endcode
  */
  template <class ConstBufferSequence, class CompletionToken>
  auto async_write(const ConstBufferSequence& buffers, CompletionToken&& token) {
    if (tls_) return asio::async_write(*tls_, buffers, std::forward<CompletionToken>(token));
    return asio::async_write(*plain_, buffers, std::forward<CompletionToken>(token));
  }

  /** Reads some bytes into `buffer()`.

      @par Completion signature
      @code void(std::error_code ec, std::size_t bytes_transferred) @endcode
  */
  template <class CompletionToken>
  auto async_read_some(CompletionToken&& token) {
    if (!buffer_) buffer_ = std::make_unique<char[]>(buffer_size_);
    const auto b = asio::buffer(buffer_.get(), buffer_size_);
    if (tls_) return tls_->async_read_some(b, std::forward<CompletionToken>(token));
    return plain_->async_read_some(b, std::forward<CompletionToken>(token));
  }

  /// The bytes of the last read start here.
  const char* data() const noexcept { return buffer_.get(); }

  /** Checks, without blocking, that an idle connection can carry a request.

      False when the socket is closed, when the server closed its side or reset the
      connection while it was idle, or when bytes arrived that no request asked for
      (including TLS data buffered but not yet read, such as a `close_notify`). One
      `recv(MSG_PEEK)` system call.
  */
  bool usable_when_idle() noexcept {
    socket_type& s = socket();
    if (!s.is_open()) return false;
    if (tls_) {
      SSL* h = tls_->native_handle();
      if (SSL_pending(h) > 0 || BIO_ctrl_pending(SSL_get_rbio(h)) > 0) return false;
    }
    char byte;
    const ssize_t r = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r >= 0) return false; // 0: orderly close; >0: unexpected bytes
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }

  /// Closes the socket; pending operations complete with `operation_aborted`.
  void close() noexcept {
    // No close_notify is sent, but a session whose handshake completed stays valid
    // for resumption (OpenSSL otherwise invalidates it when the SSL object is freed).
    if (tls_ && SSL_is_init_finished(tls_->native_handle()))
      SSL_set_shutdown(tls_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    asio::error_code ignored;
    socket().shutdown(socket_type::shutdown_both, ignored);
    socket().close(ignored);
  }

  bool is_open() noexcept { return socket().is_open(); }

  /// When the connection last became idle.
  clock_type::time_point idle_since{};
  /// Requests completed on this connection.
  std::uint64_t requests = 0;

private:
  std::string origin_;
  std::optional<tls_stream_type> tls_;
  std::optional<socket_type> plain_;
  std::size_t buffer_size_;
  std::unique_ptr<char[]> buffer_;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_CONNECTION_HPP
