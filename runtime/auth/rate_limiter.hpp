// API key rate limits (seed 000's rate_limit {requests_per_hour, burst_limit}) as token
// buckets: a key may spend up to burst_limit requests at once, and the bucket refills at
// requests_per_hour / 3600 tokens a second.
//
// RateLimiter is the seam: this process keeps its buckets in memory (InMemoryRateLimiter), or
// several nodes share them through the database (SharedRateLimiter, auth/shared_rate_limiter.hpp).
// The server asks once per authenticated request, before the route runs.
#pragma once

#include "auth/principal.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace plugboard::auth {

struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;          // the burst (bucket size); 0 when the key has no limit
  std::int64_t remaining = 0;      // whole tokens left after this request
  std::int64_t retry_after_s = 0;  // when refused: seconds until one token is back (at least 1)
};

// The bucket arithmetic both limiters share: refills `tokens` for `elapsed_s` seconds (at most
// to capacity) and spends one token when a whole one is there.
RateDecision spend_token(double& tokens, double capacity, double per_second, double elapsed_s);

// A key's bucket size and refill rate (tokens a second), never below one token an hour.
double bucket_capacity(std::int64_t burst_limit);
double bucket_rate(std::int64_t requests_per_hour);

// One bucket. Not thread-safe: its owner locks.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(std::int64_t requests_per_hour, std::int64_t burst_limit, Clock::time_point now);
  RateDecision take(Clock::time_point now);

 private:
  double capacity_;
  double per_second_;
  double tokens_;
  Clock::time_point updated_;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Spends one request of the principal's key. A key without a rate limit is always allowed.
  virtual RateDecision take(const Principal& p) = 0;
};

class InMemoryRateLimiter final : public RateLimiter {
 public:
  using Now = std::function<TokenBucket::Clock::time_point()>;
  explicit InMemoryRateLimiter(Now now = [] { return TokenBucket::Clock::now(); });
  RateDecision take(const Principal& p) override;

 private:
  // Sharded so that requests of different keys rarely wait on one another.
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, TokenBucket> buckets;  // by key id
  };
  Now now_;
  std::array<Shard, 16> shards_;
};

}  // namespace plugboard::auth
