// SPDX-License-Identifier: MIT
// memory_store throughput: enqueue a fan-out, claim a batch, record a batch, and the
// retention purge of a store holding a growing history.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON
//   cmake --build build-bench --target webhookd_store_bench
//   build-bench/bench/webhookd_store_bench
#include <webhookd/core/id.hpp>
#include <webhookd/store/memory_store.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

namespace store = webhookd::store;
namespace model = webhookd::model;
using webhookd::timestamp;

const timestamp t0{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};

std::vector<std::string> add_endpoints(store::memory_store& s, webhookd::id_generator& ids, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    store::endpoint_record r;
    r.endpoint.id = ids.next(t0);
    r.endpoint.topics = {"*"};
    r.endpoint.status = model::endpoint_status::active;
    (void)s.create_endpoint(r);
    out.push_back(r.endpoint.id);
  }
  return out;
}

store::enqueue_request fan_out(webhookd::id_generator& ids, const std::vector<std::string>& endpoints) {
  store::enqueue_request r;
  r.event.emplace();
  r.event->id = ids.next(t0);
  r.event->topic = "employee.created";
  r.event->data = nlohmann::json{{"id", 1}};
  for (const auto& ep : endpoints) {
    model::webhook_delivery d;
    d.id = ids.next(t0);
    d.event.id = r.event->id;
    d.webhook_endpoint.id = ep;
    d.next_attempt_at = t0;
    r.deliveries.push_back(std::move(d));
  }
  return r;
}

// One event fanned out to range(0) endpoints per iteration.
void enqueue(benchmark::State& state) {
  store::memory_store s;
  webhookd::id_generator ids{1};
  const auto endpoints = add_endpoints(s, ids, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto r = s.enqueue(fan_out(ids, endpoints), t0);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(enqueue)->Arg(1)->Arg(10)->Arg(100);

// Claim a batch of range(0) due deliveries, then record them all delivered.
void claim_and_record(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  store::memory_store s;
  webhookd::id_generator ids{2};
  const auto endpoints = add_endpoints(s, ids, 10);
  store::claim_request claim;
  claim.now = t0;
  claim.max = batch;
  claim.owner = "bench";
  std::vector<store::attempt_outcome> outcomes;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t i = 0; i < batch; i += endpoints.size()) (void)s.enqueue(fan_out(ids, endpoints), t0);
    state.ResumeTiming();
    auto claimed = s.claim_due(claim);
    outcomes.clear();
    for (const auto& c : *claimed) {
      store::attempt_outcome o;
      o.attempt.id = ids.next(t0);
      o.attempt.webhook_delivery.id = c.delivery.id;
      o.attempt.is_successful = true;
      o.attempt.response_status_code = 200;
      o.lease = c.lease;
      o.status = model::delivery_status::delivered;
      outcomes.push_back(std::move(o));
    }
    auto recorded = s.record(outcomes, t0);
    benchmark::DoNotOptimize(recorded);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(claim_and_record)->Arg(10)->Arg(100);

// A retention window of range(0) deliveries slides by one event (100 deliveries)
// per iteration: one event is stored at the new time and the oldest purged. The time
// per iteration is the purge's cost per event it removes, with range(0) kept; a purge
// that walked the whole history would grow with range(0).
void purge_sliding_window(benchmark::State& state) {
  constexpr int fan = 100;
  const auto kept_events = static_cast<int>(state.range(0)) / fan;
  store::memory_store s;
  webhookd::id_generator ids{3};
  const auto endpoints = add_endpoints(s, ids, fan);
  int second = 0;
  for (; second < kept_events; ++second)
    (void)s.enqueue(fan_out(ids, endpoints), t0 + std::chrono::seconds{second});
  store::purge_request purge;
  purge.include_pending = true; // the rows are never sent here
  std::int64_t purged = 0;
  for (auto _ : state) {
    (void)s.enqueue(fan_out(ids, endpoints), t0 + std::chrono::seconds{second});
    ++second;
    purge.older_than = t0 + std::chrono::seconds{second - kept_events};
    const auto report = s.purge(purge);
    purged += report->deliveries;
  }
  if (purged != state.iterations() * fan) state.SkipWithError("the purge removed another count");
  state.SetItemsProcessed(purged);
}
BENCHMARK(purge_sliding_window)->Arg(10'000)->Arg(100'000)->Arg(400'000)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
