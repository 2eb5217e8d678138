// SPDX-License-Identifier: MIT
// The response policy as data: what an attempt's status or transport error means.
#ifndef WEBHOOKD_SCHEDULE_RESPONSE_POLICY_HPP
#define WEBHOOKD_SCHEDULE_RESPONSE_POLICY_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/http/outcome.hpp>
#include <webhookd/schedule/retry_schedule.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhookd::schedule {

/// What an attempt's outcome means for its delivery (and endpoint).
enum class response_action {
  /// The receiver took the event: the delivery is `delivered`.
  delivered,
  /// Try again later, following the retry schedule (`failed` once it is exhausted).
  retry,
  /// Do not try again: the delivery is `failed`.
  failed,
  /// Do not try again, and suspend the endpoint at once (404, 410: it is gone).
  failed_and_suspend,
};

/// The action's name, as in configuration and logs: `delivered`, `retry`, `failed`,
/// `failed_and_suspend`.
inline constexpr std::string_view to_string(response_action a) noexcept {
  switch (a) {
  case response_action::delivered: return "delivered";
  case response_action::retry: return "retry";
  case response_action::failed: return "failed";
  case response_action::failed_and_suspend: return "failed_and_suspend";
  }
  return "unknown";
}

/** One row of a response policy: statuses `first`..`last` (inclusive) mean `action`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct status_rule {
  /// The lowest status of the range (100-599).
  int first = 0;
  /// The highest status of the range, `first` for a single status.
  int last = 0;
  /// What an answer in the range means.
  response_action action = response_action::retry;
  /// Whether a `Retry-After` header on such an answer is a floor for the next delay.
  bool honour_retry_after = false;

  /// True when `status` is in the range.
  constexpr bool matches(int status) const noexcept { return status >= first && status <= last; }

  friend bool operator==(const status_rule&, const status_rule&) = default;
};

/** How the policy reads one attempt's outcome.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct response_decision {
  /// What to do with the delivery.
  response_action action = response_action::retry;
  /// The receiver's `Retry-After` as a delay from the answer, when the matching rule
  /// honours it and the header is valid (seconds or an HTTP date); not yet capped:
  /// `retry_schedule::next_delay` applies the cap.
  std::optional<std::chrono::seconds> retry_after;

  friend bool operator==(const response_decision&, const response_decision&) = default;
};

/** The status-code table as data: ranges of statuses, each with an action.

    Rules are tried in order and the first match wins, so a host can put exceptions
    before broad ranges (`{404, 404, failed_and_suspend}` before `{400, 499, retry}`).
    A status that no rule matches gets `otherwise()`; an attempt without an answer
    (DNS, refused, reset, TLS, timeout, malformed answer) gets `on_transport_error()`.

    Default, `lucca()` (SPEC.md Part 1 §4, the NEW table of Part 2 §7.4): 2xx
    delivered; 404 and 410 failed and the endpoint suspended; everything else (1xx,
    3xx, since redirects are never followed, other 4xx, 5xx) and every transport error
    retried; `Retry-After` honoured on 429 and 503. The OLD table is `lucca_old()`.

    @par Example
    @code
    const webhookd::schedule::response_policy policy; // lucca()
    const auto decision = policy.classify(outcome, clock.now());
    if (decision.action == response_action::retry)
      delay = schedule.next_delay(attempts, decision.retry_after);
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for const members.
*/
class response_policy {
public:
  /// The default policy, `lucca()`.
  response_policy() : response_policy(lucca()) {}

  /** A policy of the given rules.

      @param rules tried in order, the first match wins.
      @param otherwise the action for a status that no rule matches.
      @param on_transport_error the action when there was no answer.
      @throws std::invalid_argument when a rule's range is empty or leaves 100-599:
      a misconfiguration at start-up.
  */
  explicit response_policy(std::vector<status_rule> rules,
                           response_action otherwise = response_action::retry,
                           response_action on_transport_error = response_action::retry)
      : rules_(std::move(rules)), otherwise_(otherwise), on_transport_error_(on_transport_error) {
    for (const status_rule& r : rules_)
      if (r.first < 100 || r.last > 599 || r.first > r.last)
        throw std::invalid_argument("response policy: a status range must lie in 100-599");
  }

