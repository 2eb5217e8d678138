// SPDX-License-Identifier: MIT
// signing/: umbrella header of the module.
#ifndef WEBHOOKD_SIGNING_HPP
#define WEBHOOKD_SIGNING_HPP

#include <webhookd/signing/hmac.hpp>
#include <webhookd/signing/lucca.hpp>
#include <webhookd/signing/secret.hpp>
#include <webhookd/signing/standard_webhooks.hpp>

#endif // WEBHOOKD_SIGNING_HPP
