// The harness's receiver: webhookd's own embedded HTTP/1.1 server (plain and TLS on
// loopback) with a handler that answers as a scenario asks and measures
// publish→delivered latency. It runs in a child process of the harness, so that the
// client's CPU and memory figures never include it.
//
// What it answers, by path:
//   /ok/...     202 (the senders' normal case; wrk and libcurl post here too)
//   /gone/...   410 (an endpoint that was deleted on the receiver's side)
//   /mix/...    by a hash of the path and the event id (% 100): 0-9 answer 503 the
//               first time, 10-14 hold the first request unanswered (the sender
//               times out), the rest 202; a second request for the same delivery is
//               answered 202
//   /__stats    the counters and the latency distribution as JSON; `?reset=1`
//               clears them afterwards
// Latency: a body that holds `"publishedAtNs":<n>` (CLOCK_MONOTONIC nanoseconds at
// publish, a clock every process of the machine shares) gives one sample per 2xx.
#ifndef WEBHOOKD_BENCH_HARNESS_RECEIVER_HPP
#define WEBHOOKD_BENCH_HARNESS_RECEIVER_HPP

#include "measure.hpp"

#include <webhookd/api/server.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace harness {

/// Where the receiver listens.
struct receiver_ports {
  unsigned short http = 0;
  unsigned short https = 0;
};

namespace detail {

inline std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

/// The value of the first `"key":"..."` string field in `body`, or empty.
inline std::string_view json_string_field(std::string_view body, std::string_view quoted_key) {
  const auto at = body.find(quoted_key);
  if (at == std::string_view::npos) return {};
  const auto open = body.find('"', at + quoted_key.size());
  if (open == std::string_view::npos) return {};
  const auto close = body.find('"', open + 1);
  if (close == std::string_view::npos) return {};
  return body.substr(open + 1, close - open - 1);
}

/// The value of the first `"key":<digits>` field in `body`, or 0.
inline std::uint64_t json_number_field(std::string_view body, std::string_view quoted_key) {
  auto at = body.find(quoted_key);
  if (at == std::string_view::npos) return 0;
  at += quoted_key.size();
  while (at < body.size() && (body[at] == ':' || body[at] == ' ')) ++at;
  std::uint64_t v = 0;
  for (; at < body.size() && body[at] >= '0' && body[at] <= '9'; ++at) v = v * 10 + static_cast<std::uint64_t>(body[at] - '0');
  return v;
}

/// The receiver's state, shared by the handlers of its connections.
class receiver_state {
public:
  explicit receiver_state(asio::io_context& io) : io_(io) {}

  void handle(webhookd::api::request req, webhookd::api::response_sink done) {
    const std::string_view path = req.path();
    if (path == "/__stats") return done(stats(req.query().find("reset=1") != std::string_view::npos));
    if (path.starts_with("/gone/")) {
      count(gone_);
      return done({410, {}, {}});
    }
    if (path.starts_with("/mix/")) {
      // One delivery: this endpoint (the path) and this event.
      const std::string key = std::string(path) + '#' + std::string(json_string_field(req.body, "\"id\":"));
      const unsigned bucket = static_cast<unsigned>(fnv1a(key) % 100);
      if (bucket < 15 && first_time(key)) {
        if (bucket < 10) {
          count(unavailable_);
          return done({503, {}, {}});
        }
        // Never answered in time: the sender times out and closes the connection.
        count(held_);
        auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds{30});
        timer->async_wait([timer, done = std::move(done)](std::error_code) { done({503, {}, {}}); });
        return;
      }
    }
    accept(req.body);
    done({202, {}, {}});
  }

private:
  static void count(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

  bool first_time(const std::string& key) {
    std::lock_guard lock(mutex_);
    return seen_.insert(key).second;
  }

  void accept(std::string_view body) {
    count(accepted_);
    const std::uint64_t published = json_number_field(body, "\"publishedAtNs\"");
    if (published == 0) return;
    const std::uint64_t now = monotonic_ns();
    const std::uint64_t us = now > published ? (now - published) / 1000 : 0;
    std::lock_guard lock(mutex_);
    latencies_us_.push_back(us > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(us));
  }

  webhookd::api::response stats(bool reset) {
    nlohmann::json j;
    j["accepted"] = accepted_.load();
    j["unavailable"] = unavailable_.load();
    j["held"] = held_.load();
    j["gone"] = gone_.load();
    {
      std::lock_guard lock(mutex_);
      j["latency_us"] = latency_summary(latencies_us_);
      if (reset) {
        latencies_us_.clear();
        seen_.clear();
      }
    }
    if (reset) {
      accepted_ = 0;
      unavailable_ = 0;
      held_ = 0;
      gone_ = 0;
    }
    webhookd::api::response r{200, {}, j.dump()};
    r.headers.add("Content-Type", "application/json");
    return r;
  }

  asio::io_context& io_;
  std::atomic<std::uint64_t> accepted_{0}, unavailable_{0}, held_{0}, gone_{0};
  std::mutex mutex_;
  std::vector<std::uint32_t> latencies_us_;
  std::unordered_set<std::string> seen_;
};

} // namespace detail

