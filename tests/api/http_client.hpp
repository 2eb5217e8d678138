// A small blocking HTTP/1.1 client for the REST tests: one keep-alive connection to
// 127.0.0.1:<port>, reconnecting when the server closed it.
#ifndef WEBHOOKD_TESTS_API_HTTP_CLIENT_HPP
#define WEBHOOKD_TESTS_API_HTTP_CLIENT_HPP

#include <webhookd/api/message.hpp>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>

namespace webhookd::api::api_test {

class http_client {
public:
  explicit http_client(std::uint16_t port) : port_(port) {}

  /// Sends one request and reads its response; retries once on a connection the
  /// server closed while idle.
  response send(const request& req) {
    for (int attempt = 0;; ++attempt) {
      try {
        return exchange(req);
      } catch (const std::exception&) {
        socket_.close();
        buffer_.consume(buffer_.size());
        if (attempt == 1) throw;
      }
    }
  }

  /// Connections opened so far (keep-alive keeps it at 1).
  std::size_t connections() const noexcept { return connections_; }

private:
  response exchange(const request& req) {
    if (!socket_.is_open()) {
      socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
      ++connections_;
    }
    std::string out = req.method + " " + req.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : req.headers) out += h.name + ": " + h.value + "\r\n";
    if (!req.body.empty() || req.method == "POST" || req.method == "PATCH")
      out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
    out += "\r\n";
    out += req.body;
    asio::write(socket_, asio::buffer(out));

    const std::size_t head_size = asio::read_until(socket_, buffer_, "\r\n\r\n");
    std::string head(asio::buffers_begin(buffer_.data()),
                     asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(head_size));
    buffer_.consume(head_size);

    response r;
    const auto sp = head.find(' ');
    if (sp == std::string::npos) throw std::runtime_error("bad status line");
    r.status = std::stoi(head.substr(sp + 1, 3));
    std::size_t pos = head.find("\r\n") + 2;
    std::size_t length = 0;
    bool close = false;
    while (pos < head.size()) {
      const auto end = head.find("\r\n", pos);
      if (end == pos || end == std::string::npos) break;
      const std::string line = head.substr(pos, end - pos);
      pos = end + 2;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(value.begin());
      if (header_name_equal(name, "Content-Length")) length = std::stoul(value);
      if (header_name_equal(name, "Connection") && value == "close") close = true;
      r.headers.add(std::move(name), std::move(value));
    }
    if (req.method != "HEAD" && length > 0) {
      if (buffer_.size() < length)
        asio::read(socket_, buffer_, asio::transfer_exactly(length - buffer_.size()));
      r.body.assign(asio::buffers_begin(buffer_.data()),
                    asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(length));
      buffer_.consume(length);
    }
    if (close) socket_.close();
    return r;
  }

  std::uint16_t port_;
  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
  asio::streambuf buffer_;
  std::size_t connections_ = 0;
};

} // namespace webhookd::api::api_test

#endif
