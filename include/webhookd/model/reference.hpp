// SPDX-License-Identifier: MIT
// reference: the `{id, type, url}` pointer from one resource to another.
#ifndef WEBHOOKD_MODEL_REFERENCE_HPP
#define WEBHOOKD_MODEL_REFERENCE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/model/detail/json.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace webhookd::model {

/// `type` of a business-establishment reference (endpoints' `businessEstablishments`,
/// events' `businessEstablishment`).
inline constexpr std::string_view business_establishment_type = "business-establishment";

/** A reference to another resource: `{"id": "12", "type": "webhook-endpoint", "url": "…"}`.

    Only `id` is required on input; `type` and `url` are read-only (SPEC.md Part 2 §1.1).
    `to_json` writes `type` and `url` only when they are non-empty, so a reference read
    from `{"id": "12"}` writes back as it was read.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct reference {
  std::string id;   ///< the referenced resource's id
  std::string type; ///< its type, e.g. `"event"` (read-only)
  std::string url;  ///< its absolute URL (read-only)

  friend bool operator==(const reference&, const reference&) = default;
};

/// Writes `r` as `{"id", "type", "url"}`, leaving out an empty `type` or `url`.
inline void to_json(nlohmann::json& j, const reference& r) {
  j = nlohmann::json::object();
  j["id"] = r.id;
  if (!r.type.empty()) j["type"] = r.type;
  if (!r.url.empty()) j["url"] = r.url;
}

/** Reads a reference: `id` is required, `type` and `url` are optional strings.

    @throws nlohmann::json::exception if `j` is not an object, `id` is missing, or a
    member has the wrong JSON type.
*/
inline void from_json(const nlohmann::json& j, reference& r) {
  detail::expect_object(j, "reference");
  r.id = detail::get_string(j, "id");
  r.type = detail::get_optional_string(j, "type").value_or(std::string{});
  r.url = detail::get_optional_string(j, "url").value_or(std::string{});
}

/** A reference to `resource`, whose type is `Resource::type_name`.

    @par Example
    @code
    delivery.event = reference_to(event); // {"id": …, "type": "event", "url": …}
    @endcode
*/
template <class Resource>
reference reference_to(const Resource& resource) {
  return reference{resource.id, std::string(Resource::type_name), resource.url};
}

namespace detail {

// References whose type the schema fixes (a delivery's `event` is always of type
// "event", SPEC.md Part 1 §12): read and written with that type whatever the input said.
inline reference get_typed_reference(const nlohmann::json& v, std::string_view type) {
  reference r = v.get<reference>();
  r.type = std::string(type);
  return r;
}

inline nlohmann::json typed_reference_json(const reference& r, std::string_view type) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = r.id;
  j["type"] = std::string(type);
  if (!r.url.empty()) j["url"] = r.url;
  return j;
}

} // namespace detail

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_REFERENCE_HPP
