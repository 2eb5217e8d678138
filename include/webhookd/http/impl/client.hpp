// SPDX-License-Identifier: MIT
// The send operation of http::client and the client's shared state.
#ifndef WEBHOOKD_HTTP_IMPL_CLIENT_HPP
#define WEBHOOKD_HTTP_IMPL_CLIENT_HPP

#include <webhookd/http/client.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/connect.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace webhookd::http {
namespace detail {

class send_op;

inline tls_options to_tls_options(const client_options& o) {
  tls_options t;
  t.use_system_trust_store = o.use_system_trust_store;
  t.ca_file = o.ca_file;
  t.ca_pem = o.ca_pem;
  t.session_resumption = o.tls_session_resumption;
  return t;
}

inline address_guard to_guard(const client_options& o) {
  if (!o.guard_addresses) return address_guard::disabled();
  return address_guard(o.allowed_networks);
}

// Everything the sends of one client share. Owned by the client and by every send in
// progress, so a send may outlive the client object.
class client_state : public std::enable_shared_from_this<client_state> {
public:
  using executor_type = asio::any_io_executor;
  using clock_type = std::chrono::steady_clock;

  client_state(const executor_type& executor, client_options o)
      : ex(executor),
        options(std::move(o)),
        guard(to_guard(options)),
        res(ex, options.dns_ttl),
        tls(to_tls_options(options)),
        pools(pool_options{options.max_connections_per_origin, options.idle_timeout}),
        limits{options.body_cap, options.max_drain, options.max_header_bytes, options.max_headers},
        sweep_(ex) {}

  client_state(const client_state&) = delete;
  client_state& operator=(const client_state&) = delete;

  inline void link(send_op* op) noexcept;
  inline void unlink(send_op* op) noexcept;
  inline void stop();

  // Arms the idle sweep if it is not armed already.
  void schedule_sweep() {
    if (sweep_armed_ || stopped) return;
    arm_sweep(clock_type::now() + options.idle_timeout);
  }

  executor_type ex;
  client_options options;
  address_guard guard;
  resolver res;
  tls_context tls;
  pool pools;
  response_limits limits;
  bool stopped = false;
  std::size_t in_flight = 0;

private:
  void arm_sweep(clock_type::time_point at) {
    sweep_armed_ = true;
    sweep_.expires_at(at);
    sweep_.async_wait([w = weak_from_this()](const std::error_code& ec) {
      const auto self = w.lock();
      if (!self) return;
      self->sweep_armed_ = false;
      if (ec || self->stopped) return;
      const auto next = self->pools.expire_idle(clock_type::now());
      if (next != clock_type::time_point::max()) self->arm_sweep(next);
    });
  }

  asio::steady_timer sweep_;
  bool sweep_armed_ = false;
  send_op* head_ = nullptr;
};

// One send, from the pool to the answer. Type-erased over the completion handler so
// that the state machine is compiled once.
class send_op : public std::enable_shared_from_this<send_op>, public origin_pool::waiter {
public:
  using clock_type = std::chrono::steady_clock;

  send_op(std::shared_ptr<client_state> st, request req)
      : st_(std::move(st)), req_(std::move(req)), parser_(st_->limits), deadline_(st_->ex) {}

  send_op(const send_op&) = delete;
  send_op& operator=(const send_op&) = delete;

  virtual ~send_op() {
    if (linked_) st_->unlink(this);
  }

  void start() {
    st_->link(this);
    started_ = clock_type::now();
    if (st_->stopped) return fail(make_error_code(errc::cancelled));
    const url& u = req_.target();
    if (!u.is_https() && !st_->options.allow_http)
      return fail(make_error_code(errc::scheme_not_allowed), "plain http:// is not allowed");
    req_.seal();
    pool_ = &st_->pools.get(req_.origin());
    acquire();
    initiating_ = false;
  }

  // Ends the send early (deadline, stop, cancellation). Work in flight on the
  // connection is cancelled by closing it; its handler then completes the send.
  void abort(std::error_code ec) {
    if (done_ || aborted_) return;
    aborted_ = true;
    abort_ec_ = ec;
    switch (phase_) {
    case phase::waiting: {
      const auto self = std::move(queued_self_); // alive until fail() has completed
      pool_->cancel_wait(*this);
      return fail(ec);
    }
    case phase::turn_pending:
    case phase::resolving:
      return fail(ec);
    case phase::connecting:
    case phase::handshaking:
    case phase::writing:
    case phase::reading:
      conn_->close();
      return;
    case phase::starting:
    case phase::finished:
      return;
    }
  }

