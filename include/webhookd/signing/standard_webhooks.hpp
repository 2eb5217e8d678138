// SPDX-License-Identifier: MIT
// The Standard Webhooks scheme: whsec_ secrets, webhook-id/-timestamp/-signature,
// signing with one or several secrets (rotation) and receiver-side verification.
#ifndef WEBHOOKD_SIGNING_STANDARD_WEBHOOKS_HPP
#define WEBHOOKD_SIGNING_STANDARD_WEBHOOKS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/base64.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/signing/hmac.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::signing {

/// Name of the header carrying the message id (the event id; receivers dedupe on it).
inline constexpr std::string_view standard_webhooks_id_header = "webhook-id";
/// Name of the header carrying the signing time, in unix seconds.
inline constexpr std::string_view standard_webhooks_timestamp_header = "webhook-timestamp";
/// Name of the header carrying the space-separated list of signatures.
inline constexpr std::string_view standard_webhooks_signature_header = "webhook-signature";
/// The prefix that identifies a Standard Webhooks symmetric secret.
inline constexpr std::string_view standard_webhooks_secret_prefix = "whsec_";
/// Length of one `v1,<base64>` signature entry.
inline constexpr std::size_t standard_webhooks_signature_length =
    3 + base64_encoded_size(hmac_sha256_size, base64_alphabet::standard);

static_assert(standard_webhooks_signature_length == 47);

/** One Standard Webhooks symmetric key (signature version `v1`).

    A `v1` signature is `v1,` followed by the standard base64 (with padding) of
    HMAC-SHA256(key, id + "." + timestamp + "." + body), where `id` and `timestamp` are
    the `webhook-id` and `webhook-timestamp` values byte for byte (SPEC.md Part 1 §2;
    Standard Webhooks specification, "Signature scheme").

    Secrets are shown as `whsec_<base64 of the key bytes>`. The key is keyed once, at
    construction; keep one per secret and reuse it.

    Copyable (an independent key is prepared, which allocates) and cheaply movable; a
    moved-from key may only be assigned to or destroyed.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for concurrent `sign`/`sign_into` and
    verification (they only read the key; see `hmac_sha256_key`), unsafe with
    assignment or destruction.
*/
class standard_webhooks_key {
public:
  /** Parses a `whsec_<base64>` secret into a key.

      The key is the base64-decoded bytes after the prefix. As in the Standard Webhooks
      reference libraries, the `whsec_` prefix may be left out; unlike some of them,
      nothing else is skipped: the base64 must be standard (`+/`), and its `=` padding
      may be omitted but must be right if present. The specification asks for keys of
      24 to 64 bytes; this is not enforced, since the reference libraries do not.

      @returns the key, or `errc::invalid_secret` if nothing follows the prefix or it
      is not base64.
      @throws std::bad_alloc; std::runtime_error if OpenSSL has no SHA-256.
  */
  static result<standard_webhooks_key> parse(std::string_view secret) {
    if (secret.starts_with(standard_webhooks_secret_prefix))
      secret.remove_prefix(standard_webhooks_secret_prefix.size());
    if (secret.empty()) return unexpected(make_error_code(errc::invalid_secret));
    std::string padded{secret};
    if (padded.size() % 4 == 2) padded += "==";
    if (padded.size() % 4 == 3) padded += '=';
    result<std::string> key = base64_decode(padded, base64_alphabet::standard);
    OPENSSL_cleanse(padded.data(), padded.size());
    if (!key || key->empty()) return unexpected(make_error_code(errc::invalid_secret));
    const detail::cleanse_guard guard{key->data(), key->size()};
    return standard_webhooks_key{
        std::span<const std::uint8_t>{reinterpret_cast<const std::uint8_t*>(key->data()),
                                      key->size()}};
  }

  /** Keys raw bytes (e.g. freshly generated ones; see `format_standard_webhooks_secret`).

      @throws std::invalid_argument if `key` is empty; std::bad_alloc;
      std::runtime_error if OpenSSL has no SHA-256.
  */
  explicit standard_webhooks_key(std::span<const std::uint8_t> key) : key_(checked(key)) {}

  /** Writes one `v1,<base64>` signature (47 characters) of `id.timestamp.body` to `out`.

      Does not allocate on the heap, and never copies `body`.

      @param id The `webhook-id` value; it should contain no `.` (specification).
      @param unix_timestamp The `webhook-timestamp` value (see `format_unix_seconds`).
      @param out Room for `standard_webhooks_signature_length` characters.
      @returns `out + 47`.
      @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.
  */
  char* sign_into(std::string_view id, std::string_view unix_timestamp, std::string_view body,
                  char* out) const {
    const hmac_sha256_digest tag = digest(id, unix_timestamp, body);
    *out++ = 'v';
    *out++ = '1';
    *out++ = ',';
    return base64_encode(tag, out, base64_alphabet::standard);
  }

