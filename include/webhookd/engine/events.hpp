// SPDX-License-Identifier: MIT
// Operational events: what the engine tells its host about failures and endpoint health.
#ifndef WEBHOOKD_ENGINE_EVENTS_HPP
#define WEBHOOKD_ENGINE_EVENTS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace webhookd::engine {

/// What happened (see `operational_event`).
enum class operational_event_kind {
  attempt_failed,       ///< an attempt got no 2xx answer (the delivery may be retried)
  delivery_failed,      ///< a delivery ended `failed`: no further automatic attempt
  endpoint_suspended,   ///< the engine suspended an endpoint (404/410 or a failure streak)
  endpoint_reactivated, ///< an endpoint was made `active` again through the engine
};

/// `attempt_failed`, `delivery_failed`, `endpoint_suspended` or `endpoint_reactivated`.
inline constexpr std::string_view to_string(operational_event_kind k) noexcept {
  switch (k) {
  case operational_event_kind::attempt_failed: return "attempt_failed";
  case operational_event_kind::delivery_failed: return "delivery_failed";
  case operational_event_kind::endpoint_suspended: return "endpoint_suspended";
  case operational_event_kind::endpoint_reactivated: return "endpoint_reactivated";
  }
  return "attempt_failed";
}

/** One operational event, handed to `engine_options::on_event`.

    Ids are empty when they do not apply (an endpoint event has no delivery).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct operational_event {
  operational_event_kind kind = operational_event_kind::attempt_failed;
  std::string endpoint_id;
  std::string event_id;
  std::string delivery_id;
  std::string attempt_id;
  std::optional<int> status_code; ///< the answer's status, nullopt without an answer
  std::string reason;             ///< a short reason (transport error, suspension cause)
  timestamp at{};                 ///< when it happened (engine clock)
};

/** Receives operational events. Called on the engine's strand: it must not block
    and must not call back into the engine synchronously (post instead). */
using operational_event_handler = std::function<void(const operational_event&)>;

} // namespace webhookd::engine

#endif // WEBHOOKD_ENGINE_EVENTS_HPP
