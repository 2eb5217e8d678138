// SPDX-License-Identifier: MIT
// core/: time, clock, ids, URLs, base64, error codes and the result type.
#ifndef WEBHOOKD_CORE_HPP
#define WEBHOOKD_CORE_HPP

#include <webhookd/core/base64.hpp>
#include <webhookd/core/clock.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/id.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/core/url.hpp>

#endif // WEBHOOKD_CORE_HPP
