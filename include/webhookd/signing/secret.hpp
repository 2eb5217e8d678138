// SPDX-License-Identifier: MIT
// CSPRNG bytes, endpoint secrets and activation-challenge values.
#ifndef WEBHOOKD_SIGNING_SECRET_HPP
#define WEBHOOKD_SIGNING_SECRET_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/base64.hpp>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace webhookd::signing {

/// Number of CSPRNG bytes in an endpoint secret (SPEC.md Part 1 §9).
inline constexpr std::size_t secret_bytes = 48;
/// Length of an endpoint secret: 48 bytes in unpadded base64url.
inline constexpr std::size_t secret_length =
    base64_encoded_size(secret_bytes, base64_alphabet::url);
/// Number of CSPRNG bytes in an activation-challenge value (SPEC.md Part 1 §8).
inline constexpr std::size_t challenge_bytes = 32;
/// Length of an activation-challenge value: 32 bytes in unpadded base64url.
inline constexpr std::size_t challenge_length =
    base64_encoded_size(challenge_bytes, base64_alphabet::url);

static_assert(secret_length == 64);
static_assert(challenge_length == 43);

/** Fills `out` with bytes from OpenSSL's CSPRNG (`RAND_bytes`).

    @throws std::runtime_error if the CSPRNG fails (e.g. it could not be seeded). That
    is a broken invariant of the host, not an outcome to handle: nothing that needs
    secret randomness can continue safely.

    @par Thread safety
    Safe to call from any thread (`RAND_bytes` is thread-safe).
*/
inline void random_bytes(std::span<std::uint8_t> out) {
  std::uint8_t* data = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    // RAND_bytes takes an int count.
    const int chunk = left > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(left);
    if (RAND_bytes(data, chunk) != 1) {
      std::string message = "webhookd: the CSPRNG (RAND_bytes) failed";
      if (const unsigned long code = ERR_get_error(); code != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        message += ": ";
        message += buffer;
      }
      ERR_clear_error();
      throw std::runtime_error(message);
    }
    data += chunk;
    left -= static_cast<std::size_t>(chunk);
  }
}

namespace detail {

// N CSPRNG bytes in unpadded base64url; the raw bytes are overwritten afterwards.
template <std::size_t N>
std::string random_base64url() {
  std::array<std::uint8_t, N> bytes;
  random_bytes(bytes);
  std::string text = base64_encode(bytes, base64_alphabet::url);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return text;
}

} // namespace detail

/** A new endpoint secret: 48 CSPRNG bytes as 64 characters of unpadded base64url.

    The Lucca scheme signs with the bytes of this string as-is (SPEC.md Part 2 §7.3),
    so the key is 64 ASCII bytes carrying 384 bits of entropy.

    @throws std::runtime_error if the CSPRNG fails; std::bad_alloc.

    @par Thread safety
    Safe to call from any thread.
*/
inline std::string generate_secret() { return detail::random_base64url<secret_bytes>(); }

/** A new activation-challenge value: 32 CSPRNG bytes as 43 characters of unpadded
    base64url, safe to put in a query string unescaped (SPEC.md Part 1 §8).

    @throws std::runtime_error if the CSPRNG fails; std::bad_alloc.

    @par Thread safety
    Safe to call from any thread.
*/
inline std::string generate_challenge() { return detail::random_base64url<challenge_bytes>(); }

} // namespace webhookd::signing

#endif // WEBHOOKD_SIGNING_SECRET_HPP
