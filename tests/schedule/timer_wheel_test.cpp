#include <webhookd/schedule/timer_wheel.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using webhookd::timestamp;
using std::chrono::milliseconds;

struct item : webhookd::schedule::timer_wheel_entry {
  int id = 0;
};

using wheel_t = webhookd::schedule::timer_wheel<item>;

// 2025-01-01T00:00:00Z: a realistic start, not aligned to any level of the wheel
// beyond its own low bits.
constexpr timestamp t0{1735689600000ms};

std::vector<item> make_items(std::size_t n) {
  std::vector<item> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i].id = static_cast<int>(i);
  return items;
}

// Fires everything due at `now`, returning (id, due) pairs in firing order.
std::vector<int> fire(wheel_t& wheel, timestamp now) {
  std::vector<int> ids;
  wheel.expire(now, [&](item& e) { ids.push_back(e.id); });
  return ids;
}

TEST(timer_wheel, hook_is_at_most_32_bytes) {
  EXPECT_LE(sizeof(webhookd::schedule::timer_wheel_entry), 32u);
  EXPECT_GE(wheel_t::horizon, milliseconds{std::chrono::days{60}});
}

TEST(timer_wheel, empty_wheel_has_no_expiry) {
  wheel_t wheel(t0);
  EXPECT_TRUE(wheel.empty());
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_EQ(wheel.next_expiry(), std::nullopt);
  EXPECT_TRUE(wheel.expire(t0 + 1h).empty());
  EXPECT_EQ(wheel.now(), t0 + 1h);
}

TEST(timer_wheel, fires_exactly_at_due_time_not_before) {
  auto items = make_items(1);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 1234ms);
  EXPECT_TRUE(items[0].pending());
  EXPECT_EQ(items[0].due(), t0 + 1234ms);
  EXPECT_TRUE(fire(wheel, t0 + 1233ms).empty());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(fire(wheel, t0 + 1234ms), std::vector<int>{0});
  EXPECT_FALSE(items[0].scheduled());
  EXPECT_TRUE(wheel.empty());
}

TEST(timer_wheel, insert_returns_true_only_for_a_new_earliest) {
  auto items = make_items(5);
  wheel_t wheel(t0);
  EXPECT_TRUE(wheel.insert(items[0], t0 + 10s));  // first: arm
  EXPECT_FALSE(wheel.insert(items[1], t0 + 20s)); // later: the armed timer is in time
  EXPECT_FALSE(wheel.insert(items[2], t0 + 10s)); // equal: still in time
  EXPECT_TRUE(wheel.insert(items[3], t0 + 5s));   // earlier: re-arm
  EXPECT_EQ(wheel.next_expiry(), t0 + 5s);
  EXPECT_TRUE(wheel.insert(items[4], t0 - 5s));   // in the past: re-arm (fires at once)
  EXPECT_EQ(wheel.next_expiry(), t0 - 5s);
  wheel.clear();
  EXPECT_TRUE(wheel.insert(items[0], t0 + 1h)); // empty again: arm
}

TEST(timer_wheel, insert_after_cancelling_the_earliest_never_misses) {
  auto items = make_items(3);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 1s);
  wheel.insert(items[1], t0 + 3s);
  EXPECT_TRUE(wheel.cancel(items[0]));
  // The earliest is gone: the wheel cannot tell cheaply whether 2 s is a new
  // earliest, so it may ask for a redundant re-arm, but never a missed one.
  EXPECT_TRUE(wheel.insert(items[2], t0 + 2s));
  EXPECT_EQ(wheel.next_expiry(), t0 + 2s);
  wheel.cancel(items[2]);
  EXPECT_EQ(wheel.next_expiry(), t0 + 3s);
  EXPECT_FALSE(wheel.insert(items[2], t0 + 4s)); // known again after next_expiry()
  wheel.clear();
}