  /** One `v1,<base64>` signature of `id.timestamp.body`, e.g.
      `v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=`.

      @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.
  */
  std::string sign(std::string_view id, std::string_view unix_timestamp,
                   std::string_view body) const {
    std::string s(standard_webhooks_signature_length, '\0');
    sign_into(id, unix_timestamp, body, s.data());
    return s;
  }

  /// The raw HMAC-SHA256 of `id.timestamp.body`.
  hmac_sha256_digest digest(std::string_view id, std::string_view unix_timestamp,
                            std::string_view body) const {
    const std::array<std::string_view, 5> parts{id, ".", unix_timestamp, ".", body};
    return key_.sign(parts);
  }

  /// The prepared HMAC-SHA256 key.
  const hmac_sha256_key& hmac_key() const noexcept { return key_; }

private:
  static std::span<const std::uint8_t> checked(std::span<const std::uint8_t> key) {
    if (key.empty())
      throw std::invalid_argument("webhookd: a Standard Webhooks key must not be empty");
    return key;
  }

  hmac_sha256_key key_;
};

/** `key` shown as a Standard Webhooks secret: `whsec_` + standard base64 (padded).

    @par Thread safety
    Safe to call from any thread.
*/
inline std::string format_standard_webhooks_secret(std::span<const std::uint8_t> key) {
  std::string s{standard_webhooks_secret_prefix};
  s += base64_encode(key, base64_alphabet::standard);
  return s;
}

/** The `whsec_` form of a webhookd endpoint secret, for Standard Webhooks receivers.

    In Standard Webhooks mode the engine keys HMAC with the endpoint secret's bytes
    as they are (as the Lucca scheme does), so one secret serves both schemes; the
    reference libraries expect the key base64-encoded behind `whsec_`.
*/
inline std::string standard_webhooks_secret_for(std::string_view endpoint_secret) {
  return format_standard_webhooks_secret(std::span<const std::uint8_t>{
      reinterpret_cast<const std::uint8_t*>(endpoint_secret.data()), endpoint_secret.size()});
}

/** `t` as a `webhook-timestamp` value: whole unix seconds, rounded down, e.g.
    `1614265330`.

    @par Thread safety
    Safe to call from any thread.
*/
inline std::string format_unix_seconds(timestamp t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  std::array<char, 24> buffer;
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), seconds);
  WEBHOOKD_ASSERT(ec == std::errc{});
  return std::string(buffer.data(), end);
}

/** The three header values of a request signed the Standard Webhooks way.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct standard_webhooks_headers {
  std::string id;        ///< the `webhook-id` value
  std::string timestamp; ///< the `webhook-timestamp` value (unix seconds)
  std::string signature; ///< the `webhook-signature` value (one or more `v1,` entries)
};

/** Signs requests the Standard Webhooks way, with one or several keys.

    With several keys (secret rotation, SPEC.md Part 1 §11) the `webhook-signature`
    value lists one `v1,` signature per key, in the order the keys were given,
    separated by single spaces; a receiver that knows any one of the secrets accepts
    the request.

    Copyable (every key is prepared again, which allocates) and cheaply movable; a
    moved-from signer may only be assigned to or destroyed.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for concurrent `sign`/`signature`
    calls, unsafe with assignment or destruction.

    @par Example
    @code
    auto signer = standard_webhooks_signer::parse({new_secret, old_secret});
    if (!signer) throw std::invalid_argument("bad whsec_ secret");
    const standard_webhooks_headers h = signer->sign(event.id, clock.now(), *body);
    // webhook-id: h.id, webhook-timestamp: h.timestamp, webhook-signature: h.signature
    @endcode
*/
class standard_webhooks_signer {
public:
  /// Signs with one key.
  explicit standard_webhooks_signer(standard_webhooks_key key) { keys_.push_back(std::move(key)); }

  /// Signs with every key of `keys`, in order. @throws std::invalid_argument if empty.
  explicit standard_webhooks_signer(std::vector<standard_webhooks_key> keys)
      : keys_(std::move(keys)) {
    if (keys_.empty())
      throw std::invalid_argument("webhookd: a Standard Webhooks signer needs a key");
  }

