// SPDX-License-Identifier: MIT
// result<T, E>: a value or an error, with std::expected's names (C++20 has no <expected>).
#ifndef WEBHOOKD_CORE_RESULT_HPP
#define WEBHOOKD_CORE_RESULT_HPP

#include <webhookd/detail/config.hpp>

#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace webhookd {

/** Wraps an error so that it can be returned where a `result` is expected.

    @par Example
    @code
    result<int> parse(std::string_view s) {
      if (s.empty()) return unexpected(make_error_code(errc::invalid_timestamp));
      return 42;
    }
    @endcode
*/
template <class E>
class unexpected {
public:
  constexpr explicit unexpected(E e) : error_(std::move(e)) {}
  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

/// Thrown by `result::value()` when the result holds an error.
class bad_result_access : public std::logic_error {
public:
  bad_result_access() : std::logic_error("webhookd::result holds an error, not a value") {}
};

/** Either a value of type `T` or an error of type `E`.

    The names match `std::expected` (`has_value`, `value`, `error`, `operator*`,
    `operator->`, `value_or`) so that code can move to it once C++23 is available.
    Accessing the value of an error result through `operator*` is a precondition
    violation; `value()` throws `bad_result_access` instead.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
template <class T, class E = std::error_code>
class result {
public:
  using value_type = T;
  using error_type = E;

  template <class U = T>
    requires std::is_constructible_v<T, U&&> &&
             (!std::is_same_v<std::remove_cvref_t<U>, result>) &&
             (!std::is_same_v<std::remove_cvref_t<U>, unexpected<E>>)
  constexpr result(U&& v) : storage_(std::in_place_index<0>, std::forward<U>(v)) {}

  template <class G>
    requires std::is_constructible_v<E, const G&>
  constexpr result(const unexpected<G>& u) : storage_(std::in_place_index<1>, u.error()) {}

  template <class G>
    requires std::is_constructible_v<E, G&&>
  constexpr result(unexpected<G>&& u)
      : storage_(std::in_place_index<1>, std::move(u).error()) {}

  constexpr bool has_value() const noexcept { return storage_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr T& value() & { check(); return std::get<0>(storage_); }
  constexpr const T& value() const& { check(); return std::get<0>(storage_); }
  constexpr T&& value() && { check(); return std::get<0>(std::move(storage_)); }

  constexpr T& operator*() & noexcept { WEBHOOKD_ASSERT(has_value()); return *std::get_if<0>(&storage_); }
  constexpr const T& operator*() const& noexcept { WEBHOOKD_ASSERT(has_value()); return *std::get_if<0>(&storage_); }
  constexpr T&& operator*() && noexcept { WEBHOOKD_ASSERT(has_value()); return std::move(*std::get_if<0>(&storage_)); }
  constexpr T* operator->() noexcept { return &**this; }
  constexpr const T* operator->() const noexcept { return &**this; }

  /// The error. Precondition: `!has_value()`.
  constexpr const E& error() const& noexcept { WEBHOOKD_ASSERT(!has_value()); return *std::get_if<1>(&storage_); }
  constexpr E& error() & noexcept { WEBHOOKD_ASSERT(!has_value()); return *std::get_if<1>(&storage_); }
  constexpr E&& error() && noexcept { WEBHOOKD_ASSERT(!has_value()); return std::move(*std::get_if<1>(&storage_)); }

  template <class U>
  constexpr T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }

private:
  constexpr void check() const {
    if (!has_value()) throw bad_result_access();
  }

  std::variant<T, E> storage_;
};

/// A result that carries no value: success, or an error of type `E`.
template <class E>
class result<void, E> {
public:
  using value_type = void;
  using error_type = E;

  constexpr result() noexcept = default;

  template <class G>
    requires std::is_constructible_v<E, const G&>
  constexpr result(const unexpected<G>& u) : error_(u.error()), failed_(true) {}

  template <class G>
    requires std::is_constructible_v<E, G&&>
  constexpr result(unexpected<G>&& u) : error_(std::move(u).error()), failed_(true) {}

  constexpr bool has_value() const noexcept { return !failed_; }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr void value() const {
    if (failed_) throw bad_result_access();
  }
  constexpr const E& error() const& noexcept { WEBHOOKD_ASSERT(failed_); return error_; }
  constexpr E& error() & noexcept { WEBHOOKD_ASSERT(failed_); return error_; }

private:
  E error_{};
  bool failed_ = false;
};

} // namespace webhookd

#endif // WEBHOOKD_CORE_RESULT_HPP