/** Serves the receiver on loopback until SIGTERM; writes its two ports to `ready_fd`
    once it listens. Runs in the child process (never returns). */
[[noreturn]] inline void serve_receiver(int ready_fd, const std::string& cert, const std::string& key,
                                        int threads) {
  asio::io_context io(threads);
  detail::receiver_state state(io);
  auto handler = [&state](webhookd::api::request req, webhookd::api::response_sink done) {
    state.handle(std::move(req), std::move(done));
  };
  webhookd::api::server_options o;
  o.max_connections = 20'000;
  o.idle_timeout = std::chrono::minutes{10};
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.use_certificate_chain_file(cert);
  tls.use_private_key_file(key, asio::ssl::context::pem);
  webhookd::api::server plain(io.get_executor(), handler, o);
  webhookd::api::server secure(io.get_executor(), tls, handler, o);
  const auto loopback = asio::ip::make_address("127.0.0.1");
  if (plain.listen({loopback, 0}) || secure.listen({loopback, 0})) std::_Exit(3);
  const receiver_ports ports{plain.local_endpoint().port(), secure.local_endpoint().port()};
  if (::write(ready_fd, &ports, sizeof ports) != sizeof ports) std::_Exit(3);
  ::close(ready_fd);
  asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&](std::error_code, int) { io.stop(); });
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  std::_Exit(0);
}

/** The receiver child process, seen from the harness: started by the constructor
    (fork, before the harness starts any thread), stopped by the destructor. */
class receiver_process {
public:
  receiver_process(const std::string& cert, const std::string& key, int threads) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::close(fds[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      serve_receiver(fds[1], cert, key, threads);
    }
    ::close(fds[1]);
    if (::read(fds[0], &ports_, sizeof ports_) != sizeof ports_) {
      ::close(fds[0]);
      throw std::runtime_error("the receiver did not start (certificate files readable?)");
    }
    ::close(fds[0]);
  }
  ~receiver_process() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  receiver_process(const receiver_process&) = delete;
  receiver_process& operator=(const receiver_process&) = delete;

  const receiver_ports& ports() const noexcept { return ports_; }

  /// GET /__stats over plain HTTP (one short-lived connection); `reset` clears them.
  nlohmann::json stats(bool reset) const {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), ports_.http});
    const std::string req = std::string("GET /__stats") + (reset ? "?reset=1" : "") +
                            " HTTP/1.1\r\nHost: receiver\r\nConnection: close\r\n\r\n";
    asio::write(s, asio::buffer(req));
    std::string answer;
    std::error_code ec;
    asio::read(s, asio::dynamic_buffer(answer), ec);
    const auto body = answer.find("\r\n\r\n");
    if (body == std::string::npos) throw std::runtime_error("receiver stats: no answer");
    return nlohmann::json::parse(answer.substr(body + 4));
  }

private:
  pid_t pid_ = -1;
  receiver_ports ports_;
};

} // namespace harness

#endif // WEBHOOKD_BENCH_HARNESS_RECEIVER_HPP
