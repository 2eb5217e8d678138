// SPDX-License-Identifier: MIT
// Cost per entry of timer_wheel insert, cancel and expire with 1k to 1M pending entries,
// and the same schedule+expire workload on the two usual alternatives: a binary
// min-heap of (due, id) pairs, and one asio timer per pending delivery.
//
// The asio timers run on a manual clock, so time advances without sleeping (see
// asio_timer_queue). Their timer queue, per-wait operation and allocation, which are
// what is measured, are the same as a steady_timer's.

#include <webhookd/schedule/timer_wheel.hpp>

#include <asio/basic_waitable_timer.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <system_error>
#include <utility>
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
constexpr std::int64_t minute_ms = 60'000;
constexpr std::size_t batch = 1024;

// A small fast generator, so that the measured cost is the queue's.
struct xorshift {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint64_t operator()() noexcept {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// Due times like a retry schedule's: spread over the next `horizon` ms (24 hours
// unless a benchmark says otherwise).
timestamp random_due(xorshift& rng, timestamp now, std::int64_t horizon = day_ms) {
  return now + milliseconds{static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(horizon))};
}

// Bytes of heap in use, as malloc counts them (chunk headers and rounding included,
// mmapped blocks too). A difference of two readings is what a piece of code kept
// allocated: operator new alone would miss asio, which takes its per-operation
// blocks from aligned_alloc.
double heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd);
}

/* What one pending entry costs, reported as `bytes_per_entry`: the bytes that exist
   only because the entry is scheduled, with the caller's own record (here the
   delivery id) left out for every structure:
   - `inline_bytes`: what the caller embeds or keeps per entry (the wheel's hook; the
     asio timer object; nothing for the heap, whose elements are allocated);
   - `allocated`: the growth of the heap in use while the N entries were scheduled
     (the heap's vector at its capacity and its lazy-cancellation table; asio's
     timer queue and one wait operation per timer; the wheel's record chunks, with
     their partly filled tails, headers and the free chunks it keeps);
   - `fixed_bytes`: the structure itself (the wheel's slot arrays), shared by all.
   `bytes_per_entry` is read once the N entries are scheduled; `steady_bytes_per_entry`
   (where given) is read again after the timed loop, in the steady state of
   schedule+expire, by the same rule. */
void report_memory(benchmark::State& state, std::size_t n, double inline_bytes, double allocated,
                   double fixed_bytes) {
  const auto count = static_cast<double>(n);
  state.counters["pending"] = count;
  state.counters["inline_bytes"] = inline_bytes;
  state.counters["alloc_bytes_per_entry"] = allocated / count;
  state.counters["bytes_per_entry"] = inline_bytes + (allocated + fixed_bytes) / count;
}

// --- the timer wheel -------------------------------------------------------------------

// A wheel holding N entries due over the next `horizon` ms (24 h by default), plus
// `extra` idle entries for the operations a benchmark times.
struct filled_wheel {
  std::vector<pending> entries;
  xorshift rng;
  wheel_t wheel{t0};
  std::size_t n;
  double allocated = 0; // what the wheel allocated for the N entries

  explicit filled_wheel(std::size_t count, std::size_t extra = 0, std::int64_t horizon = day_ms)
      : entries(count + extra), n(count) {
    for (std::size_t i = 0; i < entries.size(); ++i) entries[i].delivery = i;
    const double before = heap_in_use();
    for (std::size_t i = 0; i < n; ++i) wheel.insert(entries[i], random_due(rng, t0, horizon));
    allocated = heap_in_use() - before;
  }
  filled_wheel(const filled_wheel&) = delete;
  filled_wheel& operator=(const filled_wheel&) = delete;
  ~filled_wheel() { wheel.clear(); }

  // Calls f on each of the `extra` entries.
  template <class F>
  void for_extra(F&& f) {
    for (std::size_t i = n; i < entries.size(); ++i) f(entries[i]);
  }

  void report(benchmark::State& state, std::int64_t items) const {
    state.SetItemsProcessed(items);
    report_memory(state, n, sizeof(webhookd::schedule::timer_wheel_entry), allocated,
                  sizeof(wheel_t));
  }
};

