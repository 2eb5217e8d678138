// SPDX-License-Identifier: MIT
// A process-wide count of request bodies encoded, to prove that fan-out encodes once.
#ifndef WEBHOOKD_ENCODING_COUNTERS_HPP
#define WEBHOOKD_ENCODING_COUNTERS_HPP

#include <webhookd/detail/config.hpp>

#include <atomic>
#include <cstdint>

namespace webhookd::encoding {

/** Number of request bodies encoded since the process started, every content type
    together: `encode_default_body` and `encode_cloudevent` add one each time they run
    (and so does `encoded_event`, through them).

    DESIGN.md "Encode once, sign per delivery": publishing an event to N endpoints of
    one content type must add 1 here, not N. Tests and benchmarks read it before and
    after; nothing in webhookd depends on its value. Incremented with relaxed ordering.

    @par Thread safety
    Safe: it is a `std::atomic`.
*/
inline std::atomic<std::uint64_t> bodies_encoded{0};

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_COUNTERS_HPP
