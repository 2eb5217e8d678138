// SPDX-License-Identifier: MIT
// Lucca API versions: the one version webhookd implements and how a requested date resolves.
#ifndef WEBHOOKD_MODEL_API_VERSION_HPP
#define WEBHOOKD_MODEL_API_VERSION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/core/time.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace webhookd::model {

/// `2024-11-01`, the only version of the Lucca API that webhookd implements, and the
/// default `apiVersion` of endpoints and events.
inline constexpr date latest_api_version =
    date{std::chrono::year{2024} / std::chrono::November / std::chrono::day{1}};

/// `latest_api_version` as text.
inline constexpr std::string_view latest_api_version_string = "2024-11-01";

/** Resolves a requested API version (an endpoint's `apiVersion`, the `Api-Version`
    request header) to the version webhookd serves.

    SPEC.md Part 1 §9, §16 and Part 2 §1.3: the text must be a `YYYY-MM-DD` calendar
    date; a date before `2024-11-01` names no version and is refused; a later date
    resolves to the closest earlier version, `2024-11-01`.

    @returns `latest_api_version`, or the rule broken, worded to follow a field name:
    `"must be a YYYY-MM-DD date"` or `"must not be before 2024-11-01"`.

    @par Thread safety
    Safe to call concurrently.
*/
inline result<date, std::string> resolve_api_version(std::string_view text) {
  const auto d = parse_date(text);
  if (!d) return unexpected(std::string("must be a YYYY-MM-DD date"));
  if (*d < latest_api_version)
    return unexpected(std::string("must not be before ") + std::string(latest_api_version_string));
  return latest_api_version;
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_API_VERSION_HPP
