#include <webhookd/signing/standard_webhooks.hpp> // must be self-contained

#include <webhookd/core/base64.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using webhookd::errc;
using webhookd::timestamp;
using webhookd::signing::format_standard_webhooks_secret;
using webhookd::signing::format_unix_seconds;
using webhookd::signing::standard_webhooks_headers;
using webhookd::signing::standard_webhooks_key;
using webhookd::signing::standard_webhooks_signer;
using webhookd::signing::verification_failure;
using webhookd::signing::verify_standard_webhooks;

// The published Standard Webhooks test vector, shared by the reference libraries'
// test suites:
//   standard-webhooks/standard-webhooks  libraries/python/tests/test_webhooks.py
//     (DEFAULT_MSG_ID, DEFAULT_PAYLOAD, DEFAULT_SECRET, test_sign_function)
//   standard-webhooks/standard-webhooks  libraries/go/webhook_test.go (TestWebhookSign)
//   standard-webhooks/standard-webhooks  libraries/javascript/src/webhook.test.ts
//     ("sign function works")
//   svix/svix-webhooks  go/webhook_test.go ("valid signature is valid", with the same
//     values under the svix-* header names)
constexpr std::string_view vector_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view vector_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::string_view vector_timestamp = "1614265330";
constexpr std::string_view vector_body = R"({"test": 2432232314})";
constexpr std::string_view vector_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
// Signatures that must not verify, from the same test files ("invalid signature").
constexpr std::string_view python_invalid_signature =
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
constexpr std::string_view go_invalid_signature = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
constexpr std::string_view go_v2_signature = "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
constexpr std::string_view js_invalid_signature = "v1,dawfeoifkpqwoekfpqoekf";

const timestamp vector_time{std::chrono::seconds{1614265330}};

standard_webhooks_key vector_key() { return *standard_webhooks_key::parse(vector_secret); }

webhookd::result<void> verify_vector(std::string_view id, std::string_view ts,
                                     std::string_view sig, std::string_view body = vector_body,
                                     timestamp now = vector_time,
                                     verification_failure* why = nullptr) {
  return verify_standard_webhooks(vector_key(), id, ts, sig, body, now,
                                  webhookd::signing::default_tolerance, why);
}

TEST(standard_webhooks, published_vector_signs) {
  const standard_webhooks_key key = vector_key();
  EXPECT_EQ(key.sign(vector_id, vector_timestamp, vector_body), vector_signature);

  char out[webhookd::signing::standard_webhooks_signature_length + 1];
  out[47] = '#';
  EXPECT_EQ(key.sign_into(vector_id, vector_timestamp, vector_body, out), out + 47);
  EXPECT_EQ(std::string_view(out, 47), vector_signature);
  EXPECT_EQ(out[47], '#');
}

TEST(standard_webhooks, published_vector_signer_headers) {
  const auto signer = standard_webhooks_signer::parse({vector_secret});
  ASSERT_TRUE(signer);
  // Sub-second precision is dropped, as the reference libraries floor to seconds.
  const standard_webhooks_headers h = signer->sign(vector_id, vector_time + 999ms, vector_body);
  EXPECT_EQ(h.id, vector_id);
  EXPECT_EQ(h.timestamp, vector_timestamp);
  EXPECT_EQ(h.signature, vector_signature);
}

TEST(standard_webhooks, published_vector_verifies) {
  EXPECT_TRUE(verify_vector(vector_id, vector_timestamp, vector_signature));
  EXPECT_TRUE(verify_standard_webhooks(vector_secret, vector_id, vector_timestamp,
                                       vector_signature, vector_body, vector_time));
}

TEST(standard_webhooks, secret_prefix_is_optional_as_in_the_reference_libraries) {
  // test_signature_verification_with_and_without_prefix / TestWebhookPrefix.
  const auto bare = standard_webhooks_key::parse(vector_secret.substr(6));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->sign(vector_id, vector_timestamp, vector_body), vector_signature);
  EXPECT_TRUE(verify_standard_webhooks("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", vector_id,
                                       vector_timestamp, vector_signature, vector_body,
                                       vector_time));
}

