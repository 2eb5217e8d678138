// SPDX-License-Identifier: MIT
// postgres_store throughput against a naive adapter that commits one delivery at a time:
// durable publishes (one event, three endpoints) and claim + record of due deliveries.
//
// It needs a running server, named by WEBHOOKD_PG_CONNINFO; without it, it says so and
// exits. A throwaway cluster (as an unprivileged user when run as root):
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON
//   cmake --build build-bench --target webhookd_postgres_store_bench
//   tests/store_postgres/pg_cluster.sh start /tmp/webhookd-pg
//   export WEBHOOKD_PG_CONNINFO="$(cat /tmp/webhookd-pg/conninfo)"
//   build-bench/bench/webhookd_postgres_store_bench
//   tests/store_postgres/pg_cluster.sh stop /tmp/webhookd-pg
//
// pg_cluster.sh runs the server with fsync and synchronous_commit off (test mode): the
// figures then measure round trips, statements and locking, not the disk. For durable
// figures — what "durable publish" means — start it with PostgreSQL's defaults:
//
//   WEBHOOKD_PG_DURABLE=1 tests/store_postgres/pg_cluster.sh start /tmp/webhookd-pg
//
// Each benchmark works in a schema of its own, dropped at the end.
#include <webhookd/core/id.hpp>
#include <webhookd/store/postgres_store.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace store = webhookd::store;
namespace model = webhookd::model;
namespace pg = webhookd::store::postgres;
using webhookd::timestamp;

const timestamp t0{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};
constexpr int endpoints_per_event = 3;
constexpr std::size_t claim_batch = 64;

std::string base_conninfo() {
  const char* c = std::getenv("WEBHOOKD_PG_CONNINFO");
  return c ? c : "";
}

void admin(const std::string& sql) {
  pg::connection c(base_conninfo());
  if (!c.exec_simple(sql)) throw std::runtime_error(sql + ": " + c.last_error());
}

// A schema of its own for one benchmark; dropped with everything in it at the end.
class bench_schema {
public:
  bench_schema() {
    static std::atomic<int> counter{0};
    name_ = "webhookd_bench_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    admin("CREATE SCHEMA " + name_);
  }
  ~bench_schema() {
    try {
      admin("DROP SCHEMA " + name_ + " CASCADE");
    } catch (const std::exception&) {
    }
  }
  bench_schema(const bench_schema&) = delete;
  bench_schema& operator=(const bench_schema&) = delete;
  std::string conninfo() const { return base_conninfo() + " options='-c search_path=" + name_ + "'"; }

private:
  std::string name_;
};

std::unique_ptr<store::postgres_store> open_store(const std::string& conninfo) {
  auto s = store::postgres_store::open({conninfo, 8});
  if (!s) throw std::runtime_error("postgres_store::open: " + s.error().message());
  return std::move(*s);
}

std::vector<std::string> add_endpoints(store::postgres_store& s, webhookd::id_generator& ids) {
  std::vector<std::string> out;
  for (int i = 0; i < endpoints_per_event; ++i) {
    store::endpoint_record r;
    r.endpoint.id = ids.next(t0);
    r.endpoint.webhook_url = "https://receiver.example.com/hook";
    r.endpoint.topics = {"*"};
    r.endpoint.status = model::endpoint_status::active;
    r.endpoint.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    if (!s.create_endpoint(r)) throw std::runtime_error("create_endpoint");
    out.push_back(r.endpoint.id);
  }
  return out;
}

store::enqueue_request make_request(webhookd::id_generator& ids,
                                    const std::vector<std::string>& endpoints) {
  store::enqueue_request request;
  request.event.emplace();
  request.event->id = ids.next(t0);
  request.event->topic = "employee.updated";
  request.event->occurred_at = t0;
  request.event->source = "https://example.ilucca.net";
  request.event->data = nlohmann::json{{"id", 416}, {"firstName", "Ada"}, {"lastName", "Lovelace"}};
  for (const auto& ep : endpoints) {
    model::webhook_delivery d;
    d.id = ids.next(t0);
    d.next_attempt_at = t0;
    d.event = model::reference{request.event->id, "event", ""};
    d.webhook_endpoint = model::reference{ep, "webhook-endpoint", ""};
    request.deliveries.push_back(std::move(d));
  }
  return request;
}

