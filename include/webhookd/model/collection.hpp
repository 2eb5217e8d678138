// SPDX-License-Identifier: MIT
// collection<Resource>: one page of a list of resources, with its prev/next links.
#ifndef WEBHOOKD_MODEL_COLLECTION_HPP
#define WEBHOOKD_MODEL_COLLECTION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/model/detail/json.hpp>
#include <webhookd/model/links.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd::model {

/** The `links` of a collection: `prev` and `next`, each a link or `null` at the ends
    (SPEC.md Part 1 §15). Both keys are always written.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct collection_links {
  std::optional<link> prev; ///< nullopt on the first page
  std::optional<link> next; ///< nullopt on the last page

  friend bool operator==(const collection_links&, const collection_links&) = default;
};

/// Writes `{"prev": link|null, "next": link|null}`.
inline void to_json(nlohmann::json& j, const collection_links& l) {
  j = nlohmann::json::object();
  j["prev"] = l.prev ? nlohmann::json(*l.prev) : nlohmann::json(nullptr);
  j["next"] = l.next ? nlohmann::json(*l.next) : nlohmann::json(nullptr);
}

/// Reads `prev` and `next`; a missing key reads as null.
/// @throws nlohmann::json::exception unless `j` is an object of links and nulls.
inline void from_json(const nlohmann::json& j, collection_links& l) {
  detail::expect_object(j, "links");
  l = {};
  if (const auto* p = detail::find(j, "prev"); p && !p->is_null()) l.prev = p->get<link>();
  if (const auto* n = detail::find(j, "next"); n && !n->is_null()) l.next = n->get<link>();
}

/** One page of a collection of `Resource`s (SPEC.md Part 2 §1.6; seed 001).

    JSON: `type` (`Resource::collection_type_name`, e.g. `"webhook-deliveries"`),
    `url`, `totalCount` (only when asked for with `include=totalCount`), `items`,
    `links` (`prev` and `next`, always), `embedded` (only when asked for; of type
    `Resource::embedded_type`, e.g. the events of a page of deliveries).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class Resource>
struct collection {
  using value_type = Resource;
  using embedded_type = typename Resource::embedded_type;
  /// The collection's `type`.
  static constexpr std::string_view type_name = Resource::collection_type_name;

  std::string url;                          ///< the URL of this page
  std::optional<std::int64_t> total_count;  ///< absent unless asked for
  std::vector<Resource> items;              ///< at most 100
  collection_links links;                   ///< prev/next
  std::optional<embedded_type> embedded;    ///< absent unless asked for

  friend bool operator==(const collection&, const collection&) = default;
};

/// Writes the page.
template <class Resource>
void to_json(nlohmann::json& j, const collection<Resource>& c) {
  j = nlohmann::json::object();
  j["type"] = std::string(collection<Resource>::type_name);
  j["url"] = c.url;
  if (c.total_count) j["totalCount"] = *c.total_count;
  auto& items = j["items"] = nlohmann::json::array();
  for (const auto& item : c.items) items.push_back(item);
  j["links"] = c.links;
  if (c.embedded) j["embedded"] = *c.embedded;
}

/** Reads a page.

    Required: `type`, `url`, `items`, `links`. Optional: `totalCount` (absent or null:
    not asked for), `embedded`.

    @throws nlohmann::json::exception on a missing member or a malformed one.
*/
template <class Resource>
void from_json(const nlohmann::json& j, collection<Resource>& c) {
  detail::expect_resource(j, collection<Resource>::type_name);
  c.url = detail::get_string(j, "url");
  c.total_count.reset();
  if (const auto* total = detail::find(j, "totalCount"); total && !total->is_null()) {
    // An unsigned JSON number above INT64_MAX reads as negative here, and is refused too.
    if (!total->is_number_integer() || total->template get<std::int64_t>() < 0)
      detail::throw_type(*total, "totalCount", "must be a non-negative integer");
    c.total_count = total->template get<std::int64_t>();
  }
  const auto& items = j.at("items");
  if (!items.is_array()) detail::throw_type(items, "items", "must be an array");
  c.items.clear();
  c.items.reserve(items.size());
  for (const auto& item : items) c.items.push_back(item.template get<Resource>());
  c.links = j.at("links").template get<collection_links>();
  c.embedded.reset();
  if (const auto* em = detail::find(j, "embedded"))
    c.embedded = em->template get<typename collection<Resource>::embedded_type>();
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_COLLECTION_HPP