TEST(standard_webhooks, reference_failure_cases) {
  // The cases of the reference test suites, mapped onto webhookd's error codes.
  EXPECT_EQ(verify_vector("", vector_timestamp, vector_signature).error(),
            errc::missing_signature); // missing id
  EXPECT_EQ(verify_vector(vector_id, "", vector_signature).error(), errc::missing_timestamp);
  EXPECT_EQ(verify_vector(vector_id, "hello", vector_signature).error(),
            errc::malformed_timestamp);
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, "").error(), errc::missing_signature);
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, python_invalid_signature).error(),
            errc::signature_mismatch);
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, go_invalid_signature).error(),
            errc::signature_mismatch);
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, js_invalid_signature).error(),
            errc::malformed_signature);
  // "partial signature throws error": the first 8 characters, then just "v1,".
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, vector_signature.substr(0, 8)).error(),
            errc::malformed_signature);
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, "v1,").error(), errc::malformed_signature);
  // "old timestamp fails" / "new timestamp fails": tolerance + 1 s either way.
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, vector_signature, vector_body,
                          vector_time + 301s)
                .error(),
            errc::timestamp_out_of_tolerance);
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, vector_signature, vector_body,
                          vector_time - 301s)
                .error(),
            errc::timestamp_out_of_tolerance);
}

TEST(standard_webhooks, multi_signature_header_from_the_reference_tests) {
  // test_multi_sig_payload_is_valid / "valid multi sig is valid".
  const std::string header = std::string(go_invalid_signature) + " " +
                             std::string(go_v2_signature) + " " + std::string(vector_signature) +
                             " " + std::string(go_invalid_signature);
  EXPECT_TRUE(verify_vector(vector_id, vector_timestamp, header));
}

TEST(standard_webhooks, unknown_versions_and_malformed_entries_are_ignored) {
  const std::string valid{vector_signature};
  EXPECT_TRUE(verify_vector(vector_id, vector_timestamp,
                            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZ"
                            "dpXwVLPo3mNl8EM+m7TBAg== " +
                                valid));
  EXPECT_TRUE(verify_vector(vector_id, vector_timestamp, "garbage v1,short " + valid));
  EXPECT_TRUE(verify_vector(vector_id, vector_timestamp, "  " + valid + "  "));
  EXPECT_TRUE(verify_vector(vector_id, vector_timestamp, valid + " v1,"));

  verification_failure why;
  ASSERT_FALSE(verify_vector(vector_id, vector_timestamp, std::string(go_v2_signature) + " v1a,xyz",
                             vector_body, vector_time, &why));
  EXPECT_EQ(why.code, errc::malformed_signature);
  EXPECT_NE(why.reason.find("no well-formed v1 signature"), std::string::npos) << why.reason;
  // The signature with another version tag is not accepted as v1.
  EXPECT_FALSE(verify_vector(vector_id, vector_timestamp, "v2," + valid.substr(3)));
  EXPECT_FALSE(verify_vector(vector_id, vector_timestamp, "V1," + valid.substr(3)));
  EXPECT_FALSE(verify_vector(vector_id, vector_timestamp, valid.substr(3)));
  EXPECT_EQ(verify_vector(vector_id, vector_timestamp, "   ").error(), errc::missing_signature);
}

