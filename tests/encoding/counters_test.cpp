#include <webhookd/encoding/counters.hpp> // must be self-contained

#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/encoding/default_body.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace {

namespace encoding = webhookd::encoding;

TEST(counters, bodies_encoded_is_a_process_wide_atomic) {
  static_assert(std::is_same_v<decltype(encoding::bodies_encoded), std::atomic<std::uint64_t>>);
  EXPECT_EQ(&encoding::bodies_encoded, &webhookd::encoding::bodies_encoded);
}

TEST(counters, every_encoding_adds_one) {
  webhookd::model::event e;
  e.id = "1";
  e.topic = "employee.created";
  e.source = "https://example.ilucca.net";
  const auto before = encoding::bodies_encoded.load();
  (void)encoding::encode_default_body(e);
  EXPECT_EQ(encoding::bodies_encoded.load(), before + 1);
  (void)encoding::encode_cloudevent(e);
  EXPECT_EQ(encoding::bodies_encoded.load(), before + 2);
  // Building the JSON without serialising it is not an encoding.
  (void)encoding::default_body_json(e);
  (void)encoding::cloudevent_json(e);
  EXPECT_EQ(encoding::bodies_encoded.load(), before + 2);
}

} // namespace
