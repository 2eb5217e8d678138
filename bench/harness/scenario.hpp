// A harness scenario: what is published to which endpoints through which store, and
// the figures one run of it produced.
#ifndef WEBHOOKD_BENCH_HARNESS_SCENARIO_HPP
#define WEBHOOKD_BENCH_HARNESS_SCENARIO_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace harness {

/** One end-to-end workload. Every endpoint points at the harness receiver (or the
    external receiver given on the command line) under `/<path>/<index>`. */
struct scenario {
  std::string name;
  std::string store = "memory";  ///< memory | sqlite | postgres
  std::string proto = "https";   ///< http | https
  int connections = 16;          ///< connections to the receiver's origin
  int endpoints = 1;
  /// Every endpoint subscribes the one topic (each event fans out to all of them);
  /// otherwise endpoint i subscribes its own topic and events go round-robin.
  bool shared_topic = true;
  std::uint64_t events = 10'000;
  std::string path = "ok";       ///< the receiver's behaviour: ok | mix
  int gone_endpoints = 0;        ///< of `endpoints`, how many answer 410 (`/gone/`)
  /// Every first attempt fails (a closed port) and its retry is due in an hour, so
  /// that every delivery ends pending in the engine's timer wheel: measures memory
  /// per pending delivery and timer work, not throughput.
  bool pending = false;
  /// Also post the same body at the same receiver with the same connections through
  /// the raw webhookd sender, the libcurl multi sender and wrk.
  bool peers = false;
  std::size_t body_size = 1024;
};

/// The scenarios of a full run, in order; `quick` scales them down (a smoke test).
inline std::vector<scenario> default_scenarios(bool quick) {
  const std::uint64_t k = quick ? 100 : 1;
  std::vector<scenario> list;
  for (const int c : {1, 4, 16, 64}) {
    scenario s;
    s.name = "https-c" + std::to_string(c);
    s.connections = c;
    s.events = (c == 1 ? 20'000 : c == 4 ? 50'000 : 150'000) / k;
    s.peers = true;
    list.push_back(s);
  }
  {
    scenario s;
    s.name = "http-c16";
    s.proto = "http";
    s.events = 200'000 / k;
    s.peers = true;
    list.push_back(s);
  }
  for (const char* store : {"sqlite", "postgres"}) {
    scenario s;
    s.name = std::string("https-c16-") + store;
    s.store = store;
    s.events = 20'000 / k;
    list.push_back(s);
  }
  {
    scenario s;
    s.name = "fanout-100";
    s.endpoints = 100;
    s.events = 1'500 / k;
    list.push_back(s);
  }
  {
    scenario s;
    s.name = "endpoints-10k";
    s.endpoints = quick ? 1'000 : 10'000;
    s.shared_topic = false;
    s.events = 3 * static_cast<std::uint64_t>(s.endpoints);
    list.push_back(s);
  }
  {
    scenario s;
    s.name = "failure-mix";
    s.endpoints = 100;
    s.gone_endpoints = 1;
    s.path = "mix";
    // A held request keeps one of the 16 connections for the 1 s attempt timeout:
    // 5% of them cap the rate near 16 / (0.05 x 1 s) = 320 deliveries/s.
    s.events = quick ? 3 : 100;
    list.push_back(s);
  }
  for (const std::uint64_t n : {10'000ull, 100'000ull, 1'000'000ull}) {
    if (quick && n > 10'000) break;
    scenario s;
    s.name = n >= 1'000'000 ? "pending-1m" : "pending-" + std::to_string(n / 1000) + "k";
    s.proto = "http";
    s.pending = true;
    s.endpoints = 1'000;
    s.events = n / 1'000;
    list.push_back(s);
  }
  return list;
}

} // namespace harness

#endif // WEBHOOKD_BENCH_HARNESS_SCENARIO_HPP
