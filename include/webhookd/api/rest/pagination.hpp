// SPDX-License-Identifier: MIT
// Collection pages: `limit` and `page` from the query, prev/next links back into it.
#ifndef WEBHOOKD_API_REST_PAGINATION_HPP
#define WEBHOOKD_API_REST_PAGINATION_HPP

#include <webhookd/detail/config.hpp>

#include <webhookd/api/rest/query.hpp>
#include <webhookd/model/collection.hpp>
#include <webhookd/model/validation.hpp>
#include <webhookd/store/records.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace webhookd::api::rest {

/// `limit` when the request gives none (SPEC.md Part 1 §15).
inline constexpr std::size_t default_page_limit = 25;

/** The page a collection request asks for: `limit` (0..100, default 25) and `page`
    (a cursor from an earlier `links.prev`/`links.next`, which starts with `!`).
    Errors name `limit` or `page`.
*/
inline store::page_request parse_page_request(const query_parameters& query,
                                              model::validation_errors& errors) {
  store::page_request req;
  if (auto limit = parse_limit(query, default_page_limit, store::max_page_limit, errors))
    req.limit = *limit;
  if (const std::string* page = query.find("page")) {
    if (auto c = store::cursor::decode(*page)) req.cursor = std::move(*c);
    else errors.add("page", "must be a cursor taken from links.prev or links.next");
  }
  return req;
}

/** The URL of the page at `at`: `collection_url` + `?page=<cursor>&limit=<n>` then
    every other parameter of the request, in its order (SPEC.md Part 1 §15: the links
    carry every query parameter, `include` and filters included).
*/
inline std::string page_url(std::string_view collection_url, const query_parameters& query,
                            const store::cursor& at, std::size_t limit) {
  std::string url(collection_url);
  url += '?';
  url += query.encode({"page", "limit"},
                      {{"page", at.encode()}, {"limit", std::to_string(limit)}});
  return url;
}

/// `links.prev` and `links.next` of a page (null at the ends).
template <class T>
model::collection_links page_links(std::string_view collection_url, const query_parameters& query,
                                   const store::page<T>& page, std::size_t limit) {
  model::collection_links links;
  if (page.prev) links.prev = model::link{page_url(collection_url, query, *page.prev, limit)};
  if (page.next) links.next = model::link{page_url(collection_url, query, *page.next, limit)};
  return links;
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_PAGINATION_HPP
