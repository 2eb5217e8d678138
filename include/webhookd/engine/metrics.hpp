// SPDX-License-Identifier: MIT
// metrics: the engine's atomic counters and attempt latency histogram, read in-process.
#ifndef WEBHOOKD_ENGINE_METRICS_HPP
#define WEBHOOKD_ENGINE_METRICS_HPP

#include <webhookd/detail/config.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace webhookd::engine {

/** A fixed-bucket histogram of attempt latencies (send start to outcome).

    Bucket `i` counts latencies up to `bounds[i]` milliseconds inclusive and above
    the previous bound; the last bucket counts everything above the last bound.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (relaxed atomics; a reader may see
    a sample in `count()` before it shows in its bucket).
*/
class latency_histogram {
public:
  /// Upper bounds of the buckets, in milliseconds.
  static constexpr std::array<std::int64_t, 11> bounds{1,   5,   10,   25,   50,  100,
                                                      250, 500, 1000, 2500, 5000};
  /// Number of buckets: one per bound and one for larger values.
  static constexpr std::size_t bucket_count = bounds.size() + 1;

  /// Adds one sample.
  void observe(std::chrono::nanoseconds latency) noexcept {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(latency).count();
    std::size_t i = 0;
    while (i < bounds.size() && ms > bounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(latency.count() < 0 ? 0 : latency.count()),
                      std::memory_order_relaxed);
  }
  /// Samples in bucket `i` (`i < bucket_count`).
  std::uint64_t bucket(std::size_t i) const noexcept {
    WEBHOOKD_ASSERT(i < bucket_count);
    return buckets_[i].load(std::memory_order_relaxed);
  }
  /// Samples so far.
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  /// Sum of every sample.
  std::chrono::nanoseconds sum() const noexcept {
    return std::chrono::nanoseconds{
        static_cast<std::int64_t>(sum_ns_.load(std::memory_order_relaxed))};
  }

private:
  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

/** The engine's counters since it was made.

    - `published`: events accepted by `publish` (stored);
    - `deliveries_created`: deliveries created by `publish`;
    - `attempts`: attempts whose outcome was recorded;
    - `delivered`: deliveries that ended `delivered`;
    - `failed`: deliveries that ended `failed`;
    - `retried`: attempts after which a retry was planned;
    - `suspended`: endpoints the engine suspended;
    - `in_flight`: attempts on the wire now (a gauge);
    - `waiting`: deliveries this engine claimed that wait for their endpoint's
      concurrency limit or rate limit (a gauge);
    - `throttled`: times an endpoint's concurrency was halved after 429/502/503/504;
    - `queue_depth`: undelivered deliveries with a planned attempt, due or not, in
      the whole store (a gauge, refreshed every `stats_interval`);
    - `held`: undelivered deliveries held because their endpoint is not active (a
      gauge, refreshed with `queue_depth`);
    - `wheel_pending`: retry due times this engine keeps in its timer wheel (a gauge);
    - `store_errors`: store calls that failed (each is retried or left to the lease);
    - `record_batches`: `record` calls made (attempts / record_batches is the
      batching factor);
    - `claims_with_records`: of those, the ones that claimed in the same store call
      (`record_then_claim`, stores that offer it: one round trip for both);
    - `attempt_latency`: send start to outcome, per attempt.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (relaxed atomics).
*/
struct metrics {
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> deliveries_created{0};
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> suspended{0};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> waiting{0};
  std::atomic<std::uint64_t> throttled{0};
  std::atomic<std::int64_t> queue_depth{0};
  std::atomic<std::int64_t> held{0};
  std::atomic<std::int64_t> wheel_pending{0};
  std::atomic<std::uint64_t> store_errors{0};
  std::atomic<std::uint64_t> record_batches{0};
  std::atomic<std::uint64_t> claims_with_records{0};
  latency_histogram attempt_latency;
};

} // namespace webhookd::engine

#endif // WEBHOOKD_ENGINE_METRICS_HPP
