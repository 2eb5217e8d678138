// SPDX-License-Identifier: MIT
// Umbrella header of the api module: the REST handler, the embedded HTTP server,
// /metrics and /healthz.
#ifndef WEBHOOKD_API_HPP
#define WEBHOOKD_API_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/message.hpp>
#include <webhookd/api/operational_routes.hpp>
#include <webhookd/api/prometheus.hpp>
#include <webhookd/api/rest_handler.hpp>
#include <webhookd/api/server.hpp>

#endif // WEBHOOKD_API_HPP
