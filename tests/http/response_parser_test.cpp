#include <webhookd/http/response_parser.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <string>

namespace http = webhookd::http;
using webhookd::errc;

namespace {

std::error_code feed_all(http::response_parser& p, const std::string& s, std::size_t piece = 0) {
  if (piece == 0) return p.feed(s.data(), s.size());
  for (std::size_t i = 0; i < s.size(); i += piece)
    if (auto ec = p.feed(s.data() + i, std::min(piece, s.size() - i))) return ec;
  return {};
}

} // namespace

TEST(response_parser, content_length_in_any_split) {
  const std::string msg = "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\nRetry-After: 30\r\n\r\nhello";
  for (std::size_t piece : {0u, 1u, 3u, 7u}) {
    http::response_parser p;
    ASSERT_FALSE(feed_all(p, msg, piece));
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.status(), 202);
    EXPECT_EQ(p.body(), "hello");
    EXPECT_FALSE(p.body_truncated());
    ASSERT_TRUE(p.retry_after());
    EXPECT_EQ(*p.retry_after(), "30");
    EXPECT_TRUE(p.keep_alive());
    EXPECT_FALSE(p.has_trailing_data());
  }
}

TEST(response_parser, chunked) {
  http::response_parser p;
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", 2));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.status(), 500);
  EXPECT_EQ(p.body(), "abcdefg");
  EXPECT_TRUE(p.keep_alive());
}

TEST(response_parser, close_delimited_completes_at_eof) {
  http::response_parser p;
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\n\r\nsome body"));
  EXPECT_FALSE(p.done());
  EXPECT_FALSE(p.finish());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.body(), "some body");
  EXPECT_FALSE(p.keep_alive());
}

TEST(response_parser, truncated_answers_are_connection_closed) {
  {
    http::response_parser p;
    EXPECT_EQ(p.finish(), errc::connection_closed) << "nothing received";
  }
  {
    http::response_parser p;
    ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    EXPECT_EQ(p.finish(), errc::connection_closed);
  }
  {
    http::response_parser p;
    ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nContent-"));
    EXPECT_EQ(p.finish(), errc::connection_closed);
  }
}

TEST(response_parser, garbage_is_a_protocol_error) {
  http::response_parser p;
  EXPECT_EQ(feed_all(p, "garbage garbage\r\n\r\n"), errc::protocol_error);
  http::response_parser q;
  EXPECT_EQ(feed_all(q, "HTTP/1.1 20x OK\r\n\r\n"), errc::protocol_error);
  http::response_parser r;
  EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), errc::protocol_error);
}

TEST(response_parser, body_is_capped_then_drained_then_dropped) {
  http::response_limits limits;
  limits.body_cap = 4;
  limits.max_drain = 10;
  {
    http::response_parser p(limits);
    ASSERT_FALSE(feed_all(p, "HTTP/1.1 400 Bad\r\nContent-Length: 12\r\n\r\n0123456789ab", 5));
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.body(), "0123");
    EXPECT_TRUE(p.body_truncated());
    EXPECT_EQ(p.body_length(), 12u);
    EXPECT_TRUE(p.keep_alive()) << "drained within the limit";
  }
  {
    http::response_parser p(limits);
    ASSERT_FALSE(feed_all(p, "HTTP/1.1 400 Bad\r\nContent-Length: 100\r\n\r\n" + std::string(20, 'z')));
    EXPECT_FALSE(p.done());
    EXPECT_TRUE(p.drain_exceeded());
    EXPECT_EQ(p.status(), 400);
    EXPECT_EQ(p.body(), "zzzz");
    EXPECT_FALSE(p.keep_alive());
  }
}

TEST(response_parser, header_limits) {
  http::response_limits limits;
  limits.max_header_bytes = 100;
  limits.max_headers = 3;
  {
    http::response_parser p(limits);
    EXPECT_EQ(feed_all(p, "HTTP/1.1 200 OK\r\nX-Long: " + std::string(200, 'a') + "\r\n\r\n", 16),
              errc::headers_too_large);
  }
  {
    http::response_parser p(limits);
    EXPECT_EQ(feed_all(p, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"), errc::headers_too_large);
  }
  {
    http::response_parser p(limits);
    EXPECT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_TRUE(p.done());
  }
}

TEST(response_parser, interim_answers_are_skipped) {
  http::response_parser p;
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nRetry-After: 5\r\n\r\n"));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.status(), 204);
  EXPECT_EQ(p.retry_after().value_or(""), "5");
}

TEST(response_parser, an_interim_answer_has_no_body_whatever_its_headers_say) {
  // A 1xx answer ends at its blank line (RFC 9110 §15.2): its Content-Length must not
  // pull bytes of the final answer into a body.
  const std::string msg = "HTTP/1.1 100 Continue\r\nContent-Length: 2\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
  for (std::size_t piece : {0u, 1u, 5u}) {
    http::response_parser p;
    ASSERT_FALSE(feed_all(p, msg, piece));
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.status(), 200);
    EXPECT_EQ(p.body(), "x");
  }
}

TEST(response_parser, a_status_below_100_is_a_protocol_error) {
  for (const char* status : {"0", "81", "099"}) {
    http::response_parser p;
    EXPECT_EQ(feed_all(p, std::string("HTTP/1.1 ") + status + "\r\n\r\nx"), errc::protocol_error)
        << status;
    EXPECT_FALSE(p.done());
  }
}

TEST(response_parser, connection_close_and_trailing_bytes_prevent_reuse) {
  http::response_parser p;
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(p.done());
  EXPECT_FALSE(p.keep_alive());

  http::response_parser q;
  ASSERT_FALSE(feed_all(q, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(q.done());
  EXPECT_TRUE(q.has_trailing_data());
  EXPECT_FALSE(q.keep_alive());

  http::response_parser r;
  ASSERT_FALSE(feed_all(r, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(r.keep_alive()) << "HTTP/1.0 without keep-alive";
}

TEST(response_parser, reset_allows_reuse_of_the_object) {
  http::response_parser p;
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 503 X\r\nRetry-After: 9\r\nContent-Length: 1\r\n\r\na"));
  p.reset();
  ASSERT_FALSE(feed_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(p.status(), 200);
  EXPECT_FALSE(p.retry_after());
  EXPECT_EQ(p.body(), "");
}
