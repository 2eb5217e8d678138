#include <webhookd/model/detail/json.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>

namespace {

using nlohmann::json;
namespace detail = webhookd::model::detail;
using webhookd::model::tristate;

std::string what_of(const auto& f) {
  try {
    f();
  } catch (const json::exception& e) {
    return e.what();
  }
  return "no exception";
}

TEST(model_detail_json, tristate_members_read_as_absent_null_or_value) {
  const json j = {{"n", nullptr}, {"v", "x"}};
  EXPECT_TRUE(detail::get_tristate<std::string>(j, "missing").is_absent());
  EXPECT_TRUE(detail::get_tristate<std::string>(j, "n").is_null());
  EXPECT_EQ(*detail::get_tristate<std::string>(j, "v"), "x");
}

TEST(model_detail_json, tristate_members_write_nothing_null_or_the_value) {
  json j = json::object();
  detail::put_tristate(j, "a", tristate<std::string>{});
  detail::put_tristate(j, "n", tristate<std::string>{nullptr});
  detail::put_tristate(j, "v", tristate<std::string>{std::string("x")});
  EXPECT_EQ(j, json::parse(R"({"n": null, "v": "x"})"));
}

TEST(model_detail_json, timestamps_are_written_with_milliseconds) {
  json j = json::object();
  using namespace std::chrono;
  detail::put_timestamp(j, "t", webhookd::timestamp{sys_days{2023y / 4 / 23}} + 9h + 23min + 54s + 1ms);
  EXPECT_EQ(j["t"], "2023-04-23T09:23:54.001Z");
  EXPECT_EQ(detail::get_timestamp(j, "t"),
            webhookd::timestamp{sys_days{2023y / 4 / 23}} + 9h + 23min + 54s + 1ms);
}

TEST(model_detail_json, errors_name_the_member) {
  const json j = {{"t", "yesterday"}, {"n", 5}, {"s", "text"}, {"d", "2024-02-30"}};
  EXPECT_NE(what_of([&] { (void)detail::get_timestamp(j, "t"); }).find("t: must be an RFC 3339 date-time"),
            std::string::npos);
  EXPECT_NE(what_of([&] { (void)detail::get_string(j, "n"); }).find("n: must be a string"), std::string::npos);
  EXPECT_NE(what_of([&] { (void)detail::get_bool(j, "s"); }).find("s: must be a boolean"), std::string::npos);
  EXPECT_NE(what_of([&] { (void)detail::get_date(j, "d"); }).find("d: must be a YYYY-MM-DD date"),
            std::string::npos);
  EXPECT_THROW((void)detail::get_string(j, "missing"), json::out_of_range);
}

TEST(model_detail_json, optional_members_read_absent_and_null_as_nullopt) {
  const json j = {{"n", nullptr}, {"s", "x"}, {"t", "2024-01-01T00:00:00Z"}};
  EXPECT_EQ(detail::get_optional_string(j, "missing"), std::nullopt);
  EXPECT_EQ(detail::get_optional_string(j, "n"), std::nullopt);
  EXPECT_EQ(detail::get_optional_string(j, "s"), "x");
  EXPECT_EQ(detail::get_optional_timestamp(j, "n"), std::nullopt);
  EXPECT_TRUE(detail::get_optional_timestamp(j, "t").has_value());
}

TEST(model_detail_json, integers_must_fit_an_int) {
  const json j = {{"ok", 42},
                  {"neg", -7},
                  {"big", static_cast<std::int64_t>(std::numeric_limits<int>::max()) + 1},
                  {"huge", std::numeric_limits<std::uint64_t>::max()},
                  {"real", 1.5}};
  EXPECT_EQ(detail::get_int(j, "ok"), 42);
  EXPECT_EQ(detail::get_int(j, "neg"), -7);
  EXPECT_THROW((void)detail::get_int(j, "big"), json::other_error);
  EXPECT_THROW((void)detail::get_int(j, "huge"), json::other_error);
  EXPECT_THROW((void)detail::get_int(j, "real"), json::type_error);
}

TEST(model_detail_json, resources_must_have_their_type) {
  EXPECT_NO_THROW(detail::expect_resource(json{{"type", "event"}}, "event"));
  EXPECT_THROW(detail::expect_resource(json{{"type", "webhook-delivery"}}, "event"), json::other_error);
  EXPECT_THROW(detail::expect_resource(json{{"type", 1}}, "event"), json::other_error);
  EXPECT_THROW(detail::expect_resource(json::object(), "event"), json::out_of_range);
  EXPECT_THROW(detail::expect_resource(json::array(), "event"), json::type_error);
}

} // namespace
