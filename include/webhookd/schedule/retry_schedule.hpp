// SPDX-License-Identifier: MIT
// The retry schedule as data: delays after each failed attempt, jitter, Retry-After floor.
#ifndef WEBHOOKD_SCHEDULE_RETRY_SCHEDULE_HPP
#define WEBHOOKD_SCHEDULE_RETRY_SCHEDULE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhookd::schedule {

/// A delay between two attempts, to the millisecond.
using delay = std::chrono::milliseconds;

/** Why a retry schedule string could not be parsed, naming the bad item.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct retry_schedule_error {
  /// 1-based position of the bad item in the list; 0 when the whole string is wrong.
  std::size_t index = 0;
  /// The bad item as written (trimmed).
  std::string item;
  /// What is wrong with it.
  std::string reason;

  /// A sentence for a command-line error, e.g.
  /// `retry schedule item 3 "30x": unknown unit "x" (expected ms, s, m, h or d)`.
  std::string message() const {
    if (index == 0) return "retry schedule: " + reason;
    return "retry schedule item " + std::to_string(index) + " \"" + item + "\": " + reason;
  }
};

/** When to try again after a failed attempt: a list of delays, with jitter.

    `delays()[n - 1]` is the delay after failed attempt n, so a schedule of k delays
    allows k + 1 attempts; after the last one the delivery is `failed`. Each delay is
    multiplied by a random factor in [1 − jitter, 1 + jitter] so that deliveries that
    failed together do not retry together. A `Retry-After` answer raises the next
    delay to at least its value, capped at `retry_after_cap()` (24 h by default), so a
    receiver cannot park a delivery for ever (SPEC.md Part 1 §4). The schedule never
    extends the number of attempts: Retry-After on the last allowed attempt does not
    buy another one.

    Default (SPEC.md Part 1 §5): 5 min, 30 min, 3 h, 20 h with ±10 % jitter: five
    attempts over about 23.6 hours. Presets: `lucca_old()` (15 retries) and
    `aggressive()` (seconds, for tests and demos); any list through the constructor or
    `parse("1s,5s,30m,3h")`, the form of the host server's `--retry-schedule` flag.

    Randomness is injected: `next_delay` takes any uniform random bit generator, so a
    test that passes a seeded engine (or a fixed one) gets the same schedule every
    run. The overload without a generator uses a per-thread `std::mt19937_64` seeded
    from `std::random_device`.

    @par Example
    @code
    const auto schedule = webhookd::schedule::retry_schedule::parse("1s,5s,30m,3h").value();
    std::mt19937_64 rng(42);
    if (auto d = schedule.next_delay(attempts_made, retry_after, rng))
      next_attempt_at = now + *d;
    else
      status = failed;
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for const members (the generator
    passed to `next_delay` is the caller's to guard).
*/
class retry_schedule {
public:
  /// The default jitter: each delay varies by up to ±10 %.
  static constexpr double default_jitter = 0.10;
  /// The default ceiling of a `Retry-After` floor.
  static constexpr delay default_retry_after_cap = std::chrono::hours{24};
  /// The longest single delay `parse` accepts.
  static constexpr delay max_parsed_delay = std::chrono::days{366};

  /// The default schedule, `lucca()`.
  retry_schedule() : retry_schedule(lucca()) {}

  /** A schedule of the given delays.

      @param delays the delay after failed attempt 1, 2, ...; empty means one attempt
      and no retry.
      @param jitter the relative spread of each delay, in [0, 1).
      @param retry_after_cap the ceiling of a `Retry-After` floor (non-negative).
      @throws std::invalid_argument for a negative delay or cap, or a jitter outside
      [0, 1): a misconfiguration at start-up.
  */
  explicit retry_schedule(std::vector<delay> delays, double jitter = default_jitter,
                          delay retry_after_cap = default_retry_after_cap)
      : delays_(std::move(delays)), jitter_(jitter), retry_after_cap_(retry_after_cap) {
    if (!(jitter_ >= 0.0 && jitter_ < 1.0))
      throw std::invalid_argument("retry schedule: jitter must be in [0, 1)");
    if (retry_after_cap_ < delay::zero())
      throw std::invalid_argument("retry schedule: Retry-After cap must not be negative");
    for (const delay d : delays_)
      if (d < delay::zero()) throw std::invalid_argument("retry schedule: negative delay");
  }

  /// SPEC.md Part 1 §5, the default: 5 min, 30 min, 3 h, 20 h, ±10 % (5 attempts, ~24 h).
  static retry_schedule lucca() {
    using namespace std::chrono;
    return retry_schedule({minutes{5}, minutes{30}, hours{3}, hours{20}});
  }

