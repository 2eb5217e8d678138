// SPDX-License-Identifier: MIT
// request, response, header_list: HTTP messages as the REST layer sees them, whatever
// transport carried them (the embedded server, or a host's own HTTP stack).
#ifndef WEBHOOKD_API_MESSAGE_HPP
#define WEBHOOKD_API_MESSAGE_HPP

#include <webhookd/detail/config.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhookd::api {

/// Case-insensitive ASCII comparison of header names (RFC 9110 §5.1).
inline bool header_name_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/// One header field, as received or to be sent.
struct header_field {
  std::string name;
  std::string value;
  friend bool operator==(const header_field&, const header_field&) = default;
};

/** The header fields of a message, in order; names compare case-insensitively.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class header_list {
public:
  /// The value of the first field named `name`, or nullptr.
  const std::string* find(std::string_view name) const noexcept {
    const auto it = std::find_if(fields_.begin(), fields_.end(),
                                 [&](const header_field& f) { return header_name_equal(f.name, name); });
    return it == fields_.end() ? nullptr : &it->value;
  }

  /// The value of the first field named `name`, or `fallback`.
  std::string_view value_or(std::string_view name, std::string_view fallback = {}) const noexcept {
    const auto* v = find(name);
    return v ? std::string_view(*v) : fallback;
  }

  /// Appends a field (a repeated name is kept as another field).
  void add(std::string name, std::string value) {
    fields_.push_back({std::move(name), std::move(value)});
  }

  /// Replaces every field named `name` by one field with `value`.
  void set(std::string name, std::string value) {
    erase(name);
    add(std::move(name), std::move(value));
  }

  /// Removes every field named `name`.
  void erase(std::string_view name) {
    std::erase_if(fields_, [&](const header_field& f) { return header_name_equal(f.name, name); });
  }

  const std::vector<header_field>& fields() const noexcept { return fields_; }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

  friend bool operator==(const header_list&, const header_list&) = default;

private:
  std::vector<header_field> fields_;
};

/** An HTTP request handed to a handler.

    `target` is the request-target as sent (origin form: path, then `?query` if any),
    not decoded. `remote_address` is the peer's address for logs, empty if unknown.

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct request {
  std::string method;  ///< e.g. "GET", as sent (methods are case-sensitive)
  std::string target;  ///< e.g. "/lucca-api/webhook-endpoints?limit=10"
  header_list headers;
  std::string body;
  std::string remote_address;

  /// The path part of `target` (before `?`), undecoded.
  std::string_view path() const noexcept {
    const std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
  /// The query part of `target` (after `?`, without it), undecoded; empty if none.
  std::string_view query() const noexcept {
    const std::string_view t = target;
    const auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
  }
};

/** An HTTP response made by a handler. The transport adds `Content-Length`, `Date`
    and `Connection`; a handler sets the rest (`Content-Type`, `ETag`, ...).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
struct response {
  int status = 200;
  header_list headers;
  std::string body;
};

/// Completes one request; call it exactly once, from any thread.
using response_sink = std::function<void(response)>;

/** What a transport calls for every request. A handler may answer inline or later
    (after a store call on another thread, or an activation challenge).
*/
using request_handler = std::function<void(request, response_sink)>;

} // namespace webhookd::api

#endif // WEBHOOKD_API_MESSAGE_HPP
