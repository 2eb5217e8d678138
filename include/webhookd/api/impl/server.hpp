// SPDX-License-Identifier: MIT
// The bodies of api::server: the shared state (listener, connection registry, stop)
// and the connection state machine (read, parse, handle, write, linger).
#ifndef WEBHOOKD_API_IMPL_SERVER_HPP
#define WEBHOOKD_API_IMPL_SERVER_HPP

#include <webhookd/api/server.hpp>
#include <webhookd/api/detail/request_parser.hpp>
#include <webhookd/api/detail/server_response.hpp>

#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace webhookd::api::detail {

class server_connection;

/** What the server and its connections share: the options, the handler, the listener
    (on `strand`), and the registry of open connections (under `mutex`).

    Connections hold the core; the core holds its connections weakly, so neither keeps
    the other alive in a cycle. A connection is owned by its pending operations, or,
    while its handler runs, by the response sink.
*/
class server_core : public std::enable_shared_from_this<server_core> {
public:
  server_core(const asio::any_io_executor& ex, asio::ssl::context* tls, request_handler handler,
              server_options options)
      : executor(ex), strand(asio::make_strand(ex)), tls(tls), handler(std::move(handler)),
        options(std::move(options)), acceptor_(strand), retry_timer_(strand), stop_timer_(strand) {
    if (this->options.max_connections == 0) this->options.max_connections = 1;
    if (this->options.read_buffer_bytes < 1024) this->options.read_buffer_bytes = 1024;
    if (this->options.max_header_bytes == 0) this->options.max_header_bytes = 1;
  }

  std::error_code listen(const asio::ip::tcp::endpoint& at);
  void stop(std::chrono::milliseconds deadline, std::function<void()> done);
  void shutdown() noexcept;

  void add(const std::shared_ptr<server_connection>& c);
  void remove(server_connection* c) noexcept;

  std::size_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  const asio::any_io_executor executor;
  const asio::strand<asio::any_io_executor> strand;
  asio::ssl::context* const tls;
  const request_handler handler;
  server_options options;
  asio::ip::tcp::endpoint local;

private:
  std::vector<std::shared_ptr<server_connection>> snapshot();
  void do_accept();
  void on_accept(const std::error_code& ec, asio::ip::tcp::socket socket);
  void on_connection_gone();
  void finish_stop();

  // On `strand`:
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  asio::steady_timer stop_timer_;
  bool paused_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::vector<std::function<void()>> on_stopped_;

  // Under `mutex_`:
  std::mutex mutex_;
  std::unordered_map<server_connection*, std::weak_ptr<server_connection>> connections_;

  std::atomic<std::size_t> count_{0};
  std::atomic<bool> closed_{false};
};

/** One accepted connection, plain or TLS, and its request/response loop.

    Everything runs on the connection's strand (the socket's executor). One read buffer
    holds bytes not yet parsed; the parser copies what it consumes (headers, body), so
    the buffer is reused from its start once drained. One request is handled at a time,
    so pipelined requests are answered in order; no read is pending while the handler
    runs.

    One timer serves every deadline: `deadline_` moves with the phase, and the timer
    wakes at or before it (it is re-armed only when the deadline moves earlier).
*/
class server_connection : public std::enable_shared_from_this<server_connection> {
public:
  using socket_type = asio::ip::tcp::socket;
  using clock = std::chrono::steady_clock;

  server_connection(std::shared_ptr<server_core> core, socket_type socket)
      : core_(std::move(core)), executor_(socket.get_executor()), timer_(executor_),
        parser_(request_limits{core_->options.max_header_bytes, core_->options.max_body_bytes}),
        buffer_size_(core_->options.read_buffer_bytes) {
    if (core_->tls != nullptr) tls_.emplace(std::move(socket), *core_->tls);
    else plain_.emplace(std::move(socket));
  }

