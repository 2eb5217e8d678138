// SPDX-License-Identifier: MIT
// The client-side TLS context: TLS 1.2+, trust store, peer and hostname verification,
// and a session cache per origin for resumption.
#ifndef WEBHOOKD_HTTP_TLS_CONTEXT_HPP
#define WEBHOOKD_HTTP_TLS_CONTEXT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/url.hpp>

#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>

namespace webhookd::http {

/// How receivers' certificates are trusted.
struct tls_options {
  /// Trust the system's store (`SSL_CTX_set_default_verify_paths`).
  bool use_system_trust_store = true;
  /// A PEM file of extra trusted CA certificates (empty: none).
  std::string ca_file;
  /// Extra trusted CA certificates as PEM text (empty: none).
  std::string ca_pem;
  /// Resume TLS sessions per origin (session tickets or IDs).
  bool session_resumption = true;
};

/** The TLS client context every connection of a client shares.

    - TLS 1.2 is the minimum version; compression and renegotiation are off.
    - Peers are always verified: against the system trust store and the optional extra
      CA certificates. `prepare()` sets SNI (for names) and the expected host name or IP
      address, which OpenSSL checks during the handshake (RFC 6125).
    - Sessions are cached per origin (`scheme://host:port`): the newest session a server
      issued is offered on the next connection to that origin, saving a full handshake.
      A failed handshake forgets the origin's session.

    Misconfiguration (an unreadable CA file, bad PEM) is reported by the constructor as
    a `std::system_error`: it happens at start-up, not per delivery.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (the session cache is locked).
*/
class tls_context {
public:
  /// @throws std::system_error when the trust store or a CA file cannot be loaded.
  explicit tls_context(const tls_options& options = {})
      : ctx_(asio::ssl::context::tls_client), resumption_(options.session_resumption) {
    SSL_CTX* ctx = ctx_.native_handle();
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
      throw std::system_error(last_error(), "webhookd: cannot require TLS 1.2");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    asio::error_code ec;
    if (options.use_system_trust_store) {
      ctx_.set_default_verify_paths(ec);
      if (ec) throw std::system_error(ec, "webhookd: cannot load the system trust store");
    }
    if (!options.ca_file.empty()) {
      ctx_.load_verify_file(options.ca_file, ec);
      if (ec) throw std::system_error(ec, "webhookd: cannot load CA file " + options.ca_file);
    }
    if (!options.ca_pem.empty()) {
      ctx_.add_certificate_authority(asio::buffer(options.ca_pem), ec);
      if (ec) throw std::system_error(ec, "webhookd: cannot load CA certificates");
    }
    ctx_.set_verify_mode(asio::ssl::verify_peer);
    if (resumption_) {
      SSL_CTX_set_ex_data(ctx, context_index(), this);
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_sess_set_new_cb(ctx, &tls_context::on_new_session);
    } else {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
  }

  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  ~tls_context() {
    for (auto& [origin, session] : sessions_) SSL_SESSION_free(session);
  }

  /// The Asio context, to construct `asio::ssl::stream`s from.
  asio::ssl::context& native() noexcept { return ctx_; }

  /** Prepares a new TLS connection to `target` before its handshake.

      Sets SNI (DNS names only, as RFC 6066 requires), the name or IP address the
      certificate must match, and offers the cached session of `*origin`.

      @param ssl the connection's OpenSSL handle.
      @param target the URL the connection is for.
      @param origin the pool key; must stay alive and unchanged as long as `ssl`.
      @returns false when OpenSSL refused the settings (out of memory).
  */
  bool prepare(SSL* ssl, const url& target, const std::string* origin) {
    // Kept-alive connections are busy; keeping their record buffers saves an
    // allocation and a free per record (Asio turns the release mode on).
    SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    if (target.kind == host_kind::name) {
      if (SSL_set_tlsext_host_name(ssl, target.host.c_str()) != 1) return false;
      if (SSL_set1_host(ssl, target.host.c_str()) != 1) return false;
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.host.c_str()) != 1) {
      return false;
    }
    if (!resumption_) return true;
    SSL_set_ex_data(ssl, origin_index(), const_cast<std::string*>(origin));
    std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(*origin); it != sessions_.end())
      SSL_set_session(ssl, it->second);
    return true;
  }

  /// Forgets the session of `origin` (after a failed handshake).
  void forget(const std::string& origin) {
    std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(origin); it != sessions_.end()) {
      SSL_SESSION_free(it->second);
      sessions_.erase(it);
    }
  }

  /// The number of origins with a cached session.
  std::size_t cached_sessions() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }

private:
  // Bounds the cache; when full it is emptied (sessions are only an optimisation).
  static constexpr std::size_t max_sessions = 4096;

  static std::error_code last_error() {
    return {static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()};
  }
  static int context_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
  }
  static int origin_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
  }

  // OpenSSL hands over a reference to each new session (1 = we keep it).
  static int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<tls_context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
    const auto* origin = static_cast<const std::string*>(SSL_get_ex_data(ssl, origin_index()));
    if (self == nullptr || origin == nullptr) return 0;
    std::lock_guard lock(self->mutex_);
    if (self->sessions_.size() >= max_sessions && !self->sessions_.contains(*origin)) {
      for (auto& [key, old] : self->sessions_) SSL_SESSION_free(old);
      self->sessions_.clear();
    }
    auto [it, inserted] = self->sessions_.try_emplace(*origin, session);
    if (!inserted) {
      SSL_SESSION_free(it->second);
      it->second = session;
    }
    return 1;
  }

  asio::ssl::context ctx_;
  bool resumption_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SSL_SESSION*> sessions_;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_TLS_CONTEXT_HPP
