// Runs the engine on a custom store adapter and prints what the delivery loop asked
// of the store. The receiver is a closed loopback port, so every attempt fails and is
// retried: enough to see claims, records and wake-ups.
#include "instrumented_store.hpp"

#include <webhookd/engine/engine.hpp>
#include <webhookd/store/memory_store.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  namespace wh = webhookd;
  using store_type = example::instrumented_store<wh::store::memory_store>;

  store_type store;
  wh::store::endpoint_record rec;
  rec.endpoint.id = "ep1";
  rec.endpoint.webhook_url = "https://127.0.0.1:9/hook"; // nothing listens there
  rec.endpoint.topics = {"employee.created"};
  rec.endpoint.status = wh::model::endpoint_status::active; // created inactive by default
  rec.endpoint.secret = wh::signing::generate_secret();
  rec.endpoint.created_at = rec.endpoint.last_updated_at = wh::default_clock().now();
  if (!store.create_endpoint(rec)) return 1;

  wh::engine::engine_options options;
  options.retries = *wh::schedule::retry_schedule::parse("100ms,100ms,100ms", 0.0);
  options.http.allowed_networks = {*wh::http::network::parse("127.0.0.0/8")};
  asio::io_context io;
  wh::engine::engine<store_type> engine(io.get_executor(), store, options);
  engine.start();
  for (int i = 0; i < 10; ++i) {
    wh::model::event e;
    e.topic = "employee.created";
    e.occurred_at = wh::default_clock().now();
    e.source = "https://example.com";
    e.data = nlohmann::json{{"n", i}};
    if (!engine.publish(e)) return 1;
  }
  io.run_for(800ms);

  std::printf("%-12s %8s %12s\n", "operation", "calls", "mean µs");
  const char* names[] = {"enqueue", "claim_due", "record", "release", "next_due_at", "other"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    const auto& c = store.stats(static_cast<example::operation>(i));
    const double mean = c.calls ? static_cast<double>(c.nanoseconds) / 1000.0 / static_cast<double>(c.calls) : 0.0;
    std::printf("%-12s %8llu %12.1f\n", names[i], static_cast<unsigned long long>(c.calls.load()), mean);
  }
  std::printf("attempts %llu, failed %llu, record batches %llu\n",
              static_cast<unsigned long long>(engine.metrics().attempts.load()),
              static_cast<unsigned long long>(engine.metrics().failed.load()),
              static_cast<unsigned long long>(engine.metrics().record_batches.load()));
  return 0;
}
