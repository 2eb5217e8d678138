// SPDX-License-Identifier: MIT
// Feeds arbitrary bytes to the client's response parser (http/response_parser.hpp) as
// a receiver's answer: whole, cut in two at a point the input chooses, one byte per read
// (short inputs), and whole again after reset(); checks what the parser reports each
// time, and that the answers agree.
//
// Input: 4 configuration bytes (body cap, drain allowance, header byte limit, split
// point), then the response bytes.
#include <webhookd/http/response_parser.hpp>

#include "fuzz_support.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using webhookd::http::response_limits;
using webhookd::http::response_parser;

// What the parser reported after one run over the input.
struct observed {
  std::error_code feed_error;
  std::error_code finish_error;
  bool started = false, headers_done = false, done = false, drain_exceeded = false;
  bool truncated = false, trailing = false, keep_alive = false;
  int status = 0;
  std::string body;
  std::uint64_t body_length = 0;
  std::optional<std::string> retry_after;
};

response_limits limits_for(const fuzz::input& in) {
  response_limits limits;
  if (!in.has_config) return limits;
  // Small limits, so that inputs of a few hundred bytes reach every one of them.
  limits.body_cap = in.config[0] * 17u;       // 0 .. 4335
  limits.max_drain = in.config[1] * 64u;      // 0 .. 16320
  limits.max_header_bytes = 32 + in.config[2] * 64u; // 32 .. 16352
  limits.max_headers = 1 + in.config[2] % 101u;
  return limits;
}

// Feeds the reads in order, as a connection would, stopping at the first error;
// then reports end of stream if the answer is not complete yet. Between reads, no
// body byte may have been taken before the final status line and headers.
observed run(response_parser& p, const std::vector<std::string_view>& reads) {
  observed o;
  for (const auto read : reads) {
    o.feed_error = p.feed(read.data(), read.size());
    if (!p.headers_done()) WEBHOOKD_FUZZ_CHECK(p.body_length() == 0 && p.body().empty());
    if (o.feed_error) break;
  }
  if (!o.feed_error && !p.done() && !p.drain_exceeded()) o.finish_error = p.finish();
  o.started = p.started();
  o.headers_done = p.headers_done();
  o.done = p.done();
  o.drain_exceeded = p.drain_exceeded();
  o.truncated = p.body_truncated();
  o.trailing = p.has_trailing_data();
  o.keep_alive = p.keep_alive();
  o.status = p.status();
  o.body = p.body();
  o.body_length = p.body_length();
  o.retry_after = p.retry_after();
  return o;
}

void check_invariants(const observed& o, const response_limits& limits, std::size_t input_size) {
  const std::error_code protocol = webhookd::make_error_code(webhookd::errc::protocol_error);
  const std::error_code too_large = webhookd::make_error_code(webhookd::errc::headers_too_large);
  const std::error_code closed = webhookd::make_error_code(webhookd::errc::connection_closed);
  WEBHOOKD_FUZZ_CHECK(!o.feed_error || o.feed_error == protocol || o.feed_error == too_large);
  WEBHOOKD_FUZZ_CHECK(!o.finish_error || o.finish_error == closed);

  // The body cap holds, whatever the framing.
  WEBHOOKD_FUZZ_CHECK(o.body.size() <= limits.body_cap);
  WEBHOOKD_FUZZ_CHECK(o.body_length <= input_size);
  WEBHOOKD_FUZZ_CHECK(o.body.size() == std::min<std::uint64_t>(o.body_length, limits.body_cap));
  WEBHOOKD_FUZZ_CHECK(o.truncated == (o.body_length > limits.body_cap));
  WEBHOOKD_FUZZ_CHECK(o.drain_exceeded == (o.body_length > limits.body_cap + limits.max_drain));
  if (o.retry_after) WEBHOOKD_FUZZ_CHECK(o.retry_after->size() <= 128);

  // A complete answer has a final status: three digits, not 1xx.
  if (o.headers_done) WEBHOOKD_FUZZ_CHECK(o.status >= 200 && o.status <= 999);
  if (o.done) WEBHOOKD_FUZZ_CHECK(o.headers_done && !o.feed_error && !o.finish_error);
  if (o.drain_exceeded) WEBHOOKD_FUZZ_CHECK(o.headers_done && !o.done);
  if (o.keep_alive) WEBHOOKD_FUZZ_CHECK(o.done && !o.trailing);
  if (o.trailing) WEBHOOKD_FUZZ_CHECK(o.done);
  if (input_size == 0) WEBHOOKD_FUZZ_CHECK(!o.started && o.finish_error == closed);
}

// The bytes were cut somewhere else: the same answer must come out, unless a header
// limit was hit (the limits count per callback, and a cut adds a callback).
void check_same_answer(const observed& whole, const observed& cut) {
  const std::error_code too_large = webhookd::make_error_code(webhookd::errc::headers_too_large);
  if (whole.feed_error == too_large || cut.feed_error == too_large) return;
  WEBHOOKD_FUZZ_CHECK(whole.feed_error == cut.feed_error);
  if (whole.feed_error) return;
  WEBHOOKD_FUZZ_CHECK(whole.finish_error == cut.finish_error);
  WEBHOOKD_FUZZ_CHECK(whole.done == cut.done);
  WEBHOOKD_FUZZ_CHECK(whole.headers_done == cut.headers_done);
  WEBHOOKD_FUZZ_CHECK(whole.drain_exceeded == cut.drain_exceeded);
  WEBHOOKD_FUZZ_CHECK(whole.status == cut.status);
  WEBHOOKD_FUZZ_CHECK(whole.body == cut.body);
  WEBHOOKD_FUZZ_CHECK(whole.truncated == cut.truncated);
  WEBHOOKD_FUZZ_CHECK(whole.retry_after == cut.retry_after);
  // Past the drain allowance the count stops at the callback that crossed it, and a
  // cut moves callback boundaries.
  if (!whole.drain_exceeded) WEBHOOKD_FUZZ_CHECK(whole.body_length == cut.body_length);
}

void check_equal(const observed& a, const observed& b) {
  WEBHOOKD_FUZZ_CHECK(a.feed_error == b.feed_error && a.finish_error == b.finish_error);
  WEBHOOKD_FUZZ_CHECK(a.started == b.started && a.headers_done == b.headers_done);
  WEBHOOKD_FUZZ_CHECK(a.done == b.done && a.drain_exceeded == b.drain_exceeded);
  WEBHOOKD_FUZZ_CHECK(a.truncated == b.truncated && a.trailing == b.trailing);
  WEBHOOKD_FUZZ_CHECK(a.keep_alive == b.keep_alive && a.status == b.status);
  WEBHOOKD_FUZZ_CHECK(a.body == b.body && a.body_length == b.body_length);
  WEBHOOKD_FUZZ_CHECK(a.retry_after == b.retry_after);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::input in(data, size);
  const response_limits limits = limits_for(in);
  const auto patterns = fuzz::read_patterns(in);

  response_parser parser(limits);
  const observed whole = run(parser, patterns.front());
  check_invariants(whole, limits, in.bytes.size());
  for (std::size_t i = 1; i < patterns.size(); ++i) {
    parser.reset();
    const observed other = run(parser, patterns[i]);
    check_invariants(other, limits, in.bytes.size());
    check_same_answer(whole, other);
  }

  // reset() forgets everything: the same bytes give the same answer again.
  parser.reset();
  check_equal(whole, run(parser, patterns.front()));
  return 0;
}
