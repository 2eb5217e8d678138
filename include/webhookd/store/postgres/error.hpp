// SPDX-License-Identifier: MIT
// PostgreSQL errors as std::error_codes: the SQLSTATE packed into the code's value.
#ifndef WEBHOOKD_STORE_POSTGRES_ERROR_HPP
#define WEBHOOKD_STORE_POSTGRES_ERROR_HPP

#include <webhookd/detail/config.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace webhookd::store::postgres {

/** SQLSTATEs that postgres_store acts on (PostgreSQL manual, Appendix A).

    Any SQLSTATE can be an error code of `postgres_category()`: the five characters
    are packed base 36 into the value (`sqlstate_code`), so nothing the server says is
    lost, and the message names the SQLSTATE back.
*/
namespace sqlstate {
inline constexpr std::string_view unique_violation = "23505";
inline constexpr std::string_view serialization_failure = "40001";
inline constexpr std::string_view deadlock_detected = "40P01";
inline constexpr std::string_view connection_failure = "08006";
inline constexpr std::string_view admin_shutdown = "57P01";
} // namespace sqlstate

namespace detail {

inline int digit36(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  return 0;
}

class postgres_error_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "webhookd.postgres"; }

  std::string message(int ev) const override {
    std::string state(5, '0');
    for (int i = 4; i >= 0; --i) {
      const int d = ev % 36;
      ev /= 36;
      state[static_cast<std::size_t>(i)] = static_cast<char>(d < 10 ? '0' + d : 'A' + d - 10);
    }
    if (state.starts_with("08")) return "PostgreSQL connection failure (SQLSTATE " + state + ")";
    return "PostgreSQL error, SQLSTATE " + state;
  }
};

} // namespace detail

/// The category of PostgreSQL errors; its `name()` is `"webhookd.postgres"`.
inline const std::error_category& postgres_category() noexcept {
  static const detail::postgres_error_category category;
  return category;
}

/// The error code of a five-character SQLSTATE (a malformed one reads as `"00000"`).
inline std::error_code sqlstate_code(std::string_view state) noexcept {
  int v = 0;
  for (std::size_t i = 0; i < 5; ++i) v = v * 36 + (i < state.size() ? detail::digit36(state[i]) : 0);
  return {v, postgres_category()};
}

/// Whether `ec` is the PostgreSQL error `state`.
inline bool is_sqlstate(const std::error_code& ec, std::string_view state) noexcept {
  return ec == sqlstate_code(state);
}

/// Whether `ec` says the connection is gone (SQLSTATE class 08, or the backend was
/// terminated): the call may be retried on a fresh connection.
inline bool is_connection_error(const std::error_code& ec) noexcept {
  if (ec.category() != postgres_category()) return false;
  const int class_08_low = sqlstate_code("08000").value();
  const int class_08_high = sqlstate_code("08ZZZ").value();
  return (ec.value() >= class_08_low && ec.value() <= class_08_high) ||
         is_sqlstate(ec, sqlstate::admin_shutdown) || is_sqlstate(ec, "57P02") ||
         is_sqlstate(ec, "57P03");
}

} // namespace webhookd::store::postgres

#endif // WEBHOOKD_STORE_POSTGRES_ERROR_HPP