TEST(standard_webhooks, rotation_signs_with_every_secret_and_either_verifies) {
  const std::string old_secret{vector_secret};
  const std::string new_secret = format_standard_webhooks_secret(
      std::array<std::uint8_t, 32>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
  const auto signer = standard_webhooks_signer::parse({new_secret, old_secret});
  ASSERT_TRUE(signer);
  ASSERT_EQ(signer->keys().size(), 2u);
  const standard_webhooks_headers h = signer->sign(vector_id, vector_time, vector_body);

  // "v1,<new> v1,<old>": the newest first, one space between.
  ASSERT_EQ(h.signature.size(), 47u * 2 + 1);
  EXPECT_EQ(h.signature[47], ' ');
  EXPECT_EQ(h.signature.substr(48), vector_signature);
  const auto new_key = standard_webhooks_key::parse(new_secret);
  ASSERT_TRUE(new_key);
  EXPECT_EQ(h.signature.substr(0, 47), new_key->sign(vector_id, vector_timestamp, vector_body));

  for (const std::string& receiver_secret : {old_secret, new_secret}) {
    EXPECT_TRUE(verify_standard_webhooks(receiver_secret, h.id, h.timestamp, h.signature,
                                         vector_body, vector_time))
        << receiver_secret;
  }
  EXPECT_EQ(verify_standard_webhooks("whsec_" + std::string(44, 'A'), h.id, h.timestamp,
                                     h.signature, vector_body, vector_time)
                .error(),
            errc::signature_mismatch);
}

TEST(standard_webhooks, signer_from_keys) {
  std::vector<standard_webhooks_key> keys;
  keys.push_back(vector_key());
  const standard_webhooks_signer signer{std::move(keys)};
  EXPECT_EQ(signer.signature(vector_id, vector_timestamp, vector_body), vector_signature);
  const standard_webhooks_signer single{vector_key()};
  EXPECT_EQ(single.signature(vector_id, vector_timestamp, vector_body), vector_signature);
  EXPECT_THROW(standard_webhooks_signer{std::vector<standard_webhooks_key>{}},
               std::invalid_argument);
}

TEST(standard_webhooks, whsec_parsing_errors) {
  for (std::string_view bad : {
           "",                                        // nothing
           "whsec_",                                  // nothing after the prefix
           "whsec_!!!!",                              // not base64
           "whsec_a",                                 // one character cannot be base64
           "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=", // 33 characters with a pad
           "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w",  // base64url, not standard
           "whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // whitespace
           "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", // trailing newline
           "whsec_QR==",                              // non-canonical last character
           "whsec_====",                              // padding only
       }) {
    const auto key = standard_webhooks_key::parse(bad);
    ASSERT_FALSE(key) << bad;
    EXPECT_EQ(key.error(), errc::invalid_secret) << bad;
    verification_failure why;
    EXPECT_EQ(verify_standard_webhooks(bad, vector_id, vector_timestamp, vector_signature,
                                       vector_body, vector_time,
                                       webhookd::signing::default_tolerance, &why)
                  .error(),
              errc::invalid_secret)
        << bad;
    EXPECT_EQ(why.code, errc::invalid_secret);
  }
  const auto signer = standard_webhooks_signer::parse({vector_secret, "whsec_!!!!"});
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error(), errc::invalid_secret);
  EXPECT_FALSE(standard_webhooks_signer::parse(std::span<const std::string_view>{}));
  EXPECT_THROW(standard_webhooks_key{std::span<const std::uint8_t>{}}, std::invalid_argument);
}

TEST(standard_webhooks, padding_of_the_secret_may_be_omitted) {
  std::array<std::uint8_t, 32> raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::string padded = format_standard_webhooks_secret(raw);
  ASSERT_EQ(padded.back(), '=');
  const std::string unpadded = padded.substr(0, padded.size() - 1);
  const standard_webhooks_key from_raw{raw};
  const std::string expected = from_raw.sign(vector_id, vector_timestamp, vector_body);
  EXPECT_EQ(standard_webhooks_key::parse(padded)->sign(vector_id, vector_timestamp, vector_body),
            expected);
  EXPECT_EQ(standard_webhooks_key::parse(unpadded)->sign(vector_id, vector_timestamp, vector_body),
            expected);
}

TEST(standard_webhooks, secret_format_round_trip) {
  const auto key_bytes = webhookd::base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key_bytes);
  const std::span<const std::uint8_t> raw{reinterpret_cast<const std::uint8_t*>(key_bytes->data()),
                                          key_bytes->size()};
  EXPECT_EQ(raw.size(), 24u);
  EXPECT_EQ(format_standard_webhooks_secret(raw), vector_secret);
  EXPECT_EQ(standard_webhooks_key{raw}.sign(vector_id, vector_timestamp, vector_body),
            vector_signature);
}

TEST(standard_webhooks, unix_seconds) {
  EXPECT_EQ(format_unix_seconds(vector_time), "1614265330");
  EXPECT_EQ(format_unix_seconds(vector_time + 999ms), "1614265330");
  EXPECT_EQ(format_unix_seconds(timestamp{}), "0");
  EXPECT_EQ(format_unix_seconds(timestamp{} - 1ms), "-1");
}