  /** The earlier Lucca behaviour: 15 retries (16 attempts), ±10 %.

      Lucca documented the count, not the delays. These grow from a minute to a day:
      1 m, 2 m, 5 m, 10 m, 20 m, 30 m, 1 h, 2 h, 3 h, 4 h, 6 h, 8 h, 12 h, 16 h, 24 h,
      77 h 08 m (about 3.2 days) in total.
  */
  static retry_schedule lucca_old() {
    using namespace std::chrono;
    return retry_schedule({minutes{1}, minutes{2}, minutes{5}, minutes{10}, minutes{20},
                           minutes{30}, hours{1}, hours{2}, hours{3}, hours{4}, hours{6},
                           hours{8}, hours{12}, hours{16}, hours{24}});
  }

  /// For tests and demos: 1 s, 2 s, 4 s, 8 s without jitter (5 attempts in 15 s).
  static retry_schedule aggressive() {
    using namespace std::chrono;
    return retry_schedule({seconds{1}, seconds{2}, seconds{4}, seconds{8}}, 0.0);
  }

  /** Parses a comma-separated list of delays, e.g. `"1s,5s,30m,3h"`.

      Each item is one or more `<digits><unit>` pairs (`90s`, `1h30m`), units `ms`,
      `s`, `m` (or `min`), `h`, `d`; blanks around items are ignored. `none` is the
      empty schedule (one attempt, no retry). Each delay must be at most 366 days.
      The result has the given jitter and Retry-After cap.

      @returns the schedule, or an error naming the bad item and what is wrong.
  */
  static result<retry_schedule, retry_schedule_error>
  parse(std::string_view text, double jitter = default_jitter,
        delay retry_after_cap = default_retry_after_cap);

  /// The delays after failed attempts 1, 2, ... .
  const std::vector<delay>& delays() const noexcept { return delays_; }
  /// The relative spread of each delay, in [0, 1).
  double jitter() const noexcept { return jitter_; }
  /// The ceiling of a `Retry-After` floor.
  delay retry_after_cap() const noexcept { return retry_after_cap_; }
  /// How many attempts a delivery gets in all (`delays().size() + 1`).
  std::size_t max_attempts() const noexcept { return delays_.size() + 1; }
  /// The sum of the delays without jitter: from the first attempt to the last.
  delay total() const noexcept {
    delay sum{0};
    for (const delay d : delays_) sum += d;
    return sum;
  }

  /// The delay after failed attempt `attempts_made`, before jitter and floor; zero
  /// for 0 (the first attempt is at once), `std::nullopt` once retries are exhausted.
  std::optional<delay> nominal_delay(std::size_t attempts_made) const noexcept {
    if (attempts_made == 0) return delay::zero();
    if (attempts_made > delays_.size()) return std::nullopt;
    return delays_[attempts_made - 1];
  }

  /** The delay before the next attempt, after `attempts_made` attempts failed.

      @param attempts_made attempts so far (0: none yet, the answer is zero: at once).
      @param retry_after_floor the receiver's `Retry-After`, when the response policy
      honours it for this answer (see `response_policy`); negative counts as zero.
      @param rng a uniform random bit generator for the jitter.

      @returns `std::nullopt` when no attempt is left (the delivery becomes `failed`);
      otherwise `max(nominal × (1 + jitter × u), min(retry_after_floor, cap))` rounded
      to the millisecond, u uniform in [−1, 1].

      @par Postconditions
      A returned delay lies in [nominal × (1 − jitter), nominal × (1 + jitter)], or
      equals the capped floor when that is larger.
  */
  template <class URBG>
    requires std::uniform_random_bit_generator<std::remove_reference_t<URBG>>
  std::optional<delay> next_delay(std::size_t attempts_made,
                                  std::optional<delay> retry_after_floor, URBG&& rng) const {
    const auto nominal = nominal_delay(attempts_made);
    if (!nominal) return std::nullopt;
    delay d = *nominal;
    if (jitter_ > 0.0 && d > delay::zero()) {
      using gen = std::remove_reference_t<URBG>;
      // u in [0, 1] from the generator's raw range: portable, unlike the standard
      // distributions, so seeded tests give the same numbers everywhere.
      const double span = static_cast<double>(gen::max() - gen::min()) + 1.0;
      const double u = static_cast<double>(rng() - gen::min()) / span;
      const double factor = 1.0 + jitter_ * (2.0 * u - 1.0);
      d = delay{static_cast<delay::rep>(std::llround(static_cast<double>(d.count()) * factor))};
    }
    if (retry_after_floor) {
      const delay floor = std::clamp(*retry_after_floor, delay::zero(), retry_after_cap_);
      d = std::max(d, floor);
    }
    return d;
  }

