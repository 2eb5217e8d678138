// SPDX-License-Identifier: MIT
// compact_json: nlohmann::json written as compact JSON, fast on plain ASCII strings.
#ifndef WEBHOOKD_ENCODING_COMPACT_JSON_HPP
#define WEBHOOKD_ENCODING_COMPACT_JSON_HPP

#include <webhookd/detail/config.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace webhookd::encoding {

namespace detail {

// True when `s` can be written between quotes as it is: printable ASCII without `"`
// or `\`. Such strings are the bulk of event data (ids, names, URLs, long notes).
// Sixteen bytes at a time where SSE2 is there (every x86-64), then eight (a long
// note is read at vector or word speed, not byte by byte): a block passes when none
// of its bytes is below 0x20, at or above 0x80, `"` or `\`.
inline bool plain_ascii(std::string_view s) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  // A byte of `x` is zero iff its high bit is set in the result (no false positive
  // on the first zero byte, which is all a yes/no answer needs).
  const auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  const char* p = s.data();
  std::size_t n = s.size();
#if defined(__SSE2__)
  {
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; n >= 16; p += 16, n -= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // A signed comparison: bytes at or above 0x80 are negative, so "below 0x20"
      // catches them with the control characters.
      const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                    _mm_cmpeq_epi8(v, backslash)));
      if (_mm_movemask_epi8(bad) != 0) return false;
    }
  }
#endif
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    // Below 0x20: w - 0x20.. borrows into the high bit of a byte whose own high bit
    // is clear. At or above 0x80: the high bit itself.
    if ((w & highs) != 0 || ((w - 0x20 * ones) & highs) != 0 ||
        has_zero(w ^ (ones * '"')) != 0 || has_zero(w ^ (ones * '\\')) != 0)
      return false;
  }
  for (; n > 0; ++p, --n) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

inline void append_string(std::string& out, const std::string& s) {
  if (plain_ascii(s)) {
    out += '"';
    out += s;
    out += '"';
  } else {
    // Escapes and UTF-8 (invalid sequences replaced by U+FFFD) exactly as nlohmann.
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

inline void append_compact(std::string& out, const nlohmann::json& j) {
  using value_t = nlohmann::json::value_t;
  switch (j.type()) {
  case value_t::object: {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : j.get_ref<const nlohmann::json::object_t&>()) {
      if (!first) out += ',';
      first = false;
      append_string(out, key);
      out += ':';
      append_compact(out, value);
    }
    out += '}';
    return;
  }
  case value_t::array: {
    out += '[';
    bool first = true;
    for (const auto& value : j.get_ref<const nlohmann::json::array_t&>()) {
      if (!first) out += ',';
      first = false;
      append_compact(out, value);
    }
    out += ']';
    return;
  }
  case value_t::string: append_string(out, j.get_ref<const std::string&>()); return;
  case value_t::boolean: out += j.get<bool>() ? "true" : "false"; return;
  case value_t::null: out += "null"; return;
  case value_t::number_integer:
  case value_t::number_unsigned: {
    char digits[24];
    const auto r = j.type() == value_t::number_integer
                       ? std::to_chars(digits, digits + sizeof digits, j.get<std::int64_t>())
                       : std::to_chars(digits, digits + sizeof digits, j.get<std::uint64_t>());
    out.append(digits, r.ptr);
    return;
  }
  default: // floats (nlohmann's shortest form), binary, discarded
    out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
}

// About how many bytes `append_compact` writes for `j` (exact for plain strings,
// integers and the punctuation; escapes and floats can make it more): reserving it
// first spares the output the reallocations, and copies, of its growth.
inline std::size_t compact_size_hint(const nlohmann::json& j) noexcept {
  using value_t = nlohmann::json::value_t;
  switch (j.type()) {
  case value_t::object: {
    std::size_t n = 2;
    for (const auto& [key, value] : j.get_ref<const nlohmann::json::object_t&>())
      n += key.size() + 4 + compact_size_hint(value);
    return n;
  }
  case value_t::array: {
    std::size_t n = 2;
    for (const auto& value : j.get_ref<const nlohmann::json::array_t&>())
      n += 1 + compact_size_hint(value);
    return n;
  }
  case value_t::string: return j.get_ref<const std::string&>().size() + 2;
  default: return 24;
  }
}

} // namespace detail

/** `j` as compact JSON, byte for byte what
    `j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)` writes: no
    whitespace, keys in the object's order, UTF-8 kept, invalid UTF-8 replaced by
    U+FFFD.

    Plain ASCII strings (no control character, quote or backslash) and integers are
    written directly; everything else goes through nlohmann's serializer. An event's
    body is mostly such strings, and nlohmann validates UTF-8 one byte at a time.

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) values.
*/
inline std::string write_compact_json(const nlohmann::json& j) {
  std::string out;
  out.reserve(detail::compact_size_hint(j));
  detail::append_compact(out, j);
  return out;
}

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_COMPACT_JSON_HPP
