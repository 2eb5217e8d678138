// SPDX-License-Identifier: MIT
// application/problem+json error answers (RFC 7807) in the shape of the Lucca API.
#ifndef WEBHOOKD_API_REST_PROBLEM_HPP
#define WEBHOOKD_API_REST_PROBLEM_HPP

#include <webhookd/detail/config.hpp>

#include <webhookd/api/message.hpp>
#include <webhookd/model/validation.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace webhookd::api::rest {

/// The media type of error bodies.
inline constexpr std::string_view problem_content_type = "application/problem+json";

/// The reason phrase of the statuses the REST layer answers (empty for others).
inline constexpr std::string_view status_title(int status) noexcept {
  switch (status) {
  case 400: return "One or more validation errors occurred.";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 412: return "Precondition Failed";
  case 413: return "Payload Too Large";
  case 415: return "Unsupported Media Type";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  default: return "";
  }
}

/// The `type` URI of a status: the section of RFC 7231 (RFC 7235 for 401, RFC 7232
/// for 412) that defines it, as ASP.NET and the Lucca example do.
inline constexpr std::string_view status_type_uri(int status) noexcept {
  switch (status) {
  case 400: return "https://tools.ietf.org/html/rfc7231#section-6.5.1";
  case 401: return "https://tools.ietf.org/html/rfc7235#section-3.1";
  case 403: return "https://tools.ietf.org/html/rfc7231#section-6.5.3";
  case 404: return "https://tools.ietf.org/html/rfc7231#section-6.5.4";
  case 405: return "https://tools.ietf.org/html/rfc7231#section-6.5.5";
  case 409: return "https://tools.ietf.org/html/rfc7231#section-6.5.8";
  case 412: return "https://tools.ietf.org/html/rfc7232#section-4.2";
  case 413: return "https://tools.ietf.org/html/rfc7231#section-6.5.11";
  case 415: return "https://tools.ietf.org/html/rfc7231#section-6.5.13";
  case 502: return "https://tools.ietf.org/html/rfc7231#section-6.6.3";
  case 503: return "https://tools.ietf.org/html/rfc7231#section-6.6.4";
  default: return "https://tools.ietf.org/html/rfc7231#section-6.6.1";
  }
}

/** A problem document: `type`, `title`, `status`, `detail` (when not empty),
    `instance` (the request's absolute URL) and `errors` (field → rules; always an
    object, empty when no field is at fault) (SPEC.md Part 1 §16, Part 2 §1.9).

    @par Example
    @code
    {"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1",
     "title":"One or more validation errors occurred.","status":400,
     "instance":"https://x.ilucca.net/lucca-api/webhook-endpoints",
     "errors":{"webhookUrl":["must use https://"]}}
    @endcode
*/
inline nlohmann::json problem_json(int status, std::string_view detail, std::string_view instance,
                                   const model::validation_errors& errors = {}) {
  nlohmann::json j = nlohmann::json::object();
  j["type"] = std::string(status_type_uri(status));
  j["title"] = std::string(status_title(status));
  j["status"] = status;
  if (!detail.empty()) j["detail"] = std::string(detail);
  j["instance"] = std::string(instance);
  j["errors"] = errors.to_problem_errors();
  return j;
}

/// A response carrying `problem_json(...)` as `application/problem+json`.
inline response problem_response(int status, std::string_view detail, std::string_view instance,
                                 const model::validation_errors& errors = {}) {
  response r;
  r.status = status;
  r.headers.set("Content-Type", std::string(problem_content_type));
  r.body = problem_json(status, detail, instance, errors).dump();
  return r;
}

} // namespace webhookd::api::rest

#endif // WEBHOOKD_API_REST_PROBLEM_HPP
