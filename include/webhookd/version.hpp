// SPDX-License-Identifier: MIT
// The library version, as macros (for the preprocessor and CMake) and as a string.
#ifndef WEBHOOKD_VERSION_HPP
#define WEBHOOKD_VERSION_HPP

#define WEBHOOKD_VERSION_MAJOR 0
#define WEBHOOKD_VERSION_MINOR 1
#define WEBHOOKD_VERSION_PATCH 0

/// major * 10000 + minor * 100 + patch.
#define WEBHOOKD_VERSION \
  (WEBHOOKD_VERSION_MAJOR * 10000 + WEBHOOKD_VERSION_MINOR * 100 + WEBHOOKD_VERSION_PATCH)

#define WEBHOOKD_DETAIL_STR2(x) #x
#define WEBHOOKD_DETAIL_STR(x) WEBHOOKD_DETAIL_STR2(x)

namespace webhookd {

/// "major.minor.patch", e.g. for the `User-Agent: webhookd/<version>` header.
inline constexpr const char* version_string =
    WEBHOOKD_DETAIL_STR(WEBHOOKD_VERSION_MAJOR) "." WEBHOOKD_DETAIL_STR(
        WEBHOOKD_VERSION_MINOR) "." WEBHOOKD_DETAIL_STR(WEBHOOKD_VERSION_PATCH);

/// The `User-Agent` value webhookd sends.
inline constexpr const char* user_agent =
    "webhookd/" WEBHOOKD_DETAIL_STR(WEBHOOKD_VERSION_MAJOR) "." WEBHOOKD_DETAIL_STR(
        WEBHOOKD_VERSION_MINOR) "." WEBHOOKD_DETAIL_STR(WEBHOOKD_VERSION_PATCH);

} // namespace webhookd

#undef WEBHOOKD_DETAIL_STR
#undef WEBHOOKD_DETAIL_STR2

#endif // WEBHOOKD_VERSION_HPP
