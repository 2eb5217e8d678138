// SPDX-License-Identifier: MIT
// The `include` query parameter: embedded, links, totalCount.
#ifndef WEBHOOKD_API_REST_INCLUDE_HPP
#define WEBHOOKD_API_REST_INCLUDE_HPP

#include <webhookd/detail/config.hpp>

#include <webhookd/api/rest/query.hpp>
#include <webhookd/model/validation.hpp>

#include <string_view>

namespace webhookd::api::rest {

/** What a request asked to expand (SPEC.md Part 1 §15, Part 2 §1.5): each member
    appears in a response only when asked for.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct include_set {
  bool embedded = false;    ///< `embedded`: related resources, type → id → object
  bool links = false;       ///< `links`: navigational links of each resource
  bool total_count = false; ///< `totalCount`: collections only
  friend bool operator==(const include_set&, const include_set&) = default;
};

/** Reads every `include` parameter: a comma list of `embedded`, `links` and
    `totalCount` (repeats and empty items are allowed; anything else is
    `include: must be a comma-separated list of embedded, links, totalCount`).
*/
inline include_set parse_include(const query_parameters& query, model::validation_errors& errors) {
  include_set set;
  for (std::string_view list : query.all("include")) {
    while (true) {
      const auto comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      if (item == "embedded") {
        set.embedded = true;
      } else if (item == "links") {
        set.links = true;
      } else if (item == "totalCount") {
        set.total_count = true;
      } else if (!item.empty()) {
        errors.add("include", "must be a comma-separated list of embedded, links, totalCount");
        return set;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return set;
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_INCLUDE_HPP
