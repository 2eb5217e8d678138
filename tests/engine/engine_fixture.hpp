// Helpers shared by the engine's test files: loopback TLS receivers, endpoints,
// events, and reading back what the store recorded.
#ifndef WEBHOOKD_TESTS_ENGINE_ENGINE_FIXTURE_HPP
#define WEBHOOKD_TESTS_ENGINE_ENGINE_FIXTURE_HPP

#include "../support/certs.hpp"
#include "../support/test_server.hpp"

#include <webhookd/engine/engine.hpp>
#include <webhookd/store/memory_store.hpp>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd::engine::engine_test {


using namespace std::chrono_literals;

inline constexpr std::string_view secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";

inline http::client_options loopback() {
  http::client_options o;
  o.allowed_networks = {*http::network::parse("127.0.0.0/8")};
  o.use_system_trust_store = false;
  o.ca_pem = test::pki().ca.cert_pem;
  return o;
}

inline schedule::retry_schedule schedule_of(std::string_view text) {
  auto s = schedule::retry_schedule::parse(text, 0.0);
  EXPECT_TRUE(s.has_value()) << text;
  return *s;
}

inline engine_options test_options(std::string_view retries = "50ms,50ms") {
  engine_options o;
  o.http = loopback();
  o.retries = schedule_of(retries);
  o.base_url = "https://example.ilucca.net/lucca-api";
  o.max_idle = 200ms;
  return o;
}

inline std::string header(const std::string& head, std::string_view name) {
  std::string lower_head = head;
  for (auto& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string key = "\r\n";
  for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  key += ": ";
  const auto at = lower_head.find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

template <class Store>
model::webhook_endpoint add_endpoint(
    Store& store, std::string id, std::string url,
    model::endpoint_status status = model::endpoint_status::active,
    std::vector<std::string> topics = {"employee.created"},
    model::endpoint_content_type content_type = model::endpoint_content_type::default_) {
  model::webhook_endpoint ep;
  ep.id = std::move(id);
  ep.url = "https://example.ilucca.net/lucca-api/webhook-endpoints/" + ep.id;
  ep.webhook_url = std::move(url);
  ep.topics = std::move(topics);
  ep.status = status;
  ep.content_type = content_type;
  ep.secret = std::string(secret);
  ep.created_at = ep.last_updated_at = default_clock().now();
  store::endpoint_record rec;
  rec.endpoint = ep;
  EXPECT_TRUE(store.create_endpoint(rec).has_value());
  return ep;
}

inline model::event employee_created() {
  model::event e;
  e.topic = "employee.created";
  e.occurred_at = default_clock().now();
  e.source = "https://example.ilucca.net";
  e.data = nlohmann::json{{"id", 42}, {"name", "Ada"}};
  return e;
}

template <class Store>
std::vector<model::webhook_delivery> deliveries_of(const Store& store,
                                                   const std::string& event_id) {
  store::delivery_filter f;
  f.event_id.include = {event_id};
  store::page_request p;
  p.limit = 100;
  auto page = store.list_deliveries(f, p);
  EXPECT_TRUE(page.has_value());
  return page ? page->items : std::vector<model::webhook_delivery>{};
}

template <class Store>
std::vector<model::webhook_delivery_attempt> attempts_of(const Store& store,
                                                         const std::string& delivery_id) {
  store::attempt_filter f;
  f.delivery_id.include = {delivery_id};
  store::page_request p;
  p.limit = 100;
  auto page = store.list_attempts(f, p);
  EXPECT_TRUE(page.has_value());
  return page ? page->items : std::vector<model::webhook_delivery_attempt>{};
}

template <class Store>
bool settled(const Store& store, const std::string& event_id) {
  auto ds = deliveries_of(store, event_id);
  if (ds.empty()) return false;
  for (const auto& d : ds)
    if (d.status == model::delivery_status::undelivered) return false;
  return true;
}

inline test::server tls_server(asio::io_context& io, test::responder r) {
  test::server::options o;
  o.tls = true;
  return test::server(io, std::move(r), o);
}

/** One loopback TLS receiver answering as `responder` says, a store with endpoints
    pointing at it (`/hook`), and an engine started on demand. Members are destroyed
    engine first, io_context last. */
template <class Store = store::memory_store>
struct receiver_setup {
  explicit receiver_setup(test::responder r, const std::vector<std::string>& endpoint_ids = {"ep1"})
      : srv(tls_server(io, std::move(r))) {
    for (const auto& id : endpoint_ids) add_endpoint(store, id, srv.url("/hook"));
  }

  engine<Store>& start(engine_options options = test_options()) {
    e.emplace(io.get_executor(), store, std::move(options));
    e->start();
    return *e;
  }

  /// Runs until the engine has recorded `n` deliveries as delivered.
  bool run_until_delivered(std::uint64_t n, std::chrono::milliseconds limit = std::chrono::seconds{30}) {
    return test::run_until(io, [&] { return e->metrics().delivered.load() >= n; }, limit);
  }

  asio::io_context io;
  test::server srv;
  Store store;
  std::optional<engine<Store>> e;
};

} // namespace webhookd::engine::engine_test

#endif
