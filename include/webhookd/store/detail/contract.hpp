// SPDX-License-Identifier: MIT
// Rules of the delivery_store contract that every adapter applies the same way.
#ifndef WEBHOOKD_STORE_DETAIL_CONTRACT_HPP
#define WEBHOOKD_STORE_DETAIL_CONTRACT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/store/records.hpp>

#include <algorithm>
#include <cstddef>
#include <set>
#include <string_view>
#include <system_error>

namespace webhookd::store::detail {

/** Copies the writable fields of `from` onto `to` and stamps `last_updated_at`
    (`delivery_store` requirement 1: `id`, `secret`, `created_at` and the health stay). */
inline void apply_endpoint_update(model::webhook_endpoint& to, const model::webhook_endpoint& from,
                                  timestamp now) {
  to.name = from.name;
  to.api_version = from.api_version;
  to.webhook_url = from.webhook_url;
  to.topics = from.topics;
  to.business_establishments = from.business_establishments;
  to.status = from.status;
  to.content_type = from.content_type;
  to.last_updated_at = now;
}

/** Updates an endpoint's health after the outcome `o` of one of its attempts
    (`delivery_store` requirement 9, `endpoint_health`): a success records its time
    and ends the failing streak; the first failure after a success starts it; a
    delivery that ends `failed` adds one to the failed deliveries in a row, one that
    ends `delivered` resets them. */
inline void apply_outcome_to_health(endpoint_health& h, const attempt_outcome& o) {
  if (o.attempt.is_successful) {
    if (!h.last_success_at || *h.last_success_at < o.attempt.created_at)
      h.last_success_at = o.attempt.created_at;
    h.failing_since.reset();
  } else if (!h.failing_since) {
    h.failing_since = o.attempt.created_at;
  }
  if (o.status == model::delivery_status::delivered) h.consecutive_failed_deliveries = 0;
  if (o.status == model::delivery_status::failed) ++h.consecutive_failed_deliveries;
}

/** Checks the deliveries of an `enqueue` request (`delivery_store` requirement 5), in
    the order every adapter reports them, so that a request broken several ways gets
    the same error from every store: an empty id or a delivery that is not new and
    due (`invalid_request`), an id already stored or repeated (`duplicate_id`), a
    delivery naming another event than the request's (`invalid_request`), an unknown
    event or endpoint (`errc::not_found`).

    The predicates say whether the store holds a delivery, an event or an endpoint
    with that id. @returns an empty code when every delivery passes.
*/
template <class DeliveryExists, class EventExists, class EndpointExists>
std::error_code check_new_deliveries(const enqueue_request& request,
                                     DeliveryExists&& delivery_exists, EventExists&& event_exists,
                                     EndpointExists&& endpoint_exists) {
  // Ids repeated within the batch: a scan of the ones before for the usual few
  // deliveries (no allocation on every publish), a set for a large fan-out.
  constexpr std::size_t scan_up_to = 16;
  const auto& ds = request.deliveries;
  std::set<std::string_view> batch_ids;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const auto& d = ds[i];
    if (d.id.empty()) return store_errc::invalid_request;
    const bool repeated =
        ds.size() <= scan_up_to
            ? std::any_of(ds.begin(), ds.begin() + static_cast<std::ptrdiff_t>(i),
                          [&](const model::webhook_delivery& e) { return e.id == d.id; })
            : !batch_ids.insert(d.id).second;
    if (delivery_exists(d.id) || repeated) return store_errc::duplicate_id;
    if (request.event) {
      if (d.event.id != request.event->id) return store_errc::invalid_request;
    } else if (!event_exists(d.event.id)) {
      return make_error_code(errc::not_found);
    }
    if (!endpoint_exists(d.webhook_endpoint.id)) return make_error_code(errc::not_found);
    if (d.status != model::delivery_status::undelivered || d.attempts_count != 0 ||
        !d.next_attempt_at)
      return store_errc::invalid_request;
  }
  return {};
}

} // namespace webhookd::store::detail

#endif // WEBHOOKD_STORE_DETAIL_CONTRACT_HPP
