// Rate limits shared by every node on one database: each limited key has one bucket row
// (tokens, updated_ms), read, refilled, spent and written back in one transaction, so a
// burst of N holds across all nodes together. Same answers as InMemoryRateLimiter (429 +
// Retry-After), at the cost of one database write per request of a rate-limited key; keys
// without a limit never reach the database. Times are wall-clock unix ms, since nodes share no
// steady clock; a bucket never refills for time running backwards.
#pragma once

#include "auth/rate_limiter.hpp"
#include "store/repositories.hpp"

#include <functional>

namespace plugboard::auth {

class SharedRateLimiter final : public RateLimiter {
 public:
  using NowMs = std::function<std::int64_t()>;
  explicit SharedRateLimiter(store::RateBucketRepository& buckets, NowMs now_ms = {});
  // When the database cannot be reached the request is let through (and logged): the limit is
  // there to protect providers, and every other step of the request needs the database anyway.
  RateDecision take(const Principal& p) override;

 private:
  store::RateBucketRepository& buckets_;
  NowMs now_ms_;
};

}  // namespace plugboard::auth
