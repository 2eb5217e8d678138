#include <webhookd/engine/engine.hpp> // must be self-contained

#include "engine_fixture.hpp"

#include <webhookd/encoding/counters.hpp>
#include <webhookd/signing/lucca.hpp>
#include <webhookd/store/memory_store.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

namespace webhookd::engine {
namespace {

using namespace std::chrono_literals;
using namespace engine_test;

TEST(engine, publish_signs_and_delivers_once) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();

  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  EXPECT_FALSE(published->id.empty());
  EXPECT_EQ(published->url, "https://example.ilucca.net/lucca-api/events/" + published->id);

  // Durable before any attempt.
  auto before = deliveries_of(store, published->id);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].attempts_count, 0);

  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  auto ds = deliveries_of(store, published->id);
  EXPECT_EQ(ds[0].status, model::delivery_status::delivered);
  EXPECT_EQ(ds[0].attempts_count, 1);
  EXPECT_FALSE(ds[0].next_attempt_at.has_value());

  ASSERT_EQ(srv.requests().size(), 1u);
  const auto& req = srv.requests()[0];
  EXPECT_EQ(req.head.rfind("POST /hook HTTP/1.1", 0), 0u);
  EXPECT_EQ(header(req.head, "Content-Type"), "application/json");
  EXPECT_EQ(header(req.head, "Api-Version"), "2024-11-01");
  EXPECT_EQ(header(req.head, "User-Agent").rfind("webhookd/", 0), 0u);
  const auto ts = header(req.head, "Lucca-Timestamp");
  const auto sig = header(req.head, "Lucca-Signature");
  EXPECT_EQ(ts.size(), 20u);
  EXPECT_TRUE(signing::verify_lucca(secret, ts, sig, req.body, default_clock().now()).has_value());
  EXPECT_EQ(nlohmann::json::parse(req.body).at("id"), published->id);

  auto as = attempts_of(store, ds[0].id);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_TRUE(as[0].is_successful);
  EXPECT_EQ(as[0].response_status_code, 200);
  EXPECT_EQ(as[0].signature, sig);
  EXPECT_EQ(as[0].error_response_body, "");
  EXPECT_EQ(e.metrics().published.load(), 1u);
  EXPECT_EQ(e.metrics().delivered.load(), 1u);
  EXPECT_EQ(e.metrics().attempt_latency.count(), 1u);

  bool stopped = false;
  e.stop(1s, [&] { stopped = true; });
  ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));
}

TEST(engine, fan_out_encodes_the_body_once) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(202); });
  store::memory_store store;
  for (int i = 0; i < 3; ++i)
    add_endpoint(store, "ep" + std::to_string(i), srv.url("/hook" + std::to_string(i)));
  add_endpoint(store, "other", srv.url("/other"), model::endpoint_status::active,
               {"employee.deleted"});
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();

  const auto encoded_before = encoding::bodies_encoded.load();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_EQ(deliveries_of(store, published->id).size(), 3u);
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  EXPECT_EQ(encoding::bodies_encoded.load() - encoded_before, 1u);
  ASSERT_EQ(srv.requests().size(), 3u);
  for (const auto& r : srv.requests()) {
    EXPECT_EQ(r.body, srv.requests()[0].body);
    EXPECT_TRUE(signing::verify_lucca(secret, header(r.head, "Lucca-Timestamp"),
                                      header(r.head, "Lucca-Signature"), r.body,
                                      default_clock().now())
                    .has_value());
  }
  for (const auto& d : deliveries_of(store, published->id))
    EXPECT_EQ(d.status, model::delivery_status::delivered);
}