  server_connection(const server_connection&) = delete;
  server_connection& operator=(const server_connection&) = delete;
  ~server_connection() { core_->remove(this); }

  /// The connection's strand (fixed at construction: safe to read from any thread).
  const asio::any_io_executor& get_executor() const noexcept { return executor_; }

  void start();
  void begin_stop();
  void close() noexcept;
  void post_response(std::uint64_t id, response r);

private:
  enum class phase { handshake, idle, head, body, handling, writing, closing };

  socket_type& socket() noexcept { return tls_ ? tls_->next_layer() : *plain_; }

  template <class Handler>
  void read_some(Handler&& h) {
    const auto b = asio::buffer(buffer_.get() + end_, buffer_size_ - end_);
    if (tls_) tls_->async_read_some(b, std::forward<Handler>(h));
    else plain_->async_read_some(b, std::forward<Handler>(h));
  }
  template <class Buffers, class Handler>
  void write(const Buffers& b, Handler&& h) {
    if (tls_) asio::async_write(*tls_, b, std::forward<Handler>(h));
    else asio::async_write(*plain_, b, std::forward<Handler>(h));
  }

  void begin_request();
  void process();
  void read_more();
  void on_read(const std::error_code& ec, std::size_t n);
  void dispatch();
  void on_response(std::uint64_t id, response r);
  void send(response r);
  void on_written(const std::error_code& ec);
  void linger();
  void discard();

  void arm(clock::time_point deadline);
  void wait_timer();
  void on_deadline();

  std::shared_ptr<server_core> core_;
  const asio::any_io_executor executor_;
  std::optional<asio::ssl::stream<socket_type>> tls_;
  std::optional<socket_type> plain_;
  asio::steady_timer timer_;
  request_parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_size_;
  std::size_t begin_ = 0; // unparsed bytes are [begin_, end_)
  std::size_t end_ = 0;
  std::string remote_;
  std::string head_; // the response being written
  std::string body_;
  phase phase_ = phase::idle;
  clock::time_point first_deadline_{};
  clock::time_point deadline_ = clock::time_point::max();
  std::uint64_t timer_generation_ = 0;
  bool timer_armed_ = false;
  std::uint64_t request_id_ = 0;
  std::size_t served_ = 0;
  bool keep_alive_ = false;
  bool head_request_ = false;
  bool timed_out_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

/** The shared state behind a `response_sink`: answers once, and answers 500 when the
    handler drops the sink without calling it.
*/
class server_response_slot {
public:
  server_response_slot(std::shared_ptr<server_connection> c, std::uint64_t id) noexcept
      : connection_(std::move(c)), id_(id) {}
  server_response_slot(const server_response_slot&) = delete;
  server_response_slot& operator=(const server_response_slot&) = delete;

  ~server_response_slot() {
    if (done_.load(std::memory_order_acquire)) return;
    try {
      connection_->post_response(id_, make_error_response(500, "the request was not answered"));
    } catch (...) { // nothing to tell anyone: the connection times out or closes
    }
  }

  void complete(response r) {
    if (done_.exchange(true, std::memory_order_acq_rel)) return;
    connection_->post_response(id_, std::move(r));
  }

private:
  std::shared_ptr<server_connection> connection_;
  std::uint64_t id_;
  std::atomic<bool> done_{false};
};

// ---- server_core ----------------------------------------------------------------

inline std::error_code server_core::listen(const asio::ip::tcp::endpoint& at) {
  if (acceptor_.is_open()) return asio::error::already_open;
  std::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) local = acceptor_.local_endpoint(ec);
  if (ec) {
    std::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  asio::post(strand, [self = shared_from_this()] { self->do_accept(); });
  return {};
}

inline void server_core::do_accept() {
  if (stopping_ || closed() || !acceptor_.is_open()) return;
  if (count() >= options.max_connections) {
    paused_ = true; // resumed by on_connection_gone
    return;
  }
  acceptor_.async_accept(asio::make_strand(executor),
                         [self = shared_from_this()](const std::error_code& ec, asio::ip::tcp::socket s) {
                           self->on_accept(ec, std::move(s));
                         });
}

inline void server_core::on_accept(const std::error_code& ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    if (ec == asio::error::connection_aborted) return do_accept();
    // Out of descriptors or buffers: try again shortly instead of spinning.
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](const std::error_code& e) {
      if (!e) self->do_accept();
    });
    return;
  }
  if (stopping_ || closed()) return; // `socket` closes as it goes
  auto c = std::make_shared<server_connection>(shared_from_this(), std::move(socket));
  add(c);
  asio::post(c->get_executor(), [c] { c->start(); });
  do_accept();
}

