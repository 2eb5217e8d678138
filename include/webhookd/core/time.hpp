// SPDX-License-Identifier: MIT
// RFC 3339 UTC timestamps: the millisecond form of resources and the whole-second
// form of the Lucca-Timestamp header, formatting and parsing.
#ifndef WEBHOOKD_CORE_TIME_HPP
#define WEBHOOKD_CORE_TIME_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace webhookd {

/// A UTC instant with millisecond resolution, the precision of every resource timestamp.
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/// A calendar date (`YYYY-MM-DD`), e.g. an API version.
using date = std::chrono::sys_days;

/// Length of the whole-second form `YYYY-MM-DDTHH:MM:SSZ`.
inline constexpr std::size_t rfc3339_seconds_length = 20;
/// Length of the millisecond form `YYYY-MM-DDTHH:MM:SS.mmmZ`.
inline constexpr std::size_t rfc3339_millis_length = 24;

namespace detail {

inline char* write_digits(char* out, unsigned value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

// Writes "YYYY-MM-DDTHH:MM:SS" (19 chars) for the second containing `t`.
inline char* write_date_time(char* out, timestamp t) noexcept {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{t - day};
  out = write_digits(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  *out++ = '-';
  out = write_digits(out, static_cast<unsigned>(ymd.month()), 2);
  *out++ = '-';
  out = write_digits(out, static_cast<unsigned>(ymd.day()), 2);
  *out++ = 'T';
  out = write_digits(out, static_cast<unsigned>(hms.hours().count()), 2);
  *out++ = ':';
  out = write_digits(out, static_cast<unsigned>(hms.minutes().count()), 2);
  *out++ = ':';
  return write_digits(out, static_cast<unsigned>(hms.seconds().count()), 2);
}

inline bool in_supported_range(timestamp t) noexcept {
  using namespace std::chrono;
  const auto y = year_month_day{floor<days>(t)}.year();
  return y >= year{0} && y <= year{9999};
}

} // namespace detail

/** Writes `t` as `YYYY-MM-DDTHH:MM:SSZ` (the Lucca-Timestamp form) into `out`.

    Sub-second digits are truncated. Does not allocate; the delivery path calls it
    once per attempt.

    @par Preconditions
    `t` lies in the years 0000 to 9999.
    @returns a pointer one past the last character written (`out + 20`).
*/
inline char* write_rfc3339_seconds(char* out, timestamp t) noexcept {
  WEBHOOKD_ASSERT(detail::in_supported_range(t));
  out = detail::write_date_time(out, t);
  *out++ = 'Z';
  return out;
}

/// `t` as `YYYY-MM-DDTHH:MM:SSZ`, e.g. `2025-01-01T08:34:23Z` (SPEC.md Part 1 §1).
inline std::string format_rfc3339_seconds(timestamp t) {
  std::string s(rfc3339_seconds_length, '\0');
  write_rfc3339_seconds(s.data(), t);
  return s;
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, e.g. `2023-04-23T09:23:54.001Z`, the form of
/// every timestamp field of the resources.
inline std::string format_rfc3339(timestamp t) {
  WEBHOOKD_ASSERT(detail::in_supported_range(t));
  using namespace std::chrono;
  std::string s(rfc3339_millis_length, '\0');
  char* out = detail::write_date_time(s.data(), t);
  const auto ms = (t - floor<seconds>(t)).count();
  *out++ = '.';
  out = detail::write_digits(out, static_cast<unsigned>(ms), 3);
  *out = 'Z';
  return s;
}

/// `d` as `YYYY-MM-DD`.
inline std::string format_date(date d) {
  char buffer[19]; // date and time are written together; keep the date
  detail::write_date_time(buffer, timestamp{d});
  return std::string(buffer, 10);
}

namespace detail {

struct cursor {
  std::string_view s;
  std::size_t i = 0;

  bool digits(int n, unsigned& value) noexcept {
    if (s.size() - i < static_cast<std::size_t>(n)) return false;
    value = 0;
    for (int k = 0; k < n; ++k) {
      const char c = s[i + static_cast<std::size_t>(k)];
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    i += static_cast<std::size_t>(n);
    return true;
  }
  bool literal(char c) noexcept {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool done() const noexcept { return i == s.size(); }
};

inline bool parse_ymd(cursor& c, std::chrono::sys_days& out) noexcept {
  using namespace std::chrono;
  unsigned y = 0, m = 0, d = 0;
  if (!c.digits(4, y) || !c.literal('-') || !c.digits(2, m) || !c.literal('-') ||
      !c.digits(2, d))
    return false;
  const year_month_day ymd{year{static_cast<int>(y)}, month{m}, day{d}};
  if (!ymd.ok()) return false; // e.g. 2023-02-30
  out = sys_days{ymd};
  return true;
}

} // namespace detail

/** Parses an RFC 3339 date-time into a UTC instant.

    Accepts `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds of any length (kept to
    the millisecond, extra digits truncated), then `Z` or a `+HH:MM`/`-HH:MM` offset,
    which is applied. `T` and `Z` may be lower case (RFC 3339 §5.6). Leap seconds
    (`:60`) are rejected: no clock webhookd reads can produce them.

    @returns the instant, or `errc::invalid_timestamp`.
*/
inline result<timestamp> parse_rfc3339(std::string_view text) noexcept {
  using namespace std::chrono;
  const auto fail = unexpected(make_error_code(errc::invalid_timestamp));
  detail::cursor c{text};
  sys_days day;
  if (!detail::parse_ymd(c, day)) return fail;
  if (!(c.literal('T') || c.literal('t'))) return fail;
  unsigned hh = 0, mm = 0, ss = 0;
  if (!c.digits(2, hh) || !c.literal(':') || !c.digits(2, mm) || !c.literal(':') ||
      !c.digits(2, ss))
    return fail;
  if (hh > 23 || mm > 59 || ss > 59) return fail;
  unsigned millis = 0;
  if (c.literal('.')) {
    int n = 0;
    while (c.i < text.size() && text[c.i] >= '0' && text[c.i] <= '9') {
      if (n < 3) millis = millis * 10 + static_cast<unsigned>(text[c.i] - '0');
      ++n;
      ++c.i;
    }
    if (n == 0) return fail;
    for (int k = n; k < 3; ++k) millis *= 10;
  }
  minutes offset{0};
  if (c.literal('Z') || c.literal('z')) {
  } else if (c.i < text.size() && (text[c.i] == '+' || text[c.i] == '-')) {
    const bool negative = text[c.i] == '-';
    ++c.i;
    unsigned oh = 0, om = 0;
    if (!c.digits(2, oh) || !c.literal(':') || !c.digits(2, om) || oh > 23 || om > 59)
      return fail;
    offset = hours{oh} + minutes{om};
    if (negative) offset = -offset;
  } else {
    return fail;
  }
  if (!c.done()) return fail;
  return timestamp{day} + hours{hh} + minutes{mm} + seconds{ss} + milliseconds{millis} -
         offset;
}

/// Parses a calendar date `YYYY-MM-DD` (nothing before or after it).
inline result<date> parse_date(std::string_view text) noexcept {
  detail::cursor c{text};
  date d;
  if (!detail::parse_ymd(c, d) || !c.done())
    return unexpected(make_error_code(errc::invalid_timestamp));
  return d;
}

} // namespace webhookd

#endif // WEBHOOKD_CORE_TIME_HPP
