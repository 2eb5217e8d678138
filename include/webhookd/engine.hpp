// SPDX-License-Identifier: MIT
// Umbrella header of the engine module: dispatch, delivery loop, metrics, events.
#ifndef WEBHOOKD_ENGINE_HPP
#define WEBHOOKD_ENGINE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/engine/engine.hpp>
#include <webhookd/engine/events.hpp>
#include <webhookd/engine/metrics.hpp>
#include <webhookd/engine/options.hpp>

#endif // WEBHOOKD_ENGINE_HPP