inline void server_core::add(const std::shared_ptr<server_connection>& c) {
  const std::lock_guard<std::mutex> lock(mutex_);
  connections_.emplace(c.get(), c);
  count_.store(connections_.size(), std::memory_order_relaxed);
}

inline void server_core::remove(server_connection* c) noexcept {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (connections_.erase(c) == 0) return;
    count_.store(connections_.size(), std::memory_order_relaxed);
  }
  try {
    asio::post(strand, [self = shared_from_this()] { self->on_connection_gone(); });
  } catch (...) { // out of memory: a paused listener resumes at the next close
  }
}

inline std::vector<std::shared_ptr<server_connection>> server_core::snapshot() {
  std::vector<std::shared_ptr<server_connection>> out;
  const std::lock_guard<std::mutex> lock(mutex_);
  out.reserve(connections_.size());
  for (auto& [ptr, weak] : connections_)
    if (auto c = weak.lock()) out.push_back(std::move(c));
  return out;
}

inline void server_core::on_connection_gone() {
  if (stopping_) {
    if (count() == 0) finish_stop();
    return;
  }
  if (paused_ && count() < options.max_connections) {
    paused_ = false;
    do_accept();
  }
}

inline void server_core::stop(std::chrono::milliseconds deadline, std::function<void()> done) {
  asio::post(strand, [self = shared_from_this(), deadline, done = std::move(done)]() mutable {
    if (self->stopped_) {
      if (done) done();
      return;
    }
    if (done) self->on_stopped_.push_back(std::move(done));
    if (self->stopping_) return;
    self->stopping_ = true;
    std::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
    for (auto& c : self->snapshot()) asio::post(c->get_executor(), [c] { c->begin_stop(); });
    if (self->count() == 0) return self->finish_stop();
    self->stop_timer_.expires_after(deadline);
    self->stop_timer_.async_wait([self](const std::error_code& ec) {
      if (ec || self->stopped_) return;
      for (auto& c : self->snapshot()) asio::post(c->get_executor(), [c] { c->close(); });
    });
  });
}

inline void server_core::finish_stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_timer_.cancel();
  auto callbacks = std::move(on_stopped_);
  for (auto& f : callbacks) f();
}

inline void server_core::shutdown() noexcept {
  closed_.store(true, std::memory_order_release);
  try {
    asio::post(strand, [self = shared_from_this()] {
      std::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
      self->stop_timer_.cancel();
    });
    for (auto& c : snapshot()) asio::post(c->get_executor(), [c] { c->close(); });
  } catch (...) { // out of memory while tearing down: the io_context's end closes what is left
  }
}

// ---- server_connection ----------------------------------------------------------

inline void server_connection::start() {
  std::error_code ec;
  const auto peer = socket().remote_endpoint(ec);
  if (!ec) remote_ = peer.address().to_string();
  socket().set_option(asio::ip::tcp::no_delay(true), ec);
  buffer_ = std::make_unique<char[]>(buffer_size_);
  first_deadline_ = clock::now() + core_->options.header_timeout;
  if (core_->closed()) return close();
  if (!tls_) return begin_request();
  phase_ = phase::handshake;
  arm(first_deadline_);
  tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const std::error_code& e) {
    if (self->closed_) return;
    if (e) return self->close();
    self->begin_request();
  });
}

