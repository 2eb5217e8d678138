#include <webhookd/api/detail/request_parser.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using webhookd::api::detail::request_limits;
using webhookd::api::detail::request_parser;
using state = request_parser::state;

namespace {

// Everything the parser tells about one request, for comparisons.
struct outcome {
  state st = state::need_more;
  std::size_t used = 0;
  int status = 0;
  std::string method, target, body;
  std::vector<webhookd::api::header_field> headers;
  bool keep_alive = false, expects_continue = false, headers_complete = false;
  friend bool operator==(const outcome&, const outcome&) = default;
};

// Feeds `bytes` in pieces of `piece` bytes (0: at once) until the request completes
// or is refused.
outcome parse(const std::string& bytes, std::size_t piece = 0, request_limits limits = {}) {
  request_parser p(limits);
  outcome o;
  const std::size_t step = piece == 0 ? bytes.size() : piece;
  for (std::size_t at = 0; at < bytes.size() && p.current() == state::need_more; at += step) {
    const std::string_view part = std::string_view(bytes).substr(at, step);
    const std::size_t used = p.feed(part);
    o.used += used;
    if (used < part.size()) break;
  }
  o.st = p.current();
  o.status = p.error_status();
  o.method = p.message().method;
  o.target = p.message().target;
  o.body = p.message().body;
  o.headers = p.message().headers.fields();
  o.keep_alive = p.keep_alive();
  o.expects_continue = p.expects_continue();
  o.headers_complete = p.headers_complete();
  return o;
}

const std::string get = "GET /lucca-api/webhook-endpoints?limit=2 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
const std::string post = "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world";
const std::string chunked =
    "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";

} // namespace

TEST(request_parser, get_gives_method_target_and_ordered_headers) {
  const outcome o = parse(get);
  EXPECT_EQ(o.st, state::complete);
  EXPECT_EQ(o.used, get.size());
  EXPECT_EQ(o.method, "GET");
  EXPECT_EQ(o.target, "/lucca-api/webhook-endpoints?limit=2");
  ASSERT_EQ(o.headers.size(), 2u);
  EXPECT_EQ(o.headers[0].name, "Host");
  EXPECT_EQ(o.headers[1].value, "*/*");
  EXPECT_TRUE(o.keep_alive);
  EXPECT_TRUE(o.body.empty());
}

TEST(request_parser, content_length_and_chunked_bodies) {
  EXPECT_EQ(parse(post).body, "hello world");
  const outcome c = parse(chunked);
  EXPECT_EQ(c.st, state::complete);
  EXPECT_EQ(c.body, "hello world");
  EXPECT_EQ(c.used, chunked.size());
  ASSERT_EQ(c.headers.size(), 2u) << "trailers are dropped";
}

TEST(request_parser, any_split_gives_the_same_result) {
  const std::vector<std::string> inputs = {
      get, post, chunked, get + get,
      "GET / HTTP/1.0\r\n\r\n",
      "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
      "BREW / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"};
  std::mt19937 rng(7);
  for (const auto& in : inputs) {
    const outcome whole = parse(in);
    for (std::size_t piece : {1u, 2u, 3u, 5u, 13u}) EXPECT_EQ(parse(in, piece), whole) << in << " / " << piece;
    // Random splits too.
    for (int round = 0; round < 20; ++round) {
      request_parser p;
      std::size_t at = 0, used = 0;
      while (at < in.size() && p.current() == state::need_more) {
        const std::size_t n = std::min<std::size_t>(in.size() - at, 1 + rng() % 7);
        const std::size_t u = p.feed(std::string_view(in).substr(at, n));
        used += u;
        at += n;
        if (u < n) break;
      }
      EXPECT_EQ(p.current(), whole.st) << in;
      EXPECT_EQ(p.error_status(), whole.status) << in;
      EXPECT_EQ(p.message().body, whole.body) << in;
      EXPECT_EQ(used, whole.used) << in;
    }
  }
}

TEST(request_parser, stops_after_one_request_and_resets_for_the_next) {
  const std::string two = post + get;
  request_parser p;
  const std::size_t first = p.feed(two);
  ASSERT_EQ(p.current(), state::complete);
  EXPECT_EQ(first, post.size());
  EXPECT_EQ(p.feed(std::string_view(two).substr(first)), 0u) << "nothing more until reset";
  p.reset();
  EXPECT_EQ(p.current(), state::need_more);
  EXPECT_EQ(p.feed(std::string_view(two).substr(first)), get.size());
  ASSERT_EQ(p.current(), state::complete);
  EXPECT_EQ(p.message().method, "GET");
  EXPECT_TRUE(p.message().body.empty());
}