  /** Parses each `whsec_` secret (see `standard_webhooks_key::parse`).

      @returns the signer, or `errc::invalid_secret` if `secrets` is empty or any of
      them is invalid.
  */
  static result<standard_webhooks_signer> parse(std::span<const std::string_view> secrets) {
    if (secrets.empty()) return unexpected(make_error_code(errc::invalid_secret));
    std::vector<standard_webhooks_key> keys;
    keys.reserve(secrets.size());
    for (const std::string_view secret : secrets) {
      result<standard_webhooks_key> key = standard_webhooks_key::parse(secret);
      if (!key) return unexpected(key.error());
      keys.push_back(*std::move(key));
    }
    return standard_webhooks_signer{std::move(keys)};
  }

  /// Parses each `whsec_` secret, e.g. `parse({new_secret, old_secret})`.
  static result<standard_webhooks_signer> parse(std::initializer_list<std::string_view> secrets) {
    return parse(std::span<const std::string_view>{secrets.begin(), secrets.size()});
  }

  /** The `webhook-signature` value: one `v1,` signature per key, space-separated.

      @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.
  */
  std::string signature(std::string_view id, std::string_view unix_timestamp,
                        std::string_view body) const {
    std::string s(keys_.size() * (standard_webhooks_signature_length + 1) - 1, ' ');
    char* out = s.data();
    for (const standard_webhooks_key& key : keys_) {
      out = key.sign_into(id, unix_timestamp, body, out);
      ++out; // the separating space, already there
    }
    return s;
  }

  /** The three header values for sending `body` as message `id` at `sent_at`.

      @param id The `webhook-id` value (webhookd uses the event id, stable across
             retries); it should contain no `.`.
      @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.
  */
  standard_webhooks_headers sign(std::string_view id, timestamp sent_at,
                                 std::string_view body) const {
    standard_webhooks_headers h{std::string(id), format_unix_seconds(sent_at), {}};
    h.signature = signature(h.id, h.timestamp, body);
    return h;
  }

  /// The keys, in signing order.
  std::span<const standard_webhooks_key> keys() const noexcept { return keys_; }

private:
  std::vector<standard_webhooks_key> keys_;
};

namespace detail {

// 9999-12-31T23:59:59Z: the last second webhookd's time functions represent.
inline constexpr std::int64_t max_unix_seconds = 253402300799;

// Calls `f(decoded)` for each well-formed `v1,<base64 of 32 bytes>` entry of a
// webhook-signature value, until `f` returns true; returns how many it visited.
template <class F>
std::size_t for_each_v1_signature(std::string_view header, F&& f) {
  std::size_t visited = 0;
  while (!header.empty()) {
    const std::size_t space = header.find(' ');
    const std::string_view entry = header.substr(0, space);
    header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
    // Entries of other versions (v1a, v2, ...) are ignored, as the specification says.
    if (!entry.starts_with("v1,")) continue;
    const std::string_view value = entry.substr(3);
    if (value.size() != standard_webhooks_signature_length - 3) continue;
    const result<std::string> bytes = base64_decode(value, base64_alphabet::standard);
    if (!bytes || bytes->size() != hmac_sha256_size) continue;
    ++visited;
    if (f(std::span<const std::uint8_t>{reinterpret_cast<const std::uint8_t*>(bytes->data()),
                                        bytes->size()}))
      break;
  }
  return visited;
}

template <class Sign>
result<void> verify_standard_webhooks_with(Sign&& sign, std::string_view id_header,
                                           std::string_view timestamp_header,
                                           std::string_view signature_header,
                                           std::string_view body, timestamp now,
                                           std::chrono::milliseconds tolerance,
                                           verification_failure* failure) {
  if (signature_header.find_first_not_of(' ') == std::string_view::npos)
    return unexpected(fail(failure, errc::missing_signature,
                           "the webhook-signature header is missing or empty"));
  if (id_header.empty())
    return unexpected(fail(failure, errc::missing_signature,
                           "the webhook-id header is missing or empty; it is part of what "
                           "is signed"));
  if (timestamp_header.empty())
    return unexpected(fail(failure, errc::missing_timestamp,
                           "the webhook-timestamp header is missing or empty"));
  std::int64_t seconds = 0;
  {
    const char* first = timestamp_header.data();
    const char* last = first + timestamp_header.size();
    const bool digits_only =
        timestamp_header.find_first_not_of("0123456789") == std::string_view::npos;
    const auto [end, ec] = std::from_chars(first, last, seconds);
    if (!digits_only || ec != std::errc{} || end != last)
      return unexpected(fail(failure, errc::malformed_timestamp,
                             "the webhook-timestamp header is not a number of unix seconds"));
  }
  if (for_each_v1_signature(signature_header, [](auto) { return false; }) == 0)
    return unexpected(fail(failure, errc::malformed_signature,
                           "the webhook-signature header holds no well-formed v1 signature "
                           "(v1,<44 characters of base64>)"));
  if (seconds > max_unix_seconds)
    return unexpected(fail(failure, errc::timestamp_out_of_tolerance,
                           "timestamp " + std::string(timestamp_header) +
                               " is after the year 9999"));
  const timestamp signed_at{std::chrono::seconds{seconds}};
  const std::string shown =
      std::string(timestamp_header) + " (" + format_rfc3339_seconds(signed_at) + ")";
  if (const std::error_code ec = check_tolerance(signed_at, shown, now, tolerance, failure))
    return unexpected(ec);

  const std::array<std::string_view, 5> parts{id_header, ".", timestamp_header, ".", body};
  const hmac_sha256_digest expected = sign(std::span<const std::string_view>{parts});
  bool matched = false;
  for_each_v1_signature(signature_header, [&](std::span<const std::uint8_t> received) {
    matched = constant_time_equal(expected, received);
    return matched;
  });
  if (!matched)
    return unexpected(fail(failure, errc::signature_mismatch,
                           "no v1 signature in the webhook-signature header matches the "
                           "body, id and timestamp signed with this secret"));
  return {};
}

} // namespace detail

