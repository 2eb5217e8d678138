#include <webhookd/store/sqlite/error.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <new>
#include <stdexcept>
#include <system_error>

namespace {

namespace sqlite = webhookd::store::sqlite;

TEST(sqlite_error, codes_carry_sqlites_own_messages_and_portable_conditions) {
  const auto busy = sqlite::make_sqlite_error(SQLITE_BUSY);
  EXPECT_STREQ(busy.category().name(), "webhookd.sqlite");
  EXPECT_EQ(busy.message(), "database is locked");
  EXPECT_EQ(busy, std::errc::device_or_resource_busy);
  EXPECT_EQ(sqlite::make_sqlite_error(SQLITE_IOERR_FSYNC), std::errc::io_error);
  EXPECT_EQ(sqlite::make_sqlite_error(SQLITE_FULL), std::errc::no_space_on_device);
  EXPECT_EQ(sqlite::make_sqlite_error(SQLITE_NOTADB).message(), "file is not a database");
}

TEST(sqlite_error, exceptions_under_a_store_call_become_codes) {
  auto code_of = [](auto thrower) {
    try {
      thrower();
    } catch (...) {
      return sqlite::current_exception_error();
    }
    return std::error_code{};
  };
  EXPECT_EQ(code_of([] { throw std::bad_alloc(); }), std::errc::not_enough_memory);
  EXPECT_EQ(code_of([] { throw std::runtime_error("bad JSON"); }),
            sqlite::make_sqlite_error(SQLITE_CORRUPT));
  EXPECT_EQ(code_of([] { throw 42; }), sqlite::make_sqlite_error(SQLITE_INTERNAL));
}

} // namespace
