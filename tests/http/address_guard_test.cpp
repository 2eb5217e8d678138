#include <webhookd/http/address_guard.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace http = webhookd::http;

namespace {

asio::ip::address addr(const char* s) { return asio::ip::make_address(s); }

std::string reason(const http::address_guard& g, const char* s) {
  const auto r = g.blocked_reason(addr(s));
  return r ? std::string(*r) : std::string("allowed");
}

} // namespace

TEST(network, parses_cidr_and_clears_host_bits) {
  const auto n = http::network::parse("10.1.2.3/8");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->to_string(), "10.0.0.0/8");
  EXPECT_TRUE(n->contains(addr("10.255.0.1")));
  EXPECT_FALSE(n->contains(addr("11.0.0.1")));
  EXPECT_FALSE(n->contains(addr("::ffff:10.0.0.1"))) << "families are not mixed";

  const auto v6 = http::network::parse("fc00::/7");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(addr("fd12:3456::1")));
  EXPECT_FALSE(v6->contains(addr("fe00::1")));

  const auto host = http::network::parse("192.0.2.7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix_length(), 32u);
  EXPECT_TRUE(host->contains(addr("192.0.2.7")));
  EXPECT_FALSE(host->contains(addr("192.0.2.8")));

  EXPECT_EQ(http::network::parse("0.0.0.0/0")->prefix_length(), 0u);
  EXPECT_TRUE(http::network::parse("0.0.0.0/0")->contains(addr("8.8.8.8")));
  EXPECT_EQ(http::network::parse("10.0.0.0/12")->to_string(), "10.0.0.0/12");
  EXPECT_TRUE(http::network::parse("172.16.0.0/12")->contains(addr("172.31.255.255")));
  EXPECT_FALSE(http::network::parse("172.16.0.0/12")->contains(addr("172.32.0.0")));
}

TEST(network, rejects_malformed_cidr) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "x/8", "10.0.0.0/-1",
                          "10.0.0.0/8/8", "[::1]/128", "10.0.0.0/1000"})
    EXPECT_FALSE(http::network::parse(bad)) << bad;
}

TEST(address_guard, refuses_every_blocked_class_by_default) {
  const http::address_guard g;
  EXPECT_EQ(reason(g, "127.0.0.1"), "loopback");
  EXPECT_EQ(reason(g, "127.255.255.254"), "loopback");
  EXPECT_EQ(reason(g, "::1"), "loopback");
  EXPECT_EQ(reason(g, "10.0.0.1"), "private (RFC 1918)");
  EXPECT_EQ(reason(g, "172.16.5.4"), "private (RFC 1918)");
  EXPECT_EQ(reason(g, "192.168.1.1"), "private (RFC 1918)");
  EXPECT_EQ(reason(g, "fd00::1"), "unique local (RFC 4193)");
  EXPECT_EQ(reason(g, "fc00::1"), "unique local (RFC 4193)");
  EXPECT_EQ(reason(g, "169.254.169.254"), "link-local"); // cloud metadata
  EXPECT_EQ(reason(g, "fe80::1"), "link-local");
  EXPECT_EQ(reason(g, "100.64.0.1"), "shared address space (CGNAT)");
  EXPECT_EQ(reason(g, "100.127.255.255"), "shared address space (CGNAT)");
  EXPECT_EQ(reason(g, "224.0.0.1"), "multicast");
  EXPECT_EQ(reason(g, "239.255.255.250"), "multicast");
  EXPECT_EQ(reason(g, "ff02::1"), "multicast");
  EXPECT_EQ(reason(g, "0.0.0.0"), "unspecified");
  EXPECT_EQ(reason(g, "::"), "unspecified");
  EXPECT_EQ(reason(g, "255.255.255.255"), "reserved");
}

TEST(address_guard, judges_ipv4_embedded_in_ipv6_by_the_ipv4_address) {
  const http::address_guard g;
  EXPECT_EQ(reason(g, "::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(reason(g, "::ffff:10.1.1.1"), "private (RFC 1918)");
  EXPECT_EQ(reason(g, "::ffff:169.254.169.254"), "link-local");
  EXPECT_EQ(reason(g, "::ffff:100.64.1.1"), "shared address space (CGNAT)");
  EXPECT_EQ(reason(g, "::ffff:0.0.0.0"), "unspecified");
  EXPECT_EQ(reason(g, "::ffff:224.0.0.1"), "multicast");
  EXPECT_EQ(reason(g, "64:ff9b::7f00:1"), "loopback");   // NAT64 of 127.0.0.1
  EXPECT_EQ(reason(g, "2002:c0a8:0101::1"), "private (RFC 1918)"); // 6to4 of 192.168.1.1
  EXPECT_EQ(reason(g, "::ffff:8.8.8.8"), "allowed");
  EXPECT_EQ(reason(g, "::127.0.0.1"), "IPv4-compatible (deprecated)");
}

TEST(address_guard, lets_public_addresses_through) {
  const http::address_guard g;
  for (const char* ok : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0",
                         "172.15.255.255", "172.32.0.0", "2606:4700:4700::1111", "2a00:1450:4007::1"})
    EXPECT_EQ(reason(g, ok), "allowed") << ok;
}

TEST(address_guard, honours_the_allow_list) {
  http::address_guard g({*http::network::parse("127.0.0.0/8")});
  EXPECT_EQ(reason(g, "127.0.0.1"), "allowed");
  EXPECT_EQ(reason(g, "127.1.2.3"), "allowed");
  EXPECT_EQ(reason(g, "::ffff:127.0.0.1"), "allowed");
  EXPECT_EQ(reason(g, "::1"), "loopback") << "the IPv6 loopback is another network";
  EXPECT_EQ(reason(g, "10.0.0.1"), "private (RFC 1918)");
  g.allow(*http::network::parse("::1/128"));
  EXPECT_EQ(reason(g, "::1"), "allowed");
}

TEST(address_guard, disabled_guard_allows_everything) {
  const auto g = http::address_guard::disabled();
  EXPECT_FALSE(g.enabled());
  EXPECT_TRUE(g.allows(addr("127.0.0.1")));
  EXPECT_TRUE(g.allows(addr("10.0.0.1")));
}

TEST(address_guard, default_table_parses) {
  for (const auto& b : http::default_blocked_networks) EXPECT_TRUE(http::network::parse(b.cidr)) << b.cidr;
}
