// SPDX-License-Identifier: MIT
// An HTTP/1.1 response parser on llhttp: status, Retry-After, a capped body, and
// bounded headers.
#ifndef WEBHOOKD_HTTP_RESPONSE_PARSER_HPP
#define WEBHOOKD_HTTP_RESPONSE_PARSER_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/core/error.hpp>

#include <llhttp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace webhookd::http {

/// Bounds on what a receiver's answer may make the client hold or read.
struct response_limits {
  /// Body bytes kept (SPEC.md Part 1 §7: 4 KiB).
  std::size_t body_cap = 4096;
  /// Body bytes beyond the cap read and discarded to keep the connection; a longer
  /// body makes the client drop the connection instead.
  std::size_t max_drain = 64 * 1024;
  /// Status line and header bytes.
  std::size_t max_header_bytes = 16 * 1024;
  /// Header fields.
  std::size_t max_headers = 100;
};

/** Parses one HTTP/1.1 response incrementally, as bytes arrive.

    Understands every framing llhttp does (Content-Length, chunked, close-delimited),
    skips 1xx interim answers, keeps at most `body_cap` bytes of the body, reads the
    `Retry-After` header, and refuses oversized headers. Memory stays bounded whatever
    the receiver sends: beyond the cap the body is only counted, and once it exceeds
    `body_cap + max_drain` the parser stops (`drain_exceeded()`), telling the caller
    to drop the connection rather than read on.

    Pipelining is not used, so bytes after the end of the answer
    (`has_trailing_data()`) make the connection unfit for reuse.

    The object is neither copyable nor movable (llhttp keeps a pointer to it).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class response_parser {
public:
  explicit response_parser(const response_limits& limits = {}) : limits_(limits) { reset(); }

  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;

  /// Prepares for a new response (on any connection).
  void reset() {
    llhttp_init(&parser_, HTTP_RESPONSE, &settings());
    parser_.data = this;
    status_ = 0;
    header_bytes_ = 0;
    header_count_ = 0;
    body_length_ = 0;
    body_.clear();
    retry_after_.reset();
    field_.clear();
    value_.clear();
    started_ = headers_done_ = done_ = truncated_ = drain_exceeded_ = false;
    too_large_ = interesting_ = trailing_ = keep_alive_ = false;
  }

  /** Parses the next bytes of the answer.

      @returns `errc::protocol_error` when the bytes are not a valid HTTP/1.1 response,
      `errc::headers_too_large` when a header limit is exceeded, otherwise an empty
      code. Once `done()` or `drain_exceeded()` is true, further bytes are ignored.
  */
  std::error_code feed(const char* data, std::size_t size) {
    if (done_ || drain_exceeded_ || size == 0) return {};
    started_ = true;
    const llhttp_errno_t err = llhttp_execute(&parser_, data, size);
    if (err == HPE_OK) return {};
    if (err == HPE_PAUSED && done_) {
      const char* stop = llhttp_get_error_pos(&parser_);
      trailing_ = stop != nullptr && stop < data + size;
      return {};
    }
    if (drain_exceeded_) return {};
    if (too_large_) return make_error_code(errc::headers_too_large);
    return make_error_code(errc::protocol_error);
  }

  /** Tells the parser that the receiver closed the connection.

      Completes a close-delimited body. @returns `errc::connection_closed` when the
      answer is incomplete (or never started), otherwise an empty code.
  */
  std::error_code finish() {
    if (done_ || drain_exceeded_) return {};
    if (!started_) return make_error_code(errc::connection_closed);
    const llhttp_errno_t err = llhttp_finish(&parser_);
    if (done_ && (err == HPE_OK || err == HPE_PAUSED)) return {};
    return make_error_code(errc::connection_closed);
  }

  /// True once any byte was fed.
  bool started() const noexcept { return started_; }
  /// True once the final status line and headers were parsed.
  bool headers_done() const noexcept { return headers_done_; }
  /// True once the whole answer was parsed.
  bool done() const noexcept { return done_; }
  /// True when the body went beyond `body_cap + max_drain`; the status and the capped
  /// body are valid, the connection must be dropped.
  bool drain_exceeded() const noexcept { return drain_exceeded_; }
  /// True when more bytes followed the end of the answer.
  bool has_trailing_data() const noexcept { return trailing_; }

  /// The final status code (valid once `headers_done()`).
  int status() const noexcept { return status_; }
  /// True when the answer lets the connection be reused (HTTP/1.1 keep-alive rules).
  bool keep_alive() const noexcept { return done_ && keep_alive_ && !trailing_; }
  /// The body, at most `body_cap` bytes.
  std::string& body() noexcept { return body_; }
  /// True when the body was longer than the cap.
  bool body_truncated() const noexcept { return truncated_; }
  /// Body bytes received (kept or not).
  std::uint64_t body_length() const noexcept { return body_length_; }
  /// The `Retry-After` header value, if any (the last one when repeated).
  std::optional<std::string>& retry_after() noexcept { return retry_after_; }

  const response_limits& limits() const noexcept { return limits_; }

