#include <webhookd/core/url.hpp> // must be self-contained

#include <gtest/gtest.h>

namespace {

webhookd::url ok(std::string_view text) {
  auto r = webhookd::parse_url(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().rule);
  return r ? *r : webhookd::url{};
}

std::string rule_for(std::string_view text) {
  auto r = webhookd::parse_url(text);
  EXPECT_FALSE(r.has_value()) << text;
  if (r) return "";
  EXPECT_EQ(r.error().code, webhookd::errc::invalid_url);
  return r.error().rule;
}

TEST(url, splits_an_https_url) {
  const auto u = ok("https://i-am-aweso.me/lucca-webhooks/123?x=1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "i-am-aweso.me");
  EXPECT_EQ(u.kind, webhookd::host_kind::name);
  EXPECT_EQ(u.port, 443);
  EXPECT_FALSE(u.explicit_port);
  EXPECT_EQ(u.target, "/lucca-webhooks/123?x=1");
  EXPECT_EQ(u.host_header(), "i-am-aweso.me");
  EXPECT_EQ(u.origin(), "https://i-am-aweso.me:443");
}

TEST(url, normalises_case_default_target_and_ports) {
  const auto u = ok("HTTPS://Example.COM");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(ok("https://example.com?a=b").target, "/?a=b");
  const auto p = ok("http://example.com:8080/x");
  EXPECT_EQ(p.port, 8080);
  EXPECT_EQ(p.host_header(), "example.com:8080");
  EXPECT_EQ(ok("https://example.com:443/").host_header(), "example.com");
}

TEST(url, ip_literals) {
  const auto v4 = ok("https://127.0.0.1:8443/hook");
  EXPECT_EQ(v4.kind, webhookd::host_kind::ipv4);
  EXPECT_EQ(v4.host, "127.0.0.1");
  const auto v6 = ok("https://[::1]:8443/hook");
  EXPECT_EQ(v6.kind, webhookd::host_kind::ipv6);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(v6.host_header(), "[::1]:8443");
  EXPECT_EQ(ok("https://[2001:DB8::A:1]/").host, "2001:db8::a:1");
  EXPECT_EQ(ok("https://[::ffff:10.0.0.1]/").kind, webhookd::host_kind::ipv6);
  EXPECT_EQ(ok("https://[1:2:3:4:5:6:7:8]/").host, "1:2:3:4:5:6:7:8");
}

TEST(url, internationalised_names_become_punycode) {
  // RFC 3492 / common examples.
  EXPECT_EQ(ok("https://bücher.example/").host, "xn--bcher-kva.example");
  EXPECT_EQ(ok("https://münchen.de/").host, "xn--mnchen-3ya.de");
  EXPECT_EQ(ok("https://例え.jp/").host, "xn--r8jz45g.jp");
}

TEST(url, refuses_with_the_rule_broken) {
  EXPECT_EQ(rule_for("ftp://example.com/"), "must use https://");
  EXPECT_EQ(rule_for("example.com/hook"), "must be an absolute URL");
  EXPECT_EQ(rule_for("/relative"), "must be an absolute URL");
  EXPECT_EQ(rule_for("https:example.com"), "must be an absolute URL");
  EXPECT_EQ(rule_for("https://user:pass@example.com/"), "must not contain user information");
  EXPECT_EQ(rule_for("https:///path"), "must have a host");
  EXPECT_EQ(rule_for("https://:443/"), "must have a host");
  EXPECT_EQ(rule_for("https://example.com:0/"), "must have a port between 1 and 65535");
  EXPECT_EQ(rule_for("https://example.com:65536/"), "must have a port between 1 and 65535");
  EXPECT_EQ(rule_for("https://example.com:/"), "must have a port between 1 and 65535");
  EXPECT_EQ(rule_for("https://example.com:8a/"), "must have a port between 1 and 65535");
  EXPECT_EQ(rule_for("https://exa mple.com/"), "must not contain spaces or control characters");
  EXPECT_EQ(rule_for("https://example.com/a\tb"), "must not contain spaces or control characters");
  EXPECT_EQ(rule_for("https://example.com/#frag"), "must not contain a fragment");
  EXPECT_EQ(rule_for("https://[::1/"), "must have a valid IPv6 address");
  EXPECT_EQ(rule_for("https://[1:2:3:4:5:6:7:8:9]/"), "must have a valid IPv6 address");
  EXPECT_EQ(rule_for("https://[1::2::3]/"), "must have a valid IPv6 address");
  EXPECT_EQ(rule_for("https://256.1.1.1/"), "must have a valid IPv4 address");
  EXPECT_EQ(rule_for("https://1.2.3/"), "must have a valid IPv4 address");
  EXPECT_EQ(rule_for("https://exa_mple..com/"), "must have a valid host name");
  EXPECT_EQ(rule_for("https://-bad.com/"), "must have a valid host name");
  EXPECT_EQ(rule_for("https://exa%41mple.com/"), "must have a valid host");
  EXPECT_EQ(rule_for("https://example.com/%zz"), "must have valid percent-encoding");
  EXPECT_EQ(rule_for("https://example.com/caf\xc3\xa9"), "must be percent-encoded (non-ASCII path or query)");
}

} // namespace
