// SPDX-License-Identifier: MIT
// SQLite result codes as std::error_code: the category of sqlite_store's failures.
#ifndef WEBHOOKD_STORE_SQLITE_ERROR_HPP
#define WEBHOOKD_STORE_SQLITE_ERROR_HPP

#include <webhookd/detail/config.hpp>

#include <sqlite3.h>

#include <exception>
#include <new>
#include <string>
#include <system_error>

namespace webhookd::store::sqlite {

namespace detail {

class error_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "webhookd.sqlite"; }

  // sqlite3_errstr knows every primary and extended code and is thread-safe; it
  // never returns null (unknown codes read "unknown error").
  std::string message(int ev) const override { return sqlite3_errstr(ev); }

  // Lets callers test a code against the portable conditions they know, e.g.
  // `ec == std::errc::device_or_resource_busy` for a database locked by another process.
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (ev & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return std::errc::device_or_resource_busy;
    case SQLITE_NOMEM: return std::errc::not_enough_memory;
    case SQLITE_READONLY:
    case SQLITE_PERM: return std::errc::permission_denied;
    case SQLITE_FULL: return std::errc::no_space_on_device;
    case SQLITE_IOERR: return std::errc::io_error;
    case SQLITE_CANTOPEN: return std::errc::no_such_file_or_directory;
    default: return {ev, *this};
    }
  }
};

} // namespace detail

/// The category of SQLite result codes; its `name()` is `"webhookd.sqlite"`, the value
/// is SQLite's (extended) result code and the message SQLite's own text.
inline const std::error_category& error_category() noexcept {
  static const detail::error_category category;
  return category;
}

/// A `std::error_code` for an SQLite result code (`SQLITE_NOTADB`, `SQLITE_IOERR_FSYNC`, ...).
inline std::error_code make_sqlite_error(int sqlite_result) noexcept {
  return {sqlite_result, error_category()};
}

/** The error for the exception in flight, inside a `catch (...)`.

    What can throw under a store call is reading back what the store wrote (a JSON
    column that no longer parses: `SQLITE_CORRUPT`, the database is damaged) and
    allocation (`std::errc::not_enough_memory`); anything else is `SQLITE_INTERNAL`.
    The store turns them into results, as its contract promises no exceptions.
*/
inline std::error_code current_exception_error() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  } catch (const std::exception&) {
    return make_sqlite_error(SQLITE_CORRUPT);
  } catch (...) {
    return make_sqlite_error(SQLITE_INTERNAL);
  }
}

} // namespace webhookd::store::sqlite

#endif // WEBHOOKD_STORE_SQLITE_ERROR_HPP
