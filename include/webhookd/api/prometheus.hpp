// SPDX-License-Identifier: MIT
// write_prometheus: the engine's metrics in the Prometheus text exposition format.
#ifndef WEBHOOKD_API_PROMETHEUS_HPP
#define WEBHOOKD_API_PROMETHEUS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/engine/metrics.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace webhookd::api {

/// The media type of the text exposition format, version 0.0.4.
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

inline void put_sample(std::string& out, std::string_view name, std::string_view suffix,
                       std::string_view labels, double value) {
  char number[32];
  // %.17g round-trips every double; integers below 2^53 print without a dot.
  const int n = std::snprintf(number, sizeof number, "%.17g", value);
  out.append(name).append(suffix);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(number, static_cast<std::size_t>(n)).append("\n");
}

inline void put_metric(std::string& out, std::string_view name, std::string_view type,
                       std::string_view help, double value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  put_sample(out, name, "", "", value);
}

template <class Atomic>
double load(const Atomic& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

} // namespace detail

/** Appends `m` to `out` in the Prometheus text format (version 0.0.4): counters end
    in `_total`, gauges are bare, and the attempt latency is a histogram in seconds
    with cumulative `le` buckets. Every name starts with `prefix` (default `webhookd_`).

    @par Example
    @code
    std::string text;
    api::write_prometheus(engine.metrics(), text);
    // webhookd_delivered_total 1234 ...
    @endcode
*/
inline void write_prometheus(const engine::metrics& m, std::string& out,
                             std::string_view prefix = "webhookd_") {
  const auto name = [&](std::string_view base) { return std::string(prefix).append(base); };
  const auto counter = [&](std::string_view base, std::string_view help, double v) {
    detail::put_metric(out, name(base), "counter", help, v);
  };
  const auto gauge = [&](std::string_view base, std::string_view help, double v) {
    detail::put_metric(out, name(base), "gauge", help, v);
  };
  using detail::load;
  counter("events_published_total", "Events accepted by publish.", load(m.published));
  counter("deliveries_created_total", "Deliveries created by publish.", load(m.deliveries_created));
  counter("attempts_total", "Attempts whose outcome was recorded.", load(m.attempts));
  counter("delivered_total", "Deliveries that ended delivered.", load(m.delivered));
  counter("failed_total", "Deliveries that ended failed.", load(m.failed));
  counter("retried_total", "Attempts after which a retry was planned.", load(m.retried));
  counter("endpoints_suspended_total", "Endpoints the engine suspended.", load(m.suspended));
  counter("throttled_total", "Times an endpoint's concurrency was halved.", load(m.throttled));
  counter("store_errors_total", "Store calls that failed.", load(m.store_errors));
  counter("record_batches_total", "Calls to record attempt outcomes.", load(m.record_batches));
  counter("claims_with_records_total", "Record calls that also claimed the next due work.",
          load(m.claims_with_records));
  gauge("in_flight", "Attempts on the wire now.", load(m.in_flight));
  gauge("waiting", "Claimed deliveries waiting for their endpoint's limits.", load(m.waiting));
  gauge("queue_depth", "Undelivered deliveries with a planned attempt, in the store.",
        load(m.queue_depth));
  gauge("held", "Undelivered deliveries held while their endpoint is not active.", load(m.held));
  gauge("wheel_pending", "Retry due times kept in this process's timer wheel.",
        load(m.wheel_pending));

  // The histogram: cumulative buckets, seconds, then +Inf, _sum and _count.
  const auto& h = m.attempt_latency;
  const std::string hist = name("attempt_duration_seconds");
  out.append("# HELP ").append(hist).append(" Attempt latency, send start to outcome.\n");
  out.append("# TYPE ").append(hist).append(" histogram\n");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < engine::latency_histogram::bounds.size(); ++i) {
    cumulative += h.bucket(i);
    char le[48];
    std::snprintf(le, sizeof le, "le=\"%g\"",
                  static_cast<double>(engine::latency_histogram::bounds[i]) / 1000.0);
    detail::put_sample(out, hist, "_bucket", le, static_cast<double>(cumulative));
  }
  cumulative += h.bucket(engine::latency_histogram::bounds.size());
  detail::put_sample(out, hist, "_bucket", "le=\"+Inf\"", static_cast<double>(cumulative));
  detail::put_sample(out, hist, "_sum", "",
                     std::chrono::duration<double>(h.sum()).count());
  // _count is the sum of the buckets read above, so the exposition stays consistent
  // with itself even while attempts are being observed.
  detail::put_sample(out, hist, "_count", "", static_cast<double>(cumulative));
}

} // namespace webhookd::api

#endif // WEBHOOKD_API_PROMETHEUS_HPP