TEST(engine, retries_after_503_then_delivers) {
  asio::io_context io;
  std::atomic<int> calls{0};
  auto srv = tls_server(io, [&](const test::received_request&) {
    return ++calls == 1 ? test::respond(503, "busy") : test::respond(200);
  });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  engine<store::memory_store> e(io.get_executor(), store, test_options("50ms,50ms"));
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  auto ds = deliveries_of(store, published->id);
  EXPECT_EQ(ds[0].status, model::delivery_status::delivered);
  EXPECT_EQ(ds[0].attempts_count, 2);
  auto as = attempts_of(store, ds[0].id);
  ASSERT_EQ(as.size(), 2u);
  EXPECT_FALSE(as[0].is_successful);
  EXPECT_EQ(as[0].response_status_code, 503);
  EXPECT_EQ(as[0].error_response_body, "busy");
  EXPECT_TRUE(as[1].is_successful);
  EXPECT_NE(as[0].signature, ""); // fresh signature per attempt
  EXPECT_EQ(e.metrics().retried.load(), 1u);
}

TEST(engine, gone_endpoint_fails_and_is_suspended) {
  for (int status : {404, 410}) {
    asio::io_context io;
    auto srv = tls_server(io, [&](const test::received_request&) { return test::respond(status); });
    store::memory_store store;
    add_endpoint(store, "ep1", srv.url("/hook"));
    std::vector<operational_event> events;
    auto options = test_options();
    options.on_event = [&](const operational_event& ev) { events.push_back(ev); };
    engine<store::memory_store> e(io.get_executor(), store, options);
    e.start();
    auto published = e.publish(employee_created());
    ASSERT_TRUE(published.has_value());
    ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
    auto ds = deliveries_of(store, published->id);
    EXPECT_EQ(ds[0].status, model::delivery_status::failed) << status;
    EXPECT_EQ(ds[0].attempts_count, 1);
    EXPECT_EQ(store.get_endpoint("ep1")->endpoint.status, model::endpoint_status::suspended);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].kind, operational_event_kind::attempt_failed);
    EXPECT_EQ(events[0].status_code, status);
    EXPECT_EQ(events[1].kind, operational_event_kind::delivery_failed);
    EXPECT_EQ(events[2].kind, operational_event_kind::endpoint_suspended);
    EXPECT_EQ(events[2].endpoint_id, "ep1");
    EXPECT_EQ(e.metrics().suspended.load(), 1u);

    // While suspended, new deliveries are kept, not attempted; reactivation sends them.
    auto second = e.publish(employee_created());
    ASSERT_TRUE(second.has_value());
    auto held = deliveries_of(store, second->id);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_FALSE(held[0].next_attempt_at.has_value());
    ASSERT_TRUE(e.reactivate_endpoint("ep1").has_value());
    ASSERT_TRUE(test::run_until(io, [&] { return settled(store, second->id); }));
    EXPECT_EQ(deliveries_of(store, second->id)[0].attempts_count, 1);
    EXPECT_EQ(events[3].kind, operational_event_kind::endpoint_reactivated);
  }
}

std::uint16_t closed_port(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

TEST(engine, unreachable_receiver_records_a_reason_and_exhausts_retries) {
  asio::io_context io;
  store::memory_store store;
  add_endpoint(store, "ep1", "https://127.0.0.1:" + std::to_string(closed_port(io)) + "/hook");
  std::vector<operational_event> events;
  auto options = test_options("20ms,20ms");
  options.on_event = [&](const operational_event& ev) { events.push_back(ev); };
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  auto ds = deliveries_of(store, published->id);
  EXPECT_EQ(ds[0].status, model::delivery_status::failed);
  EXPECT_EQ(ds[0].attempts_count, 3);
  for (const auto& a : attempts_of(store, ds[0].id)) {
    EXPECT_FALSE(a.is_successful);
    EXPECT_FALSE(a.response_status_code.has_value());
    EXPECT_FALSE(a.error_response_body.empty());
  }
  EXPECT_EQ(e.metrics().failed.load(), 1u);
  EXPECT_EQ(e.metrics().retried.load(), 2u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, operational_event_kind::delivery_failed);
  EXPECT_FALSE(events.back().status_code.has_value());
  // A single failed delivery is below the streak threshold.
  EXPECT_EQ(store.get_endpoint("ep1")->endpoint.status, model::endpoint_status::active);
}

TEST(engine, failure_streak_suspends_the_endpoint) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(500); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  auto options = test_options("none");
  options.suspension.consecutive_failed_deliveries = 2;
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();
  auto first = e.publish(employee_created());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, first->id); }));
  EXPECT_EQ(store.get_endpoint("ep1")->endpoint.status, model::endpoint_status::active);
  auto second = e.publish(employee_created());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, second->id); }));
  EXPECT_EQ(store.get_endpoint("ep1")->endpoint.status, model::endpoint_status::suspended);
}

