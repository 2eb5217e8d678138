#include <webhookd/signing/secret.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using webhookd::base64_alphabet;
using webhookd::base64_decode;
namespace signing = webhookd::signing;

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

TEST(generate_secret, is_64_base64url_characters_of_48_bytes) {
  for (int i = 0; i < 50; ++i) {
    const std::string secret = signing::generate_secret();
    ASSERT_EQ(secret.size(), 64u);
    EXPECT_EQ(secret.size(), signing::secret_length);
    EXPECT_TRUE(std::all_of(secret.begin(), secret.end(), is_base64url_char)) << secret;
    const auto bytes = base64_decode(secret, base64_alphabet::url);
    ASSERT_TRUE(bytes.has_value()) << secret;
    EXPECT_EQ(bytes->size(), 48u);
  }
}

TEST(generate_secret, differs_across_calls) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(signing::generate_secret());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(generate_challenge, is_43_base64url_characters_of_32_bytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string value = signing::generate_challenge();
    ASSERT_EQ(value.size(), 43u);
    EXPECT_EQ(value.size(), signing::challenge_length);
    EXPECT_TRUE(std::all_of(value.begin(), value.end(), is_base64url_char)) << value;
    const auto bytes = base64_decode(value, base64_alphabet::url);
    ASSERT_TRUE(bytes.has_value()) << value;
    EXPECT_EQ(bytes->size(), 32u);
    seen.insert(value);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(random_bytes, fills_the_whole_span) {
  // Every position must be written: a position that is 0 after all 16 draws has
  // probability 2^-128 if it is random, and is certain if it is never written.
  std::vector<std::uint8_t> buffer(4096);
  std::vector<bool> changed(buffer.size(), false);
  for (int round = 0; round < 16; ++round) {
    std::fill(buffer.begin(), buffer.end(), std::uint8_t{0});
    signing::random_bytes(buffer);
    for (std::size_t i = 0; i < buffer.size(); ++i)
      if (buffer[i] != 0) changed[i] = true;
  }
  EXPECT_EQ(std::count(changed.begin(), changed.end(), false), 0);
}

TEST(random_bytes, looks_uniform) {
  std::vector<std::uint8_t> buffer(256 * 1024);
  signing::random_bytes(buffer);
  std::array<int, 256> counts{};
  for (const std::uint8_t b : buffer) ++counts[b];
  // Expected 1024 per value, standard deviation ~32: 6 sigma either way.
  for (int v = 0; v < 256; ++v) {
    EXPECT_GT(counts[v], 1024 - 192) << v;
    EXPECT_LT(counts[v], 1024 + 192) << v;
  }
}

TEST(random_bytes, empty_span_is_fine) {
  std::vector<std::uint8_t> empty;
  EXPECT_NO_THROW(signing::random_bytes(empty));
}

} // namespace
