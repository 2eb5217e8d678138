// SPDX-License-Identifier: MIT
// Topics: the `resource.action` names of events, subscription patterns and matching.
#ifndef WEBHOOKD_MODEL_TOPIC_HPP
#define WEBHOOKD_MODEL_TOPIC_HPP

#include <webhookd/detail/config.hpp>

#include <cstddef>
#include <string_view>

namespace webhookd::model {

/// The topic of test deliveries (SPEC.md Part 1 §13).
inline constexpr std::string_view ping_topic = "ping";
/// The topic of confirmation events (SPEC.md Part 2 §8).
inline constexpr std::string_view confirmation_topic = "confirmation";
/// The subscription pattern that matches every topic (an extension).
inline constexpr std::string_view all_topics = "*";
/// Longest topic or pattern accepted, in bytes.
inline constexpr std::size_t max_topic_length = 255;

namespace detail {

// [a-z0-9-]+(\.[a-z0-9-]+)*, i.e. one or more dot-separated non-empty segments.
inline constexpr bool is_topic_segments(std::string_view s, std::size_t& segments) noexcept {
  segments = 0;
  if (s.empty()) return false;
  std::size_t length = 0;
  for (const char c : s) {
    if (c == '.') {
      if (length == 0) return false;
      ++segments;
      length = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      ++length;
    } else {
      return false;
    }
  }
  if (length == 0) return false;
  ++segments;
  return true;
}

} // namespace detail

/** True if `topic` names events: `resource.action`, i.e. `[a-z0-9-]+(\.[a-z0-9-]+)+`
    (`employee.created`, `leave-request.updated`), or one of the special topics `ping`
    and `confirmation` (SPEC.md Part 1 §9). Wildcards are not concrete topics.
*/
inline constexpr bool is_concrete_topic(std::string_view topic) noexcept {
  if (topic == ping_topic || topic == confirmation_topic) return true;
  if (topic.size() > max_topic_length) return false;
  std::size_t segments = 0;
  return detail::is_topic_segments(topic, segments) && segments >= 2;
}

/** True if `pattern` is a wildcard subscription: `*` (every topic) or a prefix of one
    or more segments followed by `.*` (`employee.*`, `leave-request.*`). An extension of
    the Lucca API (SPEC.md Part 1 §9).
*/
inline constexpr bool is_wildcard_topic(std::string_view pattern) noexcept {
  if (pattern == all_topics) return true;
  if (pattern.size() > max_topic_length || !pattern.ends_with(".*")) return false;
  std::size_t segments = 0;
  return detail::is_topic_segments(pattern.substr(0, pattern.size() - 2), segments);
}

/// True if `pattern` may appear in an endpoint's `topics`: a concrete topic or a wildcard.
inline constexpr bool is_topic_pattern(std::string_view pattern) noexcept {
  return is_concrete_topic(pattern) || is_wildcard_topic(pattern);
}

/** True if an endpoint subscribed to `pattern` receives events of `topic`.

    - a concrete pattern matches the same topic exactly (`employee.created`);
    - `x.*` matches every topic that starts with `x.` and has at least one more
      segment (`employee.*` matches `employee.created` and `employee.contract.signed`,
      not `employee` nor `employees.created`);
    - `*` matches every topic, `ping` and `confirmation` included.

    Patterns are not validated here: an invalid pattern matches only a topic spelled
    the same, and a `*` inside a pattern has a meaning only as described above.

    @par Thread safety
    Safe to call concurrently.
*/
inline constexpr bool topic_matches(std::string_view pattern, std::string_view topic) noexcept {
  if (pattern == all_topics) return !topic.empty();
  if (pattern.size() >= 2 && pattern.ends_with(".*")) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1); // keeps the '.'
    return topic.size() > prefix.size() && topic.starts_with(prefix);
  }
  return pattern == topic;
}

} // namespace webhookd::model

#endif // WEBHOOKD_MODEL_TOPIC_HPP
