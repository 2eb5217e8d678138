#include <webhookd/http/request.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <stdexcept>

namespace http = webhookd::http;

TEST(request, builds_the_header_block_once) {
  auto body = std::make_shared<const std::string>(R"({"id":"1"})");
  http::request r("POST", *webhookd::parse_url("https://Hooks.Example.com:8443/in?x=1"), body);
  r.set("Content-Type", "application/json").set("Lucca-Timestamp", "2025-01-01T08:34:23Z");
  EXPECT_FALSE(r.sealed());
  r.seal();
  r.seal();
  EXPECT_EQ(r.head(),
            "POST /in?x=1 HTTP/1.1\r\nHost: hooks.example.com:8443\r\nUser-Agent: " +
                std::string(webhookd::user_agent) +
                "\r\nContent-Type: application/json\r\nLucca-Timestamp: 2025-01-01T08:34:23Z\r\n"
                "Content-Length: 10\r\n\r\n");
  EXPECT_EQ(r.origin(), "https://hooks.example.com:8443");
  const auto b = r.buffers();
  EXPECT_EQ(b[0].data(), r.head().data());
  EXPECT_EQ(b[1].data(), body->data()) << "the body is not copied";
  EXPECT_EQ(b[1].size(), body->size());
  EXPECT_EQ(r.size(), r.head().size() + body->size());
  EXPECT_THROW(r.set("X", "y"), std::invalid_argument) << "sealed";
}

TEST(request, get_without_body_has_no_content_length) {
  http::request r("GET", *webhookd::parse_url("https://[::1]/?echo=abc"));
  r.seal();
  EXPECT_EQ(r.head(), "GET /?echo=abc HTTP/1.1\r\nHost: [::1]\r\nUser-Agent: " + std::string(webhookd::user_agent) +
                          "\r\n\r\n");
  EXPECT_EQ(r.buffers()[1].size(), 0u);
}

TEST(request, post_without_body_sends_zero_length) {
  http::request r("POST", *webhookd::parse_url("http://example.com"));
  r.seal();
  EXPECT_NE(r.head().find("Content-Length: 0\r\n\r\n"), std::string::npos);
}

TEST(request, refuses_header_injection) {
  http::request r("POST", *webhookd::parse_url("https://example.com/"));
  EXPECT_THROW(r.set("X-A", "a\r\nEvil: 1"), std::invalid_argument);
  EXPECT_THROW(r.set("X-A", std::string("a\0b", 3)), std::invalid_argument);
  EXPECT_THROW(r.set("Bad Name", "v"), std::invalid_argument);
  EXPECT_THROW(r.set("", "v"), std::invalid_argument);
  EXPECT_THROW(http::request("PO ST", *webhookd::parse_url("https://example.com/")), std::invalid_argument);
}