  void on_pool_turn(std::unique_ptr<connection> c) override {
    const auto self = std::move(queued_self_);
    has_slot_ = true;
    arm_attempt_deadline();
    conn_ = std::move(c);
    conn_clean_ = conn_ != nullptr;
    reused_ = conn_ != nullptr;
    phase_ = phase::turn_pending;
    asio::post(st_->ex, [self = shared_from_this()] {
      if (self->done_) return;
      self->conn_clean_ = false;
      if (self->conn_) self->write();
      else self->resolve();
    });
  }

  send_op* prev = nullptr;
  send_op* next = nullptr;
  bool linked_ = false;

protected:
  virtual void complete(outcome&& o) = 0;

  std::shared_ptr<client_state> st_;
  bool initiating_ = true;

private:
  enum class phase { starting, waiting, turn_pending, resolving, connecting, handshaking, writing, reading, finished };

  void acquire() {
    if (auto c = pool_->take_idle(clock_type::now())) {
      conn_ = std::move(c);
      has_slot_ = reused_ = true;
      arm_attempt_deadline();
      return write();
    }
    if (pool_->try_reserve()) {
      has_slot_ = true;
      arm_attempt_deadline();
      return resolve();
    }
    phase_ = phase::waiting;
    if (st_->options.queue_timeout.count() > 0 && !retried_) arm_queue_deadline();
    // The pool's queue holds a plain pointer; without a deadline armed nothing else
    // would own this send while it waits.
    queued_self_ = shared_from_this();
    pool_->wait(*this);
  }

  // The attempt's deadline runs from the moment it has a connection or a slot to
  // open one; before that, only the optional queue deadline does. Re-arming replaces
  // the queue deadline: a generation number turns a handler of the replaced wait,
  // already queued, into a no-op.
  void arm_attempt_deadline() {
    if (retried_) return; // the second try on a fresh connection keeps the first's deadline
    started_ = clock_type::now();
    queued_timeout_ = false;
    arm_deadline(started_ + st_->options.timeout);
  }
  void arm_queue_deadline() {
    queued_timeout_ = true;
    arm_deadline(clock_type::now() + st_->options.queue_timeout);
  }
  void arm_deadline(clock_type::time_point at) {
    deadline_.expires_at(at);
    deadline_.async_wait([self = shared_from_this(), gen = ++deadline_gen_](const std::error_code& ec) {
      if (!ec && gen == self->deadline_gen_) self->abort(make_error_code(errc::timeout));
    });
  }

  void resolve() {
    phase_ = phase::resolving;
    if (auto hit = st_->res.cached(req_.target().host)) return connect(*hit);
    st_->res.async_resolve(req_.target().host,
                           [self = shared_from_this()](const std::error_code& ec, address_list list) {
                             if (self->done_) return;
                             if (ec) return self->fail(ec, "DNS: " + lower_first(ec.message()));
                             self->connect(*list);
                           });
  }

  void connect(const std::vector<asio::ip::address>& addresses) {
    endpoints_.clear();
    std::string blocked;
    for (const auto& a : addresses) {
      if (const auto why = st_->guard.blocked_reason(a)) {
        if (blocked.empty()) blocked = "address blocked: " + a.to_string() + " is " + std::string(*why);
      } else {
        endpoints_.emplace_back(a, req_.target().port);
      }
    }
    if (endpoints_.empty()) return fail(make_error_code(errc::blocked_address), blocked);
    if (req_.target().is_https())
      conn_ = std::make_unique<connection>(st_->ex, st_->tls, req_.origin(), st_->options.read_buffer_size);
    else
      conn_ = std::make_unique<connection>(st_->ex, req_.origin(), st_->options.read_buffer_size);
    phase_ = phase::connecting;
    asio::async_connect(conn_->socket(), endpoints_,
                        [self = shared_from_this()](const std::error_code& ec, const asio::ip::tcp::endpoint&) {
                          self->on_connect(ec);
                        });
  }

  void on_connect(const std::error_code& ec) {
    if (aborted_) return fail(abort_ec_);
    if (ec) return fail(ec);
    std::error_code ignored;
    conn_->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!conn_->is_tls()) return write();
    if (!st_->tls.prepare(conn_->ssl(), req_.target(), &conn_->origin()))
      return fail(make_error_code(errc::tls_handshake_failed));
    phase_ = phase::handshaking;
    conn_->async_handshake([self = shared_from_this()](const std::error_code& e) { self->on_handshake(e); });
  }