/** Verifies a request signed the Standard Webhooks way, as a receiver must.

    Checks, in this order, and stops at the first failure:
    1. `signature_header` is present: else `errc::missing_signature`;
    2. `id_header` is present (it is signed): else `errc::missing_signature`, with a
       reason naming `webhook-id` (the error codes have no separate one for it);
    3. `timestamp_header` is present: else `errc::missing_timestamp`;
    4. `timestamp_header` is decimal unix seconds (digits only): else
       `errc::malformed_timestamp`;
    5. `signature_header` holds at least one well-formed `v1,<base64 of 32 bytes>`
       entry among its space-separated entries (entries of other versions, such as
       `v1a`, are ignored, as are malformed ones): else `errc::malformed_signature`;
    6. the timestamp is at most `tolerance` away from `now`, either way, to the
       millisecond: else `errc::timestamp_out_of_tolerance`;
    7. some `v1` entry equals the HMAC-SHA256 of `id.timestamp.body` (the header values
       as received), each compared in constant time (`CRYPTO_memcmp`): else
       `errc::signature_mismatch`.

    This accepts what the Standard Webhooks reference libraries accept, except
    timestamps that are not plain digits, which some of them parse leniently.

    @param key The receiver's key for this sender.
    @param id_header, timestamp_header, signature_header The `webhook-id`,
           `webhook-timestamp` and `webhook-signature` values (empty if absent).
    @param body The raw request body, byte for byte as received.
    @param now The receiver's clock; must lie in the years 0000 to 9999.
    @param tolerance How far the timestamp may be from `now`; not negative.
    @param failure If not null, receives the code and a reason on failure.
    @returns success, or one of the `webhookd::errc` codes above.
    @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.

    @par Thread safety
    Safe to call concurrently, with the same `key` too.
*/
inline result<void> verify_standard_webhooks(
    const standard_webhooks_key& key, std::string_view id_header,
    std::string_view timestamp_header, std::string_view signature_header, std::string_view body,
    timestamp now, std::chrono::milliseconds tolerance = default_tolerance,
    verification_failure* failure = nullptr) {
  const auto sign = [&key](std::span<const std::string_view> parts) {
    return key.hmac_key().sign(parts);
  };
  return detail::verify_standard_webhooks_with(sign, id_header, timestamp_header,
                                               signature_header, body, now, tolerance, failure);
}

/** Verifies a request signed the Standard Webhooks way with a `whsec_` secret.

    Same checks and results as the `standard_webhooks_key` overload, preceded by one: a
    secret that `standard_webhooks_key::parse` rejects gives `errc::invalid_secret`. A
    receiver that verifies many requests should parse the secret once and keep the key.

    @throws std::bad_alloc, std::runtime_error as `hmac_sha256_key::sign`.

    @par Thread safety
    Safe to call concurrently.
*/
inline result<void> verify_standard_webhooks(
    std::string_view secret, std::string_view id_header, std::string_view timestamp_header,
    std::string_view signature_header, std::string_view body, timestamp now,
    std::chrono::milliseconds tolerance = default_tolerance,
    verification_failure* failure = nullptr) {
  const result<standard_webhooks_key> key = standard_webhooks_key::parse(secret);
  if (!key)
    return unexpected(detail::fail(failure, errc::invalid_secret,
                                   "the secret is not whsec_ followed by base64"));
  return verify_standard_webhooks(*key, id_header, timestamp_header, signature_header, body, now,
                                  tolerance, failure);
}

} // namespace webhookd::signing

#endif // WEBHOOKD_SIGNING_STANDARD_WEBHOOKS_HPP
