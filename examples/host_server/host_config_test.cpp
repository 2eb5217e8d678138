// The host server's flags: what is accepted, and the message for what is not.
#include "host_config.hpp"

#include <gtest/gtest.h>

namespace {

webhookd::result<host::host_config, std::string> parse(std::vector<std::string_view> args) {
  return host::parse_args(args);
}

TEST(HostConfig, DefaultsListenOnLoopbackWithSqlite) {
  auto c = parse({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->db_path, "webhookd.db");
  EXPECT_FALSE(c->postgres_conninfo);
  EXPECT_EQ(c->effective_base_url(), "http://127.0.0.1:8080");
}

TEST(HostConfig, ReadsEveryFlag) {
  auto c = parse({"--listen", "[::1]:9000", "--db", "/tmp/x.db", "--base-url", "https://acme.example/",
                  "--token", "t1=webhook-endpoints.readonly,events.readonly", "--token", "t2=all",
                  "--allow-http", "--allow-network", "127.0.0.0/8", "--ca-file", "ca.pem",
                  "--retry-schedule", "1s,5s", "--timeout-ms", "250", "--signature", "both",
                  "--io-threads", "2"});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->listen_host, "::1");
  EXPECT_EQ(c->listen_port, 9000);
  EXPECT_EQ(c->db_path, "/tmp/x.db");
  EXPECT_EQ(c->effective_base_url(), "https://acme.example");
  ASSERT_EQ(c->tokens.size(), 2u);
  EXPECT_EQ(c->tokens.at("t1"), (std::vector<std::string>{"webhook-endpoints.readonly", "events.readonly"}));
  EXPECT_EQ(c->tokens.at("t2"), host::all_scopes());
  EXPECT_TRUE(c->allow_http);
  ASSERT_EQ(c->allowed_networks.size(), 1u);
  EXPECT_EQ(c->ca_file, "ca.pem");
  ASSERT_TRUE(c->retries);
  EXPECT_EQ(c->retries->delays().size(), 2u);
  EXPECT_EQ(c->attempt_timeout, std::chrono::milliseconds{250});
  EXPECT_EQ(c->signature, "both");
  EXPECT_EQ(c->io_threads, 2u);
}

TEST(HostConfig, TlsChangesTheDefaultBaseUrl) {
  auto c = parse({"--listen", "127.0.0.1:8443", "--tls-cert", "c.pem", "--tls-key", "k.pem"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->effective_base_url(), "https://127.0.0.1:8443");
}

struct bad_flags {
  std::vector<std::string_view> args;
  std::string_view message_contains;
};

TEST(HostConfig, BadFlagsNameTheFlagAndTheRule) {
  const bad_flags cases[] = {
      {{"--listen", "8080"}, "--listen: expected HOST:PORT"},
      {{"--listen", "127.0.0.1:99999"}, "--listen: port must be a number from 0 to 65535"},
      {{"--token", "abc"}, "--token: expected TOKEN=scope,scope"},
      {{"--token", "abc=events.write"}, "--token: unknown scope 'events.write'"},
      {{"--allow-network", "localhost"}, "--allow-network: expected a CIDR"},
      {{"--retry-schedule", "1s,5x"}, "--retry-schedule: retry schedule item 2"},
      {{"--timeout-ms", "0"}, "--timeout-ms: must be a whole number"},
      {{"--timeout-ms", "12abc"}, "--timeout-ms: must be a whole number"},
      {{"--signature", "hmac"}, "--signature: must be lucca, standard-webhooks or both"},
      {{"--base-url", "acme.example"}, "--base-url: must be an absolute"},
      {{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key: give both or neither"},
      {{"--db"}, "--db: missing value"},
      {{"--frobnicate"}, "unknown option '--frobnicate'"},
  };
  for (const auto& bad : cases) {
    auto c = parse(bad.args);
    ASSERT_FALSE(c) << bad.message_contains;
    EXPECT_NE(c.error().find(bad.message_contains), std::string::npos)
        << "got: " << c.error() << "\nwanted: " << bad.message_contains;
  }
}

} // namespace
