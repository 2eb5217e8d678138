// SPDX-License-Identifier: MIT
// An incremental HTTP/1.1 request parser on llhttp, with bounded header and body sizes.
#ifndef WEBHOOKD_API_DETAIL_REQUEST_PARSER_HPP
#define WEBHOOKD_API_DETAIL_REQUEST_PARSER_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/api/message.hpp>

#include <llhttp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace webhookd::api::detail {

/// True when `name` is an RFC 9110 token (a valid field name or method).
inline bool is_token(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

/// What a request may make the server hold.
struct request_limits {
  /// Bytes of the request line and header section, blank line included; beyond: 431.
  /// Chunked trailers and chunk extensions are counted against the same budget.
  std::size_t max_header_bytes = 8 * 1024;
  /// Bytes of the (decoded) body; beyond: 413. A declared `Content-Length` is checked
  /// before any body byte is read, chunk sizes as each chunk header arrives.
  std::size_t max_body_bytes = 1024 * 1024;
};

/** Parses one HTTP/1.1 request at a time, as bytes arrive.

    `feed` consumes bytes until one request is complete and stops right after it, so
    the bytes of pipelined requests that follow stay with the caller; `reset` then
    prepares for the next request of the connection. Byte boundaries never matter:
    feeding a request byte by byte gives the same result as feeding it at once.

    Refusals (`state::error`) carry the status to answer with, after which the
    connection must be closed:

    | status | when |
    |---|---|
    | 400 | malformed syntax (including a field name that is not a token); a request that is both chunked and has a `Content-Length`, conflicting `Content-Length`s, a `Transfer-Encoding` not ending in `chunked`; an HTTP/1.1 request without exactly one `Host` |
    | 413 | a declared `Content-Length`, a chunk size or the body received exceeds `max_body_bytes` |
    | 431 | the request line and header section exceed `max_header_bytes` (or the trailers do) |
    | 501 | an unknown method (a token llhttp does not know), or `CONNECT` |
    | 505 | an HTTP version other than 1.x (including the HTTP/2 connection preface) |

    An `Upgrade` request is parsed as an ordinary request (the server may ignore
    `Upgrade`, RFC 9110 §7.8); chunked trailers are read, counted and dropped.

    The object is neither copyable nor movable (llhttp keeps a pointer to it).

    @par Thread safety
    Distinct objects: Safe. Shared objects: Unsafe.
*/
class request_parser {
public:
  /// Where the current request stands.
  enum class state {
    need_more, ///< the request is incomplete: feed more bytes
    complete,  ///< one whole request was parsed: see `message()`
    error,     ///< the bytes are refused: see `error_status()`
  };

  explicit request_parser(const request_limits& limits = {}) : limits_(limits) {
    llhttp_init(&parser_, HTTP_REQUEST, &settings());
    parser_.data = this;
    reset();
  }

  request_parser(const request_parser&) = delete;
  request_parser& operator=(const request_parser&) = delete;

  /** Parses the next bytes of the current request.

      @returns the number of bytes used. It is less than `data.size()` only when the
      request completed (the rest belongs to the next request) or was refused. Once
      the state is `complete` or `error`, nothing more is used until `reset()`.
  */
  std::size_t feed(std::string_view data);

  /// Where the current request stands.
  state current() const noexcept { return state_; }

  /// The status to answer a refused request with (400, 413, 431, 501, 505); 0 otherwise.
  int error_status() const noexcept { return error_status_; }

  /// A short explanation of the refusal (static text); empty otherwise.
  std::string_view error_reason() const noexcept { return error_reason_; }

  /// True once the request line and every header field were parsed.
  bool headers_complete() const noexcept { return headers_complete_; }

  /// True when an HTTP/1.1 request carries `Expect: 100-continue` (valid once
  /// `headers_complete()`).
  bool expects_continue() const noexcept { return expects_continue_; }

  /// True when the client lets the connection carry another request: HTTP/1.1 unless
  /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive` (valid once
  /// `headers_complete()`).
  bool keep_alive() const noexcept { return keep_alive_; }

  /// The HTTP minor version (1.0 or 1.1), valid once `headers_complete()`.
  int version_minor() const noexcept { return parser_.http_minor; }

  /// The request: method, target and headers once `headers_complete()`, the body once
  /// `current() == state::complete`. It may be moved from; `reset()` clears it.
  webhookd::api::request& message() noexcept { return message_; }

  /// Forgets the current request and prepares for the next one on the connection.
  void reset();

  /// The limits this parser enforces.
  const request_limits& limits() const noexcept { return limits_; }

private:
  static constexpr std::size_t prefix_capacity = 16;

  static request_parser& self(llhttp_t* p) noexcept { return *static_cast<request_parser*>(p->data); }
  static const llhttp_settings_t& settings() noexcept;

  int fail(int status, std::string_view reason) noexcept {
    if (error_status_ == 0) {
      error_status_ = status;
      error_reason_ = reason;
    }
    return -1;
  }
  void fail_from_llhttp(llhttp_errno_t err, std::size_t head_used) noexcept;
  int on_headers_done() noexcept;
  bool count_trailer(std::size_t n) noexcept {
    trailer_bytes_ += n;
    return trailer_bytes_ <= limits_.max_header_bytes;
  }

  request_limits limits_;
  llhttp_t parser_{};
  webhookd::api::request message_;
  std::string field_;
  std::string value_;
  std::size_t head_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  int error_status_ = 0;
  std::string_view error_reason_;
  state state_ = state::need_more;
  unsigned hosts_ = 0;
  std::size_t prefix_size_ = 0;
  char prefix_[prefix_capacity] = {};
  bool headers_complete_ = false;
  bool headers_paused_ = false;
  bool expect_seen_ = false;
  bool expects_continue_ = false;
  bool keep_alive_ = false;
};


inline void request_parser::reset() {
  llhttp_reset(&parser_);
  message_.method.clear();
  message_.target.clear();
  message_.headers = {};
  message_.body.clear();
  message_.remote_address.clear();
  field_.clear();
  value_.clear();
  head_bytes_ = trailer_bytes_ = 0;
  error_status_ = 0;
  error_reason_ = {};
  state_ = state::need_more;
  hosts_ = 0;
  prefix_size_ = 0;
  headers_complete_ = headers_paused_ = expect_seen_ = false;
  expects_continue_ = keep_alive_ = false;
}

inline std::size_t request_parser::feed(std::string_view data) {
  std::size_t used = 0;
  // A pause at the end of the header section may leave nothing to feed, yet the
  // parser still has to run once to see a request without a body complete.
  while (state_ == state::need_more && (used < data.size() || headers_paused_)) {
    headers_paused_ = false;
    const char* const begin = data.data() + used;
    std::size_t n = data.size() - used;
    const bool in_head = !headers_complete_;
    if (in_head) {
      // Never hand llhttp more header bytes than the budget allows: the section either
      // ends within them (on_headers_complete pauses there) or it is too large.
      n = std::min(n, limits_.max_header_bytes - head_bytes_);
      const std::size_t keep = std::min(n, prefix_capacity - prefix_size_);
      if (keep != 0) std::memcpy(prefix_ + prefix_size_, begin, keep);
      prefix_size_ += keep;
    }
    const llhttp_errno_t err = llhttp_execute(&parser_, begin, n);
    std::size_t took = n;
    if (err != HPE_OK) {
      const char* pos = llhttp_get_error_pos(&parser_);
      if (pos != nullptr && pos >= begin && pos <= begin + n) took = static_cast<std::size_t>(pos - begin);
      if (err == HPE_PAUSED) {
        llhttp_resume(&parser_);
      } else {
        fail_from_llhttp(err, head_bytes_ + took);
        used += took;
        break;
      }
    }
    used += took;
    if (in_head) {
      head_bytes_ += took;
      if (!headers_complete_ && head_bytes_ >= limits_.max_header_bytes) {
        fail(431, "request header section too large");
        state_ = state::error;
      }
    }
  }
  return used;
}

inline void request_parser::fail_from_llhttp(llhttp_errno_t err, std::size_t head_used) noexcept {
  state_ = state::error;
  if (error_status_ != 0) return; // a callback refused with its own status
  switch (err) {
  case HPE_INVALID_METHOD: {
    // A token made of letters is a method we do not implement; anything else is noise.
    const std::size_t n = std::min({head_used + 1, prefix_size_, prefix_capacity});
    const bool token = n != 0 && std::all_of(prefix_, prefix_ + n, [](char c) {
      return (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == ' ';
    });
    fail(token ? 501 : 400, token ? "method not implemented" : "invalid method");
    break;
  }
  case HPE_PAUSED_H2_UPGRADE:
    fail(505, "HTTP/2 is not supported");
    break;
  default:
    fail(400, parser_.reason != nullptr ? std::string_view(parser_.reason) : "malformed request");
    break;
  }
}

inline int request_parser::on_headers_done() noexcept {
  headers_complete_ = true;
  llhttp_t* p = &parser_;
  if (p->http_major != 1) return fail(505, "HTTP version not supported");
  if (p->method == HTTP_CONNECT) return fail(501, "CONNECT is not supported");
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
  if (hosts_ > 1 || (p->http_minor >= 1 && hosts_ == 0)) return fail(400, "missing or repeated Host");
  if ((p->flags & F_CONTENT_LENGTH) != 0) {
    if (p->content_length > limits_.max_body_bytes) return fail(413, "request body too large");
    // Reserve what is declared, up to a bound: a client that declares a large body and
    // sends nothing must not make every connection hold that much memory.
    constexpr std::uint64_t reserve_cap = 64 * 1024;
    message_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(p->content_length, reserve_cap)));
  }
  message_.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  keep_alive_ = llhttp_should_keep_alive(p) != 0;
  expects_continue_ = expect_seen_ && p->http_minor >= 1;
  // Upgrade is ignored (RFC 9110 §7.8): the request is an ordinary one.
  p->upgrade = 0;
  headers_paused_ = true;
  return HPE_PAUSED;
}

inline const llhttp_settings_t& request_parser::settings() noexcept {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t x;
    llhttp_settings_init(&x);
    x.on_url = [](llhttp_t* p, const char* at, std::size_t n) -> int {
      self(p).message_.target.append(at, n);
      return 0;
    };
    x.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) -> int {
      auto& me = self(p);
      if (me.headers_complete_) return me.count_trailer(n) ? 0 : me.fail(431, "trailers too large");
      me.field_.append(at, n);
      return 0;
    };
    x.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) -> int {
      auto& me = self(p);
      if (me.headers_complete_) return me.count_trailer(n) ? 0 : me.fail(431, "trailers too large");
      me.value_.append(at, n);
      return 0;
    };
    x.on_header_value_complete = [](llhttp_t* p) -> int {
      auto& me = self(p);
      if (me.headers_complete_) return me.count_trailer(4) ? 0 : me.fail(431, "trailers too large");
      // llhttp's lenient mode lets spaces into names; RFC 9112 §5.1 says refuse them.
      if (!is_token(me.field_)) return me.fail(400, "invalid header field name");
      if (header_name_equal(me.field_, "host")) {
        ++me.hosts_;
      } else if (header_name_equal(me.field_, "expect") && header_name_equal(me.value_, "100-continue")) {
        me.expect_seen_ = true;
      }
      me.message_.headers.add(std::move(me.field_), std::move(me.value_));
      me.field_.clear();
      me.value_.clear();
      return 0;
    };
    x.on_headers_complete = [](llhttp_t* p) -> int { return self(p).on_headers_done(); };
    x.on_chunk_header = [](llhttp_t* p) -> int {
      auto& me = self(p);
      if (p->content_length > me.limits_.max_body_bytes - me.message_.body.size())
        return me.fail(413, "request body too large");
      return 0;
    };
    x.on_chunk_extension_name = [](llhttp_t* p, const char*, std::size_t n) -> int {
      return self(p).count_trailer(n) ? 0 : self(p).fail(431, "chunk extensions too large");
    };
    x.on_chunk_extension_value = x.on_chunk_extension_name;
    x.on_body = [](llhttp_t* p, const char* at, std::size_t n) -> int {
      auto& me = self(p);
      if (n > me.limits_.max_body_bytes - me.message_.body.size()) return me.fail(413, "request body too large");
      me.message_.body.append(at, n);
      return 0;
    };
    x.on_message_complete = [](llhttp_t* p) -> int {
      self(p).state_ = state::complete;
      return HPE_PAUSED; // one request at a time: pipelined bytes stay with the caller
    };
    return x;
  }();
  return s;
}
} // namespace webhookd::api::detail

#endif // WEBHOOKD_API_DETAIL_REQUEST_PARSER_HPP
