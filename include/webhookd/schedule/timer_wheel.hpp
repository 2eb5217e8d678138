// SPDX-License-Identifier: MIT
// A hierarchical timer wheel: O(1) insert and cancel, exact next expiry, no clock reads.
#ifndef WEBHOOKD_SCHEDULE_TIMER_WHEEL_HPP
#define WEBHOOKD_SCHEDULE_TIMER_WHEEL_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

/*  How the wheel works
    -------------------

    Time is a 64-bit count of milliseconds (a `timestamp` with its sign bit flipped, so
    that unsigned order is time order). The wheel keeps its own current time `cur`,
    which only `expire(now)` moves, and only forward.

    There are `levels` = 6 levels of `slots_per_level` = 64 slots, each level indexing
    `level_bits` = 6 bits of the due time: level 0 slot j holds entries due at exactly
    `cur` with its low 6 bits replaced by j; level 1 slots are 64 ms wide, level 2
    slots 4.096 s, level 3 slots 4.4 min, level 4 slots 4.7 h, level 5 slots 12.4 days.
    An entry due at `d > cur` goes to the level of the highest bit in which `d` and
    `cur` differ (the Seastar `timer_set` rule), in the slot named by `d`'s 6 bits at
    that level. So every level-L entry shares with `cur` all bits above level L and is
    later than `cur` in level L's digit. Two consequences carry the whole design:

    - every entry of level L is due before every entry of level L + 1, and within a
      level the slot order is the due order. The earliest entry is therefore in the
      lowest non-empty slot of the lowest non-empty level, found with one 64-bit
      bitmap per level (`std::countr_zero`), and a level-0 slot holds entries of one
      single due time;
    - placement is a function of (`d`, `cur`) alone, so entries with equal due times
      always share one slot list, in the order they were inserted.

    The six levels cover the 2^36 ms block (about 795 days) that `cur` lies in. An
    entry due beyond the end of that block is clamped into an overflow list, which
    is re-placed when the wheel's time reaches the block of its earliest entry:
    far-future entries cascade down, level after level, until they are due.
    An entry inserted with a due time at or before `cur` (past, or "negative") goes to
    an overdue list that the next `expire` fires first, sorted by due time.

    `expire(now)` does not tick. It repeatedly takes the earliest non-empty slot; if
    the slot starts after `now` it stops; otherwise it moves `cur` to the slot's start
    (no entry is due in between) and either fires the slot (level 0) or re-places its
    entries one level down or more (a cascade). Each entry is cascaded at most once
    per level, so the amortised cost per entry is O(levels) = O(1), and the loop runs
    once per distinct due time fired plus once per cascade, whatever the distance
    between two calls (a jump of years costs no more than a jump of a millisecond).

    `next_expiry()` is exact: the slot start for level 0, otherwise the minimum of the
    earliest slot's list (a scan of that one slot), cached until an insert, a cancel of
    the earliest entry or an expiry changes it.

    Entries embed their hook (`timer_wheel_entry`: two list pointers, the due time and
    a slot index, 32 bytes), so insert and cancel allocate nothing, and the wheel
    itself never allocates. Compare folly's `HHWheelTimer` (4 levels of 8 bits, ticks
    at a fixed interval) and Seastar's `timer_set` (one bucket per bit, no levels).
*/

namespace webhookd::schedule {

class timer_wheel_entry;

namespace detail {

// A node of a circular, doubly linked list; a list's head is a node of its own.
struct timer_link {
  timer_link* next = this;
  timer_link* prev = this;

  timer_link() noexcept = default;
  timer_link(const timer_link&) = delete;
  timer_link& operator=(const timer_link&) = delete;

  bool empty() const noexcept { return next == this; }

  void push_back(timer_link& node) noexcept {
    node.prev = prev;
    node.next = this;
    prev->next = &node;
    prev = &node;
  }

  // Unlinks this node from whatever list holds it.
  void unlink() noexcept {
    prev->next = next;
    next->prev = prev;
    next = prev = this;
  }

