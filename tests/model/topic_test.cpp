#include <webhookd/model/topic.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace {

namespace model = webhookd::model;

TEST(topic, concrete_topics_are_resource_dot_action) {
  for (const char* ok : {"employee.created", "leave-request.updated", "job-position.deleted", "test.created",
                         "a.b", "a.b.c", "employee-extension.created", "v2.thing-1.done"})
    EXPECT_TRUE(model::is_concrete_topic(ok)) << ok;
}

TEST(topic, ping_and_confirmation_are_concrete_topics) {
  EXPECT_TRUE(model::is_concrete_topic("ping"));
  EXPECT_TRUE(model::is_concrete_topic("confirmation"));
}

TEST(topic, malformed_topics_are_refused) {
  for (const char* bad : {"", "employee", "Employee.created", "employee.Created", "employee..created",
                          ".employee.created", "employee.created.", "employee created", "employee_x.created",
                          "employee.*", "*", "ping.", "employée.created"})
    EXPECT_FALSE(model::is_concrete_topic(bad)) << bad;
  EXPECT_FALSE(model::is_concrete_topic("a." + std::string(254, 'b'))); // 256 bytes
  EXPECT_TRUE(model::is_concrete_topic("a." + std::string(253, 'b')));  // 255 bytes
}

TEST(topic, wildcards_are_a_prefix_then_dot_star_or_a_star) {
  for (const char* ok : {"*", "employee.*", "leave-request.*", "a.b.*"})
    EXPECT_TRUE(model::is_wildcard_topic(ok)) << ok;
  for (const char* bad : {"**", ".*", "employee*", "employee.*.created", "*.created", "Employee.*",
                          "employee.created", "e..*"})
    EXPECT_FALSE(model::is_wildcard_topic(bad)) << bad;
}

TEST(topic, patterns_are_concrete_topics_or_wildcards) {
  EXPECT_TRUE(model::is_topic_pattern("employee.created"));
  EXPECT_TRUE(model::is_topic_pattern("employee.*"));
  EXPECT_TRUE(model::is_topic_pattern("*"));
  EXPECT_TRUE(model::is_topic_pattern("ping"));
  EXPECT_FALSE(model::is_topic_pattern("employee"));
}

TEST(topic, exact_patterns_match_the_same_topic_only) {
  EXPECT_TRUE(model::topic_matches("employee.created", "employee.created"));
  EXPECT_FALSE(model::topic_matches("employee.created", "employee.updated"));
  EXPECT_FALSE(model::topic_matches("employee.created", "employee.created.x"));
  EXPECT_TRUE(model::topic_matches("ping", "ping"));
}

TEST(topic, prefix_wildcards_match_topics_under_the_prefix) {
  EXPECT_TRUE(model::topic_matches("employee.*", "employee.created"));
  EXPECT_TRUE(model::topic_matches("employee.*", "employee.contract.signed"));
  EXPECT_FALSE(model::topic_matches("employee.*", "employee"));
  EXPECT_FALSE(model::topic_matches("employee.*", "employee."));
  EXPECT_FALSE(model::topic_matches("employee.*", "employees.created"));
  EXPECT_FALSE(model::topic_matches("employee.*", "employee-extension.created"));
  EXPECT_FALSE(model::topic_matches("employee.*", "leave.created"));
  EXPECT_TRUE(model::topic_matches("a.b.*", "a.b.c"));
  EXPECT_FALSE(model::topic_matches("a.b.*", "a.c.d"));
}

TEST(topic, star_matches_every_topic) {
  for (const char* t : {"employee.created", "leave.deleted", "ping", "confirmation"})
    EXPECT_TRUE(model::topic_matches("*", t)) << t;
  EXPECT_FALSE(model::topic_matches("*", ""));
}

TEST(topic, matching_is_usable_at_compile_time) {
  static_assert(model::topic_matches("employee.*", "employee.created"));
  static_assert(model::is_concrete_topic("employee.created"));
  static_assert(!model::is_concrete_topic("employee.*"));
}

} // namespace
