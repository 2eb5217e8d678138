#include "test_server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>

namespace webhookd::test {

reply respond(int status, std::string body, std::string extra_headers) {
  reply r;
  r.bytes = "HTTP/1.1 " + std::to_string(status) + " Test\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
  return r;
}

namespace {

using asio::ip::tcp;

std::size_t content_length(const std::string& head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto p = lower.find("\r\ncontent-length:");
  if (p == std::string::npos) return 0;
  return static_cast<std::size_t>(std::stoul(lower.substr(p + 17)));
}

struct conn_base {
  virtual ~conn_base() = default;
  virtual tcp::socket& socket() = 0;
  bool idle = false;
  void close() {
    asio::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }
};

template <class Stream>
struct conn final : conn_base {
  template <class... Args>
  explicit conn(asio::any_io_executor ex, Args&&... args)
      : stream(std::forward<Args>(args)...), timer(ex) {}
  tcp::socket& socket() override {
    if constexpr (std::is_same_v<Stream, tcp::socket>) return stream;
    else return stream.next_layer();
  }
  Stream stream;
  asio::steady_timer timer;
  std::size_t index = 0;
};

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(asio::io_context& io, responder r, options o)
      : io(io), acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        respond(std::move(r)), opts(o), ssl(asio::ssl::context::tls_server) {
    if (opts.tls) {
      const cert_key& ck = opts.certificate ? *opts.certificate : pki().server;
      ssl.use_certificate_chain(asio::buffer(ck.cert_pem));
      ssl.use_private_key(asio::buffer(ck.key_pem), asio::ssl::context::pem);
    }
  }

  void start() { asio::co_spawn(io, accept_loop(shared_from_this()), asio::detached); }

  static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
    for (;;) {
      asio::error_code ec;
      tcp::socket s = co_await self->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++self->accepted;
      ++self->active;
      self->max_active = std::max(self->max_active, self->active);
      if (self->opts.tls) {
        auto c = std::make_shared<conn<asio::ssl::stream<tcp::socket>>>(self->io.get_executor(), std::move(s), self->ssl);
        c->index = self->accepted;
        self->conns.push_back(c);
        asio::co_spawn(self->io, serve(self, c), asio::detached);
      } else {
        auto c = std::make_shared<conn<tcp::socket>>(self->io.get_executor(), std::move(s));
        c->index = self->accepted;
        self->conns.push_back(c);
        asio::co_spawn(self->io, serve(self, c), asio::detached);
      }
    }
  }

  template <class Stream>
  static asio::awaitable<void> serve(std::shared_ptr<impl> self, std::shared_ptr<conn<Stream>> c) {
    try {
      if constexpr (!std::is_same_v<Stream, tcp::socket>)
        co_await c->stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      std::string buf;
      bool served = false;
      for (;;) {
        c->idle = served;
        if (served && self->opts.idle_close.count() > 0) {
          c->timer.expires_after(self->opts.idle_close);
          c->timer.async_wait([c](const asio::error_code& ec) {
            if (!ec) c->close();
          });
        }
        const std::size_t n =
            co_await asio::async_read_until(c->stream, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
        c->idle = false;
        c->timer.cancel();
        received_request r;
        r.head = buf.substr(0, n);
        buf.erase(0, n);
        const std::size_t len = content_length(r.head);
        if (buf.size() < len)
          co_await asio::async_read(c->stream, asio::dynamic_buffer(buf),
                                    asio::transfer_at_least(len - buf.size()), asio::use_awaitable);
        r.body = buf.substr(0, len);
        buf.erase(0, len);
        r.connection = c->index;
        self->received.push_back(r);
        const reply rep = self->respond(r);
        if (rep.delay.count() > 0) {
          c->timer.expires_after(rep.delay);
          co_await c->timer.async_wait(asio::use_awaitable);
        }
        if (!rep.bytes.empty()) co_await asio::async_write(c->stream, asio::buffer(rep.bytes), asio::use_awaitable);
        if (rep.filler > 0) {
          const std::string chunk(64 * 1024, 'x');
          for (std::size_t left = rep.filler; left > 0;) {
            const std::size_t k = std::min(left, chunk.size());
            co_await asio::async_write(c->stream, asio::buffer(chunk.data(), k), asio::use_awaitable);
            left -= k;
          }
        }
        served = true;
        if (rep.after == reply::then::keep_alive) continue;
        if (rep.after == reply::then::close) {
          c->close();
          break;
        }
        if (rep.after == reply::then::reset) {
          asio::error_code ignored;
          c->socket().set_option(asio::socket_base::linger(true, 0), ignored);
          c->socket().close(ignored);
          break;
        }
        // hang: read until the client gives up
        char byte;
        for (;;) co_await asio::async_read(c->stream, asio::buffer(&byte, 1), asio::use_awaitable);
      }
    } catch (const std::exception&) {
    }
    c->close();
    --self->active;
  }

  void close_idle() {
    for (auto& w : conns)
      if (auto c = w.lock(); c && c->idle) c->close();
  }

  void stop() {
    asio::error_code ignored;
    acceptor.close(ignored);
    for (auto& w : conns)
      if (auto c = w.lock()) c->close();
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  responder respond;
  options opts;
  asio::ssl::context ssl;
  std::vector<std::weak_ptr<conn_base>> conns;
  std::vector<received_request> received;
  std::size_t accepted = 0, active = 0, max_active = 0;
};

server::server(asio::io_context& io, responder r) : server(io, std::move(r), options{}) {}

server::server(asio::io_context& io, responder r, options o)
    : impl_(std::make_shared<impl>(io, std::move(r), o)) {
  impl_->start();
}

server::~server() { impl_->stop(); }

std::uint16_t server::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string server::url(std::string_view path, std::string_view host) const {
  return std::string(impl_->opts.tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port()) + std::string(path);
}

std::size_t server::accepted() const { return impl_->accepted; }
std::size_t server::active() const { return impl_->active; }
std::size_t server::max_active() const { return impl_->max_active; }
const std::vector<received_request>& server::requests() const { return impl_->received; }
void server::close_idle_connections() { impl_->close_idle(); }
void server::stop() { impl_->stop(); }

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds{50});
  }
  return true;
}

void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    if (io.stopped()) io.restart();
    io.run_one_until(end);
  }
}

} // namespace webhookd::test
