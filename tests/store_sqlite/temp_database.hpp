// SPDX-License-Identifier: MIT
// Fresh database files for the SQLite store's tests, in one directory per test run.
#ifndef WEBHOOKD_TESTS_STORE_SQLITE_TEMP_DATABASE_HPP
#define WEBHOOKD_TESTS_STORE_SQLITE_TEMP_DATABASE_HPP

#include <webhookd/store/sqlite/connection.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace webhookd::testing {

/** The directory of this test run's databases, made on first use and removed when the
    program's tests are done (by the environment registered below). */
inline const std::filesystem::path& temp_database_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "webhookd-sqlite-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return std::filesystem::path(pattern);
  }();
  return dir;
}

/// A path for a database file that does not exist yet.
inline std::string fresh_database_path() {
  static std::atomic<int> n{0};
  return (temp_database_dir() / ("store-" + std::to_string(++n) + ".db")).string();
}

/// A read-write connection to a new database file (fails the test if it cannot open).
inline store::sqlite::connection open_fresh_connection() {
  using namespace std::chrono_literals;
  auto c = store::sqlite::connection::open(fresh_database_path(),
                                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1s);
  EXPECT_TRUE(c.has_value());
  return std::move(*c);
}

/// Removes the run's directory once every test has run.
class temp_database_cleanup : public ::testing::Environment {
public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(temp_database_dir(), ec);
  }
};

/// Registered once per test program, whichever of its files include this header.
inline ::testing::Environment* const temp_database_cleanup_registration =
    ::testing::AddGlobalTestEnvironment(new temp_database_cleanup);

} // namespace webhookd::testing

#endif // WEBHOOKD_TESTS_STORE_SQLITE_TEMP_DATABASE_HPP
