// SPDX-License-Identifier: MIT
// compact_json: nlohmann::json written as compact JSON, fast on plain ASCII strings.
#ifndef WEBHOOKD_ENCODING_COMPACT_JSON_HPP
#define WEBHOOKD_ENCODING_COMPACT_JSON_HPP

#include <webhookd/detail/config.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace webhookd::encoding {

namespace detail {

// True when `s` can be written between quotes as it is: printable ASCII without `"`
// or `\`. Such strings are the bulk of event data (ids, names, URLs, long notes).
inline bool plain_ascii(std::string_view s) noexcept {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
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
  detail::append_compact(out, j);
  return out;
}

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_COMPACT_JSON_HPP
