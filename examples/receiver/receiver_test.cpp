#include "receiver.hpp" // must be self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
namespace api = webhookd::api;

// SPEC.md Part 1 §1's test vector.
constexpr std::string_view secret = "b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta";
constexpr std::string_view signed_at = "2025-01-01T08:34:23Z";
constexpr std::string_view body = R"({"id":"123","type":"event","topic":"employee.created"})";
constexpr std::string_view signature = "neHJizYcpdPyD+yroKYvvvpHdWbzzRSlRIb68z1t1Po=";

webhookd::timestamp at(std::string_view rfc3339) { return *webhookd::parse_rfc3339(rfc3339); }

api::request get(std::string target) {
  api::request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

api::request post(std::string_view payload, std::string_view timestamp, std::string_view sig) {
  api::request r;
  r.method = "POST";
  r.target = "/hooks";
  r.headers.add("Content-Type", "application/json");
  if (!timestamp.empty()) r.headers.add("Lucca-Timestamp", std::string(timestamp));
  if (!sig.empty()) r.headers.add("Lucca-Signature", std::string(sig));
  r.body = payload;
  return r;
}

// A request signed now (by `clock`) with `key`.
api::request signed_post(std::string_view payload, const webhookd::clock& clock,
                         std::string_view key = secret) {
  const std::string ts = webhookd::format_rfc3339_seconds(clock.now());
  return post(payload, ts, example::secret_source::fixed(key).current()->sign(ts, payload));
}

struct receiver_test : ::testing::Test {
  webhookd::manual_clock clock{at(signed_at)};
  std::ostringstream log;

  example::receiver make(example::secret_source source = example::secret_source::fixed(secret),
                         example::receiver_options options = {}) {
    return example::receiver(std::move(source), options, log, clock);
  }

  std::string last_line() const {
    const std::string s = log.str();
    if (s.empty()) return s;
    const auto start = s.rfind('\n', s.size() - 2);
    return s.substr(start == std::string::npos ? 0 : start + 1);
  }
};

TEST_F(receiver_test, is_a_request_handler_that_answers_through_the_sink) {
  const api::request_handler handler = make();
  std::optional<api::response> answer;
  handler(post(body, signed_at, signature), [&](api::response r) { answer = std::move(r); });
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 202);
}

TEST_F(receiver_test, answers_the_activation_challenge_with_the_value_only) {
  const auto r = make().handle(get("/hooks?echo=abc-DEF_123&challenge=abc-DEF_123"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc-DEF_123");
  EXPECT_EQ(r.headers.value_or("Content-Type"), "text/plain");
  EXPECT_NE(last_line().find("challenge answered"), std::string::npos);
}

TEST_F(receiver_test, answers_head_like_get) {
  auto req = get("/hooks?echo=v");
  req.method = "HEAD";
  const auto r = make().handle(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "v"); // the transport sends the length, not the body
}

TEST_F(receiver_test, accepts_the_old_challenge_parameter_name) {
  EXPECT_EQ(make().handle(get("/x?challenge=zz")).body, "zz");
}

TEST_F(receiver_test, percent_decodes_the_challenge) {
  // The documented example value, with its non-ASCII character in UTF-8.
  const auto r = make().handle(get("/?echo=iusiof24dsfxvc%C3%A7834"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "iusiof24dsfxvc\xC3\xA7" "834");
  EXPECT_EQ(make().handle(get("/?echo=a+b%2Bc")).body, "a+b+c");
}

TEST_F(receiver_test, refuses_a_get_without_challenge_or_with_a_broken_escape) {
  EXPECT_EQ(make().handle(get("/hooks")).status, 400);
  EXPECT_EQ(make().handle(get("/hooks?echoes=1")).status, 400);
  EXPECT_EQ(make().handle(get("/hooks?echo=%4")).status, 400);
  EXPECT_EQ(make().handle(get("/hooks?echo=%zz")).status, 400);
}

TEST_F(receiver_test, accepts_a_correctly_signed_event_with_202) {
  const auto r = make().handle(post(body, signed_at, signature));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "accepted\n");
  const std::string line = last_line();
  EXPECT_EQ(line.rfind("2025-01-01T08:34:23.000Z  POST /hooks  202", 0), 0u) << line;
  EXPECT_NE(line.find("topic=employee.created id=123  verified\n"), std::string::npos) << line;
}

TEST_F(receiver_test, answers_a_duplicate_with_202_and_notes_it) {
  const auto recv = make();
  ASSERT_EQ(recv.handle(post(body, signed_at, signature)).status, 202);
  clock.advance(10s); // a retry: fresh timestamp and signature, same event id
  const auto r = recv.handle(signed_post(body, clock));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "duplicate\n");
  EXPECT_NE(last_line().find("duplicate"), std::string::npos);
}

TEST_F(receiver_test, forgets_the_oldest_ids_beyond_its_memory) {
  example::receiver_options options;
  options.remember = 2;
  const auto recv = make(example::secret_source::fixed(secret), options);
  for (const char* id : {"a", "b", "c"})
    ASSERT_EQ(recv.handle(signed_post(std::string(R"({"id":")") + id + "\"}", clock)).body, "accepted\n");
  EXPECT_EQ(recv.handle(signed_post(R"({"id":"c"})", clock)).body, "duplicate\n");
  EXPECT_EQ(recv.handle(signed_post(R"({"id":"a"})", clock)).body, "accepted\n");
}

TEST_F(receiver_test, rejects_a_tampered_body_with_401_and_says_why) {
  const std::string tampered = std::string(body) + " ";
  const auto r = make().handle(post(tampered, signed_at, signature));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "signature does not match\n");
  EXPECT_NE(last_line().find("rejected: the Lucca-Signature does not match"), std::string::npos);
}

