// SPDX-License-Identifier: MIT
// HMAC-SHA256 keyed once per secret and reused per message, plus the constant-time
// comparison and timestamp-tolerance helpers that the signature schemes share.
#ifndef WEBHOOKD_SIGNING_HMAC_HPP
#define WEBHOOKD_SIGNING_HMAC_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/time.hpp>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace webhookd::signing {

/// Size in bytes of an HMAC-SHA256 tag.
inline constexpr std::size_t hmac_sha256_size = 32;

/// An HMAC-SHA256 tag.
using hmac_sha256_digest = std::array<std::uint8_t, hmac_sha256_size>;

namespace detail {

// SHA-256 processes 64-byte blocks; HMAC pads or hashes the key to this size.
inline constexpr std::size_t sha256_block_size = 64;

struct evp_md_ctx_deleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using evp_md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, evp_md_ctx_deleter>;

struct evp_md_deleter {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};

// Throws std::runtime_error carrying OpenSSL's first queued error, and empties the
// queue so that the failure does not leak into the next, unrelated OpenSSL call.
[[noreturn]] inline void throw_openssl_error(const char* what) {
  std::string message = "webhookd: ";
  message += what;
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message += ": ";
    message += buffer;
  }
  ERR_clear_error();
  throw std::runtime_error(message);
}

