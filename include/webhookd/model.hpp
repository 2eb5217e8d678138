// SPDX-License-Identifier: MIT
// model/: the Lucca resources as value types, their JSON, and request validation.
#ifndef WEBHOOKD_MODEL_HPP
#define WEBHOOKD_MODEL_HPP

#include <webhookd/model/api_version.hpp>
#include <webhookd/model/attempt.hpp>
#include <webhookd/model/collection.hpp>
#include <webhookd/model/delivery.hpp>
#include <webhookd/model/delivery_request.hpp>
#include <webhookd/model/embedded.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/endpoint_request.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/event_validation.hpp>
#include <webhookd/model/links.hpp>
#include <webhookd/model/reference.hpp>
#include <webhookd/model/topic.hpp>
#include <webhookd/model/tristate.hpp>
#include <webhookd/model/validation.hpp>

#endif // WEBHOOKD_MODEL_HPP
