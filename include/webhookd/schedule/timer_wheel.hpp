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
#include <new>
#include <optional>
#include <utility>
#include <vector>

/*  How the wheel works
    -------------------

    Time is a 64-bit count of milliseconds (a `timestamp` with its sign bit flipped, so
    that unsigned order is time order). The wheel keeps its own current time `cur`,
    which only `expire(now)` moves, and only forward.

    There are `levels` = 5 levels of `slots_per_level` = 256 slots, each level indexing
    `level_bits` = 8 bits of the due time (folly's geometry): level 0 slot j holds
    entries due at exactly `cur` with its low 8 bits replaced by j; level 1 slots are
    256 ms wide, level 2 slots 65.5 s, level 3 slots 4.66 h, level 4 slots 49.7 days.
    An entry due at `d > cur` goes to the level of the highest bit in which `d` and
    `cur` differ (the Seastar `timer_set` rule), in the slot named by `d`'s 8 bits at
    that level. So every level-L entry shares with `cur` all bits above level L and is
    later than `cur` in level L's digit. Two consequences carry the whole design:

    - every entry of level L is due before every entry of level L + 1, and within a
      level the slot order is the due order. The earliest entry is therefore in the
      lowest non-empty slot of the lowest non-empty level, found with a 256-bit
      bitmap per level (`std::countr_zero`), and a level-0 slot holds entries of one
      single due time;
    - placement is a function of (`d`, `cur`) alone, so entries with equal due times
      always share one slot, in the order they were inserted.

    The five levels cover the 2^40 ms block (about 34.8 years) that `cur` lies in. An
    entry due beyond the end of that block goes to an overflow list, which is
    re-placed when the wheel's time reaches the block of its earliest entry. An entry
    inserted with a due time at or before `cur` (past, or "negative") goes to an
    overdue list that the next `expire` fires first, sorted by due time.

    Records, not links. A slot is not a list threaded through the entries: it is a
    list of chunks of *records* (entry pointer, low 32 bits of the due time), 12 bytes
    each, taken from a pool the wheel owns (a slot's first chunk holds 6 records, the
    second 26, the others 82, so that sparse slots stay small). The low 32 bits are enough
    to rebuild the due time, because a level-L entry shares the bits above its own
    digit with `cur` (and level 4's digit is the slot index). So inserting appends to
    the slot's last chunk (in cache), and cascading or sorting a slot reads its chunks
    sequentially, never the randomly placed entries: the wheel only writes to an entry
    to tell it where its record (or, once expired, its list cell) went, prefetched, so
    those misses overlap rather than chain as a linked list's do. The entry's hook
    (`timer_wheel_entry`: due time and a tagged pointer to its record, 16 bytes) makes
    `cancel` O(1): it clears the record (a tombstone) through that pointer, so the
    wheel never points at a cancelled entry, which may be destroyed at once.
    Tombstones are dropped when their slot is processed, and all of them at once
    (compaction, amortised O(1) per cancel) when they outnumber half of the pending
    entries.

    `expire(now)` does not tick. It repeatedly takes the earliest non-empty slot; if
    the slot starts after `now` it stops. If the whole slot is due (its last
    millisecond is at or before `now`; always at level 0) it is handed out at once, its
    records sorted by (due time, position) when it is above level 0 (a stable radix
    sort on the bits below the slot's digit), and `cur` moves to the slot's end.
    Otherwise `cur` moves to the slot's start (no entry is due in between) and the
    slot is split. A small one (level 1 or 2, at most 65.5 s wide, and at most 4096
    records) is sorted once into the *run*, a sorted array of records from which its entries then fire in order
    (entries inserted later into its time range land in lower slots, and `expire`
    merges them with the run by due time, the run first at equal due times since its
    entries were inserted earlier); there is one run at a time. Otherwise the slot's
    records are re-placed one level down or more (a cascade). Only the one slot per
    level that holds `now` is ever split, so each entry is split at most once per
    level in its life: a retry due in a day is cascaded once (4.66 h to 65.5 s slots)
    and sorted once. The loop runs once per slot handed out or split, plus once per
    entry fired from the run, whatever the distance between two calls.

    `next_expiry()` is exact: the earlier of the run's front and the earliest slot's
    minimum (its start at level 0, otherwise a sequential scan of that one slot's
    records), cached until an insert, a cancel of the earliest entry or an expiry
    changes it.

    Entries handed out wait in an `expired_list`, an array of entry pointers the list
    owns (it does not refer to the wheel); an expired entry's hook points at its cell
    of that array, so cancelling it there is O(1) too.

    Memory: 16 bytes of hook in the entry, and 12 bytes of record per pending entry
    (16 in the run; plus the chunks' partly filled tails and headers, and tombstones
    until they are dropped), allocated by the wheel; about 29 bytes per entry with a
    million pending.
    Compare folly's `HHWheelTimer` (4 levels of 8 bits, intrusive lists, ticks at a
    fixed interval) and Seastar's `timer_set` (one bucket per bit, no levels).
*/