// Times `timed` over the `batch` extra entries of a wheel holding N; `untimed` undoes
// it between iterations.
template <class Timed, class Untimed>
void batch_loop(benchmark::State& state, filled_wheel& w, Timed timed, Untimed untimed) {
  for (auto _ : state) {
    w.for_extra(timed);
    state.PauseTiming();
    w.for_extra(untimed);
    state.ResumeTiming();
  }
  w.report(state, static_cast<std::int64_t>(state.iterations() * batch));
}

// Insert 1024 entries into a wheel holding N (cancel them untimed).
void bm_insert(benchmark::State& state) {
  filled_wheel w(static_cast<std::size_t>(state.range(0)), batch);
  batch_loop(
      state, w, [&](pending& e) { benchmark::DoNotOptimize(w.wheel.insert(e, random_due(w.rng, t0))); },
      [&](pending& e) { w.wheel.cancel(e); });
}

// Cancel 1024 entries of a wheel holding N + 1024 (re-insert them untimed).
void bm_cancel(benchmark::State& state) {
  filled_wheel w(static_cast<std::size_t>(state.range(0)), batch);
  const auto insert = [&](pending& e) { w.wheel.insert(e, random_due(w.rng, t0)); };
  w.for_extra(insert);
  batch_loop(
      state, w, [&](pending& e) { benchmark::DoNotOptimize(w.wheel.cancel(e)); }, insert);
}

// A reschedule (cancel + insert elsewhere) of a random pending entry: the common
// operation of a retry, timed per pair without pauses.
void bm_reschedule(benchmark::State& state) {
  filled_wheel w(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    pending& e = w.entries[w.rng() % w.n];
    benchmark::DoNotOptimize(w.wheel.reschedule(e, random_due(w.rng, t0)));
  }
  w.report(state, static_cast<std::int64_t>(state.iterations()));
}

// --- schedule + expire: the wheel, a binary heap, asio timers ----------------------------
//
// Each queue type holds N pending deliveries due over the next `horizon` ms and
// implements `advance(now)`: fire every delivery due at or before `now` and schedule
// it again 0 to `horizon` ms after `now` (a retry), returning how many fired. The same
// generator gives the same due times to all three.

// The timer wheel: the delivery embeds the hook; the wheel allocates its records.
class wheel_queue {
public:
  wheel_queue(std::size_t n, std::int64_t horizon) : w_(n, 0, horizon), horizon_(horizon) {}

  std::size_t advance(timestamp now) {
    const std::size_t fired = w_.wheel.expire(
        now, [&](pending& e) { w_.wheel.insert(e, random_due(w_.rng, now, horizon_)); });
    benchmark::DoNotOptimize(w_.wheel.next_expiry()); // what the caller re-arms its timer for
    return fired;
  }

  // The deliveries themselves (hook and id): the caller's records.
  double caller_bytes() const {
    return static_cast<double>(w_.entries.capacity() * sizeof(pending));
  }
  static constexpr double inline_bytes = sizeof(webhookd::schedule::timer_wheel_entry);
  static constexpr double fixed_bytes = sizeof(wheel_t);

private:
  filled_wheel w_;
  std::int64_t horizon_;
};

// A binary min-heap of (due, id) pairs on a std::vector (what std::priority_queue
// does), with lazy cancellation: `due_of[id]` is the due time of the id's live pair,
// and a popped pair that does not match it was cancelled or rescheduled and is
// skipped. Firing marks the id idle, so a duplicate pair never fires twice.
class heap_queue {
public:
  heap_queue(std::size_t n, std::int64_t horizon) : due_of_(n, idle), horizon_(horizon) {
    for (std::size_t id = 0; id < n; ++id) schedule(id, random_due(rng_, t0, horizon_));
  }

