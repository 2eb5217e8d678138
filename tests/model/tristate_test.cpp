#include <webhookd/model/tristate.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace {

using webhookd::model::tristate;

TEST(tristate, default_is_absent) {
  const tristate<std::string> t;
  EXPECT_TRUE(t.is_absent());
  EXPECT_FALSE(t.is_null());
  EXPECT_FALSE(t.is_present());
  EXPECT_FALSE(t.has_value());
  EXPECT_EQ(t.as_optional(), std::nullopt);
}

TEST(tristate, nullptr_is_null_and_present) {
  const tristate<std::string> t = nullptr;
  EXPECT_FALSE(t.is_absent());
  EXPECT_TRUE(t.is_null());
  EXPECT_TRUE(t.is_present());
  EXPECT_FALSE(t.has_value());
  EXPECT_EQ(t.as_optional(), std::nullopt);
}

TEST(tristate, holds_a_value) {
  const tristate<std::string> t = std::string("billing");
  EXPECT_TRUE(t.has_value());
  EXPECT_TRUE(t.is_present());
  EXPECT_FALSE(t.is_null());
  EXPECT_EQ(*t, "billing");
  EXPECT_EQ(t->size(), 7u);
  EXPECT_EQ(t.value(), "billing");
  EXPECT_EQ(t.as_optional(), std::optional<std::string>("billing"));
}

TEST(tristate, value_of_null_or_absent_throws) {
  const tristate<int> absent;
  const tristate<int> null = nullptr;
  EXPECT_THROW((void)absent.value(), std::bad_optional_access);
  EXPECT_THROW((void)null.value(), std::bad_optional_access);
}

TEST(tristate, moves_between_states) {
  tristate<int> t;
  t.emplace(3);
  EXPECT_EQ(*t, 3);
  t.set_null();
  EXPECT_TRUE(t.is_null());
  EXPECT_FALSE(t.has_value());
  t = 4;
  EXPECT_FALSE(t.is_null());
  EXPECT_EQ(*t, 4);
  t = nullptr;
  EXPECT_TRUE(t.is_null());
  t.emplace(5);
  EXPECT_FALSE(t.is_null()); // emplace clears null
  t.reset();
  EXPECT_TRUE(t.is_absent());
}

TEST(tristate, equality_tells_the_three_states_apart) {
  const tristate<int> absent;
  const tristate<int> null = nullptr;
  const tristate<int> one = 1;
  EXPECT_NE(absent, null);
  EXPECT_NE(absent, one);
  EXPECT_NE(null, one);
  EXPECT_EQ(one, tristate<int>(1));
  EXPECT_NE(one, tristate<int>(2));
  EXPECT_EQ(null, tristate<int>(nullptr));
  EXPECT_EQ(absent, tristate<int>());
}

} // namespace
