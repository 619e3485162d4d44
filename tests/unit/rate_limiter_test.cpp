// Token buckets for API key rate limits: burst, refusal with a Retry-After that is long
// enough, refill at requests_per_hour, and keys kept apart.
#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

using namespace plugboard::auth;
using Clock = TokenBucket::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TokenBucket, SpendsTheBurstThenRefusesWithRetryAfter) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  TokenBucket b(3600, 3, t0);  // one token a second, three at once
  for (int i = 0; i < 3; ++i) {
    const auto d = b.take(t0);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 2 - i);
    EXPECT_EQ(d.limit, 3);
  }
  const auto refused = b.take(t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_FALSE(b.take(t0 + milliseconds(500)).allowed);  // half a token is not one
  EXPECT_TRUE(b.take(t0 + milliseconds(1000)).allowed);  // waiting Retry-After is enough
  EXPECT_FALSE(b.take(t0 + milliseconds(1000)).allowed);
}

TEST(TokenBucket, RefillsAtTheHourlyRateAndNeverAboveTheBurst) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  TokenBucket b(60, 2, t0);  // one token a minute
  EXPECT_TRUE(b.take(t0).allowed);
  EXPECT_TRUE(b.take(t0).allowed);
  const auto refused = b.take(t0);
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 60);
  EXPECT_EQ(b.take(t0 + seconds(30)).retry_after_s, 30);
  EXPECT_TRUE(b.take(t0 + seconds(60)).allowed);
  // A long idle spell fills the bucket to the burst, no further.
  const auto later = t0 + std::chrono::hours(10);
  EXPECT_TRUE(b.take(later).allowed);
  EXPECT_TRUE(b.take(later).allowed);
  EXPECT_FALSE(b.take(later).allowed);
}

TEST(TokenBucket, ATimeGoingBackwardsAddsNothing) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  TokenBucket b(3600, 1, t0);
  EXPECT_TRUE(b.take(t0).allowed);
  EXPECT_FALSE(b.take(t0 - seconds(5)).allowed);
  EXPECT_TRUE(b.take(t0 + seconds(1)).allowed);
}

TEST(InMemoryRateLimiter, KeysHaveTheirOwnBucketsAndUnlimitedKeysPass) {
  auto now = Clock::time_point{} + seconds(1000);
  InMemoryRateLimiter limiter([&] { return now; });
  Principal a;
  a.key_id = "a";
  a.requests_per_hour = 3600;
  a.burst_limit = 2;
  Principal b = a;
  b.key_id = "b";
  Principal unlimited;
  unlimited.key_id = "u";

  EXPECT_TRUE(limiter.take(a).allowed);
  EXPECT_TRUE(limiter.take(a).allowed);
  EXPECT_FALSE(limiter.take(a).allowed);
  EXPECT_TRUE(limiter.take(b).allowed);  // a's use is not b's
  for (int i = 0; i < 1000; ++i) {
    const auto d = limiter.take(unlimited);
    ASSERT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 0);
  }
  now += seconds(1);
  EXPECT_TRUE(limiter.take(a).allowed);
  EXPECT_FALSE(limiter.take(a).allowed);
}
