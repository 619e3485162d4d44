#include "events/retry_policy.hpp"

#include <algorithm>
#include <random>

namespace plugboard::events {

std::chrono::milliseconds base_delay(const RetryConfig& c, std::int64_t retry) {
  const std::int64_t cap = kMaxRetryDelay.count();
  std::int64_t delay = std::clamp<std::int64_t>(c.retry_delay_ms, 0, cap);
  if (c.exponential_backoff)
    for (std::int64_t i = 1; i < retry && delay < cap; ++i) delay = std::min(delay * 2, cap);
  return std::chrono::milliseconds(delay);
}

std::chrono::milliseconds jittered_delay(const RetryConfig& c, std::int64_t retry, double unit) {
  const double factor = 0.8 + 0.4 * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(base_delay(c, retry).count()) * factor));
}

double jitter_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace plugboard::events
