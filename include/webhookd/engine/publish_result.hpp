// SPDX-License-Identifier: MIT
// engine: what publish() hands back, the stored event or why it was refused.
#ifndef WEBHOOKD_ENGINE_PUBLISH_RESULT_HPP
#define WEBHOOKD_ENGINE_PUBLISH_RESULT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/result.hpp>
#include <webhookd/model/event.hpp>
#include <webhookd/model/validation.hpp>

#include <memory>
#include <system_error>
#include <utility>
#include <variant>

namespace webhookd::engine {

/** Why `publish` refused an event: `code` is `std::errc::invalid_argument` with the
    broken rules in `errors` (field and rule, as `model::validate_event` names them),
    or the store's error with `errors` empty.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct publish_error {
  std::error_code code;
  model::validation_errors errors;
};

/** The result of `publish`: the event as stored, or why it was refused.

    Reads like `result<model::event, publish_error>` (`has_value`, `operator bool`,
    `value`, `operator*`, `operator->`, `error`), with the event read-only: it is the
    store's own copy where the store keeps its events in memory (`memory_store`), so
    publishing copies the event into the store once and never back out. `shared()`
    keeps it alive past the result; copy it (`model::event e = *r;`) to change it.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe for reading (the event is immutable).
*/
class publish_result {
public:
  using value_type = model::event;
  using error_type = publish_error;

  /// The stored event (never null).
  explicit publish_result(std::shared_ptr<const model::event> stored) noexcept
      : storage_(std::in_place_index<0>, std::move(stored)) {
    WEBHOOKD_ASSERT(std::get<0>(storage_) != nullptr);
  }

  template <class G>
    requires std::is_constructible_v<publish_error, G&&>
  publish_result(unexpected<G>&& u) : storage_(std::in_place_index<1>, std::move(u).error()) {}

  template <class G>
    requires std::is_constructible_v<publish_error, const G&>
  publish_result(const unexpected<G>& u) : storage_(std::in_place_index<1>, u.error()) {}

  bool has_value() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The stored event; throws `bad_result_access` when the publish was refused.
  const model::event& value() const {
    if (!has_value()) throw bad_result_access();
    return **this;
  }
  const model::event& operator*() const noexcept {
    WEBHOOKD_ASSERT(has_value());
    return **std::get_if<0>(&storage_);
  }
  const model::event* operator->() const noexcept { return &**this; }

  /// The stored event, shared (null when the publish was refused).
  std::shared_ptr<const model::event> shared() const noexcept {
    return has_value() ? *std::get_if<0>(&storage_) : nullptr;
  }

  const publish_error& error() const& noexcept {
    WEBHOOKD_ASSERT(!has_value());
    return *std::get_if<1>(&storage_);
  }
  publish_error&& error() && noexcept {
    WEBHOOKD_ASSERT(!has_value());
    return std::move(*std::get_if<1>(&storage_));
  }

private:
  std::variant<std::shared_ptr<const model::event>, publish_error> storage_;
};

} // namespace webhookd::engine

#endif // WEBHOOKD_ENGINE_PUBLISH_RESULT_HPP
