// SPDX-License-Identifier: MIT
// tristate<T>: a JSON member that is absent, null, or holds a value.
#ifndef WEBHOOKD_MODEL_TRISTATE_HPP
#define WEBHOOKD_MODEL_TRISTATE_HPP

#include <webhookd/detail/config.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace webhookd::model {

/** A value that may be absent, explicitly null, or present.

    JSON tells "the key is missing" apart from "the key is `null`", and the Lucca
    resources use both: `links` is absent unless `include=links` asks for it, `null` in
    the seed's request body and an object in responses; in a JSON merge patch (RFC 7396)
    an absent `name` leaves it unchanged while `"name": null` removes it.
    `std::optional` has only two states, hence this type.

    A default-constructed `tristate` is absent; one constructed from `nullptr` is null;
    one constructed from a `T` holds it.

    @par Example
    @code
    tristate<std::string> name;           // absent
    name = nullptr;                       // null
    name = std::string("billing");        // a value
    if (name.has_value()) use(*name);
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class T>
class tristate {
public:
  using value_type = T;

  /// Absent.
  constexpr tristate() noexcept = default;

  /// Null.
  constexpr tristate(std::nullptr_t) noexcept : null_(true) {}

  /// Holds `v`.
  template <class U = T>
    requires std::is_constructible_v<T, U&&> &&
             (!std::is_same_v<std::remove_cvref_t<U>, tristate>) &&
             (!std::is_same_v<std::remove_cvref_t<U>, std::nullptr_t>)
  constexpr tristate(U&& v) : value_(std::forward<U>(v)) {}

  /// True if the member is missing.
  constexpr bool is_absent() const noexcept { return !value_ && !null_; }
  /// True if the member is present and `null`.
  constexpr bool is_null() const noexcept { return null_; }
  /// True if the member is present, null or not.
  constexpr bool is_present() const noexcept { return value_ || null_; }
  /// True if the member holds a value.
  constexpr bool has_value() const noexcept { return value_.has_value(); }

  /// The value; throws `std::bad_optional_access` if absent or null.
  constexpr T& value() & { return value_.value(); }
  constexpr const T& value() const& { return value_.value(); }

  /// The value. Precondition: `has_value()`.
  constexpr T& operator*() & noexcept { WEBHOOKD_ASSERT(has_value()); return *value_; }
  constexpr const T& operator*() const& noexcept { WEBHOOKD_ASSERT(has_value()); return *value_; }
  constexpr T* operator->() noexcept { WEBHOOKD_ASSERT(has_value()); return &*value_; }
  constexpr const T* operator->() const noexcept { WEBHOOKD_ASSERT(has_value()); return &*value_; }

  /// The value as an optional: absent and null both give `std::nullopt`.
  constexpr const std::optional<T>& as_optional() const noexcept { return value_; }

  /// Makes the member absent.
  constexpr void reset() noexcept {
    value_.reset();
    null_ = false;
  }
  /// Makes the member null.
  constexpr void set_null() noexcept {
    value_.reset();
    null_ = true;
  }
  /// Constructs a value in place.
  template <class... Args>
  constexpr T& emplace(Args&&... args) {
    null_ = false;
    return value_.emplace(std::forward<Args>(args)...);
  }

  friend constexpr bool operator==(const tristate&, const tristate&) = default;

private:
  std::optional<T> value_;
  bool null_ = false; // invariant: null_ implies !value_
};

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_TRISTATE_HPP
