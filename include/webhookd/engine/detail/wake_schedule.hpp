// SPDX-License-Identifier: MIT
// wake_schedule: the engine's timer wheel of retry due times, with recycled entries.
#ifndef WEBHOOKD_ENGINE_DETAIL_WAKE_SCHEDULE_HPP
#define WEBHOOKD_ENGINE_DETAIL_WAKE_SCHEDULE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>
#include <webhookd/schedule/timer_wheel.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

namespace webhookd::engine::detail {

/** When the engine must look at the store again, and for which delivery.

    The store is the source of truth: it holds every delivery's `next_attempt_at`.
    This process only remembers the due times it wrote itself (retries it recorded)
    so that it wakes exactly then, in O(1) per delivery, instead of asking the store
    after every batch. Two more entries are kept apart from the per-delivery ones:
    the store's own `next_due_at` hint (work from other processes or an earlier
    run) and the earliest moment a rate-limited endpoint gets a token.

    Entries live in a deque (stable addresses) and are recycled through a free list;
    one entry is the wheel's 16-byte hook plus the delivery id (ULIDs are 26
    characters; longer ids are cut, the id is only a label), 48 bytes, and the wheel
    keeps a 12-byte record per pending entry.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class wake_schedule {
public:
  /// The longest id kept with an entry.
  static constexpr std::size_t id_capacity = 26;

  struct entry : schedule::timer_wheel_entry {
    std::array<char, id_capacity> id{};
    unsigned char id_size = 0;
    std::string_view delivery_id() const noexcept { return {id.data(), id_size}; }
  };

  explicit wake_schedule(timestamp now) noexcept : wheel_(now) {}

  wake_schedule(const wake_schedule&) = delete;
  wake_schedule& operator=(const wake_schedule&) = delete;

  /// Remembers that `delivery_id` is due at `due`.
  void add(timestamp due, std::string_view delivery_id) {
    entry* e = nullptr;
    if (!free_.empty()) {
      e = free_.back();
      free_.pop_back();
    } else {
      e = &entries_.emplace_back();
    }
    const auto n = std::min(delivery_id.size(), id_capacity);
    std::copy_n(delivery_id.data(), n, e->id.data());
    e->id_size = static_cast<unsigned char>(n);
    wheel_.insert(*e, due);
  }

  /// Sets the store's hint (replacing the previous one).
  void hint_store(timestamp due) noexcept { wheel_.reschedule(store_hint_, due); }

  /// Wakes at `due` for rate-limited endpoints, unless an earlier such wake is set.
  void hint_gate(timestamp due) noexcept {
    if (!gate_hint_.pending() || due < gate_hint_.due()) wheel_.reschedule(gate_hint_, due);
  }

  /// Takes out everything due at `now`; the delivery entries are recycled.
  /// @returns how many entries were due (hints included).
  std::size_t fire(timestamp now) {
    return wheel_.expire(now, [this](entry& e) {
      if (&e != &store_hint_ && &e != &gate_hint_) free_.push_back(&e);
    });
  }

  /// The earliest pending due time.
  std::optional<timestamp> next() const noexcept { return wheel_.next_expiry(); }

  /// Pending delivery entries (hints not counted).
  std::size_t deliveries() const noexcept {
    return wheel_.size() - (store_hint_.pending() ? 1 : 0) - (gate_hint_.pending() ? 1 : 0);
  }

  /// Forgets everything.
  void clear() noexcept {
    wheel_.clear();
    free_.clear();
    entries_.clear();
  }

private:
  // The wheel is declared last so it is destroyed first: it makes its pending
  // entries idle, which must still exist then.
  std::deque<entry> entries_;
  std::vector<entry*> free_;
  entry store_hint_;
  entry gate_hint_;
  schedule::timer_wheel<entry> wheel_;
};

} // namespace webhookd::engine::detail

#endif // WEBHOOKD_ENGINE_DETAIL_WAKE_SCHEDULE_HPP