  void schedule(std::size_t id, timestamp due) {
    due_of_[id] = key(due);
    heap_.push_back({key(due), id});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  // Lazy cancellation: the old pair stays in the heap until it is popped or compacted.
  void reschedule(std::size_t id, timestamp due) {
    schedule(id, due);
    if (heap_.size() > 2 * due_of_.size()) compact();
  }

  std::size_t advance(timestamp now) {
    fired_.clear();
    while (!heap_.empty() && heap_.front().first <= key(now)) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const auto [due, id] = heap_.back();
      heap_.pop_back();
      if (due_of_[id] != due) continue; // cancelled, rescheduled or already fired
      due_of_[id] = idle;
      fired_.push_back(id);
    }
    for (std::size_t id : fired_) schedule(id, random_due(rng_, now, horizon_));
    benchmark::DoNotOptimize(heap_.empty() ? idle : heap_.front().first); // the next expiry
    return fired_.size();
  }

  static double caller_bytes() { return 0; }
  static constexpr double inline_bytes = 0;
  static constexpr double fixed_bytes = 0;

private:
  using element = std::pair<std::int64_t, std::size_t>;
  static constexpr std::int64_t idle = std::numeric_limits<std::int64_t>::min();
  static bool later(const element& a, const element& b) noexcept { return a.first > b.first; }
  static std::int64_t key(timestamp t) noexcept { return t.time_since_epoch().count(); }

  // Drops the stale pairs once they outnumber the live ones (amortised O(1)).
  void compact() {
    std::erase_if(heap_, [&](const element& e) { return due_of_[e.second] != e.first; });
    std::make_heap(heap_.begin(), heap_.end(), later);
  }

  std::vector<element> heap_;
  std::vector<std::int64_t> due_of_;
  std::vector<std::size_t> fired_;
  xorshift rng_;
  std::int64_t horizon_;
};

// A clock that moves only when told.
struct manual_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<manual_clock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept { return current; }
  static inline time_point current{};
};

// Asio arms its timerfd for the time left until the earliest expiry, in real time;
// on a manual clock that would be hours. With these traits it is armed to fire at
// once, so the reactor looks at its timer queue (against the manual clock) at every
// turn. Nothing else of the timer changes.
struct fire_now_traits {
  static manual_clock::duration to_wait_duration(const manual_clock::duration&) { return {}; }
  static manual_clock::duration to_wait_duration(const manual_clock::time_point&) { return {}; }
};
using manual_timer = asio::basic_waitable_timer<manual_clock, fire_now_traits>;
static_assert(sizeof(manual_timer) == sizeof(asio::steady_timer),
              "the manual-clock timer stands for a steady_timer");

manual_clock::time_point to_manual(timestamp t) {
  return manual_clock::time_point{std::chrono::duration_cast<manual_clock::duration>(t.time_since_epoch())};
}

// One asio timer per pending delivery, all on one io_context: schedule is
// expires_at + async_wait (one operation allocated per wait, from asio's recycling
// allocator, and an entry in the reactor's timer heap); expire is running the
// io_context after the clock moved.
class asio_timer_queue {
public:
  asio_timer_queue(std::size_t n, std::int64_t horizon) : horizon_(horizon) {
    manual_clock::current = to_manual(t0);
    timers_.reserve(n);
    for (std::size_t id = 0; id < n; ++id) {
      timers_.emplace_back(io_);
      schedule(id, random_due(rng_, t0, horizon_));
    }
  }
  asio_timer_queue(const asio_timer_queue&) = delete;
  asio_timer_queue& operator=(const asio_timer_queue&) = delete;

  std::size_t advance(timestamp now) {
    now_ = now;
    fired_ = 0;
    manual_clock::current = to_manual(now);
    // The reactor collects every due timer when its timerfd fires (a few microseconds
    // after it was last armed, idle time that CPU time does not count); run_one waits
    // for that and runs the first handler, poll runs the others.
    if (io_.run_one_for(std::chrono::milliseconds{50}) > 0) io_.poll();
    return fired_;
  }

  // The timer objects: counted as `inline_bytes` (the caller keeps one per delivery).
  double caller_bytes() const {
    return static_cast<double>(timers_.capacity() * sizeof(manual_timer));
  }
  static constexpr double inline_bytes = sizeof(asio::steady_timer);
  static constexpr double fixed_bytes = 0;

private:
  void schedule(std::size_t id, timestamp due) {
    manual_timer& t = timers_[id];
    t.expires_at(to_manual(due));
    t.async_wait([this, id](const std::error_code& ec) {
      if (ec) return;
      ++fired_;
      schedule(id, random_due(rng_, now_, horizon_));
    });
  }

