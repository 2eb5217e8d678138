// Processes killed with SIGKILL at random moments while they publish and deliver
// through a SQLite file: after each restart every published event is delivered,
// none is lost, and duplicates stay within what was in flight at each kill.
#include "../support/certs.hpp"
#include "../support/test_server.hpp"
#include "../support/child_process.hpp"

#include <asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
namespace test = webhookd::test;
using test::child;

// The sequence numbers a child said were published ("P <i>" lines).
std::set<long> published_in(const std::string& text) {
  std::set<long> seqs;
  std::istringstream in(text);
  for (std::string tag; in >> tag;) {
    if (tag == "P") {
      long i = 0;
      in >> i;
      seqs.insert(i);
    }
  }
  return seqs;
}

TEST(durability, sqlite_loses_nothing_when_killed_mid_delivery) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("webhookd-durability-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "webhookd.db").string();

  // The receiver counts each event by its sequence number, answering after a short
  // random delay so that attempts are in flight when a kill lands.
  asio::io_context rio;
  std::mutex m;
  std::map<long, int> received;
  std::mt19937 delays(7);
  test::server::options so;
  so.tls = true;
  test::server srv(rio, [&](const test::received_request& r) {
    const long seq = nlohmann::json::parse(r.body).at("data").at("seq").get<long>();
    auto rep = test::respond(202);
    std::lock_guard lock(m);
    ++received[seq];
    rep.delay = std::chrono::milliseconds{delays() % 4};
    return rep;
  }, so);
  std::thread receiver([&] { rio.run(); });

  constexpr long events = 1500;
  constexpr int kills = 5;
  constexpr int max_in_flight = 3; // the engine's default per endpoint
  const std::vector<std::string> base = {WEBHOOKD_DURABILITY_CHILD, "--db", db,
                                         "--url", srv.url("/hook"), "--ca-file",
                                         test::pki().ca_file, "--events", std::to_string(events)};
  std::mt19937 rng(std::random_device{}());
  std::set<long> confirmed;
  int landed = 0;
  for (int round = 0; round < kills; ++round) {
    auto args = base;
    args.insert(args.end(), {"--owner", "run-" + std::to_string(round)});
    child c = child::spawn(args);
    std::this_thread::sleep_for(std::chrono::milliseconds{150 + rng() % 500});
    kill(c.pid, SIGKILL);
    const int status = c.wait();
    const auto seqs = published_in(c.read_all());
    confirmed.insert(seqs.begin(), seqs.end());
    if (WIFSIGNALED(status)) ++landed; // else the run had finished everything already
  }
  EXPECT_GE(landed, kills - 1);
  EXPECT_FALSE(confirmed.empty());

  // The last run finishes what the killed ones left and publishes the rest.
  auto args = base;
  args.insert(args.end(), {"--owner", "final"});
  child last = child::spawn(args);
  const std::string text = last.read_all();
  const int status = last.wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_NE(text.find("DONE"), std::string::npos);

  rio.stop();
  receiver.join();
  std::lock_guard lock(m);
  long duplicates = 0;
  for (long i = 0; i < events; ++i) {
    const auto it = received.find(i);
    ASSERT_NE(it, received.end()) << "event " << i << " was never delivered"
                                  << (confirmed.contains(i) ? " (its publish had returned)" : "");
    duplicates += it->second - 1;
  }
  EXPECT_EQ(received.size(), static_cast<std::size_t>(events));
  std::printf("kills landed: %d; publishes confirmed before the last run: %zu of %ld; "
              "deliveries sent twice: %ld\n",
              landed, confirmed.size(), events, duplicates);
  // At most what one endpoint had in flight at each kill is sent again.
  EXPECT_LE(duplicates, static_cast<long>(landed * max_in_flight));
  std::filesystem::remove_all(dir);
}

} // namespace
