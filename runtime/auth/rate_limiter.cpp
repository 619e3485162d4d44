#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace plugboard::auth {

TokenBucket::TokenBucket(std::int64_t requests_per_hour, std::int64_t burst_limit, Clock::time_point now)
    : capacity_(static_cast<double>(std::max<std::int64_t>(burst_limit, 1))),
      per_second_(static_cast<double>(std::max<std::int64_t>(requests_per_hour, 1)) / 3600.0),
      tokens_(capacity_),
      updated_(now) {}

RateDecision TokenBucket::take(Clock::time_point now) {
  if (now > updated_) {
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    tokens_ = std::min(capacity_, tokens_ + elapsed * per_second_);
    updated_ = now;
  }
  RateDecision d;
  d.limit = static_cast<std::int64_t>(capacity_);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    d.remaining = static_cast<std::int64_t>(std::floor(tokens_));
    return d;
  }
  d.allowed = false;
  // Rounded up, so a client that waits exactly this long finds a token.
  d.retry_after_s =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / per_second_)));
  return d;
}

InMemoryRateLimiter::InMemoryRateLimiter(Now now) : now_(std::move(now)) {}

RateDecision InMemoryRateLimiter::take(const Principal& p) {
  if (p.requests_per_hour <= 0 || p.burst_limit <= 0) return {};
  Shard& shard = shards_[std::hash<std::string>{}(p.key_id) % shards_.size()];
  const auto now = now_();
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(p.key_id);
  if (it == shard.buckets.end())
    it = shard.buckets.try_emplace(p.key_id, p.requests_per_hour, p.burst_limit, now).first;
  return it->second.take(now);
}

}  // namespace plugboard::auth
