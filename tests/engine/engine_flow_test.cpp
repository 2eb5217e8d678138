// The engine's delivery loop against real loopback HTTPS receivers: the outcome
// table row by row, ordering, per-endpoint limits, throttling, idempotent publish,
// blocking stores, Standard Webhooks headers and stopping under load.
#include "engine_fixture.hpp"

#include <webhookd/signing/lucca.hpp>
#include <webhookd/signing/standard_webhooks.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace webhookd::engine {
namespace {

using namespace std::chrono_literals;
using namespace engine_test;

std::string event_id_of(const test::received_request& r) {
  return nlohmann::json::parse(r.body).at("id").get<std::string>();
}

std::optional<model::endpoint_status> status_of(const store::memory_store& s, const std::string& id) {
  auto rec = s.get_endpoint(id);
  if (!rec) return std::nullopt;
  return rec->endpoint.status;
}

// Every row of SPEC.md Part 1 §4 (and the unlisted statuses and transport errors it
// sends to "retry"): one endpoint per row, all fed by one event.
TEST(engine_flow, every_row_of_the_outcome_table) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request& r) {
    const auto line_end = r.head.find(' ', 6);
    const std::string path = r.head.substr(6, line_end - 6); // after "POST /"
    test::reply rep;
    if (path == "reset") {
      rep.after = test::reply::then::reset;
    } else if (path == "garbage") {
      rep.bytes = "this is not HTTP\r\n\r\n";
      rep.after = test::reply::then::close;
    } else if (path == "hang") {
      rep.after = test::reply::then::hang;
    } else {
      return test::respond(std::stoi(path), "answer " + path,
                           path == "302" ? "Location: https://elsewhere.example/\r\n" : "");
    }
    return rep;
  });
  struct row {
    std::string path;
    model::delivery_status status;
    int attempts;
    bool suspended;
  };
  const auto delivered = model::delivery_status::delivered;
  const auto failed = model::delivery_status::failed;
  const std::vector<row> rows = {
      {"200", delivered, 1, false}, {"201", delivered, 1, false}, {"202", delivered, 1, false},
      {"204", delivered, 1, false}, {"400", failed, 2, false},    {"401", failed, 2, false},
      {"403", failed, 2, false},    {"404", failed, 1, true},     {"410", failed, 1, true},
      {"429", failed, 2, false},    {"500", failed, 2, false},    {"502", failed, 2, false},
      {"503", failed, 2, false},    {"504", failed, 2, false},    {"302", failed, 2, false},
      {"reset", failed, 2, false},  {"garbage", failed, 2, false}, {"hang", failed, 2, false},
  };
  store::memory_store store;
  for (const row& r : rows) add_endpoint(store, "ep-" + r.path, srv.url("/" + r.path));
  auto options = test_options("50ms"); // two attempts in all
  // Long enough for 18 TLS handshakes on one loaded thread (receiver and engine share
  // it, sanitizers slow both): only the hanging row may time out.
  options.attempt_timeout = 1500ms;
  // Every row has its own connection: none waits behind the hanging one.
  options.http.max_connections_per_origin = 64;
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));

  for (const auto& d : deliveries_of(store, published->id)) {
    const auto it = std::find_if(rows.begin(), rows.end(), [&](const row& r) {
      return "ep-" + r.path == d.webhook_endpoint.id;
    });
    ASSERT_NE(it, rows.end());
    SCOPED_TRACE(it->path);
    EXPECT_EQ(d.status, it->status);
    EXPECT_EQ(d.attempts_count, it->attempts);
    EXPECT_FALSE(d.next_attempt_at.has_value());
    EXPECT_EQ(status_of(store, d.webhook_endpoint.id),
              it->suspended ? model::endpoint_status::suspended : model::endpoint_status::active);
    const auto as = attempts_of(store, d.id);
    ASSERT_EQ(as.size(), static_cast<std::size_t>(it->attempts)) << as.front().error_response_body;
    for (const auto& a : as) {
      EXPECT_EQ(a.is_successful, it->status == delivered);
      if (std::isdigit(static_cast<unsigned char>(it->path[0]))) {
        EXPECT_EQ(a.response_status_code, std::stoi(it->path));
        // Bodies are kept for non-2xx answers only (SPEC.md Part 1 §7).
        EXPECT_EQ(a.error_response_body,
                  it->status == delivered ? std::string() : "answer " + it->path);
      } else {
        EXPECT_FALSE(a.response_status_code.has_value());
        EXPECT_FALSE(a.error_response_body.empty());
      }
    }
    if (it->path == "hang") {
      EXPECT_NE(as[0].error_response_body.find("timeout"), std::string::npos);
    }
  }
  // The 302 was not followed: only this receiver was ever asked.
  EXPECT_EQ(e.metrics().delivered.load(), 4u);
}