TEST(engine, inactive_endpoint_gets_no_delivery) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  store::memory_store store;
  add_endpoint(store, "off", srv.url("/off"), model::endpoint_status::inactive);
  add_endpoint(store, "on", srv.url("/on"));
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  auto ds = deliveries_of(store, published->id);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].webhook_endpoint.id, "on");
}

TEST(engine, business_establishment_restricts_fan_out) {
  asio::io_context io;
  store::memory_store store;
  auto ep = add_endpoint(store, "be", "https://127.0.0.1:1/x");
  ep.business_establishments = std::vector<model::reference>{{"7", "", ""}};
  ASSERT_TRUE(store.update_endpoint(ep, store::any_version, default_clock().now()).has_value());
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  auto ev = employee_created();
  ev.business_establishment = model::reference{"8", "", ""};
  auto other = e.publish(ev);
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(deliveries_of(store, other->id).empty());
  ev.business_establishment = model::reference{"7", "", ""};
  auto same = e.publish(ev);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(deliveries_of(store, same->id).size(), 1u);
}

TEST(engine, invalid_event_is_refused_and_nothing_stored) {
  asio::io_context io;
  store::memory_store store;
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  auto ev = employee_created();
  ev.topic = "employee.*";
  auto r = e.publish(ev);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, std::errc::invalid_argument);
  EXPECT_FALSE(r.error().errors.empty());
  EXPECT_EQ(store.stats(default_clock().now())->events, 0);
  EXPECT_EQ(r.shared(), nullptr);
  EXPECT_THROW((void)r.value(), bad_result_access);
}

// The event handed back is the one the memory store keeps, not a copy of it: the
// store holds the other reference, and the store's event reads the same.
TEST(engine, publish_hands_back_the_stored_event_without_copying_it) {
  asio::io_context io;
  store::memory_store store;
  add_endpoint(store, "ep1", "https://127.0.0.1:9/hook");
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  auto r = e.publish(employee_created());
  ASSERT_TRUE(r.has_value());
  const std::shared_ptr<const model::event> shared = r.shared();
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared.get(), &*r);
  EXPECT_GE(shared.use_count(), 3); // `r`, `shared` and the store's rows (a copy: 2)
  EXPECT_EQ(*store.get_event(r->id), *r);
  EXPECT_EQ(&r.value(), shared.get());
}

TEST(engine, stop_with_work_in_flight_releases_leases) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) {
    test::reply r;
    r.after = test::reply::then::hang;
    return r;
  });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return srv.requests().size() == 1; }));
  EXPECT_EQ(e.metrics().in_flight.load(), 1);
  EXPECT_EQ(store.stats(default_clock().now())->in_flight, 1);

  bool stopped = false;
  e.stop(50ms, [&] { stopped = true; });
  ASSERT_TRUE(test::run_until(io, [&] { return stopped; }));
  auto stats = store.stats(default_clock().now());
  EXPECT_EQ(stats->in_flight, 0);
  EXPECT_EQ(stats->due, 1);
  auto ds = deliveries_of(store, published->id);
  EXPECT_EQ(ds[0].status, model::delivery_status::undelivered);
  EXPECT_EQ(ds[0].attempts_count, 0); // the cancelled attempt is not recorded
  // Another process can claim it at once.
  store::claim_request claim;
  claim.now = default_clock().now();
  claim.owner = "next";
  EXPECT_EQ(store.claim_due(claim)->size(), 1u);
}

