// End-to-end engine benchmark: the whole delivery path of webhookd::engine over a
// store::memory_store (publish, enqueue, claim, sign, POST, classify, record) to one
// endpoint, with up to N attempts in flight (N connections). Each delivery's body is
// the encoded event, padded to the same size as the raw senders' body. Prints the
// same report line as the raw senders: deliveries per second and CPU time per
// delivery, publishing included (everything runs on one thread; with `--publisher
// host`, publish() is called from a second thread, as a host's request threads
// would, and the CPU figure is still the whole process's).
//
// By default it keeps a backlog of published, undelivered events (`--backlog`,
// default two claim batches plus two per connection), topped up every millisecond so
// that the engine never waits for work, and measures the deliveries of `--seconds`
// after `--warmup`. With `--events N` it publishes N events at once and measures
// until all of them are delivered.
#include <webhookd/engine/engine.hpp>
#include <webhookd/encoding/body.hpp>
#include <webhookd/store/memory_store.hpp>

#include "bench_common.hpp"
#include "padded_event.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
namespace engine = webhookd::engine;
namespace model = webhookd::model;
namespace store = webhookd::store;

constexpr const char* topic = "employee.created";


// Where a slow run waits: the mean of the engine's in-flight gauge over the measured
// phase, sampled every millisecond (below the connection count, connections sit
// idle), and the mean attempt latency (send start to outcome) of the phase.
struct engine_sampler {
  double in_flight = 0;
  unsigned long long samples = 0;
  std::uint64_t attempts0 = 0;
  std::chrono::nanoseconds latency0{};

  void start(const engine::metrics& m) {
    attempts0 = m.attempt_latency.count();
    latency0 = m.attempt_latency.sum();
  }
  void sample(const engine::metrics& m) {
    in_flight += static_cast<double>(m.in_flight.load(std::memory_order_relaxed));
    ++samples;
  }
  std::string summary(const engine::metrics& m) const {
    const auto attempts = static_cast<double>(m.attempt_latency.count() - attempts0);
    const std::chrono::duration<double, std::micro> latency = m.attempt_latency.sum() - latency0;
    char buf[96];
    std::snprintf(buf, sizeof buf, " mean_in_flight=%.1f mean_attempt_us=%.0f",
                  samples > 0 ? in_flight / static_cast<double>(samples) : 0.0,
                  attempts > 0 ? latency.count() / attempts : 0.0);
    return buf;
  }
};

} // namespace

int main(int argc, char** argv) {
  const bench::args a = bench::parse_args(argc, argv);

  asio::io_context io(1);
  store::memory_store deliveries;
  bench::add_bench_endpoint(deliveries, a.url, topic, bench::secret);

  engine::engine_options o =
      bench::bench_engine_options(static_cast<std::size_t>(a.connections), a.ca_file);
  unsigned long long reported = 0;
  o.on_event = [&reported](const engine::operational_event& ev) {
    if (++reported <= 5)
      std::fprintf(stderr, "%s: %s\n", std::string(engine::to_string(ev.kind)).c_str(), ev.reason.c_str());
  };
  engine::engine<store::memory_store> e(io.get_executor(), deliveries, o);
  const engine::metrics& m = e.metrics();

  const model::event event = bench::padded_event(topic, nlohmann::json::object(), a.body_size);
  std::atomic<unsigned long long> refused{0};
  const auto publish = [&](unsigned long long count) {
    for (unsigned long long i = 0; i < count; ++i)
      if (!e.publish(event) && ++refused <= 5) std::fprintf(stderr, "publish refused\n");
  };
  const auto errors = [&] { return m.retried.load() + m.failed.load() + refused; };
  const auto elapsed = [](std::chrono::duration<double> d) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  };

  bench::meter meter;
  engine_sampler sampler;
  bool measuring = true;
  bool sampling = false;
  asio::steady_timer timer(io);
  std::function<void(std::error_code)> feed;
  e.start();
  if (a.events > 0) {
    // All at once, measured from the first publish to the last delivery.
    meter.start(0);
    publish(a.events);
    asio::steady_timer poll(io);
    std::function<void(std::error_code)> check = [&](std::error_code) {
      sampler.sample(m);
      if (m.delivered.load() + errors() >= a.events) {
        meter.report("engine", m.delivered.load(), errors(), sampler.summary(m));
        measuring = false;
        return;
      }
      poll.expires_after(1ms);
      poll.async_wait(check);
    };
    check({});
    while (measuring) io.run_one();
  } else {
    // Top the backlog up every millisecond: it stays between `high` / 2 and `high`
    // events, in flight included.
    const std::uint64_t high =
        a.backlog > 0 ? a.backlog : 2 * o.claim_batch + 2 * static_cast<std::uint64_t>(a.connections);
    const std::uint64_t low = high / 2;
    const auto top_up = [&] {
      const std::uint64_t done = m.delivered.load() + m.failed.load();
      const std::uint64_t backlog = m.published.load() - done;
      if (backlog < low) publish(high - backlog);
    };
    const bool host_publishes = a.publisher == "host";
    std::atomic<bool> publishing{host_publishes};
    std::thread host;
    if (host_publishes) {
      host = std::thread([&] {
        while (publishing.load(std::memory_order_relaxed)) {
          top_up();
          std::this_thread::sleep_for(200us);
        }
      });
    }
    asio::steady_timer tick(io);
    feed = [&](std::error_code) {
      if (!measuring) {
        publishing = false;
        return;
      }
      if (sampling) sampler.sample(m);
      if (!host_publishes) top_up();
      tick.expires_after(1ms);
      tick.async_wait(feed);
    };
    feed({});
    timer.expires_after(elapsed(std::chrono::duration<double>(a.warmup)));
    timer.async_wait([&](std::error_code) {
      meter.start(m.delivered.load());
      sampler.start(m);
      sampling = true;
      timer.expires_after(elapsed(std::chrono::duration<double>(a.seconds)));
      timer.async_wait([&](std::error_code) {
        meter.report("engine", m.delivered.load(), errors(), sampler.summary(m));
        measuring = false;
      });
    });
    while (measuring) io.run_one();
    publishing = false;
    if (host.joinable()) host.join();
  }

  bool stopped = false;
  e.stop(1s, [&] { stopped = true; });
  while (!stopped) io.run_one();
  return errors() > 0 ? 1 : 0;
}
