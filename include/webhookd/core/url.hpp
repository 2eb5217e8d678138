// SPDX-License-Identifier: MIT
// Parsing of absolute http(s) URLs as webhookd accepts them for webhook targets.
#ifndef WEBHOOKD_CORE_URL_HPP
#define WEBHOOKD_CORE_URL_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd {

/// What kind of host a URL names.
enum class host_kind {
  name, ///< a DNS name (lower case; internationalised labels in their `xn--` form)
  ipv4, ///< a dotted-quad IPv4 literal
  ipv6, ///< an IPv6 literal (stored without the brackets)
};

/** An absolute `http` or `https` URL, split into what a client needs to send to it.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct url {
  std::string scheme;     ///< `"https"` or `"http"`, lower case
  std::string host;       ///< lower case; IPv6 without brackets; IDN labels as `xn--`
  host_kind kind = host_kind::name;
  std::uint16_t port = 0; ///< the explicit port, or 443 / 80
  bool explicit_port = false;
  std::string target;     ///< path and query, as sent in the request line; `/` if empty

  bool is_https() const noexcept { return scheme == "https"; }

  /// The `Host` header value: the host (bracketed if IPv6) and the port unless default.
  std::string host_header() const {
    std::string h = kind == host_kind::ipv6 ? "[" + host + "]" : host;
    if (explicit_port && port != (is_https() ? 443 : 80)) h += ":" + std::to_string(port);
    return h;
  }
  /// `scheme://host:port`, the key of a connection pool.
  std::string origin() const {
    return scheme + "://" + (kind == host_kind::ipv6 ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
  }
};

/// Why a URL was refused: a code and the rule it broke, worded for an error message
/// after the field name (`webhookUrl: must be an absolute URL`).
struct url_error {
  std::error_code code;
  std::string rule;
};

namespace detail {

inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline char to_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// RFC 3492 Punycode encoding of one label's code points.
inline bool punycode_encode(const std::vector<char32_t>& in, std::string& out) {
  constexpr std::uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
  auto digit = [](std::uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); };
  auto adapt = [&](std::uint32_t delta, std::uint32_t points, bool first) {
    delta = first ? delta / damp : delta / 2;
    delta += delta / points;
    std::uint32_t k = 0;
    while (delta > ((base - tmin) * tmax) / 2) {
      delta /= base - tmin;
      k += base;
    }
    return k + (base - tmin + 1) * delta / (delta + skew);
  };
  std::uint32_t n = 128, delta = 0, bias = 72;
  std::uint32_t handled = 0;
  for (char32_t c : in)
    if (c < 128) {
      out.push_back(static_cast<char>(c));
      ++handled;
    }
  const std::uint32_t basic = handled;
  if (basic > 0) out.push_back('-');
  while (handled < in.size()) {
    std::uint32_t m = 0x10FFFF + 1;
    for (char32_t c : in)
      if (c >= n && c < m) m = c;
    if ((m - n) > (0xFFFFFFFFu - delta) / (handled + 1)) return false;
    delta += (m - n) * (handled + 1);
    n = m;
    for (char32_t c : in) {
      if (c < n && ++delta == 0) return false;
      if (c == n) {
        std::uint32_t q = delta;
        for (std::uint32_t k = base;; k += base) {
          const std::uint32_t t = k <= bias ? tmin : (k >= bias + tmax ? tmax : k - bias);
          if (q < t) break;
          out.push_back(digit(t + (q - t) % (base - t)));
          q = (q - t) / (base - t);
        }
        out.push_back(digit(q));
        bias = adapt(delta, handled + 1, handled == basic);
        delta = 0;
        ++handled;
      }
    }
    ++delta;
    ++n;
  }
  return true;
}

// Decodes UTF-8; false on malformed input.
inline bool utf8_decode(std::string_view s, std::vector<char32_t>& out) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int extra = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0)) return false;
    char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cb >> 6) != 2) return false;
      cp = (cp << 6) | (cb & 0x3F);
    }
    static constexpr char32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

inline bool parse_ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = i;
    unsigned v = 0;
    while (j < s.size() && is_digit(s[j]) && j - i < 4) v = v * 10 + static_cast<unsigned>(s[j++] - '0');
    if (j == i || j - i > 3 || v > 255 || (j - i > 1 && s[i] == '0')) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

inline bool parse_ipv6(std::string_view s) noexcept {
  // Groups of 1-4 hex digits separated by ':', at most one "::", an optional trailing
  // dotted IPv4; 8 groups in all (an IPv4 tail counts for 2).
  if (s.empty()) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.starts_with("::")) {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j < s.size() && s[j] == '.') { // IPv4 tail
      if (!parse_ipv4(s.substr(i))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (j == i || j - i > 4) return false;
    ++groups;
    if (j == s.size()) {
      i = j;
      break;
    }
    if (s[j] != ':') return false;
    if (j + 1 < s.size() && s[j + 1] == ':') {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
      if (i == s.size()) break;
    } else {
      i = j + 1;
      if (i == s.size()) return false; // trailing single ':'
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

// Lower-cases and IDN-encodes a DNS name; false if it is not a valid host name.
inline bool normalize_host_name(std::string_view in, std::string& out) {
  if (in.empty() || in.size() > 253 * 4) return false;
  std::size_t start = 0;
  while (start <= in.size()) {
    std::size_t dot = in.find('.', start);
    if (dot == std::string_view::npos) dot = in.size();
    const std::string_view label = in.substr(start, dot - start);
    if (label.empty()) {
      // A single trailing dot (fully qualified form) is allowed; an empty label is not.
      if (dot == in.size() && start > 0) break;
      return false;
    }
    bool ascii = true;
    for (char c : label) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    std::string encoded;
    if (ascii) {
      for (char c : label) encoded.push_back(to_lower(c));
    } else {
      std::vector<char32_t> cps;
      if (!utf8_decode(label, cps)) return false;
      for (auto& cp : cps)
        if (cp < 128) cp = static_cast<char32_t>(to_lower(static_cast<char>(cp)));
      encoded = "xn--";
      if (!punycode_encode(cps, encoded)) return false;
    }
    if (encoded.size() > 63 || encoded.front() == '-' || encoded.back() == '-') return false;
    for (char c : encoded)
      if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_')) return false;
    if (!out.empty()) out.push_back('.');
    out += encoded;
    if (dot == in.size()) break;
    start = dot + 1;
  }
  return !out.empty() && out.size() <= 253;
}

} // namespace detail

/** Parses an absolute `http://` or `https://` URL.

    Rules, each reported as a `url_error` whose `rule` completes "webhookUrl: ...":
    - an absolute URL with scheme `http` or `https` (any case) and `//` authority;
    - a host: a DNS name (IDN labels converted to `xn--` Punycode, lower-cased), an
      IPv4 literal, or a bracketed IPv6 literal;
    - no user information (`user:pass@`), which would leak credentials into logs;
    - an optional port 1-65535;
    - no fragment, no whitespace or control characters, path and query in ASCII.

    Whether plain `http` is acceptable is a policy left to the caller.

    @returns the parsed URL, or the first rule broken.
*/
inline result<url, url_error> parse_url(std::string_view text) {
  auto fail = [](std::string rule) {
    return unexpected(url_error{make_error_code(errc::invalid_url), std::move(rule)});
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return fail("must not contain spaces or control characters");
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !detail::is_alpha(text[0]))
    return fail("must be an absolute URL");
  url u;
  for (char c : text.substr(0, colon)) u.scheme.push_back(detail::to_lower(c));
  if (u.scheme != "https" && u.scheme != "http") return fail("must use https://");
  std::string_view rest = text.substr(colon + 1);
  if (!rest.starts_with("//")) return fail("must be an absolute URL");
  rest.remove_prefix(2);

  if (rest.find('#') != std::string_view::npos) return fail("must not contain a fragment");
  const std::size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  if (authority.find('@') != std::string_view::npos)
    return fail("must not contain user information");
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("must have a valid IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("must have a valid host");
      port = after.substr(1);
      has_port = true;
    }
    if (!detail::parse_ipv6(host)) return fail("must have a valid IPv6 address");
    u.kind = host_kind::ipv6;
    for (char c : host) u.host.push_back(detail::to_lower(c));
  } else {
    if (const std::size_t c = authority.rfind(':'); c != std::string_view::npos) {
      host = authority.substr(0, c);
      port = authority.substr(c + 1);
      has_port = true;
    }
    if (host.empty()) return fail("must have a host");
    if (host.find('%') != std::string_view::npos) return fail("must have a valid host");
    bool numeric = true;
    for (char c : host) numeric = numeric && (detail::is_digit(c) || c == '.');
    if (numeric) {
      if (!detail::parse_ipv4(host)) return fail("must have a valid IPv4 address");
      u.kind = host_kind::ipv4;
      u.host = std::string(host);
    } else if (!detail::normalize_host_name(host, u.host)) {
      return fail("must have a valid host name");
    }
  }
  if (authority.empty()) return fail("must have a host");

  u.port = u.is_https() ? 443 : 80;
  if (has_port) {
    if (port.empty() || port.size() > 5) return fail("must have a port between 1 and 65535");
    unsigned p = 0;
    for (char c : port) {
      if (!detail::is_digit(c)) return fail("must have a port between 1 and 65535");
      p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p == 0 || p > 65535) return fail("must have a port between 1 and 65535");
    u.port = static_cast<std::uint16_t>(p);
    u.explicit_port = true;
  }

  for (char c : target)
    if (static_cast<unsigned char>(c) >= 0x80) return fail("must be percent-encoded (non-ASCII path or query)");
  for (std::size_t i = 0; i < target.size(); ++i)
    if (target[i] == '%' && (i + 2 >= target.size() ||
                             !std::isxdigit(static_cast<unsigned char>(target[i + 1])) ||
                             !std::isxdigit(static_cast<unsigned char>(target[i + 2]))))
      return fail("must have valid percent-encoding");
  if (target.empty()) {
    u.target = "/";
  } else if (target[0] == '?') {
    u.target = "/" + std::string(target);
  } else {
    u.target = std::string(target);
  }
  return u;
}

} // namespace webhookd

#endif // WEBHOOKD_CORE_URL_HPP
