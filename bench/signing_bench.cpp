// SPDX-License-Identifier: MIT
// Signing micro-benchmarks: webhookd's keyed-once HMAC against OpenSSL's one-shot
// HMAC(), the Standard Webhooks signer, verification, and the designs not chosen.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON
//   cmake --build build-bench --target webhookd_signing_bench
//   build-bench/bench/webhookd_signing_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)
#include <webhookd/signing.hpp>

#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace {

namespace signing = webhookd::signing;

// SPEC.md Part 1 §1: a real endpoint secret and Lucca-Timestamp.
constexpr std::string_view secret =
    "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
constexpr std::string_view timestamp = "2025-01-01T08:34:23Z";

// A JSON-looking body of exactly `size` bytes.
std::string make_body(std::size_t size) {
  std::string body = R"({"id":"123","type":"event","topic":"employee.created","data":")";
  while (body.size() + 2 < size) body += static_cast<char>('a' + body.size() % 26);
  body += "\"}";
  body.resize(size, ' ');
  return body;
}

void set_counters(benchmark::State& state, std::size_t message_bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(message_bytes));
}

// --- the comparison the signing module exists for -----------------------------

// webhookd: the secret keyed once, outside the loop; per message, no heap allocation.
void lucca_signer_sign_into(benchmark::State& state) {
  const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
  const signing::lucca_signer signer{secret};
  std::array<char, signing::lucca_signature_length> out;
  for (auto _ : state) {
    signer.sign_into(timestamp, body, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, timestamp.size() + 1 + body.size());
}
BENCHMARK(lucca_signer_sign_into)->Arg(64)->Arg(1024)->Arg(16384);

// webhookd, returning a std::string.
void lucca_signer_sign(benchmark::State& state) {
  const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
  const signing::lucca_signer signer{secret};
  for (auto _ : state) {
    std::string signature = signer.sign(timestamp, body);
    benchmark::DoNotOptimize(signature.data());
  }
  set_counters(state, timestamp.size() + 1 + body.size());
}
BENCHMARK(lucca_signer_sign)->Arg(1024);

// The usual alternative: build the message, one HMAC() call (which keys the secret
// every time), base64 with OpenSSL. The message buffer is reused, so the loop does
// not allocate either once it has grown.
void openssl_hmac_one_shot(benchmark::State& state) {
  const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
  std::string message;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  std::array<unsigned char, 45> out; // 44 characters and EVP_EncodeBlock's NUL
  for (auto _ : state) {
    message.assign(timestamp);
    message += '.';
    message += body;
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), md.data(),
         &length);
    EVP_EncodeBlock(out.data(), md.data(), static_cast<int>(length));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, timestamp.size() + 1 + body.size());
}
BENCHMARK(openssl_hmac_one_shot)->Arg(64)->Arg(1024)->Arg(16384);

// HMAC() alone on a message built beforehand: isolates the per-call keying cost.
void openssl_hmac_one_shot_prebuilt_message(benchmark::State& state) {
  const std::string message =
      std::string(timestamp) + "." + make_body(static_cast<std::size_t>(state.range(0)));
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  std::array<unsigned char, 45> out;
  for (auto _ : state) {
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), md.data(),
         &length);
    EVP_EncodeBlock(out.data(), md.data(), static_cast<int>(length));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, message.size());
}
BENCHMARK(openssl_hmac_one_shot_prebuilt_message)->Arg(1024);

// What keying costs: paid once per secret by lucca_signer.
void hmac_key_construction(benchmark::State& state) {
  for (auto _ : state) {
    signing::lucca_signer signer{secret};
    benchmark::DoNotOptimize(&signer);
  }
}
BENCHMARK(hmac_key_construction);

// --- Standard Webhooks ------------------------------------------------------------