  // Moves every node of `other` to the end of this list, in order.
  void splice_back(timer_link& other) noexcept {
    if (other.empty()) return;
    timer_link* first = other.next;
    timer_link* last = other.prev;
    first->prev = prev;
    prev->next = first;
    last->next = this;
    prev = last;
    other.next = other.prev = &other;
  }
};

// Where an entry is, in `timer_wheel_entry::where_`.
inline constexpr std::uint16_t where_idle = 0xFFFF;     // in no list
inline constexpr std::uint16_t where_expired = 0xFFFE;  // in an expired_list
inline constexpr std::uint16_t where_overdue = 0xFFFD;  // due at or before cur
inline constexpr std::uint16_t where_overflow = 0xFFFC; // beyond the wheel's block

// Timestamps as unsigned keys with the same order (the sign bit flipped).
inline constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;
inline constexpr std::uint64_t to_key(timestamp t) noexcept {
  return static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ sign_bit;
}
inline constexpr timestamp from_key(std::uint64_t k) noexcept {
  return timestamp{std::chrono::milliseconds{static_cast<std::int64_t>(k ^ sign_bit)}};
}

class timer_wheel_core;

} // namespace detail

/** The hook a timer wheel entry embeds: derive from it to make a schedulable type.

    It holds two list pointers, the due time and the entry's position in the wheel:
    32 bytes on a 64-bit platform, so a pending delivery costs its own payload plus
    32 bytes (the wheel allocates nothing per entry).

    An entry is *idle* (in no wheel), *pending* (in a wheel, waiting for its due
    time) or *expired* (taken out of a wheel by `expire`, in an `expired_list` that
    has not handed it out yet). Entries are neither copyable nor movable: the wheel
    points at them.

    @par Example
    @code
    struct pending_delivery : webhookd::schedule::timer_wheel_entry {
      std::uint64_t delivery; // the store is the source of truth; the wheel only says when
    };
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (an entry is guarded by its wheel).
*/
class timer_wheel_entry : private detail::timer_link {
public:
  timer_wheel_entry() noexcept = default;
  timer_wheel_entry(const timer_wheel_entry&) = delete;
  timer_wheel_entry& operator=(const timer_wheel_entry&) = delete;

  /** Destroys the entry.

      @par Preconditions
      The entry is idle: cancel it (or let it be handed out) before destroying it.
  */
  ~timer_wheel_entry() { WEBHOOKD_ASSERT(where_ == detail::where_idle); }

  /// The due time given to the last `insert` (meaningless while idle and never inserted).
  timestamp due() const noexcept { return detail::from_key(due_); }

  /// True while the entry is pending in a wheel or waiting in an `expired_list`.
  bool scheduled() const noexcept { return where_ != detail::where_idle; }

  /// True while the entry is pending in a wheel (inserted, not yet expired or cancelled).
  bool pending() const noexcept { return scheduled() && where_ != detail::where_expired; }

private:
  friend class detail::timer_wheel_core;

  detail::timer_link& link() noexcept { return *this; }
  static timer_wheel_entry& from_link(detail::timer_link& l) noexcept {
    return static_cast<timer_wheel_entry&>(l);
  }
  static const timer_wheel_entry& from_link(const detail::timer_link& l) noexcept {
    return static_cast<const timer_wheel_entry&>(l);
  }

  std::uint64_t due_ = 0;
  std::uint16_t where_ = detail::where_idle;
};

static_assert(sizeof(void*) != 8 || sizeof(timer_wheel_entry) <= 32,
              "the hook must stay within 32 bytes per pending entry");

namespace detail {

// The untyped wheel; `timer_wheel<Entry>` adds the casts. See the comment at the top.
class timer_wheel_core {
public:
  static constexpr int level_bits = 6;
  static constexpr int levels = 6;
  static constexpr std::size_t slots_per_level = std::size_t{1} << level_bits;
  static constexpr int horizon_bits = level_bits * levels;

  explicit timer_wheel_core(timestamp now) noexcept : cur_(to_key(now)) {}
  timer_wheel_core(const timer_wheel_core&) = delete;
  timer_wheel_core& operator=(const timer_wheel_core&) = delete;
  ~timer_wheel_core() { clear(); }