  void on_handshake(const std::error_code& ec) {
    if (aborted_) return fail(abort_ec_);
    if (ec) {
      st_->tls.forget(req_.origin());
      const long verify = SSL_get_verify_result(conn_->ssl());
      if (verify != X509_V_OK)
        return fail(make_error_code(errc::tls_verify_failed),
                    std::string("TLS: certificate verify failed (") + X509_verify_cert_error_string(verify) + ")");
      return fail(make_error_code(errc::tls_handshake_failed),
                  "TLS: handshake failed (" + lower_first(ec.message()) + ")");
    }
    out_.tls_resumed = SSL_session_reused(conn_->ssl()) == 1;
    write();
  }

  void write() {
    phase_ = phase::writing;
    conn_->async_write(req_.buffers(), [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
      self->on_write(ec, n);
    });
  }

  void on_write(const std::error_code& ec, std::size_t written) {
    if (aborted_) return fail(abort_ec_);
    if (ec) {
      // Not one byte left: the receiver cannot have seen the request, so a fresh
      // connection may carry it (once).
      if (reused_ && written == 0 && !retried_) {
        retried_ = true;
        reused_ = false;
        drop_connection();
        return acquire();
      }
      return fail(ec);
    }
    parser_.reset();
    read();
  }

  void read() {
    phase_ = phase::reading;
    conn_->async_read_some([self = shared_from_this()](const std::error_code& ec, std::size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(const std::error_code& ec, std::size_t n) {
    if (aborted_) {
      // The deadline passed while discarding the rest of a long body: the answer is
      // known, only the connection is lost.
      if (abort_ec_ == errc::timeout && parser_.headers_done() && parser_.body_truncated())
        return succeed(false);
      return fail(abort_ec_);
    }
    if (n > 0) {
      if (const auto perr = parser_.feed(conn_->data(), n)) return fail(perr);
      if (parser_.done() || parser_.drain_exceeded()) return succeed(parser_.keep_alive());
    }
    if (!ec) return read();
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      if (const auto ferr = parser_.finish()) return fail(ferr);
      return succeed(false);
    }
    fail(ec);
  }

  void succeed(bool reusable) {
    out_.status = parser_.status();
    out_.body = std::move(parser_.body());
    out_.body_truncated = parser_.body_truncated();
    out_.retry_after = std::move(parser_.retry_after());
    out_.reused = reused_;
    pool_->release(std::move(conn_), reusable && !st_->stopped, clock_type::now());
    has_slot_ = false;
    if (reusable) st_->schedule_sweep();
    finish();
  }

  void fail(std::error_code ec, std::string detail = {}) {
    // Asio reports operating-system errors in its own category; the outcome uses the
    // standard one so that `error == std::errc::connection_refused` holds.
    if (ec.category() == asio::error::get_system_category())
      ec = std::error_code(ec.value(), std::system_category());
    out_.error = ec;
    out_.status = 0;
    out_.body.clear();
    out_.body_truncated = false;
    out_.retry_after.reset();
    out_.reused = reused_;
    out_.detail = detail.empty() ? describe(ec) : std::move(detail);
    if (conn_ && conn_clean_) {
      pool_->release(std::move(conn_), true, clock_type::now());
      has_slot_ = false;
    } else {
      drop_connection();
    }
    finish();
  }

  // Closes the connection, if any, and frees the slot.
  void drop_connection() {
    if (conn_) {
      conn_->close();
      conn_.reset();
    }
    if (has_slot_) {
      has_slot_ = false;
      pool_->closed();
    }
  }

  void finish() {
    done_ = true;
    phase_ = phase::finished;
    deadline_.cancel();
    out_.latency = clock_type::now() - started_;
    if (linked_) st_->unlink(this);
    complete(std::move(out_));
  }

  std::string describe(const std::error_code& ec) const {
    if (ec == errc::timeout && queued_timeout_)
      return "no connection to the origin free within " +
             std::to_string(st_->options.queue_timeout.count()) + " ms";
    if (ec == errc::timeout)
      return "timeout after " + std::to_string(st_->options.timeout.count()) + " ms";
    return lower_first(ec.message());
  }

  static std::string lower_first(std::string s) {
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && (s.size() < 2 || !(s[1] >= 'A' && s[1] <= 'Z')))
      s[0] = static_cast<char>(s[0] + 32);
    return s;
  }

  request req_;
  origin_pool* pool_ = nullptr;
  std::unique_ptr<connection> conn_;
  response_parser parser_;
  asio::steady_timer deadline_;
  std::vector<asio::ip::tcp::endpoint> endpoints_;
  outcome out_;
  clock_type::time_point started_{}; // the attempt's start: when it got a connection
  std::uint64_t deadline_gen_ = 0;
  std::shared_ptr<send_op> queued_self_; // set while queued in the pool for a connection
  bool queued_timeout_ = false; // the deadline armed is the queue's, not the attempt's
  std::error_code abort_ec_;
  phase phase_ = phase::starting;
  bool done_ = false;
  bool aborted_ = false;
  bool has_slot_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool conn_clean_ = false;
};

template <class Handler>
class send_op_with_handler final : public send_op {
public:
  using handler_executor = asio::associated_executor_t<Handler, asio::any_io_executor>;

