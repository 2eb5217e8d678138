// SPDX-License-Identifier: MIT
// Fresh database files for the SQLite store's tests, in one directory per test run.
#ifndef WEBHOOKD_TESTS_STORE_SQLITE_TEMP_DATABASE_HPP
#define WEBHOOKD_TESTS_STORE_SQLITE_TEMP_DATABASE_HPP

#include <gtest/gtest.h>

#include <atomic>
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