  asio::io_context io_{1};
  std::vector<manual_timer> timers_; // destroyed first: their waits end before io_
  xorshift rng_;
  std::int64_t horizon_;
  timestamp now_ = t0;
  std::size_t fired_ = 0;
};

// Steady state: N entries due over the next `horizon` ms (range 1: 24 h, or a minute
// for the retries of a short outage); time advances so that about 1024 entries fire
// per step (all of them when N is small), and each fired entry is scheduled again
// 0 to `horizon` ms later. One item is one expiry plus one schedule; the cost includes
// the wheel's cascades and next_expiry(), the heap's pops, the reactor's turns.
template <class Queue>
void bm_schedule_expire(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::int64_t horizon = state.range(1);
  const double before = heap_in_use();
  Queue queue(n, horizon);
  const double allocated = heap_in_use() - before - queue.caller_bytes();
  const milliseconds step{std::max<std::int64_t>(1, horizon * static_cast<std::int64_t>(batch) /
                                                        static_cast<std::int64_t>(n))};
  timestamp now = t0;
  std::int64_t fired = 0;
  for (auto _ : state) {
    now += step;
    fired += static_cast<std::int64_t>(queue.advance(now));
  }
  const double steady = heap_in_use() - before - queue.caller_bytes();
  state.SetItemsProcessed(fired);
  report_memory(state, n, Queue::inline_bytes, allocated, Queue::fixed_bytes);
  state.counters["steady_bytes_per_entry"] =
      Queue::inline_bytes + (steady + Queue::fixed_bytes) / static_cast<double>(n);
}

// --- reschedule on the alternatives, for scale --------------------------------------------

// The wheel's bm_reschedule on the lazy-cancellation heap: push a new pair, leave the
// old one stale (compacted when stale pairs outnumber live ones).
void bm_heap_reschedule(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const double before = heap_in_use();
  heap_queue heap(n, day_ms);
  const double allocated = heap_in_use() - before;
  xorshift rng;
  for (auto _ : state) heap.reschedule(rng() % n, random_due(rng, t0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  report_memory(state, n, heap_queue::inline_bytes, allocated, heap_queue::fixed_bytes);
}

// The same reschedule on a std::multimap keyed by due time.
void bm_multimap_reschedule(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  using map_t = std::multimap<timestamp, std::uint64_t>;
  const double before = heap_in_use();
  map_t map;
  std::vector<map_t::iterator> where(n);
  xorshift rng;
  for (std::size_t i = 0; i < n; ++i) where[i] = map.emplace(random_due(rng, t0), i);
  const double allocated = heap_in_use() - before;
  for (auto _ : state) {
    const std::size_t i = rng() % n;
    map.erase(where[i]);
    where[i] = map.emplace(random_due(rng, t0), i);
    benchmark::DoNotOptimize(map.begin());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  report_memory(state, n, 0, allocated, 0);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {1'000, 65'536, 1'000'000}) b->Arg(n);
}

void sizes_and_horizons(benchmark::internal::Benchmark* b) {
  b->ArgNames({"", "horizon_ms"});
  for (std::int64_t horizon : {day_ms, minute_ms})
    for (std::int64_t n : {1'000, 65'536, 1'000'000}) b->Args({n, horizon});
}

BENCHMARK(bm_insert)->Apply(sizes);
BENCHMARK(bm_cancel)->Apply(sizes);
BENCHMARK(bm_reschedule)->Apply(sizes);
BENCHMARK_TEMPLATE(bm_schedule_expire, wheel_queue)->Apply(sizes_and_horizons);
BENCHMARK_TEMPLATE(bm_schedule_expire, heap_queue)->Apply(sizes_and_horizons);
BENCHMARK_TEMPLATE(bm_schedule_expire, asio_timer_queue)->Apply(sizes_and_horizons);
BENCHMARK(bm_heap_reschedule)->Apply(sizes);
BENCHMARK(bm_multimap_reschedule)->Apply(sizes);

} // namespace

BENCHMARK_MAIN();