  send_op_with_handler(std::shared_ptr<client_state> st, request req, Handler h)
      : send_op(std::move(st), std::move(req)),
        handler_(std::move(h)),
        work_(asio::get_associated_executor(handler_, st_->ex)) {}

  // Connects the handler's cancellation slot, if it has one, to abort().
  void install_cancellation() {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (!slot.is_connected()) return;
    slot.assign([w = std::weak_ptr<send_op>(shared_from_this()), ex = st_->ex](asio::cancellation_type t) {
      if ((t & asio::cancellation_type::terminal) == asio::cancellation_type::none) return;
      asio::post(ex, [w] {
        if (const auto self = w.lock()) self->abort(make_error_code(errc::cancelled));
      });
    });
  }

private:
  void complete(outcome&& o) override {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    const auto ex = asio::get_associated_executor(handler_, st_->ex);
    auto f = [h = std::move(handler_), o = std::move(o)]() mutable { std::move(h)(std::move(o)); };
    // Never complete inside the initiating function (Asio's rule).
    if (initiating_) asio::post(ex, std::move(f));
    else asio::dispatch(ex, std::move(f));
    work_.reset();
  }

  Handler handler_;
  asio::executor_work_guard<handler_executor> work_;
};

inline void client_state::link(send_op* op) noexcept {
  op->prev = nullptr;
  op->next = head_;
  if (head_) head_->prev = op;
  head_ = op;
  op->linked_ = true;
  ++in_flight;
}

inline void client_state::unlink(send_op* op) noexcept {
  if (op->prev) op->prev->next = op->next;
  else head_ = op->next;
  if (op->next) op->next->prev = op->prev;
  op->prev = op->next = nullptr;
  op->linked_ = false;
  --in_flight;
}

inline void client_state::stop() {
  if (stopped) return;
  stopped = true;
  pools.stop();
  sweep_.cancel();
  res.cancel();
  std::vector<std::shared_ptr<send_op>> ops;
  for (send_op* op = head_; op != nullptr; op = op->next)
    if (auto p = op->weak_from_this().lock()) ops.push_back(std::move(p));
  for (auto& op : ops) op->abort(make_error_code(errc::cancelled));
}

} // namespace detail

inline client::client(const executor_type& ex, client_options options)
    : state_(std::make_shared<detail::client_state>(ex, std::move(options))) {}

inline client::~client() {
  if (state_) state_->stop();
}

inline client::executor_type client::get_executor() const noexcept { return state_->ex; }

template <asio::completion_token_for<void(outcome)> CompletionToken>
auto client::async_send(request req, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(outcome)>(
      [](auto handler, std::shared_ptr<detail::client_state> st, request r) {
        using handler_type = std::decay_t<decltype(handler)>;
        auto op = std::make_shared<detail::send_op_with_handler<handler_type>>(std::move(st), std::move(r),
                                                                                std::move(handler));
        op->install_cancellation();
        op->start();
      },
      token, state_, std::move(req));
}

inline void client::stop() {
  if (state_) state_->stop();
}

inline std::size_t client::open_connections() const noexcept { return state_->pools.open(); }
inline std::size_t client::idle_connections() const noexcept { return state_->pools.idle(); }
inline std::size_t client::in_flight() const noexcept { return state_->in_flight; }
inline const client_options& client::options() const noexcept { return state_->options; }

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_IMPL_CLIENT_HPP
