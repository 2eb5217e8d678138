// SPDX-License-Identifier: MIT
// The Lucca signature scheme: Lucca-Timestamp and Lucca-Signature, signing and
// receiver-side verification.
#ifndef WEBHOOKD_SIGNING_LUCCA_HPP
#define WEBHOOKD_SIGNING_LUCCA_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/base64.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/signing/hmac.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace webhookd::signing {

/// Name of the header carrying the signed timestamp.
inline constexpr std::string_view lucca_timestamp_header = "Lucca-Timestamp";
/// Name of the header carrying the signature.
inline constexpr std::string_view lucca_signature_header = "Lucca-Signature";
/// Length of a `Lucca-Signature` value: 32 bytes in padded standard base64.
inline constexpr std::size_t lucca_signature_length =
    base64_encoded_size(hmac_sha256_size, base64_alphabet::standard);

static_assert(lucca_signature_length == 44);

/** Signs requests the Lucca way (SPEC.md Part 1 §1, Part 2 §7.3).

    `Lucca-Signature = base64(HMAC-SHA256(key = secret, msg = timestamp + "." + body))`,
    where the key is the bytes of the endpoint's secret string as-is (it is not
    base64-decoded), the timestamp is the `Lucca-Timestamp` header value byte for byte
    (`YYYY-MM-DDTHH:MM:SSZ`, see `write_rfc3339_seconds`), and the result is standard
    base64 with padding, 44 characters.

    The secret is keyed once, at construction; each signature then costs the hashing
    of the message only. Keep one signer per endpoint secret and reuse it for every
    attempt. The same object verifies, on the receiving side (`verify_lucca`).

    Copyable (an independent key is prepared, which allocates) and cheaply movable; a
    moved-from signer may only be assigned to or destroyed.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for concurrent `sign`/`sign_into` and
    `verify_lucca` calls (they only read the key; see `hmac_sha256_key`), unsafe with
    assignment or destruction.

    @par Example
    @code
    const lucca_signer signer{endpoint.secret};
    char ts[rfc3339_seconds_length];
    write_rfc3339_seconds(ts, clock.now());
    char sig[lucca_signature_length];
    signer.sign_into({ts, sizeof ts}, *body, sig);
    // Lucca-Timestamp: ts, Lucca-Signature: sig
    @endcode
*/
class lucca_signer {
public:
  /** Keys the signer with the bytes of `secret`, as-is.

      @throws std::invalid_argument if `secret` is empty (an empty key would let
      anyone sign); std::bad_alloc; std::runtime_error if OpenSSL has no SHA-256.
  */
  explicit lucca_signer(std::string_view secret) : key_(checked(secret)) {}

  /** Writes the 44-character `Lucca-Signature` of `timestamp + "." + body` to `out`.

      Does not allocate on the heap, and never copies `body`.

      @param timestamp The `Lucca-Timestamp` value that will be sent with it.
      @param out Room for `lucca_signature_length` (44) characters; no terminator.
      @returns `out + 44`.
      @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.
  */
  char* sign_into(std::string_view timestamp, std::string_view body, char* out) const {
    const std::array<std::string_view, 3> parts{timestamp, ".", body};
    const hmac_sha256_digest tag = key_.sign(parts);
    return base64_encode(tag, out, base64_alphabet::standard);
  }

  /** The `Lucca-Signature` of `timestamp + "." + body`, e.g.
      `neHJizYcpdPyD+yroKYvvvpHdWbzzRSlRIb68z1t1Po=`.

      @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.
  */
  std::string sign(std::string_view timestamp, std::string_view body) const {
    std::string s(lucca_signature_length, '\0');
    sign_into(timestamp, body, s.data());
    return s;
  }

  /// The prepared HMAC-SHA256 key.
  const hmac_sha256_key& hmac_key() const noexcept { return key_; }

private:
  static std::string_view checked(std::string_view secret) {
    if (secret.empty()) throw std::invalid_argument("webhookd: a Lucca secret must not be empty");
    return secret;
  }

  hmac_sha256_key key_;
};

