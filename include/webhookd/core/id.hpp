// SPDX-License-Identifier: MIT
// Resource ids: opaque strings that sort (as bytes) in creation order.
#ifndef WEBHOOKD_CORE_ID_HPP
#define WEBHOOKD_CORE_ID_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/time.hpp>

#include <array>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace webhookd {

/** Makes resource ids that sort lexicographically in creation order.

    An id is 26 characters of Crockford base32 (`0-9A-Z` without `I L O U`) encoding
    128 bits: 48 bits of milliseconds since the Unix epoch, then 80 bits that are
    random for the first id of a millisecond and incremented for every further id in
    the same millisecond (the ULID layout). So ids from one generator strictly increase
    even when many are made per millisecond or the clock steps back, and ids made by
    different processes sharing one database still sort by creation time to the
    millisecond. Clients must treat ids as opaque strings (SPEC.md Part 2 §1.10);
    ids that webhookd did not make (`"12"`, a UUID) are accepted everywhere.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Safe.
*/
class id_generator {
public:
  /// Length of every id this generator makes.
  static constexpr std::size_t length = 26;

  id_generator() : rng_(std::random_device{}()) {}

  /// Seeds the random part, for reproducible tests.
  explicit id_generator(std::uint64_t seed) : rng_(seed) {}

  /// A new id for a resource created at `now`.
  std::string next(timestamp now) {
    std::uint64_t ms = static_cast<std::uint64_t>(now.time_since_epoch().count());
    std::uint64_t hi, lo; // 16 + 64 bits of the counter part
    {
      std::lock_guard lock(mutex_);
      if (ms <= last_ms_) {
        // Same millisecond, or the clock went back: stay on the last one and count up.
        ms = last_ms_;
        if (++lo_ == 0) ++hi_;
      } else {
        last_ms_ = ms;
        lo_ = rng_();
        hi_ = rng_() & 0x7FFF; // top bit clear leaves room to count up without overflow
      }
      hi = hi_;
      lo = lo_;
    }
    // 128 bits: [48 ms][16 hi][64 lo], written 5 bits at a time from the top (130 bits
    // with two leading zero bits).
    static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const std::uint64_t top = (ms << 16) | (hi & 0xFFFF);
    std::string id(length, '0');
    for (std::size_t i = 0; i < length; ++i) {
      const int bit = 125 - static_cast<int>(i) * 5; // position of the chunk's low bit
      std::uint64_t chunk;
      if (bit >= 64) {
        chunk = top >> (bit - 64);
      } else if (bit + 5 <= 64) {
        chunk = lo >> bit;
      } else { // straddles the two words
        chunk = (top << (64 - bit)) | (lo >> bit);
      }
      id[i] = alphabet[chunk & 31];
    }
    return id;
  }

private:
  std::mutex mutex_;
  std::mt19937_64 rng_;
  std::uint64_t last_ms_ = 0;
  std::uint64_t hi_ = 0;
  std::uint64_t lo_ = 0;
};

} // namespace webhookd

#endif // WEBHOOKD_CORE_ID_HPP