TEST(timer_wheel, cancel_pending_entry) {
  auto items = make_items(3);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 5ms);
  wheel.insert(items[1], t0 + 5ms);
  wheel.insert(items[2], t0 + 7h);
  EXPECT_TRUE(wheel.cancel(items[1]));
  EXPECT_FALSE(items[1].scheduled());
  EXPECT_FALSE(wheel.cancel(items[1])); // twice: nothing to do
  EXPECT_TRUE(wheel.cancel(items[2]));
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(fire(wheel, t0 + 30h), std::vector<int>{0});
  EXPECT_FALSE(wheel.cancel(items[0])); // already fired
}

TEST(timer_wheel, cancel_last_entry_of_a_slot_clears_it) {
  auto items = make_items(2);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 3s);
  wheel.insert(items[1], t0 + 9s);
  wheel.cancel(items[0]);
  EXPECT_EQ(wheel.next_expiry(), t0 + 9s);
  EXPECT_EQ(fire(wheel, t0 + 9s), std::vector<int>{1});
}

TEST(timer_wheel, cancel_in_expiry_callback_skips_the_cancelled_entry) {
  auto items = make_items(4);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 10ms);
  wheel.insert(items[1], t0 + 10ms); // same due time, same slot
  wheel.insert(items[2], t0 + 20ms); // due in the same expire, later slot
  wheel.insert(items[3], t0 + 30ms);
  std::vector<int> seen;
  wheel.expire(t0 + 30ms, [&](item& e) {
    seen.push_back(e.id);
    if (e.id == 0) {
      EXPECT_TRUE(wheel.cancel(items[1]));  // waiting in the same expire: skipped
      EXPECT_TRUE(wheel.cancel(items[2]));
      EXPECT_FALSE(wheel.cancel(items[0])); // itself: already idle
    }
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 3}));
  EXPECT_TRUE(wheel.empty());
}

TEST(timer_wheel, cancel_while_iterating_an_expired_list) {
  auto items = make_items(3);
  wheel_t wheel(t0);
  for (auto& it : items) wheel.insert(it, t0 + std::chrono::milliseconds{it.id + 1});
  auto due = wheel.expire(t0 + 1s);
  EXPECT_TRUE(items[1].scheduled());
  EXPECT_FALSE(items[1].pending());
  EXPECT_EQ(due.front().id, 0);
  EXPECT_TRUE(wheel.cancel(items[1]));
  std::vector<int> seen;
  while (item* e = due.pop_front()) seen.push_back(e->id);
  EXPECT_EQ(seen, (std::vector<int>{0, 2}));
}

TEST(timer_wheel, dropping_an_expired_list_makes_entries_idle) {
  auto items = make_items(3);
  {
    wheel_t::expired_list kept;
    {
      wheel_t wheel(t0);
      for (auto& it : items) wheel.insert(it, t0 + 1s);
      kept = wheel.expire(t0 + 1s);
    } // the list outlives the wheel
    EXPECT_EQ(kept.front().id, 0);
    EXPECT_EQ(kept.pop_front()->id, 0);
  }
  for (auto& it : items) EXPECT_FALSE(it.scheduled());
}

TEST(timer_wheel, reschedule_in_callback_makes_a_periodic_timer) {
  auto items = make_items(1);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 100ms);
  std::vector<timestamp> fired;
  for (timestamp now = t0; now <= t0 + 1s; now += 1ms) {
    wheel.expire(now, [&](item& e) {
      fired.push_back(now);
      wheel.insert(e, now + 100ms); // re-inserting the entry being handled is allowed
    });
  }
  ASSERT_EQ(fired.size(), 10u);
  for (std::size_t i = 0; i < fired.size(); ++i)
    EXPECT_EQ(fired[i], t0 + 100ms * static_cast<int>(i + 1));
  wheel.clear();
}

TEST(timer_wheel, insert_due_now_in_callback_fires_at_the_next_expire) {
  auto items = make_items(2);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 1s);
  const auto seen = fire(wheel, t0 + 1s);
  EXPECT_EQ(seen, std::vector<int>{0});
  std::size_t visited = wheel.expire(t0 + 2s, [&](item&) {});
  EXPECT_EQ(visited, 0u);
  wheel.insert(items[0], t0 + 3s);
  visited = wheel.expire(t0 + 3s, [&](item& e) {
    EXPECT_EQ(e.id, 0);
    wheel.insert(items[1], t0); // in the past: not in this expire
  });
  EXPECT_EQ(visited, 1u);
  EXPECT_TRUE(items[1].pending());
  EXPECT_EQ(fire(wheel, t0 + 3s), std::vector<int>{1});
}

