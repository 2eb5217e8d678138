// SPDX-License-Identifier: MIT
// encoded_event: an event's request bodies, encoded once per content type and shared.
#ifndef WEBHOOKD_ENCODING_ENCODED_EVENT_HPP
#define WEBHOOKD_ENCODING_ENCODED_EVENT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/encoding/body.hpp>
#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace webhookd::encoding {

/** An event and its request bodies, each encoded at most once and then shared by
    every delivery that sends it (DESIGN.md "Encode once, sign per delivery").

    Dispatch makes one `encoded_event` per published event and hands it to every
    delivery: `body(endpoint.content_type)` encodes the body of that content type on
    its first call and returns the same `std::shared_ptr<const std::string>` to every
    later caller, from any thread. So publishing to N endpoints costs one encoding per
    content type in use (at most two), not N; only the timestamp and signature differ
    per delivery. A body that was never asked for is never encoded.

    The object is neither copyable nor movable (it owns a mutex); share it with
    `std::make_shared<encoded_event>(…)`.

    @par Example
    @code
    auto encoded = std::make_shared<encoding::encoded_event>(std::move(event));
    for (const auto& endpoint : subscribers) {
      auto body = encoded->body(endpoint.content_type);          // shared, encoded once
      auto type = encoding::media_type(endpoint.content_type);  // Content-Type header
      send(endpoint, type, std::move(body));
    }
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class encoded_event {
public:
  /// Wraps a shared, immutable event. Precondition: `e` is not null.
  explicit encoded_event(std::shared_ptr<const model::event> e, cloudevents_options options = {})
      : event_(std::move(e)), options_(std::move(options)) {
    WEBHOOKD_ASSERT(event_ != nullptr);
  }

  /// Takes the event by value.
  explicit encoded_event(model::event e, cloudevents_options options = {})
      : encoded_event(std::make_shared<const model::event>(std::move(e)), std::move(options)) {}

  encoded_event(const encoded_event&) = delete;
  encoded_event& operator=(const encoded_event&) = delete;

  /// The event.
  const model::event& event() const noexcept { return *event_; }
  /// The event, shared.
  const std::shared_ptr<const model::event>& event_ptr() const noexcept { return event_; }
  /// The options CloudEvents bodies are written with.
  const cloudevents_options& options() const noexcept { return options_; }

  /** The body for endpoints of `content_type`, encoded on the first call.

      Concurrent first calls encode once: one caller encodes while the others wait
      for it; later calls only copy a `shared_ptr`.

      @throws what encoding throws (`std::bad_alloc`); the body is then encoded again
      on the next call.
  */
  std::shared_ptr<const std::string> body(model::endpoint_content_type content_type) const {
    slot& s = slots_[index(content_type)];
    if (s.ready.load(std::memory_order_acquire)) return s.body;
    std::lock_guard lock(mutex_);
    if (!s.ready.load(std::memory_order_relaxed)) {
      s.body = std::make_shared<const std::string>(encode_body(*event_, content_type, options_));
      s.ready.store(true, std::memory_order_release);
    }
    return s.body;
  }

  /// The `Content-Type` for `content_type` (`encoding::media_type`).
  static constexpr std::string_view media_type(model::endpoint_content_type content_type) noexcept {
    return encoding::media_type(content_type);
  }

  /// True if the body for `content_type` has been encoded already.
  bool is_encoded(model::endpoint_content_type content_type) const noexcept {
    return slots_[index(content_type)].ready.load(std::memory_order_acquire);
  }

private:
  struct slot {
    std::atomic<bool> ready{false};
    std::shared_ptr<const std::string> body; // written once, before ready
  };

  static constexpr std::size_t index(model::endpoint_content_type content_type) noexcept {
    return content_type == model::endpoint_content_type::cloud_events ? 1 : 0;
  }

  std::shared_ptr<const model::event> event_;
  cloudevents_options options_;
  mutable std::mutex mutex_;
  mutable std::array<slot, 2> slots_;
};

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_ENCODED_EVENT_HPP
