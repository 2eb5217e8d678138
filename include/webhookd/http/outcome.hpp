// SPDX-License-Identifier: MIT
// The result of one HTTP send: a status or a transport error, and what came with it.
#ifndef WEBHOOKD_HTTP_OUTCOME_HPP
#define WEBHOOKD_HTTP_OUTCOME_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace webhookd::http {

/** What happened to one request: an HTTP answer, or the reason there was none.

    Exactly one of the two holds:
    - `error` is empty: the receiver answered with `status` (100-599, never a 1xx
      interim answer), `body` holds at most the client's body cap of the answer's body
      and `body_truncated` says whether more was sent;
    - `error` is set: no complete answer arrived (DNS failure, refused, reset, timeout,
      TLS failure, malformed answer, blocked address, ...); `status` is 0 and `detail`
      holds a short, human-readable reason suitable for an attempt record
      (SPEC.md Part 1 §7: `timeout after 3000 ms`, `connection refused`,
      `TLS: certificate verify failed (hostname mismatch)`).

    A redirect (3xx) is an answer like any other: it is never followed.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct outcome {
  /// The transport or protocol failure; empty when the receiver answered.
  std::error_code error;
  /// The HTTP status code of the answer, or 0 when `error` is set.
  int status = 0;
  /// A short reason for `error` (empty when there is none).
  std::string detail;
  /// The first bytes of the answer's body, at most the client's body cap.
  std::string body;
  /// True when the answer's body was longer than the cap (the rest was discarded).
  bool body_truncated = false;
  /// The raw `Retry-After` header of the answer, if it had one (see `parse_retry_after`).
  std::optional<std::string> retry_after;
  /// From the start of the send to its completion (connect, TLS, write, answer).
  std::chrono::nanoseconds latency{0};
  /// True when the request went out on a kept-alive connection opened earlier.
  bool reused = false;
  /// True when a new TLS connection resumed an earlier session of the same origin.
  bool tls_resumed = false;

  /// True when the receiver answered (whatever the status).
  bool answered() const noexcept { return !error; }
  /// True when the receiver answered with a 2xx status.
  bool success() const noexcept { return !error && status >= 200 && status < 300; }

  /// The short reason to record for an attempt without an answer: `detail`, or the
  /// error's message when there is no detail; empty when the receiver answered.
  std::string reason() const {
    if (!error) return {};
    return detail.empty() ? error.message() : detail;
  }
};

namespace detail {

inline bool parse_uint(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 12) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
inline std::optional<timestamp> parse_imf_fixdate(std::string_view s) noexcept {
  using namespace std::chrono;
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month_number = 0;
  for (unsigned m = 0; m < 12; ++m)
    if (s.substr(8, 3) == months[m]) month_number = m + 1;
  std::uint64_t d = 0, y = 0, hh = 0, mm = 0, ss = 0;
  if (month_number == 0 || !parse_uint(s.substr(5, 2), d) || !parse_uint(s.substr(12, 4), y) ||
      !parse_uint(s.substr(17, 2), hh) || !parse_uint(s.substr(20, 2), mm) ||
      !parse_uint(s.substr(23, 2), ss) || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  const year_month_day ymd{year{static_cast<int>(y)}, month{month_number},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return timestamp{sys_days{ymd}} + hours{hh} + minutes{mm} + seconds{ss};
}

} // namespace detail

/** Interprets a `Retry-After` header value (RFC 9110 §10.2.3) as a delay from `now`.

    Accepts delta-seconds (`120`) and an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`);
    a date in the past gives a zero delay. The result is not capped here: the retry
    policy applies its own ceiling (SPEC.md Part 1 §4: 24 h).

    @returns the delay, or `std::nullopt` when the value is in neither form.
*/
inline std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                              timestamp now) noexcept {
  value = detail::trim_ows(value);
  std::uint64_t n = 0;
  if (detail::parse_uint(value, n)) return std::chrono::seconds{static_cast<std::int64_t>(n)};
  if (const auto at = detail::parse_imf_fixdate(value)) {
    if (*at <= now) return std::chrono::seconds{0};
    return std::chrono::ceil<std::chrono::seconds>(*at - now);
  }
  return std::nullopt;
}

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_OUTCOME_HPP
