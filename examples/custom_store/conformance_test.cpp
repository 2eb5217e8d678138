// The conformance suite every delivery_store adapter runs, instantiated for the
// example adapter (wrapping the reference store).
#include "instrumented_store.hpp"

#include <webhookd/store/memory_store.hpp>
#include <webhookd/testing/store_conformance.hpp>

#include <gtest/gtest.h>

namespace webhookd::testing {

using instrumented_types = ::testing::Types<example::instrumented_store<store::memory_store>>;
INSTANTIATE_TYPED_TEST_SUITE_P(instrumented, delivery_store_conformance, instrumented_types);

} // namespace webhookd::testing

namespace {

TEST(instrumented_store, counts_the_calls_it_forwards) {
  example::instrumented_store<webhookd::store::memory_store> s;
  static_assert(!decltype(s)::is_blocking); // as the inner store
  webhookd::store::claim_request claim;
  claim.owner = "me";
  ASSERT_TRUE(s.claim_due(claim).has_value());
  ASSERT_TRUE(s.claim_due(claim).has_value());
  EXPECT_EQ(s.stats(example::operation::claim_due).calls.load(), 2u);
  EXPECT_EQ(s.stats(example::operation::record).calls.load(), 0u);
}

} // namespace
