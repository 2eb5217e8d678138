// The REST tests' set-up: a store, an engine, the REST handler mounted on the
// embedded HTTP server, one io_context thread, a loopback HTTPS receiver that answers
// activation challenges, and `call()`, which sends a request over a real socket.
#ifndef WEBHOOKD_TESTS_API_REST_FIXTURE_HPP
#define WEBHOOKD_TESTS_API_REST_FIXTURE_HPP

#include "../engine/engine_fixture.hpp"
#include "../support/test_server.hpp"
#include "http_client.hpp"

#include <webhookd/api/rest_handler.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/store/memory_store.hpp>

#include <webhookd/api/server.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace webhookd::api::api_test {

using namespace std::chrono_literals;

inline constexpr std::string_view base = "https://example.ilucca.net";
inline constexpr std::string_view version = "2024-11-01";

/// Tokens of the tests: every scope, read-only scopes, no scope at all.
inline authorizer test_authorizer() {
  return static_token_authorizer({
      {"all",
       {"webhook-endpoints.readwrite", "webhook-deliveries.readwrite", "events.readonly",
        "events.readwrite"}},
      {"ro", {"webhook-endpoints.readonly", "webhook-deliveries.readonly", "events.readonly"}},
      {"none", {}},
  });
}

// The receiver: GET /hook echoes the challenge, other GETs answer something else;
// POST /fail is a 500, every other POST is accepted.
inline test::reply receive(const test::received_request& r) {
  const std::string line = r.head.substr(0, r.head.find("\r\n"));
  if (line.starts_with("GET /hook")) {
    const auto at = line.find("echo=");
    const auto end = line.find_first_of("& ", at);
    return test::respond(200, line.substr(at + 5, end - at - 5));
  }
  if (line.starts_with("GET ")) return test::respond(200, "nope");
  if (line.starts_with("POST /fail")) return test::respond(500, "down");
  return test::respond(200);
}

struct response_json {
  int status = 0;
  header_list headers;
  std::string body;
  nlohmann::json json; ///< the parsed body (null when empty or not JSON)
  std::string header(std::string_view name) const { return std::string(headers.value_or(name)); }
};

/// Makes the store a fixture runs on.
template <class Store>
struct store_factory {
  static std::unique_ptr<Store> make() { return std::make_unique<Store>(); }
};

template <class Store = store::memory_store>
class basic_rest_fixture : public ::testing::Test {
protected:
  basic_rest_fixture() : receiver_(make_receiver(io_)), store_(store_factory<Store>::make()) {}

  void SetUp() override {
    engine::engine_options eo = engine::engine_test::test_options("50ms,50ms");
    eo.max_idle = 100ms;
    engine_.emplace(io_.get_executor(), *store_, std::move(eo));
    engine_->start();
    options_.base_url = std::string(base);
    options_.authorize = test_authorizer();
    options_.accept_events = true;
    configure(options_);
    handler_.emplace(*engine_, *store_, options_);
    server_.emplace(io_.get_executor(), request_handler(*handler_), server_options{});
    const auto ec =
        server_->listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ASSERT_FALSE(ec) << ec.message();
    client_.emplace(server_->local_endpoint().port());
    runner_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    client_.reset();
    std::promise<void> stopped;
    asio::post(io_, [&] { server_->stop(std::chrono::seconds(1), [&] { stopped.set_value(); }); });
    stopped.get_future().wait_for(5s);
    std::promise<void> engine_stopped;
    engine_->stop(100ms, [&] { engine_stopped.set_value(); });
    engine_stopped.get_future().wait_for(5s);
    work_.reset();
    io_.stop();
    if (runner_.joinable()) runner_.join();
    handler_.reset();
    server_.reset();
    engine_.reset();
  }

  /// Changes the handler's options before it is made.
  virtual void configure(rest_options&) {}

  /// Sends a request as given (no header added).
  response_json raw(std::string method, std::string target, std::vector<header_field> headers,
                    std::string body = {}) {
    request req;
    req.method = std::move(method);
    req.target = std::move(target);
    for (auto& h : headers) req.headers.add(std::move(h.name), std::move(h.value));
    req.body = std::move(body);
    response r = client_->send(req);
    response_json out;
    out.status = r.status;
    out.headers = std::move(r.headers);
    out.body = std::move(r.body);
    out.json = nlohmann::json::parse(out.body, nullptr, false);
    if (out.json.is_discarded()) out.json = nullptr;
    return out;
  }

  /// Sends a request with `Api-Version`, a bearer token, and for a body
  /// `Content-Type: application/json`, plus `extra` headers.
  response_json call(std::string method, std::string target, std::string body = {},
                     std::vector<header_field> extra = {}, std::string token = "all") {
    std::vector<header_field> h{{"Api-Version", std::string(version)},
                                {"Authorization", "Bearer " + token}};
    if (!body.empty()) h.push_back({"Content-Type", "application/json"});
    for (auto& e : extra) h.push_back(std::move(e));
    return raw(std::move(method), std::move(target), std::move(h), std::move(body));
  }

  /// Sends `body` with this Content-Type (none when empty), a version and a token.
  response_json typed(std::string method, std::string target, std::string content_type,
                      std::string body) {
    std::vector<header_field> h{{"Api-Version", std::string(version)},
                                {"Authorization", "Bearer all"}};
    if (!content_type.empty()) h.push_back({"Content-Type", std::move(content_type)});
    return raw(std::move(method), std::move(target), std::move(h), std::move(body));
  }

  response_json get(std::string target, std::vector<header_field> extra = {},
                    std::string token = "all") {
    return call("GET", std::move(target), {}, std::move(extra), std::move(token));
  }

  /// Creates an endpoint whose URL answers the challenge (or not: `path`).
  response_json create_endpoint(std::string path = "/hook",
                                std::vector<std::string> topics = {"employee.created"},
                                std::string status = "active", std::string target_query = {}) {
    nlohmann::json body{{"webhookUrl", receiver_.url(path)}, {"topics", topics}};
    if (!status.empty()) body["status"] = status;
    return call("POST", "/lucca-api/webhook-endpoints" + target_query, body.dump());
  }

  /// Publishes an event straight through the engine.
  model::event publish(std::string topic = "employee.created") {
    model::event e;
    e.topic = std::move(topic);
    e.occurred_at = default_clock().now();
    e.source = std::string(base);
    e.data = nlohmann::json{{"id", "416"}, {"type", "employee"}};
    auto r = engine_->publish(e);
    EXPECT_TRUE(r.has_value());
    return r ? *r : e;
  }

  /// Waits until `done()` holds (the engine works on the io thread meanwhile).
  template <class F>
  bool eventually(F done, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }

  static test::server make_receiver(asio::io_context& io) {
    test::server::options o;
    o.tls = true;
    return test::server(io, receive, o);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  test::server receiver_;
  std::unique_ptr<Store> store_;
  std::optional<engine::engine<Store>> engine_;
  rest_options options_;
  std::optional<rest_handler<Store>> handler_;
  std::optional<server> server_;
  std::optional<http_client> client_;
  std::thread runner_;
};

using rest_fixture = basic_rest_fixture<>;

} // namespace webhookd::api::api_test

#endif