inline void server_connection::begin_request() {
  parser_.reset();
  phase_ = phase::idle;
  timed_out_ = false;
  if (core_->closed() || (stopping_ && begin_ == end_)) return close();
  arm(served_ == 0 ? first_deadline_ : clock::now() + core_->options.idle_timeout);
  process();
}

inline void server_connection::process() {
  if (begin_ < end_) {
    if (phase_ == phase::idle) {
      phase_ = phase::head;
      // A first request's head is due `header_timeout` after the accept; later ones
      // after their first byte.
      if (served_ != 0) arm(clock::now() + core_->options.header_timeout);
    }
    begin_ += parser_.feed(std::string_view(buffer_.get() + begin_, end_ - begin_));
    if (begin_ == end_) begin_ = end_ = 0;
  }
  switch (parser_.current()) {
  case request_parser::state::error:
    keep_alive_ = head_request_ = false;
    return send(make_error_response(parser_.error_status(), parser_.error_reason()));
  case request_parser::state::complete:
    return dispatch();
  case request_parser::state::need_more:
    break;
  }
  if (parser_.headers_complete() && phase_ == phase::head) {
    phase_ = phase::body;
    arm(clock::now() + core_->options.body_timeout);
    if (parser_.expects_continue() && parser_.message().body.empty()) {
      // Within the limits (the parser refused an oversized Content-Length already), and
      // not needed once the client started sending the body anyway (RFC 9110 §10.1.1).
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      write(asio::buffer(go_on.data(), go_on.size()),
            [self = shared_from_this()](const std::error_code& ec, std::size_t) {
              if (self->closed_) return;
              if (ec || self->timed_out_) return self->close();
              self->read_more();
            });
      return;
    }
  }
  read_more();
}

inline void server_connection::read_more() {
  read_some([self = shared_from_this()](const std::error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

inline void server_connection::on_read(const std::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (timed_out_) {
    keep_alive_ = head_request_ = false;
    return send(make_error_response(408, "the request did not arrive in time"));
  }
  // End of stream, reset, or a TLS error: nothing can be answered.
  if (ec) return close();
  end_ += n;
  process();
}

inline void server_connection::dispatch() {
  phase_ = phase::handling;
  arm(clock::time_point::max());
  ++served_;
  const std::size_t max_requests = core_->options.max_requests_per_connection;
  keep_alive_ = parser_.keep_alive() && (max_requests == 0 || served_ < max_requests);
  request& req = parser_.message();
  head_request_ = req.method == "HEAD";
  req.remote_address = remote_;
  if (core_->closed()) return close();
  auto slot = std::make_shared<server_response_slot>(shared_from_this(), ++request_id_);
  try {
    core_->handler(std::move(req), [slot](response r) { slot->complete(std::move(r)); });
  } catch (...) {
    slot->complete(make_error_response(500, "the request handler failed"));
  }
}

inline void server_connection::post_response(std::uint64_t id, response r) {
  asio::post(get_executor(), [self = shared_from_this(), id, r = std::move(r)]() mutable {
    self->on_response(id, std::move(r));
  });
}

inline void server_connection::on_response(std::uint64_t id, response r) {
  if (closed_ || id != request_id_ || phase_ != phase::handling) return;
  if (r.status < 200 || r.status > 599) r = make_error_response(500, "the request handler gave an invalid status");
  send(std::move(r));
}

inline void server_connection::send(response r) {
  keep_alive_ = keep_alive_ && !stopping_ && !core_->closed();
  phase_ = phase::writing;
  arm(clock::now() + core_->options.write_timeout);
  head_.clear();
  const bool with_body = write_response_head(r, head_request_, keep_alive_, head_);
  body_ = std::move(r.body);
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head_), with_body ? asio::buffer(body_) : asio::const_buffer()};
  write(buffers, [self = shared_from_this()](const std::error_code& ec, std::size_t) { self->on_written(ec); });
}

inline void server_connection::on_written(const std::error_code& ec) {
  if (closed_) return;
  body_ = std::string(); // a large body is not kept for the life of the connection
  if (ec) return close();
  if (!keep_alive_) return linger();
  begin_request();
}

inline void server_connection::linger() {
  phase_ = phase::closing;
  arm(clock::now() + core_->options.linger_timeout);
  if (tls_) {
    tls_->async_shutdown([self = shared_from_this()](const std::error_code&) { self->close(); });
    return;
  }
  std::error_code ignored;
  socket().shutdown(socket_type::shutdown_send, ignored);
  begin_ = end_ = 0;
  discard();
}

inline void server_connection::discard() {
  plain_->async_read_some(asio::buffer(buffer_.get(), buffer_size_),
                          [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                            if (self->closed_) return;
                            if (ec) return self->close();
                            self->discard();
                          });
}

inline void server_connection::begin_stop() {
  if (closed_) return;
  stopping_ = true;
  // Idle (or still shaking hands): nothing to finish. Otherwise the request in
  // progress completes and its response says Connection: close.
  if (phase_ == phase::idle || phase_ == phase::handshake) close();
}

inline void server_connection::close() noexcept {
  if (closed_) return;
  closed_ = true;
  timer_armed_ = false;
  timer_.cancel();
  std::error_code ignored;
  socket().close(ignored);
  core_->remove(this);
}

inline void server_connection::arm(clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline == clock::time_point::max()) return; // the timer notices when it wakes
  if (timer_armed_ && timer_.expiry() <= deadline) return;
  timer_.expires_at(deadline); // cancels an earlier wait, which then sees a stale generation
  wait_timer();
}