TEST(timer_wheel, reschedule_moves_a_pending_entry) {
  auto items = make_items(2);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 10s);
  wheel.insert(items[1], t0 + 20s);
  // Moving the earliest away: the timer armed for 10 s fires early (harmless); the
  // wheel asks for a re-arm because it no longer knows the earliest for free.
  EXPECT_TRUE(wheel.reschedule(items[0], t0 + 30s));
  EXPECT_EQ(wheel.next_expiry(), t0 + 20s);
  EXPECT_FALSE(wheel.reschedule(items[0], t0 + 40s)); // not the earliest: no re-arm
  EXPECT_TRUE(wheel.reschedule(items[0], t0 + 5s));
  EXPECT_EQ(wheel.size(), 2u);
  EXPECT_EQ(fire(wheel, t0 + 10s), std::vector<int>{0});
  EXPECT_EQ(fire(wheel, t0 + 20s), std::vector<int>{1});
  EXPECT_TRUE(wheel.reschedule(items[1], t0 + 25s)); // idle: a plain insert
  EXPECT_EQ(fire(wheel, t0 + 1h), std::vector<int>{1});
}

TEST(timer_wheel, entries_are_reinsertable_after_firing_and_cancel) {
  auto items = make_items(1);
  wheel_t wheel(t0);
  for (int round = 0; round < 3; ++round) {
    const timestamp base = wheel.now();
    wheel.insert(items[0], base + 1h);
    wheel.cancel(items[0]);
    wheel.insert(items[0], base + 2h);
    EXPECT_TRUE(fire(wheel, base + 2h - 1ms).empty());
    EXPECT_EQ(fire(wheel, base + 2h), std::vector<int>{0});
  }
}

TEST(timer_wheel, level_cascade_fires_each_level_on_time) {
  // One entry per level of the wheel and beyond, reached both in small steps and in
  // one jump.
  const std::vector<milliseconds> delays{1ms,  63ms, 64ms, 4095ms, 4096ms, 5min,
                                         4h,   5h,   10 * 24h, 13 * 24h, 59 * 24h,
                                         200 * 24h};
  for (const bool stepwise : {true, false}) {
    auto items = make_items(delays.size());
    wheel_t wheel(t0);
    for (std::size_t i = 0; i < delays.size(); ++i) wheel.insert(items[i], t0 + delays[i]);
    std::vector<std::pair<int, timestamp>> fired;
    if (stepwise) {
      // Wake exactly when the wheel says: that is how the engine drives it.
      while (auto next = wheel.next_expiry()) {
        wheel.expire(*next, [&](item& e) { fired.emplace_back(e.id, *next); });
      }
    } else {
      wheel.expire(t0 + 365 * 24h, [&](item& e) { fired.emplace_back(e.id, e.due()); });
    }
    ASSERT_EQ(fired.size(), delays.size());
    for (std::size_t i = 0; i < delays.size(); ++i) {
      EXPECT_EQ(fired[i].first, static_cast<int>(i));
      EXPECT_EQ(fired[i].second, t0 + delays[i]);
    }
  }
}

TEST(timer_wheel, cascade_boundaries_one_millisecond_apart) {
  // Due times straddling every level boundary of the wheel's own bit layout.
  wheel_t wheel(t0);
  std::vector<milliseconds> delays;
  for (int bits = 6; bits <= 36; bits += 6) {
    const std::int64_t span = std::int64_t{1} << bits;
    for (std::int64_t d : {span - 1, span, span + 1}) delays.push_back(milliseconds{d});
  }
  auto items = make_items(delays.size());
  for (std::size_t i = 0; i < delays.size(); ++i) wheel.insert(items[i], t0 + delays[i]);
  std::size_t n = 0;
  while (auto next = wheel.next_expiry()) {
    EXPECT_EQ(*next, t0 + delays[n]);
    EXPECT_TRUE(fire(wheel, *next - 1ms).empty());
    EXPECT_EQ(fire(wheel, *next), std::vector<int>{static_cast<int>(n)});
    ++n;
  }
  EXPECT_EQ(n, delays.size());
}

