// The engine on the SQLite store (sqlite_store, synchronous=FULL): a backlog of
// `--events` events published before the start, delivered to one endpoint at
// `--connections` in flight, measured from the start to the last delivery. Run
// twice per round, interleaved: with the store's `record_then_claim` (an outcome
// batch and the next claim in one transaction) and with it hidden, the engine then
// recording and claiming in two (the loop every store without it runs).
//
//   webhookd_engine_sqlite_bench --url https://127.0.0.1:PORT/hooks/bench
//       --ca-file ca.pem --connections 16 --events 3000 [--rounds 3]
#include <webhookd/engine/engine.hpp>
#include <webhookd/store/sqlite_store.hpp>

#include "bench_common.hpp"
#include "padded_event.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace engine = webhookd::engine;
namespace model = webhookd::model;
namespace store = webhookd::store;

constexpr const char* topic = "employee.created";

// The same store without its optional one-transaction member.
struct two_transaction_sqlite : store::sqlite_store {
  using store::sqlite_store::sqlite_store;
  void record_then_claim() = delete;
};
static_assert(!store::records_then_claims<two_transaction_sqlite>);
static_assert(store::records_then_claims<store::sqlite_store>);

template <class Store>
void run(const char* name, const bench::args& a, const std::string& path) {
  asio::io_context io(1);
  Store s(path);
  bench::add_bench_endpoint(s, a.url, topic, bench::secret);

  const engine::engine_options o =
      bench::bench_engine_options(static_cast<std::size_t>(a.connections), a.ca_file);
  engine::engine<Store> e(io.get_executor(), s, o);
  const engine::metrics& m = e.metrics();
  const model::event event = bench::padded_event(topic, nlohmann::json::object(), a.body_size);
  for (unsigned long long i = 0; i < a.events; ++i)
    if (!e.publish(event)) throw std::runtime_error("publish refused");

  bench::meter meter;
  meter.start(0);
  e.start();
  asio::steady_timer poll(io);
  bool done = false;
  std::function<void(std::error_code)> check = [&](std::error_code) {
    if (m.delivered.load() + m.failed.load() + m.retried.load() >= a.events) {
      char extra[96];
      std::snprintf(extra, sizeof extra, " record_calls=%llu with_claims=%llu",
                    static_cast<unsigned long long>(m.record_batches.load()),
                    static_cast<unsigned long long>(m.claims_with_records.load()));
      meter.report(name, m.delivered.load(), m.failed.load() + m.retried.load(), extra);
      done = true;
      return;
    }
    poll.expires_after(1ms);
    poll.async_wait(check);
  };
  check({});
  while (!done) io.run_one();
  bool stopped = false;
  e.stop(5s, [&] { stopped = true; });
  while (!stopped && io.run_one() > 0) {
  }
}

} // namespace

int main(int argc, char** argv) {
  // --rounds is this program's own; the rest are the senders' common options.
  int rounds = 3;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  bench::args a = bench::parse_args(static_cast<int>(rest.size()), rest.data());
  if (a.events == 0) a.events = 3000;
  char dir_pattern[] = "/tmp/webhookd-engine-sqlite-XXXXXX";
  if (::mkdtemp(dir_pattern) == nullptr) throw std::runtime_error("mkdtemp");
  const std::filesystem::path dir = dir_pattern;
  int n = 0;
  try {
    for (int r = 0; r < rounds; ++r) {
      run<store::sqlite_store>("engine-sqlite-one-transaction", a,
                               (dir / ("a" + std::to_string(++n) + ".db")).string());
      run<two_transaction_sqlite>("engine-sqlite-two-transactions", a,
                                  (dir / ("b" + std::to_string(++n) + ".db")).string());
    }
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "%s\n", ex.what());
    std::filesystem::remove_all(dir);
    return 1;
  }
  std::filesystem::remove_all(dir);
}
