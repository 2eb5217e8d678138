#include <webhookd/model/reference.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace {

using nlohmann::json;
using webhookd::model::reference;

TEST(reference, writes_id_type_and_url) {
  const reference r{"12", "webhook-endpoint", "https://example.ilucca.net/lucca-api/webhook-endpoints/12"};
  EXPECT_EQ(json(r), json::parse(R"({"id": "12", "type": "webhook-endpoint",
      "url": "https://example.ilucca.net/lucca-api/webhook-endpoints/12"})"));
}

TEST(reference, only_id_is_required_on_input_and_round_trips) {
  const json in = {{"id", "12"}};
  const auto r = in.get<reference>();
  EXPECT_EQ(r.id, "12");
  EXPECT_TRUE(r.type.empty());
  EXPECT_TRUE(r.url.empty());
  EXPECT_EQ(json(r), in);
}

TEST(reference, reads_every_member) {
  const auto r = json::parse(R"({"id": "87", "type": "webhook-delivery", "url": "https://x/87"})").get<reference>();
  EXPECT_EQ(r, (reference{"87", "webhook-delivery", "https://x/87"}));
}

TEST(reference, refuses_malformed_input) {
  EXPECT_THROW((void)json::object().get<reference>(), json::out_of_range);
  EXPECT_THROW((void)json({{"id", 12}}).get<reference>(), json::type_error);
  EXPECT_THROW((void)json({{"id", "1"}, {"url", 3}}).get<reference>(), json::type_error);
  EXPECT_THROW((void)json("12").get<reference>(), json::type_error);
}

struct thing {
  static constexpr std::string_view type_name = "thing";
  std::string id = "7";
  std::string url = "https://x/things/7";
};

TEST(reference, reference_to_takes_the_type_from_the_resource) {
  EXPECT_EQ(webhookd::model::reference_to(thing{}), (reference{"7", "thing", "https://x/things/7"}));
}

TEST(reference, typed_references_always_carry_their_type) {
  namespace detail = webhookd::model::detail;
  // The OAS types a delivery's event reference with a topic; the seeds use "event".
  const json in = {{"id", "123"}, {"type", "employee.created"}, {"url", "https://x/events/123"}};
  const auto r = detail::get_typed_reference(in, "event");
  EXPECT_EQ(r.type, "event");
  EXPECT_EQ(detail::typed_reference_json(reference{"123", "", ""}, "event"),
            json::parse(R"({"id": "123", "type": "event"})"));
}

} // namespace
