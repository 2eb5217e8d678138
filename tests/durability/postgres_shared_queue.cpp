// Three engine processes share one PostgreSQL queue of 20,000 deliveries; one is
// killed with SIGKILL midway. Every delivery ends delivered, and only what the killed
// process had in flight may be sent twice.
#include "../store_postgres/pg_test_support.hpp"
#include "../support/certs.hpp"
#include "../support/test_server.hpp"
#include "../support/child_process.hpp"

#include <webhookd/core/id.hpp>
#include <webhookd/store/postgres_store.hpp>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

// pg_test_support.hpp brings the conformance suite's factory; the suite itself is
// instantiated by tests/store_postgres, not here.
namespace webhookd::testing {
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(delivery_store_conformance);
} // namespace webhookd::testing

namespace {

using namespace std::chrono_literals;
namespace test = webhookd::test;
namespace store = webhookd::store;
namespace model = webhookd::model;
namespace pg = webhookd::testing::pg;
using test::child;

TEST(durability, postgres_three_processes_one_killed) {
  const auto base = pg::conninfo();
  if (!base) GTEST_SKIP() << pg::no_cluster_message;
  const std::string dbname = "durability_" + std::to_string(getpid());
  pg::admin("DROP DATABASE IF EXISTS " + dbname);
  pg::admin("CREATE DATABASE " + dbname);
  const std::string conninfo = *base + " dbname=" + dbname;

  asio::io_context rio;
  std::mutex m;
  std::map<std::string, int> received; // "<path>|<event id>" -> times
  std::atomic<long> total{0};
  test::server::options so;
  so.tls = true;
  test::server srv(rio, [&](const test::received_request& r) {
    const auto path = r.head.substr(5, r.head.find(' ', 5) - 5);
    const auto id = nlohmann::json::parse(r.body).at("id").get<std::string>();
    {
      std::lock_guard lock(m);
      ++received[path + "|" + id];
    }
    ++total;
    return test::respond(202);
  }, so);
  std::thread receiver([&] { rio.run(); });

  // 20 endpoints x 1,000 events, enqueued directly: the processes only deliver. The
  // sanitizer build runs a fifth of it: the same kill, in a few minutes.
  constexpr int endpoints = 20;
#ifdef WEBHOOKD_SANITIZED
  constexpr int events = 200;
#else
  constexpr int events = 1000;
#endif
  constexpr int max_in_flight = 3; // the engine's default per endpoint
  {
    store::postgres_options po;
    po.conninfo = conninfo;
    auto opened = store::postgres_store::open(po);
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    store::postgres_store& db = **opened;
    const auto now = webhookd::default_clock().now();
    for (int i = 0; i < endpoints; ++i) {
      store::endpoint_record rec;
      rec.endpoint.id = "ep" + std::to_string(i);
      rec.endpoint.webhook_url = srv.url("/ep" + std::to_string(i));
      rec.endpoint.topics = {"employee.created"};
      rec.endpoint.status = model::endpoint_status::active;
      rec.endpoint.secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
      rec.endpoint.created_at = rec.endpoint.last_updated_at = now;
      ASSERT_TRUE(db.create_endpoint(rec).has_value());
    }
    webhookd::id_generator ids;
    for (int e = 0; e < events; ++e) {
      store::enqueue_request req;
      model::event ev;
      ev.id = ids.next(now);
      ev.topic = "employee.created";
      ev.occurred_at = now;
      ev.source = "https://example.ilucca.net";
      ev.data = nlohmann::json{{"n", e}};
      for (int i = 0; i < endpoints; ++i) {
        model::webhook_delivery d;
        d.id = ids.next(now);
        d.next_attempt_at = now;
        d.status = model::delivery_status::undelivered;
        d.event = model::reference{ev.id, std::string(model::event::type_name), ""};
        d.webhook_endpoint = model::reference{"ep" + std::to_string(i),
                                              std::string(model::webhook_endpoint::type_name), ""};
        req.deliveries.push_back(std::move(d));
      }
      req.event = std::move(ev);
      ASSERT_TRUE(db.enqueue(req, now).has_value());
    }
  }

  std::vector<child> workers;
  for (int w = 0; w < 3; ++w)
    workers.push_back(child::spawn({WEBHOOKD_DURABILITY_CHILD, "--postgres", conninfo, "--url",
                                    srv.url("/unused"), "--ca-file", test::pki().ca_file,
                                    "--events", "0", "--owner", "worker-" + std::to_string(w)}));
  // Kill the second worker once about a quarter of the work is done.
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (total.load() < endpoints * events / 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  kill(workers[1].pid, SIGKILL);
  const int killed_status = workers[1].wait();
  workers[1].read_all();
  EXPECT_TRUE(WIFSIGNALED(killed_status));
  for (int w : {0, 2}) {
    const std::string text = workers[static_cast<std::size_t>(w)].read_all();
    const int status = workers[static_cast<std::size_t>(w)].wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  }
  rio.stop();
  receiver.join();

  std::lock_guard lock(m);
  EXPECT_EQ(received.size(), static_cast<std::size_t>(endpoints * events)); // none lost
  long twice = 0;
  for (const auto& [key, n] : received) {
    EXPECT_LE(n, 2) << key; // at most once more
    twice += n - 1;
  }
  // Only what the killed worker had in flight: at most its share of each endpoint.
  EXPECT_LE(twice, static_cast<long>(endpoints * max_in_flight));
  std::printf("deliveries: %zu distinct, %ld sent twice\n", received.size(), twice);

  store::postgres_options po;
  po.conninfo = conninfo;
  auto opened = store::postgres_store::open(po);
  ASSERT_TRUE(opened.has_value());
  const auto stats = (*opened)->stats(webhookd::default_clock().now());
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->delivered, endpoints * events);
  EXPECT_EQ(stats->scheduled, 0);
  opened->reset();
  pg::admin("DROP DATABASE IF EXISTS " + dbname + " WITH (FORCE)");
}

} // namespace