TEST(timer_wheel, past_and_negative_due_fire_at_next_expire_in_due_order) {
  auto items = make_items(6);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 1ms);                  // future
  wheel.insert(items[1], t0 - 5s);                   // past
  wheel.insert(items[2], t0);                        // exactly now
  wheel.insert(items[3], t0 - 1h);                   // further past
  wheel.insert(items[4], timestamp::min());          // the most negative
  wheel.insert(items[5], t0 - 5s);                   // tie with item 1: after it
  EXPECT_EQ(wheel.next_expiry(), timestamp::min());
  EXPECT_EQ(fire(wheel, t0), (std::vector<int>{4, 3, 1, 5, 2}));
  EXPECT_EQ(fire(wheel, t0 + 1ms), std::vector<int>{0});
}

TEST(timer_wheel, clock_stepping_back_does_not_move_the_wheel_back) {
  auto items = make_items(2);
  wheel_t wheel(t0);
  wheel.insert(items[0], t0 + 10s);
  EXPECT_TRUE(fire(wheel, t0 + 5s).empty());
  EXPECT_TRUE(fire(wheel, t0 + 1s).empty()); // a clock stepping back
  EXPECT_EQ(wheel.now(), t0 + 5s);
  wheel.insert(items[1], t0 + 3s); // before the wheel's time: overdue
  EXPECT_EQ(fire(wheel, t0 + 2s), std::vector<int>{1});
  EXPECT_EQ(fire(wheel, t0 + 10s), std::vector<int>{0});
}

TEST(timer_wheel, far_future_beyond_the_horizon_fires_exactly_on_time) {
  auto items = make_items(3);
  wheel_t wheel(t0);
  const timestamp far = t0 + 5 * 365 * 24h + 123ms; // > 795 days: overflow, cascaded
  const timestamp farther = far + 400 * 24h + 1ms;
  wheel.insert(items[0], far);
  wheel.insert(items[1], farther);
  wheel.insert(items[2], timestamp::max());
  EXPECT_EQ(wheel.next_expiry(), far);
  // Walk there with many intermediate wake-ups (every 10 days), then arrive.
  for (timestamp now = t0; now < far - 1ms; now += 10 * 24h) {
    EXPECT_TRUE(fire(wheel, now).empty());
    EXPECT_EQ(wheel.next_expiry(), far);
  }
  EXPECT_TRUE(fire(wheel, far - 1ms).empty());
  EXPECT_EQ(fire(wheel, far), std::vector<int>{0});
  EXPECT_EQ(wheel.next_expiry(), farther);
  EXPECT_TRUE(fire(wheel, farther - 1ms).empty()); // one jump of 400 days
  EXPECT_EQ(fire(wheel, farther), std::vector<int>{1});
  EXPECT_EQ(wheel.next_expiry(), timestamp::max());
  EXPECT_TRUE(fire(wheel, timestamp::max() - 1ms).empty());
  EXPECT_EQ(fire(wheel, timestamp::max()), std::vector<int>{2});
}

TEST(timer_wheel, many_entries_in_one_slot_fire_in_insertion_order) {
  auto items = make_items(10000);
  wheel_t wheel(t0);
  // Reversed insertion order, one due time: insertion order wins.
  for (std::size_t i = items.size(); i-- > 0;) wheel.insert(items[i], t0 + 3h);
  std::vector<int> seen = fire(wheel, t0 + 3h);
  ASSERT_EQ(seen.size(), items.size());
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], static_cast<int>(items.size() - 1 - i));
}

TEST(timer_wheel, many_due_times_in_one_upper_slot_fire_in_due_order) {
  auto items = make_items(1000);
  wheel_t wheel(t0 - (t0.time_since_epoch() % (std::int64_t{1} << 24)));
  // All in one level-3 slot (2^18 ms wide), inserted in a scrambled order.
  const timestamp base = wheel.now() + milliseconds{std::int64_t{1} << 19};
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t k = (i * 389) % items.size();
    wheel.insert(items[k], base + milliseconds{static_cast<std::int64_t>(k * 200)});
  }
  EXPECT_EQ(wheel.next_expiry(), base);
  std::vector<int> seen = fire(wheel, base + 1h);
  ASSERT_EQ(seen.size(), items.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int>(i));
}

