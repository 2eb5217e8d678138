#include <webhookd/store/postgres/codec.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>

namespace {

namespace codec = webhookd::store::postgres::codec;

TEST(postgres_codec, prefixes_column_lists) {
  EXPECT_EQ(codec::prefixed("id, url,status", "d"), "d.id, d.url, d.status");
  EXPECT_EQ(codec::prefixed("", "d"), "");
}

TEST(postgres_codec, keeps_times_to_the_millisecond) {
  for (const auto ms : {-5LL, 0LL, 1LL, 1'735'689'600'123LL}) {
    const auto t = webhookd::timestamp{std::chrono::milliseconds{ms}};
    EXPECT_EQ(codec::millis(t), ms);
    EXPECT_EQ(codec::from_millis(codec::millis(t)), t);
  }
  EXPECT_EQ(codec::from_millis(std::optional<std::int64_t>{}), std::nullopt);
}

TEST(postgres_codec, stores_links_and_embedded_only_when_set) {
  webhookd::model::webhook_delivery d;
  d.id = "d1";
  EXPECT_EQ(codec::extra_doc(d), std::nullopt);
  d.links = nullptr;
  EXPECT_NE(codec::extra_doc(d), std::nullopt);
}

} // namespace
