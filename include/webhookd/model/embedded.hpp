// SPDX-License-Identifier: MIT
// Embedded representations: the `embedded` dictionary (resource type → id → object).
#ifndef WEBHOOKD_MODEL_EMBEDDED_HPP
#define WEBHOOKD_MODEL_EMBEDDED_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/model/detail/json.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace webhookd::model {

/// Id → representation: one kind of resource inside an `embedded` dictionary.
template <class T>
using embedded_map = std::map<std::string, T, std::less<>>;

/// Embedded resources of kinds the model has no type for (e.g. `employee`,
/// `business-establishment`), kept as JSON: type → id → object.
using embedded_other = std::map<std::string, embedded_map<nlohmann::json>, std::less<>>;

/** Adds `resource` to `map` under its id, replacing an earlier one with that id.

    @par Example
    @code
    delivery.embedded.emplace();
    embed(delivery.embedded->events, event);
    @endcode
*/
template <class T>
void embed(embedded_map<T>& map, T resource) {
  std::string id = resource.id;
  map.insert_or_assign(std::move(id), std::move(resource));
}

/** The `embedded` member of a resource that has nothing of its own to embed
    (webhook-endpoint, event): written `{}` when asked for (SPEC.md Part 2 §1.5).

    Each resource names its embedded type as `Resource::embedded_type`; resources that
    do embed others (`webhook_delivery_embedded`, `webhook_delivery_attempt_embedded`)
    hold the related resources in their model types, and every kind the model does not
    know in `other`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct basic_embedded {
  embedded_other other; ///< every embedded kind, as JSON

  friend bool operator==(const basic_embedded&, const basic_embedded&) = default;
};

namespace detail {

// Writes one kind, `"<kind>": {id: object}`, unless it is empty.
template <class T>
void put_embedded(nlohmann::json& out, std::string_view kind, const embedded_map<T>& map) {
  if (map.empty()) return;
  auto& dict = out[std::string(kind)];
  dict = nlohmann::json::object();
  for (const auto& [id, resource] : map) dict[id] = resource;
}

// Reads one kind's `{id: object}` dictionary into its model type.
template <class T>
void get_embedded(const nlohmann::json& dict, std::string_view kind, embedded_map<T>& map) {
  expect_object(dict, "embedded." + std::string(kind));
  map.clear();
  for (const auto& [id, resource] : dict.items()) map.emplace(id, resource.template get<T>());
}

inline void put_other(nlohmann::json& out, const embedded_other& other) {
  for (const auto& [kind, map] : other) put_embedded(out, kind, map);
}

inline void get_other(const nlohmann::json& dict, const std::string& kind, embedded_other& other) {
  get_embedded(dict, kind, other[kind]);
  for (const auto& [id, v] : other[kind]) expect_object(v, "embedded." + kind + "." + id);
}

} // namespace detail

/// Writes the dictionary (`{}` when empty).
inline void to_json(nlohmann::json& j, const basic_embedded& e) {
  j = nlohmann::json::object();
  detail::put_other(j, e.other);
}

/// Reads the dictionary. @throws nlohmann::json::exception unless `j` is an object of
/// objects of objects.
inline void from_json(const nlohmann::json& j, basic_embedded& e) {
  detail::expect_object(j, "embedded");
  e.other.clear();
  for (const auto& [kind, dict] : j.items()) detail::get_other(dict, kind, e.other);
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_EMBEDDED_HPP
