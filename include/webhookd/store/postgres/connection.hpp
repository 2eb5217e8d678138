// SPDX-License-Identifier: MIT
// One libpq connection, its query results and parameters, with errors as error codes.
#ifndef WEBHOOKD_STORE_POSTGRES_CONNECTION_HPP
#define WEBHOOKD_STORE_POSTGRES_CONNECTION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/store/postgres/error.hpp>

#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace webhookd::store::postgres {

/** The parameters of one statement, sent as text (`$1`, `$2`, ...).

    `add` returns the placeholder of the value it appends, so dynamic SQL is built
    in one pass: `sql += "id > " + p.add(key);`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class params {
public:
  /// Appends a text value (or SQL NULL for nullopt); returns its placeholder.
  std::string add(const std::optional<std::string>& value) { return push(value); }
  std::string add(const std::string& value) { return push(value); }
  std::string add(std::string_view value) { return push(std::string(value)); }
  std::string add(const char* value) { return push(std::string(value)); }
  /// Appends an integer, or a boolean (`t`/`f`).
  std::string add(std::int64_t value) { return push(std::to_string(value)); }
  std::string add(bool value) { return push(std::string(value ? "t" : "f")); }
  /// Appends SQL NULL.
  std::string add_null() { return push(std::nullopt); }

  /// How many values there are.
  std::size_t size() const noexcept { return values_.size(); }

  /// The values as libpq wants them (pointers into this object: keep it alive).
  std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
    return out;
  }

private:
  std::string push(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  std::vector<std::optional<std::string>> values_;
};

/** Builds the text form of a PostgreSQL array (`{"a","b",NULL}`), for `unnest` and
    `= ANY($n)`: a whole batch travels as one parameter per column, so a batch costs
    one statement whatever its size.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class array_builder {
public:
  /// Appends a text element (NULL for nullopt).
  void push(std::optional<std::string_view> value) {
    separate();
    if (!value) {
      text_ += "NULL";
      return;
    }
    text_ += '"';
    for (const char c : *value) {
      // Inside a quoted element only `"` and `\` need a backslash.
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  /// Appends an integer element (NULL for nullopt).
  void push_int(std::optional<std::int64_t> value) {
    separate();
    text_ += value ? std::to_string(*value) : std::string("NULL");
  }
  /// Appends a boolean element.
  void push_bool(bool value) {
    separate();
    text_ += value ? 't' : 'f';
  }

  /// The literal, `{...}`.
  std::string str() const { return "{" + text_ + "}"; }

private:
  void separate() {
    if (!first_) text_ += ',';
    first_ = false;
  }
  std::string text_;
  bool first_ = true;
};

/** The rows of one statement (an owning handle to a `PGresult`).

    Values are read as text; `null` tells SQL NULL apart.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe (read only).
*/
class rows {
public:
  rows() = default;
  explicit rows(PGresult* r) noexcept : result_(r) {}

  /// How many rows.
  int size() const noexcept { return result_ ? PQntuples(result_.get()) : 0; }
  /// Whether there is no row.
  bool empty() const noexcept { return size() == 0; }
  /// Whether the value at (row, column) is NULL.
  bool null(int row, int column) const noexcept {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  /// The text of the value at (row, column) ("" for NULL).
  std::string_view text(int row, int column) const noexcept {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  /// The value as a string.
  std::string str(int row, int column) const { return std::string(text(row, column)); }
  /// The value as a nullable string.
  std::optional<std::string> opt_str(int row, int column) const {
    if (null(row, column)) return std::nullopt;
    return str(row, column);
  }
  /// The value as an integer (0 for NULL).
  std::int64_t integer(int row, int column) const noexcept {
    const auto t = text(row, column);
    std::int64_t v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
  }
  /// The value as a nullable integer.
  std::optional<std::int64_t> opt_integer(int row, int column) const noexcept {
    if (null(row, column)) return std::nullopt;
    return integer(row, column);
  }
  /// The value as a boolean (`t`).
  bool boolean(int row, int column) const noexcept { return text(row, column) == "t"; }
  /// How many rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const noexcept {
    const char* n = PQcmdTuples(result_.get());
    return n && *n ? std::strtoll(n, nullptr, 10) : 0;
  }

private:
  friend class connection;
  struct clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, clear> result_;
};

/** One connection to the server, made from a libpq connection string.

    A statement that fails returns an error code of `postgres_category()` holding its
    SQLSTATE; a connection that broke returns SQLSTATE 08006 whatever the server said
    (if anything), so that callers can tell "retry elsewhere" from "your request is
    wrong" (`is_connection_error`). `reset` reconnects with the same parameters.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class connection {
public:
  /// Connects (blocking). Check `ok()`; a broken connection can be `reset`.
  explicit connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    configure();
  }

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Whether the connection is usable.
  bool ok() const noexcept { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

  /// Reconnects with the parameters it was made with (blocking). @returns `ok()`.
  bool reset() {
    if (!conn_) return false;
    PQreset(conn_.get());
    configure();
    return ok();
  }

  /// Whether a transaction is open (or failed and not yet rolled back).
  bool in_transaction() const noexcept {
    const auto s = PQtransactionStatus(conn_.get());
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
  }

  /// The server's process id (for `pg_terminate_backend` in tests).
  int backend_pid() const noexcept { return PQbackendPID(conn_.get()); }

  /// The last error message of this connection (for diagnostics).
  const std::string& last_error() const noexcept { return last_error_; }

  /// Runs one statement with text parameters. @returns its rows, or the SQLSTATE.
  result<rows> exec(const std::string& sql, const params& p = {}) {
    if (!ok()) return broken();
    const auto values = p.pointers();
    rows r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0));
    return check(std::move(r));
  }

  /// Runs SQL without parameters, possibly several statements (DDL, BEGIN, COMMIT).
  result<rows> exec_simple(const std::string& sql) {
    if (!ok()) return broken();
    return check(rows(PQexec(conn_.get(), sql.c_str())));
  }

private:
  struct finish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };

  // The server's notices (e.g. "relation already exists, skipping") are not errors:
  // libpq would print them on stderr.
  static void ignore_notice(void*, const char*) {}

  void configure() {
    if (ok()) PQsetNoticeProcessor(conn_.get(), &connection::ignore_notice, nullptr);
    else if (conn_) last_error_ = PQerrorMessage(conn_.get());
  }

  unexpected<std::error_code> broken() {
    if (conn_) last_error_ = PQerrorMessage(conn_.get());
    return unexpected(sqlstate_code(sqlstate::connection_failure));
  }

  result<rows> check(rows r) {
    PGresult* raw = r.result_.get();
    const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
    last_error_ = raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get());
    if (!ok()) return unexpected(sqlstate_code(sqlstate::connection_failure));
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    return unexpected(state ? sqlstate_code(state) : sqlstate_code(sqlstate::connection_failure));
  }

  std::unique_ptr<PGconn, finish> conn_;
  std::string last_error_;
};

} // namespace webhookd::store::postgres

#endif // WEBHOOKD_STORE_POSTGRES_CONNECTION_HPP
