// SPDX-License-Identifier: MIT
// An outgoing request: a pre-built header block and a shared body, sent in one
// gathered write.
#ifndef WEBHOOKD_HTTP_REQUEST_HPP
#define WEBHOOKD_HTTP_REQUEST_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/url.hpp>
#include <webhookd/version.hpp>

#include <asio/buffer.hpp>

#include <array>
#include <charconv>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace webhookd::http {

/** One HTTP/1.1 request, ready to be written.

    The request line and headers are built once into a single string (`head()`); the
    body is a `std::shared_ptr<const std::string>` that the many deliveries of one event
    share, never copied (DESIGN.md: encode once, sign per delivery). `buffers()` gives
    both as a two-element buffer sequence for one gathered write.

    The constructor writes the request line, `Host` and `User-Agent`; `set()` appends
    header fields; the client appends `Content-Length` and the blank line when it sends
    (`seal()`), so a request is not modified after it has been handed to a client.

    @par Example
    @code
    auto body = std::make_shared<const std::string>(R"({"id":"1"})");
    http::request req("POST", *parse_url("https://hooks.example.com/in"), body);
    req.set("Content-Type", "application/json");
    req.set("Lucca-Timestamp", ts);
    @endcode

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class request {
public:
  /// A request for `target`. `method` is an HTTP token (`POST`, `GET`).
  /// @throws std::invalid_argument when `method` is not a token.
  request(std::string_view method, url target, std::shared_ptr<const std::string> body = nullptr)
      : url_(std::move(target)), body_(std::move(body)) {
    if (!is_token(method)) throw std::invalid_argument("webhookd: invalid HTTP method");
    with_body_ = body_ != nullptr || (method != "GET" && method != "HEAD");
    origin_ = url_.origin();
    head_.reserve(256 + url_.target.size());
    head_.append(method).append(" ").append(url_.target).append(" HTTP/1.1\r\nHost: ");
    head_.append(url_.host_header()).append("\r\nUser-Agent: ").append(user_agent).append("\r\n");
  }

  /** Appends a header field.

      @throws std::invalid_argument when `name` is not a token or `value` holds CR, LF
      or NUL (header injection), or after `seal()`.
  */
  request& set(std::string_view name, std::string_view value) {
    if (sealed_ || !is_token(name)) throw std::invalid_argument("webhookd: invalid header name");
    for (char c : value)
      if (c == '\r' || c == '\n' || c == '\0')
        throw std::invalid_argument("webhookd: invalid header value");
    head_.append(name).append(": ").append(value).append("\r\n");
    return *this;
  }

  /// Ends the header block with `Content-Length` (when there is a body or the method
  /// expects one) and the blank line. Idempotent.
  void seal() {
    if (sealed_) return;
    sealed_ = true;
    if (with_body_) {
      char digits[24];
      const auto n = body_ ? body_->size() : 0;
      const auto r = std::to_chars(digits, digits + sizeof digits, n);
      head_.append("Content-Length: ").append(digits, r.ptr).append("\r\n");
    }
    head_.append("\r\n");
  }

  bool sealed() const noexcept { return sealed_; }

  /// The target URL.
  const url& target() const noexcept { return url_; }
  /// The pool key, `scheme://host:port`.
  const std::string& origin() const noexcept { return origin_; }
  /// The request line and header block (ends with the blank line once sealed).
  const std::string& head() const noexcept { return head_; }
  /// The shared body (may be null).
  const std::shared_ptr<const std::string>& body() const noexcept { return body_; }

  /// The header block and the body as one buffer sequence. Precondition: `sealed()`.
  std::array<asio::const_buffer, 2> buffers() const noexcept {
    WEBHOOKD_ASSERT(sealed_);
    return {asio::buffer(head_), body_ ? asio::buffer(*body_) : asio::const_buffer{}};
  }

  /// Total bytes on the wire.
  std::size_t size() const noexcept { return head_.size() + (body_ ? body_->size() : 0); }

private:
  static bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      if (!ok) return false;
    }
    return true;
  }

  url url_;
  std::shared_ptr<const std::string> body_;
  std::string origin_;
  std::string head_;
  bool with_body_ = true;
  bool sealed_ = false;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_REQUEST_HPP
