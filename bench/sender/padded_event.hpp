// The event the engine benchmarks publish: its default body (what the endpoint
// receives) padded in `data.note` to about a given size, like bench::make_event's
// body for the raw senders. Ids have a fixed length, so every published copy has the
// same body size.
#ifndef WEBHOOKD_BENCH_SENDER_PADDED_EVENT_HPP
#define WEBHOOKD_BENCH_SENDER_PADDED_EVENT_HPP

#include <webhookd/core/clock.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/encoding/body.hpp>
#include <webhookd/engine/options.hpp>
#include <webhookd/http/address_guard.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/store/records.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace bench {

/// The `url` base of the benchmarks' resources.
inline constexpr const char* base_url = "https://example.ilucca.net/lucca-api";

/** An event of `topic` whose `data` is `data` plus a `note` of `x`s, so that its
    default body is `body_size` bytes (or as small as it can be). */
inline webhookd::model::event padded_event(std::string topic, nlohmann::json data, std::size_t body_size) {
  webhookd::model::event e;
  e.topic = std::move(topic);
  e.occurred_at = webhookd::default_clock().now();
  e.source = "https://example.ilucca.net";
  e.data = std::move(data);
  e.data["note"] = "";
  webhookd::model::event probe = e;
  probe.id = std::string(webhookd::id_generator::length, '0');
  probe.url = std::string(base_url) + "/events/" + probe.id;
  const std::size_t empty =
      webhookd::encoding::encode_body(probe, webhookd::model::endpoint_content_type::default_).size();
  if (body_size > empty) e.data["note"] = std::string(body_size - empty, 'x');
  return e;
}

/// The benchmarks' one endpoint, `ep_bench`, subscribed to `topic` at `webhook_url`,
/// signed with `secret`, created in `store`.
template <class Store>
void add_bench_endpoint(Store& store, const std::string& webhook_url, std::string topic,
                        std::string secret) {
  webhookd::model::webhook_endpoint ep;
  ep.id = "ep_bench";
  ep.url = std::string(base_url) + "/webhook-endpoints/" + ep.id;
  ep.webhook_url = webhook_url;
  ep.topics = {std::move(topic)};
  ep.status = webhookd::model::endpoint_status::active;
  ep.secret = std::move(secret);
  ep.created_at = ep.last_updated_at = webhookd::default_clock().now();
  webhookd::store::endpoint_record rec;
  rec.endpoint = ep;
  if (!store.create_endpoint(rec)) throw std::runtime_error("create_endpoint");
}

/// The engine benchmarks' options: `connections` attempts in flight to the one
/// loopback endpoint, over as many connections, trusting `ca_file` (the system store
/// when empty), with the raw sender's 10 s timeout.
inline webhookd::engine::engine_options bench_engine_options(std::size_t connections,
                                                             const std::string& ca_file) {
  webhookd::engine::engine_options o;
  o.base_url = base_url;
  o.max_in_flight_per_endpoint = connections;
  // The benchmarks run their io_context on one thread, as the raw sender does.
  o.serial_executor = true;
  o.attempt_timeout = std::chrono::seconds{10};
  o.http.allowed_networks = {*webhookd::http::network::parse("127.0.0.0/8")};
  o.http.allow_http = true;
  o.http.use_system_trust_store = ca_file.empty();
  o.http.ca_file = ca_file;
  o.http.max_connections_per_origin = connections;
  return o;
}

} // namespace bench

#endif // WEBHOOKD_BENCH_SENDER_PADDED_EVENT_HPP
