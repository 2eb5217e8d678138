// SPDX-License-Identifier: MIT
// validation_error(s): what is wrong with a request body, one entry per field and rule.
#ifndef WEBHOOKD_MODEL_VALIDATION_HPP
#define WEBHOOKD_MODEL_VALIDATION_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/model/reference.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::model {

/** One broken rule: the field, as a path into the body (`webhookUrl`, `topics[2]`,
    `businessEstablishments[0].id`, or `body` for the body as a whole), and the rule,
    worded to follow it (`must use https://`).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct validation_error {
  std::string field; ///< path of the offending member
  std::string rule;  ///< what it must be, e.g. `is required`, `must be a string`

  /// `"field: rule"`, e.g. `webhookUrl: must use https://`.
  std::string message() const { return field.empty() ? rule : field + ": " + rule; }

  friend bool operator==(const validation_error&, const validation_error&) = default;
};

/** Every rule a request body breaks, in the order found; all are reported at once so
    that a client fixes its request in one round trip.

    `to_problem_errors()` gives the `errors` member of an `application/problem+json`
    answer (SPEC.md Part 1 §16, Part 2 §1.9): `{"webhookUrl": ["must use https://"]}`.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class validation_errors {
public:
  using value_type = validation_error;
  using const_iterator = std::vector<validation_error>::const_iterator;

  validation_errors() = default;
  validation_errors(std::initializer_list<validation_error> errors) : errors_(errors) {}

  /// Records that `field` breaks `rule`.
  void add(std::string field, std::string rule) {
    errors_.push_back(validation_error{std::move(field), std::move(rule)});
  }
  /// Records every error of `other`.
  void append(const validation_errors& other) {
    errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  }

  bool empty() const noexcept { return errors_.empty(); }
  std::size_t size() const noexcept { return errors_.size(); }
  const_iterator begin() const noexcept { return errors_.begin(); }
  const_iterator end() const noexcept { return errors_.end(); }
  const validation_error& operator[](std::size_t i) const noexcept { return errors_[i]; }

  /// True if an error names `field` itself or a member or item of it
  /// (`topics` covers `topics[2]`; `webhookEndpoint` covers `webhookEndpoint.id`).
  bool touches(std::string_view field) const noexcept {
    for (const auto& e : errors_) {
      const std::string_view f = e.field;
      if (f == field) return true;
      if (f.size() > field.size() && f.starts_with(field) &&
          (f[field.size()] == '.' || f[field.size()] == '['))
        return true;
    }
    return false;
  }

  /// The rules broken by `field` exactly.
  std::vector<std::string> rules_for(std::string_view field) const {
    std::vector<std::string> rules;
    for (const auto& e : errors_)
      if (e.field == field) rules.push_back(e.rule);
    return rules;
  }

  /// Every message, joined with `"; "`:
  /// `webhookUrl: must use https://; topics[2]: must match resource.action`.
  std::string message() const {
    std::string out;
    for (const auto& e : errors_) {
      if (!out.empty()) out += "; ";
      out += e.message();
    }
    return out;
  }

  /// `{"<field>": ["<rule>", ...], ...}`, the `errors` member of a problem document.
  nlohmann::json to_problem_errors() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& e : errors_) {
      auto& list = j[e.field];
      if (list.is_null()) list = nlohmann::json::array();
      list.push_back(e.rule);
    }
    return j;
  }

  friend bool operator==(const validation_errors&, const validation_errors&) = default;

private:
  std::vector<validation_error> errors_;
};

/// The field name of an error about the body as a whole (not an object, not JSON).
inline constexpr std::string_view body_field = "body";

/** Parses a request body as JSON, without throwing.

    @returns the document, or one error `body: must be valid JSON`.
*/
inline result<nlohmann::json, validation_errors> parse_json_body(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return unexpected(validation_errors{{std::string(body_field), "must be valid JSON"}});
  return j;
}

namespace detail {

/// Longest id accepted in a reference.
inline constexpr std::size_t max_reference_id_length = 255;

/// `path[index]`.
inline std::string item_path(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

/// `path.member`, or `member` at the top.
inline std::string member_path(std::string_view path, std::string_view member) {
  return path.empty() ? std::string(member) : std::string(path) + "." + std::string(member);
}

/// Number of code points of a UTF-8 string (continuation bytes are not counted).
inline std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/// True if `s` holds a C0 control character or DEL.
inline bool has_control(std::string_view s) noexcept {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

/** Reads a reference given in a request body, `{"id": "…"}`, at `path`.

    `id` is required: a non-empty string of at most 255 characters. `type` and `url`
    are read-only and ignored; any other member is an unknown field.
    @returns the reference (id only), or nullopt after recording the errors.
*/
inline std::optional<reference> parse_reference_input(const nlohmann::json& v, std::string_view path,
                                                      validation_errors& errors) {
  if (!v.is_object()) {
    errors.add(std::string(path), "must be an object with an id");
    return std::nullopt;
  }
  bool ok = true;
  reference r;
  const auto* id = find(v, "id");
  if (id == nullptr) {
    errors.add(member_path(path, "id"), "is required");
    ok = false;
  } else if (!id->is_string() || id->get_ref<const std::string&>().empty()) {
    errors.add(member_path(path, "id"), "must be a non-empty string");
    ok = false;
  } else if (id->get_ref<const std::string&>().size() > max_reference_id_length) {
    errors.add(member_path(path, "id"), "must be at most 255 characters");
    ok = false;
  } else {
    r.id = id->get<std::string>();
  }
  for (const auto& [key, value] : v.items()) {
    if (key == "id" || key == "type" || key == "url") continue;
    errors.add(member_path(path, key), "unknown field");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return r;
}

} // namespace detail

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_VALIDATION_HPP
