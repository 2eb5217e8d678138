// SPDX-License-Identifier: MIT
// Helpers for the model's from_json/to_json: typed member access, timestamps, errors.
#ifndef WEBHOOKD_MODEL_DETAIL_JSON_HPP
#define WEBHOOKD_MODEL_DETAIL_JSON_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/model/tristate.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace webhookd::model::detail {

/// Id of the `nlohmann::json::other_error` thrown for a member of the right JSON type
/// but the wrong form (a bad timestamp, an unknown enumerator, a wrong `type`).
inline constexpr int invalid_member_error_id = 599;

/// Throws a `type_error` naming `field` and the JSON type it must have.
[[noreturn]] inline void throw_type(const nlohmann::json& context, std::string_view field,
                                    std::string_view rule) {
  throw nlohmann::json::type_error::create(
      302, std::string(field) + ": " + std::string(rule), &context);
}

/// Throws an `other_error` naming `field` and the rule its value breaks.
[[noreturn]] inline void throw_invalid(const nlohmann::json& context, std::string_view field,
                                       std::string_view rule) {
  throw nlohmann::json::other_error::create(
      invalid_member_error_id, std::string(field) + ": " + std::string(rule), &context);
}

/// Checks that `j` is an object (`what` names it in the error).
inline void expect_object(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) throw_type(j, what, "must be an object");
}

/// Checks that `j` is an object whose `type` member is `type_name`.
inline void expect_resource(const nlohmann::json& j, std::string_view type_name) {
  expect_object(j, type_name);
  const auto& t = j.at("type");
  if (!t.is_string() || t.get_ref<const std::string&>() != type_name)
    throw_invalid(j, "type", "must be \"" + std::string(type_name) + "\"");
}

/// The member `key`, or nullptr if `j` has none.
inline const nlohmann::json* find(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

/// The string member `key` (required).
inline std::string get_string(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_string()) throw_type(v, key, "must be a string");
  return v.get<std::string>();
}

/// The string member `key`, or nullopt when it is absent or null.
inline std::optional<std::string> get_optional_string(const nlohmann::json& j, const char* key) {
  const auto* v = find(j, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw_type(*v, key, "must be a string");
  return v->get<std::string>();
}

/// The boolean member `key` (required).
inline bool get_bool(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_boolean()) throw_type(v, key, "must be a boolean");
  return v.get<bool>();
}

/// The integer member `key` (required), which must fit in an `int`.
inline int get_int(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_number_integer()) throw_type(v, key, "must be an integer");
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
      throw_invalid(v, key, "is out of range");
    return static_cast<int>(u);
  }
  const auto i = v.get<std::int64_t>();
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
    throw_invalid(v, key, "is out of range");
  return static_cast<int>(i);
}

/// Parses an RFC 3339 string member value.
inline timestamp to_timestamp(const nlohmann::json& v, const char* key) {
  if (!v.is_string()) throw_type(v, key, "must be a string");
  const auto t = parse_rfc3339(v.get_ref<const std::string&>());
  if (!t) throw_invalid(v, key, "must be an RFC 3339 date-time");
  return *t;
}

/// The RFC 3339 timestamp member `key` (required).
inline timestamp get_timestamp(const nlohmann::json& j, const char* key) {
  return to_timestamp(j.at(key), key);
}

/// The RFC 3339 timestamp member `key`, or nullopt when it is absent or null.
inline std::optional<timestamp> get_optional_timestamp(const nlohmann::json& j, const char* key) {
  const auto* v = find(j, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return to_timestamp(*v, key);
}

/// The `YYYY-MM-DD` date member `key` (required).
inline date get_date(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_string()) throw_type(v, key, "must be a string");
  const auto d = parse_date(v.get_ref<const std::string&>());
  if (!d) throw_invalid(v, key, "must be a YYYY-MM-DD date");
  return *d;
}

/// Writes `t` under `key` in the millisecond RFC 3339 form.
inline void put_timestamp(nlohmann::json& j, const char* key, timestamp t) {
  j[key] = format_rfc3339(t);
}

/// Reads member `key` as absent, null or a `T`.
template <class T>
tristate<T> get_tristate(const nlohmann::json& j, const char* key) {
  const auto* v = find(j, key);
  if (v == nullptr) return {};
  if (v->is_null()) return nullptr;
  return v->template get<T>();
}

/// Writes member `key` unless absent: `null`, or the value.
template <class T>
void put_tristate(nlohmann::json& j, const char* key, const tristate<T>& v) {
  if (v.is_null()) {
    j[key] = nullptr;
  } else if (v.has_value()) {
    j[key] = *v;
  }
}

} // namespace webhookd::model::detail

#endif // WEBHOOKD_MODEL_DETAIL_JSON_HPP