  bool insert(timer_wheel_entry& e, timestamp due) noexcept;
  bool cancel(timer_wheel_entry& e) noexcept;
  void expire(timestamp now, timer_link& out) noexcept;
  std::optional<timestamp> next_expiry() const noexcept;
  void clear() noexcept;

  // For expired_list: the first entry of `list`, and taking it out (made idle).
  static timer_wheel_entry& front(timer_link& list) noexcept {
    return timer_wheel_entry::from_link(*list.next);
  }
  static timer_wheel_entry* pop_front(timer_link& list) noexcept {
    if (list.empty()) return nullptr;
    timer_wheel_entry& e = front(list);
    e.link().unlink();
    e.where_ = where_idle;
    return &e;
  }

  timestamp now() const noexcept { return from_key(cur_); }
  std::size_t size() const noexcept { return size_; }

private:
  // Puts a pending entry whose due time is after cur_ into its list.
  void place(timer_wheel_entry& e) noexcept;
  void take_out(timer_wheel_entry& e) noexcept;
  static void hand_out(timer_link& list, timer_link& out) noexcept;
  static std::uint64_t min_due(const timer_link& list) noexcept;
  static void sort_by_due(timer_link& list) noexcept;
  std::uint64_t compute_next() const noexcept;

  timer_link& slot(std::size_t index) noexcept { return slots_[index]; }

  std::uint64_t cur_;
  std::size_t size_ = 0;
  std::array<std::uint64_t, levels> occupied_{}; // bit j of [L]: slot j of level L non-empty
  std::array<timer_link, levels * slots_per_level> slots_{};
  timer_link overdue_;
  timer_link overflow_;
  // The exact earliest due time while next_valid_; otherwise unknown.
  mutable std::uint64_t next_ = 0;
  mutable bool next_valid_ = true;
};

} // namespace detail

/** A hierarchical timer wheel of intrusive entries, driven by the caller's clock.

    A pure data structure: it reads no clock and owns no timer. The caller keeps one
    OS timer (in webhookd, one `steady_timer` in `engine/`) armed for `next_expiry()`,
    re-arms it whenever `insert` returns true, and calls `expire(now)` when it fires.
    The algorithm is described at the top of this header.

    @tparam Entry the caller's entry type, derived from `timer_wheel_entry`; the wheel
    stores pointers to entries, never copies, and the caller owns them.

    Guarantees:
    - `insert` and `cancel` are O(1) and never allocate; nothing in the wheel allocates;
    - `expire(now)` hands out every pending entry due at or before `now`, in
      non-decreasing due time, entries with equal due times in the order they were
      (last) inserted; an entry fires exactly at its due time, at the first `expire`
      whose `now` reaches it, however far in the future it was scheduled;
    - `next_expiry()` is the exact earliest due time, never a rounded tick.

    Resolution is one millisecond. The wheel's levels span a 2^36 ms (~795 days)
    block; later entries wait in an overflow list and cascade down when their block
    comes, so any `timestamp` is accepted.

    @par Example
    @code
    struct pending_delivery : webhookd::schedule::timer_wheel_entry { std::uint64_t id; };
    webhookd::schedule::timer_wheel<pending_delivery> wheel(clock.now());
    pending_delivery d;
    d.id = 42;
    if (wheel.insert(d, clock.now() + 5min)) timer.expires_at(*wheel.next_expiry());
    // when the timer fires:
    wheel.expire(clock.now(), [&](pending_delivery& due) { send(due.id); });
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe (`next_expiry()` updates a cache,
    so even concurrent const calls need the caller's synchronisation; in webhookd the
    wheel lives on the engine's strand).
*/
template <class Entry = timer_wheel_entry>
  requires std::derived_from<Entry, timer_wheel_entry>
class timer_wheel {
public:
  /// The caller's entry type.
  using entry_type = Entry;

