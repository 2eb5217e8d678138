#include <webhookd/core/id.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using webhookd::timestamp;

TEST(id, ids_have_a_fixed_length_and_a_url_safe_alphabet) {
  webhookd::id_generator ids;
  const std::string id = ids.next(timestamp{1732000000000ms});
  ASSERT_EQ(id.size(), webhookd::id_generator::length);
  for (char c : id) EXPECT_NE(std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(c), std::string::npos) << id;
}

TEST(id, ids_sort_in_creation_order_within_one_millisecond) {
  webhookd::id_generator ids(42);
  std::vector<std::string> made;
  for (int i = 0; i < 10000; ++i) made.push_back(ids.next(timestamp{1732000000000ms}));
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
}

TEST(id, ids_sort_in_creation_order_across_milliseconds_and_clock_steps_back) {
  webhookd::id_generator ids(7);
  std::vector<std::string> made;
  timestamp t{1732000000000ms};
  for (int i = 0; i < 5000; ++i) {
    t += (i % 7 == 0) ? -3ms : 1ms; // the clock sometimes goes backwards
    made.push_back(ids.next(t));
  }
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
}

TEST(id, later_milliseconds_sort_after_earlier_ones_across_generators) {
  webhookd::id_generator a(1), b(2);
  const std::string first = a.next(timestamp{1732000000000ms});
  const std::string second = b.next(timestamp{1732000000001ms});
  EXPECT_LT(first, second);
  // The time prefix encodes the millisecond: 10 characters cover 48 bits.
  EXPECT_EQ(first.substr(0, 9), second.substr(0, 9));
}

TEST(id, concurrent_callers_get_distinct_ids) {
  webhookd::id_generator ids;
  std::mutex m;
  std::set<std::string> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 2000; ++i) mine.push_back(ids.next(timestamp{1732000000000ms}));
      EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
      std::lock_guard lock(m);
      all.insert(mine.begin(), mine.end());
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(all.size(), 8000u);
}

} // namespace
