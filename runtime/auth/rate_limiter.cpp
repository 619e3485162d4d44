#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace plugboard::auth {

double bucket_capacity(std::int64_t burst_limit) {
  return static_cast<double>(std::max<std::int64_t>(burst_limit, 1));
}

double bucket_rate(std::int64_t requests_per_hour) {
  return static_cast<double>(std::max<std::int64_t>(requests_per_hour, 1)) / 3600.0;
}

RateDecision spend_token(double& tokens, double capacity, double per_second, double elapsed_s) {
  if (elapsed_s > 0) tokens = std::min(capacity, tokens + elapsed_s * per_second);
  tokens = std::min(tokens, capacity);  // the key's burst may have been lowered since
  RateDecision d;
  d.limit = static_cast<std::int64_t>(capacity);
  if (tokens >= 1.0) {
    tokens -= 1.0;
    d.remaining = static_cast<std::int64_t>(std::floor(tokens));
    return d;
  }
  d.allowed = false;
  // Rounded up, so a client that waits exactly this long finds a token.
  d.retry_after_s =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - tokens) / per_second)));
  return d;
}

TokenBucket::TokenBucket(std::int64_t requests_per_hour, std::int64_t burst_limit, Clock::time_point now)
    : capacity_(bucket_capacity(burst_limit)),
      per_second_(bucket_rate(requests_per_hour)),
      tokens_(capacity_),
      updated_(now) {}

RateDecision TokenBucket::take(Clock::time_point now) {
  double elapsed = 0;
  if (now > updated_) {
    elapsed = std::chrono::duration<double>(now - updated_).count();
    updated_ = now;
  }
  return spend_token(tokens_, capacity_, per_second_, elapsed);
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
