#include <webhookd/core/base64.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using webhookd::base64_alphabet;

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(base64, rfc4648_test_vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(webhookd::base64_encode(bytes(plain)), encoded);
    EXPECT_EQ(*webhookd::base64_decode(encoded), plain);
  }
}

TEST(base64, url_alphabet_has_no_padding_and_no_plus_or_slash) {
  const std::string s("\xfb\xff\xbf", 3);
  EXPECT_EQ(webhookd::base64_encode(bytes(s)), "+/+/");
  EXPECT_EQ(webhookd::base64_encode(bytes(s), base64_alphabet::url), "-_-_");
  EXPECT_EQ(webhookd::base64_encode(bytes("f"), base64_alphabet::url), "Zg");
  EXPECT_EQ(*webhookd::base64_decode("Zg", base64_alphabet::url), "f");
  EXPECT_EQ(*webhookd::base64_decode("Zg==", base64_alphabet::url), "f");
}

TEST(base64, rejects_malformed_input) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zh==", "Zm9=v", "-_-_"}) {
    const auto r = webhookd::base64_decode(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error(), webhookd::errc::invalid_base64);
  }
  EXPECT_FALSE(webhookd::base64_decode("+/+/", base64_alphabet::url).has_value());
  EXPECT_FALSE(webhookd::base64_decode("Z", base64_alphabet::url).has_value());
}

TEST(base64, random_bytes_round_trip_in_both_alphabets) {
  std::mt19937 rng(5);
  for (int n = 0; n < 200; ++n) {
    std::string s(static_cast<std::size_t>(n), '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    for (auto a : {base64_alphabet::standard, base64_alphabet::url}) {
      const std::string e = webhookd::base64_encode(bytes(s), a);
      ASSERT_EQ(e.size(), webhookd::base64_encoded_size(s.size(), a));
      ASSERT_EQ(*webhookd::base64_decode(e, a), s);
    }
  }
}

} // namespace
