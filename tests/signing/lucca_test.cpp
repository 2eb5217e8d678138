#include <webhookd/signing/lucca.hpp> // must be self-contained

#include <webhookd/core/base64.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/signing/secret.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using webhookd::errc;
using webhookd::timestamp;
using webhookd::signing::lucca_signer;
using webhookd::signing::verification_failure;
using webhookd::signing::verify_lucca;

// SPEC.md Part 1 §1 / Part 2 §7.3.
constexpr std::string_view spec_secret =
    "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
constexpr std::string_view spec_timestamp = "2025-01-01T08:34:23Z";
constexpr std::string_view spec_body = R"({"id":"123","type":"event","topic":"employee.created"})";
constexpr std::string_view spec_signature = "neHJizYcpdPyD+yroKYvvvpHdWbzzRSlRIb68z1t1Po=";

timestamp spec_time() { return *webhookd::parse_rfc3339(spec_timestamp); }

TEST(lucca_signer, spec_test_vector) {
  const lucca_signer signer{spec_secret};
  EXPECT_EQ(signer.sign(spec_timestamp, spec_body), spec_signature);
}

TEST(lucca_signer, sign_into_writes_exactly_44_characters) {
  const lucca_signer signer{spec_secret};
  char buffer[48];
  std::memset(buffer, '#', sizeof buffer);
  char* end = signer.sign_into(spec_timestamp, spec_body, buffer + 2);
  EXPECT_EQ(end, buffer + 46);
  EXPECT_EQ(std::string_view(buffer + 2, 44), spec_signature);
  EXPECT_EQ(std::string_view(buffer, 2), "##");
  EXPECT_EQ(std::string_view(buffer + 46, 2), "##");
}

TEST(lucca_signer, signs_with_a_timestamp_written_by_core) {
  const lucca_signer signer{spec_secret};
  char ts[webhookd::rfc3339_seconds_length];
  webhookd::write_rfc3339_seconds(ts, spec_time() + 999ms); // sub-seconds are dropped
  EXPECT_EQ(signer.sign({ts, sizeof ts}, spec_body), spec_signature);
}

TEST(lucca_signer, key_is_the_secret_string_as_is_not_decoded) {
  // The secret looks like base64url; decoding it would give another key.
  const auto decoded = webhookd::base64_decode(spec_secret, webhookd::base64_alphabet::url);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_NE(lucca_signer{*decoded}.sign(spec_timestamp, spec_body), spec_signature);
}

TEST(lucca_signer, rejects_an_empty_secret) {
  EXPECT_THROW(lucca_signer{""}, std::invalid_argument);
}

TEST(lucca_signer, copies_sign_alike) {
  const lucca_signer original{spec_secret};
  const lucca_signer copy{original};
  lucca_signer moved{lucca_signer{original}};
  EXPECT_EQ(copy.sign(spec_timestamp, spec_body), spec_signature);
  EXPECT_EQ(moved.sign(spec_timestamp, spec_body), spec_signature);
}

TEST(lucca_signer, shared_signer_signs_concurrently) {
  const lucca_signer signer{spec_secret};
  std::vector<int> wrong(6, 0);
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < 6; ++t) {
      workers.emplace_back([&, t] {
        char out[44];
        for (int i = 0; i < 500; ++i) {
          signer.sign_into(spec_timestamp, spec_body, out);
          if (std::string_view(out, 44) != spec_signature) ++wrong[t];
        }
      });
    }
  }
  for (int t = 0; t < 6; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

// --- verification -------------------------------------------------------------

TEST(verify_lucca, accepts_the_spec_vector) {
  EXPECT_TRUE(verify_lucca(spec_secret, spec_timestamp, spec_signature, spec_body, spec_time()));
  const lucca_signer signer{spec_secret};
  EXPECT_TRUE(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, spec_time()));
}

TEST(verify_lucca, failure_left_untouched_on_success) {
  verification_failure why{make_error_code(errc::timeout), "untouched"};
  ASSERT_TRUE(verify_lucca(spec_secret, spec_timestamp, spec_signature, spec_body, spec_time(),
                           webhookd::signing::default_tolerance, &why));
  EXPECT_EQ(why.reason, "untouched");
}

struct failure_case {
  const char* name;
  std::string_view secret;
  std::string_view timestamp_header;
  std::string_view signature_header;
  std::string_view body;
  timestamp now;
  errc expected;
  const char* reason_contains;
};

