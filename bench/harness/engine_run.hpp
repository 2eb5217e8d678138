// Runs one scenario through the real engine, on one I/O thread, over the store the
// scenario names, and returns its figures as JSON.
#ifndef WEBHOOKD_BENCH_HARNESS_ENGINE_RUN_HPP
#define WEBHOOKD_BENCH_HARNESS_ENGINE_RUN_HPP

#include "measure.hpp"
#include "receiver.hpp"
#include "scenario.hpp"

#include "../sender/bench_common.hpp"
#include "../sender/padded_event.hpp"

#include <webhookd/encoding/counters.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/http/address_guard.hpp>

#include <asio/io_context.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <stdexcept>
#include <string>

namespace harness {

/// What every scenario run needs to know about its surroundings.
struct run_context {
  std::string http_base;    ///< e.g. http://127.0.0.1:1234 (no trailing slash)
  std::string https_base;
  std::string ca_file;      ///< trusted by every sender
  std::string work_dir;     ///< scratch space (the SQLite file)
  std::string postgres_conninfo;
  std::size_t backlog = 0;  ///< deliveries kept published ahead; 0: the store's default
  int publisher_threads = 16; ///< threads publishing to a blocking store
  bool progress = true;     ///< stderr is a terminal (progress rewritten in place)
};

/** The event every scenario publishes: `data` is `{"publishedAtNs":<n>,"note":"x…"}`
    (the receiver's latency clock), padded so that the default body is about
    `body_size` bytes. */
inline webhookd::model::event make_harness_event(std::size_t body_size) {
  return bench::padded_event("bench.event", nlohmann::json{{"publishedAtNs", monotonic_ns()}}, body_size);
}

/// A local port nobody listens on (bound, then closed): attempts there fail at once.
inline unsigned short closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

template <class Store>
nlohmann::json run_engine_scenario(Store& store, const scenario& s, const run_context& ctx) {
  namespace engine = webhookd::engine;
  namespace model = webhookd::model;
  using namespace std::chrono_literals;
  constexpr bool blocking = webhookd::store::is_blocking_store_v<Store>;

  // --- endpoints -----------------------------------------------------------------
  const std::string base = s.pending ? "http://127.0.0.1:" + std::to_string(closed_port())
                                     : (s.proto == "https" ? ctx.https_base : ctx.http_base);
  const auto now = webhookd::default_clock().now();
  for (int i = 0; i < s.endpoints; ++i) {
    webhookd::store::endpoint_record rec;
    model::webhook_endpoint& ep = rec.endpoint;
    ep.id = "ep_" + std::to_string(i);
    ep.url = std::string(bench::base_url) + "/webhook-endpoints/" + ep.id;
    const bool gone = i < s.gone_endpoints;
    ep.webhook_url = base + "/" + (gone ? std::string("gone") : s.path) + "/" + std::to_string(i);
    ep.topics = {s.shared_topic ? "bench.event" : "bench.t" + std::to_string(i)};
    ep.status = model::endpoint_status::active;
    ep.secret = bench::secret;
    ep.created_at = ep.last_updated_at = now;
    if (!store.create_endpoint(rec)) throw std::runtime_error("create_endpoint " + ep.id);
  }

  // --- engine --------------------------------------------------------------------
  asio::io_context io(1);
  engine::engine_options o;
  o.base_url = bench::base_url;
  o.serial_executor = true; // `io` runs on this thread alone
  o.max_in_flight_per_endpoint = s.endpoints == 1 ? static_cast<std::size_t>(s.connections) : 3;
  o.http.max_connections_per_origin = static_cast<std::size_t>(s.connections);
  o.http.allowed_networks = {*webhookd::http::network::parse("127.0.0.0/8")};
  o.http.allow_http = true;
  o.http.use_system_trust_store = ctx.ca_file.empty();
  o.http.ca_file = ctx.ca_file;
  o.attempt_timeout = 10s;
  if (s.path == "mix") {
    // Short delays and timeout, so that the mix settles within the run.
    o.attempt_timeout = 1s;
    o.retries = webhookd::schedule::retry_schedule({200ms, 500ms, 1s, 2s, 5s}, 0.1);
  }
  if (s.pending) {
    o.retries = webhookd::schedule::retry_schedule({std::chrono::hours{1}}, 0.0);
    // Attempts fail at once (connection refused): let a whole claim through at a time.
    o.max_in_flight_per_endpoint = o.claim_batch;
  }
  // A blocking store's calls run on the engine's pool: without this guard the
  // io_context could find itself without work while one is out, and stop.
  auto keep_running = asio::make_work_guard(io);
  engine::engine<Store> e(io.get_executor(), store, o);
  const engine::metrics& m = e.metrics();

  // --- publishing: keep `high` deliveries ahead of the settled ones ---------------
  const std::uint64_t fanout = s.shared_topic ? static_cast<std::uint64_t>(s.endpoints) : 1;
  const std::uint64_t deliveries = s.events * fanout;
  const std::uint64_t high_default = s.pending ? deliveries : blocking ? 2048 : 2 * o.claim_batch + 2 * s.connections;
  const std::uint64_t high = std::max<std::uint64_t>(ctx.backlog ? ctx.backlog : high_default, fanout);
  // Deliveries that cannot settle: those of the endpoints that answer 410 (the first
  // one fails, the endpoint is suspended, the rest are held).
  const std::uint64_t unsettleable = s.shared_topic ? s.events * s.gone_endpoints : 0;
  const auto settled = [&]() -> std::uint64_t {
    if (s.pending) return m.retried.load();
    return m.delivered.load() + m.failed.load();
  };
  const std::uint64_t target = s.pending ? deliveries : deliveries - unsettleable;
  const auto done = [&] {
    if (s.gone_endpoints > 0)
      return m.delivered.load() >= target && m.suspended.load() >= static_cast<std::uint64_t>(s.gone_endpoints);
    return settled() >= target;
  };
  // Deliveries of one event that can settle, for the backlog count.
  const std::uint64_t settling_fanout =
      fanout - (s.shared_topic ? std::min<std::uint64_t>(fanout - 1, s.gone_endpoints) : 0);

  // Publishing. A memory store is published to from the loop's own thread, between
  // its handlers (one thread does everything, like the single-threaded peers). A
  // blocking store is published to as a host server would: from request threads of
  // its own (`publisher_threads`), each waiting for its event to be durable, so that
  // their transactions can share commits.
  const model::event templ = make_harness_event(s.body_size);
  std::atomic<std::uint64_t> requested{0};  // events handed to publish
  std::atomic<std::uint64_t> refused{0};
  std::mutex refusal_mutex;
  std::string refusal;  // why the first refused publish was refused
  const auto publish_one = [&](std::uint64_t index) {
    model::event ev = templ;
    ev.data["publishedAtNs"] = monotonic_ns();
    if (!s.shared_topic) ev.topic = "bench.t" + std::to_string(index % static_cast<std::uint64_t>(s.endpoints));
    if (auto r = e.publish(std::move(ev)); !r && refused.fetch_add(1) == 0) {
      std::lock_guard lock(refusal_mutex);
      refusal = r.error().code.message();
      std::fprintf(stderr, "%s: publish refused: %s\n", s.name.c_str(), refusal.c_str());
    }
  };
  // Takes the next event's index if the backlog has room for it.
  const auto next_to_publish = [&]() -> std::optional<std::uint64_t> {
    std::uint64_t n = requested.load();
    while (n < s.events) {
      const std::uint64_t ahead = n * settling_fanout - std::min(n * settling_fanout, settled());
      if (ahead + fanout > high && ahead > 0) return std::nullopt;
      if (requested.compare_exchange_weak(n, n + 1)) return n;
    }
    return std::nullopt;
  };
  std::atomic<bool> publishing{true};
  std::vector<std::thread> publishers;

  const std::uint64_t rss_before = resident_bytes();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t encoded0 = webhookd::encoding::bodies_encoded.load();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  progress_line progress(s.name, ctx.progress);
  bool finished = false;
  double seconds = 0, cpu = 0;
  std::uint64_t rss_pending = 0;
  std::uint64_t last_moved = 0;
  double last_progress_at = 0;
  bool stalled = false;
  constexpr double stall_seconds = 60;

  asio::steady_timer tick(io);
  const auto finish = [&](bool stall) {
    seconds = elapsed();
    cpu = process_cpu_seconds() - cpu0;
    rss_pending = resident_bytes();
    stalled = stall;
    finished = true;
  };
  std::function<void(std::error_code)> feed = [&](std::error_code) {
    if (done() || refused > 0) return finish(false);
    if constexpr (!blocking)
      while (const auto index = next_to_publish()) publish_one(*index);
    // A run that stops progressing (a receiver gone, a store failing) ends as such.
    // (Publishing counts: a large fan-out can take a while to enqueue.)
    if (const std::uint64_t moved = settled() + requested.load(); moved != last_moved) {
      last_moved = moved;
      last_progress_at = elapsed();
    } else if (elapsed() - last_progress_at > stall_seconds) {
      return finish(true);
    }
    progress.update(settled(), target, elapsed(), [&] {
      return "published " + std::to_string(m.published.load()) + ", in flight " +
             std::to_string(m.in_flight.load()) + ", retried " + std::to_string(m.retried.load());
    });
    tick.expires_after(1ms);
    tick.async_wait(feed);
  };
  e.start();
  if constexpr (blocking)
    for (int i = 0; i < ctx.publisher_threads; ++i)
      publishers.emplace_back([&] {
        while (publishing.load()) {
          if (const auto index = next_to_publish()) publish_one(*index);
          else std::this_thread::sleep_for(2ms); // backlog full: the loop drains it
        }
      });
  feed({});
  while (!finished) io.run_one();
  publishing = false;
  for (auto& t : publishers) t.join();
  progress.finish();

  // Published events whose bodies were encoded: the fan-out proof (one per event).
  const std::uint64_t encoded = webhookd::encoding::bodies_encoded.load() - encoded0;
  nlohmann::json r;
  r["name"] = s.name;
  r["store"] = s.store;
  r["proto"] = s.proto;
  r["connections"] = s.connections;
  r["endpoints"] = s.endpoints;
  r["events"] = m.published.load();
  r["publisher_threads"] = blocking ? ctx.publisher_threads : 0;
  r["deliveries"] = m.deliveries_created.load();
  r["delivered"] = m.delivered.load();
  r["failed"] = m.failed.load();
  r["retried"] = m.retried.load();
  r["suspended"] = m.suspended.load();
  r["attempts"] = m.attempts.load();
  r["refused"] = refused.load();
  r["complete"] = !stalled && refused == 0;
  if (refused > 0) r["refusal"] = refusal;
  r["seconds"] = seconds;
  const double counted = static_cast<double>(s.pending ? m.retried.load() : m.delivered.load());
  r["deliveries_per_s"] = seconds > 0 ? counted / seconds : 0.0;
  r["cpu_s_per_1000"] = counted > 0 ? cpu / counted * 1000.0 : 0.0;
  r["cpu_us_per_delivery"] = counted > 0 ? cpu / counted * 1e6 : 0.0;
  r["bodies_encoded"] = encoded;
  r["bodies_per_event"] = m.published.load() ? static_cast<double>(encoded) / static_cast<double>(m.published.load()) : 0.0;
  r["wheel_pending"] = m.wheel_pending.load();
  if (s.pending && counted > 0) {
    // Everything the process holds for them: store rows (event, delivery, attempt),
    // the engine's wheel entries; minus the bodies, one per event.
    const double per = counted > 0 ? (static_cast<double>(rss_pending) - static_cast<double>(rss_before)) / counted : 0.0;
    const double body = static_cast<double>(s.body_size) / static_cast<double>(fanout);
    r["bytes_per_pending"] = per - body;
  }

  bool stopped = false;
  e.stop(2s, [&] { stopped = true; });
  while (!stopped) io.run_one();
  keep_running.reset();
  r["peak_rss_bytes"] = peak_resident_bytes();
  return r;
}

} // namespace harness

#endif // WEBHOOKD_BENCH_HARNESS_ENGINE_RUN_HPP