  /// Bits of the due time indexed per level.
  static constexpr int level_bits = detail::timer_wheel_core::level_bits;
  /// Slots per level (`1 << level_bits`).
  static constexpr std::size_t slots_per_level = detail::timer_wheel_core::slots_per_level;
  /// Number of levels.
  static constexpr int levels = detail::timer_wheel_core::levels;
  /// The levels span blocks of `2^horizon_bits` ms; later entries are clamped to the
  /// overflow list and cascade down when their block comes.
  static constexpr int horizon_bits = detail::timer_wheel_core::horizon_bits;
  /// The length of one block of the levels (2^36 ms, about 795 days).
  static constexpr std::chrono::milliseconds horizon{std::int64_t{1} << horizon_bits};

  /** Entries taken out of the wheel by `expire`, in firing order.

      The list owns no entry; it links them. Take them with `pop_front()`, which
      makes each one idle (so it can be inserted again at once). Cancelling an entry
      still in the list (`timer_wheel::cancel`) removes it, so it is never handed out:
      cancelling from the handling of an earlier entry works as one expects.
      Destroying the list makes the remaining entries idle without handing them out.
      The list does not refer to the wheel: it may outlive it.

      @par Thread safety
      Distinct objects: Safe. Shared objects: Unsafe.
  */
  class expired_list {
  public:
    expired_list() noexcept = default;
    expired_list(expired_list&& other) noexcept { head_.splice_back(other.head_); }
    expired_list& operator=(expired_list&& other) noexcept {
      if (this != &other) {
        clear();
        head_.splice_back(other.head_);
      }
      return *this;
    }
    ~expired_list() { clear(); }

    /// True when every entry has been handed out (or cancelled).
    bool empty() const noexcept { return head_.empty(); }

    /// The next entry to handle, still in the list. Precondition: `!empty()`.
    Entry& front() noexcept {
      WEBHOOKD_ASSERT(!empty());
      return static_cast<Entry&>(detail::timer_wheel_core::front(head_));
    }

    /** Removes the next entry and returns it, idle; `nullptr` when the list is empty.

        @par Postconditions
        The returned entry is idle: `scheduled()` is false.
    */
    Entry* pop_front() noexcept {
      return static_cast<Entry*>(detail::timer_wheel_core::pop_front(head_));
    }

    /// Makes every remaining entry idle without handing it out.
    void clear() noexcept {
      while (pop_front() != nullptr) {
      }
    }

  private:
    friend class timer_wheel;
    detail::timer_link head_;
  };

  /** Makes an empty wheel whose current time is `now`.

      @param now the caller's clock reading; due times are measured against it, so
      give the real current time (a wheel started at the epoch works, but its first
      `expire` has decades to cascade through).
  */
  explicit timer_wheel(timestamp now = timestamp{}) noexcept : core_(now) {}

  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  /// Destroys the wheel; pending entries become idle (they are not handed out).
  ~timer_wheel() = default;

  /** Schedules `e` to fire at `due`.

      A `due` at or before `now()` (in the past, or "negative") is accepted: the entry
      fires at the next `expire`, before every later entry.

      @par Preconditions
      `e` is idle (`!e.scheduled()`); use `reschedule` to move a scheduled entry.

      @par Postconditions
      `e.pending()`, `e.due() == due`, `size()` is one more.

      @returns `true` when `e` is now the earliest pending entry (due strictly before
      every other one, or the only one): the caller must re-arm its timer for
      `next_expiry()`. `false` means an entry due no later was already pending, so a
      timer armed for the previous `next_expiry()` fires in time. Never `false` wrongly;
      `true` may be redundant in one case: after the earliest entry was cancelled or
      an `expire` handed entries out, until the next call to `next_expiry()`.

      @par Complexity
      O(1); allocates nothing.
  */
  bool insert(Entry& e, timestamp due) noexcept { return core_.insert(e, due); }

  /** Cancels `e` if it is scheduled, then inserts it at `due`.

      @par Preconditions
      `e` is idle, or scheduled in this wheel (pending, or in an `expired_list` of it).

      @returns as `insert`.
  */
  bool reschedule(Entry& e, timestamp due) noexcept {
    core_.cancel(e);
    return core_.insert(e, due);
  }

