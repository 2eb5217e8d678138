// SPDX-License-Identifier: MIT
// accepts_media_type: whether an Accept header names a media type (content negotiation).
#ifndef WEBHOOKD_API_REST_ACCEPT_HPP
#define WEBHOOKD_API_REST_ACCEPT_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/message.hpp>

#include <string_view>

namespace webhookd::api::rest {

/** Whether the `Accept` header value `accept` lists `type` itself (RFC 9110 §12.5.1):
    media ranges are compared case-insensitively, their parameters ignored, except a
    weight of `q=0`, which refuses the type. Wildcard ranges do not count: the
    caller's default representation serves them.
*/
inline bool accepts_media_type(std::string_view accept, std::string_view type) noexcept {
  const auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const auto semi = range.find(';');
    const std::string_view name = trim(range.substr(0, semi));
    if (!header_name_equal(name, type)) continue;
    bool refused = false;
    for (std::string_view params = semi == std::string_view::npos ? std::string_view{}
                                                                  : range.substr(semi + 1);
         !params.empty();) {
      const auto next = params.find(';');
      const std::string_view p = trim(params.substr(0, next));
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        const std::string_view q = p.substr(2);
        refused = q.find_first_not_of("0.") == std::string_view::npos;
      }
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
    }
    return !refused;
  }
  return false;
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_ACCEPT_HPP
