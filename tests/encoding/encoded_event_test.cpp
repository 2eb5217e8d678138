#include <webhookd/encoding/encoded_event.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
namespace encoding = webhookd::encoding;
using webhookd::model::endpoint_content_type;
using webhookd::model::webhook_endpoint;

webhookd::model::event sample_event() {
  webhookd::model::event e;
  e.id = "123";
  e.topic = "employee.created";
  e.source = "https://example.ilucca.net";
  e.data = {{"id", "416"}, {"givenName", "Edward"}};
  return e;
}

std::vector<webhook_endpoint> endpoints(int n, endpoint_content_type type) {
  std::vector<webhook_endpoint> out(static_cast<std::size_t>(n));
  for (auto& e : out) e.content_type = type;
  return out;
}

TEST(encoded_event, fan_out_to_many_endpoints_of_one_content_type_encodes_once) {
  const auto encoded = std::make_shared<encoding::encoded_event>(sample_event());
  const auto before = encoding::bodies_encoded.load();
  std::vector<std::shared_ptr<const std::string>> bodies;
  for (const auto& endpoint : endpoints(100, endpoint_content_type::default_))
    bodies.push_back(encoded->body(endpoint.content_type));
  EXPECT_EQ(encoding::bodies_encoded.load(), before + 1);
  for (const auto& b : bodies) EXPECT_EQ(b.get(), bodies.front().get()); // one shared string
  EXPECT_EQ(*bodies.front(), encoding::encode_default_body(sample_event()));
}

TEST(encoded_event, mixed_content_types_encode_once_each) {
  encoding::encoded_event encoded(sample_event());
  const auto before = encoding::bodies_encoded.load();
  auto all = endpoints(30, endpoint_content_type::default_);
  for (auto& e : endpoints(20, endpoint_content_type::cloud_events)) all.push_back(e);
  for (const auto& endpoint : all) (void)encoded.body(endpoint.content_type);
  EXPECT_EQ(encoding::bodies_encoded.load(), before + 2);
  EXPECT_NE(encoded.body(endpoint_content_type::default_).get(),
            encoded.body(endpoint_content_type::cloud_events).get());
  EXPECT_EQ(json::parse(*encoded.body(endpoint_content_type::cloud_events))["specversion"], "1.0");
}

TEST(encoded_event, nothing_is_encoded_before_it_is_asked_for) {
  const auto before = encoding::bodies_encoded.load();
  encoding::encoded_event encoded(sample_event());
  EXPECT_FALSE(encoded.is_encoded(endpoint_content_type::default_));
  EXPECT_FALSE(encoded.is_encoded(endpoint_content_type::cloud_events));
  EXPECT_EQ(encoding::bodies_encoded.load(), before);
  (void)encoded.body(endpoint_content_type::cloud_events);
  EXPECT_TRUE(encoded.is_encoded(endpoint_content_type::cloud_events));
  EXPECT_FALSE(encoded.is_encoded(endpoint_content_type::default_));
}

TEST(encoded_event, concurrent_first_calls_encode_once) {
  for (int round = 0; round < 20; ++round) {
    const auto encoded = std::make_shared<encoding::encoded_event>(sample_event());
    const auto before = encoding::bodies_encoded.load();
    std::vector<const std::string*> seen(8);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < seen.size(); ++t)
      threads.emplace_back([&, t] {
        const auto type = t % 2 == 0 ? endpoint_content_type::default_ : endpoint_content_type::cloud_events;
        seen[t] = encoded->body(type).get();
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(encoding::bodies_encoded.load(), before + 2);
    for (std::size_t t = 2; t < seen.size(); ++t) EXPECT_EQ(seen[t], seen[t % 2]);
  }
}

TEST(encoded_event, bodies_outlive_the_encoded_event) {
  std::shared_ptr<const std::string> body;
  {
    encoding::encoded_event encoded(sample_event());
    body = encoded.body(endpoint_content_type::default_);
  }
  EXPECT_EQ(json::parse(*body)["id"], "123");
}

TEST(encoded_event, shares_the_event_and_uses_its_options) {
  auto e = std::make_shared<const webhookd::model::event>(sample_event());
  encoding::cloudevents_options options;
  options.type_prefix = "net.example.";
  encoding::encoded_event encoded(e, options);
  EXPECT_EQ(encoded.event_ptr().get(), e.get());
  EXPECT_EQ(encoded.event().id, "123");
  EXPECT_EQ(encoded.options().type_prefix, "net.example.");
  EXPECT_EQ(json::parse(*encoded.body(endpoint_content_type::cloud_events))["type"], "net.example.employee.created");
  EXPECT_EQ(encoding::encoded_event::media_type(endpoint_content_type::cloud_events), "application/cloudevents+json");
  EXPECT_EQ(encoding::encoded_event::media_type(endpoint_content_type::default_), "application/json");
}

} // namespace
