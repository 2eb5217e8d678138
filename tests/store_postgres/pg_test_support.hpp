// SPDX-License-Identifier: MIT
// The throwaway cluster of the postgres_store tests: where it is, fresh schemas in it,
// and the conformance suite's store_factory.
#ifndef WEBHOOKD_TESTS_STORE_POSTGRES_PG_TEST_SUPPORT_HPP
#define WEBHOOKD_TESTS_STORE_POSTGRES_PG_TEST_SUPPORT_HPP

#include <webhookd/store/postgres_store.hpp>
#include <webhookd/testing/store_conformance.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace webhookd::testing::pg {

/** The cluster's connection string: $WEBHOOKD_PG_CONNINFO, else the first line of
    the file named by $WEBHOOKD_PG_CONNINFO_FILE (written by pg_cluster.sh); nullopt
    when neither gives one. */
inline std::optional<std::string> conninfo() {
  if (const char* c = std::getenv("WEBHOOKD_PG_CONNINFO"); c && *c) return std::string(c);
  if (const char* f = std::getenv("WEBHOOKD_PG_CONNINFO_FILE"); f && *f) {
    std::ifstream in(f);
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) return line;
  }
  return std::nullopt;
}

/// Why the tests are skipped when there is no cluster.
inline constexpr const char* no_cluster_message =
    "no PostgreSQL server: set WEBHOOKD_PG_CONNINFO, or run through ctest, whose fixture "
    "starts one with tests/store_postgres/pg_cluster.sh (needs Debian's `postgresql` "
    "package: scripts/install-deps.sh --tests)";

/** Skips the current test, with the reason, when there is no cluster. Called from a
    fixture's constructor (through `store_factory`), it keeps the body from running. */
inline bool skip_without_cluster() {
  if (conninfo()) return false;
  [] { GTEST_SKIP() << no_cluster_message; }();
  return true;
}

/// Runs SQL on the cluster as its superuser. @throws std::runtime_error on failure.
inline store::postgres::rows admin(const std::string& sql, const std::string& dbname = "") {
  const auto base = conninfo();
  if (!base) throw std::runtime_error(no_cluster_message);
  store::postgres::connection c(dbname.empty() ? *base : *base + " dbname=" + dbname);
  auto r = c.exec_simple(sql);
  if (!r) throw std::runtime_error(sql + ": " + c.last_error());
  return std::move(*r);
}

/// A name no other test (nor another run of this binary) uses.
inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

/// A new, empty schema (its name in `name`); @returns the connection string that
/// works in it.
inline std::string fresh_schema(std::string* name = nullptr) {
  const std::string schema = unique_name("webhookd_test");
  admin("CREATE SCHEMA " + schema);
  if (name) *name = schema;
  return *conninfo() + " options='-c search_path=" + schema + "'";
}

/// Opens a store. @throws std::runtime_error if it cannot.
inline std::unique_ptr<store::postgres_store> open_store(const std::string& conninfo,
                                                         std::size_t pool_size = 4) {
  auto s = store::postgres_store::open({conninfo, pool_size});
  if (!s) throw std::runtime_error("postgres_store::open: " + s.error().message());
  return std::move(*s);
}

} // namespace webhookd::testing::pg

/// Each conformance test gets a store in a schema of its own.
template <>
struct webhookd::testing::store_factory<webhookd::store::postgres_store> {
  static std::unique_ptr<webhookd::store::postgres_store> make() {
    if (pg::skip_without_cluster()) return nullptr; // the test body does not run
    return pg::open_store(pg::fresh_schema());
  }
};

#endif // WEBHOOKD_TESTS_STORE_POSTGRES_PG_TEST_SUPPORT_HPP