TEST(engine_flow, retry_after_is_a_floor_for_the_next_attempt) {
  receiver_setup<> t([](const test::received_request&) {
    return test::respond(503, "", "Retry-After: 120\r\n");
  });
  auto& e = t.start(test_options("50ms"));
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(t.io, [&] { return e.metrics().attempts.load() == 1; }));
  const auto d = deliveries_of(t.store, published->id).at(0);
  ASSERT_TRUE(d.next_attempt_at.has_value());
  const auto a = attempts_of(t.store, d.id).at(0);
  EXPECT_GE(*d.next_attempt_at - a.created_at, 119s); // not the schedule's 50 ms
  EXPECT_LE(*d.next_attempt_at - a.created_at, 125s);
}

TEST(engine_flow, fifo_delivers_in_publish_order_through_a_retry) {
  std::vector<std::string> seen;
  receiver_setup<> t([&](const test::received_request& r) {
    seen.push_back(event_id_of(r));
    return seen.size() == 1 ? test::respond(503) : test::respond(200);
  });
  auto options = test_options("100ms");
  options.fifo = true;
  auto& e = t.start(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(e.publish(employee_created())->id);
  ASSERT_TRUE(t.run_until_delivered(5));
  std::vector<std::string> expected = {ids[0]};
  expected.insert(expected.end(), ids.begin(), ids.end());
  EXPECT_EQ(seen, expected); // the first event twice, and nothing overtook it
}

TEST(engine_flow, attempts_in_flight_per_endpoint_are_capped) {
  receiver_setup<> t([](const test::received_request&) {
    auto r = test::respond(200);
    r.delay = 40ms;
    return r;
  });
  auto options = test_options();
  options.max_in_flight_per_endpoint = 3;
  auto& e = t.start(options);
  for (int i = 0; i < 24; ++i) ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(24));
  // One connection per attempt in flight, kept alive: three at most, and three used.
  EXPECT_EQ(t.srv.max_active(), 3u);
}

// Many endpoints behind one origin: the per-endpoint limits alone would put 60
// attempts on the wire; `max_held` stops claiming at 4 held deliveries.
TEST(engine_flow, deliveries_held_by_the_engine_are_capped) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back("ep" + std::to_string(100 + i));
  receiver_setup<> t(
      [](const test::received_request&) {
        auto r = test::respond(200);
        r.delay = 20ms;
        return r;
      },
      ids);
  auto options = test_options();
  options.max_in_flight_per_endpoint = 3;
  options.http.max_connections_per_origin = 64;
  options.max_held = 4;
  auto& e = t.start(options);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(200));
  EXPECT_EQ(t.srv.max_active(), 4u);
}

// Twenty endpoints behind one origin that allows two connections, and a receiver
// that takes 150 ms per request: the last attempts wait ~1.4 s for a connection.
// Only the receiver's time counts against the 600 ms attempt deadline, so every
// delivery succeeds on its first attempt instead of timing out in the queue.
TEST(engine_flow, time_queued_for_a_connection_is_not_an_attempt_timeout) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back("ep" + std::to_string(100 + i));
  receiver_setup<> t(
      [](const test::received_request&) {
        auto r = test::respond(200);
        r.delay = 150ms;
        return r;
      },
      ids);
  auto options = test_options();
  options.http.max_connections_per_origin = 2;
  options.attempt_timeout = 600ms;
  auto& e = t.start(options);
  ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(20));
  EXPECT_EQ(e.metrics().attempts.load(), 20u);
  EXPECT_EQ(e.metrics().retried.load(), 0u);
  EXPECT_EQ(t.srv.max_active(), 2u);
}

