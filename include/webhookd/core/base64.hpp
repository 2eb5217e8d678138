// SPDX-License-Identifier: MIT
// base64 (RFC 4648 §4, padded) and base64url (§5, unpadded) encoding and decoding.
#ifndef WEBHOOKD_CORE_BASE64_HPP
#define WEBHOOKD_CORE_BASE64_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace webhookd {

/// Which base64 alphabet and padding rule to use.
enum class base64_alphabet {
  standard, ///< `A-Z a-z 0-9 + /` with `=` padding (signature headers)
  url,      ///< `A-Z a-z 0-9 - _` without padding (secrets, challenges)
};

/// Number of characters `base64_encode` writes for `n` input bytes.
constexpr std::size_t base64_encoded_size(std::size_t n, base64_alphabet a) noexcept {
  return a == base64_alphabet::standard ? (n + 2) / 3 * 4 : (n * 4 + 2) / 3;
}

/** Encodes `in` into `out`, which must hold `base64_encoded_size(in.size(), a)` chars.

    Does not allocate. @returns one past the last character written.
*/
inline char* base64_encode(std::span<const std::uint8_t> in, char* out,
                           base64_alphabet a = base64_alphabet::standard) noexcept {
  const char* table = a == base64_alphabet::standard
                          ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::size_t i = 0;
  const std::size_t n = in.size();
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    *out++ = table[(v >> 18) & 63];
    *out++ = table[(v >> 12) & 63];
    *out++ = table[(v >> 6) & 63];
    *out++ = table[v & 63];
  }
  if (const std::size_t rest = n - i; rest > 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    *out++ = table[(v >> 18) & 63];
    *out++ = table[(v >> 12) & 63];
    if (rest == 2) *out++ = table[(v >> 6) & 63];
    if (a == base64_alphabet::standard) {
      if (rest == 1) *out++ = '=';
      *out++ = '=';
    }
  }
  return out;
}

/// `in` encoded as a string.
inline std::string base64_encode(std::span<const std::uint8_t> in,
                                 base64_alphabet a = base64_alphabet::standard) {
  std::string s(base64_encoded_size(in.size(), a), '\0');
  base64_encode(in, s.data(), a);
  return s;
}

/** Decodes `in`.

    The standard alphabet requires correct `=` padding; base64url accepts input with
    or without it. Whitespace is not skipped. Non-zero unused bits in the last
    character are rejected, so every byte string has exactly one accepted encoding.

    @returns the bytes, or `errc::invalid_base64`.
*/
inline result<std::string> base64_decode(std::string_view in,
                                         base64_alphabet a = base64_alphabet::standard) {
  const auto fail = unexpected(make_error_code(errc::invalid_base64));
  auto value_of = [a](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (a == base64_alphabet::standard) {
      if (c == '+') return 62;
      if (c == '/') return 63;
    } else {
      if (c == '-') return 62;
      if (c == '_') return 63;
    }
    return -1;
  };
  std::size_t len = in.size();
  std::size_t padding = 0;
  while (padding < 2 && len > 0 && in[len - 1] == '=') {
    --len;
    ++padding;
  }
  if (a == base64_alphabet::standard || padding > 0) {
    if (in.size() % 4 != 0) return fail;
  }
  if (len % 4 == 1) return fail;
  if (padding > 0 && (len + padding) % 4 != 0) return fail;

  std::string out;
  out.reserve(len * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const int v = value_of(in[i]);
    if (v < 0) return fail;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return fail;
  return out;
}

} // namespace webhookd

#endif // WEBHOOKD_CORE_BASE64_HPP