void standard_webhooks_signature(benchmark::State& state) {
  const std::string body = make_body(1024);
  const std::array<std::string_view, 2> secrets{
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="};
  const auto signer = signing::standard_webhooks_signer::parse(
      std::span<const std::string_view>{secrets}.first(static_cast<std::size_t>(state.range(0))));
  if (!signer) state.SkipWithError("bad secret");
  for (auto _ : state) {
    std::string value = signer->signature("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body);
    benchmark::DoNotOptimize(value.data());
  }
  state.SetLabel(state.range(0) == 1 ? "1 key" : "2 keys (rotation)");
}
BENCHMARK(standard_webhooks_signature)->Arg(1)->Arg(2);

void standard_webhooks_sign_into(benchmark::State& state) {
  const std::string body = make_body(1024);
  const auto key = signing::standard_webhooks_key::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  if (!key) state.SkipWithError("bad secret");
  std::array<char, signing::standard_webhooks_signature_length> out;
  for (auto _ : state) {
    key->sign_into("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(standard_webhooks_sign_into);

// --- verification -------------------------------------------------------------------

void verify_lucca_keyed_once(benchmark::State& state) {
  const std::string body = make_body(1024);
  const signing::lucca_signer signer{secret};
  const std::string signature = signer.sign(timestamp, body);
  const webhookd::timestamp now = *webhookd::parse_rfc3339(timestamp);
  for (auto _ : state) {
    const bool ok = signing::verify_lucca(signer, timestamp, signature, body, now).has_value();
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(verify_lucca_keyed_once);

void verify_lucca_secret_per_call(benchmark::State& state) {
  const std::string body = make_body(1024);
  const std::string signature = signing::lucca_signer{secret}.sign(timestamp, body);
  const webhookd::timestamp now = *webhookd::parse_rfc3339(timestamp);
  for (auto _ : state) {
    const bool ok = signing::verify_lucca(secret, timestamp, signature, body, now).has_value();
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(verify_lucca_secret_per_call);

// --- designs considered for hmac_sha256_key -----------------------------------------

// Chosen design, with a caller-owned scratch context instead of the thread's own.
void design_precomputed_states_caller_context(benchmark::State& state) {
  const std::string body = make_body(1024);
  const signing::hmac_sha256_key key{secret};
  signing::hmac_sha256_context context;
  const std::array<std::string_view, 3> parts{timestamp, ".", body};
  for (auto _ : state) {
    const signing::hmac_sha256_digest tag = key.sign(parts, context);
    benchmark::DoNotOptimize(tag.data());
  }
}
BENCHMARK(design_precomputed_states_caller_context);

// Chosen design with a fresh scratch context per message (no thread_local).
void design_precomputed_states_new_context_per_call(benchmark::State& state) {
  const std::string body = make_body(1024);
  const signing::hmac_sha256_key key{secret};
  const std::array<std::string_view, 3> parts{timestamp, ".", body};
  for (auto _ : state) {
    signing::hmac_sha256_context context;
    const signing::hmac_sha256_digest tag = key.sign(parts, context);
    benchmark::DoNotOptimize(tag.data());
  }
}
BENCHMARK(design_precomputed_states_new_context_per_call);

EVP_MAC_CTX* new_keyed_mac() {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (ctx == nullptr ||
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

void mac_update(EVP_MAC_CTX* ctx, std::string_view part) {
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size());
}

// An EVP_MAC_CTX keyed once and duplicated per message (shareable, like ours).
void design_evp_mac_ctx_dup(benchmark::State& state) {
  const std::string body = make_body(1024);
  EVP_MAC_CTX* keyed = new_keyed_mac();
  if (keyed == nullptr) state.SkipWithError("EVP_MAC");
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  for (auto _ : state) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed);
    mac_update(ctx, timestamp);
    mac_update(ctx, ".");
    mac_update(ctx, body);
    std::size_t length = 0;
    EVP_MAC_final(ctx, md.data(), &length, md.size());
    EVP_MAC_CTX_free(ctx);
    benchmark::DoNotOptimize(md.data());
  }
  EVP_MAC_CTX_free(keyed);
}
BENCHMARK(design_evp_mac_ctx_dup);

// One EVP_MAC_CTX re-initialised with its own key per message: as fast as it gets
// through EVP_MAC, but the context is mutated, so it cannot be shared by threads.
void design_evp_mac_reinit_unshared(benchmark::State& state) {
  const std::string body = make_body(1024);
  EVP_MAC_CTX* ctx = new_keyed_mac();
  if (ctx == nullptr) state.SkipWithError("EVP_MAC");
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  for (auto _ : state) {
    EVP_MAC_init(ctx, nullptr, 0, nullptr);
    mac_update(ctx, timestamp);
    mac_update(ctx, ".");
    mac_update(ctx, body);
    std::size_t length = 0;
    EVP_MAC_final(ctx, md.data(), &length, md.size());
    benchmark::DoNotOptimize(md.data());
  }
  EVP_MAC_CTX_free(ctx);
}
BENCHMARK(design_evp_mac_reinit_unshared);

// A lower bound: SHA-256 of the same message, no HMAC at all.
void sha256_of_the_message_only(benchmark::State& state) {
  const std::string body = make_body(1024);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, timestamp.data(), timestamp.size());
    EVP_DigestUpdate(ctx, ".", 1);
    EVP_DigestUpdate(ctx, body.data(), body.size());
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx, out.data(), &length);
    benchmark::DoNotOptimize(out.data());
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(sha256_of_the_message_only);

} // namespace

BENCHMARK_MAIN();
