// SPDX-License-Identifier: MIT
// Configuration every webhookd header includes first.
#ifndef WEBHOOKD_DETAIL_CONFIG_HPP
#define WEBHOOKD_DETAIL_CONFIG_HPP

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "webhookd requires C++20"
#endif

#include <cassert>

/// Checks an internal invariant; a failure is a bug in webhookd, not bad input.
#ifndef WEBHOOKD_ASSERT
#define WEBHOOKD_ASSERT(expr) assert(expr)
#endif

#endif // WEBHOOKD_DETAIL_CONFIG_HPP
