// The host server's command line: parsed into a host_config, or a message naming the
// flag and what is wrong with it.
#ifndef WEBHOOKD_EXAMPLES_HOST_SERVER_HOST_CONFIG_HPP
#define WEBHOOKD_EXAMPLES_HOST_SERVER_HOST_CONFIG_HPP

#include <webhookd/core/result.hpp>
#include <webhookd/http/address_guard.hpp>
#include <webhookd/schedule/retry_schedule.hpp>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace host {

inline constexpr std::string_view usage = R"(usage: webhookd_host_server [options]

Runs the webhookd engine with its REST API (the Lucca webhooks API under /lucca-api),
/metrics and /healthz.

  --listen HOST:PORT        address to serve on (default 127.0.0.1:8080)
  --db PATH                 SQLite database file (default ./webhookd.db)
  --postgres CONNINFO       use PostgreSQL instead of SQLite (libpq connection string)
  --base-url URL            public base URL used in the `url` fields
                            (default http[s]://<listen>)
  --token TOKEN=SCOPES      accept this bearer token with these comma-separated scopes,
                            or `all`; repeatable (default: one random token with every
                            scope, printed at start)
  --allow-http              accept http:// webhook URLs (development only)
  --allow-network CIDR      let deliveries reach this network although it is private
                            (e.g. 127.0.0.0/8 for local receivers); repeatable
  --ca-file PATH            extra CA certificates (PEM) trusted for deliveries
  --retry-schedule LIST     delays between attempts, e.g. 1s,5s,30s (default 5m,30m,3h,20h)
  --timeout-ms N            deadline of one attempt in milliseconds (default 3000)
  --signature lucca|standard-webhooks|both
                            signature headers sent (default lucca)
  --tls-cert PATH --tls-key PATH
                            serve HTTPS with this certificate chain and key
  --io-threads N            threads running the network (default 1)
  -h, --help                this text
)";

/// Every scope of the REST API (SPEC.md Part 2 §1.2), plus the events extension.
inline const std::vector<std::string>& all_scopes() {
  static const std::vector<std::string> scopes{
      "webhook-endpoints.readonly", "webhook-endpoints.readwrite",
      "webhook-deliveries.readonly", "webhook-deliveries.readwrite",
      "events.readonly",            "events.readwrite"};
  return scopes;
}

struct host_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string db_path = "webhookd.db";
  std::optional<std::string> postgres_conninfo;
  std::string base_url; ///< empty: derived from --listen
  std::map<std::string, std::vector<std::string>> tokens;
  bool allow_http = false;
  std::vector<webhookd::http::network> allowed_networks;
  std::string ca_file;
  std::optional<webhookd::schedule::retry_schedule> retries;
  std::chrono::milliseconds attempt_timeout{3000};
  std::string signature = "lucca";
  std::string tls_cert;
  std::string tls_key;
  unsigned io_threads = 1;
  bool help = false;

  /// The base URL the REST API's `url` fields start with.
  std::string effective_base_url() const {
    if (!base_url.empty()) return base_url;
    const bool v6 = listen_host.find(':') != std::string::npos;
    return (tls_cert.empty() ? "http://" : "https://") + (v6 ? "[" + listen_host + "]" : listen_host) +
           ":" + std::to_string(listen_port);
  }
};

namespace detail {

template <class Int>
std::optional<Int> parse_int(std::string_view text, Int min, Int max) {
  Int v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < min || v > max) return std::nullopt;
  return v;
}

inline std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  while (true) {
    const auto at = text.find(sep);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

} // namespace detail

/// Parses `--listen` values: `HOST:PORT` or `[V6]:PORT`.
inline webhookd::result<void, std::string> parse_listen(std::string_view text, host_config& c) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return webhookd::unexpected(std::string("--listen: expected HOST:PORT, got '") + std::string(text) + "'");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port = detail::parse_int<std::uint16_t>(text.substr(colon + 1), 0, 65535);
  if (!port)
    return webhookd::unexpected("--listen: port must be a number from 0 to 65535, got '" +
                                std::string(text.substr(colon + 1)) + "'");
  c.listen_host = std::string(host);
  c.listen_port = *port;
  return {};
}

