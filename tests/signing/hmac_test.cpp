#include <webhookd/signing/hmac.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using webhookd::signing::hmac_sha256_context;
using webhookd::signing::hmac_sha256_digest;
using webhookd::signing::hmac_sha256_key;

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (const std::uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

// OpenSSL's one-shot HMAC(): an independent path to the same function.
hmac_sha256_digest one_shot(std::string_view key, std::string_view message) {
  hmac_sha256_digest out{};
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
           &length);
  EXPECT_NE(result, nullptr);
  EXPECT_EQ(length, out.size());
  return out;
}

std::string random_bytes_string(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// RFC 4231 §4.2-4.8, HMAC-SHA-256 results.
struct rfc4231_case {
  const char* name;
  std::string key;
  std::string data;
  const char* hmac_sha256_hex;
  std::size_t truncate_to = 32;
};

std::vector<rfc4231_case> rfc4231_cases() {
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  return {
      {"test_case_1", repeat('\x0b', 20), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"test_case_2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"test_case_3", repeat('\xaa', 20), repeat('\xdd', 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"test_case_4", key4, repeat('\xcd', 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Truncated to 128 bits by the RFC.
      {"test_case_5", repeat('\x0c', 20), "Test With Truncation",
       "a3b6167473100ee06e0c796c2955552b", 16},
      {"test_case_6", repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"test_case_7", repeat('\xaa', 131),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(hmac_sha256_key, rfc4231_vectors) {
  for (const rfc4231_case& c : rfc4231_cases()) {
    SCOPED_TRACE(c.name);
    const hmac_sha256_key key{std::string_view{c.key}};
    const hmac_sha256_digest tag = key.sign(c.data);
    EXPECT_EQ(to_hex(std::span{tag}.first(c.truncate_to)), c.hmac_sha256_hex);
  }
}

TEST(hmac_sha256_key, rfc4231_vectors_with_byte_span_key_and_split_message) {
  for (const rfc4231_case& c : rfc4231_cases()) {
    SCOPED_TRACE(c.name);
    const hmac_sha256_key key{std::span<const std::uint8_t>{
        reinterpret_cast<const std::uint8_t*>(c.key.data()), c.key.size()}};
    const std::string_view data{c.data};
    const std::size_t half = data.size() / 2;
    const hmac_sha256_digest tag = key.sign({data.substr(0, half), "", data.substr(half)});
    EXPECT_EQ(to_hex(std::span{tag}.first(c.truncate_to)), c.hmac_sha256_hex);
  }
}

TEST(hmac_sha256_key, one_key_signs_many_messages) {
  // The point of the type: keyed once, each message independent of the ones before.
  const std::string secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
  const hmac_sha256_key key{std::string_view{secret}};
  std::mt19937_64 rng{42};
  for (int i = 0; i < 200; ++i) {
    const std::string message = random_bytes_string(rng, rng() % 3000);
    ASSERT_EQ(key.sign(message), one_shot(secret, message)) << "message " << i;
  }
}

TEST(hmac_sha256_key, parts_are_hashed_as_their_concatenation) {
  const hmac_sha256_key key{std::string_view{"key"}};
  const std::string whole = "2025-01-01T08:34:23Z.{\"id\":\"123\"}";
  const hmac_sha256_digest expected = one_shot("key", whole);
  for (std::size_t i = 0; i <= whole.size(); ++i) {
    for (std::size_t j = i; j <= whole.size(); j += 7) {
      const std::string_view w{whole};
      const std::array<std::string_view, 3> parts{w.substr(0, i), w.substr(i, j - i), w.substr(j)};
      ASSERT_EQ(key.sign(parts), expected) << i << ' ' << j;
    }
  }
  EXPECT_EQ(key.sign(std::span<const std::string_view>{}), one_shot("key", ""));
  EXPECT_EQ(key.sign(""), one_shot("key", ""));
}

TEST(hmac_sha256_key, keys_of_every_length_around_the_block_size) {
  std::mt19937_64 rng{7};
  const std::string message = "The quick brown fox";
  for (std::size_t n : {0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000}) {
    const std::string secret = random_bytes_string(rng, n);
    EXPECT_EQ(hmac_sha256_key{std::string_view{secret}}.sign(message), one_shot(secret, message))
        << "key length " << n;
  }
}

TEST(hmac_sha256_key, binary_keys_and_messages_with_nul_bytes) {
  const std::string secret{"\0\xff\0k\x80", 5};
  const std::string message{"\0\0body\0\xfe", 8};
  EXPECT_EQ(hmac_sha256_key{std::string_view{secret}}.sign(message), one_shot(secret, message));
  // A NUL in the key is part of the key: it differs from the key cut at the NUL.
  EXPECT_NE(hmac_sha256_key{std::string_view{secret}}.sign(message),
            hmac_sha256_key{std::string_view{""}}.sign(message));
}

TEST(hmac_sha256_key, caller_provided_context) {
  const hmac_sha256_key key{std::string_view{"Jefe"}};
  hmac_sha256_context context;
  const std::array<std::string_view, 2> parts{"what do ya want ", "for nothing?"};
  for (int i = 0; i < 3; ++i) // the context is reused
    EXPECT_EQ(to_hex(key.sign(parts, context)),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  hmac_sha256_context moved = std::move(context);
  EXPECT_EQ(key.sign(parts, moved), key.sign(parts));
}

TEST(hmac_sha256_key, copies_and_moves_sign_alike) {
  const hmac_sha256_key original{std::string_view{"secret"}};
  const hmac_sha256_digest expected = one_shot("secret", "message");

  hmac_sha256_key copy{original};
  EXPECT_EQ(copy.sign("message"), expected);

  hmac_sha256_key assigned{std::string_view{"other"}};
  EXPECT_NE(assigned.sign("message"), expected);
  assigned = copy;
  EXPECT_EQ(assigned.sign("message"), expected);
  const hmac_sha256_key& self = assigned;
  assigned = self; // self-assignment keeps the key
  EXPECT_EQ(assigned.sign("message"), expected);

  hmac_sha256_key moved{std::move(copy)};
  EXPECT_EQ(moved.sign("message"), expected);
  hmac_sha256_key move_assigned{std::string_view{"other"}};
  move_assigned = std::move(moved);
  EXPECT_EQ(move_assigned.sign("message"), expected);
  moved = original; // a moved-from key can be assigned to again
  EXPECT_EQ(moved.sign("message"), expected);

  // The original is unaffected by what happened to its copies.
  EXPECT_EQ(original.sign("message"), expected);
}

TEST(hmac_sha256_key, shared_key_signs_concurrently) {
  const std::string secret = "shared secret, keyed once";
  const hmac_sha256_key key{std::string_view{secret}};

  constexpr int threads = 8;
  constexpr int per_thread = 300;
  std::vector<std::vector<std::string>> messages(threads);
  std::vector<std::vector<hmac_sha256_digest>> expected(threads);
  std::mt19937_64 rng{2025};
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      messages[t].push_back(random_bytes_string(rng, rng() % 2048));
      expected[t].push_back(one_shot(secret, messages[t].back()));
    }
  }

  std::vector<int> wrong(threads, 0);
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        hmac_sha256_context own; // half the threads bring their own context
        for (int i = 0; i < per_thread; ++i) {
          const std::string_view m = messages[t][i];
          const std::size_t cut = std::min<std::size_t>(5, m.size());
          const hmac_sha256_digest tag =
              t % 2 == 0 ? key.sign({m.substr(0, cut), m.substr(cut)})
                         : key.sign(std::span<const std::string_view>{&m, 1}, own);
          if (tag != expected[t][i]) ++wrong[t];
        }
      });
    }
  }
  for (int t = 0; t < threads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(constant_time_equal, compares_contents_and_lengths) {
  using webhookd::signing::constant_time_equal;
  const std::array<std::uint8_t, 4> a{1, 2, 3, 4};
  const std::array<std::uint8_t, 4> b{1, 2, 3, 4};
  const std::array<std::uint8_t, 4> c{1, 2, 3, 5};
  const std::array<std::uint8_t, 3> d{1, 2, 3};
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(a, d));
  EXPECT_TRUE(constant_time_equal({}, {}));
}

} // namespace