private:
  static constexpr std::size_t max_field_name = 32;  // longer names are not ones we read
  static constexpr std::size_t max_retry_after = 128;

  static response_parser& self(llhttp_t* p) noexcept { return *static_cast<response_parser*>(p->data); }

  bool count_header_bytes(std::size_t n) noexcept {
    header_bytes_ += n;
    if (header_bytes_ > limits_.max_header_bytes) {
      too_large_ = true;
      return false;
    }
    return true;
  }

  static const llhttp_settings_t& settings() noexcept {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t x;
      llhttp_settings_init(&x);
      x.on_status = [](llhttp_t* p, const char*, std::size_t n) -> int {
        return self(p).count_header_bytes(n + 16) ? 0 : -1;
      };
      x.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) -> int {
        auto& me = self(p);
        if (!me.count_header_bytes(n)) return -1;
        if (me.field_.size() + n <= max_field_name) me.field_.append(at, n);
        else me.field_.assign(max_field_name + 1, ' ');
        return 0;
      };
      x.on_header_field_complete = [](llhttp_t* p) -> int {
        auto& me = self(p);
        constexpr std::string_view name = "retry-after";
        me.interesting_ = me.field_.size() == name.size() &&
                          std::equal(name.begin(), name.end(), me.field_.begin(), [](char a, char b) {
                            return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b + 32) : b);
                          });
        return 0;
      };
      x.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) -> int {
        auto& me = self(p);
        if (!me.count_header_bytes(n + 4)) return -1;
        if (me.interesting_ && me.value_.size() < max_retry_after)
          me.value_.append(at, std::min(n, max_retry_after - me.value_.size()));
        return 0;
      };
      x.on_header_value_complete = [](llhttp_t* p) -> int {
        auto& me = self(p);
        if (++me.header_count_ > me.limits_.max_headers) {
          me.too_large_ = true;
          return -1;
        }
        if (me.interesting_) me.retry_after_ = me.value_;
        me.field_.clear();
        me.value_.clear();
        me.interesting_ = false;
        return 0;
      };
      x.on_headers_complete = [](llhttp_t* p) -> int {
        auto& me = self(p);
        me.status_ = static_cast<int>(llhttp_get_status_code(p));
        if (me.status_ < 100) return -1;  // not a status code (RFC 9110 §15)
        if (me.status_ == 101) return -1; // no upgrade was asked for
        if (me.status_ >= 200) {
          me.headers_done_ = true;
          return 0;
        }
        return 1; // an interim 1xx answer has no body, whatever its headers say
      };
      x.on_body = [](llhttp_t* p, const char* at, std::size_t n) -> int {
        auto& me = self(p);
        me.body_length_ += n;
        if (me.body_.size() < me.limits_.body_cap)
          me.body_.append(at, std::min(n, me.limits_.body_cap - me.body_.size()));
        if (me.body_length_ > me.limits_.body_cap) me.truncated_ = true;
        if (me.body_length_ > me.limits_.body_cap + me.limits_.max_drain) {
          me.drain_exceeded_ = true;
          return -1;
        }
        return 0;
      };
      x.on_message_complete = [](llhttp_t* p) -> int {
        auto& me = self(p);
        if (me.status_ < 200) {
          // An interim 1xx answer: the final one follows on the same connection.
          me.header_bytes_ = me.header_count_ = 0;
          me.retry_after_.reset();
          return 0;
        }
        me.done_ = true;
        me.keep_alive_ = llhttp_should_keep_alive(p) != 0;
        return HPE_PAUSED;
      };
      return x;
    }();
    return s;
  }

  response_limits limits_;
  llhttp_t parser_{};
  int status_ = 0;
  std::size_t header_bytes_ = 0;
  std::size_t header_count_ = 0;
  std::uint64_t body_length_ = 0;
  std::string body_;
  std::optional<std::string> retry_after_;
  std::string field_;
  std::string value_;
  bool started_ = false, headers_done_ = false, done_ = false, truncated_ = false;
  bool drain_exceeded_ = false, too_large_ = false, interesting_ = false, trailing_ = false;
  bool keep_alive_ = false;
};

} // namespace webhookd::http

#endif // WEBHOOKD_HTTP_RESPONSE_PARSER_HPP
