// SPDX-License-Identifier: MIT
// connection: one SQLite database connection with its cache of prepared statements.
#ifndef WEBHOOKD_STORE_SQLITE_CONNECTION_HPP
#define WEBHOOKD_STORE_SQLITE_CONNECTION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/store/sqlite/error.hpp>
#include <webhookd/store/sqlite/statement.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace webhookd::store::sqlite {

/** One SQLite connection, closed on destruction, with its prepared statements.

    Connections are opened in SQLite's multi-thread mode (`SQLITE_OPEN_NOMUTEX`): a
    connection takes no lock of its own, and the owner guarantees that one thread
    uses it at a time (the store's writer, or a read lease from the pool). Extended
    result codes are on, so errors say e.g. `SQLITE_IOERR_FSYNC` rather than
    `SQLITE_IOERR`.

    `prepare(sql)` compiles a statement the first time the text is seen and returns
    the same one afterwards: the hot paths (claim, record, enqueue) never re-parse
    SQL. The cache is keyed by the text, so a statement assembled at run time (a
    listing's filter) is cached once per shape.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class connection {
public:
  connection() = default;
  connection(connection&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}
  connection& operator=(connection&& other) noexcept {
    if (this != &other) {
      close();
      db_ = std::exchange(other.db_, nullptr);
      cache_ = std::move(other.cache_);
    }
    return *this;
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { close(); }

  /** Opens (or, with `SQLITE_OPEN_CREATE` in `flags`, creates) the database at `path`.

      Opening reads nothing yet: a file that is not a database is detected by the
      first statement (`SQLITE_NOTADB`).
      @returns the connection, or the SQLite error (`SQLITE_CANTOPEN`, ...).
  */
  static result<connection> open(const std::string& path, int flags,
                                 std::chrono::milliseconds busy_timeout) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    connection c;
    c.db_ = db; // closed by c on every path, even when the open failed
    if (rc != SQLITE_OK) return unexpected(make_sqlite_error(db ? sqlite3_extended_errcode(db) : rc));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    return c;
  }

  sqlite3* get() const noexcept { return db_; }

  /// Runs one or more statements that take no parameters (schema, pragmas).
  std::error_code exec(const char* sql) noexcept {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? std::error_code{} : make_sqlite_error(rc);
  }

  /** The prepared statement for `sql`, compiled on first use.

      The statement stays owned by the connection; wrap each use in a
      `statement_use` so it is reset afterwards.
  */
  result<statement*> prepare(std::string_view sql) {
    if (const auto it = cache_.find(sql); it != cache_.end()) return &it->second;
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return unexpected(make_sqlite_error(rc));
    auto [it, inserted] = cache_.emplace(std::string(sql), statement(raw));
    WEBHOOKD_ASSERT(inserted);
    return &it->second;
  }

  /// A single integer from a one-row query (`PRAGMA user_version`, `count(*)`).
  result<std::int64_t> query_int(std::string_view sql) {
    auto s = prepare(sql);
    if (!s) return unexpected(s.error());
    statement_use use(**s);
    const auto r = use->step();
    if (r.error) return unexpected(r.error);
    return r.row ? use->int64(0) : 0;
  }

  /// Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }

  /// Whether a transaction is open (false in autocommit mode).
  bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

  /// Drops every cached statement (before a schema change, say).
  void clear_cache() noexcept { cache_.clear(); }

private:
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  void close() noexcept {
    cache_.clear(); // statements first: sqlite3_close refuses a connection with live ones
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, statement, text_hash, std::equal_to<>> cache_;
};

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_CONNECTION_HPP