TEST(engine_flow, overloaded_receiver_gets_less_concurrency) {
  int calls = 0;
  receiver_setup<> t([&](const test::received_request&) {
    auto r = ++calls <= 4 ? test::respond(503) : test::respond(200);
    r.delay = 30ms;
    return r;
  });
  auto options = test_options("30ms,30ms,30ms");
  options.max_in_flight_per_endpoint = 4;
  auto& e = t.start(options);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(12));
  EXPECT_GE(e.metrics().throttled.load(), 2u); // 4 -> 2 -> 1 at least
  EXPECT_EQ(e.metrics().failed.load(), 0u);
}

TEST(engine_flow, rate_limit_spaces_attempts_to_an_endpoint) {
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  receiver_setup<> t([&](const test::received_request&) {
    arrivals.push_back(std::chrono::steady_clock::now());
    return test::respond(200);
  });
  auto options = test_options();
  options.rate_limit = rate_limit{20.0, 1.0}; // one every 50 ms
  auto& e = t.start(options);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(6));
  ASSERT_EQ(arrivals.size(), 6u);
  // Five gaps of at least 50 ms (a lower bound only: never faster than the limit).
  EXPECT_GE(arrivals.back() - arrivals.front(), 240ms);
}

TEST(engine_flow, idempotency_key_returns_the_first_event) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  auto& e = t.start();
  publish_options key;
  key.idempotency_key = "order-42";
  auto first = e.publish(employee_created(), key);
  auto again = e.publish(employee_created(), key);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, first->id);
  key.idempotency_key = "order-43";
  auto other = e.publish(employee_created(), key);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->id, first->id);
  ASSERT_TRUE(t.run_until_delivered(2));
  test::run_for(t.io, 100ms);
  EXPECT_EQ(t.srv.requests().size(), 2u);
  EXPECT_EQ(e.metrics().published.load(), 2u);
  EXPECT_EQ(deliveries_of(t.store, first->id).size(), 1u);
}

TEST(engine_flow, async_publish_completes_on_the_engine_strand) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  auto& e = t.start();
  bool done = false;
  bool on_strand = false;
  std::string id;
  e.async_publish(employee_created(), {}, [&](engine<store::memory_store>::publish_result r) {
    // Given an io_context's executor, the engine's strand is over it directly.
    // (target() points into the executor it is called on: keep that one alive.)
    const auto ex = e.get_executor();
    const auto* strand = detail::target_as<asio::strand<asio::io_context::executor_type>>(ex);
    on_strand = strand != nullptr && strand->running_in_this_thread();
    ASSERT_TRUE(r.has_value());
    id = r->id;
    done = true;
  });
  ASSERT_TRUE(test::run_until(t.io, [&] { return done && settled(t.store, id); }));
  EXPECT_TRUE(on_strand);
  bool refused = false;
  model::event bad = employee_created();
  bad.topic = "";
  e.async_publish(bad, {}, [&](engine<store::memory_store>::publish_result r) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, std::errc::invalid_argument);
    refused = true;
  });
  ASSERT_TRUE(test::run_until(t.io, [&] { return refused; }));
}