/** Reads the command line. Every error names the flag and the rule it broke. */
inline webhookd::result<host_config, std::string> parse_args(const std::vector<std::string_view>& args) {
  using webhookd::unexpected;
  host_config c;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "-h" || flag == "--help") {
      c.help = true;
      continue;
    }
    static constexpr std::string_view value_flags[] = {
        "--listen",   "--db",          "--postgres",   "--base-url",  "--token",
        "--allow-network", "--ca-file", "--retry-schedule", "--timeout-ms", "--signature",
        "--tls-cert", "--tls-key",     "--io-threads"};
    const bool takes_value =
        std::find(std::begin(value_flags), std::end(value_flags), flag) != std::end(value_flags);
    if (!takes_value && flag != "--allow-http")
      return unexpected("unknown option '" + std::string(flag) + "' (see --help)");
    std::string_view value;
    if (takes_value) {
      if (i + 1 >= args.size()) return unexpected(std::string(flag) + ": missing value");
      value = args[++i];
    }
    if (flag == "--listen") {
      if (auto ok = parse_listen(value, c); !ok) return unexpected(ok.error());
    } else if (flag == "--db") {
      if (value.empty()) return unexpected(std::string("--db: must not be empty"));
      c.db_path = std::string(value);
    } else if (flag == "--postgres") {
      c.postgres_conninfo = std::string(value);
    } else if (flag == "--base-url") {
      if (!(value.starts_with("http://") || value.starts_with("https://")) || value.size() < 9)
        return unexpected("--base-url: must be an absolute http:// or https:// URL, got '" +
                          std::string(value) + "'");
      c.base_url = std::string(value);
      while (c.base_url.ends_with('/')) c.base_url.pop_back();
    } else if (flag == "--token") {
      const auto eq = value.find('=');
      if (eq == std::string_view::npos || eq == 0)
        return unexpected("--token: expected TOKEN=scope,scope, got '" + std::string(value) + "'");
      std::vector<std::string> scopes;
      for (auto& s : detail::split(value.substr(eq + 1), ',')) {
        if (s == "all") {
          scopes.insert(scopes.end(), all_scopes().begin(), all_scopes().end());
        } else if (std::find(all_scopes().begin(), all_scopes().end(), s) != all_scopes().end()) {
          scopes.push_back(s);
        } else {
          return unexpected("--token: unknown scope '" + s + "' (known: all, " +
                            [] {
                              std::string known;
                              for (const auto& k : all_scopes()) known += (known.empty() ? "" : ", ") + k;
                              return known;
                            }() + ")");
        }
      }
      c.tokens[std::string(value.substr(0, eq))] = std::move(scopes);
    } else if (flag == "--allow-http") {
      c.allow_http = true;
    } else if (flag == "--allow-network") {
      auto net = webhookd::http::network::parse(value);
      if (!net) return unexpected("--allow-network: expected a CIDR such as 127.0.0.0/8, got '" +
                                  std::string(value) + "'");
      c.allowed_networks.push_back(*net);
    } else if (flag == "--ca-file") {
      c.ca_file = std::string(value);
    } else if (flag == "--retry-schedule") {
      auto s = webhookd::schedule::retry_schedule::parse(value);
      if (!s) return unexpected("--retry-schedule: " + s.error().message());
      c.retries = std::move(*s);
    } else if (flag == "--timeout-ms") {
      const auto ms = detail::parse_int<std::int64_t>(value, 1, 600'000);
      if (!ms) return unexpected("--timeout-ms: must be a whole number of milliseconds from 1 to 600000, got '" +
                                 std::string(value) + "'");
      c.attempt_timeout = std::chrono::milliseconds{*ms};
    } else if (flag == "--signature") {
      if (value != "lucca" && value != "standard-webhooks" && value != "both")
        return unexpected("--signature: must be lucca, standard-webhooks or both, got '" + std::string(value) + "'");
      c.signature = std::string(value);
    } else if (flag == "--tls-cert") {
      c.tls_cert = std::string(value);
    } else if (flag == "--tls-key") {
      c.tls_key = std::string(value);
    } else if (flag == "--io-threads") {
      const auto n = detail::parse_int<unsigned>(value, 1, 64);
      if (!n) return unexpected("--io-threads: must be a number from 1 to 64, got '" + std::string(value) + "'");
      c.io_threads = *n;
    } else {
      return unexpected("unknown option '" + std::string(flag) + "' (see --help)");
    }
  }
  if (c.tls_cert.empty() != c.tls_key.empty())
    return unexpected(std::string("--tls-cert and --tls-key: give both or neither"));
  return c;
}

} // namespace host

#endif // WEBHOOKD_EXAMPLES_HOST_SERVER_HOST_CONFIG_HPP
