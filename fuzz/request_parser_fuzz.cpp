// SPDX-License-Identifier: MIT
// Feeds arbitrary bytes to the embedded server's request parser
// (api/detail/request_parser.hpp) as one connection's stream of pipelined requests:
// in one read, in two reads cut at a point the input chooses, and (for short inputs)
// one byte per read. Checks each request and refusal, and that the three give the
// same requests: the parser promises that byte boundaries never matter.
//
// Input: 4 configuration bytes (header limit, body limit, split point), then the
// bytes a client sent.
#include <webhookd/api/detail/request_parser.hpp>

#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using webhookd::api::detail::request_limits;
using webhookd::api::detail::request_parser;
using state = request_parser::state;

struct parsed_request {
  webhookd::api::request message;
  bool keep_alive = false;
  bool expects_continue = false;
  int version_minor = 0;

  friend bool operator==(const parsed_request& a, const parsed_request& b) {
    return a.message.method == b.message.method && a.message.target == b.message.target &&
           a.message.headers == b.message.headers && a.message.body == b.message.body &&
           a.keep_alive == b.keep_alive && a.expects_continue == b.expects_continue &&
           a.version_minor == b.version_minor;
  }
};

// What the parser made of one connection's bytes.
struct transcript {
  std::vector<parsed_request> requests;
  int error_status = 0; // the refusal that ended the stream, if any
  bool partial_headers_complete = false; // of the incomplete request at the end
};

request_limits limits_for(const fuzz::input& in) {
  request_limits limits;
  if (!in.has_config) return limits;
  // Small limits, so that inputs of a few hundred bytes reach them.
  limits.max_header_bytes = 16 + in.config[0] * 32u + in.config[2]; // 16 .. 8431
  limits.max_body_bytes = in.config[1] * 8u;                        // 0 .. 2040
  return limits;
}

void check_request(request_parser& p, const request_limits& limits) {
  WEBHOOKD_FUZZ_CHECK(p.headers_complete());
  WEBHOOKD_FUZZ_CHECK(p.error_status() == 0 && p.error_reason().empty());
  const webhookd::api::request& m = p.message();
  WEBHOOKD_FUZZ_CHECK(!m.method.empty() && !m.target.empty());
  WEBHOOKD_FUZZ_CHECK(m.method != "CONNECT"); // refused with 501
  WEBHOOKD_FUZZ_CHECK(m.body.size() <= limits.max_body_bytes);
  std::size_t head = m.method.size() + m.target.size();
  std::size_t hosts = 0;
  for (const auto& f : m.headers) {
    head += f.name.size() + f.value.size();
    if (webhookd::api::header_name_equal(f.name, "Host")) ++hosts;
  }
  WEBHOOKD_FUZZ_CHECK(head <= limits.max_header_bytes);
  WEBHOOKD_FUZZ_CHECK(p.version_minor() == 0 || p.version_minor() == 1);
  WEBHOOKD_FUZZ_CHECK(hosts <= 1);
  if (p.version_minor() == 1) WEBHOOKD_FUZZ_CHECK(hosts == 1);
  if (p.expects_continue()) WEBHOOKD_FUZZ_CHECK(p.version_minor() == 1);
}

void check_refusal(const request_parser& p) {
  const int s = p.error_status();
  WEBHOOKD_FUZZ_CHECK(s == 400 || s == 413 || s == 431 || s == 501 || s == 505);
  WEBHOOKD_FUZZ_CHECK(!p.error_reason().empty());
}

// Hands one read's bytes to the parser as a server does: every complete request is
// taken and the parser reset for the next; a refusal ends the connection (false).
bool deliver(request_parser& p, std::string_view bytes, transcript& t,
             const request_limits& limits) {
  while (!bytes.empty()) {
    const std::size_t used = p.feed(bytes);
    WEBHOOKD_FUZZ_CHECK(used <= bytes.size());
    bytes.remove_prefix(used);
    switch (p.current()) {
    case state::need_more:
      WEBHOOKD_FUZZ_CHECK(bytes.empty() && p.error_status() == 0);
      break;
    case state::complete:
      WEBHOOKD_FUZZ_CHECK(used > 0);
      check_request(p, limits);
      if (!bytes.empty()) WEBHOOKD_FUZZ_CHECK(p.feed(bytes) == 0 && p.current() == state::complete);
      t.requests.push_back({std::move(p.message()), p.keep_alive(), p.expects_continue(),
                            p.version_minor()});
      p.reset();
      WEBHOOKD_FUZZ_CHECK(p.current() == state::need_more && !p.headers_complete());
      WEBHOOKD_FUZZ_CHECK(p.message().method.empty() && p.message().headers.empty() &&
                          p.message().body.empty());
      break;
    case state::error:
      check_refusal(p);
      if (!bytes.empty()) WEBHOOKD_FUZZ_CHECK(p.feed(bytes) == 0 && p.current() == state::error);
      t.error_status = p.error_status();
      return false;
    }
  }
  return true;
}

transcript run(request_parser& p, const std::vector<std::string_view>& reads,
               const request_limits& limits) {
  p.reset();
  transcript t;
  for (const auto read : reads)
    if (!deliver(p, read, t, limits)) return t;
  t.partial_headers_complete = p.headers_complete();
  return t;
}

bool is_limit(int status) { return status == 413 || status == 431; }

void check_same(const transcript& a, const transcript& b) {
  WEBHOOKD_FUZZ_CHECK(a.requests.size() == b.requests.size());
  for (std::size_t i = 0; i < a.requests.size(); ++i) WEBHOOKD_FUZZ_CHECK(a.requests[i] == b.requests[i]);
  // Which refusal comes first, a size limit or a malformed byte further on, may
  // depend on where the reads end: llhttp reports a span (a header value, a chunk
  // extension) when it ends or when the read does, and sizes are counted then.
  // Whether the stream is refused may not.
  if (is_limit(a.error_status) || is_limit(b.error_status))
    WEBHOOKD_FUZZ_CHECK((a.error_status != 0) == (b.error_status != 0));
  else
    WEBHOOKD_FUZZ_CHECK(a.error_status == b.error_status);
  if (a.error_status == 0) WEBHOOKD_FUZZ_CHECK(a.partial_headers_complete == b.partial_headers_complete);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::input in(data, size);
  const request_limits limits = limits_for(in);
  const auto patterns = fuzz::read_patterns(in);

  request_parser parser(limits);
  const transcript whole = run(parser, patterns.front(), limits);
  for (std::size_t i = 1; i < patterns.size(); ++i) check_same(whole, run(parser, patterns[i], limits));
  return 0;
}