// `serial_executor`: the engine runs on the host's io_context executor itself (one
// thread runs it), with no strand of its own, and still delivers everything.
TEST(engine_flow, a_serial_executor_is_used_without_a_strand) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  auto options = test_options();
  options.serial_executor = true;
  auto& e = t.start(options);
  const auto ex = e.get_executor();
  const auto* io_ex = detail::target_as<asio::io_context::executor_type>(ex);
  ASSERT_NE(io_ex, nullptr);
  EXPECT_TRUE(*io_ex == t.io.get_executor());
  EXPECT_EQ(detail::target_as<asio::strand<asio::io_context::executor_type>>(ex), nullptr);
  bool in_io_thread = false;
  std::string first;
  e.async_publish(employee_created(), {}, [&](engine<store::memory_store>::publish_result r) {
    ASSERT_TRUE(r.has_value());
    in_io_thread = t.io.get_executor().running_in_this_thread();
    first = r->id;
  });
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = e.publish(employee_created());
    ASSERT_TRUE(r.has_value());
    ids.push_back(r->id);
  }
  ASSERT_TRUE(t.run_until_delivered(21));
  EXPECT_TRUE(in_io_thread);
  ASSERT_FALSE(first.empty());
  ids.push_back(first);
  for (const auto& id : ids) EXPECT_TRUE(settled(t.store, id)) << id;
}

// Any other executor gets a strand of the engine's own over it: a thread pool's, run
// by two threads, delivers everything (its executor is no io_context's).
TEST(engine_flow, runs_on_a_strand_over_a_thread_pool) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  asio::thread_pool pool(2);
  {
    engine<store::memory_store> e(pool.get_executor(), t.store, test_options());
    EXPECT_EQ(detail::target_as<asio::io_context::executor_type>(e.get_executor()), nullptr);
    EXPECT_NE(detail::target_as<asio::strand<asio::any_io_executor>>(e.get_executor()), nullptr);
    e.start();
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
      auto r = e.publish(employee_created());
      ASSERT_TRUE(r.has_value());
      ids.push_back(r->id);
    }
    ASSERT_TRUE(test::run_until(t.io, [&] { return e.metrics().delivered.load() >= 20; }));
    for (const auto& id : ids) EXPECT_TRUE(settled(t.store, id)) << id;
    std::atomic<bool> stopped{false};
    e.stop(std::chrono::seconds{5}, [&] { stopped = true; });
    ASSERT_TRUE(test::run_until(t.io, [&] { return stopped.load(); }));
  }
  pool.join();
}

// A strand handed to the engine is what it runs on: no second strand over it.
TEST(engine_flow, a_strand_given_is_used_as_it_is) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  const auto given = asio::make_strand(t.io);
  engine<store::memory_store> e(given, t.store, test_options());
  const auto ex = e.get_executor();
  const auto* strand = detail::target_as<asio::strand<asio::io_context::executor_type>>(ex);
  ASSERT_NE(strand, nullptr);
  EXPECT_TRUE(*strand == given);
  e.start();
  auto r = e.publish(employee_created());
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(test::run_until(t.io, [&] { return e.metrics().delivered.load() >= 1; }));
  EXPECT_TRUE(settled(t.store, r->id));
}

// A memory store that says it blocks, notes which threads call it, and makes each
// record slow so that outcomes pile up behind it: both ways of recording, since the
// engine records with `record_then_claim` whenever no claim is on its way.
struct slow_blocking_store : store::memory_store {
  static constexpr bool is_blocking = true;
  mutable std::mutex m;
  mutable std::set<std::thread::id> threads;
  std::chrono::milliseconds record_delay{0};

  void note() const {
    std::lock_guard lock(m);
    threads.insert(std::this_thread::get_id());
  }
  result<std::vector<store::claimed_delivery>> claim_due(const store::claim_request& r) {
    note();
    return memory_store::claim_due(r);
  }
  result<std::vector<store::record_result>> record(std::span<const store::attempt_outcome> o,
                                                   timestamp now) {
    note();
    std::this_thread::sleep_for(record_delay);
    return memory_store::record(o, now);
  }
  result<store::record_and_claim_result> record_then_claim(std::span<const store::attempt_outcome> o,
                                                          const store::claim_request& r,
                                                          timestamp now) {
    note();
    std::this_thread::sleep_for(record_delay);
    return memory_store::record_then_claim(o, r, now);
  }
};

