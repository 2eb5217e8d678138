#include <webhookd/encoding/body.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace {

using nlohmann::json;
namespace encoding = webhookd::encoding;
using webhookd::model::endpoint_content_type;

webhookd::model::event sample() {
  webhookd::model::event e;
  e.id = "123";
  e.topic = "employee.created";
  e.source = "https://example.ilucca.net";
  e.data = {{"id", "416"}};
  return e;
}

TEST(body, media_types_follow_the_endpoint_content_type) {
  EXPECT_EQ(encoding::media_type(endpoint_content_type::default_), "application/json");
  EXPECT_EQ(encoding::media_type(endpoint_content_type::cloud_events), "application/cloudevents+json");
  static_assert(encoding::media_type(endpoint_content_type::default_) == encoding::json_media_type);
}

TEST(body, encode_body_picks_the_encoding) {
  const auto e = sample();
  EXPECT_EQ(encoding::encode_body(e, endpoint_content_type::default_), encoding::encode_default_body(e));
  EXPECT_EQ(encoding::encode_body(e, endpoint_content_type::cloud_events), encoding::encode_cloudevent(e));
  encoding::cloudevents_options options;
  options.type_prefix = "x.";
  EXPECT_EQ(json::parse(encoding::encode_body(e, endpoint_content_type::cloud_events, options))["type"],
            "x.employee.created");
}

} // namespace