// --- the naive adapter ----------------------------------------------------------------
//
// The same tables and indexes as postgres_store (it creates them), written the
// straightforward way: every statement in autocommit, one transaction per delivery
// for the enqueue, one claim transaction per delivery, and one record transaction per
// outcome. What it lacks is exactly what postgres_store adds: batches.
class naive_store {
public:
  explicit naive_store(const std::string& conninfo) : c_(conninfo) {
    if (!c_.ok()) throw std::runtime_error("naive_store: " + c_.last_error());
  }

  void enqueue(const store::enqueue_request& request, timestamp now) {
    const auto& e = *request.event;
    pg::params p;
    exec("INSERT INTO webhookd_events (id, topic, created_at, doc) VALUES (" + p.add(e.id) + ", " +
             p.add(e.topic) + ", " + p.add(pg::codec::millis(now)) + ", " +
             p.add(pg::codec::event_doc(e)) + ")",
         p);
    for (const auto& d : request.deliveries) {
      pg::params q;
      exec("INSERT INTO webhookd_deliveries (id, url, event_id, event_type, event_url, "
           "endpoint_id, endpoint_type, endpoint_url, status, next_attempt_at, attempts_count, "
           "ignore_endpoint_status, created_at) VALUES (" + q.add(d.id) + ", '', " +
               q.add(d.event.id) + ", 'event', '', " + q.add(d.webhook_endpoint.id) +
               ", 'webhook-endpoint', '', 'undelivered', " +
               q.add(pg::codec::millis(*d.next_attempt_at)) + ", 0, false, " +
               q.add(pg::codec::millis(now)) + ")",
           q);
    }
  }

  // Claims one due delivery; "" when none is due.
  std::string claim_one(timestamp now, const std::string& owner) {
    pg::params p;
    const auto at = p.add(pg::codec::millis(now));
    auto r = exec("UPDATE webhookd_deliveries SET lease_owner = " + p.add(owner) +
                      ", lease_until = " + p.add(pg::codec::millis(now + std::chrono::seconds{30})) +
                      " WHERE id = (SELECT id FROM webhookd_deliveries WHERE status = "
                      "'undelivered' AND next_attempt_at <= " + at +
                      " AND (lease_until IS NULL OR lease_until <= " + at +
                      ") ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                      "RETURNING id, endpoint_id",
                  p);
    if (r.empty()) return {};
    last_endpoint_ = r.str(0, 1);
    return r.str(0, 0);
  }

  // Records a successful attempt for `delivery_id`, in its own transaction.
  void record_one(const std::string& delivery_id, const std::string& attempt_id, timestamp now) {
    exec("BEGIN");
    pg::params p;
    exec("INSERT INTO webhookd_attempts (id, url, signature, delivery_id, delivery_type, "
         "delivery_url, is_successful, response_status_code, error_response_body, created_at) "
         "VALUES (" + p.add(attempt_id) + ", '', 'sig', " + p.add(delivery_id) +
             ", 'webhook-delivery', '', true, 200, '', " + p.add(pg::codec::millis(now)) + ")",
         p);
    pg::params q;
    exec("UPDATE webhookd_deliveries SET status = 'delivered', next_attempt_at = NULL, "
         "attempts_count = attempts_count + 1, lease_owner = NULL, lease_until = NULL "
         "WHERE id = " + q.add(delivery_id),
         q);
    pg::params r;
    exec("UPDATE webhookd_endpoints SET consecutive_failed_deliveries = 0, last_success_at = " +
             r.add(pg::codec::millis(now)) + ", failing_since = NULL WHERE id = " +
             r.add(last_endpoint_),
         r);
    exec("COMMIT");
  }

private:
  pg::rows exec(const std::string& sql, const pg::params& p = {}) {
    auto r = c_.exec(sql, p);
    if (!r) throw std::runtime_error("naive_store: " + c_.last_error());
    return std::move(*r);
  }

  pg::connection c_;
  std::string last_endpoint_;
};

// --- publish --------------------------------------------------------------------------

