// SPDX-License-Identifier: MIT
// The SSRF guard: which resolved addresses a webhook may be sent to.
#ifndef WEBHOOKD_HTTP_ADDRESS_GUARD_HPP
#define WEBHOOKD_HTTP_ADDRESS_GUARD_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/result.hpp>

#include <asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::http {

/** An IP network in CIDR form (`10.0.0.0/8`, `fc00::/7`).

    The base address is stored with its host bits cleared, so `10.1.2.3/8` and
    `10.0.0.0/8` are the same network.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for const member functions.
*/
class network {
public:
  /// The network holding only `a` (`/32` or `/128`).
  explicit network(const asio::ip::address& a) noexcept
      : network(a, a.is_v4() ? 32u : 128u) {}

  /** The network `a/prefix_length`.

      Precondition: `prefix_length` is at most 32 for IPv4 and 128 for IPv6 (`parse`
      checks it for text input).
  */
  network(const asio::ip::address& a, unsigned prefix_length) noexcept
      : prefix_(prefix_length) {
    WEBHOOKD_ASSERT(prefix_length <= (a.is_v4() ? 32u : 128u));
    v4_ = a.is_v4();
    if (v4_) {
      const auto b = a.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), bytes_.begin());
    } else {
      bytes_ = a.to_v6().to_bytes();
    }
    mask(bytes_);
  }

  /** Parses `address/prefix` (or a bare address, meaning one host).

      @returns the network, or `errc::invalid_url` when the text is not an IPv4 or IPv6
      address with an optional prefix length in range.
  */
  static result<network> parse(std::string_view cidr) {
    const auto bad = unexpected(make_error_code(errc::invalid_url));
    const std::size_t slash = cidr.find('/');
    asio::error_code ec;
    const auto a = asio::ip::make_address(std::string(cidr.substr(0, slash)), ec);
    if (ec) return bad;
    const unsigned max = a.is_v4() ? 32u : 128u;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
      const std::string_view digits = cidr.substr(slash + 1);
      if (digits.empty() || digits.size() > 3) return bad;
      prefix = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return bad;
        prefix = prefix * 10 + static_cast<unsigned>(c - '0');
      }
      if (prefix > max) return bad;
    }
    return network(a, prefix);
  }

  /// True when `a` is inside this network. IPv4 networks hold only IPv4 addresses and
  /// IPv6 networks only IPv6 ones (the guard unwraps IPv4-mapped forms before asking).
  bool contains(const asio::ip::address& a) const noexcept {
    if (a.is_v4() != v4_) return false;
    bytes_type b{};
    if (v4_) {
      const auto v = a.to_v4().to_bytes();
      std::copy(v.begin(), v.end(), b.begin());
    } else {
      b = a.to_v6().to_bytes();
    }
    mask(b);
    return b == bytes_;
  }

  bool is_v4() const noexcept { return v4_; }
  unsigned prefix_length() const noexcept { return prefix_; }

  /// The network's base address (host bits cleared).
  asio::ip::address address() const {
    if (v4_) return asio::ip::address_v4({bytes_[0], bytes_[1], bytes_[2], bytes_[3]});
    return asio::ip::address_v6(bytes_);
  }

  /// `base/prefix`, e.g. `127.0.0.0/8`.
  std::string to_string() const { return address().to_string() + "/" + std::to_string(prefix_); }

  friend bool operator==(const network&, const network&) = default;

private:
  using bytes_type = std::array<unsigned char, 16>;

  void mask(bytes_type& b) const noexcept {
    const unsigned total = v4_ ? 4u : 16u;
    for (unsigned i = 0; i < 16; ++i) {
      const unsigned bit = i * 8;
      if (i >= total || bit >= prefix_) b[i] = 0;
      else if (prefix_ - bit < 8) b[i] &= static_cast<unsigned char>(0xFF00u >> (prefix_ - bit));
    }
  }

  bytes_type bytes_{};
  unsigned prefix_ = 0;
  bool v4_ = true;
};

/// A network refused by default, and why (the reason names the address class).
struct blocked_network {
  std::string_view cidr;
  std::string_view reason;
};

