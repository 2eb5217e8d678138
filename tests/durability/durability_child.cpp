// The process the durability tests kill: an engine on a SQLite file (`--db`) or a
// PostgreSQL database (`--postgres`) that publishes events 0..N-1 (idempotency key
// "seq-<i>", so a restarted run does not publish twice what an earlier run stored) to
// the endpoint "ep1", prints "P <i>" once publish(i) returned (the event is durable),
// delivers whatever is due in the store, and prints "DONE" when nothing is pending.
// With `--events 0` it only delivers (several such processes share one PostgreSQL
// queue).
//
// usage: webhookd_durability_child (--db PATH | --postgres CONNINFO) --url URL
//            --ca-file PEM --events N --owner NAME
#include <webhookd/engine/engine.hpp>
#include <webhookd/store/sqlite_store.hpp>
#ifdef WEBHOOKD_CHILD_WITH_POSTGRES
#include <webhookd/store/postgres_store.hpp>
#endif

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
namespace engine = webhookd::engine;
namespace model = webhookd::model;
namespace store = webhookd::store;

int fail(const std::string& what) {
  std::fprintf(stderr, "durability_child: %s\n", what.c_str());
  return 2;
}

template <class Store>
int run(Store& db, std::map<std::string, std::string>& args) {
  const long events = std::strtol(args["--events"].c_str(), nullptr, 10);
  const auto now = webhookd::default_clock().now();
  if (events > 0 && !db.get_endpoint("ep1")) {
    store::endpoint_record rec;
    rec.endpoint.id = "ep1";
    rec.endpoint.url = "https://example.ilucca.net/lucca-api/webhook-endpoints/ep1";
    rec.endpoint.webhook_url = args["--url"];
    rec.endpoint.topics = {"employee.created"};
    rec.endpoint.status = model::endpoint_status::active;
    rec.endpoint.secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
    rec.endpoint.created_at = rec.endpoint.last_updated_at = now;
    if (!db.create_endpoint(rec)) return fail("cannot create the endpoint");
  }

  engine::engine_options o;
  o.owner = args["--owner"];
  o.lease_duration = 1s; // a killed run's claims come back quickly
  o.attempt_timeout = 2s;
  o.retries = *webhookd::schedule::retry_schedule::parse("100ms,100ms,100ms,100ms,100ms,100ms", 0.0);
  o.suspension.consecutive_failed_deliveries = 0;
  o.max_idle = 100ms;
  o.http.allowed_networks = {*webhookd::http::network::parse("127.0.0.0/8")};
  o.http.use_system_trust_store = false;
  o.http.ca_file = args["--ca-file"];

  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  engine::engine<Store> e(io.get_executor(), db, o);
  e.start();
  std::thread runner([&] { io.run(); });

  for (long i = 0; i < events; ++i) {
    model::event ev;
    ev.topic = "employee.created";
    ev.occurred_at = webhookd::default_clock().now();
    ev.source = "https://example.ilucca.net";
    ev.data = nlohmann::json{{"seq", i}};
    engine::publish_options key;
    key.idempotency_key = "seq-" + std::to_string(i);
    for (;;) {
      if (e.publish(ev, key)) break;
      std::this_thread::sleep_for(10ms); // a busy database: try again
    }
    std::printf("P %ld\n", i);
    std::fflush(stdout);
  }

  for (;;) {
    auto stats = db.stats(webhookd::default_clock().now());
    if (stats && stats->scheduled == 0 && stats->in_flight == 0 && stats->held == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  bool stopped = false;
  e.stop(1s, [&] { stopped = true; });
  while (!stopped) std::this_thread::sleep_for(10ms);
  guard.reset();
  io.stop();
  runner.join();
  std::printf("DONE delivered=%llu\n", static_cast<unsigned long long>(e.metrics().delivered.load()));
  std::fflush(stdout);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  for (const char* required : {"--url", "--ca-file", "--events", "--owner"})
    if (!args.contains(required)) return fail(std::string("missing ") + required);
  if (args.contains("--postgres")) {
#ifdef WEBHOOKD_CHILD_WITH_POSTGRES
    store::postgres_options po;
    po.conninfo = args["--postgres"];
    auto opened = store::postgres_store::open(po);
    if (!opened) return fail("cannot open the database: " + opened.error().message());
    return run(**opened, args);
#else
    return fail("built without PostgreSQL");
#endif
  }
  if (!args.contains("--db")) return fail("missing --db or --postgres");
  auto opened = store::sqlite_store::open(args["--db"]);
  if (!opened) return fail("cannot open the database: " + opened.error().message());
  return run(**opened, args);
}
