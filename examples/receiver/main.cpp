// webhookd_receiver: an HTTPS webhook receiver to point a webhook endpoint at.
//
// Answers the activation challenge, verifies the Lucca signature and timestamp of
// every event, dedupes by event id, and prints one line per request. See README.md.
#include "receiver.hpp"

#include <webhookd/api/server.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/context.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace {

constexpr const char* usage = R"(usage: webhookd_receiver [options]

An HTTP(S) webhook receiver: answers the activation challenge
(GET ?echo=<value>), verifies Lucca-Signature and Lucca-Timestamp on every POST,
dedupes events by id, and prints one line per request.

options:
  --secret VALUE        the endpoint secret (shown once when the endpoint is created)
  --secret-file PATH    read the secret from PATH, again whenever the file changes;
                        until it exists, every POST is answered 401
  --listen HOST:PORT    address to listen on (default 127.0.0.1:9443; [::1]:9443 for IPv6)
  --tls-cert PATH       PEM certificate chain: serve HTTPS (needs --tls-key)
  --tls-key PATH        PEM private key of --tls-cert
  --tolerance SECONDS   how far Lucca-Timestamp may be from this clock (default 300)
  --status CODE         answer verified events with CODE instead of 202 (e.g. 503, to
                        watch the sender retry)
  --remember N          event ids remembered for deduplication (default 1000; 0: off)
  --help                show this and exit

Without --tls-cert and --tls-key the receiver speaks plain HTTP.
)";

// A command line the receiver cannot run with; the message says which flag and why.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct config {
  std::optional<std::string> secret;
  std::optional<std::filesystem::path> secret_file;
  std::string listen = "127.0.0.1:9443";
  std::string tls_cert;
  std::string tls_key;
  example::receiver_options options;
};

long long parse_number(std::string_view flag, std::string_view text, long long min, long long max) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    throw usage_error(std::string(flag) + " expects a whole number from " + std::to_string(min) +
                      " to " + std::to_string(max) + ", got '" + std::string(text) + "'");
  return value;
}

// Returns nullopt when --help was asked for.
std::optional<config> parse_args(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::nullopt;
    if (flag.substr(0, 2) != "--")
      throw usage_error("unexpected argument '" + std::string(flag) + "' (options start with --)");
    if (i + 1 >= argc) throw usage_error(std::string(flag) + " needs a value");
    const std::string_view value = argv[++i];
    if (flag == "--secret") {
      if (value.empty()) throw usage_error("--secret must not be empty");
      c.secret = std::string(value);
    } else if (flag == "--secret-file") {
      c.secret_file = std::filesystem::path(value);
    } else if (flag == "--listen") {
      c.listen = std::string(value);
    } else if (flag == "--tls-cert") {
      c.tls_cert = std::string(value);
    } else if (flag == "--tls-key") {
      c.tls_key = std::string(value);
    } else if (flag == "--tolerance") {
      c.options.tolerance = std::chrono::seconds(parse_number(flag, value, 0, 7 * 24 * 3600));
    } else if (flag == "--status") {
      c.options.status = static_cast<int>(parse_number(flag, value, 200, 599));
    } else if (flag == "--remember") {
      c.options.remember = static_cast<std::size_t>(parse_number(flag, value, 0, 10'000'000));
    } else {
      throw usage_error("unknown option '" + std::string(flag) + "'");
    }
  }
  if (c.secret && c.secret_file) throw usage_error("give --secret or --secret-file, not both");
  if (c.tls_cert.empty() != c.tls_key.empty())
    throw usage_error("--tls-cert and --tls-key go together (HTTPS needs both)");
  return c;
}

// "127.0.0.1:9443", "[::1]:9443", "localhost:9443".
asio::ip::tcp::endpoint parse_listen(asio::io_context& io, const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw usage_error("--listen expects HOST:PORT, got '" + text + "'");
  std::string host = text.substr(0, colon);
  const auto port = static_cast<unsigned short>(parse_number("--listen port", text.substr(colon + 1), 0, 65535));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) throw usage_error("--listen expects HOST:PORT, got '" + text + "'");
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return {address, port};
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty())
    throw usage_error("--listen: cannot resolve '" + host + "': " + ec.message());
  return results.begin()->endpoint();
}

void load_tls(asio::ssl::context& tls, const config& c) {
  std::error_code ec;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1,
                  ec);
  if (!ec) tls.use_certificate_chain_file(c.tls_cert, ec);
  if (ec) throw usage_error("--tls-cert: cannot load '" + c.tls_cert + "': " + ec.message());
  tls.use_private_key_file(c.tls_key, asio::ssl::context::pem, ec);
  if (ec) throw usage_error("--tls-key: cannot load '" + c.tls_key + "': " + ec.message());
}

example::secret_source secret_from(const config& c) {
  if (c.secret) return example::secret_source::fixed(*c.secret);
  if (c.secret_file) return example::secret_source::file(*c.secret_file);
  return {};
}

std::string describe_secret(const config& c) {
  if (c.secret) return "given on the command line";
  if (c.secret_file) return "read from " + c.secret_file->string() + " (again when it changes)";
  return "none: every POST is answered 401 (use --secret or --secret-file)";
}

std::string now() { return webhookd::format_rfc3339(webhookd::default_clock().now()); }

int run(const config& c) {
  asio::io_context io;
  const asio::ip::tcp::endpoint at = parse_listen(io, c.listen);
  const example::receiver handler(secret_from(c), c.options, std::cout);

  const bool https = !c.tls_cert.empty();
  std::optional<asio::ssl::context> tls;
  std::optional<webhookd::api::server> server;
  if (https) {
    tls.emplace(asio::ssl::context::tls_server);
    load_tls(*tls, c);
    server.emplace(io.get_executor(), *tls, handler);
  } else {
    server.emplace(io.get_executor(), handler);
  }
  if (const std::error_code ec = server->listen(at)) {
    std::cerr << "webhookd_receiver: cannot listen on " << c.listen << ": " << ec.message() << '\n';
    return 1;
  }

  const auto bound = server->local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  std::cout << "webhookd_receiver listening on " << (https ? "https://" : "http://") << host << ':'
            << bound.port() << "/  secret: " << describe_secret(c)
            << "; tolerance " << c.options.tolerance.count() << " s; answering "
            << c.options.status << std::endl;

  // First signal: finish the requests in progress (2 s at most), then stop. Second: stop now.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const std::error_code&, int)> on_signal = [&](const std::error_code& ec, int) {
    if (ec) return;
    if (stopping) {
      io.stop();
      return;
    }
    stopping = true;
    std::cout << now() << "  stopping (requests in progress get 2 s)" << std::endl;
    server->stop(std::chrono::seconds(2), [&] {
      signals.cancel();
      io.stop();
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  io.run();
  std::cout << now() << "  stopped" << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const std::optional<config> c = parse_args(argc, argv);
    if (!c) {
      std::cout << usage;
      return 0;
    }
    return run(*c);
  } catch (const usage_error& e) {
    std::cerr << "webhookd_receiver: " << e.what() << "\n(try --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "webhookd_receiver: " << e.what() << '\n';
    return 1;
  }
}