TEST(verify_lucca, distinguishes_each_failure) {
  const timestamp now = spec_time();
  const std::string prefixed = "v1," + std::string(spec_signature.substr(0, 41));
  const failure_case cases[] = {
      {"empty secret", "", spec_timestamp, spec_signature, spec_body, now, errc::invalid_secret,
       "secret is empty"},
      {"no signature", spec_secret, spec_timestamp, "", spec_body, now, errc::missing_signature,
       "Lucca-Signature header is missing"},
      {"no signature, no timestamp", spec_secret, "", "", spec_body, now,
       errc::missing_signature, "Lucca-Signature"},
      {"no timestamp", spec_secret, "", spec_signature, spec_body, now, errc::missing_timestamp,
       "Lucca-Timestamp header is missing"},
      {"timestamp not RFC 3339", spec_secret, "2025-01-01 08:34:23", spec_signature, spec_body,
       now, errc::malformed_timestamp, "not an RFC 3339 date-time"},
      {"timestamp as unix seconds", spec_secret, "1735720463", spec_signature, spec_body, now,
       errc::malformed_timestamp, "RFC 3339"},
      {"timestamp on a day that does not exist", spec_secret, "2025-02-30T08:34:23Z",
       spec_signature, spec_body, now, errc::malformed_timestamp, "RFC 3339"},
      {"signature too short", spec_secret, spec_timestamp, spec_signature.substr(0, 43), spec_body,
       now, errc::malformed_signature, "has 43 characters, expected 44"},
      {"signature too long", spec_secret, spec_timestamp,
       "neHJizYcpdPyD+yroKYvvvpHdWbzzRSlRIb68z1t1Po=A", spec_body, now,
       errc::malformed_signature, "has 45 characters"},
      {"signature in base64url", spec_secret, spec_timestamp,
       "neHJizYcpdPyD-yroKYvvvpHdWbzzRSlRIb68z1t1Po=", spec_body, now, errc::malformed_signature,
       "not valid padded base64"},
      {"signature unpadded, 44 chars", spec_secret, spec_timestamp,
       "neHJizYcpdPyD+yroKYvvvpHdWbzzRSlRIb68z1t1Po1", spec_body, now,
       errc::malformed_signature, "not valid padded base64"},
      {"signature as hex", spec_secret, spec_timestamp,
       "9de1c98b361ca5d3f20fecab", spec_body, now, errc::malformed_signature, "expected 44"},
      {"signature with a prefix", spec_secret, spec_timestamp, prefixed, spec_body, now,
       errc::malformed_signature, "not valid padded base64"},
      {"other body", spec_secret, spec_timestamp, spec_signature, R"({"id":"124"})", now,
       errc::signature_mismatch, "does not match"},
      {"other secret", "another secret", spec_timestamp, spec_signature, spec_body, now,
       errc::signature_mismatch, "does not match"},
      {"too old", spec_secret, spec_timestamp, spec_signature, spec_body, now + 412s,
       errc::timestamp_out_of_tolerance,
       "timestamp 2025-01-01T08:34:23Z is 412 s before now (2025-01-01T08:41:15Z), tolerance "
       "300 s"},
      {"too new", spec_secret, spec_timestamp, spec_signature, spec_body, now - 1h,
       errc::timestamp_out_of_tolerance,
       "timestamp 2025-01-01T08:34:23Z is 3600 s after now (2025-01-01T07:34:23Z), tolerance "
       "300 s"},
  };
  for (const failure_case& c : cases) {
    SCOPED_TRACE(c.name);
    verification_failure why;
    const webhookd::result<void> r =
        verify_lucca(c.secret, c.timestamp_header, c.signature_header, c.body, c.now,
                     webhookd::signing::default_tolerance, &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), c.expected) << r.error().message();
    EXPECT_EQ(why.code, c.expected);
    EXPECT_NE(why.reason.find(c.reason_contains), std::string::npos) << why.reason;
    // The reason never gives the right signature away.
    EXPECT_EQ(why.reason.find(spec_signature), std::string::npos);
    // Without a failure object the result is the same.
    EXPECT_EQ(verify_lucca(c.secret, c.timestamp_header, c.signature_header, c.body, c.now).error(),
              c.expected);
  }
}

TEST(verify_lucca, tolerance_edges_both_directions) {
  const lucca_signer signer{spec_secret};
  const timestamp t = spec_time();
  auto at = [&](timestamp now) {
    return verify_lucca(signer, spec_timestamp, spec_signature, spec_body, now);
  };
  EXPECT_TRUE(at(t));
  EXPECT_TRUE(at(t + 300s));
  EXPECT_TRUE(at(t - 300s));
  EXPECT_EQ(at(t + 301s).error(), errc::timestamp_out_of_tolerance);
  EXPECT_EQ(at(t - 301s).error(), errc::timestamp_out_of_tolerance);
  // To the millisecond: 300.001 s is too far.
  EXPECT_EQ(at(t + 300s + 1ms).error(), errc::timestamp_out_of_tolerance);
  EXPECT_EQ(at(t - 300s - 1ms).error(), errc::timestamp_out_of_tolerance);

  verification_failure why;
  ASSERT_FALSE(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, t + 300s + 500ms,
                            webhookd::signing::default_tolerance, &why));
  EXPECT_NE(why.reason.find("is 300.500 s before now"), std::string::npos) << why.reason;
}