void BM_publish_postgres_store(benchmark::State& state) {
  static std::unique_ptr<bench_schema> schema;
  static std::unique_ptr<store::postgres_store> s;
  static std::vector<std::string> endpoints;
  static webhookd::id_generator ids{1};
  if (state.thread_index() == 0) {
    schema = std::make_unique<bench_schema>();
    s = open_store(schema->conninfo());
    endpoints = add_endpoints(*s, ids);
  }
  // Threads start the loop together, after thread 0 has made the store.
  for (auto _ : state) {
    auto request = make_request(ids, endpoints);
    auto r = s->enqueue(request, t0);
    if (!r) state.SkipWithError(r.error().message().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["deliveries/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * endpoints_per_event), benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    s.reset();
    schema.reset();
  }
}
BENCHMARK(BM_publish_postgres_store)->Threads(1)->Threads(4)->UseRealTime();

void BM_publish_naive(benchmark::State& state) {
  bench_schema schema;
  auto setup = open_store(schema.conninfo()); // creates the tables
  webhookd::id_generator ids{2};
  const auto endpoints = add_endpoints(*setup, ids);
  naive_store naive(schema.conninfo());
  for (auto _ : state) naive.enqueue(make_request(ids, endpoints), t0);
  state.SetItemsProcessed(state.iterations());
  state.counters["deliveries/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * endpoints_per_event), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_publish_naive)->UseRealTime();

// --- claim + record -------------------------------------------------------------------

// Fills the queue with `events` due events (3 deliveries each), outside the timing.
void fill(store::postgres_store& s, webhookd::id_generator& ids,
          const std::vector<std::string>& endpoints, int events) {
  for (int i = 0; i < events; ++i)
    if (!s.enqueue(make_request(ids, endpoints), t0)) throw std::runtime_error("enqueue");
}

void BM_claim_record_postgres_store(benchmark::State& state) {
  bench_schema schema;
  auto s = open_store(schema.conninfo());
  webhookd::id_generator ids{3};
  const auto endpoints = add_endpoints(*s, ids);
  std::int64_t deliveries = 0;
  store::claim_request request;
  request.now = t0;
  request.max = claim_batch;
  request.owner = "bench";
  for (auto _ : state) {
    auto claimed = s->claim_due(request);
    if (!claimed) {
      state.SkipWithError(claimed.error().message().c_str());
      break;
    }
    if (claimed->empty()) {
      state.PauseTiming();
      fill(*s, ids, endpoints, 1000);
      state.ResumeTiming();
      continue;
    }
    std::vector<store::attempt_outcome> outcomes;
    outcomes.reserve(claimed->size());
    for (const auto& c : *claimed) {
      store::attempt_outcome o;
      o.attempt.id = ids.next(t0);
      o.attempt.signature = "sig";
      o.attempt.webhook_delivery = model::reference{c.delivery.id, "webhook-delivery", ""};
      o.attempt.is_successful = true;
      o.attempt.response_status_code = 200;
      o.attempt.created_at = t0;
      o.lease = c.lease;
      o.status = model::delivery_status::delivered;
      outcomes.push_back(std::move(o));
    }
    auto recorded = s->record(outcomes, t0);
    if (!recorded) state.SkipWithError(recorded.error().message().c_str());
    deliveries += static_cast<std::int64_t>(claimed->size());
  }
  state.SetItemsProcessed(deliveries);
  state.counters["batch"] = static_cast<double>(claim_batch);
}
BENCHMARK(BM_claim_record_postgres_store)->UseRealTime();

void BM_claim_record_naive(benchmark::State& state) {
  bench_schema schema;
  auto s = open_store(schema.conninfo());
  webhookd::id_generator ids{4};
  const auto endpoints = add_endpoints(*s, ids);
  naive_store naive(schema.conninfo());
  std::int64_t deliveries = 0;
  for (auto _ : state) {
    const auto id = naive.claim_one(t0, "bench");
    if (id.empty()) {
      state.PauseTiming();
      fill(*s, ids, endpoints, 300);
      state.ResumeTiming();
      continue;
    }
    naive.record_one(id, ids.next(t0), t0);
    ++deliveries;
  }
  state.SetItemsProcessed(deliveries);
}
BENCHMARK(BM_claim_record_naive)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (base_conninfo().empty()) {
    std::fprintf(stderr,
                 "postgres_store_bench: WEBHOOKD_PG_CONNINFO is not set; skipping. Start a "
                 "server with tests/store_postgres/pg_cluster.sh start DIR and set it to the "
                 "contents of DIR/conninfo (see the top of bench/postgres_store_bench.cpp).\n");
    return 0;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
