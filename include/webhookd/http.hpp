// SPDX-License-Identifier: MIT
// http/: the HTTPS sender — URL policy, SSRF guard, resolver, TLS, response parser,
// connections, per-origin pools and the client.
#ifndef WEBHOOKD_HTTP_HPP
#define WEBHOOKD_HTTP_HPP

#include <webhookd/http/address_guard.hpp>
#include <webhookd/http/client.hpp>
#include <webhookd/http/connection.hpp>
#include <webhookd/http/outcome.hpp>
#include <webhookd/http/pool.hpp>
#include <webhookd/http/request.hpp>
#include <webhookd/http/resolver.hpp>
#include <webhookd/http/response_parser.hpp>
#include <webhookd/http/tls_context.hpp>

#endif // WEBHOOKD_HTTP_HPP
