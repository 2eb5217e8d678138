// The SQLite store against the delivery_store conformance suite, one new file per test.
#include <webhookd/store/sqlite_store.hpp> // must be self-contained

#include "temp_database.hpp"

#include <webhookd/testing/store_conformance.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace webhookd::testing {

template <>
struct store_factory<store::sqlite_store> {
  static std::unique_ptr<store::sqlite_store> make() {
    return std::make_unique<store::sqlite_store>(fresh_database_path());
  }
};

using sqlite_store_types = ::testing::Types<store::sqlite_store>;
INSTANTIATE_TYPED_TEST_SUITE_P(sqlite, delivery_store_conformance, sqlite_store_types);

} // namespace webhookd::testing