  /** Cancels `e`: it will not be handed out.

      Works on a pending entry and on one waiting in an `expired_list` (e.g. cancelled
      by the handling of an earlier entry of the same `expire`). Cancelling an idle
      entry does nothing.

      @par Preconditions
      `e` is idle, or scheduled in this wheel.

      @par Postconditions
      `e` is idle. `size()` is one less if `e` was pending.

      @returns `true` if `e` was scheduled (it would have fired), `false` if idle.

      @par Complexity
      O(1); allocates nothing.
  */
  bool cancel(Entry& e) noexcept { return core_.cancel(e); }

  /** Takes every entry due at or before `now` out of the wheel, in firing order.

      Moves the wheel's time to `now`. A `now` before `this->now()` (a clock that
      stepped back) is taken as `this->now()`: the wheel's time never goes backwards,
      and entries inserted meanwhile "in the past" still fire.

      @par Postconditions
      `this->now() == max(old now(), now)`; no pending entry is due at or before
      `this->now()`; the list holds the entries taken, in non-decreasing due time,
      equal due times in insertion order.

      @par Complexity
      O(k + c) for k entries handed out and c cascades (each entry cascades at most
      `levels` times in its life), plus O(k log k) for entries inserted in the past.
  */
  [[nodiscard]] expired_list expire(timestamp now) noexcept {
    expired_list out;
    core_.expire(now, out.head_);
    return out;
  }

  /** Calls `f(entry)` for every entry due at or before `now`, in firing order.

      Each entry is idle when `f` sees it: `f` may insert it again (a reschedule),
      insert or cancel other entries (a cancelled entry that was due too is skipped),
      and may even destroy the wheel. Entries that `f` inserts fire at a later
      `expire`, even when due at or before `now`.

      If `f` throws, the entries not yet visited become idle and the exception
      propagates.

      @par Preconditions
      Not called from within `f` of another `expire` of this wheel.

      @returns the number of entries visited.
  */
  template <class F>
    requires std::invocable<F&, Entry&>
  std::size_t expire(timestamp now, F&& f) {
    expired_list due = expire(now);
    std::size_t n = 0;
    while (Entry* e = due.pop_front()) {
      ++n;
      f(*e);
    }
    return n;
  }

  /** The exact due time of the earliest pending entry, or `std::nullopt` when empty.

      May be at or before `now()` when entries were inserted in the past.

      @par Complexity
      O(1) when cached (after an insert or another call); otherwise O(entries in the
      earliest non-empty slot).
  */
  std::optional<timestamp> next_expiry() const noexcept { return core_.next_expiry(); }

  /// The wheel's current time: the latest `now` given to the constructor or `expire`.
  timestamp now() const noexcept { return core_.now(); }

  /// The number of pending entries (entries in an `expired_list` are not counted).
  std::size_t size() const noexcept { return core_.size(); }

  /// True when no entry is pending.
  bool empty() const noexcept { return core_.size() == 0; }

