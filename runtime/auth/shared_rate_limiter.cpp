#include "auth/shared_rate_limiter.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

namespace plugboard::auth {

SharedRateLimiter::SharedRateLimiter(store::RateBucketRepository& buckets, NowMs now_ms)
    : buckets_(buckets), now_ms_(std::move(now_ms)) {
  if (!now_ms_)
    now_ms_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
}

RateDecision SharedRateLimiter::take(const Principal& p) {
  if (p.requests_per_hour <= 0 || p.burst_limit <= 0) return {};
  const double capacity = bucket_capacity(p.burst_limit);
  const double rate = bucket_rate(p.requests_per_hour);
  const std::int64_t now = now_ms_();
  RateDecision decision;
  try {
    buckets_.update(p.key_id, [&](const std::optional<store::RateBucket>& current) {
      store::RateBucket b = current.value_or(store::RateBucket{capacity, now});
      const double elapsed_s = static_cast<double>(std::max<std::int64_t>(0, now - b.updated_ms)) / 1000.0;
      decision = spend_token(b.tokens, capacity, rate, elapsed_s);
      b.updated_ms = std::max(b.updated_ms, now);
      return b;
    });
  } catch (const std::exception& e) {
    spdlog::warn("rate limit of API key {} not checked: {}", p.key_id, e.what());
    return {};
  }
  return decision;
}

}  // namespace plugboard::auth
