// SPDX-License-Identifier: MIT
// Encoding one event's request body, in each content type, and sharing it across fan-out.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON
//   cmake --build build-bench --target webhookd_encoding_bench
//   build-bench/bench/webhookd_encoding_bench
#include <webhookd/encoding.hpp>
#include <webhookd/model/event.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

namespace {

namespace encoding = webhookd::encoding;
using webhookd::model::endpoint_content_type;

// The employee of seed 000 with a few more attributes: about 1 KiB of `data`.
webhookd::model::event make_event() {
  auto e = nlohmann::json::parse(R"({
    "id": "123", "type": "event", "url": "https://example.ilucca.net/lucca-api/events/123",
    "apiVersion": "2024-11-01", "topic": "employee.updated",
    "occurredAt": "2024-02-01T09:34:23.001Z", "source": "https://example.ilucca.net",
    "businessEstablishment": {"id": "12", "type": "business-establishment",
      "url": "https://example.ilucca.net/lucca-api/business-establishments/12"},
    "data": {
      "id": "416", "type": "employee", "url": "https://example.ilucca.net/lucca-api/employees/416",
      "remoteId": "00002345",
      "portrait": {"id": "66512232", "type": "portrait",
        "url": "https://example.ilucca.net/lucca-api/portraits/66512232"},
      "givenName": "Edward", "familyName": "Atkinson", "employeeNumber": "E000124",
      "status": "active", "email": "eatkinson@acme.corp", "birthDay": {"day": 22, "month": 12},
      "phoneNumber": "+33145784512",
      "applicableEmployment": {"id": "154", "type": "employment",
        "url": "https://example.ilucca.net/lucca-api/employments/154"},
      "applicableJobPosition": {"id": "74", "type": "job-position",
        "url": "https://example.ilucca.net/lucca-api/job-positions/74"},
      "department": {"id": "31", "type": "department",
        "url": "https://example.ilucca.net/lucca-api/departments/31"},
      "manager": {"id": "17", "type": "employee", "url": "https://example.ilucca.net/lucca-api/employees/17"},
      "address": {"line1": "12 rue de la Paix", "postalCode": "75002", "city": "Paris", "country": "FR"},
      "languages": ["fr", "en"],
      "createdAt": "2024-04-15T23:12:54.0001Z", "lastUpdatedAt": "2024-04-15T23:12:54.0001Z"
    },
    "previousAttributes": {"givenName": "Ed"},
    "links": {"retry": {"href": "https://example.ilucca.net/lucca-api/webhook-deliveries"}}
  })");
  return e.get<webhookd::model::event>();
}

void report(benchmark::State& state, std::size_t body_size, std::uint64_t encoded_before,
            std::int64_t events) {
  state.SetBytesProcessed(static_cast<std::int64_t>(body_size) * events);
  state.counters["body_bytes"] = static_cast<double>(body_size);
  state.counters["encodings_per_event"] =
      static_cast<double>(encoding::bodies_encoded.load() - encoded_before) / static_cast<double>(events);
}

// The event as a JSON tree (the first half of the default encoding).
void default_body_json(benchmark::State& state) {
  const auto e = make_event();
  for (auto _ : state) benchmark::DoNotOptimize(encoding::default_body_json(e));
}
BENCHMARK(default_body_json);

// application/json: the event object, compact.
void encode_default(benchmark::State& state) {
  const auto e = make_event();
  const std::size_t size = encoding::encode_default_body(e).size();
  const auto before = encoding::bodies_encoded.load();
  for (auto _ : state) benchmark::DoNotOptimize(encoding::encode_default_body(e));
  report(state, size, before, state.iterations());
}
BENCHMARK(encode_default);

// application/cloudevents+json: the CloudEvents 1.0 structured envelope.
void encode_cloudevents(benchmark::State& state) {
  const auto e = make_event();
  const std::size_t size = encoding::encode_cloudevent(e).size();
  const auto before = encoding::bodies_encoded.load();
  for (auto _ : state) benchmark::DoNotOptimize(encoding::encode_cloudevent(e));
  report(state, size, before, state.iterations());
}
BENCHMARK(encode_cloudevents);

// One published event fanned out to N endpoints of one content type: the body is
// encoded once and every delivery gets the same shared string.
void fan_out(benchmark::State& state) {
  const auto e = std::make_shared<const webhookd::model::event>(make_event());
  const auto endpoints = state.range(0);
  const auto type = static_cast<endpoint_content_type>(state.range(1));
  const std::size_t size = encoding::encode_body(*e, type).size();
  const auto before = encoding::bodies_encoded.load();
  for (auto _ : state) {
    encoding::encoded_event encoded(e);
    for (std::int64_t i = 0; i < endpoints; ++i) benchmark::DoNotOptimize(encoded.body(type));
  }
  report(state, size, before, state.iterations());
  state.counters["deliveries_per_event"] = static_cast<double>(endpoints);
}
BENCHMARK(fan_out)
    ->ArgNames({"endpoints", "cloudevents"})
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({1000, 0})
    ->Args({100, 1});

} // namespace

BENCHMARK_MAIN();
