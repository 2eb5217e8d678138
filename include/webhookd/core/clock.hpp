// SPDX-License-Identifier: MIT
// An injectable source of the current time, so that schedules can run in virtual time.
#ifndef WEBHOOKD_CORE_CLOCK_HPP
#define WEBHOOKD_CORE_CLOCK_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>

#include <atomic>
#include <chrono>

namespace webhookd {

/** Where webhookd reads the current UTC time from.

    Everything that stamps a record or computes a due time (`createdAt`,
    `nextAttemptAt`, Lucca-Timestamp, retry schedules, leases, tolerance checks) asks a
    `clock`, never `std::chrono::system_clock` directly, so tests can run a whole
    retry schedule in virtual time with `manual_clock`.

    @par Thread safety
    Implementations must be safe to call from any thread.
*/
class clock {
public:
  virtual ~clock() = default;
  /// The current UTC time.
  virtual timestamp now() const noexcept = 0;
};

/// The wall clock (`std::chrono::system_clock`), truncated to the millisecond.
class system_clock final : public clock {
public:
  timestamp now() const noexcept override {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  }
};

/// A process-wide `system_clock`, the default wherever a clock is optional.
inline const clock& default_clock() noexcept {
  static const system_clock instance;
  return instance;
}

/** A clock that moves only when told to: virtual time for tests and simulations.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class manual_clock final : public clock {
public:
  explicit manual_clock(timestamp start = timestamp{}) noexcept
      : millis_(start.time_since_epoch().count()) {}

  timestamp now() const noexcept override {
    return timestamp{std::chrono::milliseconds{millis_.load(std::memory_order_acquire)}};
  }
  /// Sets the current time (it may go backwards: clocks do).
  void set(timestamp t) noexcept {
    millis_.store(t.time_since_epoch().count(), std::memory_order_release);
  }
  /// Moves the current time forward by `d`.
  void advance(std::chrono::milliseconds d) noexcept {
    millis_.fetch_add(d.count(), std::memory_order_acq_rel);
  }

private:
  std::atomic<std::int64_t> millis_;
};

} // namespace webhookd

#endif // WEBHOOKD_CORE_CLOCK_HPP