  /// SPEC.md Part 1 §4: 2xx delivered; 404, 410 failed and suspend; all else retry,
  /// with `Retry-After` on 429 and 503.
  static response_policy lucca() {
    using enum response_action;
    return response_policy({{200, 299, delivered, false},
                            {404, 404, failed_and_suspend, false},
                            {410, 410, failed_and_suspend, false},
                            {429, 429, retry, true},
                            {503, 503, retry, true}},
                           retry, retry);
  }

  /** Lucca's earlier table (SPEC.md Part 2 §7.4, OLD).

      200, 201, 202 delivered; 400, 401, 404 failed without retry (the OLD table
      suspends nothing); 429 and 503 retried, honouring `Retry-After`; other 5xx
      failed. The OLD table says nothing of the rest (other 2xx, 1xx, 3xx, other 4xx)
      nor of transport errors: they are retried, as in the default policy.
  */
  static response_policy lucca_old() {
    using enum response_action;
    return response_policy({{200, 202, delivered, false},
                            {400, 401, failed, false},
                            {404, 404, failed, false},
                            {429, 429, retry, true},
                            {503, 503, retry, true},
                            {500, 599, failed, false}},
                           retry, retry);
  }

  /// The rule that decides `status`, or `nullptr` when `otherwise()` does.
  const status_rule* rule_for(int status) const noexcept {
    for (const status_rule& r : rules_)
      if (r.matches(status)) return &r;
    return nullptr;
  }

  /// The action for an answer with `status`.
  response_action classify(int status) const noexcept {
    const status_rule* r = rule_for(status);
    return r != nullptr ? r->action : otherwise_;
  }

  /** The decision for one attempt's outcome.

      Without an answer (`o.error` set): `on_transport_error()`. With one: the action
      of the first matching rule, and the `Retry-After` delay if that rule honours it
      and the header parses (`http::parse_retry_after`, against `now`); a header on
      any other answer is ignored.
  */
  response_decision classify(const http::outcome& o, timestamp now) const {
    if (o.error) return {on_transport_error_, std::nullopt};
    const status_rule* r = rule_for(o.status);
    if (r == nullptr) return {otherwise_, std::nullopt};
    response_decision d{r->action, std::nullopt};
    if (r->honour_retry_after && o.retry_after)
      d.retry_after = http::parse_retry_after(*o.retry_after, now);
    return d;
  }

  /// The rules, in the order they are tried.
  const std::vector<status_rule>& rules() const noexcept { return rules_; }
  /// The action for a status that no rule matches.
  response_action otherwise() const noexcept { return otherwise_; }
  /// The action when the attempt got no answer.
  response_action on_transport_error() const noexcept { return on_transport_error_; }

  friend bool operator==(const response_policy&, const response_policy&) = default;

private:
  std::vector<status_rule> rules_;
  response_action otherwise_;
  response_action on_transport_error_;
};

/** What happens after one attempt, policy and schedule together.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct attempt_plan {
  /// `delivered`, `retry` (with `next_attempt_at`), `failed` or `failed_and_suspend`;
  /// a retry that the schedule no longer allows is `failed`.
  response_action action = response_action::failed;
  /// When to try again; set exactly when `action` is `retry`.
  std::optional<timestamp> next_attempt_at;
};

/** Decides what follows an attempt: the policy's action, then the schedule's delay.

    @param attempts_made attempts made so far, this one included (at least 1).
    @param now when the attempt completed: the base of the next delay and of an HTTP
    date in `Retry-After`.
    @param rng the jitter's uniform random bit generator.
*/
template <class URBG>
  requires std::uniform_random_bit_generator<std::remove_reference_t<URBG>>
attempt_plan plan_after_attempt(const response_policy& policy, const retry_schedule& schedule,
                                const http::outcome& o, std::size_t attempts_made,
                                timestamp now, URBG&& rng) {
  WEBHOOKD_ASSERT(attempts_made >= 1);
  const response_decision d = policy.classify(o, now);
  if (d.action != response_action::retry) return {d.action, std::nullopt};
  std::optional<delay> floor;
  if (d.retry_after) floor = std::chrono::duration_cast<delay>(*d.retry_after);
  const auto wait = schedule.next_delay(attempts_made, floor, rng);
  if (!wait) return {response_action::failed, std::nullopt};
  return {response_action::retry, now + *wait};
}

} // namespace webhookd::schedule

#endif // WEBHOOKD_SCHEDULE_RESPONSE_POLICY_HPP