// SHA-256, fetched once from the default library context. An explicit fetch avoids
// the implicit name lookup that EVP_DigestInit_ex(EVP_sha256()) repeats each time.
// The holder is constructed after OpenSSL registers its exit handler (the fetch
// initialises the library), so it is destroyed before OpenSSL cleans up.
inline const EVP_MD* sha256() {
  static const std::unique_ptr<EVP_MD, evp_md_deleter> md{
      EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  if (!md) throw_openssl_error("SHA-256 is not available from OpenSSL");
  return md.get();
}

inline evp_md_ctx_ptr new_md_ctx() {
  evp_md_ctx_ptr ctx{EVP_MD_CTX_new()};
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

inline evp_md_ctx_ptr copy_md_ctx(const EVP_MD_CTX* from) {
  if (from == nullptr) return nullptr;
  evp_md_ctx_ptr ctx = new_md_ctx();
  if (EVP_MD_CTX_copy_ex(ctx.get(), from) != 1)
    throw_openssl_error("cannot copy an HMAC-SHA256 key");
  return ctx;
}

// The calling thread's scratch context: messages are hashed here, so a shared key
// is only ever read. Created on first use by each thread, freed at thread exit.
inline EVP_MD_CTX* thread_scratch() {
  thread_local const evp_md_ctx_ptr ctx = new_md_ctx();
  return ctx.get();
}

// Overwrites key material on every path out of a scope, exceptions included.
class cleanse_guard {
public:
  cleanse_guard(void* data, std::size_t size) noexcept : data_(data), size_(size) {}
  cleanse_guard(const cleanse_guard&) = delete;
  cleanse_guard& operator=(const cleanse_guard&) = delete;
  ~cleanse_guard() { OPENSSL_cleanse(data_, size_); }

private:
  void* data_;
  std::size_t size_;
};

} // namespace detail

/** A scratch hashing context for `hmac_sha256_key::sign`, owned by the caller.

    Signing needs somewhere to hash the message without touching the key. By default
    each thread uses its own hidden scratch context; a caller that prefers to own
    that state (e.g. one per worker, or to avoid `thread_local` altogether) passes one
    of these instead. It holds no key material between calls that matters: every
    `sign` overwrites it before use.

    Movable, not copyable. A moved-from context may only be assigned to or destroyed.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (a context is written by every
    `sign` call that uses it, so two threads must not sign with the same one at once).
*/
class hmac_sha256_context {
public:
  /// Allocates the context. @throws std::bad_alloc if OpenSSL cannot allocate it.
  hmac_sha256_context() : ctx_(detail::new_md_ctx()) {}

private:
  friend class hmac_sha256_key;
  detail::evp_md_ctx_ptr ctx_;
};

/** An HMAC-SHA256 key, prepared once and reused for any number of messages.

    HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), where K' is the key padded
    to the 64-byte block (or first hashed, if longer). Construction hashes the two
    key blocks, `K' ^ ipad` and `K' ^ opad`, once, and keeps the two SHA-256 states
    that follow them. Signing a message then copies the inner state into a scratch
    context, feeds it the message, finishes it, and does the same with the outer state
    and the 32-byte inner hash: two state copies and the message's own compressions,
    instead of re-keying (two extra compressions plus OpenSSL's per-call MAC set-up)
    for every message.

    The message may be given in several parts (e.g. timestamp, `"."`, body), which are
    hashed in order as if concatenated, so a large body is never copied.

    Keys of any length are accepted, including empty ones (RFC 2104); the signature
    schemes built on top decide what a valid secret is.

    @par Copy and move
    Copying prepares an independent key with the same bytes (it allocates, and may
    throw `std::bad_alloc`). Moving is cheap and `noexcept`; a moved-from key may only
    be assigned to or destroyed, and signing with it is a precondition violation.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for concurrent `sign` calls, unsafe
    otherwise. `sign` only reads the key: it copies the precomputed states with
    `EVP_MD_CTX_copy_ex`, which takes its source as `const` and duplicates the SHA-256
    state into the destination (OpenSSL's only write on the source's side is the
    thread-safe reference count of the shared, immutable `EVP_MD`). All hashing happens in a
    context private to the call: the calling thread's own scratch context, or the
    `hmac_sha256_context` the caller passes, which must not be used by two threads at
    once. Assigning to, moving from or destroying a key while another thread signs
    with it is a data race.

    @par Example
    @code
    const hmac_sha256_key key{std::string_view{"secret"}};      // once per secret
    const hmac_sha256_digest tag = key.sign({timestamp, ".", body}); // per message
    @endcode
*/
class hmac_sha256_key {
public:
  /** Prepares the key from raw bytes.

      @throws std::bad_alloc if OpenSSL cannot allocate its contexts;
      std::runtime_error if OpenSSL offers no SHA-256 (a misconfigured OpenSSL).
  */
  explicit hmac_sha256_key(std::span<const std::uint8_t> key) { init(key.data(), key.size()); }

  /** Prepares the key from the bytes of `key`, as-is (no decoding).

      @throws std::bad_alloc, std::runtime_error as the byte-span constructor.
  */
  explicit hmac_sha256_key(std::string_view key) {
    init(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
  }

  /// Prepares an independent copy of `other`. @throws std::bad_alloc, std::runtime_error.
  hmac_sha256_key(const hmac_sha256_key& other)
      : inner_(detail::copy_md_ctx(other.inner_.get())),
        outer_(detail::copy_md_ctx(other.outer_.get())) {}

  /// Replaces this key with a copy of `other` (strong guarantee).
  hmac_sha256_key& operator=(const hmac_sha256_key& other) {
    if (this != &other) {
      hmac_sha256_key copy{other};
      *this = std::move(copy);
    }
    return *this;
  }

  /// Takes over `other`'s state; `other` may then only be assigned to or destroyed.
  hmac_sha256_key(hmac_sha256_key&& other) noexcept = default;
  /// Takes over `other`'s state; `other` may then only be assigned to or destroyed.
  hmac_sha256_key& operator=(hmac_sha256_key&& other) noexcept = default;

  /// Frees the key's contexts; OpenSSL overwrites the SHA-256 states as it frees them.
  ~hmac_sha256_key() = default;

  /** The HMAC-SHA256 of `message`.

      @throws std::bad_alloc if OpenSSL cannot allocate per-call state;
      std::runtime_error if OpenSSL fails otherwise (not expected with a valid key).
  */
  hmac_sha256_digest sign(std::string_view message) const {
    return sign(std::span<const std::string_view>{&message, 1});
  }

  /** The HMAC-SHA256 of the concatenation of `parts`, e.g. `key.sign({ts, ".", body})`.

      @throws std::bad_alloc, std::runtime_error as `sign(std::string_view)`.
  */
  hmac_sha256_digest sign(std::initializer_list<std::string_view> parts) const {
    return sign(std::span<const std::string_view>{parts.begin(), parts.size()});
  }

  /** The HMAC-SHA256 of the concatenation of `parts`, hashed in the calling thread's
      scratch context.

      @throws std::bad_alloc, std::runtime_error as `sign(std::string_view)`.
  */
  hmac_sha256_digest sign(std::span<const std::string_view> parts) const {
    hmac_sha256_digest out;
    sign_into(parts, out.data(), detail::thread_scratch());
    return out;
  }

  /** The HMAC-SHA256 of the concatenation of `parts`, hashed in `context`.

      @param context Scratch state; must not be in use by another thread.
      @throws std::bad_alloc, std::runtime_error as `sign(std::string_view)`.
  */
  hmac_sha256_digest sign(std::span<const std::string_view> parts,
                          hmac_sha256_context& context) const {
    WEBHOOKD_ASSERT(context.ctx_ != nullptr);
    hmac_sha256_digest out;
    sign_into(parts, out.data(), context.ctx_.get());
    return out;
  }

private:
  void init(const std::uint8_t* key, std::size_t size) {
    const EVP_MD* md = detail::sha256();
    std::array<std::uint8_t, detail::sha256_block_size> block{};
    std::array<std::uint8_t, detail::sha256_block_size> pad{};
    const detail::cleanse_guard block_guard{block.data(), block.size()};
    const detail::cleanse_guard pad_guard{pad.data(), pad.size()};

    if (size > block.size()) {
      // RFC 2104 §2: keys longer than the block are replaced by their hash.
      unsigned int length = 0;
      if (EVP_Digest(key, size, block.data(), &length, md, nullptr) != 1)
        detail::throw_openssl_error("cannot hash an HMAC-SHA256 key");
    } else if (size > 0) {
      std::memcpy(block.data(), key, size);
    }

    auto prepare = [&](std::uint8_t xor_with) {
      for (std::size_t i = 0; i < block.size(); ++i)
        pad[i] = static_cast<std::uint8_t>(block[i] ^ xor_with);
      detail::evp_md_ctx_ptr ctx = detail::new_md_ctx();
      if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
          EVP_DigestUpdate(ctx.get(), pad.data(), pad.size()) != 1)
        detail::throw_openssl_error("cannot prepare an HMAC-SHA256 key");
      return ctx;
    };
    inner_ = prepare(0x36);
    outer_ = prepare(0x5c);
  }

  void sign_into(std::span<const std::string_view> parts, std::uint8_t* out,
                 EVP_MD_CTX* scratch) const {
    WEBHOOKD_ASSERT(inner_ != nullptr && outer_ != nullptr); // not a moved-from key
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> inner_hash;
    unsigned int length = 0;
    if (EVP_MD_CTX_copy_ex(scratch, inner_.get()) != 1)
      detail::throw_openssl_error("HMAC-SHA256 failed");
    for (const std::string_view part : parts) {
      if (!part.empty() && EVP_DigestUpdate(scratch, part.data(), part.size()) != 1)
        detail::throw_openssl_error("HMAC-SHA256 failed");
    }
    if (EVP_DigestFinal_ex(scratch, inner_hash.data(), &length) != 1 ||
        EVP_MD_CTX_copy_ex(scratch, outer_.get()) != 1 ||
        EVP_DigestUpdate(scratch, inner_hash.data(), hmac_sha256_size) != 1 ||
        EVP_DigestFinal_ex(scratch, out, &length) != 1)
      detail::throw_openssl_error("HMAC-SHA256 failed");
    WEBHOOKD_ASSERT(length == hmac_sha256_size);
  }

  detail::evp_md_ctx_ptr inner_; // SHA-256 state after (K' ^ ipad)
  detail::evp_md_ctx_ptr outer_; // SHA-256 state after (K' ^ opad)
};

/** Compares two byte strings in time that depends only on their lengths.

    Lengths are not secret (a signature's length is public), so differing lengths
    return `false` at once; equal lengths are compared with `CRYPTO_memcmp`, which
    reads every byte whatever the first difference.

    @par Thread safety
    Safe to call from any thread.
*/
inline bool constant_time_equal(std::span<const std::uint8_t> a,
                                std::span<const std::uint8_t> b) noexcept {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

/// How far a receiver lets a signed timestamp be from its own clock, either way, by
/// default: 5 minutes (SPEC.md Part 2 §7.3; the Standard Webhooks libraries agree).
inline constexpr std::chrono::seconds default_tolerance{300};

/** Why a signature did not verify: the error code and a sentence for the logs.

    The reason names the header and the rule it broke, with the numbers that matter
    (e.g. `timestamp 2025-01-01T08:34:23Z is 412 s before now (2025-01-01T08:41:15Z),
    tolerance 300 s`). It never contains the secret or the expected signature, but it
    may quote the received timestamp; log it, and answer the sender a plain 401.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct verification_failure {
  /// The same `webhookd::errc` code as the verifier's returned error.
  std::error_code code;
  /// A human-readable explanation.
  std::string reason;
};

namespace detail {

// "412 s" or "300.500 s".
inline std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  std::string s = std::to_string(ms / 1000);
  if (const auto rest = ms % 1000; rest != 0) {
    const std::string digits = std::to_string(1000 + rest); // "1" + three digits
    s += '.';
    s += digits.substr(1);
  }
  s += " s";
  return s;
}

// Fills `failure` (if any) and returns the code, for one-line early returns.
inline std::error_code fail(verification_failure* failure, errc code, std::string reason) {
  const std::error_code ec = make_error_code(code);
  if (failure != nullptr) {
    failure->code = ec;
    failure->reason = std::move(reason);
  }
  return ec;
}

// Checks |now - signed_at| <= tolerance, to the millisecond. `shown` is how the
// reason quotes the signed timestamp (the header as received, or a rendering of it).
// Precondition: `now` lies in the years 0000 to 9999 (it is quoted in the reason).
inline std::error_code check_tolerance(timestamp signed_at, std::string_view shown,
                                       timestamp now, std::chrono::milliseconds tolerance,
                                       verification_failure* failure) {
  WEBHOOKD_ASSERT(tolerance.count() >= 0);
  const std::chrono::milliseconds distance = now - signed_at;
  const std::chrono::milliseconds magnitude = distance < distance.zero() ? -distance : distance;
  if (magnitude <= tolerance) return {};
  std::string reason = "timestamp ";
  reason += shown;
  reason += " is ";
  reason += format_duration(magnitude);
  reason += distance > distance.zero() ? " before now (" : " after now (";
  reason += format_rfc3339_seconds(now);
  reason += "), tolerance ";
  reason += format_duration(tolerance);
  return fail(failure, errc::timestamp_out_of_tolerance, std::move(reason));
}

} // namespace detail

} // namespace webhookd::signing

#endif // WEBHOOKD_SIGNING_HMAC_HPP
