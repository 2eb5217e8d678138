// SPDX-License-Identifier: MIT
// memory_store throughput: enqueue a fan-out, claim a batch, record a batch.
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

} // namespace

BENCHMARK_MAIN();
