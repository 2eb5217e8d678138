// SPDX-License-Identifier: MIT
// statement: a prepared SQLite statement with typed binding, stepping and column reads.
#ifndef WEBHOOKD_STORE_SQLITE_STATEMENT_HPP
#define WEBHOOKD_STORE_SQLITE_STATEMENT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/store/sqlite/error.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace webhookd::store::sqlite {

/// What one `statement::step` gave: a row, the end, or an error.
struct step_result {
  bool row = false;       ///< a row is ready to be read
  std::error_code error;  ///< set on failure (then `row` is false)
};

/** A prepared statement, owned (finalized on destruction).

    Parameters are bound by 1-based index, columns read by 0-based index, as in the C
    API. Text is bound with `SQLITE_TRANSIENT` so that temporaries may be passed
    (`bind_all_borrowed` binds it without a copy, for the store's hot paths);
    timestamps are bound and read as INTEGER milliseconds since the Unix epoch, and
    an empty optional is NULL. Binding errors (index out of range, out of memory) are
    kept and reported by the next `step`, so a run of binds needs no checks.

    A statement is prepared once per connection and reused (`connection::prepare`);
    `reset()` clears the bindings and rewinds it, and `statement_use` does that at the
    end of every use, so a cached statement never holds a read snapshot open.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (a statement belongs to the
    connection that prepared it, which one thread uses at a time).
*/
class statement {
public:
  statement() = default;
  /// Takes ownership of a statement from `sqlite3_prepare_v3`.
  explicit statement(sqlite3_stmt* s) noexcept : stmt_(s) {}
  statement(statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(other.bind_error_) {}
  statement& operator=(statement&& other) noexcept {
    if (this != &other) {
      if (stmt_) sqlite3_finalize(stmt_);
      stmt_ = std::exchange(other.stmt_, nullptr);
      bind_error_ = other.bind_error_;
    }
    return *this;
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() {
    if (stmt_) sqlite3_finalize(stmt_);
  }

  sqlite3_stmt* get() const noexcept { return stmt_; }

  // --- binding ----------------------------------------------------------------------

  statement& bind(int i, std::string_view text) {
    check(sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  statement& bind(int i, const std::string& text) { return bind(i, std::string_view(text)); }
  statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  /// Integers (and `bool`, as 0 or 1) bind as INTEGER.
  template <class T>
    requires std::is_integral_v<T>
  statement& bind(int i, T v) {
    check(sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v)));
    return *this;
  }
  statement& bind(int i, timestamp t) { return bind(i, millis(t)); }
  statement& bind_null(int i) {
    check(sqlite3_bind_null(stmt_, i));
    return *this;
  }
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /// Binds `args` to parameters 1, 2, ... in order.
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    (void)i; // unused when there is nothing to bind
    return *this;
  }

  /** Binds `args` to parameters 1, 2, ... in order, text without copying it.

      SQLite then reads the caller's bytes when the statement runs, so `args` must
      outlive every `step` until the next `reset` (which clears the bindings): a
      `statement_use` scope that binds and runs, as in `execute`, keeps that. It
      saves a copy (an allocation, a memcpy and a free) per text parameter, which
      the writer pays for every id and resource it stores.
  */
  template <class... Args>
  statement& bind_all_borrowed(const Args&... args) {
    int i = 0;
    (bind_borrowed(++i, args), ...);
    (void)i;
    return *this;
  }

  // --- stepping ---------------------------------------------------------------------

  /// Advances to the next row; reports an earlier binding error instead of running.
  step_result step() noexcept {
    if (bind_error_ != SQLITE_OK) return {false, make_sqlite_error(bind_error_)};
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return {true, {}};
    if (rc == SQLITE_DONE) return {false, {}};
    return {false, make_sqlite_error(rc)};
  }

  /// Runs a statement that returns no rows (or whose rows are not wanted).
  std::error_code exec() noexcept {
    for (;;) {
      const auto r = step();
      if (r.error) return r.error;
      if (!r.row) return {};
    }
  }

  /// Rewinds the statement and clears its bindings (it stays prepared).
  void reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_error_ = SQLITE_OK;
  }

  // --- columns ----------------------------------------------------------------------

  bool is_null(int c) const noexcept { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t int64(int c) const noexcept { return sqlite3_column_int64(stmt_, c); }
  int int32(int c) const noexcept { return sqlite3_column_int(stmt_, c); }
  bool boolean(int c) const noexcept { return sqlite3_column_int64(stmt_, c) != 0; }
  std::string_view text(int c) const noexcept {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    const int n = sqlite3_column_bytes(stmt_, c);
    return p ? std::string_view(p, static_cast<std::size_t>(n)) : std::string_view{};
  }
  std::string string(int c) const { return std::string(text(c)); }
  std::optional<std::string> optional_string(int c) const {
    if (is_null(c)) return std::nullopt;
    return string(c);
  }
  timestamp time(int c) const noexcept { return from_millis(int64(c)); }
  std::optional<timestamp> optional_time(int c) const noexcept {
    if (is_null(c)) return std::nullopt;
    return time(c);
  }

  /// Milliseconds since the Unix epoch, the storage form of every timestamp.
  static std::int64_t millis(timestamp t) noexcept {
    return static_cast<std::int64_t>(t.time_since_epoch().count());
  }
  static timestamp from_millis(std::int64_t ms) noexcept {
    return timestamp{std::chrono::milliseconds{ms}};
  }

private:
  template <class T>
  static constexpr bool is_text = std::is_convertible_v<const T&, std::string_view>;

  template <class T>
  void bind_borrowed(int i, const T& v) {
    if constexpr (is_text<T>) {
      const std::string_view text(v);
      check(sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    } else {
      bind(i, v);
    }
  }
  template <class T>
  void bind_borrowed(int i, const std::optional<T>& v) {
    if constexpr (is_text<T>) {
      if (v) {
        bind_borrowed(i, *v);
      } else {
        bind_null(i);
      }
    } else {
      bind(i, v);
    }
  }

  void check(int rc) noexcept {
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  }

  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = SQLITE_OK;
};

/** Rewinds a cached statement when a use of it ends, whatever path leaves the scope.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class statement_use {
public:
  explicit statement_use(statement& s) noexcept : s_(&s) {}
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;
  ~statement_use() { s_->reset(); }
  statement& operator*() const noexcept { return *s_; }
  statement* operator->() const noexcept { return s_; }

private:
  statement* s_;
};

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_STATEMENT_HPP
