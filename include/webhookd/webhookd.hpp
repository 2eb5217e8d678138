// SPDX-License-Identifier: MIT
// webhookd: an embeddable, header-only C++20 webhook delivery engine.
//
// This umbrella includes every module that needs no optional dependency. The SQLite
// and PostgreSQL stores and the GoogleTest conformance suite are included on purpose
// by the hosts and tests that use them.
#ifndef WEBHOOKD_WEBHOOKD_HPP
#define WEBHOOKD_WEBHOOKD_HPP

#include <webhookd/version.hpp>
#include <webhookd/core.hpp>
#include <webhookd/model.hpp>
#include <webhookd/signing.hpp>
#include <webhookd/encoding.hpp>
#include <webhookd/http.hpp>
#include <webhookd/schedule.hpp>
#include <webhookd/store.hpp>
#include <webhookd/engine.hpp>
#include <webhookd/api.hpp>

#endif // WEBHOOKD_WEBHOOKD_HPP
