#include <webhookd/core/error.hpp> // must be self-contained

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

TEST(error, codes_belong_to_the_webhookd_category) {
  const std::error_code ec = webhookd::errc::timeout;
  EXPECT_STREQ(ec.category().name(), "webhookd");
  EXPECT_EQ(ec, webhookd::errc::timeout);
  EXPECT_NE(ec, webhookd::errc::protocol_error);
  EXPECT_TRUE(static_cast<bool>(ec));
  EXPECT_EQ(ec.message(), "timeout");
}

TEST(error, every_code_has_its_own_message) {
  std::set<std::string> messages;
  const int last = static_cast<int>(webhookd::errc::schema_too_new);
  for (int v = 1; v <= last; ++v) {
    const std::string m = webhookd::make_error_code(static_cast<webhookd::errc>(v)).message();
    EXPECT_NE(m, "unknown webhookd error") << v;
    EXPECT_TRUE(messages.insert(m).second) << "duplicate message: " << m;
  }
  EXPECT_EQ(webhookd::error_category().message(last + 1000), "unknown webhookd error");
}

TEST(error, tls_verification_reads_as_the_spec_words_it) {
  // SPEC.md Part 1 §7 quotes this reason for attempts without an HTTP answer.
  EXPECT_EQ(std::error_code(webhookd::errc::tls_verify_failed).message(),
            "TLS: certificate verify failed");
}

} // namespace