/** The networks the guard refuses unless allow-listed, in the order they are checked.

    Loopback, private (RFC 1918, RFC 4193), link-local, shared (CGNAT, RFC 6598),
    multicast, unspecified, and the special-purpose ranges (IANA registries) that no
    public receiver uses. IPv4-mapped (`::ffff:0:0/96`), NAT64 (`64:ff9b::/96`) and
    6to4 (`2002::/16`) addresses are checked by the IPv4 address they embed.
*/
inline constexpr blocked_network default_blocked_networks[] = {
    {"0.0.0.0/8", "unspecified"},
    {"10.0.0.0/8", "private (RFC 1918)"},
    {"100.64.0.0/10", "shared address space (CGNAT)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},
    {"172.16.0.0/12", "private (RFC 1918)"},
    {"192.0.0.0/24", "IETF protocol assignments"},
    {"192.0.2.0/24", "documentation"},
    {"192.168.0.0/16", "private (RFC 1918)"},
    {"198.18.0.0/15", "benchmarking"},
    {"198.51.100.0/24", "documentation"},
    {"203.0.113.0/24", "documentation"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"::/96", "IPv4-compatible (deprecated)"},
    {"100::/64", "discard-only"},
    {"2001:db8::/32", "documentation"},
    {"fc00::/7", "unique local (RFC 4193)"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "site-local (deprecated)"},
    {"ff00::/8", "multicast"},
};

/** Decides whether a connection may be made to a resolved address (SSRF protection).

    The guard is applied to the exact address a connection is about to be made to,
    after name resolution, so a name that resolves to a public address when the
    endpoint is registered and to an internal one later (DNS rebinding) is still
    refused. Networks in the allow-list win over the blocked ones: tests and the
    demo allow `127.0.0.0/8`.

    IPv6 addresses that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64
    `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) are judged by the IPv4 address.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for const member functions.
*/
class address_guard {
public:
  /// A guard that refuses `default_blocked_networks` and allows nothing extra.
  address_guard() = default;

  /// A guard that refuses `default_blocked_networks` except the `allowed` networks.
  explicit address_guard(std::vector<network> allowed) : allowed_(std::move(allowed)) {}

  /// A guard that lets every address through (the check is off). For tests only.
  static address_guard disabled() {
    address_guard g;
    g.enabled_ = false;
    return g;
  }

  /// Adds a network to the allow-list.
  void allow(const network& n) { allowed_.push_back(n); }

  const std::vector<network>& allowed() const noexcept { return allowed_; }
  bool enabled() const noexcept { return enabled_; }

  /** Checks an address.

      @returns `std::nullopt` when a connection to `a` is allowed, otherwise the
      reason from `default_blocked_networks` (e.g. `"loopback"`).
  */
  std::optional<std::string_view> blocked_reason(const asio::ip::address& a) const {
    if (!enabled_) return std::nullopt;
    const asio::ip::address effective = unwrap(a);
    for (const network& n : allowed_)
      if (n.contains(effective) || n.contains(a)) return std::nullopt;
    for (const auto& [n, reason] : blocked())
      if (n.contains(effective)) return reason;
    return std::nullopt;
  }

  /// True when a connection to `a` is allowed.
  bool allows(const asio::ip::address& a) const { return !blocked_reason(a).has_value(); }

  /// The IPv4 address an IPv6 address embeds (mapped, NAT64, 6to4), or `a` itself.
  static asio::ip::address unwrap(const asio::ip::address& a) {
    if (!a.is_v6()) return a;
    const auto v6 = a.to_v6();
    const auto b = v6.to_bytes();
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
    static constexpr unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::equal(b.begin(), b.begin() + 12, nat64))
      return asio::ip::address_v4({b[12], b[13], b[14], b[15]});
    if (b[0] == 0x20 && b[1] == 0x02) return asio::ip::address_v4({b[2], b[3], b[4], b[5]});
    return a;
  }

private:
  static const std::vector<std::pair<network, std::string_view>>& blocked() {
    static const std::vector<std::pair<network, std::string_view>> table = [] {
      std::vector<std::pair<network, std::string_view>> t;
      for (const auto& b : default_blocked_networks) t.emplace_back(*network::parse(b.cidr), b.reason);
      return t;
    }();
    return table;
  }

  std::vector<network> allowed_;
  bool enabled_ = true;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_ADDRESS_GUARD_HPP
