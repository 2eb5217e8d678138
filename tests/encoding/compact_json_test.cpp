#include <webhookd/encoding/compact_json.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

namespace webhookd::encoding {
namespace {

std::string reference(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(compact_json, matches_nlohmann_on_every_seed) {
  std::size_t files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(WEBHOOKD_TEST_FIXTURES) + "/seeds")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(write_compact_json(j), reference(j)) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 4u); // every seed example kept as a fixture
}

TEST(compact_json, matches_nlohmann_on_awkward_values) {
  const std::string invalid_utf8 = std::string("a\xff") + "b\xc3" + "\x28" + "\xe2\x82";
  const nlohmann::json cases[] = {
      nullptr,
      true,
      false,
      0,
      -1,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(),
      1.0,
      0.1,
      -0.0,
      1e300,
      2.5e-8,
      "",
      "plain",
      "quote \" and backslash \\ and slash /",
      "controls \b\f\n\r\t \x01 \x1f \x7f",
      "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac",
      invalid_utf8,
      nlohmann::json::object(),
      nlohmann::json::array(),
      nlohmann::json{{"b", 1}, {"a", {1, 2.5, "x", nullptr}}, {"c", {{"d", {{"e", "\n"}}}}}},
      nlohmann::json::binary({1, 2, 3}),
  };
  for (const auto& j : cases) EXPECT_EQ(write_compact_json(j), reference(j)) << reference(j);
  // Keys are strings too.
  nlohmann::json keys = {{"k\"ey", 1}, {"\xc3\xa9t\xc3\xa9", 2}, {invalid_utf8, 3}};
  EXPECT_EQ(write_compact_json(keys), reference(keys));
}

// Random trees of every kind of value, strings drawn from bytes that need each path.
nlohmann::json random_value(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 5 : 7);
  auto random_string = [&] {
    static constexpr char alphabet[] = "abcXYZ09 _-./\"\\\n\t\x01\x7f\xc3\xa9\xff\xe2\x82\xac";
    std::uniform_int_distribution<std::size_t> len(0, 12), pick(0, sizeof alphabet - 2);
    std::string s;
    for (std::size_t n = len(rng); n > 0; --n) s += alphabet[pick(rng)];
    return s;
  };
  switch (kind(rng)) {
  case 0: return nullptr;
  case 1: return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  case 2: return std::uniform_int_distribution<std::int64_t>(-1'000'000, 1'000'000)(rng);
  case 3: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
  case 4:
  case 5: return random_string();
  case 6: {
    nlohmann::json a = nlohmann::json::array();
    for (int n = std::uniform_int_distribution<int>(0, 4)(rng); n > 0; --n)
      a.push_back(random_value(rng, depth + 1));
    return a;
  }
  default: {
    nlohmann::json o = nlohmann::json::object();
    for (int n = std::uniform_int_distribution<int>(0, 4)(rng); n > 0; --n)
      o[random_string()] = random_value(rng, depth + 1);
    return o;
  }
  }
}

TEST(compact_json, matches_nlohmann_on_random_trees) {
  std::mt19937 rng(20261123);
  for (int i = 0; i < 2000; ++i) {
    const auto j = random_value(rng, 0);
    ASSERT_EQ(write_compact_json(j), reference(j)) << i;
  }
}

// `s` as a JSON string, through `write_compact_json`. Out of line: inlined into the
// loop below, GCC 12 reports the object branch of the size hint as reading out of
// bounds (-Warray-bounds) for a value it knows to be a string.
[[gnu::noinline]] std::string written(const std::string& s) {
  return write_compact_json(nlohmann::json(s));
}

// The block-at-a-time check sees every byte value at every offset of a 16-byte
// block, of a word and of the tail, next to plain bytes on both sides (a borrow or
// carry must not hide it).
TEST(compact_json, plain_ascii_checks_every_byte_of_every_word) {
  for (const std::size_t size : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{19},
                                 std::size_t{16}, std::size_t{31}, std::size_t{45}}) {
    for (std::size_t at = 0; at < size; ++at) {
      for (int v = 0; v < 256; ++v) {
        std::string s(size, v == ' ' ? '~' : ' ');
        s[at] = static_cast<char>(v);
        const bool plain = v >= 0x20 && v < 0x80 && v != '"' && v != '\\';
        ASSERT_EQ(detail::plain_ascii(s), plain) << size << " " << at << " " << v;
        ASSERT_EQ(written(s), reference(nlohmann::json(s))) << size << " " << at << " " << v;
      }
    }
  }
}

} // namespace
} // namespace webhookd::encoding
