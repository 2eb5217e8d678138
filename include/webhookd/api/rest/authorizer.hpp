// SPDX-License-Identifier: MIT
// Bearer tokens and scopes: the authorizer a host gives the REST handler.
#ifndef WEBHOOKD_API_REST_AUTHORIZER_HPP
#define WEBHOOKD_API_REST_AUTHORIZER_HPP

#include <webhookd/detail/config.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhookd::api {

/// The scopes a token grants, e.g. `{"webhook-endpoints.readwrite"}`.
using scope_set = std::vector<std::string>;

/** Checks a bearer token (SPEC.md Part 1 §16, Part 2 §1.2).
    Returns nullopt when the token is not valid (the REST handler answers 401), or the
    token's scopes (403 when the route's scope is missing). It is called on the thread
    that runs the request, once per request; it must be safe to call concurrently.
*/
using authorizer = std::function<std::optional<scope_set>(std::string_view bearer_token)>;

/// The Lucca scope names the REST handler checks.
namespace scopes {
inline constexpr std::string_view endpoints_read = "webhook-endpoints.readonly";
inline constexpr std::string_view endpoints_write = "webhook-endpoints.readwrite";
inline constexpr std::string_view deliveries_read = "webhook-deliveries.readonly";
inline constexpr std::string_view deliveries_write = "webhook-deliveries.readwrite";
inline constexpr std::string_view events_read = "events.readonly";
/// An extension: publishing events through `POST /lucca-api/events`.
inline constexpr std::string_view events_write = "events.readwrite";
} // namespace scopes

/// True if `granted` holds one of `wanted`.
inline bool has_any_scope(const scope_set& granted, const std::vector<std::string_view>& wanted) {
  return std::any_of(granted.begin(), granted.end(), [&](const std::string& s) {
    return std::find(wanted.begin(), wanted.end(), std::string_view(s)) != wanted.end();
  });
}

/** The token of an `Authorization: Bearer <token>` header (scheme name compared
    case-insensitively, RFC 6750 §2.1), or nullopt when the header is not of that form.
*/
inline std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() + 1) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return std::nullopt;
  }
  if (authorization[scheme.size()] != ' ') return std::nullopt;
  std::string_view token = authorization.substr(scheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

/** An authorizer over a fixed table, token → scopes: for demos, tests and hosts whose
    tokens are provisioned out of band. Tokens are compared in constant time per
    candidate, so a timing probe learns nothing of a token's prefix.

    @par Example
    @code
    options.authorize = api::static_token_authorizer({
        {"s3cr3t", {"webhook-endpoints.readwrite", "webhook-deliveries.readwrite"}}});
    @endcode

    @par Thread safety
    The returned function may be called concurrently.
*/
inline authorizer static_token_authorizer(std::map<std::string, scope_set> tokens) {
  auto table = std::make_shared<const std::map<std::string, scope_set>>(std::move(tokens));
  return [table](std::string_view token) -> std::optional<scope_set> {
    const scope_set* found = nullptr;
    for (const auto& [candidate, granted] : *table) {
      unsigned diff = candidate.size() == token.size() ? 0u : 1u;
      const std::size_t n = std::min(candidate.size(), token.size());
      for (std::size_t i = 0; i < n; ++i)
        diff |= static_cast<unsigned>(static_cast<unsigned char>(candidate[i]) ^
                                      static_cast<unsigned char>(token[i]));
      if (diff == 0) found = &granted;
    }
    if (found == nullptr) return std::nullopt;
    return *found;
  };
}

} // namespace webhookd::api

#endif // WEBHOOKD_API_REST_AUTHORIZER_HPP