namespace detail {

// The checks shared by both verify_lucca overloads; `sign` maps the message parts to
// the expected tag, and is only called once every cheaper check has passed.
template <class Sign>
result<void> verify_lucca_with(Sign&& sign, std::string_view timestamp_header,
                               std::string_view signature_header, std::string_view body,
                               timestamp now, std::chrono::milliseconds tolerance,
                               verification_failure* failure) {
  if (signature_header.empty())
    return unexpected(fail(failure, errc::missing_signature,
                           "the Lucca-Signature header is missing or empty"));
  if (timestamp_header.empty())
    return unexpected(fail(failure, errc::missing_timestamp,
                           "the Lucca-Timestamp header is missing or empty"));
  const result<timestamp> signed_at = parse_rfc3339(timestamp_header);
  if (!signed_at)
    return unexpected(fail(
        failure, errc::malformed_timestamp,
        "the Lucca-Timestamp header is not an RFC 3339 date-time like 2025-01-01T08:34:23Z"));
  if (signature_header.size() != lucca_signature_length)
    return unexpected(fail(failure, errc::malformed_signature,
                           "the Lucca-Signature header has " +
                               std::to_string(signature_header.size()) +
                               " characters, expected 44 (base64 of an HMAC-SHA256)"));
  const result<std::string> received = base64_decode(signature_header, base64_alphabet::standard);
  if (!received || received->size() != hmac_sha256_size)
    return unexpected(fail(failure, errc::malformed_signature,
                           "the Lucca-Signature header is not valid padded base64"));
  if (const std::error_code ec =
          check_tolerance(*signed_at, timestamp_header, now, tolerance, failure))
    return unexpected(ec);

  const std::array<std::string_view, 3> parts{timestamp_header, ".", body};
  const hmac_sha256_digest expected = sign(std::span<const std::string_view>{parts});
  const auto* received_bytes = reinterpret_cast<const std::uint8_t*>(received->data());
  if (!constant_time_equal(expected, {received_bytes, received->size()}))
    return unexpected(fail(
        failure, errc::signature_mismatch,
        "the Lucca-Signature does not match the body and timestamp signed with this secret "
        "(was the body altered or re-serialised, or is the secret another endpoint's?)"));
  return {};
}

} // namespace detail

/** Verifies a request signed the Lucca way, as a receiver must (SPEC.md Part 2 §7.3).

    Checks, in this order, and stops at the first failure:
    1. `signature_header` is present: else `errc::missing_signature`;
    2. `timestamp_header` is present: else `errc::missing_timestamp`;
    3. `timestamp_header` is an RFC 3339 date-time (`parse_rfc3339`; the Lucca form is
       `YYYY-MM-DDTHH:MM:SSZ`, fractions and offsets are tolerated since the signature
       covers the header's exact bytes anyway): else `errc::malformed_timestamp`;
    4. `signature_header` is 44 characters of padded standard base64 encoding 32 bytes:
       else `errc::malformed_signature`;
    5. the timestamp is at most `tolerance` away from `now`, in either direction, to the
       millisecond (exactly 300 s passes, 300.001 s does not): else
       `errc::timestamp_out_of_tolerance`;
    6. the signature equals the HMAC-SHA256 of `timestamp_header + "." + body`, compared
       in constant time (`CRYPTO_memcmp`): else `errc::signature_mismatch`.

    A receiver answers 401 to any failure.

    @param signer The receiver's key for this sender (keyed once, reused per request).
    @param timestamp_header The `Lucca-Timestamp` value as received (empty if absent).
    @param signature_header The `Lucca-Signature` value as received (empty if absent).
    @param body The raw request body, byte for byte as received (not re-serialised JSON).
    @param now The receiver's clock; must lie in the years 0000 to 9999.
    @param tolerance How far the timestamp may be from `now`; not negative.
    @param failure If not null, receives the code and a human-readable reason on failure
           (left untouched on success).
    @returns success, or one of the `webhookd::errc` codes above.
    @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.

    @par Example
    @code
    verification_failure why;
    if (!verify_lucca(signer, req["Lucca-Timestamp"], req["Lucca-Signature"], req.body(),
                      clock.now(), default_tolerance, &why)) {
      log.warn("rejected webhook: {}", why.reason);
      return respond(401);
    }
    @endcode

    @par Thread safety
    Safe to call concurrently, with the same `signer` too.
*/
inline result<void> verify_lucca(const lucca_signer& signer, std::string_view timestamp_header,
                                 std::string_view signature_header, std::string_view body,
                                 timestamp now,
                                 std::chrono::milliseconds tolerance = default_tolerance,
                                 verification_failure* failure = nullptr) {
  const auto sign = [&signer](std::span<const std::string_view> parts) {
    return signer.hmac_key().sign(parts);
  };
  return detail::verify_lucca_with(sign, timestamp_header, signature_header, body, now,
                                   tolerance, failure);
}

/** Verifies a request signed the Lucca way, keying `secret` for this one call.

    Same checks and results as the `lucca_signer` overload, preceded by one: an empty
    `secret` gives `errc::invalid_secret`. The secret is keyed only once the headers
    have passed every check but the signature itself. A receiver that verifies many
    requests should keep a `lucca_signer` instead, to key the secret once.

    @param secret The endpoint's secret string, as-is.
    @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.

    @par Thread safety
    Safe to call concurrently.
*/
inline result<void> verify_lucca(std::string_view secret, std::string_view timestamp_header,
                                 std::string_view signature_header, std::string_view body,
                                 timestamp now,
                                 std::chrono::milliseconds tolerance = default_tolerance,
                                 verification_failure* failure = nullptr) {
  if (secret.empty())
    return unexpected(detail::fail(failure, errc::invalid_secret, "the secret is empty"));
  const auto sign = [secret](std::span<const std::string_view> parts) {
    return hmac_sha256_key{secret}.sign(parts);
  };
  return detail::verify_lucca_with(sign, timestamp_header, signature_header, body, now,
                                   tolerance, failure);
}

} // namespace webhookd::signing

#endif // WEBHOOKD_SIGNING_LUCCA_HPP
