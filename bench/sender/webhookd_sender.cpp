// End-to-end sender benchmark: webhookd's http::client keeps N requests in flight to
// one origin (N connections), each a signed 1 KiB event with a fresh timestamp and
// signature. Prints requests per second and CPU time per request.
#include <webhookd/core/clock.hpp>
#include <webhookd/http.hpp>
#include <webhookd/signing/lucca.hpp>

#include "bench_common.hpp"

#include <asio/io_context.hpp>

#include <cstdio>
#include <memory>

int main(int argc, char** argv) {
  namespace http = webhookd::http;
  const bench::args a = bench::parse_args(argc, argv);
  const auto target = webhookd::parse_url(a.url);
  if (!target) {
    std::fprintf(stderr, "bad url: %s\n", target.error().rule.c_str());
    return 2;
  }

  asio::io_context io(1);
  http::client_options o;
  o.allowed_networks = {*http::network::parse("127.0.0.0/8")};
  o.allow_http = true;
  o.use_system_trust_store = a.ca_file.empty();
  o.ca_file = a.ca_file;
  o.max_connections_per_origin = static_cast<std::size_t>(a.connections);
  o.timeout = std::chrono::seconds{10};
  http::client client(io, o);

  const auto body = std::make_shared<const std::string>(bench::make_event(a.body_size));
  // webhookd signs with its own keyed signer; the peers use bench::signer.
  const webhookd::signing::lucca_signer signer(bench::secret);
  const webhookd::clock& clock = webhookd::default_clock();
  unsigned long long ok = 0, errors = 0;
  bool stopping = false;
  int in_flight = 0;

  std::function<void()> launch = [&] {
    http::request r("POST", *target, body);
    char ts[webhookd::rfc3339_seconds_length];
    char signature[webhookd::signing::lucca_signature_length];
    webhookd::write_rfc3339_seconds(ts, clock.now());
    const std::string_view timestamp(ts, sizeof ts);
    signer.sign_into(timestamp, *body, signature);
    r.set("Content-Type", "application/json");
    r.set("Api-Version", "2024-11-01");
    r.set("Lucca-Timestamp", timestamp);
    r.set("Lucca-Signature", std::string_view(signature, sizeof signature));
    ++in_flight;
    client.async_send(std::move(r), [&](http::outcome out) {
      --in_flight;
      if (out.success()) ++ok;
      else if (++errors <= 5) std::fprintf(stderr, "error: %d %s\n", out.status, out.reason().c_str());
      if (!stopping) launch();
    });
  };
  for (int i = 0; i < a.connections; ++i) launch();

  bench::meter m;
  asio::steady_timer timer(io);
  timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(a.warmup)));
  timer.async_wait([&](std::error_code) {
    m.start(ok);
    timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(a.seconds)));
    timer.async_wait([&](std::error_code) {
      m.report("webhookd", ok, errors);
      stopping = true;
    });
  });
  io.run_one();
  while (!(stopping && in_flight == 0)) io.run_one();
  client.stop();
  return errors > 0 ? 1 : 0;
}