TEST(engine, whole_retry_schedule_in_virtual_time) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(503); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  manual_clock clock(default_clock().now());
  auto options = test_options("1h,20h");
  options.clock = &clock;
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();
  const timestamp t0 = clock.now();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  auto attempts = [&] { return deliveries_of(store, published->id)[0].attempts_count; };
  ASSERT_TRUE(test::run_until(io, [&] { return attempts() == 1; }));
  EXPECT_EQ(deliveries_of(store, published->id)[0].next_attempt_at, t0 + 1h);

  clock.advance(1h);
  e.wake();
  ASSERT_TRUE(test::run_until(io, [&] { return attempts() == 2; }));
  EXPECT_EQ(deliveries_of(store, published->id)[0].next_attempt_at, t0 + 21h);

  clock.advance(20h);
  e.wake();
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  auto d = deliveries_of(store, published->id)[0];
  EXPECT_EQ(d.status, model::delivery_status::failed);
  EXPECT_EQ(d.attempts_count, 3);
  EXPECT_EQ(srv.requests().size(), 3u);
}

} // namespace
} // namespace webhookd::engine

namespace webhookd::engine {
namespace {

TEST(engine, test_delivery_reaches_an_inactive_endpoint) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  store::memory_store store;
  add_endpoint(store, "off", srv.url("/off"), model::endpoint_status::inactive);
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();
  auto d = e.send_test("off");
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, d->event.id); }));
  EXPECT_EQ(deliveries_of(store, d->event.id)[0].status, model::delivery_status::delivered);
  ASSERT_EQ(srv.requests().size(), 1u);
  const auto body = nlohmann::json::parse(srv.requests()[0].body);
  EXPECT_EQ(body.at("topic"), "ping");
  EXPECT_EQ(body.at("data").at("webhookEndpoint").at("id"), "off");
  EXPECT_FALSE(e.send_test("missing").has_value());
}

TEST(engine, resend_makes_a_new_delivery_of_the_same_event) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  auto again = e.resend(published->id, "ep1");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->event.id, published->id);
  ASSERT_TRUE(test::run_until(io, [&] { return srv.requests().size() == 2 && settled(store, published->id); }));
  EXPECT_EQ(deliveries_of(store, published->id).size(), 2u);
  EXPECT_EQ(srv.requests()[0].body, srv.requests()[1].body);
  EXPECT_EQ(e.resend("no-such-event", "ep1").error().code, errc::not_found);
}

} // namespace
} // namespace webhookd::engine

namespace webhookd::engine {
namespace {

std::string query_value(const std::string& head, std::string_view name) {
  const auto line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const std::string key = std::string(name) + "=";
  auto at = line.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  const auto end = line.find_first_of("& ", at);
  return line.substr(at, end - at);
}

TEST(engine, activation_challenge_echoes_the_value) {
  asio::io_context io;
  std::string echo_text, challenge_text;
  auto good = tls_server(io, [&](const test::received_request& r) {
    echo_text = query_value(r.head, "echo");
    challenge_text = query_value(r.head, "challenge");
    return test::respond(200, echo_text + "\n");
  });
  auto wrong = tls_server(io, [](const test::received_request&) { return test::respond(200, "nope"); });
  store::memory_store store;
  engine<store::memory_store> e(io.get_executor(), store, test_options());

  std::optional<challenge_result> passed, failed;
  e.challenge(good.url("/hook?x=1"), [&](challenge_result r) { passed = std::move(r); });
  e.challenge(wrong.url("/hook"), [&](challenge_result r) { failed = std::move(r); });
  ASSERT_TRUE(test::run_until(io, [&] { return passed && failed; }));
  EXPECT_TRUE(passed->passed) << passed->reason;
  EXPECT_EQ(passed->status_code, 200);
  EXPECT_EQ(echo_text.size(), 43u); // 32 bytes, base64url without padding
  EXPECT_EQ(echo_text, challenge_text);
  EXPECT_EQ(good.requests()[0].head.rfind("GET /hook?x=1&echo=", 0), 0u);
  EXPECT_EQ(header(good.requests()[0].head, "Lucca-Signature"), "");
  EXPECT_FALSE(failed->passed);
  EXPECT_FALSE(failed->reason.empty());
}

} // namespace
} // namespace webhookd::engine

