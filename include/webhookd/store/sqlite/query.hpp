// SPDX-License-Identifier: MIT
// execute / for_each_row: one cached statement run with its parameters, in one call.
#ifndef WEBHOOKD_STORE_SQLITE_QUERY_HPP
#define WEBHOOKD_STORE_SQLITE_QUERY_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/store/sqlite/connection.hpp>
#include <webhookd/store/sqlite/statement.hpp>

#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace webhookd::store::sqlite {

/** Runs `sql` (prepared once per connection) with `args` bound to ?1, ?2, ...

    Text arguments are bound without a copy: they live until the call returns, and
    the statement is reset (its bindings cleared) before that.

    @returns the SQLite error, or an empty code; rows, if any, are skipped.
*/
template <class... Args>
std::error_code execute(connection& c, std::string_view sql, const Args&... args) {
  auto s = c.prepare(sql);
  if (!s) return s.error();
  statement_use use(**s);
  use->bind_all_borrowed(args...); // args outlive the use
  return use->exec();
}

/** Runs `sql` with `args` and calls `on_row(statement&)` for each row.

    `on_row` may return `bool`: false stops early. Other statements of the same
    connection may run inside `on_row`; this one is reset when the call returns.
    @returns the SQLite error, or an empty code.
*/
template <class OnRow, class... Args>
std::error_code for_each_row(connection& c, std::string_view sql, OnRow&& on_row,
                             const Args&... args) {
  auto s = c.prepare(sql);
  if (!s) return s.error();
  statement_use use(**s);
  use->bind_all_borrowed(args...); // args outlive the use
  for (;;) {
    const auto r = use->step();
    if (r.error) return r.error;
    if (!r.row) return {};
    if constexpr (std::is_same_v<std::invoke_result_t<OnRow&, statement&>, bool>) {
      if (!on_row(*use)) return {};
    } else {
      on_row(*use);
    }
  }
}

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_QUERY_HPP
