#include <webhookd/store/postgres/schema.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <cstdint>

namespace {

namespace pg = webhookd::store::postgres;

TEST(postgres_schema, versions_count_the_migrations) {
  EXPECT_EQ(pg::schema_version, static_cast<std::int64_t>(pg::migrations.size()));
  for (const auto m : pg::migrations) EXPECT_FALSE(m.empty());
}

} // namespace