TEST(verify_lucca, custom_tolerance) {
  const lucca_signer signer{spec_secret};
  const timestamp t = spec_time();
  EXPECT_TRUE(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, t + 10s, 10s));
  EXPECT_EQ(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, t + 11s, 10s).error(),
            errc::timestamp_out_of_tolerance);
  EXPECT_TRUE(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, t, 0s));
  EXPECT_EQ(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, t + 1ms, 0s).error(),
            errc::timestamp_out_of_tolerance);
  EXPECT_TRUE(verify_lucca(signer, spec_timestamp, spec_signature, spec_body, t + 24h, 24h));
}

TEST(verify_lucca, accepts_other_rfc3339_forms_of_the_signed_bytes) {
  // The signature covers the header's exact bytes, so any RFC 3339 form verifies if
  // that is what was signed.
  const lucca_signer signer{spec_secret};
  for (std::string_view ts :
       {"2025-01-01T09:34:23+01:00", "2025-01-01T08:34:23.250Z", "2025-01-01t08:34:23z"}) {
    const std::string sig = signer.sign(ts, spec_body);
    EXPECT_TRUE(verify_lucca(signer, ts, sig, spec_body, spec_time())) << ts;
  }
}

TEST(verify_lucca, every_flipped_bit_of_the_body_is_rejected) {
  const lucca_signer signer{spec_secret};
  std::string body{spec_body};
  for (std::size_t i = 0; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      body[i] = static_cast<char>(body[i] ^ (1 << bit));
      const auto r = verify_lucca(signer, spec_timestamp, spec_signature, body, spec_time());
      ASSERT_FALSE(r) << "byte " << i << " bit " << bit;
      EXPECT_EQ(r.error(), errc::signature_mismatch);
      body[i] = static_cast<char>(body[i] ^ (1 << bit));
    }
  }
  ASSERT_TRUE(verify_lucca(signer, spec_timestamp, spec_signature, body, spec_time()));
  // Appending or removing a byte too.
  EXPECT_FALSE(verify_lucca(signer, spec_timestamp, spec_signature, body + "\n", spec_time()));
  EXPECT_FALSE(verify_lucca(signer, spec_timestamp, spec_signature,
                            std::string_view{body}.substr(1), spec_time()));
}

TEST(verify_lucca, every_flipped_bit_of_the_signature_is_rejected) {
  const lucca_signer signer{spec_secret};
  // Flipping a bit of the signed bytes: always well-formed, so always a mismatch.
  const auto decoded = webhookd::base64_decode(spec_signature);
  ASSERT_TRUE(decoded.has_value());
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bytes = *decoded;
      bytes[i] = static_cast<char>(bytes[i] ^ (1 << bit));
      const std::string sig = webhookd::base64_encode(
          {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
      const auto r = verify_lucca(signer, spec_timestamp, sig, spec_body, spec_time());
      ASSERT_FALSE(r) << sig;
      EXPECT_EQ(r.error(), errc::signature_mismatch);
    }
  }
  // Flipping a bit of the header text: malformed or a mismatch, never accepted.
  std::string header{spec_signature};
  for (std::size_t i = 0; i < header.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      header[i] = static_cast<char>(header[i] ^ (1 << bit));
      const auto r = verify_lucca(signer, spec_timestamp, header, spec_body, spec_time());
      ASSERT_FALSE(r) << header;
      EXPECT_TRUE(r.error() == errc::signature_mismatch || r.error() == errc::malformed_signature)
          << header << ": " << r.error().message();
      header[i] = static_cast<char>(header[i] ^ (1 << bit));
    }
  }
}

TEST(verify_lucca, every_flipped_bit_of_the_timestamp_is_rejected) {
  const lucca_signer signer{spec_secret};
  std::string ts{spec_timestamp};
  int mismatches = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      ts[i] = static_cast<char>(ts[i] ^ (1 << bit));
      // A day of tolerance, so that flips which still parse reach the signature check.
      const auto r = verify_lucca(signer, ts, spec_signature, spec_body, spec_time(), 24h * 400);
      ASSERT_FALSE(r) << ts;
      if (r.error() == errc::signature_mismatch) ++mismatches;
      else
        EXPECT_TRUE(r.error() == errc::malformed_timestamp ||
                    r.error() == errc::timestamp_out_of_tolerance) // e.g. year 3025
            << ts << ": " << r.error().message();
      ts[i] = static_cast<char>(ts[i] ^ (1 << bit));
    }
  }
  EXPECT_GT(mismatches, 0); // e.g. 08:34:23 -> 08:34:22, still a valid time
  // The same instant written differently is other bytes, so another signature.
  EXPECT_EQ(verify_lucca(signer, "2025-01-01T08:34:23.000Z", spec_signature, spec_body,
                         spec_time())
                .error(),
            errc::signature_mismatch);
}