TEST(engine_flow, blocking_store_is_called_off_the_io_thread_and_batched) {
  static_assert(store::delivery_store<slow_blocking_store>);
  static_assert(store::is_blocking_store_v<slow_blocking_store>);
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  slow_blocking_store store;
  store.record_delay = 30ms;
  for (int i = 0; i < 4; ++i) add_endpoint(store, "ep" + std::to_string(i), srv.url("/hook"));
  auto options = test_options();
  options.store_threads = 2;
  engine<slow_blocking_store> e(io.get_executor(), store, options);
  e.start();
  std::atomic<int> published{0};
  for (int i = 0; i < 10; ++i)
    e.async_publish(employee_created(), {}, [&](engine<slow_blocking_store>::publish_result r) {
      if (r) ++published;
    });
  ASSERT_TRUE(test::run_until(io, [&] { return e.metrics().delivered.load() == 40; }));
  EXPECT_EQ(published.load(), 10);
  {
    std::lock_guard lock(store.m);
    EXPECT_FALSE(store.threads.empty());
    EXPECT_EQ(store.threads.count(std::this_thread::get_id()), 0u); // never the io thread
    EXPECT_LE(store.threads.size(), 2u);
  }
  // 40 attempts could not each have had their own 30 ms record call in this time
  // without batching; the counter says how many calls there were.
  EXPECT_LT(e.metrics().record_batches.load(), 40u);
  EXPECT_EQ(e.metrics().attempts.load(), 40u);
  bool stopped = false;
  e.stop(1s, [&] { stopped = true; });
  ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));
}

TEST(engine_flow, retries_wake_from_the_timer_wheel_not_from_polling) {
  int calls = 0;
  receiver_setup<> t([&](const test::received_request&) {
    return ++calls == 1 ? test::respond(503) : test::respond(200);
  });
  auto options = test_options("150ms");
  options.max_idle = std::chrono::minutes{10}; // the store is not looked at again
  auto& e = t.start(options);
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(t.io, [&] { return e.metrics().attempts.load() == 1; }));
  EXPECT_EQ(e.metrics().wheel_pending.load(), 1);
  ASSERT_TRUE(t.run_until_delivered(1, 5s));
  EXPECT_EQ(deliveries_of(t.store, published->id)[0].status, model::delivery_status::delivered);
}

TEST(engine_flow, queue_depth_and_held_come_from_the_store) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(503); });
  add_endpoint(t.store, "ep2", t.srv.url("/hook"), model::endpoint_status::suspended);
  auto options = test_options("1h");
  options.stats_interval = 0ms;
  auto& e = t.start(options);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(test::run_until(t.io, [&] { return e.metrics().attempts.load() == 3; }));
  e.wake();
  ASSERT_TRUE(test::run_until(t.io, [&] {
    return e.metrics().queue_depth.load() == 3 && e.metrics().held.load() == 3;
  }));
}

// What a Standard Webhooks receiver does, with the `whsec_` form of `endpoint_secret`.
bool verifies_as_standard_webhooks(const test::received_request& r, std::string_view endpoint_secret) {
  return signing::verify_standard_webhooks(signing::standard_webhooks_secret_for(endpoint_secret),
                                           header(r.head, "webhook-id"),
                                           header(r.head, "webhook-timestamp"),
                                           header(r.head, "webhook-signature"), r.body,
                                           default_clock().now())
      .has_value();
}

TEST(engine_flow, standard_webhooks_headers_verify_with_both_secrets_during_rotation) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  auto options = test_options();
  options.signature_scheme = signature_scheme::both;
  auto& e = t.start(options);
  ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(1));
  auto rotated = e.rotate_secret("ep1");
  ASSERT_TRUE(rotated.has_value());
  const std::string fresh = rotated->endpoint.secret;
  ASSERT_TRUE(e.publish(employee_created()).has_value());
  ASSERT_TRUE(t.run_until_delivered(2));

  for (std::size_t i = 0; i < 2; ++i) {
    const auto& r = t.srv.requests()[i];
    EXPECT_EQ(header(r.head, "webhook-id"), event_id_of(r)); // stable across retries
    EXPECT_TRUE(verifies_as_standard_webhooks(r, secret));
    EXPECT_TRUE(signing::verify_lucca(i == 0 ? secret : std::string_view(fresh),
                                      header(r.head, "Lucca-Timestamp"),
                                      header(r.head, "Lucca-Signature"), r.body,
                                      default_clock().now())
                    .has_value());
  }
  // After the rotation: one signature per valid secret.
  const auto& r = t.srv.requests()[1];
  const auto sig = header(r.head, "webhook-signature");
  EXPECT_EQ(std::count(sig.begin(), sig.end(), ' '), 1);
  EXPECT_TRUE(verifies_as_standard_webhooks(r, fresh));
}

