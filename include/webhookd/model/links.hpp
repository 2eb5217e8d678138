// SPDX-License-Identifier: MIT
// link and link_map: a resource's `links` object (name → {href} or null).
#ifndef WEBHOOKD_MODEL_LINKS_HPP
#define WEBHOOKD_MODEL_LINKS_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/model/detail/json.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace webhookd::model {

/** A navigational link or action: `{"href": "https://…"}` (SPEC.md Part 2 §1.5).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct link {
  std::string href; ///< absolute URI

  friend bool operator==(const link&, const link&) = default;
};

/// Writes `{"href": …}`.
inline void to_json(nlohmann::json& j, const link& l) {
  j = nlohmann::json::object();
  j["href"] = l.href;
}

/// Reads `{"href": …}`. @throws nlohmann::json::exception if `href` is missing or not a string.
inline void from_json(const nlohmann::json& j, link& l) {
  detail::expect_object(j, "link");
  l.href = detail::get_string(j, "href");
}

/** A resource's `links` object: link name → link, or null when the caller may not
    follow it (e.g. `{"attempts": {"href": "…"}}`, `{"retry": {"href": "…"}}`).

    Resources hold it as `tristate<link_map>`: absent unless `include=links` asks for it
    (SPEC.md Part 1 §15), `null` or an object otherwise, as the seeds show both.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct link_map {
  /// Name → link; `std::nullopt` is written as `null`.
  std::map<std::string, std::optional<link>, std::less<>> entries;

  /// Adds or replaces the link `name`.
  void set(std::string name, std::string href) {
    entries.insert_or_assign(std::move(name), link{std::move(href)});
  }
  /// Adds or replaces `name` as a null link (not accessible to the caller).
  void set_null(std::string name) { entries.insert_or_assign(std::move(name), std::nullopt); }

  /// The link `name`, or nullptr if it is missing or null.
  const link* find(std::string_view name) const {
    const auto it = entries.find(name);
    return it == entries.end() || !it->second ? nullptr : &*it->second;
  }

  /// True if there are no links (written `{}`).
  bool empty() const noexcept { return entries.empty(); }

  friend bool operator==(const link_map&, const link_map&) = default;
};

/// Writes the links as an object; null links as `null`.
inline void to_json(nlohmann::json& j, const link_map& m) {
  j = nlohmann::json::object();
  for (const auto& [name, l] : m.entries) {
    if (l) {
      j[name] = *l;
    } else {
      j[name] = nullptr;
    }
  }
}

/// Reads a links object. @throws nlohmann::json::exception if `j` is not an object of
/// links and nulls.
inline void from_json(const nlohmann::json& j, link_map& m) {
  detail::expect_object(j, "links");
  m.entries.clear();
  for (const auto& [name, v] : j.items()) {
    if (v.is_null()) {
      m.entries.emplace(name, std::nullopt);
    } else {
      m.entries.emplace(name, v.get<link>());
    }
  }
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_LINKS_HPP