// --- agreement with the openssl command-line tool ------------------------------

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

// Runs `openssl dgst -sha256 -hmac KEY -binary < message | base64` without a shell
// quoting anything: the key and file name reach sh as positional arguments. A key
// holding NUL bytes cannot be an argument, so it is given in hex (`-macopt hexkey:`).
std::string openssl_cli_hmac_base64(std::string_view key, std::string_view message) {
  char path[] = "/tmp/webhookd_signing_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  for (std::size_t done = 0; done < message.size();) {
    const ssize_t n = ::write(fd, message.data() + done, message.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(path);
      throw std::runtime_error("write failed");
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);

  const bool hex = key.find('\0') != std::string_view::npos;
  const std::string mode = hex ? "hex" : "raw";
  const std::string key_arg = hex ? to_hex(key) : std::string(key);
  const char* script =
      "if [ \"$1\" = hex ]; then openssl dgst -sha256 -mac HMAC -macopt \"hexkey:$2\" -binary;"
      " else openssl dgst -sha256 -hmac \"$2\" -binary; fi < \"$3\" | base64";
  std::vector<std::string> args{"sh", "-c", script, "sh", mode, key_arg, path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string output;
  if (spawned == 0) {
    char buffer[256];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;)
      output.append(buffer, static_cast<std::size_t>(n));
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) output = "<exit status>";
  }
  ::close(out[0]);
  ::unlink(path);
  if (spawned != 0) throw std::runtime_error("cannot run sh");
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

TEST(lucca_signer, agrees_with_the_openssl_cli) {
  // The known answer first, so that a broken harness cannot pass vacuously.
  ASSERT_EQ(openssl_cli_hmac_base64(spec_secret, std::string(spec_timestamp) + "." +
                                                     std::string(spec_body)),
            spec_signature)
      << "is the openssl command-line tool installed?";

  std::mt19937_64 rng{20250101};
  auto bytes = [&](std::size_t n, bool allow_nul) {
    std::string s(n, '\0');
    for (char& c : s) {
      do c = static_cast<char>(rng() & 0xFF);
      while (!allow_nul && c == '\0');
    }
    return s;
  };
  for (int i = 0; i < 50; ++i) {
    std::string key;
    switch (i % 6) {
    case 0: key = ""; break;                                    // empty key
    case 1: key = webhookd::signing::generate_secret(); break;  // the real shape
    case 2: key = bytes(1 + rng() % 64, true); break;           // binary, NULs included
    case 3: key = bytes(65 + rng() % 200, false); break;        // longer than the block
    case 4: key = bytes(65 + rng() % 200, true); break;         // long and binary
    default: key = bytes(1 + rng() % 64, false); break;
    }
    std::string ts;
    if (i % 4 == 0) {
      ts = bytes(rng() % 30, true); // the HMAC does not care what the "timestamp" is
    } else {
      const auto seconds = static_cast<std::int64_t>(rng() % 4102444800ULL); // 1970..2100
      ts = webhookd::format_rfc3339_seconds(timestamp{std::chrono::seconds{seconds}});
    }
    const std::size_t body_size = i % 7 == 0 ? 0 : rng() % (i % 3 == 0 ? 70000 : 2048);
    const std::string body = bytes(body_size, true);
    SCOPED_TRACE("case " + std::to_string(i) + ": key " + std::to_string(key.size()) +
                 " bytes, body " + std::to_string(body.size()) + " bytes");

    const std::string expected = openssl_cli_hmac_base64(key, ts + "." + body);
    ASSERT_EQ(expected.size(), 44u) << expected;

    const webhookd::signing::hmac_sha256_key hmac_key{std::string_view{key}};
    const auto tag = hmac_key.sign({ts, ".", body});
    EXPECT_EQ(webhookd::base64_encode(tag), expected);
    if (!key.empty()) {
      const lucca_signer signer{key};
      EXPECT_EQ(signer.sign(ts, body), expected);
      if (i % 4 != 0) {
        const timestamp at = *webhookd::parse_rfc3339(ts);
        EXPECT_TRUE(verify_lucca(signer, ts, expected, body, at + 299s));
        EXPECT_TRUE(verify_lucca(key, ts, expected, body, at - 299s));
      }
    }
  }
}

} // namespace
