#include <webhookd/core/result.hpp> // must be self-contained

#include <webhookd/core/error.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

webhookd::result<int> half(int v) {
  if (v % 2 != 0) return webhookd::unexpected(make_error_code(webhookd::errc::invalid_url));
  return v / 2;
}

TEST(result, holds_a_value) {
  const auto r = half(8);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(*r, 4);
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(r.value_or(-1), 4);
}

TEST(result, holds_an_error) {
  const auto r = half(3);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), webhookd::errc::invalid_url);
  EXPECT_EQ(r.value_or(-1), -1);
  EXPECT_THROW((void)r.value(), webhookd::bad_result_access);
}

TEST(result, custom_error_types_and_move_only_values) {
  struct problem {
    std::string field;
  };
  webhookd::result<std::unique_ptr<int>, problem> ok = std::make_unique<int>(7);
  ASSERT_TRUE(ok);
  std::unique_ptr<int> taken = *std::move(ok);
  EXPECT_EQ(*taken, 7);

  webhookd::result<std::unique_ptr<int>, problem> bad = webhookd::unexpected(problem{"topics"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "topics");
}

TEST(result, void_results) {
  webhookd::result<void> ok;
  EXPECT_TRUE(ok.has_value());
  EXPECT_NO_THROW(ok.value());
  webhookd::result<void> bad = webhookd::unexpected(make_error_code(webhookd::errc::timeout));
  EXPECT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), webhookd::errc::timeout);
  EXPECT_THROW(bad.value(), webhookd::bad_result_access);
}

TEST(result, a_string_result_is_not_confused_with_its_error) {
  webhookd::result<std::string, std::string> r = std::string("value");
  ASSERT_TRUE(r.has_value());
  webhookd::result<std::string, std::string> e = webhookd::unexpected(std::string("error"));
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error(), "error");
}

} // namespace
