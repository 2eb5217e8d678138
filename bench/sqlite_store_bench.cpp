// SPDX-License-Identifier: MIT
// sqlite_store durable throughput, with group commit, against a naive SQLite store
// that makes every delivery durable in a transaction (and an fsync) of its own.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON
//   cmake --build build-bench --target webhookd_sqlite_store_bench
//   build-bench/bench/webhookd_sqlite_store_bench
//
// Both sides use WAL with synchronous=FULL (a commit returns after its fsync), one
// file per benchmark in $TMPDIR, and the same shape of schema. items_per_second is
// deliveries made durable per second: enqueued (publish) or claimed and recorded.
#include <webhookd/core/id.hpp>
#include <webhookd/store/sqlite_store.hpp>

#include <benchmark/benchmark.h>

#include <sqlite3.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace store = webhookd::store;
namespace model = webhookd::model;
using webhookd::timestamp;

const timestamp t0{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};
constexpr int endpoints_per_event = 3;

// --- files ------------------------------------------------------------------------------

const std::filesystem::path& bench_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "webhookd-sqlite-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return std::filesystem::path(pattern);
  }();
  return dir;
}

std::string fresh_path() {
  static int n = 0;
  return (bench_dir() / ("bench-" + std::to_string(++n) + ".db")).string();
}

void remove_database(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

// --- the events --------------------------------------------------------------------------

webhookd::id_generator& ids() {
  static webhookd::id_generator g{1};
  return g;
}

model::event make_event() {
  model::event e;
  e.id = ids().next(t0);
  e.topic = "employee.created";
  e.occurred_at = t0;
  e.source = "https://example.ilucca.net";
  e.data = nlohmann::json{{"id", 416}, {"firstName", "Ada"}, {"lastName", "Lovelace"},
                          {"department", {{"id", 12}, {"name", "R&D"}}}};
  return e;
}

store::enqueue_request fan_out(const std::vector<std::string>& endpoints) {
  store::enqueue_request r;
  r.event = make_event();
  for (const auto& ep : endpoints) {
    model::webhook_delivery d;
    d.id = ids().next(t0);
    d.event = model::reference{r.event->id, "event", ""};
    d.webhook_endpoint = model::reference{ep, "webhook-endpoint", ""};
    d.next_attempt_at = t0;
    r.deliveries.push_back(std::move(d));
  }
  return r;
}

std::vector<std::string> add_endpoints(store::sqlite_store& s, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    store::endpoint_record r;
    r.endpoint.id = ids().next(t0);
    r.endpoint.webhook_url = "https://receiver.example.com/hook";
    r.endpoint.topics = {"*"};
    r.endpoint.status = model::endpoint_status::active;
    r.endpoint.secret = "secret";
    if (!s.create_endpoint(r)) throw std::runtime_error("create_endpoint failed");
    out.push_back(r.endpoint.id);
  }
  return out;
}

// CPU time of every thread of this process so far.
std::chrono::microseconds process_cpu() {
  ::rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto us = [](const ::timeval& t) {
    return std::chrono::seconds{t.tv_sec} + std::chrono::microseconds{t.tv_usec};
  };
  return std::chrono::duration_cast<std::chrono::microseconds>(us(u.ru_utime) + us(u.ru_stime));
}

// --- sqlite_store --------------------------------------------------------------------------

store::sqlite_store_options options_with(store::sqlite::commit_sync sync) {
  store::sqlite_store_options o;
  o.sync = sync;
  return o;
}

struct store_fixture {
  explicit store_fixture(store::sqlite::commit_sync sync = store::sqlite::commit_sync::after_commit)
      : s(std::make_unique<store::sqlite_store>(path, options_with(sync))) {}

  std::string path = fresh_path();
  std::unique_ptr<store::sqlite_store> s;
  std::vector<std::string> endpoints = add_endpoints(*s, endpoints_per_event);
  store::sqlite::group_commit_counters before = s->write_counters();
  std::chrono::microseconds cpu_before = process_cpu();