  /** Makes every pending entry idle without handing it out.

      @par Postconditions
      `empty()`. O(number of pending entries + slots).
  */
  void clear() noexcept { core_.clear(); }

private:
  detail::timer_wheel_core core_;
};

// --- implementation ----------------------------------------------------------------

namespace detail {

inline void timer_wheel_core::place(timer_wheel_entry& e) noexcept {
  const std::uint64_t diff = e.due_ ^ cur_;
  WEBHOOKD_ASSERT(e.due_ > cur_);
  const int level = (static_cast<int>(std::bit_width(diff)) - 1) / level_bits;
  if (level >= levels) {
    e.where_ = where_overflow;
    overflow_.push_back(e.link());
    return;
  }
  const auto shift = static_cast<unsigned>(level * level_bits);
  const auto index = static_cast<std::size_t>((e.due_ >> shift) & (slots_per_level - 1));
  e.where_ = static_cast<std::uint16_t>(static_cast<std::size_t>(level) * slots_per_level + index);
  occupied_[static_cast<std::size_t>(level)] |= std::uint64_t{1} << index;
  slot(e.where_).push_back(e.link());
}

inline void timer_wheel_core::take_out(timer_wheel_entry& e) noexcept {
  const std::uint16_t where = e.where_;
  e.link().unlink();
  e.where_ = where_idle;
  if (where < levels * slots_per_level && slot(where).empty())
    occupied_[where / slots_per_level] &= ~(std::uint64_t{1} << (where % slots_per_level));
}

inline bool timer_wheel_core::insert(timer_wheel_entry& e, timestamp due) noexcept {
  WEBHOOKD_ASSERT(e.where_ == where_idle);
  e.due_ = to_key(due);
  if (e.due_ <= cur_) {
    e.where_ = where_overdue;
    overdue_.push_back(e.link());
  } else {
    place(e);
  }
  const bool was_empty = size_++ == 0;
  if (was_empty) {
    next_ = e.due_;
    next_valid_ = true;
    return true;
  }
  if (!next_valid_) return true; // unknown: re-arming is at worst redundant
  if (e.due_ < next_) {
    next_ = e.due_;
    return true;
  }
  return false;
}

inline bool timer_wheel_core::cancel(timer_wheel_entry& e) noexcept {
  switch (e.where_) {
  case where_idle: return false;
  case where_expired: // waiting in an expired_list: just leave it
    e.link().unlink();
    e.where_ = where_idle;
    return true;
  default:
    if (next_valid_ && e.due_ == next_) next_valid_ = false;
    take_out(e);
    --size_;
    return true;
  }
}

// Marks every entry of `list` expired and moves them to the end of `out`.
inline void timer_wheel_core::hand_out(timer_link& list, timer_link& out) noexcept {
  for (timer_link* l = list.next; l != &list; l = l->next)
    timer_wheel_entry::from_link(*l).where_ = where_expired;
  out.splice_back(list);
}

inline std::uint64_t timer_wheel_core::min_due(const timer_link& list) noexcept {
  std::uint64_t m = ~std::uint64_t{0};
  for (const timer_link* l = list.next; l != &list; l = l->next) {
    const auto due = timer_wheel_entry::from_link(*l).due_;
    if (due < m) m = due;
  }
  return m;
}

// A stable merge sort of a list by due time (bottom-up, as std::list::sort), without
// allocating: the overdue list is in insertion order, and fires in due order.
inline void timer_wheel_core::sort_by_due(timer_link& list) noexcept {
  if (list.next == list.prev) return; // zero or one entry
  const auto due_of = [](timer_link* l) noexcept { return timer_wheel_entry::from_link(*l).due_; };
  // Merges two null-terminated singly linked runs; `a` holds the earlier insertions,
  // so it wins ties.
  const auto merge = [&](timer_link* a, timer_link* b) noexcept {
    timer_link head;
    timer_link* tail = &head;
    while (a != nullptr && b != nullptr) {
      if (due_of(b) < due_of(a)) {
        tail->next = b;
        b = b->next;
      } else {
        tail->next = a;
        a = a->next;
      }
      tail = tail->next;
    }
    tail->next = a != nullptr ? a : b;
    timer_link* first = head.next;
    head.next = head.prev = &head; // head is a local: leave it self-linked
    return first;
  };
  std::array<timer_link*, 64> bins{}; // bins[i]: a sorted run of 2^i entries, or null
  timer_link* l = list.next;
  list.prev->next = nullptr;
  while (l != nullptr) {
    timer_link* carry = l;
    l = l->next;
    carry->next = nullptr;
    std::size_t i = 0;
    for (; bins[i] != nullptr; ++i) {
      carry = merge(bins[i], carry);
      bins[i] = nullptr;
    }
    bins[i] = carry;
  }
  timer_link* sorted = nullptr;
  for (timer_link* run : bins)
    if (run != nullptr) sorted = merge(run, sorted);
  // Rebuild the circular doubly linked list.
  timer_link* prev = &list;
  for (timer_link* n = sorted; n != nullptr; n = n->next) {
    n->prev = prev;
    prev->next = n;
    prev = n;
  }
  prev->next = &list;
  list.prev = prev;
}

inline void timer_wheel_core::expire(timestamp now, timer_link& out) noexcept {
  const std::uint64_t until = std::max(to_key(now), cur_);
  bool changed = false;

  // Entries inserted in the past are due before anything in the levels.
  if (!overdue_.empty()) {
    for (timer_link* l = overdue_.next; l != &overdue_; l = l->next) --size_;
    sort_by_due(overdue_);
    hand_out(overdue_, out);
    changed = true;
  }

  for (;;) {
    // The earliest non-empty slot: lowest level, then lowest slot.
    int level = 0;
    while (level < levels && occupied_[static_cast<std::size_t>(level)] == 0) ++level;
    timer_link* list;
    std::uint64_t start;
    if (level < levels) {
      const auto lvl = static_cast<std::size_t>(level);
      const auto index = static_cast<std::size_t>(std::countr_zero(occupied_[lvl]));
      const auto shift = static_cast<unsigned>(level * level_bits);
      const std::uint64_t above = ~((std::uint64_t{1} << (shift + level_bits)) - 1);
      start = (cur_ & above) | (std::uint64_t{index} << shift);
      if (start > until) break;
      list = &slot(lvl * slots_per_level + index);
      occupied_[lvl] &= ~(std::uint64_t{1} << index);
    } else if (!overflow_.empty()) {
      // Jump straight to the block of the earliest far entry: nothing is due before.
      start = min_due(overflow_) & ~((std::uint64_t{1} << horizon_bits) - 1);
      if (start > until) break;
      list = &overflow_;
    } else {
      break;
    }
    // No entry is due in (cur_, start), so moving there keeps every other entry's
    // placement valid (see the comment at the top).
    cur_ = start;
    changed = true;
    if (level == 0) {
      for (timer_link* l = list->next; l != list; l = l->next) --size_;
      hand_out(*list, out);
      continue;
    }
    // Cascade: re-place in order, so entries of equal due times keep their order.
    timer_link batch;
    batch.splice_back(*list);
    while (!batch.empty()) {
      timer_wheel_entry& e = timer_wheel_entry::from_link(*batch.next);
      e.link().unlink();
      if (e.due_ == cur_) {
        e.where_ = where_expired;
        out.push_back(e.link());
        --size_;
      } else {
        place(e);
      }
    }
  }
  // Every pending entry is due after `until`; moving cur_ there changes no placement.
  cur_ = until;
  if (changed) next_valid_ = false;
}

inline std::uint64_t timer_wheel_core::compute_next() const noexcept {
  if (!overdue_.empty()) return min_due(overdue_);
  for (int level = 0; level < levels; ++level) {
    const auto lvl = static_cast<std::size_t>(level);
    if (occupied_[lvl] == 0) continue;
    const auto index = static_cast<std::size_t>(std::countr_zero(occupied_[lvl]));
    if (level == 0) return (cur_ & ~std::uint64_t{slots_per_level - 1}) | index;
    return min_due(slots_[lvl * slots_per_level + index]);
  }
  return min_due(overflow_);
}

inline std::optional<timestamp> timer_wheel_core::next_expiry() const noexcept {
  if (size_ == 0) return std::nullopt;
  if (!next_valid_) {
    next_ = compute_next();
    next_valid_ = true;
  }
  return from_key(next_);
}

inline void timer_wheel_core::clear() noexcept {
  const auto drop = [](timer_link& list) noexcept {
    while (!list.empty()) {
      timer_wheel_entry& e = timer_wheel_entry::from_link(*list.next);
      e.link().unlink();
      e.where_ = where_idle;
    }
  };
  for (std::size_t lvl = 0; lvl < levels; ++lvl) {
    for (std::uint64_t bits = occupied_[lvl]; bits != 0; bits &= bits - 1)
      drop(slot(lvl * slots_per_level + static_cast<std::size_t>(std::countr_zero(bits))));
    occupied_[lvl] = 0;
  }
  drop(overdue_);
  drop(overflow_);
  size_ = 0;
  next_valid_ = true;
}

} // namespace detail

} // namespace webhookd::schedule

#endif // WEBHOOKD_SCHEDULE_TIMER_WHEEL_HPP