namespace webhookd::schedule {

class timer_wheel_entry;

namespace detail {

// Where an entry is, in `timer_wheel_entry::where_`: 0 when idle, otherwise the
// address of the cell holding its pointer (a record of the wheel, or a cell of an
// expired_list's array) with a tag in the low bits, which cell alignment leaves free.
inline constexpr std::uintptr_t where_idle = 0;
inline constexpr std::uintptr_t tag_pending = 1;
inline constexpr std::uintptr_t tag_expired = 2;
inline constexpr std::uintptr_t tag_mask = 3;
static_assert(alignof(timer_wheel_entry*) > tag_mask, "cells must leave two tag bits free");

// Timestamps as unsigned keys with the same order (the sign bit flipped).
inline constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;
inline constexpr std::uint64_t to_key(timestamp t) noexcept {
  return static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ sign_bit;
}
inline constexpr timestamp from_key(std::uint64_t k) noexcept {
  return timestamp{std::chrono::milliseconds{static_cast<std::int64_t>(k ^ sign_bit)}};
}

// Starts loading `p`'s cache line, to be written soon.
inline void prefetch_for_write(const void* p) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 1);
#else
  (void)p;
#endif
}

class timer_wheel_core;

} // namespace detail

/** The hook a timer wheel entry embeds: derive from it to make a schedulable type.

    It holds the due time and where the wheel keeps the entry's record: 16 bytes on a
    64-bit platform. The wheel itself keeps a 12-byte record per pending entry (see
    `timer_wheel`).

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
class timer_wheel_entry {
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
  bool pending() const noexcept { return (where_ & detail::tag_mask) == detail::tag_pending; }

private:
  friend class detail::timer_wheel_core;

  std::uint64_t due_ = 0;
  std::uintptr_t where_ = detail::where_idle;
};

static_assert(sizeof(void*) != 8 || sizeof(timer_wheel_entry) <= 16,
              "the hook must stay within 16 bytes: with a 12-byte record, under 32 per entry");

namespace detail {

// The untyped wheel; `timer_wheel<Entry>` adds the casts. See the comment at the top.
class timer_wheel_core {
public:
  static constexpr int level_bits = 8;
  static constexpr int levels = 5;
  static constexpr std::size_t slots_per_level = std::size_t{1} << level_bits;
  static constexpr int horizon_bits = level_bits * levels;
  // Records per chunk, by size class: a slot's first chunk is small, so that a wheel
  // of few entries spread over many slots stays small; the next is larger, the rest
  // large. A chunk is 16 + 12 n bytes: 88, 328 and 1000, which glibc's malloc pads
  // by its 8-byte header only.
  static constexpr std::array<std::uint32_t, 3> chunk_records{6, 26, 82};

  using entry_ptr = timer_wheel_entry*;

  explicit timer_wheel_core(timestamp now) noexcept : cur_(to_key(now)) {}
  timer_wheel_core(const timer_wheel_core&) = delete;
  timer_wheel_core& operator=(const timer_wheel_core&) = delete;
  ~timer_wheel_core() { clear(); }

  bool insert(timer_wheel_entry& e, timestamp due) noexcept;
  bool cancel(timer_wheel_entry& e) noexcept;
  // Appends the entries due at `now` to `out`, in firing order, marked expired.
  void expire(timestamp now, std::vector<entry_ptr>& out) noexcept;
  std::optional<timestamp> next_expiry() noexcept;
  void clear() noexcept;

  // For expired_list: the first live cell at or after `head` (skipping cancelled ones).
  static std::size_t skip_cancelled(const std::vector<entry_ptr>& cells, std::size_t head) noexcept {
    while (head < cells.size() && cells[head] == nullptr) ++head;
    return head;
  }
  // For expired_list: makes a handed-out (or dropped) entry idle.
  static void release(timer_wheel_entry& e) noexcept { e.where_ = where_idle; }

  timestamp now() const noexcept { return from_key(cur_); }
  std::size_t size() const noexcept { return size_; }

private:
  // A block of records, structure of arrays, allocated with its header: `capacity`
  // entry pointers (null: a tombstone, the record was cancelled), then as many low
  // 32 bits of due times.
  struct chunk {
    chunk* next;
    std::uint32_t count;
    std::uint32_t capacity;
    entry_ptr* entries() noexcept { return reinterpret_cast<entry_ptr*>(this + 1); }
    const entry_ptr* entries() const noexcept { return reinterpret_cast<const entry_ptr*>(this + 1); }
    std::uint32_t* dues() noexcept { return reinterpret_cast<std::uint32_t*>(entries() + capacity); }
    const std::uint32_t* dues() const noexcept {
      return reinterpret_cast<const std::uint32_t*>(entries() + capacity);
    }
  };
  static_assert(sizeof(chunk) % alignof(entry_ptr) == 0);
  // A list of chunks, circular: `tail` is the last chunk and `tail->next` the first.
  struct record_list {
    chunk* tail = nullptr;
    bool empty() const noexcept { return tail == nullptr; }
  };
  using bitmap = std::array<std::uint64_t, slots_per_level / 64>;

  chunk* new_chunk(std::size_t size_class) noexcept;
  void free_chunk(chunk* c) noexcept;
  void trim_pool() noexcept;
  entry_ptr* append(record_list& list, entry_ptr e, std::uint32_t due_low) noexcept;
  // Appends a record of `e`, due at `due` (after cur_), to its list.
  void place(entry_ptr e, std::uint64_t due) noexcept;
  // Calls f(chunk&) on every chunk of a detached list, in order, then frees it.
  template <class F>
  void consume(record_list list, F&& f) noexcept;
  void sort_slot(record_list list, int level) noexcept;
  void release_scratch() noexcept;
  void hand_out_slot(record_list list, int level, std::vector<entry_ptr>& out) noexcept;
  void make_run(record_list list, int level, std::uint64_t start) noexcept;
  void cascade(record_list list, std::uint64_t start, std::vector<entry_ptr>& out) noexcept;
  void hand_out_overdue(std::vector<entry_ptr>& out) noexcept;
  void replace_overflow(std::vector<entry_ptr>& out) noexcept;
  // The minimum due time of the live records of a list (nullopt when none): a slot's records
  // give it with `high` (the slot start's bits above 32), the overdue and overflow
  // lists' entries give their own (`from_entries`).
  std::optional<std::uint64_t> min_due(const record_list& list, bool from_entries,
                                       std::uint64_t high) const noexcept;
  // Drops a list that holds only tombstones.
  void drop_dead(record_list& list) noexcept;
  std::uint64_t compute_next() noexcept;
  void compact() noexcept;
  bool compact(record_list& list) noexcept;

  static std::uint64_t slot_start(std::uint64_t cur, int level, std::size_t index) noexcept {
    const auto shift = static_cast<unsigned>(level * level_bits);
    const std::uint64_t above = ~((std::uint64_t{1} << (shift + level_bits)) - 1);
    return (cur & above) | (std::uint64_t{index} << shift);
  }
  record_list& slot(int level, std::size_t index) noexcept {
    return slots_[static_cast<std::size_t>(level) * slots_per_level + index];
  }
  // The lowest occupied slot of `level`, or slots_per_level.
  std::size_t first_slot(int level) const noexcept {
    const bitmap& bits = occupied_[static_cast<std::size_t>(level)];
    for (std::size_t w = 0; w < bits.size(); ++w)
      if (bits[w] != 0) return w * 64 + static_cast<std::size_t>(std::countr_zero(bits[w]));
    return slots_per_level;
  }
  void set_occupied(int level, std::size_t index) noexcept {
    occupied_[static_cast<std::size_t>(level)][index / 64] |= std::uint64_t{1} << (index % 64);
  }
  void clear_occupied(int level, std::size_t index) noexcept {
    occupied_[static_cast<std::size_t>(level)][index / 64] &= ~(std::uint64_t{1} << (index % 64));
  }

  std::uint64_t cur_;
  std::size_t size_ = 0; // pending entries (live records)
  std::size_t dead_ = 0; // tombstones
  std::array<bitmap, levels> occupied_{}; // slot j of level L has records (live or not)
  std::array<record_list, levels * slots_per_level> slots_{};
  record_list overdue_;
  record_list overflow_;
  std::array<chunk*, chunk_records.size()> pool_{}; // free chunks, by size class
  std::array<std::size_t, chunk_records.size()> pooled_{};
  std::size_t chunks_in_use_ = 0;
  struct sort_item {
    std::uint32_t key; // the due time's bits below the slot's digit
    entry_ptr entry;
  };
  std::vector<sort_item> sort_a_, sort_b_; // scratch: a slot handed out, being sorted
  // The run: the records of a partly due slot, sorted, firing from run_head_ on (see
  // the comment at the top). A cell's entry is null once cancelled.
  struct run_item {
    entry_ptr entry;
    std::uint64_t due;
  };
  run_item* run_front() noexcept;
  std::vector<run_item> run_;
  std::size_t run_head_ = 0;
  // A partly due slot of at most this level and this many records becomes the run
  // (when there is none); others cascade. The bound keeps the run, whose fired prefix
  // stays allocated until it is used up, small next to the wheel.
  static constexpr int run_max_level = 2;
  static constexpr std::size_t run_max_records = 4096;
  // Scratch and run arrays keep their capacity only up to this.
  std::size_t kept_capacity() const noexcept {
    return std::max<std::size_t>(256, size_ / 64);
  }
  static std::size_t records_in(const record_list& list) noexcept {
    std::size_t n = 0;
    if (list.tail == nullptr) return n;
    const chunk* c = list.tail;
    do {
      c = c->next;
      n += c->count;
    } while (c != list.tail);
    return n;
  }
  // The exact earliest due time while next_valid_; otherwise unknown.
  std::uint64_t next_ = 0;
  bool next_valid_ = true;
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
    - `insert` and `cancel` are O(1) (`insert` amortised: it may compact tombstones);
    - `expire(now)` hands out every pending entry due at or before `now`, in
      non-decreasing due time, entries with equal due times in the order they were
      (last) inserted; an entry fires exactly at its due time, at the first `expire`
      whose `now` reaches it, however far in the future it was scheduled;
    - `next_expiry()` is the exact earliest due time, never a rounded tick.

    Memory: the entry's 16-byte hook, and a 12-byte record per pending entry in
    chunks the wheel allocates and recycles (88, 328, then 1000 bytes per slot; a few
    free chunks are kept), plus the wheel object itself (about 10 KiB of slot heads).
    Allocation failure in `insert` or `expire` terminates (they are `noexcept`).

    Resolution is one millisecond. The wheel's levels span a 2^40 ms (~34.8 years)
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
    Distinct objects: Safe. Shared objects: Unsafe (`next_expiry()` updates a cache
    and drops cancelled records, so even concurrent const calls need the caller's
    synchronisation; in webhookd the wheel lives on the engine's strand).
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
  /// The length of one block of the levels (2^40 ms, about 34.8 years).
  static constexpr std::chrono::milliseconds horizon{std::int64_t{1} << horizon_bits};

  /** Entries taken out of the wheel by `expire`, in firing order.

      The list owns an array of pointers to the entries, not the entries. Take them
      with `pop_front()`, which makes each one idle (so it can be inserted again at
      once). Cancelling an entry still in the list (`timer_wheel::cancel`) removes it
      in O(1), so it is never handed out: cancelling from the handling of an earlier
      entry works as one expects, and the cancelled entry may be destroyed at once.
      Destroying the list makes the remaining entries idle without handing them out.
      The list does not refer to the wheel: it may outlive it.

      @par Thread safety
      Distinct objects: Safe. Shared objects: Unsafe.
  */
  class expired_list {
  public:
    expired_list() noexcept = default;
    expired_list(expired_list&& other) noexcept
        : cells_(std::move(other.cells_)), head_(std::exchange(other.head_, 0)) {
      other.cells_.clear();
    }
    expired_list& operator=(expired_list&& other) noexcept {
      if (this != &other) {
        clear();
        cells_ = std::move(other.cells_); // the array moves as a whole: entries still point into it
        head_ = std::exchange(other.head_, 0);
        other.cells_.clear();
      }
      return *this;
    }
    ~expired_list() { clear(); }

    /// True when every entry has been handed out (or cancelled).
    bool empty() const noexcept {
      head_ = detail::timer_wheel_core::skip_cancelled(cells_, head_);
      return head_ == cells_.size();
    }

    /// The next entry to handle, still in the list. Precondition: `!empty()`.
    Entry& front() noexcept {
      WEBHOOKD_ASSERT(!empty());
      return static_cast<Entry&>(*cells_[head_]);
    }

    /** Removes the next entry and returns it, idle; `nullptr` when the list is empty.

        @par Postconditions
        The returned entry is idle: `scheduled()` is false.
    */
    Entry* pop_front() noexcept {
      if (empty()) return nullptr;
      timer_wheel_entry* e = cells_[head_];
      cells_[head_++] = nullptr;
      detail::timer_wheel_core::release(*e);
      return static_cast<Entry*>(e);
    }

    /// Makes every remaining entry idle without handing it out.
    void clear() noexcept {
      for (; head_ < cells_.size(); ++head_)
        if (cells_[head_] != nullptr) detail::timer_wheel_core::release(*cells_[head_]);
      cells_.clear();
      head_ = 0;
    }

  private:
    friend class timer_wheel;
    std::vector<timer_wheel_entry*> cells_;
    mutable std::size_t head_ = 0; // cells before it are handed out
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
      Amortised O(1): appends a record (now and then a new chunk, from the wheel's
      pool), and once cancelled records outnumber half the pending ones, drops them all
      (O(records), so O(1) per cancel).
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
      entry does nothing. The wheel keeps no reference to a cancelled entry: it may be
      destroyed at once.

      @par Preconditions
      `e` is idle, or scheduled in this wheel.

      @par Postconditions
      `e` is idle. `size()` is one less if `e` was pending.

      @returns `true` if `e` was scheduled (it would have fired), `false` if idle.

      @par Complexity
      O(1): clears the entry's record (or list cell) through the hook; allocates nothing.
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
      O(k + c) for k entries handed out and c records split (sorted by radix, or
      cascaded; each entry is split at most once per level in its life, in practice
      twice), plus O(k log k) for entries inserted in the past. Allocates the list's
      array.
  */
  [[nodiscard]] expired_list expire(timestamp now) noexcept {
    expired_list out;
    core_.expire(now, out.cells_);
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
      O(1) when cached (after an insert or another call); otherwise O(records in the
      earliest non-empty slot), a sequential scan (plus slots holding only cancelled
      records, which it drops).
  */
  std::optional<timestamp> next_expiry() const noexcept { return core_.next_expiry(); }

  /// The wheel's current time: the latest `now` given to the constructor or `expire`.
  timestamp now() const noexcept { return core_.now(); }

  /// The number of pending entries (entries in an `expired_list` are not counted).
  std::size_t size() const noexcept { return core_.size(); }

  /// True when no entry is pending.
  bool empty() const noexcept { return core_.size() == 0; }

  /** Makes every pending entry idle without handing it out, and frees the wheel's memory.

      @par Postconditions
      `empty()`. O(number of records + slots).
  */
  void clear() noexcept { core_.clear(); }

private:
  // Mutable: next_expiry() caches its answer and drops slots of cancelled records.
  mutable detail::timer_wheel_core core_;
};

// --- implementation ----------------------------------------------------------------

namespace detail {

inline timer_wheel_core::chunk* timer_wheel_core::new_chunk(std::size_t size_class) noexcept {
  chunk* c = pool_[size_class];
  if (c != nullptr) {
    pool_[size_class] = c->next;
    --pooled_[size_class];
  } else {
    // The header and the records' scalars are implicit-lifetime types: the allocation
    // creates them. A failure throws out of a noexcept function, i.e. terminates
    // (documented).
    const std::uint32_t n = chunk_records[size_class];
    c = static_cast<chunk*>(
        ::operator new(sizeof(chunk) + n * (sizeof(entry_ptr) + sizeof(std::uint32_t))));
    c->capacity = n;
  }
  c->count = 0;
  ++chunks_in_use_;
  return c;
}

inline void timer_wheel_core::free_chunk(chunk* c) noexcept {
  const std::size_t size_class = c->capacity == chunk_records[0]   ? 0
                                 : c->capacity == chunk_records[1] ? 1
                                                                   : 2;
  c->next = pool_[size_class];
  pool_[size_class] = c;
  ++pooled_[size_class];
  --chunks_in_use_;
}

// Keeps a few free chunks for the next inserts (a cascade or an expire frees chunks
// as fast as it fills others), and gives the rest back.
inline void timer_wheel_core::trim_pool() noexcept {
  const std::size_t keep = 4 + chunks_in_use_ / 64;
  for (std::size_t k = 0; k < pool_.size(); ++k) {
    while (pooled_[k] > keep) {
      chunk* c = pool_[k];
      pool_[k] = c->next;
      --pooled_[k];
      ::operator delete(c);
    }
  }
}

inline timer_wheel_core::entry_ptr* timer_wheel_core::append(record_list& list, entry_ptr e,
                                                               std::uint32_t due_low) noexcept {
  chunk* t = list.tail;
  if (t == nullptr || t->count == t->capacity) {
    // The first chunk of a list is small, the second middling, the rest large.
    const std::size_t size_class =
        t == nullptr ? 0 : t->capacity == chunk_records[0] ? 1 : chunk_records.size() - 1;
    chunk* c = new_chunk(size_class);
    if (t == nullptr) {
      c->next = c;
    } else {
      c->next = t->next;
      t->next = c;
    }
    list.tail = t = c;
  }
  const std::uint32_t i = t->count++;
  t->entries()[i] = e;
  t->dues()[i] = due_low;
  return &t->entries()[i];
}

inline void timer_wheel_core::place(entry_ptr e, std::uint64_t due) noexcept {
  WEBHOOKD_ASSERT(due > cur_);
  const int level = (static_cast<int>(std::bit_width(due ^ cur_)) - 1) / level_bits;
  record_list* list = &overflow_;
  if (level < levels) {
    const auto shift = static_cast<unsigned>(level * level_bits);
    const auto index = static_cast<std::size_t>((due >> shift) & (slots_per_level - 1));
    set_occupied(level, index);
    list = &slot(level, index);
  }
  entry_ptr* cell = append(*list, e, static_cast<std::uint32_t>(due));
  e->where_ = reinterpret_cast<std::uintptr_t>(cell) | tag_pending;
}

template <class F>
void timer_wheel_core::consume(record_list list, F&& f) noexcept {
  if (list.tail == nullptr) return;
  chunk* c = list.tail->next;
  list.tail->next = nullptr; // unroll the circle
  while (c != nullptr) {
    chunk* next = c->next;
    f(*c);
    free_chunk(c);
    c = next;
  }
}

inline bool timer_wheel_core::insert(timer_wheel_entry& e, timestamp due) noexcept {
  WEBHOOKD_ASSERT(e.where_ == where_idle);
  // Reschedules leave tombstones; drop them once they outnumber half the live records.
  if (dead_ > 1024 && dead_ > size_ / 2) compact();
  e.due_ = to_key(due);
  if (e.due_ <= cur_) {
    entry_ptr* cell = append(overdue_, &e, 0);
    e.where_ = reinterpret_cast<std::uintptr_t>(cell) | tag_pending;
  } else {
    place(&e, e.due_);
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
  const std::uintptr_t where = e.where_;
  if (where == where_idle) return false;
  *reinterpret_cast<entry_ptr*>(where & ~tag_mask) = nullptr; // a tombstone
  e.where_ = where_idle;
  if ((where & tag_mask) == tag_pending) {
    if (next_valid_ && e.due_ == next_) next_valid_ = false;
    --size_;
    ++dead_;
  }
  return true;
}

// Fills sort_a_ with the live records of a detached level >= 1 slot, sorted by
// (due, position): a stable LSD radix sort on the due time's bits below the slot's
// digit, one pass per byte (an insertion sort when small). Records are in insertion
// order, so equal due times stay in it. Skips the sort when they are in order already.
inline void timer_wheel_core::sort_slot(record_list list, int level) noexcept {
  const auto below = static_cast<std::uint32_t>(
      (std::uint64_t{1} << static_cast<unsigned>(level * level_bits)) - 1);
  sort_a_.clear();
  sort_a_.reserve(records_in(list));
  bool sorted = true;
  std::uint32_t last = 0;
  consume(list, [&](chunk& c) {
    const std::uint32_t count = c.count;
    const entry_ptr* const entries = c.entries();
    const std::uint32_t* const dues = c.dues();
    for (std::uint32_t i = 0; i < count; ++i) {
      if (entries[i] == nullptr) {
        --dead_;
        continue;
      }
      const std::uint32_t key = dues[i] & below;
      sorted = sorted && key >= last;
      last = key;
      sort_a_.push_back({key, entries[i]});
    }
  });
  if (!sorted && sort_a_.size() <= 64) { // small (most level-1 slots): insertion sort, stable
    for (std::size_t i = 1; i < sort_a_.size(); ++i) {
      const sort_item r = sort_a_[i];
      std::size_t j = i;
      for (; j > 0 && sort_a_[j - 1].key > r.key; --j) sort_a_[j] = sort_a_[j - 1];
      sort_a_[j] = r;
    }
  } else if (!sorted) {
    sort_b_.resize(sort_a_.size());
    for (int pass = 0; pass < level; ++pass) {
      const auto shift = static_cast<unsigned>(pass * level_bits);
      std::array<std::size_t, slots_per_level> at{};
      for (const sort_item& r : sort_a_) ++at[(r.key >> shift) & (slots_per_level - 1)];
      if (std::find(at.begin(), at.end(), sort_a_.size()) != at.end()) continue; // one digit
      std::size_t sum = 0;
      for (std::size_t& n : at) sum += std::exchange(n, sum);
      for (const sort_item& r : sort_a_) sort_b_[at[(r.key >> shift) & (slots_per_level - 1)]++] = r;
      sort_a_.swap(sort_b_);
    }
  }
}

inline void timer_wheel_core::release_scratch() noexcept {
  if (sort_a_.capacity() > kept_capacity()) { // a slot large for this wheel: don't keep its scratch
    sort_a_ = {};
    sort_b_ = {};
  }
}

// A whole slot is due: append its live entries to `out`, sorted by (due, position).
inline void timer_wheel_core::hand_out_slot(record_list list, int level,
                                            std::vector<entry_ptr>& out) noexcept {
  if (level == 0) { // one due time: insertion order is firing order
    consume(list, [&](chunk& c) {
      for (std::uint32_t i = 0; i < c.count; ++i) {
        if (c.entries()[i] != nullptr) out.push_back(c.entries()[i]);
        else --dead_;
      }
    });
    return;
  }
  sort_slot(list, level);
  for (const sort_item& r : sort_a_) out.push_back(r.entry);
  release_scratch();
}

// The slot starting at `start` (== cur_) is partly due and the run is empty: sort the
// slot into the run, whose entries then fire from it in order.
inline void timer_wheel_core::make_run(record_list list, int level, std::uint64_t start) noexcept {
  WEBHOOKD_ASSERT(run_head_ == run_.size());
  sort_slot(list, level);
  run_.resize(sort_a_.size());
  for (std::size_t i = 0; i < sort_a_.size(); ++i) run_[i] = {sort_a_[i].entry, start | sort_a_[i].key};
  run_head_ = 0;
  release_scratch();
  // Tell each entry where its record went (prefetched, as in a cascade).
  constexpr std::size_t ahead = 24;
  for (std::size_t i = 0; i < run_.size() && i < ahead; ++i) prefetch_for_write(run_[i].entry);
  for (std::size_t i = 0; i < run_.size(); ++i) {
    if (i + ahead < run_.size()) prefetch_for_write(run_[i + ahead].entry);
    run_[i].entry->where_ = reinterpret_cast<std::uintptr_t>(&run_[i].entry) | tag_pending;
  }
}

// The run's first live record (dropping cancelled ones), or null when it is used up.
inline timer_wheel_core::run_item* timer_wheel_core::run_front() noexcept {
  while (run_head_ < run_.size() && run_[run_head_].entry == nullptr) {
    ++run_head_;
    --dead_;
  }
  if (run_head_ < run_.size()) return &run_[run_head_];
  if (!run_.empty()) {
    run_.clear();
    run_head_ = 0;
    if (run_.capacity() > kept_capacity()) run_ = {};
  }
  return nullptr;
}

// The slot starting at `start` (== cur_) is partly due: re-place its records lower.
inline void timer_wheel_core::cascade(record_list list, std::uint64_t start,
                                      std::vector<entry_ptr>& out) noexcept {
  if (list.tail == nullptr) return;
  const std::uint64_t high = start & ~std::uint64_t{0xFFFF'FFFFu};
  // Each re-placed entry is told where its record went: a write to a random entry.
  // Prefetch `ahead` records ahead, across chunk boundaries, so the misses overlap.
  constexpr std::uint32_t ahead = 24;
  {
    const chunk& first = *list.tail->next;
    for (std::uint32_t i = 0; i < first.count && i < ahead; ++i)
      if (first.entries()[i] != nullptr) prefetch_for_write(first.entries()[i]);
  }
  consume(list, [&](chunk& c) {
    // Locals: place() writes records elsewhere, which the compiler cannot tell apart.
    const chunk* next = c.next; // null for the last chunk (consume unrolled the circle)
    const std::uint32_t count = c.count;
    const std::uint32_t next_count = next != nullptr ? next->count : 0;
    const entry_ptr* const entries = c.entries();
    const std::uint32_t* const dues = c.dues();
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t j = i + ahead;
      const entry_ptr later = j < count                    ? entries[j]
                              : j - count < next_count ? next->entries()[j - count]
                                                       : nullptr;
      if (later != nullptr) prefetch_for_write(later);
      entry_ptr e = entries[i];
      if (e == nullptr) {
        --dead_;
        continue;
      }
      const std::uint64_t due = high | dues[i];
      if (due == cur_) { // due at the slot's start: fires now, in insertion order
        out.push_back(e);
        --size_;
      } else {
        place(e, due);
      }
    }
  });
}

inline void timer_wheel_core::hand_out_overdue(std::vector<entry_ptr>& out) noexcept {
  std::vector<std::pair<std::uint64_t, entry_ptr>> due;
  consume(std::exchange(overdue_, record_list{}), [&](chunk& c) {
    for (std::uint32_t i = 0; i < c.count; ++i) {
      if (c.entries()[i] != nullptr) due.emplace_back(c.entries()[i]->due_, c.entries()[i]);
      else --dead_;
    }
  });
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) noexcept { return a.first < b.first; });
  for (const auto& d : due) out.push_back(d.second);
  size_ -= due.size();
}

// The levels are empty and cur_ moved to the overflow's earliest block: re-place it.
inline void timer_wheel_core::replace_overflow(std::vector<entry_ptr>& out) noexcept {
  consume(std::exchange(overflow_, record_list{}), [&](chunk& c) {
    for (std::uint32_t i = 0; i < c.count; ++i) {
      entry_ptr e = c.entries()[i];
      if (e == nullptr) {
        --dead_;
      } else if (e->due_ == cur_) {
        out.push_back(e);
        --size_;
      } else {
        place(e, e->due_);
      }
    }
  });
}

inline std::optional<std::uint64_t> timer_wheel_core::min_due(const record_list& list,
                                                              bool from_entries,
                                                              std::uint64_t high) const noexcept {
  std::uint64_t m = ~std::uint64_t{0};
  bool any = false;
  if (list.tail == nullptr) return std::nullopt;
  const chunk* c = list.tail->next;
  for (;;) {
    for (std::uint32_t i = 0; i < c->count; ++i) {
      if (c->entries()[i] == nullptr) continue;
      const std::uint64_t due = from_entries ? c->entries()[i]->due_ : (high | c->dues()[i]);
      if (due < m) m = due;
      any = true;
    }
    if (c == list.tail) break;
    c = c->next;
  }
  if (!any) return std::nullopt;
  return m;
}

inline void timer_wheel_core::drop_dead(record_list& list) noexcept {
  consume(std::exchange(list, record_list{}), [&](chunk& c) {
    WEBHOOKD_ASSERT(std::all_of(c.entries(), c.entries() + c.count, [](entry_ptr e) { return e == nullptr; }));
    dead_ -= c.count;
  });
}

inline void timer_wheel_core::expire(timestamp now, std::vector<entry_ptr>& out) noexcept {
  const std::uint64_t until = std::max(to_key(now), cur_);
  const std::size_t first = out.size();

  // Entries inserted in the past are due before anything in the levels.
  if (!overdue_.empty()) hand_out_overdue(out);

  for (;;) {
    // The run's front and the earliest non-empty slot (lowest level, then lowest slot)
    // compete: the run goes first at equal due times (its entries were inserted
    // before cur_ entered their slot, so before any entry of a lower slot).
    const run_item* r = run_front();
    int level = 0;
    std::size_t index = slots_per_level;
    for (; level < levels; ++level)
      if ((index = first_slot(level)) < slots_per_level) break;
    if (level == levels) {
      if (r != nullptr) { // the run is earlier than the overflow (its block is cur_'s)
        if (r->due > until) break;
        out.push_back(r->entry);
        ++run_head_;
        --size_;
        continue;
      }
      if (overflow_.empty()) break;
      const std::optional<std::uint64_t> m = min_due(overflow_, true, 0);
      if (!m) { // only cancelled records
        drop_dead(overflow_);
        break;
      }
      // Jump straight to the block of the earliest far entry: nothing is due before.
      const std::uint64_t start = *m & ~((std::uint64_t{1} << horizon_bits) - 1);
      if (start > until) break;
      cur_ = start;
      replace_overflow(out);
      continue;
    }
    const std::uint64_t start = slot_start(cur_, level, index);
    if (r != nullptr && r->due <= start) {
      if (r->due > until) break;
      out.push_back(r->entry);
      ++run_head_;
      --size_;
      continue;
    }
    if (start > until) break;
    const std::uint64_t last = start + ((std::uint64_t{1} << (level * level_bits)) - 1);
    clear_occupied(level, index);
    record_list list = std::exchange(slot(level, index), record_list{});
    if (last <= until && (r == nullptr || r->due > last)) {
      // The whole slot is due, and before the run. Moving cur_ to its end keeps every
      // other entry's placement valid: they are all in later slots of this level or above.
      const std::size_t before = out.size();
      hand_out_slot(list, level, out);
      size_ -= out.size() - before;
      cur_ = last;
    } else {
      // No entry is due in (cur_, start), so moving there keeps every other entry's
      // placement valid (see the comment at the top). A slot that holds `until` (or the
      // run's front) is split: sorted into the run when it is small and there is none,
      // otherwise cascaded into finer slots.
      cur_ = start;
      if (r == nullptr && level <= run_max_level && records_in(list) <= run_max_records)
        make_run(list, level, start);
      else
        cascade(list, start, out);
    }
  }
  // Every pending entry is due after `until`; moving cur_ there changes no placement.
  cur_ = until;
  if (out.size() != first) next_valid_ = false; // cascades and tombstones move no minimum

  // Tell each entry handed out where its cell is, now that the array no longer grows
  // (prefetched: the misses overlap, and bring the entries in for the caller).
  constexpr std::size_t ahead = 24;
  for (std::size_t i = first; i < out.size() && i < first + ahead; ++i) prefetch_for_write(out[i]);
  for (std::size_t i = first; i < out.size(); ++i) {
    if (i + ahead < out.size()) prefetch_for_write(out[i + ahead]);
    out[i]->where_ = reinterpret_cast<std::uintptr_t>(&out[i]) | tag_expired;
  }
  trim_pool();
}

inline std::uint64_t timer_wheel_core::compute_next() noexcept {
  if (!overdue_.empty()) {
    if (const auto m = min_due(overdue_, true, 0)) return *m;
    drop_dead(overdue_);
  }
  const run_item* r = run_front();
  for (int level = 0; level < levels; ++level) {
    for (std::size_t index; (index = first_slot(level)) < slots_per_level;) {
      record_list& list = slot(level, index);
      const std::uint64_t start = slot_start(cur_, level, index);
      if (r != nullptr && r->due <= start) return r->due;
      if (const auto m = min_due(list, false, start & ~std::uint64_t{0xFFFF'FFFFu})) {
        const std::uint64_t slot_min = level == 0 ? start : *m;
        return r != nullptr ? std::min(r->due, slot_min) : slot_min;
      }
      drop_dead(list);
      clear_occupied(level, index);
    }
  }
  if (r != nullptr) return r->due;
  const auto m = min_due(overflow_, true, 0);
  WEBHOOKD_ASSERT(m.has_value()); // size_ > 0: some record is live
  return m.value_or(~std::uint64_t{0});
}

inline std::optional<timestamp> timer_wheel_core::next_expiry() noexcept {
  if (size_ == 0) return std::nullopt;
  if (!next_valid_) {
    next_ = compute_next();
    next_valid_ = true;
  }
  return from_key(next_);
}

// Rewrites a list without its tombstones (telling moved entries where they went);
// returns whether it still has records.
inline bool timer_wheel_core::compact(record_list& list) noexcept {
  if (list.tail == nullptr) return false;
  chunk* first = list.tail->next;
  chunk* w = first; // write position: chunk w, index wi
  std::uint32_t wi = 0;
  chunk* r = first;
  for (;;) {
    const bool last_chunk = r == list.tail;
    for (std::uint32_t i = 0; i < r->count; ++i) {
      entry_ptr e = r->entries()[i];
      if (e == nullptr) continue;
      if (wi == w->capacity) {
        w = w->next;
        wi = 0;
      }
      if (w != r || wi != i) {
        w->entries()[wi] = e;
        w->dues()[wi] = r->dues()[i];
        e->where_ = reinterpret_cast<std::uintptr_t>(&w->entries()[wi]) | tag_pending;
      }
      ++wi;
    }
    if (last_chunk) break;
    r = r->next;
  }
  // Chunks after w are empty now; w keeps wi records.
  chunk* c = w->next;
  while (c != first) {
    chunk* next = c->next;
    free_chunk(c);
    c = next;
  }
  if (wi == 0) { // w == first: nothing live
    free_chunk(w);
    list.tail = nullptr;
    return false;
  }
  w->count = wi;
  w->next = first;
  list.tail = w;
  return true;
}

inline void timer_wheel_core::compact() noexcept {
  for (int level = 0; level < levels; ++level) {
    for (std::size_t w = 0; w < slots_per_level / 64; ++w) {
      for (std::uint64_t bits = occupied_[static_cast<std::size_t>(level)][w]; bits != 0;
           bits &= bits - 1) {
        const std::size_t index = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        if (!compact(slot(level, index))) clear_occupied(level, index);
      }
    }
  }
  compact(overdue_);
  compact(overflow_);
  std::size_t w = 0; // the run, in place
  for (std::size_t i = run_head_; i < run_.size(); ++i) {
    if (run_[i].entry == nullptr) continue;
    if (w != i) {
      run_[w] = run_[i];
      run_[w].entry->where_ = reinterpret_cast<std::uintptr_t>(&run_[w].entry) | tag_pending;
    }
    ++w;
  }
  run_.resize(w);
  run_head_ = 0;
  dead_ = 0;
  trim_pool();
}

inline void timer_wheel_core::clear() noexcept {
  const auto drop = [this](record_list& list) noexcept {
    consume(std::exchange(list, record_list{}), [](chunk& c) {
      for (std::uint32_t i = 0; i < c.count; ++i)
        if (c.entries()[i] != nullptr) c.entries()[i]->where_ = where_idle;
    });
  };
  for (int level = 0; level < levels; ++level) {
    for (std::size_t index; (index = first_slot(level)) < slots_per_level;) {
      drop(slot(level, index));
      clear_occupied(level, index);
    }
  }
  drop(overdue_);
  drop(overflow_);
  for (std::size_t i = run_head_; i < run_.size(); ++i)
    if (run_[i].entry != nullptr) run_[i].entry->where_ = where_idle;
  run_ = {};
  run_head_ = 0;
  size_ = 0;
  dead_ = 0;
  next_valid_ = true;
  for (std::size_t k = 0; k < pool_.size(); ++k) {
    while (pool_[k] != nullptr) {
      chunk* c = pool_[k];
      pool_[k] = c->next;
      ::operator delete(c);
    }
    pooled_[k] = 0;
  }
  sort_a_ = {};
  sort_b_ = {};
}

} // namespace detail

} // namespace webhookd::schedule

#endif // WEBHOOKD_SCHEDULE_TIMER_WHEEL_HPP
