// SPDX-License-Identifier: MIT
// Cost per entry of timer_wheel insert, cancel and expire with 1k to 1M pending entries.
#include <webhookd/schedule/timer_wheel.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace {

using namespace std::chrono_literals;
using webhookd::timestamp;
using std::chrono::milliseconds;

struct pending : webhookd::schedule::timer_wheel_entry {
  std::uint64_t delivery = 0;
};
using wheel_t = webhookd::schedule::timer_wheel<pending>;

constexpr timestamp t0{1735689600000ms};
constexpr std::int64_t day_ms = 86'400'000;
constexpr std::size_t batch = 1024;

// A small fast generator, so that the measured cost is the wheel's.
struct xorshift {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint64_t operator()() noexcept {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// Due times like a retry schedule's: spread over the next 24 hours.
timestamp random_due(xorshift& rng, timestamp now) {
  return now + milliseconds{static_cast<std::int64_t>(rng() % day_ms)};
}

void fill(wheel_t& wheel, std::vector<pending>& entries, std::size_t n, xorshift& rng) {
  for (std::size_t i = 0; i < n; ++i) {
    entries[i].delivery = i;
    wheel.insert(entries[i], random_due(rng, wheel.now()));
  }
}

void report_memory(benchmark::State& state, std::size_t n) {
  state.counters["pending"] = static_cast<double>(n);
  state.counters["hook_bytes"] = sizeof(webhookd::schedule::timer_wheel_entry);
  state.counters["wheel_bytes"] = sizeof(wheel_t);
  // What one pending entry costs the wheel: its hook plus its share of the wheel.
  state.counters["bytes_per_entry"] =
      static_cast<double>(sizeof(webhookd::schedule::timer_wheel_entry)) +
      static_cast<double>(sizeof(wheel_t)) / static_cast<double>(n);
}

// Insert 1024 entries into a wheel holding N (cancel them untimed).
void bm_insert(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<pending> entries(n + batch);
  xorshift rng;
  wheel_t wheel(t0);
  fill(wheel, entries, n, rng);
  for (auto _ : state) {
    for (std::size_t i = n; i < n + batch; ++i)
      benchmark::DoNotOptimize(wheel.insert(entries[i], random_due(rng, t0)));
    state.PauseTiming();
    for (std::size_t i = n; i < n + batch; ++i) wheel.cancel(entries[i]);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  report_memory(state, n);
  wheel.clear();
}

// Cancel 1024 entries of a wheel holding N + 1024 (re-insert them untimed).
void bm_cancel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<pending> entries(n + batch);
  xorshift rng;
  wheel_t wheel(t0);
  fill(wheel, entries, n, rng);
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t i = n; i < n + batch; ++i) wheel.insert(entries[i], random_due(rng, t0));
    state.ResumeTiming();
    for (std::size_t i = n; i < n + batch; ++i) benchmark::DoNotOptimize(wheel.cancel(entries[i]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  report_memory(state, n);
  wheel.clear();
}

// A reschedule (cancel + insert elsewhere) of a random pending entry: the common
// operation of a retry, timed per pair without pauses.
void bm_reschedule(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<pending> entries(n);
  xorshift rng;
  wheel_t wheel(t0);
  fill(wheel, entries, n, rng);
  for (auto _ : state) {
    pending& e = entries[rng() % n];
    benchmark::DoNotOptimize(wheel.reschedule(e, random_due(rng, t0)));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  report_memory(state, n);
  wheel.clear();
}

// Steady state: N entries due over the next 24 h; time advances so that about 1024
// fire per step, and each fired entry is inserted again 0-24 h later (a retry). The
// cost per fired entry includes its share of cascades and of next_expiry().
void bm_expire(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<pending> entries(n);
  xorshift rng;
  wheel_t wheel(t0);
  fill(wheel, entries, n, rng);
  const milliseconds step{std::max<std::int64_t>(1, day_ms * static_cast<std::int64_t>(batch) /
                                                        static_cast<std::int64_t>(n))};
  timestamp now = t0;
  std::int64_t fired = 0;
  for (auto _ : state) {
    now += step;
    fired += static_cast<std::int64_t>(wheel.expire(now, [&](pending& e) {
      wheel.insert(e, random_due(rng, now));
    }));
    benchmark::DoNotOptimize(wheel.next_expiry());
  }
  state.SetItemsProcessed(fired);
  report_memory(state, n);
  wheel.clear();
}

// The same reschedule on a std::multimap keyed by due time, for scale.
void bm_multimap_reschedule(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::multimap<timestamp, std::uint64_t> map;
  std::vector<std::multimap<timestamp, std::uint64_t>::iterator> where(n);
  xorshift rng;
  for (std::size_t i = 0; i < n; ++i) where[i] = map.emplace(random_due(rng, t0), i);
  for (auto _ : state) {
    const std::size_t i = rng() % n;
    map.erase(where[i]);
    where[i] = map.emplace(random_due(rng, t0), i);
    benchmark::DoNotOptimize(map.begin());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["pending"] = static_cast<double>(n);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {1'000, 100'000, 1'000'000}) b->Arg(n);
}

BENCHMARK(bm_insert)->Apply(sizes);
BENCHMARK(bm_cancel)->Apply(sizes);
BENCHMARK(bm_reschedule)->Apply(sizes);
BENCHMARK(bm_expire)->Apply(sizes);
BENCHMARK(bm_multimap_reschedule)->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