namespace webhookd::engine {
namespace {

TEST(engine, retention_purges_finished_history_in_engine_time) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  manual_clock clock(default_clock().now());
  auto options = test_options();
  options.clock = &clock;
  options.retention = 1h;
  options.purge_interval = 10min;
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  EXPECT_EQ(store.stats(clock.now())->events, 1);
  clock.advance(2h);
  e.wake();
  ASSERT_TRUE(test::run_until(io, [&] { return store.stats(clock.now())->events == 0; }));
  EXPECT_EQ(store.stats(clock.now())->attempts, 0);
}

} // namespace
} // namespace webhookd::engine

namespace webhookd::engine {
namespace {

TEST(engine, failing_for_a_day_suspends_in_virtual_time) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(500); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  manual_clock clock(default_clock().now());
  std::vector<operational_event> events;
  auto options = test_options("25h");
  options.clock = &clock;
  options.on_event = [&](const operational_event& ev) { events.push_back(ev); };
  engine<store::memory_store> e(io.get_executor(), store, options);
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return events.size() == 1; }));
  EXPECT_EQ(store.get_endpoint("ep1")->endpoint.status, model::endpoint_status::active);
  clock.advance(25h);
  e.wake();
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  EXPECT_EQ(store.get_endpoint("ep1")->endpoint.status, model::endpoint_status::suspended);
  EXPECT_EQ(events.back().kind, operational_event_kind::endpoint_suspended);
}

TEST(engine, malformed_webhook_url_is_recorded_as_an_attempt_without_answer) {
  asio::io_context io;
  store::memory_store store;
  add_endpoint(store, "ep1", "not a url");
  engine<store::memory_store> e(io.get_executor(), store, test_options("none"));
  e.start();
  auto published = e.publish(employee_created());
  ASSERT_TRUE(published.has_value());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, published->id); }));
  auto d = deliveries_of(store, published->id)[0];
  EXPECT_EQ(d.status, model::delivery_status::failed);
  auto as = attempts_of(store, d.id);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_FALSE(as[0].response_status_code.has_value());
  EXPECT_EQ(as[0].error_response_body.rfind("invalid webhookUrl", 0), 0u) << as[0].error_response_body;
}

} // namespace
} // namespace webhookd::engine

namespace webhookd::engine {
namespace {

TEST(engine, rotated_secret_signs_later_attempts) {
  asio::io_context io;
  auto srv = tls_server(io, [](const test::received_request&) { return test::respond(200); });
  store::memory_store store;
  add_endpoint(store, "ep1", srv.url("/hook"));
  engine<store::memory_store> e(io.get_executor(), store, test_options());
  e.start();
  auto first = e.publish(employee_created());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, first->id); }));
  auto rotated = e.rotate_secret("ep1");
  ASSERT_TRUE(rotated.has_value());
  const std::string fresh = rotated->endpoint.secret;
  EXPECT_NE(fresh, secret);
  EXPECT_EQ(fresh.size(), 64u);
  EXPECT_EQ(rotated->previous_secret, std::string(secret));
  auto second = e.publish(employee_created());
  ASSERT_TRUE(test::run_until(io, [&] { return settled(store, second->id); }));
  ASSERT_EQ(srv.requests().size(), 2u);
  const auto& r = srv.requests()[1];
  const auto ts = header(r.head, "Lucca-Timestamp");
  const auto sig = header(r.head, "Lucca-Signature");
  EXPECT_TRUE(signing::verify_lucca(fresh, ts, sig, r.body, default_clock().now()).has_value());
  EXPECT_FALSE(signing::verify_lucca(secret, ts, sig, r.body, default_clock().now()).has_value());
  EXPECT_FALSE(e.rotate_secret("missing").has_value());
}

} // namespace
} // namespace webhookd::engine