TEST(timer_wheel, next_expiry_is_exact_across_levels) {
  std::mt19937_64 rng(7);
  auto items = make_items(500);
  wheel_t wheel(t0);
  std::multimap<timestamp, int> model;
  for (auto& it : items) {
    const timestamp due = t0 + milliseconds{static_cast<std::int64_t>(rng() % (90ull * 86400000))};
    wheel.insert(it, due);
    model.emplace(due, it.id);
    EXPECT_EQ(wheel.next_expiry(), model.begin()->first);
  }
  // Cancel the earliest repeatedly: the next one is found exactly every time.
  while (!model.empty()) {
    const auto first = model.begin();
    EXPECT_EQ(wheel.next_expiry(), first->first);
    wheel.cancel(items[static_cast<std::size_t>(first->second)]);
    model.erase(first);
  }
  EXPECT_EQ(wheel.next_expiry(), std::nullopt);
}

TEST(timer_wheel, destroying_the_wheel_in_a_callback) {
  auto wheel = std::make_unique<wheel_t>(t0);
  auto items = make_items(3);
  for (auto& it : items) wheel->insert(it, t0 + 1s);
  std::vector<int> seen;
  wheel->expire(t0 + 1s, [&](item& e) {
    seen.push_back(e.id);
    wheel.reset(); // the remaining due entries are still handed out
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

TEST(timer_wheel, clear_and_destruction_make_entries_idle) {
  auto items = make_items(4);
  {
    wheel_t wheel(t0);
    wheel.insert(items[0], t0 - 1s);
    wheel.insert(items[1], t0 + 1s);
    wheel.insert(items[2], t0 + 3000 * 24h);
    wheel.clear();
    EXPECT_TRUE(wheel.empty());
    for (auto& it : items) EXPECT_FALSE(it.scheduled());
    wheel.insert(items[3], t0 + 1min);
  }
  EXPECT_FALSE(items[3].scheduled());
}

TEST(timer_wheel, a_wheel_started_at_the_epoch_reaches_today) {
  wheel_t wheel; // started at 1970: the first expire cascades through 55 years
  auto items = make_items(2);
  wheel.insert(items[0], t0 + 1s);
  wheel.insert(items[1], t0 + 2s);
  EXPECT_TRUE(fire(wheel, t0).empty());
  EXPECT_EQ(wheel.next_expiry(), t0 + 1s);
  EXPECT_EQ(fire(wheel, t0 + 2s), (std::vector<int>{0, 1}));
}

TEST(timer_wheel, hook_is_16_bytes) {
  // The wheel keeps a 12-byte record per pending entry; the hook is the rest.
  EXPECT_LE(sizeof(webhookd::schedule::timer_wheel_entry), 16u);
  EXPECT_EQ(wheel_t::level_bits * wheel_t::levels, wheel_t::horizon_bits);
}

TEST(timer_wheel, a_cancelled_entry_may_be_destroyed_at_once) {
  // The wheel keeps no reference to a cancelled entry, pending or expired: the
  // sanitizer build checks that nothing touches the freed entries afterwards.
  wheel_t wheel(t0);
  std::vector<std::unique_ptr<item>> owned;
  for (int i = 0; i < 300; ++i) {
    owned.push_back(std::make_unique<item>());
    owned.back()->id = i;
    wheel.insert(*owned.back(), t0 + milliseconds{(i % 3) * 5000 + (i % 7)}); // shared slots
  }
  for (int i = 0; i < 300; i += 2) {
    EXPECT_TRUE(wheel.cancel(*owned[static_cast<std::size_t>(i)]));
    owned[static_cast<std::size_t>(i)].reset();
  }
  EXPECT_EQ(wheel.size(), 150u);
  auto due = wheel.expire(t0 + 5000ms);
  // Cancel and destroy entries waiting in the expired list, too.
  for (int i = 1; i < 300; i += 4) {
    item& e = *owned[static_cast<std::size_t>(i)];
    if (e.scheduled() && !e.pending()) {
      EXPECT_TRUE(wheel.cancel(e));
      owned[static_cast<std::size_t>(i)].reset();
    }
  }
  std::vector<int> seen;
  while (item* e = due.pop_front()) seen.push_back(e->id);
  for (const int id : seen) EXPECT_TRUE(owned[static_cast<std::size_t>(id)] != nullptr);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(), [&](int a, int b) {
    return owned[static_cast<std::size_t>(a)]->due() < owned[static_cast<std::size_t>(b)]->due();
  }));
  wheel.expire(t0 + 1h, [&](item& e) { EXPECT_TRUE(owned[static_cast<std::size_t>(e.id)] != nullptr); });
  EXPECT_TRUE(wheel.empty());
}

TEST(timer_wheel, next_expiry_skips_slots_left_with_only_cancelled_entries) {
  auto items = make_items(1001);
  wheel_t wheel(t0);
  for (std::size_t i = 0; i < 1000; ++i) wheel.insert(items[i], t0 + 1h + milliseconds{i});
  wheel.insert(items[1000], t0 + 30 * 24h);
  for (std::size_t i = 0; i < 1000; ++i) wheel.cancel(items[i]);
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(wheel.next_expiry(), t0 + 30 * 24h);
  EXPECT_TRUE(fire(wheel, t0 + 30 * 24h - 1ms).empty());
  EXPECT_EQ(fire(wheel, t0 + 30 * 24h), std::vector<int>{1000});
}

TEST(timer_wheel, a_partly_due_slot_merges_with_later_inserts_in_order) {
  // An expire that ends inside a wide slot splits it (sorting it into a run); entries
  // inserted afterwards into the same time range must interleave with it by due time,
  // the earlier insertion first at equal due times, and cancels must still work.
  wheel_t wheel(t0);
  auto items = make_items(60);
  std::map<std::pair<timestamp, int>, int> model; // (due, insertion seq) -> id
  std::vector<std::pair<timestamp, int>> key(items.size());
  int seq = 0;
  const auto insert = [&](int i, timestamp due) {
    wheel.insert(items[static_cast<std::size_t>(i)], due);
    key[static_cast<std::size_t>(i)] = {due, seq++};
    model.emplace(key[static_cast<std::size_t>(i)], i);
  };
  // Fires at `now` and checks the order against the model.
  const auto check_fire = [&](timestamp now) {
    std::vector<int> expected;
    while (!model.empty() && model.begin()->first.first <= now) {
      expected.push_back(model.begin()->second);
      model.erase(model.begin());
    }
    EXPECT_EQ(fire(wheel, now), expected) << "at " << (now - t0).count() << " ms";
  };
  for (int i = 0; i < 30; ++i) insert(i, t0 + 100s + milliseconds{(i * 7919) % 60'000});
  const timestamp mid = t0 + 120s;
  check_fire(mid);
  // Later inserts into the rest of the range, half of them tying with waiting entries.
  for (int i = 30; i < 60; ++i) {
    const timestamp due = i % 2 == 0 ? std::next(model.begin(), (i * 13) % 10)->first.first
                                     : mid + milliseconds{(i * 104729) % 40'000 + 1};
    insert(i, due);
  }
  // Cancel a few, from the split slot and from the later inserts.
  for (const int i : {3, 17, 31, 44}) {
    const bool pending = items[static_cast<std::size_t>(i)].pending();
    EXPECT_EQ(wheel.cancel(items[static_cast<std::size_t>(i)]), pending);
    model.erase(key[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(wheel.size(), model.size());
  // Fire the rest in several steps, exactly at the wheel's next expiry, then in one go.
  for (int step = 0; step < 8 && !model.empty(); ++step) {
    EXPECT_EQ(wheel.next_expiry(), model.begin()->first.first);
    check_fire(*wheel.next_expiry());
  }
  check_fire(t0 + 1h);
  EXPECT_TRUE(wheel.empty());
}

TEST(timer_wheel, many_reschedules_keep_order_and_size_exact) {
  // Rescheduling leaves cancelled records behind; once they outnumber half the
  // pending entries the wheel drops them all (compaction), moving live records.
  // Order and ties must come out exactly as without it.
  constexpr std::size_t n = 4000;
  auto items = make_items(n);
  wheel_t wheel(t0);
  std::mt19937_64 rng(11);
  std::map<std::pair<timestamp, std::uint64_t>, int> model;
  std::vector<std::pair<timestamp, std::uint64_t>> key(n);
  std::uint64_t seq = 0;
  for (std::size_t round = 0; round < 12; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      if (round > 0 && rng() % 3 != 0) continue;
      // Few distinct due times, so ties are common, across several levels.
      const timestamp due = t0 + milliseconds{static_cast<std::int64_t>((rng() % 40) * 977'777)};
      if (round > 0) model.erase(key[i]);
      key[i] = {due, seq++};
      model.emplace(key[i], static_cast<int>(i));
      wheel.reschedule(items[i], due);
      ASSERT_EQ(wheel.size(), model.size());
    }
  }
  EXPECT_EQ(wheel.next_expiry(), model.begin()->first.first);
  std::vector<int> expected;
  for (const auto& [k, id] : model) expected.push_back(id);
  EXPECT_EQ(fire(wheel, t0 + 40 * 977'777ms), expected);
  EXPECT_TRUE(wheel.empty());
}

// ---------------------------------------------------------------------------------
// The wheel against a reference model: a std::map ordered by (due, insertion seq).

class model_check {
public:
  explicit model_check(std::uint64_t seed) : rng_(seed), items_(make_items(n_items)), wheel_(t0) {
    state_.resize(n_items);
  }

  void run(int operations) {
    for (int op = 0; op < operations; ++op) {
      const auto pick = rng_() % 100;
      if (pick < 45) insert_random();
      else if (pick < 60) cancel_random();
      else if (pick < 70) reschedule_random();
      else if (pick < 95) expire_random();
      else check_next_expiry();
      ASSERT_EQ(wheel_.size(), pending_.size());
      if (::testing::Test::HasFailure()) return;
    }
    wheel_.clear();
  }

private:
  static constexpr std::size_t n_items = 1500;
  enum class where { idle, pending, due };
  struct entry_state {
    where at = where::idle;
    std::pair<timestamp, std::uint64_t> key{};
  };

  timestamp random_due() {
    const auto r = rng_() % 100;
    const auto uniform = [&](std::int64_t max) {
      return milliseconds{static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(max))};
    };
    if (r < 30) return now_ + uniform(200);                            // level 0-2
    if (r < 50) return now_ + uniform(86'400'000);                     // a day
    if (r < 62) return now_ + uniform(90ll * 86'400'000);              // the default horizon
    if (r < 70) return now_ + uniform(10ll * 365 * 86'400'000);        // beyond it
    if (r < 78) return now_ - uniform(86'400'000);                     // the past
    if (r < 93) return popular_[rng_() % popular_.size()];             // ties
    if (r < 96) return now_;
    if (r < 98) return timestamp::max();
    return timestamp::min();
  }

  std::size_t random_item() { return static_cast<std::size_t>(rng_() % n_items); }

  void do_insert(std::size_t i, timestamp due) {
    const bool model_arm = pending_.empty() || due < pending_.begin()->first.first;
    const bool arm = wheel_.insert(items_[i], due);
    if (stale_) {
      if (model_arm) {
        EXPECT_TRUE(arm) << "missed re-arm for item " << i;
      }
    } else {
      EXPECT_EQ(arm, model_arm) << "item " << i;
    }
    const auto key = std::make_pair(due, seq_++);
    pending_.emplace(key, i);
    state_[i] = {where::pending, key};
  }

  // Model of wheel.cancel(i); returns what the wheel must answer.
  bool model_cancel(std::size_t i) {
    auto& s = state_[i];
    if (s.at == where::idle) return false;
    if (s.at == where::pending) {
      pending_.erase(s.key);
      stale_ = true;
    }
    s.at = where::idle; // a `due` entry is skipped when its turn comes
    return true;
  }

  void insert_random() {
    const std::size_t i = random_item();
    if (state_[i].at != where::idle) return;
    if (rng_() % 8 == 0) popular_[rng_() % popular_.size()] = now_ + milliseconds{rng_() % 100'000};
    do_insert(i, random_due());
  }

  void cancel_random() {
    const std::size_t i = random_item();
    const bool expected = model_cancel(i);
    EXPECT_EQ(wheel_.cancel(items_[i]), expected);
  }

  void reschedule_random() {
    const std::size_t i = random_item();
    model_cancel(i);
    stale_ = true; // reschedule = cancel + insert
    const timestamp due = random_due();
    pending_.emplace(std::make_pair(due, seq_), i);
    state_[i] = {where::pending, {due, seq_++}};
    wheel_.reschedule(items_[i], due);
  }

  void expire_random() {
    const auto r = rng_() % 100;
    timestamp target = now_;
    if (r < 40) target += milliseconds{rng_() % 100};
    else if (r < 70) target += milliseconds{rng_() % 10'000'000};
    else if (r < 85) target += milliseconds{rng_() % (100ull * 86'400'000)};
    else if (r < 90) target += milliseconds{rng_() % (4000ull * 86'400'000)}; // huge jump
    else if (r < 95) target -= milliseconds{rng_() % 100'000};                // clock back
    else if (auto next = wheel_.next_expiry(); next && *next > now_ && *next != timestamp::max())
      target = *next; // exactly when the wheel says (not to the end of time: no overflow)
    now_ = std::max(now_, target);

    // The model's due list, taken before any callback runs.
    std::vector<std::size_t> due;
    while (!pending_.empty() && pending_.begin()->first.first <= now_) {
      const std::size_t i = pending_.begin()->second;
      pending_.erase(pending_.begin());
      state_[i].at = where::due;
      due.push_back(i);
    }
    std::size_t next_due = 0;
    stale_ = true; // expire may invalidate the wheel's cached earliest due time
    wheel_.expire(target, [&](item& e) {
      const auto i = static_cast<std::size_t>(e.id);
      // Skip what the callbacks cancelled.
      while (next_due < due.size() && state_[due[next_due]].at != where::due) ++next_due;
      ASSERT_LT(next_due, due.size()) << "wheel fired item " << i << " the model did not";
      ASSERT_EQ(i, due[next_due]) << "at " << now_.time_since_epoch().count();
      EXPECT_EQ(e.due(), state_[i].key.first);
      EXPECT_LE(e.due(), now_);
      state_[i].at = where::idle;
      ++next_due;
      // Callbacks exercise the wheel: reinsert this entry, cancel another one.
      const auto action = rng_() % 10;
      if (action == 0) {
        do_insert(i, random_due());
      } else if (action == 1) {
        const std::size_t j = random_item();
        const bool expected = model_cancel(j);
        EXPECT_EQ(wheel_.cancel(items_[j]), expected);
      }
    });
    while (next_due < due.size() && state_[due[next_due]].at != where::due) ++next_due;
    EXPECT_EQ(next_due, due.size()) << "the wheel did not fire every due entry";
    EXPECT_EQ(wheel_.now(), now_);
  }

  void check_next_expiry() {
    const auto next = wheel_.next_expiry();
    if (pending_.empty()) {
      EXPECT_EQ(next, std::nullopt);
    } else {
      EXPECT_EQ(next, pending_.begin()->first.first);
    }
    stale_ = false;
  }

  std::mt19937_64 rng_;
  std::vector<item> items_;
  std::vector<entry_state> state_;
  wheel_t wheel_;
  timestamp now_ = t0;
  std::map<std::pair<timestamp, std::uint64_t>, std::size_t> pending_;
  std::uint64_t seq_ = 0;
  bool stale_ = false;
  std::vector<timestamp> popular_{t0 + 1s, t0 + 1h, t0 + 64ms, t0 + 4096ms};
};

TEST(timer_wheel, randomized_against_a_reference_model) {
  for (const std::uint64_t seed : {1ull, 2ull, 3ull, 20250101ull, 0xC0FFEEull}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    model_check check(seed);
    check.run(100'000);
    if (HasFailure()) return;
  }
}

} // namespace