  ~store_fixture() {
    s.reset();
    remove_database(path);
  }

  void report(benchmark::State& state) const {
    const auto after = s->write_counters();
    const double commits = static_cast<double>(after.transactions - before.transactions);
    const double requests = static_cast<double>(after.requests - before.requests);
    state.counters["requests_per_commit"] = commits > 0 ? requests / commits : 0;
    state.counters["commits_per_second"] =
        benchmark::Counter(commits, benchmark::Counter::kIsRate);
    // CPU of the whole process (every thread) per request: what bounds throughput
    // on a small machine, and less noisy than time when others share it.
    state.counters["cpu_us_per_request"] =
        requests > 0 ? static_cast<double>((process_cpu() - cpu_before).count()) / requests : 0;
    // Where the writer's time goes, per commit: running the requests, then COMMIT
    // (WAL write and fsync).
    const auto us = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e3; };
    state.counters["run_us_per_commit"] =
        commits > 0 ? us(after.running - before.running) / commits : 0;
    state.counters["commit_us_per_commit"] =
        commits > 0 ? us(after.committing - before.committing) / commits : 0;
  }
};

std::unique_ptr<store_fixture> shared_store;

// One event fanned out to 3 endpoints per iteration, from every benchmark thread
// (building the request is timed too, on both sides).
void publish_with(benchmark::State& state, store::sqlite::commit_sync sync) {
  if (state.thread_index() == 0) shared_store = std::make_unique<store_fixture>(sync);
  for (auto _ : state) {
    auto r = shared_store->s->enqueue(fan_out(shared_store->endpoints), t0);
    if (!r) state.SkipWithError("enqueue failed");
  }
  state.SetItemsProcessed(state.iterations() * endpoints_per_event);
  if (state.thread_index() == 0) {
    shared_store->report(state);
    shared_store.reset();
  }
}

void sqlite_store_publish(benchmark::State& state) {
  publish_with(state, store::sqlite::commit_sync::after_commit);
}
BENCHMARK(sqlite_store_publish)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->Threads(128)
    ->UseRealTime();

// The same with SQLite fsyncing inside COMMIT (sqlite_store_options::sync =
// in_commit): the writer waits for each fsync instead of running the next batch.
void sqlite_store_publish_sync_in_commit(benchmark::State& state) {
  publish_with(state, store::sqlite::commit_sync::in_commit);
}
BENCHMARK(sqlite_store_publish_sync_in_commit)->Threads(16)->Threads(64)->Threads(128)->UseRealTime();

// Claim a batch of 16 due deliveries, then record them all delivered.
constexpr std::size_t claim_batch = 16;
constexpr int claim_iterations = 200; // per thread

void prefill(store::sqlite_store& s, const std::vector<std::string>& endpoints, std::size_t n) {
  // Large fan-outs fill the queue quickly: one transaction per 1,000 deliveries.
  std::vector<std::string> targets;
  for (std::size_t i = 0; i < 1000; ++i) targets.push_back(endpoints[i % endpoints.size()]);
  for (std::size_t done = 0; done < n; done += targets.size())
    if (!s.enqueue(fan_out(targets), t0)) throw std::runtime_error("prefill failed");
}

