// SPDX-License-Identifier: MIT
// encoding/: request bodies (event JSON, CloudEvents 1.0), encoded once per event.
#ifndef WEBHOOKD_ENCODING_HPP
#define WEBHOOKD_ENCODING_HPP

#include <webhookd/encoding/body.hpp>
#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/encoding/counters.hpp>
#include <webhookd/encoding/default_body.hpp>
#include <webhookd/encoding/encoded_event.hpp>

#endif // WEBHOOKD_ENCODING_HPP
