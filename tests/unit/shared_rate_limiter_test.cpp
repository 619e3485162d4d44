// Rate limits shared through the database: the bucket arithmetic both limiters use, and two
// "nodes" (two stores on one SQLite file, as two processes would open it) spending one burst
// between them, one after the other and all at once.
#include "auth/shared_rate_limiter.hpp"
#include "two_nodes.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace plugboard;
using auth::RateDecision;

TEST(SpendToken, RefillsByElapsedTimeCapsAtCapacityAndSaysWhenTheNextTokenIsDue) {
  double tokens = 0.25;
  // One token a second: a quarter left, 0.75 s to the next, rounded up to 1 s.
  RateDecision d = auth::spend_token(tokens, 3, 1.0, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
  EXPECT_DOUBLE_EQ(tokens, 0.25);
  d = auth::spend_token(tokens, 3, 1.0, 0.75);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_NEAR(tokens, 0.0, 1e-9);
  d = auth::spend_token(tokens, 3, 1.0, 3600);  // a long idle spell fills to capacity only
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 2);
  EXPECT_EQ(d.limit, 3);
  tokens = 10;  // more than a lowered burst allows: clamped before spending
  d = auth::spend_token(tokens, 2, 1.0, 0);
  EXPECT_EQ(d.remaining, 1);
  tokens = 0;  // one token an hour: the wait is an hour
  EXPECT_EQ(auth::spend_token(tokens, 1, auth::bucket_rate(1), 0).retry_after_s, 3600);
}

namespace {

class SharedRateLimiterTest : public test::TwoNodes {
 protected:
  static auth::Principal key(const std::string& id, std::int64_t per_hour, std::int64_t burst) {
    auth::Principal p;
    p.key_id = id;
    p.requests_per_hour = per_hour;
    p.burst_limit = burst;
    return p;
  }

  std::atomic<std::int64_t> now_ms_{1'800'000'000'000};
  auth::SharedRateLimiter::NowMs clock() {
    return [this] { return now_ms_.load(); };
  }
};

}  // namespace

TEST_F(SharedRateLimiterTest, OneBurstIsSharedByBothNodesAndRefillsForBoth) {
  auth::SharedRateLimiter a(node_a_->rate_buckets(), clock());
  auth::SharedRateLimiter b(node_b_->rate_buckets(), clock());
  const auto k = key("key-1", 3600, 5);  // one token a second, five at once
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += (i % 2 == 0 ? a : b).take(k).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  const RateDecision refused = b.take(k);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_EQ(refused.limit, 5);
  now_ms_ += 1000;  // one token back, for whichever node asks first
  EXPECT_TRUE(a.take(k).allowed);
  EXPECT_FALSE(b.take(k).allowed);
  // Another key has its own bucket; a key without a limit never touches the database.
  EXPECT_TRUE(b.take(key("key-2", 3600, 1)).allowed);
  EXPECT_TRUE(a.take(key("key-3", 0, 0)).allowed);
}

TEST_F(SharedRateLimiterTest, ConcurrentRequestsOnBothNodesNeverSpendMoreThanTheBurst) {
  auth::SharedRateLimiter a(node_a_->rate_buckets(), clock());
  auth::SharedRateLimiter b(node_b_->rate_buckets(), clock());
  const auto k = key("key-busy", 1, 7);  // refill too slow to matter
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i)
        if ((t % 2 == 0 ? a : b).take(k).allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 7);
}

TEST_F(SharedRateLimiterTest, AClockBehindTheStoredTimeNeitherRefillsNorMovesTheBucketBack) {
  auth::SharedRateLimiter a(node_a_->rate_buckets(), clock());
  const auto k = key("key-skew", 3600, 1);
  EXPECT_TRUE(a.take(k).allowed);
  now_ms_ -= 5000;  // another node's clock, five seconds behind
  EXPECT_FALSE(a.take(k).allowed);
  now_ms_ += 5000 + 999;
  EXPECT_FALSE(a.take(k).allowed);  // 0.999 s after the stored time: not a whole token
  now_ms_ += 1;
  EXPECT_TRUE(a.take(k).allowed);
}
