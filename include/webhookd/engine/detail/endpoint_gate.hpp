// SPDX-License-Identifier: MIT
// endpoint_gate: per-endpoint admission — adaptive concurrency and a token bucket.
#ifndef WEBHOOKD_ENGINE_DETAIL_ENDPOINT_GATE_HPP
#define WEBHOOKD_ENGINE_DETAIL_ENDPOINT_GATE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/engine/options.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>

namespace webhookd::engine::detail {

/** Decides when the next attempt to one endpoint may start.

    Two independent brakes, both in engine time (`now` is passed in):

    - **Adaptive concurrency** (AIMD, as TCP's congestion window). The limit starts
      at the configured maximum; an answer that says "overloaded" (429, 502, 503,
      504) halves it, down to 1; every `limit` successes in a row add 1 back, up to
      the maximum — one step per "round trip" of the endpoint's window, so recovery
      is gradual and a receiver that just came back is not hit at full rate at once.
    - **Rate limit** (token bucket): `per_second` tokens a second, at most `burst`
      saved; each attempt takes one.

    The store's claim limit (`max_in_flight_per_endpoint`) still bounds how many
    deliveries of the endpoint this process holds; the gate only orders when the
    held ones go out.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class endpoint_gate {
public:
  /// Whether an attempt may start now, and if not, when to ask again.
  struct admission {
    bool admitted = false;
    /// Set when refused by the rate limit: when the next token is there. Unset when
    /// refused by concurrency: ask again when an attempt completes.
    std::optional<timestamp> retry_at;
  };

  endpoint_gate(std::size_t max_concurrency, const rate_limit& rate, bool adaptive,
                timestamp now) noexcept
      : max_(std::max<std::size_t>(1, max_concurrency)), limit_(max_), rate_(rate),
        adaptive_(adaptive), tokens_(bucket_size()), refilled_at_(now) {}

  /// Takes a concurrency slot and a token when both are free.
  admission admit(timestamp now) noexcept {
    if (in_flight_ >= limit_) return {};
    if (rate_.per_second > 0) {
      refill(now);
      if (tokens_ < 1.0) {
        const double wait_ms = (1.0 - tokens_) * 1000.0 / rate_.per_second;
        return {false, now + std::chrono::milliseconds{
                                 static_cast<std::int64_t>(wait_ms) + 1}};
      }
      tokens_ -= 1.0;
    }
    ++in_flight_;
    return {true, std::nullopt};
  }

  /** Gives back the slot of a finished attempt.
      @param answered_ok the attempt got a 2xx answer
      @param overloaded the attempt got 429, 502, 503 or 504 */
  void complete(bool answered_ok, bool overloaded) noexcept {
    WEBHOOKD_ASSERT(in_flight_ > 0);
    --in_flight_;
    if (!adaptive_) return;
    if (overloaded) {
      limit_ = std::max<std::size_t>(1, limit_ / 2);
      successes_ = 0;
      ++throttles_;
    } else if (answered_ok && limit_ < max_) {
      if (++successes_ >= limit_) {
        ++limit_;
        successes_ = 0;
      }
    }
  }

  /// Gives back a slot without judging the endpoint (an attempt that never went out).
  void abandon() noexcept {
    WEBHOOKD_ASSERT(in_flight_ > 0);
    --in_flight_;
  }

  /// The current concurrency limit (1..maximum).
  std::size_t limit() const noexcept { return limit_; }
  /// The configured maximum.
  std::size_t max_concurrency() const noexcept { return max_; }
  /// Attempts admitted and not completed.
  std::size_t in_flight() const noexcept { return in_flight_; }
  /// How many times the limit was halved.
  std::size_t throttles() const noexcept { return throttles_; }

  /// True when forgetting this gate loses nothing: idle, full limit, full bucket.
  bool at_rest(timestamp now) noexcept {
    if (in_flight_ != 0 || limit_ != max_) return false;
    if (rate_.per_second <= 0) return true;
    refill(now);
    return tokens_ >= bucket_size();
  }

private:
  double bucket_size() const noexcept {
    if (rate_.per_second <= 0) return 0;
    return rate_.burst >= 1.0 ? rate_.burst : 1.0;
  }

  void refill(timestamp now) noexcept {
    if (now <= refilled_at_) return;
    const double elapsed_s = std::chrono::duration<double>(now - refilled_at_).count();
    tokens_ = std::min(bucket_size(), tokens_ + elapsed_s * rate_.per_second);
    refilled_at_ = now;
  }

  std::size_t max_;
  std::size_t limit_;
  rate_limit rate_;
  bool adaptive_;
  double tokens_;
  timestamp refilled_at_;
  std::size_t in_flight_ = 0;
  std::size_t successes_ = 0;
  std::size_t throttles_ = 0;
};

/// Whether an answer asks the sender to slow down (429, 502, 503, 504).
inline constexpr bool is_overload_status(int status) noexcept {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

} // namespace webhookd::engine::detail

#endif // WEBHOOKD_ENGINE_DETAIL_ENDPOINT_GATE_HPP