TEST_F(receiver_test, rejects_missing_headers) {
  const auto recv = make();
  EXPECT_EQ(recv.handle(post(body, signed_at, "")).body, "signature header missing\n");
  EXPECT_EQ(recv.handle(post(body, "", signature)).body, "timestamp header missing\n");
  EXPECT_EQ(recv.handle(post(body, "yesterday", signature)).status, 401);
}

TEST_F(receiver_test, rejects_a_timestamp_beyond_the_tolerance_either_way) {
  const auto recv = make();
  clock.set(at(signed_at) + 301s);
  auto r = recv.handle(post(body, signed_at, signature));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "timestamp outside the tolerance\n");
  clock.set(at(signed_at) - 301s);
  EXPECT_EQ(recv.handle(post(body, signed_at, signature)).status, 401);
  clock.set(at(signed_at) + 300s);
  EXPECT_EQ(recv.handle(post(body, signed_at, signature)).status, 202);
}

TEST_F(receiver_test, takes_its_tolerance_from_the_options) {
  example::receiver_options options;
  options.tolerance = 3600s;
  clock.set(at(signed_at) + 3000s);
  EXPECT_EQ(make(example::secret_source::fixed(secret), options)
                .handle(post(body, signed_at, signature)).status, 202);
}

TEST_F(receiver_test, refuses_every_event_until_a_secret_is_configured) {
  const auto r = make(example::secret_source{}).handle(post(body, signed_at, signature));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "no secret configured\n");
  EXPECT_NE(last_line().find("rejected: no secret configured"), std::string::npos);
  // The challenge needs no secret.
  EXPECT_EQ(make(example::secret_source{}).handle(get("/?echo=v")).status, 200);
}

TEST_F(receiver_test, reads_the_secret_file_again_when_it_changes) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("receiver_test_secret_" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  const auto recv = make(example::secret_source::file(path));
  EXPECT_EQ(recv.handle(post(body, signed_at, signature)).body, "no secret configured\n");

  const auto write = [&](std::string_view text, std::filesystem::file_time_type mtime) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    std::filesystem::last_write_time(path, mtime);
  };
  const auto t0 = std::filesystem::file_time_type::clock::now();
  write(std::string(secret) + "\n", t0);
  EXPECT_EQ(recv.handle(post(body, signed_at, signature)).status, 202);
  EXPECT_NE(log.str().find("secret loaded from " + path.string()), std::string::npos);

  // A new secret of the same length: only the modification time tells it changed.
  const std::string other(secret.size(), 'k');
  write(other, t0 + 1s);
  EXPECT_EQ(recv.handle(post(body, signed_at, signature)).status, 401);
  EXPECT_EQ(recv.handle(signed_post(R"({"id":"9"})", clock, other)).status, 202);

  write("  \n", t0 + 2s);
  EXPECT_EQ(recv.handle(signed_post(R"({"id":"10"})", clock, other)).body, "no secret configured\n");
  std::filesystem::remove(path);
  EXPECT_EQ(recv.handle(signed_post(R"({"id":"11"})", clock, other)).body, "no secret configured\n");
}

TEST_F(receiver_test, reads_id_and_topic_of_a_cloudevents_body) {
  const std::string ce = R"({"specversion":"1.0","id":"ev-7","source":"https://example.ilucca.net",)"
                         R"("type":"com.luccasoftware.employee.updated","datacontenttype":"application/json",)"
                         R"("data":{"id":"ev-7","type":"event","topic":"employee.updated"}})";
  const auto recv = make();
  EXPECT_EQ(recv.handle(signed_post(ce, clock)).status, 202);
  EXPECT_NE(last_line().find("topic=employee.updated id=ev-7  verified"), std::string::npos);
  EXPECT_EQ(recv.handle(signed_post(ce, clock)).body, "duplicate\n");

  const auto summary = example::read_event(R"({"specversion":"1.0","id":"x","type":"com.acme.thing"})");
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->topic, "com.acme.thing");
}

TEST_F(receiver_test, answers_the_configured_status_and_does_not_remember_those_events) {
  example::receiver_options options;
  options.status = 503;
  const auto recv = make(example::secret_source::fixed(secret), options);
  EXPECT_EQ(recv.handle(post(body, signed_at, signature)).status, 503);
  const auto again = recv.handle(post(body, signed_at, signature));
  EXPECT_EQ(again.status, 503);
  EXPECT_NE(last_line().find("verified (answered 503"), std::string::npos);
  // Signatures are still checked.
  EXPECT_EQ(recv.handle(post(std::string(body) + " ", signed_at, signature)).status, 401);
}

TEST_F(receiver_test, refuses_a_verified_body_without_an_event_id) {
  const auto recv = make();
  EXPECT_EQ(recv.handle(signed_post("not json", clock)).status, 400);
  EXPECT_EQ(recv.handle(signed_post(R"({"id":42})", clock)).status, 400);
  EXPECT_EQ(recv.handle(signed_post(R"({"id":""})", clock)).status, 400);
}

TEST_F(receiver_test, refuses_other_methods_with_405) {
  auto req = get("/hooks");
  req.method = "PUT";
  const auto r = make().handle(req);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.value_or("Allow"), "GET, HEAD, POST");
}

TEST_F(receiver_test, writes_one_line_per_request_without_control_characters) {
  const auto recv = make();
  recv.handle(post(R"({"id":"a\nforged line","topic":"t\u0007"})", signed_at, signature));
  recv.handle(get("/?echo=1"));
  const std::string s = log.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 2);
  EXPECT_NE(s.find("id=a?forged line"), std::string::npos) << s;
  EXPECT_NE(s.find("topic=t? "), std::string::npos) << s;
}

} // namespace
