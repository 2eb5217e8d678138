// SPDX-License-Identifier: MIT
// How the embedded server writes a response head: status line, the handler's fields,
// then Content-Length, Date and Connection.
#ifndef WEBHOOKD_API_DETAIL_SERVER_RESPONSE_HPP
#define WEBHOOKD_API_DETAIL_SERVER_RESPONSE_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/message.hpp>
#include <webhookd/api/detail/request_parser.hpp>

#include <charconv>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <system_error>

namespace webhookd::api::detail {

/// The reason phrase of `status` (empty for codes without a registered phrase).
inline std::string_view status_reason(int status) noexcept {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 416: return "Range Not Satisfiable";
  case 417: return "Expectation Failed";
  case 422: return "Unprocessable Content";
  case 428: return "Precondition Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return {};
  }
}

/// False for the statuses whose responses never carry a body (RFC 9110 §6.4.1).
constexpr bool status_allows_body(int status) noexcept {
  return status >= 200 && status != 204 && status != 304;
}

/// True when `value` can be written as a field value (no CR, LF or NUL to split the head).
inline bool is_field_value(std::string_view value) noexcept {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

/// The current time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted at
/// most once a second per thread.
inline std::string_view http_date() noexcept {
  thread_local std::time_t cached = -1;
  thread_local char text[32] = {};
  const std::time_t now = std::time(nullptr);
  if (now != cached) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                  tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached = now;
  }
  return text;
}

inline void append_number(std::string& out, std::size_t n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

/** Writes the status line and header section of `r` to `out` (appending).

    The handler's fields are copied except `Content-Length`, `Transfer-Encoding`,
    `Connection`, `Date` and `Keep-Alive`, which the server owns, and except fields whose
    name is not a token or whose value holds CR, LF or NUL (they would split the head).
    Then:
    - `Content-Length`: the body size; for a HEAD request the size of the body the
      handler made, or its own `Content-Length` when it made none; never for 1xx and
      204 (RFC 9110 §8.6); for 304 only the handler's own.
    - `Date`, and `Connection: keep-alive` or `close`.

    @returns true when the body must follow the head (not for HEAD, 1xx, 204, 304).
*/
inline bool write_response_head(const response& r, bool head_request, bool keep_alive, std::string& out) {
  const int status = (r.status >= 100 && r.status <= 999) ? r.status : 500;
  out.reserve(out.size() + 160 + r.headers.size() * 48);
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::size_t>(status));
  out.push_back(' ');
  out.append(status_reason(status));
  out.append("\r\n");
  const std::string* own_length = nullptr;
  for (const header_field& f : r.headers) {
    if (header_name_equal(f.name, "content-length")) {
      own_length = &f.value;
      continue;
    }
    if (header_name_equal(f.name, "transfer-encoding") || header_name_equal(f.name, "connection") ||
        header_name_equal(f.name, "date") || header_name_equal(f.name, "keep-alive") ||
        !is_token(f.name) || !is_field_value(f.value))
      continue;
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  const bool own_length_valid = own_length != nullptr && !own_length->empty() &&
                                own_length->find_first_not_of("0123456789") == std::string::npos;
  if (status_allows_body(status)) {
    out.append("Content-Length: ");
    if (head_request && r.body.empty() && own_length_valid) out.append(*own_length);
    else append_number(out, r.body.size());
    out.append("\r\n");
  } else if (status == 304 && own_length_valid) {
    out.append("Content-Length: ").append(*own_length).append("\r\n");
  }
  out.append("Date: ").append(http_date()).append("\r\n");
  out.append(keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
  return !head_request && status_allows_body(status);
}

/// A plain-text response for a request the server refuses itself.
inline response make_error_response(int status, std::string_view reason) {
  response r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body.reserve(reason.size() + 1);
  r.body.append(reason.empty() ? status_reason(status) : reason).push_back('\n');
  return r;
}

} // namespace webhookd::api::detail

#endif // WEBHOOKD_API_DETAIL_SERVER_RESPONSE_HPP