TEST(engine_flow, standard_webhooks_only_sends_no_lucca_headers) {
  receiver_setup<> t([](const test::received_request&) { return test::respond(200); });
  auto options = test_options();
  options.signature_scheme = signature_scheme::standard_webhooks;
  auto& e = t.start(options);
  auto published = e.publish(employee_created());
  ASSERT_TRUE(t.run_until_delivered(1));
  const auto& r = t.srv.requests().at(0);
  EXPECT_EQ(header(r.head, "Lucca-Signature"), "");
  EXPECT_TRUE(verifies_as_standard_webhooks(r, secret));
  // The attempt records the signature that was sent.
  const auto d = deliveries_of(t.store, published->id).at(0);
  EXPECT_EQ(attempts_of(t.store, d.id).at(0).signature, header(r.head, "webhook-signature"));
}

// Stop in the middle of a load: every delivery is then delivered, failed or pending
// without a lease, and a second engine finishes the rest. Nothing is lost.
TEST(engine_flow, stop_under_load_loses_nothing) {
  asio::io_context io;
  std::mutex m;
  std::multiset<std::string> received; // "<endpoint path>|<event id>"
  auto srv = tls_server(io, [&](const test::received_request& r) {
    const auto path_end = r.head.find(' ', 5);
    {
      std::lock_guard lock(m);
      received.insert(r.head.substr(5, path_end - 5) + "|" + event_id_of(r));
    }
    auto rep = test::respond(200);
    rep.delay = std::chrono::milliseconds{received.size() % 7};
    return rep;
  });
  store::memory_store store;
  for (int i = 0; i < 4; ++i) add_endpoint(store, "ep" + std::to_string(i), srv.url("/ep" + std::to_string(i)));
  constexpr int events = 150;
  std::vector<std::string> ids;
  std::uint64_t delivered_first = 0;
  {
    engine<store::memory_store> first(io.get_executor(), store, test_options());
    first.start();
    for (int i = 0; i < events; ++i) ids.push_back(first.publish(employee_created())->id);
    ASSERT_TRUE(test::run_until(io, [&] { return first.metrics().delivered.load() >= 100; }));
    bool stopped = false;
    first.stop(20ms, [&] { stopped = true; });
    ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));
    const auto stats = store.stats(default_clock().now());
    EXPECT_EQ(stats->in_flight, 0); // every lease given back
    EXPECT_GT(stats->scheduled, 0); // work was left
    std::uint64_t delivered = 0;
    for (const auto& id : ids)
      for (const auto& d : deliveries_of(store, id)) {
        ASSERT_NE(d.status, model::delivery_status::failed);
        if (d.status == model::delivery_status::delivered) ++delivered;
      }
    delivered_first = first.metrics().delivered.load();
    EXPECT_EQ(delivered, delivered_first);
  }
  engine<store::memory_store> second(io.get_executor(), store, test_options());
  second.start();
  ASSERT_TRUE(test::run_until(io, [&] {
    return second.metrics().delivered.load() + delivered_first == events * 4u;
  }));
  std::set<std::string> distinct(received.begin(), received.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(events) * 4); // every one arrived
  for (const auto& id : ids)
    for (const auto& d : deliveries_of(store, id))
      EXPECT_EQ(d.status, model::delivery_status::delivered);
  // Duplicates are bounded by what was on the wire at the stop (3 per endpoint).
  EXPECT_LE(received.size() - distinct.size(), 12u);
}

} // namespace
} // namespace webhookd::engine
