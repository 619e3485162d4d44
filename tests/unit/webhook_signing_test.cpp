// What a receiver relies on: the signature format (docs/webhooks.md) and the retry schedule
// of seed 000's retry_config with its jitter bounds.
#include "events/retry_policy.hpp"
#include "events/webhook_signature.hpp"

#include <gtest/gtest.h>

using namespace plugboard::events;
using std::chrono::milliseconds;

TEST(WebhookSignature, IsV1HexHmacSha256OverTimestampDotBody) {
  // Expected values computed independently: python3 -c "import hmac,hashlib;
  //   print(hmac.new(b'whsec_test', b'1700000000.{...}', hashlib.sha256).hexdigest())"
  EXPECT_EQ(webhook_signature("whsec_test", 1700000000, R"({"event":"record_created"})"),
            "v1=3180c746bb71aec7ac728584882e29b24aaed1c8bf55eda63ce89180b6d849df");
  EXPECT_EQ(webhook_signature("whsec_test", 1700000000, ""),
            "v1=5967f3c560522fa40cf2876ebc3c3a08551dd6959aaade3b413460591895bdcc");
}

TEST(WebhookSignature, ChangesWithSecretTimestampAndBody) {
  const auto base = webhook_signature("whsec_test", 1700000000, "{}");
  EXPECT_EQ(base.size(), 3u + 64u);
  EXPECT_NE(webhook_signature("whsec_other", 1700000000, "{}"), base);
  EXPECT_NE(webhook_signature("whsec_test", 1700000001, "{}"), base);
  EXPECT_NE(webhook_signature("whsec_test", 1700000000, "{ }"), base);
  // The dot separates: moving a digit from the timestamp into the body is another message.
  EXPECT_NE(webhook_signature("whsec_test", 170000000, "0.{}"),
            webhook_signature("whsec_test", 1700000000, ".{}"));
}

TEST(RetryPolicy, ExponentialBackoffDoublesFromTheDelay) {
  const RetryConfig c{5, 60000, true};
  EXPECT_EQ(base_delay(c, 1), milliseconds(60000));
  EXPECT_EQ(base_delay(c, 2), milliseconds(120000));
  EXPECT_EQ(base_delay(c, 3), milliseconds(240000));
  EXPECT_EQ(base_delay(c, 5), milliseconds(960000));
}

TEST(RetryPolicy, FixedDelayWithoutBackoff) {
  const RetryConfig c{5, 1500, false};
  for (std::int64_t n = 1; n <= 5; ++n) EXPECT_EQ(base_delay(c, n), milliseconds(1500)) << n;
}

TEST(RetryPolicy, CappedAtADay) {
  const RetryConfig c{kMaxRetries, 3600000, true};
  EXPECT_EQ(base_delay(c, 5), milliseconds(16 * 3600000));
  EXPECT_EQ(base_delay(c, 6), kMaxRetryDelay);
  EXPECT_EQ(base_delay(c, kMaxRetries), kMaxRetryDelay);
  EXPECT_EQ(base_delay(RetryConfig{1, 10LL * kMaxRetryDelay.count(), false}, 1), kMaxRetryDelay);
}

TEST(RetryPolicy, JitterStaysWithinPlusMinusTwentyPercent) {
  const RetryConfig c{3, 10000, true};
  EXPECT_EQ(jittered_delay(c, 1, 0.0), milliseconds(8000));
  EXPECT_EQ(jittered_delay(c, 1, 0.5), milliseconds(10000));
  EXPECT_EQ(jittered_delay(c, 2, 0.0), milliseconds(16000));
  EXPECT_EQ(jittered_delay(c, 2, 1.0), milliseconds(24000));
  EXPECT_EQ(jittered_delay(c, 1, -3.0), milliseconds(8000));  // out-of-range units are clamped
  EXPECT_EQ(jittered_delay(c, 1, 7.0), milliseconds(12000));
}

TEST(RetryPolicy, JitterUnitsAreSpreadOverTheInterval) {
  double lo = 1, hi = 0, sum = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = jitter_unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  // Spread, not a constant: failures from one outage come back at different times.
  EXPECT_LT(lo, 0.01);
  EXPECT_GT(hi, 0.99);
  EXPECT_NEAR(sum / kDraws, 0.5, 0.02);
  const RetryConfig c{3, 1000, false};
  for (int i = 0; i < 1000; ++i) {
    const auto d = jittered_delay(c, 1, jitter_unit());
    ASSERT_GE(d, milliseconds(800));
    ASSERT_LE(d, milliseconds(1200));
  }
}
