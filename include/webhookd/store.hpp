// SPDX-License-Identifier: MIT
// store/: the delivery_store concept, the records it exchanges, and memory_store.
#ifndef WEBHOOKD_STORE_HPP
#define WEBHOOKD_STORE_HPP

#include <webhookd/store/delivery_store.hpp>
#include <webhookd/store/memory_store.hpp>
#include <webhookd/store/records.hpp>

#endif // WEBHOOKD_STORE_HPP
