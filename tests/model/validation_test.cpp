#include <webhookd/model/validation.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace {

using nlohmann::json;
using webhookd::model::validation_error;
using webhookd::model::validation_errors;

TEST(validation, a_message_is_field_colon_rule) {
  EXPECT_EQ((validation_error{"webhookUrl", "must use https://"}).message(), "webhookUrl: must use https://");
  EXPECT_EQ((validation_error{"topics[2]", "must match resource.action"}).message(),
            "topics[2]: must match resource.action");
  EXPECT_EQ((validation_error{"", "must be a JSON object"}).message(), "must be a JSON object");
}

TEST(validation, errors_keep_their_order_and_join_into_one_message) {
  validation_errors errors;
  EXPECT_TRUE(errors.empty());
  errors.add("webhookUrl", "must use https://");
  errors.add("topics[2]", "must match resource.action");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "webhookUrl");
  EXPECT_EQ(errors[1].rule, "must match resource.action");
  EXPECT_EQ(errors.message(), "webhookUrl: must use https://; topics[2]: must match resource.action");
}

TEST(validation, problem_errors_group_rules_by_field) {
  validation_errors errors{{"webhookUrl", "must use https://"},
                           {"topics[0]", "must be unique"},
                           {"webhookUrl", "must be at most 2048 characters"}};
  EXPECT_EQ(errors.to_problem_errors(), json::parse(R"({
      "webhookUrl": ["must use https://", "must be at most 2048 characters"],
      "topics[0]": ["must be unique"]})"));
  EXPECT_EQ(errors.rules_for("webhookUrl").size(), 2u);
  EXPECT_EQ(validation_errors{}.to_problem_errors(), json::object());
}

TEST(validation, touches_covers_members_and_items) {
  const validation_errors errors{{"topics[2]", "x"}, {"webhookEndpoint.id", "y"}, {"name", "z"}};
  EXPECT_TRUE(errors.touches("topics"));
  EXPECT_TRUE(errors.touches("webhookEndpoint"));
  EXPECT_TRUE(errors.touches("name"));
  EXPECT_FALSE(errors.touches("topic"));
  EXPECT_FALSE(errors.touches("webhook"));
  EXPECT_FALSE(errors.touches("event"));
}

TEST(validation, append_merges) {
  validation_errors a{{"a", "1"}};
  a.append(validation_errors{{"b", "2"}, {"c", "3"}});
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2], (validation_error{"c", "3"}));
}

TEST(validation, json_bodies_parse_without_throwing) {
  const auto ok = webhookd::model::parse_json_body(R"({"a": 1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["a"], 1);
  for (const char* bad : {"", "{", "{\"a\":}", "nope", "{\"a\": \"\xff\"}"}) {
    const auto r = webhookd::model::parse_json_body(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message(), "body: must be valid JSON");
  }
}

TEST(validation, input_references_need_an_id_and_nothing_unknown) {
  namespace detail = webhookd::model::detail;
  validation_errors errors;
  EXPECT_EQ(detail::parse_reference_input(json{{"id", "12"}, {"type", "x"}, {"url", "y"}}, "ref", errors)->id, "12");
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(detail::parse_reference_input(json::object(), "ref", errors));
  EXPECT_FALSE(detail::parse_reference_input(json{{"id", ""}}, "ref", errors));
  EXPECT_FALSE(detail::parse_reference_input(json{{"id", 12}}, "ref", errors));
  EXPECT_FALSE(detail::parse_reference_input(json{{"id", std::string(256, 'a')}}, "ref", errors));
  EXPECT_FALSE(detail::parse_reference_input(json{{"id", "1"}, {"name", "x"}}, "ref", errors));
  EXPECT_FALSE(detail::parse_reference_input(json("12"), "ref", errors));
  EXPECT_EQ(errors.message(),
            "ref.id: is required; ref.id: must be a non-empty string; ref.id: must be a non-empty string; "
            "ref.id: must be at most 255 characters; ref.name: unknown field; ref: must be an object with an id");
}

TEST(validation, utf8_length_counts_code_points) {
  namespace detail = webhookd::model::detail;
  EXPECT_EQ(detail::utf8_length("abc"), 3u);
  EXPECT_EQ(detail::utf8_length("\xC3\xA9t\xC3\xA9"), 3u); // "été"
  EXPECT_EQ(detail::utf8_length("\xF0\x9F\x98\x80"), 1u);  // one emoji
}

} // namespace
