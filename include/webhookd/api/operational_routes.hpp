// SPDX-License-Identifier: MIT
// with_operational_routes: /metrics and /healthz in front of another request handler.
#ifndef WEBHOOKD_API_OPERATIONAL_ROUTES_HPP
#define WEBHOOKD_API_OPERATIONAL_ROUTES_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/message.hpp>
#include <webhookd/api/prometheus.hpp>
#include <webhookd/engine/metrics.hpp>

#include <functional>
#include <string>
#include <utility>

namespace webhookd::api {

/// What a health probe found: `healthy`, and a one-line reason when it is not.
struct health_report {
  bool healthy = true;
  std::string detail;
};

/** Paths and the health probe of `with_operational_routes`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct operational_options {
  std::string metrics_path = "/metrics";
  std::string health_path = "/healthz";
  /// Called for every health request, on the transport's thread: keep it cheap and
  /// non-blocking (e.g. read a flag the host keeps up to date). Empty: always healthy.
  std::function<health_report()> probe;
};

/** A handler that answers `GET`/`HEAD` on `metrics_path` with the engine's metrics in
    the Prometheus text format, and on `health_path` with `200 ok` (or `503` and the
    probe's detail), and passes every other request to `next`.

    Neither route asks for a token: scrape and probe them from inside the network, or
    put them behind the host's own access rules. `metrics` must outlive the handler.

    @par Example
    @code
    api::server server(io.get_executor(),
                       api::with_operational_routes(rest, engine.metrics()));
    @endcode
*/
inline request_handler with_operational_routes(request_handler next,
                                               const engine::metrics& metrics,
                                               operational_options options = {}) {
  return [next = std::move(next), &metrics, options = std::move(options)](
             request req, response_sink done) {
    const auto path = req.path();
    const bool is_metrics = path == options.metrics_path;
    const bool is_health = path == options.health_path;
    if (!is_metrics && !is_health) {
      next(std::move(req), std::move(done));
      return;
    }
    response res;
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.headers.set("Allow", "GET, HEAD");
      done(std::move(res));
      return;
    }
    res.headers.set("Cache-Control", "no-store");
    if (is_metrics) {
      res.headers.set("Content-Type", std::string(prometheus_content_type));
      write_prometheus(metrics, res.body);
    } else {
      const health_report report = options.probe ? options.probe() : health_report{};
      res.status = report.healthy ? 200 : 503;
      res.headers.set("Content-Type", "text/plain; charset=utf-8");
      res.body = report.healthy ? "ok\n" : "unhealthy: " + report.detail + "\n";
    }
    done(std::move(res));
  };
}

} // namespace webhookd::api

#endif // WEBHOOKD_API_OPERATIONAL_ROUTES_HPP
