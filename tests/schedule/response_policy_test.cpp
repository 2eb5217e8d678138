#include <webhookd/schedule/response_policy.hpp> // must be self-contained

#include <webhookd/core/error.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace std::chrono_literals;
using webhookd::timestamp;
using webhookd::schedule::response_action;
using webhookd::schedule::response_policy;
using webhookd::schedule::retry_schedule;
using webhookd::schedule::status_rule;
using enum webhookd::schedule::response_action;

constexpr timestamp now{1735689600000ms}; // 2025-01-01T00:00:00Z

webhookd::http::outcome answer(int status, std::optional<std::string> retry_after = {}) {
  webhookd::http::outcome o;
  o.status = status;
  o.retry_after = std::move(retry_after);
  return o;
}

webhookd::http::outcome transport_error(std::error_code ec) {
  webhookd::http::outcome o;
  o.error = ec;
  return o;
}

TEST(response_policy, default_is_the_new_table) {
  const response_policy p;
  EXPECT_EQ(p, response_policy::lucca());
  // Every row of SPEC.md Part 2 §7.4 (NEW).
  for (int s = 200; s <= 299; ++s) EXPECT_EQ(p.classify(s), delivered) << s;
  EXPECT_EQ(p.classify(400), retry);
  EXPECT_EQ(p.classify(401), retry);
  EXPECT_EQ(p.classify(404), failed_and_suspend);
  EXPECT_EQ(p.classify(410), failed_and_suspend);
  EXPECT_EQ(p.classify(429), retry);
  EXPECT_EQ(p.classify(503), retry);
  for (int s : {500, 501, 502, 504, 599}) EXPECT_EQ(p.classify(s), retry) << s;
}

TEST(response_policy, default_retries_what_the_table_does_not_cover) {
  const response_policy p;
  for (int s : {100, 101, 199}) EXPECT_EQ(p.classify(s), retry) << s;
  for (int s : {300, 301, 302, 303, 304, 307, 308}) EXPECT_EQ(p.classify(s), retry) << s;
  for (int s : {402, 403, 405, 408, 409, 413, 415, 422, 451, 499}) EXPECT_EQ(p.classify(s), retry) << s;
  EXPECT_EQ(p.rule_for(302), nullptr);
}

TEST(response_policy, default_retries_every_transport_error) {
  const response_policy p;
  using webhookd::errc;
  for (const std::error_code ec :
       {make_error_code(errc::timeout), make_error_code(errc::protocol_error),
        make_error_code(errc::headers_too_large), make_error_code(errc::tls_handshake_failed),
        make_error_code(errc::tls_verify_failed), make_error_code(errc::connection_closed),
        make_error_code(errc::blocked_address),
        std::make_error_code(std::errc::connection_refused),
        std::make_error_code(std::errc::connection_reset),
        std::make_error_code(std::errc::host_unreachable)}) {
    const auto d = p.classify(transport_error(ec), now);
    EXPECT_EQ(d.action, retry) << ec.message();
    EXPECT_EQ(d.retry_after, std::nullopt);
  }
}

TEST(response_policy, retry_after_is_read_on_429_and_503_only) {
  const response_policy p;
  EXPECT_EQ(p.classify(answer(429, "120"), now).retry_after, 120s);
  EXPECT_EQ(p.classify(answer(503, "Wed, 01 Jan 2025 01:00:00 GMT"), now).retry_after, 1h);
  EXPECT_EQ(p.classify(answer(503, "Tue, 31 Dec 2024 23:00:00 GMT"), now).retry_after, 0s);
  EXPECT_EQ(p.classify(answer(503, "soon"), now).retry_after, std::nullopt); // unparsable
  EXPECT_EQ(p.classify(answer(503), now).retry_after, std::nullopt);         // absent
  for (int s : {500, 502, 400, 301, 200, 404}) {
    const auto d = p.classify(answer(s, "120"), now);
    EXPECT_EQ(d.retry_after, std::nullopt) << s;
    EXPECT_EQ(d.action, p.classify(s)) << s;
  }
}