TEST(standard_webhooks, malformed_timestamps) {
  for (std::string_view bad : {"hello", "-1614265330", "+1614265330", " 1614265330",
                               "1614265330 ", "1614265330.5", "0x60380ff2",
                               "99999999999999999999", "1e9"}) {
    EXPECT_EQ(verify_vector(vector_id, bad, vector_signature).error(), errc::malformed_timestamp)
        << bad;
  }
  // Digits, but past what a clock can say: far out of tolerance, not malformed.
  verification_failure why;
  EXPECT_EQ(verify_vector(vector_id, "9223372036854775807", vector_signature, vector_body,
                          vector_time, &why)
                .error(),
            errc::timestamp_out_of_tolerance);
  EXPECT_NE(why.reason.find("after the year 9999"), std::string::npos) << why.reason;
}

TEST(standard_webhooks, tolerance_edges_both_directions) {
  const standard_webhooks_key key = vector_key();
  auto at = [&](timestamp now) {
    return verify_standard_webhooks(key, vector_id, vector_timestamp, vector_signature,
                                    vector_body, now);
  };
  EXPECT_TRUE(at(vector_time + 300s));
  EXPECT_TRUE(at(vector_time - 300s));
  EXPECT_EQ(at(vector_time + 301s).error(), errc::timestamp_out_of_tolerance);
  EXPECT_EQ(at(vector_time - 301s).error(), errc::timestamp_out_of_tolerance);
  EXPECT_EQ(at(vector_time + 300s + 1ms).error(), errc::timestamp_out_of_tolerance);

  verification_failure why;
  ASSERT_FALSE(verify_vector(vector_id, vector_timestamp, vector_signature, vector_body,
                             vector_time + 412s, &why));
  EXPECT_EQ(why.reason,
            "timestamp 1614265330 (2021-02-25T15:02:10Z) is 412 s before now "
            "(2021-02-25T15:09:02Z), tolerance 300 s");
}

TEST(standard_webhooks, flipped_bits_are_rejected) {
  const standard_webhooks_key key = vector_key();
  std::string body{vector_body};
  for (std::size_t i = 0; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      body[i] = static_cast<char>(body[i] ^ (1 << bit));
      EXPECT_EQ(verify_standard_webhooks(key, vector_id, vector_timestamp, vector_signature, body,
                                         vector_time)
                    .error(),
                errc::signature_mismatch);
      body[i] = static_cast<char>(body[i] ^ (1 << bit));
    }
  }
  std::string id{vector_id};
  for (std::size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<char>(id[i] ^ 1);
    EXPECT_EQ(verify_standard_webhooks(key, id, vector_timestamp, vector_signature, vector_body,
                                       vector_time)
                  .error(),
              errc::signature_mismatch);
    id[i] = static_cast<char>(id[i] ^ 1);
  }
  // One second later is other bytes: a mismatch, not a tolerance problem.
  EXPECT_EQ(verify_vector(vector_id, "1614265331", vector_signature).error(),
            errc::signature_mismatch);
  // The same second with a leading zero is other bytes too.
  EXPECT_EQ(verify_vector(vector_id, "01614265330", vector_signature).error(),
            errc::signature_mismatch);
  const auto decoded = webhookd::base64_decode(vector_signature.substr(3));
  ASSERT_TRUE(decoded);
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    std::string bytes = *decoded;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x10);
    const std::string sig =
        "v1," + webhookd::base64_encode(
                    {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    EXPECT_EQ(verify_vector(vector_id, vector_timestamp, sig).error(), errc::signature_mismatch);
  }
}

TEST(standard_webhooks, body_with_binary_bytes_round_trips) {
  const standard_webhooks_key key = vector_key();
  const std::string body{"\0\xff binary \x80\0", 13};
  const std::string sig = key.sign(vector_id, vector_timestamp, body);
  EXPECT_TRUE(verify_standard_webhooks(key, vector_id, vector_timestamp, sig, body, vector_time));
  EXPECT_FALSE(verify_standard_webhooks(key, vector_id, vector_timestamp, sig,
                                        std::string_view{body}.substr(0, 12), vector_time));
}

} // namespace
