// SPDX-License-Identifier: MIT
// Weak entity tags and the conditional headers If-None-Match and If-Match.
#ifndef WEBHOOKD_API_REST_ETAG_HPP
#define WEBHOOKD_API_REST_ETAG_HPP

#include <webhookd/detail/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace webhookd::api::rest {

/** The weak ETag of a representation: `W/"<16 hex digits>"`, the 64-bit FNV-1a hash of
    its bytes. Any change of the body gives a new tag (SPEC.md Part 2 §1.8); a weak
    tag promises only semantic equivalence, which is all a hash of JSON can promise.
*/
inline std::string weak_etag(std::string_view body) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : body) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string tag = "W/\"";
  for (int shift = 60; shift >= 0; shift -= 4) tag.push_back(digits[(h >> shift) & 15]);
  tag.push_back('"');
  return tag;
}

/// The opaque part of a tag: without `W/` and the quotes (the Lucca docs send both
/// `W/"x"` and the bare `W/x`; both are accepted).
inline std::string_view etag_opaque(std::string_view tag) noexcept {
  while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
  while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
  if (tag.size() >= 2 && (tag[0] == 'W' || tag[0] == 'w') && tag[1] == '/') tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
  return tag;
}

/** True if a conditional header's value (`If-None-Match`, `If-Match`: a comma
    separated list of tags, or `*`) matches `current`, by weak comparison (RFC 9110
    §8.8.3.2: opaque parts equal, `W/` ignored). `*` matches any existing
    representation, so callers use it only for resources that exist.
*/
inline bool etag_list_matches(std::string_view header, std::string_view current) noexcept {
  const std::string_view want = etag_opaque(current);
  while (true) {
    const auto comma = header.find(',');
    const std::string_view item = etag_opaque(header.substr(0, comma));
    if (item == "*" || (!item.empty() && item == want)) return true;
    if (comma == std::string_view::npos) return false;
    header.remove_prefix(comma + 1);
  }
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_ETAG_HPP