void sqlite_store_claim_record(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_store = std::make_unique<store_fixture>();
    prefill(*shared_store->s, shared_store->endpoints,
            claim_batch * claim_iterations * static_cast<std::size_t>(state.threads()));
    shared_store->before = shared_store->s->write_counters();
    shared_store->cpu_before = process_cpu();
  }
  store::claim_request claim;
  claim.now = t0;
  claim.max = claim_batch;
  claim.owner = "bench-" + std::to_string(state.thread_index());
  claim.lease_duration = std::chrono::minutes{5};
  std::vector<store::attempt_outcome> outcomes;
  std::int64_t recorded = 0;
  for (auto _ : state) {
    auto claimed = shared_store->s->claim_due(claim);
    if (!claimed) {
      state.SkipWithError("claim failed");
      break;
    }
    outcomes.clear();
    for (const auto& c : *claimed) {
      store::attempt_outcome o;
      o.attempt.id = ids().next(t0);
      o.attempt.signature = "c2lnbmF0dXJl";
      o.attempt.webhook_delivery = model::reference{c.delivery.id, "webhook-delivery", ""};
      o.attempt.is_successful = true;
      o.attempt.response_status_code = 200;
      o.attempt.created_at = t0;
      o.lease = c.lease;
      o.status = model::delivery_status::delivered;
      outcomes.push_back(std::move(o));
    }
    auto r = shared_store->s->record(outcomes, t0);
    if (!r) state.SkipWithError("record failed");
    recorded += static_cast<std::int64_t>(outcomes.size());
  }
  state.SetItemsProcessed(recorded);
  if (state.thread_index() == 0) {
    shared_store->report(state);
    shared_store.reset();
  }
}
BENCHMARK(sqlite_store_claim_record)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->Iterations(claim_iterations)
    ->UseRealTime();

// --- the naive way -------------------------------------------------------------------------
//
// The same tables, raw sqlite3 calls, one connection behind a mutex (SQLite has one
// writer anyway), and one transaction per delivery: each delivery is durable when
// its own COMMIT returns, as a store without batching would do it.

class naive_store {
public:
  naive_store() : path_(fresh_path()) {
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
      throw std::runtime_error("open failed");
    exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = 1;"
         "CREATE TABLE events (id TEXT PRIMARY KEY, topic TEXT, created_at INTEGER, resource TEXT);"
         "CREATE TABLE deliveries (id TEXT PRIMARY KEY, event_id TEXT REFERENCES events (id),"
         "  endpoint_id TEXT, status TEXT, attempts_count INTEGER, next_attempt_at INTEGER,"
         "  lease_owner TEXT, lease_until INTEGER, created_at INTEGER) WITHOUT ROWID;"
         "CREATE TABLE attempts (id TEXT PRIMARY KEY, delivery_id TEXT REFERENCES deliveries (id),"
         "  is_successful INTEGER, created_at INTEGER, resource TEXT);"
         "CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id)"
         "  WHERE next_attempt_at IS NOT NULL;"
         "CREATE INDEX attempts_delivery ON attempts (delivery_id);");
    insert_event_ = prepare("INSERT INTO events VALUES (?, ?, ?, ?)");
    insert_delivery_ = prepare(
        "INSERT INTO deliveries VALUES (?, ?, ?, 'undelivered', 0, ?, NULL, NULL, ?)");
    select_due_ = prepare(
        "SELECT id FROM deliveries WHERE next_attempt_at <= ?1 AND "
        "(lease_until IS NULL OR lease_until <= ?1) ORDER BY next_attempt_at, id LIMIT 1");
    lease_ = prepare("UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?");
    insert_attempt_ = prepare("INSERT INTO attempts VALUES (?, ?, 1, ?, ?)");
    finish_ = prepare(
        "UPDATE deliveries SET status = 'delivered', attempts_count = attempts_count + 1, "
        "next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?");
  }
  naive_store(const naive_store&) = delete;
  naive_store& operator=(const naive_store&) = delete;
  ~naive_store() {
    for (auto* s : {insert_event_, insert_delivery_, select_due_, lease_, insert_attempt_, finish_})
      sqlite3_finalize(s);
    sqlite3_close(db_);
    remove_database(path_);
  }

  // An event and its deliveries, each delivery in a transaction of its own (the
  // event goes with the first).
  void publish(const store::enqueue_request& r) {
    const std::string resource = nlohmann::json(*r.event).dump();
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < r.deliveries.size(); ++i) {
      exec("BEGIN IMMEDIATE");
      if (i == 0) {
        bind_text(insert_event_, 1, r.event->id);
        bind_text(insert_event_, 2, r.event->topic);
        sqlite3_bind_int64(insert_event_, 3, millis(t0));
        bind_text(insert_event_, 4, resource);
        run(insert_event_);
      }
      const auto& d = r.deliveries[i];
      bind_text(insert_delivery_, 1, d.id);
      bind_text(insert_delivery_, 2, d.event.id);
      bind_text(insert_delivery_, 3, d.webhook_endpoint.id);
      sqlite3_bind_int64(insert_delivery_, 4, millis(*d.next_attempt_at));
      sqlite3_bind_int64(insert_delivery_, 5, millis(t0));
      run(insert_delivery_);
      exec("COMMIT");
    }
  }

  // Claims one due delivery (a transaction), then records its attempt (another).
  bool claim_and_record(const std::string& owner) {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    sqlite3_bind_int64(select_due_, 1, millis(t0));
    std::string id;
    if (sqlite3_step(select_due_) == SQLITE_ROW)
      id = reinterpret_cast<const char*>(sqlite3_column_text(select_due_, 0));
    sqlite3_reset(select_due_);
    if (id.empty()) {
      exec("COMMIT");
      return false;
    }
    bind_text(lease_, 1, owner);
    sqlite3_bind_int64(lease_, 2, millis(t0) + 300000);
    bind_text(lease_, 3, id);
    run(lease_);
    exec("COMMIT");

    model::webhook_delivery_attempt a;
    a.id = ids().next(t0);
    a.signature = "c2lnbmF0dXJl";
    a.webhook_delivery = model::reference{id, "webhook-delivery", ""};
    a.is_successful = true;
    a.response_status_code = 200;
    a.created_at = t0;
    exec("BEGIN IMMEDIATE");
    bind_text(insert_attempt_, 1, a.id);
    bind_text(insert_attempt_, 2, id);
    sqlite3_bind_int64(insert_attempt_, 3, millis(t0));
    bind_text(insert_attempt_, 4, nlohmann::json(a).dump());
    run(insert_attempt_);
    bind_text(finish_, 1, id);
    run(finish_);
    exec("COMMIT");
    return true;
  }