  /// `next_delay` with a per-thread generator seeded from `std::random_device`.
  std::optional<delay> next_delay(std::size_t attempts_made,
                                  std::optional<delay> retry_after_floor = std::nullopt) const {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return next_delay(attempts_made, retry_after_floor, rng);
  }

  /// The delays in `parse`'s form (`"5m,30m,3h,20h"`, `"none"` when empty); jitter and
  /// cap are not part of it.
  std::string to_string() const;

  friend bool operator==(const retry_schedule&, const retry_schedule&) = default;

private:
  std::vector<delay> delays_;
  double jitter_;
  delay retry_after_cap_;
};

// --- implementation ----------------------------------------------------------------

namespace detail {

inline std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses one item ("90s", "1h30m"); on failure returns the reason.
inline std::optional<std::string> parse_delay_item(std::string_view item, delay max, delay& out) {
  using namespace std::chrono;
  static constexpr std::string_view expected = " (expected ms, s, m, h or d)";
  if (item.empty()) return "empty item";
  std::int64_t total = 0; // milliseconds
  while (!item.empty()) {
    std::size_t digits = 0;
    while (digits < item.size() && item[digits] >= '0' && item[digits] <= '9') ++digits;
    if (digits == 0) return "expected a number, found \"" + std::string(item) + "\"";
    if (digits > 12) return "number too large";
    std::int64_t n = 0;
    for (std::size_t i = 0; i < digits; ++i) n = n * 10 + (item[i] - '0');
    item.remove_prefix(digits);
    std::size_t letters = 0;
    while (letters < item.size() && ((item[letters] >= 'a' && item[letters] <= 'z') ||
                                     (item[letters] >= 'A' && item[letters] <= 'Z')))
      ++letters;
    const std::string_view unit = item.substr(0, letters);
    item.remove_prefix(letters);
    std::int64_t scale;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m" || unit == "min") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else if (unit == "d") scale = 86'400'000;
    else if (!unit.empty()) return "unknown unit \"" + std::string(unit) + "\"" + std::string(expected);
    else if (item.empty()) return "missing unit after " + std::to_string(n) + std::string(expected);
    else return "unexpected \"" + std::string(item) + "\" after " + std::to_string(n);
    total += n * scale; // n < 10^12 and scale < 10^8: no overflow before the check
    if (total > max.count())
      return "longer than " + std::to_string(duration_cast<days>(max).count()) + " days";
  }
  out = delay{total};
  return std::nullopt;
}

} // namespace detail

inline result<retry_schedule, retry_schedule_error>
retry_schedule::parse(std::string_view text, double jitter, delay retry_after_cap) {
  text = detail::trim_blanks(text);
  if (text.empty())
    return unexpected(retry_schedule_error{0, "", "empty (use \"none\" for no retries)"});
  if (!(jitter >= 0.0 && jitter < 1.0))
    return unexpected(retry_schedule_error{0, "", "jitter must be in [0, 1)"});
  if (retry_after_cap < delay::zero())
    return unexpected(retry_schedule_error{0, "", "Retry-After cap must not be negative"});
  if (text == "none") return retry_schedule({}, jitter, retry_after_cap);
  std::vector<delay> delays;
  std::size_t index = 0;
  for (;;) {
    ++index;
    const std::size_t comma = text.find(',');
    const std::string_view item = detail::trim_blanks(text.substr(0, comma));
    delay d{};
    if (auto reason = detail::parse_delay_item(item, max_parsed_delay, d))
      return unexpected(retry_schedule_error{index, std::string(item), std::move(*reason)});
    delays.push_back(d);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return retry_schedule(std::move(delays), jitter, retry_after_cap);
}

inline std::string retry_schedule::to_string() const {
  if (delays_.empty()) return "none";
  static constexpr std::pair<std::int64_t, std::string_view> units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  std::string out;
  for (const delay d : delays_) {
    if (!out.empty()) out += ',';
    std::int64_t left = d.count();
    if (left == 0) {
      out += "0s";
      continue;
    }
    for (const auto& [scale, name] : units) {
      if (left >= scale) {
        out += std::to_string(left / scale);
        out += name;
        left %= scale;
      }
    }
  }
  return out;
}

} // namespace webhookd::schedule

#endif // WEBHOOKD_SCHEDULE_RETRY_SCHEDULE_HPP
