// A raw HTTP/1.1 client for the server tests: writes exactly the bytes it is given
// (plain or TLS) and reads responses off the wire, pumping an io_context meanwhile.
#ifndef WEBHOOKD_TESTS_API_SERVER_CLIENT_HPP
#define WEBHOOKD_TESTS_API_SERVER_CLIENT_HPP

#include "test_server.hpp"

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace webhookd::test {

/// One response as read off the wire.
struct wire_response {
  int status = 0;
  std::string head; ///< status line and fields, up to the blank line
  std::string body;

  /// The value of field `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const {
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos && at + 2 < head.size()) {
      const std::size_t next = head.find("\r\n", at + 2);
      const std::string_view line(head.data() + at + 2, (next == std::string::npos ? head.size() : next) - at - 2);
      const std::size_t colon = line.find(':');
      if (colon == name.size()) {
        bool same = true;
        for (std::size_t i = 0; i < colon && same; ++i)
          same = std::tolower(static_cast<unsigned char>(line[i])) == std::tolower(static_cast<unsigned char>(name[i]));
        if (same) {
          std::string_view v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
          return std::string(v);
        }
      }
      at = next;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    const std::string needle = "\r\n" + std::string(name) + ":";
    return std::search(head.begin(), head.end(), needle.begin(), needle.end(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           }) != head.end();
  }
};

/// Takes one response off the front of `buffer`; `head_request` means no body follows.
inline std::optional<wire_response> take_response(std::string& buffer, bool head_request) {
  const std::size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  wire_response r;
  r.head = buffer.substr(0, end);
  if (r.head.size() < 12 || r.head.compare(0, 5, "HTTP/") != 0) return std::nullopt;
  r.status = std::atoi(r.head.c_str() + 9);
  std::size_t length = 0;
  if (!head_request && r.status >= 200 && r.status != 204 && r.status != 304)
    length = static_cast<std::size_t>(std::strtoull(r.header("content-length").c_str(), nullptr, 10));
  if (buffer.size() < end + 4 + length) return std::nullopt;
  r.body = buffer.substr(end + 4, length);
  buffer.erase(0, end + 4 + length);
  return r;
}

/** A connection to the server under test. Every call pumps `io` (which may also run
    the server) until it is done or its generous limit passes. */
class wire_client {
public:
  static constexpr std::chrono::milliseconds patience{15'000};

  explicit wire_client(asio::io_context& io) : io_(io) { plain_.emplace(io); }
  wire_client(asio::io_context& io, asio::ssl::context& tls) : io_(io) { tls_.emplace(io, tls); }

  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }

  /// Connects (and shakes hands for TLS); returns the first error.
  std::error_code connect(const asio::ip::tcp::endpoint& at) {
    std::error_code result;
    bool done = false;
    socket().async_connect(at, [&](const std::error_code& ec) {
      result = ec;
      done = true;
    });
    wait(done);
    if (result || !tls_) return result;
    done = false;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](const std::error_code& ec) {
      result = ec;
      done = true;
    });
    wait(done);
    return result;
  }

  /// Writes all of `bytes`; returns the error, if any.
  std::error_code send(std::string_view bytes) {
    std::error_code result;
    bool done = false;
    auto h = [&](const std::error_code& ec, std::size_t) {
      result = ec;
      done = true;
    };
    if (tls_) asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()), h);
    else asio::async_write(*plain_, asio::buffer(bytes.data(), bytes.size()), h);
    wait(done);
    return result;
  }

  /// Reads once (up to `limit`); false on end of stream, error or timeout.
  bool fill(std::chrono::milliseconds limit = patience) {
    if (ended_) return false;
    bool done = false;
    std::size_t got = 0;
    auto h = [&](const std::error_code& ec, std::size_t n) {
      if (ec) {
        ended_ = true;
        error_ = ec;
      }
      got = n;
      done = true;
    };
    char chunk[8192];
    if (tls_) tls_->async_read_some(asio::buffer(chunk), h);
    else plain_->async_read_some(asio::buffer(chunk), h);
    if (!run_until(io_, [&] { return done; }, limit)) {
      std::error_code ignored;
      socket().cancel(ignored);
      wait(done);
      buffer_.append(chunk, got);
      timed_out_ = true;
      if (error_ == asio::error::operation_aborted) {
        ended_ = false; // a timeout, not an end
        error_ = {};
      }
      return false;
    }
    buffer_.append(chunk, got);
    return !ended_;
  }

  /// The next response, or nothing if the connection ended or `limit` passed first.
  std::optional<wire_response> read_response(bool head_request = false, std::chrono::milliseconds limit = patience) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto r = take_response(buffer_, head_request)) return r;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !fill(left)) return take_response(buffer_, head_request);
    }
  }

  /// True when the server ends the connection (FIN or reset) within `limit`; bytes
  /// that arrive meanwhile are kept in `pending()`.
  bool ends_within(std::chrono::milliseconds limit = patience) {
    const auto end = std::chrono::steady_clock::now() + limit;
    timed_out_ = false;
    while (!ended_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      fill(left);
      if (timed_out_) return false;
    }
    return true;
  }

  /// True when nothing arrives and the connection stays open for `d`.
  bool quiet_for(std::chrono::milliseconds d) {
    const std::size_t before = buffer_.size();
    timed_out_ = false;
    fill(d);
    const bool quiet = timed_out_ && buffer_.size() == before && !ended_;
    timed_out_ = false;
    return quiet;
  }

  std::string& pending() { return buffer_; }
  bool ended() const { return ended_; }

private:
  void wait(bool& done) { run_until(io_, [&] { return done; }, patience); }

  asio::io_context& io_;
  std::optional<asio::ip::tcp::socket> plain_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  std::string buffer_;
  std::error_code error_;
  bool ended_ = false;
  bool timed_out_ = false;
};

} // namespace webhookd::test

#endif
