// webhookd_host_server: the engine and its REST API on the SQLite store (or
// PostgreSQL), served by the embedded HTTP server, with /metrics and /healthz.
//
//   webhookd_host_server --listen 127.0.0.1:8080 --token demo=all
//                        --allow-network 127.0.0.0/8 --ca-file receiver-ca.pem
//
// Ctrl-C (SIGINT) or SIGTERM stops it gracefully: the server stops accepting and
// finishes the requests in progress, the engine lets attempts in flight finish for a
// few seconds and hands its leases back, and the store is closed.
#include "host_config.hpp"

#include <webhookd/api/operational_routes.hpp>
#include <webhookd/api/rest_handler.hpp>
#include <webhookd/api/server.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/signing/secret.hpp>
#include <webhookd/store/sqlite_store.hpp>
#if defined(WEBHOOKD_HOST_WITH_POSTGRES)
#include <webhookd/store/postgres_store.hpp>
#endif

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace wh = webhookd;

wh::engine::signature_scheme scheme_of(const std::string& name) {
  if (name == "standard-webhooks") return wh::engine::signature_scheme::standard_webhooks;
  if (name == "both") return wh::engine::signature_scheme::both;
  return wh::engine::signature_scheme::lucca;
}

wh::engine::engine_options engine_options_for(const host::host_config& c) {
  wh::engine::engine_options o;
  if (c.retries) o.retries = *c.retries;
  o.attempt_timeout = c.attempt_timeout;
  o.signature_scheme = scheme_of(c.signature);
  // One thread runs the io_context unless --io-threads says otherwise: no strand needed.
  o.serial_executor = c.io_threads == 1;
  o.base_url = c.effective_base_url() + "/lucca-api";
  o.http.allow_http = c.allow_http;
  o.http.allowed_networks = c.allowed_networks;
  o.http.ca_file = c.ca_file;
  o.on_event = [](const wh::engine::operational_event& e) {
    std::string line = "[engine] " + std::string(wh::engine::to_string(e.kind));
    if (!e.endpoint_id.empty()) line += " endpoint=" + e.endpoint_id;
    if (!e.delivery_id.empty()) line += " delivery=" + e.delivery_id;
    if (e.status_code) line += " status=" + std::to_string(*e.status_code);
    if (!e.reason.empty()) line += " (" + e.reason + ")";
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  return o;
}

template <class Store>
int serve(Store& store, const host::host_config& c, const std::string& store_name) {
  asio::io_context io;
  wh::engine::engine<Store> engine(io.get_executor(), store, engine_options_for(c));

  wh::api::rest_options rest;
  rest.base_url = c.effective_base_url();
  rest.allow_http_webhook_urls = c.allow_http;
  rest.accept_events = true;
  rest.authorize = [tokens = c.tokens](std::string_view token) -> std::optional<wh::api::scope_set> {
    const auto it = tokens.find(std::string(token));
    if (it == tokens.end()) return std::nullopt;
    return it->second;
  };
  wh::api::rest_handler<Store> handler(engine, store, std::move(rest));

  std::atomic<bool> stopping{false};
  wh::api::operational_options ops;
  ops.probe = [&stopping] {
    return stopping ? wh::api::health_report{false, "stopping"} : wh::api::health_report{};
  };
  auto routes = wh::api::with_operational_routes(std::ref(handler), engine.metrics(), std::move(ops));

  std::optional<asio::ssl::context> tls;
  std::optional<wh::api::server> server;
  if (!c.tls_cert.empty()) {
    tls.emplace(asio::ssl::context::tls_server);
    std::error_code ec;
    tls->use_certificate_chain_file(c.tls_cert, ec);
    if (!ec) tls->use_private_key_file(c.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      std::fprintf(stderr, "webhookd_host_server: --tls-cert/--tls-key: %s\n", ec.message().c_str());
      return 1;
    }
    server.emplace(io.get_executor(), *tls, routes);
  } else {
    server.emplace(io.get_executor(), routes);
  }

  std::error_code ec;
  const auto address = asio::ip::make_address(c.listen_host, ec);
  if (ec) {
    std::fprintf(stderr, "webhookd_host_server: --listen: '%s' is not an IP address\n", c.listen_host.c_str());
    return 1;
  }
  if (auto failed = server->listen({address, c.listen_port})) {
    std::fprintf(stderr, "webhookd_host_server: cannot listen on %s:%u: %s\n", c.listen_host.c_str(),
                 static_cast<unsigned>(c.listen_port), failed.message().c_str());
    return 1;
  }
  engine.start();
  std::printf("webhookd host server: REST API on %s/lucca-api (listening on %s:%u), store %s\n",
              c.effective_base_url().c_str(), c.listen_host.c_str(),
              static_cast<unsigned>(server->local_endpoint().port()), store_name.c_str());
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code wait_error, int signal) {
    if (wait_error) return;
    stopping = true;
    std::printf("webhookd host server: %s received, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
    std::fflush(stdout);
    server->stop(std::chrono::seconds{5}, [&] {
      engine.stop(std::chrono::seconds{5}, [&] { io.stop(); });
    });
  });

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < c.io_threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  std::printf("webhookd host server: stopped\n");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = host::parse_args(args);
  if (!parsed) {
    std::fprintf(stderr, "webhookd_host_server: %s\n", parsed.error().c_str());
    return 2;
  }
  host::host_config config = std::move(*parsed);
  if (config.help) {
    std::fputs(host::usage.data(), stdout);
    return 0;
  }
  if (config.tokens.empty()) {
    const std::string token = wh::signing::generate_secret();
    config.tokens[token] = host::all_scopes();
    std::printf("webhookd host server: no --token given; this run accepts the bearer token %s with every scope\n",
                token.c_str());
  }

  if (config.postgres_conninfo) {
#if defined(WEBHOOKD_HOST_WITH_POSTGRES)
    wh::store::postgres_options options;
    options.conninfo = *config.postgres_conninfo;
    auto store = wh::store::postgres_store::open(std::move(options));
    if (!store) {
      std::fprintf(stderr, "webhookd_host_server: --postgres: %s\n", store.error().message().c_str());
      return 1;
    }
    return serve(**store, config, "postgres");
#else
    std::fprintf(stderr, "webhookd_host_server: --postgres: this build has no PostgreSQL support (libpq-dev)\n");
    return 2;
#endif
  }
  auto store = wh::store::sqlite_store::open(config.db_path);
  if (!store) {
    std::fprintf(stderr, "webhookd_host_server: --db %s: %s\n", config.db_path.c_str(),
                 store.error().message().c_str());
    return 1;
  }
  return serve(**store, config, "sqlite " + config.db_path);
}