TEST(response_policy, old_preset_is_the_old_table) {
  const auto p = response_policy::lucca_old();
  for (int s : {200, 201, 202}) EXPECT_EQ(p.classify(s), delivered) << s;
  for (int s : {400, 401, 404}) EXPECT_EQ(p.classify(s), failed) << s; // no retry, no suspend
  EXPECT_EQ(p.classify(429), retry);
  EXPECT_EQ(p.classify(503), retry);
  for (int s : {500, 501, 502, 504, 599}) EXPECT_EQ(p.classify(s), failed) << s;
  // Not in the OLD table: retried, as by default.
  for (int s : {203, 204, 299, 100, 301, 302, 403, 410, 422})
    EXPECT_EQ(p.classify(s), retry) << s;
  EXPECT_EQ(p.classify(transport_error(make_error_code(webhookd::errc::timeout)), now).action, retry);
  EXPECT_EQ(p.classify(answer(429, "30"), now).retry_after, 30s);
  EXPECT_EQ(p.classify(answer(500, "30"), now).retry_after, std::nullopt);
}

TEST(response_policy, hosts_configure_rules_first_match_wins) {
  const response_policy p({{410, 410, failed, false},
                           {400, 499, failed, false},
                           {200, 200, delivered, false},
                           {500, 599, retry, true}},
                          /*otherwise=*/failed, /*on_transport_error=*/failed);
  EXPECT_EQ(p.classify(410), failed);
  EXPECT_EQ(p.classify(418), failed);
  EXPECT_EQ(p.classify(200), delivered);
  EXPECT_EQ(p.classify(204), failed); // otherwise
  EXPECT_EQ(p.classify(502), retry);
  EXPECT_EQ(p.classify(answer(502, "7"), now).retry_after, 7s);
  EXPECT_EQ(p.classify(transport_error(make_error_code(webhookd::errc::timeout)), now).action,
            failed);
  ASSERT_NE(p.rule_for(404), nullptr);
  EXPECT_EQ(*p.rule_for(404), (status_rule{400, 499, failed, false}));
  EXPECT_EQ(p.otherwise(), failed);
  EXPECT_EQ(p.on_transport_error(), failed);
  EXPECT_EQ(p.rules().size(), 4u);
}

TEST(response_policy, rejects_ranges_outside_http_statuses) {
  EXPECT_THROW(response_policy({{99, 200, retry, false}}), std::invalid_argument);
  EXPECT_THROW(response_policy({{500, 600, retry, false}}), std::invalid_argument);
  EXPECT_THROW(response_policy({{300, 200, retry, false}}), std::invalid_argument);
}

TEST(response_policy, action_names) {
  EXPECT_EQ(to_string(delivered), "delivered");
  EXPECT_EQ(to_string(retry), "retry");
  EXPECT_EQ(to_string(failed), "failed");
  EXPECT_EQ(to_string(failed_and_suspend), "failed_and_suspend");
}

TEST(response_policy, plan_combines_policy_and_schedule) {
  const response_policy p;
  const retry_schedule s = retry_schedule::aggressive(); // 1 s, 2 s, 4 s, 8 s
  std::mt19937_64 rng(1);
  using webhookd::schedule::plan_after_attempt;

  auto plan = plan_after_attempt(p, s, answer(204), 1, now, rng);
  EXPECT_EQ(plan.action, delivered);
  EXPECT_EQ(plan.next_attempt_at, std::nullopt);

  plan = plan_after_attempt(p, s, answer(500), 1, now, rng);
  EXPECT_EQ(plan.action, retry);
  EXPECT_EQ(plan.next_attempt_at, now + 1s);

  plan = plan_after_attempt(p, s, answer(503, "60"), 2, now, rng); // floor above 2 s
  EXPECT_EQ(plan.next_attempt_at, now + 60s);

  plan = plan_after_attempt(p, s, answer(429, "999999"), 2, now, rng); // capped at 24 h
  EXPECT_EQ(plan.next_attempt_at, now + 24h);

  plan = plan_after_attempt(p, s, answer(500), 5, now, rng); // schedule exhausted
  EXPECT_EQ(plan.action, failed);
  EXPECT_EQ(plan.next_attempt_at, std::nullopt);

  plan = plan_after_attempt(p, s, answer(410), 1, now, rng);
  EXPECT_EQ(plan.action, failed_and_suspend);

  plan = plan_after_attempt(p, s, transport_error(make_error_code(webhookd::errc::timeout)), 3,
                            now, rng);
  EXPECT_EQ(plan.action, retry);
  EXPECT_EQ(plan.next_attempt_at, now + 4s);
}

} // namespace
