// SPDX-License-Identifier: MIT
// What the fuzz targets share: an invariant check that survives NDEBUG, the input's
// leading configuration bytes, and the ways the bytes are cut into reads.
#ifndef WEBHOOKD_FUZZ_FUZZ_SUPPORT_HPP
#define WEBHOOKD_FUZZ_FUZZ_SUPPORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace fuzz {

/// Aborts (a crash libFuzzer records) when an invariant does not hold.
#define WEBHOOKD_FUZZ_CHECK(cond)                                                        \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

/** The input as the targets see it: `config_size` leading bytes that choose limits
    and the split point, then the bytes sent to the parser. Inputs shorter than the
    configuration use default limits and are parsed whole.
*/
struct input {
  static constexpr std::size_t config_size = 4;

  input(const std::uint8_t* data, std::size_t size) noexcept {
    if (size >= config_size) {
      has_config = true;
      for (std::size_t i = 0; i < config_size; ++i) config[i] = data[i];
      data += config_size;
      size -= config_size;
    }
    bytes = std::string_view(reinterpret_cast<const char*>(data), size);
  }

  /// Where the bytes are cut in two: a fraction of their length given by the last
  /// configuration byte (0 cuts nothing off, 255 cuts at the end).
  std::size_t split() const noexcept { return bytes.size() * config[config_size - 1] / 255; }

  bool has_config = false;
  std::uint8_t config[config_size] = {};
  std::string_view bytes;
};

/// Inputs up to this size are also fed one byte per read (a call per byte).
inline constexpr std::size_t bytewise_limit = 1024;

/** The ways the bytes reach the parser, as a connection's reads: in one read (always
    first), in two cut at `split()`, and for inputs up to `bytewise_limit` one byte
    per read. A parser must give the same result whatever the reads.
*/
inline std::vector<std::vector<std::string_view>> read_patterns(const input& in) {
  const std::string_view b = in.bytes;
  const std::size_t at = in.split();
  std::vector<std::vector<std::string_view>> patterns{{b}, {b.substr(0, at), b.substr(at)}};
  if (b.size() <= bytewise_limit) {
    auto& bytewise = patterns.emplace_back();
    bytewise.reserve(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) bytewise.push_back(b.substr(i, 1));
  }
  return patterns;
}

} // namespace fuzz

#endif // WEBHOOKD_FUZZ_FUZZ_SUPPORT_HPP