inline void server_connection::wait_timer() {
  timer_armed_ = true;
  timer_.async_wait([self = shared_from_this(), generation = ++timer_generation_](const std::error_code&) {
    if (self->closed_ || generation != self->timer_generation_) return;
    self->timer_armed_ = false;
    if (self->deadline_ == clock::time_point::max()) return;
    if (clock::now() < self->deadline_) {
      self->timer_.expires_at(self->deadline_);
      return self->wait_timer();
    }
    self->on_deadline();
  });
}

inline void server_connection::on_deadline() {
  switch (phase_) {
  case phase::head:
  case phase::body: {
    // Cancel the pending read; its completion answers 408.
    timed_out_ = true;
    std::error_code ignored;
    socket().cancel(ignored);
    return;
  }
  case phase::handling:
    return;
  case phase::handshake:
  case phase::idle:
  case phase::writing:
  case phase::closing:
    return close();
  }
}

} // namespace webhookd::api::detail

namespace webhookd::api {

inline server::server(const executor_type& ex, request_handler handler, server_options options)
    : core_(std::make_shared<detail::server_core>(ex, nullptr, std::move(handler), std::move(options))) {}

inline server::server(const executor_type& ex, asio::ssl::context& tls, request_handler handler,
                      server_options options)
    : core_(std::make_shared<detail::server_core>(ex, &tls, std::move(handler), std::move(options))) {}

inline server::~server() { core_->shutdown(); }

inline std::error_code server::listen(const asio::ip::tcp::endpoint& at) { return core_->listen(at); }

inline asio::ip::tcp::endpoint server::local_endpoint() const { return core_->local; }

inline void server::stop(std::chrono::milliseconds deadline, std::function<void()> done) {
  core_->stop(deadline, std::move(done));
}

inline std::size_t server::connection_count() const noexcept { return core_->count(); }

inline const server_options& server::options() const noexcept { return core_->options; }

inline server::executor_type server::get_executor() const noexcept { return core_->executor; }

} // namespace webhookd::api

#endif // WEBHOOKD_API_IMPL_SERVER_HPP