private:
  static std::int64_t millis(timestamp t) { return t.time_since_epoch().count(); }

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
    return s;
  }
  static void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void run(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* insert_delivery_ = nullptr;
  sqlite3_stmt* select_due_ = nullptr;
  sqlite3_stmt* lease_ = nullptr;
  sqlite3_stmt* insert_attempt_ = nullptr;
  sqlite3_stmt* finish_ = nullptr;
  std::mutex mutex_;
};

std::unique_ptr<naive_store> shared_naive;
const std::vector<std::string> naive_endpoints{"endpoint-1", "endpoint-2", "endpoint-3"};

void naive_publish(benchmark::State& state) {
  if (state.thread_index() == 0) shared_naive = std::make_unique<naive_store>();
  for (auto _ : state) shared_naive->publish(fan_out(naive_endpoints));
  state.SetItemsProcessed(state.iterations() * endpoints_per_event);
  if (state.thread_index() == 0) shared_naive.reset();
}
// The same thread counts as the store's, so every row of the comparison has its naive
// counterpart from the same run (one writer: more threads only queue on the mutex).
BENCHMARK(naive_publish)->Threads(1)->Threads(16)->Threads(64)->Threads(128)->UseRealTime();

void naive_claim_record(benchmark::State& state) {
  if (state.thread_index() == 0) {
    shared_naive = std::make_unique<naive_store>();
    for (int i = 0; i < claim_iterations * state.threads() / endpoints_per_event + 1; ++i)
      shared_naive->publish(fan_out(naive_endpoints));
  }
  const std::string owner = "bench-" + std::to_string(state.thread_index());
  std::int64_t recorded = 0;
  for (auto _ : state) recorded += shared_naive->claim_and_record(owner) ? 1 : 0;
  state.SetItemsProcessed(recorded);
  if (state.thread_index() == 0) shared_naive.reset();
}
BENCHMARK(naive_claim_record)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->Iterations(claim_iterations)
    ->UseRealTime();

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(bench_dir(), ec);
  return 0;
}