TEST(request_parser, header_limit_is_exact) {
  request_limits l;
  l.max_header_bytes = get.size();
  EXPECT_EQ(parse(get, 0, l).st, state::complete);
  EXPECT_EQ(parse(get, 1, l).st, state::complete);
  l.max_header_bytes = get.size() - 1;
  EXPECT_EQ(parse(get, 0, l).status, 431);
  EXPECT_EQ(parse(get, 1, l).status, 431);
  // A huge header line fails without buffering it all.
  request_parser p(l);
  const std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(100'000, 'a');
  EXPECT_LE(p.feed(big), l.max_header_bytes);
  EXPECT_EQ(p.current(), state::error);
  EXPECT_EQ(p.error_status(), 431);
  EXPECT_FALSE(p.error_reason().empty());
}

TEST(request_parser, body_limit_by_content_length_before_the_body) {
  request_limits l;
  l.max_body_bytes = 10;
  const outcome o = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 0, l);
  EXPECT_EQ(o.st, state::error);
  EXPECT_EQ(o.status, 413);
  l.max_body_bytes = 11;
  EXPECT_EQ(parse(post, 0, l).st, state::complete);
}

TEST(request_parser, body_limit_by_chunk_size_and_by_total) {
  request_limits l;
  l.max_body_bytes = 10;
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(parse(head + "b\r\n", 0, l).status, 413) << "an 11-byte chunk is refused at its header";
  EXPECT_EQ(parse(head + "ffffffffffffffff\r\n", 0, l).status, 413);
  std::string many = head;
  for (int i = 0; i < 11; ++i) many += "1\r\nx\r\n";
  EXPECT_EQ(parse(many + "0\r\n\r\n", 0, l).status, 413);
  std::string ten = head;
  for (int i = 0; i < 10; ++i) ten += "1\r\nx\r\n";
  EXPECT_EQ(parse(ten + "0\r\n\r\n", 1, l).body, "xxxxxxxxxx");
}

TEST(request_parser, keep_alive_rules) {
  EXPECT_TRUE(parse(get).keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(request_parser, expect_continue_is_seen_after_the_head_on_http_1_1_only) {
  const std::string head = "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n";
  request_parser p;
  EXPECT_EQ(p.feed(head), head.size());
  EXPECT_EQ(p.current(), state::need_more);
  EXPECT_TRUE(p.headers_complete());
  EXPECT_TRUE(p.expects_continue());
  p.feed("abc");
  EXPECT_EQ(p.current(), state::complete);
  EXPECT_EQ(p.message().body, "abc");
  EXPECT_FALSE(parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").expects_continue);
}

TEST(request_parser, refusals_carry_their_status) {
  EXPECT_EQ(parse("hello there\r\n\r\n").status, 400);
  EXPECT_EQ(parse(std::string("\x16\x03\x01\x00\xa5", 5)).status, 400);
  EXPECT_EQ(parse("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n").status, 501);
  EXPECT_EQ(parse("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n").status, 501);
  EXPECT_EQ(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n").status, 505);
  EXPECT_EQ(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").status, 505);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r\n").status, 400) << "no Host";
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").status,
            400);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n").status, 400);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n").status, 400);
  const outcome o = parse("GET /\x01 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(o.st, state::error);
  EXPECT_EQ(o.status, 400);
}

TEST(request_parser, upgrade_is_an_ordinary_request) {
  const std::string up = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  request_parser p;
  EXPECT_EQ(p.feed(up + get), up.size());
  EXPECT_EQ(p.current(), state::complete);
  p.reset();
  EXPECT_EQ(p.feed(get), get.size());
  EXPECT_EQ(p.current(), state::complete);
}

TEST(request_parser, reset_after_an_error_parses_again) {
  request_parser p;
  p.feed("garbage\r\n\r\n");
  ASSERT_EQ(p.current(), state::error);
  p.reset();
  EXPECT_EQ(p.error_status(), 0);
  EXPECT_TRUE(p.error_reason().empty());
  EXPECT_EQ(p.feed(post), post.size());
  EXPECT_EQ(p.current(), state::complete);
  EXPECT_EQ(p.message().body, "hello world");
}
